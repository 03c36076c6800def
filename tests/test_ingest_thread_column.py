"""A conversation column (a ticket or chat id per message row, as help desks export comments) groups messages into
conversations without reply links (ml.ingest.frame.thread_ids); the bundled sample's real customer tweets."""

from __future__ import annotations

import pandas as pd
import pytest

from ml.ingest.load import ColumnMapping, load_messages
from ml.runtime.errors import InputError
from ml.units import build_units
from tests.fixtures.data import SAMPLE_DIR


def ticket_export(tmp_path, n: int = 90, per_ticket: int = 3, column: str = "Ticket ID") -> pd.DataFrame:
    rows = pd.read_csv(SAMPLE_DIR / "twcs_sample.csv", dtype=str)
    rows = rows[rows["inbound"] == "True"].head(n)
    export = pd.DataFrame({"Comment": rows["text"].to_numpy(), column: [f"T{i // per_ticket}" for i in range(n)],
                           "Created": rows["created_at"].to_numpy()})
    export.to_csv(tmp_path / "comments.csv", index=False)
    return export


def test_a_ticket_id_column_makes_each_ticket_one_conversation(tmp_path):
    export = ticket_export(tmp_path)
    msgs, report = load_messages(tmp_path / "comments.csv")
    assert report.files[0].mapping["thread"] == "Ticket ID" and not report.has_replies
    assert msgs["thread_id"].tolist() == export["Ticket ID"].tolist()
    members = build_units(msgs, "conversation")
    assert len(members) == 30 and set(members["n_messages"]) == {3}


def test_the_flag_names_another_column_and_without_either_the_error_says_what_to_pass(tmp_path):
    ticket_export(tmp_path, column="Case")  # "Case" is no conversation name: only the flag finds it
    msgs, _ = load_messages(tmp_path / "comments.csv")
    with pytest.raises(InputError, match="pass --thread-col COLUMN naming the ticket or chat id"):
        build_units(msgs, "conversation")
    msgs, _ = load_messages(tmp_path / "comments.csv", mapping=ColumnMapping(thread="Case"))
    assert len(build_units(msgs, "conversation")) == 30
    with pytest.raises(InputError, match="column 'Ticket' given by --thread-col is not in the file"):
        load_messages(tmp_path / "comments.csv", mapping=ColumnMapping(thread="Ticket"))
