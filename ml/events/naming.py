"""Names for event personas, from the persona's top events as a person would shorten them.

``EventNamer().fit(events)`` reads the run's event vocabulary; ``name(top_events, volume)`` names a persona from
its top events (``[{event, weight}]``, best first) and, optionally, its volume (persona vs population mean count).

Rules (the conversation namer's, ``ml.profile.naming``, applied to event labels):
- only events the persona's users do at least as much as everyone (``above``: the persona gives the event at
  least everyone's share of its events, ``ml.events.profile._above``), while there is one: a name never says what
  the persona does less;
- an event's label is its last ``|`` part with underscores read as spaces and no closing full stop
  ("page_close" → "page close", "Assignment|Submission form viewed." → "Submission form viewed"), or all its
  parts when the last is shared by several events ("Folder|Course module viewed" → "Folder course module");
- words in more than half of the run's event labels (and in five or more) are left out, as words in most
  documents weigh nothing in tf-idf (Moodle writes "viewed" in 13 of its 16 labels: "Discussion viewed" →
  "Discussion"); with a few event types a shared word is the topic, not the structure ("login" in "login" and
  "login_failed" of three), so it stays; so are stop words left out, and a label that keeps none of its words
  gives no part;
- no stem twice in a name, "users" included ("Grade user report viewed" → "grade report");
- a second event joins the first ("Discussion & grade report") when it is about something else (it shares no
  content word with the first: "Quiz attempt viewed" after "Quiz attempt summary viewed" is passed over) and
  the name stays within four content words, each part at most three words and 28 characters (one longer word
  is cut, with "…");
- "Heavy" / "Light" when the persona's users log ≥ ``heavy`` / ≤ ``light`` × the population's events;
- "Typical users (…)" for a persona that no event and not its volume sets apart (``baseline``): the run's
  baseline, which its description says too.

Labels written in capitals as codes ("ADD_TO_CART") read lower case. Learned: ``common_stems_`` (the stems left out of every name), ``shared_labels_`` (last parts several events
share) and ``n_events_``.
"""

from __future__ import annotations

import re

from ml.profile.stems import stem
from ml.profile.terms import STOP_WORDS

_TOKEN_RE = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")  # words of letters or digits; "_" separates
SUFFIX = "users"


def label_words(event: str, whole: bool = False) -> list[str]:
    """The words of an event's label as it reads in a name: its last "|" part (``whole``: every part), "_" as a
    space."""
    parts = [p.strip().rstrip(".") for p in str(event).split("|")]
    return _TOKEN_RE.findall(" ".join(parts) if whole else parts[-1])


def _last(event: str) -> str:
    """An event's label: its last "|" part, without a closing full stop."""
    return str(event).split("|")[-1].strip().rstrip(".")


def _stem(word: str) -> str:
    return stem(word.lower())


