"""Bad input gives one clear line (file, row or column, and what to do), never a traceback."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from ml.ingest.load import ColumnMapping, load_messages
from ml.runtime.errors import InputError, TooFewRowsError


def fails(path_or_paths, *words, **kwargs) -> str:
    with pytest.raises(InputError) as err:
        load_messages(path_or_paths, **kwargs)
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    return message


def test_errors_are_one_line_and_too_few_rows_is_an_input_error():
    err = TooFewRowsError("only 3 members\nleft", n_rows=3, min_rows=50)
    assert isinstance(err, InputError) and str(err) == "only 3 members left" and err.min_rows == 50


def test_file_not_found(tmp_path):
    fails(tmp_path / "nope.csv", "nope.csv", "not found")


def test_unsupported_extension(tmp_path):
    (tmp_path / "data.txt.bak").write_bytes(b"text\nhello")
    fails(tmp_path / "data.txt.bak", "data.txt.bak", ".bak", ".csv", ".jsonl", ".parquet", ".xlsx")


def test_truncated_workbook(tmp_path):
    (tmp_path / "data.xlsx").write_bytes(b"PK\x03\x04")  # a download cut short
    fails(tmp_path / "data.xlsx", "data.xlsx", "cannot read as an Excel workbook", "export CSV")


def test_folder_without_supported_files(tmp_path):
    (tmp_path / "readme.txt").write_text("hi")
    fails(tmp_path, str(tmp_path), "no supported files")


def test_missing_text_column_lists_columns_and_suggests_flag(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("user,event\n1,click\n")
    fails(path, "events.csv", "user, event", "--text-col")


def test_an_event_log_read_as_conversations_points_to_kind_events(tmp_path):
    """Moodle's log and KDD's per-enrollment counts have no text column; the line says they read as event logs
    and how to run them; a file of other columns gets no such hint."""
    log = tmp_path / "log.csv"
    log.write_text("Time,User full name,Event name\n1/2 10:00,Ann Example,Course viewed\n")
    with pytest.raises(InputError, match=r"users in 'User full name', events in 'Event name'\): for personas of "
                                         r"product usage, run python -m ml.run --kind events FILE$"):
        load_messages(log)
    counts = tmp_path / "counts.csv"
    counts.write_text("enrollment_id,video,problem\n1,3,4\n")
    with pytest.raises(InputError, match=r"users in 'enrollment_id', event counts in columns"):
        load_messages(counts)
    other = tmp_path / "other.csv"
    other.write_text("sku,price\nA1,3\n")
    with pytest.raises(InputError) as err:
        load_messages(other)
    assert "--kind events" not in str(err.value)


def test_mapped_column_not_present(tmp_path):
    path = tmp_path / "chat.csv"
    path.write_text("text,author_name\nhi,ann\n")
    msg = fails(path, "chat.csv", "'author'", "--author-col", "text, author_name",
                mapping=ColumnMapping(author="author"))
    assert "did you mean 'author_name'" in msg
    fails(path, "'intent'", "--label-col", label_col="intent")
    # a text column not in the file: the one the file's names and values give, not the nearest spelling (an airline
    # review's --text-col tweet_text was asked "did you mean 'tweet_created'?", the time column)
    tweets = tmp_path / "tweets.csv"
    tweets.write_text("tweet_id,tweet_created,text\n1,2015-02-23 09:11:12,my bag never came\n")
    assert "did you mean 'text'?" in fails(tweets, "--text-col", mapping=ColumnMapping(text="tweet_text"))


@pytest.mark.parametrize("name", ["empty.csv", "empty.jsonl", "empty.parquet", "empty.csv.gz"])
def test_empty_file(tmp_path, name):
    path = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(path, "wb"):
            pass
    else:
        path.write_bytes(b"")
    fails(path, name, "empty")


def test_blank_only_file(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("\n\n   \n")
    fails(path, "blank.csv", "no data")


def test_header_only(tmp_path):
    path = tmp_path / "head.csv"
    path.write_text("text,author\n")
    fails(path, "head.csv", "header only", "text, author")
    pq = tmp_path / "head.parquet"
    pd.DataFrame({"text": pd.Series([], dtype=str)}).to_parquet(pq)
    fails(pq, "head.parquet", "no data rows")


def test_undecodable_bytes_are_refused_with_offset_and_line(tmp_path):
    path = tmp_path / "latin.csv"
    body = "text\nfine\ncaf\xe9 au lait\n".encode("latin-1")
    path.write_bytes(body)
    offset = body.index(b"\xe9")
    assert offset == 13
    fails(path, "latin.csv", f"byte offset {offset}", "line 3", "UTF-8")
    # a caller who knows the encoding can say so
    msgs, _ = load_messages(path, encoding="latin-1")
    assert msgs["text"].tolist() == ["fine", "café au lait"]
    # latin-1 named for an Excel (Windows-1252) file: read as browsers do, "I’ll", not "I\x92ll" (a review)
    excel = tmp_path / "excel.csv"
    excel.write_bytes("text\nI’ll pass along the “advice”\n".encode("cp1252"))
    assert load_messages(excel, encoding="latin-1")[0]["text"].tolist() == ["I’ll pass along the “advice”"]
    # and a byte cp1252 leaves undefined is read as latin-1 reads it, never refused (a diff review)
    odd = tmp_path / "odd.csv"
    odd.write_bytes(b"text\nI\x92ll pass \x81 along\n")
    assert load_messages(odd, encoding="latin-1")[0]["text"].tolist() == ["I’ll pass \x81 along"]
    # a codec that needs a byte-order mark the file lacks: one line, not "UnicodeError: UTF-16 stream …"
    fails(path, "latin.csv", "cannot read as utf-16", "utf-16-le", encoding="utf-16")


def test_stray_bytes_in_a_utf8_file_are_not_called_a_code_page(tmp_path):
    """An airline review put 2 stray bytes into a UTF-8 export of tweets: the error said "it looks like cp775 … pass
    --encoding cp775", and following it garbled 356 lines of emoji and accents without a word. A file whose other
    non-ASCII characters read as UTF-8 is UTF-8 with bad bytes: the error says so and how to drop them."""
    path = tmp_path / "tweets.csv"
    rows = [f"Flight {i} to Zürich was great 😀, merci à l’équipe" for i in range(40)]
    body = ("text\n" + "\n".join(rows[:20]) + "\n").encode() + b"bad \xe9\x9c bytes\n" + "\n".join(rows[20:]).encode()
    path.write_bytes(body)
    message = fails(path, "tweets.csv", "line 22", "though the rest of the file reads as UTF-8",
                    "iconv -f utf-8 -t utf-8 -c tweets.csv > OUT")
    assert "--encoding" not in message
    # a file in a code page still gets its guess: its accents are no UTF-8
    latin = tmp_path / "latin.csv"
    latin.write_bytes(("text\n" + "\n".join(f"café {i} déjà vu à l'hôtel" for i in range(40))).encode("cp1252"))
    assert "pass --encoding" in fails(latin, "latin.csv")


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("text,author\nhéllo,ann\n".encode("utf-8-sig"))
    msgs, _ = load_messages(path)
    assert msgs["text"].tolist() == ["héllo"] and msgs["author"].tolist() == ["ann"]


def test_broken_json_line_names_the_line(tmp_path):
    path = tmp_path / "msgs.jsonl"
    path.write_text('{"text": "ok"}\n\n{"text": "broken"\n{"text": "ok"}\n')
    fails(path, "msgs.jsonl", "line 3", "not valid JSON", "fix or remove that line")
    # every broken line at once (an ingest review took four runs to find four)
    path.write_text("".join('{"text": "broken\n' if k in (2, 5, 9) else '{"text": "ok"}\n' for k in range(1, 11)))
    fails(path, "line 2 is not valid JSON", "(3 lines are not: 2, 5, 9); fix or remove those lines")
    path.write_text('{"text": "ok"}\n["a list"]\n')
    fails(path, "line 2", "not a JSON object")


def test_malformed_csv_names_the_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,author\nhi,ann\nhello,bob,extra,fields\n")
    fails(path, "bad.csv", "line 3", "quoting")
    # quoted texts with line breaks before it: the file's own line, not the parser's record count
    path.write_text('text,author\n"two\nlines",ann\n"three\nmore\nlines",cy\nhello,bob,extra,fields\n')
    fails(path, "data row 3 (line 7 of the file) has 4 fields, the header 2")
    # below a report's title line (skipped), the rows count from the header
    titled = tmp_path / "titled.csv"
    titled.write_text("Ticket report: all channels\nTicket ID,Requester,Description\n1,ann,my bag is lost again\n"
                      "2,bob,hi,extra,field\n3,cy,refund\n")
    fails(titled, "data row 2 (line 4 of the file) has 5 fields, the header 3")
    # a title the rows below do not show (they disagree among themselves): the hint says what to delete
    odd = tmp_path / "odd.csv"
    odd.write_text("Ticket report\nTicket ID,Requester,Description\n1,ann\n2,bob,refund,x\n3,cy,a,b,c\n")
    fails(odd, "the header 1", "delete them so that the header is the first line")


def test_corrupt_gzip_and_parquet(tmp_path):
    gz = tmp_path / "x.csv.gz"
    gz.write_bytes(b"this is not gzip")
    fails(gz, "x.csv.gz", "gzip")
    pq = tmp_path / "x.parquet"
    pq.write_bytes(b"PAR1 garbage")
    fails(pq, "x.parquet", "Parquet")


def test_bare_carriage_returns_inside_an_unquoted_field(tmp_path):
    path = tmp_path / "cr.csv"
    path.write_bytes(b"id,text,author\n1,hello \r\rworld,ann\n2,second,bob\n3,\"quoted\r\nline\",cid\n")
    msgs, _ = load_messages(path)
    assert len(msgs) == 3
    assert msgs["text"].tolist() == ["hello world", "second", "quoted\nline"]
    assert msgs["author"].tolist() == ["ann", "bob", "cid"]


def test_crlf_and_cr_only_line_endings(tmp_path):
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes(b"text,author\r\nhi there,ann\r\n\"two\r\nlines\",bob\r\n")
    msgs, report = load_messages(crlf)
    assert msgs["text"].tolist() == ["hi there", "two\nlines"] and msgs["author"].tolist() == ["ann", "bob"]
    assert report.files[0].mapping["author"] == "author"  # header name has no trailing \r
    cr = tmp_path / "cr_only.csv"
    cr.write_bytes(b"text,author\rhi,ann\rbye,bob\r")
    msgs, _ = load_messages(cr)
    assert msgs["text"].tolist() == ["hi", "bye"] and msgs["author"].tolist() == ["ann", "bob"]


def test_unparseable_timestamps_are_counted_not_fatal(tmp_path):
    path = tmp_path / "times.csv"
    rows = ["text,timestamp", "a,2020-01-01T10:00:00Z", "b,yesterday-ish", "c,", "d,31/31/2020", "e,??", "f,nope"]
    path.write_text("\n".join(rows) + "\n")
    msgs, report = load_messages(path)
    assert len(msgs) == 6 and msgs["timestamp"].notna().sum() == 1
    assert report.timestamps_unparseable == 4 and report.timestamps_missing == 1
    assert [(e["file"], e["row"]) for e in report.timestamp_examples] == [
        ("times.csv", 2), ("times.csv", 4), ("times.csv", 5)]


def test_inbound_only_without_inbound_information(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("text\nhello\n")
    fails(path, "plain.csv", "--inbound-only", inbound_only=True)


def test_no_text_left(tmp_path):
    path = tmp_path / "blanks.csv"
    path.write_text("text,author\n,ann\n  ,bob\n")
    fails(path, "blanks.csv", "no messages with text")


def test_two_different_label_columns(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("text,a,b\nhi,x,y\n")
    fails(path, "label", mapping=ColumnMapping(label="a"), label_col="b")


def test_jsonl_with_unicode_line_separator_and_crlf(tmp_path):
    path = tmp_path / "u.jsonl"
    path.write_bytes('{"text": "one\u2028two"}\r\n{"text": "three"}\r\n'.encode("utf-8"))
    msgs, _ = load_messages(path)
    assert msgs["text"].tolist() == ["one\u2028two", "three"]


def test_a_table_saved_as_unicode_text_is_told_apart_from_a_chat(tmp_path):
    """Excel's "Unicode Text" is a UTF-16 .txt: it was refused as "a WhatsApp export is UTF-8, export the chat again"."""
    path = tmp_path / "tickets.txt"
    path.write_bytes("text\tauthor\nmy bag is lost\tann\n".encode("utf-16"))
    fails(path, "tickets.txt", "UTF-16", "rename it .tsv")


