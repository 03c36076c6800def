"""Text clean-up shared by ingest and masking.

``decode_entities(text)``: HTML entities decoded (``&amp;`` → ``&``, ``&gt;`` → ``>``), twice at most
because exported tweets carry double-escaped ones (``&amp;amp;``). Measured: 158 of the first 5,000 TWCS
tweets and 720 of 14,640 Twitter-Airline tweets carry entities. ``ftfy.fix_text`` was measured too and
is not used: after decoding it changed no text on those sets except for uncurling quotes and
normalising full-width Japanese punctuation, i.e. they hold no mojibake.

``fix_mojibake(text)``: text whose UTF-8 bytes were once read as Latin-1 or Windows-1252 ("Iâ€™m",
"ðŸ˜€"; Meta's Messenger and Instagram exports write every non-ASCII character so) repaired with
``ftfy.fix_encoding``, which changes a text only when the repair is unambiguous. It runs only on texts where
a UTF-8 lead byte's Latin-1 letter is followed by a continuation byte's (``MOJIBAKE_RE``), so clean text is not
touched: on Banking77, the TWCS slices, the airline tweets, GoogleNews-TS and Tweet (46,397 texts) the pattern
matches none, and ``fix_encoding`` itself changes none of their first 20,000 texts each.

``join_parts(value)``: a text exported as a list of parts (Telegram writes a message with a link or a
mention as ``["Hi ", {"type": "link", "text": "https://…"}, " there"]``) as one string: its strings and its
objects' ``text`` in order; any other value unchanged.

``clean_text(text)``: what ingest keeps of a message. A text with HTML markup (``HTML_RE``: a tag of
HTML's own, ``<p>``, ``<br/>``, ``</div>``, ``<a href=…>``, as help-desk and chat exports write message
bodies) is read as a browser shows it (``html_to_text``: the standard library's ``html.parser``; block
tags and ``<br>`` end a line, ``<script>``/``<style>``/``<head>`` are dropped, entities decoded); any other
text has its entities decoded. "I <3 you" and "a <b" are not markup.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the masking child imports this module and must not load pandas (tests/test_mask_prefetch.py)
    import pandas as pd

MAX_TEXT = 100_000  # characters of a message kept (ml.ingest.load; the mailbox reader cuts bodies there too)

__all__ = [
    "HTML_RE",
    "MAX_TEXT",
    "MOJIBAKE_RE",
    "TRANSCRIPT_LINE_RE",
    "clean_text",
    "decode_entities",
    "fix_mojibake",
    "html_count",
    "html_to_text",
    "join_parts",
    "transcript_count",
]

_BLOCK = frozenset({"p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
                    "blockquote", "pre", "hr", "section", "article", "header", "footer"})
_HIDDEN = frozenset({"script", "style", "head", "title"})
_TAGS = "|".join(sorted(_BLOCK | _HIDDEN | {"span", "a", "b", "i", "u", "em", "strong", "td", "th", "tbody",
                                            "thead", "img", "font", "html", "body", "code", "small", "sub",
                                            "sup"}, key=len, reverse=True))
#: a tag of HTML's own: "<p>", "</div>", "<br/>", '<a href="…">' (not "<3", "a < b" or "<user>")
HTML_RE = re.compile(rf"</?(?:{_TAGS})(?:\s[^<>]*)?/?>", re.IGNORECASE)


#: a UTF-8 lead byte read as Latin-1 (Â … ô) before a continuation byte read as Latin-1 or Windows-1252
MOJIBAKE_RE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030"
                         "\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122"
                         "\u0161\u203a\u0153\u017e\u0178]")


def fix_mojibake(text):
    """``text`` with mojibake repaired (module docstring); other values unchanged."""
    if isinstance(text, str) and MOJIBAKE_RE.search(text):
        import ftfy

        return ftfy.fix_encoding(text)
    return text


def decode_entities(text: str) -> str:
    """``text`` with HTML entities decoded (non-strings are returned unchanged)."""
    for _ in range(2):
        if not isinstance(text, str) or "&" not in text:
            break
        text = html.unescape(text)
    return text


class _Text(HTMLParser):
    """Collects what a browser would show: data outside hidden elements, a line end at block tags."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _HIDDEN:
            self.hidden = max(self.hidden - 1, 0)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def html_to_text(text: str) -> str:
    """``text`` (HTML) as a browser shows it: lines trimmed, runs of spaces one space, at most one empty line."""
    parser = _Text()
    parser.feed(text)
    parser.close()
    lines = [re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def join_parts(value):
    """A list of text parts as one string (module docstring); other values unchanged."""
    if not isinstance(value, list):
        return value
    return "".join(p if isinstance(p, str) else str(p.get("text") or "") if isinstance(p, dict) else "" for p in value)


def clean_text(text: str) -> str:
    """A message as ingest keeps it (module docstring); non-strings are returned unchanged."""
    if isinstance(text, str) and "<" in text and HTML_RE.search(text):
        return decode_entities(html_to_text(text))
    return decode_entities(text)


# a line of a chat transcript in one cell, as LiveChat or Zendesk Chat export them: "(09:46:51 PM) Visitor: …",
# "[10:12] Jane (Agent): …", "10:12:14 Jane: …"
TRANSCRIPT_LINE_RE = re.compile(r"(?m)^[ \t]*[(\[]?[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?:[ \t]?[AaPp][Mm])?[)\]]?[ \t]+"
                                r"[^:\n]{1,60}:[ \t]")
TRANSCRIPT_SAMPLE = 2000


def transcript_count(values: pd.Series) -> int:
    """How many of ``values`` (the first ``TRANSCRIPT_SAMPLE`` non-empty ones, scaled up to all) read as a whole
    chat transcript: two or more lines that start with a time and a speaker."""
    texts = values[values.notna()].astype(str)
    texts = texts[texts.str.contains("\n", regex=False)]
    if texts.empty:
        return 0
    sample = texts.head(TRANSCRIPT_SAMPLE)
    share = float((sample.str.count(TRANSCRIPT_LINE_RE) >= 2).mean())
    return round(share * len(texts))


def html_count(values: pd.Series) -> int:
    """How many of ``values`` hold HTML markup (``ml.ingest.textclean.HTML_RE``; the regex only where a "<" is)."""
    texts = values[values.notna()].astype(str)
    texts = texts[texts.str.contains("<", regex=False)]
    return int(texts.str.contains(HTML_RE).sum()) if len(texts) else 0
