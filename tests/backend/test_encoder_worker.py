"""The encoder process behind /assign (backend/encoder_worker.py): texts are encoded there (another
pid, lower priority), a crash under a request is a 503 and a fresh process serves the next one, a
process killed while idle is replaced without failing a request, the queue bound still answers 429,
a hung encode is killed, nothing is left running after shutdown or when the server process dies.
The embedder and model are stand-ins (tests/backend/encoder_doubles.py) whose encode runs in the
child; the store is the populated one of conftest. The real model through the process:
test_assign_queue.py::test_batched_results_equal_each_request_alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator

import pandas as pd
import psutil
import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient

from backend.app import create_app
from backend.assign_queue import AssignQueues
from backend.encoder_worker import EncoderUnavailable, EncoderWorker
from backend.settings import Settings
from tests.backend.conftest import NEW_RUN, error_of
from tests.backend.encoder_doubles import CRASH, EncodingModel, PidEmbedder
from tests.backend.test_assign_queue import ASSIGN, WAIT, body, in_thread, wait_until
from tests.conftest import REPO


@pytest.fixture
def serve(populated_store, store_url: str) -> Iterator[Callable[..., tuple[TestClient, EncodingModel]]]:
    """Factory: a started app (lifespan running) whose runs all use the given model."""
    opened: list[TestClient] = []

    def build(model: EncodingModel, **overrides) -> tuple[TestClient, EncodingModel]:
        app = create_app(Settings(store_url=store_url, frontend_dir=None, **overrides))
        app.state.models._load = lambda run_id, *where: model
        client = TestClient(app)
        client.__enter__()
        opened.append(client)
        return client, model

    yield build
    for client in opened:
        client.__exit__(None, None, None)


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_texts_are_encoded_in_the_encoder_process_at_lower_priority(serve):
    client, model = serve(EncodingModel())
    response = client.post(ASSIGN, json=body("hello there", "a second text"))
    assert response.status_code == 200, response.text
    encoder = client.app.state.assign_queues.encoder
    assert encoder.pid is not None and encoder.pid != os.getpid()
    assert model.encoded_by == [encoder.pid]  # the vectors were made in that process
    assert psutil.Process(encoder.pid).nice() == min(19, os.nice(0) + 10)


def test_a_crash_under_a_request_is_503_and_a_new_process_serves_the_next(serve):
    client, model = serve(EncodingModel())
    assert client.post(ASSIGN, json=body("warm up")).status_code == 200
    encoder = client.app.state.assign_queues.encoder
    first = encoder.pid
    crashed = client.post(ASSIGN, json=body(CRASH))
    assert crashed.status_code == 503 and int(crashed.headers["Retry-After"]) >= 1
    message = error_of(crashed)["message"]
    assert "text encoder stopped while serving this request" in message and "\n" not in message
    assert encoder.restarts == 1 and encoder.pid != first and not alive(first)
    again = client.post(ASSIGN, json=body("after the crash"))
    assert again.status_code == 200 and model.encoded_by[-1] == encoder.pid


def test_a_process_killed_while_idle_is_replaced_without_failing_a_request(serve):
    client, model = serve(EncodingModel())
    assert client.post(ASSIGN, json=body("warm up")).status_code == 200
    encoder = client.app.state.assign_queues.encoder
    first = encoder.pid
    os.kill(first, signal.SIGKILL)
    wait_until(lambda: not alive(first))
    response = client.post(ASSIGN, json=body("after the kill"))
    assert response.status_code == 200 and encoder.restarts == 1
    assert model.encoded_by[-1] == encoder.pid != first


def test_full_queue_is_429_while_the_encoder_process_works(serve, tmp_path):
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
    assert [r.status_code for r in first_out + second_out] == [200, 200]
    assert set(model.encoded_by) == {client.app.state.assign_queues.encoder.pid}


def test_app_shutdown_stops_the_encoder_process(serve):
    client, _ = serve(EncodingModel())
    assert client.post(ASSIGN, json=body("hello")).status_code == 200
    pid = client.app.state.assign_queues.encoder.pid
    assert alive(pid)
    client.__exit__(None, None, None)  # lifespan shutdown
    assert not alive(pid)


def test_shutdown_answers_the_request_in_flight_and_leaves_no_process(tmp_path):
    queues = AssignQueues(Settings(store_url=f"sqlite:///{tmp_path / 'unused.db'}", frontend_dir=None))
    batcher = queues.for_model(NEW_RUN, EncodingModel(str(tmp_path / "never")))
    frame = pd.DataFrame({"text": ["in flight"], "message_id": ["a"]})
    future = batcher.submit(frame, 1)
    wait_until(lambda: queues.encoder.pid is not None and batcher.queued_texts == 0)
    pid = queues.encoder.pid
    queues.close()  # what the app's lifespan calls at shutdown
    with pytest.raises(HTTPException) as refused:
        future.result(WAIT)
    assert refused.value.status_code == 503 and "stopping" in refused.value.detail
    assert not alive(pid) and not batcher.thread.is_alive()
    assert queues.encoder.pid is None  # the call cut short by the shutdown started no new process


def test_a_hung_encode_is_killed_after_the_timeout(tmp_path):
    worker = EncoderWorker(threads=1, call_timeout_s=1.0)
    try:
        first = worker.child_pid()  # start-up is not counted in the call timeout
        with pytest.raises(EncoderUnavailable, match="did not answer within 1 s"):
            worker.encode(PidEmbedder(str(tmp_path / "never")), ["x"])
        assert worker.pid != first and not alive(first)
        second = worker.pid
        assert worker.encode(PidEmbedder(), ["y"])[0, 0] == second
    finally:
        worker.close()
    assert not alive(second) and worker.pid is None


def test_a_closed_worker_starts_a_new_process_when_used_again():
    """An app started again after a shutdown (tests, schemathesis) gets a new encoder process."""
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


def test_the_encoder_process_exits_when_the_server_process_dies():
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
    encode began. That encode must fail ("stopping") instead of starting a child that outlives shutdown."""
    worker = EncoderWorker(threads=1)
    try:
        taken = worker.generation
        first = worker.child_pid()
        worker.close()
        with pytest.raises(EncoderUnavailable, match="stopping"):
            worker.encode(PidEmbedder(str(tmp_path / "never")), ["taken before the close"], since=taken)
        assert worker.pid is None and not alive(first)
        assert worker.encode(PidEmbedder(), ["a new app"], since=worker.generation)[0, 0] == worker.pid
    finally:
        worker.close()
