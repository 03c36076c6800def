"""Never lose a user's files; refuse bad destinations before the work; run directory and store together.

Every case is a real command line (``ml.run.main`` in this process, or its own process where the
environment matters) on real files in temp folders, and a real SQLite store.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from ml.runtime.atomic import MARKER, RunDirectory
from ml.runtime.errors import InputError, OutputError
from ml.runtime.output import RunOutput
from ml.store import InjectedFailure, open_store
from ml.store.publish import StorePublisher
from ml.store.sqlite import SqliteStore
from tests.conftest import REPO
from tests.run_safety_helpers import (
    make_previous_run,
    manifest_run_id,
    run_main,
    run_subprocess,
    snapshot,
    write_bundle_files,
)

SAMPLE_TWCS = REPO / "data" / "sample" / "twcs_sample.csv"
FAST_S = 15  # a refusal takes well under this; the pipeline on the sample takes longer


@pytest.fixture
def tiny_csv(tmp_path):
    src = tmp_path / "in" / "chat.csv"
    src.parent.mkdir()
    src.write_text("text\n" + "\n".join(f"distinct message {i} about refunds" for i in range(30)) + "\n")
    return src


def assert_refused(code, lines, took, *needles, cache=None):
    assert code == 2, lines
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0] and "nothing was" in lines[0]
    for needle in needles:
        assert needle.lower() in lines[0].lower(), lines[0]
    assert took < FAST_S, f"refused only after {took:.1f}s: the pipeline ran"
    if cache is not None:
        assert not cache.exists(), "the embedding cache was created: the pipeline ran"


def test_folder_of_user_files_is_refused_and_kept(tmp_path, tiny_csv, capsys):
    out = tmp_path / "documents"
    (out / "notes").mkdir(parents=True)
    (out / "report.docx").write_bytes(b"PK\x03\x04 a real document")
    (out / "notes" / "todo.txt").write_text("buy milk\n")
    before, parent_before = snapshot(out), sorted(os.listdir(tmp_path))
    cache = tmp_path / "cache"
    code, lines, took = run_main([str(tiny_csv), "--out", str(out), "--no-store", "--cache-dir", str(cache)], capsys)
    assert_refused(code, lines, took, "did not write", cache=cache)
    assert snapshot(out) == before and sorted(os.listdir(tmp_path)) == parent_before


def test_out_dot_and_its_parents_are_refused(tmp_path, monkeypatch, capsys):
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "app.py").write_text("print('hi')\n")
    (project / ".env").write_text("SECRET=1\n")
    (project / "chat.csv").write_text("text\nhello there\n")
    before = snapshot(project)
    monkeypatch.chdir(project)
    for out in (".", "..", str(project)):
        code, lines, took = run_main(["chat.csv", "--out", out, "--no-store"], capsys)
        assert_refused(code, lines, took, "current folder")
    assert snapshot(project) == before


def test_out_equal_to_or_above_an_input_is_refused(tmp_path, tiny_csv, capsys):
    before = snapshot(tmp_path)
    for out in (tiny_csv.parent, tmp_path):  # the input's folder, and a folder above it
        code, lines, took = run_main([str(tiny_csv.parent), "--out", str(out), "--no-store"], capsys)
        assert_refused(code, lines, took, "reads or writes", str(tiny_csv.parent))
    assert snapshot(tmp_path) == before


def test_roots_home_and_files_are_refused(tmp_path):
    for path in ("/", str(Path.home())):
        with pytest.raises(InputError, match="root or your home"):
            RunDirectory(path, cwd=tmp_path / "elsewhere").check()
    a_file = tmp_path / "results.txt"
    a_file.write_text("keep me\n")
    with pytest.raises(InputError, match="not a folder"):
        RunDirectory(a_file).check()
    with pytest.raises(InputError, match="is a file, not a folder"):  # its parent is a regular file
        RunDirectory(a_file / "run").check()
    assert a_file.read_text() == "keep me\n"


def test_which_existing_folders_count_as_runs(tmp_path):
    RunDirectory(tmp_path / "absent").check()
    (tmp_path / "empty").mkdir()
    RunDirectory(tmp_path / "empty").check()
    RunDirectory(make_previous_run(tmp_path / "ours")).check()
    RunDirectory(make_previous_run(tmp_path / "legacy", marker=False)).check()  # written before the marker
    for name, marker in (("ours-plus", True), ("legacy-plus", False)):
        run = make_previous_run(tmp_path / name, marker=marker)
        (run / "my-notes.txt").write_text("mine\n")
        with pytest.raises(InputError, match="my-notes.txt"):
            RunDirectory(run).check()
    half = tmp_path / "half"
    half.mkdir()
    (half / "manifest.json").write_text(json.dumps({"run_id": "x"}))  # looks like a run, is not one
    with pytest.raises(InputError, match="did not write"):
        RunDirectory(half).check()


def test_unwritable_parent_is_refused(tmp_path, tiny_csv, capsys):
    """/proc takes no new files even from root (the tests run as root, who ignores chmod); as
    another user a chmod'ed folder is checked too."""
    if not Path("/proc/self").exists():
        pytest.skip("needs Linux /proc as a folder nobody can create files in")
    code, lines, took = run_main([str(tiny_csv), "--out", "/proc/personas-run", "--no-store"], capsys)
    assert_refused(code, lines, took, "cannot write in /proc")
    if os.geteuid() == 0:
        return
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        code, lines, took = run_main([str(tiny_csv), "--out", str(parent / "run"), "--no-store"], capsys)
        assert_refused(code, lines, took, "cannot write")
    finally:
        parent.chmod(0o755)


