"""Timestamp parsing for the ingest stage.

`parse_timestamps(values)` takes a Series of raw timestamps (strings, numbers or datetimes) and
returns, aligned to its index:

- `timestamp` (datetime64[ns, UTC], NaT when missing or unparseable),
- `utc_offset_min` (float: the offset written in the value, e.g. -480 for `-0800`; 0 for an epoch
  number, a UTC instant; NaN when the value carries no offset, a wall clock of unknown zone),
- `local_hour`, `local_weekday` (Int64: in local time when the offset is known, else UTC;
  0=Monday),
- `unparseable` (bool: a non-empty value that could not be read; it never raises).

Formats read vectorised, in this order: epoch seconds/milliseconds/microseconds/nanoseconds
(chosen by magnitude; a column whose every number is from 29,221 to 80,000 is read as spreadsheet
serial dates instead, days since 1899-12-30 as Excel writes a date cell saved as a number, a wall clock
without a zone; one whose every number is a whole ``yyyymmdd`` date from 1900 to 2100, as Google Analytics
writes ``event_date``, as those dates), Twitter API `Tue Oct 31 22:11:45 +0000 2017`, ISO 8601 with or without a
zone, including `2015-02-24 11:35:52 -0800` (space before the offset), `... UTC+05:30` and a zone
abbreviation from `TZ_ABBREVIATIONS` (`2015-02-24 11:35:52 PST`). Whatever is left is tried once
per distinct value with dateutil; a value missing its year, month or day is refused rather than
silently completed with today's date. Numeric dates ("01/03/2024") are read in one order for the whole column
(`date_order`: day first when a first number above 12 shows it; the result's ``attrs["date_order"]`` says which).

Zone abbreviations are read only through `TZ_ABBREVIATIONS` (fixed offsets; the US names are
RFC 5322's). Any other abbreviation (`IST`, `BST`, ... in `AMBIGUOUS_TZ`, or unknown) makes the
value unparseable: it is counted and reported, never read as UTC, and nothing is printed (a
warning from dateutil also makes the value unparseable). `GMT+3` means three hours east of UTC,
as people write it (not the POSIX sign). The table and the rules: docs/ingest.md.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings

import numpy as np
import pandas as pd
from dateutil import parser as du_parser
from dateutil import tz as du_tz

TS_DTYPE = "datetime64[ns, UTC]"

#: Zone abbreviations read as fixed offsets (minutes east of UTC). UT/GMT and the US zones
#: EST/EDT, CST/CDT, MST/MDT, PST/PDT are the ones RFC 5322 (§4.3) defines; the others have one
#: meaning in common use. Standard and daylight names are distinct offsets, whatever the date.
TZ_ABBREVIATIONS = {
    "Z": 0, "UT": 0, "UTC": 0, "GMT": 0,
    "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360, "PST": -480, "PDT": -420,
    "AKST": -540, "AKDT": -480, "HST": -600,
    "WET": 0, "WEST": 60, "CET": 60, "CEST": 120, "EET": 120, "EEST": 180, "MSK": 180,
    "JST": 540, "KST": 540, "AWST": 480, "ACST": 570, "ACDT": 630, "AEST": 600, "AEDT": 660,
    "NZST": 720, "NZDT": 780,
}
#: Abbreviations with several meanings: a value using one is unparseable (so is any name not in
#: `TZ_ABBREVIATIONS`); listed for the documentation and the tests.
AMBIGUOUS_TZ = {
    "IST": "India, Israel or Irish Standard Time", "BST": "British Summer or Bangladesh Standard Time",
    "AST": "Atlantic or Arabia Standard Time", "ADT": "Atlantic or Arabia Daylight Time",
    "CCT": "China Coast or Cocos Islands Time", "SST": "Samoa or Singapore Standard Time",
    "GST": "Gulf or South Georgia Standard Time", "ECT": "Ecuador or Eastern Caribbean Time",
}
_ZONE_NAMES = "|".join(sorted(TZ_ABBREVIATIONS, key=len, reverse=True))
_ZONE_TEXT = {name: f"{'-' if m < 0 else '+'}{abs(m) // 60:02d}:{abs(m) % 60:02d}"
              for name, m in TZ_ABBREVIATIONS.items()}

# Matching is done with anchored regexes (fast, vectorised); values are then normalised with
# fixed-width slices so that pandas' C parsers (ISO 8601, strptime) do the parsing.
_TWITTER_RE = r"^[A-Za-z]{3} [A-Za-z]{3} [0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4} [0-9]{4}$"
_ISO_RE = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?"
    rf" ?(?:z|{_ZONE_NAMES}|(?:(?:UTC|GMT) ?)?[+-][0-9]{{2}}(?::?[0-9]{{2}})?)?)?$"
)
_EPOCH_RE = r"^[+-]?[0-9]{1,19}(?:\.[0-9]+)?$"
_STR = "string[pyarrow]"  # regexes run in Arrow (RE2): no \\d, \\s or lookarounds, or pandas loops in Python


def _mask(values: pd.Series) -> np.ndarray:
    return values.fillna(False).to_numpy(dtype=bool)


_TIME_END = r"[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?"


def offset_minutes(tokens: pd.Series) -> pd.Series:
    """Zone tokens (`Z`, `UTC`, `PST` and the rest of `TZ_ABBREVIATIONS`, `+0530`, `-08:00`, `-08`)
    → minutes east of UTC; NaN otherwise."""
    tok = tokens.astype(_STR).str.strip().str.upper()
    out = pd.Series(np.nan, index=tokens.index, dtype="float64")
    named = _mask(tok.isin(list(TZ_ABBREVIATIONS)))
    out[named] = tok[named].map(TZ_ABBREVIATIONS).astype(float).to_numpy()
    num = tok.str.replace(":", "", regex=False)
    num = num.where(num.str.len() != 3, num + "00")
    ok = _mask(num.str.match(r"^[+-][0-9]{4}$"))
    if ok.any():
        t = num[ok]
        sign = np.where(t.str[0] == "-", -1.0, 1.0)
        minutes = t.str[1:3].astype(float) * 60 + t.str[3:5].astype(float)
        out[ok] = sign * minutes.to_numpy()
    return out


def local_parts(timestamp: pd.Series, utc_offset_min: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Hour (0..23) and weekday (0=Monday) in local time where the offset is known, else UTC."""
    shift = pd.to_timedelta(utc_offset_min.fillna(0.0), unit="m")
    local = timestamp + shift
    hour = local.dt.hour.astype("Int64")
    weekday = local.dt.day_of_week.astype("Int64")
    return hour, weekday


