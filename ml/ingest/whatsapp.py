"""WhatsApp chat exports ("Export chat" on a phone, WhatsApp Business included): one text file per chat,
``WhatsApp Chat with NAME.txt`` (Android) or ``_chat.txt`` inside ``WhatsApp Chat - NAME.zip`` (iOS), one line
per message, ``12/31/20, 9:41 PM - Maria Lopez: Hi, my order…`` or ``[31/12/2020, 21:41:05] Maria Lopez: Hi…``,
a message's further lines below it.

``is_chat_file(path)`` → whether a text file in a folder or archive is read as a chat: its name is one of
those two (a ``readme.txt`` beside the data is not). A ``.txt`` named on the command line is always tried.

``header_format(paths)`` → the line header's format (``%m/%d/%y, %I:%M %p - %name:``) read by ``whatstk`` over all
the chats of a load at once: its automatic reading covers the date orders and 12/24-hour clocks of the phones'
locales, and a short chat alone rarely tells the day from the month.

``read_chat(path, hformat)`` → ``(frame, notices)``: the chat's messages, parsed by ``whatstk`` with that
format (else, or when the chat does not read with it, the chat's own), with the columns
``message_id`` (chat and line), ``chat_id`` (the chat, ``chat_id``: ``chat-`` and 10 hex digits of the SHA-1 of
its first lines, the same wherever the file or its zip is unpacked and when it is exported again with more messages;
read as the conversation column for ``--unit conversation``), ``author`` (a pseudonym of the name or phone number the export shows: ``wa-`` and 10 hex
digits of its hash, ``ml.ingest.pseudonyms``: the same in every chat and every run, so names and numbers never
reach a run's files; the name as shown, ``_name``, is read by the load for the masker only: it masks those names
in every text, ``ml.ingest.pseudonyms.author_names``),
``timestamp`` (the phone's local time, with no zone: it is read as times without a zone are, docs/ingest.md)
and ``text``. WhatsApp's own notices (``NOTICES``: the encryption notice, media and deleted-message
placeholders, missed calls, a shared file with no caption) are left out and counted in ``notices``; a caption is
read without its file's name (``ATTACHED``), an edited message without WhatsApp's "<This message was edited>". A file whatstk cannot read is an
``InputError`` naming it.

``mark_business(msgs, chat_rows)`` → the business's pseudonyms: over three chats or more, an author who writes
in at least half of them is the account whose phone exported them (a shop answers every customer; a customer
writes in their own chat), and ``inbound`` is set false for its messages and true for the others in those rows
(where no side was given). With fewer chats nobody is marked.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path

import pandas as pd

from ml.ingest.pseudonyms import chat_contact
from ml.ingest.pseudonyms import pseudonym as keyed_pseudonym
from ml.runtime.errors import EmptyFileError, InputError

#: WhatsApp's own lines, not people's (the whole message, any case; "\u200e" marks stripped first), as Android and
#: iOS write them ("This message was deleted." with iOS's full stop; "Missed voice call, Tap to call back")
NOTICES = re.compile(
    r"(messages and calls are end-to-end encrypted.*|this business uses a secure service from meta.*|<media omitted>|"
    r"(image|video|audio|sticker|gif|document|contact card) omitted|this message was deleted\.?|"
    r"you deleted this message\.?|missed (voice|video|group voice|group video) call(, tap to call back)?\.?|null|"
    r"waiting for this message.*|<view once voice message omitted>|)",
    re.IGNORECASE | re.DOTALL)
#: a shared file as the export names it, on a message's first line (its caption, if any, below): Android's
#: "IMG-20241029-WA0004.jpg (file attached)", iOS's "<attached: 00000012-PHOTO-2024-10-29-21-53-10.jpg>"
ATTACHED = re.compile(r"^(?:<attached: [^>\n]*>|[^\s<>/\\]+\.\w{1,5} \(file attached\))[ \t]*\n?", re.IGNORECASE)
#: what WhatsApp adds to an edited message's text
EDITED = re.compile(r"\s*<this message was edited>\s*$", re.IGNORECASE)
MIN_CHATS = 3  # chats needed before the account writing in half of them is called the business
#: Android writes a narrow no-break space before AM/PM ("9:41\u202fPM") since 2023, some locales a no-break space:
#: read as a plain space, which whatstk's header formats hold (its header detection reads the text as written, so the
#: format came out "%H:%M\u202fPM", read no chat, and whatstk's own guess for each chat then varied from one run to
#: the next; its parser reads the lines NFKC-normalised, which makes the senders' no-break spaces spaces)
CLOCK_SPACE = re.compile("([0-9])(?:\u202f|\u00a0)(?=[AaPp])".encode())


def is_chat_file(path: Path) -> bool:
    """Whether a file found in a folder or archive is read as a chat (module docstring)."""
    name = path.name.lower()
    return name == "_chat.txt" or (name.startswith("whatsapp chat") and name.endswith(".txt"))


def pseudonym(name: str) -> str:
    """The author's pseudonym (module docstring)."""
    return keyed_pseudonym("wa-", name.strip())


