"""The run's time basis: what the hours and weekdays of a run are measured in.

Timestamps are stored in UTC; ``local_hour``/``local_weekday`` (``ml.ingest.timeparse``) are the wall clock of
the offset written in each value, or UTC when a value carries none. So whether "14:00" means the
customer's afternoon depends on the data, and every hour a run shows or writes says which it is.

``TimeBasis(timezone=None).fit(messages)`` reads the ingest frame's ``timestamp`` and ``utc_offset_min``
and learns ``basis_``:

- ``"local"``: timestamps carry non-zero offsets that differ between values (daylight saving, authors in
  several zones): hours are each author's own wall clock (values without an offset, if any, are read as
  UTC; ``note_`` counts them);
- a fixed offset such as ``"UTC-08:00"``: every timestamp carries the same non-zero offset (the airline set
  writes ``-0800`` for authors all over the US): that is the exporter's clock as likely as the authors', so
  the hours are named by the offset, not called local, and no clock word reads them as the customer's day;
- ``"UTC"``: every parsed offset is zero or absent (Customer Support on Twitter writes ``+0000``, the
  server's clock, not the customer's);
- the IANA zone given as ``timezone`` (``--timezone America/New_York``, validated with ``zoneinfo``):
  ``transform`` converts every timestamp with a written offset to that zone (daylight saving included) and
  reads every timestamp written without one as that zone's wall clock (a help desk's account time, a phone's:
  ``timestamp`` becomes the UTC instant it was), rewriting ``local_hour``, ``local_weekday`` and
  ``utc_offset_min``; for a known market;
- ``None`` when no value parsed as a timestamp, or the timestamps are dates without a time of day.

Some time columns hold no times of writing, and are judged as a whole (``not_times``, ``dates_only``; at least
``MIN_STAMPS`` values): every row at the same instant (an export's time) or every value in 1970 (a count or an
id read as seconds since 1970) is not read at all (``ignored_``, the note says why: the run has no timestamps);
every value at midnight (dates written without a time) keeps its dates but no hour (``dates_only_``:
``local_hour`` is NA). Before, each of these gave every persona "busiest at 00:00" (or 11:00) and a fingerprint
of night shares and reply delays measured on no times at all.

``record()`` is the manifest's ``time`` section. ``clock_words(basis)`` is the label every sentence and
chart uses ("UTC", "local time", "UTC-08:00", "America/New_York time"; ``day_clock`` the same after a
weekday: "on Tuesday in UTC"), and ``clock_words_allowed(basis)``
says whether words that read the clock as the customer's day ("Late-night", "Office-hours", "Weekend") may be
used: only in local time or a named zone (a UTC day boundary is hours off for most markets, and so may be a
fixed offset's).
"""

from __future__ import annotations

import datetime
import zoneinfo

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ml.runtime.errors import InputError

UTC, LOCAL = "UTC", "local"
#: Features whose meaning depends on the clock the hours are read in.
CLOCK_FEATURES = ("hour_sin", "hour_cos", "night_share", "business_hours_share", "weekend_share")
_NOTES = {
    UTC: "Every timestamp is UTC (offset +0000 or none written): hours and weekdays are UTC, not the "
         "customers' local time. Pass --timezone Area/City to read them in a market's time (times written "
         "without an offset are then read as that zone's clock).",
    LOCAL: "Timestamps carry non-zero UTC offsets: hours and weekdays are the clock of the offset written in "
           "each timestamp (the authors' local time where the source writes theirs).",
}


def _assumed_utc(absent: int, n: int) -> str:
    """The note of times read as UTC where some or all carry no offset: "Every timestamp is UTC" read as a fact of the
    data on a help-desk export of "2017-10-31 22:10:47" values, which are often the desk's own local time (an analyst
    review, 2026-12-07)."""
    which = "No timestamp carries a UTC offset" if absent == n else f"{absent:,} of {n:,} timestamps carry no UTC offset"
    return (f"{which}: they are read as UTC, which the data does not say (exports often write the "
            "sender's or the system's local time), so hours and weekdays may be off by the difference. Pass --timezone "
            "Area/City and they are read as that zone's clock.")


def fixed_offset(minutes: float) -> str:
    """The basis of a dump whose timestamps all carry one offset: -480 → "UTC-08:00"."""
    text = _offset_text(minutes)
    return f"UTC{text[:3]}:{text[3:]}"