def test_encoding_advice_fits_the_file(tmp_path):
    """An ingest review (2026-12-05): a gzipped file was told "iconv -f cp1252 -t utf-8 tweets.csv.gz > OUT" (iconv
    cannot read gzip), and --encoding cp1252 on a file that starts with a UTF-8 byte-order mark was told to pass
    --encoding utf-8 and run "iconv -f utf-8 -t utf-8"."""
    import gzip

    packed = tmp_path / "latin.csv.gz"
    packed.write_bytes(gzip.compress("text\ncafé au lait is great\n".encode("cp1252")))
    fails(packed, "gunzip -c latin.csv.gz | iconv -f cp1252 -t utf-8 > OUT")
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + "text\ncafé au lait\n".encode())
    fails(bom, "--encoding cp1252 given, but the file starts with a utf-8 byte-order mark", "drop --encoding",
          encoding="cp1252")
    assert load_messages(bom, encoding="utf-8")[0]["text"].tolist() == ["café au lait"]


def test_a_legacy_spreadsheet_is_told_how_to_save_it(tmp_path):
    path = tmp_path / "tickets.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0 legacy workbook")
    fails(path, "tickets.xls", "unsupported file type .xls", "save it as .xlsx (Excel Workbook) or CSV")
    other = tmp_path / "notes.docx"
    other.write_bytes(b"PK not read")
    fails(other, "unsupported file type .docx", "use one of")


