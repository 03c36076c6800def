"""Times that say what they are (issue 13.6): the run's time basis (UTC, local or --timezone) decided from
the data, recorded in the manifest and each persona's activity, and named in every sentence about hours."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys

import pandas as pd
import pytest

from ml.ingest.load import load_messages
from ml.ingest.timebasis import LOCAL, UTC, TimeBasis, clock_words, clock_words_allowed, is_fixed_offset
from ml.ingest.timeparse import parse_timestamps
from ml.profile.activity import ActivityProfiler, format_hours
from ml.profile.describe import days_with_shares, describe
from ml.profile.fingerprint import describe_feature
from ml.runtime.errors import InputError
from ml.strategy.generator import GOALS, generate_strategy
from tests.conftest import REPO
from tests.fixtures.runs import SAMPLE_TWCS, run_cli

AIRLINE = REPO / "data" / "sample" / "airline_tweets_sample.csv"
CLOCK_NAME_WORDS = ("Late-night", "Daytime", "Office-hours", "After-hours", "Weekend", "Weekday")
# "local" or "night" as words of our own sentences (quoted terms such as “tonight” are the customers')
CLAIMS = re.compile(r"\b(local|night|late-night)\b", re.IGNORECASE)


def _ours(text: str) -> str:
    """Text without the quoted customer words (“...”)."""
    return re.sub(r"“[^”]*”", "", text)


def _frame(values: list[str]) -> pd.DataFrame:
    return parse_timestamps(pd.Series(values))


# -- the basis, from the data --------------------------------------------------------------------------
def test_zero_or_absent_offsets_are_utc_and_real_offsets_are_local():
    utc = TimeBasis().fit(_frame(["Tue Oct 31 22:11:45 +0000 2017", "2017-10-31 08:00:00", ""]))
    assert utc.basis_ == UTC and utc.offsets_ == {"nonzero": 0, "zero": 1, "absent": 1}
    # an assumed UTC is said as such (a help desk's "2017-10-31 22:10:47" read "Every timestamp is UTC")
    assert utc.note_.startswith("1 of 2 timestamps carry no UTC offset: they are read as UTC, which the data does not say")
    stated = TimeBasis().fit(_frame(["Tue Oct 31 22:11:45 +0000 2017", "Tue Oct 31 23:11:45 +0000 2017"]))
    assert stated.basis_ == UTC and "Every timestamp is UTC" in stated.note_
    assumed = TimeBasis().fit(_frame(["2017-10-31 22:10:47", "2017-10-31 08:00:00"]))
    assert assumed.basis_ == UTC and assumed.note_.startswith("No timestamp carries a UTC offset: they are read as UTC")
    assert "--timezone Area/City" in assumed.note_
    local = TimeBasis().fit(_frame(["2015-02-24 11:35:52 -0800", "2015-02-24 11:35:52"]))
    assert local.basis_ == LOCAL and local.offsets_ == {"nonzero": 1, "zero": 0, "absent": 1}
    assert "1 timestamps without an offset are read as UTC" in local.note_
    several = TimeBasis().fit(_frame(["2015-02-24 11:35:52 -0800", "2015-06-24 11:35:52 -0700"]))
    assert several.basis_ == LOCAL  # offsets that differ (daylight saving, several zones) are each author's clock
    one = TimeBasis().fit(_frame(["2015-02-24 11:35:52 -0800", "2015-02-25 09:00:00 -0800"]))
    assert one.basis_ == "UTC-08:00" and is_fixed_offset(one.basis_) and not is_fixed_offset(LOCAL)
    none = TimeBasis().fit(_frame(["", "not a time"]))
    assert none.basis_ is None and none.record()["basis"] is None


def test_bundled_samples_twcs_is_utc_and_airline_is_its_one_offset():
    twcs, _ = load_messages([SAMPLE_TWCS])
    airline, _ = load_messages([AIRLINE])
    assert TimeBasis().fit(twcs).basis_ == UTC
    fitted = TimeBasis().fit(airline)
    # all 3,000 rows say -0800, though most authors state another zone: the hours are named by that
    # offset, not called the authors' local time
    assert fitted.basis_ == "UTC-08:00" and fitted.offsets_["nonzero"] == airline["timestamp"].notna().sum()
    assert "same offset (-0800)" in fitted.note_ and "not called local time" in fitted.note_
    assert TimeBasis().fit(twcs).transform(twcs) is twcs  # no zone: nothing converted


def test_timezone_converts_hours_weekdays_and_offsets_with_daylight_saving():
    msgs = _frame(["Mon Jan 02 03:30:00 +0000 2017", "2017-07-01T12:00:00Z", "2015-02-24 11:35:52 -0800", ""])
    out = TimeBasis("America/New_York").fit(msgs).transform(msgs)
    # 03:30 UTC Monday = 22:30 EST Sunday; 12:00 UTC = 08:00 EDT; 19:35 UTC = 14:35 EST (written -0800)
    assert out["local_hour"].tolist()[:3] == [22, 8, 14]
    assert out["local_weekday"].tolist()[:3] == [6, 5, 1]
    assert out["utc_offset_min"].tolist()[:3] == [-300.0, -240.0, -300.0]
    assert out["local_hour"].isna().iloc[3] and out["timestamp"].equals(msgs["timestamp"])
    rec = TimeBasis("America/New_York").fit(msgs).record()
    assert rec["basis"] == rec["timezone"] == "America/New_York" and "America/New_York" in rec["note"]


def test_timezone_reads_times_written_without_an_offset_as_its_clock():
    """A help desk's CSV or a phone's chat writes "2017-07-01 12:00:00" in its own zone: with --timezone that is
    noon there (16:00 UTC in New York's summer), not noon UTC converted to 08:00."""
    msgs = _frame(["2017-07-01 12:00:00", "2017-01-02 23:30:00", "2017-07-01T12:00:00Z"])
    assert msgs["utc_offset_min"].isna().tolist()[:2] == [True, True]
    fitted = TimeBasis("America/New_York").fit(msgs)
    out = fitted.transform(msgs)
    assert out["local_hour"].tolist() == [12, 23, 8] and out["local_weekday"].tolist() == [5, 0, 5]
    assert out["utc_offset_min"].tolist() == [-240.0, -300.0, -240.0]
    assert out["timestamp"].tolist()[:2] == [pd.Timestamp("2017-07-01 16:00", tz="UTC"),
                                             pd.Timestamp("2017-01-03 04:30", tz="UTC")]
    assert out["timestamp"].iloc[2] == msgs["timestamp"].iloc[2]  # written in UTC: converted as before
    assert "2 written without an offset were read as America/New_York time as written" in fitted.note_
    # an epoch number is a UTC instant (Slack's ts, JSON epoch fields): converted, never read as a wall clock
    epoch = _frame(["1499011200.000100"])
    assert TimeBasis("America/New_York").fit(epoch).transform(epoch)["local_hour"].tolist() == [12]
    # without --timezone nothing changes: they are read as UTC, and the note says how to read them otherwise
    plain = TimeBasis().fit(msgs)
    assert plain.transform(msgs) is msgs and "read as that zone's clock" in plain.note_


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../etc/passwd", "EST5EDT_nope"])
def test_unknown_zone_is_an_input_error_naming_the_flag(zone):
    with pytest.raises(InputError, match="--timezone"):
        TimeBasis(zone).fit(_frame(["2017-07-01T12:00:00Z"]))


def test_words_follow_the_basis():
    assert format_hours([22, 0], UTC) == "22:00 and 00:00 UTC"
    assert format_hours([9], LOCAL) == "09:00 local time"
    assert format_hours([9], "Europe/London") == "09:00 Europe/London time"
    assert format_hours([9], None) == "09:00 (UTC or local time, unknown)"
    assert format_hours([9]) == "09:00"
    assert clock_words_allowed(LOCAL) and clock_words_allowed("Europe/London")
    assert not clock_words_allowed(UTC) and not clock_words_allowed(None)
    assert format_hours([9, 10], "UTC-08:00") == "09:00 and 10:00 UTC-08:00" and not clock_words_allowed("UTC-08:00")
    night = describe_feature("night_share", 0.68, 0.21, time_basis=UTC)
    assert night == "posts 68% of messages between 22:00 and 05:59 UTC (population 21%)"
    assert describe_feature("weekend_share", 0.3, 0.2, time_basis=UTC).endswith("Saturday or Sunday in UTC (population 20%)")
    assert describe_feature("hour_sin", 0.0, 0.0, {"persona_hour": 23, "population_hour": 14}, LOCAL) == (
        "posts at about 23:00 local time on average over the day (population 14:00 local time)")
    assert clock_words("Asia/Tokyo") == "Asia/Tokyo time"


def test_activity_and_description_carry_the_basis():
    # persona 0: 22:00 four members, 23:00 two (a peak hour holds two members or more, and an hour tied at the cut
    # is none: ml.profile.activity._peaks); everyone's peak is 22:00 alone (23:00 and 09:00 tie at two)
    members = pd.DataFrame({"local_hour": [22, 22, 22, 22, 23, 23, 9, 9],
                            "local_weekday": [5, 5, 5, 5, 6, 6, 0, 0]})
    act = ActivityProfiler(n_peak_hours=2, time_basis=UTC).fit(members, [0] * 6 + [1] * 2).profile(0)
    assert act["time_basis"] == UTC
    text = describe({"size": 3, "share": 0.75, "core_size": 3, "reassigned_count": 0, "activity": act})
    days, shares = "Saturday and Sunday", "(67% and 33% of its members; everyone: 50% and 25%)"
    assert "busiest at 22:00 and 23:00 UTC" in text and f"most often on {days} in UTC {shares}" in text
    assert ") (" not in text  # one parenthesis after the days, the clock read before it
    assert not CLAIMS.search(text)
    act_fixed = {**act, "time_basis": "UTC-08:00"}
    fixed_text = describe({"size": 3, "share": 0.75, "core_size": 3, "reassigned_count": 0, "activity": act_fixed})
    assert "busiest at 22:00 and 23:00 UTC-08:00" in fixed_text and f"{days} in UTC-08:00 {shares}" in fixed_text
    assert not CLAIMS.search(fixed_text)
    timing = generate_strategy({"id": 0, "name": "x", "size": 3, "share": 0.75, "activity": act_fixed,
                                "fingerprint": [], "top_terms": [], "evidence": []}, GOALS[0], rewriter=None)["timing"]["text"]
    assert "UTC-08:00" in timing and "--timezone" in timing and not CLAIMS.search(timing)
    act_local = {**act, "time_basis": LOCAL}
    local_text = describe({"size": 3, "share": 0.75, "core_size": 3, "reassigned_count": 0, "activity": act_local})
    assert "22:00 and 23:00 local time" in local_text and f"{days} {shares}, though the data covers only 3" in local_text


def test_a_day_is_named_only_above_an_even_spread_and_beside_everyones_share():
    """A persona of a dump whose dates are mostly one Tuesday: Tuesday is named with its share and the
    whole data's, and Sunday (4 %) is not, though it is the second busiest day; an even week names none."""
    days = [1] * 17 + [6, 6] + [0, 2, 3, 4, 5]  # 17 Tuesdays, 2 Sundays (8 %), one of each other day: 24
    others = [1] * 60 + [0, 2, 3, 4, 5, 6] * 10
    members = pd.DataFrame({"local_hour": [12] * (len(days) + len(others)), "local_weekday": days + others})
    labels = [0] * len(days) + [1] * len(others)
    act = ActivityProfiler(time_basis=UTC).fit(members, labels).profile(0)
    assert act["peak_weekdays"] == [1]
    text = describe({"size": 24, "share": 0.2, "core_size": 24, "reassigned_count": 0, "activity": act})
    assert "most often on Tuesday in UTC (71% of its members; everyone: 53%)" in text
    assert "Sunday" not in text  # the second busiest day, under an even spread
    assert days_with_shares(act, of="its events").endswith("(71% of its events; everyone: 53%)")
    even = pd.DataFrame({"local_hour": [9] * 14, "local_weekday": list(range(7)) * 2})
    flat = ActivityProfiler(time_basis=UTC).fit(even, [0] * 14).profile(0)
    assert flat["peak_weekdays"] == []
    assert "most often" not in describe({"size": 14, "share": 1.0, "core_size": 14, "reassigned_count": 0,
                                         "activity": flat})


# -- a real run on the bundled TWCS sample (+0000): UTC everywhere -------------------------------------
def test_twcs_run_says_utc_and_never_local_or_night(pipeline_run_dir):
    manifest = json.loads((pipeline_run_dir / "manifest.json").read_text())
    assert manifest["time"]["basis"] == UTC and manifest["time"]["timezone"] is None
    assert manifest["time"]["offsets"]["nonzero"] == 0 and manifest["time"]["offsets"]["zero"] > 0
    personas = json.loads((pipeline_run_dir / "personas.json").read_text())
    personas = personas["personas"] if isinstance(personas, dict) else personas
    with_peaks = 0
    for p in personas:
        act = p["activity"]
        assert act["has_timestamps"] and act["time_basis"] == UTC
        if act["peak_hours"]:
            with_peaks += 1
            assert f"{format_hours(act['peak_hours'])} UTC" in p["description"]
        else:  # a small persona whose hours tie (ml.profile.activity._peaks) names none
            assert p["size"] < 60 and "busiest at" not in p["description"].lower(), (p["size"], p["description"])
        texts = [p["description"], *p["highlights"], *(f["sentence"] for f in p["fingerprint"])]
        assert not [t for t in texts if CLAIMS.search(_ours(t))], p["id"]
        assert not any(w.lower() in p["name"].lower() for w in CLOCK_NAME_WORDS), p["name"]
        clock = [f for f in p["fingerprint"] if f["feature"] in ("night_share", "hour_sin") and f["std_diff"] is not None]
        assert clock and all("UTC" in f["sentence"] for f in clock)
        for goal in GOALS:
            doc = generate_strategy(p, goal, rewriter=None)
            if doc["timing"]["best_hours"]:  # a send time is on UTC, with the advice to convert it
                assert "UTC" in doc["timing"]["text"] and "--timezone" in doc["timing"]["text"]
            else:  # none recommended (a date's burst, or no hour that stands out): no clock to convert
                assert doc["timing"]["text"].startswith(("No send time", "No hour stands out"))
            assert not CLAIMS.search(_ours(json.dumps(doc, ensure_ascii=False))), (p["id"], goal)
    assert with_peaks >= 0.9 * len(personas)


# -- --timezone on a tiny file of real TWCS texts with planted times ----------------------------------
def _planted_file(path) -> int:
    """Customers' tweets from the bundled sample, every other one at Monday 03:30 UTC (Sunday 22:30 in
    New York, EST) and the rest at Saturday 12:00 UTC in July (08:00 EDT); reply links dropped."""
    with SAMPLE_TWCS.open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["inbound"] == "True"][:160]
    for i, r in enumerate(rows):
        r["created_at"] = "Mon Jan 02 03:30:00 +0000 2017" if i % 2 == 0 else "Sat Jul 01 12:00:00 +0000 2017"
        r["response_tweet_id"] = r["in_response_to_tweet_id"] = ""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def test_timezone_flag_converts_the_run_and_is_in_the_manifest(tmp_path):
    src = tmp_path / "planted.csv"
    _planted_file(src)
    cfg = tmp_path / "fast.json"
    cfg.write_text(json.dumps({"metrics": {"stability": False}}))
    out = tmp_path / "run"
    assert run_cli([str(src), "--out", str(out), "--no-store", "--timezone", "America/New_York",
                    "--config", str(cfg)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["time"]["basis"] == manifest["time"]["timezone"] == "America/New_York"
    assert manifest["config"]["input"]["timezone"] == "America/New_York"
    personas = json.loads((out / "personas.json").read_text())
    personas = personas["personas"] if isinstance(personas, dict) else personas
    act = personas[0]["activity"]
    assert act["time_basis"] == "America/New_York"
    hourly, weekday = act["population_hourly"], act["population_weekday"]
    assert sum(hourly) == manifest["counts"]["kept"] == hourly[22] + hourly[8]
    assert hourly[22] > 0 and hourly[8] > 0 and weekday[6] == hourly[22] and weekday[5] == hourly[8]
    assert any("America/New_York time" in p["description"] for p in personas)


def test_unknown_timezone_exits_2_with_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "ml.run", str(SAMPLE_TWCS), "--out", str(tmp_path / "run"),
                           "--no-store", "--quiet", "--timezone", "Mars/Olympus_Mons"],
                          check=False, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "--timezone" in lines[0] and "Mars/Olympus_Mons" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "run").exists()


def test_a_dump_of_a_few_days_says_its_weekdays_are_the_dates_it_covers():
    from ml.profile.describe import _activity_sentence

    act = {"time_basis": "UTC", "peak_hours": [21], "peak_weekdays": [5], "weekday": [0, 0, 0, 0, 0, 50, 20],
           "population_weekday": [30, 40, 0, 0, 0, 60, 70]}
    assert "covers only 4 of the 7 weekdays" in _activity_sentence(act)
    full = {**act, "population_weekday": [30, 40, 20, 25, 35, 60, 70]}
    assert "covers only" not in _activity_sentence(full)
