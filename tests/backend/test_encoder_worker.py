"""The assign worker process behind /assign (backend/encoder_worker.py): the whole assign (frame,
features, encoding, placement) runs there (another pid, lower priority), each run's model is sent to
it once, a crash under a request is a 503 and a fresh process serves the next one, a process killed
while idle is replaced without failing a request, the queue bound still answers 429, a hung call is
killed, nothing is left running after shutdown or when the server process dies. The model is a
stand-in (tests/backend/encoder_doubles.py) that runs in the child and answers with its pid; the
store is the populated one of conftest. The real model through the process:
test_assign_queue.py::test_batched_results_equal_each_request_alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import psutil
import pytest
from fastapi import HTTPException

from backend.assign_queue import AssignQueues
from backend.encoder_worker import EncoderUnavailable, EncoderWorker
from backend.settings import Settings
from ml.runtime.assign_batch import RecordsError
from tests.backend.assign_helpers import (
    ASSIGN,
    WAIT,
    body,
    in_thread,
    records,
    serve_fixture,  # noqa: F401 - the `serve` fixture
    wait_until,
)
from tests.backend.conftest import NEW_RUN, error_of
from tests.backend.encoder_doubles import CRASH, EncodingModel
from tests.conftest import REPO


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def distances(response) -> list[float]:
    """The distances of an answer: with EncodingModel, the pid of the process that did the work."""
    assert response.status_code == 200, response.text
    return [item["distance"] for item in response.json()["items"]]


def test_requests_are_assigned_in_the_worker_process_at_lower_priority(serve):
    client, _ = serve(EncodingModel())
    encoder = client.app.state.assign_queues.encoder
    first = client.post(ASSIGN, json=body("hello there", "a second text"))
    assert encoder.pid is not None and encoder.pid != os.getpid()
    assert distances(first) == [encoder.pid] * 2  # frame, vectors and placement were made in that process
    assert [item["persona_id"] for item in first.json()["items"]] == [len("hello there") % 3, len("a second text") % 3]
    assert psutil.Process(encoder.pid).nice() == min(19, os.nice(0) + 10)
    assert distances(client.post(ASSIGN, json=body("third"))) == [encoder.pid]
    assert encoder.models_sent == 1  # the run's model went to the process once


def test_records_the_process_cannot_read_are_422_naming_the_field(serve):
    client, _ = serve(EncodingModel())
    bad = client.post(ASSIGN, json={"conversations": [{"text": "fine"}, {"text": "x", "timestamp": "not a time"}]})
    assert bad.status_code == 422
    assert error_of(bad)["message"].startswith("conversations.1.timestamp:")
    assert client.post(ASSIGN, json=body("still served")).status_code == 200


def test_one_bad_request_in_a_batch_fails_alone():
    worker = EncoderWorker(threads=1)
    try:
        outcomes = worker.assign("run#1", EncodingModel(), [records("fine"), [{"text": "x", "timestamp": "never"}],
                                                            records("also fine", "two")])
        assert [status for status, _ in outcomes] == ["ok", "error", "ok"]
        assert isinstance(outcomes[1][1], RecordsError) and "conversations.0.timestamp" in str(outcomes[1][1])
        assert [row.distance for row in outcomes[2][1]] == [worker.pid] * 2
        assert [row.persona_id for row in outcomes[2][1]] == [len("also fine") % 3, len("two") % 3]
    finally:
        worker.close()


def test_a_forgotten_model_is_sent_again():
    worker = EncoderWorker(threads=1)
    try:
        model = EncodingModel()
        pid = worker.load("run#1", model)
        worker.assign("run#1", model, [records("a")])
        assert worker.models_sent == 1
        worker.forget("run#1")  # its queue was retired: the process drops it
        assert worker.assign("run#1", model, [records("b")])[0][0] == "ok"
        assert worker.models_sent == 2 and worker.pid == pid
    finally:
        worker.close()


def test_a_crash_under_a_request_is_503_and_a_new_process_serves_the_next(serve):
    client, _ = serve(EncodingModel())
    assert client.post(ASSIGN, json=body("warm up")).status_code == 200
    encoder = client.app.state.assign_queues.encoder
    first = encoder.pid
    crashed = client.post(ASSIGN, json=body(CRASH))
    assert crashed.status_code == 503 and int(crashed.headers["Retry-After"]) >= 1
    message = error_of(crashed)["message"]
    assert "assign worker process stopped while serving this request" in message and "\n" not in message
    assert encoder.restarts == 1 and encoder.pid != first and not alive(first)
    assert distances(client.post(ASSIGN, json=body("after the crash"))) == [encoder.pid]
    assert encoder.models_sent == 2  # the fresh process got the model at start, once


def test_a_process_killed_while_idle_is_replaced_without_failing_a_request(serve):
    client, _ = serve(EncodingModel())
    assert client.post(ASSIGN, json=body("warm up")).status_code == 200
    encoder = client.app.state.assign_queues.encoder
    first = encoder.pid
    os.kill(first, signal.SIGKILL)
    # psutil shows a zombie while the child's other threads still exit; only then can it be reaped
    wait_until(lambda: not alive(first) and not encoder.running)
    response = client.post(ASSIGN, json=body("after the kill"))
    assert distances(response) == [encoder.pid] and encoder.pid != first and encoder.restarts == 1


def test_full_queue_is_429_while_the_worker_process_works(serve, tmp_path):
    gate = tmp_path / "open"
    client, model = serve(EncodingModel(str(gate)), assign_queue_max_texts=3, assign_max_wait_s=60, assign_deadline_s=60)
    batcher = client.app.state.assign_queues.for_model(NEW_RUN, model)
    first, first_out = in_thread(lambda: client.post(ASSIGN, json=body("busy one", "busy two")))
    wait_until(lambda: batcher.thread is not None and len(batcher.batch_sizes) == 0 and batcher.queued_texts == 0
               and client.app.state.assign_queues.encoder.pid is not None)
    second, second_out = in_thread(lambda: client.post(ASSIGN, json=body("a", "b", "c")))
    wait_until(lambda: batcher.queued_texts == 3)
    refused = client.post(ASSIGN, json=body("one more"))
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    gate.touch()
    for thread in (first, second):
        thread.join(WAIT)
    pid = client.app.state.assign_queues.encoder.pid
    assert distances(first_out[0]) == [pid] * 2 and distances(second_out[0]) == [pid] * 3


def test_app_shutdown_stops_the_worker_process(serve):
    client, _ = serve(EncodingModel())
    assert client.post(ASSIGN, json=body("hello")).status_code == 200
    pid = client.app.state.assign_queues.encoder.pid
    assert alive(pid)
    client.__exit__(None, None, None)  # lifespan shutdown
    assert not alive(pid)


def test_shutdown_answers_the_request_in_flight_and_leaves_no_process(tmp_path):
    queues = AssignQueues(Settings(store_url=f"sqlite:///{tmp_path / 'unused.db'}", frontend_dir=None))
    batcher = queues.for_model(NEW_RUN, EncodingModel(str(tmp_path / "never")))
    future = batcher.submit(records("in flight"), 1)
    wait_until(lambda: queues.encoder.pid is not None and batcher.queued_texts == 0)
    pid = queues.encoder.pid
    queues.close()  # what the app's lifespan calls at shutdown
    with pytest.raises(HTTPException) as refused:
        future.result(WAIT)
    assert refused.value.status_code == 503 and "stopping" in refused.value.detail
    assert not alive(pid) and not batcher.thread.is_alive()
    assert queues.encoder.pid is None  # the call cut short by the shutdown started no new process


def test_a_hung_call_is_killed_after_the_timeout(tmp_path):
    worker = EncoderWorker(threads=1, call_timeout_s=1.0)
    try:
        first = worker.child_pid()  # start-up is not counted in the call timeout
        with pytest.raises(EncoderUnavailable, match="did not answer within 1 s"):
            worker.assign("run#1", EncodingModel(str(tmp_path / "never")), [records("x")])
        assert worker.pid != first and not alive(first)
        second = worker.pid
        [(status, rows)] = worker.assign("run#2", EncodingModel(), [records("y")])
        assert status == "ok" and rows[0].distance == second
    finally:
        worker.close()
    assert not alive(second) and worker.pid is None


def test_a_closed_worker_starts_a_new_process_when_used_again():
    """An app started again after a shutdown (tests, schemathesis) gets a new worker process."""
    worker = EncoderWorker(threads=1)
    first = worker.child_pid()
    worker.close()
    assert not alive(first)
    try:
        second = worker.child_pid()
        assert second != first and alive(second) and worker.restarts == 0  # a start, not a crash
    finally:
        worker.close()
    assert not alive(second)


def test_the_worker_process_exits_when_the_server_process_dies():
    script = ("import time; from backend.encoder_worker import EncoderWorker; "
              "print(EncoderWorker(threads=1).child_pid(), flush=True); time.sleep(120)")
    server = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        child = int(server.stdout.readline())
        assert alive(child)
    finally:
        server.kill()
        server.wait(WAIT)
    wait_until(lambda: not alive(child))


def test_a_call_for_work_taken_before_a_close_starts_no_process(tmp_path):
    """The race behind a CI failure: the batch was taken, then the server closed, then the batch's
    call began. That call must fail ("stopping") instead of starting a child that outlives shutdown."""
    worker = EncoderWorker(threads=1)
    try:
        taken = worker.generation
        first = worker.child_pid()
        worker.close()
        with pytest.raises(EncoderUnavailable, match="stopping"):
            worker.assign("run#1", EncodingModel(str(tmp_path / "never")), [records("taken before the close")],
                          since=taken)
        assert worker.pid is None and not alive(first)
        [(status, rows)] = worker.assign("run#1", EncodingModel(), [records("a new app")], since=worker.generation)
        assert status == "ok" and rows[0].distance == worker.pid
    finally:
        worker.close()


def _close_from_another_thread_first(worker: EncoderWorker) -> threading.Thread:
    """Run `worker.close()` in another thread and return once it has begun (its generation moved on)."""
    before = worker.generation
    closer, _ = in_thread(worker.close)
    wait_until(lambda: worker.generation != before)
    return closer


def test_a_close_after_a_call_began_fails_that_call_and_restarts_nothing(tmp_path, monkeypatch):
    """The race behind a flaky CI run: a call passed its generation check, then the server closed,
    then the call sent its work. The close kills the child under it; the call must say "stopping"
    (not "stopped while serving", which started a new child that outlived shutdown)."""
    worker = EncoderWorker(threads=1)
    first = worker.child_pid()
    exchange, closers = worker._exchange, []

    def close_then_exchange(*args, **kwargs):
        if not closers:
            closers.append(_close_from_another_thread_first(worker))
        return exchange(*args, **kwargs)

    monkeypatch.setattr(worker, "_exchange", close_then_exchange)
    try:
        with pytest.raises(EncoderUnavailable, match="the server is stopping"):
            worker.assign("run#1", EncodingModel(str(tmp_path / "never")), [records("in flight")])
        closers[0].join(WAIT)
        assert not alive(first) and worker.pid is None and worker.restarts == 0
    finally:
        worker.close()


def test_a_close_before_a_call_starts_its_child_leaves_no_child(tmp_path, monkeypatch):
    """A call that began before a close must not start a child after it: the close has already
    looked for one to stop, so that child would outlive the server."""
    worker = EncoderWorker(threads=1)
    start, closers = worker._start, []

    def close_then_start(generation):
        if not closers:
            closers.append(_close_from_another_thread_first(worker))
            closers[0].join(WAIT)  # nothing to stop yet: the close returns at once
        return start(generation)

    monkeypatch.setattr(worker, "_start", close_then_start)
    try:
        with pytest.raises(EncoderUnavailable, match="the server is stopping"):
            worker.assign("run#1", EncodingModel(), [records("began before the close")])
        assert worker.pid is None and worker._proc is None
        [(status, rows)] = worker.assign("run#1", EncodingModel(), [records("a new app")])
        assert status == "ok" and rows[0].distance == worker.pid  # a later call starts one as before
    finally:
        worker.close()
