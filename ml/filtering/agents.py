"""`AgentDetector`: which accounts are brands or support agents, judged from behaviour.

In support data the inbound flag is not enough: brand rows get marked inbound, agents' sign-offs
("^GWS", "*ErikS", "-Becky") become persona names, and with `--unit author` help desks become personas.
The detector looks at what each account *does* in the message frame (CONTRACTS §1: `message_id`, `text`,
`author`, optional `reply_to`):

- `answered`: distinct other authors it replies to (the author of the `reply_to` message, else the
  @handle a reply opens with);
- `reply_share`: share of its messages that are replies (a `reply_to`, or text opening with an @handle);
- `signoff_share` / `signoffs`: share and count of its messages that end with an agent sign-off
  (`^AB`, `^Helen`, `*ErikS`, `-Becky`, `- JD`; see `SIGNOFF_RE`);
- `addressed_by`: distinct other authors whose messages @mention (or u/mention) the account's handle (customers
  address the company).

- `link_share` / `first_person_share`: share of its messages holding a URL / a first-person singular word ("I",
  "my", "me", "I'm").

An account **posts links only** (`broadcast`: news feeds, flight trackers, promotions, the same advert sent to
several airlines) when it wrote at least `min_broadcast` messages, at least 80 % of them with a link and at most
10 % in the first person singular: customers write about themselves. Such accounts are no customers in any layout
(`drop_agents` removes them unless `keep_agents`); measured in docs/profiles.md ("Accounts that post links only").

An account is an agent when any rule holds (thresholds are the estimator's parameters):
`answered >= min_answered and reply_share >= min_reply_share` (a help desk answers many people, and
does little else), `signoffs >= min_signoffs and signoff_share >= min_signoff_share` (agents sign their
replies), or `addressed_by >= min_addressed_by and reply_share >= min_reply_share` (the handle customers
write to, when it also answers). Measured against TWCS's inbound column in docs/profiles.md.

Learned: `agent_accounts_` (sorted list), `broadcast_accounts_` (those that post links only, agents or not: a news
feed's headlines end "- Nasdaq", which reads as a sign-off), `evidence_` (DataFrame, one row per author with the signals
above, `is_agent` and `reasons`). `transform(frame)` drops the rows written by agent accounts;
`report(frame, removed)` gives a manifest entry shaped like a filter stage.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.utils.validation import check_is_fitted

from ml.filtering.text import URL_RE, as_text
from ml.params import keep_params
from ml.runtime.errors import InputError

# A sign-off: the last token of a line (trailing URLs, spaces and closing punctuation allowed after it).
_TAIL = r"(?=(?:\s+https?://\S+)*[\s.!)]*$)"
SIGNOFF_RE = re.compile(
    r"(?:(?<=\s)|^)(?:\^\s?[A-Za-z]{1,12}\d?|\*[A-Z][A-Za-z]{1,12}"  # ^JAY ^Helen *ErikS
    r"|[-–—~]\s?[A-Z][a-z]{1,12}|[-–—~]\s?[A-Z]{2,4})"  # -Becky - JD
    + _TAIL,
    re.MULTILINE,
)
# the two forms only agents use ("^AB", "^Helen", "*ErikS", "*JohnWard"; customers sign "-Mike" too), at the very
# end of a reply: such a message is the company's, whoever posted it (TWCS marks some brand replies inbound).
# Capitals only ("^ this", "*sigh" are a forum's), and the name no dictionary word ("*Sigh", "*Not": see
# staff_signed)
STAFF_SIGNOFF_RE = re.compile(r"(?:(?<=\s)|\A)(?:\^\s?([A-Z]{2,4}\d?|[A-Z][a-z]{2,12})|\*([A-Z][a-z]{1,12}[A-Z]?"
                              r"(?:[A-Z][a-z]{1,12})?))(?:\s+https?://\S+)*[\s.!)]*\Z")
_SIGNOFF_NAME = re.compile(r"^[-–—~^*]\s?([A-Z][a-z]{2,12})[A-Z]?$")  # -Becky ^Helen *ErikS → a given name
_LEADING_HANDLE = re.compile(r"^\s*@(\w+)")
_URL = re.compile(URL_RE, re.IGNORECASE)  # the filters' URL; "twitter.com/i/web/…" holds no "I" of the writer
_FIRST_PERSON = re.compile(r"\b(?:i|i['’]?m|i['’]?ve|i['’]?d|i['’]?ll|me|my|mine|myself)\b", re.IGNORECASE)
_HANDLES = re.compile(r"(?<![\w@])@(\w+)")
_REDDIT_USERS = re.compile(r"(?<![\w/])/?u/([A-Za-z0-9_-]{3,20})\b")  # Reddit's "u/name" addresses a user too


def has_signoff(texts: pd.Series) -> np.ndarray:
    """True where a text (any of its lines) ends with an agent sign-off such as "^AB" or "*ErikS"."""
    return as_text(texts).str.contains(SIGNOFF_RE).to_numpy()


def strip_signoffs(text: str) -> str:
    """``text`` without agent sign-off tokens at line ends ("Thanks! *ErikS" → "Thanks! ")."""
    return SIGNOFF_RE.sub(" ", text) if text else text


class AgentDetector(BaseEstimator):
    """Finds brand/agent accounts in a message frame from behaviour (see the module docstring)."""

    def __init__(
        self,
        min_answered: int = 3,
        min_reply_share: float = 0.8,
        min_signoffs: int = 1,
        min_signoff_share: float = 0.3,
        min_addressed_by: int = 3,
        max_handles: int = 2,
        min_threads: int = 2,
        min_broadcast: int = 3,
    ):
        keep_params(self, locals())

    def fit(self, messages: pd.DataFrame, y=None) -> AgentDetector:
        """Learn ``evidence_`` and ``agent_accounts_`` from every row of ``messages`` (both sides)."""
        if not isinstance(messages, pd.DataFrame) or "text" not in messages:
            raise InputError("AgentDetector needs the message frame (with 'text'): load it with ml.ingest.load")
        self.evidence_ = self._evidence(messages.reset_index(drop=True))
        self.agent_accounts_ = sorted(self.evidence_.index[self.evidence_["is_agent"]].tolist())
        self.broadcast_accounts_ = sorted(self.evidence_.index[self.evidence_["broadcast"]].tolist())
        return self

    def broadcast_rows(self, frame: pd.DataFrame) -> np.ndarray:
        """Boolean mask of rows of ``frame`` written by an account that posts links only (``broadcast_accounts_``)."""
        check_is_fitted(self, "broadcast_accounts_")
        return _rows_by(frame, self.broadcast_accounts_)

    def staff_names(self, messages: pd.DataFrame, min_count: int = 2) -> list[str]:
        """Given names the agent accounts sign with at least ``min_count`` times ("-Becky", "^Helen",
        "*ErikS" → Erik; initials such as "^AB" or "- JD" are not names), most frequent first. Customers
        address staff by them ("Thanks Becky!", "Pray for me Becky"), where a name model can miss them:
        ``ml.profile.pii`` masks them in every text of the run."""
        rows = self.agent_rows(messages)
        if not rows.any():
            return []
        found = as_text(messages["text"][rows]).str.findall(SIGNOFF_RE).explode().dropna()
        names = found.str.strip().str.extract(_SIGNOFF_NAME, expand=False).dropna()
        counts = names[~names.str.lower().isin(ENGLISH_STOP_WORDS)].value_counts()
        return counts[counts >= min_count].index.tolist()

    def agent_rows(self, frame: pd.DataFrame) -> np.ndarray:
        """Boolean mask of rows of ``frame`` written by a learned agent account."""
        check_is_fitted(self, "agent_accounts_")
        return _rows_by(frame, self.agent_accounts_)

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``frame`` not written by agent accounts (same columns, order and index)."""
        return frame[~self.agent_rows(frame)]

    def report(self, frame: pd.DataFrame, removed: bool = True, n_examples: int = 3) -> dict:
        """Manifest entry: rows of ``frame`` by agents (removed or only marked), accounts with evidence."""
        from ml.filtering.quality import display_text

        hit = self.agent_rows(frame)
        n = len(frame)
        kept = int(n - hit.sum()) if removed else n
        texts = display_text(as_text(frame["text"])[hit].head(n_examples))
        ids = frame["message_id"].astype(str)[hit].head(n_examples) if "message_id" in frame else texts.index
        present = frame.loc[hit, "author"].astype(str).value_counts() if hit.any() else pd.Series(dtype=int)
        ev = self.evidence_.loc[present.index[:n_examples]] if len(present) else self.evidence_.iloc[:0]
        return {
            "stage": "agents",
            "enabled": bool(removed),
            "input": n,
            "removed": int(hit.sum()) if removed else 0,
            "marked": int(hit.sum()),
            "kept": kept,
            "kept_share": float(kept / n) if n else 1.0,
            "accounts": len(present),
            "accounts_in_data": len(self.agent_accounts_),
            "examples": [
                {"message_id": str(m), "text": t} for m, t in zip(ids.tolist(), texts.tolist(), strict=True)
            ],
            "account_examples": [
                {
                    "account": str(a),
                    "messages": int(r.n_messages),
                    "answered": int(r.answered),
                    "reply_share": round(float(r.reply_share), 3),
                    "signoff_share": round(float(r.signoff_share), 3),
                    "addressed_by": int(r.addressed_by),
                    "reasons": list(r.reasons),
                }
                for a, r in ev.iterrows()
            ],
        }

    # ------------------------------------------------------------------ internals
    def _evidence(self, m: pd.DataFrame) -> pd.DataFrame:
        cols = ["n_messages", "answered", "threads", "reply_share", "signoffs", "signoff_share",
                "addressed_by", "link_share", "first_person_share", "broadcast", "is_agent", "reasons"]
        if "author" not in m or m["author"].notna().sum() == 0:
            return pd.DataFrame(columns=cols).astype({"is_agent": bool, "broadcast": bool})
        m = m[m["author"].notna()].reset_index(drop=True)
        author = m["author"].astype(str)
        texts = as_text(m["text"])
        lead = texts.str.extract(_LEADING_HANDLE)[0].str.lower()
        target, is_reply, opener = _replies(m, author, lead)
        lower = author.str.lower()
        target = target.where(target.notna(), lead.where(is_reply, None))  # openers answer nobody
        target = target.map(lambda t: str(t).lower() if t is not None and pd.notna(t) else None)
        # group threads ("@a @b @c @d ...") are conversations among customers, not someone addressed
        direct = (texts.str.count(_HANDLES) <= self.max_handles).to_numpy()
        target = target.where((target != lower) & direct, None)
        thread = m["thread_id"].astype(object) if "thread_id" in m else m["message_id"].astype(object)
        frame = pd.DataFrame(
            {
                "author": author,
                "target": target,
                "thread": thread.where(target.notna(), None),
                "reply": is_reply.to_numpy(),
                "signoff": has_signoff(texts),
                "link": texts.str.contains(_URL).to_numpy(dtype=bool),
                "first_person": texts.str.replace(_URL, " ", regex=True).str.contains(_FIRST_PERSON).to_numpy(dtype=bool),
            }
        )
        g = frame.groupby("author", sort=True)
        ev = pd.DataFrame(
            {
                "n_messages": g.size(),
                "answered": g["target"].nunique(),
                "threads": g["thread"].nunique(),
                "reply_share": g["reply"].mean(),
                "signoffs": g["signoff"].sum().astype(int),
                "signoff_share": g["signoff"].mean(),
                "link_share": g["link"].mean(),
                "first_person_share": g["first_person"].mean(),
            }
        )
        opener &= direct
        ev["addressed_by"] = (
            self._addressed_by(author[opener], texts[opener])
            .reindex(ev.index.str.lower())
            .fillna(0)
            .astype(int)
            .to_numpy()
        )
        return self._decide(ev)[cols]

    @staticmethod
    def _addressed_by(author: pd.Series, texts: pd.Series) -> pd.Series:
        """Distinct other authors that @mention (or, on Reddit, u/mention) each handle (lower-cased handle →
        count)."""
        mentions = texts.str.findall(_HANDLES) + texts.str.findall(_REDDIT_USERS)
        pairs = pd.DataFrame({"author": author.str.lower(), "handle": mentions}).explode("handle").dropna()
        pairs["handle"] = pairs["handle"].str.lower()
        pairs = pairs[pairs["handle"] != pairs["author"]]
        return pairs.groupby("handle")["author"].nunique()

    def _decide(self, ev: pd.DataFrame) -> pd.DataFrame:
        desk = (
            (ev["answered"] >= self.min_answered)
            & (ev["threads"] >= self.min_threads)
            & (ev["reply_share"] >= self.min_reply_share)
        )
        signs = (
            (ev["signoffs"] >= self.min_signoffs)
            & (ev["signoff_share"] >= self.min_signoff_share)
            & (ev["reply_share"] >= 0.5)
        )  # a signed reply, not a customer's "- Mike" on a post
        company = (ev["addressed_by"] >= self.min_addressed_by) & (ev["reply_share"] >= self.min_reply_share)
        ev["is_agent"] = (desk | signs | company).to_numpy()
        ev["broadcast"] = ((ev["n_messages"] >= self.min_broadcast) & (ev["link_share"] >= 0.8)
                           & (ev["first_person_share"] <= 0.1)).to_numpy()
        ev["reasons"] = [
            [
                r
                for r, hit in (
                    ("answers many authors", a),
                    ("signs replies", b),
                    ("addressed as the company", c),
                )
                if hit
            ]
            for a, b, c in zip(desk, signs, company, strict=True)
        ]
        return ev


