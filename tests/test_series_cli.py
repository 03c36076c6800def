"""python -m ml.run --series/--baseline/--notify and python -m ml.compare on stored run ids, on real runs:
event runs (fast) for the store round trip and the webhook, one conversation run against a baseline
read back from the store (stored personas, members and model bytes), and the refusals before any work."""

from __future__ import annotations

import json
import re
import threading
import time
import typing
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from ml.compare import main as compare_main
from ml.run import main as run_main
from ml.store import RunBundle, open_store
from tests.fixtures.data import shared_path
from tests.fixtures.runs import SAMPLE_TWCS


class _Hook(BaseHTTPRequestHandler):
    received: typing.ClassVar[list] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.headers["Content-Type"], json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    _Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Hook.received
    server.shutdown()
    server.server_close()


def _events(tmp_path, name, store, *extra):
    path = shared_path("events_moodle", "Course_Activity_Obfuscated.csv.gz")
    return run_main(["--kind", "events", str(path), "--out", str(tmp_path / name), "--store", store, "--quiet",
                     *extra])


def _always_alert(monkeypatch):
    """Thresholds at 0, so the webhook is called for any comparison."""
    import ml.lineage

    real = ml.lineage.LineageConfig
    monkeypatch.setattr(ml.lineage, "LineageConfig", lambda: real(alert_psi=0.0))


def test_event_series_through_the_store_and_webhook(tmp_path, webhook, monkeypatch, capsys):
    url, received = webhook
    store_url = f"sqlite:///{tmp_path / 'personas.db'}"
    assert _events(tmp_path, "a", store_url, "--series", "moodle") == 0
    assert not (tmp_path / "a" / "comparison.json").exists()  # the series' first run has no baseline
    _always_alert(monkeypatch)
    assert _events(tmp_path, "b", store_url, "--series", "moodle", "--seed", "3", "--notify", url) == 0
    store = open_store(store_url)
    items, total = store.series_runs("moodle")
    a, b = (i["run_id"] for i in items)
    comparison = store.get_comparison(b)
    assert total == 2 and items[1]["comparison"]["base_run_id"] == a and comparison["base"]["kind"] == "events"
    assert comparison == json.loads((tmp_path / "b" / "comparison.json").read_text())
    assert store.get_run(b)["series"] == "moodle" and store.list_runs()[0]["series"] == "moodle"
    lineage = {p["id"]: p["lineage_id"] for p in store.get_personas(b)}
    kept = [p for p in comparison["new_personas"] if p["status"] == "continued"]
    assert kept and all(lineage[p["id"]] == p["lineage_id"] and p["lineage_id"].startswith(f"{a}/") for p in kept)
    [(ctype, alert)] = received
    assert ctype == "application/json" and alert["event"] == "personas.drift"
    assert alert["run_id"] == b and alert["base_run_id"] == a and alert["series"] == "moodle"
    assert alert["psi"] == comparison["shift"]["psi"] and alert["counts"] == comparison["counts"]
    # ml.compare reads stored run ids too
    out = tmp_path / "cmp.json"
    assert compare_main([a, b, "--store", store_url, "--json", str(out)]) == 0
    assert json.loads(out.read_text())["counts"] == comparison["counts"]
    # a scheduler's retry of b (same files, same settings) adds nothing (two reviews: the week was added again,
    # compared with itself); other settings are a new run
    assert store.get_run(b)["source"]["fingerprint"] and store.get_run(a)["source"]["fingerprint"]
    capsys.readouterr()
    assert _events(tmp_path, "c", store_url, "--series", "moodle", "--seed", "3") == 0
    assert f"series moodle: its latest run {b} read these inputs, byte for byte, with these settings; nothing was " \
           "run" in capsys.readouterr().err.replace("\n", " ")
    assert store.series_runs("moodle")[1] == 2 and not (tmp_path / "c").exists()
    assert _events(tmp_path, "d", store_url, "--series", "moodle", "--seed", "4") == 0
    assert store.series_runs("moodle")[1] == 3
    # so does an earlier run's (a re-runs review re-ran the first week: it was added again, compared backwards)
    capsys.readouterr()
    assert _events(tmp_path, "e", store_url, "--series", "moodle", "--seed", "3") == 0
    assert f"series moodle: its run {b} (run 2 of 3) read these inputs, byte for byte, with these settings" \
        in capsys.readouterr().err.replace("\n", " ")
    assert store.series_runs("moodle")[1] == 3 and not (tmp_path / "e").exists()
    # deleting a run from the middle of the series names the run compared with it (a platform review: the next
    # run's comparison kept pointing at it without a word)
    from backend.routes.runs import _compared_with

    d = store.latest_in_series("moodle")
    assert _compared_with(store, a) == [b] and _compared_with(store, b) == [d] and _compared_with(store, d) == []
    store.close()


