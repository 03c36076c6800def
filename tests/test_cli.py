"""`python -m ml.run` on bad input: exit 2, one clear line, no traceback, earlier results intact."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import REPO
from tests.run_safety_helpers import make_previous_run


def _run(args, cwd=REPO):
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    env.pop("PERSONAS_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "ml.run", *args, "--quiet"], check=False, cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


CASES = {
    "missing_text_column": (b"id,body_text_x\n1,hello there\n", "text", "--text-col"),
    "empty_file": (b"", "empty", None),
    "header_only": (b"text,author\n", "no data rows", None),
    "undecodable": (b"text\nhello \xff\xfe world there\n", "UTF-8", None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_csv_exits_2_with_one_line(tmp_path, case):
    data, needle, flag = CASES[case]
    src = _write(tmp_path / f"{case}.csv", data)
    proc = _run([str(src), "--out", str(tmp_path / "run"), "--no-store"])
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert src.name in lines[0]
    assert needle.lower() in lines[0].lower()
    if flag:
        assert flag in lines[0]


def test_broken_json_line_names_the_line(tmp_path):
    src = _write(tmp_path / "chat.jsonl", b'{"text": "hello there friend"}\n{"text": "oops\n')
    proc = _run([str(src), "--out", str(tmp_path / "run"), "--no-store"])
    assert proc.returncode == 2
    assert "chat.jsonl" in proc.stderr and "line 2" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_file_and_bad_config(tmp_path):
    proc = _run([str(tmp_path / "nope.csv"), "--out", str(tmp_path / "run"), "--no-store"])
    assert proc.returncode == 2 and "nope.csv" in proc.stderr
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("fusion: {text_weight: 3}\n")
    src = _write(tmp_path / "ok.csv", b"text\nhello there my friend\n")
    proc = _run([str(src), "--out", str(tmp_path / "run"), "--no-store", "--config", str(cfg)])
    assert proc.returncode == 2 and "fusion.text_weight" in proc.stderr
    assert "Traceback" not in proc.stderr
    # a config that does not parse: where it stopped and what to do, on one line
    cfg.write_text("cluster:\n  min_cluster_size: [\n")
    proc = _run([str(src), "--out", str(tmp_path / "run"), "--no-store", "--config", str(cfg)])
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and "cfg.yaml: cannot parse config at line 3" in lines[0]
    assert "fix the YAML there" in lines[0]
    bad = tmp_path / "cfg.json"
    bad.write_text("{cluster: 1}")
    proc = _run([str(src), "--out", str(tmp_path / "run"), "--no-store", "--config", str(bad)])
    assert proc.returncode == 2 and "cfg.json: cannot parse config (JSONDecodeError" in proc.stderr
    assert "fix the JSON there" in proc.stderr and "Traceback" not in proc.stderr


def test_a_bad_flag_value_names_the_flag_as_typed(tmp_path):
    src = _write(tmp_path / "ok.csv", b"text\nhello there my friend\n")
    proc = _run([str(src), "--no-store", "--check", "--min-cluster-size", "0"])
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith(
        "error: --min-cluster-size 0: invalid value (config key cluster.min_cluster_size): ")


def test_an_unknown_config_key_names_the_close_one():
    """A misspelt key says which key was meant, at its level; an unknown one lists the level's keys."""
    from ml.runtime.config import PipelineConfig
    from ml.runtime.errors import InputError

    cases = [({"clusterr": {"min_cluster_size": 20}}, "unknown key 'clusterr' (did you mean 'cluster'?)"),
             ({"cluster": {"min_clustr_size": 20}},
              "unknown key 'cluster.min_clustr_size' (did you mean 'cluster.min_cluster_size'?)"),
             ({"cluster": {"zzz": 1}}, "unknown key 'cluster.zzz' (the keys here: min_cluster_size,")]
    for data, said in cases:
        with pytest.raises(InputError) as err:
            PipelineConfig.validated(data, source="cfg.yaml")
        assert str(err.value).startswith(f"cfg.yaml: {said}"), str(err.value)