def test_a_workbook_with_a_repeated_column_name_is_refused_as_a_csv_is(tmp_path):
    """A review (2026-12-06): an .xlsx with two 'Message' columns was read silently (pandas renamed the second
    'Message.1') and clustered the first, a column of user names; a CSV is refused with the columns named."""
    rows = [["id", "Message", "Created", "Message"], ["1", "ann_b", "2024-01-01", "my card is stuck"]]
    pd.DataFrame(rows[1:], columns=rows[0]).to_excel(tmp_path / "dup.xlsx", index=False)
    fails(tmp_path / "dup.xlsx", "dup.xlsx", "column names repeated: 'Message' (columns 2, 4)")


def test_a_utf8_mark_before_cp1252_text_reads_with_the_encoding_named(tmp_path):
    """A review (2026-12-06): an Excel CSV with a UTF-8 byte-order mark and then cp1252 text was refused without
    --encoding ("pass --encoding cp1252") and with it ("drop --encoding"): no way forward. Now the named encoding
    reads the text and the mark is dropped from the first column's name."""
    path = tmp_path / "excel.csv"
    text = "Datum;Nachricht\n2024-01-02 10:00;Die Karte funktioniert nicht – schon wieder für 3 Tage\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("cp1252"))
    fails(path, "excel.csv", "--encoding cp1252")
    msgs, report = load_messages(path, encoding="cp1252")
    assert msgs["text"].tolist() == ["Die Karte funktioniert nicht – schon wieder für 3 Tage"]
    assert report.files[0].encoding == "cp1252 (its UTF-8 byte-order mark ignored)"
    assert report.files[0].mapping["text"] == "Nachricht" and report.files[0].mapping.get("timestamp") == "Datum"
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))  # a UTF-16 mark still decides
    fails(utf16, "utf16.csv", "utf-16-le byte-order mark", "drop --encoding", encoding="cp1252")


