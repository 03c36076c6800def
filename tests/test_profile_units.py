"""Unit and bad-input tests for the profile parts (small synthetic inputs; quality is tested on real data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from ml.profile import ProfileConfig, build_profiles
from ml.profile.activity import ActivityProfiler
from ml.profile.fingerprint import BehavioralFingerprint, describe_feature, feature_specs, highlights
from ml.profile.naming import unique_names
from ml.profile.terms import STOP_WORDS, ClassTfidf
from ml.runtime.errors import InputError


def test_ctfidf_prefers_class_specific_terms_and_drops_junk():
    texts = ["@AmericanAir my refund refund is late http://t.co/x 12345", "refund please @united rt",
             "baggage lost at the airport 2015", "lost baggage again #baggage amp"]
    m = ClassTfidf(min_df=1).fit(texts, [0, 0, 1, 1])
    top0 = [t for t, _ in m.top_terms(0, 5, min_count=1)]
    top1 = [t for t, _ in m.top_terms(1, 5, min_count=1)]
    assert top0[0] == "refund" and top1[0] in {"baggage", "lost"}
    vocab = set(m.vocabulary_)
    assert not vocab & {"americanair", "united", "http", "t", "co", "12345", "2015", "rt", "amp"}
    assert not vocab & STOP_WORDS


def test_ctfidf_weights_match_formula():
    texts = ["apple apple pear", "apple kiwi", "pear kiwi"]
    m = ClassTfidf(min_df=1).fit(texts, [0, 0, 1])
    j = list(m.vocabulary_).index("apple")
    # members holding each term: class 0 apple 2, pear 1, kiwi 1 (4); class 1 pear 1, kiwi 1 (2); a member
    # counts "apple" once however often it writes it
    avg = (4 + 2) / 2
    assert m.counts_[0, j] == 2 and m.weights_[0, j] == pytest.approx(2 / 4 * np.log1p(avg / 2))


def test_sensitive_terms_never_become_terms():
    texts = ["my wife and kids missed the flight", "wife kids flight missed again", "bag lost", "bag lost again"]
    m = ClassTfidf(min_df=1).fit(texts, [0, 0, 1, 1])
    assert not {"wife", "kids"} & set(m.vocabulary_)


def test_activity_without_timestamps_says_so():
    members = pd.DataFrame({"local_hour": pd.array([pd.NA] * 4, dtype="Int64"),
                            "local_weekday": pd.array([pd.NA] * 4, dtype="Int64")})
    prof = ActivityProfiler().fit(members, [0, 0, 1, 1]).profile(0)
    assert prof["has_timestamps"] is False and prof["hourly"] is None and "no timestamps" in prof["note"]


def test_activity_counts_and_peaks():
    members = pd.DataFrame({"local_hour": pd.array([23, 23, 1, 10, None], dtype="Int64"),
                            "local_weekday": pd.array([5, 5, 6, 0, None], dtype="Int64")})
    act = ActivityProfiler(n_peak_hours=1).fit(members, [0, 0, 0, 1, 0])
    prof = act.profile(0)
    assert sum(prof["hourly"]) == prof["timestamped_members"] == 3
    assert prof["peak_hours"] == [23] and sum(prof["population_hourly"]) == 4
    assert prof["hourly_difference"] == pytest.approx(0.25)


def test_peak_hours_leave_out_ties_at_the_cut_and_single_members():
    """A support review: a 12-member persona was "busiest at 01:00, 02:00 and 04:00" (three of four hours with two
    members each; 22:00 had two as well), and the strategy scheduled sends for them."""
    from ml.profile.activity import _peaks

    tied = np.zeros(24)
    tied[[1, 2, 4, 22]] = 2
    tied[[5, 9, 13, 17]] = 1
    assert _peaks(tied, 3) == []  # four hours tie for the three places: none stands out
    one_ahead = tied.copy()
    one_ahead[22] = 3
    assert _peaks(one_ahead, 3) == [22]  # the one hour above the tie
    assert _peaks(np.eye(24)[0] + np.eye(24)[5], 3) == []  # one member an hour is no peak
    assert _peaks(np.arange(24, dtype=float), 3) == [21, 22, 23]


def test_a_persona_with_times_but_no_peak_hour_gets_no_send_time():
    from ml.strategy.timing import timing

    act = {"has_timestamps": True, "peak_hours": [], "peak_weekdays": [], "timestamped_members": 12,
           "time_basis": "UTC", "hourly": [0] * 24, "weekday": [0] * 7}
    out = timing(act, [])
    assert out["best_hours"] == [] and out["has_timestamps"] is True
    assert out["text"].startswith("No hour stands out for this persona (12 of its members have a time)")


def test_fingerprint_nan_columns_not_available_and_never_highlighted():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 36))
    X[:, 5] = np.nan
    labels = np.repeat([0, 1], 20)
    X[labels == 0, 2] = 1.0  # night_share
    X[labels == 1, 2] = 0.0
    fp = BehavioralFingerprint().fit(X, labels).profile(0)
    assert fp[5]["std_diff"] is None and fp[5]["sentence"] == "not available"
    hl = highlights(fp, n=3)
    assert hl[0]["feature"] == "night_share" and hl[0]["std_diff"] == pytest.approx(1.0)
    assert "100%" in hl[0]["sentence"] and "50%" in hl[0]["sentence"]
    assert all(h["feature"] != feature_specs()[5][0] for h in hl)


def _one_feature_matrix(name: str, persona_values, population_values) -> tuple[np.ndarray, np.ndarray]:
    names = [n for n, _ in feature_specs()]
    vals = np.concatenate([persona_values, population_values]).astype(float)
    X = np.zeros((len(vals), len(names)))
    X[:, names.index(name)] = vals
    X[:, names.index("chars_log")] = np.random.default_rng(0).normal(4, 0.5, len(vals))  # spread, no effect
    return X, np.r_[np.zeros(len(persona_values)), np.ones(len(population_values))]


def test_a_behaviour_one_member_shows_is_not_said():
    """A review (2026-12-05, the Tweet set): "Polite: egyptian museum" said "says please or thanks in 5% of
    messages (population 0.18%)", one "pls" among 22 members: std_diff above 1, yet within its own noise."""
    from ml.profile.fingerprint import said

    rest = np.zeros(2000)
    rest[:2] = 1.0  # 0.1 % of everyone else
    one = np.zeros(22)
    one[0] = 1.0
    fp = {f["feature"]: f for f in BehavioralFingerprint().fit(*_one_feature_matrix("politeness", one, rest)).profile(0)}
    assert fp["politeness"]["std_diff"] > 1.0 and abs(fp["politeness"]["t_stat"]) < 2
    assert not said(fp["politeness"]) and all(h["feature"] != "politeness" for h in highlights(list(fp.values())))
    eight = np.zeros(22)
    eight[:8] = 1.0  # a third of them: said
    fp = {f["feature"]: f for f in BehavioralFingerprint().fit(*_one_feature_matrix("politeness", eight, rest)).profile(0)}
    assert said(fp["politeness"]) and highlights(list(fp.values()))[0]["feature"] == "politeness"
    assert said({"std_diff": 1.5, "coverage": 1.0})  # a stored run without t_stat: as before


