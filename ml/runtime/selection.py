"""Which messages become members: ingest → time basis → customers only → agents → filters → units.

``select_members(config, paths, loaded, load, log, timer)`` → ``Selection``: the steps of a run before anything is
encoded, shared by ``PersonaPipeline.prepare`` (which goes on to features and the encoder) and ``python -m
ml.run --check`` (which stops here and says what it found: ``check_lines``). Nothing here writes a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ml.filtering import QualityFilter
from ml.filtering.agents import drop_agents
from ml.filtering.quality import largest_removal
from ml.filtering.text import HANDLE_RE
from ml.ingest.timebasis import TimeBasis, check_timezone
from ml.runtime.errors import InputError
from ml.units import build_units


@dataclass
class Selection:
    """The messages read, the candidates (customers only where asked), what the filters kept and the units
    (members) built from them, with the reports of each step."""

    messages: pd.DataFrame
    candidates: pd.DataFrame
    kept: pd.DataFrame
    members: pd.DataFrame
    load_report: Any
    clock: TimeBasis
    agent_report: dict
    filter_report: Any
    staff_names: tuple[str, ...]
    brand_accounts: tuple[str, ...] = ()  # agent accounts with a name (not a numeric id): handles kept readable
    # the agent detector's accounts (ml.filtering.agents) and those the data marks as the company's side
    company_accounts: tuple[str, ...] = ()

    @property
    def known_names(self) -> tuple[str, ...]:
        """People's names known from the data, masked in every text a run shows (``known_names`` of
        ``ml.profile.masking.mask_texts``): the agents' sign-off names and the authors' names
        (``LoadReport.author_names``), never written anywhere."""
        return known_names(self.staff_names, self.load_report, self.company_accounts)


def ingest(config, paths: Sequence[str | Path], loaded, load: Callable, log: Callable[[str], None]):
    """The messages on their time basis, the candidates among them (inbound only with ``input.inbound_only``),
    the load report and the fitted ``TimeBasis``; ``loaded``: ``(messages, load_report)`` already read."""
    messages, load_report = loaded if loaded is not None else load(paths)
    for line in load_report.summary_lines():
        log(line)
    said = None if config.input.timezone else load_report.export_time_zone()  # a survey's own zone
    clock = TimeBasis(config.input.timezone or said, "as the export says" if said else "--timezone").fit(messages)
    messages = clock.transform(messages)
    log(f"time basis: {clock.basis_}")
    if clock.ignored_ or clock.dates_only_:
        log(clock.note_)
    candidates = messages
    if config.input.inbound_only:
        name = str(paths[0]) if paths else "the input"
        if "inbound" not in messages or messages["inbound"].isna().all():
            raise InputError(f"{name}: --inbound-only needs to know which side wrote each message, and no column "
                             "says so (pass --inbound-col or --outbound-col naming one, e.g. a role or is_agent "
                             "column); drop the flag for this data")
        if not messages["inbound"].fillna(False).astype(bool).any():  # e.g. only bots are marked
            raise InputError(f"{name}: --inbound-only: no message is marked as the customer's (only the company's "
                             "side is known, e.g. its bots); drop --inbound-only for this data")
        candidates = messages[messages["inbound"].fillna(False).astype(bool)]
        load_report.dropped_not_inbound = len(messages) - len(candidates)  # the manifest's source.load says it
    return messages, candidates, load_report, clock


def company_side(messages: pd.DataFrame, accounts) -> tuple[str, ...]:
    """The agent accounts (``ml.filtering.agents``) that the data itself marks as the company's side: named (not
    a numeric id), most of their rows marked outbound (``inbound`` False; a row without a flag counts against),
    and addressed as an @handle somewhere in the data (an author name of a chat export, "Sarah Miller", is no
    handle to keep). Without side flags none: on the airline tweets the detector's accounts include customers who
    answer many others ("KatieJelen"), whose handles stay masked."""
    if "inbound" not in messages or not messages["inbound"].notna().any() or not len(accounts):
        return ()
    rows = messages[messages["author"].astype(str).isin({str(a) for a in accounts})]
    outbound = rows["inbound"].eq(False).fillna(False).astype(bool).groupby(rows["author"].astype(str)).mean()
    named = [a for a in map(str, accounts) if not a.isdigit() and outbound.get(a, 0.0) > 0.5]
    if not named:
        return ()
    handle = re.compile(HANDLE_RE)
    addressed = {h.lstrip("@").lower() for t in messages["text"].dropna().astype(str) for h in handle.findall(t)}
    return tuple(a for a in named if a.lower() in addressed)


def select_members(config, paths: Sequence[str | Path], loaded, load: Callable, log: Callable[[str], None],
                   timer=None) -> Selection:
    """ingest → agents → filters → units (module docstring); ``timer``: a ``StageTimer`` for the stages."""
    stage = timer.stage if timer is not None else (lambda name: nullcontext())
    check_timezone(config.input.timezone)
    with stage("ingest"):
        messages, candidates, load_report, clock = ingest(config, paths, loaded, load, log)
    with stage("filter"):
        candidates, agent_report = drop_agents(messages, candidates, config.input.keep_agents, log)
        qfilter = QualityFilter(config.filtering)
        kept = qfilter.fit_transform(candidates)
    with stage("units"):
        # the members in the filters' order (time, text, id where there are timestamps): the layout, the samples and
        # a conversation's joined text read them so, and a re-export of the same rows in another order gives the
        # same run (an airline review's shuffled week gave 42 personas against 38)
        order = qfilter.kept_order_
        members = build_units(kept if order is None else kept.iloc[order], config.input.unit).reset_index(drop=True)
        accounts = agent_report.pop("_accounts")
        agent_report["agent_members"] = int(members["author"].astype(str).isin(accounts).sum())
        brand_accounts = company_side(messages, accounts)
        staff_names = tuple(agent_report.pop("_staff_names"))
        if staff_names:
            log(f"agents: {len(staff_names)} given names from agent sign-offs are masked in every text")
        # the manifest's examples too: agents' replies ("Thanks! ~Tom": a review) and the filters' ("Thanks, Sofia")
        company = company_accounts(messages, accounts)
        mask_examples([agent_report, *qfilter.report_], known_names(staff_names, load_report, company))
    return Selection(messages, candidates, kept, members, load_report, clock, agent_report, qfilter.report_,
                     staff_names, brand_accounts, company)


def company_accounts(messages: pd.DataFrame, accounts) -> tuple[str, ...]:
    """The agent detector's accounts and the authors of the messages the data marks as the company's side."""
    outbound = messages.loc[messages["inbound"].eq(False), "author"] if "inbound" in messages else pd.Series([], dtype=object)
    return tuple(dict.fromkeys([*map(str, accounts), *outbound.dropna().astype(str)]))


def known_names(staff_names: Sequence[str], load_report, company: Sequence[str] = ()) -> tuple[str, ...]:
    """The agents' sign-off names and the authors' names of the load (``LoadReport.author_names``), each once, and
    the one-word display names of the authors that are no agent or company account (``one_word_names``: a
    customer's "Maria", not a brand's "Delta" answering its customers)."""
    agents = set(map(str, company))
    single = [w for author, words in getattr(load_report, "one_word_names", {}).items() if author not in agents
              for w in words]
    return tuple(dict.fromkeys([*staff_names, *getattr(load_report, "author_names", ()), *single]))


def mask_examples(reports: Sequence[dict], names: Sequence[str]) -> None:
    """The texts of each report's ``examples`` with ``names`` masked (``ml.profile.pii.known_names_re``), in place."""
    from ml.profile.pii import known_names_re

    known = known_names_re(names)
    if known is None:
        return
    for report in reports:
        if report.get("examples"):
            report["examples"] = [{**e, "text": known.sub("[name]", e["text"])} for e in report["examples"]]