# Spreadsheet serial dates: days since 1899-12-30 (Excel, LibreOffice, Google Sheets), read when every number of a
# column lies in this range (1980-01-01 to 2119-01-10); as seconds since 1970 they would all fall on 1 Jan 1970
# (05:33 to 22:13), so no real epoch time is lost; days since 1970 (about 20,000 today) stay below it
EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "ns")
EXCEL_RANGE = (29_221, 80_000)


def excel_serials(numbers: pd.Series) -> bool:
    """Whether a column's numbers are spreadsheet serial dates (``EXCEL_RANGE``) rather than epoch instants."""
    floats = pd.to_numeric(numbers, errors="coerce").to_numpy(dtype="float64")
    floats = floats[np.isfinite(floats)]
    return bool(len(floats)) and bool(((floats >= EXCEL_RANGE[0]) & (floats < EXCEL_RANGE[1])).all())


COMPACT_RANGE = (1900_01_01, 2100_12_31)


def compact_dates(numbers: pd.Series) -> np.ndarray | None:
    """Naive datetime64[ns] dates when every number of a column is a whole number from 19000101 to 21001231 (Google
    Analytics' ``event_date``, warehouse date keys: ``yyyymmdd``), else None; one that is no calendar date (month 13)
    is NaT, unparseable, not the reason to read the whole column as seconds since 1970 (August 1970 for them all)."""
    floats = pd.to_numeric(numbers, errors="coerce").to_numpy(dtype="float64")
    ok = np.isfinite(floats)
    if not ok.any():
        return None
    vals = floats[ok]
    if not (((vals >= COMPACT_RANGE[0]) & (vals <= COMPACT_RANGE[1]) & (np.floor(vals) == vals)).all()):
        return None
    out = np.full(len(floats), np.datetime64("NaT"), dtype="datetime64[ns]")
    parsed = pd.to_datetime(pd.Series(vals.astype("int64").astype(str)), format="%Y%m%d", errors="coerce")
    out[ok] = parsed.to_numpy(dtype="datetime64[ns]")
    return out