def test_a_quiet_days_empty_export_in_a_folder_is_named_not_fatal(tmp_path):
    """A review (2026-12-06): one header-only day file stopped a whole folder of daily exports. Among files with
    rows, an empty or header-only one is named in the report and skipped; alone, or all of them, still an error."""
    (tmp_path / "day1.csv").write_text("text,author\n" + "".join(f"my parcel {i} never came,u{i}\n" for i in range(5)))
    (tmp_path / "day2.csv").write_text("text,author\n")
    (tmp_path / "day3.csv").write_bytes(b"")
    msgs, report = load_messages(tmp_path)
    assert len(msgs) == 5 and report.empty_files == [str(tmp_path / "day2.csv"), str(tmp_path / "day3.csv")]
    assert any(line.startswith("files empty or with a header and no rows, nothing to read: 2") for line in
               report.summary_lines())
    fails(tmp_path / "day2.csv", "day2.csv", "header only, no data rows")
    (tmp_path / "day1.csv").unlink()
    fails(tmp_path, "2 files, each empty or a header with no data rows")


def test_a_side_or_time_column_named_that_yields_nothing_is_refused(tmp_path):
    """A review (2026-12-06): --inbound-col airline left every side unknown and --time-col text every time unread,
    each said only as a count."""
    path = tmp_path / "tweets.csv"
    pd.DataFrame({"text": [f"my flight {i} was late again" for i in range(5)], "airline": "United",
                  "when": "2015-02-24 11:35:52 -0800", "is_customer": "yes"}).to_csv(path, index=False)
    fails(path, "tweets.csv", "column 'airline' given by --inbound-col names no side in any row",
          "values such as 'United'", mapping=ColumnMapping(inbound="airline"))
    fails(path, "column 'text' given by --time-col holds no time that can be read",
          mapping=ColumnMapping(timestamp="text"))
    msgs, _ = load_messages(path, mapping=ColumnMapping(inbound="is_customer", timestamp="when"))
    assert msgs["inbound"].all() and msgs["timestamp"].notna().all()


