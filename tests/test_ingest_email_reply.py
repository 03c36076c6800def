"""Email bodies cut to the customer's latest reply (ml/ingest/email_reply.py): quoted agent answers, their
headers and signatures out; tweets and queries left whole. Bodies are the bundled sample's real customer and
agent tweets, laid out as a help desk exports email tickets."""

from __future__ import annotations

import pandas as pd
import pytest

from ml.ingest.email_reply import cut_replies, latest_reply
from ml.ingest.load import load_messages
from tests.fixtures.data import SAMPLE_DIR, shared_path


def thread_pairs(n: int = 30) -> pd.DataFrame:
    """Customer tweets and the agent tweet each one answered."""
    rows = pd.read_csv(SAMPLE_DIR / "twcs_sample.csv", dtype=str)
    by_id = rows.set_index("tweet_id")
    customers = rows[(rows["inbound"] == "True") & rows["in_response_to_tweet_id"].notna()]
    customers = customers[customers["in_response_to_tweet_id"].str.replace(".0", "", regex=False).isin(by_id.index)]
    agent = customers["in_response_to_tweet_id"].str.replace(".0", "", regex=False).map(by_id["text"])
    return pd.DataFrame({"customer": customers["text"].str.strip(), "agent": agent}).dropna().head(n)


GMAIL = "{customer}\n\nThanks,\nJane\n\nSent from my iPhone\n\nOn Mon, 30 Oct 2017 at 10:00, ACME Support " \
        "<support@acme.com> wrote:\n> {agent}\n"
OUTLOOK = "{customer}\n\n--\nJane Doe\nSenior Buyer | ACME Corp\n\n________________________________\nFrom: ACME " \
          "Support <support@acme.com>\nSent: Monday, 30 October 2017 10:00\nTo: Jane Doe\nSubject: Re: your order\n\n{agent}"
GERMAN = "{customer}\n\nAm 30.10.2017 um 10:00 schrieb ACME Support <support@acme.com>:\n> {agent}\n"


@pytest.mark.parametrize("layout", [GMAIL, OUTLOOK, GERMAN], ids=["gmail", "outlook", "german-header"])
def test_an_email_export_keeps_only_what_the_customer_wrote(tmp_path, layout):
    pairs = thread_pairs()
    bodies = [layout.format(customer=c, agent=a) for c, a in zip(pairs["customer"], pairs["agent"], strict=True)]
    pd.DataFrame({"ticket": range(len(bodies)), "body": bodies}).to_csv(tmp_path / "tickets.csv", index=False)
    msgs, report = load_messages(tmp_path / "tickets.csv")
    assert msgs["text"].tolist() == pairs["customer"].tolist()
    assert report.email_replies == len(bodies)
    assert any(line.endswith(f"a signature dropped): {len(bodies)}") for line in report.summary_lines())


def test_tweets_signed_on_one_line_and_texts_that_are_all_signature_are_left_whole():
    signed = "@117024 Thank you for understanding. Should info become available, it will be here: https://t.co/x \n -Erica"
    assert latest_reply(signed) == signed  # one line break: not an email's layout
    assert latest_reply("-me erday waiting for UPS https://t.co/bXr4Od96t1") == "-me erday waiting for UPS https://t.co/bXr4Od96t1"
    only = "--\nJane Doe\nACME Corp"
    assert latest_reply(only) == only  # cut to nothing: kept as written


def test_tweets_and_queries_keep_their_words_but_a_sign_off_on_lines_of_its_own():
    """On the bundled sample and three labelled sets, a cut only drops a sign-off at the end ("Regards,\nAmruta",
    "Best, \n\nFabrice"): the kept text opens the original, and fewer than 1 in 1,000 texts are cut."""
    files = [SAMPLE_DIR / "twcs_sample.csv", shared_path("twcs_sample", "twcs_first5000.csv"),
             shared_path("twitter_airline_sentiment", "Tweets.csv"), shared_path("banking77", "train.csv")]
    for path in files:
        texts = pd.read_csv(path, dtype=str)["text"].dropna()
        cut, n = cut_replies(texts)
        changed = cut != texts
        assert n == int(changed.sum()) and n < len(texts) / 1000, path
        for before, after in zip(texts[changed], cut[changed], strict=True):
            assert " ".join(before.split()).startswith(" ".join(after.split())), (before, after)


def test_texts_posted_to_the_api_are_cut_the_same_way():
    from ml.ingest.records import messages_from_records

    pair = thread_pairs(1).iloc[0]
    msgs = messages_from_records([{"text": GMAIL.format(customer=pair["customer"], agent=pair["agent"])}])
    assert msgs["text"].tolist() == [pair["customer"]]


def test_a_chat_message_keeps_its_list_and_what_follows_a_thank_you_line():
    """Lines opening "- " are a list; a "signature" longer than a signature's size is the rest of the message."""
    listed = "My internet keeps dropping.\n- router restarted\n- cables checked\nStill nothing."
    assert latest_reply(listed) == listed
    texts = pd.read_csv(SAMPLE_DIR / "twcs_sample.csv", dtype=str)["text"].dropna().head(800).tolist()
    chat = "\n".join(texts)  # real tweets, one per line: one opens "Thank you, @AmericanAir …"
    assert any(line.startswith("Thank you,") for line in texts) and latest_reply(chat) == chat
