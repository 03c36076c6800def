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
