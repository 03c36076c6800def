"""Stopping a run: Ctrl-C (SIGINT) and SIGTERM (``kill``, cron timeouts, systemd, Kubernetes) keep the
previous run directory and store, remove what the run had staged, and end the background maskers with
their temporary copy of the raw texts (``ml.runtime.errors.sigterm_as_interrupt``, ``run_guarded``).

Real signals to real runs: a run in its own process, signalled the moment its staging folder appears,
and a run in this process, signalled by a watcher thread the moment its background masker has written
its copy of the texts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import closing
from pathlib import Path

import psutil
import pytest

from ml.runtime.errors import STOPPED_BEFORE_WRITING, Terminated, run_guarded, sigterm_as_interrupt
from ml.store import open_store
from ml.store.sqlite import SqliteStore
from tests.conftest import REPO
from tests.run_safety_helpers import make_previous_run, manifest_run_id, run_main, snapshot

SAMPLE_TWCS = REPO / "data" / "sample" / "twcs_sample.csv"
# The run under test gets the default handlers whatever this process inherited: a suite started in the
# background by a non-interactive shell has SIGINT ignored, and a child would inherit that.
# The run's marker is written 3 s late, so that the signal, sent when the staging folder appears, always
# lands while the run is staged (not after the swap, which would make this test about another case).
_WITH_DEFAULT_HANDLERS = ("import runpy, signal, sys, time; signal.signal(signal.SIGINT, signal.default_int_handler); "
                          "signal.signal(signal.SIGTERM, signal.SIG_DFL); import ml.runtime.atomic as atomic; "
                          "marker = atomic.write_marker; atomic.write_marker = lambda tmp: (time.sleep(3), marker(tmp))[1]; "
                          "sys.argv = ['ml.run', *sys.argv[1:]]; runpy.run_module('ml.run', run_name='__main__', alter_sys=True)")


def _staged(folder: Path, prefix: str) -> list[str]:
    return [p for p in os.listdir(folder) if p.startswith(prefix)]


def _store_is_empty(db: Path) -> bool:
    with closing(open_store(f"sqlite:///{db}")) as store:
        return store.latest_run_id() is None and store.count_runs() == 0


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code", "word"), [(signal.SIGINT, 130, "interrupted"),
                                                    (signal.SIGTERM, 143, "terminated (SIGTERM)")])
def test_a_signal_while_writing_or_publishing_keeps_previous_state(tmp_path, sig, code, word):
    """The signal is sent the moment the staging folder appears: after the work, while the run is written
    and published. The previous run directory and the store's latest stay as they were."""
    out = make_previous_run(tmp_path / "run")
    before, db = snapshot(out), tmp_path / "personas.db"
    SqliteStore(db).close()
    cmd = [sys.executable, "-c", _WITH_DEFAULT_HANDLERS, str(SAMPLE_TWCS), "--inbound-only", "--out", str(out),
           "--store", f"sqlite:///{db}", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=REPO, stderr=subprocess.PIPE, text=True)
    sent, deadline = False, time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        if _staged(tmp_path, ".run.tmp-"):
            proc.send_signal(sig)
            sent = True
            break
        time.sleep(0.002)
    _, err = proc.communicate(timeout=120)
    assert sent, f"the staging folder was never seen (exit {proc.returncode}): {err}"
    assert proc.returncode == code, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines == [f"{word}: {STOPPED_BEFORE_WRITING}"], err
    assert snapshot(out) == before
    assert _store_is_empty(db)
    assert not _staged(tmp_path, ".run.")


def _masker_children() -> list[psutil.Process]:
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "ml.runtime.mask_prefetch" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


@pytest.mark.slow
def test_sigterm_during_the_work_stops_the_maskers_and_deletes_their_copy_of_the_texts(tmp_path, monkeypatch,
                                                                                      capsys):
    """SIGTERM while the background masker runs: exit 143, the masker's children are gone and so is the
    temporary folder with the raw texts; nothing staged, the previous run and the store unchanged."""
    from ml.runtime.mask_prefetch import MaskPrefetch
    from ml.runtime.pipeline import PersonaPipeline

    monkeypatch.setattr(MaskPrefetch, "min_texts", 1)  # the sample's members are fewer than the default
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    out = make_previous_run(tmp_path / "run")
    before, db = snapshot(out), tmp_path / "personas.db"
    SqliteStore(db).close()
    seen: list[int] = []
    start = PersonaPipeline._start_prefetch

    def start_then_stop(self, members, *rest) -> None:  # the signal comes once the masker has its copy and its child
        start(self, members, *rest)
        if self.mask_prefetch_ is not None and not seen:
            seen.append(len(_masker_children()))
            assert _staged(scratch, "personas-mask-")
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(PersonaPipeline, "_start_prefetch", start_then_stop)
    previous = signal.getsignal(signal.SIGTERM)
    code, lines, _ = run_main([str(SAMPLE_TWCS), "--inbound-only", "--out", str(out),
                               "--store", f"sqlite:///{db}"], capsys)
    assert seen and seen[0] >= 1, "the background masker never started"
    assert code == 143, lines
    assert lines == [f"terminated (SIGTERM): {STOPPED_BEFORE_WRITING}"]
    assert not _staged(scratch, "personas-mask-"), "the raw texts were left in the temporary folder"
    assert not _masker_children()
    assert snapshot(out) == before and _store_is_empty(db)
    assert not _staged(tmp_path, ".run.")
    assert signal.getsignal(signal.SIGTERM) is previous


