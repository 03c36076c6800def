"""Chat tools' own exports (docs/ingest.md, "Chat exports"): a Slack workspace folder (ml/ingest/slack.py),
Telegram's JSON (text as a list of parts; a full export's chats as conversations), Discord's and Messenger's
field names. The texts are the bundled sample's real tweets."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from ml.ingest.load import load_messages
from ml.ingest.slack import markup_as_text
from ml.ingest.textclean import clean_text
from ml.runtime.errors import InputError
from ml.units import build_units
from tests.fixtures.data import SAMPLE_DIR


@pytest.fixture(scope="module")
def tweets() -> list[str]:
    return pd.read_csv(SAMPLE_DIR / "twcs_sample.csv", dtype=str)["text"].dropna().head(60).tolist()


def slack_export(root, tweets):
    """Two channels over two days; a thread of three in #support, joins and a topic change, Slack markup."""
    (root / "channels.json").write_text(json.dumps([{"id": "C1", "name": "support", "purpose": {
        "value": "Where customers ask the team about their orders and accounts"}}, {"id": "C2", "name": "general"}]))
    (root / "users.json").write_text(json.dumps([{"id": "U1", "name": "ana", "real_name": "Ana Example"},
                                                 {"id": "U7", "name": "helpbot", "is_bot": True}]))
    (root / "integration_logs.json").write_text("[]")
    base = 1509357600  # 2017-10-30 10:00 UTC
    days = {("support", "2017-10-30"): [
        {"type": "message", "subtype": "channel_join", "user": "U9", "text": "<@U9> has joined the channel",
         "ts": f"{base}.000100"},
        {"type": "message", "user": "U1", "text": tweets[0] + " <@U2> see <https://example.com/help|the help page>",
         "ts": f"{base + 60}.000200", "thread_ts": f"{base + 60}.000200", "reply_count": 2,
         "replies": [{"user": "U2", "ts": f"{base + 120}.000300"}]},
        {"type": "message", "user": "U2", "text": tweets[1], "ts": f"{base + 120}.000300",
         "thread_ts": f"{base + 60}.000200", "parent_user_id": "U1"},
        {"type": "message", "user": "U1", "text": tweets[2], "ts": f"{base + 180}.000400",
         "thread_ts": f"{base + 60}.000200", "parent_user_id": "U1"}],
        ("support", "2017-10-31"): [
        {"type": "message", "user": "U3", "text": tweets[3], "ts": f"{base + 86400}.000100"},
        {"type": "message", "subtype": "bot_message", "bot_id": "B1", "username": "Status", "text": tweets[6],
         "ts": f"{base + 86430}.000100"},
        {"type": "message", "user": "U7", "text": tweets[7], "ts": f"{base + 86440}.000100"},
        {"type": "message", "subtype": "channel_topic", "user": "U1", "text": "set the channel topic: Orders",
         "ts": f"{base + 86460}.000200"}],
        ("general", "2017-10-30"): [
        {"type": "message", "user": "U4", "text": tweets[4] + " <#C1|support> <!here>", "ts": f"{base}.000100"},
        {"type": "message", "user": "U5", "text": tweets[5], "ts": f"{base + 30}.000500", "channel": "C2"}]}
    for (channel, day), messages in days.items():
        (root / channel).mkdir(exist_ok=True)
        (root / channel / f"{day}.json").write_text(json.dumps(messages))
    (root / "general" / "2017-11-01.json").write_text("[]")  # a quiet day
    return days


def test_a_slack_export_folder_reads_its_channels_days(tmp_path, tweets):
    slack_export(tmp_path, tweets)
    msgs, report = load_messages(tmp_path)
    assert [f.path.split("/")[-2:] for f in report.files] == [["general", "2017-10-30.json"],
                                                              ["support", "2017-10-30.json"],
                                                              ["support", "2017-10-31.json"]]
    assert {f.layout for f in report.files} == {"slack"} and report.files[1].rows_read == 4
    assert report.dropped_system_messages == 2 and report.rows_read == 10 and len(msgs) == 8
    # bots' messages (posted as a bot, or by a bot user) are the company's side; people's are unknown
    assert msgs["inbound"].tolist() == [pd.NA] * 6 + [False, False] and report.files[2].mapping["outbound"] == "is_bot"
    from ml.runtime.errors import InputError
    with pytest.raises(InputError, match=r"--inbound-only: no message in .* is marked as the customer's"):
        load_messages(tmp_path, inbound_only=True)  # Slack says who is a bot, not who is a customer
    from ml.runtime.config import PipelineConfig
    from ml.runtime.pipeline import PersonaPipeline
    with pytest.raises(InputError, match=r"--inbound-only: no message is marked as the customer's"):
        PersonaPipeline(PipelineConfig().updated({"input": {"inbound_only": True}}), progress=False)._ingest(
            [tmp_path], None)  # as ml.run reads it
    msgs, bots = msgs.iloc[:6], msgs.iloc[6:]
    assert bots["text"].tolist() == [tweets[6].strip(), tweets[7].strip()]
    assert any("dropped system messages: 2" in line for line in report.summary_lines())
    assert msgs["text"].iloc[0] == tweets[4].strip() + " #support @here"
    assert msgs["text"].iloc[2] == tweets[0].strip() + " @U2 see https://example.com/help"
    assert msgs["message_id"].is_unique and msgs["message_id"].iloc[0] == "general:1509357600.000100"
    assert msgs["author"].tolist() == ["U4", "U5", "U1", "U2", "U1", "U3"]
    assert str(msgs["timestamp"].iloc[2].floor("s")) == "2017-10-30 10:01:00+00:00"
    # a thread's replies answer its first message (the brand/agent detector reads who answers whom)
    assert msgs["reply_to"].tolist() == [None, None, None, "support:1509357660.000200", "support:1509357660.000200", None]
    # a thread is one conversation; a message outside threads is its own
    units = build_units(msgs, "conversation")
    assert len(units) == 4 and units["text"].str.contains(tweets[1].strip()[:30], regex=False).sum() == 1
    thread = units[units["member_id"] == "support:1509357660.000200"]
    assert len(thread) == 1 and tweets[2].strip()[:30] in thread["text"].iloc[0]


