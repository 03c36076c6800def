"""A continuing persona keeps its lineage's name only while the name still describes it (``ml.lineage.names``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.lineage import LineageConfig, compare_runs
from ml.lineage.names import (
    behaviour_holds,
    common_stems,
    distinct_names,
    event_name_still_fits,
    name_still_describes,
    name_still_fits,
    names_keep_their_lineages,
)
from ml.lineage.snapshot import RunSnapshot
from ml.runtime.contracts.compare import NewPersona, ShareCI


def _profile(terms: list[str], ngrams: list[str] = (), fingerprint: list[dict] = ()) -> dict:
    return {"top_terms": [{"term": t} for t in terms], "top_ngrams": [{"term": g} for g in ngrams],
            "fingerprint": list(fingerprint)}


POLITE = {"feature": "politeness", "std_diff": 1.4, "persona_mean": 0.3, "population_mean": 0.05}
WEAKLY_POLITE = {**POLITE, "std_diff": 0.4}


def test_a_name_fits_while_its_words_and_behaviour_word_still_hold():
    cancelled = _profile(["cancelled", "morning", "flight", "night"], ["flight was cancelled"])
    assert name_still_fits("Flight was Cancelled", cancelled)
    assert not name_still_fits("Thanks & connecting flight", cancelled)  # 1 of 3 stems
    assert name_still_fits("Cancelled & rebooked", cancelled)  # 1 of 2: half
    # the behaviour word must still be measured, in its direction, at the namer's effect size
    assert not name_still_fits("Polite: cancelled flight", {**cancelled, "fingerprint": [WEAKLY_POLITE]})
    assert name_still_fits("Polite: cancelled flight", {**cancelled, "fingerprint": [POLITE]})
    assert not behaviour_holds("Polite", [{**POLITE, "std_diff": -1.4}])
    # nor one member's "pls" kept by a series (a diff review: std_diff 1.1 but t 1.0 held the old name)
    assert not behaviour_holds("Polite", [{**POLITE, "std_diff": 1.1, "t_stat": 1.0}])
    assert behaviour_holds("Polite", [{**POLITE, "t_stat": 4.0}])
    assert name_still_fits("Submission form users", {"fingerprint": []})  # no terms (event runs): not judged


def test_words_of_most_personas_are_no_evidence():
    profiles = [_profile(["flight", "bag"]), _profile(["flight", "seat"]), _profile(["flight", "refund"])]
    common = common_stems(profiles)
    assert common == {"flight"}
    assert name_still_fits("Flight & bag", profiles[0], common)
    assert not name_still_fits("Change flight", profiles[0], common)  # "flight" says nothing; "change" is gone
    assert name_still_fits("Change flight", profiles[0])  # without the run's common words it would have passed


def _record(pid: int, name: str, own: str) -> NewPersona:
    share = ShareCI(count=10, share=0.1, low=0.05, high=0.15)
    return NewPersona(id=pid, name=name, own_name=own, lineage_id=f"r/{pid}", status="continued", now=share,
                      then=share, reason="matched")


def test_a_kept_name_never_repeats_another_personas_name():
    out = distinct_names([_record(0, "Customer service", "Phone & hold"), _record(1, "Customer service",
                                                                                   "Customer service")])
    assert [p.name for p in out] == ["Phone & hold", "Customer service"]
    assert out[0].renamed_from == "Customer service" and out[1].renamed_from is None
    # a name given back can clash with another kept name: resolved too (A keeps X, own Y; B is X; C keeps Y)
    out = distinct_names([_record(0, "X", "Y"), _record(1, "X", "X"), _record(2, "Y", "Z")])
    assert [p.name for p in out] == ["Y", "X", "Z"] and len({p.name for p in out}) == 3


def test_a_name_stays_with_its_lineage():
    """The airline tweets by date: the continuation of "Booking Problems" (lineage r/1) got this run's own name
    "Cancelled Flightled", the baseline name of lineage r/0, whose continuation was renamed: the name seemed to move
    from one persona to another. It now gets a qualifier; a continuation or piece of r/0 keeps the name."""
    moved = _record(1, "Cancelled Flightled", "Cancelled Flightled").model_copy(update={"renamed_from": "Booking"})
    kept = _record(0, "Frequent: flight & airlines", "Frequent: flight & airlines")
    piece = _record(2, "Cancelled Flightled", "Cancelled Flightled").model_copy(
        update={"lineage_id": "new/2", "parent_lineage_ids": ["r/0"], "status": "split"})
    base = {"r/0": "Cancelled Flightled", "r/1": "Booking Problems"}
    profiles = {1: _profile(["cancelled", "flightled", "rebooked"]) | {"top_terms": [
        {"term": "cancelled"}, {"term": "flightled"}, {"term": "dfw", "written": "DFW"}]}}
    out = names_keep_their_lineages([kept, moved, piece], base, profiles)
    assert [p.name for p in out] == ["Frequent: flight & airlines", "Cancelled Flightled (DFW)", "Cancelled Flightled"]
    assert out[1].own_name == "Cancelled Flightled" and out[1].renamed_from == "Booking"
    # no term adds a word: the name stays as it is rather than gain a repeat
    assert names_keep_their_lineages([moved], base, {1: _profile(["cancelled"])})[0].name == "Cancelled Flightled"


def _snapshot(run_id: str, centroids: np.ndarray, names: list[str], terms: list[list[str]]) -> RunSnapshot:
    rows = [{"member_id": f"{run_id}-{pid}-{k}", "persona_id": pid, "author": None, "text_key": None}
            for pid in range(len(names)) for k in range(100)]
    profiles = {pid: {"id": pid, "name": names[pid], **_profile(terms[pid])} for pid in range(len(names))}
    return RunSnapshot(run_id=run_id, kind="conversations", unit="message", space="all-MiniLM-L6-v2",
                       persona_ids=np.arange(len(names)), centroids=centroids, members=pd.DataFrame(rows),
                       profiles=profiles)


def test_a_continuing_persona_whose_words_changed_is_published_under_its_own_name():
    C = np.eye(3, 8)
    base = _snapshot("A", C, ["Bags & luggage", "Refund & voucher", "Seat upgrade"],
                     [["bags", "luggage"], ["refund", "voucher"], ["seat", "upgrade"]])
    new = _snapshot("B", C, ["Lost bags", "Cancelled flight", "Seat upgrade & legroom"],
                    [["bags", "lost"], ["cancelled", "flight"], ["seat", "upgrade", "legroom"]])
    c = compare_runs(base, new, LineageConfig())
    by_id = {p.id: p for p in c.new_personas}
    assert [by_id[i].status for i in range(3)] == ["continued"] * 3
    assert by_id[0].name == "Bags & luggage" and by_id[0].renamed_from is None  # "bags" still among its terms
    assert by_id[1].name == "Cancelled flight" and by_id[1].renamed_from == "Refund & voucher"
    import io

    from ml.compare import print_comparison

    out = io.StringIO()  # ml.compare's table said nothing of a rename (a re-runs review)
    print_comparison(c, file=out)
    assert "renamed (the baseline's name no longer describes them): 1 Cancelled flight (was Refund & voucher)" \
        in " ".join(out.getvalue().split())
    assert by_id[1].lineage_id == "A/1"  # the lineage goes on under the new name
    assert by_id[2].name == "Seat upgrade"


def test_a_kept_name_must_describe_half_as_many_members_as_the_fits_own():
    """A re-runs review: "Ticket & Cancelled Flighted" was kept (one of its two stems, "ticket", still a top term) on
    a persona of bookings and changes: 14 % of its members held the name's words, against 30 % for the fit's own
    "Reservation & ticket"; "Stuck on Tarmac" was kept on a persona none of whose members wrote it."""
    texts = ["need to change my reservation ticket"] * 6 + ["my ticket was cancelled flighted"] * 2 + ["hi there"] * 2
    profile = {"name": "Reservation & ticket", "name_share": 0.8}
    assert not name_still_describes("Ticket & Cancelled Flighted", {**profile, "name_share": 0.8},
                                    ["cancelled flighted again"] + ["change my reservation"] * 9)
    assert name_still_describes("Ticket & Cancelled Flighted", profile, texts)  # "ticket" in 8 of 10: 0.8 ≥ 0.4
    assert not name_still_describes("Stuck on Tarmac", profile, texts)
    assert name_still_describes("Stuck on Tarmac", {"name": "X"}, texts)  # no share of its own name: not judged
    assert name_still_describes("Stuck on Tarmac", profile, [])  # no texts: not judged


def test_a_kept_name_the_explorer_would_mark_as_describing_few_goes_back():
    """An explorer review (2026-12-06): "Change my PIN", kept through a merge of three personas, read "name in 23%"
    on its own page; a kept name under FEW_NAME_SHARE goes back to the fit's own, unless that one is as low."""
    texts = ["change my pin please"] * 23 + ["unblock my card"] * 40 + ["my card pin is blocked"] * 37
    own = {"name": "Card blocked", "name_share": 0.4}
    assert not name_still_describes("Change my PIN", own, texts)  # 0.23 ≥ 0.5 × 0.4, but under a quarter
    assert name_still_describes("Change my PIN", {**own, "name_share": 0.2}, texts)  # its own is no better
    assert name_still_describes("Change my PIN", own, texts[:23] + texts[23:63])  # 23 of 63: 0.37


