"""Survey tools' exports (ml.ingest.surveys): Qualtrics' and SurveyMonkey's extra header rows are not read as
answers, each answer column keeps its question, and Qualtrics' time zone is honoured; real customer texts
from the bundled sample stand in for the answers."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from ml.ingest.load import load_messages
from ml.ingest.textclean import clean_text
from tests.fixtures.data import SAMPLE_DIR

QUESTION = "What could we do better? Tell us in your own words."


@pytest.fixture(scope="module")
def answers() -> list[str]:
    sample = pd.read_csv(SAMPLE_DIR / "airline_tweets_sample.csv", dtype=str)
    return sample["text"].dropna().head(120).tolist()


def qualtrics_rows(answers: list[str]) -> list[list[str]]:
    names = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
             "RecordedDate", "ResponseId", "DistributionChannel", "UserLanguage", "Q1", "Q2", "Q3_TEXT"]
    questions = ["Start Date", "End Date", "Response Type", "IP Address", "Progress", "Duration (in seconds)",
                 "Finished", "Recorded Date", "Response ID", "Distribution Channel", "User Language",
                 "How likely are you to recommend us?", "Which plan are you on?", QUESTION]
    zone = {"startDate", "endDate", "recordedDate"}
    ids = [json.dumps({"ImportId": i, **({"timeZone": "America/Denver"} if i in zone else {})}, separators=(",", ":"))
           for i in ("startDate", "endDate", "status", "ipAddress", "progress", "duration", "finished",
                     "recordedDate", "_recordId", "distributionChannel", "userLanguage", "QID1", "QID2", "QID3_TEXT")]
    rows = [names, questions, ids]
    for i, text in enumerate(answers):
        minute = f"{i % 60:02d}"
        rows.append([f"2024-07-01 09:{minute}:00", f"2024-07-01 09:{minute}:40", "IP Address", f"10.0.0.{i}", "100",
                     "40", "True", f"2024-07-01 09:{minute}:41", f"R_{i:05d}", "anonymous", "EN", str(i % 11),
                     ("Basic", "Pro")[i % 2], text])
    return rows


def test_a_qualtrics_export(tmp_path, answers):
    with (tmp_path / "feedback.csv").open("w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows(qualtrics_rows(answers))
    msgs, report = load_messages(tmp_path / "feedback.csv")
    f = report.files[0]
    assert (f.layout, f.survey, f.question, f.time_zone) == ("qualtrics", "Qualtrics", QUESTION, "America/Denver")
    assert f.mapping == {"text": "Q3_TEXT", "id": "ResponseId", "timestamp": "RecordedDate"}
    assert f.rows_read == len(answers) == len(msgs)  # the question and import-id rows are not answers
    assert msgs["text"].tolist() == [clean_text(a) for a in answers] and msgs["message_id"].iloc[0] == "R_00000"
    # 09:00 in Denver (daylight time in July, UTC-6) is 15:00 UTC; hours read in the export's zone
    assert str(msgs["timestamp"].iloc[0]) == "2024-07-01 15:00:41+00:00"
    assert (msgs["utc_offset_min"] == -360).all() and (msgs["local_hour"] == 9).all()
    line = report.summary_lines()[0]
    assert f"Qualtrics export (header rows below the names skipped), answers to {QUESTION!r}" in line
    assert "times in America/Denver as the export says" in line
    # the same export as an Excel workbook
    rows = qualtrics_rows(answers)
    pd.DataFrame(rows[1:], columns=rows[0]).to_excel(tmp_path / "feedback.xlsx", index=False)
    from_xlsx, xreport = load_messages(tmp_path / "feedback.xlsx")
    assert xreport.files[0].survey == "Qualtrics" and from_xlsx["text"].tolist() == msgs["text"].tolist()
    assert from_xlsx["timestamp"].tolist() == msgs["timestamp"].tolist()
    # and as Qualtrics writes TSV: UTF-16 with a byte-order mark
    with (tmp_path / "feedback.tsv").open("w", newline="", encoding="utf-16") as f:
        csv.writer(f, delimiter="\t").writerows(rows)
    from_tsv, treport = load_messages(tmp_path / "feedback.tsv")
    assert treport.files[0].survey == "Qualtrics" and from_tsv["text"].tolist() == msgs["text"].tolist()


def test_a_surveymonkey_export(tmp_path, answers):
    head = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
            "Which of these did you use?", "", "", "How likely are you to recommend us?", QUESTION]
    labels = ["", "", "", "", "", "", "Web", "App", "Phone", "Response", "Open-Ended Response"]
    rows = [head, labels]
    for i, text in enumerate(answers):
        rows.append([str(1000 + i), "42", "07/01/2024 09:00:00 AM", "07/01/2024 09:05:00 AM", "", "",
                     "Web" if i % 2 else "", "App" if i % 3 else "", "", str(i % 11), text])
    with (tmp_path / "survey.csv").open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    msgs, report = load_messages(tmp_path / "survey.csv")
    f = report.files[0]
    assert (f.layout, f.survey, f.question) == ("surveymonkey", "SurveyMonkey", QUESTION)
    assert f.mapping["id"] == "Respondent ID" and f.mapping["timestamp"] == "End Date"
    assert len(msgs) == len(answers) and msgs["message_id"].iloc[0] == "1000"  # the labels row is not an answer
    assert msgs["text"].tolist() == [clean_text(a) for a in answers]
    # a choice's column keeps its question: "Which of these did you use?: App"
    from ml.ingest.surveys import prepare
    _, survey = prepare(pd.read_csv(tmp_path / "survey.csv", dtype=str))
    assert survey.questions["Unnamed: 7"] == "Which of these did you use?: App"


def test_a_plain_table_is_not_a_survey(tmp_path, answers):
    """A second row that happens to hold an import id or two, or a column called Respondent ID, drops no row."""
    from ml.ingest.surveys import prepare

    frame = pd.DataFrame({"Respondent ID": ["1", "2", "3"], "Answer": answers[:3]})
    assert prepare(frame)[1] is None
    typed = '{"ImportId": "x"} is what I typed'
    frame = pd.DataFrame({"id": ["1", "2", "3"], "text": [answers[0], typed, answers[1]]})
    assert prepare(frame)[1] is None
    ids = pd.DataFrame({f"c{i}": ["q", '{"ImportId":"QID1"}' if i < 3 else "an answer", "a"] for i in range(5)})
    assert prepare(ids)[1] is None  # 3 of 5 cells (60 %) are import ids: not Qualtrics' row
    frame.to_csv(tmp_path / "plain.csv", index=False)
    assert len(load_messages(tmp_path / "plain.csv")[0]) == 3


def test_survey_edge_cases(tmp_path, answers):
    """An export of the header rows only is refused in one line; a zone zoneinfo does not know is not used,
    "Z" is UTC."""
    from ml.runtime.errors import InputError

    rows = qualtrics_rows(answers[:3])
    with (tmp_path / "empty.csv").open("w", newline="") as f:
        csv.writer(f).writerows(rows[:3])
    with pytest.raises(InputError, match=r"empty\.csv: a Qualtrics export with no responses"):
        load_messages(tmp_path / "empty.csv")
    from ml.ingest.timebasis import check_timezone
    with pytest.raises(InputError, match=r"--timezone 'America': not a known IANA time zone"):
        check_timezone("America")  # a folder of tzdata, not a zone: one line, not a traceback
    for legacy in ("EST", "CET", "PST8PDT"):  # "EST" is UTC−05:00 all year: not New York's clock
        with pytest.raises(InputError, match=rf"--timezone '{legacy}': a legacy abbreviation.*America/New_York"):
            check_timezone(legacy)
    for fine in ("UTC", "GMT", "Etc/GMT+5", "America/New_York", "Japan", "Singapore"):
        check_timezone(fine)
    for zone, expected in (("Z", "UTC"), ("Mars/Olympus_Mons", None), ("America", None)):
        odd = [row[:] for row in rows]
        odd[2] = [cell.replace("America/Denver", zone) for cell in odd[2]]
        with (tmp_path / "odd.csv").open("w", newline="") as f:
            csv.writer(f).writerows(odd)
        msgs, report = load_messages(tmp_path / "odd.csv")
        assert report.files[0].time_zone == expected and len(msgs) == 3
        assert str(msgs["timestamp"].iloc[0]) == "2024-07-01 09:00:41+00:00"  # as written: UTC or no zone known