def test_slack_markup_reads_as_text():
    assert markup_as_text("hi <@U024BE7LH|ana>, see <https://x.io/a?b=1|x.io> in <#C1|help> <!channel>") == \
        "hi @U024BE7LH, see https://x.io/a?b=1 in #help @channel"
    assert markup_as_text("I <3 it") == "I <3 it" and markup_as_text(None) is None


def test_telegram_text_parts_and_a_full_export_of_chats(tmp_path, tweets):
    def message(i, chat):
        text = tweets[i] if i % 3 else [tweets[i][:20], {"type": "link", "text": "https://t.co/x"}, tweets[i][20:]]
        return {"id": i, "type": "message", "date": f"2017-10-30T10:{i:02d}:00", "from": "Ana", "from_id": f"user{i % 4}",
                "text": text, "text_entities": [{"type": "plain", "text": "x"}],
                **({"reply_to_message_id": i - 1} if i % 5 == 1 else {})}
    chats = [{"name": f"Shop {c}", "type": "personal_chat", "id": 100 + c,
              "messages": [message(i, c) for i in range(10 * c, 10 * c + 10)]} for c in range(3)]
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"about": "Here is the data you requested.", "chats": {"about": "…", "list": chats}}))
    msgs, report = load_messages(path)
    f = report.files[0]
    assert (f.records_at, f.messages_in, f.conversations) == ("chats.list", "messages", 3)
    assert f.mapping["author"] == "from_id" and f.mapping["reply_to"] == "reply_to_message_id"
    assert f.mapping["thread"] == "conversation.id" and len(msgs) == 30
    assert msgs["text"].iloc[0] == (tweets[0][:20] + "https://t.co/x" + tweets[0][20:]).strip()
    assert msgs["text"].iloc[1] == tweets[1].strip()
    assert "[" not in "".join(msgs["text"].str[:1])  # no list written out as text


def test_discord_and_messenger_field_names(tmp_path, tweets):
    discord = {"guild": {"id": "1", "name": "Shop"}, "channel": {"id": "2", "name": "help"}, "messages": [
        {"id": str(10 + i), "type": "Default", "timestamp": f"2017-10-30T10:{i:02d}:00+00:00", "content": tweets[i],
         "author": {"id": f"a{i % 3}", "name": "x", "isBot": False}, "attachments": [], "reactions": [],
         **({"reference": {"messageId": str(9 + i)}} if i else {})} for i in range(12)], "messageCount": 12}
    discord["messages"][4:4] = [  # the server's notices, as DiscordChatExporter writes them
        {"id": "90", "type": "GuildMemberJoin", "timestamp": "2017-10-30T09:00:00+00:00", "content": "Joined the server.",
         "author": {"id": "a9", "name": "y", "isBot": False}},
        {"id": "91", "type": "ChannelPinnedMessage", "timestamp": "2017-10-30T09:01:00+00:00",
         "content": "Pinned a message.", "author": {"id": "a1", "name": "x", "isBot": False}}]
    (tmp_path / "discord.json").write_text(json.dumps(discord))
    msgs, report = load_messages(tmp_path / "discord.json")
    assert report.files[0].mapping["reply_to"] == "reference.messageId" and report.files[0].messages_in is None
    assert report.files[0].layout == "discord" and report.dropped_system_messages == 2
    assert msgs["reply_to"].tolist()[1:3] == ["10", "11"] and len(msgs) == 12
    assert "Joined the server." not in msgs["text"].tolist()
    def meta(text):  # Meta writes each UTF-8 byte as its own character: "I’m" becomes "Iâ\x80\x99m"
        return text.encode("utf-8").decode("latin-1")
    texts = [tweets[i] + (" I’m glad 😀 merci, café" if i % 2 else "") for i in range(12)]
    messenger = {"participants": [{"name": "Shop"}, {"name": "Ana"}], "title": "Ana", "messages": [
        {"sender_name": "Ana" if i % 2 else "Shop", "timestamp_ms": 1509357600000 + 1000 * i, "content": meta(texts[i]),
         "is_geoblocked_for_viewer": False} for i in range(12)]}
    (tmp_path / "message_1.json").write_text(json.dumps(messenger))
    msgs, report = load_messages(tmp_path / "message_1.json")
    f = report.files[0]
    assert (f.records_at, f.mapping["author"], f.mapping["timestamp"]) == ("messages", "sender_name", "timestamp_ms")
    assert str(msgs["timestamp"].iloc[1]) == "2017-10-30 10:00:01+00:00"
    # the garbled characters are repaired (ftfy), and only those texts are touched
    assert msgs["text"].tolist() == [t.strip() for t in texts]
    assert report.mojibake_repaired == sum(any(ord(c) > 127 for c in t) for t in texts) >= 6
    assert any("repaired: " in line for line in report.summary_lines())


def test_a_zip_archive_is_read_as_the_folder_it_unpacks_to(tmp_path, tweets):
    """A Slack export as Slack hands it over (a .zip), a folder zipped whole, and bad archives."""
    import zipfile

    from ml.runtime.errors import InputError

    export = tmp_path / "export"
    export.mkdir()
    slack_export(export, tweets)
    with zipfile.ZipFile(tmp_path / "slack.zip", "w") as z:
        for f in sorted(export.rglob("*.json")):
            z.write(f, f.relative_to(export).as_posix())
        z.writestr("__MACOSX/support/._2017-10-30.json", "not json")
        z.writestr("../evil.csv", "text\nescape")
    msgs, report = load_messages(tmp_path / "slack.zip")
    folder, _ = load_messages(export)
    assert msgs.drop(columns="source_file").equals(folder.drop(columns="source_file")) and len(msgs) == 8
    from ml.ingest.archive import ARCHIVES

    assert report.files[0].path == f"{tmp_path / 'slack.zip'}/general/2017-10-30.json"  # named by its archive
    assert {f.layout for f in report.files} == {"slack"}
    assert not any((folder.parent / "evil.csv").exists() for folder in ARCHIVES)  # "../evil.csv" not written
    # a folder zipped whole: its one folder is read
    pd.DataFrame({"text": tweets[:20], "author": "a"}).to_csv(tmp_path / "tickets.csv", index=False)
    with zipfile.ZipFile(tmp_path / "tickets.zip", "w") as z:
        z.write(tmp_path / "tickets.csv", "tickets-2024/tickets.csv")
        z.writestr("tickets-2024/readme.txt", "exported by the help desk")
    msgs, report = load_messages(tmp_path / "tickets.zip")
    assert len(msgs) == 20 and report.files[0].path.endswith("tickets-2024/tickets.csv")
    with zipfile.ZipFile(tmp_path / "notes.zip", "w") as z:
        z.writestr("notes.txt", "nothing to read")
    with pytest.raises(InputError, match=r"notes\.zip: the zip archive holds no supported file"):
        load_messages(tmp_path / "notes.zip")
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("big.csv", b"text\n" + b"a" * (120 * 2**20))
    with pytest.raises(InputError, match=r"bomb\.zip: member 'big\.csv' expands \d+ times its packed size"):
        load_messages(tmp_path / "bomb.zip")
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(InputError, match=r"broken\.zip: cannot read as a zip archive"):
        load_messages(tmp_path / "broken.zip")


