"""What ingest read, per file and for the whole load: ``FileReport`` and ``LoadReport`` (``ml.ingest.load``
fills them; the manifest keeps ``LoadReport.to_dict()`` under ``source.load``; the CLI prints
``summary_lines()``)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

MAX_FILE_LINES = 12  # files named one per line in summary_lines


@dataclass
class FileReport:
    """What was read from one file."""

    path: str
    format: str
    layout: str
    mapping: dict
    rows_read: int = 0
    encoding: str | None = None     # text formats: the codec used, "(BOM)" when a byte-order mark decided
    delimiter: str | None = None    # CSV/TSV: the field delimiter used (sniffed or --sep)
    text_guessed: bool = False      # no column had a text name: mapping["text"] read as free text
    sheet: str | None = None        # Excel: the sheet read, "'Tickets' (1 of 3)" (only the first is read)
    title_lines: int = 0            # CSV/TSV: lines above the header (a report's title), skipped
    time_guessed: bool = False      # no column had a time name: mapping["timestamp"] read as timestamps
    records_at: str | None = None   # JSON: the key path of the array of messages, "tickets" (None: top level)
    messages_in: str | None = None  # JSON conversations: the key path of each one's messages, "comments"
    conversations: int = 0          # JSON conversations whose nested messages were read (ml.ingest.nested_threads)
    company: str | None = None      # mailbox: who was read as the company's side ("acme.io"; ml.ingest.mail)
    survey: str | None = None       # a survey tool's export ("Qualtrics"; ml.ingest.surveys): header rows skipped
    question: str | None = None     # survey: the question of the text column ("What could we do better?")
    time_zone: str | None = None    # survey: the zone the export says its times are written in ("America/Denver")
    unread: list[str] = field(default_factory=list)  # the file's columns that no field reads ("Customer", "airline")
    other_text: str | None = None   # an unread column that reads as free text (for the hint on a wrong text column)
    names: list[str] = field(default_factory=list)  # columns of the authors' names beside the author column, read
                                    # for the masker only ("from" beside "from_id"; ml.ingest.pseudonyms)


@dataclass
class LoadReport:
    """What `load_messages` read, detected and dropped."""

    files: list[FileReport] = field(default_factory=list)
    rows_read: int = 0
    rows_kept: int = 0
    dropped_empty_text: int = 0
    dropped_not_inbound: int = 0
    where: str | None = None        # --where, as given ("airline=United or Delta"; ml.ingest.where)
    kept_where: int = 0             # rows --where kept (chat-tool notices are left out before it)
    dropped_where: int = 0          # rows left out by --where
    dropped_system_messages: int = 0  # the chat tool's notices: Slack's joins, topic changes, ... (ml.ingest.slack
                                      # .SYSTEM), WhatsApp's media placeholders, ... (ml.ingest.whatsapp.NOTICES)
    renamed_duplicate_ids: int = 0
    timestamps_missing: int = 0
    timestamps_unparseable: int = 0
    html_texts: int = 0             # texts with HTML markup, kept as the text a browser shows
    texts_cut: int = 0              # texts longer than ml.ingest.textclean.MAX_TEXT characters, cut there
    transcripts: int = 0            # texts that read as a whole chat transcript (both sides; textclean)
    email_replies: int = 0          # email bodies cut to their latest reply (ml.ingest.email_reply)
    mojibake_repaired: int = 0      # texts whose UTF-8 had been read as Latin-1 / Windows-1252, repaired (ftfy)
    pseudonyms: str | None = None   # authors replaced by pseudonyms (mailbox, WhatsApp, names or addresses in an
                                    # author column): "sha1" or "keyed" (ml.ingest.pseudonyms)
    authors_pseudonymised: int = 0  # distinct author values of the mapped files that were names, e-mail addresses
                                    # or phone numbers, replaced by pseudonyms (ml.ingest.pseudonyms.author_pseudonyms)
    # the names of those authors, masked in every text of the run (ml.ingest.pseudonyms.author_names): kept in memory
    # only, never written (to_dict and summary_lines give their number, ``author_names_masked``; repr leaves them out)
    author_names: tuple[str, ...] = field(default=(), repr=False, compare=False)
    # the census names of one-word display names by author ("Maria"), masked unless the author is read as an agent or
    # the company (a brand's "Delta": ml.runtime.selection.known_names); in memory only, as author_names
    one_word_names: dict = field(default_factory=dict, repr=False, compare=False)
    skipped_files: dict = field(default_factory=dict)  # files in the folders given that are not read: suffix → count
    skipped_folders: list = field(default_factory=list)  # folders inside the folders given: not read (their names)
    empty_files: list = field(default_factory=list)  # files of several, empty or a header only (a quiet day's export)
    chats: int = 0                  # WhatsApp chats read
    chat_format: str | None = None  # WhatsApp: the line header read over all chats ("%m/%d/%y, %I:%M %p - %name:")
    chat_business_accounts: int = 0  # WhatsApp: accounts in half the chats or more, read as the business
    timestamp_examples: list[dict] = field(default_factory=list)
    date_order: dict | None = None  # how numeric dates ("01/03/2024") were read (ml.ingest.timeparse.date_order)
    has_timestamps: bool = False
    has_authors: bool = False
    has_replies: bool = False
    has_labels: bool = False
    has_inbound: bool = False

    @property
    def layout(self) -> str:
        """The detected layout, or "mixed" when files differ."""
        kinds = {f.layout for f in self.files}
        return kinds.pop() if len(kinds) == 1 else "mixed"

    def to_dict(self) -> dict:
        """The manifest's ``source.load``: every field but the authors' names, which it counts."""
        out = asdict(self)
        out.pop("author_names"), out.pop("one_word_names")
        out["author_names_masked"] = self.names_masked()
        out["layout"] = self.layout
        return out

    def add_names(self, names, one_word: dict | None = None) -> None:
        """Authors' names for the masker (``author_names``), and one-word names by author (``one_word_names``)."""
        self.author_names = tuple(sorted({*self.author_names, *names}))
        for author, words in (one_word or {}).items():
            self.one_word_names[author] = tuple(sorted({*self.one_word_names.get(author, ()), *words}))

    def names_masked(self) -> int:
        """How many authors' names the run masks at most (one-word names of agents' accounts are not: known_names)."""
        return len({*self.author_names, *(w for words in self.one_word_names.values() for w in words)})

    def export_time_zone(self) -> str | None:
        """The time zone every file's export names for its times (a survey's, ``FileReport.time_zone``), or
        None when a file names none or they differ."""
        zones = {f.time_zone for f in self.files}
        return zones.pop() if len(zones) == 1 else None

    def summary_lines(self) -> list[str]:
        """Short human-readable lines for the command line."""
        lines = [file_line(f) for f in self.files]
        if len(self.files) == 1 and self.files[0].mapping:  # one file: which column fed each field
            lines.append(columns_line(self.files[0]))
        if len(lines) > MAX_FILE_LINES:  # a folder of many files (a Slack export's days)
            rest = self.files[MAX_FILE_LINES - 1:]
            lines = lines[:MAX_FILE_LINES - 1] + [f"... and {len(rest)} more files, {sum(f.rows_read for f in rest)} rows"]
        lines.append(f"kept {self.rows_kept} of {self.rows_read} rows")
        if self.where:
            lines.append(f"rows where {self.where} (--where): {self.kept_where} of {self.rows_read}")
        if self.html_texts:
            lines.append(f"texts with HTML markup, read as the text a browser shows: {self.html_texts}")
        if self.transcripts:
            lines.append(f"texts that read as whole chat transcripts (lines such as \"(09:46 PM) Visitor: …\"): "
                         f"{self.transcripts}; each is one member, the agent's lines included: export the chats' "
                         "messages one per row if the tool can (docs/ingest.md, \"Chat transcripts in one cell\")")
        if self.texts_cut:
            lines.append(f"texts longer than 100,000 characters (a pasted log or file?), cut there: {self.texts_cut}")
        if self.chats:
            lines.append(f"WhatsApp chats: {self.chats}, lines read as {self.chat_format or 'each chat shows'}; " + (
                f"{self.chat_business_accounts} account(s) writing in half of them or more read as the business "
                "(their messages the company's side)" if self.chat_business_accounts else
                "3 chats or more are needed to tell the business, so no side is known" if self.chats < 3 else
                "no account writes in half of them, so no side is known"))
        if self.skipped_files:
            kinds = ", ".join(f"{n} {suffix}" for suffix, n in sorted(self.skipped_files.items(), key=lambda kv: -kv[1]))
            lines.append(f"files in the folders not read (not a format read here): {kinds}"
                         + ("; save Outlook's .msg files as .eml (File > Save As)" if ".msg" in self.skipped_files
                            else ""))
        if self.empty_files:
            names = ", ".join(self.empty_files[:3]) + (", …" if len(self.empty_files) > 3 else "")
            lines.append(f"files empty or with a header and no rows, nothing to read: {len(self.empty_files)} ({names})")
        if self.skipped_folders:
            names = ", ".join(f"{n}/" for n in self.skipped_folders[:3]) + (", …" if len(self.skipped_folders) > 3 else "")
            lines.append(f"folders inside the folders given, not read: {len(self.skipped_folders)} ({names}); "
                         "pass them too to read their files")
        if self.mojibake_repaired:
            lines.append("texts whose characters had been garbled by a wrong encoding (\"Iâ€™m\"), repaired: "
                         f"{self.mojibake_repaired}")
        if self.email_replies:
            lines.append("texts cut to their latest reply (quoted earlier messages or a signature dropped): "
                         f"{self.email_replies}")
        if self.renamed_duplicate_ids:  # rows kept under "<id>#1" ids; the filter's duplicate stage decides on them
            lines.append(f"rows repeating an earlier row's id, kept with the id suffixed (\"<id>#1\"; the filter's "
                         f"duplicate stage then decides on their texts): {self.renamed_duplicate_ids}")
        lines += self._author_lines()
        for name in ("dropped_empty_text", "dropped_not_inbound", "dropped_system_messages",
                     "timestamps_missing", "timestamps_unparseable"):
            if getattr(self, name):
                lines.append(f"{name.replace('_', ' ')}: {getattr(self, name)}")
        for ex in self.timestamp_examples:
            lines.append(f"  unparseable timestamp {ex['value']!r} in {ex['file']} data row {ex['row']} (the header "
                         "not counted, a quoted text with line breaks counted once)")
        if self.date_order:
            lines.append(date_order_line(self.date_order))
        return lines

    def empty_text_words(self, given: bool = False) -> str:
        """What to do when no row has a text: where every row's text column was empty, that column by name and how
        it was chosen (a help-desk export whose 'body' column was empty read only "check --text-col points at the
        message text", though no --text-col had been given)."""
        cols = {f.mapping.get("text") for f in self.files} - {None}
        if self.dropped_empty_text and self.dropped_empty_text >= self.rows_read and len(cols) == 1:
            col = next(iter(cols))
            how = "--text-col" if given else "read as free text" if any(f.text_guessed for f in self.files) \
                else "found by its name"
            return (f"its text column '{col}' ({how}) is empty in all {self.rows_read:,} rows: pass --text-col NAME "
                    "for the column that holds the messages")
        return "check --text-col points at the message text"

    def _author_lines(self) -> list[str]:
        """What became of the authors: pseudonyms for names and addresses, or none read at all."""
        lines = []
        if self.authors_pseudonymised:
            lines.append(f"authors named by a name, an e-mail address or a phone number, replaced by pseudonyms (au- or "
                         f"em- and 10 hex digits) so that none reaches the run's files: {self.authors_pseudonymised}")
        if masked := self.names_masked():
            lines.append(f"authors' names masked wherever a text writes them (signed, quoted or addressed; words and "
                         f"whole names, from the names the export shows for its authors): {masked}")
        if self.rows_kept and not self.has_authors:
            given = [f.mapping["author"] for f in self.files if f.mapping.get("author")]
            like = next((c for f in self.files for c in f.unread if _AUTHOR_LIKE_RE.search(c)), None)
            lines.append((f"the author column {given[0]!r} is empty in every row" if given else "no author column")
                         + ": each message counts on its own, so per-author behaviour and the detection of agent "
                         + (f"accounts are off (the unread column {like!r} may name who wrote: --author-col '{like}')"
                            if like else "accounts are off (pass --author-col COLUMN if a column names who wrote)"))
        return lines


