"""The names a chat or a mailbox shows for its authors (issue 13): a WhatsApp chat's "Maria Lopez", a mail's
"From: Sofia Dubois <…>", Telegram's "from" beside "from_id", a help desk's "Customer Name" beside "Customer ID".
The authors become pseudonyms (or stay ids); their names are masked wherever a text signs or addresses them, and
are never written anywhere."""

from __future__ import annotations

import json
import mailbox
import re
from email.message import EmailMessage

import pandas as pd
import pytest

from ml.ingest.columns import name_index
from ml.ingest.load import load_messages
from ml.ingest.pseudonyms import (
    author_names,
    display_name_columns,
    display_names,
    name_words,
    pseudonym,
    shown_inputs,
)
from ml.ingest.report import columns_line
from tests.fixtures.data import SAMPLE_DIR
from tests.fixtures.name_leaks import run_without_names

CUSTOMERS = ["Maria Lopez", "Sofia Dubois", "Leila Ndlovu", "Wei Okafor", "Aoife Kowalski", "Oluwaseun Adeyemi",
             "Siobhan Byrne", "Renée Lefèvre", "Dave", "+44 7700 900123"]
NAMES = ["Maria", "Lopez", "Sofia", "Dubois", "Leila", "Ndlovu", "Wei", "Okafor", "Aoife", "Kowalski", "Oluwaseun",
         "Adeyemi", "Siobhan", "Byrne", "Renée", "Lefèvre", "Dave"]


@pytest.fixture(scope="module")
def tweets() -> list[str]:
    texts = pd.read_csv(SAMPLE_DIR / "twcs_sample.csv", dtype=str).query("inbound == 'True'")["text"].dropna()
    return [" ".join(t.split()) for t in texts.head(400)]


def _named(text: str) -> list[str]:
    return [n for n in NAMES if re.search(rf"\b{re.escape(n)}\b", text)]


def _signed(i: int, text: str, who: str) -> str:
    first = who.split()[0] if who[0].isalpha() else ""
    return text + ["", f" Thanks, {who}", f" -- {first}", f" This is {first} again."][i % 4] if first else text


def test_display_names_are_read_beside_the_author_column_only():
    authors = pd.Series(["wa-1", "wa-2", "wa-3", "wa-4", "wa-5", "wa-6", "Maria Lopez"])
    shown = pd.Series(["Maria", "Acme Shop", "+44 7700 900123", "Dave", "Mom", "Sofia Dubois", "Maria"])
    # one word: census names, by author (the author as written to the run: a name becomes its pseudonym);
    # a shop's name, a number: none
    assert display_names(authors, shown) == (("Dubois", "Sofia"), {"wa-1": ("Maria",), "wa-4": ("Dave",),
                                                                 pseudonym("au-", "maria lopez"): ("Maria",)})
    assert author_names(pd.Series(["Maria", "Dave", "jennifer"])) == ()  # an author column's word is a handle
    columns = name_index(["id", "from", "from_id", "text", "user.name", "Customer Name", "to"])
    assert display_name_columns(columns, "from_id") == ["user.name", "Customer Name", "from"]
    assert display_name_columns(name_index(["Requester", "Requester ID", "Body"]), "Requester ID") == ["Requester"]
    assert display_name_columns(name_index(["from", "to", "author_id"]), "author_id") == []  # a route's "from"
    slack = name_index(["user", "text", "user_profile.real_name", "user_profile.first_name"])  # a Slack message
    assert display_name_columns(slack, "user") == ["user_profile.real_name", "user_profile.first_name"]
    assert display_name_columns(name_index(["from", "text"]), None) == []  # "from" is then the author