def whatsapp_chat(customer: str, texts: list[str], day: int, ios: bool) -> str:
    """One chat as a phone exports it: the shop answers a customer; notices and a two-line message included."""
    def line(minute, who, text):
        if ios:
            return f"[{day:02d}/11/2017, 10:{minute:02d}:00] {who}: {text}"
        return f"11/{day}/17, 10:{minute:02d} AM - {who}: {text}"
    head = (f"[{day:02d}/11/2017, 09:59:00] Acme Shop: \u200eMessages and calls are end-to-end encrypted. No one outside "
            "of this chat, not even WhatsApp, can read or listen to them." if ios else
            f"11/{day}/17, 9:59 AM - Messages and calls are end-to-end encrypted. No one outside of this chat, not "
            "even WhatsApp, can read or listen to them. Tap to learn more.")
    lines = [head, line(0, customer, texts[0] + "\nSent from the app"), line(1, "Acme Shop", texts[1]),
             line(2, customer, "\u200eimage omitted" if ios else "<Media omitted>"), line(3, customer, texts[2])]
    return "\n".join(lines) + "\n"


def test_whatsapp_chats_as_phones_export_them(tmp_path, tweets):
    """Four Android chats and one iOS chat's zip in a folder; the shop writes in every chat."""
    import zipfile

    folder = tmp_path / "chats"
    folder.mkdir()
    for i, who in enumerate(["Maria Lopez", "+34 600 123 456", "Jon", "Ana B"]):
        (folder / f"WhatsApp Chat with {who}.txt").write_text(whatsapp_chat(who, tweets[3 * i:3 * i + 3], 1 + i, False))
    (folder / "readme.txt").write_text("exported on Friday\n")
    with zipfile.ZipFile(folder / "WhatsApp Chat - Lee.zip", "w") as z:  # a folder of chats and iPhone zips
        z.writestr("_chat.txt", whatsapp_chat("Lee", tweets[12:15], 9, True))
        z.writestr("00000012-PHOTO-2017-11-09.jpg", b"\xff\xd8")
    msgs, report = load_messages(folder)
    again, _ = load_messages(folder)
    assert again["message_id"].tolist() == msgs["message_id"].tolist()  # chat ids do not depend on where it unpacks
    assert [f.layout for f in report.files] == ["whatsapp"] * 5 and len(msgs) == 15
    # media placeholders and the iOS encryption notice (Android writes that one without an author: not a message)
    assert report.dropped_system_messages == 6 and report.rows_read == 21
    assert report.chats == 5 and report.chat_business_accounts == 1
    shop = msgs["inbound"].eq(False)
    assert shop.sum() == 5 and msgs.loc[shop, "author"].nunique() == 1 and msgs["inbound"].notna().all()
    assert msgs.loc[~shop, "author"].nunique() == 5 and msgs["author"].str.fullmatch(r"wa-[0-9a-f]{10}").all()
    assert not msgs["author"].str.contains("Maria|34 600", regex=True).any()  # names and numbers never kept
    assert msgs["text"].eq(tweets[0].strip() + "\nSent from the app").sum() == 1  # a message's second line
    assert msgs["timestamp"].min() == pd.Timestamp("2017-11-01 10:00:00", tz="UTC")
    assert msgs["timestamp"].max() == pd.Timestamp("2017-11-09 10:03:00", tz="UTC")
    units = build_units(msgs[msgs["inbound"]], "conversation")
    assert len(units) == 5 and units["member_id"].str.startswith("chat-").all()
    # fewer than three chats: nobody is called the business
    msgs, report = load_messages(sorted(folder.glob("WhatsApp*"))[:2])
    assert report.chats == 2 and report.chat_business_accounts == 0 and msgs["inbound"].isna().all()
    (tmp_path / "notes.txt").write_text("Meeting notes\nnothing here\n")
    from ml.runtime.errors import InputError
    with pytest.raises(InputError, match=r"notes\.txt: not a WhatsApp chat export"):
        load_messages(tmp_path / "notes.txt")


def test_a_support_mailbox(tmp_path):
    """The sample's reply threads as a support inbox's .mbox: customers write to support@acme.io, the brand
    answers from it; replies quote the message they answer, some bodies are HTML only."""
    import mailbox
    from email.message import EmailMessage
    from email.utils import format_datetime

    msgs, _ = load_messages(SAMPLE_DIR / "twcs_sample.csv")
    msgs = msgs.sort_values(["thread_id", "timestamp"], kind="stable")
    threads = [t for _, t in msgs.groupby("thread_id", sort=False) if len(t) >= 2][:40]
    box = mailbox.mbox(str(tmp_path / "support.mbox"))
    expected = []
    for k, t in enumerate(threads):
        previous = None
        for j, r in enumerate(t.itertuples()):
            brand = not r.inbound
            m = EmailMessage()
            m["From"] = "Acme Support <support@acme.io>" if brand else f"Customer {r.author} <c{r.author}@gmail.com>"
            m["To"] = f"c{t['author'].iloc[0]}@gmail.com" if brand else "support@acme.io"
            m["Subject"] = "Re: your order" if j else "My order"
            m["Date"] = format_datetime(r.timestamp.to_pydatetime())
            m["Message-ID"] = f"<{r.message_id}@mail.example>"
            if previous:
                m["In-Reply-To"] = previous
            body = r.text + (f"\n\nOn Mon, 30 Oct 2017, Acme wrote:\n> {t['text'].iloc[j - 1]}" if j else "")
            if k % 5 == 0:
                m.set_content(f"<html><body><p>{r.text}</p></body></html>", subtype="html")
            else:
                m.set_content(body)
            box.add(m)
            previous = m["Message-ID"]
            shown = clean_text(f"<p>{r.text}</p>") if k % 5 == 0 else r.text.strip()  # as a browser shows HTML
            expected.append((r.message_id, shown, bool(r.inbound), t["thread_id"].iloc[0]))
    box.flush()
    out, report = load_messages(tmp_path / "support.mbox")
    assert report.files[0].layout == "mailbox" and report.files[0].mapping["inbound"] == "from_customer"
    assert len(out) == len(expected) and report.email_replies > 0
    assert out["message_id"].tolist() == [f"<{e[0]}@mail.example>" for e in expected]
    assert out["inbound"].tolist() == [e[2] for e in expected]  # the owner (most addressed) is the company
    assert out["text"].tolist() == [e[1] for e in expected]  # quoted replies cut, HTML read as text
    assert out["author"].str.fullmatch(r"em-[0-9a-f]{10}").all() and not out["author"].str.contains("@").any()
    # reply chains give the threads back
    assert out.groupby("thread_id").size().sort_values().tolist() == sorted(len(t) for t in threads)
    (tmp_path / "notes.mbox").write_text("just some notes\nnot a mailbox\n")
    from ml.runtime.errors import InputError
    with pytest.raises(InputError, match=r"notes\.mbox: no email messages found"):
        load_messages(tmp_path / "notes.mbox")