def chat_id(first: str, name: str = "") -> str:
    """The chat's id: ``chat-`` and 10 hex digits of the SHA-1 of its first message as whatstk reads it (``first``:
    time, sender and text; on an iPhone the encryption notice, which carries the chat's start and contact) and the
    contact its file ``name`` shows, if any (two chats opening alike stay two): the same wherever the file or its zip
    is unpacked and when the chat is exported again later with more messages, so that a series' conversations recur
    (``--unit conversation``: lineage's movers)."""
    return "chat-" + hashlib.sha1(f"{chat_contact(name)}\n{first}".encode()).hexdigest()[:10]


def header_format(paths: list[Path], lines_per_chat: int = 2000) -> str | None:
    """The line header's format read over all the chats at once (whatstk's ``extract_header_from_text``):
    one chat of a day or two rarely shows whether "11/1/17" is the 1st of November or the 11th of January, and
    the chats of one phone share its format. None when there are no chats or no format is found."""
    if not paths:
        return None
    from whatstk.whatsapp.auto_header import extract_header_from_text

    heads = []
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                heads += [CLOCK_SPACE.sub(rb"\1 ", line.encode()).decode() for _, line in zip(range(lines_per_chat), fh)
                          if line[:1].isdigit() or line[:1] == "["]
        except OSError:
            continue
    return extract_header_from_text("".join(heads)) if heads else None


def read_chat(path: Path, hformat: str | None = None) -> tuple[pd.DataFrame, int]:
    """The chat's messages and how many notices were left out (module docstring); ``hformat``: the header
    format of all the chats read (``header_format``), else whatstk reads this chat's own."""
    data = path.read_bytes()
    plain = CLOCK_SPACE.sub(rb"\1 ", data)  # in the time only: a name keeps its own spaces (and pseudonym)
    if plain == data:
        return _read_chat(path, path, hformat)
    with tempfile.TemporaryDirectory() as tmp:  # whatstk reads a file: the chat with plain spaces
        copy = Path(tmp) / "_chat.txt"
        copy.write_bytes(plain)
        return _read_chat(copy, path, hformat)


