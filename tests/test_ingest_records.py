"""`messages_from_records`: records (e.g. posted JSON) → the canonical message frame, by the same rules
as `load_messages` reading a file (the API's assign route builds its frames with it)."""

from __future__ import annotations

import pandas as pd
import pytest

from ml.ingest.load import COLUMNS, ColumnMapping, load_messages
from ml.ingest.read import read_file
from ml.ingest.records import messages_from_records
from ml.runtime.errors import InputError
from tests.fixtures.runs import SAMPLE_TWCS


def test_records_give_the_frame_a_file_gives():
    """The bundled TWCS sample read as a file and posted as its rows' records: the same frame (entities
    decoded, ids, authors, timestamps with their offsets, reply links, thread roots, inbound, dtypes)."""
    raw, _ = read_file(SAMPLE_TWCS)
    from_file, report = load_messages(SAMPLE_TWCS)
    assert report.dropped_empty_text == 0 and report.renamed_duplicate_ids == 0  # else the two would differ
    from_records = messages_from_records(raw.to_dict("records"), name="twcs_sample")
    assert list(from_records.columns) == COLUMNS
    assert from_records["text"].str.contains("&amp;").sum() == 0 < raw["text"].str.contains("&amp;").sum()
    pd.testing.assert_frame_equal(from_records.drop(columns="source_file"), from_file.drop(columns="source_file"))


def test_mapping_names_the_fields_and_missing_ids_are_numbered():
    records = [{"body": "my card was charged twice", "who": "u1", "at": "2017-10-31T22:10:47+02:00", "n": 7.0},
               {"body": "still no refund", "who": None, "at": None, "n": None, "parent": 7}]
    mapping = ColumnMapping(text="body", author="who", timestamp="at", id="n", reply_to="parent", inbound="side")
    frame = messages_from_records(records, mapping, name="posted")
    assert frame["message_id"].tolist() == ["7", "posted:2"]  # "7.0" → "7", as ingest normalises ids
    assert frame["thread_id"].tolist() == ["7", "7"] and frame["reply_to"].tolist() == [None, "7"]
    assert frame["local_hour"].tolist()[0] == 22 and frame["utc_offset_min"].tolist()[0] == 120
    assert frame["inbound"].isna().all()  # a mapped key no record has is absent, not an error


@pytest.mark.parametrize("records, message", [
    ([], "posted: no records given"),
    ([{"note": "x"}], "posted: no text field (fields: note)"),
    ([{"text": "ok"}, {"text": "  "}], "posted.1.text: empty"),
    ([{"text": "a", "timestamp": "yesterday"}], "posted.0.timestamp: cannot read 'yesterday'"),
    ([{"text": "a"}, {"text": "b", "timestamp": "0001-01-01T00:00:00"}], "posted.1.timestamp: cannot read"),
    ([{"text": "a", "id": "7"}, {"text": "b", "id": "7.0"}], "posted.1.id: '7' is used twice"),
])
def test_bad_records_name_the_record_and_field(records, message):
    with pytest.raises(InputError) as exc:
        messages_from_records(records, name="posted")
    assert str(exc.value).startswith(message)
