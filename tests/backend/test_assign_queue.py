"""The assign queue: 429 with Retry-After when full (before the request is parsed), 503 past the
queue deadline and past the answer deadline, batches bounded by texts and by seconds of work, reads
served while assigns wait, requests batched across callers with the same results as alone, workers
stopped at shutdown. Slow models are test doubles served in the worker thread whose predict waits on
a threading.Event the test controls; the store is real (the populated SQLite / Firestore store of
conftest), and the batching test runs the real PersonaModel (MiniLM + behavioral features, fused
space) in the assign worker process, held by a file gate. The process itself: test_encoder_worker.py."""

from __future__ import annotations

import os
import threading

import numpy as np
import pandas as pd
import pytest
from fastapi import HTTPException

from backend.assign_queue import AssignBatcher
from backend.routes.assign import conversations_to_frame
from backend.schemas import Conversation
from tests.backend.assign_helpers import (
    API,
    ASSIGN,
    WAIT,
    body,
    in_thread,
    records,
    serve_fixture,  # noqa: F401 - the `serve` fixture
    wait_until,
)
from tests.backend.conftest import NEW_RUN, error_of
from tests.backend.encoder_doubles import FileGatedModel
from tests.conftest import REPO


class GatedModel:
    """Stands in for a model (served in the worker thread: it has no embedder): every call waits until
    `gate` is set; persona = text length mod 3."""

    embedder = None

    def __init__(self) -> None:
        self.gate, self.entered = threading.Event(), threading.Event()
        self.calls: list = []  # the texts of each frame, per model call

    def predict_many(self, frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
        self.calls.append([f["text"].tolist() for f in frames])
        self.entered.set()
        assert self.gate.wait(WAIT), "the test never opened the gate"
        out = []
        for frame in frames:
            n = frame["text"].str.len()
            out.append(pd.DataFrame({"member_id": frame["message_id"], "persona_id": n % 3,
                                     "distance": n / 100.0, "would_be_noise": n > 50}))
        return out

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.predict_many([frame])[0]


def test_full_queue_is_429_with_retry_after(serve):
    client, model = serve(GatedModel(), assign_queue_max_texts=3, assign_max_batch_texts=64)
    first, first_out = in_thread(lambda: client.post(ASSIGN, json=body("busy one", "busy two")))
    assert model.entered.wait(WAIT)  # the worker holds the first request
    second, second_out = in_thread(lambda: client.post(ASSIGN, json=body("a", "b", "c")))
    batcher = client.app.state.assign_queues.for_model(NEW_RUN, model)
    wait_until(lambda: batcher.queued_texts == 3)
    refused = client.post(ASSIGN, json=body("one more"))
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert error_of(refused)["code"] == "too_many_requests" and "queue full" in error_of(refused)["message"]
    unread = client.post(ASSIGN, json={"conversations": [{"text": "x", "timestamp": "not a time"}]})
    assert unread.status_code == 429  # refused before parsing (parsed, this timestamp is a 422)
    model.gate.set()
    for thread in (first, second):
        thread.join(WAIT)
    assert [r.status_code for r in first_out + second_out] == [200, 200]
    assert len(second_out[0].json()["items"]) == 3
    assert ["one more"] not in [texts for call in model.calls for texts in call]  # never reached the model


def test_request_that_would_wait_past_the_deadline_is_refused_at_once():
    """At the measured throughput, texts that could not start within max_wait_s get 429 now."""
    model = GatedModel()
    batcher = AssignBatcher(model, max_queue=1000, max_batch=1000, max_wait_s=2.0)
    posted = records("x")
    running = batcher.submit(posted, 1)
    assert model.entered.wait(WAIT)
    batcher.texts_per_s = 10.0  # as if measured on earlier batches
    admitted = batcher.submit(posted, 15)  # about 1.5 s of work ahead of it: queued
    with pytest.raises(HTTPException) as refused:
        batcher.submit(posted, 10)  # about 2.5 s: refused without waiting
    assert refused.value.status_code == 429 and refused.value.headers["Retry-After"] == "2"
    model.gate.set()
    assert running.result(WAIT) is not None and admitted.result(WAIT) is not None
    batcher.close()


def test_the_batch_being_encoded_counts_towards_the_deadline():
    model = GatedModel()
    batcher = AssignBatcher(model, max_queue=1000, max_batch=1000, max_wait_s=2.0)
    posted = records("x")
    running = batcher.submit(posted, 15)  # in flight: 1.5 s of work at 10 texts/s
    assert model.entered.wait(WAIT)
    batcher.texts_per_s = 10.0
    queued = batcher.submit(posted, 1)
    with pytest.raises(HTTPException) as refused:
        batcher.submit(posted, 5)  # 15 + 1 + 5 texts ahead: 2.1 s
    assert refused.value.status_code == 429 and refused.value.headers["Retry-After"] == "2"
    model.gate.set()
    assert running.result(WAIT) is not None and queued.result(WAIT) is not None
    batcher.close()


@pytest.mark.parametrize(("max_batch_s", "batches"), [(1.0, [1, 2, 1]), (float("inf"), [1, 3])])
def test_a_batch_holds_at_most_max_batch_s_of_work(max_batch_s, batches):
    model = GatedModel()
    batcher = AssignBatcher(model, max_queue=1000, max_batch=1000, max_batch_s=max_batch_s)
    posted = records("x")
    futures = [batcher.submit(posted, 1)]
    assert model.entered.wait(WAIT)
    futures += [batcher.submit(posted, 3) for _ in range(3)]
    batcher.texts_per_s = 10.0  # after the first batch (held 0.3 s): 7 to 8 texts/s, so 6 texts fit, 9 do not
    threading.Event().wait(0.3)
    model.gate.set()
    assert all(f.result(WAIT) is not None for f in futures)
    assert list(batcher.batch_sizes) == batches
    batcher.close()


def test_request_waiting_past_the_deadline_is_refused_and_never_served(serve):
    client, model = serve(GatedModel(), assign_max_wait_s=0.3)
    first, first_out = in_thread(lambda: client.post(ASSIGN, json=body("holds the worker")))
    assert model.entered.wait(WAIT)
    late = client.post(ASSIGN, json=body("too late"))
    assert late.status_code == 503 and int(late.headers["Retry-After"]) >= 1
    assert "waited 0.3 s" in error_of(late)["message"]
    assert client.app.state.assign_queues.for_model(NEW_RUN, model).queued_texts == 0  # withdrawn
    model.gate.set()
    first.join(WAIT)
    assert first_out[0].status_code == 200  # a request the worker started is always answered
    assert model.calls == [[["holds the worker"]]]


def test_request_not_answered_by_the_deadline_is_503(serve):
    """A batch slower than measured: the request in it is answered 503 at the deadline."""
    client, model = serve(GatedModel(), assign_max_wait_s=0.2, assign_deadline_s=0.5)
    slow, slow_out = in_thread(lambda: client.post(ASSIGN, json=body("slow batch")))
    assert model.entered.wait(WAIT)
    slow.join(WAIT)
    assert slow_out[0].status_code == 503 and int(slow_out[0].headers["Retry-After"]) >= 1
    assert "not answered within 0.5 s" in error_of(slow_out[0])["message"]
    model.gate.set()
    assert client.post(ASSIGN, json=body("fast again")).status_code == 200


def test_reads_are_served_while_assigns_wait(serve):
    """More waiting assigns than the server has worker threads (40): reads must still be answered."""
    client, model = serve(GatedModel(), assign_queue_max_texts=1000, assign_max_wait_s=60, assign_deadline_s=60,
                          assign_max_batch_s=1e6)
    posts = [in_thread(lambda: client.post(ASSIGN, json=body("text 0")))]
    assert model.entered.wait(WAIT)  # the worker holds the first request
    posts += [in_thread(lambda i=i: client.post(ASSIGN, json=body(f"text {i}"))) for i in range(1, 45)]
    batcher = client.app.state.assign_queues.for_model(NEW_RUN, model)
    wait_until(lambda: batcher.queued_texts == 44)
    reader, read_out = in_thread(lambda: client.get(f"{API}/runs/{NEW_RUN}/personas"))
    reader.join(WAIT)
    assert read_out and read_out[0].status_code == 200 and not model.gate.is_set()
    model.gate.set()
    for thread, _ in posts:
        thread.join(WAIT)
    assert all(out[0].status_code == 200 for _, out in posts)
    assert list(batcher.batch_sizes) == [1, 44]  # everything that waited went through in one model call


def test_shutdown_refuses_queued_requests_and_stops_the_worker():
    model = GatedModel()
    batcher = AssignBatcher(model, max_queue=100, max_batch=1)
    posted = records("x")
    running = batcher.submit(posted, 1)
    assert model.entered.wait(WAIT)
    queued = batcher.submit(posted, 1)
    closer, _ = in_thread(lambda: batcher.close(timeout=WAIT))
    with pytest.raises(HTTPException) as refused:
        queued.result(WAIT)
    assert refused.value.status_code == 503
    with pytest.raises(HTTPException):
        batcher.submit(posted, 1)  # closed: nothing new is queued
    model.gate.set()
    closer.join(WAIT)
    assert [row.persona_id for row in running.result(WAIT)] == [1]
    assert batcher.thread is not None and not batcher.thread.is_alive()


def test_app_shutdown_stops_the_worker_threads(serve):
    client, model = serve(GatedModel())
    model.gate.set()
    assert client.post(ASSIGN, json=body("hello")).status_code == 200
    worker = client.app.state.assign_queues.for_model(NEW_RUN, model).thread
    assert worker is not None and worker.is_alive()
    client.__exit__(None, None, None)  # lifespan shutdown
    assert not worker.is_alive()


@pytest.fixture(scope="module")
def real_model():
    """A real PersonaModel in the fused space (MiniLM + the 36 behavioral features), fitted on 60
    customer messages of the bundled TWCS sample (3 personas by row order: enough to place points)."""
    from ml.cluster.reassign import NoiseReassigner
    from ml.features.behavioral import BehavioralFeatures
    from ml.features.embed import SentenceEmbedder, clean_for_embedding
    from ml.features.fusion import FeatureFusion
    from ml.runtime.model import PersonaModel
    from ml.units import build_units

    rows = pd.read_csv(REPO / "data" / "sample" / "twcs_sample.csv")
    rows = rows[(rows["inbound"].astype(str).str.lower() == "true") & rows["text"].notna()].head(60)
    frame = conversations_to_frame([Conversation(text=r.text, author=str(r.author_id), timestamp=r.created_at)
                                    for r in rows.itertuples()])
    members = build_units(frame, "message")
    embedder = SentenceEmbedder(cache_dir="", show_progress=False).fit()
    emb = embedder.transform(clean_for_embedding(members["text"].tolist()))
    features = BehavioralFeatures().fit(members, frame)
    fusion = FeatureFusion().fit(emb, features.transform(members, frame))
    vectors = fusion.transform(emb, features.transform(members, frame))
    reassigner = NoiseReassigner().fit(vectors, np.arange(len(members)) % 3)
    return PersonaModel(embedder, features, fusion, reassigner, space="fused")


REQUESTS = [  # the same author in several requests: author features must only see their own request
    [{"id": "a1", "text": "my order never arrived, third time asking", "author": "u1",
      "timestamp": "2017-10-31T22:10:47+00:00"},
     {"id": "a2", "text": "@acme still waiting for a refund", "author": "u1", "timestamp": "2017-11-02T08:00:00Z",
      "reply_to": "a1"}],
    [{"id": "b1", "text": "love the new app update!", "author": "u1", "timestamp": "2017-11-01T12:00:00Z"}],
    [{"id": "c1", "text": "how do I reset my password", "author": "u2"},
     {"id": "c2", "text": "the wifi on my flight does not work https://t.co/x", "author": "u3",
      "timestamp": "Tue Oct 31 22:11:45 +0000 2017"}],
]


def test_batched_results_equal_each_request_alone(serve, real_model, tmp_path):
    """Requests served together in one call of the assign worker process (frames, features, encoding
    and placement all there) get exactly what each would alone in this process."""
    gate = tmp_path / "open"
    client, gated = serve(FileGatedModel(real_model, str(gate)), assign_max_wait_s=60, assign_deadline_s=60,
                          assign_max_batch_s=1e6)
    first, first_out = in_thread(lambda: client.post(ASSIGN, json=body("warm the worker")))
    entered = tmp_path / "open.entered"
    wait_until(entered.exists)
    batcher = client.app.state.assign_queues.for_model(NEW_RUN, gated)
    posts = []
    for i, convs in enumerate(REQUESTS):
        posts.append(in_thread(lambda c=convs: client.post(ASSIGN, json={"conversations": c})))
        wait_until(lambda i=i: batcher.queued_texts == sum(len(r) for r in REQUESTS[: i + 1]))
    gate.touch()
    for thread, _ in [(first, first_out), *posts]:
        thread.join(WAIT)
    assert list(batcher.batch_sizes) == [1, 3]
    encoder = client.app.state.assign_queues.encoder
    assert batcher.encoder is encoder and encoder.pid not in (None, os.getpid())
    assert int(entered.read_text()) == encoder.pid  # predict_many (features, placement) ran there
    for convs, (_, out) in zip(REQUESTS, posts):
        assert out[0].status_code == 200, out[0].text
        alone = real_model.predict(conversations_to_frame([Conversation(**c) for c in convs]))
        items = out[0].json()["items"]
        assert [i["id"] for i in items] == [c["id"] for c in convs]
        assert [i["persona_id"] for i in items] == alone["persona_id"].tolist()
        assert [i["would_be_noise"] for i in items] == alone["would_be_noise"].tolist()
        np.testing.assert_allclose([i["distance"] for i in items], alone["distance"], atol=1e-5)


def test_merging_requests_would_change_the_answer(real_model):
    """Why the features are computed per request: u1's author features differ when merged."""
    frames = [conversations_to_frame([Conversation(**c) for c in convs]) for convs in REQUESTS]
    separate = pd.concat(real_model.predict_many(frames), ignore_index=True)
    merged = real_model.predict(pd.concat(frames, ignore_index=True))
    u1 = [0, 1, 2]  # a1, a2, b1
    assert not np.allclose(separate["distance"][u1], merged["distance"][u1], atol=1e-4)
    np.testing.assert_allclose(separate["distance"][3:], merged["distance"][3:], atol=1e-5)


def test_a_big_request_has_the_time_its_own_texts_take():
    """An API review: 1,000 texts (a call may hold 2,000) were refused after the fixed 4 s while the worker went on
    encoding them. The answer deadline adds the request's own texts at the measured throughput."""
    from types import SimpleNamespace

    from backend.assign_queue import answer_deadline

    measured = SimpleNamespace(deadline_s=4.0, texts_per_s=100.0)
    assert answer_deadline(measured, 1000) == 14.0 and answer_deadline(measured, 1) == 4.01
    assert answer_deadline(SimpleNamespace(deadline_s=4.0, texts_per_s=None), 1000) == 4.0  # nothing measured yet
