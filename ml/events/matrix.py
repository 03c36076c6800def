"""Users × events matrix: window, minimum activity, key-event selection, weighting and normalisation.

``EventMatrix(**MatrixConfig).fit(events)`` takes the long event table of ``ml.events.ingest``
(``user``, ``event``, ``count``, ``day``, ``group``) and learns which event types to keep and how to
weight them. Learned: ``events_`` (kept event types, by reach), ``users_`` (kept user ids), ``counts_``
(raw counts, users × events), ``X_`` (weighted matrix the model is fitted on), ``idf_``,
``column_scale_`` (per group: mean weighted value of each event), ``dropped_`` (event types dropped and
why) and ``report_`` (the filtering stages, each ``{stage, unit, removed, kept, kept_share}``).
``transform(events)`` builds rows for any users (new ones included) with the learned state.

Steps, in order:

1. window: keep events with ``window_start <= day < window_end``; ``day`` is the day offset the data
   gives (OULAD's days from the course start), for a log of dates (``fit(events, calendar=True)``) days since
   its first event's date (``day_zero_``, learned: "--window-end 14" is the log's first two weeks, and
   ``transform`` keeps the same dates), or, with ``window_origin="user"``, days since the user's own first event;
2. min_activity: drop users with fewer than ``min_user_events`` events in the window;
3. key_events: drop event types done by fewer than ``min_reach`` of the users (near-empty) or whose
   per-user log count varies less than ``min_spread`` (near-constant: it tells nobody apart), then
   keep the ``max_events`` with the largest reach; users left with no kept event are dropped too;
4. weighting: ``log`` = log1p(count), ``tfidf`` = log1p(count) × smoothed idf, ``raw`` = count;
5. column scaling (``group_normalize``): each event column divided by its mean among the users of
   the same group who did that event (e.g. OULAD module-presentation; the whole population without
   groups), so a persona means "uses X more than others on the same course" rather than "took a course
   whose design has a lot of X". The mean over doers, not over everybody, keeps a rare event from being
   blown up by a tiny denominator (a plain column mean of 0.01 would turn one click into 70);
6. row normalisation: ``l1`` (a user's mix of events, volume removed), ``l2`` or ``none``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ml.runtime.errors import TooFewRowsError


def _not_events(events: pd.DataFrame) -> str | None:
    """What the event column holds when it cannot name events, as the fix to say, else None: one value for every row
    (OULAD's ``code_presentation``), or a value per user (an enrolment id: each done by one user only). An events review
    got "widen the window, lower matrix.min_user_events or min_reach" for both."""
    values = events["event"].astype(str)
    distinct = values.nunique()
    if distinct <= 1:
        one = values.iloc[0] if len(values) else ""
        return (f"the event column holds one value ({one[:30]!r}) in every row, which names no kind of event: pass "
                "the column that says what users did as --event-col")
    users_per_event = events.groupby(values)["user"].nunique()
    if distinct >= 20 and (users_per_event <= 1).mean() >= 0.9:
        return (f"each of the event column's {distinct:,} values is done by one user only, as an id's would be: if it "
                "is not what users did, pass that column as --event-col; else widen the window or lower "
                "matrix.min_reach")
    return None


def _stage(stage: str, unit: str, before: int, after: int, **extra) -> dict:
    out = {"stage": stage, "unit": unit, "removed": int(before - after), "kept": int(after),
           "kept_share": round(after / before, 4) if before else 0.0}
    out.update(extra)
    return out


class EventMatrix(BaseEstimator):
    """See the module docstring. ``fit(events)`` → self; ``transform(events)`` → (user ids, X, counts)."""

    def __init__(self, window_start=None, window_end=None, window_origin="data", min_user_events=5,
                 max_events=30, min_reach=0.01, min_spread=0.05, weighting="log", group_normalize=True,
                 row_normalize="l1", min_users=20):
        self.window_start = window_start
        self.window_end = window_end
        self.window_origin = window_origin
        self.min_user_events = min_user_events
        self.max_events = max_events
        self.min_reach = min_reach
        self.min_spread = min_spread
        self.weighting = weighting
        self.group_normalize = group_normalize
        self.row_normalize = row_normalize
        self.min_users = min_users

    # -- steps ------------------------------------------------------------------------------------
    def _window(self, events: pd.DataFrame) -> pd.DataFrame:
        if self.window_start is None and self.window_end is None:
            return events
        day = events["day"].to_numpy(dtype=float)
        if np.isnan(day).all():
            from ml.runtime.errors import InputError

            raise InputError("a window (matrix.window_start/window_end) needs a time column: map it with "
                             "--time-col or drop the window")
        if self.window_origin == "user":
            day = day - events.groupby("user")["day"].transform("min").to_numpy(dtype=float)
        else:  # a log of dates counts from its first date (days since 1970 threw every event away); 0: offsets
            day = day - getattr(self, "day_zero_", 0.0)
        keep = np.ones(len(events), dtype=bool)
        if self.window_start is not None:
            keep &= day >= self.window_start
        if self.window_end is not None:
            keep &= day < self.window_end
        return events[keep]

    @staticmethod
    def _pivot(events: pd.DataFrame, users: pd.Index, names: list[str]) -> np.ndarray:
        u_codes = users.get_indexer(events["user"])  # -1: not a known user / event type
        e_codes = pd.Index(names).get_indexer(events["event"])
        ok = (u_codes >= 0) & (e_codes >= 0)
        out = np.zeros((len(users), len(names)), dtype=np.float64)
        np.add.at(out, (u_codes[ok], e_codes[ok]), events["count"].to_numpy(dtype=np.float64)[ok])
        return out

    def _weigh(self, counts: np.ndarray, groups: np.ndarray) -> np.ndarray:
        X = counts if self.weighting == "raw" else np.log1p(counts)
        if self.weighting == "tfidf":
            X = X * self.idf_
        if self.group_normalize:
            scale = np.vstack([self.column_scale_.get(g, self.column_scale_[None]) for g in groups]) \
                if len(groups) else np.ones((0, X.shape[1]))
            X = np.divide(X, scale, out=np.zeros_like(X), where=scale > 0)
        if self.row_normalize != "none":
            norm = X.sum(axis=1) if self.row_normalize == "l1" else np.sqrt((X ** 2).sum(axis=1))
            X = np.divide(X, norm[:, None], out=np.zeros_like(X), where=norm[:, None] > 0)
        return X

    @staticmethod
    def _doer_mean(values: np.ndarray) -> np.ndarray:
        """Per column: mean over the users who did the event (0 when nobody did)."""
        doers = (values > 0).sum(axis=0)
        return np.divide(values.sum(axis=0), doers, out=np.zeros(values.shape[1]), where=doers > 0)

    # -- estimator ------------------------------------------------------------------------------
    def fit(self, events: pd.DataFrame, calendar: bool = False, known_events: list[str] | None = None) -> EventMatrix:
        """``calendar``: ``events["day"]`` holds dates (days since 1970), not the data's own day offsets; a window
        with ``window_origin="data"`` then counts days from the first event's date (``day_zero_``).
        ``known_events``: every event type the files hold, those with no event too (a matrix layout's all-zero
        columns): each one absent from the kept users' events is listed in ``dropped_`` ("no events")."""
        n_events_in = int(events["count"].sum())
        users_in = events["user"].nunique()
        if users_in < self.min_users:  # said as read: "only 0 users … left" for a file of one user (an events review)
            raise TooFewRowsError(
                f"only {users_in:,} user{'s' * (users_in != 1)} in the data ({n_events_in:,} events); at least "
                f"{self.min_users} users are needed: supply more data", n_rows=users_in, min_rows=self.min_users)
        first = np.nanmin(events["day"].to_numpy(dtype=float)) if calendar and len(events) else np.nan
        self.day_zero_ = float(np.floor(first)) if np.isfinite(first) else 0.0
        windowed = self._window(events)
        since = ({"since": str(np.datetime64(int(self.day_zero_), "D"))}
                 if self.day_zero_ and self.window_origin == "data"
                 and (self.window_start is not None or self.window_end is not None) else {})
        report = [_stage("window", "events", n_events_in, int(windowed["count"].sum()),
                         window=[self.window_start, self.window_end], origin=self.window_origin, **since)]
        totals = windowed.groupby("user")["count"].sum()
        active = totals.index[totals >= self.min_user_events]
        kept_events = round(float(totals[totals >= self.min_user_events].sum()))
        report.append(_stage("min_activity", "users", users_in, len(active), min_user_events=self.min_user_events,
                             events_removed=round(float(windowed["count"].sum())) - kept_events,
                             events_kept=kept_events))
        windowed = windowed[windowed["user"].isin(active)]
        names_all = sorted(windowed["event"].unique().tolist())
        counts = self._pivot(windowed, pd.Index(sorted(active)), names_all)
        keep, dropped, reach = self._key_events(counts, names_all)
        absent = sorted(set(map(str, known_events or [])) - set(map(str, names_all)))
        in_data = set(map(str, events["event"].unique()))  # some events, all outside the window
        dropped += [{"event": name, "reason": "no events in the window" if name in in_data else "no events",
                     "reach": 0.0, "log_count_std": 0.0} for name in absent]
        self.events_ = [names_all[j] for j in keep]
        self.reach_ = {names_all[j]: round(float(reach[j]), 4) for j in keep}
        self.dropped_ = dropped
        before = round(float(counts.sum()))
        counts = counts[:, keep]
        nonempty = counts.sum(axis=1) > 0
        user_ids = np.asarray(sorted(active), dtype=object)
        self.n_events_kept_ = round(float(counts.sum()))  # the users left empty add none
        report.append(_stage("key_events", "event types", len(names_all) + len(absent), len(keep), dropped=dropped,
                             users_removed=int((~nonempty).sum()), events_removed=before - self.n_events_kept_,
                             events_kept=self.n_events_kept_))
        self.users_ = user_ids[nonempty]
        self.counts_ = counts[nonempty]
        if len(self.users_) < self.min_users or len(self.events_) < 2:
            left = (f"only {len(self.users_)} users and {len(self.events_)} event types left after the window, "
                    f"min-activity ({self.min_user_events} events) and key-event selection; at least "
                    f"{self.min_users} users and 2 event types are needed")
            cause = _not_events(events)  # the cause first, where the event column is what is wrong
            raise TooFewRowsError(f"{cause} ({left})" if cause else f"{left}: widen the window, lower "
                                  "matrix.min_user_events or min_reach, or supply more data",
                                  n_rows=len(self.users_), min_rows=self.min_users)
        self._fit_weights(events)
        self.report_ = report
        return self

    def _fit_weights(self, events: pd.DataFrame) -> None:
        """The kept users' groups, the idf, the per-group column scales and the weighted matrix ``X_``."""
        group_of = events.drop_duplicates("user").set_index("user")["group"]
        self.groups_ = group_of.reindex(self.users_).to_numpy(dtype=object)
        logc = np.log1p(self.counts_)
        df = (self.counts_ > 0).sum(axis=0)
        self.idf_ = np.log((1 + len(self.users_)) / (1 + df)) + 1.0
        base = self.counts_ if self.weighting == "raw" else logc * (self.idf_ if self.weighting == "tfidf" else 1)
        self.column_scale_ = {None: self._doer_mean(base)}
        if self.group_normalize:
            for g in pd.unique(self.groups_):
                if g is not None and not (isinstance(g, float) and np.isnan(g)):
                    self.column_scale_[g] = self._doer_mean(base[self.groups_ == g])
        self.X_ = self._weigh(self.counts_, self.groups_)

    def _key_events(self, counts: np.ndarray, names_all: list[str]) -> tuple[list[int], list[dict], np.ndarray]:
        """The event types kept (column positions, most users first, at most ``max_events``), those dropped
        with why (near-empty: reach under ``min_reach``; near-constant: log-count spread under ``min_spread``;
        beyond the top by reach) and every type's reach (share of users who did it)."""
        reach = (counts > 0).mean(axis=0) if len(counts) else np.zeros(len(names_all))
        spread = np.log1p(counts).std(axis=0) if len(counts) else np.zeros(len(names_all))
        dropped, keep = [], []
        for j, name in enumerate(names_all):
            why = "near-empty" if reach[j] < self.min_reach else "near-constant" if spread[j] < self.min_spread \
                else None
            if why:
                dropped.append({"event": name, "reason": why, "reach": round(float(reach[j]), 4),
                                "log_count_std": round(float(spread[j]), 4)})
            else:
                keep.append(j)
        keep.sort(key=lambda j: (-reach[j], names_all[j]))
        for j in keep[self.max_events:]:
            dropped.append({"event": names_all[j], "reason": f"beyond the top {self.max_events} by reach",
                            "reach": round(float(reach[j]), 4), "log_count_std": round(float(spread[j]), 4)})
        return keep[: self.max_events], dropped, reach

    def window_totals(self, events: pd.DataFrame) -> pd.Series:
        """Each user's events of every type inside the run's window (user id as text → count): what ``fit``
        held against ``min_user_events``."""
        windowed = self._window(events)
        return windowed.groupby(windowed["user"].astype(str))["count"].sum()

    def transform(self, events: pd.DataFrame, groups: dict | None = None):
        """(user ids in first-seen order, weighted X, raw counts) for the users in ``events``."""
        check_is_fitted(self, "events_")
        windowed = self._window(events)
        users = pd.Index(pd.unique(events["user"].astype(str)))
        counts = self._pivot(windowed.assign(user=windowed["user"].astype(str)), users, self.events_)
        if groups is None and "group" in events:
            groups = events.drop_duplicates("user").set_index(events.drop_duplicates("user")["user"].astype(str))[
                "group"].to_dict()
        g = np.asarray([(groups or {}).get(u) for u in users], dtype=object)
        return users.to_numpy(dtype=object), self._weigh(counts, g), counts