def test_counts_most_members_lack_are_said_as_the_share_that_has_any():
    """"uses 6.0× more exclamation marks than average (typically 0.16 vs 0.026 per message)": the typical member
    of either has none."""
    rest = np.zeros(1000)
    rest[:20] = np.log1p(1)
    some = np.zeros(40)
    some[:14] = np.log1p(np.r_[np.ones(10), [2, 2, 3, 1]])
    fp = {f["feature"]: f for f in BehavioralFingerprint().fit(*_one_feature_matrix("exclaim_log", some, rest)).profile(0)}
    assert fp["exclaim_log"]["sentence"] == "uses exclamation marks in 35% of messages (population 3%)"
    # most members of both have some: the typical counts, as before
    many = np.log1p(np.full(40, 3.0))
    fp = {f["feature"]: f for f in BehavioralFingerprint().fit(
        *_one_feature_matrix("exclaim_log", many, np.log1p(np.ones(1000)))).profile(0)}
    assert fp["exclaim_log"]["sentence"].startswith("uses 2.8× more exclamation marks")


def test_plain_words_use_raw_scale():
    s = describe_feature("thread_depth_log", np.log1p(2.3), np.log1p(1.0))
    assert s.startswith("replies 2.3× deeper")
    assert describe_feature("night_share", 0.68, 0.21).startswith("posts 68% of messages between 22:00")


def test_small_values_keep_their_digits_so_a_ratio_never_stands_beside_zero():
    """Seen on the airline tweets: "64.9× more emoji than average (2.1 vs 0.0 per message)", "digits for 1% of
    characters (population 0%)"."""
    from ml.events.profile import lift_sentence

    assert describe_feature("emoji_log", np.log1p(2.1), np.log1p(0.0324)).endswith("(typically 2.1 vs 0.032 per message)")
    assert describe_feature("exclaim_log", np.log1p(0.004), np.log1p(0.2)).endswith("(typically 0.004 vs 0.2 per message)")
    assert describe_feature("emoji_log", np.log1p(0.004), np.log1p(0.001)).endswith("(typically 0.004 vs 0.001 per message)")
    assert describe_feature("digit_ratio", 0.012, 0.004) == "uses digits for 1% of characters (population 0.4%)"
    assert describe_feature("has_url", 0.0004, 0.0001) == "includes a link in 0.04% of messages (population 0.01%)"
    assert lift_sentence("quiz", 0.04, 0.5) == "almost no “quiz” (0.04 vs 0.5 per user)"  # under a tenth: no ratio
    assert lift_sentence("quiz", 0.06, 0.5) == "8.3× fewer “quiz” than average (0.06 vs 0.5 per user)"


