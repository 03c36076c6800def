"""The 36 behavioral features' specifications (docs/CONTRACTS.md §7): name, group, definition, when
missing, and whether the feature needs metadata.

``needs_metadata`` is True for the features computed from timestamps, authors or reply links (NaN when
the data lack them) and False for those read off the text itself (style, @mentions, #hashtags: never
missing). ``ml.features.fusion.FeatureFusion`` uses text only when none of the metadata columns
(``metadata_columns()``) varies, since the text-read ones repeat what the embedding already sees.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    group: str
    description: str
    missing: str
    needs_metadata: bool


_NO_TS = "NaN without a timestamp"
_NO_AUTHOR_TS = "NaN without author or timestamp"
_NO_REPLY = "NaN when the data has no reply structure"
_NO_AUTHOR_REPLY = "NaN without author or reply structure"
_NEVER = "never missing"


def _meta(name: str, group: str, description: str, missing: str) -> FeatureSpec:
    """A feature computed from metadata (timestamps, authors or reply links)."""
    return FeatureSpec(name, group, description, missing, needs_metadata=True)


def _text(name: str, group: str, description: str) -> FeatureSpec:
    """A feature read off the text itself."""
    return FeatureSpec(name, group, description, _NEVER, needs_metadata=False)


FEATURE_SPECS: list[FeatureSpec] = [
    _meta("hour_sin", "temporal",
          "Sine of the hour of posting in the run's time basis (2π·hour/24).", _NO_TS),
    _meta("hour_cos", "temporal",
          "Cosine of the hour of posting in the run's time basis (2π·hour/24).", _NO_TS),
    _meta("night_share", "temporal", "Share of messages posted 22:00–05:59 in the run's time basis.", _NO_TS),
    _meta("business_hours_share", "temporal",
          "Share of messages posted Monday–Friday 09:00–17:59 in the run's time basis.", _NO_TS),
    _meta("weekend_share", "temporal",
          "Share of messages posted on Saturday or Sunday in the run's time basis.", _NO_TS),
    _meta("author_span_days_log", "temporal",
          "log(1 + days between the author's first and last message in the data).", _NO_AUTHOR_TS),
    _meta("author_msgs_per_active_day_log", "temporal",
          "log(1 + the author's messages per day on which they posted at all).", _NO_AUTHOR_TS),
    _meta("author_median_gap_hours_log", "temporal",
          "log(1 + median hours between the author's consecutive messages).",
          "NaN without author/timestamp or with fewer than 2 messages"),
    _meta("reply_delay_min_log", "temporal",
          "log(1 + minutes since the message this one replies to was posted).",
          "NaN when not a reply or the replied-to message or a timestamp is unknown"),
    _meta("is_reply", "interaction", "1 if the message replies to another message, else 0.", _NO_REPLY),
    _meta("thread_depth_log", "interaction",
          "log(1 + position in its reply chain; the chain's first message is 0).", _NO_REPLY),
    _meta("thread_size_log", "interaction", "log(1 + number of messages in its thread).", _NO_REPLY),
    _meta("got_response", "interaction", "1 if another account replied to the message, else 0.", _NO_REPLY),
    _meta("response_latency_min_log", "interaction",
          "log(1 + minutes until the first reply from another account).",
          "NaN when nobody replied or a timestamp is unknown"),
    _meta("author_msg_count_log", "interaction",
          "log(1 + messages the author wrote in the data).", "NaN without author"),
    _meta("author_thread_count_log", "interaction",
          "log(1 + distinct threads the author took part in).", _NO_AUTHOR_REPLY),
    _meta("author_turn_share", "interaction",
          "Share of the message's thread written by the same author.", _NO_AUTHOR_REPLY),
    _meta("followup_share", "interaction",
          "1 if the message answers a reply the author got (they follow up), else 0.", _NO_AUTHOR_REPLY),
    _text("chars_log", "style", "log(1 + characters)."),
    _text("words_log", "style", "log(1 + words)."),
    _text("mean_word_len", "style", "Mean word length in characters (0 for an empty text)."),
    _text("upper_ratio", "style", "Uppercase letters / letters, @handles and links left out (0 without letters)."),
    _text("exclaim_log", "style", "log(1 + number of '!')."),
    _text("question_log", "style", "log(1 + number of '?')."),
    _text("repeated_punct", "style", "1 if the text has '!!', '??', '?!', '!?' or '...' runs, else 0."),
    _text("emoji_log", "style", "log(1 + number of emoji)."),
    _text("digit_ratio", "style", "Digits / characters, @handles and links left out (0 for an empty text)."),
    _text("has_url", "style", "1 if the text contains a URL, else 0."),
    _text("politeness", "style", "1 if the text says please, thanks, thank you or appreciate, else 0."),
    _text("first_person_ratio", "style", "Share of words that are I, me, my, mine, we, us or our."),
    _text("mentions_log", "network", "log(1 + @mentions in the text)."),
    _text("hashtags_log", "network", "log(1 + #hashtags in the text)."),
    _meta("author_counterparts_log", "network",
          "log(1 + distinct accounts the author replied to or got replies from).", _NO_AUTHOR_REPLY),
    _meta("author_addressed_accounts_log", "network",
          "log(1 + distinct @accounts the author mentions across their messages).", "NaN without author"),
    _meta("author_replies_received_log", "network",
          "log(1 + replies from other accounts to the author's messages).", _NO_AUTHOR_REPLY),
    _meta("author_reply_share", "network",
          "Share of the author's messages that are replies.", _NO_AUTHOR_REPLY),
]
FEATURE_NAMES: list[str] = [s.name for s in FEATURE_SPECS]


def metadata_columns() -> tuple[int, ...]:
    """Column positions (in ``FEATURE_NAMES`` order) of the features that need metadata."""
    return tuple(i for i, spec in enumerate(FEATURE_SPECS) if spec.needs_metadata)


def describe_features() -> str:
    """Markdown table of the 36 features (name, group, definition, when missing) for docs and UI."""
    lines = ["| # | name | group | definition | when metadata is missing |", "|---|---|---|---|---|"]
    lines += [
        f"| {i} | `{s.name}` | {s.group} | {s.description} | {s.missing} |"
        for i, s in enumerate(FEATURE_SPECS, 1)
    ]
    return "\n".join(lines) + "\n"