def test_unknown_store_scheme_is_refused_before_work(tmp_path, tiny_csv, capsys):
    cache, out = tmp_path / "cache", tmp_path / "run"
    code, lines, took = run_main([str(tiny_csv), "--out", str(out), "--store", "mongodb://x/y",
                                  "--cache-dir", str(cache)], capsys)
    assert_refused(code, lines, took, "mongodb://x/y", "unknown scheme", cache=cache)
    assert not out.exists()


def test_locked_sqlite_store_is_refused_before_work(tmp_path, tiny_csv, capsys):
    db = tmp_path / "store" / "personas.db"
    SqliteStore(db).close()
    out = make_previous_run(tmp_path / "run")
    before = snapshot(out)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the store
    try:
        cache = tmp_path / "cache"
        code, lines, took = run_main([str(tiny_csv), "--out", str(out), "--store", f"sqlite:///{db}",
                                      "--cache-dir", str(cache)], capsys)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_refused(code, lines, took, "locked", cache=cache)
    assert snapshot(out) == before


def test_store_file_inside_out_is_refused(tmp_path, tiny_csv, capsys):
    out = tmp_path / "run"
    code, lines, took = run_main([str(tiny_csv), "--out", str(out), "--store", f"sqlite:///{out}/p.db"], capsys)
    assert_refused(code, lines, took, "p.db")
    assert not out.exists()


def test_firestore_without_emulator_or_credentials_fails_fast(tmp_path, tiny_csv):
    env = {"CLOUDSDK_CONFIG": str(tmp_path / "gcloud"),  # no gcloud application-default credentials
           "GCE_METADATA_HOST": "127.0.0.1:9", "GCE_METADATA_IP": "127.0.0.1:9"}  # no metadata server
    drop = ("FIRESTORE_EMULATOR_HOST", "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT")
    proc, took = run_subprocess([str(tiny_csv), "--out", str(tmp_path / "run"),
                                 "--store", "firestore://personas-nowhere"], env=env, drop=drop)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "FIRESTORE_EMULATOR_HOST" in lines[0] and "nothing was computed" in lines[0]
    assert took < 60 and not (tmp_path / "run").exists()


@pytest.mark.slow
def test_previous_run_is_replaced_only_on_success(tmp_path, capsys):
    out = make_previous_run(tmp_path / "run")
    (tmp_path / "notes.txt").write_text("a user's file next to the run\n")
    before = snapshot(out)
    db = tmp_path / "personas.db"
    store_args = ["--store", f"sqlite:///{db}"]
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("text\n" + "\n".join(f"distinct message number {w} about topic {w * 7}" for w in range(20)))
    code, lines, _ = run_main([str(tiny), "--out", str(out), *store_args], capsys)
    assert code == 2 and "at least" in lines[-1]  # fails after the work started
    assert snapshot(out) == before
    with closing(open_store(f"sqlite:///{db}")) as store:
        assert store.latest_run_id() is None
    code, lines, _ = run_main([str(SAMPLE_TWCS), "--out", str(out), "--inbound-only", *store_args], capsys)
    assert code == 0, lines
    new_id = manifest_run_id(out)
    assert new_id != "earlier-good-run"
    assert json.loads((out / "manifest.json").read_text())["run_dir"] == str(out.resolve())
    assert json.loads((out / MARKER).read_text())["run_id"] == new_id
    assert (tmp_path / "notes.txt").read_text() == "a user's file next to the run\n"
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".run.")]  # no staging or backup left
    with closing(open_store(f"sqlite:///{db}")) as store:
        assert store.latest_run_id() == new_id
        assert store.get_run(new_id)["run_dir"] == str(out.resolve())



