"""Pseudonyms for authors whose export names them by an address, a name or a phone number (mailboxes, WhatsApp
chats, a help desk's "Requester" column), so no address, name or number reaches a run's files.

``pseudonym(prefix, value)`` → ``prefix`` and 10 hex digits of a hash of ``value``: SHA-1 by default, the same
on every machine, so runs made anywhere can be compared author by author (lineage's movers); with
``PERSONAS_PSEUDONYM_KEY`` set, HMAC-SHA-256 under that key, so that whoever holds a run's files cannot
confirm a guessed address by hashing it. Every machine whose runs are compared needs the same key; runs made
with and without one do not share authors. ``keyed()`` says which is in use (the load report records it).
``author_pseudonyms(series)`` applies them to the authors of every file and API record (below);
``author_names(series)`` gives the names of those authors that the masker masks in every text of a run
(``name_words``: which words of a name are taken; the names are never written to a run's files), and
``display_names`` those of the names a chat or a mailbox displays, or a column beside the author holds
(``display_name_columns``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import pandas as pd

from ml.ingest.columns import normalized

KEY_VARIABLE = "PERSONAS_PSEUDONYM_KEY"


def keyed() -> bool:
    return bool(os.environ.get(KEY_VARIABLE))


def pseudonym(prefix: str, value: str) -> str:
    data = value.encode("utf-8")
    key = os.environ.get(KEY_VARIABLE)
    digest = hmac.new(key.encode("utf-8"), data, hashlib.sha256).hexdigest() if key else hashlib.sha1(data).hexdigest()
    return prefix + digest[:10]


#: an e-mail address inside an author value ("Maria Gonzalez <maria@example.com>", "maria@example.com")
ADDRESS_RE = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
#: a phone number as an author: "+44 7700 900123", "whatsapp:+14155238886" (Twilio), "(312) 555-0142",
#: "07700 900123"; digits alone ("115712", TWCS's ids) are ids
PHONE_RE = re.compile(r"^(?:(?:whatsapp|tel|sms):)?\+?[\d\s().-]+$", re.IGNORECASE)
_PHONE_PREFIX_RE = re.compile(r"^(?:whatsapp|tel|sms):", re.IGNORECASE)
# a word, then a space or a comma, then a word: "Maria Gonzalez", "J. Smith", "Gonzalez, Maria", "Lefèvre,Renée"
_NAME_RE = re.compile(r"[^\W\d_][\w'’-]*\.?(?:\s+|\s*,\s*)[^\W\d_]")
_PSEUDONYM_RE = re.compile(r"^(?:em|wa|au)-[0-9a-f]{10}$")


def author_pseudonyms(authors: pd.Series) -> tuple[pd.Series, int]:
    """The author column with personal names, e-mail addresses and phone numbers replaced by pseudonyms, and how
    many distinct values were replaced. Each value is judged alone, so one author gets one pseudonym in every file,
    every API call and every run:

    - a value holding an e-mail address: ``em-`` of the address in lower case, as a mailbox's sender
      (``ml.ingest.mail``), so one customer is one author across a help desk's CSV and a mailbox;
    - a phone number (a ``+`` or a ``whatsapp:``, ``tel:`` or ``sms:`` prefix, or 9-15 digits written with spaces,
      brackets, dashes or dots): ``au-`` of the value;
    - a value with a space or a comma between two words ("Maria Gonzalez", "Gonzalez, Maria"): ``au-`` of the value
      in lower case with single spaces ("MARIA GONZALEZ" is the same author).
    A single word ("Cher", "sprintcare", "@jet_fan"), an id ("115712", "U024BE7LH") or a pseudonym already
    (``em-``/``wa-``/``au-`` and 10 hex digits) is kept: handles and ids are read as the export writes them.
    ``authors``: strings or None (``ml.ingest.columns.normalize_ids``); None stays None."""
    distinct = [v for v in pd.unique(authors.dropna()) if isinstance(v, str)]
    table = {v: p for v in distinct if (p := _author_pseudonym(v)) is not None}
    if not table:
        return authors, 0
    out = [table.get(a, a) if isinstance(a, str) else a for a in authors]
    return pd.Series(out, index=authors.index, dtype=object), len(table)


def _author_kind(value) -> tuple[str, re.Match | None] | None:
    """What an author value names, under ``author_pseudonyms``'s rules: ``("address", match)``, ``("phone",
    None)``, ``("name", None)``, or None when it is kept as written (a word, a handle, an id, a pseudonym)."""
    if not isinstance(value, str) or not value or _PSEUDONYM_RE.match(value):
        return None
    if address := ADDRESS_RE.search(value):
        return "address", address
    if _phone(value):
        return "phone", None
    return ("name", None) if _NAME_RE.search(value) else None


def _author_pseudonym(value: str) -> str | None:
    """``value``'s pseudonym under ``author_pseudonyms``'s rules, or None when it is kept as written."""
    kind = _author_kind(value)
    if kind is None:
        return None
    if kind[0] == "address":
        return pseudonym("em-", kind[1].group(0).lower())
    if kind[0] == "phone":
        return pseudonym("au-", value)
    return pseudonym("au-", " ".join(value.split()).casefold())  # one person however the export cases and spaces it


def _phone(value: str) -> bool:
    """A phone number written as one (``PHONE_RE``): a ``+`` or a ``whatsapp:``/``tel:``/``sms:`` prefix, or 9-15
    digits with spaces, brackets, dashes or two dots ("415.555.1003")."""
    if not PHONE_RE.match(value):
        return False
    digits = sum(c.isdigit() for c in value)
    marked = "+" in value or bool(_PHONE_PREFIX_RE.match(value))
    return 7 <= digits <= 15 and (marked or (digits >= 9 and (any(c in value for c in " ()-") or value.count(".") >= 2)))


#: a WhatsApp export's file name names the contact: "WhatsApp Chat with Maria Lopez.txt" (Android), "WhatsApp Chat -
#: +44 7700 900123.zip" (iOS), the folder an iOS zip unpacks to ("WhatsApp Chat - Maria Lopez/_chat.txt"), another
#: language's word ("WhatsApp Chat mit Maria Lopez.txt"): any part of a path
_CHAT_FILE_RE = re.compile(r"(WhatsApp Chat(?: - | [^\W\d_]+ ))([^/\\]+?)((?: \(\d+\))?(?:\.txt|\.zip)?)(?=$|[/\\])",
                           re.IGNORECASE)  # a second copy's " (1)" is not the name


def shown_path(path: str) -> str:
    """``path`` as a run's files write it: the contact a WhatsApp export's file name shows replaced by the pseudonym
    the contact gets as an author ("WhatsApp Chat with wa-af2a6d0408.txt"), so that no name or number reaches a
    run's manifest, the API or the explorer through a file name. Other paths are returned as given."""
    # the name as whatstk reads a chat's senders (NFKC: a no-break space is a space), so the two pseudonyms agree
    return _CHAT_FILE_RE.sub(lambda m: m.group(1) + pseudonym("wa-", _contact(m)) + m.group(3), path)


