"""What an event persona's page lists beside its fingerprint, chosen so that it says what the fingerprint says (an
events review of KDD Cup, OULAD and Moodle, 2026-12-06): its top events (``done_more``), the separators' directions
(``said_separators``) and its example users (``typical_users``, ``examples``). ``larger_part`` is the one rule of
"a larger part of their events" that the sentences (``ml.events.profile.lift_sentence``) use too."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ml.profile.fingerprint import fmt_pct

if TYPE_CHECKING:
    from ml.events.profile import ProfileInputs


def larger_part(mine: float, everyone: float) -> bool:
    """The persona's users give an event a larger part of their events than everyone, as its sentence says it
    (``lift_sentence``: shown apart at the sentence's precision and at least 1.05 times)."""
    return fmt_pct(mine) != fmt_pct(everyone) and mine >= 1.05 * everyone


def done_more(led: list[int], events: list[str], by_event: dict[str, dict]) -> list[int]:
    """The component's events (``led``, by weight) that take a larger part of the persona's users' events than of
    everyone's: the persona's top events. KDD's "Light navigate users" listed "access" (28 % of their events against
    38 %) and "wiki" (4.3× fewer per user, 1 % against 1 %) because the component weighs them (an events review).
    None such: the component's events, as before."""
    more = [j for j in led if larger_part(by_event[events[j]]["persona_share"], by_event[events[j]]["population_share"])]
    return more or led


def said_separators(signals: dict, by_event: dict[str, dict], n: int) -> dict:
    """``SurrogateSeparator.signals`` of an event persona, keeping an event only when its direction is what the
    fingerprint's share says: the classifier reads the weighted matrix (group-scaled, ``ml.events.matrix``), whose
    means can differ where the users' shares do not (OULAD's "oucontent (more of their mix)" beside "46 % of their
    events, against 46 % of everyone's" and a bar at −0.01: an events review)."""
    def said(s: dict) -> bool:
        f = by_event.get(s["signal"])
        if f is None or f.get("persona_share") is None:
            return True
        mine, everyone = f["persona_share"], f["population_share"]
        return larger_part(mine, everyone) if s["direction"] == "higher" else larger_part(everyone, mine)
    return {**signals, "signals": [s for s in signals["signals"] if said(s)][:n]}


def typical_users(inp: ProfileInputs, mask: np.ndarray, pid: int, shares: np.ndarray) -> list[int]:
    """The persona's example users, best first: clear members (not mixed) whose event count lies within the
    persona's middle half, nearest first to the persona's mean mix (``shares``: each user's share of their events,
    L1 distance); then the other clear members by membership. By membership alone (a mix, volume removed) the first
    example of OULAD's "Heavy forumng & quiz users" (1,374 events per user) logged 12 events (an events review)."""
    idx = np.flatnonzero(mask)
    order = idx[np.argsort(-inp.membership[idx, pid], kind="stable")]
    clear = np.asarray([i for i in order if not inp.mixed[i]] or list(order))
    total = inp.counts.sum(axis=1)
    low, high = np.quantile(total[idx], [0.25, 0.75])
    middle = clear[(total[clear] >= low) & (total[clear] <= high)]
    near = np.abs(shares[middle] - shares[idx].mean(axis=0)).sum(axis=1)
    typical = middle[np.argsort(near, kind="stable")].tolist()
    return typical + [int(i) for i in clear if not low <= total[i] <= high]


def examples(inp: ProfileInputs, order: list[int], pid: int, own: list[int], n: int) -> list[dict]:
    """The first ``n`` users of ``order`` whose event mix reads differently from every one before (typical users of a
    light persona share one mix: KDD's "Light navigate users" showed "event_navigate 64%, event_access 27%,
    event_page_close 9% (of 11 events)" four times)."""
    from ml.events.profile import mix_text  # the module that imports this one

    out, seen = [], set()
    for i in order:
        text = mix_text(inp.counts[i], inp.events, also=own)
        if text in seen:
            continue
        seen.add(text)
        out.append({"member_id": str(inp.users[i]), "text": text, "similarity": round(float(inp.membership[i, pid]), 4),
                    "top_events": [{"event": inp.events[j], "count": float(inp.counts[i, j])}
                                   for j in np.argsort(-inp.counts[i], kind="stable")[:3] if inp.counts[i, j] > 0]})
        if len(out) == n:
            break
    return out
