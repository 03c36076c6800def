"""When a persona is active: 24-hour and weekday counts beside the population's.

Input: the member frame's ``local_hour`` and ``local_weekday`` (in the run's time basis: local time where
the source gives offsets, UTC where it gives none, or the ``--timezone`` zone; ``ml.ingest.timebasis``; NA without
a timestamp) and persona labels. Output per persona (``activity_profile``):

- ``time_basis``: the clock of the hours and weekdays ("UTC", "local" or an IANA zone; ``None``: unknown),
  given as ``ActivityProfiler(time_basis=...)``, so every chart and sentence can say which it is.

- ``has_timestamps``: whether the data has any timestamp. When False, ``hourly``/``weekday`` and the
  population curves are ``None`` and ``note`` says so, instead of showing a flat or borrowed curve.
- ``hourly`` (24 ints) and ``weekday`` (7 ints, 0 = Monday): counts of this persona's members with a
  timestamp, so ``sum(hourly) == timestamped_members``.
- ``population_hourly`` / ``population_weekday``: the same counts over all kept members.
- ``peak_hours``: the busiest hours, at most ``n_peak_hours``, each above every hour left out and holding two
  members or more (``_peaks``: a tie at the cut leaves all tied hours out), ``population_peak_hours``.
- ``peak_weekdays``: at most two days, busiest first by count, each holding more of the persona's
  members than an even spread would (over 1/7). The busiest day always does, unless all seven are equal;
  the second is named only when it does too, so a day is never named for a few members ("mostly on
  Tuesday and Sunday" with 4 % on Sunday). Whether the busiest day is a habit or the dates the dump
  covers is for the reader, who gets both shares (``ml.profile.describe.days_with_shares``).
- ``hourly_difference``: total-variation distance between the persona's and the population's hour
  shares (0 = same shape, 1 = disjoint), and ``weekday_difference`` likewise.
- ``peak_lift``: share of the persona's members in its peak hours divided by the population's share in
  the same hours.
- ``population_weekday_dates``: for each weekday (0 = Monday) the calendar dates the data covers it on, in
  the run's clock: ``{dates, busiest_date, busiest_share}`` (how many dates, the date with the most members and
  its share of that weekday's members); None when unknown. A weekday share is a habit only over several
  weeks that each count: over a dump of nine days each weekday is one or two dates, and in a dump where one
  Tuesday holds 89 % of the Tuesday members, "Tuesday" is that date (an outage, a campaign). Such a day
  (``date_bound_days``: fewer than ``MIN_WEEKDAY_DATES`` dates, or one date above half) is described with
  the reason, and no strategy recommends it and no name says "Weekend".
- ``weekday_dates``: the same for the persona's own members: a persona whose Tuesday members all wrote on one
  date (a one-day burst) has a date, not a Tuesday habit, even where the data's Tuesdays are many.
- ``busiest_date``: the date most of the persona's members wrote on (ISO), ``busiest_date_share`` their share and
  ``population_busiest_date_share`` everyone's share of that date: above half, the persona is a one-day
  burst (Chipotle's Halloween promotion) and the description says so instead of naming a weekday.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.ingest.timebasis import clock_words
from ml.profile.dates import (  # the rules live there (no heavy imports, for the contract); re-exported here
    MIN_WEEKDAY_DATES,  # noqa: F401
    date_bound,
    date_bound_reason,  # noqa: F401
)

# the note of a persona whose data's timestamps are dates without a time of day (``ml.ingest.timebasis.dates_only``)
DATES_ONLY_NOTE = "The data's timestamps are dates without a time of day, so no hour or weekday pattern is shown."

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _int_column(members: pd.DataFrame, name: str, upper: int) -> np.ndarray:
    """Column as float array with NaN for missing/out-of-range values."""
    if name not in members.columns:
        return np.full(len(members), np.nan)
    vals = pd.to_numeric(members[name], errors="coerce").astype("float64").to_numpy(copy=True)
    vals[(vals < 0) | (vals >= upper)] = np.nan
    return np.floor(vals)


def _local_dates(members: pd.DataFrame, weekdays: np.ndarray) -> np.ndarray:
    """Each member's calendar date in the run's clock (days since 1970-01-01; NaN without one): the column
    ``local_date`` where given (event rows), else the UTC date of ``timestamp`` moved by at most a day to fall
    on the member's ``local_weekday`` (the local clock is within a day of UTC)."""
    if "local_date" in members.columns:
        return np.floor(pd.to_numeric(members["local_date"], errors="coerce").to_numpy(dtype="float64"))
    if "timestamp" not in members.columns:
        return np.full(len(members), np.nan)
    stamps = pd.to_datetime(members["timestamp"], utc=True, errors="coerce")
    utc_day = np.floor(((stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds() / 86400).to_numpy(dtype="float64"))
    shift = (weekdays - (utc_day + 3) % 7 + 3) % 7 - 3  # 1970-01-01 was a Thursday (3): -1, 0 or +1 day
    return utc_day + shift


def _dates_per_weekday(dates: np.ndarray, weekdays: np.ndarray) -> list[dict] | None:
    """Each weekday's dates (``population_weekday_dates``), None when no member has both a date and a weekday."""
    ok = ~np.isnan(dates) & ~np.isnan(weekdays)
    if not ok.any():
        return None
    out = []
    for d in range(7):
        days, counts = np.unique(dates[ok & (weekdays == d)], return_counts=True)
        top = int(np.argmax(counts)) if len(days) else None
        out.append({"dates": len(days),
                    "busiest_date": None if top is None else str(np.datetime64(int(days[top]), "D")),
                    "busiest_share": 0.0 if top is None else round(float(counts[top] / counts.sum()), 4)})
    return out


def date_bound_by(act: dict, day: int) -> tuple[str, dict] | None:
    """Why weekday ``day`` is its dates: ``("data", entry)`` when the whole data's ``day`` is (a short dump, an
    outage day), else ``("persona", entry)`` when the persona's own is (a one-day burst); None when neither, or
    the profile predates the dates (a run stored before 2026-12-05)."""
    for who, key in (("data", "population_weekday_dates"), ("persona", "weekday_dates")):
        per_day = act.get(key)
        if per_day and date_bound(per_day[day]):
            return who, per_day[day]
    return None


def date_bound_days(act: dict, days: list[int]) -> list[int]:
    """The ``days`` that are dates rather than a habit, for the data or for the persona (``date_bound_by``)."""
    return [d for d in days if date_bound_by(act, d) is not None]


def _counts(values: np.ndarray, size: int) -> np.ndarray:
    ok = ~np.isnan(values)
    return np.bincount(values[ok].astype(int), minlength=size)[:size]


def _tv(a: np.ndarray, b: np.ndarray) -> float | None:
    if a.sum() == 0 or b.sum() == 0:
        return None
    return float(0.5 * np.abs(a / a.sum() - b / b.sum()).sum())


def _peaks(counts: np.ndarray, n: int) -> list[int]:
    """Up to ``n`` hours, each holding more members than every hour left out and at least two: hours tied at the
    cut are all left out (a support review: "busiest at 01:00, 02:00 and 04:00" were three of four hours with two
    members each of a 12-member persona, and the strategy scheduled sends for them), and so is an hour of one
    member. None may be left; the description and the strategy then name no hour."""
    if counts.sum() == 0:
        return []
    ranked = np.sort(counts)[::-1]
    cut = ranked[n] if len(ranked) > n else 0
    return sorted(int(h) for h in np.flatnonzero((counts > cut) & (counts >= 2)))


def _busy_days(counts: np.ndarray, n: int = 2) -> list[int]:
    """Up to ``n`` weekdays, busiest first, each above an even spread (see the module docstring)."""
    total = counts.sum()
    if total == 0:
        return []
    order = np.argsort(-counts, kind="stable")[:n]
    return [int(d) for d in order if counts[d] * 7 > total]


class ActivityProfiler:
    """Hour/weekday counts per persona. ``fit(members, labels)`` then ``profile(persona_id)``."""

    def __init__(self, n_peak_hours: int = 3, time_basis: str | None = None):
        self.n_peak_hours = n_peak_hours
        self.time_basis = time_basis

    def fit(self, members: pd.DataFrame, labels) -> ActivityProfiler:
        self.labels_ = np.asarray(labels)
        self.hours_ = _int_column(members, "local_hour", 24)
        self.weekdays_ = _int_column(members, "local_weekday", 7)
        self.has_timestamps_ = bool((~np.isnan(self.hours_)).any())
        stamps = members["timestamp"] if "timestamp" in members else pd.Series(dtype="datetime64[ns, UTC]")
        self.dates_only_ = not self.has_timestamps_ and bool(stamps.notna().any())  # dates without a time of day
        self.population_hourly_ = _counts(self.hours_, 24)
        self.population_weekday_ = _counts(self.weekdays_, 7)
        self.dates_ = _local_dates(members, self.weekdays_)
        self.weekday_dates_ = _dates_per_weekday(self.dates_, self.weekdays_)
        days, counts = np.unique(self.dates_[~np.isnan(self.dates_)], return_counts=True)
        self.date_counts_ = dict(zip(days.tolist(), counts.tolist(), strict=True))  # members per date, everyone
        # Saturday or Sunday is its dates: a "weekend" behaviour would be those dates' (False when unknown)
        self.few_weekends_ = bool(self.weekday_dates_) and any(date_bound(d) for d in self.weekday_dates_[5:])
        return self

    def _busiest_date(self, mask: np.ndarray) -> dict:
        """The date most of the persona's members wrote on, its share of them and everyone's share of that date
        (all None without dates)."""
        dates = self.dates_[mask]
        dates = dates[~np.isnan(dates)]
        if not len(dates) or not self.date_counts_:
            return {"busiest_date": None, "busiest_date_share": None, "population_busiest_date_share": None}
        days, counts = np.unique(dates, return_counts=True)
        top = int(np.argmax(counts))
        return {"busiest_date": str(np.datetime64(int(days[top]), "D")),  # shares of all members, dated or not
                "busiest_date_share": round(float(counts[top] / mask.sum()), 4),
                "population_busiest_date_share": round(self.date_counts_[days[top]] / len(self.dates_), 4)}

    def profile(self, persona_id) -> dict:
        if not hasattr(self, "labels_"):
            raise RuntimeError("ActivityProfiler is not fitted: call fit(members, labels) first")
        if not self.has_timestamps_:
            return {
                "has_timestamps": False,
                "time_basis": self.time_basis,
                "note": DATES_ONLY_NOTE if self.dates_only_ else
                        "The data has no timestamps, so no activity pattern can be shown.",
                "timestamped_members": 0,
                "hourly": None,
                "weekday": None,
                "population_hourly": None,
                "population_weekday": None,
                "population_weekday_dates": None,
                "weekday_dates": None,
                "busiest_date": None,
                "busiest_date_share": None,
                "population_busiest_date_share": None,
                "peak_hours": [],
                "population_peak_hours": [],
                "peak_weekdays": [],
                "hourly_difference": None,
                "weekday_difference": None,
                "peak_lift": None,
            }
        mask = self.labels_ == persona_id
        hourly = _counts(self.hours_[mask], 24)
        weekday = _counts(self.weekdays_[mask], 7)
        peaks = _peaks(hourly, self.n_peak_hours)
        pop = self.population_hourly_
        lift = None
        if peaks and hourly.sum() and pop.sum() and pop[peaks].sum():
            lift = float((hourly[peaks].sum() / hourly.sum()) / (pop[peaks].sum() / pop.sum()))
        n_ts = int(hourly.sum())
        return {
            "has_timestamps": True,
            "time_basis": self.time_basis,
            "note": None if n_ts else "None of this persona's members has a timestamp.",
            "timestamped_members": n_ts,
            "hourly": hourly.astype(int).tolist(),
            "weekday": weekday.astype(int).tolist(),
            "population_hourly": pop.astype(int).tolist(),
            "population_weekday": self.population_weekday_.astype(int).tolist(),
            "population_weekday_dates": self.weekday_dates_,
            "weekday_dates": _dates_per_weekday(self.dates_[mask], self.weekdays_[mask]),
            **self._busiest_date(mask),
            "peak_hours": peaks,
            "population_peak_hours": _peaks(pop, self.n_peak_hours),
            "peak_weekdays": _busy_days(weekday),
            "hourly_difference": _tv(hourly, pop),
            "weekday_difference": _tv(weekday, self.population_weekday_),
            "peak_lift": lift,
        }


def format_hours(hours: list[int], basis: str | None | bool = False) -> str:
    """[22, 23, 0] → "22:00, 23:00 and 00:00"; with a ``basis`` (``ml.ingest.timebasis``) the clock follows:
    "22:00, 23:00 and 00:00 UTC" ("local time", "Europe/London time"; ``None``: "(UTC or local time,
    unknown)"). The default ``False`` leaves the clock out."""
    parts = [f"{h:02d}:00" for h in hours]
    text = "".join(parts) if len(parts) <= 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    if basis is False or not parts:
        return text
    return f"{text} {clock_words(basis)}"