# -- publish order: the run directory and the store's latest run change together or not at all -------------
class DroppingPublisher(StorePublisher):
    """A real publisher to a real store; ``during`` runs right after the store publish (a user saving a
    file into the run directory, or Ctrl-C), to fail the step that follows."""

    def __init__(self, url, during):
        super().__init__(url)
        self.during = during

    def publish(self, folder):
        run_id = super().publish(folder)
        self.during()
        return run_id


def publish_first_run(tmp_path):
    out, url = tmp_path / "run", f"sqlite:///{tmp_path / 'personas.db'}"
    with RunOutput(out, store_url=url) as output:
        output.commit(lambda tmp: write_bundle_files(tmp, "run-1", output.run_dir))
    return out, url


def assert_still_first_run(tmp_path, out, url, before):
    assert snapshot(out) == before and manifest_run_id(out) == "run-1"
    with closing(open_store(url)) as store:
        assert store.latest_run_id() == "run-1" and [r["id"] for r in store.list_runs()] == ["run-1"]
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".run.")]  # staging folder removed


def test_first_run_publishes_the_final_path(tmp_path):
    out, url = publish_first_run(tmp_path)
    with closing(open_store(url)) as store:
        assert store.latest_run_id() == "run-1"
        assert store.get_run("run-1")["run_dir"] == str(out.resolve())  # not the staging folder


def test_failed_publish_keeps_previous_run_dir_and_store(tmp_path):
    out, url = publish_first_run(tmp_path)
    before = snapshot(out)
    with RunOutput(out, store_url=url) as output:
        output.publisher.store.batch_rows = 5
        output.publisher.store._fail_after_writes = 7  # a crash mid-publish
        with pytest.raises(InjectedFailure):
            output.commit(lambda tmp: write_bundle_files(tmp, "run-2", output.run_dir))
    assert_still_first_run(tmp_path, out, url, before)


def test_swap_failure_after_publish_takes_the_run_back(tmp_path):
    out, url = publish_first_run(tmp_path)
    output = RunOutput(out, store_url=url)
    output.publisher = DroppingPublisher(url, lambda: (out / "draft.txt").write_text("saved meanwhile\n"))
    with output, pytest.raises(OutputError, match="taken back out of the store") as err:
        output.commit(lambda tmp: write_bundle_files(tmp, "run-2", output.run_dir))
    assert "draft.txt" in str(err.value) and "\n" not in str(err.value)
    assert (out / "draft.txt").read_text() == "saved meanwhile\n"
    (out / "draft.txt").unlink()
    assert_still_first_run(tmp_path, out, url, snapshot(out))


@pytest.mark.parametrize("when", ["while writing", "right after publishing"])
def test_ctrl_c_leaves_previous_state(tmp_path, when):
    out, url = publish_first_run(tmp_path)
    before = snapshot(out)

    def interrupt():
        raise KeyboardInterrupt

    def fill(tmp):
        write_bundle_files(tmp, "run-2", out)
        if when == "while writing":
            interrupt()

    output = RunOutput(out, store_url=url)
    if when == "right after publishing":
        output.publisher = DroppingPublisher(url, interrupt)
    with output, pytest.raises(KeyboardInterrupt):
        output.commit(fill)
    assert_still_first_run(tmp_path, out, url, before)


def test_event_runs_refuse_before_work_too(tmp_path, monkeypatch, capsys):
    events = tmp_path / "events.csv"
    events.write_text("user,event,day\nu1,login,1\nu2,view,2\n")
    monkeypatch.chdir(tmp_path)
    code, lines, took = run_main(["--kind", "events", str(events), "--out", ".", "--no-store"], capsys)
    assert_refused(code, lines, took, "current folder")
    code, lines, took = run_main(["--kind", "events", str(events), "--out", "run", "--store", "mongodb://x"], capsys)
    assert_refused(code, lines, took, "unknown scheme")
    assert sorted(os.listdir(tmp_path)) == ["events.csv"]