class EventNamer:
    """See the module docstring."""

    def __init__(self, max_words: int = 4, max_part_words: int = 3, max_chars: int = 28, common_share: float = 0.5,
                 min_common: int = 5, heavy: float = 1.5, light: float = 0.67):
        self.max_words = max_words
        self.min_common = min_common
        self.max_chars = max_chars
        self.max_part_words = max_part_words
        self.common_share = common_share
        self.heavy = heavy
        self.light = light

    def fit(self, events: list[str]) -> EventNamer:
        lasts = [_last(e).lower() for e in events]
        self.shared_labels_ = {x for x in lasts if lasts.count(x) > 1}
        labels = [{_stem(w) for w in self.words(e)} for e in events]
        counts: dict[str, int] = {}
        for stems in labels:
            for s in stems:
                counts[s] = counts.get(s, 0) + 1
        self.n_events_ = len(labels)
        self.common_stems_ = {s for s, c in counts.items()
                              if c > self.common_share * len(labels) and c >= self.min_common}
        return self

    def words(self, event: str) -> list[str]:
        """The label's words; every part's when the last one is shared by several events of the run (Moodle's
        "Course module viewed" under File, Folder, Forum and Quiz: "Folder Course module viewed")."""
        return label_words(event, whole=_last(event).lower() in getattr(self, "shared_labels_", ()))

    def part(self, event: str, used: set[str]) -> list[str]:
        """The words of ``event`` a name may use: no stop word, no run-common word, no stem already ``used``;
        at most ``max_part_words``."""
        words = [w for w in self.words(event)
                 if w.lower() not in STOP_WORDS and _stem(w) not in self.common_stems_ | used]
        seen, out, code = set(), [], _is_code(event)
        for w in words:  # one stem once within a part too; "Course" → "course", "URL" and "iPad" kept
            if _stem(w) not in seen:
                seen.add(_stem(w))
                out.append(w.lower() if code or (w[:1].isupper() and w[1:].islower()) else w)
        out = out[: self.max_part_words]
        while len(out) > 1 and len(" ".join(out)) > self.max_chars:
            out.pop()
        return [f"{out[0][: self.max_chars - 1]}…"] if out and len(out[0]) > self.max_chars else out

    def parts(self, top: list[dict], above: dict[str, bool] | None = None) -> list[str]:
        """The name's phrases, best first: the first event that gives words, then the next one about something
        else (no content word shared with the first: "Quiz attempt reviewed" after "Quiz attempt summary" is the
        same thing seen again) while the name stays within ``max_words``; the remaining events' phrases follow
        (for clashes). With ``above`` (event → the persona's users give it at least the population's share of
        their events), the name takes only such events while there is one, so it never names what the persona
        does less than everyone else."""
        if above and any(above.get(t["event"]) for t in top):
            top = [t for t in top if above.get(t["event"])]
        used, named, out, n_words = {_stem(SUFFIX)}, set(), [], 0
        for t in top:
            words = self.part(t["event"], used)
            if not words:
                continue
            if len(out) < 2:
                own = {_stem(w) for w in self.words(t["event"]) if w.lower() not in STOP_WORDS}
                if own & named or n_words + len(words) > self.max_words:
                    continue  # a variant of a part already named, or too long to join the name
                n_words += len(words)
                named |= {_stem(w) for w in words}
            used |= {_stem(w) for w in words}
            out.append(" ".join(words))
        return out

    def _fallback(self, top: list[dict]) -> str:
        """No top event left a word: the first event's own words (run-common ones too), never "user" before
        "users"; "general" when none is left."""
        if not top:
            return "general"
        code = _is_code(top[0]["event"])
        words = [w.lower() if code or w[1:].islower() else w for w in self.words(top[0]["event"])
                 if _stem(w) != _stem(SUFFIX) and w.lower() not in STOP_WORDS]
        return " ".join(words[: self.max_part_words]) or "general"

    def adjective(self, volume: dict | None) -> str | None:
        if not volume or volume["population_count_mean"] <= 0:
            return None
        ratio = volume["persona_count_mean"] / volume["population_count_mean"]
        return "Heavy" if ratio >= self.heavy else "Light" if ratio <= self.light else None

    def name(self, top: list[dict], volume: dict | None = None,
             above: dict[str, bool] | None = None, baseline: bool = False) -> tuple[str, list[str]]:
        """The persona's name and the phrases left over (``unique_names`` adds one on a clash). ``baseline``: no
        event and not its volume sets its users apart (``ml.events.profile.is_baseline``): "Typical users (quiz &
        forumng)", not "Quiz & forumng users" for 82 % of OULAD GGG's users, whose shares of both were everyone's."""
        phrases = self.parts(top, above)
        core = " & ".join(phrases[:2]) if phrases else self._fallback(top)
        if baseline:
            return f"Typical {SUFFIX} ({core})", phrases[2:]
        adj = self.adjective(volume)
        if adj:
            return f"{adj} {core} {SUFFIX}", phrases[2:]
        return f"{core[0].upper()}{core[1:]} {SUFFIX}", phrases[2:]


def _is_code(event: str) -> bool:
    """An event label written in capitals as a code ("ADD_TO_CART", "PAGE_VIEW"): its words read lower case. A
    single word of four letters or fewer ("URL", "FAQ") is an acronym and keeps its capitals."""
    letters = [c for c in _last(event) if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters) and (len(label_words(event)) > 1 or len(letters) > 4)
