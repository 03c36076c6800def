"""`QualityFilter`: six filter stages that run in order over the canonical message frame.

In: the message frame of CONTRACTS §1 (needs `message_id`, `text`; uses `author` when present).
Out: the kept rows (same columns, original order and index) and `report_`, one entry per stage:
`{stage, enabled, input, removed, kept, kept_share, examples}` where `kept_share` = rows kept after the stage
/ rows given to the filter, and `examples` are up to 3 removed `{message_id, text}` (masked, 160 chars).

What `fit` learns: the first message_id of each normalised text (exact duplicates), the MinHash-LSH index of
kept texts (near duplicates) and the template skeletons (counted over *all* fit rows, before duplicates are
removed: otherwise stage 1 would hide how often a brand auto-reply recurs). `transform` applies them to any
frame; on the fit frame it removes exactly what fit did. The stage logic and the choice of stage 6 are
described in `ml.filtering` (package docstring).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ml.filtering.config import FilterConfig
from ml.filtering.near_duplicates import NearDuplicateIndex
from ml.filtering.rows import RowSignals, forward_mask, row_signals
from ml.filtering.text import as_text
from ml.runtime.errors import InputError

STAGES = ("exact_duplicates", "near_duplicates", "retweets_forwards", "length", "templates", "non_english")
__all__ = ["STAGES", "QualityFilter", "display_text", "forward_mask", "unique_keys"]
_VERDICTS = {"retweets_forwards": "forward", "length": "bad_length", "non_english": "non_english"}  # RowSignals


def canonical_order(messages: pd.DataFrame) -> np.ndarray | None:
    """Row positions by time (unknown last), then text, then message id, where the messages have timestamps; None
    without any (the file's order is then the only "first") or when the frame is in that order. The stages read
    the rows in it, so the earliest of near duplicates is kept and a file's row order changes nothing: an airline
    review's re-export of one week, its rows shuffled, kept 3,977 members against 3,976 (a chain of near copies is
    read in row order), and every comparison of the two then spoke of members that differ."""
    if "timestamp" not in messages.columns:
        return None
    stamps = pd.to_datetime(messages["timestamp"].reset_index(drop=True), utc=True, errors="coerce")
    if stamps.isna().all():
        return None
    t = stamps.dt.tz_convert(None).to_numpy().view("i8").copy()
    t[stamps.isna().to_numpy()] = np.iinfo(np.int64).max  # unknown times last
    order = np.argsort(t, kind="stable")
    ts = t[order]
    cuts = np.flatnonzero(np.diff(ts)) + 1  # runs of equal times: ordered by text, then id, within each
    starts, ends = np.r_[0, cuts], np.r_[cuts, len(ts)]
    tied = np.flatnonzero(ends - starts > 1)
    if len(tied):
        text = as_text(messages["text"]).to_numpy(dtype=object)
        ids = messages["message_id"].astype(str).to_numpy(dtype=object)
        for k in tied:
            run = order[starts[k]:ends[k]]
            order[starts[k]:ends[k]] = sorted(run, key=lambda i: (text[i], ids[i]))
    return None if (order == np.arange(len(order))).all() else order


def display_text(texts: pd.Series, limit: int = 160) -> pd.Series:
    """Texts safe to show in the manifest's examples: personal data masked as in evidence (``ml.profile.pii``,
    its name rules without the name model, which the run's own process never loads); cut to `limit` chars."""
    from ml.profile.pii import PiiMasker

    texts = as_text(texts)
    out = pd.Series(PiiMasker(names="rules", cache_dir="").mask_many(texts.tolist()), index=texts.index, dtype=object)
    return out.where(out.str.len() <= limit, out.str.slice(0, limit - 1) + "…")


def unique_keys(message_ids: pd.Series) -> pd.Series:
    """message_id as str, with repeats of an id made unique ("<id>#dup<k>") so every row has its own key."""
    ids = message_ids.astype(str).reset_index(drop=True)
    rank = ids.groupby(ids, sort=False).cumcount()
    return ids.where(rank == 0, ids + "#dup" + rank.astype(str))


