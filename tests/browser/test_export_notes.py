"""The run overview says what ingest read without being told (ml.ingest, docs/ingest.md): a help desk's Excel
export of the bundled TWCS sample, message bodies in HTML under "Public Reply", times under "Created"."""

from __future__ import annotations

import re

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest

from tests.browser.conftest import Server, served_run
from tests.fixtures.runs import SAMPLE_TWCS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def run_meta(page, server: Server, manifest: dict):
    """The run overview's source line of ``manifest``'s run: the element and its text."""
    page.goto(f"{server.url}/?run={quote(manifest['run_id'])}")
    meta = page.get_by_test_id("run-meta")
    meta.wait_for()
    return meta, meta.inner_text()


@pytest.fixture(scope="module")
def export_run(frontend_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict]]:
    work = tmp_path_factory.mktemp("export-notes")
    sample = pd.read_csv(SAMPLE_TWCS).dropna(subset=["text"]).head(1200)
    pd.DataFrame({
        "Ticket": sample["tweet_id"].astype(str),
        "Author Role": ["end-user" if str(v).lower() == "true" else "agent" for v in sample["inbound"]],
        "Created": sample["created_at"],
        "Public Reply": ["<p>" + t.replace("\n", "<br>") + "</p>" for t in sample["text"]],
    }).to_excel(work / "tickets.xlsx", sheet_name="Comments", index=False)
    with served_run(work, [str(work / "tickets.xlsx")], "backend-export") as served:
        yield served


def test_overview_says_which_columns_were_found_by_their_values(export_run, live_server, page, artifacts):
    server, manifest = export_run
    meta, text = run_meta(page, server, manifest)
    assert "tickets.xlsx (sheet 'Comments' (1 of 1);" in text and "layout" not in text
    assert "columns read: text 'Public Reply' (found by its values), time 'Created' (found by its values)" in text
    assert "; no author column" in text  # no column named who wrote
    assert f"{manifest['source']['load']['html_texts']:,} HTML message bodies read as text" in text
    meta.screenshot(path=str(artifacts / "overview-export-notes.png"))
    selector = page.get_by_role("combobox").first.inner_text()
    assert "tickets.xlsx" in selector and "columns read" not in selector  # the selector stays short

    # the bundled sample's run: every column had a name, so nothing is said
    run = live_server.api("/runs/latest")
    page.goto(f"{live_server.url}/?run={quote(run['id'])}")
    page.get_by_test_id("run-meta").wait_for()
    assert "found by" not in page.get_by_test_id("run-meta").inner_text()
    assert "columns read" not in page.get_by_test_id("run-meta").inner_text()  # its layout names its columns


@pytest.fixture(scope="module")
def json_run(frontend_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict]]:
    """A help desk's API export of the sample's reply threads as tickets under data.tickets, each with its
    comments (customer and agent; the author nested, the requester the thread's first author); 100 customer
    comments as email replies quoting the answer they got, 40 bodies garbled by a wrong encoding."""
    import json

    from ml.ingest.load import load_messages

    work = tmp_path_factory.mktemp("export-json")
    msgs, _ = load_messages(SAMPLE_TWCS)
    msgs = msgs.sort_values(["thread_id", "timestamp"], kind="stable")
    quote = "\n\nSent from my iPhone\n\nOn Mon, 30 Oct 2017 at 10:00, Support <help@example.com> wrote:\n> Sorry!"
    emailed = set(msgs[msgs["inbound"].fillna(False)]["message_id"].head(100))
    # 40 bodies garbled as when UTF-8 is read as Latin-1 ("I’m" → "Iâ\x80\x99m"): those with non-ASCII characters count
    garbled = set(msgs[msgs["text"].str.contains(r"[^\x00-\x7f]")]["message_id"].head(40))

    def body(r):
        text = r.text + (quote if r.message_id in emailed else "")
        return text.encode("utf-8").decode("latin-1") if r.message_id in garbled else text
    tickets = [{"id": root, "subject": "Twitter", "requester": {"id": t.iloc[0].author},
                "comments": [{"id": r.message_id, "created_at": str(r.timestamp),
                              "author": {"id": r.author, "name": f"Customer {r.author}"},
                              "body": body(r)} for r in t.itertuples()]}
               for root, t in msgs.groupby("thread_id", sort=False)]
    (work / "export.json").write_text(json.dumps({"pages": {"next": None}, "data": {"tickets": tickets}}))
    with served_run(work, [str(work / "export.json")], "backend-export-json") as served:
        yield served


