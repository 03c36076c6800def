"""Ingest for event runs: raw event rows or a ready users × events count matrix → one long table.

``load_events(paths, config: EventInputConfig) -> EventTable``. Files are CSV/TSV/JSONL/Parquet
(text formats may be gzipped; read by ``ml.ingest.load.read_table``, so encodings and malformed files fail
the same way as the conversation path). Two layouts:

- ``rows``: one event per row: user column(s), event-name column(s) (or an id column resolved to
  names through ``event_lookup``), optional time and count columns;
- ``matrix``: one row per user (or per user and day, like the KDD Cup daily files) with one count
  column per event type.

Both become ``EventTable.events``: ``user`` (str), ``event`` (str), ``count`` (float > 0), ``day``
(float, NaN without a time), ``hour``/``weekday`` (Int64, NA when unknown), ``group`` (str or None),
plus ``EventTable.users`` (``user``, ``group``, ``outcome``; outcome for evaluation only). Every bad
input raises ``ml.runtime.errors.InputError`` with one line naming the file, row and column and what to do.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ml.events.config import EventInputConfig
from ml.events.keys import FLAGS, _key, _require, blank_mask
from ml.events.outcome_join import check_outcome_joined, outcome_values, user_outcomes
from ml.events.roles import check_roles
from ml.events.timecol import parse_event_times
from ml.ingest.columns import name_index, normalized
from ml.ingest.load import read_table, resolve_paths
from ml.ingest.timebasis import check_timezone
from ml.ingest.where import RowFilter
from ml.runtime.errors import InputError

#: column names read without a flag; the analytics exports' own names too (Google Analytics 4's BigQuery export:
#: user_pseudo_id, event_name, event_timestamp, event_date; Segment: anonymous_id; Mixpanel and PostHog:
#: distinct_id, event, time / timestamp; Amplitude: user_id, event_type, event_time)
USER_NAMES = ["user_id", "user", "userid", "member_id", "distinct_id", "customer_id", "account_id",
              "enrollment_id", "id_student", "user full name", "student_id", "studentid", "user_pseudo_id",
              "anonymous_id"]
EVENT_NAMES = ["event", "event_name", "event name", "event_type", "activity_type", "action", "eventname"]
TIME_NAMES = ["timestamp", "time", "event_time", "event_timestamp", "date", "ts", "created_at", "datetime",
              "event_date"]
COUNT_NAMES = ["count", "sum_click", "clicks", "n_events"]
#: matrix layout: numeric columns that are totals or dates, not event types
NON_EVENT_PREFIXES = ("total", "n_records", "active_days", "first_", "last_", "course_file", "num_")


def id_named(column: str) -> bool:
    """Is ``column`` named as an identifier ("id", "id_site", "site_id", "Course ID")? Such a column holds keys,
    never event counts."""
    name = normalized(column)
    return name == "id" or name.startswith("id_") or name.endswith("_id")
@dataclass
class EventTable:
    events: pd.DataFrame
    users: pd.DataFrame
    resolution: str                     # hour | day | offset | none
    layout: str
    mapping: dict
    report: dict = field(default_factory=dict)
    yearless: bool = False              # times read without a year: no weekdays, no absolute dates
    event_types: list = field(default_factory=list)  # every type read, those with no event too (EventMatrix.fit)


def find_column(columns: list[str], names: list[str]) -> str | None:
    """The column among ``columns`` with one of ``names``, compared as ``ml.ingest.columns.normalized`` writes
    them ("User ID" is ``user_id``, Moodle's "Event name" ``event_name``); else a field nested in an object of
    a JSON export, by its own name (Mixpanel's ``properties.distinct_id``, ``properties.time``)."""
    wanted = [normalized(n) for n in names]
    for lower in (name_index(columns),
                  {normalized(c.rsplit(".", 1)[1]): c for c in reversed(columns) if "." in c}):
        hit = next((lower[n] for n in wanted if n in lower), None)
        if hit is not None:
            return hit
    return None


def _numbers(frame: pd.DataFrame, col: str, path: Path, flag: str) -> np.ndarray:
    raw = frame[col]
    vals = pd.to_numeric(raw, errors="coerce")
    bad = vals.isna() & raw.notna() & raw.astype(str).str.strip().ne("")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"{path}: data row {row + 1}, column '{col}' ({flag}): {str(raw.iloc[row])[:40]!r} is "
                         "not a number; counts must be numbers >= 0: fix or remove that row")
    vals = vals.fillna(0.0).to_numpy(dtype=np.float64)
    if (vals < 0).any() or not np.isfinite(vals).all():
        row = int(np.flatnonzero((vals < 0) | ~np.isfinite(vals))[0])
        raise InputError(f"{path}: data row {row + 1}, column '{col}' ({flag}): {vals[row]} is negative or "
                         "infinite; counts must be numbers >= 0: fix or remove that row")
    return vals


def _lookup(cfg: EventInputConfig) -> dict[str, str]:
    path = Path(cfg.event_lookup)
    if not cfg.event_lookup_key or not cfg.event_lookup_value:
        raise InputError(f"{path}: an event lookup needs --event-lookup-key (id column) and "
                         "--event-lookup-value (event-name column)")
    table, _ = read_table(resolve_paths(path)[0])
    _require(path, list(table.columns), [cfg.event_lookup_key], "--event-lookup-key")
    _require(path, list(table.columns), [cfg.event_lookup_value], "--event-lookup-value")
    keys = table[cfg.event_lookup_key].astype(str).str.strip()
    return dict(zip(keys, table[cfg.event_lookup_value].astype(str).str.strip()))


def _detect(path: Path, columns: list[str], cfg: EventInputConfig) -> dict:
    user = cfg.user_cols or ([c] if (c := find_column(columns, USER_NAMES)) else None)
    if not user:
        raise InputError(f"{path}: no user column found among {', '.join(columns[:20])}; name it with "
                         "--user-col (several columns: --user-col a,b)")
    _require(path, columns, user, FLAGS["user_cols"])
    layout = cfg.layout
    event = cfg.event_cols
    if layout != "matrix" and event is None and not cfg.event_lookup:
        found = find_column(columns, EVENT_NAMES)
        event = [found] if found else None
    if layout == "auto":
        layout = "rows" if (event or cfg.event_lookup) else "matrix"
    no_time = (cfg.time_col or "").lower() == "none" and not any(str(c).lower() == "none" for c in columns)
    time = None if no_time else cfg.time_col or find_column([c for c in columns if c not in user], TIME_NAMES)
    if time:
        _require(path, columns, [time], FLAGS["time_col"])
    count = cfg.count_col
    if layout == "rows":
        if cfg.event_lookup:
            event = event or [cfg.event_lookup_key]
        if not event:
            raise InputError(f"{path}: no event column found among {', '.join(columns[:20])}; name it with "
                             "--event-col, or pass --layout matrix for a users × events count table")
        _require(path, columns, event, FLAGS["event_cols"])
        count = count or find_column([c for c in columns if c not in user + event], COUNT_NAMES)
        if count:
            _require(path, columns, [count], FLAGS["count_col"])
    groups = cfg.group_cols or []
    _require(path, columns, groups, FLAGS["group_cols"])
    if cfg.outcome_col and not cfg.outcome_file:
        _require(path, columns, [cfg.outcome_col], FLAGS["outcome_col"])
    return {"layout": layout, "user": user, "event": event, "time": time, "count": count, "group": groups}


def _blank_share(values: pd.Series) -> float:
    return float(blank_mask(values).mean()) if len(values) else 0.0


def _filled_user(frame: pd.DataFrame, found: list[str]) -> list[str]:
    """The user column found by its name or, when that one is mostly blank, the next user-named column that is
    filled: Google Analytics 4 writes ``user_id`` (empty unless the site sets it) beside ``user_pseudo_id``, and
    the run stopped at "data row 1 has an empty user id"."""
    if _blank_share(frame[found[0]]) <= 0.5:
        return found
    others = [c for c in frame.columns if c != found[0]]
    for name in USER_NAMES:
        column = find_column(others, [name])
        if column is not None and _blank_share(frame[column]) <= 0.01:
            return [column]
    return found


def _matrix_events(frame: pd.DataFrame, path: Path, m: dict, cfg: EventInputConfig) -> list[str]:
    if m["event"]:
        _require(path, list(frame.columns), m["event"], FLAGS["event_cols"])
        return list(m["event"])
    skip = set(m["user"]) | set(m["group"]) | {m["time"], cfg.outcome_col}
    cols = []
    for c in frame.columns:
        if c in skip or c.lower().startswith(NON_EVENT_PREFIXES) or id_named(c):
            continue
        vals = pd.to_numeric(frame[c], errors="coerce")
        if vals.notna().mean() > 0.99:
            cols.append(c)
    if len(cols) < 2:
        count = find_column([c for c in frame.columns if c not in skip], COUNT_NAMES)
        ids = [c for c in frame.columns if c not in skip and id_named(c)]
        if count and ids:  # OULAD's raw rows: id_student, id_site, date, sum_click
            raise InputError(
                f"{path}: looks like one event per row (a per-row count {count!r} beside the id column "
                f"{ids[0]!r}) but no event-name column was found: pass --event-col {ids[0]} (or "
                f"--event-lookup FILE --event-lookup-key {ids[0]} --event-lookup-value NAME for readable event "
                "names)")
        raise InputError(f"{path}: found {len(cols)} numeric event-count column(s); a matrix needs at least 2: "
                         "name them with --event-col a,b,c or map --event-col for one-event-per-row data")
    return cols


def _user_split(frame: pd.DataFrame, user: pd.Series, used: list) -> dict | None:
    """A matrix whose user key repeats with different values of another text column (OULAD's clicks table: a row
    per student and module-presentation, keyed on ``id_student`` alone summed 53 students' courses into one user,
    seen only in a row count): ``{"columns", "users", "example"}``, else None."""
    if not user.duplicated().any():
        return None
    others = [c for c in frame.columns if c not in used and not pd.api.types.is_numeric_dtype(frame[c])
              and pd.to_numeric(frame[c], errors="coerce").isna().mean() > 0.5]
    if not others:
        return None
    several = frame[others].astype(str).groupby(user.to_numpy()).nunique() > 1
    split = several.any(axis=1)
    if not split.any():
        return None
    return {"columns": [c for c in others if several[c].any()], "users": int(split.sum()),
            "example": str(split.index[split.to_numpy()][0])}


def _add_times(frame: pd.DataFrame, long: pd.DataFrame, m: dict, path: Path, cfg: EventInputConfig) -> None:
    """Day, hour and weekday per event row of ``long`` from the file's time column, and the file's resolution
    and clock in ``m``: more than 1 % unreadable times are refused, fewer kept without a time and counted."""
    if m["time"]:
        times, resolution = parse_event_times(frame[m["time"]], cfg.assume_year, cfg.timezone)
        bad = times["bad"].to_numpy()
        if bad.mean() > 0.01:
            row = int(np.flatnonzero(bad)[0])
            found = f"{FLAGS['time_col']}" if cfg.time_col else f"found by its name; {FLAGS['time_col']}"
            raise InputError(f"{path}: data row {row + 1}, column '{m['time']}' ({found}): "
                             f"{str(frame[m['time']].iloc[row])[:40]!r} is not a time or day offset "
                             f"({bad.sum()} such rows); fix them, pass --assume-year for dates without a "
                             f"year, or pass {FLAGS['time_col']} none to read no time")
        m["time_unread"] = int(bad.sum())  # up to 1 %: kept, without a time (said by --check and the run)
        idx = long["row"].to_numpy() - 1
        for col in ("day", "hour", "weekday"):
            long[col] = times[col].to_numpy()[idx] if col == "day" else times[col].array[idx]
        m.update(resolution=resolution, clock=times.attrs.get("time"))
    else:
        m["resolution"] = "none"


def _one_file(path: Path, cfg: EventInputConfig, lookup: dict | None,
              rows: RowFilter | None = None) -> tuple[pd.DataFrame, dict]:
    frame, fmt = read_table(path)
    read = len(frame)
    digest, hashes = _check_not_doubled(frame, path)
    frame = rows.apply(frame, path) if rows is not None else frame
    if read and frame.empty:  # --where kept none of this file's rows: nothing to detect or read
        return None, {"rows": read, "format": fmt}
    columns = list(frame.columns)
    m = _detect(path, columns, cfg)
    check_roles(path, frame, m, {"time": bool(cfg.time_col), "count": bool(cfg.count_col), "user": bool(cfg.user_cols)})
    if not cfg.user_cols:
        m["user"] = _filled_user(frame, m["user"])
    user = _key(frame, m["user"], path, "user id", FLAGS["user_cols"], tolerate=0.01)  # up to 1 %: skipped
    group = _key(frame, m["group"], path, "group", FLAGS["group_cols"]) if m["group"] else None
    if m["layout"] == "rows":
        if lookup is not None:
            ids = frame[m["event"][0]].astype(str).str.strip()
            event = ids.map(lookup)
            if event.isna().any():
                row = int(np.flatnonzero(event.isna().to_numpy())[0])
                raise InputError(f"{path}: data row {row + 1}, column '{m['event'][0]}': id {ids.iloc[row]!r} is "
                                 f"not in the event lookup {Path(cfg.event_lookup).name}; add it there or "
                                 "remove the row")
        else:
            event = _key(frame, m["event"], path, "event name", FLAGS["event_cols"])
        count = _numbers(frame, m["count"], path, FLAGS["count_col"]) if m["count"] else np.ones(len(frame))
        long = pd.DataFrame({"user": user.to_numpy(), "event": event.to_numpy(), "count": count,
                             "row": np.arange(1, len(frame) + 1)})
        if group is not None:
            long["group"] = group.to_numpy()
    else:
        cols = _matrix_events(frame, path, m, cfg)
        m["event"] = cols
        m["user_split"] = _user_split(frame, user, [*m["user"], *(m["group"] or []), *cols, m["time"],
                                                    cfg.outcome_col])  # an outcome differs by course, it is no key
        mats = np.column_stack([_numbers(frame, c, path, FLAGS["event_cols"]) for c in cols])
        r, c = np.nonzero(mats)
        long = pd.DataFrame({"user": user.to_numpy()[r], "event": np.asarray(cols, dtype=object)[c],
                             "count": mats[r, c], "row": r + 1})
        if group is not None:
            long["group"] = group.to_numpy()[r]
    _add_times(frame, long, m, path, cfg)
    if cfg.outcome_col and not cfg.outcome_file:
        m["outcome"] = pd.DataFrame({"user": user.to_numpy(), "outcome": outcome_values(frame[cfg.outcome_col])})
    if (user == "").any():  # at most 1 % of rows without a user id: skipped, counted (said by --check and the run)
        m["user_unread"] = int((user == "").sum())
        long = long[long["user"] != ""].reset_index(drop=True)
        if "outcome" in m:
            m["outcome"] = m["outcome"][m["outcome"]["user"] != ""]
    long["file"] = path.name
    m.update(format=fmt, rows=read, digest=digest, hashes=hashes)  # rows read, also those --where left out (report["dropped_where"])
    return long, m


MIN_DOUBLED_ROWS = 20  # a file's rows repeated as a block is refused from this many rows


def _check_not_doubled(frame: pd.DataFrame, path: Path) -> tuple[bytes, np.ndarray]:
    """Refuse a file whose second half repeats its first row for row (a log appended to itself, or two exports of the
    same period: every per-user count doubles and the personas change, said by nothing, an events review found);
    a header line the append left among the rows is ignored. Rows repeated one by one are no such sign: Moodle's and
    OULAD's logs hold 9 % exact duplicates (times to the minute or the day); every row an even number of times is (the
    doubled log sorted again). Returns the rows' digest, with which ``load_events`` refuses two files of the same
    rows, and the rows' hashes, with which it counts the rows repeated across all files (``duplicate_rows``)."""
    try:
        hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    except TypeError:  # list or dict values (a JSON export's nested fields: GA4's event_params) hash as written
        hashes = pd.util.hash_pandas_object(frame.map(repr), index=False).to_numpy()
    header = np.zeros(len(frame), dtype=bool)
    if len(frame.columns):  # rows that read the header's names (checked on the first column, then on all)
        maybe = np.flatnonzero((frame.iloc[:, 0].astype(str) == str(frame.columns[0])).to_numpy())
        names = [str(c) for c in frame.columns]
        header[maybe] = [[str(v) for v in frame.iloc[i]] == names for i in maybe]
    rows = hashes[~header]
    half = len(rows) // 2
    if len(rows) >= MIN_DOUBLED_ROWS and len(rows) % 2 == 0 and np.array_equal(rows[:half], rows[half:]):
        raise InputError(f"{path}: its last {half:,} data rows repeat its first {half:,} exactly (the file appended "
                         "to itself?): every count would double; remove the copy and run again")
    counts = np.unique(rows, return_counts=True)[1]
    if len(rows) >= MIN_DOUBLED_ROWS and (counts % 2 == 0).all():  # appended to itself, then sorted or shuffled
        raise InputError(f"{path}: each of its {len(counts):,} distinct rows appears an even number of times "
                         f"({len(rows):,} rows: the log written twice?): every count would double; remove the copy "
                         "and run again")
    return hashlib.sha256(np.sort(hashes).tobytes()).digest(), rows


def repeated_rows(hashes: list[np.ndarray]) -> int:
    """Rows that repeat an earlier row exactly, within and across the files (their row hashes): a log's own repeats
    (Moodle's and OULAD's are 9 %), or exports that overlap, whose shared rows count twice (a verification: rows
    0–12,000 and 6,000–19,296 of Moodle's log read as 25,296 events, said by nothing)."""
    every = np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.uint64)
    return int(every.size - np.unique(every).size)


