"""Help-desk exports that nest each conversation's messages in an array: a ticket with its comments (Zendesk
``comments``), a ticket with its replies (Freshdesk ``conversations``), a conversation with its parts (Intercom
``conversation_parts.conversation_parts``) or its threads (Help Scout ``_embedded.threads``).

``conversation_frame(records)`` → ``(frame, where, conversations)``: the table of the file's records (as
``ml.ingest.json_records.records_frame`` makes it) when they are messages, or one row per message when they
are conversations, with the key path of the array the messages came from (``"comments"``) and the number of
conversations (``None, 0`` for messages).

Records are conversations when none of the first ``SAMPLE`` has a field named as a text
(``ml.ingest.load.ALIASES["text"]``: a tweet's ``text`` makes it a message, whatever arrays it holds, such as
its hashtags) or the column ``--text-col`` names, and they hold, within ``MAX_DEPTH`` levels of objects, an
array of objects with a field named as a text (``names_text``: a ticket's comments' ``body``; not a message's
attachments, whose ``description`` only reads as free text); of several such arrays, the one the most sampled
records hold (then the one with more items).

Each message row is the array item's fields, plus the conversation's fields under ``conversation.``
(``conversation.id`` reads as the ``conversation_id`` column: each message's conversation, for ``--unit
conversation``; a conversation without an ``id`` is numbered instead, ``conversation_number``), plus, when the
items do not say who wrote them (no column the finder reads as the side)
and the conversation names its customer (``REQUESTER``: ``requester_id``, ``customer_id``, …),
``from_customer``: whether the item's author is that customer (Zendesk comments carry only ``author_id``).
The conversation's opening message, when the conversation holds it apart from the array (``OPENING``:
Freshdesk's ``description_text``, Intercom's ``source.body``), comes first, with the conversation's author
(``source.author.id``, else the customer) and time, its side from the conversation's author type
(``source.author.type``) or else the customer's; it is left out when it repeats the first item's text
(Zendesk's ``description`` is its first comment).
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from ml.ingest.columns import name_index, normalized
from ml.ingest.json_records import MAX_DEPTH, arrays_within, names_text, records_frame
from ml.ingest.textclean import clean_text

SAMPLE = 1000
PREFIX = "conversation"
SIDE = "from_customer"
#: the conversation's customer, as help desks name it (after flattening: "requester.id" is requester_id)
REQUESTER = ("requester_id", "customer_id", "contact_id", "primary_customer_id", "primarycustomer_id",
             "requester", "customer")
#: the conversation's own opening message: a field whose name ends with one of these, else "description"
OPENING = ("_body", "_text", "_message", "_content")


def _message_array(records: list[dict], text_col: str | None = None) -> tuple[str, ...] | None:
    """Key path of the array of messages the sampled records hold (module docstring), or None for messages."""
    sample = records[:SAMPLE]
    if names_text(sample) or (text_col and text_col in records_frame(sample).columns):
        return None
    held, items = Counter(), {}
    for record in sample:
        for keys, value in arrays_within(record, MAX_DEPTH):
            held[keys] += 1
            items.setdefault(keys, []).extend(value[: SAMPLE - len(items.get(keys, []))])
    found = [k for k in held if names_text(items[k])]
    return max(found, key=lambda k: (held[k], len(items[k]))) if found else None


def _split(record: dict, keys: tuple[str, ...]) -> tuple[dict, list[dict]]:
    """The record without the array at ``keys`` (copied along the path only), and the array's objects."""
    top = dict(record)
    node = top
    for key in keys[:-1]:
        if not isinstance(node.get(key), dict):
            return top, []
        node[key] = dict(node[key])
        node = node[key]
    value = node.pop(keys[-1], None)
    return top, [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _column(columns, exact=(), ends=()) -> str | None:
    """The first column whose normalized name is one of ``exact`` (in that order), else ends with one of ``ends``."""
    names = name_index(columns)
    hit = next((names[n] for n in exact if n in names), None)
    return hit or next((c for c in columns if normalized(c, camel=True).endswith(tuple(ends))), None) if ends else hit


def _same(a, b) -> bool:
    """Whether two message bodies read the same (markup, spacing and case aside)."""
    def norm(v):
        return " ".join(clean_text(str(v)).split()).casefold() if isinstance(v, str) else None
    return norm(a) is not None and norm(a) == norm(b)


def _openings(convs: pd.DataFrame, first_text: pd.Series, m, side: str | None) -> pd.DataFrame:
    """One row per conversation whose own opening message is not its first item's (module docstring), in the
    items' column names, with ``_conv`` and ``_order`` -1."""
    from ml.ingest.load import ALIASES

    text = _column(convs.columns, ends=OPENING) or _column(convs.columns, exact=("description",))
    if text is None or m.text is None:
        return pd.DataFrame()
    keep = convs[text].map(lambda v: isinstance(v, str) and bool(v.strip()))
    keep &= ~pd.Series([_same(a, b) for a, b in zip(convs[text], first_text.reindex(convs.index))], index=convs.index)
    rows = pd.DataFrame({m.text: convs.loc[keep, text]})
    author = _column(convs.columns, ends=("_author_id",)) or _column(convs.columns, exact=REQUESTER)
    when = _column(convs.columns, exact=ALIASES["timestamp"])
    for src, dst in ((author, m.author), (when, m.timestamp)):
        if src and dst:
            rows[dst] = convs.loc[keep, src]
    if side:
        role = _column(convs.columns, ends=("_author_type", "_author_role", "_sender_type"))
        rows[side] = convs.loc[keep, role] if role else True
    rows["_conv"], rows["_order"] = rows.index, -1
    return rows


def conversation_frame(records: list[dict], text_col: str | None = None) -> tuple[pd.DataFrame, str | None, int]:
    """The records' table, one row per nested message when they are conversations (module docstring);
    ``text_col``: the text column the user named (``--text-col``): records that hold it are messages."""
    from ml.ingest.load import detect_layout, normalize_ids

    keys = _message_array(records, text_col) if records else None
    if keys is None:
        return records_frame(records), None, 0
    parents, items, conv, order = [], [], [], []
    for i, record in enumerate(records):
        parent, messages = _split(record, keys)
        parents.append(parent)
        items.extend(messages)
        conv.extend([i] * len(messages))
        order.extend(range(len(messages)))
    frame = records_frame(items) if items else pd.DataFrame()
    frame["_conv"], frame["_order"] = conv, order
    convs = records_frame(parents)
    _, m = detect_layout([c for c in frame.columns if not c.startswith("_")])
    side = m.inbound
    requester = _column(convs.columns, exact=REQUESTER)
    if side is None and requester and m.author:
        side = SIDE
        # ids as the loader writes them: a null elsewhere in the column makes 100 a float, "100.0"
        who = normalize_ids(convs[requester]).to_numpy()[conv]
        author = normalize_ids(frame[m.author]).to_numpy()
        frame[SIDE] = pd.array([a == w if a is not None and w is not None else pd.NA for a, w in zip(author, who)],
                               dtype="boolean")
    first = frame[frame["_order"] == 0].set_index("_conv")[m.text] if m.text else pd.Series(dtype=object)
    frame = pd.concat([_openings(convs, first, m, side), frame], ignore_index=True)
    frame = frame.sort_values(["_conv", "_order"], kind="stable").reset_index(drop=True)
    prefix = next(p for p in (PREFIX, "ticket", "parent", "_conversation")
                  if not any(c == p or c.startswith(f"{p}.") for c in frame.columns))
    convs.columns = [f"{prefix}.{c}" for c in convs.columns]
    frame = frame.join(convs, on="_conv")
    if detect_layout(list(frame.columns))[1].thread is None:  # conversations without an id: their position
        frame[f"{prefix}_number"] = frame["_conv"] + 1
    return frame.drop(columns=["_conv", "_order"]), ".".join(keys), len(records)