def _replies(m: pd.DataFrame, author: pd.Series, lead: pd.Series) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Whom each row answers (author or None), whether it is a reply, and whether it may open a conversation: by its
    reply link; a row without one by its conversation (``_thread_replies``: a help desk's export, or a chat export
    that links some replies only, as Telegram's quoted ones) unless it roots that conversation (a reply chain's
    first message: an opener, as without conversations), else by the @handle it opens with."""
    target = pd.Series([None] * len(m), dtype=object)
    is_reply = lead.notna()
    opener = np.ones(len(m), dtype=bool)  # without reply links or conversations every message may open one
    threads = "thread_id" in m and m["thread_id"].notna().any()
    if threads:
        target, is_reply, opener = _thread_replies(m, author, lead)
    if "reply_to" in m and m["reply_to"].notna().any():
        parent_author = dict(zip(m["message_id"].astype(str), author, strict=False))
        linked = m["reply_to"].notna()  # with reply links, a reply is what has a parent
        # a message without a link that roots its own conversation (a reply chain's first: TWCS, a Reddit post)
        # opens it; one inside a conversation it does not root is read by the conversation
        inside = (~linked & (m["thread_id"].astype(str) != m["message_id"].astype(str)) if threads
                  else pd.Series(False, index=m.index))
        links = m["reply_to"].map(lambda r: parent_author.get(str(r)) if pd.notna(r) else None)
        target = links.where(linked, target.where(inside, None))
        is_reply = linked | (is_reply & inside)
        opener = ~linked.to_numpy() & (opener | ~inside.to_numpy())
    return target, is_reply, opener


def _thread_replies(m: pd.DataFrame, author: pd.Series, lead: pd.Series) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Replies read from conversations when the data has no reply links (a help desk's export: ticket id, sender,
    body, time). A conversation is its **customer's**: the first to write of the participants the data marks as the
    customer's side (``inbound`` True), else, where no side is marked, its **narrowest** participant's: the one who
    writes in the fewest conversations of the data (ties: who wrote first, by time where times are given, else in file
    order), whoever wrote first: an agent writes in many customers' conversations, and live chats open with the
    agent's greeting (a review: taking the first writer as the customer flagged six repeat customers as a desk and no
    agent; another: 20 business customers in 45 tickets each, 63 agents in 14, were all read as desks although the
    export's role column marked them end-users). The owner's first message
    opens the conversation and answers nobody; its later ones answer the @handle they open with, if any; another
    participant's message is a reply, to the @handle it opens with or else to the owner. Rows without a conversation
    answer the @handle they open with, as without conversations. Returns (target author or None, is-reply, opener)
    per row of ``m`` (a 0..n-1 index)."""
    thread = m["thread_id"]
    rank = _time_rank(m)
    known = thread.notna().to_numpy()
    low = author.str.lower()
    flag = m["inbound"].astype("boolean") if "inbound" in m else pd.Series(pd.NA, index=m.index, dtype="boolean")
    side = 1 - flag.eq(True).fillna(False).astype(int) + flag.eq(False).fillna(False).astype(int)  # 0 customer, 2 company
    k = pd.DataFrame({"thread": thread[known], "who": low[known], "rank": rank[known], "side": side[known]})
    k["breadth"] = k["who"].map(k.groupby("who")["thread"].nunique()).where(k["side"] != 0, 0)  # first customer
    owners = k.sort_values(["side", "breadth", "rank"], kind="stable").groupby("thread").head(1)
    owner = thread.map(pd.Series(owners["who"].to_numpy(), index=owners["thread"].to_numpy()))
    own = known & (owner.to_numpy(dtype=object) == low.to_numpy(dtype=object))
    first = k[own[known]].groupby("thread")["rank"].min()  # the owner's first message in each conversation
    opener = ~known | (own & (rank == thread.map(first).fillna(-1).to_numpy()))
    other = known & ~own
    # a reply opening with an @handle answers that handle (a customer's "@ATVIAssist @116695 HELP ME" in another
    # customer's thread answers the brand, not that customer): the caller reads the handle
    named = lead.notna().to_numpy()
    target = pd.Series(np.where(other & ~named, owner.to_numpy(dtype=object), None), index=m.index, dtype=object)
    is_reply = pd.Series(other | (own & ~opener & named) | (~known & named), index=m.index)
    return target, is_reply, opener