def test_overview_says_where_in_a_json_export_the_messages_were(json_run, page, artifacts):
    server, manifest = json_run
    load = manifest["source"]["load"]
    assert load["files"][0]["mapping"]["author"] == "author.id"
    assert load["files"][0]["mapping"]["inbound"] == "from_customer"  # the requester's comments
    assert manifest["agents"]["removed_outbound_flag"] > 0  # the agents' comments are not members
    meta, text = run_meta(page, server, manifest)
    assert "export.json (messages from the JSON array under 'data.tickets';" in text
    assert "author 'author.id'" in text and "no author column" not in text
    # the name beside the author's id is read only to mask it in the texts, and the overview says so
    assert load["files"][0]["names"] == ["author.name"]
    assert "authors' names 'author.name' (only to mask them in the texts)" in text
    assert f"{load['files'][0]['conversations']:,} conversations with their messages under 'comments'" in text
    assert f"{load['email_replies']} texts cut to their latest reply" in text
    assert load["email_replies"] >= 100
    assert load["mojibake_repaired"] == 40 and "40 texts garbled by a wrong encoding repaired" in text
    meta.screenshot(path=str(artifacts / "overview-json-export.png"))


@pytest.fixture(scope="module")
def slack_run(frontend_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict]]:
    """The sample's reply threads as a Slack workspace export: one channel per brand, a file per channel and day,
    replies in threads, a join notice at the start of every file."""
    import json

    from ml.ingest.load import load_messages

    root = tmp_path_factory.mktemp("export-slack") / "acme-export"
    root.mkdir()
    msgs, _ = load_messages(SAMPLE_TWCS)
    msgs = msgs.sort_values(["thread_id", "timestamp"], kind="stable")
    (root / "channels.json").write_text(json.dumps([{"id": "C1", "name": "support"}]))
    days: dict[tuple[str, str], list[dict]] = {}
    for _, t in msgs.groupby("thread_id", sort=False):
        agents = t[~t["inbound"].fillna(False)]["author"]
        channel = agents.iloc[0].lower() if len(agents) else "general"
        first = f"{t['timestamp'].iloc[0].timestamp():.6f}"
        for r in t.itertuples():
            ts = f"{r.timestamp.timestamp():.6f}"
            days.setdefault((channel, r.timestamp.strftime("%Y-%m-%d")), []).append(
                {"type": "message", "user": r.author, "text": r.text, "ts": ts,
                 **({"thread_ts": first} if len(t) > 1 else {})})
    for (channel, day), day_msgs in days.items():
        (root / channel).mkdir(exist_ok=True)
        join = {"type": "message", "subtype": "channel_join", "user": "U0", "text": "<@U0> has joined the channel",
                "ts": "1.000000"}
        (root / channel / f"{day}.json").write_text(json.dumps([join, *day_msgs]))
    with served_run(root.parent, [str(root)], "backend-export-slack", "--unit", "conversation") as served:
        yield served


def test_overview_names_a_slack_export_and_its_notices(slack_run, page, artifacts):
    server, manifest = slack_run
    load = manifest["source"]["load"]
    assert {f["layout"] for f in load["files"]} == {"slack"} and load["dropped_system_messages"] == len(load["files"])
    assert manifest["agents"]["removed"] > 0  # the brands' replies in the threads are not members
    meta, text = run_meta(page, server, manifest)
    assert f"acme-export (Slack export; {len(load['files']):,} Slack notices (joins, topic changes, …) left out)" in text
    assert "each member is one conversation" in text
    meta.screenshot(path=str(artifacts / "overview-slack-export.png"))
    # the stages count messages, the last row members: no share of messages for conversations (a TWCS review read
    # "kept 1,367 … 27.3%", authors divided by messages)
    kept_messages = manifest["filtering"][-1]["kept"]
    note = page.get_by_test_id("funnel-members").inner_text()
    assert note == (f"The steps count messages; the {kept_messages:,} messages kept form "
                    f"{manifest['counts']['kept']:,} members, one per conversation (the last, lighter bar).")
    last = page.get_by_test_id("filter-funnel").locator("tbody tr").last
    assert last.locator("th").inner_text() == "conversations (members)"
    assert last.locator("td").last.inner_text() == ""
    # the members' bar is told apart from the messages' (a help-desk review read it on the messages' axis), and the
    # axis ends on a round number at or above the rows read ("4,500" and "5,000" stood on each other)
    fills = page.eval_on_selector_all('[data-testid="filter-funnel"] .recharts-bar-rectangle path',
                                      "ps => ps.map(p => p.getAttribute('fill'))")
    assert len(set(fills[:-1])) == 1 and fills[-1] != fills[0], fills
    ticks = [int(t.replace(",", "")) for t in page.eval_on_selector_all(
        '[data-testid="filter-funnel"] .recharts-cartesian-axis-tick-value', "ts => ts.map(t => t.textContent)")
        if re.fullmatch(r"[\d,]+", t)]  # the x axis: the y axis's ticks are the steps' names
    steps = {b - a for a, b in zip(ticks, ticks[1:])}
    assert ticks[0] == 0 and len(steps) == 1 and ticks[-1] >= manifest["counts"]["input"] > ticks[-2], ticks
    page.get_by_test_id("filter-funnel").screenshot(path=str(artifacts / "funnel-conversations.png"))