def test_a_whatsapp_folder_and_a_mailbox_give_their_senders_names(tmp_path, tweets):
    chats = tmp_path / "chats"
    chats.mkdir()
    for k, who in enumerate(CUSTOMERS[:4]):
        lines = [f"11/{k + 1}/17, 10:0{j} AM - {who if j % 2 == 0 else 'Acme Shop'}: {tweets[4 * k + j]}"
                 for j in range(4)]
        (chats / f"WhatsApp Chat with {who}.txt").write_text("\n".join(lines) + "\n")
    msgs, report = load_messages(chats)
    assert msgs["author"].str.fullmatch(r"wa-[0-9a-f]{10}").all()
    assert set(report.author_names) >= {"Maria", "Lopez", "Sofia", "Dubois", "Leila", "Ndlovu", "Wei", "Okafor"}
    assert not {"Acme", "Shop"} & set(report.author_names)  # the business's own name stays readable
    assert report.to_dict()["author_names_masked"] == 8 and "Maria" not in json.dumps(report.to_dict()["chats"])
    assert any("from the names the export shows for its authors): 8" in line for line in report.summary_lines())

    box = mailbox.mbox(str(tmp_path / "inbox.mbox"))
    for k, who in enumerate(["Sofia Dubois <sofia.dubois@gmail.com>", "Acme Help <help@acme.io>",
                             '"Byrne, Siobhan" <sb@example.ie>', "noreply@shop.io"]):
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = who, "help@acme.io", "order"
        mail["Date"], mail["Message-ID"] = f"Mon, {k + 1} Dec 2020 09:41:00 +0000", f"<m{k}@x>"
        mail.set_content(tweets[k])
        box.add(mail)
    box.flush()
    _, report = load_messages(tmp_path / "inbox.mbox")
    assert report.author_names == ("Byrne", "Dubois", "Siobhan", "Sofia")


def test_a_name_column_beside_an_id_is_read_for_the_masker_only(tmp_path, tweets):
    rows = [{"id": i, "from": who, "from_id": f"user{k}", "text": _signed(i, tweets[i], who), "date": "2020-12-01"}
            for i, (k, who) in enumerate((i % 8, CUSTOMERS[i % 8]) for i in range(40))]
    (tmp_path / "result.json").write_text(json.dumps({"name": "Support", "messages": rows}))
    msgs, report = load_messages(tmp_path / "result.json")
    assert msgs["author"].str.fullmatch(r"user\d").all()  # the author is the id, as before
    assert {"Maria", "Lopez", "Renée", "Lefèvre"} <= set(report.author_names)
    line = columns_line(report.files[0])
    assert "author 'from_id'" in line and "authors' names 'from' (only to mask them in the texts)" in line
    assert "not read" not in line  # the names column is read, for the masker


def _whatsapp_folder(folder, tweets) -> None:
    """Ten customers' chats with a shop: their real tweets, signed and addressed by their names."""
    folder.mkdir()
    for k, who in enumerate(CUSTOMERS):
        first = who.split()[0] if who[0].isalpha() else "there"
        lines = []
        for j in range(16):
            text = tweets[16 * k + j]
            lines.append(f"11/{1 + k}/17, 10:{2 * j:02d} AM - {who}: {_signed(j, text, who)}")
            lines.append(f"11/{1 + k}/17, 10:{2 * j + 1:02d} AM - Acme Shop: Hi {first}, thanks, we are on it.")
        (folder / f"WhatsApp Chat with {who}.txt").write_text("\n".join(lines) + "\n")


@pytest.mark.slow
def test_chat_authors_names_reach_no_run_file(tmp_path, tweets, capfd):
    """The customers of ten WhatsApp chats sign ("Thanks, Maria Lopez", "-- Aoife") and are greeted by name; no
    file of the run, no line it prints holds a name; the manifest counts the names."""
    folder = tmp_path / "chats"
    _whatsapp_folder(folder, tweets)
    assert _named(" ".join(p.read_text() for p in folder.iterdir()))
    out = run_without_names(folder, tmp_path, capfd, _named)
    members = pd.read_parquet(out / "assignments.parquet")
    assert members["text"].str.contains(r"Thanks, \[name\]", regex=True).any()
    load = json.loads((out / "manifest.json").read_text())["source"]["load"]
    assert load["author_names_masked"] >= 16


def test_a_slack_exports_people_are_named_by_users_json(tmp_path, tweets):
    (tmp_path / "channels.json").write_text(json.dumps([{"id": "C1", "name": "support"}]))
    (tmp_path / "users.json").write_text(json.dumps([
        {"id": "U1", "name": "sbyrne", "real_name": "Siobhan Byrne"}, {"id": "U2", "profile": {"real_name": "Wei Okafor"}},
        {"id": "U7", "name": "helpbot", "real_name": "Otto Helper", "is_bot": True}]))
    (tmp_path / "support").mkdir()
    day = [{"type": "message", "user": f"U{1 + i % 3 if i % 3 < 2 else 7}", "text": tweets[i],
            "ts": f"{1509357600 + 60 * i}.000100"} for i in range(9)]
    (tmp_path / "support" / "2017-10-30.json").write_text(json.dumps(day))
    msgs, report = load_messages(tmp_path)
    assert set(msgs["author"]) == {"U1", "U2", "U7"}  # ids, as Slack writes them
    assert report.author_names == ("Byrne", "Okafor", "Siobhan", "Wei")  # a bot's name is no person's