def _time_rank(m: pd.DataFrame) -> np.ndarray:
    """Each row's place in time (0 first): by timestamp where given, rows without one after, each group in file
    order."""
    n = len(m)
    when = (pd.to_datetime(m["timestamp"], errors="coerce", utc=True) if "timestamp" in m
            else pd.Series(pd.NaT, index=m.index))
    order = pd.DataFrame({"t": when.to_numpy(), "i": np.arange(n)}).sort_values(["t", "i"], na_position="last").index
    rank = np.empty(n, dtype=np.int64)
    rank[order.to_numpy()] = np.arange(n)
    return rank


def _rows_by(frame: pd.DataFrame, accounts: list[str]) -> np.ndarray:
    """Boolean mask of the rows of ``frame`` whose author is one of ``accounts``."""
    if "author" not in frame or not accounts:
        return np.zeros(len(frame), dtype=bool)
    return frame["author"].astype(str).isin(set(accounts)).to_numpy() & frame["author"].notna().to_numpy()


def _count_removed(report: dict, n: int) -> None:
    """``n`` more rows removed: the report's ``removed``, ``kept`` and ``kept_share`` follow."""
    report["removed"] += n
    report["kept"] -= n
    report["kept_share"] = report["kept"] / report["input"] if report["input"] else 1.0