def _read_chat(source: Path, path: Path, hformat: str | None) -> tuple[pd.DataFrame, int]:
    """``read_chat`` of ``source``, the chat file ``path`` with plain spaces (errors and the chat's id: ``path``)."""
    from whatstk import WhatsAppChat

    raw = None
    if hformat:  # a chat from another phone (another format) is read with its own
        try:
            raw = WhatsAppChat.from_source(filepath=str(source), hformat=hformat).df
        except (RuntimeError, ValueError, KeyError, IndexError):
            raw = None
    try:
        raw = raw if raw is not None and len(raw) else WhatsAppChat.from_source(filepath=str(source)).df
    except UnicodeDecodeError:
        with open(path, "rb") as fh:
            utf16 = fh.read(2) in (b"\xff\xfe", b"\xfe\xff")
        table = (" (UTF-16, as Excel saves a table as \"Unicode Text\": if it is a table, rename it .tsv)"
                 if utf16 else "")
        raise InputError(f"{path}: not UTF-8 text{table}; a WhatsApp export is UTF-8, export the chat again") from None
    except (RuntimeError, ValueError, KeyError, IndexError):
        if _dated(source):  # WhatsApp's own lines only ("Messages and calls are end-to-end encrypted…")
            raise EmptyFileError(f"{path}: no messages, only WhatsApp's notices; export the chat with its messages"
                                 ) from None
        raise InputError(f"{path}: not a WhatsApp chat export (its lines do not start with a date and an "
                         "author); other text files are not read: export them as CSV") from None
    if not len(raw):
        raise EmptyFileError(f"{path}: no messages; export the chat with its messages")
    text = raw["message"].astype(str).str.replace("\u200e", "", regex=False).str.strip()
    text = text.str.replace(ATTACHED, "", regex=True).str.replace(EDITED, "", regex=True).str.strip()
    notice = text.str.fullmatch(NOTICES.pattern, case=False)  # an attached file alone leaves "", a notice too
    chat = chat_id("|".join(str(raw[c].iloc[0]) for c in ("date", "username", "message")), path.name)
    kept = ~notice.to_numpy()
    rows = pd.Series(range(1, len(raw) + 1))[kept]
    names = raw["username"].astype(str)[kept]
    frame = pd.DataFrame({
        "message_id": (chat + ":" + rows.astype(str)).to_numpy(),
        "chat_id": chat,
        "author": names.map(pseudonym).to_numpy(),
        "timestamp": pd.to_datetime(raw["date"])[kept].dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(),
        "text": text[kept].to_numpy(),
        "_name": names.str.strip().to_numpy(),  # for the masker only (ml.ingest.load)
    })
    if frame.empty:  # a quiet chat in a folder of them is named and skipped (EmptyFileError), not fatal
        raise EmptyFileError(f"{path}: no messages, only WhatsApp's notices and shared files ({int(notice.sum())} "
                             "lines); export the chat with its messages")
    return frame, int(notice.sum())


def _dated(path: Path) -> bool:
    """Whether the file's first line opens as a chat's lines do, with a date ("10/29/24, 9:53 PM - …")."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        first = next((line for line in fh if line.strip()), "")
    return bool(re.match(r"\ufeff?\[?\d{1,4}[./-]\d{1,2}[./-]\d{1,4}", first))


def mark_business(msgs: pd.DataFrame, chat_rows: pd.Series) -> list[str]:
    """The business's pseudonyms, its messages marked outbound in ``chat_rows`` (module docstring)."""
    chats = msgs.loc[chat_rows, "thread_id"]
    n_chats = chats.nunique()
    if n_chats < MIN_CHATS:
        return []
    reach = msgs.loc[chat_rows].groupby("author")["thread_id"].nunique()
    business = sorted(reach.index[reach >= n_chats / 2])
    if business:
        unset = chat_rows & msgs["inbound"].isna()
        msgs.loc[unset, "inbound"] = ~msgs.loc[unset, "author"].isin(business)
    return business


def mark_sides(msgs: pd.DataFrame, report) -> None:
    """The loaded chats' business (``mark_business``) over the rows of the load's WhatsApp files, counted in
    ``report`` (``LoadReport.chats``, ``chat_business_accounts``)."""
    names = {Path(f.path).name for f in report.files if f.layout == "whatsapp"}
    if names:
        rows = msgs["source_file"].isin(names)
        report.chats = int(msgs.loc[rows, "thread_id"].nunique())
        report.chat_business_accounts = len(mark_business(msgs, rows))
