"""BehavioralFeatures: names/order against CONTRACTS §7, known values on a hand-built thread, NaN rules."""

from __future__ import annotations

import re
from dataclasses import FrozenInstanceError

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from ml.features.behavioral import (
    FEATURE_NAMES,
    FEATURE_SPECS,
    BehavioralFeatures,
    describe_features,
    style_features,
)
from ml.runtime.errors import InputError
from tests.conftest import REPO
from tests.fixtures.data import shared_path

STYLE = [s.name for s in FEATURE_SPECS if s.group == "style"] + ["mentions_log", "hashtags_log"]
META = [n for n in FEATURE_NAMES if n not in STYLE]
col = FEATURE_NAMES.index


def test_names_and_order_match_contracts():
    text = (REPO / "docs" / "CONTRACTS.md").read_text()
    section = text[text.index("## 7.") :]
    rows = re.findall(r"^\| (\d+) \| `(\w+)` \| (\w+) \|", section, flags=re.MULTILINE)
    assert [int(r[0]) for r in rows] == list(range(1, 37))
    assert FEATURE_NAMES == [r[1] for r in rows]
    assert [s.group for s in FEATURE_SPECS] == [r[2] for r in rows]
    assert all(s.description and s.missing for s in FEATURE_SPECS)
    with pytest.raises(FrozenInstanceError):
        FEATURE_SPECS[0].name = "x"


def test_docs_features_md_is_generated_from_specs():
    table = describe_features()
    assert table.count("\n") == 38
    assert table in (REPO / "docs" / "features.md").read_text()


def ts(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz="UTC")


def thread_frame() -> pd.DataFrame:
    """m1 (A) <- m2 (brand B, +30 min) <- m3 (A, +60 min) <- m4 (B, +10 min); m5 (C) alone on a Saturday;
    m6 (A) answers a message outside the data."""
    rows = [
        ("m1", "@B my phone is broken!! please help", "A", "2017-10-30 10:00", 3, 0, None),
        ("m2", "@A sorry to hear that, DM us https://t.co/x", "B", "2017-10-30 10:30", 10, 0, "m1"),
        ("m3", "@B I did, thanks", "A", "2017-10-30 11:30", 11, 0, "m2"),
        ("m4", "@A got it", "B", "2017-10-30 11:40", 11, 0, "m3"),
        ("m5", "WHY is my bag lost? #fail 😡", "C", "2017-11-04 23:00", 23, 5, None),
        ("m6", "me again", "A", "2017-11-01 12:00", 12, 2, "gone"),
    ]
    df = pd.DataFrame(
        rows, columns=["message_id", "text", "author", "timestamp", "local_hour", "local_weekday", "reply_to"]
    )
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    df["local_hour"] = df["local_hour"].astype("Int64")
    df["local_weekday"] = df["local_weekday"].astype("Int64")
    return df


def message_members(messages: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "member_id": messages["message_id"],
            "text": messages["text"],
            "message_ids": [[m] for m in messages["message_id"]],
        }
    )


