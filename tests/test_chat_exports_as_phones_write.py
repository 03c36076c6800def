"""Chat and mail exports as today's phones and tools write them (an audit's exports of real TWCS threads): Android's
narrow no-break space before AM/PM, iOS's and Android's notices and attachments, a mailbox's delivery failures,
Telegram's instants and its sparsely quoted replies. The texts are the bundled sample's real tweets."""

from __future__ import annotations

import json
import mailbox
from email.message import EmailMessage

import pandas as pd
import pytest

from ml.filtering.agents import AgentDetector
from ml.ingest.load import load_messages
from ml.ingest.pseudonyms import pseudonym
from ml.runtime.errors import InputError
from tests.fixtures.data import SAMPLE_DIR


@pytest.fixture(scope="module")
def tweets() -> list[str]:
    texts = pd.read_csv(SAMPLE_DIR / "twcs_sample.csv", dtype=str).query("inbound == 'True'")["text"].dropna()
    return [" ".join(t.split()) for t in texts.head(200)]


def _android(folder, tweets, space: str) -> None:
    """Four chats of a shop with customers, as Android writes them: "10/6/24, 9:41<space>PM - Name: text"."""
    folder.mkdir()
    for k, who in enumerate(["Maria\u00a0Lopez", "+44 7911 123456", "Dave", "Ana B"]):  # a name with its own space
        lines = [f"10/{6 + k}/24, 9:{40 + j:02d}{space}PM - {who if j % 2 == 0 else 'Acme Shop'}: {tweets[6 * k + j]}"
                 for j in range(6)]
        (folder / f"WhatsApp Chat with {who}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_android_chats_with_a_narrow_space_before_pm_read_as_with_a_plain_one(tmp_path, tweets):
    _android(tmp_path / "plain", tweets, " ")
    _android(tmp_path / "narrow", tweets, "\u202f")  # Android since 2023
    plain, _ = load_messages(tmp_path / "plain")
    narrow, report = load_messages(tmp_path / "narrow")
    assert report.chat_format == "%m/%d/%y, %I:%M %p - %name:"  # was "%m/%d/%y, %H:%M\u202fPM - %name:"
    assert narrow["timestamp"].tolist() == plain["timestamp"].tolist()
    assert narrow["timestamp"].min() == pd.Timestamp("2024-10-06 21:40", tz="UTC")  # October, 9 PM
    assert narrow["text"].tolist() == plain["text"].tolist() and len(narrow) == 24
    # the contact is read as whatstk reads every sender (NFKC: its no-break space a space), its file name too
    maria = pseudonym("wa-", "Maria Lopez")
    assert maria in set(narrow["author"]) and narrow["author"].nunique() == 5
    assert any(f.path.endswith(f"WhatsApp Chat with {maria}.txt") for f in report.files)


def test_notices_and_attachments_as_ios_and_android_write_them(tmp_path, tweets):
    lines = ["[29/10/2024, 21:53:10] Maria Lopez: \u200eThis message was deleted.",
             "[29/10/2024, 21:53:11] Maria Lopez: \u200eMissed voice call, Tap to call back",
             "[29/10/2024, 21:53:12] Maria Lopez: \u200e<attached: 00000012-PHOTO-2024-10-29-21-53-10.jpg>",
             f"[29/10/2024, 21:54:00] Maria Lopez: {tweets[0]}",
             f"[29/10/2024, 21:55:00] Maria Lopez: {tweets[1]} <This message was edited>",
             f"[29/10/2024, 21:56:00] Acme Shop: {tweets[2]}"]
    (tmp_path / "_chat.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    msgs, report = load_messages(tmp_path / "_chat.txt")
    assert msgs["text"].tolist() == tweets[:3] and report.dropped_system_messages == 3
    android = [f"10/29/24, 9:5{j} PM - Dave: {text}" for j, text in enumerate(
        ["IMG-20241029-WA0004.jpg (file attached)", f"IMG-20241029-WA0005.jpg (file attached)\n{tweets[3]}",
         "This message was deleted", tweets[4]])]
    (tmp_path / "WhatsApp Chat with Dave.txt").write_text("\n".join(android) + "\n", encoding="utf-8")
    msgs, report = load_messages(tmp_path / "WhatsApp Chat with Dave.txt")
    assert msgs["text"].tolist() == [tweets[3], tweets[4]] and report.dropped_system_messages == 2  # the caption kept
    (tmp_path / "WhatsApp Chat with Ann.txt").write_text("10/30/24, 9:50 PM - Ann: <Media omitted>\n", encoding="utf-8")
    msgs, report = load_messages([tmp_path / "WhatsApp Chat with Dave.txt", tmp_path / "WhatsApp Chat with Ann.txt"])
    assert len(msgs) == 2 and report.empty_files == [str(tmp_path / f"WhatsApp Chat with {pseudonym('wa-', 'Ann')}.txt")]
    with pytest.raises(InputError, match=r"Ann\.txt: no messages, only WhatsApp's notices and shared files"):
        load_messages(tmp_path / "WhatsApp Chat with Ann.txt")


def test_a_mailboxs_delivery_failures_are_left_out_and_counted(tmp_path, tweets):
    box = mailbox.mbox(str(tmp_path / "inbox.mbox"))
    senders = ["Sofia Dubois <sofia@example.com>", "Acme Help <help@acme.io>",
               "Mail Delivery Subsystem <mailer-daemon@googlemail.com>", "Leila Ndlovu <leila@example.org>"]
    for k, who in enumerate(senders):
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = who, "help@acme.io", "order"
        mail["Date"], mail["Message-ID"] = f"Mon, {k + 1} Dec 2020 09:41:00 +0000", f"<m{k}@x>"
        mail.set_content("** Address not found ** Your message wasn't delivered" if "daemon" in who else tweets[k])
        box.add(mail)
    box.flush()
    msgs, report = load_messages(tmp_path / "inbox.mbox")
    assert len(msgs) == 3 and not msgs["text"].str.contains("Address not found").any()
    assert report.dropped_system_messages == 1
    bounces = mailbox.mbox(str(tmp_path / "Undeliverable.mbox"))  # beside it, a mailbox of bounces only
    bounces.add(box[2])
    bounces.flush()
    msgs, report = load_messages(tmp_path)
    assert len(msgs) == 3 and report.empty_files == [str(tmp_path / "Undeliverable.mbox")]
    with pytest.raises(InputError, match=r"Undeliverable\.mbox: only delivery-failure notices"):
        load_messages(tmp_path / "Undeliverable.mbox")


def _telegram(tweets, quoted_every: int) -> dict:
    """A shop's Telegram export: 20 customers' chats, the shop answering each message; one reply in
    ``quoted_every`` quotes the message it answers (``reply_to_message_id``)."""
    chats, n = [], 0
    for c in range(20):
        messages = []
        for j in range(4):
            n += 1
            customer = j % 2 == 0
            message = {"id": n, "type": "message", "date": "2024-07-01T10:00:00", "date_unixtime": str(1719824400 + 60 * n),
                       "from": f"Customer {c}" if customer else "Acme Shop", "from_id": f"user{c}" if customer else "user999",
                       "text": tweets[(4 * c + j) % len(tweets)]}
            if not customer and n % quoted_every == 0:
                message["reply_to_message_id"] = n - 1
            messages.append(message)
        chats.append({"name": f"Customer {c}", "type": "personal_chat", "id": c, "messages": messages})
    return {"chats": {"list": chats}}


def test_telegram_reads_its_instants_and_finds_a_business_that_quotes_few_replies(tmp_path, tweets):
    (tmp_path / "result.json").write_text(json.dumps(_telegram(tweets, quoted_every=4)))
    msgs, report = load_messages(tmp_path / "result.json")
    assert report.files[0].mapping["timestamp"] == "date_unixtime"  # not "date", the exporting computer's clock
    assert msgs["timestamp"].min() == pd.Timestamp(1719824400 + 60, unit="s", tz="UTC")
    assert 0 < msgs["reply_to"].notna().mean() < 0.3  # a quarter of the shop's replies quote what they answer
    detector = AgentDetector().fit(msgs)
    assert detector.agent_accounts_ == ["user999"]  # read by its chats: it answers 20 customers
    assert detector.agent_rows(msgs).sum() == 40


def test_a_chat_exported_again_with_more_messages_keeps_its_id(tmp_path, tweets):
    """A shop exports its chats every week: the same chat, grown, is the same conversation (its id and its messages'
    ids recur), so a series' "who moved" can follow it; two chats that open alike are still two."""
    def export(folder, who, n):
        folder.mkdir(exist_ok=True)
        lines = ["10/6/24, 9:39\u202fPM - Messages and calls are end-to-end encrypted. Tap to learn more."]
        lines += [f"10/6/24, 9:{40 + j:02d}\u202fPM - {who if j % 2 == 0 else 'Acme Shop'}: {tweets[j]}" for j in range(n)]
        (folder / f"WhatsApp Chat with {who}.txt").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")

    for week, n in (("week0", 1), ("week1", 6), ("week2", 10)):  # a chat of one message first (an audit: a short
        export(tmp_path / week, "Dave", n)                         # first export changed its id as it grew)
    first, _ = load_messages(tmp_path / "week1")
    again, _ = load_messages(tmp_path / "week2")
    assert first["thread_id"].nunique() == 1 and set(again["thread_id"]) == set(first["thread_id"])
    assert set(load_messages(tmp_path / "week0")[0]["thread_id"]) == set(first["thread_id"])
    assert set(first["message_id"]) < set(again["message_id"])  # the first week's messages recur
    other = tmp_path / "other"
    export(other, "Dave", 6)
    (other / "WhatsApp Chat with Dave.txt").rename(other / "WhatsApp Chat with Ann.txt")  # another contact, same lines
    assert set(load_messages(other)[0]["thread_id"]) != set(first["thread_id"])


def test_a_chat_of_whatsapps_own_lines_only_is_named_and_skipped(tmp_path, tweets):
    """A chat the shop opened but nobody wrote in yet: Android writes its notices without an author."""
    (tmp_path / "WhatsApp Chat with +44 7911 123456.txt").write_text(
        "10/29/24, 9:53\u202fPM - Messages and calls are end-to-end encrypted. Tap to learn more.\n"
        "10/29/24, 9:53\u202fPM - This business uses a secure service from Meta to manage this chat.\n", encoding="utf-8")
    (tmp_path / "WhatsApp Chat with Dave.txt").write_text(
        "".join(f"10/29/24, 9:5{j}\u202fPM - Dave: {tweets[j]}\n" for j in range(3)), encoding="utf-8")
    msgs, report = load_messages(tmp_path)
    assert len(msgs) == 3 and report.empty_files == [
        str(tmp_path / f"WhatsApp Chat with {pseudonym('wa-', '+44 7911 123456')}.txt")]  # no number in the report
    with pytest.raises(InputError, match=r"no messages, only WhatsApp's notices"):
        load_messages(tmp_path / "WhatsApp Chat with +44 7911 123456.txt")
