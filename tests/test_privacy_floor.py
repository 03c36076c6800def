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


def test_a_persona_below_the_floor_shows_no_term_one_author_alone_wrote(airline_members):
    """Below the floor the quotes are withheld; a term or phrase only one of its authors wrote would quote them (an
    airline review found one customer's words as a withheld sub-persona's terms). Real tweets of 3 authors."""
    import re

    few, many = _profiles(airline_members)
    texts = airline_members["text"].tolist()
    authors = airline_members["author"].tolist()
    rows = [i for i, lab in enumerate(airline_members["label"]) if lab == 0]
    for item in few["top_terms"] + few["top_ngrams"]:
        word = re.compile(rf"(?<!\w){re.escape(item['term'])}(?!\w)", re.IGNORECASE)
        assert len({authors[i] for i in rows if word.search(texts[i])}) >= 2, item
    open_ = _profiles(airline_members, min_evidence_authors=1)[0]  # the same persona with the floor off
    assert len(open_["top_terms"]) > len(few["top_terms"])  # the case arises: some terms were one author's
    assert [t["term"] for t in many["top_terms"]] == [t["term"] for t in _profiles(airline_members)[1]["top_terms"]]


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
    assert privacy_floor(None, 5) == {"distinct_authors": None, "top_author_members": None, "top_author_messages": None,
                                      "message_count": None, "evidence_withheld": False, "evidence_withheld_reason": None}


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


def test_one_author_writing_most_of_a_personas_messages_is_said():
    """A TWCS `--unit author` review: one account wrote 55 of a persona's ~115 messages, and nothing said so (every
    member is one author, so the members rule cannot see it). The messages of its most prolific author count too."""
    from ml.profile.describe import one_voice_sentence
    from ml.profile.evidence import privacy_floor

    authors = ["lidl"] + [f"c{i}" for i in range(21)]
    fields = privacy_floor(authors, 5, [55] + [3] * 20 + [0])
    assert fields["top_author_members"] == 1 and fields["top_author_messages"] == 55 and fields["message_count"] == 115
    said = one_voice_sentence({"size": 22, **fields})
    assert said == "One author writes 55 of its 115 messages (48%): read it as much as one customer's voice as a segment."
    spread = privacy_floor(authors, 5, [5] * 22)
    assert one_voice_sentence({"size": 22, **spread}) is None
    alone = privacy_floor(["a"] * 3, 5, [10, 10, 10])  # one author in all: the members rule says it
    assert one_voice_sentence({"size": 3, **alone}).startswith("One author accounts for 3 of its 3 members")
