"""Members present in both runs: which recur, the counts between personas, and who moved where.

In: the member tables of two ``RunSnapshot``s. What recurs depends on the unit: ``member`` ids (threads
with ``--unit conversation``, authors with ``--unit author``, users of event runs, or the same message
ids when the runs' data overlap), else ``text`` (identical texts, case and spacing folded) for
confirming matches, and ``author`` (each author's most frequent persona) for movers of message runs.
Out: ``recurring`` pairs (key, base persona, new persona), the ``crosstab`` counts used by the matcher,
and ``movers`` (transition matrix cells and the list of members whose lineage changed, other than by their
own persona's split or merge).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.runtime.contracts.compare import Move, Movers, Transition

KEY_COLUMNS = {"member": "member_id", "text": "text_key", "author": "author"}


def _modal(members: pd.DataFrame, column: str) -> pd.Series:
    """Each key's most frequent persona (ties: lowest id)."""
    rows = members[[column, "persona_id"]].dropna()
    if rows.empty:
        return pd.Series(dtype=np.int64)
    counts = rows.groupby([column, "persona_id"]).size().reset_index(name="n")
    counts = counts.sort_values([column, "n", "persona_id"], ascending=[True, False, True])
    return counts.drop_duplicates(column).set_index(column)["persona_id"].astype(np.int64)


def recurring(base: pd.DataFrame, new: pd.DataFrame, key: str) -> pd.DataFrame:
    """``key``, ``base_id``, ``new_id`` for every key value present in both member tables."""
    column = KEY_COLUMNS[key]
    if column not in base or column not in new:
        return pd.DataFrame({"key": [], "base_id": [], "new_id": []})
    a, b = _modal(base, column), _modal(new, column)
    shared = a.index.intersection(b.index)
    return pd.DataFrame({"key": shared.astype(str), "base_id": a.loc[shared].to_numpy(),
                         "new_id": b.loc[shared].to_numpy()})


def choose_keys(base: pd.DataFrame, new: pd.DataFrame, unit: str, min_shared: int) -> tuple[str, str]:
    """``(overlap key, movers key)``: what recurs for confirming matches and for listing movers
    (``none`` when fewer than ``min_shared`` members recur)."""
    n_member = len(recurring(base, new, "member"))
    if unit != "message":
        key = "member" if n_member >= min_shared else "none"
        return key, key
    overlap = "member" if n_member >= min_shared else (
        "text" if len(recurring(base, new, "text")) >= min_shared else "none")
    movers = "author" if len(recurring(base, new, "author")) >= min_shared else overlap
    return overlap, movers


def crosstab(pairs: pd.DataFrame, base_ids: np.ndarray, new_ids: np.ndarray) -> np.ndarray:
    """Counts of recurring members per (base persona, new persona), rows/columns in the given id order."""
    C = np.zeros((len(base_ids), len(new_ids)), dtype=np.int64)
    if pairs.empty:
        return C
    bi = pd.Index(base_ids).get_indexer(pairs["base_id"].astype(np.int64))
    ni = pd.Index(new_ids).get_indexer(pairs["new_id"].astype(np.int64))
    ok = (bi >= 0) & (ni >= 0)
    np.add.at(C, (bi[ok], ni[ok]), 1)
    return C


def written(base: pd.DataFrame, new: pd.DataFrame, key: str) -> dict[str, bool]:
    """For each ``key`` value in both member tables: whether it holds a text (``text_key``) the base did not (the
    member wrote since, or its conversation grew). Empty for identical-text keys and tables without texts."""
    column = KEY_COLUMNS.get(key)
    if key == "text" or column is None or any(c not in t for t in (base, new) for c in (column, "text_key")):
        return {}
    then, now = ({str(k): set(v) for k, v in t[[column, "text_key"]].dropna().groupby(column)["text_key"]}
                 for t in (base, new))
    return {k: bool(now[k] - then[k]) for k in now.keys() & then.keys()}


def movers(pairs: pd.DataFrame, key: str, base_lineage: dict[int, str], new_lineage: dict[int, str],
           max_moves: int = 1000, new_parents: dict[int, set[str]] | None = None,
           wrote: dict[str, bool] | None = None) -> Movers:
    """Transition matrix and the members whose lineage changed (at most ``max_moves`` listed).

    ``new_parents``: each new persona's parent lineage ids (``NewPersona.parent_lineage_ids``). A member whose
    persona split, now in a piece with a lineage of its own, or whose persona merged into another, now in the
    merged one, did not move: their persona was re-cut around them. They are counted as ``n_regrouped``, not
    as movers. ``wrote`` (``written``): whether each member holds a text the baseline did not; a mover that
    does not (``n_unchanged``) was grouped anew by this fit, with the same texts (an audit of weekly chat
    exports: 31 of 44 movers had written nothing between the exports)."""
    if pairs.empty or key == "none":
        return Movers(key="none" if pairs.empty else key, n_shared=0, n_moved=0)
    cells = pairs.groupby(["base_id", "new_id"]).size().reset_index(name="count")
    matrix = [Transition(from_id=int(r.base_id), to_id=int(r.new_id), count=int(r.count))
              for r in cells.itertuples(index=False)]
    parents = new_parents or {}
    moved, regrouped = [], 0
    for k, b, n in zip(pairs["key"], pairs["base_id"].astype(int), pairs["new_id"].astype(int)):
        fl, tl = base_lineage.get(b, f"?/{b}"), new_lineage.get(n, f"?/{n}")
        if fl == tl:
            continue
        if fl in parents.get(n, ()):
            regrouped += 1
        else:
            moved.append(Move(key=str(k), from_id=b, to_id=n, from_lineage=fl, to_lineage=tl, moved=True,
                              wrote_new=(wrote or {}).get(str(k))))
    unchanged = sum(m.wrote_new is False for m in moved)
    return Movers(key=key, n_shared=len(pairs), n_moved=len(moved), n_regrouped=regrouped, n_unchanged=unchanged,
                  matrix=matrix, moves=moved[:max_moves], truncated=len(moved) > max_moves)