@pytest.fixture(scope="module")
def whatsapp_run(frontend_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict]]:
    """The sample's reply threads as a shop's WhatsApp chats (Android's export, a month-first locale): one chat per
    thread with the customer who opened it, every brand reply written by "Acme Shop", a photo placeholder in each."""
    from ml.ingest.load import load_messages

    folder = tmp_path_factory.mktemp("export-whatsapp") / "chats"
    folder.mkdir()
    msgs, _ = load_messages(SAMPLE_TWCS)
    msgs = msgs.sort_values(["thread_id", "timestamp"], kind="stable")
    for i, (_, t) in enumerate(msgs.groupby("thread_id", sort=False)):
        customer = t["author"].iloc[0]
        t = t[(t["author"] == customer) | ~t["inbound"].fillna(False)]
        if len(t) < 2:
            continue
        def line(when, who, text):
            return f"{when.month}/{when.day}/{when.strftime('%y')}, {when.strftime('%I:%M %p').lstrip('0')} - {who}: {text}"
        lines = [line(r.timestamp, f"Customer {customer}" if r.author == customer else "Acme Shop", r.text)
                 for r in t.itertuples()]
        lines.append(line(t["timestamp"].iloc[-1], f"Customer {customer}", "<Media omitted>"))
        (folder / f"WhatsApp Chat with Customer {i}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with served_run(folder.parent, [str(folder)], "backend-export-whatsapp", "--unit", "conversation") as served:
        yield served


def test_overview_names_the_chats_and_the_business(whatsapp_run, page, artifacts):
    server, manifest = whatsapp_run
    load = manifest["source"]["load"]
    assert load["chat_business_accounts"] == 1 and load["chat_format"] == "%m/%d/%y, %I:%M %p - %name:"
    assert load["dropped_system_messages"] == load["chats"] == len(load["files"])
    assert manifest["agents"]["removed"] > 0  # the shop's replies are not members
    meta, text = run_meta(page, server, manifest)
    assert f"{load['chats']:,} WhatsApp notices (media placeholders, …) left out" in text
    assert f"{load['chats']:,} chats; the account in half of them or more is read as the business" in text
    assert "90% within 30 Oct 2017 – 26 Nov 2017" in text  # month first, as the chats were written
    meta.screenshot(path=str(artifacts / "overview-whatsapp-export.png"))


@pytest.fixture(scope="module")
def mailbox_run(frontend_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict]]:
    """The sample's reply threads as a support inbox (.mbox): customers on Gmail write to help@acme.io, the brand
    answers from support@acme.io, each reply quoting the message before it."""
    import mailbox
    from email.message import EmailMessage
    from email.utils import format_datetime

    from ml.ingest.load import load_messages

    work = tmp_path_factory.mktemp("export-mbox")
    msgs, _ = load_messages(SAMPLE_TWCS)
    msgs = msgs.sort_values(["thread_id", "timestamp"], kind="stable")
    box = mailbox.mbox(str(work / "support.mbox"))
    for _, t in msgs.groupby("thread_id", sort=False):
        previous, customer = None, f"c{t['author'].iloc[0]}@gmail.com"
        for j, r in enumerate(t.itertuples()):
            m = EmailMessage()
            brand = not r.inbound
            m["From"] = "Acme <support@acme.io>" if brand else f"c{r.author}@gmail.com"
            m["To"] = customer if brand else "help@acme.io"
            m["Date"] = format_datetime(r.timestamp.to_pydatetime())
            m["Message-ID"] = f"<{r.message_id}@acme.io>"
            if previous:
                m["In-Reply-To"] = previous
            m.set_content(r.text + (f"\n\nOn Mon, 30 Oct 2017, Acme wrote:\n> {t['text'].iloc[j - 1]}" if j else ""))
            box.add(m)
            previous = m["Message-ID"]
    bounce = EmailMessage()  # the mail system's: left out and counted
    bounce["From"], bounce["To"] = "Mail Delivery Subsystem <mailer-daemon@googlemail.com>", "support@acme.io"
    bounce["Date"], bounce["Message-ID"] = "Mon, 30 Oct 2017 10:00:00 +0000", "<bounce-1@googlemail.com>"
    bounce.set_content("** Address not found ** Your message wasn't delivered to c1@gmail.com")
    box.add(bounce)
    box.flush()
    with served_run(work, [str(work / "support.mbox")], "backend-export-mbox", "--unit", "conversation") as served:
        yield served