def test_a_kept_name_whose_part_the_persona_writes_less_than_the_run_goes_back():
    """A re-runs review (airline tweets split by date): "Flight & delayed" was kept on a persona none of whose members
    wrote "delayed" (7 % of the run did), "Flight & Cancelled" on one where 1.9 % wrote "cancelled" against 7.7 % of
    the run; "flight", everywhere, carried both past the other rules. Each part of a kept name must be written by at
    least as large a share of the persona as of the run."""
    from ml.lineage.names import parts_set_apart
    from ml.profile.name_share import name_figures

    persona = ["my flight seat is broken"] * 6 + ["seats too small on this flight"] * 3 + ["hello"]
    run = persona + ["flight delayed again"] * 5 + ["delayed two hours"] * 5
    own = {"name": "Seats & broken", "name_share": 0.9}
    assert not name_still_describes("Flight & delayed", own, persona, run)
    assert name_still_describes("Flight & delayed", own, persona)  # without the run's texts: as before
    assert name_still_describes("Flight & seats", own, persona, run)  # both parts written more than in the run
    share, parts = name_figures("Flight & delayed", persona)
    assert parts_set_apart("Flight & seats", *name_figures("Flight & seats", persona), run)
    assert not parts_set_apart("Flight & delayed", share, parts, run)
    assert not parts_set_apart("Delayed", *name_figures("Delayed", persona), run)  # one part: the name's share
    # a part at about the run's rate is not judged on sampling noise: within the lineage's growth ratio (×1.5)
    common = ["my flight seat"] * 9 + ["hello"] * 11  # "flight" in 45 % of the persona, 50 % of the run below
    even = common + ["my flight"] * 11 + ["hi"] * 9
    assert parts_set_apart("Flight", *name_figures("Flight", common), even)
    assert not parts_set_apart("Flight", *name_figures("Flight", common), even, ratio=1.0)


