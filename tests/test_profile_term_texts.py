"""Terms, n-grams and names are read from the masked texts (``build_profiles(term_texts=...)``): a person's
name the masker finds in members' texts never becomes a term, while the raw texts would make it one."""

from __future__ import annotations

import pytest

from ml.profile import ProfileConfig, build_profiles
from ml.profile.masking import mask_texts
from tests.test_profile_inputs import _build, banking_members


@pytest.mark.shared
def test_a_name_the_masker_finds_never_becomes_a_term():
    base = _build(banking_members(), k=4)
    members, labels = base["members"].copy(), base["labels"]
    target = labels[0]
    rows = [i for i, lab in enumerate(labels) if lab == target][:40]
    members.loc[rows, "text"] = [f"{t} Thanks, my name is Trevor Hansen" for t in members.loc[rows, "text"]]
    masked = mask_texts(members["text"].tolist())
    assert all("Trevor" not in masked[i] and "[name]" in masked[i] for i in rows)

    def shown_words(profiles) -> set[str]:
        words = set()
        for p in profiles:
            for t in p["top_terms"] + p["top_ngrams"]:
                words |= set(t["term"].split())
            words |= set(p["name"].lower().split())
        return words

    args = (members, base["features"], labels, base["reassigned"], _embeddings(members))
    raw = build_profiles(*args, ProfileConfig())
    assert {"trevor", "hansen"} & shown_words(raw)  # the raw texts would show the name
    safe = build_profiles(*args, ProfileConfig(), term_texts=masked)
    assert not {"trevor", "hansen", "name"} & shown_words(safe)
    assert [p["size"] for p in safe] == [p["size"] for p in raw]
    for p in safe:  # evidence is still real member text, masked
        assert all("Trevor" not in e["text"] for e in p["evidence"])


def test_term_texts_must_align_with_members():
    import numpy as np
    import pandas as pd

    from ml.runtime.errors import InputError

    members = pd.DataFrame({"member_id": ["a", "b"], "text": ["one two", "three four"]})
    with pytest.raises(InputError, match="term_texts has 1 texts but members has 2 rows"):
        build_profiles(members, np.zeros((2, 36)), np.array([0, 0]), np.array([False, False]),
                       np.eye(2, 4), ProfileConfig(), term_texts=["one"])


def _embeddings(members):
    from tests.test_profile_inputs import embed

    return embed(members["text"].tolist())


def test_dm_is_a_term():
    """TWCS: a persona of which 49 % wrote "DM" was named "Brief: sent & send" while "dm" was a stop word."""
    from ml.profile.terms import ClassTfidf

    texts = ["sent you a dm", "check your dm please", "i sent a dm yesterday", "dm sent with my order number",
             "my parcel is late again", "parcel never arrived", "where is my parcel", "late parcel, no tracking"]
    words = ClassTfidf((1, 1), 1).fit(texts, [0, 0, 0, 0, 1, 1, 1, 1])
    assert words.top_terms(0, 1)[0][0] == "dm" and words.top_terms(1, 1)[0][0] == "parcel"