def file_line(f: FileReport) -> str:
    """One input file's line for the command line: rows, layout and how it was read."""
    return (f"{f.path}: {f.rows_read} rows, layout {f.layout}"
            + (f", delimiter {f.delimiter!r}" if f.delimiter else "")
            + (f", encoding {f.encoding}" if f.encoding else "")
            + (f", sheet {f.sheet}" if f.sheet else "")
            + (f", header on line {f.title_lines + 1} ({f.title_lines} title line{'s' if f.title_lines > 1 else ''}"
               " above it skipped)" if f.title_lines else "")
            + (f", messages from the array under {f.records_at!r}" if f.records_at else "")
            + (f", {f.conversations} conversations with their messages under {f.messages_in!r}"
               if f.messages_in else "")
            + (f", messages from {f.company} read as the company's side" if f.company else "")
            + (f", {f.survey} export (header rows below the names skipped)" if f.survey else "")
            + (f", answers to {_short(f.question)!r}" if f.question else "")
            + (f", times in {f.time_zone} as the export says" if f.time_zone else "")
            + (f", text column {f.mapping['text']!r} (the one that reads as free text; pass --text-col "
               "to choose another)" if f.text_guessed else "")
            + (f", time column {f.mapping['timestamp']!r} (the one that reads as timestamps; pass --time-col "
               "to choose another)" if f.time_guessed else ""))


