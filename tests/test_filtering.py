"""QualityFilter: each stage on small synthetic frames, the report's arithmetic, and counts on real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from sklearn.exceptions import NotFittedError

from ml.filtering import STAGES, FilterConfig, QualityFilter
from ml.runtime.errors import InputError
from tests.fixtures.data import shared_path

ONLY = {s: {"enabled": False} for s in STAGES}


def only(*stages: str, **extra) -> FilterConfig:
    """Config with just the named stages on."""
    cfg = {s: {"enabled": s in stages} for s in STAGES}
    for stage, params in extra.items():
        cfg[stage].update(params)
    return FilterConfig.model_validate(cfg)


def frame(texts: list[str], authors: list[str | None] | None = None) -> pd.DataFrame:
    n = len(texts)
    return pd.DataFrame(
        {
            "message_id": [f"m{i}" for i in range(n)],
            "text": texts,
            "author": authors if authors is not None else [f"a{i}" for i in range(n)],
        }
    )


def removed_ids(qf: QualityFilter, df: pd.DataFrame) -> set[str]:
    kept = qf.fit_transform(df)
    return set(df["message_id"]) - set(kept["message_id"])


def check_report(report: list[dict], n: int) -> None:
    assert [r["stage"] for r in report] == list(STAGES)
    running = n
    for r in report:
        assert r["input"] == running and r["kept"] == r["input"] - r["removed"]
        assert r["kept_share"] == pytest.approx(r["kept"] / n)
        assert len(r["examples"]) == min(3, r["removed"])
        assert all(len(e["text"]) <= 160 for e in r["examples"])
        running = r["kept"]
    assert n - sum(r["removed"] for r in report) == report[-1]["kept"]


LONG = (
    "the delivery of my new phone was supposed to arrive on monday but nobody has called me about it at all"
)


def test_exact_duplicates_after_normalisation_keep_first():
    df = frame(
        [
            "My order 123 is late again, @AmazonHelp!",
            "my ORDER 456 is late again https://t.co/x @AmazonHelp",
            "My order is late again and nobody answers",
        ]
    )
    qf = QualityFilter(only("exact_duplicates"))
    assert removed_ids(qf, df) == {"m1"}
    check_report(qf.report_, 3)


def test_lsh_catches_near_duplicates_exact_matching_misses():
    near = LONG.replace("monday", "tuesday")
    df = frame(
        [LONG, near, "completely different text about a refund for a cancelled flight to boston today"]
    )
    assert removed_ids(QualityFilter(only("exact_duplicates")), df) == set()
    qf = QualityFilter(only("exact_duplicates", "near_duplicates"))
    assert removed_ids(qf, df) == {"m1"}
    assert qf.report_[1]["removed"] == 1 and qf.report_[0]["removed"] == 0
    strict = QualityFilter(only("near_duplicates", near_duplicates={"threshold": 0.95}))
    assert removed_ids(strict, df) == set()


def test_near_duplicate_transform_matches_fit_and_catches_new_copies():
    texts = [
        LONG,
        LONG.replace("monday", "friday"),
        "an unrelated complaint about the airline losing my golf clubs",
    ]
    df = frame(texts)
    qf = QualityFilter(only("near_duplicates")).fit(df)
    assert list(qf.transform(df)["message_id"]) == list(qf.fit_transform(df)["message_id"]) == ["m0", "m2"]
    new = pd.DataFrame(
        {"message_id": ["n0", "n1"], "text": [LONG.replace("monday", "sunday"), "hello world again"]}
    )
    assert list(qf.transform(new)["message_id"]) == ["n1"]


def test_retweets_and_forwards():
    df = frame(
        [
            "RT @VirginAmerica: Vibe with the moodlight from takeoff to touchdown",
            "Nice RT @VirginAmerica: Watch nominated films at 35,000 feet",
            "Always have it together!!! You're welcome! RT @VirginAmerica: @x You're so welcome.",
            "Fwd: meeting notes for tomorrow's planning session",
            "“@united: @someone We regret to hear this. ^KN” ok",
            "“@united: @someone We regret to hear this. ^KN” I was finally able to secure my seat. Thx",
            "I will forward the receipt to you tomorrow morning",
        ]
    )
    assert removed_ids(QualityFilter(only("retweets_forwards")), df) == {"m0", "m1", "m3", "m4"}


def test_length_bounds():
    df = frame(
        ["ok thanks", "@a @b https://t.co/x", "x" * 2001, "my card was charged twice for one ride", "a b c"]
    )
    qf = QualityFilter(only("length"))
    assert removed_ids(qf, df) == {"m0", "m1", "m2", "m4"}
    loose = QualityFilter(only("length", length={"min_words": 1, "min_chars": 1, "max_chars": 5000}))
    assert removed_ids(loose, df) == {"m1"}


def test_templates_need_repeats_across_authors_or_fillers():
    auto = [f"@{1000 + i} Hi there, please DM us your order number so we can help ^AB" for i in range(5)]
    spam = ["I really want my refund back right now please"] * 5  # same author, same text: not a template
    short = [f"@brand{i} thanks so much!" for i in range(6)]  # common short phrase: not a template
    df = frame(auto + spam + short, authors=["brand"] * 5 + ["cust"] * 5 + [f"c{i}" for i in range(6)])
    qf = QualityFilter(only("templates"))
    assert removed_ids(qf, df) == {f"m{i}" for i in range(5)}
    assert list(qf.templates_.values()) == [5]
    # with the full cascade, stage 1 removes 4 copies and stage 5 the first one as well
    full = QualityFilter(only("exact_duplicates", "templates"))
    kept = full.fit_transform(df)
    assert not kept["message_id"].isin([f"m{i}" for i in range(5)]).any()
    assert full.report_[0]["removed"] == 4 + 4 + 5 and full.report_[4]["removed"] == 1
    check_report(full.report_, len(df))


def test_non_english():
    df = frame(
        [
            "@AmazonHelp ありがとうございます。今、電話で主人が対応していただいてます。",
            "@116219 Lamentamos el inconveniente. Por favor revisa tus mensajes directos para asistencia.",
            "@AmazonHelp Okay, danke für die Info, ich warte noch",
            "@united now arrives LAX @ 8:03 am",
            "@united my bag never made it to Denver",
        ]
    )
    assert removed_ids(QualityFilter(only("non_english")), df) == {"m0", "m1", "m2"}


def test_full_cascade_counts_add_up_and_disabled_stages_remove_nothing():
    texts = [
        LONG,
        LONG,
        LONG.replace("monday", "friday"),
        "RT @x: some retweeted words here",
        "ok",
        "@AmazonHelp ありがとうございます。今、電話で主人が対応していただいてます。",
        "my flight got cancelled twice",
    ]
    df = frame(texts)
    qf = QualityFilter()
    kept = qf.fit_transform(df)
    check_report(qf.report_, len(df))
    assert [r["removed"] for r in qf.report_] == [1, 1, 1, 1, 0, 1]
    assert list(kept["message_id"]) == ["m0", "m6"]
    off = QualityFilter(FilterConfig.model_validate(ONLY))
    assert len(off.fit_transform(df)) == len(df)
    assert all(r["removed"] == 0 and r["enabled"] is False for r in off.report_)


def test_estimator_contract_and_bad_input():
    df = frame([LONG, "another message with enough words", LONG])
    qf = QualityFilter()
    with pytest.raises(NotFittedError):
        qf.transform(df)
    assert qf.fit(df) is qf
    first = qf.report_
    assert qf.fit(df).report_ == first  # refit forgets the first fit
    assert QualityFilter({"length": {"min_words": 1}}).fit(df).report_[3]["removed"] == 0
    with pytest.raises(ValidationError):
        FilterConfig.model_validate({"lenght": {}})
    with pytest.raises(ValidationError):
        FilterConfig.model_validate({"length": {"min_chars": 50, "max_chars": 10}})
    with pytest.raises(InputError, match="lacks column"):
        QualityFilter().fit(pd.DataFrame({"message_id": ["a"]}))


def test_duplicate_message_ids_are_tolerated():
    df = pd.DataFrame(
        {"message_id": ["1", "1", "2"], "text": [LONG, LONG, "my card was charged twice for one ride"]}
    )
    kept = QualityFilter().fit_transform(df)
    assert len(kept) == 2 and list(kept.index) == [0, 2]


def test_examples_are_masked():
    df = frame(["mail me at jane.doe@example.com or call +1 555 123 4567 @jane", "x"] * 2)
    qf = QualityFilter(only("exact_duplicates")).fit(df)
    text = qf.report_[0]["examples"][0]["text"]
    assert "jane.doe@example.com" not in text and "555 123 4567" not in text and "@jane" not in text


def _load(*parts: str, inbound_only: bool = False) -> pd.DataFrame:
    from ml.ingest.load import load_messages

    msgs, _ = load_messages(shared_path(*parts), inbound_only=inbound_only)
    return msgs


def _summary(report: list[dict]) -> dict[str, int]:
    return {r["stage"]: r["removed"] for r in report}


@pytest.mark.shared
def test_real_twcs_slice_counts():
    msgs = _load("twcs_sample", "twcs_first5000.csv")
    for name, df in (("all", msgs), ("inbound", msgs[msgs["inbound"].fillna(False).astype(bool)])):
        qf = QualityFilter()
        kept = qf.fit_transform(df)
        check_report(qf.report_, len(df))
        removed = _summary(qf.report_)
        print(name, len(df), removed, len(kept))
        assert 0.85 < len(kept) / len(df) < 0.99
        assert 0.005 * len(df) < removed["exact_duplicates"] < 0.06 * len(df)
        assert removed["near_duplicates"] >= 1
        assert 0.01 * len(df) < removed["length"] < 0.08 * len(df)
        # 117 of 4,687 (all) and 65 of 2,590 (inbound): Spanish, Japanese, German, Portuguese, French, ...
        assert 0.01 * len(df) < removed["non_english"] < 0.035 * len(df)
        assert qf.transform(df).index.equals(kept.index)
    assert (
        "<h> here to help. send us a note at <url> so our team can connect."
        in QualityFilter().fit(msgs).templates_
    )


@pytest.mark.shared
def test_real_airline_counts():
    df = _load("twitter_airline_sentiment", "Tweets.csv")
    qf = QualityFilter()
    kept = qf.fit_transform(df)
    check_report(qf.report_, len(df))
    removed = _summary(qf.report_)
    print("airline", len(df), removed, len(kept))
    assert 0.9 < len(kept) / len(df) < 0.99
    assert 30 <= removed["retweets_forwards"] <= 150  # 113 quoted tweets, ~70 "RT @" in this set
    assert removed["non_english"] <= 5  # 2, both all-caps English ("OMG OMG OMG !!! I JUST DID!!")
    assert np.isclose(qf.report_[-1]["kept_share"], len(kept) / len(df))


def test_too_few_rows_names_a_stage_only_when_it_removed_most_of_what_reached_it():
    from ml.filtering.quality import largest_removal

    report = [{"stage": "exact_duplicates", "input": 600, "removed": 273},
              {"stage": "non_english", "input": 327, "removed": 327}]
    line = largest_removal(report)  # 273 of 600 is under half: not named
    assert line.startswith("the non_english stage removed 327 of 327 (") and "English only" in line
    assert line.endswith("filtering: {non_english: {enabled: false}} in --config turns it off")
    # 300 numbers, one text once digits are set aside: turning off either stage alone would not help
    report = [{"stage": "exact_duplicates", "input": 300, "removed": 296}, {"stage": "near_duplicates", "input": 4,
              "removed": 0}, {"stage": "length", "input": 4, "removed": 4}]
    line = largest_removal(report)
    assert line.startswith("the exact_duplicates stage removed 296 of 300 (") and "near_duplicates" not in line
    assert ", then the length stage removed 4 of 4 (the texts are too short" in line
    assert line.endswith("filtering: {exact_duplicates: {enabled: false}, length: {enabled: false}} in --config "
                         "turns them off")
    # few rows for another reason (a small dump, or the unit): no stage is blamed
    assert largest_removal([{"stage": "length", "input": 40, "removed": 3}]) == ""
    assert largest_removal([]) == ""