def test_a_company_label_beside_a_name_and_file_names_that_name_people():
    assert name_words("Anjali Rao (Northwind Support)") == ["Anjali", "Rao"]  # a mail's agent, labelled
    assert name_words("Acme (Support)") == []
    chat = f"chats/WhatsApp Chat with {pseudonym('wa-', 'Ben Moreau')}.txt"  # the contact's author pseudonym
    assert shown_inputs(["in/ANSWER ME - Megan Nguyen.eml", "in/Re order.EML", "chats/WhatsApp Chat with Ben Moreau.txt",
                         "a.csv"]) == ["in/*.eml", chat, "a.csv"]
    ben = pseudonym("wa-", "Ben Moreau")  # an unzipped iOS chat's folder, another language's word, a second copy
    assert shown_inputs(["x/WhatsApp Chat - Ben Moreau/_chat.txt", "WhatsApp Chat mit Ben Moreau.txt",
                         "WhatsApp Chat with Ben Moreau (1).txt"]) == [
        f"x/WhatsApp Chat - {ben}/_chat.txt", f"WhatsApp Chat mit {ben}.txt", f"WhatsApp Chat with {ben} (1).txt"]


def test_folders_not_read_and_eml_files_are_not_named_in_the_report(tmp_path, tweets):
    (tmp_path / "WhatsApp Chat - Maria Lopez").mkdir()  # an unzipped iOS chat beside the data: not read
    pd.DataFrame({"text": tweets[:30]}).to_csv(tmp_path / "a.csv", index=False)
    _, report = load_messages(tmp_path)
    assert report.skipped_folders == [f"WhatsApp Chat - {pseudonym('wa-', 'Maria Lopez')}"]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for k in range(3):  # saved under their subjects, one without a Message-ID
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = f"c{k}@example.com", "help@acme.io", "order"
        mail["Date"] = f"Mon, {k + 1} Dec 2020 09:41:00 +0000"
        mail.set_content(tweets[k])
        (inbox / f"RE order - Megan Nguyen {k}.eml").write_bytes(bytes(mail))
    msgs, _ = load_messages(inbox)
    assert msgs["source_file"].tolist() == ["*.eml #1", "*.eml #2", "*.eml #3"]
    assert msgs["message_id"].str.fullmatch(r"eml-[0-9a-f]{10}").all()


def test_a_brands_one_word_name_is_not_masked_a_customers_is():
    """Twitter's JSON shows "Delta" beside the brand's id and "Maria" beside a customer's: a one-word name is masked
    only for an author that is no agent or company account ("Delta lost my bag" stays readable)."""
    from ml.ingest.report import LoadReport
    from ml.runtime.selection import company_accounts, known_names

    report = LoadReport(author_names=("Dubois", "Sofia"), one_word_names={"5920532": ("Delta",), "77": ("Maria",)})
    messages = pd.DataFrame({"author": ["5920532", "77", "88"], "inbound": [False, True, None]})
    assert company_accounts(messages, []) == ("5920532",)
    assert known_names(["Becky"], report, company_accounts(messages, [])) == ("Becky", "Dubois", "Sofia", "Maria")
    assert known_names([], report, ["5920532", "77"]) == ("Dubois", "Sofia")  # the detector's accounts too
    assert report.names_masked() == 4 and report.to_dict()["author_names_masked"] == 4


def test_telegram_one_word_senders_are_keyed_by_their_ids(tmp_path, tweets):
    rows = [{"id": i, "from": ["Dave", "Delta", "Maria Lopez"][i % 3], "from_id": f"user{i % 3}", "text": tweets[i],
             "date_unixtime": str(1719824400 + i)} for i in range(12)]
    (tmp_path / "result.json").write_text(json.dumps({"name": "Support", "messages": rows}))
    _, report = load_messages(tmp_path / "result.json")
    assert report.one_word_names == {"user0": ("Dave",), "user1": ("Delta",)}
    assert report.author_names == ("Lopez", "Maria")