def test_too_few_rows_keeps_previous_run(tmp_path):
    out = make_previous_run(tmp_path / "run", "earlier-good-run")
    rows = "\n".join(f"distinct message number {w} about topic {w * 7}" for w in range(20))
    src = _write(tmp_path / "tiny.csv", ("text\n" + rows + "\n").encode())
    proc = _run([str(src), "--out", str(out), "--no-store"])
    assert proc.returncode == 2
    assert "tiny.csv" in proc.stderr and "at least" in proc.stderr
    assert json.loads((out / "manifest.json").read_text())["run_id"] == "earlier-good-run"
    assert not list(tmp_path.glob(".run.*"))  # nothing half-written left behind


def test_a_dump_mostly_in_another_language_says_so_when_enough_is_left(tmp_path):
    """A review's dump, 90 % Spanish and German, ran on its English tenth without a word: --check now says that most
    of the data was set aside, by which stage, how to turn it off, and what the personas describe."""
    from tests.fixtures.data import SAMPLE_DIR

    english = pd.read_csv(SAMPLE_DIR / "twcs_sample.csv", dtype=str)["text"].dropna().drop_duplicates().head(60)
    es = (["Hola,", "Buenas tardes,", "Disculpen,", "Oigan,"], ["mi pedido no ha llegado", "la aplicación se cierra sola",
          "me cobraron dos veces", "no puedo cambiar la contraseña", "el internet se corta cada noche",
          "la factura de marzo está mal", "nadie contesta mis correos"], ["¿qué pasa?", "gracias.", "es urgente.",
          "estoy harto de esperar.", "¿me pueden ayudar por favor?"])
    other = [f"{es[0][i % 4]} {es[1][i // 4 % 7]} {es[2][i // 28 % 5]}" for i in range(140)]
    src = tmp_path / "mixed.csv"
    pd.DataFrame({"text": [*english, *other]}).to_csv(src, index=False)
    proc = _run([str(src), "--check"])
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("most of the data was set aside")), "")
    assert "the non_english stage removed" in line and "non_english: {enabled: false}}" in line, proc.stdout
    assert re.search(r"the personas describe the \d+ messages left$", line)
    src.write_text(pd.DataFrame({"text": english}).to_csv(index=False))
    assert "most of the data was set aside" not in _run([str(src), "--check"]).stdout


def test_inbound_only_without_inbound_column(tmp_path):
    rows = "\n".join(f"message {i} asking about refunds and delivery times" for i in range(60))
    src = _write(tmp_path / "plain.csv", ("text\n" + rows + "\n").encode())
    proc = _run([str(src), "--out", str(tmp_path / "run"), "--no-store", "--inbound-only"])
    assert proc.returncode == 2 and "inbound" in proc.stderr


def test_a_dump_in_another_language_names_the_language_stage(tmp_path):
    """All rows removed by one filter stage: the one line says which stage and how to turn it off."""
    rows = [f"Ma commande numéro {i} n'est toujours pas arrivée, pouvez-vous vérifier s'il vous plaît"
            if i % 2 else f"Le remboursement de la facture {i} a été refusé deux fois, je suis très déçu"
            for i in range(120)]
    src = tmp_path / "avis.csv"
    pd.DataFrame({"text": [f"{t} ({chr(97 + i % 26)}{chr(97 + i // 26)})" for i, t in enumerate(rows)]}).to_csv(
        src, index=False)
    proc = _run([str(src), "--out", str(tmp_path / "run"), "--no-store"])
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "avis.csv" in lines[0] and "the non_english stage removed" in lines[0]
    assert "English only" in lines[0] and "non_english: {enabled: false}}" in lines[0]
    # the rows are two templates: the near-duplicate stage removed most of them first, and is named too
    assert "the near_duplicates stage removed" in lines[0] and lines[0].endswith("in --config turns them off")
    assert not (tmp_path / "run" / "personas.json").exists()


