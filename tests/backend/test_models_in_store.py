"""An API server needs nothing but the store URL (issue #14): a real run (the bundled TWCS sample) is
published to Firestore (the real emulator), its run directory is deleted, and a backend started as its
own process with only the Firestore URL serves the run and assigns new conversations with the model
kept in the store, exactly as the run's own model does."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO

pytestmark = [pytest.mark.slow, pytest.mark.firestore]
PROJECT = "personas-models-only"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _call(url: str, body: dict | None = None, timeout: float = 120.0) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _start_backend(tmp_path: Path, store_url: str, emulator_host: str) -> tuple[subprocess.Popen, str]:
    """`python -m backend` with a clean environment: the store URL and the emulator, nothing else."""
    port = _free_port()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO),
           "PERSONAS_STORE_URL": store_url, "FIRESTORE_EMULATOR_HOST": emulator_host,
           "PERSONAS_HOME": str(tmp_path / "home" / ".personas"), "PERSONAS_CACHE_DIR": str(tmp_path / "cache"),
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    log = open(tmp_path / "backend.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([sys.executable, "-m", "backend", "--port", str(port), "--log-level", "warning"],
                            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if _call(f"{base}/health", timeout=2)[0] == 200:
                return proc, base
        except OSError:
            time.sleep(0.5)
    _stop(proc)
    pytest.fail(f"the backend did not start: {(tmp_path / 'backend.log').read_text(errors='replace')[-2000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_backend_with_only_the_firestore_url_assigns(firestore_emulator, pipeline_run_dir, tmp_path):
    sys.path.insert(0, str(REPO / "scripts"))
    from measure_assign_agreement import load_member_messages, to_conversation

    from ml.runtime.model import PersonaModel
    from ml.store.publish import StorePublisher

    firestore_emulator.clear(PROJECT)
    run_dir = tmp_path / "run"
    shutil.copytree(pipeline_run_dir, run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest["run_dir"] = str(run_dir)  # the server would look here, and nowhere else, for the model file
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    publisher = StorePublisher(f"firestore://{PROJECT}").open()
    try:
        run_id = publisher.publish(run_dir)
    finally:
        publisher.close()
    members = pd.read_parquet(run_dir / "assignments.parquet").sample(120, random_state=1).reset_index(drop=True)
    messages = load_member_messages(run_dir, manifest, members)
    shutil.rmtree(run_dir)

    proc, base = _start_backend(tmp_path, f"firestore://{PROJECT}", firestore_emulator.host)
    try:
        status, run = _call(f"{base}/runs/latest")
        assert status == 200 and run["id"] == run_id and run["model_available"] is True
        body = {"conversations": [to_conversation(r) for r in messages.itertuples(index=False)]}
        status, answer = _call(f"{base}/runs/{run_id}/assign", body)
        assert status == 200, answer
    finally:
        _stop(proc)
        firestore_emulator.clear(PROJECT)
    predicted = np.array([item["persona_id"] for item in answer["items"]])
    assert [item["id"] for item in answer["items"]] == messages["message_id"].tolist()
    assert (predicted == members["persona_id"].to_numpy()).mean() >= 0.65  # measured: 0.764 on all members
    direct = PersonaModel.load(pipeline_run_dir).predict(messages)["persona_id"].to_numpy()
    assert (direct == predicted).all()  # the stored model is the run's own model


def test_the_stored_model_is_the_run_files_bytes_without_encoder_weights(pipeline_run_dir):
    """What the store keeps: the run's `model/persona_model.joblib` unchanged, a few hundred KB (fitted
    stages and centroids; the 90 MB sentence encoder loads from the installed package), loaded as `load` does."""
    from ml.events.model import MODEL_FILE as EVENT_MODEL_FILE
    from ml.runtime.model import MODEL_FILE, PersonaModel
    from ml.store.bundle import MODEL_FILES, RunBundle

    assert MODEL_FILES == {"conversations": MODEL_FILE, "events": EVENT_MODEL_FILE}
    stored = RunBundle.from_dir(pipeline_run_dir).model
    assert stored.kind == "conversations"
    assert stored.data == (pipeline_run_dir / "model" / MODEL_FILE).read_bytes()
    # no encoder weights (int8 MiniLM alone is ~23 MB): under 1 MB beside the novelty member sample
    novelty = PersonaModel.from_bytes(stored.data).novelty
    sample = 0 if novelty is None else novelty.vectors_.nbytes + novelty.reference_.nbytes + (
        0 if novelty.labels_ is None else novelty.labels_.nbytes)
    assert len(stored.data) - sample < 1_000_000
    model = PersonaModel.from_bytes(stored.data)
    assert all(v is None or isinstance(v, (str, int, float, bool)) for v in vars(model.embedder).values())
    from_dir = PersonaModel.load(pipeline_run_dir)
    assert (model.reassigner.centroids_ == from_dir.reassigner.centroids_).all()
    with pytest.raises(TypeError, match="does not hold a PersonaModel"):
        PersonaModel.from_bytes(_joblib_bytes({"not": "a model"}))


def _joblib_bytes(obj) -> bytes:
    import io

    import joblib

    buffer = io.BytesIO()
    joblib.dump(obj, buffer)
    return buffer.getvalue()
