"""Behavioral fingerprint: each of the 36 features, persona vs population, in plain words.

Input: the raw (n, 36) feature matrix in ``FEATURE_NAMES`` order (NaN = missing) and persona labels.
For every feature: NaN-aware persona mean, population mean and std, and the standardized difference
``(persona mean − population mean) / population std``. A feature with no values, or with zero spread,
gets ``std_diff = None`` and the sentence "not available" and is never highlighted. Sentences use the raw
scale: shares as percentages, log1p features converted back with ``expm1`` and compared as a ratio
("replies 2.3× deeper in threads than average (typically 2.3 vs 1.0 levels)": the mean of log1p turned back is a
geometric mean, the typical value, which a few very long threads or prolific authors do not drag up as they do an
arithmetic mean; "typically" says so), the two hour features as a circular mean hour.
Sentences about the clock (hours, night, weekday/weekend shares) name the run's time basis
(``BehavioralFingerprint(time_basis=...)``, ``ml.ingest.timebasis``): "between 22:00 and 05:59 UTC".
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ml.ingest.timebasis import clock_words, day_clock

# CONTRACTS §7: (name, group), in column order. Used when ml.features.behavioral is not importable.
_CONTRACT_FEATURES = [
    ("hour_sin", "temporal"), ("hour_cos", "temporal"), ("night_share", "temporal"),
    ("business_hours_share", "temporal"), ("weekend_share", "temporal"),
    ("author_span_days_log", "temporal"), ("author_msgs_per_active_day_log", "temporal"),
    ("author_median_gap_hours_log", "temporal"), ("reply_delay_min_log", "temporal"),
    ("is_reply", "interaction"), ("thread_depth_log", "interaction"), ("thread_size_log", "interaction"),
    ("got_response", "interaction"), ("response_latency_min_log", "interaction"),
    ("author_msg_count_log", "interaction"), ("author_thread_count_log", "interaction"),
    ("author_turn_share", "interaction"), ("followup_share", "interaction"),
    ("chars_log", "style"), ("words_log", "style"), ("mean_word_len", "style"), ("upper_ratio", "style"),
    ("exclaim_log", "style"), ("question_log", "style"), ("repeated_punct", "style"),
    ("emoji_log", "style"), ("digit_ratio", "style"), ("has_url", "style"), ("politeness", "style"),
    ("first_person_ratio", "style"), ("mentions_log", "network"), ("hashtags_log", "network"),
    ("author_counterparts_log", "network"), ("author_addressed_accounts_log", "network"),
    ("author_replies_received_log", "network"), ("author_reply_share", "network"),
]


def feature_specs() -> list[tuple[str, str]]:
    """(name, group) per feature column, from ``ml.features.behavioral.FEATURE_SPECS`` when available."""
    try:
        from ml.features.behavioral import FEATURE_SPECS
    except ImportError:
        return list(_CONTRACT_FEATURES)
    return [(s.name, s.group) for s in FEATURE_SPECS]


# share features: "{text}" with {p} persona %, {q} population %
SHARE_TEMPLATES = {
    "night_share": "posts {p} of messages between 22:00 and 05:59 {clock} (population {q})",
    "business_hours_share": "posts {p} of messages Mon–Fri 09:00–17:59 {clock} (population {q})",
    "weekend_share": "posts {p} of messages on Saturday or Sunday{days} (population {q})",
    "is_reply": "replies to someone in {p} of its messages (population {q})",
    "got_response": "gets a reply to {p} of messages (population {q})",
    "author_turn_share": "writes {p} of the messages in their threads (population {q})",
    "followup_share": "follows up on a reply in {p} of messages (population {q})",
    "upper_ratio": "writes {p} of letters in capitals (population {q})",
    "repeated_punct": "uses repeated punctuation (!!, ??, ...) in {p} of messages (population {q})",
    "digit_ratio": "uses digits for {p} of characters (population {q})",
    "has_url": "includes a link in {p} of messages (population {q})",
    "politeness": "says please or thanks in {p} of messages (population {q})",
    "first_person_ratio": "uses I/me/my/we/our for {p} of words (population {q})",
    "author_reply_share": "has authors who, across all their messages in the data (this persona's and others'), "
                          "reply {p} of the time (population {q})",
}
# log1p features: (subject, more-word, less-word, unit) → "… {r}× {more|less} … ({a} vs {b} unit)"
LOG_TEMPLATES = {
    "author_span_days_log": ("has authors active over {r}× {w} spans than average", "longer", "shorter", "days"),
    "author_msgs_per_active_day_log": ("posts {r}× {w} messages per active day than average", "more",
                                       "fewer", "messages"),
    "author_median_gap_hours_log": ("waits {r}× {w} between messages than average", "longer", "shorter",
                                    "hours"),
    # the member's own reply to the message it answers ("answers 25.5× slower" read as the company being slow)
    "reply_delay_min_log": ("waits {r}× {w} before answering than average", "longer", "shorter", "minutes"),
    "thread_depth_log": ("replies {r}× {w} in threads than average", "deeper", "shallower", "levels"),
    "thread_size_log": ("sits in threads {r}× {w} than average", "longer", "shorter", "messages"),
    "response_latency_min_log": ("waits {r}× {w} for a first reply than average", "longer", "shorter",
                                 "minutes"),
    "author_msg_count_log": ("has authors who write {r}× {w} messages than average", "more", "fewer",
                             "messages"),
    "author_thread_count_log": ("has authors who join {r}× {w} threads than average", "more", "fewer",
                                "threads"),
    "chars_log": ("writes {r}× {w} messages than average", "longer", "shorter", "characters"),
    "words_log": ("uses {r}× {w} words per message than average", "more", "fewer", "words"),
    "exclaim_log": ("uses {r}× {w} exclamation marks than average", "more", "fewer", "per message"),
    "question_log": ("asks {r}× {w} questions than average", "more", "fewer", "question marks"),
    "emoji_log": ("uses {r}× {w} emoji than average", "more", "fewer", "per message"),
    "mentions_log": ("@mentions {r}× {w} accounts than average", "more", "fewer", "per message"),
    "hashtags_log": ("uses {r}× {w} hashtags than average", "more", "fewer", "per message"),
    "author_counterparts_log": ("has authors who talk with {r}× {w} people than average", "more", "fewer",
                                "counterparts"),
    "author_addressed_accounts_log": ("has authors who address {r}× {w} accounts than average", "more",
                                      "fewer", "accounts"),
    "author_replies_received_log": ("has authors who receive {r}× {w} replies than average", "more", "fewer",
                                    "replies"),
}

# counts per message that most messages do not have (most tweets hold no "!"): said as the share of members with any,
# "uses exclamation marks in 14% of messages (population 2%)", when fewer than half of the persona's or everyone's
# members have one; a "typical" 0.16 vs 0.026 per message said nothing a reader could picture (a review, 2026-12-05)
ANY_TEMPLATES = {  # worded as the share features are ("includes a link in 49% of messages")
    "exclaim_log": "uses exclamation marks in {p} of messages (population {q})",
    "question_log": "asks a question (?) in {p} of messages (population {q})",
    "emoji_log": "uses emoji in {p} of messages (population {q})",
    "mentions_log": "@mentions an account in {p} of messages (population {q})",
    "hashtags_log": "uses hashtags in {p} of messages (population {q})",
}

# features whose behaviour a member shows or not (a count, share or ratio above zero): each entry carries
# ``any_share``, the share of the persona's members (with a value) who show it at all, which a behaviour word in a
# name needs to be most of (ml.profile.behavior_words)
PRESENCE_FEATURES = frozenset({*ANY_TEMPLATES, "politeness", "has_url", "repeated_punct", "digit_ratio",
                               "night_share", "business_hours_share", "weekend_share", "first_person_ratio",
                               "upper_ratio", "author_span_days_log"})
# a presence that starts above zero: an author "comes back" once their span reaches a day (log1p(1)), not at any
# second message the same hour ("Repeat-contact", ml.profile.behavior_words)
PRESENCE_FROM = {"author_span_days_log": float(np.log1p(1))}

# the same log features when the ratio rounds to 1.0 ("uses 1.0× fewer words" says nothing)
ABOUT_SAME = {
    "author_span_days_log": "has authors active over about the same span as average",
    "author_msgs_per_active_day_log": "posts about as many messages per active day as average",
    "author_median_gap_hours_log": "waits about as long between messages as average",
    "reply_delay_min_log": "waits about as long before answering as average",
    "thread_depth_log": "replies about as deep in threads as average",
    "thread_size_log": "sits in threads about as long as average",
    "response_latency_min_log": "waits about as long for a first reply as average",
    "author_msg_count_log": "has authors who write about as many messages as average",
    "author_thread_count_log": "has authors who join about as many threads as average",
    "chars_log": "writes messages about as long as average",
    "words_log": "uses about as many words per message as average",
    "exclaim_log": "uses about as many exclamation marks as average",
    "question_log": "asks about as many questions as average",
    "emoji_log": "uses about as many emoji as average",
    "mentions_log": "@mentions about as many accounts as average",
    "hashtags_log": "uses about as many hashtags as average",
    "author_counterparts_log": "has authors who talk with about as many people as average",
    "author_addressed_accounts_log": "has authors who address about as many accounts as average",
    "author_replies_received_log": "has authors who receive about as many replies as average",
}


def fmt_pct(x: float) -> str:
    """"37%"; a share under 1 % keeps two significant digits ("0.4%", "0.04%"), so a persona beside a population
    of "0%" does not read as a contradiction."""
    if 0 < abs(x) < 0.01:
        return f"{100 * x:.2g}%"
    return f"{100 * x:.0f}%"


def fmt_num(x: float) -> str:
    """"2.1", "1,250"; a value under 1 keeps two significant digits ("0.15", "0.032"), so "1.5× fewer questions"
    does not stand beside "0.2 vs 0.2", nor "64.9× more emoji" beside "0.0"."""
    if 0 < abs(x) < 0.995:  # 0.995 and up round to "1.0" either way
        return f"{x:.2g}"
    return f"{x:.1f}" if abs(x) < 100 else f"{x:,.0f}"


def _circular_hour(sin_mean: float, cos_mean: float) -> int:
    return round((math.atan2(sin_mean, cos_mean) % (2 * math.pi)) * 24 / (2 * math.pi)) % 24


def describe_feature(name: str, p: float, q: float, extra: dict | None = None,
                     time_basis: str | None = None) -> str:
    """Plain-words sentence comparing persona value ``p`` with population value ``q`` (raw scale);
    hours and days say their clock (``time_basis``: "UTC", "local", an IANA zone, None = unknown)."""
    if name in SHARE_TEMPLATES:
        days = day_clock(time_basis)
        return SHARE_TEMPLATES[name].format(p=fmt_pct(p), q=fmt_pct(q), clock=clock_words(time_basis), days=days)
    shares = (extra or {}).get("any", {}).get(name)
    # the share with any, where most lack one, and where it differs the way the counts do (10 % writing "!!!"
    # against 27 % writing one "!" is more "!" but fewer members with any: then the counts are said)
    if (name in ANY_TEMPLATES and shares is not None and min(shares) < 0.5
            and (shares[0] - shares[1]) * (p - q) > 0):
        return ANY_TEMPLATES[name].format(p=fmt_pct(shares[0]), q=fmt_pct(shares[1]))
    if name in LOG_TEMPLATES:
        text, more, less, unit = LOG_TEMPLATES[name]
        a, b = math.expm1(p), math.expm1(q)
        if b > 1e-9 and a > 1e-9:
            ratio = a / b
            r, w = (ratio, more) if ratio >= 1 else (1 / ratio, less)
            if r < 1.05:  # "1.0× fewer" says nothing: the typical values are what there is to say
                return f"{ABOUT_SAME.get(name, 'is about the same as average')} (typically {fmt_num(a)} vs {fmt_num(b)} {unit})"
            return text.format(r=f"{r:.1f}", w=w) + f" (typically {fmt_num(a)} vs {fmt_num(b)} {unit})"
        w = more if a >= b else less
        return text.format(r="", w=w).replace(" × ", " ").replace("× ", "") + (
            f" (typically {fmt_num(a)} vs {fmt_num(b)} {unit})"
        )
    if name in ("hour_sin", "hour_cos") and extra:
        hp, hq = extra.get("persona_hour"), extra.get("population_hour")
        if hp is not None and hq is not None:
            clock = clock_words(time_basis)
            # the hours' circular mean, not the busiest hour: "typically posts around 21:00" beside the activity
            # panel's "busiest at 22:00" read as a contradiction (an analyst review)
            return f"posts at about {hp:02d}:00 {clock} on average over the day (population {hq:02d}:00 {clock})"
    if name == "mean_word_len":
        return f"uses words of {p:.1f} letters on average (population {q:.1f})"
    return f"{name.replace('_', ' ')} is {p:.2f} (population {q:.2f})"


class BehavioralFingerprint:
    """NaN-aware standardized differences per persona.

    ``fit(features, labels)``: features (n, n_features) raw matrix, labels (n,). Learns
    ``population_mean_``, ``population_std_`` and ``names_``/``groups_``. ``profile(persona_id)`` returns
    the list of ``{feature, group, persona_mean, population_mean, std_diff, coverage, sentence}`` and
    ``highlights(fingerprint, n, min_effect, min_coverage)`` the strongest plain-word sentences.
    """

    def __init__(self, names: list[str] | None = None, groups: list[str] | None = None,
                 time_basis: str | None = None):
        self.names = names
        self.groups = groups
        self.time_basis = time_basis

    def fit(self, features, labels) -> BehavioralFingerprint:
        X = np.asarray(features, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"features must be a 2-D (members × features) matrix, got shape {X.shape}")
        specs = feature_specs()
        names = self.names or [n for n, _ in specs]
        groups = self.groups or [g for _, g in specs]
        if X.shape[1] != len(names):
            raise ValueError(
                f"features has {X.shape[1]} columns but {len(names)} feature names are known; "
                "pass the raw matrix in ml.features.behavioral.FEATURE_NAMES order"
            )
        self.names_, self.groups_ = list(names), list(groups)
        self.X_ = X
        # everyone's share of members with any, of the counts said that way (ANY_TEMPLATES): once, not per persona
        self.population_any_ = {n: _any_share(X[:, k]) for k, n in enumerate(self.names_) if n in ANY_TEMPLATES}
        self.labels_ = np.asarray(labels)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            self.population_mean_ = np.nanmean(X, axis=0) if len(X) else np.full(X.shape[1], np.nan)
            self.population_std_ = np.nanstd(X, axis=0) if len(X) else np.full(X.shape[1], np.nan)
        return self

    def profile(self, persona_id) -> list[dict]:
        if not hasattr(self, "X_"):
            raise RuntimeError("BehavioralFingerprint is not fitted: call fit(features, labels) first")
        sub = self.X_[self.labels_ == persona_id]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            pm = np.nanmean(sub, axis=0) if len(sub) else np.full(self.X_.shape[1], np.nan)
        coverage = (~np.isnan(sub)).mean(axis=0) if len(sub) else np.zeros(self.X_.shape[1])
        t_stat = self._t_stat(sub, pm)
        idx = {n: i for i, n in enumerate(self.names_)}
        hours = {}
        if "hour_sin" in idx and "hour_cos" in idx:
            s, c = idx["hour_sin"], idx["hour_cos"]
            if np.isfinite([pm[s], pm[c], self.population_mean_[s], self.population_mean_[c]]).all():
                hours = {
                    "persona_hour": _circular_hour(pm[s], pm[c]),
                    "population_hour": _circular_hour(self.population_mean_[s], self.population_mean_[c]),
                }
        hours["any"] = {n: (_any_share(sub[:, idx[n]]), q) for n, q in self.population_any_.items() if len(sub)}
        out = []
        for j, name in enumerate(self.names_):
            p, q, sd = pm[j], self.population_mean_[j], self.population_std_[j]
            present = (_any_share(sub[:, j], PRESENCE_FROM.get(name, 0.0))
                       if name in PRESENCE_FEATURES and coverage[j] > 0 else None)
            available = np.isfinite(p) and np.isfinite(q) and np.isfinite(sd) and sd > 1e-12
            out.append({
                "feature": name,
                "group": self.groups_[j],
                "persona_mean": float(p) if np.isfinite(p) else None,
                "population_mean": float(q) if np.isfinite(q) else None,
                "std_diff": float((p - q) / sd) if available else None,
                "coverage": float(coverage[j]),
                "any_share": present,
                "t_stat": float(t_stat[j]) if available and np.isfinite(t_stat[j]) else None,
                "sentence": (describe_feature(name, float(p), float(q), hours, self.time_basis)
                             if available else "not available"),
            })
        return out

    def _t_stat(self, sub: np.ndarray, pm: np.ndarray) -> np.ndarray:
        """Per feature, (persona mean − population mean) over its standard error, taken from the wider of the
        persona's and the population's spreads (so a persona whose members all share one value is not "sure"):
        a difference that one member of 22 makes has |t| about 1."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            n = (~np.isnan(sub)).sum(axis=0)
            spread = np.fmax(np.nanstd(sub, axis=0) if len(sub) else np.nan, self.population_std_)
            return (pm - self.population_mean_) / (spread / np.sqrt(np.maximum(n, 1)))


