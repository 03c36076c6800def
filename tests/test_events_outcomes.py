"""Outcome rates per event persona (``ml.events.outcomes``): the users set aside before the personas, and bands."""

from __future__ import annotations

import numpy as np
import pytest

from ml.events.cli import _numbers
from ml.events.outcomes import outcome_table


def test_users_set_aside_get_their_own_row_in_the_personas_categories():
    """KDD Cup 2015: 17,284 enrolments set aside for too few events had 96 % dropout, against 77 % of the users in
    personas; the overview's "Everyone" row left them out, so the group at highest risk was in no row."""
    labels = np.array([0] * 30 + [1] * 30)
    outcome = ["1"] * 20 + ["0"] * 10 + ["1"] * 25 + ["0"] * 5
    table = outcome_table(labels, outcome, set_aside=["1"] * 48 + ["0"] * 2 + [None] * 3)
    assert table["overall"] == {"0": 0.25, "1": 0.75}  # the personas' users only, as before
    assert table["set_aside"] == {"n": 50, "rates": {"0": 0.04, "1": 0.96}, "other": 0.0}
    assert "set_aside" not in outcome_table(labels, outcome)


def test_a_numeric_outcome_set_aside_is_cut_at_the_personas_edges():
    rng = np.random.default_rng(0)
    grades = rng.uniform(0, 100, 90).round(1)
    labels = np.repeat([0, 1, 2], 30)
    table = outcome_table(labels, grades, set_aside=[0.5, 3.0, 99.0, 150.0])  # 150: beyond every band
    aside = table["set_aside"]
    low, high = table["categories"][0], table["categories"][-1]
    assert aside["n"] == 4 and aside["other"] == 0.25
    assert sum(aside["rates"].values()) == pytest.approx(0.75)
    assert aside["rates"][low] + aside["rates"][high] >= 0.5  # the lowest and highest grades fall in the end bands
    given = outcome_table(labels, grades, bins=[0, 40, 70, 101], set_aside=[39.9, 40.0])
    assert given["categories"] == ["[0, 40)", "[40, 70)", "[70, 101)"]
    assert given["set_aside"]["rates"] == {"[0, 40)": 0.5, "[40, 70)": 0.5, "[70, 101)": 0.0}


def test_outcome_bins_flag_reads_rising_edges_or_says_what_to_give():
    import argparse

    assert _numbers("0,40,70,101") == [0.0, 40.0, 70.0, 101.0]
    for bad in ("0,forty", "70,40", "5"):
        with pytest.raises(argparse.ArgumentTypeError, match="e.g. 0,40,70,101"):
            _numbers(bad)


def test_band_labels_read_as_the_explorer_writes_them():
    from ml.events.outcomes import band_label

    assert band_label("(5.999, 40.0]", lowest=True) == "6 to 40"
    assert band_label("(40.0, 56.667]") == "over 40 to 56.67"
    assert band_label("[40, 70)") == "40 to under 70" and band_label("1") == "1"
    assert band_label("(1234.567, 2000.5]") == "over 1234.57 to 2000.5"  # as the explorer's toFixed(2) writes it


def test_values_beyond_the_given_bands_are_a_category_of_their_own_not_nan():
    """`--outcome-bins 0,40,70,101` over grades up to 120: the values beyond were a band called "nan" (a column of
    the table, a cell of the chi-square, a possible strategy risk "Overall nan for 12%")."""
    table = outcome_table(np.repeat([0, 1], 20), list(np.linspace(0, 120, 40)), bins=[0, 40, 70, 101])
    assert "nan" not in table["categories"] and table["categories"][-1] == "outside the bands"
    assert table["overall"]["outside the bands"] == pytest.approx(7 / 40)


def test_an_event_strategy_says_an_outcome_that_differs_and_cites_it():
    """KDD Cup 2015: "Light navigate & wiki users" (3,123 users, 89.5 % dropout against 76 % of the other personas'
    users) got "Retention: keep these people" and no word of it."""
    from ml.events.outcomes import persona_outcome
    from ml.strategy import generate_strategy, iter_citations, resolve_citation, validate_strategy
    from tests.test_strategy import _event_profile

    outcomes = {"column": "label", "nmf": {"categories": ["0", "1"], "personas": [
        {"persona_id": 0, "n": 34500, "rates": {"0": 0.239, "1": 0.761}},
        {"persona_id": 1, "n": 3123, "rates": {"0": 0.105, "1": 0.895}},
        {"persona_id": 2, "n": 2459, "rates": {"0": 0.189, "1": 0.811}}]}}
    light = {**_event_profile(10.8), "outcome": persona_outcome(outcomes, 1)}
    assert light["outcome"]["rest"]["1"] == pytest.approx((34500 * 0.761 + 2459 * 0.811) / 36959, abs=1e-4)
    doc = generate_strategy(light, "retention", rewriter=None)
    validate_strategy(doc)
    said = [r for r in doc["risks"] if r["citations"]["signals"] == ["outcome:1"]]
    assert len(said) == 1 and said[0]["text"].startswith(
        "Its users' label differs from the other personas' users': 1 for 89.5% of them against 76.4%")
    assert all(resolve_citation(light, r) for c in iter_citations(doc) for r in c["signals"])
    assert doc["cited_signals"]["outcome:1"].startswith("label 1: 89.5% of its users (3,123)")
    same = {**light, "outcome": persona_outcome({"column": "label", "nmf": {"categories": ["0", "1"], "personas": [
        {"persona_id": 0, "n": 500, "rates": {"0": 0.24, "1": 0.76}},
        {"persona_id": 1, "n": 400, "rates": {"0": 0.23, "1": 0.77}}]}}, 1)}
    assert not any("outcome:" in s for c in iter_citations(generate_strategy(same, "retention", rewriter=None))
                   for s in c["signals"])  # 77 % against 76 %: nothing to say
    assert persona_outcome(outcomes, 9) is None and persona_outcome(None, 1) is None


