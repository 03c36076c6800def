"""Per-text caches: language scores read back exactly, without the model; masked texts; a bad folder."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.filtering import language
from ml.filtering.config import NonEnglishConfig
from ml.filtering.language import detector_text, english_scores, non_english_mask
from ml.text_cache import TextCache
from tests.fixtures.data import shared_path


def _tweets(n: int) -> pd.Series:
    path = shared_path("twitter_airline_sentiment", "Tweets.csv")
    return pd.read_csv(path, usecols=["text"])["text"].head(n)


def test_language_scores_come_back_from_the_cache_exactly(tmp_path, monkeypatch):
    langs = tuple(NonEnglishConfig().languages)
    bodies = pd.concat([detector_text(_tweets(1500)),
                        pd.Series(["Hola, ¿dónde está mi maleta?", "Wo ist mein Koffer bitte", "ok ok"])])
    nocache = english_scores(bodies, langs, cache_dir="")
    first = english_scores(bodies, langs, cache_dir=str(tmp_path))
    assert (first[0] == nocache[0]).all() and np.array_equal(first[1], nocache[1])
    assert {"es", "de"} <= set(first[0]) and first[1].min() < 0.05 < first[1].max()

    def no_model(_languages):
        raise AssertionError("py3langid was loaded although every text was cached")

    monkeypatch.setattr(language, "_batch_scorer", no_model)
    again = english_scores(bodies.iloc[::-1], langs, cache_dir=str(tmp_path))
    assert (again[0] == nocache[0][::-1]).all() and np.array_equal(again[1], nocache[1][::-1])
    with pytest.raises(AssertionError, match="py3langid"):
        english_scores(pd.Series(["a text no run has scored before, surely"]), langs, cache_dir=str(tmp_path))
    # another language set is another cache: nothing is read across
    assert TextCache(tmp_path, "x", "y").get(["ok"]) == [None]
    assert english_scores(pd.Series([], dtype=object), langs, cache_dir=str(tmp_path))[0].size == 0


def test_non_english_mask_is_the_same_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PERSONAS_CACHE_DIR", str(tmp_path))
    texts = pd.concat([_tweets(800), pd.Series(["Muchas gracias por nada, el vuelo salió tarde otra vez",
                                                "Das Essen an Bord war wirklich sehr schlecht heute"])])
    cold = non_english_mask(texts, NonEnglishConfig())
    assert list(tmp_path.glob("langid-*.sqlite"))
    warm = non_english_mask(texts, NonEnglishConfig())
    assert cold[-2:].all() and np.array_equal(cold, warm)


def test_unusable_cache_folder_only_costs_time(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = TextCache(blocker, "langid", "v")  # its folder is a file: nothing can be written or read
    cache.put(["a"], ["b"])
    assert cache.get(["a"]) == [None]
    assert TextCache("", "langid", "v").get(["a"]) == [None]
    good = TextCache(tmp_path, "k", "v")
    good.put(["a", "b"], ["1", "2"])
    assert good.get(["b", "c", "a"]) == ["2", None, "1"]