def _any_share(col: np.ndarray, start: float = 0.0) -> float:
    """Share of the values (NaN left out) above zero (at ``start`` or more, where it is above zero); 0.0 for none."""
    vals = col[~np.isnan(col)]
    if not len(vals):
        return 0.0
    return float((vals >= start).mean() if start > 0 else (vals > 0).mean())


# |std_diff| a behaviour needs before it is said in words (highlights, descriptions, the strategy's "match how
# they write" and channel and tone choices): Cohen's "medium" effect, a published convention, not a fitted value.
# At his "small" 0.2, 48 of 304 highlights of a Banking77 run were under 0.3 ("writes 4% of letters in capitals
# (population 5%)"); the fingerprint chart still shows every feature (docs/profiles.md, "Effects said in words").
SAID_EFFECT = 0.5
MIN_COVERAGE = 0.2  # share of a persona's members with a value before a behaviour is said of it (profile config)
# |t_stat| a behaviour also needs: the difference at least twice its standard error (about 95 %, a convention).
# "Polite" was said of 22 members on the strength of one "pls" (5 % against 0.2 %: std_diff 1.1, t 1.0)
MIN_T = 2.0


def said(f: dict, min_effect: float = SAID_EFFECT, min_coverage: float = MIN_COVERAGE) -> bool:
    """Whether fingerprint entry ``f`` is a behaviour to say in words: |std_diff| ≥ ``min_effect``, measured on at
    least ``min_coverage`` of the members, |t_stat| ≥ ``MIN_T`` (entries of runs before 2026-12-05 carry no
    t_stat: not checked), and for a count or length a ratio worth saying (``_ratio_ok``)."""
    return (f.get("std_diff") is not None and abs(f["std_diff"]) >= min_effect
            and (f.get("coverage") is None or f["coverage"] >= min_coverage)
            and (f.get("t_stat") is None or abs(f["t_stat"]) >= MIN_T) and _ratio_ok(f))


