"""What a comparison notes about its two runs as a whole (``ml.lineage.compare``'s ``notes``): the same members in
both (every change then comes from fitting again), or a baseline whose data is later than the new run's (the runs
may be given the wrong way round)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.lineage.snapshot import RunSnapshot

SAME_MEMBERS = "both runs hold the same members"
LATER_NOTE = ("the baseline's data is later than this run's (90% of its timestamps after 90% of this run's): the "
              "two runs may be given the wrong way round (ml.compare BASE NEW)")


def later_baseline(base: RunSnapshot, new: RunSnapshot) -> bool:
    """Whether the baseline's data comes after the new run's: its 5th percentile timestamp is later than the new
    run's 95th (a re-runs review passed month 2 as the baseline of month 1 and nothing said so)."""
    a, b = base.period.get("p05"), new.period.get("p95")
    return bool(a and b) and pd.Timestamp(a) > pd.Timestamp(b)


def same_members(base: RunSnapshot, new: RunSnapshot) -> bool:
    """Do the two runs hold the same members with the same texts (the same data after filtering)? Then
    every split, merge and mover between them comes from fitting again (another seed or other settings)."""
    a, b = base.members, new.members
    if len(a) != len(b) or not len(a) or "member_id" not in a or "member_id" not in b:
        return False
    cols = ["member_id", "text_key"] if "text_key" in a and "text_key" in b else ["member_id"]

    def rows(members) -> np.ndarray:  # one 64-bit hash per member, in sorted order: vectorised at any size
        return np.sort(pd.util.hash_pandas_object(members[cols].astype(str), index=False).to_numpy())

    return bool(np.array_equal(rows(a), rows(b)))


def same_members_note(base: RunSnapshot, new: RunSnapshot) -> str:
    return (f"{SAME_MEMBERS} ({new.n_members}): every change reported comes from fitting again, not from the "
            "data")
