"""The run's stability in words, on Steinley's (2004) bands for the adjusted Rand index ("Properties of the
Hubert-Arabie adjusted Rand index", Psychological Methods 9(3)): ≥ 0.90 excellent, ≥ 0.80 good, ≥ 0.65 moderate,
below that poor. Published bands, not ones fitted to this project's data sets; the explorer's Quality panel reads
the same (``stabilityReading`` in frontend/components/QualityMetrics.tsx). An events review found Moodle's personas
at 0.34 with nothing but "higher is more reproducible" beside it."""

from __future__ import annotations

BANDS = ((0.90, "excellent"), (0.80, "good"), (0.65, "moderate"))
POOR_BELOW = BANDS[-1][0]  # a stability under this is poor: the run's personas are tentative


def tentative(refs) -> list[str]:
    """The labels of ``(label, stability_ari)`` pairs whose stability is measured and poor (below ``POOR_BELOW``),
    for the notes that the changes between two runs are as much the fits' (``ml.compare``, the printable report;
    the explorer's ``TentativeNotice``)."""
    return [label for label, ari in refs if isinstance(ari, (int, float)) and ari < POOR_BELOW]


def stability_word(ari: float | None) -> str | None:
    """"excellent", "good", "moderate" or "poor" for an adjusted Rand index; None when it was not measured."""
    if ari is None:
        return None
    return next((word for low, word in BANDS if ari >= low), "poor")


def stability_note(ari: float | None, who: str = "members") -> str:
    """" (poor on Steinley's bands: a refit regroups many users; present these personas as tentative)", or the
    band alone; nothing when not measured."""
    word = stability_word(ari)
    if word is None:
        return ""
    if word == "poor":
        return (f" (poor on Steinley's bands, below 0.65: a refit regroups many {who}; present these personas "
                "as tentative)")
    return f" ({word} on Steinley's bands)"


def refit_counts_note(met: dict, members: int) -> str:
    """"; two refits of every member with other seeds found 35 and 46 personas (this run 33): the count moves with
    the seed on this data, so take it as approximate", from the stability check's ``stability_personas``; nothing
    where the refits ran on a sample (a smaller set's count) or were not made. Counts within a tenth of the run's
    either way come without the warning: a seed moves a small group in or out of the noise. The explorer's Quality
    panel says the same (``refitCounts`` in frontend/components/QualityMetrics.tsx)."""
    counts, n = met.get("stability_personas"), met.get("n_personas")
    if not counts or not n or met.get("stability_rows") != members:
        return ""
    if all(c == n for c in counts):
        return f"; two refits of every member with other seeds found {n} personas each, as this run did"
    found = " and ".join(str(c) for c in counts)
    moves = any(abs(c - n) > 0.1 * n for c in counts)
    return (f"; two refits of every member with other seeds found {found} personas (this run {n})"
            + (": the count moves with the seed on this data, so take it as approximate" if moves else ""))