def test_an_event_name_keeps_its_volume_word_only_while_the_run_would_say_it():
    """An events review: OULAD's second period kept "Typical users (homepage & oucontent)" on a persona that logged
    6.3× fewer events than average and that the run itself called "Light homepage users" (next to another "Typical
    users (…)"). Event names were not judged at all."""
    homepage = _profile(["homepage", "oucontent"])
    assert event_name_still_fits("Typical users (homepage & oucontent)", "Typical users (homepage)", homepage)
    assert not event_name_still_fits("Typical users (homepage & oucontent)", "Light homepage users", homepage)
    assert not event_name_still_fits("Heavy forumng users", "Forumng & quiz users", _profile(["forumng", "quiz"]))
    assert event_name_still_fits("Light homepage users", "Light homepage & subpage users", homepage)
    assert not event_name_still_fits("Quiz & forumng users", "Homepage users", homepage)  # its events are gone
    # through a comparison: the lineage goes on under this run's name
    C = np.eye(2, 8)
    base = _snapshot("A", C, ["Typical users (homepage & oucontent)", "Heavy forumng users"],
                     [["homepage", "oucontent"], ["forumng", "quiz"]])
    new = _snapshot("B", C, ["Light homepage users", "Heavy forumng & quiz users"],
                    [["homepage", "oucontent"], ["forumng", "quiz"]])
    base.kind = new.kind = "events"
    by_id = {p.id: p for p in compare_runs(base, new, LineageConfig()).new_personas}
    assert by_id[0].name == "Light homepage users" and by_id[0].renamed_from == "Typical users (homepage & oucontent)"
    assert by_id[1].name == "Heavy forumng users" and by_id[1].lineage_id == "A/1"  # still heavy, still forumng



def test_a_run_compared_again_is_judged_by_its_fits_own_names():
    """A series publishes a lineage's name in place of the fit's own (``keep_name`` keeps the fit's as ``fit_name``);
    ``ml.compare`` on that run again read the published name as the run's own, so a name that no longer fit was never
    judged again (an events review re-ran ``ml.compare`` on OULAD's second period and kept "Typical users (…)")."""
    from ml.runtime.series import keep_name

    profile = {"id": 0, "name": "Light homepage users", "name_share": 0.4}
    keep_name(profile, "Typical users (homepage & oucontent)", "A/0")
    assert profile["name"] == "Typical users (homepage & oucontent)" and profile["fit_name"] == "Light homepage users"
    keep_name(profile, "Typical users (homepage & oucontent)", "A/0")  # kept again: the fit's name stays
    assert profile["fit_name"] == "Light homepage users"
    C = np.eye(1, 8)
    base = _snapshot("A", C, ["Typical users (homepage & oucontent)"], [["homepage", "oucontent"]])
    new = _snapshot("B", C, ["Typical users (homepage & oucontent)"], [["homepage", "oucontent"]])
    new.profiles[0]["fit_name"] = "Light homepage users"
    base.kind = new.kind = "events"
    assert new.own_name(0) == "Light homepage users" and new.name(0) == "Typical users (homepage & oucontent)"
    (p,) = compare_runs(base, new, LineageConfig()).new_personas
    assert p.name == p.own_name == "Light homepage users" and p.renamed_from == "Typical users (homepage & oucontent)"
