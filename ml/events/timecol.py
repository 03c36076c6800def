"""Event times at whatever resolution the data has: hours, days, or day offsets.

``parse_event_times(values, assume_year=None) -> (frame, resolution)`` with ``frame`` aligned to
``values`` holding ``day`` (float days from the data's origin: a day offset as given, or days since
1970-01-01 for timestamps; NaN when missing/unparseable), ``hour`` and ``weekday`` (Int64, NA when
the data has no time of day / no calendar date) and ``bad`` (bool: a non-empty value that could not
be read). ``resolution`` is ``"hour"`` (time of day known), ``"day"`` (calendar dates only),
``"offset"`` (integer day offsets such as OULAD's ``date``) or ``"none"``.

Rules: numbers with magnitude below 100 000 are day offsets (OULAD ``date``: -25..269) when more than half the
written values are numbers (the others are then ``bad``, as unreadable times are); larger numbers are epoch times (``ml.ingest.timeparse``). Strings go through ``ml.ingest.timeparse.parse_timestamps``
(ISO 8601, Twitter, dateutil); values that all fall at 00:00 are dates, not times. Strings written
without a year (Moodle's "11 May, 09:44") are read with ``assume_year`` when given; without it they
are placed in the leap year 2000 so that month, day and hour survive, and weekdays are reported as
unknown (a weekday needs the real year).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.ingest.timebasis import TimeBasis
from ml.ingest.timeparse import excel_serials, parse_timestamps

DAY_NS = 86_400 * 10**9
_YEARLESS = ["%d %b, %H:%M", "%d %B, %H:%M", "%d %b %H:%M", "%b %d, %H:%M", "%d %b", "%d/%m %H:%M"]
PLACEHOLDER_YEAR = 2000


def _na_int(n: int) -> pd.Series:
    return pd.Series(pd.array([pd.NA] * n, dtype="Int64"))


def _from_datetimes(ts: pd.Series, bad: np.ndarray, weekday_known: bool = True,
                    offset_min: pd.Series | None = None) -> tuple[pd.DataFrame, str]:
    """Days, hours and weekdays on the wall clock of each value's written offset (``offset_min``, minutes east of
    UTC; none written: UTC), as a conversation run reads its hours (``ml.ingest.timeparse.local_parts``)."""
    ok = ts.notna().to_numpy()
    ns = ts.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").astype("int64") if ts.dt.tz is not None \
        else ts.to_numpy(dtype="datetime64[ns]").astype("int64")
    if offset_min is not None:
        shift = pd.to_numeric(offset_min, errors="coerce").fillna(0.0).to_numpy(dtype=float)
        ns = ns + np.where(ok, np.round(shift * 60) * 10**9, 0).astype("int64")
    wall = pd.Series(np.where(ok, ns, np.iinfo("int64").min).view("datetime64[ns]"))
    day = np.where(ok, ns / DAY_NS, np.nan)
    has_time = bool(ok.any() and (ns[ok] % DAY_NS != 0).any())
    hour = pd.Series(wall.dt.hour.to_numpy(), dtype="Int64") if has_time else _na_int(len(ts))
    weekday = pd.Series(wall.dt.day_of_week.to_numpy(), dtype="Int64") if weekday_known else _na_int(len(ts))
    if not ok.any():
        return _frame(day, _na_int(len(ts)), _na_int(len(ts)), bad), "none"
    return _frame(day, hour, weekday, bad), "hour" if has_time else "day"


def _frame(day, hour, weekday, bad) -> pd.DataFrame:
    return pd.DataFrame({"day": np.asarray(day, dtype=np.float64), "hour": pd.array(hour, dtype="Int64"),
                         "weekday": pd.array(weekday, dtype="Int64"), "bad": np.asarray(bad, dtype=bool)})


def _yearless(text: pd.Series, year: int) -> pd.Series:
    """Parse strings without a year by trying the known layouts with ``year`` prepended."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in _YEARLESS:
        left = out.isna() & text.ne("")
        if not left.any():
            break
        parsed = pd.to_datetime(f"{year} " + text[left], format=f"%Y {fmt}", errors="coerce")
        out[left] = parsed
    return out