def test_a_webhook_that_is_down_never_fails_the_run(tmp_path, monkeypatch, capsys):
    store_url = f"sqlite:///{tmp_path / 'personas.db'}"
    assert _events(tmp_path, "a", store_url) == 0
    _always_alert(monkeypatch)
    started = time.monotonic()
    code = run_main(["--kind", "events", str(shared_path("events_moodle", "Course_Activity_Obfuscated.csv.gz")),
                     "--out", str(tmp_path / "b"), "--store", store_url, "--baseline", "latest",
                     "--notify", "http://127.0.0.1:9/closed"])
    assert code == 0 and time.monotonic() - started < 120
    err = capsys.readouterr().err
    [line] = [x for x in err.splitlines() if "notify" in x]
    assert "failed" in line and "the run is complete" in line


def test_conversation_run_against_a_stored_baseline(pipeline_run_dir, tmp_path, capsys):
    """The baseline is read back from the store only (its run directory is not used): continued
    personas keep the baseline's names and lineage ids, and the run's summary lists those names."""
    store_url = f"sqlite:///{tmp_path / 'personas.db'}"
    bundle = RunBundle.from_dir(pipeline_run_dir)
    bundle.manifest.update(series="twcs", run_dir=None)
    store = open_store(store_url)
    store.publish(bundle)
    assert run_main([str(SAMPLE_TWCS), "--out", str(tmp_path / "b"), "--store", store_url, "--inbound-only",
                     "--series", "twcs", "--seed", "1"]) == 0
    printed = capsys.readouterr().err
    new_id = store.latest_run_id()
    comparison = store.get_comparison(new_id)
    assert comparison["base"]["run_id"] == bundle.run_id and comparison["base"]["run_dir"] is None
    base_names = {p["id"]: p["name"] for p in json.loads((pipeline_run_dir / "personas.json").read_text())}
    stored = {p["id"]: p for p in store.get_personas(new_id)}
    # personas that keep a baseline lineage: matched one-to-one (continued, grown, shrunk) or the main piece of a
    # split / merge (a re-cut crumb broke off or joined); the other pieces start lineages of their own
    kept = [p for p in comparison["new_personas"] if p["lineage_id"].startswith(f"{bundle.run_id}/")]
    assert len(kept) >= len(comparison["new_personas"]) // 2
    assert {p["status"] for p in kept} <= {"continued", "grown", "shrunk", "split", "merged"}
    for p in kept:  # the baseline's name, or this run's own when the baseline's no longer describes it
        published = p["own_name"] if p["renamed_from"] else base_names[p["base_ids"][0]]
        assert stored[p["id"]]["name"] == published == p["name"]
        assert p["renamed_from"] in (None, base_names[p["base_ids"][0]])
        assert stored[p["id"]]["lineage_id"] == f"{bundle.run_id}/{p['base_ids'][0]}"
    assert any(p["renamed_from"] is None for p in kept)
    # a name note speaks of the name the persona is published with: its behaviour word, never another
    for record in stored.values():
        if record.get("name_note"):
            word = record["name"].split(": ", 1)[0]
            assert ": " in record["name"] and record["name_note"].startswith(f"“{word}” in the name"), record
    # the summary's persona list says the published names (the explorer's), not the fit's own
    renamed = [p for p in kept if p["own_name"] != p["name"]]
    assert renamed and "names of personas that continue the baseline's are kept from it while" in printed
    chosen = store.get_run(new_id)["cluster"]["granularity"]["chosen"]
    assert f"granularity: personas from groups of at least {chosen} members" in printed
    listed = {int(i): name.strip() for i, name in re.findall(r"^  #(\d+) +[\d.]+%  (.+)$", printed, re.MULTILINE)}
    assert len(listed) == min(12, len(stored)) and all(stored[i]["name"] == n for i, n in listed.items())
    if len(stored) > 12:
        assert f"  … {len(stored) - 12} more personas, smaller (personas.json)" in printed
    assert comparison["movers"]["n_shared"] > 0  # the same authors recur
    # another unit against the series' latest run is refused naming the series, not a --baseline never passed
    assert run_main([str(SAMPLE_TWCS), "--out", str(tmp_path / "c"), "--store", store_url, "--inbound-only",
                     "--series", "twcs", "--unit", "author"]) == 2
    assert f"series twcs's latest run {new_id} clusters messages and this run authors" in capsys.readouterr().err
    store.close()