def _check_distinct_files(paths: list[Path], maps: list[dict]) -> None:
    """Refuse the same log passed twice: one file named twice (a folder and a file in it), or two files of at least
    ``MIN_DOUBLED_ROWS`` rows holding the same rows in any order (two one-row day files may well agree)."""
    seen: dict[bytes, int] = {}
    for i, (path, m) in enumerate(zip(paths, maps)):
        digest = m.pop("digest", None)
        if path in paths[:i]:
            raise InputError(f"{path}: passed twice: every count would double; pass each log once")
        first = seen.setdefault(digest, i) if m["rows"] >= MIN_DOUBLED_ROWS else i
        if first != i:
            raise InputError(f"{path}: holds the same rows as {paths[first]}: every count would double; pass each "
                             "log once")


def _clock(records: list[dict | None]) -> dict | None:
    """One clock for the run from each file's (``parse_event_times``' ``attrs["time"]``): theirs when they agree,
    else each time's own offset ("local"), as a conversation run reads timestamps with differing offsets."""
    known = [r for r in records if r]
    if not known:
        return None
    offsets: dict[str, int] = {}  # every file's times counted (KDD's 31 files read the first file's 31,140)
    for r in known:
        for key, n in (r.get("offsets") or {}).items():
            offsets[key] = offsets.get(key, 0) + int(n)
    counted = {"offsets": offsets} if offsets else {}
    bases = {r.get("basis") for r in known if r.get("basis")}  # a file of dates only or of unknown clock names none
    if len(bases) <= 1:
        return next((r for r in known if r.get("basis")), known[0]) | counted
    return {**known[0], **counted, "basis": "local", "note": "The files carry different clocks: hours and weekdays "
            "are each time's own offset (UTC where none is written)."}