def test_names_unique():
    names = unique_names({1: "Late refund", 2: "Late refund", 3: "Late refund"},
                         {1: ["delivery"], 2: ["refunds", "parcel"], 3: ["refund"]})
    assert len({n.lower() for n in names.values()}) == 3
    assert names[1] == "Late refund"
    assert names[2] == "Late refund (parcel)"  # "refunds" adds no new stem
    assert names[3] == "Late refund (#3)"
    # names that differ only by an inflection clash too (Banking77: "Exchange rate" and "Exchange rates")
    same = unique_names({1: "Exchange rate", 2: "Exchange rates", 3: "Rate exchange"}, {2: ["rate", "fees"]})
    assert same == {1: "Exchange rate", 2: "Exchange rates (fees)", 3: "Rate exchange (#3)"}
    # words that carry the meaning though they are stop words keep two names apart
    apart = {1: "Card not working", 2: "Card working", 3: "Log in", 4: "Log out", 5: "Transfer in", 6: "Transfer out"}
    assert unique_names(apart, {}) == apart


def test_config_forbids_unknown_fields():
    with pytest.raises(ValidationError):
        ProfileConfig(n_term=5)
    with pytest.raises(ValidationError):
        ProfileConfig(n_evidence=3)


def _tiny(n=6):
    members = pd.DataFrame({"member_id": [str(i) for i in range(n)], "text": ["late bag lost"] * n})
    E = np.eye(n, 8)
    return members, np.full((n, 36), np.nan), np.zeros(n, int), np.zeros(n, bool), E


def test_bad_inputs_give_one_line_errors():
    members, X, labels, re_, E = _tiny()
    with pytest.raises(InputError, match="labels has 5 rows but members has 6"):
        build_profiles(members, X, labels[:5], re_, E)
    with pytest.raises(InputError, match="no 'text' column"):
        build_profiles(members.drop(columns="text"), X, labels, re_, E)
    with pytest.raises(InputError, match="-1"):
        build_profiles(members, X, labels - 1, re_, E)
    with pytest.raises(InputError, match="FEATURE_NAMES order"):
        build_profiles(members, X[:, :30], labels, re_, E)


def test_single_persona_all_nan_features_still_profiles():
    members, X, labels, re_, E = _tiny()
    [p] = build_profiles(members, X, labels, re_, E)
    assert p["size"] == 6 and p["share"] == 1.0 and p["highlights"] == []
    assert p["activity"]["has_timestamps"] is False and p["separators"]["accuracy"] is None
    assert p["name"] and p["description"]


def test_the_share_with_any_is_said_only_where_it_differs_the_way_the_counts_do():
    """A diff review: 10 % of a persona write "!!!" where 27 % of everyone write one "!": more exclamation marks,
    fewer members with any; "has exclamation marks in 10% of its members (population 27%)" beside "more"."""
    up = describe_feature("exclaim_log", np.log1p(0.3), np.log1p(0.2), {"any": {"exclaim_log": (0.10, 0.27)}})
    assert up.startswith("uses 1.5× more exclamation marks")
    assert describe_feature("exclaim_log", np.log1p(0.3), np.log1p(0.05), {"any": {"exclaim_log": (0.20, 0.04)}}) == \
        "uses exclamation marks in 20% of messages (population 4%)"


def test_a_count_is_said_as_a_ratio_only_when_the_ratio_is_worth_saying():
    """A wording review (2026-12-05): "has authors who join 1.2× more threads than average (typically 1.2 vs 1.0
    threads)" led a persona's highlights (std_diff 1.07), and "replies 33.2× shallower in threads than average
    (typically 0.031 vs 1.0 levels)" described a persona whose typical member replies in no thread."""
    from ml.profile.fingerprint import said

    def entry(name, a, b):
        return {"feature": name, "std_diff": 1.2, "coverage": 1.0, "t_stat": 8.0,
                "persona_mean": float(np.log1p(a)), "population_mean": float(np.log1p(b))}

    assert not said(entry("author_thread_count_log", 1.2, 1.0))  # 1.2×: below the names' 1.5×
    assert not said(entry("thread_depth_log", 0.031, 1.0))  # a typical member has none
    assert said(entry("words_log", 20.0, 10.0)) and said(entry("words_log", 5.0, 10.0))  # 2× either way
    assert said(entry("exclaim_log", 0.13, 0.026))  # most have none: said as the share with any
    assert said({"feature": "night_share", "std_diff": 1.2, "coverage": 1.0, "t_stat": 8.0,
                 "persona_mean": 0.3, "population_mean": 0.2})  # a share: no ratio rule