def test_mailbox_company_broken_headers_and_dates(tmp_path, tweets):
    """Customers (on Gmail, Yahoo or their own company's domain) write to help@acme.io and support@acme.io answers
    (one company, two addresses); a header the
    parser cannot read, a "-0000" date (UTC, RFC 5322) and an unreadable date (counted, with an example)."""
    import mailbox

    def email(sender, to, date, text, extra=""):
        return (f"From: {sender}\nTo: {to}\nDate: {date}\nSubject: order\n{extra}\n{text}\n").encode()

    box = mailbox.mbox(str(tmp_path / "inbox.mbox"))
    for i in range(6):
        customer = f"c{i}@" + ("gmail.com", "yahoo.com", f"shop-{i}.example")[i % 3]
        box.add(email(customer, "help@acme.io", "Mon, 30 Oct 2017 10:00:00 +0100", tweets[i]))
        box.add(email("support@acme.io", customer, "Mon, 30 Oct 2017 11:00:00 -0000", tweets[10 + i]))
    box.add(email("<", "help@acme.io", "someday soon", tweets[20], "Message-ID: <\n"))
    box.flush()
    msgs, report = load_messages(tmp_path / "inbox.mbox")
    assert len(msgs) == 13 and report.files[0].company == "acme.io"
    assert "messages from acme.io read as the company's side" in report.summary_lines()[0]
    assert msgs["inbound"].tolist() == [True, False] * 6 + [True]
    assert str(msgs["timestamp"].iloc[1]) == "2017-10-30 11:00:00+00:00"  # -0000: UTC
    assert report.timestamps_unparseable == 1 and report.timestamp_examples[0]["value"] == "someday soon"


def test_a_load_of_many_files_names_eleven_and_sums_up_the_rest():
    from ml.ingest.report import MAX_FILE_LINES, FileReport, LoadReport

    report = LoadReport(files=[FileReport(f"support/2024-03-{d:02d}.json", "json", "slack", {}, rows_read=d)
                               for d in range(1, 31)], rows_read=465, rows_kept=465,
                        has_authors=True)
    lines = report.summary_lines()
    assert lines[0].startswith("support/2024-03-01.json: 1 rows, layout slack")
    assert lines[MAX_FILE_LINES - 1] == f"... and 19 more files, {sum(range(12, 31))} rows"
    assert lines[MAX_FILE_LINES] == "kept 465 of 465 rows" and len(lines) == MAX_FILE_LINES + 1


def test_eml_files_are_read_together_as_one_mailbox(tmp_path, tweets):
    """A folder of .eml files (one message each, as Outlook or Thunderbird save them) reads as the same
    mailbox as an .mbox of the same messages: the company found over all of them, each row naming its file;
    a zip of the folder reads the same, and a folder of files that are not emails gets a one-line error."""
    import mailbox
    import zipfile
    from email.message import EmailMessage

    from ml.runtime.errors import InputError

    messages = []
    for i in range(8):
        customer = f"c{i}@" + ("gmail.com", "shop.example")[i % 2]
        for j, (sender, to) in enumerate(((customer, "help@acme.io"), ("support@acme.io", customer))):
            m = EmailMessage()
            m["From"], m["To"], m["Subject"] = sender, to, "order"
            m["Date"] = f"Mon, 30 Oct 2017 1{i}:0{j}:00 +0100"
            m["Message-ID"] = f"<m{i}-{j}@mail.example>"
            if j:
                m["In-Reply-To"] = f"<m{i}-0@mail.example>"
            m.set_content(tweets[2 * i + j])
            messages.append(m)
    box = mailbox.mbox(str(tmp_path / "inbox.mbox"))
    for m in messages:
        box.add(m)
    box.flush()
    folder = tmp_path / "inbox"
    folder.mkdir()
    for k, m in enumerate(messages):
        (folder / f"{k:03d} {m['Subject']}.eml").write_bytes(bytes(m))
    from_mbox, _ = load_messages(tmp_path / "inbox.mbox")
    from_eml, report = load_messages(folder)
    assert len(report.files) == 1 and report.files[0].path == str(folder / "*.eml")
    assert report.files[0].format == "eml" and report.files[0].layout == "mailbox"
    assert report.files[0].company == "acme.io" and report.files[0].rows_read == 16
    same = ["message_id", "text", "author", "timestamp", "reply_to", "inbound", "thread_id"]
    pd.testing.assert_frame_equal(from_eml[same], from_mbox[same])
    assert from_eml["inbound"].tolist() == [True, False] * 8
    assert from_eml["source_file"].tolist() == [f"*.eml #{k}" for k in range(1, 17)]  # the files by name, not named
    with zipfile.ZipFile(tmp_path / "inbox.zip", "w") as zf:
        for path in sorted(folder.iterdir()):
            zf.write(path, f"inbox/{path.name}")
    from_zip, zreport = load_messages(tmp_path / "inbox.zip")
    pd.testing.assert_frame_equal(from_zip[same], from_mbox[same])
    assert zreport.files[0].path == f"{tmp_path / 'inbox.zip'}/inbox/*.eml"
    assert (from_eml["source_row"] == 1).all()  # each message is row 1 of its own file
    (folder / "saved page.eml").write_text("<html><body>Saved web page, not an email</body></html>\n")
    with_page, preport = load_messages(folder)
    assert len(with_page) == 16 and preport.dropped_system_messages == 1  # left out and counted
    # one thread between a customer and support cannot say which side is the company: no sides
    thread = tmp_path / "thread"
    thread.mkdir()
    for k in range(2):
        (thread / f"{k}.eml").write_bytes(bytes(messages[k]))
    one, oreport = load_messages(thread)
    assert oreport.files[0].company is None and one["inbound"].isna().all() and len(one) == 2
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "a.eml").write_text("not an email at all\n")
    (junk / "b.eml").write_bytes(b"")
    with pytest.raises(InputError, match=r"junk/\*\.eml: no email messages found .* any of 2 \.eml files"):
        load_messages(junk)