def test_overview_names_the_mailbox_company(mailbox_run, page, artifacts):
    server, manifest = mailbox_run
    load = manifest["source"]["load"]
    assert load["files"][0]["layout"] == "mailbox" and load["files"][0]["company"] == "acme.io"
    assert load["email_replies"] > 0 and manifest["agents"]["removed"] > 0
    meta, text = run_meta(page, server, manifest)
    assert "support.mbox (mailbox; messages from acme.io read as the company's side;" in text
    assert f"{load['email_replies']:,} texts cut to their latest reply" in text
    assert load["dropped_system_messages"] == 1 and "1 delivery-failure notice left out" in text  # not ".eml files"
    meta.screenshot(path=str(artifacts / "overview-mailbox-export.png"))


@pytest.fixture(scope="module")
def reddit_run(frontend_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict]]:
    """The sample's reply threads as a subreddit's dump (JSON lines): a thread's first message is the post
    (title and body), the rest are comments answering the message before; every 7th comment was removed."""
    import json

    from ml.ingest.load import load_messages

    work = tmp_path_factory.mktemp("export-reddit") / "r-acme"
    work.mkdir()
    msgs, _ = load_messages(SAMPLE_TWCS)
    msgs = msgs.sort_values(["thread_id", "timestamp"], kind="stable")
    posts, comments = [], []
    for k, (_, t) in enumerate(msgs.groupby("thread_id", sort=False)):
        first = t.iloc[0]
        when = [int(ts.timestamp()) for ts in t["timestamp"]]
        posts.append({"id": f"p{k}", "subreddit": "acme", "author": first["author"], "created_utc": when[0],
                      "title": first["text"][:60], "selftext": first["text"][60:]})
        for j, r in enumerate(t.iloc[1:].itertuples(), 1):
            body = "[removed]" if len(comments) % 7 == 6 else r.text
            comments.append({"id": f"c{k}_{j}", "subreddit": "acme", "author": r.author, "created_utc": when[j],
                             "body": body, "link_id": f"t3_p{k}",
                             "parent_id": f"t3_p{k}" if j == 1 else f"t1_c{k}_{j - 1}"})
    for name, items in (("acme_submissions.jsonl", posts), ("acme_comments.jsonl", comments)):
        (work / name).write_text("".join(json.dumps(i) + "\n" for i in items))
    with served_run(work.parent, [str(work)], "backend-export-reddit", "--unit", "conversation") as served:
        yield served


def test_overview_names_a_reddit_dump_and_its_deleted_posts(reddit_run, page, artifacts):
    server, manifest = reddit_run
    load = manifest["source"]["load"]
    assert [f["layout"] for f in load["files"]] == ["reddit", "reddit"] and load["dropped_system_messages"] > 0
    meta, text = run_meta(page, server, manifest)
    removed = load["dropped_system_messages"]
    assert "r-acme (Reddit dump;" in text
    assert f"; {removed:,} deleted or removed Reddit posts and comments left out)" in text
    assert "each member is one conversation" in text
    meta.screenshot(path=str(artifacts / "overview-reddit-export.png"))


