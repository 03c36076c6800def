"""JSON as exports write it: an array of message objects, one object per line (JSON Lines), or an object that
holds the array under a key, as help-desk and chat APIs answer (``{"tickets": [...], "next_page": ...}``,
``{"data": {"conversations": [...]}}``); fields nested in objects (``{"author": {"id": 7, "type": "user"}}``)
become dotted columns (``author.id``, ``author.type``), which the column finder reads as ``author_id``,
``author_type``.

``json_records(path, content, fmt)`` → ``(records, where)``: the message objects and the key path of the array
they came from (``"tickets"``, ``"data.conversations"``), None for a top-level array or JSON Lines. Under an
object, the array is the longest array of objects within ``MAX_DEPTH`` levels of objects (breadth first; the
first found wins a tie) among those whose objects have a text field (``holds_messages``: a ticket list, not
the longer list of users an API sideloads beside it), or the longest of all when none has. A ``.json`` file
that is not one JSON document is read as JSON Lines.

``records_frame(records)`` → a DataFrame, nested objects flattened (``pandas.json_normalize``, sep ``.``) when
any of the first ``NESTED_SAMPLE`` records holds one; arrays inside a record stay one value.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ml.ingest.columns import guess_text_column, name_index
from ml.runtime.errors import InputError

MAX_DEPTH = 3  # levels of objects searched for the array of records
NESTED_SAMPLE = 1000


def _array_of_objects(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def arrays_within(obj: dict, depth: int = MAX_DEPTH) -> list[tuple[tuple[str, ...], list[dict]]]:
    """Every array of objects inside ``obj`` within ``depth`` levels of objects, with its key path, breadth first."""
    found, level = [], [(obj, ())]
    for _ in range(depth):
        below = []
        for node, prefix in level:
            for key, value in node.items():
                where = (*prefix, str(key))
                if _array_of_objects(value):
                    found.append((where, value))
                elif isinstance(value, dict):
                    below.append((value, where))
        level = below
    return found


def names_text(records: list[dict]) -> bool:
    """Whether the first ``NESTED_SAMPLE`` records have a field named as a text (``ml.ingest.load.ALIASES``)."""
    from ml.ingest.load import ALIASES

    return bool(set(name_index(records_frame(records[:NESTED_SAMPLE]).columns)) & set(ALIASES["text"]))


def holds_messages(records: list[dict]) -> bool:
    """Whether the first ``NESTED_SAMPLE`` records have a text column: one named as a text (``names_text``) or
    one that reads as free text (``ml.ingest.columns.guess_text_column``)."""
    return names_text(records) or guess_text_column(records_frame(records[:NESTED_SAMPLE])) is not None


def find_records(obj: dict) -> tuple[list[dict], str] | None:
    """The array of messages inside ``obj``: the longest array of objects within ``MAX_DEPTH`` levels that
    ``holds_messages`` (a ticket list beside a longer list of users), else the longest; with its key path.
    None when there is no array of objects."""
    arrays = arrays_within(obj)
    if not arrays:
        return None
    texts = [a for a in arrays if holds_messages(a[1])]
    keys, records = max(texts or arrays, key=lambda a: len(a[1]))  # the first found wins a tie
    return records, ".".join(keys)


def _document(path: Path, content: str) -> list[dict] | dict | None:
    """``content`` as one JSON document, or None when it is more than one (JSON Lines under a .json name)."""
    try:
        return json.loads(content)
    except json.JSONDecodeError as err:
        if err.msg == "Extra data":
            return None
        raise InputError(f"{path}: invalid JSON at line {err.lineno} column {err.colno} "
                         f"({err.msg}); fix the file or export it as JSON Lines") from None


def _from_document(path: Path, doc) -> tuple[list[dict], str | None]:
    if isinstance(doc, dict):
        found = find_records(doc)
        if found is None:
            keys = ", ".join(list(map(str, doc))[:8]) or "none"
            raise InputError(f"{path}: the JSON object holds no array of message objects (keys: {keys}); "
                             "export the messages as a JSON array or JSON Lines")
        return found
    bad = next((i for i, r in enumerate(doc, 1) if not isinstance(r, dict)), None)
    if bad is not None:
        raise InputError(f"{path}: item {bad} of the JSON array is not an object; each "
                         "message must be an object with named fields")
    return doc, None


def _lines(path: Path, content: str) -> list[dict]:
    records = []
    bad: list[tuple[int, json.JSONDecodeError]] = []
    # split on "\n" only: str.splitlines() would also split at U+2028 inside a JSON string
    for lineno, line in enumerate(content.split("\n"), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as err:
            bad.append((lineno, err))  # every broken line is named at once, not one per run
            continue
        if not isinstance(rec, dict):
            raise InputError(f"{path}: line {lineno} is not a JSON object; each line must be "
                             "one message object with named fields")
        records.append(rec)
    if bad:
        first, err = bad[0]
        more = "" if len(bad) == 1 else (
            f" ({len(bad)} lines are not: {', '.join(str(n) for n, _ in bad[:5])}{', …' if len(bad) > 5 else ''})")
        raise InputError(f"{path}: line {first} is not valid JSON ({err.msg}, column {err.colno}){more}; fix or "
                         f"remove {'that line' if len(bad) == 1 else 'those lines'}")
    return records


def json_records(path: Path, content: str, fmt: str) -> tuple[list[dict], str | None]:
    """The message objects of a .json / .jsonl file and where they were (module docstring)."""
    if fmt == "json" and content.lstrip()[:1] in ("[", "{"):
        doc = _document(path, content)
        if doc is not None:
            return _from_document(path, doc)
    return _lines(path, content), None


def records_frame(records: list[dict]) -> pd.DataFrame:
    """One row per record; nested objects as dotted columns (module docstring)."""
    nested = any(isinstance(v, dict) for r in records[:NESTED_SAMPLE] for v in r.values())
    return pd.json_normalize(records, sep=".") if nested else pd.DataFrame.from_records(records)
