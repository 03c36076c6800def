"""Typed configuration of an event run (``EventConfig``): input columns, matrix, NMF, profiles.

Values come from the defaults below, then a ``--config`` file (YAML or JSON, same nesting), then
command-line flags. Unknown keys are errors (``extra="forbid"``), so a typo never silently runs the
defaults. The config is written into the run's ``manifest.json``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ml.ingest.where import WHERE_HELP, WhereItems
from ml.runtime.configfile import ConfigFile


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventInputConfig(_Section):
    """Which columns hold what. Lists of columns are joined (``AAA|2013J|28400``)."""

    layout: Literal["auto", "rows", "matrix"] = Field(
        "auto", description="rows: one event per row; matrix: event counts in columns; auto: rows when an "
                            "event column is mapped or found")
    user_cols: list[str] | None = Field(None, description="user key column(s); None: detect")
    event_cols: list[str] | None = Field(
        None, description="rows layout: event-name column(s), joined with '|'; matrix layout: the count "
                          "columns (None: every numeric column that is not a key, time or total)")
    time_col: str | None = Field(None, description="timestamp or day offset; None: detect")
    count_col: str | None = Field(None, description="rows layout: a per-row count (e.g. sum_click); None = 1")
    group_cols: list[str] | None = Field(None, description="cohort (e.g. module+presentation) for normalising")
    outcome_col: str | None = Field(None, description="evaluation only: never used for fitting")
    outcome_file: str | None = Field(None, description="table holding the outcome, joined on user_cols")
    outcome_key_cols: list[str] | None = Field(None, description="key column(s) in outcome_file (default user_cols)")
    outcome_bins: list[float] | None = Field(None, description="cut a numeric outcome at these edges")
    outcome_names: dict[str, str] | None = Field(
        None, description="what outcome values mean, shown in their place (KDD Cup 2015: {'1': 'dropped out', "
                          "'0': 'completed'}); values not named stay as written")
    event_lookup: str | None = Field(None, description="table mapping an id column of the rows to event names")
    event_lookup_key: str | None = None
    event_lookup_value: str | None = None
    assume_year: int | None = Field(
        None, ge=1900, le=2200, description="year for timestamps written without one ('11 May, 09:44'); None: hours only, "
                          "no weekdays")
    timezone: str | None = Field(
        None, description="IANA zone (Europe/Dublin) the hours and weekdays are read in: times with an offset are "
                          "converted, times without one read as that zone's clock; None: each time's own offset, "
                          "else as written")
    min_users: int = Field(20, ge=5, description="fewer kept users than this is an error")
    where: WhereItems = Field(default_factory=list, description=WHERE_HELP)


class MatrixConfig(_Section):
    window_start: float | None = Field(None, description="first day kept (days from the origin: the data's day 0, "
                                                         "for a log of dates its first event's date)")
    window_end: float | None = Field(None, description="days before this are kept (exclusive)")
    window_origin: Literal["data", "user"] = Field(
        "data", description="data: day offsets as given (timestamps: days since the first event); user: days "
                            "since each user's own first event")
    min_user_events: int = Field(5, ge=1, description="users with fewer events in the window are dropped")
    max_events: int = Field(30, ge=2, description="keep at most this many event types, by reach")
    min_reach: float = Field(0.01, ge=0.0, lt=1.0, description="event types done by fewer users are near-empty")
    min_spread: float = Field(0.05, ge=0.0, description="event types whose log-count std is below this are "
                                                       "near-constant")
    weighting: Literal["log", "tfidf", "raw"] = Field("log", description="log1p counts; tfidf: log1p × idf")
    group_normalize: bool = Field(True, description="divide each event column by its mean within the user's "
                                                    "group (needs group_cols)")
    row_normalize: Literal["l1", "l2", "none"] = Field("l1", description="per-user scaling after weighting")

    @model_validator(mode="after")
    def _window(self):
        if self.window_start is not None and self.window_end is not None and self.window_end <= self.window_start:
            raise ValueError(f"--window-end {self.window_end:g} must be after --window-start {self.window_start:g} "
                             "(matrix.window_end / window_start, in days: the window keeps days from its start up "
                             "to, not including, its end)")
        return self


class NMFConfig(_Section):
    k: int | None = Field(None, ge=2, description="fix the number of personas; None: choose by CV")
    k_min: int = Field(2, ge=2)
    k_max: int = Field(8, ge=2)
    cv_folds: int = Field(5, ge=2, description="random masks of held-out matrix entries per k")
    cv_holdout: float = Field(0.1, gt=0.0, lt=0.5, description="share of entries held out per mask")
    cv_max_users: int = Field(4000, ge=100, description="users sampled for the CV (speed)")
    cv_iter: int = Field(100, ge=20)
    one_se: bool = Field(False, description="pick the smallest k within one standard error of the best "
                                              "instead of the best")
    min_persona_share: float = Field(0.02, ge=0.0, lt=0.5, description="a k whose smallest persona is below "
                                                                       "this share is not chosen")
    max_iter: int = Field(500, ge=50)
    init: Literal["nndsvda", "nndsvd", "nndsvdar", "random"] = "nndsvda"
    mixed_margin: float = Field(0.15, ge=0.0, lt=1.0, description="best − second membership share below "
                                                                   "this flags a user as mixed")
    silhouette_sample: int = Field(4000, ge=100)

    @model_validator(mode="after")
    def _range(self):
        if self.k_max < self.k_min:
            raise ValueError(f"k_max ({self.k_max}) must be >= k_min ({self.k_min})")
        return self


class EventProfileConfig(_Section):
    n_top_events: int = Field(6, ge=1, le=30)
    n_evidence: int = Field(6, ge=1, le=20)
    n_highlights: int = Field(4, ge=0, le=12)
    min_effect: float = Field(0.5, ge=0.0, description=(
        "|standardized difference| an event count needs to be said in words (a highlight): Cohen's medium effect, "
        "as conversation runs' profile.min_highlight_effect"))
    n_peak_hours: int = Field(3, ge=1, le=24)
    day_bin: int = Field(7, ge=1, description="days per bin of the day-offset activity curve")


class EventConfig(ConfigFile):
    """Every knob of an event run; ``from_file``/``validated``/``updated`` come from ``ConfigFile``."""

    seed: int = 42
    input: EventInputConfig = EventInputConfig()
    matrix: MatrixConfig = MatrixConfig()
    nmf: NMFConfig = NMFConfig()
    profile: EventProfileConfig = EventProfileConfig()
