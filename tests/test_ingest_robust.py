"""Ingest without crashes or silent guesses (issue 11, part 3): repeated column names, delimiters,
byte-order marks, zone abbreviations and missing-label spellings. Real files in temp folders."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ml.events.config import EventInputConfig
from ml.events.ingest import load_events
from ml.ingest.load import MISSING_LABELS, load_messages
from ml.ingest.timeparse import AMBIGUOUS_TZ, TZ_ABBREVIATIONS, parse_timestamps
from ml.runtime.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
ROWS = [("1", "my card was charged twice, please help", "ann"), ("2", "where is my parcel; it is late", "bob")]


def refused(path, *words, **kwargs) -> str:
    with pytest.raises(InputError) as err:
        load_messages(path, **kwargs)
    message = str(err.value)
    assert "\n" not in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    return message


# ---------------------------------------------------------------- repeated column names


def test_crlf_csv_with_its_last_column_name_repeated_is_refused_naming_it(tmp_path):
    path = tmp_path / "crlf.csv"
    path.write_bytes(b"id,text,author,text\r\n1,hello there,ann,again\r\n2,hi,bob,more\r\n")
    refused(path, "crlf.csv", "'text'", "columns 2, 4", "rename")


@pytest.mark.parametrize("header", ["text,text,author", "text,author,author,id", "id,text,id,text"])
def test_repeated_names_are_never_renamed_silently(tmp_path, header):
    path = tmp_path / "dup.csv"
    width = len(header.split(","))
    path.write_text(header + "\n" + ",".join(f"v{i}" for i in range(width)) + "\n")
    message = refused(path, "dup.csv", "repeated")
    assert ".1" not in message
    for name in {n for n in header.split(",") if header.split(",").count(n) > 1}:
        assert repr(name) in message


def test_repeated_names_in_parquet_are_named_not_called_corrupt(tmp_path):
    path = tmp_path / "dup.parquet"
    table = pa.Table.from_arrays([pa.array(["a b c"]), pa.array(["d e f"])], names=["text", "text"])
    pq.write_table(table, path)
    message = refused(path, "dup.parquet", "'text'", "columns 1, 2")
    assert "complete" not in message


def test_cli_refuses_repeated_columns_with_exit_2_and_one_line(tmp_path):
    data = tmp_path / "in"
    data.mkdir()
    path = data / "dup.csv"
    path.write_bytes(b"id,text,text\r\n" + b"".join(f"{i},hello {i},x\r\n".encode() for i in range(60)))
    proc = subprocess.run([sys.executable, "-m", "ml.run", str(path), "--out", str(tmp_path / "run"),
                           "--no-store", "--quiet"], check=False, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert "dup.csv" in lines[0] and "'text'" in lines[0] and "columns 2, 3" in lines[0]
    assert not (tmp_path / "run").exists()


# ---------------------------------------------------------------- delimiters


def test_semicolon_csv_with_commas_inside_quoted_text_is_read(tmp_path):
    path = tmp_path / "semi.csv"
    body = "id;text;author\n" + "".join(f'{i};"{t}";{a}\n' for i, t, a in ROWS)
    path.write_text(body)
    msgs, report = load_messages(path)
    assert msgs["text"].tolist() == [t for _, t, _ in ROWS]
    assert msgs["author"].tolist() == ["ann", "bob"]
    assert report.files[0].delimiter == ";"
    assert "delimiter ';'" in report.summary_lines()[0]
    assert report.to_dict()["files"][0]["delimiter"] == ";"  # the manifest's input report


def test_semicolon_csv_with_unquoted_commas_and_crlf(tmp_path):
    path = tmp_path / "semi_crlf.csv"
    path.write_bytes(b"id;text\r\n1;hello, world, again\r\n2;no commas here\r\n")
    msgs, report = load_messages(path)
    assert msgs["text"].tolist() == ["hello, world, again", "no commas here"]
    assert report.files[0].delimiter == ";"


@pytest.mark.parametrize("sep", ["\t", "|"])
def test_tab_and_pipe_are_sniffed(tmp_path, sep):
    path = tmp_path / "other.csv"
    path.write_text(f"id{sep}text\n1{sep}a, b; c\n2{sep}d\n")
    msgs, report = load_messages(path)
    assert msgs["text"].tolist() == ["a, b; c", "d"] and report.files[0].delimiter == sep


def test_comma_csv_with_other_delimiters_in_quoted_text_stays_comma(tmp_path):
    path = tmp_path / "comma.csv"
    path.write_text('id,text\n1,"a; b | c\td"\n2,"e;f"\n')
    msgs, report = load_messages(path)
    assert msgs["text"].tolist() == ["a; b | c\td", "e;f"] and report.files[0].delimiter == ","


def test_sep_overrides_the_sniffer_and_bad_sep_is_refused(tmp_path):
    path = tmp_path / "pipes.csv"
    path.write_text("text|note\nhello|x\nbye|y\n")
    assert load_messages(path)[1].files[0].delimiter == "|"
    refused(path, "read with delimiter ','", "pass --sep '|'", sep=",")  # the given delimiter is used, and named
    refused(path, "--sep", "one character", sep=";;")
    tabs = tmp_path / "tabs.csv"
    tabs.write_text("text\tnote\nhello, there\tx\n")
    msgs, report = load_messages(tabs, sep="\\t")  # as typed on a command line
    assert msgs["text"].tolist() == ["hello, there"] and report.files[0].delimiter == "\t"


def test_sniffing_never_hides_a_malformed_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,author\nhi,ann\nhello,bob,extra,fields\n")
    refused(path, "bad.csv", "line 3", "delimiter ','")


# ---------------------------------------------------------------- encodings


BODY = "text,author\ncafé au lait ☕,ann\nnaïve question,bob\n"


@pytest.mark.parametrize("codec, bom, name", [
    ("utf-16-le", b"\xff\xfe", "utf-16-le (BOM)"),
    ("utf-16-be", b"\xfe\xff", "utf-16-be (BOM)"),
    ("utf-32-le", b"\xff\xfe\x00\x00", "utf-32-le (BOM)"),
    ("utf-32-be", b"\x00\x00\xfe\xff", "utf-32-be (BOM)"),
    ("utf-8", b"\xef\xbb\xbf", "utf-8 (BOM)"),
])
def test_byte_order_marks_decide_the_encoding(tmp_path, codec, bom, name):
    path = tmp_path / "wide.csv"
    path.write_bytes(bom + BODY.replace("\n", "\r\n").encode(codec))
    msgs, report = load_messages(path)
    assert msgs["text"].tolist() == ["café au lait ☕", "naïve question"]
    assert msgs["author"].tolist() == ["ann", "bob"]
    assert report.files[0].encoding == name


def test_explicit_utf8_still_drops_a_bom(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(BODY.encode("utf-8-sig"))
    msgs, report = load_messages(path, encoding="UTF8")
    assert msgs["author"].tolist() == ["ann", "bob"] and report.files[0].encoding == "utf-8"


def test_gzipped_utf16_csv_and_utf16_jsonl(tmp_path):
    gz = tmp_path / "wide.csv.gz"
    gz.write_bytes(gzip.compress(BODY.encode("utf-16")))
    jl = tmp_path / "wide.jsonl"
    jl.write_bytes('{"text": "café"}\n{"text": "naïve"}\n'.encode("utf-16"))
    msgs, _ = load_messages([gz, jl])
    assert msgs["text"].tolist() == ["café au lait ☕", "naïve question", "café", "naïve"]


def test_utf16_without_bom_gets_utf16_advice_not_latin1(tmp_path):
    path = tmp_path / "nobom.csv"
    path.write_bytes(BODY.encode("utf-16-le"))
    message = refused(path, "nobom.csv", "utf-16-le", "--encoding utf-16-le")
    assert "latin" not in message
    msgs, _ = load_messages(path, encoding="utf-16-le")
    assert msgs["text"].tolist()[0] == "café au lait ☕"


def test_undecodable_bytes_get_a_guess_of_the_real_encoding(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("text,author\n“smart quotes” café,ann\nplain,bob\n".encode("cp1252"))
    refused(path, "excel.csv", "not valid UTF-8", "byte offset 12", "line 2", "cp1252", "--encoding cp1252")
    msgs, report = load_messages(path, encoding="cp1252")
    assert msgs["text"].tolist()[0] == "“smart quotes” café" and report.files[0].encoding == "cp1252"
    refused(path, "unknown encoding", encoding="no-such-codec")


def test_binary_file_is_not_called_text(tmp_path):
    path = tmp_path / "blob.csv"
    path.write_bytes(b"SQLite format 3\x00" + bytes((i * 37) % 256 for i in range(4096)))
    refused(path, "blob.csv", "NUL bytes", "not a text file")


def test_utf16_without_a_bom_is_named_even_with_an_emoji_joiner(tmp_path):
    """A review: one zero-width joiner inside an emoji ("👨\u200d👩") made a BOM-less UTF-16 file "not a text file";
    it is named as UTF-16 with the flag to pass, and reads with it."""
    path = tmp_path / "export.csv"
    path.write_bytes("text,author\nthe family plan 👨\u200d👩\u200d👧 costs too much,ann\nplain,bob\n".encode("utf-16-le"))
    refused(path, "export.csv", "NUL bytes", "utf-16-le", "--encoding utf-16-le")
    assert load_messages(path, encoding="utf-16-le")[0]["text"].tolist()[0].startswith("the family plan 👨\u200d👩")
    path.write_bytes("text,author\nMerci\u00a0! appelez-moi,ann\nplain,bob\n".encode("utf-16-be"))  # no-break space
    refused(path, "export.csv", "NUL bytes", "utf-16-be", "--encoding utf-16-be")


# ---------------------------------------------------------------- zone abbreviations


def test_pst_and_cet_are_read_by_the_table_without_stderr(capfd):
    values = pd.Series(["2017-01-05 10:00:00 PST", "2017-07-05 10:00 CET", "Thu, 05 Jan 2017 10:00:00 PDT",
                        "Jan 5 2017 10:00 AM CEST", "2017-01-05 10:00 GMT+03:00", "Thu Jan 05 2017 10:00:00 GMT-0500"])
    out = parse_timestamps(values)
    assert out["utc_offset_min"].tolist() == [-480.0, 60.0, -420.0, 120.0, 180.0, -300.0]
    assert out["timestamp"].tolist() == [pd.Timestamp(t, tz="UTC") for t in [
        "2017-01-05 18:00", "2017-07-05 09:00", "2017-01-05 17:00", "2017-01-05 08:00", "2017-01-05 07:00",
        "2017-01-05 15:00"]]
    assert out["local_hour"].tolist() == [10] * 6 and not out["unparseable"].any()
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


@pytest.mark.parametrize("value", ["2017-01-05 10:00:00 IST", "2017-01-05 10:00 BST", "Jan 5 2017 10:00 AM IST",
                                   "Thu, 05 Jan 2017 10:00:00 XYZ", "2017-01-05 10:00 AST"])
def test_ambiguous_or_unknown_abbreviations_are_unparseable_never_utc(value, capfd):
    row = parse_timestamps(pd.Series([value])).iloc[0]
    assert bool(row.unparseable) and pd.isna(row.timestamp)
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("name", sorted(TZ_ABBREVIATIONS))
def test_every_table_entry_reads_the_same_in_both_parsers(name):
    minutes = TZ_ABBREVIATIONS[name]
    iso, free = f"2020-03-04 12:00:00 {name}", f"Wed, 04 Mar 2020 12:00:00 {name}"
    out = parse_timestamps(pd.Series([iso, free]))
    expected = pd.Timestamp("2020-03-04 12:00", tz="UTC") - pd.Timedelta(minutes=minutes)
    assert out["timestamp"].tolist() == [expected, expected]
    assert out["utc_offset_min"].tolist() == [float(minutes)] * 2


def test_docs_list_every_abbreviation_and_every_ambiguous_one():
    doc = (ROOT / "docs" / "ingest.md").read_text(encoding="utf-8")
    for name, minutes in TZ_ABBREVIATIONS.items():
        sign = "−" if minutes < 0 else "+"
        offset = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        assert re.search(rf"\| `{name}` \| {re.escape(offset)} \|", doc), f"{name} {offset} missing from docs/ingest.md"
    for name in AMBIGUOUS_TZ:
        assert f"`{name}`" in doc


def test_ingest_counts_unknown_zones_as_unparseable(tmp_path, capfd):
    path = tmp_path / "zones.csv"
    path.write_text("text,timestamp\nhello,2017-01-05 10:00:00 PST\nhi,2017-01-05 10:00:00 IST\n"
                    "yo,2017-01-05 10:00:00 CET\n")
    msgs, report = load_messages(path)
    assert report.timestamps_unparseable == 1 and report.timestamp_examples[0]["value"].endswith("IST")
    assert msgs["local_hour"].tolist()[0] == 10 and pd.isna(msgs["timestamp"][1])
    assert capfd.readouterr().err == ""


# ---------------------------------------------------------------- missing labels


def test_missing_label_spellings_are_unlabelled(tmp_path):
    path = tmp_path / "labels.csv"
    spellings = ["NaN", "nan", "null", "NULL", "None", "", "   ", "N/A", "billing", " refund "]
    path.write_text("text,intent\n" + "".join(f"message {i},{v}\n" for i, v in enumerate(spellings)))
    msgs, report = load_messages(path, label_col="intent")
    assert msgs["label"].tolist() == [None] * 8 + ["billing", "refund"]
    assert report.has_labels
    assert {"nan", "null", "none", ""} <= MISSING_LABELS


def test_parquet_labels_with_real_nan_and_nan_strings(tmp_path):
    path = tmp_path / "labels.parquet"
    pd.DataFrame({"text": ["a", "b", "c"], "intent": ["NaN", None, "card"]}).to_parquet(path)
    msgs, _ = load_messages(path, label_col="intent")
    assert msgs["label"].tolist() == [None, None, "card"]


def test_event_outcomes_with_nan_strings_are_unknown(tmp_path):
    path = tmp_path / "events.csv"
    lines = ["user_id,event,result"]
    for u, result in enumerate(["pass", "NaN", "null", "fail", "", "None"]):
        lines += [f"u{u},open,{result}", f"u{u},search,{result}"]
    path.write_text("\n".join(lines) + "\n")
    table = load_events([path], EventInputConfig(outcome_col="result"))
    outcomes = dict(zip(table.users["user"], table.users["outcome"]))
    assert outcomes["u0"] == "pass" and outcomes["u3"] == "fail"
    assert all(pd.isna(outcomes[u]) for u in ("u1", "u2", "u4", "u5"))