def check_lines(selection: Selection, config) -> tuple[list[str], bool]:
    """What ``python -m ml.run --check`` says after the selection: how each file was read, sides, time basis,
    agents, each filter's removals, the members a run would cluster with three of their texts (masked as a
    run masks what it shows: emails, phones, cards, names; ``PiiMasker``), and whether that is enough (the bool)."""
    from ml.profile.masking import keep_handles_for
    from ml.profile.pii import PiiMasker

    s, unit = selection, config.input.unit
    inbound = s.messages["inbound"] if "inbound" in s.messages else pd.Series(dtype="boolean")
    customers, company = int(inbound.eq(True).sum()), int(inbound.eq(False).sum())
    lines = [*s.load_report.summary_lines(), f"messages read: {len(s.messages):,}; customer's side {customers:,}, company's side {company:,}, "
             f"side unknown {len(s.messages) - customers - company:,}"
             + (" (--inbound-only keeps the customer's side)" if config.input.inbound_only else ""),
             f"times: {s.clock.note_}"]
    agents = s.agent_report
    if agents.get("removed"):
        links = int(agents.get("removed_broadcast") or 0)
        lines.append(f"brand/agent accounts: {agents['removed']:,} messages set aside"
                     + (f", {links:,} of them by accounts that post links only (news feeds, bots)" if links else "")
                     + _side_words(agents)
                     + " (--keep-agents keeps them)")
    if kept_line := agents_kept_line(agents, len(s.members)):
        lines.append(kept_line)
    for step in s.filter_report:
        if step.get("removed"):
            lines.append(f"filter {step['stage']}: {step['removed']:,} of {step['input']:,} set aside")
    lines.append(f"members ({unit}s) a run would cluster: {len(s.members):,} from {len(s.kept):,} messages kept")
    texts = [str(t) for t in s.members["text"]]
    keep = keep_handles_for(texts, config.profile, s.brand_accounts)  # brand handles readable, as in the evidence
    examples = PiiMasker().mask_many(texts[:3], keep, s.known_names)  # names too, as every text a run shows
    lines += [f"  e.g. {_clip(text)!r}" for text in examples]  # does the text column hold what the user means?
    enough = len(s.members) >= config.input.min_members
    if enough and (most := mostly_set_aside_line(s.filter_report, len(s.members), unit)):
        lines.append(most)
    if not enough:
        most = too_few_hints(s)
        lines.append(f"too few: at least {config.input.min_members} are needed; a run would stop here"
                     + (f" ({most})" if most else ""))
    return lines, enough