def test_event_cli_does_not_import_the_conversation_cli():
    code = "import sys, ml.events.cli; sys.exit('ml.run' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, check=False).returncode == 0


def test_a_run_with_no_store_keeps_the_run_it_replaces(tmp_path):
    """An ingest review (2026-12-05): two --no-store runs of different files into one --out; the first was
    gone, in no store either, and no line said so. It is kept in NAME.previous (one back), and the line says
    where; with a store the line says it was replaced."""
    out = tmp_path / "run"
    for n in (1, 2, 3):
        output = RunOutput(out, no_store=True)
        with output:
            output.commit(lambda tmp, n=n: write_bundle_files(tmp, f"run-{n}", output.run_dir))
        if n == 1:
            assert output.replaced_line() is None and not (tmp_path / "run.previous").exists()
    assert manifest_run_id(out) == "run-3" and manifest_run_id(tmp_path / "run.previous") == "run-2"
    assert "run run-2" in output.replaced_line() and "run.previous" in output.replaced_line()
    # a folder of the user's where the previous run would go: refused before any work, nothing moved
    (tmp_path / "run.previous" / "mine.txt").write_text("keep me\n")
    with pytest.raises(InputError, match=r"run\.previous.*did not write"):
        RunOutput(out, no_store=True).__enter__()
    assert manifest_run_id(out) == "run-3"
    out2, url = publish_first_run(tmp_path / "stored")
    with RunOutput(out2, store_url=url) as output:
        output.commit(lambda tmp: write_bundle_files(tmp, "run-2", output.run_dir))
    assert output.replaced_line().startswith("replaced the previous run") and "run-1" in output.replaced_line()
    assert not (tmp_path / "stored" / "run.previous").exists()


def test_staging_folders_a_killed_run_left_are_removed_by_the_next(tmp_path):
    """kill -9 after the staging folder was made left ".run.tmp-…" beside --out for good."""
    out = tmp_path / "run"
    stale, fresh = tmp_path / ".run.tmp-0123456789ab", tmp_path / ".run.old-ba9876543210"
    for p in (stale, fresh):
        p.mkdir()
        (p / "manifest.json").write_text("{}")
    os.utime(stale, (1, 1))  # long ago
    mine = tmp_path / ".run.tmp-notours"
    mine.mkdir()
    os.utime(mine, (1, 1))
    output = RunOutput(out, no_store=True)
    with output:
        output.commit(lambda tmp: write_bundle_files(tmp, "run-1", output.run_dir))
    assert not stale.exists() and fresh.exists() and mine.exists()  # only old ones of our own names


def test_a_previous_run_left_in_the_trash_by_a_kill_is_kept_and_a_baseline_is_never_moved_aside(tmp_path):
    """A diff review (2026-12-05): a kill between the swap's two renames leaves the previous run only in
    ".NAME.old-…/run"; the stale-folder cleanup must not delete it while NAME holds no run. And --baseline
    runs/a.previous with --out runs/a --no-store would have moved the baseline aside and deleted it."""
    out = tmp_path / "run"
    trash = tmp_path / ".run.old-0123456789ab"
    (trash / "run").mkdir(parents=True)
    write_bundle_files(trash / "run", "only-copy")
    os.utime(trash, (1, 1))
    output = RunOutput(out, no_store=True)
    with output:
        output.commit(lambda tmp: write_bundle_files(tmp, "run-1", output.run_dir))
    assert (trash / "run" / "manifest.json").exists()  # NAME held no run when the run started: kept
    prev = tmp_path / "run.previous"
    output = RunOutput(out, no_store=True)
    with output:
        output.commit(lambda tmp: write_bundle_files(tmp, "run-2", output.run_dir))
    assert manifest_run_id(prev) == "run-1"
    guarded = RunDirectory(out, protect=[prev], keep_previous=True)
    with pytest.raises(InputError, match="which this run reads"):
        guarded.check()
    assert manifest_run_id(prev) == "run-1" and manifest_run_id(out) == "run-2"