def chat_contact(name: str) -> str:
    """The contact a WhatsApp export's file name shows ("WhatsApp Chat with Maria Lopez (1).txt" → "Maria Lopez"),
    as whatstk reads senders (NFKC); "" for another name ("_chat.txt")."""
    m = _CHAT_FILE_RE.fullmatch(name)
    return _contact(m) if m else ""


def _contact(m: re.Match) -> str:
    """The contact of a ``_CHAT_FILE_RE`` match, as whatstk reads senders (NFKC: a no-break space is a space)."""
    return unicodedata.normalize("NFKC", m.group(2)).strip()


def shown_inputs(paths) -> list[str]:
    """The inputs of a run as its manifest writes them (``source.inputs``, which the explorer shows): each through
    ``shown_path``, and ``.eml`` files, which mail programs name after the subject and often the sender
    ("ANSWER ME - Megan Nguyen.eml"), as their folder's ``*.eml``, once."""
    shown = [str(Path(p).parent / "*.eml") if Path(p).suffix.lower() == ".eml" else shown_path(str(Path(p)))
             for p in paths]
    return list(dict.fromkeys(shown))


# ------------------------------------------------------------------ the authors' names, for the masker

#: words of a name value that are never a name to mask on their own: titles, suffixes and particles
#: ("Dr", "Jr", "de", "van"), and months and weekdays, also abbreviated ("April", "June", "Jan", "Sun")
NOT_NAME_WORDS = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "madam", "jr", "sr", "ii", "iii", "iv", "phd",
    "md", "esq", "de", "del", "della", "der", "den", "van", "von", "da", "di", "du", "la", "le", "dos", "das",
    "bin", "ibn", "st", "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
    "nov", "dec", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mon", "tue",
    "wed", "thu", "fri", "sat", "sun"})
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")  # letters, with an apostrophe inside ("O'Brien")
_SPLIT_RE = re.compile(r"[\s,;/|()<>\"\[\]-]+")
_LABEL_RE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")  # a bracketed part of a name value


