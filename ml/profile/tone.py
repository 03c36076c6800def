"""Whether a persona writes more negatively than the other personas of the same run (``ToneProfiler``).

Input: the members' texts and persona labels. Each text is scored with VADER (``vaderSentiment``, a
lexicon and rule set made for social-media text; it ships its lexicon, nothing is downloaded) and counts as
negative when its compound score is at most -0.05, the authors' own threshold. Output per persona
(``profile(pid)``, the ``tone`` field of a conversation persona):

- ``negative_share``: share of the persona's scored members whose text reads negative;
- ``rest_negative_share``: the same over the other personas' members, and ``population_negative_share`` over
  all members (each persona weighted by its size, its sample standing for it);
- ``std_diff``: ``(negative_share - rest) / sqrt(p(1 - p))`` with ``p`` the population share, as the
  behavioural fingerprint standardises, and ``p_value``: a pooled two-proportion z-test of the persona's
  scored members against the others' (against the rest, not everyone: a persona holding half the run would
  otherwise be compared half with itself), Fisher's exact test where a cell expects fewer than 5 (``swears_more``
  on one message of a small persona was "significant" under the z-test);
- ``q_value``: ``p_value`` adjusted for testing every persona of the run (Benjamini–Hochberg), and so for
  the profanity test: a run of 84 personas tested each at 0.05 expects four readings by chance;
- ``reading``: ``"more negative"`` or ``"less negative"`` when ``|std_diff| >= min_effect`` (``profile.min_effect``,
  0.2: Cohen's small effect, with the test beside it) and ``q_value < 0.05``, otherwise ``"like everyone"``;
- ``scored_members``: at most ``sample_per_persona`` members per persona are scored (a seeded sample), so a
  million-row run scores about ``sample_per_persona`` × personas texts.

Only the comparison within one data set is claimed. Measured against the airline tweets' sentiment labels
(``scripts/eval_tone.py``, docs/profiles.md), VADER's share of negative texts ranks personas well but its
level is far too low on complaints, and its "positive" side reads polite complaints ("thanks", "please")
as happy: so nothing here says a persona is happy, only more or less negative than the rest.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import false_discovery_control, fisher_exact, norm

from ml.profile.terms import is_profane

NEGATIVE_COMPOUND = -0.05  # VADER's documented threshold for a negative text
METHOD = "VADER 3.3.2 compound <= -0.05, first 2,000 characters"  # runs compare tone only under one method


# VADER reads at most this many characters of a text: its rules are made for sentences and tweets, and its
# idiom and negation checks grow faster than the text (one member of 605 KB, a whole author's history, took
# 311 s; 60 KB 2 s). About 400 words: a thread's or an author's opening, as the embedding reads it.
TONE_CHARS = 2_000


def compound_scores(texts) -> np.ndarray:
    """VADER's compound score per text (-1 … 1; a missing text scores 0), of its first ``TONE_CHARS``
    characters."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    return np.fromiter((vader.polarity_scores(t[:TONE_CHARS] if isinstance(t, str) else "")["compound"]
                        for t in texts), dtype=np.float64, count=len(texts))


def negative_flags(texts) -> np.ndarray:
    """True per text whose VADER compound score is at most -0.05."""
    return compound_scores(texts) <= NEGATIVE_COMPOUND


def rest_share(tone: dict) -> float:
    """The other personas' negative share (everyone's for profiles made before it was recorded)."""
    return tone.get("rest_negative_share", tone["population_negative_share"])