class QualityFilter(BaseEstimator):
    """Six-stage quality filter over messages (estimator style).

    Parameters: `config` — a `FilterConfig` (or a dict of its fields, or None for defaults).
    Learned: `report_` (list of 6 stage dicts), `exact_keepers_` (normalised text -> first message_id),
    `near_index_` (`NearDuplicateIndex`), `templates_` (skeleton -> count), `n_input_`.
    """

    def __init__(self, config: FilterConfig | dict | None = None) -> None:
        self.config = config

    # ----------------------------------------------------------------- public API
    def fit(self, messages: pd.DataFrame, y=None) -> QualityFilter:
        """Learn duplicate keys, the LSH index and template skeletons from `messages`; returns self."""
        self._run(messages, learn=True)
        return self

    def fit_transform(self, messages: pd.DataFrame, y=None) -> pd.DataFrame:
        """Fit on `messages` and return its kept rows."""
        return self._run(messages, learn=True)

    def transform(self, messages: pd.DataFrame) -> pd.DataFrame:
        """Return the rows of `messages` that pass all enabled stages under the fitted state."""
        return self.transform_with_report(messages)[0]

    def transform_with_report(self, messages: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
        """Like `transform`, also returning the per-stage report for this frame."""
        check_is_fitted(self, "report_")
        kept, report = self._cascade(messages, learn=False)
        return kept, report

    # ----------------------------------------------------------------- internals
    def _cfg(self) -> FilterConfig:
        if self.config is None:
            return FilterConfig()
        if isinstance(self.config, FilterConfig):
            return self.config
        return FilterConfig.model_validate(self.config)

    def _run(self, messages: pd.DataFrame, learn: bool) -> pd.DataFrame:
        cfg = self._cfg()
        self.exact_keepers_: dict[str, str] = {}
        self.near_index_ = NearDuplicateIndex(cfg.near_duplicates)
        self.templates_: dict[str, int] = {}
        self.n_input_ = len(messages)
        kept, report = self._cascade(messages, learn=learn)
        self.report_ = report
        return kept

    @staticmethod
    def _validate(messages: pd.DataFrame) -> None:
        if not isinstance(messages, pd.DataFrame):
            raise TypeError(
                f"QualityFilter expects a pandas DataFrame of messages, got {type(messages).__name__}"
            )
        missing = [c for c in ("message_id", "text") if c not in messages.columns]
        if missing:
            raise InputError(f"message frame lacks column(s) {missing}: load it with ml.ingest.load.load_messages")

    def _learn_templates(self, sig: RowSignals, authors: pd.Series | None) -> None:
        tcfg = self._cfg().templates
        frame = pd.DataFrame({"sk": sig.skeletons, "fill": sig.fills, "author": authors})
        frame = frame[sig.plain_words >= tcfg.min_words]
        stats = frame.groupby("sk", sort=False).agg(
            n=("fill", "size"), authors=("author", "nunique"), fills=("fill", "nunique")
        )
        is_template = (stats["n"] >= tcfg.min_count) & ((stats["authors"] >= 2) | (stats["fills"] >= 2))
        self.templates_ = stats.loc[is_template, "n"].astype(int).sort_values(ascending=False).to_dict()

    def _cascade(self, messages: pd.DataFrame, learn: bool) -> tuple[pd.DataFrame, list[dict]]:
        self._validate(messages)
        order = canonical_order(messages)
        alive, report = self._stages(messages if order is None else messages.iloc[order], learn)
        keep = np.flatnonzero(alive) if order is None else np.sort(order[alive])
        kept = messages.iloc[keep]
        # the kept rows' own canonical order (positions in ``kept``), for the members (ml.runtime.selection); None:
        # the file's order, as canonical_order gives it for rows none of whose times is known
        timed = order is not None and pd.to_datetime(kept["timestamp"], utc=True, errors="coerce").notna().any()
        self.kept_order_ = np.searchsorted(keep, order[alive]) if timed else None
        return kept, report

    def _stages(self, messages: pd.DataFrame, learn: bool) -> tuple[np.ndarray, list[dict]]:
        """The stages over ``messages`` in their row order: which rows are kept (a mask) and the report."""
        cfg = self._cfg()
        ids = unique_keys(messages["message_id"])
        raw_ids = messages["message_id"].astype(str).reset_index(drop=True)
        texts = as_text(messages["text"]).reset_index(drop=True)
        authors = messages["author"].reset_index(drop=True) if "author" in messages.columns else None
        n = len(messages)
        sig = row_signals(texts, cfg, learn=learn)  # every per-row signal at once, on all cores for many rows
        if learn and cfg.templates.enabled:
            self._learn_templates(sig, authors)

        alive = np.ones(n, dtype=bool)
        report: list[dict] = []
        for stage in STAGES:
            stage_cfg = getattr(cfg, stage)
            n_in = int(alive.sum())
            removed = np.zeros(n, dtype=bool)
            if stage_cfg.enabled and n_in:
                removed[alive] = self._stage_mask(stage, ids[alive], sig, alive, learn)
            alive &= ~removed
            shown = display_text(texts[removed].head(3))
            report.append(
                {
                    "stage": stage,
                    "enabled": stage_cfg.enabled,
                    "input": n_in,
                    "removed": int(removed.sum()),
                    "kept": int(alive.sum()),
                    "kept_share": float(alive.sum() / n) if n else 1.0,
                    "examples": [
                        {"message_id": mid, "text": txt}
                        for mid, txt in zip(raw_ids[removed].head(3).tolist(), shown.tolist(), strict=True)
                    ],
                }
            )
        return alive, report

    def _stage_mask(self, stage: str, ids: pd.Series, sig: RowSignals, alive: np.ndarray,
                    learn: bool) -> np.ndarray:
        """Removal mask (aligned with the `alive` rows) for one stage, from the rows' signals."""
        if stage == "exact_duplicates":
            keys = sig.keys[alive]
            if learn:
                first = ~keys.duplicated()
                self.exact_keepers_ = dict(zip(keys[first].tolist(), ids[first].tolist(), strict=True))
                return (~first).to_numpy()
            keeper = keys.map(self.exact_keepers_)
            unknown = keeper.isna()
            dup_unknown = unknown & keys.where(unknown).duplicated()
            return ((~unknown & (keeper != ids)) | dup_unknown).to_numpy()
        if stage == "near_duplicates":
            has = sig.has_bands[alive]
            bands = (np.flatnonzero(has), sig.bands[alive][has])
            return self.near_index_.scan(ids, sig.keys[alive], learn=learn, bands=bands)
        if stage == "templates":
            return sig.skeletons[alive].isin(self.templates_.keys()).to_numpy()
        if stage in _VERDICTS:
            return getattr(sig, _VERDICTS[stage])[alive]
        raise ValueError(f"unknown filter stage {stage!r}")  # pragma: no cover


_WHY = {  # what a stage that removed most of a dump means for the user
    "non_english": "the text model and the word lists read English only, so texts in other languages cannot "
                   "be grouped into personas",
    "exact_duplicates": "the texts repeat word for word, digits and case aside",
    "near_duplicates": "the texts are near copies of each other",
    "length": "the texts are too short or too long (filtering.length)",
    "templates": "the texts share one template (filtering.templates)",
    "retweets_forwards": "the texts are retweets or forwards",
}


def largest_removal(report: list[dict]) -> str:
    """One sentence on the stages of ``QualityFilter.report_`` behind an error that says too few were left:
    every stage that removed at least half of the rows that reached it, in the order they ran ("the
    non_english stage removed 232 of 232 (…); filtering: {non_english: {enabled: false}} in --config turns it
    off"). Turning off one of several would not help: 300 numbers lose 296 to the exact duplicates (one text
    once digits are set aside) and the last 4 to the length stage, so both are named. Empty when no stage
    removed at least half of what reached it (then the filters are not why so few were left: the data, or the
    unit, is)."""
    most = [s for s in report if s.get("removed", 0) and 2 * s["removed"] >= max(s.get("input", 0), 1)]
    if not most:
        return ""
    said = [f"the {s['stage']} stage removed {s['removed']:,} of {s['input']:,} ({_WHY.get(s['stage'], 'see the manifest')})"
            for s in most]
    switches = ", ".join(f"{s['stage']}: {{enabled: false}}" for s in most)
    return (", then ".join(said) + f"; filtering: {{{switches}}} in --config turns {'it' if len(most) == 1 else 'them'} off")
