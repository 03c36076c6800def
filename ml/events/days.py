"""Event activity by day: each persona's share of its events per bin of days against everyone's
(``DayActivity``), and the sentence that names its busiest stretch (``busiest_stretch``). Days are the event rows'
``day`` (``ml.events.timecol``: days since 1970 on the run's clock for dates, or the data's own day offsets)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.events.timecol import PLACEHOLDER_YEAR


def _iso_day(day: float | None) -> str | None:
    """Days since 1970-01-01 → "2014-05-25" (None for None)."""
    return None if day is None else str(np.datetime64(int(np.floor(day)), "D"))


class DayActivity:
    """Share of a persona's events per bin of ``bin_days`` days, beside the population's. ``calendar``: the days
    are dates (days since 1970-01-01; else offsets as the data gives them), then ``start_date`` / ``peak_date`` say
    which; ``year_known``: False for dates written without a year (read in a placeholder year)."""

    def __init__(self, bin_days: int = 7, calendar: bool = False, year_known: bool = True):
        self.bin_days = bin_days
        self.calendar = calendar
        self.year_known = year_known

    def fit(self, rows: pd.DataFrame, label_of: dict) -> DayActivity:
        day = rows["day"].to_numpy(dtype=float)
        ok = ~np.isnan(day)
        self.start_ = float(np.floor(day[ok].min())) if ok.any() else 0.0
        self.bins_ = np.floor((day - self.start_) / self.bin_days)
        self.n_bins_ = int(np.nanmax(self.bins_)) + 1 if ok.any() else 0
        self.ok_ = ok
        self.count_ = rows["count"].to_numpy(dtype=float)
        self.label_ = rows["user"].map(label_of).to_numpy()
        self.population_ = self._curve(ok)
        return self

    def _curve(self, mask: np.ndarray) -> list[float]:
        b = self.bins_[mask].astype(int)
        c = np.bincount(b, weights=self.count_[mask], minlength=self.n_bins_)
        return [round(float(v), 5) for v in (c / c.sum() if c.sum() else c)]

    def profile(self, pid) -> dict:
        curve = self._curve(self.ok_ & (self.label_ == pid))
        peak = int(np.argmax(curve)) if curve and max(curve) > 0 else None
        peak_day = None if peak is None else self.start_ + peak * self.bin_days
        return {"bin_days": self.bin_days, "start_day": self.start_, "persona": curve,
                "population": self.population_, "peak_day": peak_day,
                "difference": round(0.5 * float(np.abs(np.subtract(curve, self.population_)).sum()), 4),
                "start_date": _iso_day(self.start_) if self.calendar else None,
                "peak_date": _iso_day(peak_day) if self.calendar else None,
                "year_known": self.year_known if self.calendar else None}


def busiest_stretch(by_day: dict, resolution: str | None = None) -> str:
    """"Its busiest 7-day stretch starts on 25 May 2014." (dates; "25 May" without a year), or at a day offset as
    the data gives them ("starts at day 16 of the data's day offsets"). ``resolution`` (the activity's): profiles
    stored before ``peak_date`` existed get their date from ``peak_day`` when the days are dates (the placeholder
    year of yearless data is not written)."""
    bin_days, peak = by_day["bin_days"], by_day.get("peak_date")
    if not peak and resolution in ("hour", "day") and by_day.get("peak_day") is not None:
        peak = _iso_day(by_day["peak_day"])
    if peak:
        day = pd.Timestamp(peak)
        year_known = by_day.get("year_known")
        if year_known is None:
            year_known = day.year != PLACEHOLDER_YEAR
        when = f"{day.day} {day:%b %Y}" if year_known else f"{day.day} {day:%b} (the dates have no year)"
        pooled = f" (the dates of {by_day['pooled']} pooled: each may have its own)" if by_day.get("pooled") else ""
        return f"Its busiest {bin_days}-day stretch starts on {when}{pooled}."
    return f"Its busiest {bin_days}-day stretch starts at day {by_day['peak_day']:.0f} of the data's day offsets."
