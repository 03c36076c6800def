"""Mailboxes: a support inbox exported as an ``.mbox`` file (Gmail's Takeout, Thunderbird, Apple Mail, most
help desks' mail archives), or as a folder of ``.eml`` files (one message each: Outlook's and Thunderbird's
"Save as", many help desks' and archivers' exports), read with the standard library's ``mailbox`` and ``email``
packages.

``read_mail(path)`` (an ``.mbox``) and ``read_eml(paths)`` (``.eml`` files, read together as one mailbox, so
the company is found over all of them; a private ``_file`` column names each row's file by its place among them
by name, "*.eml #7": mail programs name a saved message after its subject, often its sender) → one row per
message: ``message_id`` (the Message-ID header, else the mailbox's name and the message's position, or for an
``.eml`` file a hash of its name), ``reply_to`` (In-Reply-To, else the last of References: the reply chains that ``--unit
conversation`` follows), ``author`` (a pseudonym of the From address: ``em-`` and 10 hex digits of its hash,
``ml.ingest.pseudonyms``, so addresses never reach a run's files; the From header as written, ``_name``, is read
by the load for the masker only, which masks the sender's name in every text), ``timestamp`` (the Date header,
with its offset), ``subject``,
``text`` (the text/plain part, else the HTML part, which ingest reads as a browser shows it; quoted replies and
signatures are cut as for any email body, docs/ingest.md "Email replies"; at most ``MAX_BODY`` characters), and
``from_customer``. The company is the party that takes part in the most messages, as sender or recipient
(From, Delivered-To, To, Cc): a support inbox's company writes or receives every message, a customer only
their own. A party is an address's domain ("acme.io": help@ receives, support@ answers, one company), or the
address itself on a ``FREE_MAIL`` domain such as gmail.com. A message is the company's side when its sender is
that party or it carries Gmail's "Sent" label; the customer's otherwise (no such column when no recipient is
seen, or when it cannot be told: two parties equally frequent and sending equally often, or one thread between a
customer and support, in which the most frequent party writes with fewer than two other addresses (ties are
settled by who sends more, then by who writes from fewer addresses when the other writes from three or more);
Gmail's
"Sent" labels then decide alone, where there are any). Headers the parser cannot read are taken as
written. The second value names the company for the run's
report: its domain ("acme.io"), or "the mailbox owner's address".
"""

from __future__ import annotations

import hashlib
import mailbox
from collections import Counter
from datetime import UTC
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

import pandas as pd

from ml.ingest.pseudonyms import pseudonym as keyed_pseudonym
from ml.runtime.errors import EmptyFileError, InputError

PRIVATE = ("_from", "_to", "_sent")


#: mail services whose addresses are people's own: a shared domain there says nothing about the company
FREE_MAIL = frozenset({"gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com",
                       "msn.com", "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.de",
                       "gmx.net", "web.de", "mail.ru", "yandex.ru", "qq.com", "163.com"})
MAX_BODY = 100_000  # characters of a body kept (a pasted log or an inlined attachment can be megabytes)


def _header(msg: EmailMessage, name: str) -> str:
    """A header as text; a value the parser cannot read (``From: <``) falls back to its raw text."""
    try:
        return str(msg.get(name) or "")
    except Exception:  # noqa: BLE001 - the stdlib header parser raises IndexError and others on broken values
        return next((str(v) for k, v in msg.raw_items() if k.lower() == name.lower()), "")


def _addresses(value: str) -> list[str]:
    try:
        return [a.strip().lower() for _, a in getaddresses([value]) if a and "@" in a]
    except (IndexError, ValueError):
        return []


def pseudonym(address: str | None) -> str | None:
    """The author's pseudonym (module docstring)."""
    return keyed_pseudonym("em-", address) if address else None


def _body(msg: EmailMessage) -> str:
    try:
        part = msg.get_body(preferencelist=("plain", "html"))
        if part is None:
            return ""
        try:
            text = part.get_content()
        except (LookupError, ValueError):  # an unknown charset or a broken transfer encoding
            raw = part.get_payload(decode=True)
            text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else ""
    except Exception:  # noqa: BLE001 - a broken MIME structure: no body rather than no run
        return ""
    return text[:MAX_BODY].strip()


def _when(value: str) -> str | None:
    """The Date header in ISO 8601 with its offset ("-0000", unknown zone, as UTC: RFC 5322); an unreadable
    value is passed on as written, so ingest counts it unparseable with an example."""
    if not value:
        return None
    try:
        stamp = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return value
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).isoformat()


def _row(msg: EmailMessage, fallback: str) -> dict:
    refs = _header(msg, "References").split()
    parent = _header(msg, "In-Reply-To").strip() or (refs[-1] if refs else None)
    sender = _header(msg, "From")
    senders = _addresses(sender)
    labels = {v.strip().lower() for v in _header(msg, "X-Gmail-Labels").split(",")}
    return {"message_id": _header(msg, "Message-ID").strip() or fallback, "reply_to": parent,
            "author": pseudonym(senders[0] if senders else None), "timestamp": _when(_header(msg, "Date")),
            "subject": _header(msg, "Subject"), "text": _body(msg), "_from": senders[0] if senders else None,
            "_name": sender,
            "_to": [a for h in ("Delivered-To", "To", "Cc") for a in _addresses(_header(msg, h))],
            "_sent": "sent" in labels}


def _party(address: str | None) -> str | None:
    """Who an address speaks for: its domain ("acme.io"), or the address itself on a ``FREE_MAIL`` domain."""
    if not isinstance(address, str) or not address:
        return None
    domain = address.rsplit("@", 1)[-1]
    return address if domain in FREE_MAIL else domain


