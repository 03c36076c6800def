"""How much of a persona its name describes (ml.profile.name_share)."""

from __future__ import annotations

import json
import re

from ml.profile.name_share import name_share


def test_a_part_of_the_name_is_held_by_a_text_when_all_its_words_are():
    texts = ["my card isn't working", "refund please", "hello there", "working from home"]
    # "card not working": card + work ("not" is a stop word); "refund"; the behaviour word is no part
    assert name_share("Brief: card not working & refund", texts) == 0.5
    assert name_share("Fixed it thanks", ["fixed it, thanks!", "didn't work", "still broken", "nope"]) == 0.25
    assert name_share("Customer service (phone number)", ["customer service sucks", "bad"]) == 0.5  # no qualifier
    assert name_share("Transfer, how long & beneficiary", ["how long does a transfer take", "beneficiary"]) == 1.0
    assert name_share("#1", texts) is None and name_share("Refund", []) is None


def test_every_persona_of_a_run_says_how_much_its_name_describes(pipeline_run_dir):
    """The bundled sample's run: each persona's share is that of its members' texts holding a part of its name."""
    import pandas as pd

    personas = json.loads((pipeline_run_dir / "personas.json").read_text())
    members = pd.read_parquet(pipeline_run_dir / "assignments.parquet", columns=["persona_id", "text"])
    from ml.profile.naming import FEW_AUTHORS, NO_TOPIC

    for p in personas:
        own = members.loc[members["persona_id"] == p["id"], "text"].astype(str).tolist()
        topic = re.sub(r"\s*\([^)]*\)$", "", p["name"].split(": ")[-1]).lower()  # no "(#33)" qualifier
        if topic in (NO_TOPIC, FEW_AUTHORS.lower()):  # says no topic: no words to look for
            assert p["name_share"] is None, p["name"]
            continue
        assert p["name_share"] is not None and 0 < p["name_share"] <= 1, p["name"]
        # the stored texts are masked, the measure read the raw ones: close, not equal
        assert abs(p["name_share"] - name_share(p["name"], own)) <= 0.1, (p["name"], p["name_share"])


def test_a_hyphenated_name_word_is_held_however_members_write_it():
    """A Banking77 review (2026-12-05): "Top-up was reverted" read 1 % where members wrote "top up … reverted"."""
    texts = ["my top up got reverted", "topup reverted, why", "the top-up was reverted", "Top-ups reverted again",
             "my card is fine", "I was topped by the app"]
    assert name_share("Top-up was reverted", texts) == round(4 / 6, 4)
    assert name_share("Limit for top-ups", ["what is the top up limit", "limits on topups", "top limit"]) == round(2 / 3, 4)


def test_a_name_of_several_parts_has_each_parts_share():
    """A Banking77 review (2026-12-05): "Refund & contacted the seller" read 92 % where its second part described
    12 % of the members: any part counts in name_share."""
    from ml.profile.name_share import part_shares

    texts = ["I want a refund please", "refund for my order", "I contacted the seller, still no refund", "hello"]
    assert name_share("Refund & contacted the seller", texts) == 0.75
    assert part_shares("Refund & contacted the seller", texts) == [
        {"part": "Refund", "share": 0.75}, {"part": "contacted the seller", "share": 0.25}]
    assert part_shares("Polite: freeze my card", texts) is None  # one part: the figure says it
    assert part_shares("Brief: top-up & refund (app)", ["topup refund"])[0] == {"part": "top-up", "share": 1.0}


def test_numbers_count_and_handles_do_not():
    """A wording review (2026-12-05): "Hold for two hours" held "I was on hold for 3 hours" ("two" is a stop word),
    and "@Uber_Support" held "uber" in "Driver & uber"."""
    assert name_share("Hold for two hours", ["I was on hold for 3 hours", "on hold for 2 hours now",
                                              "hold for two hours!"]) == round(2 / 3, 4)
    assert name_share("Driver & uber", ["@Uber_Support my ride was bad", "[@user] user here"]) == 0.0
    assert name_share("Driver & uber", ["my uber driver was late"]) == 1.0


def test_a_negation_is_no_word_to_look_for():
    """An explorer review (2026-12-06): "Card isn't working" read 12 % on members who wrote "card not working",
    "my card doesn't work": "isn" was looked for, where "not" (a stop word) never was."""
    texts = ["my card is not working", "card won't work", "the card doesn't work at all", "card arrived"]
    assert name_share("Card isn't working", texts) == name_share("Card not working", texts) == 0.75


def test_a_part_of_three_words_is_held_with_all_but_one():
    """"Contactless stopped working" read 6 % where every member asked about contactless not working; a part of
    two words still needs both."""
    texts = ["contactless is not working", "contactless payments fail", "the ATM swallowed my card",
             "my card is stuck"]
    assert name_share("Contactless stopped working", texts) == 0.25
    assert name_share("ATM ate my card", texts) == 0.25
    assert name_share("Card stuck", texts) == 0.25  # "card" alone does not hold "card stuck"


def test_the_report_rounds_shares_as_the_explorer_does():
    """A review (2026-12-06): name_share 0.225 read "name in 22%" in the report ("%.0f" rounds half to even) and
    23% in the explorer (``toFixed``)."""
    from backend.routes.report import percent, rounded

    assert percent(0.225) == "23" and percent(0.2249) == "22" and percent(0.0345, 1) == "3.5"
    assert rounded(22.5) == "23" and rounded(12.25, 1) == "12.3" and rounded(7.0, 1) == "7.0"