#: agent members kept (no side column, no reply links) are said from this share of the members: a persona may be
#: as small as half of it (``cluster.min_cluster_share`` 0.005), so they could make one of their own
AGENTS_KEPT_SHARE = 0.01


def agents_kept_line(agents: dict, n_members: int) -> str | None:
    """A line when accounts that behave as agents stay in because nothing says which side wrote (no side column,
    no reply links, no conversation ids) and their members are ``AGENTS_KEPT_SHARE`` of the run or more (a review's help-desk export of
    author, text and time: 990 of 1,402 members were brand replies, in 19 personas, without a word)."""
    members = int(agents.get("agent_members") or 0)
    if agents.get("support_layout") or agents.get("enabled") or members < max(AGENTS_KEPT_SHARE * n_members, 10):
        return None
    return (f"{agents.get('accounts', 0):,} accounts write as a company's agents do (answering many authors, staff "
            f"sign-offs), {members:,} of the {n_members:,} members; without a side column, reply links or conversation "
            "ids they are kept (the manifest's 'agents' names them): pass --inbound-col or --outbound-col if a column "
            "says who wrote, to keep the customers only")


def mostly_set_aside_line(filter_report: list[dict], n_members: int, unit: str) -> str | None:
    """A line when a filter stage set aside at least half of what reached it although enough members are left
    (``largest_removal``): a dump mostly in another language ran on its English tenth without a word (a review's
    1,500 support messages, 90 % Spanish and German: 129 members, 3 personas)."""
    most = largest_removal(filter_report)
    return (f"most of the data was set aside: {most}; the personas describe the {n_members:,} {unit}s left"
            if most else None)


def agents_hint(selection: Selection) -> str:
    """When the brand/agent step set aside at least half of the messages read, it is the likeliest cause of a run
    with too few members: "the brand/agent step set aside 109 of 109 messages as the company's side (…); pass
    --keep-agents to keep them". Empty otherwise."""
    agents = selection.agent_report
    removed, read = int(agents.get("removed") or 0), int(agents.get("input") or 0)
    if not removed or 2 * removed < max(read, 1):
        return ""
    links = int(agents.get("removed_broadcast") or 0)
    why = ("accounts that answer many customers, sign off as staff or are marked outbound"
           + (f"; {links:,} of them by accounts that post links only" if links else ""))
    side = "" if links else " as the company's side"
    return (f"the brand/agent step set aside {removed:,} of {read:,} messages{side} ({why}); pass --keep-agents to "
            "keep them")


def too_few_hints(selection: Selection) -> str:
    """The hints behind an error that says too few members were left, likeliest first."""
    return "; ".join(x for x in (agents_hint(selection), text_column_hint(selection),
                                 largest_removal(selection.filter_report)) if x)


def text_column_hint(selection: Selection, max_share: float = 0.05, min_rows: int = 50) -> str:
    """When the text column holds few distinct values (at most ``max_share`` of the rows read, from
    ``min_rows`` rows), or values without a letter in most rows (ids, numbers: ``--text-col tweet_id`` was told to
    turn the length filter off, a review of 2026-12-06), the likeliest cause of a run with too few members is the
    column, not the filters: "the text column 'airline' holds 6 distinct values in 2,000 rows; if it is not the
    column with the messages, pass --text-col NAME". Empty otherwise."""
    texts = selection.candidates["text"] if "text" in selection.candidates else pd.Series(dtype=object)
    n, distinct = len(texts), int(texts.nunique())
    wordless = int((~texts.astype(str).str.contains(r"[^\W\d_]", regex=True)).sum()) if n else 0
    if n < min_rows or (distinct > max_share * n and wordless <= n / 2):
        return ""
    cols = sorted({str(f.mapping.get("text")) for f in selection.load_report.files
                   if isinstance(getattr(f, "mapping", None), dict) and f.mapping.get("text")})
    named = f"the text column {', '.join(repr(c) for c in cols)}" if cols else "the text column"
    others = sorted({str(f.other_text) for f in selection.load_report.files if getattr(f, "other_text", None)})
    likely = f" ({', '.join(repr(c) for c in others)} reads as free text)" if others else ""
    holds = (f"holds no letter in {wordless:,} of {n:,} rows (ids or numbers?)" if wordless > n / 2 else
             f"holds {distinct:,} distinct value{'' if distinct == 1 else 's'} in {n:,} rows")
    return f"{named} {holds}; if it is not the column with the messages, pass --text-col NAME{likely}"


def _clip(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _side_words(agents: dict) -> str:
    """", 2,222 of them marked as the company's by the data's side column": how far the side column and the
    behaviour agree (a help-desk export's sender_type marked 2,222 rows as agents and the line never said so)."""
    marked = int(agents.get("removed_outbound_flag") or 0) + int(agents.get("detected_marked_by_data") or 0)
    return f", {marked:,} of them marked as the company's by the data's side column" if marked else ""