@pytest.mark.slow
def test_an_interrupt_after_the_run_is_in_place_says_so(tmp_path, monkeypatch, capsys):
    """Ctrl-C while the summary is printed (or the webhook is called): the run is already written and
    published, and the line says that instead of "unchanged"."""
    from ml.runtime import cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "print_summary", interrupted)
    out, db = tmp_path / "run", tmp_path / "personas.db"
    code, lines, _ = run_main([str(SAMPLE_TWCS), "--inbound-only", "--out", str(out),
                               "--store", f"sqlite:///{db}"], capsys)
    assert code == 130
    assert lines == [f"interrupted: the run was already written to {out} and published"]
    with closing(open_store(f"sqlite:///{db}")) as store:
        assert store.latest_run_id() == manifest_run_id(out)


def test_a_stop_between_the_swaps_renames_waits_and_keeps_the_new_run(tmp_path, monkeypatch):
    """SIGTERM right after the previous run is moved aside: the new run still goes in (never neither), the
    stop goes on afterwards, the publish is not taken back, and nothing is left beside the run directory."""
    import pathlib

    from ml.runtime.output import RunOutput
    from tests.run_safety_helpers import write_bundle_files

    out = make_previous_run(tmp_path / "run")
    db = tmp_path / "personas.db"
    SqliteStore(db).close()
    real, sent = pathlib.Path.rename, []

    def rename(self, target):
        result = real(self, target)
        if not sent and self == out:  # the previous run has just gone aside
            sent.append(True)
            os.kill(os.getpid(), signal.SIGTERM)
        return result

    monkeypatch.setattr(pathlib.Path, "rename", rename)
    output = RunOutput(out, store_url=f"sqlite:///{db}")
    with sigterm_as_interrupt(), pytest.raises(Terminated), output:
        output.commit(lambda tmp: write_bundle_files(tmp, "run-2", out))
    assert sent and output.swapped
    assert manifest_run_id(out) == "run-2"
    with closing(open_store(f"sqlite:///{db}")) as store:
        assert store.latest_run_id() == "run-2"
    assert sorted(os.listdir(tmp_path)) == ["personas.db", "run"]


def test_sigterm_raises_terminated_only_inside_and_the_handler_is_put_back():
    previous = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated), sigterm_as_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises at the next bytecode; never sleeps this long
    assert signal.getsignal(signal.SIGTERM) is previous
    assert isinstance(Terminated(), KeyboardInterrupt)  # every Ctrl-C cleanup runs for it


def test_run_guarded_exits_143_with_one_line(capsys):
    def work() -> int:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
        return 0

    assert run_guarded(work) == 143
    assert capsys.readouterr().err.strip() == f"terminated (SIGTERM): {STOPPED_BEFORE_WRITING}"


def test_a_forked_child_dies_by_sigterm_as_by_default():
    """A worker forked during the run (a process pool) inherits the handler; SIGTERM must end it as the
    default does, not raise in it (a pool's terminate() would then leave workers running code)."""
    with sigterm_as_interrupt():
        pid = os.fork()
        if pid == 0:  # the child: reaching os._exit means the handler raised or returned
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)
            finally:
                os._exit(7)
        _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM


def test_an_ignored_sigterm_and_other_threads_are_left_alone():
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with sigterm_as_interrupt():
            assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN  # a parent asked for that
    finally:
        signal.signal(signal.SIGTERM, previous)
    errors: list[BaseException] = []

    def off_main() -> None:
        try:
            with sigterm_as_interrupt():
                assert signal.getsignal(signal.SIGTERM) is previous
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=off_main)
    thread.start()
    thread.join()
    assert not errors


def test_a_ctrl_c_that_python_swallowed_still_stops_the_publish(tmp_path, monkeypatch):
    """Ctrl-C that lands while a finaliser (``__del__``) runs is dropped by Python ("Exception ignored in"),
    so the run would go on and replace the previous one. The handler records it, and the commit raises it
    again before it publishes: the previous run and the store stay as they were."""
    from ml.runtime.output import RunOutput
    from tests.run_safety_helpers import write_bundle_files

    out = make_previous_run(tmp_path / "run")
    before, db = snapshot(out), tmp_path / "personas.db"
    SqliteStore(db).close()
    swallowed: list[type] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: swallowed.append(unraisable.exc_type))

    class Finaliser:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)
            sum(range(10_000))  # the handler runs here, inside the finaliser

    def fill(tmp: Path) -> None:
        write_bundle_files(tmp, "run-2", out)
        Finaliser()  # collected at once: the interrupt is raised in __del__ and dropped

    signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal, whatever pytest inherited
    output = RunOutput(out, store_url=f"sqlite:///{db}")
    with sigterm_as_interrupt(), pytest.raises(KeyboardInterrupt), output:
        output.commit(fill)
    assert swallowed == [KeyboardInterrupt], "the interrupt was not swallowed: this test checks nothing"
    assert snapshot(out) == before and _store_is_empty(db)
    assert not _staged(tmp_path, ".run.")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
