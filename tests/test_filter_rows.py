"""Per-row filter signals (`ml.filtering.rows`): the forked path equals the in-process one, the filter's
result does not depend on which ran, and the faster patterns match exactly what the old ones matched."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml import forked as forking
from ml.filtering import FilterConfig, QualityFilter, language, rows
from ml.filtering.language import non_english_mask
from ml.filtering.near_duplicates import NearDuplicateIndex
from ml.filtering.quality import STAGES, unique_keys
from ml.filtering.text import (
    HANDLE_RE,
    HASHTAG_RE,
    as_text,
    collapse_spaces,
    fillers,
    normalize,
    skeleton,
    word_count,
)
from ml.ingest.load import load_messages

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "twcs_sample.csv"


@pytest.fixture(scope="module")
def messages() -> pd.DataFrame:
    return load_messages([SAMPLE])[0]


def _same(a: rows.RowSignals, b: rows.RowSignals) -> None:
    assert len(a) == len(b)
    for name in ("keys", "skeletons", "fills"):
        assert getattr(a, name).tolist() == getattr(b, name).tolist(), name
    for name in ("plain_words", "has_bands", "bands", "forward", "bad_length", "non_english"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


@pytest.fixture
def fresh_language_cache(tmp_path, monkeypatch):
    """An empty cache folder and no scorer loaded yet: workers score (and build the tables) themselves."""
    monkeypatch.setenv("PERSONAS_CACHE_DIR", str(tmp_path))
    language._batch_scorer.cache_clear()
    yield tmp_path
    language._batch_scorer.cache_clear()


def test_forked_signals_equal_in_process(messages, fresh_language_cache, tmp_path, monkeypatch):
    texts = as_text(messages["text"])
    cfg = FilterConfig()
    pids = tmp_path / "pids"
    real = rows._compute

    def noting(*args, **kwargs):  # runs in the workers: each notes its process id
        with open(pids, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        return real(*args, **kwargs)

    monkeypatch.setattr(rows, "_compute", noting)
    forked = rows.row_signals(texts, cfg, workers=3, parallel_from=0)  # uneven chunks, three processes first
    workers = set(pids.read_text().split())
    assert len(workers) >= 2 and str(os.getpid()) not in workers  # each builds the language tables: ~1 s
    monkeypatch.setattr(rows, "_compute", real)
    alone = rows.row_signals(texts, cfg, workers=1)
    _same(alone, forked)
    # real signals, not all-empty: the sample has duplicates' keys, retweets, short and non-English texts
    assert alone.has_bands.mean() > 0.9 and alone.bands[alone.has_bands].any(axis=1).all()
    assert alone.bad_length.any() and alone.non_english.any() and (alone.plain_words > 0).mean() > 0.5


def _reference(qf: QualityFilter, messages: pd.DataFrame, learn: bool) -> tuple[np.ndarray, list[int]]:
    """The stage-by-stage cascade over the rows in the filter's canonical order (time, text, id), as positions of
    ``messages``."""
    from ml.filtering.quality import canonical_order

    order = canonical_order(messages)
    if order is None:
        return _in_order(qf, messages, learn)
    positions, removed = _in_order(qf, messages.iloc[order].reset_index(drop=True), learn)
    return np.sort(order[positions]), removed


def _in_order(qf: QualityFilter, messages: pd.DataFrame, learn: bool) -> tuple[np.ndarray, list[int]]:
    """The cascade as it ran before per-row signals: each stage computed on the rows still alive, with the
    stage's own functions. Returns the kept positions and the rows each stage removed; on fit, also checks
    the learned templates."""
    cfg = FilterConfig()
    ids = unique_keys(messages["message_id"])
    texts = as_text(messages["text"]).reset_index(drop=True)
    keys = normalize(texts)
    if learn:
        sk = skeleton(texts)
        plain = word_count(sk.str.replace(r"<\w+>", " ", regex=True))
        frame = pd.DataFrame({"sk": sk, "fill": fillers(texts), "author": messages["author"].to_numpy()})
        stats = frame[plain >= cfg.templates.min_words].groupby("sk", sort=False).agg(
            n=("fill", "size"), authors=("author", "nunique"), fills=("fill", "nunique"))
        rule = (stats["n"] >= cfg.templates.min_count) & ((stats["authors"] >= 2) | (stats["fills"] >= 2))
        assert set(stats.index[rule]) == set(qf.templates_)
    alive = np.ones(len(texts), dtype=bool)
    removed = []
    index = NearDuplicateIndex(cfg.near_duplicates)
    for stage in STAGES:
        t, k, i = texts[alive], keys[alive], ids[alive]
        if stage == "exact_duplicates":
            gone = k.duplicated().to_numpy() if learn else (
                (k.map(qf.exact_keepers_).notna() & (k.map(qf.exact_keepers_) != i))
                | (k.map(qf.exact_keepers_).isna() & k.where(k.map(qf.exact_keepers_).isna()).duplicated())
            ).to_numpy()
        elif stage == "near_duplicates":
            gone = (index if learn else qf.near_index_).scan(i, k, learn=learn)
        elif stage == "retweets_forwards":
            gone = rows.forward_mask(t, cfg.retweets_forwards.min_own_words)
        elif stage == "length":
            gone = rows._bad_length(t, cfg)
        elif stage == "templates":
            gone = skeleton(t).isin(qf.templates_.keys()).to_numpy()
        else:
            gone = non_english_mask(t, cfg.non_english)
        alive[np.flatnonzero(alive)[gone]] = False
        removed.append(int(gone.sum()))
    return np.flatnonzero(alive), removed


def test_signals_cascade_equals_stage_by_stage_cascade(messages, monkeypatch):
    """Fit, and transform on new rows (copies of fit rows under new and repeated ids, new texts), through the
    forked path, keep exactly the rows the stage-by-stage cascade keeps."""
    monkeypatch.setattr(forking, "PARALLEL_FROM", 0)
    qf = QualityFilter()
    kept = qf.fit_transform(messages)
    positions, removed = _reference(qf, messages, learn=True)
    assert np.array_equal(np.flatnonzero(messages.index.isin(kept.index)), positions)
    assert [r["removed"] for r in qf.report_] == removed
    assert 0 < len(kept) < len(messages) and sum(r > 0 for r in removed) >= 4
    fresh = messages.sample(400, random_state=0).reset_index(drop=True)
    fresh["message_id"] = [f"new{i % 350}" for i in range(len(fresh))]  # new ids, 50 of them repeated
    fresh.loc[:49, "text"] = fresh.loc[:49, "text"] + " and one more thing please"  # near copies
    new = pd.concat([fresh, messages.head(100)], ignore_index=True)  # and rows the fit has seen
    got, report = qf.transform_with_report(new)
    positions, removed = _reference(qf, new, learn=False)
    assert np.array_equal(np.flatnonzero(new.index.isin(got.index)), positions)
    assert [r["removed"] for r in report] == removed and removed[0] > 0 and removed[1] > 0


def test_filter_result_does_not_depend_on_workers(messages, monkeypatch):
    alone = QualityFilter()
    kept_alone = alone.fit_transform(messages)
    monkeypatch.setattr(forking, "PARALLEL_FROM", 0)
    monkeypatch.setattr(forking, "usable_cores", lambda: 2)
    calls = []
    real = rows.row_signals

    def spy(texts, cfg, learn=True, workers=None, parallel_from=None):
        calls.append((len(texts), learn))
        return real(texts, cfg, learn=learn, workers=workers, parallel_from=parallel_from)

    monkeypatch.setattr("ml.filtering.quality.row_signals", spy)
    forked = QualityFilter()
    kept_forked = forked.fit_transform(messages)
    assert kept_forked.index.equals(kept_alone.index)
    assert forked.report_ == alone.report_ and forked.templates_ == alone.templates_
    assert forked.transform(messages).index.equals(kept_alone.index)  # transform reads the same signals
    assert calls == [(len(messages), True), (len(messages), False)]


def test_disabled_stages_give_neutral_signals(messages):
    off = {s: {"enabled": False} for s in ("near_duplicates", "retweets_forwards", "length", "templates",
                                           "non_english")}
    sig = rows.row_signals(as_text(messages["text"]).head(50), FilterConfig.model_validate(off))
    assert not sig.has_bands.any() and not sig.forward.any() and not sig.bad_length.any()
    assert not sig.non_english.any() and set(sig.skeletons) == {""} and sig.bands.shape == (50, 0)


TRICKY = ["@a hi", "x@b.com", "@@c", "a@d", ".@e yes", "(@f) #g", "##h", "a#i", "#j#k", "@ l", "é@m",
          "1@n", "_@o", "@p@q", "#@r", "@#s", "", "@", "#", "héllo @ünï #ñ"]


def test_literal_first_patterns_match_the_old_ones():
    from ml.features.behavioral import _HANDLE, _HASHTAG

    pairs = ((HANDLE_RE, r"(?<![\w@])@\w+"), (HASHTAG_RE, r"(?<![\w#])#\w+"),
             (language._HANDLE_RE, r"(?<!\w)@\w+"), (_HANDLE.pattern, r"(?<![\w@])@\w+"),
             (_HASHTAG.pattern, r"(?<![\w#])#\w+"))
    for new, old in pairs:
        for text in TRICKY:
            assert [m.span() for m in re.finditer(new, text)] == [m.span() for m in re.finditer(old, text)], text


def test_collapse_spaces_is_the_regex_for_every_whitespace_character():
    spaces = [chr(c) for c in range(sys.maxunicode + 1) if re.fullmatch(r"\s", chr(c))]
    assert spaces == [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    texts = pd.Series([f"{s}a{s}{s}b {s}" for s in spaces] + ["  x  y ", "", "z"], dtype="str")
    expected = [re.sub(r"\s+", " ", t).strip() for t in texts]
    assert collapse_spaces(texts).tolist() == expected


def test_the_rows_kept_do_not_depend_on_the_files_row_order(messages):
    """An airline review re-exported one week with its rows shuffled: the near-duplicate stage, which reads a chain of
    near copies in row order, kept 3,977 rows against 3,976, and the comparison of the two runs then spoke of members
    that differ. The stages read the rows by time, text and id."""
    kept = set(QualityFilter().fit_transform(messages)["message_id"])
    for seed in (0, 1):
        shuffled = messages.sample(frac=1.0, random_state=seed)
        again = QualityFilter().fit_transform(shuffled)
        assert set(again["message_id"]) == kept
        assert list(again.index) == [i for i in shuffled.index if i in set(again.index)]  # the file's order kept


def test_a_shuffled_export_gives_the_same_members_in_the_same_order(tmp_path):
    """An airline review re-exported one week with its rows shuffled and got 42 personas against 38: the filters and
    the layout read the rows in the file's order. Members now come in the filters' order (time, text, id), so the
    run reads the same members the same way (docs/drift.md)."""
    from ml.runtime.config import PipelineConfig
    from ml.runtime.pipeline import PersonaPipeline
    from tests.fixtures.runs import SAMPLE_TWCS

    rows = pd.read_csv(SAMPLE_TWCS, dtype=str, keep_default_na=False)
    rows = rows[~rows["text"].str.contains("[\r\n]")]  # written back by pandas, a bare CR would end the row early
    original, shuffled = tmp_path / "original.csv", tmp_path / "shuffled.csv"
    rows.to_csv(original, index=False)
    rows.sample(frac=1.0, random_state=5).to_csv(shuffled, index=False)
    cfg = PipelineConfig().updated({"input": {"inbound_only": True}})
    a = PersonaPipeline(cfg, progress=False).select([original]).members
    b = PersonaPipeline(cfg, progress=False).select([shuffled]).members
    assert a["member_id"].tolist() == b["member_id"].tolist() and a["text"].tolist() == b["text"].tolist()
    stamps = pd.to_datetime(a["timestamp"], utc=True)
    assert stamps.is_monotonic_increasing  # time order
