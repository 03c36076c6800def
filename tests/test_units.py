"""Members from messages: one per message, per reply thread, per author."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.ingest.load import load_messages
from ml.runtime.errors import InputError
from ml.units import MEMBER_COLUMNS, build_units, thread_roots
from tests.fixtures.data import SAMPLE_DIR


def frame(rows):
    """A small canonical message frame; rows are (id, text, author, iso_time, reply_to, label)."""
    ids, texts, authors, times, replies, labels = zip(*rows)
    ts = pd.to_datetime(pd.Series(times), utc=True).astype("datetime64[ns, UTC]")
    return pd.DataFrame({
        "message_id": list(ids), "text": list(texts), "author": list(authors), "timestamp": ts,
        "utc_offset_min": np.nan, "local_hour": ts.dt.hour.astype("Int64"),
        "local_weekday": ts.dt.day_of_week.astype("Int64"), "reply_to": list(replies),
        "inbound": pd.array([pd.NA] * len(rows), dtype="boolean"), "label": list(labels),
        "source_file": "x.csv", "source_row": range(1, len(rows) + 1),
    })


ROWS = [
    ("c", "third", "bob", "2020-01-01T10:20", "b", "billing"),
    ("a", "first", "ann", "2020-01-01T10:00", None, "billing"),
    ("d", "alone", "cid", "2020-01-02T09:00", None, "login"),
    ("b", "second", "bob", "2020-01-01T10:10", "a", "refund"),
    ("e", "orphan", None, "2020-01-03T08:00", "zzz", None),  # parent not in the data
]


def test_message_unit_one_member_per_message():
    msgs = frame(ROWS)
    members = build_units(msgs, "message")
    assert list(members.columns) == MEMBER_COLUMNS
    assert members["member_id"].tolist() == msgs["message_id"].tolist()
    assert (members["n_messages"] == 1).all()
    assert members["message_ids"].tolist() == [[m] for m in msgs["message_id"]]
    assert members["label"].tolist() == ["billing", "billing", "login", "refund", None]


def test_conversation_unit_follows_reply_chains_to_the_root():
    members = build_units(frame(ROWS), "conversation")
    assert list(members.columns) == MEMBER_COLUMNS
    assert members["member_id"].tolist() == ["a", "d", "e"]  # order of first appearance
    thread = members.iloc[0]
    assert thread.text == "first\nsecond\nthird"  # time order, not file order
    assert thread.message_ids == ["a", "b", "c"] and thread.n_messages == 3
    assert thread.author == "ann" and thread.timestamp == pd.Timestamp("2020-01-01 10:00", tz="UTC")
    assert thread.local_hour == 10
    assert thread.label == "billing"  # majority of billing, refund, billing
    assert members.iloc[2].author is None and members.iloc[2].label is None


def test_author_unit_one_member_per_author():
    members = build_units(frame(ROWS), "author")
    assert members["member_id"].tolist() == ["bob", "ann", "cid"]
    bob = members.iloc[0]
    assert bob.text == "second\nthird" and bob.n_messages == 2 and bob.author == "bob"
    assert bob.label == "billing"  # tie refund/billing → alphabetical first
    assert members.attrs["dropped_no_author"] == 1


def test_thread_roots_pointer_jumping_long_chain_and_cycle():
    n = 20000
    ids = pd.Series([str(i) for i in range(n)])
    parents = pd.Series([None] + [str(i - 1) for i in range(1, n)])
    assert set(thread_roots(ids, parents)) == {"0"}
    cyc = thread_roots(pd.Series(["x", "y", "z"]), pd.Series(["y", "x", "x"]))
    assert len(cyc) == 3  # terminates; x and y answer each other
    dup = thread_roots(pd.Series(["p", "p", "q"]), pd.Series([None, None, "p"]))
    assert dup.tolist() == ["p", "p", "p"]


def test_conversations_on_the_bundled_twcs_sample():
    msgs, _ = load_messages(SAMPLE_DIR / "twcs_sample.csv")
    members = build_units(msgs, "conversation")
    assert members["member_id"].is_unique
    assert members["n_messages"].sum() == len(msgs)
    assert members["n_messages"].max() > 10 and len(members) < len(msgs) / 2
    by_id = msgs.set_index("message_id")
    for _, m in members.sample(50, random_state=0).iterrows():
        assert by_id.loc[m.message_ids, "thread_id"].eq(m.member_id).all()
        times = by_id.loc[m.message_ids, "timestamp"]
        assert times.is_monotonic_increasing and m.timestamp == times.iloc[0]
        assert m.text == "\n".join(by_id.loc[m.message_ids, "text"])
    # the customer side alone still groups into the same threads
    inbound, _ = load_messages(SAMPLE_DIR / "twcs_sample.csv", inbound_only=True)
    customer = build_units(inbound, "conversation")
    assert set(customer["member_id"]) <= set(members["member_id"])
    assert customer["n_messages"].max() > 1


def test_author_unit_on_the_bundled_airline_sample():
    msgs, _ = load_messages(SAMPLE_DIR / "airline_tweets_sample.csv")
    members = build_units(msgs, "author")
    assert len(members) == msgs["author"].nunique()
    assert members["n_messages"].sum() == len(msgs)


@pytest.mark.parametrize("unit, flag", [("conversation", "--reply-to-col"), ("author", "--author-col")])
def test_missing_metadata_names_the_flag(unit, flag):
    msgs = frame(ROWS).assign(reply_to=None, author=None)
    with pytest.raises(InputError) as err:
        build_units(msgs, unit)
    assert flag in str(err.value) and "\n" not in str(err.value)


def test_a_unit_the_data_cannot_build_names_the_file():
    """A review: the conversation unit's error named no file."""
    msgs, _ = load_messages(SAMPLE_DIR / "airline_tweets_sample.csv")
    with pytest.raises(InputError) as err:
        build_units(msgs, "conversation")
    assert str(err.value).startswith("airline_tweets_sample.csv: unit 'conversation' needs")


def test_unknown_unit():
    with pytest.raises(InputError, match="--unit"):
        build_units(frame(ROWS), "session")