def staff_signed(frame: pd.DataFrame) -> np.ndarray:
    """True where a message is a reply (a ``reply_to``, or text opening with an @handle) that ends with a sign-off
    only staff use (``STAFF_SIGNOFF_RE``) whose name is no English word ("*JohnWard", "^NHP"; not "*Sigh")."""
    from ml.profile.name_gate import dictionary_word

    texts = as_text(frame["text"])
    reply = texts.str.match(_LEADING_HANDLE).to_numpy(dtype=bool, copy=True)
    if "reply_to" in frame:
        reply |= frame["reply_to"].notna().to_numpy()

    def signed(text: str) -> bool:
        m = STAFF_SIGNOFF_RE.search(text)
        name = (m.group(1) or m.group(2)) if m else None
        return bool(name) and (name.isupper() or not dictionary_word(name.lower()))

    return reply & np.fromiter((signed(t) for t in texts), dtype=bool, count=len(texts))


def drop_agents(messages: pd.DataFrame, candidates: pd.DataFrame, keep_agents: bool = False,
                log=lambda msg: None) -> tuple[pd.DataFrame, dict]:
    """Brand/agent accounts (``AgentDetector``), learned from every row read, are removed from the
    candidates in support layouts (inbound flags, reply links or conversation ids) unless ``keep_agents``; elsewhere (and
    with keep_agents) they are only counted (``marked``). Returns the rows left and the manifest's
    ``agents`` section (plus ``_accounts``, the agent accounts, and ``_staff_names``, the names they sign
    with (``AgentDetector.staff_names``), for the caller to pop)."""
    detector = AgentDetector().fit(messages)
    # a side column, reply links or conversation ids (a help desk's ticket id: an agent writes in many tickets)
    support = any(col in messages and messages[col].notna().any() for col in ("inbound", "reply_to", "thread_id"))
    remove = bool(support and not keep_agents)
    report = {**detector.report(candidates, removed=remove), "support_layout": bool(support),
              "_accounts": detector.agent_accounts_, "_staff_names": detector.staff_names(messages)}
    if "inbound" in candidates:  # how many of the accounts' rows the data's side column marks as the company's too
        found = detector.agent_rows(candidates) & candidates["inbound"].eq(False).fillna(False).to_numpy()
        report["detected_marked_by_data"] = int(found.sum())
    if remove:
        candidates = detector.transform(candidates)
        # customers only: rows the data itself marks as the brand's side go too (counted apart), and messages
        # signed as only staff sign ("^AB", "*ErikS") by accounts too quiet in this data to be found
        outbound = candidates["inbound"].eq(False).fillna(False).to_numpy() if "inbound" in candidates else None
        report["removed_outbound_flag"] = int(outbound.sum()) if outbound is not None else 0
        if report["removed_outbound_flag"]:
            candidates = candidates[~outbound]
        signed = staff_signed(candidates)
        report["removed_staff_signed"] = int(signed.sum())
        candidates = candidates[~signed]
        _count_removed(report, report["removed_outbound_flag"] + report["removed_staff_signed"])
        log(f"agents: removed {report['removed']} messages of brand/agent accounts")
    return _drop_broadcast(detector, candidates, report, keep_agents, log)


def _drop_broadcast(detector: AgentDetector, candidates: pd.DataFrame, report: dict, keep_agents: bool,
                    log) -> tuple[pd.DataFrame, dict]:
    """Rows of accounts that post links only (``AgentDetector.broadcast_accounts_``) go in every layout unless
    ``keep_agents``, counted in ``report`` (``removed_broadcast``, ``broadcast_accounts``, ``broadcast_examples``)."""
    hit = detector.broadcast_rows(candidates)
    present = candidates.loc[hit, "author"].astype(str).value_counts() if hit.any() else pd.Series(dtype=int)
    report["broadcast_accounts"] = len(present)
    report["broadcast_examples"] = [{"account": str(a), "messages": int(n)} for a, n in present.head(3).items()]
    if keep_agents or not hit.any():
        report["removed_broadcast"] = 0
        return candidates, report
    report["removed_broadcast"] = int(hit.sum())
    _count_removed(report, report["removed_broadcast"])
    log(f"agents: removed {report['removed_broadcast']} messages of {len(present)} accounts that post links only")
    return candidates[~hit], report