def offset_tz(basis: str | None):
    """A tz for ``pd.Timestamp.tz_localize`` from a basis ("UTC", "UTC+01:00", "Europe/Dublin"): the inverse of
    ``fixed_offset`` for a fixed offset; None for "local" (each time's own offset) and an unknown clock."""
    if basis in (None, LOCAL):
        return None
    if basis == UTC:
        return datetime.UTC
    if is_fixed_offset(basis):
        return datetime.timezone(datetime.timedelta(hours=int(basis[3:6]), minutes=int(basis[3] + basis[7:9])))
    return basis


def is_fixed_offset(basis: str | None) -> bool:
    """Whether ``basis`` is a fixed offset ("UTC-08:00"), not UTC, local time or a zone name."""
    return bool(basis) and len(basis) == 9 and basis.startswith("UTC") and basis[3] in "+-"


def clock_words(basis: str | None) -> str:
    """The words that follow an hour: "UTC", "local time", "UTC-08:00", "Europe/London time", or, for a
    profile made before the basis was recorded, "(UTC or local time, unknown)"."""
    if basis == UTC or is_fixed_offset(basis):
        return basis
    if basis == LOCAL:
        return "local time"
    if basis:
        return f"{basis} time"
    return "(UTC or local time, unknown)"


def day_clock(basis: str | None) -> str:
    """The words that follow a weekday: " in UTC", " in UTC-08:00", " in Europe/London time", nothing in local
    time (each author's own day), or " (UTC or local time, unknown)" for a profile made before the basis was
    recorded: "on Tuesday in UTC (71% of its members; …)"."""
    if basis == LOCAL:
        return ""
    return f" in {clock_words(basis)}" if basis else f" {clock_words(basis)}"


def period_clock(basis: str | None) -> str:
    """The clock a run's dates are shown on (its charts' clock): the fixed offset or zone of ``basis``, UTC
    otherwise (UTC, local time, none: a day in "each author's own clock" is no calendar date)."""
    if is_fixed_offset(basis):
        return basis
    if basis and basis not in (UTC, LOCAL):
        try:
            zoneinfo.ZoneInfo(basis)
            return basis
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return UTC
    return UTC


def day_on_clock(iso: str, clock: str) -> str:
    """The calendar date ("2015-02-16") of an ISO 8601 instant on ``clock`` (``period_clock``'s answer)."""
    stamp = pd.Timestamp(iso)
    stamp = stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)
    if is_fixed_offset(clock):
        sign = -1 if clock[3] == "-" else 1
        stamp = stamp + sign * pd.Timedelta(hours=int(clock[4:6]), minutes=int(clock[7:9]))
    elif clock != UTC:
        stamp = stamp.tz_convert(clock)
    return stamp.strftime("%Y-%m-%d")


def clock_words_allowed(basis: str | None) -> bool:
    """Whether the hours may be read as the customer's day (night, office hours, weekend)."""
    return bool(basis) and basis != UTC and not is_fixed_offset(basis)


# tzdata's legacy abbreviation zones: "EST" is UTC−05:00 all year, not New York's clock ("Japan", "Singapore",
# "Israel" are places' clocks and pass)
_LEGACY = {"EST", "MST", "HST", "CET", "EET", "WET", "MET", "EST5EDT", "CST6CDT", "MST7MDT", "PST8PDT"}


def check_timezone(name: str | None) -> None:
    """Refuses (``InputError`` naming ``--timezone``) a name ``zoneinfo`` does not know, and a legacy abbreviation
    (``_LEGACY``); None passes."""
    if name is None:
        return
    _zone(name)
    if name in _LEGACY:
        raise InputError(f"--timezone {name!r}: a legacy abbreviation, not a place's clock; use the place's "
                         "Area/City name (America/New_York, Europe/Paris), which follows its daylight saving, or UTC")


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError, OSError):  # "America": a folder of tzdata
        raise InputError(f"--timezone {name!r}: not a known IANA time zone; use an Area/City name such as "
                         "Europe/London or America/New_York") from None


