"""The outcome of an event run in the printable report: a table on the cover (each persona's rates beside everyone's,
as the explorer's "Outcome by persona" panel) and one sentence per persona page. An events review found the report,
the document meant to be handed on, without the outcome the run was measured against (KDD Cup 2015's dropout)."""

from __future__ import annotations

from typing import Any

from ml.events.outcomes import outcome_categories, persona_outcome

MAX_CATEGORIES = 6  # columns of the cover's table, as the explorer's panel
SAME_V = 0.05  # Cramér's V gaps under this read "about the same" (0.42 against 0.43 was called a difference), as the
# explorer's panel (frontend/components/OutcomesPanel.tsx)


def _beside(v: float, other: Any, head: str, more: str) -> str:
    """" {head} {other:.2f}" and how it compares with the personas' ``v``: ": {more}" from SAME_V higher, ", about the
    same." within it, "." otherwise; "" when ``other`` is not a number. The gap is taken as shown, two decimals (0.43 -
    0.38 is 0.0499…)."""
    if not isinstance(other, (int, float)):
        return ""
    gap = round(100 * other) - round(100 * v)
    return f" {head} {other:.2f}" + (f": {more}" if gap >= 100 * SAME_V else ", about the same."
                                      if abs(gap) < 100 * SAME_V else ".")


def volume_words(v: float, volume: dict[str, Any] | None) -> str:
    """The plain activity split beside the personas (``Outcomes.volume``), as the explorer says it: an events review
    found OULAD's personas at 0.42 against 0.57 for users split by how many events they logged, unsaid."""
    n = len((volume or {}).get("personas") or [])
    return _beside(v, (volume or {}).get("cramers_v"), f"Users cut into {n} groups of about equal size by how many "
                   "events they logged reach", "how much users do tells the outcome apart more than these personas, "
                   "which describe what they do.")


def report_outcomes(manifest: dict[str, Any], names: dict[int, str]) -> dict[str, Any] | None:
    """The cover's outcome table of an event run with an outcome (``metrics.outcomes``), None otherwise: ``column``,
    ``categories`` (labels), ``rows`` ({name, n, rates, diffs} per persona, largest first), ``overall``, ``aside``
    (users set aside before the personas) and ``strength`` (Cramér's V in words, k-means beside it)."""
    outcomes = (manifest.get("metrics") or {}).get("outcomes") or None
    table = (outcomes or {}).get("nmf")
    if manifest.get("kind") != "events" or not table or not table.get("personas"):
        return None
    cats, labels = outcome_categories(table)
    cats = cats[:MAX_CATEGORIES]
    overall = table.get("overall") or {}

    def cells(rates: dict[str, float], diff: bool = True) -> list[dict[str, Any]]:
        return [{"pct": 100.0 * rates.get(c, 0.0),
                 "diff": 100.0 * (rates.get(c, 0.0) - overall.get(c, 0.0)) if diff else None} for c in cats]

    rows = [{"name": names.get(int(r["persona_id"]), f"Persona {r['persona_id']}"), "n": int(r["n"]),
             "cells": cells(r["rates"])} for r in sorted(table["personas"], key=lambda r: -int(r["n"]))]
    aside = table.get("set_aside") or None
    v, kv = table.get("cramers_v"), ((outcomes.get("kmeans") or {}).get("cramers_v"))
    strength = None
    if isinstance(v, (int, float)):
        strength = f"How strongly the persona goes with the outcome: Cramér's V {v:.2f} (0 = not at all, 1 = fully)."
        strength += _beside(v, kv, "k-means with the same number of groups on the same matrix reaches",
                            "its groups tell the outcome apart more than these personas do, which are cut by "
                            "behaviour, not by outcome.")
        strength += volume_words(v, outcomes.get("volume"))
    source = "the outcome file" if ((manifest.get("config") or {}).get("input") or {}).get("outcome_file") \
        else "the event rows"
    return {"column": outcomes.get("column") or "outcome", "categories": [labels.get(c, c) for c in cats],
            "source": source, "n_categories": len(table.get("categories") or []),
            "rows": rows, "n": int(table.get("n") or 0), "overall": cells(overall, diff=False),
            "aside": None if not aside or not aside.get("n") else {"n": int(aside["n"]),
                                                                    "cells": cells(aside.get("rates") or {})},
            "strength": strength, "unread": int(table.get("unread") or 0)}


def persona_outcome_read(manifest: dict[str, Any], persona_id: int) -> dict[str, Any] | None:
    """One persona page's outcome: ``{column, n, parts: [{label, rate, rest}]}`` (rest: the other personas' users),
    which the template writes "Outcome (label), for its 120 users with one: dropped out 89% (everyone else 77%),
    completed 11% (23%)."; None without an outcome table or without the persona in it."""
    if manifest.get("kind") != "events":
        return None
    read = persona_outcome((manifest.get("metrics") or {}).get("outcomes"), int(persona_id))
    if not read:
        return None
    return {"column": read["column"], "n": int(read["n"]),
            "parts": [{"label": read["labels"][c], "rate": read["rates"].get(c, 0.0),
                       "rest": read["rest"][c] if read["rest_n"] else None}  # one persona: no one else to compare
                      for c in read["categories"][:MAX_CATEGORIES]]}