def test_outcome_values_can_be_named_for_the_tables_and_the_strategy(tmp_path):
    """KDD Cup 2015: the overview read "label: 0" / "label: 1"; `--outcome-names 1=dropped out,0=stayed` names them
    everywhere the outcome is shown (values not named stay as written)."""
    import argparse

    from ml.events.cli import _names
    from ml.events.config import EventInputConfig
    from ml.events.ingest import load_events
    from tests.test_events_bad_input import rows_csv, write

    assert _names("1=dropped out, 0=stayed") == {"1": "dropped out", "0": "stayed"}
    for bad in ("1", "=x", "1=", ""):
        with pytest.raises(argparse.ArgumentTypeError, match="VALUE=NAME"):
            _names(bad)
    events = rows_csv(tmp_path)
    truth = write(tmp_path / "truth.csv", "user_id,label\n" + "".join(f"u{u},{u % 3}\n" for u in range(30)))
    table = load_events([events], EventInputConfig(outcome_file=str(truth), outcome_col="label",
                                                   outcome_names={"1": "dropped out", "0": "completed"}))
    got = table.users.set_index("user")["outcome"]
    assert got["u1"] == "dropped out" and got["u3"] == "completed" and str(got["u2"]) == "2"


def test_a_value_that_is_no_number_in_a_numeric_outcome_is_counted_not_dropped_silently():
    """An events review: "absent" among grades was left out of the tables with no word (known for 112, tables
    111)."""
    values = [str(v) for v in range(60)] + ["absent", "absent", "n/a?"]
    labels = np.arange(len(values)) % 2
    table = outcome_table(labels, values, [0, 20, 40, 101])
    assert table["n"] == 60 == sum(p["n"] for p in table["personas"])
    assert table["unread"] == 3 and table["unread_examples"] == ["absent", "n/a?"]
    clean = outcome_table(labels[:60], values[:60], [0, 20, 40, 101])
    assert clean.get("unread", 0) == 0


def test_a_fixed_k_says_what_it_gave_when_it_is_not_what_was_asked():
    """An events review: --k 15 gave 9 personas, six of one user each, without a word."""
    from ml.events.cli import fixed_k_line

    met = {"k_chosen_by": "fixed", "empty_components_dropped": 6, "n_personas": 9, "min_share": 0.0088}
    line = fixed_k_line(met, {"k": 15, "min_persona_share": 0.02})
    assert line.startswith("--k 15: 6 of its 15 components were no user's largest share")
    assert "leaving 9 personas" in line and "0.9% of the users, under the 2%" in line
    assert fixed_k_line({**met, "k_chosen_by": "cv (lowest held-out error)"}, {"k": None}) is None
    assert fixed_k_line({**met, "empty_components_dropped": 0, "min_share": 0.1}, {"k": 4,
                                                                                     "min_persona_share": 0.02}) is None


def test_check_says_which_values_of_a_numeric_outcome_are_no_numbers():
    """A verification: --check read "known for 112 of 113 users" while the run's tables used 111 ('absent')."""
    import pandas as pd

    from ml.events.pipeline import _no_numbers

    grades = pd.Series([str(v) for v in range(40)] + ["absent", None, ""])
    assert _no_numbers(grades) == "; 1 of them no number ('absent'), left out of the outcome tables"
    assert _no_numbers(pd.Series(["pass", "fail", "absent"])) == ""  # a categorical outcome: every value is one


def test_users_are_cut_by_how_many_events_they_logged_into_groups_of_about_equal_size():
    from ml.events.outcomes import volume_groups

    groups = volume_groups([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 3)
    assert groups.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert len(set(volume_groups([5, 5, 5, 5, 9, 9], 2).tolist()[:4])) == 1  # ties stay together
    assert volume_groups([3, 1, 2], 1).tolist() == [0, 0, 0]
    # many users at one count: fewer groups, numbered without a gap (a review: groups {0, 2, 3} for k = 4)
    assert sorted(set(volume_groups([5] * 6 + [6, 7, 8, 9], 4).tolist())) == [0, 1, 2]