def _number_times(numbers: pd.Series) -> tuple[np.ndarray, bool]:
    """A column's numbers → (datetime64[ns], whether they are UTC instants): ``yyyymmdd`` dates (``compact_dates``) or
    spreadsheet serial dates (``excel_serials``) are wall clocks of no zone; any other numbers epoch instants."""
    compact = compact_dates(numbers)
    if compact is not None:
        return compact, False
    if excel_serials(numbers):
        return _excel_nanos(numbers), False
    return _epoch_nanos(numbers), True


def _excel_nanos(numbers: pd.Series) -> np.ndarray:
    """Serial dates → naive datetime64[ns] wall clock (a spreadsheet keeps no zone), to the second."""
    floats = pd.to_numeric(numbers, errors="coerce").to_numpy(dtype="float64")
    seconds = np.round(floats * 86_400)
    out = np.full(len(floats), np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = np.isfinite(seconds)
    out[ok] = EXCEL_EPOCH + (seconds[ok].astype("int64") * 10**9).astype("timedelta64[ns]")
    return out


def _epoch_nanos(numbers: pd.Series) -> np.ndarray:
    """Epoch numbers → UTC datetime64[ns] (NaT where invalid); unit by magnitude:
    seconds < 1e11 ≤ milliseconds < 1e14 ≤ microseconds < 1e17 ≤ nanoseconds."""
    floats = numbers.astype("float64").to_numpy()
    mag = np.abs(floats)
    scale = np.select([mag < 1e11, mag < 1e14, mag < 1e17], [10**9, 10**6, 10**3], default=1)
    ok = np.isfinite(floats) & (mag * scale < 9.2e18)
    whole = ok & (np.floor(floats) == floats)
    nanos = np.full(len(floats), np.iinfo("int64").min, dtype="int64")  # = NaT
    # Integers stay exact in int64 arithmetic; fractional values go through float.
    nanos[whole] = floats[whole].astype("int64") * scale[whole].astype("int64")
    frac = ok & ~whole
    nanos[frac] = (floats[frac] * scale[frac]).astype("int64")
    return nanos.view("datetime64[ns]")


_LOW = pd.Timestamp.min.tz_localize("UTC")
_HIGH = pd.Timestamp.max.tz_localize("UTC")


def _utc_ns(parsed: pd.Series) -> np.ndarray:
    """tz-aware UTC Series → naive datetime64[ns] numpy array (no per-element objects)."""
    parsed = parsed.where((parsed >= _LOW) & (parsed <= _HIGH))  # outside ns range → NaT
    return parsed.astype(TS_DTYPE).dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")


_MONTHS = {m: f"{i:02d}" for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)}


class _UnknownZone(ValueError):
    """A zone name outside `TZ_ABBREVIATIONS`."""


def _zone_info(name: str | None, offset: int | None) -> dt.tzinfo | None:
    """dateutil's `tzinfos` hook: a written offset wins, else the table; other names raise."""
    if offset is not None:
        return du_tz.tzoffset(name, offset)
    if name is None:
        return None
    if name in TZ_ABBREVIATIONS:
        return du_tz.tzoffset(name, TZ_ABBREVIATIONS[name] * 60)
    raise _UnknownZone(name)


_GMT_SIGN = re.compile(r"\b(?:UTC|GMT) ?(?=[+-][0-9])")  # "GMT+3": three hours east, as people mean it


def _dateutil_one(value: str, dayfirst: bool = False) -> tuple[pd.Timestamp | None, float]:
    """One leftover value (numeric dates day first with ``dayfirst``); refuses values that lack a year, month or
    day (dateutil would guess), name a zone outside `TZ_ABBREVIATIONS`, or make dateutil warn."""
    value = _GMT_SIGN.sub("", value)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            a = du_parser.parse(value, default=dt.datetime(2001, 1, 1), tzinfos=_zone_info, dayfirst=dayfirst)
            b = du_parser.parse(value, default=dt.datetime(2002, 2, 2), tzinfos=_zone_info, dayfirst=dayfirst)
    except (ValueError, OverflowError, TypeError, Warning):
        return None, np.nan
    if a.tzinfo is None and b.tzinfo is None and a != b:
        return None, np.nan
    if a.tzinfo is not None and b.tzinfo is not None and a != b:
        return None, np.nan
    stamp = pd.Timestamp(a, tz="UTC") if a.tzinfo is None else pd.Timestamp(a).tz_convert("UTC")
    if not _LOW <= stamp <= _HIGH:
        return None, np.nan
    if a.tzinfo is None:
        return stamp, np.nan
    off = a.utcoffset()
    minutes = off.total_seconds() / 60.0 if off is not None else np.nan
    return stamp, minutes