def test_mailbox_company_when_parties_tie_or_share_a_domain(tmp_path, tweets):
    """A help desk serving one client organisation (six people at client.org) is still found; a tie between an
    archive Cc'd on every message and the company is settled by who sends; with no company found, Gmail's "Sent"
    labels decide alone."""
    import mailbox

    def box(name, messages):
        mb = mailbox.mbox(str(tmp_path / name))
        for i, (sender, to, extra) in enumerate(messages):
            mb.add(f"From: {sender}\nTo: {to}\n{extra}Date: Mon, 30 Oct 2017 10:{i:02d}:00 +0000\n"
                   f"Subject: help\n\n{tweets[i]}\n".encode())
        mb.flush()
        return load_messages(tmp_path / name)

    b2b = [m for k in range(6) for m in ((f"staff{k}@client.org", "helpdesk@msp.com", ""),
                                         ("tech@msp.com", f"staff{k}@client.org", ""))]
    msgs, report = box("b2b.mbox", b2b)
    assert report.files[0].company == "msp.com" and msgs["inbound"].tolist() == [True, False] * 6
    archived = [(s, t, "Cc: archive@acme-tickets.com\n") for s, t, _ in
                [m for k in range(4) for m in ((f"c{k}@gmail.com", "help@acme.io", ""),
                                               ("support@acme.io", f"c{k}@gmail.com", ""))]]
    msgs, report = box("archived.mbox", archived)
    assert report.files[0].company == "acme.io" and msgs["inbound"].tolist() == [True, False] * 4
    gmail = [("owner@gmail.com", "client@gmail.com", "X-Gmail-Labels: Sent\n"),
             ("client@gmail.com", "owner@gmail.com", "X-Gmail-Labels: Inbox\n")] * 2
    msgs, report = box("gmail.mbox", gmail)
    assert report.files[0].company == "the mailbox owner's address" and msgs["inbound"].tolist() == [False, True] * 2


def test_a_reddit_dump_of_posts_and_comments(tmp_path, tweets):
    """Reddit's comments and posts (JSON lines as Arctic Shift and Pushshift write them): fullnames join reply
    chains and posts to their comments, deleted texts are left out and counted, a deleted account is no
    author, bots are the company's side, epoch seconds are read as UTC."""
    base = 1509357600
    posts = [{"id": f"p{k}", "subreddit": "acme", "author": f"user{k}", "created_utc": base + k,
              "title": tweets[k][:40], "selftext": tweets[k][40:] if k else "[removed]", "num_comments": 3}
             for k in range(3)]
    posts.append({"id": "p9", "subreddit": "acme", "author": "[deleted]", "created_utc": base + 9,
                  "title": "", "selftext": "[deleted]"})  # nothing left to read
    comments = []
    for k in range(3):
        for j in range(3):
            i = 3 + 3 * k + j
            parent = f"t3_p{k}" if j == 0 else f"t1_c{k}{j - 1}"
            comments.append({"id": f"c{k}{j}", "subreddit": "acme", "created_utc": str(base + 100 * k + j),
                             "author": ["Talbot", "[deleted]", "RemindMeBot", "AutoModerator"][(k + j) % 4],
                             "body": tweets[i], "parent_id": parent, "link_id": f"t3_p{k}", "score": 1})
    comments[4]["body"] = "[removed]"
    with (tmp_path / "acme_posts.jsonl").open("w") as f:
        f.writelines(json.dumps(p) + "\n" for p in posts)
    with (tmp_path / "acme_comments.jsonl").open("w") as f:
        f.writelines(json.dumps(c) + "\n" for c in comments)
    msgs, report = load_messages(tmp_path)
    assert [f.layout for f in report.files] == ["reddit", "reddit"]
    assert report.dropped_system_messages == 2 and len(msgs) == 3 + 8  # p9 and the removed comment
    comments_in = msgs[msgs["message_id"].str.startswith("t1_")]
    posts_in = msgs[msgs["message_id"].str.startswith("t3_")]
    assert posts_in["message_id"].tolist() == ["t3_p0", "t3_p1", "t3_p2"]
    assert posts_in["text"].iloc[0] == tweets[0][:40].strip()  # a removed body: its title
    assert posts_in["text"].iloc[1] == clean_text(tweets[1][:40].strip() + "\n\n" + tweets[1][40:].strip())
    # a post and its comments are one conversation; replies answer the item they name
    assert (comments_in["thread_id"].str[3:] == comments_in["message_id"].str[4].radd("p")).all()
    assert comments_in.set_index("message_id")["reply_to"]["t1_c01"] == "t1_c00"
    assert len(build_units(msgs, "conversation")) == 3
    authors = msgs.set_index("message_id")["author"]
    assert authors["t1_c00"] == "Talbot" and authors["t1_c01"] is None  # [deleted] is nobody, not one author
    side = msgs.set_index("message_id")["inbound"]  # RemindMeBot and AutoModerator: bots; Talbot: a person
    assert side[["t1_c02", "t1_c12", "t1_c20", "t1_c21"]].tolist() == [False] * 4
    assert side[["t1_c00", "t1_c01", "t1_c22", "t3_p0"]].isna().all()
    assert str(msgs.set_index("message_id")["timestamp"]["t1_c00"]) == "2017-10-30 10:00:00+00:00"


