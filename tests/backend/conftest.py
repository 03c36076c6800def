"""Backend test fixtures: a real store (SQLite; Firestore on the emulator when available)
holding synthetic runs, and apps/clients built on it with test settings."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from backend.app import create_app
from backend.settings import Settings
from ml.store import RunBundle, open_store
from tests.backend.synthetic import synthetic_bundle

OLD_RUN, NEW_RUN = "run-2017-old", "run-2017-new"
SERIES = "monthly"


FIRESTORE_PROJECT = "personas-backend-test"


@pytest.fixture(scope="session", params=["sqlite", pytest.param("firestore", marks=pytest.mark.firestore)])
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of an empty store of each kind: embedded SQLite, and Firestore on the real emulator
    (skipped with a how-to when Java or the emulator jar is missing; a failure under CI=true)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'personas.db'}"
        return
    emulator = request.getfixturevalue("firestore_emulator")
    emulator.clear(FIRESTORE_PROJECT)
    yield f"firestore://{FIRESTORE_PROJECT}"
    emulator.clear(FIRESTORE_PROJECT)


@pytest.fixture(scope="session", params=["sqlite", pytest.param("firestore", marks=pytest.mark.firestore)])
def pipeline_store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                       pipeline_run_dir: Path) -> Iterator[str]:
    """A store of each kind holding only the real pipeline run (`pipeline_run_dir`)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('pipeline-store') / 'personas.db'}"
    else:
        emulator = request.getfixturevalue("firestore_emulator")
        emulator.clear(FIRESTORE_PROJECT + "-run")
        url = f"firestore://{FIRESTORE_PROJECT}-run"
    store = open_store(url)
    store.publish(RunBundle.from_dir(pipeline_run_dir), replace=True)
    store.close()
    yield url
    if request.param == "firestore":
        request.getfixturevalue("firestore_emulator").clear(FIRESTORE_PROJECT + "-run")


class RunFiles(NamedTuple):
    """The real pipeline run's files as the tests read them."""

    manifest: dict
    personas: list[dict]
    members: pd.DataFrame  # assignments.parquet


@pytest.fixture(scope="session")
def run_files(pipeline_run_dir: Path) -> RunFiles:
    """`pipeline_run_dir`'s manifest.json, personas.json and assignments.parquet, read once."""
    def read(name: str):
        return json.loads((pipeline_run_dir / name).read_text())

    return RunFiles(read("manifest.json"), read("personas.json"), pd.read_parquet(pipeline_run_dir / "assignments.parquet"))


@pytest.fixture
def run_client(pipeline_store_url: str) -> Iterator[TestClient]:
    """A client of an app on the store holding only the real pipeline run (`pipeline_store_url`)."""
    with TestClient(create_app(Settings(store_url=pipeline_store_url, frontend_dir=None))) as client:
        yield client


@pytest.fixture(scope="session")
def populated_store(store_url: str) -> Iterator:
    """The store with two synthetic runs of series SERIES: OLD_RUN (3 personas) and the newer NEW_RUN (4),
    stored with a (synthetic) comparison against OLD_RUN."""
    from tests.store.synthetic_compare import make_comparison

    store = open_store(store_url)
    old = synthetic_bundle(OLD_RUN, "2017-10-01T00:00:00Z", n_personas=3, seed=1)
    new = synthetic_bundle(NEW_RUN, "2017-11-01T00:00:00Z", n_personas=4, seed=2)
    old.manifest["series"] = new.manifest["series"] = SERIES
    new.comparison = make_comparison(OLD_RUN, NEW_RUN, n_personas=4, moved=0.3)
    store.publish(old, replace=True)
    store.publish(new, replace=True)
    yield store
    store.close()


@pytest.fixture
def make_client(populated_store, store_url: str) -> Iterator[Callable[..., TestClient]]:
    """Factory: a TestClient on an app over the populated store with the given setting overrides."""
    clients: list[TestClient] = []

    def build(**overrides) -> TestClient:
        values = {"store_url": store_url, "frontend_dir": None, **overrides}
        client = TestClient(create_app(Settings(**values)))
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client) -> TestClient:
    return make_client()


def error_of(response) -> dict:
    """The `{"code", "message"}` of an error response (asserting the shape)."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert body["error"]["message"]
    return body["error"]


def error_answer(response) -> tuple[int, str]:
    """`(status, error code)` of an error response (asserting the shape, as `error_of`)."""
    return response.status_code, error_of(response)["code"]


@pytest.fixture
def frontend_dir(tmp_path: Path) -> Path:
    """A minimal static export like `next export` writes (query-string pages)."""
    out = tmp_path / "out"
    (out / "persona").mkdir(parents=True)
    (out / "map").mkdir()
    (out / "_next" / "static").mkdir(parents=True)
    (out / "index.html").write_text("<html>home</html>")
    (out / "persona" / "index.html").write_text("<html>persona page</html>")
    (out / "map" / "index.html").write_text("<html>map page</html>")
    (out / "_next" / "static" / "app.js").write_text("console.log(1)")
    (out / "404.html").write_text("<html>not found page</html>")  # Next.js writes one; StaticFiles serves it
    return out
