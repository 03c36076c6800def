"""Personal-data masking for texts shown to people.

``mask_pii(text)`` replaces, in this order:

- URLs → ``[url]`` (paths and query strings can carry personal tokens; the link itself is never needed
  to understand a persona);
- e-mail addresses → ``[email]``;
- card numbers (13–19 digits, optionally grouped by spaces or dashes) → ``[card]``;
- order / booking / confirmation / ticket / case numbers → ``[order]``: digits after such a keyword
  (4+ digits), upper-case alphanumeric record locators after "confirmation", "booking", "reservation",
  "PNR", "record locator" (5–8 characters with at least one letter), and any other bare id of 6+ digits;
- phone numbers (international ``+CC …`` and US formats ``(555) 123-4567``, ``555-123-4567``,
  ``555.123.4567``, ``1-800-555-1234``) → ``[phone]``;
- @handles → ``[@user]``, except those in ``keep_handles`` (brand accounts). TWCS anonymises customers
  as ``@<digits>``; those are always masked, even if listed.

Numbers that are not personal (times like 10:30, years, flight numbers, prices, "2 hours") are kept.
``detect_brand_handles`` finds the accounts a data set addresses most, for use as ``keep_handles``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

URL_RE = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+")
EMAIL_RE = re.compile(r"(?i)(?<![\w.+-])[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b")
CARD_RE = re.compile(r"(?<![\w@-])\d(?:[ -]?\d){12,18}(?![\w-])")
_ORDER_KW = (
    r"order|booking|confirmation|conf|reservation|ticket|case|reference|ref|tracking|account|acct|"
    r"invoice|claim|file|pnr|record\s+locator"
)
ORDER_NUM_RE = re.compile(
    rf"(?i)(\b(?:{_ORDER_KW})\b\s*(?:(?:number|no\.?|num|nr|id|code|is|was|:|#)\s*){{0,3}})"
    r"(#?\s*\d[\d-]{3,}\d)\b"
)
_LOCATOR_KW = r"confirmation|conf|booking|reservation|pnr|record\s+locator|locator"
LOCATOR_RE = re.compile(
    rf"((?i:\b(?:{_LOCATOR_KW})\b)\s*(?i:(?:number|no\.?|num|code|is|was|:|#)\s*){{0,3}})"
    r"(#?(?=[A-Z0-9]*[A-Z])[A-Z0-9]{5,8})\b"
)
PHONE_RE = re.compile(
    r"(?<![\w+@])(?:"
    r"\+\d{1,3}[\s.-]?(?:\(?\d{1,4}\)?[\s.-]?){2,4}\d{2,4}"  # international
    r"|(?:1[\s.-])?\(\d{3}\)\s?\d{3}[\s.-]?\d{4}"  # (555) 123-4567
    r"|(?:1[\s.-])?\d{3}[\s.-]\d{3}[\s.-]\d{4}"  # 555-123-4567, 1-800-555-1234
    r")(?!\w)"
)
LONG_ID_RE = re.compile(r"(?<![\w\[@])#?\d{6,}\b")
HANDLE_RE = re.compile(r"(?<![\w@])@(\w{1,30})")

__all__ = ["HANDLE_RE", "URL_RE", "detect_brand_handles", "mask_pii"]


def _norm(handle: str) -> str:
    return handle.lstrip("@").lower()


def mask_pii(text: str, keep_handles: Iterable[str] | None = None) -> str:
    """Return ``text`` with personal data replaced by placeholders (see the module docstring).

    ``keep_handles``: brand account names (with or without "@", any case) left readable.
    Non-string input (None, NaN) gives "".
    """
    if not isinstance(text, str):
        return ""
    keep = {_norm(h) for h in (keep_handles or ())}
    out = URL_RE.sub("[url]", text)
    out = EMAIL_RE.sub("[email]", out)
    out = CARD_RE.sub(lambda m: "[card]" if sum(c.isdigit() for c in m.group()) >= 13 else m.group(), out)
    out = ORDER_NUM_RE.sub(lambda m: m.group(1) + "[order]", out)
    out = LOCATOR_RE.sub(lambda m: m.group(1) + "[order]", out)
    out = PHONE_RE.sub("[phone]", out)
    out = LONG_ID_RE.sub("[order]", out)

    def _handle(m: re.Match) -> str:
        name = m.group(1)
        if not name.isdigit() and name.lower() in keep:
            return m.group(0)
        return "[@user]"

    return HANDLE_RE.sub(_handle, out)


def detect_brand_handles(
    texts: Iterable[str],
    *,
    min_share: float = 0.005,
    min_mentions: int = 5,
) -> list[str]:
    """Handles addressed by many different texts: brand accounts to keep readable.

    A handle counts once per text; it is a brand when it appears in at least ``min_mentions`` texts and
    at least ``min_share`` of all texts. Purely numeric handles (TWCS customers) never qualify.
    Returns lower-case names without "@", most-mentioned first.
    """
    counts: Counter[str] = Counter()
    n = 0
    for text in texts:
        n += 1
        if isinstance(text, str):
            counts.update({_norm(h) for h in HANDLE_RE.findall(text)})
    threshold = max(min_mentions, min_share * max(n, 1))
    return [h for h, c in counts.most_common() if c >= threshold and not h.isdigit()]
