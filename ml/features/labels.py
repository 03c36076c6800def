"""Plain words for the 36 behavioral features: the one table the API (`GET /api/v1/features`) and the
explorer use wherever a feature is shown to people.

``FEATURE_LABELS[name] = (label, meaning)``: a short label an analyst reads without the docs, and one
line saying what a higher value means. The feature's technical definition (log transforms, units,
when it is missing) stays in ``ml.features.behavioral.FEATURE_SPECS``; ``feature_table()`` joins both.
Time-of-day wording says "in the run's time basis": UTC when the timestamps carry no offset of their
own, the writer's local time when they do, or the time zone given with ``--timezone``.
"""

from __future__ import annotations

from functools import lru_cache

FEATURE_LABELS: dict[str, tuple[str, str]] = {
    "hour_sin": ("Time of day (morning ↔ evening)", "Where in the day messages fall, as one side of the 24-hour clock."),
    "hour_cos": ("Time of day (midnight ↔ noon)", "Where in the day messages fall, as the other side of the 24-hour clock."),
    "night_share": ("Night-time posting", "Share of messages posted between 22:00 and 05:59."),
    "business_hours_share": ("Office-hours posting", "Share of messages posted Monday to Friday, 09:00 to 17:59."),
    "weekend_share": ("Weekend posting", "Share of messages posted on Saturday or Sunday."),
    "author_span_days_log": ("Days active", "Days between the author's first and last message in the data."),
    "author_msgs_per_active_day_log": ("Messages per active day", "How many messages the author sends on a day they post."),
    "author_median_gap_hours_log": ("Hours between messages", "Typical wait between the author's consecutive messages."),
    "reply_delay_min_log": ("Reply delay", "Minutes between the message it answers and this reply."),
    "is_reply": ("Is a reply", "Share of messages that answer another message."),
    "thread_depth_log": ("Depth in the thread", "How far down a reply chain the message sits."),
    "thread_size_log": ("Thread length", "How many messages the conversation holds."),
    "got_response": ("Got an answer", "Share of messages another account replied to."),
    "response_latency_min_log": ("Wait for an answer", "Minutes until another account first replied."),
    "author_msg_count_log": ("Messages by the author", "How many messages the author wrote in the data."),
    "author_thread_count_log": ("Conversations joined", "How many distinct conversations the author took part in."),
    "author_turn_share": ("Own share of the thread", "Share of the conversation written by the same author."),
    "followup_share": ("Follows up", "Share of messages that answer a reply the author got."),
    "chars_log": ("Message length (characters)", "How long messages are, in characters."),
    "words_log": ("Message length (words)", "How long messages are, in words."),
    "mean_word_len": ("Word length", "Average word length in characters."),
    "upper_ratio": ("Capital letters", "Share of letters written in capitals."),
    "exclaim_log": ("Exclamation marks", "How many '!' a message holds."),
    "question_log": ("Questions", "How many '?' a message holds."),
    "repeated_punct": ("Repeated punctuation", "Share of messages with '!!', '??', '?!' or '...'."),
    "emoji_log": ("Emoji", "How many emoji a message holds."),
    "digit_ratio": ("Numbers quoted", "Share of characters that are digits (order numbers, prices, times)."),
    "has_url": ("Shares links", "Share of messages that contain a link."),
    "politeness": ("Polite words", "Share of messages that say please, thanks or appreciate."),
    "first_person_ratio": ("Talks about themselves", "Share of words that are I, me, my, we, us or our."),
    "mentions_log": ("@mentions", "How many accounts a message @mentions."),
    "hashtags_log": ("Hashtags", "How many #hashtags a message holds."),
    "author_counterparts_log": ("Accounts talked with", "Distinct accounts the author replied to or heard from."),
    "author_addressed_accounts_log": ("Accounts addressed", "Distinct @accounts the author mentions."),
    "author_replies_received_log": ("Replies received", "How many replies the author got from other accounts."),
    "author_reply_share": ("Replies among own messages", "Share of the author's messages that are replies."),
}


def feature_label(name: str) -> str:
    """The plain label of a feature (the name with spaces when the table lacks it)."""
    return FEATURE_LABELS.get(name, (name.replace("_", " "), ""))[0]


@lru_cache(maxsize=1)
def feature_table() -> tuple[dict[str, str], ...]:
    """One row per feature in column order: ``name``, ``group``, ``label``, ``meaning``,
    ``definition`` (technical) and ``missing`` (when it has no value)."""
    from ml.features.behavioral import FEATURE_SPECS

    return tuple(
        {"name": s.name, "group": s.group, "label": FEATURE_LABELS[s.name][0], "meaning": FEATURE_LABELS[s.name][1],
         "definition": s.description, "missing": s.missing}
        for s in FEATURE_SPECS
    )