def _ratio_ok(f: dict) -> bool:
    """A count or length (``*_log``) said as a ratio of typical values needs the names' ``RATIO_FLOOR`` (half as
    much again, or two thirds or less: "1.2× more threads (1.2 vs 1.0)" led a persona's highlights above "gets a
    reply to 47% of messages (population 83%)"), and a typical value of at least 0.1 on both sides ("33.2×
    shallower in threads (typically 0.031 vs 1.0 levels)": a typical member of the persona has none). A count
    said as the share of messages that have any (``ANY_TEMPLATES``, where most lack one) is not a ratio."""
    from ml.profile.behavior_words import below_ratio_floor

    name, p, q = f.get("feature") or "", f.get("persona_mean"), f.get("population_mean")
    if not name.endswith("_log") or p is None or q is None:
        return True
    a, b = math.expm1(p), math.expm1(q)
    if name in ANY_TEMPLATES and min(a, b) < 0.5:  # most lack one: said as a share (describe_feature)
        return True
    return min(a, b) >= 0.1 and not below_ratio_floor(a, b)


def highlights(fingerprint: list[dict], n: int = 4, min_effect: float = SAID_EFFECT,
               min_coverage: float = MIN_COVERAGE) -> list[dict]:
    """The ``n`` entries with the largest |std_diff| that are ``said``, one sentence each."""
    ok = [f for f in fingerprint if said(f, min_effect, min_coverage)]
    ok.sort(key=lambda f: -abs(f["std_diff"]))
    seen, out = set(), []
    for f in ok:
        if f["sentence"] in seen:
            continue
        seen.add(f["sentence"])
        out.append(f)
        if len(out) >= n:
            break
    return out
