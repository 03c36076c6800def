"""What the assign-queue and assign-worker-process tests share: the assign URL, request bodies,
threads for concurrent requests, polling, and the `serve` fixture (a started app whose runs all use
the given model). Import `serve_fixture` into a test module to use the fixture `serve`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.app import create_app
from backend.settings import Settings
from tests.backend.conftest import NEW_RUN

API = "/api/v1"
ASSIGN = f"{API}/runs/{NEW_RUN}/assign"
WAIT = 30  # seconds a test waits for a thread before failing (never reached when the code works)


def in_thread(call: Callable[[], object]) -> tuple[threading.Thread, list]:
    out: list = []
    thread = threading.Thread(target=lambda: out.append(call()), daemon=True)
    thread.start()
    return thread, out


def body(*texts: str) -> dict:
    return {"conversations": [{"text": t} for t in texts]}


def records(*texts: str) -> list[dict]:
    """What the route queues for `body(*texts)`: the posted records."""
    return [{"text": t} for t in texts]


def wait_until(condition: Callable[[], bool]) -> None:
    done = threading.Event()
    for _ in range(WAIT * 100):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("condition not reached")


@pytest.fixture(name="serve")
def serve_fixture(populated_store, store_url: str) -> Iterator[Callable[..., tuple[TestClient, Any]]]:
    """Factory: `serve(model, **settings)` -> (client, model): a started app (lifespan running, one
    event loop for every request) over the populated store whose runs all use `model`."""
    opened: list[TestClient] = []

    def build(model: Any, **overrides) -> tuple[TestClient, Any]:
        app = create_app(Settings(store_url=store_url, frontend_dir=None, **overrides))
        app.state.models._load = lambda run_id, *where: model
        client = TestClient(app)
        client.__enter__()
        opened.append(client)
        return client, model

    yield build
    for client in opened:
        client.__exit__(None, None, None)