def author_names(authors: pd.Series) -> tuple[str, ...]:
    """The names, for the masker (``known_names``), of the authors ``author_pseudonyms`` replaces as a name
    ("Sofia Dubois", "Gonzalez, Maria") or as an address with a display name ("Maria Gonzalez <maria@…>", the
    text around the address): ``name_words`` of each, sorted, each once. Phone numbers and bare addresses give none;
    a word alone is a handle ("jennifer", "sprintcare") and gives none."""
    out: set[str] = set()
    for value in pd.unique(authors.dropna()):
        out.update(_names_of(value))
    return tuple(sorted(out))


def _names_of(value) -> list[str]:
    """``author_names`` of one value."""
    kind = _author_kind(value)
    if kind is not None and kind[0] == "address":
        words = name_words(ADDRESS_RE.sub(" ", value))
        local = kind[1].group(0).split("@")[0].lower()  # "Maria <maria.g@…>" is a person; "Delta <noreply@…>" not
        return [w for w in words if " " in w or len(words) > 1 or not _dictionary(w) or w.lower() in local]
    return name_words(value) if kind is not None and kind[0] == "name" else []


def display_names(authors: pd.Series, shown: pd.Series) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """The names an export shows for its authors (``shown``, row by row beside ``authors``: a chat's or a mailbox's
    senders, a column of names beside the author, ``display_name_columns``), for the masker: those of names of two
    words or more and of addresses (``author_names``), and, by author (as ``author_pseudonyms`` writes it), the
    census names of a name of one word ("Maria"), which the run masks unless that author is read as an agent or
    the company (a brand's "Delta", "Chase": ``ml.runtime.selection.known_names``)."""
    names: set[str] = set()
    single: dict[str, set[str]] = {}
    pairs = pd.DataFrame({"author": authors.to_numpy(), "shown": shown.to_numpy()}).dropna().drop_duplicates()
    for author, value in zip(pairs["author"], pairs["shown"]):
        if not isinstance(value, str) or _PSEUDONYM_RE.match(value):
            continue
        if _author_kind(value) is not None:
            names.update(_names_of(value))
        elif words := name_words(value):
            key = str(author)
            single.setdefault(_author_pseudonym(key) or key, set()).update(words)
    return tuple(sorted(names)), {a: tuple(sorted(w)) for a, w in single.items()}


#: columns named as an author's display name; read for the masker only, where another column is the author
#: (Twitter's JSON "user.name" beside "user.id_str", Slack's "user_profile.real_name" beside "user", a help desk's
#: "Customer Name" beside "Customer ID")
DISPLAY_NAME_COLUMNS = ("from_name", "sender_name", "author_name", "author_nickname", "user_name", "customer_name",
                        "requester_name", "contact_name", "display_name", "full_name", "user_profile_real_name",
                        "user_profile_display_name", "user_profile_first_name")