def test_zstandard_compressed_dumps(tmp_path, tweets):
    """Pushshift / Arctic Shift dumps: JSON lines in zstd with a 2 GiB window (``zstd --long=31``), named
    ``RC_….zst`` with no format suffix; a compressed CSV too; a truncated one is refused in one line."""
    import zstandard

    from ml.runtime.errors import InputError

    def pack(data: bytes) -> bytes:
        params = zstandard.ZstdCompressionParameters.from_level(3, window_log=31, enable_ldm=True)
        out = io.BytesIO()
        with zstandard.ZstdCompressor(compression_params=params).stream_writer(out, closefd=False) as w:
            w.write(data)
        return out.getvalue()

    import io
    comments = [{"id": f"c{i}", "subreddit": "acme", "author": f"u{i % 4}", "created_utc": 1509357600 + i,
                 "body": tweets[i], "parent_id": "t3_p0", "link_id": "t3_p0"} for i in range(30)]
    lines = "".join(json.dumps(c) + "\n" for c in comments).encode()
    (tmp_path / "RC_2017-10.zst").write_bytes(pack(lines))
    msgs, report = load_messages(tmp_path / "RC_2017-10.zst")
    assert report.files[0].format == "jsonl" and report.files[0].layout == "reddit"
    assert msgs["text"].tolist() == [t.strip() for t in tweets[:30]] and msgs["message_id"].iloc[0] == "t1_c0"
    pd.DataFrame({"text": tweets[:30], "author": "a"}).to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "tickets.csv.zst").write_bytes(pack((tmp_path / "t.csv").read_bytes()))
    assert load_messages(tmp_path / "tickets.csv.zst")[0]["text"].tolist() == [t.strip() for t in tweets[:30]]
    from ml.ingest.paths import readable
    assert readable(tmp_path / "RC_2017-10.zst") and readable(tmp_path / "wsb.comments.zst")
    assert not readable(tmp_path / "backup.tar.zst")
    bomb = tmp_path / "bomb.jsonl.zst"  # 400 MB of blank lines in 13 kB
    bomb.write_bytes(zstandard.ZstdCompressor(level=19).compress(b"\n" * (400 << 20)))
    with pytest.raises(InputError, match=r"bomb\.jsonl\.zst: expands to more than 1000 times its packed size"):
        load_messages(bomb)
    (tmp_path / "cut.jsonl.zst").write_bytes(pack(lines * 50)[:200])
    with pytest.raises(InputError, match=r"cut\.jsonl\.zst: cannot read the file .* complete zstd file"):
        load_messages(tmp_path / "cut.jsonl.zst")


def test_reddit_dumps_as_scripts_and_the_api_write_them(tmp_path, tweets):
    """A CSV of posts and comments in one table (a post's body blank, not missing), Pushshift's integer parents
    (none on a top-level comment), comments without link_id, admins' removal notices, and a saved API listing."""
    rows = [{"id": "p0", "subreddit": "acme", "author": "ana", "created_utc": "1509357600", "title": tweets[0][:30],
             "selftext": tweets[0][30:], "body": "", "parent_id": "", "link_id": ""},
            {"id": "p1", "subreddit": "acme", "author": "bo", "created_utc": "1509357601", "title": "[ Removed by Reddit ]",
             "selftext": "[ Removed by Reddit on account of violating the [content policy](/help/contentpolicy). ]",
             "body": "", "parent_id": "", "link_id": ""}]
    rows += [{"id": f"c{i}", "subreddit": "acme", "author": "cy", "created_utc": str(1509357610 + i), "title": "",
              "selftext": "", "body": tweets[i], "parent_id": "t3_p0" if i == 1 else f"t1_c{i - 1}", "link_id": "t3_p0"}
             for i in range(1, 5)]
    pd.DataFrame(rows).to_csv(tmp_path / "acme.csv", index=False)
    msgs, report = load_messages(tmp_path / "acme.csv")
    assert report.files[0].layout == "reddit" and report.dropped_system_messages == 1  # the removed post only
    assert msgs["message_id"].tolist() == ["t3_p0", "t1_c1", "t1_c2", "t1_c3", "t1_c4"]
    assert msgs["text"].iloc[0] == clean_text(tweets[0][:30].strip() + "\n\n" + tweets[0][30:].strip())
    assert msgs["thread_id"].tolist() == ["t3_p0"] * 5 and msgs["reply_to"].tolist()[1:3] == ["t3_p0", "t1_c1"]
    # Pushshift 2022-23: parents as base-10 integers, none on a top-level comment; and no link_id at all
    ids = ["j72b5yy", "j72b5yz", "j72b600"]
    pushshift = [{"id": ids[0], "subreddit": "acme", "author": "ana", "created_utc": 1675000000, "body": tweets[5],
                  "parent_id": None}] + [
        {"id": ids[k], "subreddit": "acme", "author": "bo", "created_utc": 1675000000 + k, "body": tweets[5 + k],
         "parent_id": int(ids[k - 1], 36)} for k in (1, 2)]
    (tmp_path / "pushshift.jsonl").write_text("".join(json.dumps(r) + "\n" for r in pushshift))
    msgs, _ = load_messages(tmp_path / "pushshift.jsonl")
    assert msgs["reply_to"].tolist() == [None, "t1_j72b5yy", "t1_j72b5yz"]
    assert msgs["thread_id"].nunique() == 1  # one reply chain, one conversation
    # Reddit's own API: a saved listing, with a "more" stub
    listing = {"kind": "Listing", "data": {"after": None, "children": [
        {"kind": "t1", "data": {"id": f"k{i}", "name": f"t1_k{i}", "subreddit": "acme", "author": "AutoModerator"
                                if i == 2 else f"u{i}", "created_utc": 1509357600.0 + i, "body": tweets[10 + i],
                                "parent_id": "t3_p9", "link_id": "t3_p9"}} for i in range(4)] + [
        {"kind": "more", "data": {"count": 3, "children": ["k9"], "parent_id": "t3_p9"}}]}}
    (tmp_path / "comments.json").write_text(json.dumps(listing))
    msgs, report = load_messages(tmp_path / "comments.json")
    assert report.files[0].layout == "reddit" and report.dropped_system_messages == 0
    assert msgs["message_id"].tolist() == [f"t1_k{i}" for i in range(4)] and msgs["author"].iloc[0] == "u0"
    assert msgs["inbound"].tolist()[2] is False and str(msgs["timestamp"].iloc[0]) == "2017-10-30 10:00:00+00:00"
    # a saved thread page: [the post's listing, the comments' listing], replies nested under a comment
    reply = {"kind": "Listing", "data": {"children": [{"kind": "t1", "data": {
        "id": "k9", "name": "t1_k9", "subreddit": "acme", "author": "u9", "created_utc": 1509357700.0,
        "body": tweets[20], "parent_id": "t1_k0", "link_id": "t3_p9", "replies": ""}}]}}
    listing["data"]["children"][0]["data"]["replies"] = reply
    post = {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {
        "id": "p9", "name": "t3_p9", "subreddit": "acme", "author": "op", "created_utc": 1509357500.0,
        "title": tweets[21][:40], "selftext": tweets[21][40:]}}]}}
    (tmp_path / "thread.json").write_text(json.dumps([post, listing]))
    msgs, report = load_messages(tmp_path / "thread.json")
    assert report.files[0].layout == "reddit"
    assert sorted(msgs["message_id"]) == sorted(["t3_p9", *(f"t1_k{i}" for i in range(4)), "t1_k9"])
    assert msgs.set_index("message_id")["reply_to"]["t1_k9"] == "t1_k0" and msgs["thread_id"].nunique() == 1
    # a script's table of comments that copies the post's title onto each row: still comments
    script = pd.DataFrame({"id": [f"s{i}" for i in range(5)], "subreddit": "acme", "author": "ana",
                           "created_utc": "1509357600", "title": "Megathread: customer service complaints",
                           "body": tweets[30:35], "parent_id": ["t3_p1", "t1_s0", "t1_s1", "²", "t1_s3"],
                           "link_id": "t3_p1"})
    script.to_csv(tmp_path / "script.csv", index=False)
    msgs, _ = load_messages(tmp_path / "script.csv")
    assert msgs["message_id"].tolist() == [f"t1_s{i}" for i in range(5)]
    assert msgs["text"].tolist() == [clean_text(t) for t in tweets[30:35]]  # not the title
    posts = pd.DataFrame({"title": ["Refunds", "Delivery"], "body": tweets[36:38], "author": "bo",
                          "created_utc": "1509357600", "subreddit": "acme", "id": ["q1", "q2"]})
    posts.to_csv(tmp_path / "posts.csv", index=False)  # posts only, their text under "body"
    msgs, _ = load_messages(tmp_path / "posts.csv")
    assert msgs["message_id"].tolist() == ["t3_q1", "t3_q2"]
    assert msgs["text"].tolist() == [clean_text(f"{t}\n\n{b.strip()}") for t, b in zip(posts["title"], tweets[36:38])]