def _iso_zones(norm: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Values matched by `_ISO_RE` → strings pandas' ISO 8601 parser reads, and their zone tokens
    (`Z`, `+05:30`, `-0800`, `-08`; NA without a zone)."""
    norm = norm.str.replace(r" ?(?:UTC|GMT) ?([+-][0-9])", r"\1", regex=True)  # "UTC+05:30" → "+05:30"
    name = norm.str.extract(r"[0-9] ?([A-Za-z]+)$", expand=False)
    has = _mask(name.notna())
    if has.any():  # "PST" → "-08:00" (the regex admitted only names in the table, and z)
        zone = name[has].str.upper().map(_ZONE_TEXT).astype(_STR)
        norm = norm.copy()
        norm[has] = norm[has].str.replace(r" ?[A-Za-z]+$", "", regex=True) + zone
    for width in (5, 6):  # "-0800", "-08:00"
        spaced = _mask(norm.str.contains(r"[0-9] [+-][0-9]{2}:?[0-9]{2}$")) & \
            _mask(norm.str[-width:].str.match(r"^[+-][0-9]{2}:?[0-9]{2}$"))
        norm = norm.where(~spaced, norm.str[: -width - 1] + norm.str[-width:])
    tokens = pd.Series(None, index=norm.index, dtype=_STR)
    zoned = _mask(norm.str.contains(_TIME_END + r"(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)$"))
    for pattern, width in ((r"Z$", 1), (r"[+-][0-9]{2}:[0-9]{2}$", 6), (r"[+-][0-9]{4}$", 5),
                           (r"[+-][0-9]{2}$", 3)):
        pick = zoned & tokens.isna().to_numpy() & _mask(norm.str.contains(pattern))
        tokens[pick] = norm[pick].str[-width:]
    return norm, tokens


def _result(index: pd.Index, ts: np.ndarray, off: np.ndarray, bad: np.ndarray) -> pd.DataFrame:
    stamp = pd.Series(ts.astype("datetime64[ns]")).dt.tz_localize("UTC")
    offset = pd.Series(off, dtype="float64")
    hour, weekday = local_parts(stamp, offset)
    frame = pd.DataFrame({"timestamp": stamp, "utc_offset_min": offset, "local_hour": hour,
                          "local_weekday": weekday, "unparseable": np.asarray(bad, dtype=bool)})
    frame.index = index
    return frame


def _typed_values(index: pd.Index, values: pd.Series) -> pd.DataFrame | None:
    """The result for datetime and numeric (epoch) columns; None for text."""
    n = len(values)
    off, bad = np.full(n, np.nan), np.zeros(n, dtype=bool)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        utc = values.dt.tz_convert("UTC")
        wall = values.dt.tz_localize(None)
        minutes = (wall - utc.dt.tz_localize(None)).dt.total_seconds() / 60.0
        return _result(index, _utc_ns(utc), minutes.to_numpy(dtype=float, na_value=np.nan), bad)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return _result(index, values.to_numpy(dtype="datetime64[ns]"), off, bad)
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        ts, instants = _number_times(values)
        if instants:
            off[~np.isnat(ts)] = 0.0  # an epoch is a UTC instant, not a wall clock without a zone
        return _result(index, ts, off, values.notna().to_numpy() & np.isnat(ts))
    return None


# a date written with numbers only, day and month in either order: "01/03/2024 08:00", "1.3.24", "21-03-2024"
_NUMERIC_DATE = re.compile(r"^\s*([0-9]{1,2})[/.-]([0-9]{1,2})[/.-][0-9]{2,4}\b")


def date_order(values) -> dict | None:
    """How a column's numeric dates ("01/03/2024") are written, decided over the whole column, not value by
    value (dateutil alone read "01/03/2024" as 3 January and "21/03/2024" as 21 March in one column):
    ``{"order": "day first" | "month first" | "unknown" | "mixed", "example": a value, "telling": n}``: day
    first when some value has a first number above 12 and none a second one (``telling`` such values), month
    first the other way round, ``unknown`` when no number is above 12 (read month first, dateutil's and pandas'
    default), ``mixed`` when both happen (each value read on its own). None when no value is such a date."""
    first = second = 0
    example = None
    for v in values:
        m = _NUMERIC_DATE.match(str(v))
        if m:
            example = example or str(v)
            first += int(m.group(1)) > 12
            second += int(m.group(2)) > 12
    if example is None:
        return None
    order = ("mixed" if first and second else "day first" if first else "month first" if second else "unknown")
    return {"order": order, "example": example, "telling": max(first, second)}


def _leftovers(rest: pd.Series, rows: np.ndarray, ts: np.ndarray, off: np.ndarray, bad: np.ndarray) -> dict | None:
    """Values no vectorised format took: dateutil once per distinct value, written into place; numeric dates in
    the column's one order (``date_order``, returned)."""
    rest = rest.astype(object)
    distinct = rest.unique()
    order = date_order(distinct)
    dayfirst = order is not None and order["order"] == "day first"
    # day first only for the numeric day/month dates: dateutil would read "2024/01/05" as 1 May too
    cache = {v: _dateutil_one(v, dayfirst and bool(_NUMERIC_DATE.match(str(v)))) for v in distinct}
    for i, v in zip(rows, rest):
        stamp, minutes = cache[v]
        if stamp is None:
            bad[i] = True
        else:
            ts[i] = stamp.tz_localize(None).as_unit("ns").to_datetime64()
            off[i] = minutes
    return order


def parse_timestamps(values: pd.Series) -> pd.DataFrame:
    """Parse raw timestamps; see the module docstring for the output columns. Never raises."""
    values = pd.Series(values)
    index = values.index
    values = values.reset_index(drop=True)
    n = len(values)
    ts = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    off = np.full(n, np.nan)
    bad = np.zeros(n, dtype=bool)

    typed = _typed_values(index, values)
    if typed is not None:
        return typed
    text = values.astype(_STR).str.strip()
    text = text[_mask(text != "")]
    if text.empty:
        return _result(index, ts, off, bad)
    pos = text.index.to_numpy()  # positions (values has a RangeIndex)
    left = np.ones(len(text), dtype=bool)

    def take(m: np.ndarray, parsed: np.ndarray, tokens: pd.Series | None) -> None:
        ok = ~np.isnat(parsed)
        rows = np.flatnonzero(m)[ok]
        ts[pos[rows]] = parsed[ok]
        if tokens is not None:
            off[pos[rows]] = offset_minutes(tokens[ok]).to_numpy()
        left[rows] = False

    # Epoch numbers: UTC instants (offset 0, so --timezone converts them rather than reading them as wall clock).
    m = _mask(text.str.match(_EPOCH_RE))
    if m.any():
        parsed, instants = _number_times(pd.to_numeric(text[m], errors="coerce"))
        take(m, parsed, None)
        if instants:
            off[pos[np.flatnonzero(m)[~np.isnat(parsed)]]] = 0.0

    # Twitter API "Tue Oct 31 22:11:45 +0000 2017": rearranged by fixed positions into ISO 8601.
    m = left & _mask(text.str.match(_TWITTER_RE))
    if m.any():
        rows = text[m]
        month = rows.str[4:7].map(_MONTHS).astype(_STR)
        iso = rows.str[-4:] + "-" + month + "-" + rows.str[8:10] + "T" + rows.str[11:19] + rows.str[-10:-5]
        parsed = pd.to_datetime(iso, format="ISO8601", errors="coerce", utc=True)
        take(m, _utc_ns(parsed), rows.str[-10:-5])

    # ISO 8601, also "2015-02-24 11:35:52 -0800", "... UTC", "... PST": zones made numeric.
    m = left & _mask(text.str.match(_ISO_RE))
    if m.any():
        norm, tokens = _iso_zones(text[m])
        parsed = pd.to_datetime(norm, format="ISO8601", errors="coerce", utc=True)
        take(m, _utc_ns(parsed), tokens)

    order = _leftovers(text[left], pos[left], ts, off, bad) if left.any() else None
    out = _result(index, ts, off, bad)
    out.attrs["date_order"] = order  # how numeric dates were read (``date_order``), for the ingest report
    return out