def test_a_text_column_of_few_values_is_named_before_the_filters(tmp_path):
    """--text-col naming a column of labels (the airline's name): the one line says the column holds few
    values and how to pick another, not only which filter removed the rows; a text column of varied texts with
    too few rows does not get that hint."""
    src = tmp_path / "tweets.csv"
    pd.DataFrame({"airline": ["United", "Delta", "Virgin America"] * 40,
                  "text": [f"flight {i} was delayed again, and nobody at the gate could tell us why" for i in range(120)]}
                 ).to_csv(src, index=False)
    proc = _run([str(src), "--text-col", "airline", "--out", str(tmp_path / "run"), "--no-store"])
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert ("the text column 'airline' holds 3 distinct values in 120 rows; if it is not the column with the "
            "messages, pass --text-col NAME ('text' reads as free text)") in lines[0]  # the column to pass instead
    # ... said first, before any advice on the filters (a help-desk review read "supply more rows or relax the filters")
    assert "are needed to find personas: the text column 'airline'" in lines[0] and "supply more rows" not in lines[0]
    assert "the exact_duplicates stage removed" in lines[0]
    # a column of ids (a review, 2026-12-06: --text-col tweet_id was told to turn the length filter off)
    frame = pd.read_csv(src).assign(tweet_id=[5703011308881223 + i for i in range(120)])
    frame.to_csv(src, index=False)
    proc = _run([str(src), "--text-col", "tweet_id", "--out", str(tmp_path / "run"), "--no-store"])
    assert proc.returncode == 2 and ("the text column 'tweet_id' holds no letter in 120 of 120 rows (ids or "
                                     "numbers?); if it is not the column with the messages") in proc.stderr
    few = tmp_path / "few.csv"
    pd.DataFrame({"text": [f"order {i} never came, and support keeps closing my ticket {chr(97 + i)}"
                           for i in range(20)]}).to_csv(few, index=False)
    proc = _run([str(few), "--out", str(tmp_path / "run"), "--no-store"])
    assert proc.returncode == 2 and "distinct value" not in proc.stderr, proc.stderr


