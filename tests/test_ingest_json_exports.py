"""JSON files as help-desk and chat APIs export them (ml/ingest/json_records.py): the array of messages under a
key of the top object, nested fields as dotted columns; real customer tweets of the bundled sample as bodies."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from ml.ingest.json_records import find_records
from ml.ingest.load import load_messages
from ml.runtime.errors import InputError
from tests.fixtures.data import SAMPLE_DIR


def sample_rows(n: int = 40) -> pd.DataFrame:
    return pd.read_csv(SAMPLE_DIR / "twcs_sample.csv", dtype=str).head(n)


def nested_messages(rows: pd.DataFrame) -> list[dict]:
    """Intercom-style parts: the author an object with its id and side, the time epoch seconds."""
    return [{"id": r.tweet_id, "created_at": int(pd.Timestamp(r.created_at).timestamp()), "body": r.text,
             "author": {"id": r.author_id, "type": "user" if r.inbound == "True" else "admin"}}
            for r in rows.itertuples()]


def test_the_array_under_a_key_is_read_with_nested_fields_as_columns(tmp_path):
    rows = sample_rows()
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps({"type": "conversation.list", "pages": {"next": None, "total": 1},
                                "data": {"conversation_parts": nested_messages(rows)}}, indent=2))
    msgs, report = load_messages(path)
    f = report.files[0]
    assert f.rows_read == len(rows) and f.records_at == "data.conversation_parts"
    assert f.mapping["author"] == "author.id" and f.mapping["inbound"] == "author.type"
    assert msgs["author"].tolist() == rows["author_id"].tolist()
    assert msgs["inbound"].tolist() == (rows["inbound"] == "True").tolist()
    assert msgs["text"].tolist() == rows["text"].str.strip().tolist()
    assert msgs["timestamp"].iloc[0] == pd.Timestamp(rows["created_at"].iloc[0]).tz_convert("UTC")
    assert any("messages from the array under 'data.conversation_parts'" in line for line in report.summary_lines())


def test_the_longest_array_of_objects_wins_and_a_top_level_array_has_no_key():
    doc = {"users": [{"id": 1}], "tickets": [{"id": 1}, {"id": 2}], "tags": ["a", "b", "c"],
           "meta": {"deep": {"parts": [{"id": i} for i in range(3)]}}}
    records, where = find_records(doc)
    assert where == "meta.deep.parts" and len(records) == 3
    assert find_records({"tags": ["a", "b"], "count": 2}) is None


def test_json_lines_under_a_json_name_and_an_object_without_messages(tmp_path):
    rows = sample_rows(5)
    lines = tmp_path / "export.json"
    lines.write_text("\n".join(json.dumps({"text": t, "user": a}) for t, a in zip(rows.text, rows.author_id)))
    msgs, report = load_messages(lines)
    assert len(msgs) == 5 and report.files[0].records_at is None
    empty = tmp_path / "error.json"
    empty.write_text(json.dumps({"status": 401, "error": "unauthorized"}))
    with pytest.raises(InputError, match=r"error\.json: the JSON object holds no array of message objects "
                                         r"\(keys: status, error\)"):
        load_messages(empty)
    scalar = tmp_path / "scalar.json"
    scalar.write_text("42")
    with pytest.raises(InputError, match="scalar.json: line 1 is not a JSON object"):
        load_messages(scalar)


def test_a_ticket_list_wins_over_a_longer_list_of_sideloaded_users(tmp_path):
    """Zendesk-style: {"tickets": [...], "users": [...]}, the users more numerous; the tickets' description is
    free text (no text name), so the tickets are the messages."""
    rows = sample_rows(40)
    tickets = [{"id": r.tweet_id, "subject": "Order", "description": r.text, "requester_id": r.author_id,
                "created_at": r.created_at} for r in rows.itertuples()]
    users = [{"id": i, "name": f"User {i}", "email": f"u{i}@example.com"} for i in range(60)]
    path = tmp_path / "tickets.json"
    path.write_text(json.dumps({"users": users, "tickets": tickets, "count": 40}))
    msgs, report = load_messages(path)
    f = report.files[0]
    assert f.records_at == "tickets" and f.rows_read == 40 and f.text_guessed and f.mapping["text"] == "description"
    assert f.mapping["author"] == "requester_id" and msgs["author"].tolist() == rows["author_id"].tolist()