def date_order_line(order: dict) -> str:
    """How numeric dates were read, in one line: "dates such as '01/03/2024 08:00' read day first (day/month/year:
    a first number above 12 in 248 of them)"."""
    shown = f"dates such as {order['example']!r}"
    return {
        "day first": f"{shown} read day first (day/month/year: a first number above 12 in {order['telling']} of them)",
        "month first": f"{shown} read month first (month/day/year: a second number above 12 in {order['telling']} "
                       "of them)",
        "unknown": f"{shown} read month first (month/day/year): no number above 12 tells the order; if the file "
                   "writes the day first, save the dates as 2024-03-01 (ISO 8601) and run again",
        "mixed": f"{shown}: some written day first and some month first; each read in the order its numbers allow",
    }[order["order"]]


#: how ``columns_line`` names each field of a mapping, in its order, with the flag that sets it
FIELD_NAMES = {"text": ("text", "--text-col"), "author": ("author", "--author-col"),
               "timestamp": ("time", "--time-col"), "thread": ("conversation", "--thread-col"),
               "reply_to": ("reply to", "--reply-to-col"), "id": ("id", "--id-col"),
               "inbound": ("side", "--inbound-col"), "outbound": ("company's side", "--outbound-col"),
               "label": ("label (evaluation only)", "--label-col")}