def test_known_values_on_a_thread():
    msgs = thread_frame()
    X = BehavioralFeatures().fit_transform(message_members(msgs), msgs)
    assert X.shape == (6, 36) and X.dtype == np.float64
    f = pd.DataFrame(X, columns=FEATURE_NAMES, index=msgs["message_id"])
    # local_hour is used, not the UTC hour (m1: 10:00 UTC, 03:00 local)
    assert f.at["m1", "hour_sin"] == pytest.approx(np.sin(2 * np.pi * 3 / 24))
    assert f.at["m1", "night_share"] == 1 and f.at["m2", "business_hours_share"] == 1
    assert f.at["m5", "weekend_share"] == 1 and f.at["m5", "night_share"] == 1
    assert list(f["thread_depth_log"]) == pytest.approx(np.log1p([0, 1, 2, 3, 0, 1]))
    assert list(f["thread_size_log"]) == pytest.approx(np.log1p([4, 4, 4, 4, 1, 1]))
    assert list(f["is_reply"]) == [0, 1, 1, 1, 0, 1]
    assert list(f["got_response"]) == [1, 1, 1, 0, 0, 0]
    assert f.at["m1", "response_latency_min_log"] == pytest.approx(np.log1p(30))
    assert np.isnan(f.at["m4", "response_latency_min_log"])
    assert f.at["m3", "reply_delay_min_log"] == pytest.approx(np.log1p(60))
    assert np.isnan(f.at["m1", "reply_delay_min_log"]) and np.isnan(f.at["m6", "reply_delay_min_log"])
    assert list(f["followup_share"]) == [0, 0, 1, 1, 0, 0]
    assert f.at["m1", "author_turn_share"] == pytest.approx(0.5)
    # author A: m1, m3, m6; replied to / replied by B only; received m2 and m4
    assert f.at["m1", "author_msg_count_log"] == pytest.approx(np.log1p(3))
    assert f.at["m1", "author_thread_count_log"] == pytest.approx(np.log1p(2))
    assert f.at["m1", "author_counterparts_log"] == pytest.approx(np.log1p(1))
    assert f.at["m1", "author_replies_received_log"] == pytest.approx(np.log1p(2))
    assert f.at["m1", "author_reply_share"] == pytest.approx(2 / 3)
    assert f.at["m1", "author_span_days_log"] == pytest.approx(np.log1p(2 + 2 / 24))
    assert f.at["m1", "author_msgs_per_active_day_log"] == pytest.approx(np.log1p(3 / 2))
    assert f.at["m1", "author_median_gap_hours_log"] == pytest.approx(np.log1p(np.median([1.5, 48.5])))
    assert np.isnan(f.at["m5", "author_median_gap_hours_log"])  # one message
    assert f.at["m1", "author_addressed_accounts_log"] == pytest.approx(np.log1p(1))
    # style
    assert f.at["m1", "exclaim_log"] == pytest.approx(np.log1p(2)) and f.at["m1", "repeated_punct"] == 1
    assert f.at["m1", "politeness"] == 1 and f.at["m4", "politeness"] == 0
    assert f.at["m2", "has_url"] == 1 and f.at["m5", "hashtags_log"] == pytest.approx(np.log1p(1))
    assert f.at["m5", "emoji_log"] == pytest.approx(np.log1p(1))
    assert f.at["m5", "upper_ratio"] == pytest.approx(3 / 18)  # WHY / WHYismybaglostfail
    assert f.at["m1", "first_person_ratio"] == pytest.approx(1 / 7)
    assert f.at["m4", "words_log"] == pytest.approx(np.log1p(3))


def test_style_reads_what_the_person_wrote_not_handles_or_links():
    """Twitter prefixes replies with handles: "@AmazonHelp @115712" is neither capitals nor digits the
    customer typed (on TWCS three quarters of the digits were handles'); mentions and links are still
    counted, and lengths count the whole text."""
    texts = pd.Series(["@AmazonHelp @115712 where is my parcel", "where is my parcel https://t.co/x7Qz9",
                       "where is my parcel", "order 12345 not here", "@AmazonHelp @115712"])
    f = style_features(texts)
    for col_name in ["upper_ratio", "digit_ratio", "question_log"]:
        assert f[col_name][0] == f[col_name][2] and f[col_name][1] == f[col_name][2], col_name
    assert f["digit_ratio"][0] == 0 and f["digit_ratio"][3] == pytest.approx(5 / 20)
    assert f["mentions_log"][0] == pytest.approx(np.log1p(2)) and f["has_url"].tolist() == [0, 1, 0, 0, 0]
    assert f["upper_ratio"][4] == 0 and f["digit_ratio"][4] == 0  # only addressing: nothing typed
    assert f["chars_log"][0] == pytest.approx(np.log1p(len(texts[0])))  # lengths: the whole text
    email = style_features(pd.Series(["mail me at a.b7@example.com"]))
    assert email["digit_ratio"][0] == pytest.approx(1 / 27)  # an e-mail address is not a handle


