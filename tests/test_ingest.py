"""Ingest on each layout (bundled sample and the shared real files), mappings and inbound-only."""

from __future__ import annotations

import gzip
import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from ml.ingest.load import COLUMNS, ColumnMapping, detect_layout, load_messages
from ml.runtime.errors import InputError
from tests.fixtures.data import SAMPLE_DIR, shared_path

TWCS = SAMPLE_DIR / "twcs_sample.csv"
AIRLINE = SAMPLE_DIR / "airline_tweets_sample.csv"


def check_contract(frame: pd.DataFrame) -> None:
    """The column names and dtypes of CONTRACTS.md §1 (plus thread_id)."""
    assert list(frame.columns) == COLUMNS
    assert str(frame["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert str(frame["local_hour"].dtype) == "Int64" and str(frame["local_weekday"].dtype) == "Int64"
    assert str(frame["inbound"].dtype) == "boolean"
    assert frame["utc_offset_min"].dtype == "float64" and frame["source_row"].dtype == "int64"
    assert frame["message_id"].is_unique
    assert frame["text"].map(lambda t: isinstance(t, str) and t.strip() != "").all()
    for col in ("author", "reply_to", "label"):
        assert frame[col].map(lambda v: v is None or isinstance(v, str)).all(), col
    hours = frame["local_hour"].dropna()
    assert hours.between(0, 23).all()


# ---------------------------------------------------------------- bundled sample


def test_bundled_twcs_sample():
    msgs, report = load_messages(TWCS)
    check_contract(msgs)
    assert len(msgs) == 3000 and report.rows_read == 3000 and report.layout == "twcs"
    assert report.files[0].mapping["reply_to"] == "in_response_to_tweet_id"
    assert msgs["timestamp"].notna().all() and report.timestamps_unparseable == 0
    assert (msgs["utc_offset_min"] == 0).all()
    row = msgs.set_index("message_id").loc["3399"]  # bare "\r\r" inside an unquoted field
    assert row.text == "@AskPayPal I just love the start of email 😁 https://t.co/8u1Pf5rJoN"
    assert row.source_row == 2485  # 1-based (the dropped pandas index said 2484)
    first = msgs.set_index("message_id").loc["2"]
    assert first.reply_to == "1"  # "1.0" in the file
    assert first.author == "115712" and bool(first.inbound) is True
    assert first.thread_id == "8"  # 2 → 1 → 3 → 4 → 6 → 8 (root)
    assert msgs["label"].isna().all()  # labels only when asked for
    assert report.has_replies and report.has_authors and report.has_timestamps


def test_bundled_airline_sample_local_hour_from_offset():
    msgs, report = load_messages(AIRLINE, label_col="negativereason")
    check_contract(msgs)
    assert len(msgs) == 3000 and report.layout == "twitter_airline"
    assert report.files[0].mapping["author"] == "name"
    raw = pd.read_csv(AIRLINE, dtype=str)
    assert msgs["message_id"].str.split("#").str[0].tolist() == raw["tweet_id"].tolist()  # full 18 digits
    assert report.renamed_duplicate_ids == 3
    # offsets come from the strings; local hour = wall clock written in the file
    assert (msgs["utc_offset_min"] == -480).mean() > 0.99
    wall = raw["tweet_created"].str.slice(11, 13).astype(int)
    assert (msgs["local_hour"].astype(int) == wall).all()
    assert msgs["inbound"].isna().all() and msgs["reply_to"].isna().all()
    assert msgs["label"].notna().sum() == (raw["negativereason"].fillna("") != "").sum()


def test_bundled_folder_reads_every_supported_file_sorted():
    msgs, report = load_messages(SAMPLE_DIR)
    assert [f.path.rsplit("/", 1)[-1] for f in report.files] == [
        "airline_tweets_sample.csv", "twcs_sample.csv"]
    assert report.layout == "mixed" and len(msgs) == 6000
    assert msgs["source_file"].value_counts().to_dict() == {
        "airline_tweets_sample.csv": 3000, "twcs_sample.csv": 3000}


# ---------------------------------------------------------------- shared real files


@pytest.mark.shared
def test_shared_twcs_first5000_gives_5000_rows():
    msgs, report = load_messages(shared_path("twcs_sample", "twcs_first5000.csv"))
    check_contract(msgs)
    assert len(msgs) == 5000 and report.layout == "twcs"
    assert int(msgs["inbound"].sum()) == 2778  # SOURCE.md: 2,778 inbound, 2,222 outbound
    # SOURCE.md says 1,520 authors; a strict reader splits row 3399 and invents one more.
    assert msgs["author"].nunique() == 1519
    assert "\r" not in "".join(msgs["text"])


@pytest.mark.shared
def test_shared_kaggle_sample_without_index_column():
    msgs, report = load_messages(shared_path("twcs_sample", "kaggle_sample.csv"))
    assert len(msgs) == 93 and report.layout == "twcs"
    assert msgs["message_id"].iloc[0] == "119237"


@pytest.mark.shared
def test_shared_airline_gives_14640_rows():
    msgs, report = load_messages(shared_path("twitter_airline_sentiment", "Tweets.csv"), label_col="airline")
    check_contract(msgs)
    assert len(msgs) == 14640 and report.layout == "twitter_airline"
    assert msgs["author"].nunique() == 7701
    assert msgs["label"].value_counts().to_dict()["United"] == 3822
    assert report.timestamps_unparseable == 0 and msgs["timestamp"].min().year == 2015


@pytest.mark.shared
def test_shared_banking77_generic_layout():
    msgs, report = load_messages(shared_path("banking77", "train.csv"), label_col="category")
    check_contract(msgs)
    assert len(msgs) == 10003 and report.layout == "generic"
    assert msgs["label"].nunique() == 77
    assert msgs["message_id"].iloc[0] == "train:1" and msgs["author"].isna().all()
    assert msgs["timestamp"].isna().all() and report.timestamps_missing == 10003
    assert report.timestamps_unparseable == 0 and not report.has_timestamps


# ---------------------------------------------------------------- formats and mappings


def test_detect_layout():
    assert detect_layout(["tweet_id", "author_id", "inbound", "created_at", "text"])[0] == "twcs"
    name, m = detect_layout(["Message", "User", "Date"])
    assert name == "generic" and (m.text, m.author, m.timestamp) == ("Message", "User", "Date")
    assert detect_layout(["a", "b"])[0] == "unknown"
    name, m = detect_layout(["Ticket ID", "Message Body", "User ID", "Created At"])  # as exports write them
    assert name == "generic" and (m.text, m.id, m.author, m.timestamp) == (
        "Message Body", None, "User ID", "Created At")
    # camelCase, as JavaScript APIs write them
    name, m = detect_layout(["messageId", "conversationId", "HTMLBody", "authorID", "createdAt", "userName"])
    assert (m.id, m.thread, m.author, m.timestamp) == ("messageId", "conversationId", "authorID", "createdAt")
    assert detect_layout(["MessageBody", "userName"])[1].author == "userName"
    assert detect_layout(["id", "Review Text", "rating"])[1].text == "Review Text"


def test_weak_text_names_count_when_their_column_reads_as_free_text(tmp_path):
    """"comment", "review", "tweet", "sentence", "transcript" name the text of reviews, surveys and call logs, and a
    short note elsewhere: a survey's "Comment" of "n/a" loses to its free-text "Feedback"."""
    texts = pd.read_csv(TWCS)["text"].head(20).tolist()  # real customer tweets
    for name in ("comment", "Review", "Sentence", "Transcript", "tweet"):
        path = tmp_path / f"{name}.csv"
        pd.DataFrame({"id": range(20), name: texts, "notes": [f"{t} and a few more words" for t in texts]}).to_csv(
            path, index=False)
        _, report = load_messages(path)
        assert report.files[0].mapping["text"] == name and not report.files[0].text_guessed
    survey = tmp_path / "survey.csv"
    pd.DataFrame({"Comment": ["n/a", "follow up", "n/a", "ok"] * 5, "Feedback": texts}).to_csv(survey, index=False)
    _, report = load_messages(survey)
    assert report.files[0].mapping["text"] == "Feedback" and report.files[0].text_guessed


def test_a_file_without_a_text_name_takes_the_column_that_reads_as_free_text(tmp_path):
    """Real tweets of the bundled sample under "Utterance Text", beside an intent label, agent names and dates:
    the tweets are taken and the log says so; an explicit --text-col wins; no free text is still an error."""
    texts = pd.read_csv(TWCS)["text"].head(10).tolist()  # real customer tweets
    path = tmp_path / "tickets.csv"
    pd.DataFrame({
        "ticket": range(len(texts)), "intent": ["card_arrival"] * len(texts),
        "agent": ["Jane Doe", "John Smith"] * (len(texts) // 2),
        "opened": [f"2024-01-0{i % 9 + 1} 10:00" for i in range(len(texts))], "Utterance Text": texts,
    }).to_csv(path, index=False)
    msgs, report = load_messages([path])
    assert msgs["text"].tolist() == texts and report.files[0].text_guessed
    assert "text column 'Utterance Text'" in report.summary_lines()[0]
    # no time name either: "opened" reads as timestamps (the ticket numbers, digits only, are never taken)
    assert report.files[0].time_guessed and report.files[0].mapping["timestamp"] == "opened"
    assert msgs["timestamp"].notna().all() and "time column 'opened'" in report.summary_lines()[0]
    msgs, report = load_messages([path], mapping=ColumnMapping(text="agent"))
    assert msgs["text"].iloc[0] == "Jane Doe" and not report.files[0].text_guessed
    pd.DataFrame({"intent": ["card_arrival", "age_limit"] * 5, "agent": ["Jane Doe", "John Smith"] * 5}).to_csv(
        tmp_path / "labels.csv", index=False)
    with pytest.raises(InputError, match="no text column found"):
        load_messages([tmp_path / "labels.csv"])


def test_mapping_by_flags_on_custom_columns(tmp_path):
    path = tmp_path / "chat.csv"
    pd.DataFrame({
        "words": ["hello there", "still waiting", "fixed now"],
        "msg": ["m1", "m2", "m3"], "who": ["ann", "ann", "bob"],
        "when": ["2021-01-01T10:00:00+01:00", "2021-01-01T11:00:00+01:00", "2021-01-01T12:00:00Z"],
        "parent": ["", "m1", "m2"], "intent": ["greet", "wait", "done"],
    }).to_csv(path, index=False)
    mapping = ColumnMapping(text="words", id="msg", author="who", timestamp="when", reply_to="parent",
                            label="intent")
    msgs, report = load_messages(path, mapping=mapping)
    check_contract(msgs)
    assert report.layout == "mapped"
    assert msgs["message_id"].tolist() == ["m1", "m2", "m3"]
    assert msgs["reply_to"].tolist() == [None, "m1", "m2"]
    assert msgs["thread_id"].tolist() == ["m1", "m1", "m1"]
    assert msgs["local_hour"].tolist() == [10, 11, 12]
    assert msgs["label"].tolist() == ["greet", "wait", "done"]


def test_the_summary_names_the_column_of_each_field_and_those_not_read(tmp_path):
    """A help desk's export with its own names: "Customer" is read as the author; a column no field reads is named
    with the flags that would read it, and a load without authors says what that turns off."""
    frame = pd.DataFrame({"Ticket ID": ["t1", "t2"], "Customer": ["ann", "bob"], "Message Body": ["hello", "help"],
                          "Created At": ["2021-01-01 10:00", "2021-01-01 11:00"], "Queue": ["billing", "tech"]})
    frame.to_csv(tmp_path / "desk.csv", index=False)
    msgs, report = load_messages(tmp_path / "desk.csv")
    assert msgs["author"].tolist() == ["ann", "bob"] and report.has_authors
    lines = report.summary_lines()
    assert lines[1] == ("columns read: text 'Message Body', author 'Customer', time 'Created At', conversation "
                        "'Ticket ID'; not read: 'Queue' (fields not read yet: --reply-to-col (reply to), --id-col (id), --inbound-col (side))")
    assert not any(line.startswith("no author column") for line in lines)
    frame.rename(columns={"Customer": "Agent Name"}).to_csv(tmp_path / "desk2.csv", index=False)
    _, report = load_messages(tmp_path / "desk2.csv")
    lines = report.summary_lines()
    assert "not read: 'Agent Name', 'Queue' (fields not read yet: --author-col (author)," in lines[1]
    frame.assign(_source=["a", "b"]).to_csv(tmp_path / "desk3.csv", index=False)  # a file's own "_source" is named
    assert "not read: 'Queue', '_source' (fields not read yet:" in load_messages(tmp_path / "desk3.csv")[1].summary_lines()[1]
    assert any(line.startswith("no author column: each message counts on its own") and "--author-col" in line
               for line in lines)
    frame.assign(Customer="").to_csv(tmp_path / "desk4.csv", index=False)  # read, but empty (a review: "no author
    lines = load_messages(tmp_path / "desk4.csv")[1].summary_lines()      # column" below "author 'Customer'")
    assert any(line.startswith("the author column 'Customer' is empty in every row: each message counts on its own")
               for line in lines)
    frame.assign(Customer="", **{"Customer Email": ["a@x.io", "b@x.io"]}).to_csv(tmp_path / "desk5.csv", index=False)
    lines = load_messages(tmp_path / "desk5.csv")[1].summary_lines()  # an unread column that may name who wrote
    assert any(line.endswith("(the unread column 'Customer Email' may name who wrote: --author-col 'Customer Email')")
               for line in lines), lines


def test_explicit_mapping_overrides_detection():
    msgs, report = load_messages(TWCS, mapping=ColumnMapping(id="response_tweet_id", timestamp="created_at"))
    assert report.layout == "twcs" and report.files[0].mapping["id"] == "response_tweet_id"
    assert msgs.set_index("source_row").loc[1, "message_id"] == "2"
    # rows without a response id fall back to file:row
    assert msgs.set_index("source_row").loc[2, "message_id"] == "twcs_sample:2"


def test_inbound_only_keeps_customer_side_and_threads():
    everything, _ = load_messages(TWCS)
    msgs, report = load_messages(TWCS, inbound_only=True)
    assert len(msgs) == int(everything["inbound"].sum()) and msgs["inbound"].all()
    assert report.dropped_not_inbound == len(everything) - len(msgs)
    # thread roots were found on the full reply graph, before the brand side was dropped
    assert msgs.set_index("message_id").loc["2", "thread_id"] == "8"


def test_gzip_jsonl_json_and_parquet(tmp_path):
    rows = [{"id": 1, "text": "first", "user": "u1", "timestamp": 1509487905},
            {"id": 2, "text": "second", "user": "u2", "timestamp": 1509487965, "reply_to": 1}]
    with gzip.open(tmp_path / "a.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write("\n".join(json.dumps(r) for r in rows) + "\n\n")
    (tmp_path / "b.json").write_text(json.dumps(rows), encoding="utf-8")
    pd.DataFrame(rows).to_parquet(tmp_path / "c.parquet")
    pd.DataFrame(rows).to_csv(tmp_path / "d.csv.gz", index=False)
    (tmp_path / "notes.txt").write_text("ignored in a folder")
    msgs, report = load_messages(tmp_path)
    assert [f.format for f in report.files] == ["jsonl", "json", "parquet", "csv"]
    assert len(msgs) == 8 and report.layout == "generic"
    for _, part in msgs.groupby("source_file"):
        # ids stay "1"/"2" in every format (parquet stores reply_to as float 1.0)
        assert part["reply_to"].tolist() == [None, "1"]
        assert part["timestamp"].iloc[0] == pd.Timestamp("2017-10-31 22:11:45", tz="UTC")
    assert msgs["message_id"].is_unique and report.renamed_duplicate_ids == 6


def test_empty_text_rows_are_dropped_and_counted(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("text,timestamp\nhello,2020-01-01\n,2020-01-02\n   ,2020-01-03\nbye,soon\n")
    msgs, report = load_messages(path)
    assert msgs["text"].tolist() == ["hello", "bye"]
    assert msgs["source_row"].tolist() == [1, 4] and msgs["message_id"].tolist() == ["t:1", "t:4"]
    assert report.dropped_empty_text == 2 and report.rows_kept == 2
    assert report.timestamps_unparseable == 1
    assert report.timestamp_examples == [{"file": "t.csv", "row": 4, "value": "soon"}]
    json.dumps(report.to_dict())  # goes into manifest.json as is
    assert any("unparseable" in line for line in report.summary_lines())


def test_several_paths_in_given_order(tmp_path):
    shutil.copy(TWCS, tmp_path / "z.csv")
    msgs, report = load_messages([tmp_path / "z.csv", AIRLINE])
    assert [f.layout for f in report.files] == ["twcs", "twitter_airline"]
    assert msgs["source_file"].iloc[0] == "z.csv" and len(msgs) == 6000


def test_excel_workbooks_are_read_from_their_first_sheet(tmp_path):
    """The bundled sample saved as a workbook with typed cells (a date column, whole numbers), a second sheet,
    and the lock file Excel leaves beside an open workbook; a file that is not a workbook is refused."""
    sample = pd.read_csv(TWCS).head(200)
    typed = sample.assign(created_at=pd.to_datetime(sample["created_at"], format="%a %b %d %H:%M:%S %z %Y")
                          .dt.tz_localize(None))
    folder = tmp_path / "exports"
    folder.mkdir()
    with pd.ExcelWriter(folder / "tickets.xlsx") as book:
        typed.to_excel(book, sheet_name="Tickets", index=False)
        pd.DataFrame({"note": ["exported by the help desk"]}).to_excel(book, sheet_name="Notes", index=False)
    (folder / "~$tickets.xlsx").write_bytes(b"\x00lock")
    msgs, report = load_messages([folder])
    check_contract(msgs)
    csv_msgs, _ = load_messages([TWCS])
    first = csv_msgs.head(200)
    assert msgs["message_id"].tolist() == first["message_id"].tolist()  # "1", not "1.0"
    assert msgs["timestamp"].tolist() == first["timestamp"].tolist()
    assert msgs["text"].tolist() == first["text"].tolist()
    assert report.files[0].sheet == "'Tickets' (1 of 2)" and "sheet 'Tickets' (1 of 2)" in report.summary_lines()[0]
    (tmp_path / "renamed.xlsx").write_bytes(TWCS.read_bytes())  # a CSV renamed to .xlsx
    with pytest.raises(InputError) as err:
        load_messages([tmp_path / "renamed.xlsx"])
    msg = str(err.value)
    assert "\n" not in msg and "renamed.xlsx" in msg and "save it as .xlsx again, or export CSV" in msg


def test_an_empty_sheet_before_the_data_is_skipped_and_named(tmp_path):
    """A robustness sweep: a workbook whose first sheet ("Notes") is empty and whose second holds the rows was
    refused as "header only, no data rows (columns: none)". The first sheet with data rows is read, and the run
    names the empty one before it; a workbook of empty sheets is refused naming them."""
    sample = pd.read_csv(TWCS).head(50)
    path = tmp_path / "tickets.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame().to_excel(book, sheet_name="Notes", index=False)
        sample.to_excel(book, sheet_name="Data", index=False)
    msgs, report = load_messages([path])
    assert len(msgs) == 50 and report.files[0].sheet == "'Data' (2 of 2; 'Notes' before it is empty)"
    blank = tmp_path / "blank.xlsx"
    with pd.ExcelWriter(blank) as book:
        pd.DataFrame().to_excel(book, sheet_name="Notes", index=False)
        pd.DataFrame().to_excel(book, sheet_name="More", index=False)
    with pytest.raises(InputError) as err:
        load_messages([blank])
    assert str(err.value).endswith("none of its 2 sheets holds data rows ('Notes', 'More'); export the sheet with "
                                   "the messages")


def test_a_reports_title_rows_above_the_header_are_skipped(tmp_path):
    """An ingest review (2026-12-05): a help-desk report with two title lines and a blank row above the header
    was read with columns 'Unnamed: 2', …; its 18-digit ticket ids became 1988 timestamps and the header cell
    "Description" a message. The header row is found, the title rows are skipped and the run says so."""
    sample = pd.read_csv(TWCS).head(40)
    table = pd.DataFrame({"Ticket ID": [str(10**17 + i) for i in range(40)], "Requester": sample["author_id"],
                          "Description": sample["text"], "Created": sample["created_at"]})
    path = tmp_path / "report.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame([["Ticket report: all channels"], ["Exported 2017-11-01"], [""]]).to_excel(
            book, sheet_name="Report", index=False, header=False)
        table.to_excel(book, sheet_name="Report", index=False, startrow=3)
    msgs, report = load_messages([path])
    assert msgs["text"].tolist() == sample["text"].tolist() and msgs["timestamp"].dt.year.eq(2017).all()
    assert report.files[0].mapping["text"] == "Description" and report.files[0].mapping["author"] == "Requester"
    assert report.files[0].sheet == "'Report' (1 of 1; header on row 4, 3 title rows above it skipped)"


def test_a_csv_reports_title_lines_are_skipped(tmp_path):
    """The same report saved as CSV: pandas took the title as the only column and each row's ticket id and
    requester as its index, without an error."""
    path = tmp_path / "report.csv"
    path.write_text("Ticket report: all channels\nExported 2017-11-01\n\nTicket ID,Requester,Description\n"
                    "1,ann,my bag is lost again\n2,bob,refund please for my flight\n3,cy,the app keeps crashing\n")
    msgs, report = load_messages([path])
    assert msgs["text"].tolist() == ["my bag is lost again", "refund please for my flight", "the app keeps crashing"]
    assert msgs["author"].tolist() == ["ann", "bob", "cy"]
    assert report.files[0].title_lines == 3 and "header on line 4 (3 title lines above it skipped)" in \
        report.summary_lines()[0]
    plain, plain_report = load_messages([TWCS])  # a file without a title: nothing skipped
    assert plain_report.files[0].title_lines == 0 and "title" not in plain_report.summary_lines()[0]


def test_html_message_bodies_are_read_as_a_browser_shows_them(tmp_path):
    """Help-desk and chat exports write message bodies as HTML: real tweets of the bundled sample wrapped in
    <div><p>…</p></div>, with a <style> block and a line break, come back as the tweets; "I <3" is not markup."""
    from ml.ingest.textclean import clean_text

    sample = pd.read_csv(TWCS).head(40)
    plain = sample["text"].tolist()
    sample["text"] = [f"<div><style>p {{margin:0}}</style><p>{t}</p></div>" if i % 2 == 0 else t
                      for i, t in enumerate(plain)]
    sample.to_csv(tmp_path / "bodies.csv", index=False)
    msgs, report = load_messages([tmp_path / "bodies.csv"])
    csv_msgs, _ = load_messages([TWCS])
    def shown(t):  # a browser's spacing: runs of spaces one space, lines trimmed
        return re.sub(r" *\n *", "\n", re.sub(r"[ \t]+", " ", t)).strip()

    assert [shown(t) for t in msgs["text"]] == [shown(t) for t in csv_msgs["text"].head(40)]
    assert msgs["text"].tolist()[1::2] == csv_msgs["text"].head(40).tolist()[1::2]  # plain texts untouched
    assert report.html_texts == 20 and "texts with HTML markup" in "\n".join(report.summary_lines())
    assert clean_text("<p>Hi team,</p><p>My order <b>never</b> arrived.<br/>Can you help?&nbsp;Thanks</p>") == (
        "Hi team,\n\nMy order never arrived.\nCan you help? Thanks")
    for text in ("I <3 you @united", "a < b and c > d", "<user> said hi", "&lt;p&gt; is a tag"):
        assert clean_text(text) == text.replace("&lt;", "<").replace("&gt;", ">")


def test_who_wrote_a_message_is_read_from_a_help_desks_role_column(tmp_path):
    """An export as a help desk writes it ("Author Type": user / admin / bot, an Intercom-like layout) from the
    bundled sample's real tweets: the role column is the inbound flag, so the customers' side is found."""
    sample = pd.read_csv(TWCS).head(300)
    roles = np.where(sample["inbound"].astype(str).str.lower() == "true", "user", "admin")
    roles[:5] = "Bot"  # any case
    export = pd.DataFrame({"Conversation ID": sample["tweet_id"], "Author Type": roles,
                           "Author ID": sample["author_id"], "Created At": sample["created_at"],
                           "Message Body": sample["text"]})
    export.to_csv(tmp_path / "conversations.csv", index=False)
    msgs, report = load_messages([tmp_path / "conversations.csv"])
    assert report.files[0].mapping["inbound"] == "Author Type" and report.has_inbound
    assert msgs["inbound"].tolist() == [r == "user" for r in roles]
    customers, report = load_messages([tmp_path / "conversations.csv"], inbound_only=True)
    assert len(customers) == int((roles == "user").sum()) and report.dropped_not_inbound == 300 - len(customers)
    odd = export.assign(**{"Author Type": "manager"})  # values that say nothing about the side: unknown
    odd.to_csv(tmp_path / "odd.csv", index=False)
    assert load_messages([tmp_path / "odd.csv"])[0]["inbound"].isna().all()


def test_inbound_col_flag_names_the_role_column(tmp_path):
    """`--inbound-col` (input.inbound_col) for a role column under a name that is not detected."""
    from ml.runtime.config import PipelineConfig
    from ml.runtime.pipeline import PersonaPipeline

    sample = pd.read_csv(TWCS).head(100)
    who = np.where(sample["inbound"].astype(str).str.lower() == "true", "End-user", "Agent")
    sample.drop(columns=["inbound"]).assign(Who=who).to_csv(tmp_path / "t.csv", index=False)
    cfg = PipelineConfig().updated({"input": {"inbound_col": "Who"}})
    msgs, report = PersonaPipeline(cfg, progress=False).load([tmp_path / "t.csv"])
    assert report.files[0].mapping["inbound"] == "Who" and msgs["inbound"].tolist() == [w == "End-user" for w in who]


def test_a_flag_that_is_true_for_the_company_is_read_the_other_way_round(tmp_path):
    """`Is Agent` (found by name): true is the company's side, so the inbound flag is its opposite;
    DiscordChatExporter's `author.isBot` (JSON booleans): a bot is the company, a person unknown (customer or
    staff); an inbound column wins over either; `--outbound-col` names one under
    another name, and naming such a column with `--inbound-col` is refused in one line."""
    from ml.runtime.config import PipelineConfig
    from ml.runtime.errors import InputError
    from ml.runtime.pipeline import PersonaPipeline

    sample = pd.read_csv(TWCS).head(120)
    customer = (sample["inbound"].astype(str).str.lower() == "true").to_numpy()
    agent = np.where(customer, "no", "yes")
    agent[:3] = ["", "maybe", "No"]  # unknown values stay unknown
    export = pd.DataFrame({"Ticket ID": sample["tweet_id"], "Is Agent": agent, "Message": sample["text"]})
    export.to_csv(tmp_path / "tickets.csv", index=False)
    msgs, report = load_messages(tmp_path / "tickets.csv")
    assert report.files[0].mapping.get("outbound") == "Is Agent" and "inbound" not in report.files[0].mapping
    assert msgs["inbound"].iloc[:3].isna().tolist() == [True, True, False] and msgs["inbound"].iloc[2]
    assert msgs["inbound"].iloc[3:].tolist() == customer[3:].tolist()
    customers, report = load_messages(tmp_path / "tickets.csv", inbound_only=True)
    assert len(customers) == int(msgs["inbound"].fillna(False).sum()) == 1 + int(customer[3:].sum())
    assert report.dropped_not_inbound == len(msgs) - len(customers)
    discord = {"messages": [{"id": str(r.tweet_id), "content": r.text, "timestamp": "2024-03-01T10:00:00+00:00",
                             "author": {"id": str(r.author_id), "name": str(r.author_id), "isBot": not c}}
                            for r, c in zip(sample.itertuples(), customer)]}
    (tmp_path / "discord.json").write_text(json.dumps(discord))
    msgs, report = load_messages(tmp_path / "discord.json")
    assert report.files[0].mapping.get("outbound") == "author.isBot"  # a bot is the company; a person unknown
    assert msgs["inbound"].tolist() == [pd.NA if c else False for c in customer]
    both = export.assign(Role=np.where(customer, "end-user", "agent"), **{"Is Agent": "yes"})
    both.to_csv(tmp_path / "both.csv", index=False)
    msgs, report = load_messages(tmp_path / "both.csv")
    assert report.files[0].mapping["inbound"] == "Role" and msgs["inbound"].tolist() == customer.tolist()
    odd = export.rename(columns={"Is Agent": "Staff Reply"})
    odd.to_csv(tmp_path / "odd.csv", index=False)
    cfg = PipelineConfig().updated({"input": {"outbound_col": "Staff Reply"}})
    msgs, report = PersonaPipeline(cfg, progress=False).load([tmp_path / "odd.csv"])
    assert report.files[0].mapping["outbound"] == "Staff Reply"
    assert msgs["inbound"].iloc[3:].tolist() == customer[3:].tolist()
    both.to_csv(tmp_path / "both.csv", index=False)
    cfg = PipelineConfig().updated({"input": {"outbound_col": "Is Agent"}})  # named: wins over the detected Role
    msgs, report = PersonaPipeline(cfg, progress=False).load([tmp_path / "both.csv"])
    assert "inbound" not in report.files[0].mapping and not msgs["inbound"].any()
    with pytest.raises(InputError, match=r"pass one of inbound_col \(--inbound-col\) and outbound_col"):
        PipelineConfig().updated({"input": {"inbound_col": "Role", "outbound_col": "Is Agent"}})
    customers = export.rename(columns={"Is Agent": "is_customer"})
    customers.to_csv(tmp_path / "customers.csv", index=False)
    with pytest.raises(InputError, match=r"'is_customer' given by --outbound-col is true where the customer wrote"):
        load_messages(tmp_path / "customers.csv", mapping=ColumnMapping(outbound="is_customer"))
    with pytest.raises(InputError, match=r"'Is Agent' given by --inbound-col is true where the company wrote; pass it as --outbound-col 'Is Agent'"):
        load_messages(tmp_path / "tickets.csv", mapping=ColumnMapping(inbound="Is Agent"))


def test_guess_time_column_takes_the_first_column_of_timestamps():
    from ml.ingest.columns import guess_time_column

    frame = pd.DataFrame({"ticket": ["1509487845", "1509487846"], "status": ["solved", "open"],
                          "Created": ["2017-10-31 22:10:47", "Tue Oct 31 22:11:45 +0000 2017"],
                          "Solved": ["2017-11-01 10:00", "2017-11-02 11:00"]})
    assert guess_time_column(frame) == "Created"
    assert guess_time_column(frame, {"Created"}) == "Solved"
    assert guess_time_column(frame[["ticket", "status"]]) is None  # digits only: epoch or id, not by their values
    # digits under a time name, every one epoch seconds or milliseconds of 2000-2040 (a review's "sent_ms")
    ms = pd.DataFrame({"ticket": ["1509487845", "1509487846"], "sent_ms": ["1509487845123", "1509487846000"]})
    assert guess_time_column(ms) == "sent_ms" and guess_time_column(ms.rename(columns={"sent_ms": "ref"})) is None
    assert guess_time_column(pd.DataFrame({"created_id": ["0000000001", "0000000002"]})) is None  # not epoch
    for name in ("updated_by", "created_by_id", "update_count", "sentiment", "candidate_id"):  # ids under time-ish
        assert guess_time_column(pd.DataFrame({name: ["1200345678", "1509487846"]})) is None, name  # names (review)
    assert guess_time_column(pd.DataFrame({"Sent At": ["1509487845", "1509487846"]})) == "Sent At"


def test_a_huge_cell_is_cut_and_counted(tmp_path):
    """An ingest review (2026-12-05): a CSV cell of 2 MB (a pasted log) made the filter take 23.5 s instead of 1.5."""
    from ml.ingest.textclean import MAX_TEXT

    path = tmp_path / "huge.csv"
    pd.DataFrame({"text": ["my bag is lost", "log line " * 250_000, "refund please"]}).to_csv(path, index=False)
    msgs, report = load_messages([path])
    assert msgs["text"].str.len().tolist() == [14, MAX_TEXT, 13] and report.texts_cut == 1
    assert "texts longer than 100,000 characters (a pasted log or file?), cut there: 1" in report.summary_lines()


def test_chat_transcripts_in_one_cell_are_named(tmp_path):
    """An ingest review (2026-12-05): LiveChat-style transcripts, a chat per cell with the agent's lines in it,
    were read without a word."""
    chats = ["(09:46:51 PM) Visitor: my flight is at 3pm and I need help at the gate\n"
             f"(10:12:14 PM) Jane (Agent): sorry for the wait, chat {i}\n(10:24:57 PM) Visitor: thanks, found it"
             for i in range(30)]
    path = tmp_path / "chats.csv"
    pd.DataFrame({"Chat ID": range(32), "Transcript": [*chats, "one line only", "two lines\nwithout times"]}).to_csv(
        path, index=False)
    _, report = load_messages([path])
    assert report.transcripts == 30
    assert any(line.startswith("texts that read as whole chat transcripts") and ": 30; each is one member" in line
               for line in report.summary_lines())
    _, plain = load_messages([TWCS])
    assert plain.transcripts == 0


def test_a_header_is_not_taken_for_a_title_when_rows_end_in_empty_fields_or_a_notes_row_is_wider(tmp_path):
    """A diff review (2026-12-05) of the title-row rule: rows ending ",,,,," (an Excel artefact) made the real
    header a "title" and a message the text column's name; a wider notes row among the first rows of a sheet moved
    the header down; a workbook with two 'Comment' columns was refused as repeating a name."""
    csv_path = tmp_path / "trailing.csv"
    csv_path.write_text("id,text,author,date\n" + "".join(f"{i},my card is blocked again {i},u{i},2024-03-0{i % 9 + 1},,,,,\n"
                                                          for i in range(10)))
    msgs, report = load_messages([csv_path])
    assert len(msgs) == 10 and report.files[0].title_lines == 0 and report.files[0].mapping["text"] == "text"
    book = tmp_path / "notes.xlsx"
    rows = [["text", "author", "", "", ""], *[[f"my parcel {i} never came, again", f"u{i}", "", "", ""] for i in range(3)],
            ["note", "exported", "by", "the", "desk"],
            *[[f"refund {i} please, still waiting", f"v{i}", "", "", ""] for i in range(8)]]
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame(rows).to_excel(writer, index=False, header=False)
    msgs, report = load_messages([book])
    assert report.files[0].mapping["text"] == "text" and "title" not in (report.files[0].sheet or "")
    assert msgs["text"].iloc[0] == "my parcel 0 never came, again"
    twice = tmp_path / "twice.xlsx"
    with pd.ExcelWriter(twice) as writer:
        pd.DataFrame([["Comment", "Comment"], *[[f"the app crashes on start {i}", f"x{i}"] for i in range(5)]]
                     ).to_excel(writer, index=False, header=False)
    with pytest.raises(InputError, match=r"column names repeated: 'Comment' \(columns 1, 2\)"):  # as a CSV is
        load_messages([twice], mapping=ColumnMapping(text="Comment"))
