"""Privacy floor: a persona backed by fewer than `min_evidence_authors` distinct authors shows no evidence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

from ml.profile import ProfileConfig, build_profiles
from ml.profile.evidence import privacy_floor
from ml.profile.fingerprint import feature_specs
from ml.runtime.config import PipelineConfig
from tests.fixtures.data import shared_path


@pytest.fixture(scope="module")
def airline_members() -> pd.DataFrame:
    """Two personas of 40 real tweets each: persona 0 written by 3 authors, persona 1 by 40."""
    df = pd.read_csv(shared_path("twitter_airline_sentiment", "Tweets.csv"))
    top = df["name"].value_counts().index[:3]
    few = df[df["name"].isin(top)].head(40)
    many = df[~df["name"].isin(top)].drop_duplicates("name").head(40)
    both = pd.concat([few, many], ignore_index=True)
    return pd.DataFrame({"member_id": both["tweet_id"].astype(str), "text": both["text"],
                         "author": both["name"], "label": [0] * len(few) + [1] * len(many)})


def _profiles(members: pd.DataFrame, **cfg) -> list[dict]:
    texts = members["text"].tolist()
    emb = TruncatedSVD(16, random_state=0).fit_transform(TfidfVectorizer().fit_transform(texts))
    emb /= np.linalg.norm(emb, axis=1, keepdims=True) + 1e-12
    X = np.random.default_rng(0).normal(size=(len(members), len(feature_specs())))
    labels = members["label"].to_numpy()
    return build_profiles(members.drop(columns="label"), X, labels, np.zeros(len(members), bool), emb,
                          ProfileConfig(**cfg))


def test_persona_with_three_authors_has_no_evidence(airline_members):
    few, many = _profiles(airline_members)
    assert few["distinct_authors"] == 3
    assert few["evidence"] == [] and few["evidence_withheld"] is True
    assert "3 distinct authors" in few["evidence_withheld_reason"]
    assert many["distinct_authors"] == 40
    assert many["evidence_withheld"] is False and many["evidence_withheld_reason"] is None
    assert len(many["evidence"]) >= 5


def test_floor_is_configurable(airline_members):
    few, _ = _profiles(airline_members, min_evidence_authors=3)
    assert few["evidence_withheld"] is False and len(few["evidence"]) >= 5
    _, many = _profiles(airline_members, min_evidence_authors=41)
    assert many["evidence_withheld"] is True and many["evidence"] == []


def test_no_floor_where_authors_are_unknown(airline_members):
    few, _ = _profiles(airline_members.assign(author=None))
    assert few["distinct_authors"] is None and few["evidence_withheld"] is False and few["evidence"]
    few, _ = _profiles(airline_members.drop(columns="author"))
    assert few["distinct_authors"] is None and few["evidence"]


def test_privacy_floor_counts_known_authors_only():
    assert privacy_floor(["a", "b", None, "a", np.nan], 5)["distinct_authors"] == 2
    assert privacy_floor(["a", "b", None, "a", np.nan], 5)["top_author_members"] == 2
    assert privacy_floor(["a", "b", "c", "d", "e"], 5)["evidence_withheld"] is False
    assert privacy_floor(None, 5) == {"distinct_authors": None, "top_author_members": None, "evidence_withheld": False,
                                      "evidence_withheld_reason": None}


def test_a_persona_one_author_fills_says_so():
    """A review found a "persona" of 89 members, 55 of them one blogger's posts: above a third, the description
    says how much one author accounts for."""
    from ml.profile.describe import describe, one_voice_sentence

    base = {"size": 89, "share": 0.02, "core_size": 80, "reassigned_count": 9, "activity": {}}
    sentence = one_voice_sentence({**base, "top_author_members": 55})
    assert sentence == ("One author accounts for 55 of its 89 members (62%): read it as much as one customer's "
                        "thread as a segment.")
    assert sentence in describe({**base, "top_author_members": 55})
    assert one_voice_sentence({**base, "top_author_members": 29}) is None  # a third or less: one voice among many
    assert one_voice_sentence({**base, "top_author_members": None}) is None  # authors unknown
    assert one_voice_sentence(base) is None  # a run before the count


def test_floor_recorded_in_the_run_config():
    cfg = PipelineConfig().model_dump(mode="json")
    assert cfg["profile"]["min_evidence_authors"] == 5
    with pytest.raises(ValueError):
        ProfileConfig(min_evidence_authors=0)