def test_check_reads_the_inputs_and_writes_nothing(tmp_path):
    """`--check`: how the files were read and what a run would cluster, on stdout; nothing written; exit 0.
    Without --out and without --check: one line asking for --out."""
    sample = REPO / "data" / "sample" / "twcs_sample.csv"
    proc = subprocess.run([sys.executable, "-m", "ml.run", str(sample), "--check", "--inbound-only"],
                          check=False, cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, HF_HUB_OFFLINE="1", PERSONAS_STORE_URL=f"sqlite:///{tmp_path}/s.db"))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    frame = pd.read_csv(sample, dtype=str, lineterminator="\n")  # a bare CR inside a text ends no line
    customers = int((frame["inbound"].str.lower() == "true").sum())
    assert out[0].startswith(f"{sample}: {len(frame)} rows, layout twcs, delimiter ','")  # how it was read
    # ... once: stderr holds the stages' progress only (a help-desk review saw every line on stdout and stderr)
    assert "rows, layout twcs" not in proc.stderr and "ingest ..." in proc.stderr
    read = out.index(f"messages read: {len(frame):,}; customer's side {customers:,}, company's side "
                     f"{len(frame) - customers:,}, side unknown 0 (--inbound-only keeps the customer's side)")
    assert out[read + 1].startswith("times: Every timestamp is UTC")
    assert any(line.startswith("filter exact_duplicates: ") for line in out)
    members = next(line for line in out if line.startswith("members (messages) a run would cluster: "))
    assert int(members.split(": ")[1].split(" ")[0].replace(",", "")) > 1000
    examples = [line for line in out if line.startswith(("  e.g. '", '  e.g. "'))]
    # customers' handles masked (TWCS numbers), the brands' readable, as in the run's evidence
    assert len(examples) == 3 and not re.search(r"@\d", "".join(examples))
    assert re.search(r"@[A-Za-z]", "".join(examples)), examples
    assert list(tmp_path.iterdir()) == []  # no run folder, no store
    few = tmp_path.parent / f"{tmp_path.name}-few.csv"
    pd.DataFrame({"text": [f"my parcel number {i} never came, where is it?" for i in range(20)]}).to_csv(
        few, index=False)
    proc = _run([str(few), "--check"], cwd=tmp_path)
    assert proc.returncode == 2 and "too few: at least 50 are needed; a run would stop here" in proc.stdout
    proc = _run([str(sample), "--no-store"], cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.strip().splitlines()[-1].startswith("error: --out RUN_DIR is needed")
    proc = _run([str(sample), "--check", "--out", str(tmp_path / "r")], cwd=tmp_path)
    assert proc.returncode == 2 and "--check reads the inputs only" in proc.stderr
    # event logs too: how the events were read and which users and event types a run would factorise
    events = tmp_path.parent / f"{tmp_path.name}-events.csv"
    pd.DataFrame({"user": [f"u{i % 30}" for i in range(630)],  # the last 30: one "login" each, the same for all
                  "event": [f"e{i % 7}" if i < 600 else "login" for i in range(630)],
                  "time": [f"2024-03-{1 + i % 28:02d} 10:00" for i in range(630)]}).to_csv(events, index=False)
    proc = _run([str(events), "--kind", "events", "--check"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "events read: 630 rows from 30 users" in proc.stdout
    assert "key_events: 1 event type set aside: login (near-constant)" in proc.stdout  # named, with why
    assert "users a run would factorise: 30; event types: 7 (e0, e1, e2, e3, e4, e5, e6)" in proc.stdout
    assert list(tmp_path.iterdir()) == []
    proc = _run([str(events), "--kind", "events", "--check", "--k", "9"], cwd=tmp_path)  # as a run would refuse it
    assert proc.returncode == 2 and "nmf.k=9 is more personas than the 7 event types kept" in proc.stderr


def test_a_misspelt_option_is_one_line_with_the_close_one():
    """argparse printed the whole usage (about 30 lines) before "unrecognized arguments"."""
    proc = _run([str(REPO / "data" / "sample" / "twcs_sample.csv"), "--chek"])
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0] == ("python -m ml.run: error: unrecognized arguments: --chek (did you mean --check?); "
                        "python -m ml.run --help lists the options")
    for module in ("ml.assign", "ml.compare"):
        done = subprocess.run([sys.executable, "-m", module], check=False, capture_output=True, text=True,
                              timeout=120, cwd=REPO)
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "--help lists the options" in done.stderr


@pytest.mark.parametrize("unit", ["message", "conversation"])
def test_where_that_keeps_only_a_brands_messages_names_the_agent_step(tmp_path, unit):
    """A robustness sweep: ``--where author_id=AmazonHelp`` on TWCS said "only 0 messages left after filtering (0
    read) … relax the filters", and with ``--unit conversation`` that the data had no reply links (it has). The
    brand/agent step set aside all 109: the line says so, counts the rows read, and names --keep-agents."""
    proc = _run([str(REPO / "data" / "sample" / "twcs_sample.csv"), "--where", "author_id=AmazonHelp", "--unit", unit,
                 "--out", str(tmp_path / "run"), "--no-store"])
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(line) == 1, proc.stderr
    assert f"only 0 {unit}s left after filtering (109 read)" in line[0]
    assert "the brand/agent step set aside 109 of 109 messages as the company's side" in line[0]
    assert line[0].rstrip().endswith("pass --keep-agents to keep them")


def test_a_csv_cut_inside_a_quoted_text_names_the_line_the_quote_opens_on(tmp_path):
    """A robustness sweep: ``head -n 2657`` of the TWCS file ends inside a quoted tweet, and the error named
    another line ("data row 2485 … has 6 fields"), which reads fine. The line now says the file ends inside a
    quoted text and where that text opens; the cut of the bundled sample below ends inside the tweet of line 51."""
    lines = (REPO / "data" / "sample" / "twcs_sample.csv").read_text(encoding="utf-8").split("\n")
    cut = "\n".join(lines[:51])
    assert cut.count('"') % 2 == 1  # the last line opens a quoted text that is never closed
    path = tmp_path / "cut.csv"
    path.write_text(cut, encoding="utf-8")
    proc = _run([str(path), "--out", str(tmp_path / "run"), "--no-store"])
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "the file ends inside a quoted text that opens on line 51 of the file: the export was cut short" \
        in proc.stderr.replace("\n", " ")


def test_the_run_summary_says_what_noise_is_and_rounds_the_quality():
    """The help-desk review: "noise before reassignment 57.3%, silhouette 0.5323, DBCV 0.1357, stability ARI 0.6389"
    said nothing a user could act on."""
    from ml.runtime.kinds import _conversation_summary

    m = {"counts": {"input": 5000, "kept": 4780, "personas": 24}, "unit": "message",
         "metrics": {"noise_share": 0.5731, "silhouette": 0.5323, "dbcv": 0.1357, "stability_ari": None}}
    line = _conversation_summary(None, m)[0]
    assert line == ("input 5000 → kept 4780 messages → 24 personas; 57.3% of the members fit no persona at first and "
                    "were placed in their nearest one (flagged as reassigned); silhouette 0.53, DBCV 0.14, stability "
                    "n/a (1 at best; the explorer's Quality panel says what each measures)")


def test_the_run_summary_says_when_most_of_the_data_was_set_aside():
    """The run's summary, as --check, says when a filter stage set aside most of what reached it (a dump 90 % in
    Spanish and German); a manifest without filter stages (a partial one) reads as none."""
    from ml.runtime.kinds import _conversation_summary

    m = {"counts": {"input": 1500, "kept": 129, "personas": 3}, "unit": "message",
         "metrics": {"noise_share": 0.1, "silhouette": 0.5, "dbcv": 0.1, "stability_ari": None},
         "filtering": [{"stage": "exact_duplicates", "input": 1500, "removed": 322},
                       {"stage": "non_english", "input": 960, "removed": 831}]}
    lines = [line for line in _conversation_summary(None, m) if isinstance(line, str)]
    said = [line for line in lines if line.startswith("most of the data was set aside: the non_english stage removed "
                                                      "831 of 960 (")]
    assert len(said) == 1 and said[0].endswith("the personas describe the 129 messages left")
    m["filtering"][1]["removed"] = 100
    assert not any("most of the data" in str(line) for line in _conversation_summary(None, m))
    del m["filtering"]
    assert not any("most of the data" in str(line) for line in _conversation_summary(None, m))


def test_check_masks_names_in_its_examples(tmp_path):
    """A review (2026-12-06): --check printed "Ben Tennyson and an American Airlines pilot" where the run itself
    masks the name: its three examples are masked as everything a run shows."""
    src = tmp_path / "tweets.csv"
    texts = ["Ben Tennyson and an American Airlines pilot were on my delayed flight today",
             "my sister Maria Gonzalez waited four hours at the gate for a new crew"]
    words = ["bags", "seat", "refund", "crew", "wifi", "snacks", "upgrade", "lounge", "app", "voucher"]
    texts += [f"my {a} and then the {b} were a problem on this trip, please help"
              for a in words for b in words if a != b]
    pd.DataFrame({"text": texts}).to_csv(src, index=False)
    proc = _run([str(src), "--check"], cwd=tmp_path)
    examples = [line for line in proc.stdout.splitlines() if line.startswith("  e.g. ")]
    assert proc.returncode == 0 and len(examples) == 3, proc.stdout + proc.stderr
    shown = "".join(examples)
    assert "Tennyson" not in shown and "Gonzalez" not in shown and "[name]" in shown, shown