def test_conversation_members_average_their_messages():
    msgs = thread_frame()
    members = pd.DataFrame(
        {"member_id": ["t1", "t5"], "text": ["", ""], "message_ids": [["m1", "m2", "m3", "m4"], ["m5"]]}
    )
    X = BehavioralFeatures().fit(members, msgs).transform(members, msgs)
    assert X.shape == (2, 36)
    assert X[0, col("is_reply")] == pytest.approx(0.75)
    assert X[0, col("thread_size_log")] == pytest.approx(np.log1p(4))
    assert X[0, col("got_response")] == pytest.approx(0.75)
    assert X[0, col("reply_delay_min_log")] == pytest.approx(np.mean(np.log1p([30, 60, 10])))


def test_no_metadata_gives_nan_and_only_style_varies():
    msgs = pd.DataFrame(
        {
            "message_id": ["a", "b", "c"],
            "text": ["How do I top up?", "card declined!!", "thanks"],
            "author": [None] * 3,
            "timestamp": pd.Series([pd.NaT] * 3, dtype="datetime64[ns, UTC]"),
            "local_hour": pd.array([pd.NA] * 3, dtype="Int64"),
            "local_weekday": pd.array([pd.NA] * 3, dtype="Int64"),
            "reply_to": [None] * 3,
        }
    )
    X = BehavioralFeatures().fit_transform(message_members(msgs), msgs)
    assert np.isnan(X[:, [col(n) for n in META]]).all()
    assert np.isfinite(X[:, [col(n) for n in STYLE]]).all()
    # text-only frame without the metadata columns at all
    bare = msgs[["message_id", "text"]]
    Y = BehavioralFeatures().fit_transform(message_members(bare), bare)
    np.testing.assert_array_equal(np.isnan(X), np.isnan(Y))


def test_members_missing_from_messages_get_style_from_text():
    msgs = thread_frame()
    members = pd.DataFrame({"member_id": ["x"], "text": ["Hello!!"], "message_ids": [["nope"]]})
    X = BehavioralFeatures().fit_transform(members, msgs)
    assert X[0, col("exclaim_log")] == pytest.approx(np.log1p(2)) and np.isnan(X[0, col("hour_sin")])


def test_estimator_contract_and_bad_input():
    msgs = thread_frame()
    feats = BehavioralFeatures()
    with pytest.raises(NotFittedError):
        feats.transform(message_members(msgs), msgs)
    assert feats.fit(message_members(msgs), msgs) is feats and feats.has_replies_
    with pytest.raises(InputError, match="message_ids"):
        feats.transform(msgs, msgs)


def test_reply_cycle_gives_nan_depth():
    msgs = pd.DataFrame({"message_id": ["a", "b"], "text": ["x y", "y z"], "reply_to": ["b", "a"]})
    X = BehavioralFeatures().fit_transform(message_members(msgs), msgs)
    assert np.isnan(X[:, col("thread_depth_log")]).all()


@pytest.mark.shared
def test_real_twcs_and_banking77():
    from ml.ingest.load import load_messages
    from ml.units import build_units

    msgs, _ = load_messages(shared_path("twcs_sample", "twcs_first5000.csv"))
    for unit in ("message", "conversation", "author"):
        members = build_units(msgs, unit)
        X = BehavioralFeatures().fit_transform(members, msgs)
        assert X.shape == (len(members), 36)
        assert np.isfinite(X[:, [col(n) for n in STYLE]]).all()
        assert (np.nanstd(X, axis=0) > 0).all()  # every feature varies on TWCS
    bank, _ = load_messages(shared_path("banking77", "train.csv"))
    bank = bank.head(2000)
    X = BehavioralFeatures().fit_transform(build_units(bank, "message"), bank)
    assert np.isnan(X[:, [col(n) for n in META]]).all()
    assert np.isfinite(X[:, [col(n) for n in STYLE]]).all()