class TimeBasis(BaseEstimator):
    """Decides (and with ``timezone`` applies) the clock a run's hours are read in; see the module doc.

    ``fit(messages)`` learns ``basis_``, ``timezone_``, ``note_`` and ``offsets_`` (counts of timestamps
    with a non-zero, a zero and no written offset); ``transform(messages)`` returns the frame with the
    clock columns in ``timezone`` (unchanged without one)."""

    def __init__(self, timezone: str | None = None, origin: str = "--timezone"):
        self.timezone = timezone
        self.origin = origin  # who named the zone, for the note: "--timezone", "as the export says"

    def fit(self, messages: pd.DataFrame, y=None) -> TimeBasis:
        stamps = pd.to_datetime(_column(messages, "timestamp"), utc=True, errors="coerce")  # parsed once for both
        self.ignored_ = not_times(stamps)
        self.dates_only_ = not self.ignored_ and dates_only(stamps, _column(messages, "utc_offset_min"))
        if self.ignored_:
            messages = messages.assign(timestamp=pd.NaT)  # no times: the basis is None, the note says why
        self.timezone_ = None
        if self.timezone:
            if self.origin == "--timezone":
                check_timezone(self.timezone)
            else:
                _zone(self.timezone)  # the export's own zone ("EST" in a survey): taken as it says
            self.timezone_ = self.timezone
        stamped = _column(messages, "timestamp").notna().to_numpy()
        offset = pd.to_numeric(_column(messages, "utc_offset_min"), errors="coerce").to_numpy(float)[stamped]
        nonzero = int((np.nan_to_num(offset) != 0).sum())
        absent = int(np.isnan(offset).sum())
        self.offsets_ = {"nonzero": nonzero, "zero": len(offset) - nonzero - absent, "absent": absent}
        if not stamped.any():
            self.basis_ = None
            self.note_ = f"The time column is not read: {self.ignored_}." if self.ignored_ else \
                "The data has no timestamps."
            return self
        if self.dates_only_:  # the dates as written, in no known clock; nothing to convert
            self.basis_, self.timezone_ = None, None
            self.note_ = ("The timestamps are dates without a time of day (every one at 00:00), so no hour of "
                          "the day is read from them.")
            return self
        elif self.timezone_:
            self.basis_ = self.timezone_
            self.note_ = f"Every timestamp converted to {self.timezone_} ({self.origin}), daylight saving included."
            if absent:
                self.note_ += (f" {absent} written without an offset were read as {self.timezone_} time as written "
                               "(not converted from UTC).")
        else:
            written = np.unique(offset[~np.isnan(offset)])
            if nonzero and not absent and len(written) == 1:  # one clock for everyone: name it, do not call it local
                self.basis_ = fixed_offset(written[0])
                self.note_ = (f"Every timestamp carries the same offset ({_offset_text(written[0])}): hours and "
                              f"weekdays are read on that clock ({self.basis_}), which may be the collector's rather "
                              "than each author's, so they are not called local time. Pass --timezone Area/City to "
                              "read them in a market's time.")
                return self
            self.basis_ = LOCAL if nonzero else UTC
            self.note_ = _NOTES[self.basis_] if nonzero or not absent else _assumed_utc(absent, len(offset))
            if nonzero and absent:
                self.note_ += f" {absent} timestamps without an offset are read as UTC."
        return self

    def transform(self, messages: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "basis_")
        if "timestamp" in messages and (self.ignored_ or self.dates_only_):
            out = messages.copy()
            out["local_hour"] = pd.array([pd.NA] * len(out), dtype="Int64")  # no time of day
            if self.ignored_:  # not times of writing at all
                out["timestamp"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]")
                out["local_weekday"] = pd.array([pd.NA] * len(out), dtype="Int64")
                out["utc_offset_min"] = np.nan
            return out
        if not self.timezone_ or "timestamp" not in messages:
            return messages
        zone = _zone(self.timezone_)
        stamp = pd.to_datetime(messages["timestamp"], utc=True)
        # written without an offset: the time as written is the zone's wall clock (a help desk's account time,
        # a phone's), so it is read in the zone, not converted from UTC
        unzoned = stamp.notna() & pd.to_numeric(_column(messages, "utc_offset_min"), errors="coerce").isna()
        if unzoned.any():
            as_written = stamp[unzoned].dt.tz_localize(None).dt.tz_localize(
                zone, ambiguous=np.zeros(int(unzoned.sum()), dtype=bool), nonexistent="shift_forward")
            stamp = stamp.where(~unzoned, as_written.dt.tz_convert("UTC"))
        wall = stamp.dt.tz_convert(zone)
        out = messages.copy()
        out["timestamp"] = stamp
        out["local_hour"] = wall.dt.hour.astype("Int64")
        out["local_weekday"] = wall.dt.day_of_week.astype("Int64")
        shift = wall.dt.tz_localize(None) - stamp.dt.tz_localize(None)
        out["utc_offset_min"] = (shift.dt.total_seconds() / 60.0).astype("float64")
        return out

    def record(self) -> dict:
        """The manifest's ``time`` section."""
        check_is_fitted(self, "basis_")
        return {"basis": self.basis_, "timezone": self.timezone_, "note": self.note_, "offsets": self.offsets_,
                "ignored": self.ignored_, "dates_only": self.dates_only_}