def parse_event_times(values: pd.Series, assume_year: int | None = None,
                      timezone: str | None = None) -> tuple[pd.DataFrame, str]:
    """See the module docstring. Unreadable values are marked in ``bad``; only a ``timezone`` zoneinfo does not know
    raises (``InputError``). The clock the hours are read on is ``frame.attrs["time"]`` (``TimeBasis.record()``:
    "UTC" where offsets of zero or epoch numbers say so, a fixed offset, "local", the ``timezone`` given, or None for
    wall clocks written without an offset and day offsets)."""
    values = pd.Series(values).reset_index(drop=True)
    n = len(values)
    empty = values.isna() | values.astype(str).str.strip().eq("")
    numeric = _day_offsets(values, empty)
    if numeric is not None:  # the values that are not numbers are bad times
        bad = (~empty & numeric.isna()).to_numpy(dtype=bool)
        return _frame(numeric.to_numpy(dtype=float), _na_int(n), _na_int(n), bad), "offset"
    parsed = parse_timestamps(values)
    ts = parsed["timestamp"]
    bad = parsed["unparseable"].to_numpy(dtype=bool)
    stamps = pd.DataFrame({"timestamp": ts, "utc_offset_min": parsed["utc_offset_min"]})
    clock = TimeBasis(timezone).fit(stamps)
    written = clock.offsets_["nonzero"] + clock.offsets_["zero"] > 0 or clock.timezone_ is not None
    # the conversation rule that leaves a column of one instant or of 1970 unread does not apply to events, which
    # read it as dates (day offsets are read above): no "not read" in the record of times that are used
    record = _as_written(timezone) if clock.ignored_ else clock.record() if written or clock.basis_ is None \
        else _as_written(None)
    if timezone and clock.basis_ == timezone:  # converted (or read as the zone's wall clock where no offset is written)
        moved = clock.transform(stamps)
        ts, parsed = moved["timestamp"], parsed.assign(utc_offset_min=moved["utc_offset_min"].to_numpy())
    if bad.any():  # the rows that did not read may be yearless ("11 May, 09:44"), whatever the others are
        text = values.astype(str).str.strip().where(~empty, "")
        dated = ts.dropna()
        # the year: the one the caller names, else the dated rows' own (a few yearless rows among dated ones read
        # in 2000 lay 24 years away from them), else the placeholder
        year = assume_year or (int(dated.dt.year.mode().iloc[0]) if len(dated) else PLACEHOLDER_YEAR)
        mostly = bad.sum() > 0.5 * max(1, (~empty).sum())
        alt = _yearless(text if mostly else text.where(pd.Series(bad), ""), year)  # only the rows that need it
        if ts.dt.tz is not None:
            alt = alt.dt.tz_localize(ts.dt.tz)  # on the clock the others' UTC reading uses
        if mostly and alt.notna().sum() > ts.notna().sum():  # mostly yearless: the module's yearless reading
            filled = alt.where(alt.notna(), ts)
            frame, resolution = _from_datetimes(filled, (~empty.to_numpy()) & filled.isna().to_numpy(),
                                                weekday_known=assume_year is not None,
                                                offset_min=parsed["utc_offset_min"])
            # wall clocks of no known zone, unless --timezone names it (read as written, not converted)
            frame.attrs["time"] = _as_written(timezone)
            return frame, resolution
        used = (ts.isna() & alt.notna()).to_numpy()
        if used.any():  # some yearless rows among dated ones (an API batch mixing both was refused by row)
            filled = ts.where(ts.notna(), alt)
            frame, resolution = _from_datetimes(filled, (~empty.to_numpy()) & filled.isna().to_numpy(),
                                                offset_min=parsed["utc_offset_min"])
            frame.attrs["time"] = record
            if assume_year is None:  # a weekday of a year taken from the other rows is a guess: none for those rows
                frame.loc[used, "weekday"] = pd.NA
            return frame, resolution
    frame, resolution = _from_datetimes(ts, bad, offset_min=parsed["utc_offset_min"])
    frame.attrs["time"] = record
    return frame, resolution


def _day_offsets(values: pd.Series, empty: pd.Series) -> pd.Series | None:
    """The values as day offsets (NaN where not a finite number) when more than half the written ones are numbers
    under 100,000 in magnitude and they are not spreadsheet serial dates (45000.5: ``excel_serials``); else None. One
    "day ten" among OULAD's offsets sent the whole column to the timestamp parser, which read -9..262 as seconds of
    1 Jan 1970 and made up hours and weekdays (an events review)."""
    numeric = pd.to_numeric(values.where(~empty), errors="coerce")
    numeric = numeric.where(np.isfinite(numeric))  # "inf" is no day
    if len(values) and numeric.notna().sum() > 0.5 * int((~empty).sum()) and numeric.abs().max() < 100_000 \
            and not excel_serials(numeric.dropna()):
        return numeric
    return None


def reads_as_time(values: pd.Series) -> pd.Series:
    """Per value (strings): whether it reads as a date or time, yearless ones ("11 May, 09:44") included."""
    values = pd.Series(values).reset_index(drop=True)
    return parse_timestamps(values)["timestamp"].notna() | _yearless(values, PLACEHOLDER_YEAR).notna()


def _as_written(timezone: str | None) -> dict:
    """The clock record of wall-clock times written without a year or offset (Moodle's "11 May, 09:44")."""
    if timezone:
        return {"basis": timezone, "timezone": timezone, "note": f"Times are read as {timezone} time as written "
                "(--timezone).", "offsets": None, "ignored": None, "dates_only": False}
    return {"basis": None, "timezone": None, "note": "Times are written without an offset: the clock they were "
            "written on is unknown (--timezone Area/City names it).", "offsets": None, "ignored": None,
            "dates_only": False}
