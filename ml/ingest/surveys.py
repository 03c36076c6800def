"""Survey tools' exports, whose header takes more than one row: answers to open questions are a common input
("what could we do better?"), and the extra header rows would otherwise be read as answers.

``prepare(frame)`` → ``(frame, survey)``: the table without those rows, and what was found (``Survey``), or
``(frame, None)`` when the table is not such an export:

- **Qualtrics** (CSV and Excel, "Use numeric values" or choice text): below the column names (``Q1``,
  ``Q3_TEXT``) a row of question text and a row of import ids (``{"ImportId":"QID3_TEXT"}``). Both rows are
  dropped; each column's question is kept (``Survey.questions``). A column whose import id names a time zone
  (``{"ImportId":"startDate","timeZone":"America/Denver"}``) holds that zone's wall-clock times: they are
  written with the zone's offset, so hours are read in that zone rather than as UTC (a name ``zoneinfo`` does not
  know is not used).
- **SurveyMonkey** (CSV and Excel, "All responses, expanded"): below the column names (the questions;
  ``Respondent ID`` first) a row naming each answer column ("Response", "Open-Ended Response", a choice's
  label) with the respondent columns blank. The row is dropped; a column under an answer's label keeps the
  question above it as its question.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

_IMPORT = re.compile(r'^\{\s*"ImportId"\s*:')
OPEN = frozenset({"response", "open-ended response", "other (please specify)"})


@dataclass
class Survey:
    """What a survey export's header rows said."""

    tool: str                                        # "Qualtrics" or "SurveyMonkey"
    skipped: int                                     # header rows dropped below the column names
    questions: dict[str, str] = field(default_factory=dict)  # column → its question's text
    zones: dict[str, str] = field(default_factory=dict)      # column → the time zone its times are written in


def _cells(row: pd.Series) -> list[str]:
    return [str(v).strip() if pd.notna(v) else "" for v in row]


def _qualtrics(frame: pd.DataFrame) -> Survey | None:
    if len(frame) < 2:
        return None
    ids = _cells(frame.iloc[1])
    if sum(bool(_IMPORT.match(v)) for v in ids) < max(2, 0.8 * sum(bool(v) for v in ids)):
        return None
    survey = Survey("Qualtrics", 2, dict(zip(frame.columns, _cells(frame.iloc[0]), strict=True)))
    for col, value in zip(frame.columns, ids, strict=True):
        try:
            zone = json.loads(value).get("timeZone") if value else None
        except (ValueError, AttributeError):
            zone = None
        zone = _known_zone(zone)
        if zone:
            survey.zones[col] = zone
    return survey


def _known_zone(zone) -> str | None:
    """An IANA zone name as ``zoneinfo`` knows it ("Z", "GMT" → "UTC"); None for anything else."""
    if not isinstance(zone, str) or not zone.strip():
        return None
    zone = "UTC" if zone.strip().upper() in {"Z", "UTC", "GMT", "ETC/UTC"} else zone.strip()
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America" is a folder of tzdata
        return None
    return zone


def _surveymonkey(frame: pd.DataFrame) -> Survey | None:
    columns = [str(c) for c in frame.columns]
    if not len(frame) or not columns or columns[0].strip().lower() != "respondent id":
        return None
    first = _cells(frame.iloc[0])
    if first[0] or not any(v.lower() in OPEN for v in first):
        return None
    questions, current = {}, ""
    for col, label in zip(frame.columns, first, strict=True):
        name = str(col)
        if not name.startswith("Unnamed:") and name.strip():
            current = name
        if label:
            questions[col] = current if label.lower() in OPEN else f"{current}: {label}"
    return Survey("SurveyMonkey", 1, questions)


def _zoned(values: pd.Series, zone: str) -> pd.Series:
    """Wall-clock times in ``zone`` written with its offset (ISO 8601); values that are not times stay."""
    try:
        parsed = pd.to_datetime(values, errors="coerce", format="mixed")
        if getattr(parsed.dt, "tz", None) is not None:
            return values
        local = parsed.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
    except (ValueError, TypeError, KeyError):
        return values
    written = local.map(lambda t: t.isoformat() if pd.notna(t) else None)
    return written.where(written.notna(), values)


def prepare(frame: pd.DataFrame) -> tuple[pd.DataFrame, Survey | None]:
    """The export without its extra header rows, and what they said (module docstring)."""
    survey = _qualtrics(frame) or _surveymonkey(frame)
    if survey is None:
        return frame, None
    out = frame.iloc[survey.skipped:].reset_index(drop=True)
    for col, zone in survey.zones.items():
        out[col] = _zoned(out[col], zone)
    return out, survey
