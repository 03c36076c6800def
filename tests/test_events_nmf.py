"""NMF persona model: planted event mixtures are recovered; estimator contract; mixed users flagged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from ml.events.matrix import EventMatrix
from ml.events.nmf import EventPersonaModel, shares_margin

N_EVENTS = 12


def archetypes() -> np.ndarray:
    """Three known event mixtures (rows sum to 1), each led by its own four events."""
    P = np.full((3, N_EVENTS), 0.02)
    for a in range(3):
        P[a, 4 * a: 4 * a + 4] = [0.35, 0.25, 0.15, 0.07]
    return P / P.sum(axis=1, keepdims=True)


def planted_events(n_pure: int = 510, n_mixed: int = 90, seed: int = 0):
    """Long event table: pure users from one archetype, mixed users 50/50 from two."""
    rng = np.random.default_rng(seed)
    P = archetypes()
    rows, truth, is_mixed = [], {}, {}
    for i in range(n_pure + n_mixed):
        user = f"u{i:04d}"
        if i < n_pure:
            a = i % 3
            p, truth[user], is_mixed[user] = P[a], a, False
        else:
            a, b = rng.choice(3, 2, replace=False)
            p, truth[user], is_mixed[user] = 0.5 * P[a] + 0.5 * P[b], -1, True
        counts = rng.multinomial(rng.poisson(80) + 10, p)
        rows += [(user, f"e{j:02d}", float(c)) for j, c in enumerate(counts) if c > 0]
    events = pd.DataFrame(rows, columns=["user", "event", "count"])
    events["day"], events["group"] = np.nan, None
    return events, truth, is_mixed


@pytest.fixture(scope="module")
def planted():
    events, truth, is_mixed = planted_events()
    matrix = EventMatrix(min_reach=0.0, min_spread=0.0).fit(events)
    model = EventPersonaModel(k_max=6, random_state=0).fit(matrix.X_)
    return matrix, model, truth, is_mixed


def test_cv_chooses_the_planted_number_of_mixtures(planted):
    _, model, _, _ = planted
    assert model.k_ == 3
    errors = {r["k"]: r["cv_error"] for r in model.k_table_}
    assert errors[3] < errors[2]
    assert [r["k"] for r in model.k_table_ if r["chosen"]] == [3]


def test_components_recover_the_planted_mixtures(planted):
    matrix, model, _, _ = planted
    order = [int(e[1:]) for e in matrix.events_]
    truth = archetypes()[:, order]
    H = model.components_ / np.linalg.norm(model.components_, axis=1, keepdims=True)
    T = truth / np.linalg.norm(truth, axis=1, keepdims=True)
    cos = H @ T.T
    r, c = linear_sum_assignment(-cos)
    assert cos[r, c].min() > 0.9, cos


def test_pure_users_are_assigned_to_their_mixture(planted):
    matrix, model, truth, _ = planted
    order = [int(e[1:]) for e in matrix.events_]
    T = archetypes()[:, order]
    cos = (model.components_ / np.linalg.norm(model.components_, axis=1, keepdims=True)) @ \
        (T / np.linalg.norm(T, axis=1, keepdims=True)).T
    persona_to_truth = dict(zip(*linear_sum_assignment(-cos)))
    pure = np.array([truth[u] >= 0 for u in matrix.users_])
    predicted = np.array([persona_to_truth[p] for p in model.labels_])
    expected = np.array([truth[u] for u in matrix.users_])
    assert (predicted[pure] == expected[pure]).mean() > 0.95


def test_mixed_users_are_flagged_not_silently_forced(planted):
    matrix, model, _, is_mixed = planted
    mixed_truth = np.array([is_mixed[u] for u in matrix.users_])
    assert model.mixed_[mixed_truth].mean() > 0.5
    assert model.mixed_[~mixed_truth].mean() < 0.1
    assert model.margin_[mixed_truth].mean() < model.margin_[~mixed_truth].mean()


def test_estimator_contract(planted):
    matrix, _, _, _ = planted
    X = matrix.X_
    est = EventPersonaModel(k=3, random_state=0)
    assert est.get_params()["k"] == 3 and not hasattr(est, "components_")
    with pytest.raises(NotFittedError):
        est.predict(X)
    assert est.fit(X) is est
    first = est.labels_.copy()
    assert np.array_equal(clone(est).fit(X).labels_, first)
    assert np.array_equal(est.predict(X), first)
    with pytest.raises(NotFittedError):
        EventMatrix().transform(pd.DataFrame({"user": [], "event": [], "count": [], "day": []}))


def test_fixed_k_skips_the_search(planted):
    matrix, _, _, _ = planted
    est = EventPersonaModel(k=4).fit(matrix.X_)
    assert est.k_table_ == [] and est.k_ + est.empty_components_ == 4  # 4 fitted; a component no user holds goes
    assert est.components_.shape == (est.k_, len(matrix.events_)) and len(np.unique(est.labels_)) == est.k_


def test_a_window_on_a_log_of_dates_counts_days_from_its_first_date():
    """An events review: "--window-end 14" on a KDD or Moodle log (dates) kept no event at all: the days were days
    since 1970. With ``calendar`` they count from the first event's date, learned, so that ``transform`` (ml.assign)
    keeps the same dates; offsets (OULAD's days from the course start) are read as given."""
    events, _, _ = planted_events(n_pure=60, n_mixed=0)
    rng = np.random.default_rng(1)
    events["day"] = 16215.0 + rng.integers(0, 40, len(events)) + rng.random(len(events))  # 2014-05-25 + 0..40 days
    matrix = EventMatrix(window_end=14, min_user_events=1, min_reach=0.0, min_spread=0.0).fit(events, calendar=True)
    inside = events["day"] < 16215 + 14
    assert matrix.report_[0]["kept"] == int(events.loc[inside, "count"].sum()) > 0
    assert matrix.report_[0]["since"] == "2014-05-25" and matrix.day_zero_ == 16215.0
    _, _, counts = matrix.transform(events.assign(user=events["user"] + "x"))  # new users, the same dates
    assert counts.sum() == matrix.report_[0]["kept"]
    offsets = events.assign(day=events["day"] - 16215.0)  # a course's own day offsets: as given
    kept = EventMatrix(window_end=14, min_user_events=1, min_reach=0.0, min_spread=0.0).fit(offsets)
    assert kept.day_zero_ == 0.0 and kept.report_[0]["kept"] == matrix.report_[0]["kept"]
    assert "since" not in kept.report_[0]


def test_event_types_with_no_event_are_listed_as_dropped():
    """An events review: 8 of 20 OULAD activity columns held only zeros in a subset; they vanished (dropped_events
    empty, "event types kept: removed 0"). Types the files hold with no event are dropped "no events"."""
    events, _, _ = planted_events(n_pure=60, n_mixed=0)
    known = sorted(events["event"].unique().tolist()) + ["folder", "ouwiki"]
    matrix = EventMatrix(min_reach=0.0, min_spread=0.0).fit(events, known_events=known)
    gone = {d["event"]: d["reason"] for d in matrix.dropped_}
    assert gone == {"folder": "no events", "ouwiki": "no events"}
    key = matrix.report_[-1]
    assert key["stage"] == "key_events" and key["removed"] == 2 and key["kept"] == len(matrix.events_)


def test_a_users_text_shows_the_personas_own_events_and_names_the_rest():
    """An events review: in "Light quiz attempt summary users", 4 of 6 evidence lines showed no quiz event (the
    user's four quiz events at 1 % each tied with the third shown), and a member search for "quiz attempt" found 1
    of the persona's 12 users who had such events."""
    from ml.events.profile import mix_text

    events = ["Course viewed", "File viewed", "Status viewed", "Quiz attempt viewed", "Forum post"]
    row = np.array([50.0, 29.0, 4.0, 4.0, 1.0])
    assert mix_text(row, events) == "Course viewed 57%, File viewed 33%, Status viewed 5% (of 88 events)"
    assert mix_text(row, events, also=[3]) == ("Course viewed 57%, File viewed 33%, Status viewed 5%, "
                                               "Quiz attempt viewed 5% (of 88 events)")
    searchable = mix_text(row, events, rest=True)
    assert searchable.endswith("; also Quiz attempt viewed, Forum post (of 88 events)")
    assert mix_text(np.array([3.0, 0, 0, 0, 0]), events, also=[3], rest=True) == "Course viewed 100% (of 3 events)"
    # a persona's own event done a little: "<1%", not "oucollaborate 0%" (an events review)
    assert mix_text(np.array([700.0, 290.0, 6.0, 3.0, 1.0]), events, also=[4]) == (
        "Course viewed 70%, File viewed 29%, Status viewed 1%, Forum post <1% (of 1,000 events)")
    many = [f"event {k}" for k in range(20)]  # at most REST_NAMES others named, then a count
    text = mix_text(np.arange(20, 0, -1, dtype=float), many, rest=True)
    assert text.endswith("; also event 3, event 4, event 5, event 6, event 7, event 8, event 9, event 10, event 11, "
                         "event 12 +7 more (of 210 events)")


def test_shares_margin_of_a_zero_row_is_zero():
    S, margin = shares_margin(np.array([[0.0, 0.0], [3.0, 1.0]]))
    assert margin.tolist() == [0.0, 0.5] and S[1].tolist() == [0.75, 0.25]


# Moodle's own event names (../shared/data/events_moodle, "Event name"): 13 of these 16 say "viewed"
MOODLE_EVENTS = ["Course module viewed", "Course viewed", "The status of the submission has been viewed.",
                 "Submission form viewed.", "The user has accepted the statement of the submission.", "User list viewed",
                 "Discussion viewed", "Quiz attempt viewed", "Quiz attempt summary viewed", "Quiz attempt reviewed",
                 "Grade user report viewed", "Course user report viewed", "User profile viewed",
                 "Course module instance list viewed", "Grade overview report viewed", "Course searched"]


def _top(*events):
    return [{"event": e, "weight": 1.0 / (i + 1)} for i, e in enumerate(events)]


def test_event_names_leave_out_words_most_events_share_and_repeated_stems():
    from ml.events.naming import EventNamer

    namer = EventNamer().fit(MOODLE_EVENTS)
    assert namer.common_stems_ == {"view"}  # in 13 of 16 labels; "course" (5) and "user" (5) are not
    # "users" ends the name, so "Grade user report" gives "grade report"; the second part starts lower case
    assert namer.name(_top("Discussion viewed", "Grade user report viewed"))[0] == "Discussion & grade report users"
    # a second event about the same thing (a word shared with the first) is passed over for the next one
    name, rest = namer.name(_top("Quiz attempt summary viewed", "Quiz attempt viewed", "Course viewed",
                                 "Quiz attempt reviewed"), {"persona_count_mean": 2.0, "population_count_mean": 4.0})
    assert name == "Light quiz attempt summary & course users" and rest == ["reviewed"]
    name, _ = namer.name(_top("Submission form viewed.", "The user has accepted the statement of the submission.",
                              "The status of the submission has been viewed.", "Course viewed"))
    assert name == "Submission form & course users"  # both submission sentences are the first part again
    # a sentence first: its content words, at most three and 28 characters ("… submission" would be 29)
    assert namer.name(_top("The user has accepted the statement of the submission."))[0] == (
        "Accepted statement users")


def test_event_names_never_name_what_the_persona_does_less_and_tell_shared_labels_apart():
    from ml.events.naming import EventNamer

    namer = EventNamer().fit(MOODLE_EVENTS)
    top = _top("Quiz attempt summary viewed", "Course viewed", "Quiz attempt reviewed")
    above = {"Quiz attempt summary viewed": True, "Course viewed": False, "Quiz attempt reviewed": True}
    assert namer.name(top)[0] == "Quiz attempt summary & course users"
    assert namer.name(top, above=above)[0] == "Quiz attempt summary users"  # "course" is below the population's
    # nothing above: the events by weight, as before (a name is still needed)
    assert namer.name(top, above=dict.fromkeys(above, False))[0] == "Quiz attempt summary & course users"
    # Moodle's "Course module viewed" under four components: the component tells them apart
    joined = EventNamer().fit([f"{c}|Course module viewed" for c in ("File", "Folder", "Forum", "Quiz")]
                              + ["Forum|Discussion viewed", "System|Course viewed", "Quiz|Quiz attempt viewed"])
    assert joined.shared_labels_ == {"course module viewed"}
    # "course" is in five of these seven labels and left out; "module" (four) stays beside the component
    assert joined.name(_top("Forum|Discussion viewed", "Folder|Course module viewed"))[0] == (
        "Discussion & folder module users")


def test_event_names_from_codes_and_tiny_vocabularies():
    from ml.events.naming import EventNamer

    kdd = EventNamer().fit(["access", "discussion", "navigate", "page_close", "problem", "video", "wiki"])
    assert kdd.name(_top("page_close", "access"), {"persona_count_mean": 30, "population_count_mean": 10})[0] == (
        "Heavy page close & access users")
    assert kdd.name(_top("mod_assign|Submission form viewed."))[0] == "Submission form viewed users"
    two = EventNamer().fit(["page viewed", "page edited"])  # with two events no word counts as common
    assert two.common_stems_ == set() and two.name(_top("page edited", "page viewed"))[0] == "Page edited users"
    long = EventNamer().fit(["x" * 40, "y", "z"])
    assert long.name(_top("x" * 40))[0] == "X" + "x" * 26 + "… users"  # one long word is cut where it must be
    assert long.name([])[0] == "General users"
    # every word of the label is common or a stop word: the label's own words, not an empty name
    seen = EventNamer().fit(["viewed", "a viewed", "b viewed", "c viewed", "d viewed", "e viewed"])
    assert seen.common_stems_ == {"view"} and seen.name(_top("viewed", "a viewed"))[0] == "Viewed users"
    # with a few event types a shared word is the topic: "login" in two of three stays in the name
    few = EventNamer().fit(["login", "login_failed", "purchase"])
    assert few.common_stems_ == set()
    assert few.name(_top("login", "purchase"))[0] == "Login & purchase users"
    assert few.name(_top("login_failed"))[0] == "Login failed users"
    # the fallback never says "users users"; codes in capitals read lower case, a short acronym keeps them
    assert EventNamer().fit(["users", "user_signup", "users_list"]).name(_top("users"))[0] == "General users"
    codes = EventNamer().fit(["ADD_TO_CART", "SEARCH", "URL"])
    assert codes.name(_top("ADD_TO_CART", "SEARCH"))[0] == "Add cart & search users"
    assert codes.name(_top("URL"))[0] == "URL users"


def test_lift_sentences_quote_event_names_not_the_volume():
    from ml.events.profile import lift_sentence

    assert lift_sentence("The status of the submission has been viewed.", 8.1, 7.3) == (
        "1.1× more “The status of the submission has been viewed” than average (8.1 vs 7.3 per user)")
    assert lift_sentence("Course viewed", 0.8, 1.7) == "2.1× fewer “Course viewed” than average (0.8 vs 1.7 per user)"
    # under a tenth of the average is "almost no", not "293.1× fewer" on 0.03 per user (an events review)
    assert lift_sentence("video", 0.03, 8.9) == "almost no “video” (0.03 vs 8.9 per user)"
    assert lift_sentence("video", 0.0, 8.9).startswith("no “video” at all")  # never did it: not "almost"
    assert lift_sentence("events in total", 20.0, 10.0, quote=False) == (
        "2.0× more events in total than average (20.0 vs 10.0 per user)")
    # within 5 % of the average: "about as many"; with the event's share of the persona's events and of
    # everyone's, so "more often" and a smaller share (the fingerprint's bar) no longer read as a contradiction
    assert lift_sentence("System|Course viewed", 1.02, 1.0) == (
        "about as many “System · Course viewed” as average (1.0 vs 1.0 per user)")
    assert lift_sentence("File|Course module viewed", 80.5, 59.1, shares=(0.21, 0.3)) == (
        "1.4× more “File · Course module viewed” than average (80.5 vs 59.1 per user), but a smaller part of their "
        "events (21%, against 30% of everyone's)")  # the two point different ways: said, not left to the reader
    assert lift_sentence("quiz", 80.5, 59.1, shares=(0.4, 0.3)) == (
        "1.4× more “quiz” than average (80.5 vs 59.1 per user; 40% of their events, against 30% of everyone's)")
    assert lift_sentence("Quiz attempt reviewed", 1.14, 1.17, shares=(0.0055, 0.0068)) == (
        "about as many “Quiz attempt reviewed” as average (1.1 vs 1.2 per user), but a smaller part of their events "
        "(0.55%, against 0.68% of everyone's)")
    assert lift_sentence("access", 3.0, 32.1, shares=(0.45, 0.38)).endswith(
        "(3.0 vs 32.1 per user), but a larger part of their events (45%, against 38% of everyone's)")


def test_a_component_that_is_no_users_largest_share_is_dropped():
    """A fixed k larger than the data holds: two groups of users and a faint event all of them have. The third
    component takes the faint event, is no user's largest share, and is dropped, so k and the model hold the
    two personas (a model of 3 components against 2 personas broke comparisons with a later run)."""
    rng = np.random.default_rng(0)
    X = np.vstack([np.c_[rng.uniform(5, 6, 50), rng.uniform(0, 0.2, 50), rng.uniform(0.1, 0.3, 50)],
                   np.c_[rng.uniform(0, 0.2, 50), rng.uniform(5, 6, 50), rng.uniform(0.1, 0.3, 50)]])
    model = EventPersonaModel(k=3, random_state=0).fit(X)
    assert model.empty_components_ == 1 and model.k_ == 2
    assert model.components_.shape == (2, 3) and model.membership_.shape == (100, 2)
    assert sorted(np.bincount(model.labels_)) == [50, 50]
    assert (model.predict(X) == model.labels_).all()  # placing the same users again gives the same personas


def test_a_name_may_say_only_events_the_persona_gives_at_least_everyones_share_of_its_events():
    """KDD: "Light navigate & access users" gave "access" 31 % of its events against everyone's 38 % (and 10.7×
    fewer per user): the weighted matrix's mean had it above. The name now reads the shares its sentences state."""
    from ml.events.profile import ProfileInputs, _above, user_measures

    counts = np.array([[31, 69], [2, 5], [380, 520], [400, 600]], float)  # persona 0: rows 0-1 (light users)
    inp = ProfileInputs(users=np.array(["a", "b", "c", "d"]), events=["access", "navigate"], counts=counts,
                        X=np.zeros_like(counts), components=np.ones((2, 2)), membership=np.ones((4, 2)) / 2,
                        labels=np.array([0, 0, 1, 1]), mixed=np.zeros(4, bool), rows=pd.DataFrame(),
                        resolution="none")
    light = np.array([True, True, False, False])
    um = user_measures(counts)
    assert _above(inp, light, um) == {"access": False, "navigate": True}
    assert _above(inp, ~light, um) == {"access": True, "navigate": False}


def test_a_name_says_an_event_only_where_the_persona_gives_it_clearly_more_than_everyone():
    """An events review: KDD's "Light navigate & wiki users" gave wiki 1.24 % of its events against everyone's
    1.02 %, and its strategy was built on it. An event joins the name when the persona's share exceeds everyone's by
    ``min_effect`` standard deviations of the users' shares; when none does, "at least everyone's" as before."""
    from ml.events.profile import ProfileInputs, _above, user_measures

    n = 200
    persona = np.arange(n) < 40
    nav = np.where(persona, 70, 30)  # clearly more of their mix
    wiki = np.where(persona, 3, np.tile([0, 0, 1, 6], n // 4))  # a little above everyone's mean share
    rest = np.full(n, 60)
    counts = np.c_[nav, wiki, rest].astype(float)
    inp = ProfileInputs(users=np.arange(n).astype(str), events=["navigate", "wiki", "page_close"], counts=counts,
                        X=np.zeros_like(counts), components=np.ones((2, 3)), membership=np.ones((n, 2)) / 2,
                        labels=persona.astype(int), mixed=np.zeros(n, bool), rows=pd.DataFrame(), resolution="none")
    um = user_measures(counts)
    mine, everyone = um.shares[persona].mean(axis=0), um.shares.mean(axis=0)
    assert mine[1] >= everyone[1]  # wiki: at least everyone's share, the old bar
    assert _above(inp, persona, um) == {"navigate": True, "wiki": False, "page_close": False}
    assert _above(inp, persona, um, min_effect=0.0)["wiki"]  # no effect asked: at least everyone's


def _inputs(counts: np.ndarray, labels: np.ndarray):
    from ml.events.profile import ProfileInputs

    k = int(labels.max()) + 1
    return ProfileInputs(users=np.array([f"u{i}" for i in range(len(counts))]), events=["discussion", "video"],
                         counts=counts, X=counts / counts.sum(axis=1, keepdims=True), components=np.ones((k, 2)),
                         membership=np.ones((len(counts), k)) / k, labels=labels, mixed=np.zeros(len(counts), bool),
                         rows=pd.DataFrame(), resolution="none")


def test_one_heavy_user_does_not_make_a_personas_numbers():
    """KDD: "Light navigate & discussion users" (154 users) read "1.9× more “event_discussion” than average (12.4 vs
    6.5 per user)", all from one enrolment of 1,059 discussion events; without it the persona was below everyone.
    Counts are capped at everyone's 99th percentile in the means, and shares count each user once."""
    from ml.events.profile import _fingerprint, user_measures

    rng = np.random.default_rng(0)
    counts = np.column_stack([rng.poisson(5, 400), rng.poisson(20, 400)]).astype(float) + 1
    labels = np.repeat([0, 1], [360, 40])
    counts[360:, 0] = 3  # the small persona discusses less than everyone ...
    counts[360, 0] = 1059  # ... but for its one very heavy user
    inp = _inputs(counts, labels)
    fp = {f["feature"]: f for f in _fingerprint(inp, labels == 1, user_measures(counts))}
    d = fp["discussion"]
    assert counts[labels == 1, 0].mean() > 4 * counts[:, 0].mean() / 2  # uncapped: far above everyone
    assert d["persona_count_mean"] < d["population_count_mean"], d["sentence"]
    assert "fewer “discussion”" in d["sentence"] and d["std_diff"] < 0
    assert d["persona_share"] < d["population_share"]


def test_a_rare_event_keeps_its_counts():
    """The cap is the 99th percentile of the users who did the event: with everyone's zeros, an event fewer than 1 %
    of users log was capped at 0 and read "0 per user (nobody else)" (a diff review)."""
    from ml.events.profile import user_measures

    counts = np.zeros((500, 2))
    counts[:, 0] = 3
    counts[:3, 1] = [4, 6, 9]  # 0.6 % of the users
    um = user_measures(counts)
    assert um.capped[:3, 1].tolist() == [4, 6, pytest.approx(np.quantile([4, 6, 9], 0.99))]
    assert um.capped[:, 1].sum() > 18


def test_the_bar_is_the_share_the_sentence_states():
    """Moodle: "Course viewed" was a bar below everyone's (−0.67) beside "1.2× more … (37% of their events, against
    37%)": the bar read the weighted matrix, the caption said "how much of their activity each event takes". The bar
    is now the users' mean share of their events, the share the sentence states, so the two point the same way."""
    from ml.events.profile import _fingerprint, user_measures

    rng = np.random.default_rng(1)
    counts = rng.poisson(8, size=(300, 2)).astype(float) + 1
    labels = (np.arange(300) % 3 == 0).astype(int)
    counts[labels == 1, 0] *= 3
    inp = _inputs(counts, labels)
    for pid in (0, 1):
        for f in _fingerprint(inp, labels == pid, user_measures(counts)):
            if f["group"] == "event":
                assert (f["std_diff"] > 0) == (f["persona_share"] > f["population_share"]), f
                assert f["persona_mean"] == f["persona_share"]


def test_a_highlight_says_the_way_its_bar_points():
    """Moodle: "Course viewed" had a bar below everyone's (−0.67) and the highlight "1.2× more “Course viewed”"
    with equal shares (37 %): the weighting alone made it differ. Such an event stays in the fingerprint, no
    highlight; one whose share points the bar's way is said."""
    from ml.events.profile import _says_the_same_way

    assert not _says_the_same_way(-0.67, 74.4, 62.7, (0.37, 0.37))
    assert _says_the_same_way(-0.67, 74.4, 62.7, (0.30, 0.37))  # "…, but a smaller part of their events"
    assert _says_the_same_way(1.2, 4.9, 1.7, (0.02, 0.01)) and not _says_the_same_way(1.2, 1.0, 1.02, None)


def test_a_persona_no_event_sets_apart_is_described_as_the_baseline():
    """The events review: Moodle's 67 % persona (every event within a small effect of everyone's) and KDD's 86 % one
    read "It stands apart … 79%" from a classifier on the very mix the personas were cut from."""
    from ml.events.profile import _describe

    p = {"size": 760, "share": 0.67, "core_size": 700, "reassigned_count": 60, "top_events": [], "fingerprint": [],
         "highlights": [], "activity": {}, "separators": {"accuracy": 0.79}}
    text = _describe(p)
    assert "read it as the run's baseline" in text and "stands apart" not in text
    apart = {"feature": "Discussion viewed", "group": "event", "std_diff": 1.2, "persona_count_mean": 4.9,
             "population_count_mean": 1.7}
    distinct = _describe({**p, "fingerprint": [apart], "highlights": ["2.8× more “Discussion viewed” than average"]})
    assert "It stands apart" in distinct and "the event mix the personas were cut from" in distinct
    # the fingerprint decides, not the highlights: a −0.67 bar whose sentence points the other way (no highlight)
    # is no baseline either
    assert "baseline" not in _describe({**p, "fingerprint": [{**apart, "std_diff": -0.67}]})


def test_the_baseline_persona_is_named_typical():
    """The events review: "Quiz & forumng users" held 82 % of OULAD GGG's users at everyone's shares of both (15 %
    against 14 %), and read as a quiz-and-forum segment in the overview; its description called it the baseline.
    Its name says so too; a persona one event sets apart keeps its name."""
    from ml.events.naming import EventNamer
    from ml.events.profile import is_baseline

    namer = EventNamer().fit(["quiz", "forumng", "resource", "homepage"])
    top = [{"event": "quiz", "weight": 0.5}, {"event": "forumng", "weight": 0.3}]
    volume = {"persona_count_mean": 100.0, "population_count_mean": 100.0}
    assert namer.name(top, volume, baseline=True)[0] == "Typical users (quiz & forumng)"
    assert namer.name(top, volume)[0] == "Quiz & forumng users"
    near = [{"feature": "quiz", "std_diff": 0.1}, {"feature": "total_events", "std_diff": -0.3}]
    assert is_baseline(near) and not is_baseline([*near, {"feature": "forumng", "std_diff": -0.7}])
    assert not is_baseline([{"feature": "total_events", "std_diff": -1.4}])  # a light persona is no baseline


def test_a_strategy_theme_is_an_event_the_persona_gives_a_larger_share():
    """``doing_more`` reads the users' shares (each user once) where the profile has them, the pooled counts before."""
    from ml.strategy.events import doing_more

    fp = [{"feature": "quiz", "group": "event", "persona_share": 0.3, "population_share": 0.2,
           "persona_count_mean": 1.0, "population_count_mean": 9.0},
          {"feature": "video", "group": "event", "persona_share": 0.1, "population_share": 0.3,
           "persona_count_mean": 50.0, "population_count_mean": 9.0},
          {"feature": "total_events", "group": "activity", "persona_count_mean": 60.0, "population_count_mean": 30.0}]
    assert doing_more({"kind": "events", "fingerprint": fp}) == {"quiz"}
    old = [{k: v for k, v in f.items() if not k.endswith("_share")} for f in fp]
    assert doing_more({"kind": "events", "fingerprint": old}) == {"video"}  # pooled: 50/60 against 9/30
