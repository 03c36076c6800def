"""Series and stored comparisons, the backend-neutral part (SQLite and Firestore share these).

A run may belong to a series (``manifest.series``, set by ``python -m ml.run --series NAME``); a run
compared with a baseline carries the ``Comparison`` (``ml.runtime.contracts.compare``) as a JSON
document, published with the run (``RunBundle.comparison``) or added later (``RunStore.put_comparison``).
``check_comparison`` refuses a document that is no comparison of that run (one line);
``series_entry`` builds one item of a series' history; ``movers_page`` pages a comparison's movers.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from ml.runtime.contracts.compare import Comparison, comparison_headline, upgrade_comparison
from ml.store import records as R

SERIES_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def validate_series(name: str) -> str:
    """A series name (letters, digits, '_', '-', '.'; at most 64), or ValueError saying so."""
    if not isinstance(name, str) or not SERIES_RE.match(name) or ".." in name:
        raise ValueError(f"invalid series name {name!r}: use letters, digits, '_', '-', '.' (max 64)")
    return name


def check_comparison(run_id: str, comparison: Any) -> dict[str, Any]:
    """``comparison`` (a ``Comparison`` or its JSON) as a JSON-able dict, checked against the contract and
    against ``run_id`` (it must be that run's comparison); ValueError with one line otherwise."""
    doc = comparison.model_dump(mode="json") if hasattr(comparison, "model_dump") else R.to_jsonable(comparison)
    doc = upgrade_comparison(doc)  # a run directory written before the population shift
    try:
        model = Comparison.model_validate(doc)
    except ValidationError as exc:
        where, msg = R.first_error(exc)
        raise ValueError(f"run {run_id}: the comparison does not match its contract at '{where}': {msg}; "
                         "compute it again with ml.lineage.compare_runs") from None
    if model.new.run_id != run_id:
        raise ValueError(f"run {run_id}: the comparison is of run {model.new.run_id}; store it with that run")
    return model.model_dump(mode="json")


def headline_of(comparison: dict[str, Any] | None) -> dict[str, Any] | None:
    return comparison_headline(comparison) if comparison else None


def series_entry(summary: dict[str, Any], headline: dict[str, Any] | None) -> dict[str, Any]:
    """One item of a series' history (``SeriesEntry`` as JSON) from a run summary and its headline."""
    counts, time = summary.get("counts") or {}, summary.get("time") or {}
    return {"run_id": summary["id"], "created_at": summary.get("created_at"), "kind": summary.get("kind"),
            "first": time.get("first"), "last": time.get("last"), "basis": time.get("basis") if time.get("first")
            else None, "n_personas": counts.get("personas"), "comparison": headline}


def iter_series_runs(store, series: str, page: int = 500):
    """Every complete run of ``series`` (``SeriesEntry`` dicts, oldest first), read ``page`` at a time."""
    offset, total = 0, 1
    while offset < total:
        items, total = store.series_runs(series, limit=page, offset=offset)
        yield from items
        offset += max(len(items), 1)


def movers_page(run_id: str, comparison: dict[str, Any], from_persona: int | None = None,
                to_persona: int | None = None, offset: int = 0, limit: int = 50) -> dict[str, Any]:
    """A page of the movers a stored comparison lists (``MoversPage`` as JSON), filtered by the persona
    they came from and/or went to."""
    R.check_page(offset, limit)
    movers = comparison["movers"]
    rows = [m for m in movers["moves"]
            if (from_persona is None or m["from_id"] == from_persona) and (to_persona is None or m["to_id"] == to_persona)]
    return {"run_id": run_id, "base_run_id": comparison["base"]["run_id"], "key": movers["key"],
            "n_shared": movers["n_shared"], "n_moved": movers["n_moved"],
            "n_regrouped": movers.get("n_regrouped", 0), "n_unchanged": movers.get("n_unchanged", 0),
            "listed": len(movers["moves"]),
            "truncated": movers["truncated"], "items": rows[offset : offset + limit], "total": len(rows),
            "offset": offset, "limit": limit, "from_persona": from_persona, "to_persona": to_persona}