def load_events(paths, config: EventInputConfig | None = None) -> EventTable:
    """Read every file into one ``EventTable`` (see the module docstring)."""
    cfg = config or EventInputConfig()
    check_timezone(cfg.timezone)
    files = resolve_paths(paths)
    lookup = _lookup(cfg) if cfg.event_lookup else None
    parts, maps, outcome_parts, used = [], [], [], []
    rows, unmatched = RowFilter(cfg.where), []
    for path in files:
        if cfg.outcome_file and Path(cfg.outcome_file).resolve() == path.resolve():
            continue
        long, m = _one_file(path, cfg, lookup, rows)
        if long is None:  # read, every row left out by --where: listed, counted, not mapped
            unmatched.append({"file": str(path), "format": m["format"], "rows": m["rows"], "kept_where": 0})
            continue
        parts.append(long)
        if "outcome" in m:
            outcome_parts.append(m.pop("outcome"))
        maps.append(m)
        used.append(path)
    filtered = rows.finish(len(maps), files)  # a column no file has, or no file with a row kept: refused
    if not maps:
        raise InputError(f"{files[0]}: no event files given besides the outcome file; pass the event data too")
    _check_distinct_files(used, maps)
    if len(layouts := {m["layout"] for m in maps}) > 1:
        raise InputError(f"{files[0]}: files mix layouts ({', '.join(sorted(layouts))}); pass files of one kind")
    resolutions = {m["resolution"] for m in maps}
    resolution = resolutions.pop() if len(resolutions) == 1 else "none"
    events = pd.concat(parts, ignore_index=True)
    # every event type read, those with no event too (a matrix layout's all-zero columns: an events review saw 8 of
    # OULAD's 20 activity columns vanish from the manifest's dropped events); EventMatrix.fit says why they went
    types_read = sorted(set(events["event"].astype(str).unique().tolist())
                        | {str(c) for m in maps if m.get("layout") == "matrix" for c in m.get("event") or []})
    events = events[events["count"] > 0].reset_index(drop=True)
    if "group" not in events:
        events["group"] = None
    if resolution == "none":
        events["day"] = np.nan
        events["hour"] = pd.array([pd.NA] * len(events), dtype="Int64")
        events["weekday"] = pd.array([pd.NA] * len(events), dtype="Int64")
    first_group = events.groupby("user", sort=True)["group"].first()
    users = pd.DataFrame({"user": first_group.index.astype(str), "group": first_group.to_numpy()})
    users["outcome"] = user_outcomes(cfg, pd.Index(users["user"]), outcome_parts, maps[0].get("user")).to_numpy()
    if cfg.outcome_col and cfg.outcome_file:
        check_outcome_joined(cfg, users)
    mapping = {k: maps[0][k] for k in ("layout", "user", "event", "time", "count", "group")}
    if len(mapping["event"] or []) > 12:
        mapping["event"] = mapping["event"][:12] + [f"... {len(mapping['event']) - 12} more"]
    report = {"files": [{"file": str(p), "format": m["format"], "rows": m["rows"]} for p, m in zip(used, maps)]
              + unmatched, "rows": int(sum(m["rows"] for m in maps)) + sum(f["rows"] for f in unmatched),
              "resolution": resolution, "time_unread": int(sum(m.get("time_unread", 0) for m in maps)),
              "user_unread": int(sum(m.get("user_unread", 0) for m in maps)),
              "duplicate_rows": repeated_rows([m.pop("hashes") for m in maps])}  # said by --check and the run
    split = [m["user_split"] | {"file": str(p)} for p, m in zip(used, maps) if m.get("user_split")]
    if split:  # said by --check and the run (user_split_line)
        report["user_split"] = split[0] | {"users": sum(x["users"] for x in split)}
    report["time"] = _clock([m.get("clock") for m in maps]) if resolution in ("hour", "day") else None
    yearless = resolution in ("hour", "day") and bool(events["weekday"].isna().all())
    report |= filtered | {"dates_without_year": yearless}
    return EventTable(events, users, resolution, mapping["layout"], mapping, report, yearless, types_read)
