"""python -m ml.compare on real run directories: a run against itself, an event run against itself,
and the refusals (missing folder, a folder that is no run, runs of two kinds) as one line with exit 2."""

from __future__ import annotations

import json
import shutil

import pytest

from ml.compare import main
from tests.fixtures.data import shared_path


@pytest.fixture(scope="module")
def event_run(tmp_path_factory):
    from ml.run import main as run_main

    out = tmp_path_factory.mktemp("ev") / "moodle"
    path = shared_path("events_moodle", "Course_Activity_Obfuscated.csv.gz")
    assert run_main(["--kind", "events", str(path), "--out", str(out), "--no-store", "--quiet"]) == 0
    return out


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err
    return err


def test_a_run_against_itself_continues_everything(pipeline_run_dir, tmp_path, capsys):
    out = tmp_path / "cmp.json"
    assert main([str(pipeline_run_dir), str(pipeline_run_dir), "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    personas = json.loads((pipeline_run_dir / "personas.json").read_text())
    assert len(data["new_personas"]) == len(personas)
    assert {p["status"] for p in data["new_personas"]} == {"continued"}
    assert all(p["base_ids"] == [p["id"]] and p["scores"]["similarity"] > 0.999 for p in data["new_personas"])
    # the tone of each persona, then and now: the same members, so no change
    assert all(p["tone"]["change"] == 0 and p["tone"]["reading"] == "no clear change" for p in data["new_personas"])
    # the headline: the same members placed on the run's own personas, only the placement's leave-one-out differs;
    # one bucket per persona plus "novel", which cannot grow (nothing is new)
    assert data["shift"]["basis"] == "placed" and data["shift"]["level"] == "stable"
    assert data["shift"]["psi"] < 0.05 and len(data["shift"]["buckets"]) == len(personas) + 1
    novel = data["shift"]["buckets"][-1]
    assert novel["bucket"] == "novel" and novel["now"] == novel["then"]
    assert data["fit_shift"]["psi"] == 0.0 and data["fit_shift"]["basis"] == "linked"
    assert data["movers"]["n_moved"] == 0 and data["movers"]["n_shared"] > 0
    assert data["config"]["psi_major"] == 0.25
    # the same members on both sides: said first, so that no change is read as the customers' (What changed)
    assert data["notes"][0].startswith("both runs hold the same members (")
    out_text = capsys.readouterr().out
    assert "population shift: PSI" in out_text and "placed on the base run's personas" in out_text
    assert "are the same run" in out_text  # said as such (a review ran "latest latest")
    assert "disagree by PSI 0.000" in out_text
    # the re-runs review: the counts were a key dump ("base_continued 12, …") and the lines under the table used
    # baseline ids beside a table of this run's ids
    assert f"baseline personas: {len(personas)} continued; this run's: {len(personas)} continued" in out_text
    assert "now: this run's persona ids; from: the baseline's" in out_text and "+0.0 pts" in out_text
    assert "overlap: empty" not in out_text  # the same members: every overlap is there
    # where no members recur, the empty column says why (a re-runs review saw it empty with no word)
    import io

    from ml.compare import print_comparison
    from ml.runtime.contracts.compare import Comparison

    for p in data["new_personas"]:
        p["scores"]["overlap"] = None
    buf = io.StringIO()
    print_comparison(Comparison.model_validate(data), file=buf)
    assert "overlap: empty, too few of the same members recur in both runs to compare them" in " ".join(
        buf.getvalue().split())
    # each run's own stability rides with the comparison; a poor one is said (an airline review: 23 of 43 "merged"
    # between two runs the CLI called tentative, and the comparison said nothing)
    manifest = json.loads((pipeline_run_dir / "manifest.json").read_text())
    assert data["new"]["stability_ari"] == manifest["metrics"]["stability_ari"] == data["base"]["stability_ari"]
    assert ("tentative:" in out_text) is (manifest["metrics"]["stability_ari"] < 0.65)
    data["new"]["stability_ari"] = 0.63
    buf = io.StringIO()
    print_comparison(Comparison.model_validate(data), file=buf)
    assert "tentative: the personas of this run (stability 0.63) regroup" in " ".join(buf.getvalue().split())


def test_a_copy_without_a_personas_members_reports_it_shrunk(pipeline_run_dir, tmp_path, capsys):
    """Drop three quarters of the largest persona's members from a copy: it shrank, the others stay, PSI moves.
    Shrunk needs the placed shares to agree (ml.lineage.compare): a copy whose model still samples the dropped
    members is a re-drawn edge, "continued"; with them gone from the model's member sample as well, it shrank."""
    import numpy as np
    import pandas as pd

    from ml.lineage.neighbourhood import NeighbourhoodNovelty
    from ml.runtime.model import PersonaModel

    copy = tmp_path / "copy"
    shutil.copytree(pipeline_run_dir, copy)
    assignments = pd.read_parquet(copy / "assignments.parquet")
    largest = int(assignments["persona_id"].value_counts().idxmax())
    mine = np.flatnonzero(assignments["persona_id"].to_numpy() == largest)
    # the copy keeps the model (same centroids) but a quarter of the persona's members
    assignments.drop(index=assignments.index[mine[mine % 4 != 0]]).to_parquet(copy / "assignments.parquet", index=False)
    out = tmp_path / "cmp.json"
    assert main([str(pipeline_run_dir), str(copy), "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    kept = {p["id"]: p for p in data["new_personas"]}[largest]
    assert kept["now"]["share"] < kept["then"]["share"] / 2 and kept["status"] == "continued" and kept["share_recut"]
    assert kept["placed"]["now"]["share"] > kept["placed"]["then"]["share"] / 1.5  # the model's sample still has them
    printed = capsys.readouterr().out
    assert "continued (re-drawn)" in printed and f"{largest} {kept['name']} " in printed.split("re-drawn (this fit")[1]

    model = PersonaModel.load(copy)  # the same quarter in the model's member sample
    nov = model.novelty
    keep = (nov.labels_ != largest) | (np.arange(len(nov.labels_)) % 4 == 0)
    model.novelty = NeighbourhoodNovelty(**nov.get_params()).fit(nov.vectors_[keep].astype(np.float32), nov.labels_[keep])
    model.save(copy / "model")
    assert main([str(pipeline_run_dir), str(copy), "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    new = {p["id"]: p for p in data["new_personas"]}
    assert new[largest]["status"] == "shrunk" and not new[largest]["share_recut"], new[largest]["reason"]
    assert new[largest]["placed"]["now"]["high"] < new[largest]["placed"]["then"]["low"]
    assert {p["status"] for i, p in new.items() if i != largest} <= {"continued", "grown"}
    assert data["fit_shift"]["psi"] > 0.05
    assert not any(n.startswith("both runs hold the same members") for n in data["notes"])  # members differ


def test_event_runs_compare_by_their_components(event_run, tmp_path):
    out = tmp_path / "cmp.json"
    assert main([str(event_run), str(event_run), "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["base"]["kind"] == "events" and data["movers"]["key"] == "member"
    assert {p["status"] for p in data["new_personas"]} == {"continued"}
    # an event model keeps no member sample: the headline is the linked personas' PSI
    assert data["shift"]["basis"] == "linked" and data["shift"] == data["fit_shift"]


def test_missing_run_dir(pipeline_run_dir, tmp_path, capsys):
    assert main([str(tmp_path / "nope"), str(pipeline_run_dir)]) == 2
    assert "no such run directory" in _one_line_error(capsys)


def test_a_folder_that_is_no_run(pipeline_run_dir, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    assert main([str(pipeline_run_dir), str(tmp_path)]) == 2
    assert "not a run directory" in _one_line_error(capsys)


def test_runs_of_two_kinds(pipeline_run_dir, event_run, capsys):
    assert main([str(event_run), str(pipeline_run_dir)]) == 2
    assert "compare two runs of one kind" in _one_line_error(capsys)


def test_a_stop_while_writing_the_json_keeps_the_earlier_file(pipeline_run_dir, tmp_path, capsys, monkeypatch):
    import ml.runtime.runfiles as runfiles

    out = tmp_path / "cmp.json"
    out.write_text('{"earlier": true}')

    def stopped(path, data):
        path.write_text('{"half": ')  # a partial write, then Ctrl-C or SIGTERM
        raise KeyboardInterrupt

    monkeypatch.setattr(runfiles, "write_json", stopped)
    capsys.readouterr()
    assert main([str(pipeline_run_dir), str(pipeline_run_dir), "--json", str(out)]) == 130
    assert capsys.readouterr().err.strip() == "interrupted: no --json file was written or changed"
    assert out.read_text() == '{"earlier": true}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp.json"]


def test_each_run_says_the_dates_it_covers(pipeline_run_dir, tmp_path, capsys):
    """The manifest records the first and last kept timestamp; a comparison carries both runs' periods (read
    from the members' timestamps for runs made before the manifest held them) and the CLI's title says them."""
    import pandas as pd

    manifest = json.loads((pipeline_run_dir / "manifest.json").read_text())
    stamps = pd.to_datetime(pd.read_parquet(pipeline_run_dir / "assignments.parquet")["timestamp"], utc=True,
                            format="ISO8601")
    first, last, p05, p95 = (manifest["time"][k] for k in ("first", "last", "p05", "p95"))
    assert pd.Timestamp(first) == stamps.min() and pd.Timestamp(last) == stamps.max()
    assert ((stamps >= pd.Timestamp(p05)) & (stamps <= pd.Timestamp(p95))).mean() >= 0.9
    assert first < p05 < p95 < last  # the sample holds stray tweets from 2011 and 2016
    old = tmp_path / "old"
    shutil.copytree(pipeline_run_dir, old)
    for key in ("first", "last", "p05", "p95"):
        manifest["time"].pop(key)
    (old / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "cmp.json"
    assert main([str(old), str(pipeline_run_dir), "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    for ref in (data["base"], data["new"]):
        assert (ref["first"], ref["last"], ref["p05"], ref["p95"]) == (first, last, p05, p95)
    assert f"({first[:10]} – {last[:10]} UTC; 90% within {p05[:10]} – {p95[:10]})" in capsys.readouterr().out
    assert data["new"]["basis"] == manifest["time"]["basis"] == "UTC"


def test_the_dates_are_on_the_runs_clock():
    """A run whose timestamps all carry -0800 (the airline tweets) shows its dates on that clock, as its charts
    do: 03:00 UTC on the 17th is still the 16th there; a zone converts with its daylight saving; local time
    (each author's own clock) and runs without a basis stay in UTC."""
    from ml.compare import _span
    from ml.runtime.contracts.compare import RunRef

    def ref(basis):
        return RunRef(run_id="r", unit="message", n_members=2, n_personas=1, space="s", basis=basis,
                      first="2015-02-17T03:00:00+00:00", last="2015-02-24T12:00:00+00:00")

    assert _span(ref("UTC-08:00")) == " (2015-02-16 – 2015-02-24 UTC-08:00)"
    assert _span(ref("Asia/Tokyo")) == " (2015-02-17 – 2015-02-24 Asia/Tokyo)"
    assert _span(ref("America/Los_Angeles")) == " (2015-02-16 – 2015-02-24 America/Los_Angeles)"
    for basis in ("UTC", "local", None, "Not/A_Zone"):
        assert _span(ref(basis)) == " (2015-02-17 – 2015-02-24 UTC)"


@pytest.mark.parametrize("where", ["missing-folder", "a-folder"])
def test_a_json_path_that_cannot_be_written_is_refused_before_comparing(pipeline_run_dir, tmp_path, capsys,
                                                                         monkeypatch, where):
    """A code review (2026-12-06): ``--json nodir/x.json`` or an existing folder failed only after the comparison,
    as "error: FileNotFoundError …" with exit 1."""
    import ml.lineage

    def never(*_a, **_k):
        raise AssertionError("compared before the --json path was checked")

    monkeypatch.setattr(ml.lineage, "compare_runs", never)
    target = tmp_path / "nodir" / "x.json" if where == "missing-folder" else tmp_path
    assert main([str(pipeline_run_dir), str(pipeline_run_dir), "--json", str(target)]) == 2
    err = _one_line_error(capsys)
    assert ("does not exist; create it first" if where == "missing-folder" else "a folder; name the file") in err
