"""Email bodies cut to the message the customer wrote this time.

Help-desk exports of email tickets carry each customer reply with the conversation quoted below it ("On Mon,
30 Oct 2017 at 10:00, ACME Support <support@acme.com> wrote:" and "> …" lines, Outlook's "From: … Sent: …
Subject: …" block, "-----Original Message-----") and a signature ("Thanks,\\nJane", "Sent from my iPhone",
"--\\nJane Doe\\nSenior Buyer"). Left in, the agent's quoted answers and the signatures become terms, names and
evidence of the customer's persona.

``latest_reply(text)`` → the latest reply's body by ``mail-parser-reply`` (``EmailReplyParser.read(...).replies
[0].body``: quoted messages, their headers and the signature dropped; headers in ``LANGUAGES``), for a text of
at least ``MIN_LINE_BREAKS`` line breaks (an email's layout: a tweet signed "-Erica" or one opening "-me" is
left whole); the text unchanged when the body is empty or differs only in white space.

``cut_replies(texts)`` → ``(texts, how many were cut)``. Measured: no text of the six labelled sets in
``../shared/data`` (Banking77, the TWCS slices, the airline tweets, GoogleNews-TS, Tweet; 49,304 texts) nor of
the bundled sample is changed (docs/ingest.md, "Email replies").
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

MIN_LINE_BREAKS = 2
#: header languages of mail-parser-reply 1.36 ("On … wrote:", "Am … schrieb:", "Le … a écrit :", …)
LANGUAGES = ("en", "de", "cs", "da", "es", "fr", "it", "ja", "ko", "nl", "pl", "sv", "zh")


@lru_cache(maxsize=1)
def _parser():
    from mailparser_reply import EmailReplyParser

    return EmailReplyParser(languages=list(LANGUAGES))


def latest_reply(text: str) -> str:
    """``text``'s latest reply without quoted messages and signature (module docstring)."""
    if not isinstance(text, str) or text.count("\n") < MIN_LINE_BREAKS:
        return text
    replies = _parser().read(text=text).replies
    body = replies[0].body.strip() if replies else ""
    if not body or body.split() == text.split():
        return text
    return body


def cut_replies(texts: pd.Series) -> tuple[pd.Series, int]:
    """Each text's latest reply (``latest_reply``) and how many texts were cut."""
    out = texts.map(latest_reply)
    return out, int((out != texts).sum())