def display_name_columns(index: dict[str, str], author: str | None) -> list[str]:
    """The columns of a file (``index``: normalised name → column, ``ml.ingest.columns.name_index``) that show
    the authors' names beside the ``author`` column: those named so (``DISPLAY_NAME_COLUMNS``), and the column
    the author column's name adds "_id" to (Telegram's "from" beside "from_id", a help desk's "Requester" beside
    "Requester ID"). None without an author column (a name column is then read as the author)."""
    if author is None:
        return []
    base = re.sub(r"_id(?:_str)?$", "", normalized(author))
    found = [index[n] for n in (*DISPLAY_NAME_COLUMNS, base) if n in index]
    return [c for c in dict.fromkeys(found) if c != author]


def name_words(name: str) -> list[str]:
    """The words of one author's name masked wherever a text writes them capitalised (``known_names``), and the
    whole name when a word of it is not masked alone. The rule (docs/privacy.md, "The authors' names in the
    texts"):

    - words: the name split at spaces, commas and hyphens, a bracketed part that is no name left out ("Anjali Rao
      (Acme Support)"; "Margaret [Peggy] Okafor" keeps "Peggy"); one letter ("J."), a digit, a stop word, a title
      or particle, a month or weekday (``NOT_NAME_WORDS``) is never a word to mask;
    - a word is masked when it is no English dictionary word ("Dubois", "Lefèvre", "Becky"; WordNet's lemmas
      as ``ml.profile.name_gate.dictionary_word`` reads them), or when it is the given name (first, or first
      after the comma of "Gonzalez, Maria") and a US census first name ("Maria", "John");
    - a name with an ordinary word (a dictionary word on neither census list: "Support", "Service", "Billing",
      "Bank") is a team's or a company's and gives nothing ("Lyft Support", "Delta Assist", "Chase Bank": brands
      that are also given names stay readable); a name of one word gives its census names only;
    - the whole name ("Elijah Mills"; as written too, with its particles: "Maria da Silva") when it is a
      person's (two to four words, none ordinary) and a word of it is not masked alone, so that a surname that
      is also a word does not stay beside a masked given name."""
    from ml.profile.name_gate import has_dictionary, stop_words

    # a bracketed label of the company's, "Anjali Rao (Northwind Support)", is no part of the name; a nickname,
    # "Margaret [Peggy] Okafor", or a name written in brackets, "(Maria Lopez)", is
    name = _LABEL_RE.sub(lambda m: f" {m.group(0)[1:-1]} " if name_words(m.group(0)[1:-1]) else " ", name)
    before, comma, after = name.partition(",")
    parts = [w for part in ((after, before) if comma and after.strip() else (name,)) for w in _SPLIT_RE.split(part)]
    written = [w for w in (w.strip(".'’") for w in parts) if len(w) >= 2 and _WORD_RE.fullmatch(w)]
    words = [w for w in written if w.lower() not in NOT_NAME_WORDS]
    (firsts, census), stop = _census(), stop_words()
    if any(w.lower() not in stop and w.lower() not in census and _dictionary(w) for w in words):
        return []  # an ordinary word: a team's or a company's name
    census_only = len(words) < 2 or not has_dictionary()  # no word list: no word tells a name
    taken = [w for i, w in enumerate(words) if (low := w.lower()) not in stop
             and (not _dictionary(w) or (i == 0 and low in firsts)) and (low in census or not census_only)]
    whole = [" ".join(words), " ".join(written)] if 2 <= len(words) <= 4 and not census_only and len(taken) < len(words) else []
    return list(dict.fromkeys(taken + whole))


@lru_cache(maxsize=1)
def _census() -> tuple[frozenset[str], frozenset[str]]:
    """US census first names, and those with the common surnames (``ml.profile.first_names``)."""
    from ml.profile.first_names import common_surnames, first_names

    return first_names(), first_names() | common_surnames()


def _dictionary(word: str) -> bool:
    """Is ``word`` (any case) an English dictionary word? Its apostrophes left out ("O'Brien" is "obrien")."""
    from ml.profile.name_gate import dictionary_word

    return dictionary_word(word.lower().replace("'", "").replace("’", ""))
