"""Tools' exports made tables of messages, before columns are mapped (``ml.ingest.load``): a Slack day's
(``ml.ingest.slack``), a Reddit dump's (``ml.ingest.reddit``), a Discord channel's (DiscordChatExporter: its
system messages, ``type`` other than ``DISCORD_MESSAGES``, are the server's notices: joins, pins, calls,
renames), a survey's (``ml.ingest.surveys``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ml.ingest import reddit, slack, surveys
from ml.ingest.read import TableInfo
from ml.ingest.report import LoadReport
from ml.runtime.errors import InputError

#: DiscordChatExporter's message types that people write; the others (GuildMemberJoin, ChannelPinnedMessage,
#: Call, ChannelNameChange, RecipientAdd, ThreadCreated, …) are the server's notices
DISCORD_MESSAGES = frozenset({"Default", "Reply", "0", "19"})


def prepare_export(raw: pd.DataFrame, path: Path, info: TableInfo, report: LoadReport):
    """A tool's export as a table of messages: a Slack day's, a Reddit dump's or a Discord channel's (their
    notices and deleted posts left out and counted), a survey's without its extra header rows (``ml.ingest.surveys``). Returns the
    table, the layout a tool's format implies (None: by column names), and the survey found (or None)."""
    report.dropped_system_messages += info.notices  # a WhatsApp chat's notices
    if slack.is_daily_file(path):  # a channel's day of a Slack export
        raw, system = slack.prepare(raw, path)
        report.dropped_system_messages += system
        return raw, "slack", None
    if reddit.is_dump(raw.columns):  # Reddit comments or posts
        raw, gone = reddit.prepare(raw)
        report.dropped_system_messages += gone
        return raw, "reddit", None
    if {"type", "content", "author.isBot"} <= set(raw.columns):  # a DiscordChatExporter channel
        said = raw["type"].astype(str)
        notice = raw["type"].notna() & ~said.isin(DISCORD_MESSAGES)
        report.dropped_system_messages += int(notice.sum())
        return raw[~notice].reset_index(drop=True), "discord", None
    survey = None
    if info.format in ("csv", "tsv", "xlsx"):
        raw, survey = surveys.prepare(raw)
        if survey is not None and raw.empty:
            raise InputError(f"{path}: a {survey.tool} export with no responses (only its header rows); export "
                             "the survey's responses")
    return raw, {"whatsapp": "whatsapp", "mbox": "mailbox", "eml": "mailbox"}.get(info.format), survey
