"""Per-row filter signals (`ml.filtering.rows`): the forked path equals the in-process one, the filter's
result does not depend on which ran, and the faster patterns match exactly what the old ones matched."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ml.filtering.rows as rows
from ml.filtering import FilterConfig, QualityFilter
from ml.filtering.text import HANDLE_RE, HASHTAG_RE, as_text, collapse_spaces
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


def test_forked_signals_equal_in_process(messages):
    texts = as_text(messages["text"])
    cfg = FilterConfig()
    alone = rows.row_signals(texts, cfg, workers=1)
    forked = rows.row_signals(texts, cfg, workers=3, parallel_from=0)  # uneven chunks, three processes
    _same(alone, forked)
    # real signals, not all-empty: the sample has duplicates' keys, retweets, short and non-English texts
    assert alone.has_bands.mean() > 0.9 and alone.bands[alone.has_bands].any(axis=1).all()
    assert alone.bad_length.any() and alone.non_english.any() and (alone.plain_words > 0).mean() > 0.5


def test_filter_result_does_not_depend_on_workers(messages, monkeypatch):
    alone = QualityFilter()
    kept_alone = alone.fit_transform(messages)
    monkeypatch.setattr(rows, "PARALLEL_FROM", 0)
    monkeypatch.setattr(rows, "usable_cores", lambda: 2)
    calls = []
    real = rows.row_signals

    def spy(texts, cfg, workers=None, parallel_from=rows.PARALLEL_FROM):
        calls.append(len(texts))
        return real(texts, cfg, workers=workers, parallel_from=0)

    monkeypatch.setattr("ml.filtering.quality.row_signals", spy)
    forked = QualityFilter()
    kept_forked = forked.fit_transform(messages)
    assert calls == [len(messages)]
    assert kept_forked.index.equals(kept_alone.index)
    assert forked.report_ == alone.report_ and forked.templates_ == alone.templates_
    assert forked.transform(messages).index.equals(kept_alone.index)  # transform reads the same signals


def test_disabled_stages_give_neutral_signals(messages):
    off = {s: {"enabled": False} for s in ("near_duplicates", "retweets_forwards", "length", "templates",
                                           "non_english")}
    sig = rows.row_signals(as_text(messages["text"]).head(50), FilterConfig.model_validate(off))
    assert not sig.has_bands.any() and not sig.forward.any() and not sig.bad_length.any()
    assert not sig.non_english.any() and set(sig.skeletons) == {""}


TRICKY = ["@a hi", "x@b.com", "@@c", "a@d", ".@e yes", "(@f) #g", "##h", "a#i", "#j#k", "@ l", "é@m",
          "1@n", "_@o", "@p@q", "#@r", "@#s", "", "@", "#", "héllo @ünï #ñ"]


def test_literal_first_patterns_match_the_old_ones():
    for new, old in ((HANDLE_RE, r"(?<![\w@])@\w+"), (HASHTAG_RE, r"(?<![\w#])#\w+")):
        for text in TRICKY:
            assert [m.span() for m in re.finditer(new, text)] == [m.span() for m in re.finditer(old, text)], text


def test_collapse_spaces_is_the_regex_for_every_whitespace_character():
    spaces = [chr(c) for c in range(sys.maxunicode + 1) if re.fullmatch(r"\s", chr(c))]
    assert spaces == [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    texts = pd.Series([f"{s}a{s}{s}b {s}" for s in spaces] + ["  x  y ", "", "z"], dtype="str")
    expected = [re.sub(r"\s+", " ", t).strip() for t in texts]
    assert collapse_spaces(texts).tolist() == expected
