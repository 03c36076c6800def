"""python -m ml.assign on a real run: fresh data placed with the run's model, novelty and PSI against
the run, the refit exit status, and bad input (missing run, event run, missing column, --out checks)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from ml.assign import REFIT_EXIT, main
from tests.fixtures.data import SAMPLE_DIR


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: ") and "Traceback" not in err
    return err


def test_the_runs_own_data_is_not_novel(pipeline_run_dir, tmp_path, capsys):
    out = tmp_path / "own"
    code = main([str(pipeline_run_dir), str(SAMPLE_DIR / "twcs_sample.csv"), "--inbound-only", "--out", str(out),
                 "--quiet"])
    summary = json.loads((out / "summary.json").read_text())
    assigned = pd.read_parquet(out / "assignments.parquet")
    assert len(assigned) == summary["n_assigned"] > 100
    assert {"member_id", "persona_id", "persona_name", "distance", "would_be_noise", "novel"} <= set(assigned)
    # each placed member names its persona's family, as the run does
    manifest = json.loads((pipeline_run_dir / "manifest.json").read_text())
    personas = json.loads((pipeline_run_dir / "personas.json").read_text())
    family_of = {p["id"]: p["parent_id"] for p in personas}
    names = {f["id"]: f["name"] for f in manifest["hierarchy"]["families"]}
    at = list(assigned.columns).index("persona_name")
    assert list(assigned.columns[at:at + 3]) == ["persona_name", "family_id", "family_name"]
    assert assigned["family_id"].tolist() == [family_of[int(p)] for p in assigned["persona_id"]]
    assert assigned["family_name"].tolist() == [names[family_of[int(p)]] for p in assigned["persona_id"]]
    assert assigned["family_name"].nunique() >= 2
    # the run's own texts: about 1 − novelty_quantile of them lie beyond the run's own quantile
    assert summary["novelty_share"] <= 0.1
    assert summary["novelty_reference"] == "member-sample"
    assert summary["novelty_share"] == round(float(assigned["novel"].mean()), 4)
    assert abs(sum(s["new"]["share"] for s in summary["shares"]) - 1) < 1e-3
    # "run" shares are the run's members as the model places them: its own texts read no shift (a re-runs review
    # read PSI 0.039 and "Cancelled Flightled 3.6% → 5.8%" against the fit's own shares)
    assert summary["run_shares"] == "placed" and summary["shift"]["psi"] < 0.01, summary["shift"]["psi"]
    assert summary["refit"] is False and code == 0 and not summary["notes"]
    assert summary["config"]["novelty_alert"] == 0.2
    line = capsys.readouterr().out.strip()
    assert line.startswith("no refit needed")
    # the re-runs review: "no refit needed: … PSI 0.153 < 0.25" read as "no action" while --notify fires from 0.1
    assert ("is worth a look: ml.run's --notify reports one" in line) == (summary["shift"]["level"] == "moderate")


def test_a_few_texts_get_no_verdict(pipeline_run_dir, tmp_path, capsys):
    """A re-runs review: a 3-row file read "2 assigned; novelty 100.0%; PSI 7.204 (major)", "refit recommended",
    exit 3. Too few members for a PSI over the run's personas, and a novelty share whose interval reaches under the
    alert, give no verdict: exit 0, and the line says why."""
    rows = pd.read_csv(SAMPLE_DIR / "twcs_sample.csv")
    few = tmp_path / "few.csv"
    rows[rows["inbound"].astype(str).str.lower() == "true"].head(3).to_csv(few, index=False)
    code = main([str(pipeline_run_dir), str(few), "--inbound-only", "--out", str(tmp_path / "few"), "--quiet"])
    summary = json.loads((tmp_path / "few" / "summary.json").read_text())
    assert code == 0 and summary["refit"] is False and summary["n_assigned"] <= 3
    assert any("too few for a shift" in n for n in summary["notes"])
    assert capsys.readouterr().out.strip().startswith("no refit recommended on this batch: ")
    # the same --out again: the earlier assignments are replaced, and said so (they were replaced silently)
    main([str(pipeline_run_dir), str(few), "--inbound-only", "--out", str(tmp_path / "few")])
    err = capsys.readouterr().err
    assert f"replaced the earlier assignments in {tmp_path / 'few'} (run " in err and "1 input: few.csv" in err


def test_a_run_kept_only_in_the_store_is_named_by_its_id(pipeline_run_dir, tmp_path, capsys):
    """A deployment review (2026-12-05): a store-only deployment could not run the scheduled ml.assign, which
    needed the run directory on disk; a store URL given as the run was garbled into a path."""
    from ml.store import RunBundle, open_store

    url = f"sqlite:///{tmp_path / 'personas.db'}"
    store = open_store(url)
    run_id = store.publish(RunBundle.from_dir(pipeline_run_dir))
    store.close()
    fresh = str(SAMPLE_DIR / "twcs_sample.csv")
    by_dir, by_id = tmp_path / "by_dir", tmp_path / "by_id"
    main([str(pipeline_run_dir), fresh, "--inbound-only", "--out", str(by_dir), "--quiet"])
    main([run_id, fresh, "--inbound-only", "--out", str(by_id), "--quiet", "--store", url])
    assert pd.read_parquet(by_id / "assignments.parquet").equals(pd.read_parquet(by_dir / "assignments.parquet"))
    assert json.loads((by_id / "summary.json").read_text())["run"]["run_id"] == run_id
    capsys.readouterr()
    assert main([f"firestore://proj/{run_id}", fresh, "--out", str(tmp_path / "x"), "--quiet"]) == 2
    assert "a store URL, not a run; pass the run id and the store: RUN_ID --store URL" in _one_line_error(capsys)


def test_fresh_rows_are_read_as_the_run_read_its_own(pipeline_run_dir, tmp_path, capsys):
    """The run kept the customers' side only (--inbound-only): fresh rows are read so too unless --all-sides is
    given (a brand's replies placed on customer personas would move the shares and PSI), and said on stderr;
    fresh rows without an inbound column are all read, with a line."""
    sample = SAMPLE_DIR / "twcs_sample.csv"
    inbound = int(pd.read_csv(sample)["inbound"].astype(str).eq("True").sum())
    main([str(pipeline_run_dir), str(sample), "--out", str(tmp_path / "own")])
    err = capsys.readouterr().err
    assert "fresh rows read as the run read its own: --inbound-only" in err
    # the run's own steps too (agents, filters, unit): its own input gives back exactly its members
    members = json.loads((pipeline_run_dir / "manifest.json").read_text())["counts"]["kept"]
    own = pd.read_parquet(tmp_path / "own" / "assignments.parquet")
    assert len(own) == members < inbound and f"fresh rows → {members:,} messages, as the run built its members" in err
    assert set(own["member_id"]) == set(pd.read_parquet(pipeline_run_dir / "assignments.parquet")["member_id"])
    summary = json.loads((tmp_path / "own" / "summary.json").read_text())
    assert summary["unit"] == "message" and sum(summary["set_aside"].values()) == inbound - members
    main([str(pipeline_run_dir), str(sample), "--out", str(tmp_path / "all"), "--all-sides", "--quiet"])
    both = len(pd.read_parquet(tmp_path / "all" / "assignments.parquet"))
    # both sides are read, and the run's agent step sets the brands' replies aside (the run did not keep agents)
    agents = json.loads((tmp_path / "all" / "summary.json").read_text())["set_aside"]["agents"]
    assert both == members and agents > 1000
    capsys.readouterr()
    main([str(pipeline_run_dir), str(SAMPLE_DIR / "airline_tweets_sample.csv"), "--out", str(tmp_path / "air")])
    assert "do not say who wrote them (no inbound column): every row is read" in capsys.readouterr().err


def test_fresh_members_longer_than_the_model_reads_are_counted(pipeline_run_dir, tmp_path, capsys):
    """One fresh e-mail-length text (real sample tweets joined, under the run's 2,000-character length limit)
    among short ones: counted and said."""
    tweets = pd.read_csv(SAMPLE_DIR / "twcs_sample.csv")["text"].dropna().astype(str).tolist()
    joined = ""
    for tweet in tweets[:40]:
        if len(joined) + len(tweet) + 1 > 1900:
            break
        joined = f"{joined} {tweet}".strip()
    fresh = tmp_path / "fresh.csv"
    pd.DataFrame({"text": [joined, *tweets[40:200]]}).to_csv(fresh, index=False)
    out = tmp_path / "long"
    main([str(pipeline_run_dir), str(fresh), "--out", str(out)])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["long_members"] == 1
    assert "1 of the fresh members are longer than the text model reads" in capsys.readouterr().err


def test_other_data_recommends_a_refit(pipeline_run_dir, tmp_path, capsys):
    """Airline tweets placed with a model of telecom/retail support tweets: novelty or PSI passes, exit 3."""
    out = tmp_path / "air"
    code = main([str(pipeline_run_dir), str(SAMPLE_DIR / "airline_tweets_sample.csv"), "--out", str(out), "--quiet"])
    summary = json.loads((out / "summary.json").read_text())
    assert code == REFIT_EXIT and summary["refit"] and summary["reasons"]
    assert summary["shift"]["psi"] >= summary["config"]["psi_major"] or summary["novelty_share"] >= 0.2
    assert capsys.readouterr().out.startswith("refit recommended: ")
    # a second call may replace its own earlier output
    assert main([str(pipeline_run_dir), str(SAMPLE_DIR / "airline_tweets_sample.csv"), "--out", str(out),
                 "--quiet"]) == REFIT_EXIT


def test_bad_input_is_one_line_and_exit_2(pipeline_run_dir, tmp_path, capsys):
    sample = str(SAMPLE_DIR / "twcs_sample.csv")
    assert main([str(tmp_path / "nope"), sample, "--out", str(tmp_path / "o1")]) == 2
    assert "no such run directory" in _one_line_error(capsys)
    assert main([str(pipeline_run_dir), sample, "--text-col", "missing", "--out", str(tmp_path / "o2")]) == 2
    assert "missing" in _one_line_error(capsys)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    assert main([str(pipeline_run_dir), sample, "--out", str(busy)]) == 2
    assert "holds other files" in _one_line_error(capsys) and (busy / "keep.txt").exists()
    assert main([str(pipeline_run_dir), sample, "--out", str(pipeline_run_dir / "fresh")]) == 2
    assert "overlaps" in _one_line_error(capsys)


def test_an_event_run_is_refused(tmp_path, capsys):
    from ml.run import main as run_main
    from tests.fixtures.data import shared_path

    run = tmp_path / "moodle"
    path = shared_path("events_moodle", "Course_Activity_Obfuscated.csv.gz")
    assert run_main(["--kind", "events", str(path), "--out", str(run), "--no-store", "--quiet"]) == 0
    assert main([str(run), str(SAMPLE_DIR / "twcs_sample.csv"), "--out", str(tmp_path / "o")]) == 2
    assert "is an event run" in _one_line_error(capsys)


def test_a_model_without_member_sample_falls_back_with_a_note(pipeline_run_dir, tmp_path, capsys):
    """Models saved before the member sample still load: per-persona centroid quantiles, and a note says so."""
    import shutil

    from ml.runtime.model import PersonaModel

    run = tmp_path / "old-run"
    shutil.copytree(pipeline_run_dir, run)
    model = PersonaModel.load(run)
    assert model.novelty is not None and len(model.novelty.vectors_) > 100
    model.novelty = None
    model.save(run / "model")
    code = main([str(run), str(SAMPLE_DIR / "twcs_sample.csv"), "--inbound-only", "--out", str(tmp_path / "o")])
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert code in {0, REFIT_EXIT} and summary["novelty_reference"] in {"assignments", "re-embedded"}
    assert summary["novelty_share"] <= 0.1
    assert "note: this run's model has no member sample" in capsys.readouterr().err.replace("\n", " ")


def test_a_stop_while_writing_keeps_the_earlier_pair_and_no_staged_file(pipeline_run_dir, tmp_path, capsys,
                                                                        monkeypatch):
    """Ctrl-C (or SIGTERM, the same exception) after the new assignments are written but before the summary
    is: both earlier files stay as they were, nothing staged is left, exit 130 with one line; a staged file
    left by a killed run does not block the next call."""
    from ml.runtime import runfiles

    args = [str(pipeline_run_dir), str(SAMPLE_DIR / "airline_tweets_sample.csv"), "--out", str(tmp_path / "o"),
            "--quiet"]
    assert main(args) == REFIT_EXIT
    out = tmp_path / "o"
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = runfiles.write_json

    def stopped(path, data):
        real(path, data)  # the summary is staged too, then the stop comes before either is put in place
        raise KeyboardInterrupt

    monkeypatch.setattr(runfiles, "write_json", stopped)
    capsys.readouterr()
    assert main(args) == 130
    assert capsys.readouterr().err.strip() == "interrupted: the earlier output in --out is unchanged"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    monkeypatch.setattr(runfiles, "write_json", real)
    (out / ".summary.json.tmp").write_text("left by a killed run")
    assert main(args) == REFIT_EXIT
    assert sorted(p.name for p in out.iterdir()) == ["assignments.parquet", "summary.json"]


def test_a_stop_after_the_files_are_in_place_says_they_were_written(pipeline_run_dir, tmp_path, capsys,
                                                                     monkeypatch):
    """Ctrl-C while the table and verdict are printed: the new pair is in place (both files new), exit 130,
    and the one line says so instead of "unchanged"."""
    from ml import assign

    out = tmp_path / "o"
    args = [str(pipeline_run_dir), str(SAMPLE_DIR / "airline_tweets_sample.csv"), "--out", str(out), "--quiet"]

    def stopped(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr(assign, "_report", stopped)
    assert main(args) == 130
    assert capsys.readouterr().err.strip() == f"interrupted: the new assignments were already written to {out}"
    assert sorted(p.name for p in out.iterdir()) == ["assignments.parquet", "summary.json"]
    assert json.loads((out / "summary.json").read_text())["n_assigned"] > 0


def test_fresh_data_with_an_outbound_flag_keeps_the_customers_side(pipeline_run_dir, tmp_path, capsys):
    """--outbound-col names a flag that is true where the company wrote: with --inbound-only only the
    customers' rows are placed; --inbound-col and --outbound-col together are refused by the parser."""
    sample = pd.read_csv(SAMPLE_DIR / "twcs_sample.csv", dtype=str).head(400)
    customer = sample["inbound"].str.lower() == "true"
    fresh = sample.drop(columns=["inbound"]).assign(**{"Staff Reply": (~customer).map({True: "yes", False: "no"})})
    fresh.to_csv(tmp_path / "fresh.csv", index=False)
    out = tmp_path / "fresh-out"
    main([str(pipeline_run_dir), str(tmp_path / "fresh.csv"), "--outbound-col", "Staff Reply", "--inbound-only",
          "--out", str(out), "--quiet"])
    assigned = pd.read_parquet(out / "assignments.parquet")
    assert 0 < len(assigned) <= int(customer.sum())
    assert set(assigned["member_id"]) <= set(sample.loc[customer, "tweet_id"])
    with pytest.raises(SystemExit):
        main([str(pipeline_run_dir), str(tmp_path / "fresh.csv"), "--outbound-col", "a", "--inbound-col", "b",
              "--out", str(tmp_path / "x")])
    assert "not allowed with argument" in capsys.readouterr().err


def test_the_table_puts_the_personas_that_moved_most_first_and_says_what_it_leaves_out():
    """A run of 30 personas: the table shows the 25 whose shares moved most (the one that fell from 4.0 % to
    0.7 % first, though it is small now, before the one that grew most) and says how many more there are, how far
    they moved and where they are."""
    import io
    from types import SimpleNamespace as NS

    from rich.console import Console

    from ml.assign import TABLE_ROWS, _print

    # persona i moves i × 0.1 points; persona 3 falls 3.3 points
    shares = [NS(persona_id=i, name=f"P{i}", run=NS(share=0.02), new=NS(share=0.02 + 0.001 * i), novel_share=None)
              for i in range(30)]
    shares[3] = NS(persona_id=3, name="Link-sharing", run=NS(share=0.040), new=NS(share=0.007), novel_share=0.1)
    summary = NS(run=NS(run_id="R"), shares=shares, n_assigned=100, novelty_share=0.05,
                 novelty_reference="member-sample", shift=NS(psi=0.18, level="moderate", moderate=0.1, major=0.25), long_members=0,
                 notes=[], run_shares="placed")
    out = io.StringIO()
    _print(Console(file=out, width=200), summary)
    rows = [line for line in out.getvalue().splitlines() if "│" in line and "persona" not in line]
    assert len(rows) == TABLE_ROWS
    assert "Link-sharing" in rows[0] and "-3.3 pts" in rows[0] and "P29" in rows[1] and "+2.9 pts" in rows[1]
    shown = {int(r.split("│")[1]) for r in rows}
    assert shown == {3} | set(range(6, 30))  # the five that moved least (0, 1, 2, 4, 5) are left out
    assert f"{30 - TABLE_ROWS} more personas moved 0.5 points or less;" in out.getvalue()
    for s in shares:  # none of the others moved: they kept their shares
        if s.persona_id != 3:
            s.new.share = s.run.share
    out = io.StringIO()
    _print(Console(file=out, width=200), summary)
    assert f"{30 - TABLE_ROWS} more personas kept their shares;" in out.getvalue()


def test_a_column_the_run_was_told_that_fresh_files_lack_is_guessed_again(tmp_path, capsys):
    """The run was told --author-col author_id and --inbound-only; fresh files with neither column are read
    as a fresh run would read them, with a line for each, not refused for a flag the user never gave."""
    from types import SimpleNamespace

    from rich.console import Console

    from ml.assign import _read_sides, build_parser, run_reading

    fresh = tmp_path / "fresh.csv"
    fresh.write_text("text,who\nhello there my order is late,a\nanother message about refunds,b\n")
    args = build_parser().parse_args(["run", str(fresh), "--out", str(tmp_path / "o")])
    snapshot = SimpleNamespace(config={"input": {"author_col": "author_id", "inbound_only": True}})
    taken = run_reading(args, snapshot)
    assert taken == ["--author-col author_id", "--inbound-only"]
    messages, _ = _read_sides(args, Console(stderr=True), False, taken)
    assert len(messages) == 2 and taken == [] and args.author_col is None and args.inbound_only is False
    err = capsys.readouterr().err
    assert "no column 'author_id' (the run's --author-col)" in err and "no inbound column" in err


def test_a_run_of_authors_places_fresh_authors_without_the_brands(tmp_path, capsys):
    """A run made with --unit author (the detector sets the brands' help desks aside): its fresh rows become
    authors too, without the desks; before, every single tweet was placed, the desks' replies among them, and
    the shares of authors were compared with shares of tweets (PSI 2.8 on the run's own kind of data)."""
    from ml.filtering.agents import AgentDetector
    from ml.ingest.load import load_messages
    from ml.run import main as run_main

    raw = pd.read_csv(SAMPLE_DIR / "twcs_sample.csv", dtype=str)
    first, fresh = tmp_path / "first.csv", tmp_path / "fresh.csv"
    raw.head(1500).to_csv(first, index=False)
    raw.tail(1500).to_csv(fresh, index=False)
    run = tmp_path / "run"
    assert run_main([str(first), "--out", str(run), "--no-store", "--unit", "author"]) == 0
    capsys.readouterr()
    main([str(run), str(fresh), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assigned = pd.read_parquet(tmp_path / "out" / "assignments.parquet")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    messages, _ = load_messages([fresh])
    desks = set(AgentDetector().fit(messages).agent_accounts_)
    assert summary["unit"] == "author" and summary["set_aside"]["agents"] > 100 and len(desks) >= 3
    assert assigned["member_id"].is_unique and not assigned["member_id"].isin(desks).any()
    assert set(assigned["member_id"]) <= set(messages["author"].dropna())  # authors, not message ids
    assert f"→ {len(assigned):,} authors, as the run built its members" in err


def test_a_run_stored_by_an_earlier_version_is_still_read(pipeline_run_dir, tmp_path, capsys):
    """A manifest whose config holds keys this version no longer has (``cluster.merge``, renamed ``cluster.join``
    on 2026-12-02; a filter key removed on 2026-11-30): ``ml.assign`` leaves them out and says so, and places."""
    import shutil

    old = tmp_path / "old-run"
    shutil.copytree(pipeline_run_dir, old)
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["config"]["cluster"]["merge"] = 0.1
    manifest["config"]["filtering"]["non_english"]["min_foreign_hits"] = 3
    (old / "manifest.json").write_text(json.dumps(manifest))
    fresh = tmp_path / "fresh.csv"
    pd.read_csv(SAMPLE_DIR / "twcs_sample.csv").head(400).to_csv(fresh, index=False)
    code = main([str(old), str(fresh), "--out", str(tmp_path / "out")])
    err = " ".join(capsys.readouterr().err.split())  # the console wraps long lines
    assert code in {0, REFIT_EXIT}
    assert "stored config is from an earlier version; left out: filtering.non_english.min_foreign_hits, " \
           "cluster.merge" in err
    assert len(pd.read_parquet(tmp_path / "out" / "assignments.parquet")) > 50


def test_a_store_without_runs_or_that_does_not_answer_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    """A platform review (2026-12-06): ``ml.assign latest … --store sqlite:///empty.db`` said "drop --baseline for a
    first run" (ml.assign has no --baseline) and created the store's file and folder; with the Firestore emulator
    down it exited 1 after 21 s where ml.run exits 2 within seconds."""
    import socket

    from ml.store import open_store

    sample = str(SAMPLE_DIR / "twcs_sample.csv")
    typo = tmp_path / "nowhere" / "e.db"
    assert main(["latest", sample, "--out", str(tmp_path / "o1"), "--store", f"sqlite:///{typo}"]) == 2
    assert "there is no store at" in _one_line_error(capsys) and not typo.parent.exists()
    empty = tmp_path / "empty.db"
    open_store(f"sqlite:///{empty}").close()
    assert main(["latest", sample, "--out", str(tmp_path / "o2"), "--store", f"sqlite:///{empty}"]) == 2
    err = _one_line_error(capsys)
    assert "no run in" in err and "make one with python -m ml.run first" in err and "--baseline" not in err
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{port}")
    assert main(["latest", sample, "--out", str(tmp_path / "o3"), "--store", "firestore://personas-down"]) == 2
    assert "the store cannot be used" in _one_line_error(capsys)