def test_slack_bot_users_from_users_json(tmp_path):
    """users.json's bots; an unreadable, null or changed list (read again when it changes)."""
    from ml.ingest.slack import bot_users

    assert bot_users(tmp_path) == frozenset()  # none written
    users = tmp_path / "users.json"
    users.write_text("null")
    assert bot_users(tmp_path) == frozenset()
    users.write_text(json.dumps([{"id": "U1", "is_bot": False}, {"id": "B2", "is_bot": True}, "odd"]))
    import os
    os.utime(users, ns=(1, 10**18))
    assert bot_users(tmp_path) == frozenset({"B2"})


def test_pseudonyms_keyed_with_an_environment_key(tmp_path, tweets, monkeypatch):
    """Mailbox authors: SHA-1 pseudonyms by default (the same on every machine), HMAC under
    PERSONAS_PSEUDONYM_KEY when it is set (a guessed address cannot be confirmed without the key); the load
    report says which."""
    import hashlib
    import mailbox

    mb = mailbox.mbox(str(tmp_path / "inbox.mbox"))
    for i in range(6):
        customer = f"c{i}@gmail.com"
        mb.add(f"From: {customer}\nTo: help@acme.io\nDate: Mon, 30 Oct 2017 10:0{i}:00 +0000\n\n{tweets[i]}\n".encode())
        mb.add(f"From: support@acme.io\nTo: {customer}\nDate: Mon, 30 Oct 2017 11:0{i}:00 +0000\n\n{tweets[10 + i]}\n"
               .encode())
    mb.flush()
    monkeypatch.delenv("PERSONAS_PSEUDONYM_KEY", raising=False)
    plain, report = load_messages(tmp_path / "inbox.mbox")
    assert report.pseudonyms == "sha1" and plain["author"].iloc[0] == "em-" + hashlib.sha1(b"c0@gmail.com").hexdigest()[:10]
    monkeypatch.setenv("PERSONAS_PSEUDONYM_KEY", "a secret of this installation")
    keyed, report = load_messages(tmp_path / "inbox.mbox")
    assert report.pseudonyms == "keyed" and keyed["author"].str.fullmatch(r"em-[0-9a-f]{10}").all()
    assert not set(keyed["author"]) & set(plain["author"])  # a guess hashed without the key matches nobody
    assert keyed["author"].nunique() == plain["author"].nunique() == 7  # six customers and support
    assert load_messages(tmp_path / "inbox.mbox")[0]["author"].tolist() == keyed["author"].tolist()  # stable