MAX_UNREAD = 8  # unread columns named in columns_line
#: an unread column that may name who wrote, for the line on a missing or empty author column ("author.username"
#: beside an empty "author": a review's Front export)
_AUTHOR_LIKE_RE = re.compile(r"(?i)author|user|sender|\bfrom\b|requester|customer")


def columns_line(f: FileReport) -> str:
    """"columns read: text 'Message Body', time 'Created At', conversation 'Ticket ID'; not read: 'Customer',
    'airline' (a column for a field: --author-col, ...)": what each field was read from, so that a column read
    for the wrong field, or one not read at all, shows before the run."""
    read = ", ".join(f"{label} {f.mapping[key]!r}" for key, (label, _) in FIELD_NAMES.items() if f.mapping.get(key))
    line = f"columns read: {read or 'none'}"
    if f.names:  # read for the masker only
        line += f", authors' names {', '.join(repr(c) for c in f.names)} (only to mask them in the texts)"
    if f.unread:
        shown = ", ".join(repr(c) for c in f.unread[:MAX_UNREAD])
        more = f" and {len(f.unread) - MAX_UNREAD} more" if len(f.unread) > MAX_UNREAD else ""
        # each flag with the field it fills: "(pass --thread-col)" read as if 'response_tweet_id' were a thread id
        flags = ", ".join(f"{flag} ({label})" for key, (label, flag) in FIELD_NAMES.items()
                          if key not in f.mapping and key not in ("outbound", "label"))
        line += f"; not read: {shown}{more}" + (f" (fields not read yet: {flags})" if flags else "")
    return line


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
