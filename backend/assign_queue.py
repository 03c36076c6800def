"""Backpressure and micro-batching for `POST /runs/{run_id}/assign`.

Each run's model gets one `AssignBatcher`: requests put their posted records on a bounded queue and
await a future; one worker thread takes everything waiting (whole requests, up to `max_batch` texts)
and has them assigned in one call (`ml.runtime.assign_batch.assign_conversations`: a frame per
request, one `predict_many` pass, one `Placement` per conversation), resolving each request's
future with its own outcome. For a text model that call runs in the assign worker process
(`backend.encoder_worker`, shared by every run): frame building, behavioral features, fusion,
encoding and placement all happen there, so this process's event loop shares the GIL with none of
it and reads stay fast; the worker thread here only waits on the pipe. If that process dies during a
batch, the batch's requests get 503 with `Retry-After` and a fresh process is started. Event runs
(and models without an `embedder`, or with the process turned off) are served in the worker thread,
one request at a time for event runs.

Bounds: a request that would push the queue past `max_queue` texts, or whose texts would wait
longer than `max_wait_s` at the measured throughput (the batch being encoded counted in full), is
refused at once (429 with `Retry-After`), before it is even parsed when its run's queue exists
(`AssignQueues.admit`). A batch holds at most `max_batch_s` seconds of work at that throughput (and
`max_batch` texts), so a served request waits about `max_wait_s` plus one batch. Backstops when
the throughput drops (other load on the machine): a request still queued after `max_wait_s` is
withdrawn (503 with `Retry-After`), and one not answered `deadline_s` after it was queued gets 503
(its batch finishes, the answer is dropped). A request bigger than `max_queue` is admitted only
when the queue is empty, and served alone.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import math
import sys
import threading
import time
from collections import OrderedDict, deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from backend.encoder_worker import EncoderUnavailable, EncoderWorker, default_threads
from backend.settings import Settings
from ml.runtime.assign_batch import Outcome, assign_conversations

log = logging.getLogger("backend")


def _refuse(status: int, message: str, retry_after: int) -> HTTPException:
    return HTTPException(status, detail=message, headers={"Retry-After": str(retry_after)})


_KEYS = itertools.count(1)  # one key per batcher: names its model in the assign worker process


@dataclass(eq=False)
class _Job:
    payload: Any  # the posted conversation records (list of dicts), or an event run's frame
    weight: int
    future: Future = field(default_factory=Future)


class AssignBatcher:
    """A bounded queue and one worker thread in front of one model.

    `model` needs `predict(frame)`; with `predict_many(frames)` the worker serves every request it
    takes in one call (else one `predict` each). A request's payload is its list of conversation
    records, answered with a list of `Placement`; with `events`, it is an event run's frame, answered
    with `model.predict(frame)` (one request at a time, never merged). With an `encoder` and a
    conversation model that has an `embedder`, the model is sent to that process once and each batch
    is assigned there; else in the worker thread. The worker starts on the first `submit`.
    Attributes for tests and monitoring: `batch_sizes` (requests served per model call, last 1000),
    `texts_per_s` (moving average of the measured throughput, None before the first batch), `key`
    (the model's name in the assign worker process).
    """

    def __init__(self, model: Any, max_queue: int, max_batch: int, torch_threads: int = 0,
                 name: str = "model", max_wait_s: float = float("inf"), encoder: EncoderWorker | None = None,
                 max_batch_s: float = float("inf"), deadline_s: float = float("inf"), events: bool = False) -> None:
        self.model, self.max_queue, self.max_batch, self.max_batch_s = model, max_queue, max_batch, max_batch_s
        self.deadline_s, self.events, self.key = deadline_s, events, f"{name}#{next(_KEYS)}"
        in_process = not events and getattr(model, "embedder", None) is not None
        self.encoder = encoder if encoder is not None and in_process else None
        # a batcher never outlives a shutdown of its encoder: its calls fail rather than start a child
        self._since = self.encoder.generation if self.encoder is not None else None
        self.max_wait_s = max_wait_s
        self.torch_threads, self.name = torch_threads, name
        self.batch_sizes: deque[int] = deque(maxlen=1000)
        self.texts_per_s: float | None = None
        self._pending: deque[_Job] = deque()
        self._queued = 0
        self._in_flight = 0  # texts of the batch being served
        self._cond = threading.Condition()
        self._closed = False
        self._ready = False  # the worker has started (torch imported and configured)
        self._thread: threading.Thread | None = None

    @property
    def ready(self) -> bool:
        """The worker has started (and loaded the model, when it has an encoder process)."""
        return self._ready

    @property
    def queued_texts(self) -> int:
        return self._queued

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    def retry_after(self) -> int:
        """Seconds until the queue has likely drained (1 to 60)."""
        rate = self.texts_per_s or 0.0
        return 1 if rate <= 0 else max(1, min(60, math.ceil((self._queued + self._in_flight) / rate)))

    def check(self, weight: int) -> None:
        """Raise what `submit` would for `weight` texts now (429 full, 503 closed); queues nothing."""
        with self._cond:
            self._check(max(1, int(weight)))

    def _check(self, weight: int) -> None:
        if self._closed:
            raise _refuse(503, "the assign queue is closed (the server is stopping); retry", 1)
        if self._pending and self._queued + weight > self.max_queue:
            raise _refuse(429, f"assign queue full ({self._queued} texts waiting, the limit is "
                               f"{self.max_queue}); retry after the Retry-After seconds", self.retry_after())
        ahead = self._queued + self._in_flight
        expected = (ahead + weight) / self.texts_per_s if self.texts_per_s else 0.0
        if self._pending and expected > self.max_wait_s:
            raise _refuse(429, f"assign queue full ({self._queued} texts waiting, about {expected:.1f} s at "
                               f"{self.texts_per_s:.0f} texts/s); retry after the Retry-After seconds",
                          self.retry_after())

    def submit(self, payload: Any, weight: int) -> Future:
        """Queue one request of `weight` texts; raises HTTPException 429 when the queue is full."""
        job = _Job(payload, max(1, int(weight)))
        with self._cond:
            self._check(job.weight)
            self._pending.append(job)
            self._queued += job.weight
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"assign-{self.name}", daemon=True)
                self._thread.start()
            self._cond.notify()
        return job.future

    def withdraw(self, future: Future) -> bool:
        """Take a request off the queue if the worker has not started it; True when withdrawn.
        While the worker itself is still starting (first request of a model) nothing is withdrawn."""
        with self._cond:
            if not self._ready and not self._closed:
                return False
            for job in self._pending:
                if job.future is future:
                    self._pending.remove(job)
                    self._queued -= job.weight
                    job.future.cancel()
                    return True
        return False

    def close(self, drain: bool = False, timeout: float = 10.0) -> None:
        """Stop taking requests; refuse the queued ones (503) unless `drain`; wait for the worker."""
        with self._cond:
            self._closed = True
            dropped = [] if drain else list(self._pending)
            if not drain:
                self._pending.clear()
                self._queued = 0
            self._cond.notify_all()
        for job in dropped:
            if job.future.set_running_or_notify_cancel():
                job.future.set_exception(_refuse(503, "the server is stopping; retry", 1))
        if not drain:
            self.join(timeout)

    def join(self, timeout: float) -> None:
        """Wait up to `timeout` s for the worker thread to end (after `close`)."""
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _take(self) -> list[_Job] | None:
        """The next batch: whole requests in arrival order up to `max_batch` texts and `max_batch_s`
        seconds of work at the measured throughput (at least one request)."""
        with self._cond:
            while not self._pending and not self._closed:
                self._cond.wait()
            if not self._pending:
                return None
            batch = [self._pending.popleft()]
            texts = batch[0].weight
            limit = self.max_batch
            if self.texts_per_s:
                limit = max(1, int(min(limit, self.texts_per_s * self.max_batch_s)))
            while self._pending and texts + self._pending[0].weight <= limit:
                batch.append(self._pending.popleft())
                texts += batch[-1].weight
            self._queued -= texts
            self._in_flight = texts
        return [job for job in batch if job.future.set_running_or_notify_cancel()]

    def _run(self) -> None:
        # This thread and the request threads (validation, store look-ups) hold the GIL in steps of up
        # to the switch interval (5 ms by default) while the event loop answering reads waits; a
        # shorter interval lets reads through between those steps (scripts/bench_api.py --mixed).
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.0005))
        if self.encoder is not None:
            try:  # start the process and load the model before the first request is timed
                self.encoder.load(self.key, self.model, self._since)
            except Exception as exc:  # noqa: BLE001 - the first request reports it
                log.error("assign worker %s: the assign process did not load the model: %s", self.name, exc)
        else:
            self._limit_torch_threads()
        freeze_heap()
        with self._cond:
            self._ready = True
        while (batch := self._take()) is not None:
            if batch:
                self._serve(batch)
            with self._cond:
                self._in_flight = 0
        if self.encoder is not None:  # this run's queue is gone: the process drops its model
            self.encoder.forget(self.key, self._since)

    def _limit_torch_threads(self) -> None:
        """Encoding in this thread (no encoder process): leave a core to the event loop (torch's intra-op threads = CPUs - 1 unless set) and load
        the sentence model before the first request is timed."""
        embedder = getattr(self.model, "embedder", None)
        if embedder is None:
            return
        try:
            import torch

            from ml.features.embed import load_sentence_model
        except ImportError:  # pragma: no cover - torch comes with sentence-transformers
            return
        torch.set_num_threads(self.torch_threads or default_threads())
        try:
            load_sentence_model(embedder.model_name, embedder.device)
        except Exception as exc:  # noqa: BLE001 - the first predict reports it to the client
            log.error("assign worker %s: the sentence model did not load: %s", self.name, exc)

    def _assign(self, payloads: list[Any]) -> list[Outcome]:
        """One outcome per payload: ("ok", result) or ("error", exception)."""
        if self.encoder is not None:
            return self.encoder.assign(self.key, self.model, payloads, self._since)
        if not self.events:
            return assign_conversations(self.model, payloads)
        outcomes: list[Outcome] = []
        for frame in payloads:  # an event run: one request at a time (the same user id in two stays two)
            try:
                outcomes.append(("ok", self.model.predict(frame)))
            except Exception as exc:  # noqa: BLE001 - the request gets it (a 422 or the JSON 500)
                outcomes.append(("error", exc))
        return outcomes

    def _serve(self, batch: list[_Job]) -> None:
        start = time.perf_counter()
        try:
            outcomes = self._assign([job.payload for job in batch])
        except EncoderUnavailable as exc:
            self._fail(batch, exc)
            return
        except Exception as exc:  # noqa: BLE001 - e.g. a model the process cannot load: each request gets it
            outcomes = [("error", exc)] * len(batch)
        # the batch is on record before any of its requests is answered (a caller may read it right after)
        self.batch_sizes.append(len(batch))
        seconds = time.perf_counter() - start
        rate = sum(job.weight for job in batch) / max(seconds, 1e-6)
        self.texts_per_s = rate if self.texts_per_s is None else 0.7 * self.texts_per_s + 0.3 * rate
        for job, (status, value) in zip(batch, outcomes):
            if status == "ok":
                job.future.set_result(value)
            else:
                job.future.set_exception(value)

    def _fail(self, batch: list[_Job], exc: EncoderUnavailable) -> None:
        """The assign worker process stopped under these requests: 503, retry once a new one has loaded."""
        for job in batch:
            job.future.set_exception(_refuse(503, f"{exc}; retry after the Retry-After seconds", 5))


def freeze_heap() -> None:
    """Move what is alive now (the modules, the model just loaded) out of the garbage collector's
    generations, so the full collections that pause the event loop only walk what was allocated
    since: with a model loaded they took 100-500 ms each on the shared 2-core machine (scripts/bench_api.py
    --mixed). Once per model load; a model retired later keeps what it had in reference cycles."""
    gc.collect()
    gc.freeze()


def answer_deadline(batcher: AssignBatcher, weight: int) -> float:
    """Seconds a request of `weight` texts may take from queueing to answer: `deadline_s`, plus its own texts
    at the measured throughput (an API review's 1,000 texts, within the 2,000 a call may hold, were refused after
    the fixed 4 s while the worker went on encoding them, and the retry was refused too)."""
    rate = batcher.texts_per_s
    return batcher.deadline_s + (weight / rate if rate else 0.0)


async def wait_for_result(batcher: AssignBatcher, future: Future, max_wait_s: float, weight: int = 1) -> Any:
    """The request's result; 503 with Retry-After when it is still queued after `max_wait_s`, or
    not answered `answer_deadline` after it was queued (a slow batch: the answer is dropped).

    While the worker is still starting (the first request of a model loads it) there is no
    deadline. A client that disconnects while queued is withdrawn so the worker does not encode
    for nobody.
    """
    waiting = asyncio.wrap_future(future)
    start = time.monotonic()
    try:
        done, _ = await asyncio.wait({waiting}, timeout=max_wait_s)
        if not done and batcher.withdraw(future):
            raise _refuse(503, f"assign request waited {max_wait_s:g} s in the queue without being served; "
                               "retry after the Retry-After seconds", batcher.retry_after())
        if not done and batcher.ready:
            deadline = answer_deadline(batcher, weight)
            left = deadline - (time.monotonic() - start)
            done, _ = await asyncio.wait({waiting}, timeout=max(0.0, left))
            if not done:
                waiting.cancel()
                raise _refuse(503, f"assign request not answered within {deadline:.3g} s (the encoder "
                                   "is slower than measured); retry after the Retry-After seconds",
                              batcher.retry_after())
        return await waiting
    except asyncio.CancelledError:
        batcher.withdraw(future)
        raise


class AssignQueues:
    """One `AssignBatcher` per run id (recently used first kept, `capacity` at most); thread-safe."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.capacity = settings.model_cache_size
        self.encoder = EncoderWorker(settings.assign_torch_threads, settings.assign_encoder_nice,
                                     settings.assign_encode_timeout_s) if settings.assign_encoder_process else None
        self._batchers: OrderedDict[str, AssignBatcher] = OrderedDict()
        self._lock = threading.Lock()

    def admit(self, run_id: str, weight: int) -> None:
        """Refuse now (429 with Retry-After) a request of `weight` texts that `run_id`'s queue would
        refuse, before the request is parsed and its model looked up (refusals stay cheap)."""
        with self._lock:
            batcher = self._batchers.get(run_id)
        if batcher is not None and weight > 0:
            batcher.check(weight)

    def for_model(self, run_id: str, model: Any, events: bool = False) -> AssignBatcher:
        """The batcher of `run_id`'s model (a new one when the model was reloaded); `events`: an
        event run's model (requests are event frames, predicted one at a time)."""
        retired: list[AssignBatcher] = []
        with self._lock:
            batcher = self._batchers.get(run_id)
            if batcher is None or batcher.model is not model:
                if batcher is not None:
                    retired.append(batcher)
                s = self.settings
                batcher = AssignBatcher(model, s.assign_queue_max_texts, s.assign_max_batch_texts,
                                        s.assign_torch_threads, name=run_id, max_wait_s=s.assign_max_wait_s,
                                        encoder=self.encoder, max_batch_s=s.assign_max_batch_s,
                                        deadline_s=s.assign_deadline_s, events=events)
                self._batchers[run_id] = batcher
            self._batchers.move_to_end(run_id)
            while len(self._batchers) > self.capacity:
                retired.append(self._batchers.popitem(last=False)[1])
        for old in retired:
            old.close(drain=True)  # finishes what it holds, then its worker exits
        return batcher

    def close(self, timeout: float = 10.0) -> None:
        """At shutdown: refuse what is queued, stop the assign worker process (a batch in flight gets
        503) and every worker thread."""
        with self._lock:
            batchers = list(self._batchers.values())
            self._batchers.clear()
        for batcher in batchers:
            batcher.close(timeout=0)
        if self.encoder is not None:
            self.encoder.close()
        for batcher in batchers:
            batcher.join(timeout)


def get_assign_queues(request: Request) -> AssignQueues:
    return request.app.state.assign_queues


QueuesDep = Annotated[AssignQueues, Depends(get_assign_queues)]