@pytest.mark.parametrize("flags, needle", [
    (["--baseline", "latest"], "no run in"),
    (["--series", "w", "--baseline", "latest"], "no run of series w"),
    (["--baseline", "20260101T000000Z-abcdef"], "no run 20260101T000000Z-abcdef"),
    (["--baseline", "latest", "--no-store"], "needs the store"),
    (["--series", "../x"], "invalid series name"),
    (["--baseline", "latest", "--notify", "ftp://example.com/x"], "not an http(s) URL"),
    (["--notify", "http://example.com/x"], "--notify needs a comparison"),
])
def test_refused_before_any_work(tmp_path, capsys, flags, needle):
    src = tmp_path / "in.csv"
    src.write_text("text\n" + "\n".join(f"distinct message {i} about refunds" for i in range(30)) + "\n")
    cache = tmp_path / "cache"
    started = time.monotonic()
    code = run_main([str(src), "--out", str(tmp_path / "run"), "--store", f"sqlite:///{tmp_path / 's.db'}",
                     "--cache-dir", str(cache), *flags])
    lines = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
    assert code == 2 and len(lines) == 1 and needle in lines[0], lines
    assert time.monotonic() - started < 20 and not cache.exists() and not (tmp_path / "run").exists()


def test_compare_refuses_an_unknown_stored_run(pipeline_run_dir, tmp_path, capsys):
    from ml.store import open_store

    open_store(f"sqlite:///{tmp_path / 's.db'}").close()
    assert compare_main([str(pipeline_run_dir), "nope", "--store", f"sqlite:///{tmp_path / 's.db'}"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: nope: no run nope in") and "\n" not in err


def test_a_kept_name_drops_a_note_about_another_word():
    from ml.runtime.series import keep_name

    own = {"name": "Brief: card & fee", "name_note": "“Brief” in the name: this persona writes …"}
    keep_name(own, "Card payment fees", "R/3")
    # no "Brief" note with the kept name; the fit's own name is kept apart for a later comparison
    assert own == {"name": "Card payment fees", "lineage_id": "R/3", "fit_name": "Brief: card & fee"}
    same = {"name": "Brief: card & fee", "name_note": "“Brief” in the name: …"}
    keep_name(same, "Brief: card fees", "R/4")
    assert same["name_note"] == "“Brief” in the name: …" and same["name"] == "Brief: card fees"


def test_the_first_run_of_a_series_says_so(tmp_path):
    """The re-runs review: the first ``--series`` run printed nothing about being the series' first; only the
    overview said so."""
    from ml.runtime.series import SeriesPlan

    store = open_store(f"sqlite:///{tmp_path / 'personas.db'}")
    plan = SeriesPlan.resolve("weekly", None, None, store, "conversations", {})
    assert plan.baseline is None
    assert plan.messages == ["first run of series weekly: the next run with --series weekly is compared with this one"]
    assert SeriesPlan.resolve(None, None, None, store, "conversations", {}).messages == []
    store.close()