def two_proportions(p1: float, n1: int, p2: float, n2: int) -> float:
    """Two-sided p-value of a pooled two-proportion z-test (1.0 when either side is empty or constant); Fisher's
    exact test when a cell of the 2×2 table expects fewer than 5 (Cochran's rule: the normal approximation
    fails there, and one swearing message among 50 against 9 among 4,900 read as p = 0.0001)."""
    if n1 <= 0 or n2 <= 0:
        return 1.0
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    if min(pooled, 1 - pooled) * min(n1, n2) < 5:
        k1, k2 = round(p1 * n1), round(p2 * n2)
        return float(fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return float(2 * norm.sf(abs(p1 - p2) / se)) if se > 0 else 1.0


def adjusted_p(p_values: list[float]) -> list[float]:
    """``p_values`` of one test run on every persona (or persona pair), adjusted for testing them all (Benjamini–
    Hochberg, ``scipy.stats.false_discovery_control``): 84 news personas tested at 0.05 each had six "swear more" on
    2–4 % of their headlines (quoted "hell", "crap"); none of them after it. Empty in, empty out."""
    return false_discovery_control(p_values).tolist() if p_values else []


def reading(std_diff: float, p_value: float, min_effect: float = 0.2, alpha: float = 0.05,
            same: str = "like everyone") -> str:
    """"more negative" / "less negative" when ``|std_diff| >= min_effect`` and ``p_value < alpha``, else
    ``same``: the one rule of a persona against the rest and of a persona then against now (both give it the p-value
    adjusted for testing every persona: ``ToneProfiler.q_values_``, ``ml.lineage.shift.adjusted_tone_changes``)."""
    if abs(std_diff) >= min_effect and p_value < alpha:
        return "more negative" if std_diff > 0 else "less negative"
    return same


class ToneProfiler:
    """Negative share per persona beside the other personas' (see the module docstring).

    Learned state: ``counts_`` and ``profane_counts_`` (persona id → (flagged, scored, size)),
    ``population_negative_share_``, ``population_profane_share_``, ``against_`` and ``profane_against_`` (persona id →
    its share, the rest's share, std_diff, p-value and scored count), ``q_values_`` and ``profane_q_values_`` (persona
    id → its p-value adjusted for testing every persona, ``adjusted_p``).
    """

    def __init__(self, sample_per_persona: int = 1000, min_effect: float = 0.2, alpha: float = 0.05,
                 random_state: int = 0):
        self.sample_per_persona = sample_per_persona
        self.min_effect = min_effect
        self.alpha = alpha
        self.random_state = random_state

    def fit(self, texts, labels) -> ToneProfiler:
        labels = np.asarray(labels)
        rng = np.random.default_rng(self.random_state)
        picked, sizes = [], {}
        for pid in np.unique(labels):
            rows = np.flatnonzero(labels == pid)
            sizes[pid.item()] = len(rows)
            if len(rows) > self.sample_per_persona:
                rows = np.sort(rng.choice(rows, self.sample_per_persona, replace=False))
            picked.append(rows)
        sample = np.asarray(texts, dtype=object)[np.concatenate(picked)].tolist()
        negative = negative_flags(sample)
        profane = np.fromiter((isinstance(t, str) and is_profane(t) for t in sample), dtype=bool, count=len(sample))
        self.counts_, self.profane_counts_, start = {}, {}, 0
        for (pid, size), rows in zip(sizes.items(), picked, strict=True):
            self.counts_[pid] = (int(negative[start:start + len(rows)].sum()), len(rows), size)
            self.profane_counts_[pid] = (int(profane[start:start + len(rows)].sum()), len(rows), size)
            start += len(rows)
        self.population_negative_share_ = self._weighted(self.counts_.values())
        self.population_profane_share_ = self._weighted(self.profane_counts_.values())
        self.against_ = self._all_against_rest(self.counts_, self.population_negative_share_)
        self.profane_against_ = self._all_against_rest(self.profane_counts_, self.population_profane_share_)
        self.q_values_ = dict(zip(self.against_, adjusted_p([a[3] for a in self.against_.values()])))
        self.profane_q_values_ = dict(zip(self.profane_against_,
                                          adjusted_p([a[3] for a in self.profane_against_.values()])))
        return self

    def _all_against_rest(self, counts: dict, p0: float) -> dict:
        """Persona id → ``_against_rest`` for every persona of ``counts``, once per fit."""
        return {pid: self._against_rest(counts, p0, pid) for pid in counts}

    @staticmethod
    def _weighted(counts) -> float:
        """Negative share over the personas in ``counts``, each weighted by its size (its sample stands for it)."""
        counts = list(counts)
        total = sum(size for _, _, size in counts)
        return float(sum(neg / scored * size for neg, scored, size in counts) / total) if total else 0.0

    def _against_rest(self, counts: dict, p0: float, pid: int) -> tuple[float, float, float, float, int]:
        """(share, the other personas' share, std_diff, p_value, scored) of persona ``pid`` in ``counts``
        (persona id → (flagged, scored, size)), ``p0`` the population share."""
        flagged, scored, _size = counts[pid]
        others = [c for q, c in counts.items() if q != pid]
        share = flagged / scored
        rest = self._weighted(others) if others else share
        spread = np.sqrt(p0 * (1 - p0))
        diff = (share - rest) / spread if spread > 0 else 0.0
        return share, rest, float(diff), two_proportions(share, scored, rest, sum(s for _, s, _ in others)), scored

    def profile(self, persona_id) -> dict:
        pid = int(persona_id)
        p0 = self.population_negative_share_
        share, rest, diff, p_value, scored = self.against_[pid]
        bad, bad_rest, bad_diff, _, _ = self.profane_against_[pid]
        q_value, bad_q = self.q_values_[pid], self.profane_q_values_[pid]
        return {"negative_share": round(share, 4), "rest_negative_share": round(rest, 4),
                "population_negative_share": round(p0, 4), "std_diff": round(diff, 4),
                "p_value": float(f"{p_value:.4g}"), "q_value": float(f"{q_value:.4g}"), "scored_members": scored,
                "reading": reading(diff, q_value, self.min_effect, self.alpha), "method": METHOD,
                # profanity (ml.profile.terms.is_profane) beside the other personas', by the tone's own rule
                "profane_share": round(bad, 4), "rest_profane_share": round(bad_rest, 4),
                "swears_more": bool(bad_diff >= self.min_effect and bad_q < self.alpha)}


def tone_sentence(tone: dict | None) -> str:
    """"Its messages read more negative than the other personas': 54% of its members use negative words,
    against 29% of the others' members." or "" when the persona reads like everyone (or was not scored); then
    "It swears more than the other personas: …" when it does (``swears_more``)."""
    if not tone:
        return ""
    parts = []
    if tone.get("reading") in ("more negative", "less negative"):
        rest = rest_share(tone)
        parts.append(f"Its messages read {tone['reading']} than the other personas': "
                     f"{100 * tone['negative_share']:.0f}% of its members use negative words, against {100 * rest:.0f}% "
                     "of the others' members.")
    if tone.get("swears_more"):
        parts.append(f"It swears more than the other personas: {100 * tone['profane_share']:.0f}% of its members' "
                     f"messages hold profanity, against {100 * tone['rest_profane_share']:.0f}% of the "
                     "others'; its evidence shows such messages only where too few others are left.")
    return " ".join(parts)