@pytest.fixture(scope="module")
def survey_run(frontend_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict]]:
    """The bundled airline tweets as answers to a Qualtrics survey's open question, exported as CSV with its
    question and import-id rows, times in Denver's clock."""
    import csv

    from tests.test_ingest_surveys import qualtrics_rows

    work = tmp_path_factory.mktemp("export-survey")
    texts = pd.read_csv(SAMPLE_TWCS.parent / "airline_tweets_sample.csv", dtype=str)["text"].dropna().head(800)
    with (work / "feedback.csv").open("w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows(qualtrics_rows(texts.tolist()))
    with served_run(work, [str(work / "feedback.csv")], "backend-export-survey") as served:
        yield served


def test_overview_names_the_survey_question_and_its_time_zone(survey_run, page, artifacts):
    from tests.test_ingest_surveys import QUESTION

    server, manifest = survey_run
    f = manifest["source"]["load"]["files"][0]
    assert (f["survey"], f["question"], f["time_zone"]) == ("Qualtrics", QUESTION, "America/Denver")
    assert manifest["time"]["basis"] == "America/Denver" and "(as the export says)" in manifest["time"]["note"]
    meta, text = run_meta(page, server, manifest)
    assert f"feedback.csv (Qualtrics export; answers to '{QUESTION}'; times in America/Denver, " \
           "as the export says;" in text
    meta.screenshot(path=str(artifacts / "overview-survey-export.png"))


@pytest.fixture(scope="module")
def where_run(frontend_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict]]:
    """The bundled airline tweets, one airline's rows only (``--where airline=United``)."""
    from tests.fixtures.data import SAMPLE_DIR

    work = tmp_path_factory.mktemp("where-notes")
    with served_run(work, [str(SAMPLE_DIR / "airline_tweets_sample.csv")], "backend-where",
                    "--where", "airline=United") as served:
        yield served


def test_overview_says_which_rows_where_kept(where_run, page, artifacts):
    server, manifest = where_run
    load = manifest["source"]["load"]
    meta, text = run_meta(page, server, manifest)
    kept = load["rows_read"] - load["dropped_where"]
    assert 0 < kept < load["rows_read"] and manifest["counts"]["input"] == kept
    assert f"only rows where airline=United (--where): {kept:,} of {load['rows_read']:,}" in text
    meta.screenshot(path=str(artifacts / "overview-where.png"))
    # the dates on the charts' clock (every airline timestamp carries -0800), not UTC: the help-desk review read
    # "data from 17 Feb 2015 – 24 Feb 2015 (UTC)" above charts in UTC-08:00
    assert manifest["time"]["basis"] == "UTC-08:00"
    period = page.get_by_test_id("run-period").inner_text()
    assert period.endswith("(UTC-08:00, the clock of the charts)") and "(UTC)" not in period
    # the run selector's short line names the segment too, so runs of one file by segment can be told apart
    assert "airline_tweets_sample.csv (Twitter US Airline Sentiment columns; only airline=United)" in page.get_by_role(
        "combobox").first.inner_text()


def test_a_short_dump_says_each_weekday_bar_is_a_date_or_two(where_run, page, artifacts):
    """The airline sample covers nine dates in its clock: each weekday bar is one or two of them, and the page
    says so under the chart (the description and the strategy do too: tests/test_weekday_dates.py)."""
    server, manifest = where_run
    run_id = manifest["run_id"]
    top = max(server.api(f"/runs/{quote(run_id)}/personas")["items"], key=lambda p: p["size"])
    per_day = server.api(f"/runs/{quote(run_id)}/personas/{top['id']}")["activity"]["population_weekday_dates"]
    counts = [d["dates"] for d in per_day if d["dates"]]
    assert max(counts) < 3  # the sample's week and a day
    assert all(d["date_bound"] == ("few_dates" if d["dates"] else None) for d in per_day)  # served, not re-derived
    page.goto(f"{server.url}/persona/?run={quote(run_id)}&id={top['id']}")
    note = page.get_by_test_id("activity-weekday-dates")
    note.wait_for()
    each = f"{min(counts)}–{max(counts)}" if min(counts) < max(counts) else str(counts[0])
    assert note.inner_text().startswith(f"The data covers {sum(counts)} dates, so each bar is {each} dates")
    page.get_by_test_id("activity-weekday").locator("..").screenshot(path=str(artifacts / "activity-short-dump.png"))