def test_a_wrong_delimiter_is_named_from_the_header(tmp_path):
    """A review (2026-12-06): --sep ';' on a comma file ended "…or pass --sep", although --sep was given (and a file
    whose one column reads as text was clustered row by row, "1,my parcel never came,ann"); refused, naming the
    delimiter that splits the header and the rows."""
    path = tmp_path / "comma.csv"
    path.write_text("id,text,author\n1,my parcel never came,ann\n")
    fails(path, "comma.csv", "read with delimiter ';' the file is one column ('id,text,author'), which ',' splits "
          "into 3, as it splits the rows: pass --sep ','", sep=";")


def test_a_nested_customer_flag_is_read_as_the_side(tmp_path):
    """A review (2026-12-06): a JSONL export's author.isCustomer was listed under "not read" while is_customer and
    author.isBot are read."""
    import json

    rows = [{"id": i, "text": f"my parcel {i} never came" if i % 2 else f"sorry to hear that, order {i}",
             "author": {"id": f"u{i % 4}", "isCustomer": bool(i % 2)}} for i in range(8)]
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    msgs, report = load_messages(path, inbound_only=True)
    assert report.files[0].mapping["inbound"] == "author.isCustomer"
    assert len(msgs) == 4 and msgs["text"].str.startswith("my parcel").all()


def test_a_text_column_empty_in_every_row_is_named(tmp_path):
    """A help-desk export whose 'body' column was empty read "no messages with text left …; check --text-col points at
    the message text", though no --text-col had been given: the column is named, with how it was chosen."""
    path = tmp_path / "desk.csv"
    pd.DataFrame({"ticket_id": [f"T{i}" for i in range(30)], "body": [""] * 30,
                  "sender": [f"c{i}" for i in range(30)]}).to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        load_messages([path])
    msg = str(err.value)
    assert "\n" not in msg and "its text column 'body' (found by its name) is empty in all 30 rows" in msg
    assert "pass --text-col NAME" in msg
    with pytest.raises(InputError, match=r"'body' \(--text-col\) is empty in all 30 rows"):
        load_messages([path], ColumnMapping(text="body"))