MIN_STAMPS = 10  # timestamps needed before a column is judged as a whole (constant, 1970, dates only)


def not_times(stamps: pd.Series) -> str | None:
    """Why the parsed timestamps are not times of writing, or None: every one before 1971 (small numbers read as
    seconds since 1970: a count or an id given as the time column), or every one the same instant (an export's
    time); at least ``MIN_STAMPS`` of them. ``stamps``: the frame's ``timestamp``, parsed (UTC)."""
    stamps = stamps.dropna()
    if len(stamps) < MIN_STAMPS:
        return None
    if stamps.max() < pd.Timestamp("1971-01-01", tz="UTC"):
        return ("every value falls before 1971 when read as a date (small numbers read as seconds since 1970, "
                "such as a count or an id): pass --time-col with the column of dates")
    if stamps.nunique() == 1:
        return (f"every row carries the same time ({stamps.iloc[0]:%d %b %Y %H:%M:%S} UTC), an export's time "
                "rather than when each message was written")
    return None


def dates_only(stamps: pd.Series, offsets: pd.Series) -> bool:
    """Whether every timestamp (at least ``MIN_STAMPS``) is a wall-clock midnight: dates written without a time
    of day ("2015-02-24"), whose hour 00:00 is no hour anyone wrote at. ``stamps``: parsed (UTC); ``offsets``: the
    minutes each value's written offset is east of UTC (NaN: none written)."""
    ok = stamps.notna().to_numpy()
    if ok.sum() < MIN_STAMPS:
        return False
    offset = pd.to_numeric(offsets, errors="coerce").fillna(0.0).to_numpy()[ok]
    nanos = stamps[ok].dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").astype("int64")
    wall = nanos + (offset * 60 * 10**9).astype("int64")
    return bool((wall % (86_400 * 10**9) == 0).all())


def _offset_text(minutes: float) -> str:
    """-480 → "-0800"."""
    m = round(float(minutes))
    return f"{'-' if m < 0 else '+'}{abs(m) // 60:02d}{abs(m) % 60:02d}"


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series(np.nan, index=frame.index)


PERIOD_FIELDS = ("first", "last", "p05", "p95")


def period(timestamps) -> dict[str, str | None]:
    """``{"first", "last", "p05", "p95"}``: the earliest and latest of ``timestamps`` (datetimes or ISO strings,
    any offset) and the 5th and 95th percentiles, between which 90% of them lie (a few stray old messages
    stretch ``first`` by years: the bundled sample's run from 29 Aug 2011, 90% of it 30 Oct – 26 Nov 2017),
    as ISO 8601 UTC seconds; ``None`` for all when none parses: the dates a run's data covers."""
    ts = timestamps if isinstance(timestamps, pd.Series) else pd.Series(list(timestamps), dtype=object)
    if not pd.api.types.is_datetime64_any_dtype(ts):
        ts = pd.to_datetime(ts, utc=True, errors="coerce", format="ISO8601")
    elif ts.dt.tz is None:
        ts = ts.dt.tz_localize("UTC")
    else:
        ts = ts.dt.tz_convert("UTC")
    ts = ts.dropna().sort_values(ignore_index=True)
    if ts.empty:
        return dict.fromkeys(PERIOD_FIELDS)
    at = [ts.iloc[0], ts.iloc[-1], ts.iloc[int(0.05 * (len(ts) - 1))], ts.iloc[int(np.ceil(0.95 * (len(ts) - 1)))]]
    return {k: t.isoformat(timespec="seconds") for k, t in zip(PERIOD_FIELDS, at)}
