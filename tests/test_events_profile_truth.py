"""What an event persona's page lists agrees with what its sentences say (an events review, 2026-12-06): top events
the persona gives a larger part of its events, separators in the direction of the shares, typical example users,
strategy themes on events it does clearly more."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.events.examples import done_more, said_separators, typical_users
from ml.events.profile import ProfileInputs
from ml.strategy.events import doing_more


def _fp(event: str, mine: float, everyone: float, std_diff: float = 0.0) -> dict:
    return {"feature": event, "group": "event", "persona_share": mine, "population_share": everyone,
            "std_diff": std_diff}


def test_top_events_are_those_the_persona_gives_a_larger_part_of_its_events():
    """KDD's "Light navigate users": the component weighs navigate, access and wiki; access is 28 % of their events
    against 38 %, wiki 1 % against 1 % (1.24 % against 1.02 %): only navigate is listed."""
    events = ["event_navigate", "event_access", "event_wiki"]
    by_event = {"event_navigate": _fp("event_navigate", 0.64, 0.23), "event_access": _fp("event_access", 0.28, 0.38),
                "event_wiki": _fp("event_wiki", 0.0124, 0.0102)}
    assert done_more([0, 1, 2], events, by_event) == [0]
    none_larger = {e: _fp(e, 0.3, 0.3) for e in events}
    assert done_more([2, 0], events, none_larger) == [2, 0]  # none larger: the component's events, in its order


def test_separators_keep_only_the_direction_the_shares_say():
    by_event = {"oucontent": _fp("oucontent", 0.46, 0.46), "forumng": _fp("forumng", 0.20, 0.10),
                "quiz": _fp("quiz", 0.05, 0.10)}
    signals = {"accuracy": 0.9, "signals": [
        {"signal": "oucontent", "kind": "feature", "importance": 1.45, "direction": "higher"},  # 46 % vs 46 %
        {"signal": "forumng", "kind": "feature", "importance": 1.0, "direction": "higher"},
        {"signal": "quiz", "kind": "feature", "importance": 0.8, "direction": "higher"},  # a smaller part: dropped
        {"signal": "quiz", "kind": "feature", "importance": 0.5, "direction": "lower"},
    ]}
    kept = said_separators(signals, by_event, 8)
    assert [(s["signal"], s["direction"]) for s in kept["signals"]] == [("forumng", "higher"), ("quiz", "lower")]
    assert kept["accuracy"] == 0.9
    assert len(said_separators(signals, by_event, 1)["signals"]) == 1


def test_example_users_are_typical_in_volume_and_mix():
    """By membership alone a user of 12 events came first in a persona of 1,374 events per user."""
    counts = np.array([[12, 0], [900, 100], [1000, 120], [1100, 90], [5000, 10], [800, 200]], dtype=float)
    membership = np.array([[0.99, 0.01], [0.8, 0.2], [0.7, 0.3], [0.75, 0.25], [0.95, 0.05], [0.6, 0.4]])
    n = len(counts)
    inp = ProfileInputs(users=np.array([f"u{i}" for i in range(n)]), events=["a", "b"], counts=counts, X=counts,
                        components=np.eye(2), membership=membership, labels=np.zeros(n, dtype=int),
                        mixed=np.zeros(n, dtype=bool), rows=pd.DataFrame(), resolution="none")
    shares = counts / counts.sum(axis=1, keepdims=True)
    order = typical_users(inp, np.ones(n, dtype=bool), 0, shares)
    total = counts.sum(axis=1)
    low, high = np.quantile(total, [0.25, 0.75])
    assert low <= total[order[0]] <= high and order[0] != 0  # not the 12-event user
    assert sorted(order) == list(range(n))  # every member still listed, the others after
    outside = {i for i in range(n) if not low <= total[i] <= high}
    assert {0, 4} <= outside and set(order[-len(outside):]) == outside  # the lightest and the heaviest come last


def test_strategy_themes_are_events_done_clearly_more():
    """"Show their progress on “event_wiki”" for a persona that gives wiki 1.24 % of its events against 1.02 % (std
    difference 0.07) and logs it 4.3× less per user: a theme needs the name's rule (0.5 standard deviations)."""
    profile = {"kind": "events", "fingerprint": [_fp("event_navigate", 0.64, 0.23, 2.2),
                                                 _fp("event_wiki", 0.0124, 0.0102, 0.07),
                                                 _fp("event_access", 0.28, 0.38, -0.7)]}
    assert doing_more(profile) == {"event_navigate"}
    weak_only = {"kind": "events", "fingerprint": [_fp("a", 0.31, 0.30, 0.1), _fp("b", 0.2, 0.3, -0.3)]}
    assert doing_more(weak_only) == {"a"}  # none clearly: at least everyone's share, as the name's rule


def test_example_users_read_differently_from_each_other():
    """Typical users of a light persona share one mix: the page showed the same line four times."""
    from ml.events.examples import examples

    counts = np.array([[7, 3], [7, 3], [14, 6], [6, 4], [7, 3]], dtype=float)
    n = len(counts)
    inp = ProfileInputs(users=np.array([f"u{i}" for i in range(n)]), events=["a", "b"], counts=counts, X=counts,
                        components=np.eye(2), membership=np.full((n, 2), 0.5), labels=np.zeros(n, dtype=int),
                        mixed=np.zeros(n, dtype=bool), rows=pd.DataFrame(), resolution="none")
    shown = examples(inp, list(range(n)), 0, [0], 6)
    assert [e["member_id"] for e in shown] == ["u0", "u2", "u3"]  # u1 and u4 read as u0 ("a 70%, b 30% (of 10)")
    assert len({e["text"] for e in shown}) == len(shown)
    assert len(examples(inp, list(range(n)), 0, [0], 2)) == 2


def test_a_persona_of_mostly_mixed_users_does_not_read_as_standing_apart():
    """An events review: "It stands apart: … correctly 100% of the time" on a persona 64 % of whose users were flagged
    as mixed between personas. From a quarter of mixed users the sentence says so and points to the clear users."""
    from ml.events.profile import _separation

    mixed = _separation({"size": 100, "core_size": 36, "reassigned_count": 64}, 1.0)
    assert "stands apart" not in mixed and "64% of its users are flagged as mixed" in mixed
    assert "read it by its 36 clear users" in mixed and "correctly 100% of the time" in mixed
    clear = _separation({"size": 100, "core_size": 90, "reassigned_count": 10}, 0.95)
    assert clear.startswith("It stands apart:") and "flagged as mixed" not in clear


def test_a_run_with_a_quarter_or_more_mixed_users_says_what_that_means():
    """OULAD BBB 2014J's two personas left 35 % of the users within the margin of both, and the CLI printed "mixed
    35.3%" with nothing beside it."""
    from ml.events.cli import _summary
    from ml.events.profile import mixed_note

    assert mixed_note(0.2478) == "" and mixed_note(None) == ""
    assert mixed_note(0.3528).startswith(" (a quarter or more: these users' event mixes sit nearly as close")
    m = {"counts": {"input": 100, "kept": 40, "event_types": 9, "personas": 2},
         "metrics": {"k_selection": [], "mixed_share": 0.3528, "silhouette": 0.19, "stability_ari": 0.95}}
    line = next(str(x) for x in _summary(None, m) if isinstance(x, str) and "personas; mixed" in x)
    assert "mixed 35.3% (a quarter or more" in line and "clear or mixed)" in line
