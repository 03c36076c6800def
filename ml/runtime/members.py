"""The members' texts as the mask stage reads them, and the member frame a run writes (``ml.runtime.pipeline``)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def member_texts(members: pd.DataFrame) -> list[str]:
    """The members' texts as the mask stage and the background masker read them."""
    return members["text"].fillna("").astype(str).tolist()


def members_out(members, masked, labels, reassigned, placement, distance, sub_ids, coords) -> pd.DataFrame:
    """The written member frame: the members (texts masked) with their persona, placement and map columns."""
    out = members.copy(deep=False)  # copy-on-write (pandas 3): the new columns are out's alone
    out["text"] = masked  # what is written and compared with other runs
    out["persona_id"] = labels.astype(np.int64)
    out["reassigned"] = reassigned.astype(bool)
    out["placed"] = placement.placed if placement is not None else False
    out["distance"] = distance.astype(np.float64)
    out["subpersona_id"] = sub_ids
    out["x"], out["y"] = (coords[:, 0], coords[:, 1]) if coords is not None else (0.0, 0.0)
    return out
