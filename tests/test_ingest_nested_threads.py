"""Help-desk exports that nest each conversation's messages (ml/ingest/nested_threads.py): Zendesk tickets with
their comments, Freshdesk tickets with their replies, Intercom conversations with their parts. The bodies are
the bundled sample's real customer and agent tweets, grouped by their reply threads."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from ml.ingest.load import ColumnMapping, load_messages, read_table
from ml.ingest.textclean import clean_text
from ml.units import build_units
from tests.fixtures.data import SAMPLE_DIR


@pytest.fixture(scope="module")
def sample():
    msgs, _ = load_messages(SAMPLE_DIR / "twcs_sample.csv")
    return msgs.sort_values(["thread_id", "timestamp"], kind="stable")


def zendesk_tickets(sample: pd.DataFrame) -> list[dict]:
    """One ticket per reply thread: the root's author the requester, its text the description (Zendesk's
    description is the first comment), every message of the thread a comment with its author id only."""
    tickets = []
    for root, thread in sample.groupby("thread_id", sort=False):
        first = thread.iloc[0]
        tickets.append({
            "id": root, "subject": "Twitter conversation", "description": first.text, "status": "solved",
            "requester_id": first.author, "created_at": str(first.timestamp), "tags": ["twitter"],
            "custom_fields": [{"id": 360001, "value": None}], "via": {"channel": "twitter"},
            "comments": [{"id": r.message_id, "type": "Comment", "author_id": r.author, "body": r.text,
                          "public": True, "created_at": str(r.timestamp), "attachments": []}
                         for r in thread.itertuples()]})
    return tickets


def test_zendesk_tickets_give_one_row_per_comment_with_the_requester_as_the_customer(tmp_path, sample):
    path = tmp_path / "tickets.json"
    path.write_text(json.dumps({"tickets": zendesk_tickets(sample), "users": [{"id": 1, "name": "A"}] * 900,
                                "next_page": None}))
    msgs, report = load_messages(path)
    f = report.files[0]
    assert (f.records_at, f.messages_in, f.conversations) == ("tickets", "comments", sample["thread_id"].nunique())
    assert f.mapping == {"text": "body", "id": "id", "author": "author_id", "timestamp": "created_at",
                         "inbound": "from_customer", "thread": "conversation.id"}
    assert "780 conversations with their messages under 'comments'" in report.summary_lines()[0]
    # the description repeats the first comment, so it is not read twice
    assert len(msgs) == len(sample) and msgs["message_id"].tolist() == sample["message_id"].tolist()
    assert msgs["text"].tolist() == sample["text"].tolist()
    assert msgs["thread_id"].tolist() == sample["thread_id"].tolist()
    # the requester's comments are the customer's side; TWCS's own flag agrees on 93 % of the messages (the
    # rest: other customers who join a public thread, and roots the brand wrote)
    agree = (msgs["inbound"].to_numpy() == sample["inbound"].to_numpy()).mean()
    assert agree > 0.9 and msgs["inbound"].notna().all()
    # conversations as members: the same customer messages per ticket as the CSV's reply chains give
    ours = build_units(msgs[msgs["inbound"].fillna(False)], "conversation").set_index("member_id")["text"]
    same = build_units(sample[(sample["author"] == sample.groupby("thread_id")["author"].transform("first"))],
                       "conversation").set_index("member_id")["text"]
    assert ours.sort_index().equals(same.sort_index())


def test_freshdesk_replies_follow_the_ticket_description_as_its_opening_message(tmp_path, sample):
    threads = [t for _, t in sample.groupby("thread_id", sort=False) if len(t) >= 3][:20]
    tickets = [{"id": 500 + i, "subject": "Help", "description": f"<div>{t.iloc[0].text}</div>",
                "description_text": t.iloc[0].text, "requester_id": 4242 + i, "created_at": str(t.iloc[0].timestamp),
                "conversations": [{"id": int(1e6) + 10 * i + j, "body": f"<div>{r.text}</div>", "body_text": r.text,
                                   "incoming": bool(r.inbound), "private": False, "user_id": r.author,
                                   "created_at": str(r.timestamp)} for j, r in enumerate(t.iloc[1:].itertuples())]}
               for i, t in enumerate(threads)]
    path = tmp_path / "freshdesk.json"
    path.write_text(json.dumps(tickets))
    msgs, report = load_messages(path)
    f = report.files[0]
    assert f.records_at is None and f.messages_in == "conversations" and f.mapping["inbound"] == "incoming"
    assert len(msgs) == sum(len(t) for t in threads)
    openings = msgs.groupby("thread_id", sort=False).head(1)
    assert openings["text"].tolist() == [t.iloc[0].text for t in threads]
    assert openings["author"].tolist() == [str(4242 + i) for i in range(len(threads))]
    assert openings["inbound"].all() and openings["timestamp"].notna().all()
    rest = msgs.drop(openings.index)
    assert rest["inbound"].tolist() == [bool(v) for t in threads for v in t.iloc[1:]["inbound"]]
    assert report.html_texts == len(msgs) - len(threads)  # the <div> bodies; the opening is description_text


def test_intercom_conversations_read_the_source_and_the_parts(tmp_path, sample):
    threads = [t for _, t in sample.groupby("thread_id", sort=False) if len(t) >= 2][:15]

    def author(r):
        return {"type": "user" if r.inbound else "admin", "id": r.author, "name": "x"}

    convs = [{"type": "conversation", "id": str(i), "created_at": int(t.iloc[0].timestamp.timestamp()),
              "source": {"type": "conversation", "body": f"<p>{t.iloc[0].text}</p>", "author": author(t.iloc[0])},
              "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": t.iloc[0].author}]},
              "conversation_parts": {"type": "conversation_part.list", "total_count": len(t) - 1,
                                     "conversation_parts": [
                                         {"type": "conversation_part", "part_type": "comment", "body": f"<p>{r.text}</p>",
                                          "created_at": int(r.timestamp.timestamp()), "author": author(r)}
                                         for r in t.iloc[1:].itertuples()]}} for i, t in enumerate(threads)]
    path = tmp_path / "intercom.json"
    path.write_text(json.dumps({"type": "conversation.list", "conversations": convs, "pages": {"next": None}}))
    msgs, report = load_messages(path)
    f = report.files[0]
    assert (f.records_at, f.messages_in) == ("conversations", "conversation_parts.conversation_parts")
    assert f.mapping["inbound"] == "author.type" and f.mapping["thread"] == "conversation.id"
    expected = pd.concat(threads)
    assert msgs["text"].tolist() == [clean_text(f"<p>{t}</p>") for t in expected["text"]]  # as a browser shows it
    assert msgs["inbound"].tolist() == expected["inbound"].tolist()
    assert msgs["author"].tolist() == expected["author"].tolist()
    assert (msgs["timestamp"].to_numpy() == expected["timestamp"].dt.floor("s").to_numpy()).all()
    assert msgs["thread_id"].tolist() == [str(i) for i, t in enumerate(threads) for _ in range(len(t))]


def test_messages_that_hold_arrays_stay_messages(tmp_path, sample):
    """A tweet has its own text; its hashtags (objects with a "text") are not its messages."""
    rows = sample.head(30)
    path = tmp_path / "tweets.json"
    path.write_text(json.dumps([{"id_str": r.message_id, "full_text": r.text, "user": {"id_str": r.author},
                                 "entities": {"hashtags": [{"text": "Support help", "indices": [0, 3]}] * 2}}
                                for r in rows.itertuples()]))
    msgs, report = load_messages(path)
    assert report.files[0].messages_in is None and msgs["text"].tolist() == rows["text"].tolist()
    # a message whose text has no text name keeps its attachments (their "description" only reads as free text)
    notes = tmp_path / "notes.json"
    notes.write_text(json.dumps([{"id": r.message_id, "note": r.text, "attachments": [
        {"title": "photo.jpg", "description": "A photo of the damaged parcel at the door"}]} for r in rows.itertuples()]))
    msgs, report = load_messages(notes)
    assert report.files[0].messages_in is None and report.files[0].mapping["text"] == "note" and len(msgs) == 30
    # a column the user names with --text-col keeps the records messages
    qa = tmp_path / "qa.json"
    qa.write_text(json.dumps([{"question": r.text, "answers": [{"body": "Please send us a DM with your order"}]}
                              for r in rows.itertuples()]))
    msgs, report = load_messages(qa, mapping=ColumnMapping(text="question"))
    assert report.files[0].messages_in is None and msgs["text"].tolist() == rows["text"].str.strip().tolist()
    # event logs read their rows as they are, whatever arrays they hold
    events = tmp_path / "events.json"
    events.write_text(json.dumps([{"user": "u1", "event": "view", "items": [{"text": "a long free text value here"}]}]))
    table, _ = read_table(events)
    assert len(table) == 1 and "items" in table.columns


def test_help_scout_threads_with_camel_case_names(tmp_path, sample):
    """Help Scout: conversations under _embedded.conversations, their threads under _embedded.threads, names in
    camelCase (createdBy.id, createdAt, primaryCustomer.id); the customer is the conversation's primaryCustomer."""
    threads = [t for _, t in sample.groupby("thread_id", sort=False) if len(t) >= 2][:12]
    convs = [{"id": 900 + i, "subject": "Help", "preview": t.iloc[-1].text[:20], "primaryCustomer": {"id": t.iloc[0].author},
              "_embedded": {"threads": [{"id": r.message_id, "type": "customer" if r.inbound else "message",
                                         "body": r.text, "createdAt": str(r.timestamp), "createdBy": {"id": r.author}}
                                        for r in t.itertuples()]}} for i, t in enumerate(threads)]
    path = tmp_path / "helpscout.json"
    path.write_text(json.dumps({"_embedded": {"conversations": convs}, "page": {"size": 25}}))
    msgs, report = load_messages(path)
    f = report.files[0]
    assert (f.records_at, f.messages_in) == ("_embedded.conversations", "_embedded.threads")
    assert f.mapping["author"] == "createdBy.id" and f.mapping["timestamp"] == "createdAt"
    assert f.mapping["thread"] == "conversation.id" and f.mapping["inbound"] == "from_customer"
    expected = pd.concat(threads)
    assert msgs["text"].tolist() == expected["text"].tolist()  # "preview" is not an opening message
    assert msgs["inbound"].tolist() == (expected["author"] == expected.groupby("thread_id")["author"]
                                        .transform("first")).tolist()
    assert msgs["timestamp"].notna().all()


def test_conversations_without_an_id_are_numbered(tmp_path, sample):
    threads = [t for _, t in sample.groupby("thread_id", sort=False) if len(t) >= 2][:5]
    chats = [{"subject": "Help", "messages": [{"text": r.text, "user": r.author} for r in t.itertuples()]}
             for t in threads]
    path = tmp_path / "chats.json"
    path.write_text(json.dumps({"chats": chats}))
    msgs, report = load_messages(path)
    assert report.files[0].mapping["thread"] == "conversation_number"
    assert msgs["thread_id"].tolist() == [str(i + 1) for i, t in enumerate(threads) for _ in range(len(t))]
