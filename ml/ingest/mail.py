"""Mailboxes: a support inbox exported as an ``.mbox`` file (Gmail's Takeout, Thunderbird, Apple Mail, most
help desks' mail archives), read with the standard library's ``mailbox`` and ``email`` packages.

``read_mail(path)`` → one row per message: ``message_id`` (the Message-ID header, else the file and its
position), ``reply_to`` (In-Reply-To, else the last of References: the reply chains that ``--unit
conversation`` follows), ``author`` (a pseudonym of the From address: ``em-`` and 10 hex digits of its SHA-1,
so addresses never reach a run's files), ``timestamp`` (the Date header, with its offset), ``subject``,
``text`` (the text/plain part, else the HTML part, which ingest reads as a browser shows it; quoted replies and
signatures are cut as for any email body, docs/ingest.md "Email replies"), and ``from_customer``: the
company is the mailbox's owner, the address that receives the most of its messages (Delivered-To, else To);
a message is the company's side when it comes from the owner or carries Gmail's "Sent" label, the customer's
otherwise (no such column when no recipient is seen).
"""

from __future__ import annotations

import hashlib
import mailbox
from collections import Counter
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

import pandas as pd

from ml.runtime.errors import InputError

PRIVATE = ("_from", "_to", "_sent")


def _address(value) -> str | None:
    found = [a.strip().lower() for _, a in getaddresses([str(value)]) if a and "@" in a] if value else []
    return found[0] if found else None


def pseudonym(address: str | None) -> str | None:
    """The author's pseudonym (module docstring)."""
    return "em-" + hashlib.sha1(address.encode("utf-8")).hexdigest()[:10] if address else None


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        return part.get_content()
    except (LookupError, ValueError):  # an unknown charset or a broken transfer encoding
        return part.get_payload(decode=True).decode("utf-8", errors="replace") if part.get_payload() else ""


def _when(value) -> str | None:
    try:
        return parsedate_to_datetime(str(value)).isoformat() if value else None
    except (TypeError, ValueError, IndexError):
        return None


def _row(msg: EmailMessage, fallback: str) -> dict:
    refs = str(msg.get("References") or "").split()
    parent = str(msg.get("In-Reply-To") or "").strip() or (refs[-1] if refs else None)
    sender = _address(msg.get("From"))
    return {"message_id": str(msg.get("Message-ID") or "").strip() or fallback, "reply_to": parent,
            "author": pseudonym(sender), "timestamp": _when(msg.get("Date")), "subject": str(msg.get("Subject") or ""),
            "text": _body(msg).strip(), "_from": sender, "_to": _address(msg.get("Delivered-To") or msg.get("To")),
            "_sent": "sent" in str(msg.get("X-Gmail-Labels") or "").lower().split(",")}


def read_mail(path: Path) -> pd.DataFrame:
    """The messages of an ``.mbox`` file (module docstring)."""
    try:
        messages = list(mailbox.mbox(str(path), factory=lambda f: BytesParser(policy=policy.default).parse(f),
                                     create=False))
    except (OSError, mailbox.Error) as err:
        raise InputError(f"{path}: cannot read as a mailbox ({err}); export it again as .mbox") from None
    rows = [_row(m, f"{path.stem}:{i}") for i, m in enumerate(messages, 1) if m is not None]
    if not rows or not any(r["_from"] or r["timestamp"] for r in rows):
        raise InputError(f"{path}: no email messages found (no From or Date header); export the mailbox as .mbox")
    frame = pd.DataFrame(rows)
    owner = Counter(frame["_to"].dropna())
    if owner:
        top = owner.most_common(1)[0][0]
        frame["from_customer"] = ~((frame["_from"] == top) | frame["_sent"])
    return frame.drop(columns=list(PRIVATE))
