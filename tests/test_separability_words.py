"""How a persona's separability is worded: near chance (balanced accuracy 0.5) it reads as a loose grouping."""

from __future__ import annotations

from ml.profile.describe import LOOSE_SEPARATION, WEAK_SEPARATION, describe, separability_sentence


def test_the_words_follow_how_far_above_chance_the_classifier_is():
    assert separability_sentence(0.84, "members") == (
        "It stands apart: a simple classifier tells its members apart from other personas' members correctly 84% of "
        "the time on members it had not seen (both sides counted equally; 50% is chance).")
    part = separability_sentence(0.64, "members")
    assert "only in part" in part and "64%" in part and "50% is chance" in part
    weak = separability_sentence(0.53, "users")
    assert "hardly" in weak and "loose grouping" in weak and "users it had not seen" in weak
    assert WEAK_SEPARATION < LOOSE_SEPARATION == 0.7  # the strategy's "loosely separated" risk uses the same line


def test_a_description_carries_the_worded_separability():
    profile = {"size": 40, "share": 0.1, "core_size": 30, "reassigned_count": 10, "top_terms": [],
               "activity": {"has_timestamps": False}, "separators": {"accuracy": 0.52}}
    assert "It hardly stands apart" in describe(profile)