def _company(frame: pd.DataFrame) -> tuple[pd.Series, str] | None:
    """Which messages are the company's, and who it is (module docstring). The party taking part in the most
    messages, ties settled by who sends more, then by who writes from fewer addresses; None when no recipient is seen, when that does not settle it, or
    when the party writes with fewer than two other addresses (one thread between a customer and support
    cannot say which is which); then Gmail's "Sent" labels alone, where there are any."""
    if not any(len(to) for to in frame["_to"]):
        return None
    senders = frame["_from"].map(_party)
    parts = [{p for p in {sender, *map(_party, to)} if p} for sender, to in zip(senders, frame["_to"])]
    count, sends = Counter(p for part in parts for p in part), Counter(s for s in senders if s)
    addresses = Counter(_party(a) for a in {a for sender, to in zip(frame["_from"], frame["_to"])
                                            for a in (sender, *to) if a})

    ranked = sorted(count, key=lambda p: (count[p], sends[p]), reverse=True)
    top, tied = ranked[0], len(ranked) > 1 and (count[ranked[1]], sends[ranked[1]]) == (count[ranked[0]],
                                                                                       sends[ranked[0]])
    if tied:  # a company writes from few addresses, its customers from many (three at least: not one thread)
        few, many = sorted(ranked[:2], key=lambda p: addresses[p])
        top, tied = (few, False) if addresses[many] >= 3 and addresses[few] < addresses[many] else (top, True)
    others = {a for sender, to in zip(frame["_from"], frame["_to"]) if top in {_party(sender), *map(_party, to)}
              for a in (sender, *to) if a and _party(a) != top}
    if tied or len(others) < 2:
        return (frame["_sent"].astype(bool), "the mailbox owner's address") if frame["_sent"].any() else None
    shown = top if "@" not in top else "the mailbox owner's address"
    return (senders == top) | frame["_sent"], shown


def read_mail(path: Path) -> tuple[pd.DataFrame, str | None, int]:
    """The messages of an ``.mbox`` file (module docstring), who the company was found to be, and how many
    delivery-failure notices were left out (``SYSTEM_SENDERS``)."""
    parse = BytesParser(policy=policy.default).parse
    try:
        box = mailbox.mbox(str(path), factory=parse, create=False)
        rows = [_row(m, f"{path.stem}:{i}") for i, m in enumerate(box, 1) if m is not None]
    except (OSError, mailbox.Error) as err:
        raise InputError(f"{path}: cannot read as a mailbox ({err}); export it again as .mbox") from None
    if not rows or not any(r["_from"] or r["timestamp"] for r in rows):
        raise InputError(f"{path}: no email messages found (no From or Date header); export the mailbox as .mbox")
    return _people(rows, str(path))


def _file_id(path: Path) -> str:
    """The id of a saved message without a Message-ID: ``eml-`` and 10 hex digits of the SHA-1 of its file's name,
    the same in every run, without the name (a subject's, often a sender's)."""
    return "eml-" + hashlib.sha1(path.name.encode("utf-8")).hexdigest()[:10]


def read_eml(paths: list[Path], shown: str) -> tuple[pd.DataFrame, str | None, int]:
    """The messages of ``.eml`` files, one each, read as one mailbox (module docstring), the company, and how
    many files were left out as not emails (no From and no Date header: a saved web page named ``.eml``);
    ``shown`` names them in errors ("inbox/*.eml")."""
    parse = BytesParser(policy=policy.default).parse
    rows = []
    rank = {p: k for k, p in enumerate(sorted(paths, key=lambda p: p.name), 1)}
    for path in paths:
        try:
            with path.open("rb") as handle:  # a file by its place among them: its name is often a subject's or a sender's
                rows.append({**_row(parse(handle), _file_id(path)), "_file": f"*.eml #{rank[path]}"})
        except OSError as err:
            raise InputError(f"{path}: cannot read ({err.strerror or err}); check the file is readable") from None
    if not any(r["_from"] or r["timestamp"] for r in rows):
        raise InputError(f"{shown}: no email messages found (no From or Date header in any of {len(rows)} "
                         ".eml files); save the messages as .eml or export the mailbox as .mbox")
    emails = [r for r in rows if r["_from"] or r["timestamp"]]
    frame, company, bounces = _people(emails, shown)
    return frame, company, len(rows) - len(emails) + bounces


#: senders of the mail system's own messages, delivery-failure notices ("Mail Delivery Subsystem
#: <mailer-daemon@googlemail.com>": "** Address not found **"), not a person's
SYSTEM_SENDERS = frozenset({"mailer-daemon", "postmaster", "mail-daemon"})


def _people(rows: list[dict], shown: str) -> tuple[pd.DataFrame, str | None, int]:
    """``_sides`` of the messages people sent: the mail system's (``SYSTEM_SENDERS``) left out and counted."""
    people = [r for r in rows if not (r["_from"] and r["_from"].split("@")[0] in SYSTEM_SENDERS)]
    if not people:  # beside other files it is named and skipped (EmptyFileError), as an empty file is
        raise EmptyFileError(f"{shown}: only delivery-failure notices (from {', '.join(sorted(SYSTEM_SENDERS))}); "
                             "export the mailbox that holds the conversations")
    return (*_sides(pd.DataFrame(people)), len(rows) - len(people))


def _sides(frame: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """The messages with ``from_customer`` where the company is found, the private columns dropped."""
    found = _company(frame)
    if found is not None:
        frame["from_customer"] = ~found[0]
    return frame.drop(columns=list(PRIVATE)), found[1] if found else None