def test_names_and_addresses_in_any_author_column_become_pseudonyms(tmp_path, tweets, monkeypatch):
    """A help desk's CSV whose requester column names people ("Maria Gonzalez <maria@...>", "Bob Smith") gets
    pseudonyms as a mailbox does (a review found the names and addresses of 635 members stored and served): an
    address's pseudonym is the mailbox's, a name of two words or more and a phone number go; a single word, a handle
    and an id stay as written. Each value is judged alone, so one author is one pseudonym in every file of a load
    (counted once) and in the API's records (a review: "Cher" was a pseudonym in one file and a name in another)."""
    from ml.ingest.mail import pseudonym as mail_pseudonym
    from ml.ingest.records import messages_from_records

    monkeypatch.delenv("PERSONAS_PSEUDONYM_KEY", raising=False)
    who = ["Maria Gonzalez <Maria.G@gmail.com>", "Bob Smith", "whatsapp:+14155238886", "(312) 555-0142", None]
    pd.DataFrame({"description": tweets[:20], "requester": [who[i % 5] for i in range(20)]}).to_csv(
        tmp_path / "a.csv", index=False)
    pd.DataFrame({"description": tweets[20:30], "requester": ["Bob Smith", "115712", "sprintcare", "@jet_fan", "Cher",
                                                              "U024BE7LH", "42", "0.5", "kgLate Flightshow10", None]}
                 ).to_csv(tmp_path / "b.csv", index=False)
    msgs, report = load_messages([tmp_path / "a.csv", tmp_path / "b.csv"])
    authors = msgs["author"].tolist()
    assert authors[0] == mail_pseudonym("maria.g@gmail.com") and authors[1] == authors[20]  # Bob Smith, both files
    assert all(a is None for a in authors[4:20:5]) and pd.Series(authors[:20]).dropna().str.fullmatch(
        r"(au|em)-[0-9a-f]{10}").all()
    assert authors[21:28] == ["115712", "sprintcare", "@jet_fan", "Cher", "U024BE7LH", "42", "0.5"]
    assert authors[28].startswith("au-")  # the airline dump's one screen name with a space
    assert report.authors_pseudonymised == 5 and report.pseudonyms == "sha1"  # Bob Smith counted once
    assert any("replaced by pseudonyms" in line and line.endswith(": 5") for line in report.summary_lines())
    assert not any(name in " ".join(map(str, msgs.to_numpy().ravel())) for name in ("Maria", "Smith", "4155", "555-"))
    posted = messages_from_records([{"text": tweets[0], "author": "Bob Smith"}, {"text": tweets[1], "author": "Cher"}])
    assert posted["author"].tolist() == [authors[1], "Cher"]  # the API's records: the same rule
    _, plain = load_messages(tmp_path / "b.csv")
    assert plain.authors_pseudonymised == 2
    # a verification at HEAD: "Last, First", dotted and prefixed phone numbers stayed; case made other authors
    from ml.ingest.pseudonyms import author_pseudonyms

    more = pd.Series(["Gonzalez, Maria", "Lefèvre,Renée", "415.555.1003", "whatsapp:14155551004", "MARIA  GONZALEZ",
                      "Maria Gonzalez", "4155551003", "3.14"], dtype=object)
    got = author_pseudonyms(more)[0].tolist()
    assert all(a.startswith("au-") for a in got[:6]) and got[4] == got[5] and got[6:] == ["4155551003", "3.14"]


def test_files_in_a_folder_that_are_not_read_are_named(tmp_path, tweets):
    """A folder of exports with an Outlook .msg, a PDF and a readme beside them: the files read are read, the
    others counted by suffix in the report and its line (with what to do about .msg); hidden files and Excel's
    lock files are not counted."""
    pd.DataFrame({"text": tweets[:20], "author": "a"}).to_csv(tmp_path / "tickets.csv", index=False)
    for name in ("call notes.msg", "more notes.msg", "policy.pdf", "readme.txt", ".DS_Store", "~$tickets.xlsx"):
        (tmp_path / name).write_bytes(b"\x00\x01 not read")
    msgs, report = load_messages(tmp_path)
    assert len(msgs) == 20 and [f.path for f in report.files] == [str(tmp_path / "tickets.csv")]
    assert report.skipped_files == {".msg": 2, ".pdf": 1, ".txt": 1}
    line = next(x for x in report.summary_lines() if x.startswith("files in the folders not read"))
    assert line.startswith("files in the folders not read (not a format read here): 2 .msg, 1 .pdf, 1 .txt")
    assert "save Outlook's .msg files as .eml" in line


def test_folders_inside_a_folder_given_are_named_not_read(tmp_path, tweets):
    """An ingest review (2026-12-05): a folder's 'archive/' subfolder of 900 rows was skipped without a word, and a
    folder holding only an unpacked 'export/' folder was refused without naming it."""
    pd.DataFrame({"text": tweets[:20], "author": "a"}).to_csv(tmp_path / "tickets.csv", index=False)
    (tmp_path / "archive").mkdir()
    pd.DataFrame({"text": tweets[20:40], "author": "b"}).to_csv(tmp_path / "archive" / "old.csv", index=False)
    (tmp_path / ".git").mkdir()
    msgs, report = load_messages(tmp_path)
    assert len(msgs) == 20 and report.skipped_folders == ["archive"]
    assert "folders inside the folders given, not read: 1 (archive/); pass them too to read their files" in \
        report.summary_lines()
    both, report = load_messages([tmp_path, tmp_path / "archive"])  # given too: read, not named as skipped
    assert len(both) == 40 and report.skipped_folders == []
    only = tmp_path / "only"
    (only / "export").mkdir(parents=True)
    with pytest.raises(InputError, match=r"has no supported files; .*the folders in it are not read \(export/\): "
                                         r"pass them instead"):
        load_messages(only)


def test_files_in_a_zip_that_are_not_read_are_named_too(tmp_path, tweets):
    """A review (2026-12-06): a zip of a CSV, an Outlook .msg, an .xls and a README dropped the three without a word,
    where the same files in a folder were named."""
    import zipfile

    frame = pd.DataFrame({"text": tweets[:20], "author": "a"})
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as archive:
        archive.writestr("tickets.csv", frame.to_csv(index=False))
        for name in ("mail1.msg", "old.xls", "README.txt", "__MACOSX/._tickets.csv", ".hidden"):
            archive.writestr(name, b"\x00\x01 not read")
    msgs, report = load_messages(tmp_path / "export.zip")
    assert len(msgs) == 20 and report.skipped_files == {".msg": 1, ".xls": 1, ".txt": 1}
    assert any(x.startswith("files in the folders not read (not a format read here): 1 .msg, 1 .xls, 1 .txt")
               for x in report.summary_lines())


def test_an_error_in_a_zipped_file_names_the_archive(tmp_path, tweets):
    """A review (2026-12-06): "error: /tmp/personas-unzip-g0imw8yv/b.csv: NUL bytes …" named a folder gone when
    the run ended; the docs promise ``export.zip/b.csv``."""
    import zipfile

    with zipfile.ZipFile(tmp_path / "export.zip", "w") as archive:
        archive.writestr("a.csv", pd.DataFrame({"text": tweets[:20]}).to_csv(index=False))
        archive.writestr("b.csv", b"text\nhello\x00\x00\x00 world\n")
    with pytest.raises(InputError) as err:
        load_messages(tmp_path / "export.zip")
    assert str(err.value).startswith(f"{tmp_path / 'export.zip'}/b.csv: NUL bytes")
    assert "personas-unzip" not in str(err.value)
