"""`python -m ml.store.upload_model`: models of runs published before models were stored go into the store."""

from __future__ import annotations

import json

import pytest

from ml.store.sqlite import SqliteStore
from ml.store.upload_model import main
from tests.store.synthetic import make_bundle


@pytest.fixture
def old_run(tmp_path):
    """A store holding run-old without a model, and that run's directory with its model file."""
    url = f"sqlite:///{tmp_path / 'personas.db'}"
    store = SqliteStore(tmp_path / "personas.db")
    store.publish(make_bundle("run-old", [4]))
    run_dir = tmp_path / "run-old"
    (run_dir / "model").mkdir(parents=True)
    (run_dir / "manifest.json").write_text(json.dumps({"run_id": "run-old"}))
    (run_dir / "model" / "event_model.joblib").write_bytes(b"joblib bytes")
    yield store, url, run_dir
    store.close()


def test_uploads_the_model_of_an_old_run(old_run, capsys):
    store, url, run_dir = old_run
    assert store.get_model("run-old") is None
    assert main([str(run_dir), "--store", url]) == 0
    stored = store.get_model("run-old")
    assert stored.kind == "events" and stored.data == b"joblib bytes"
    assert "run-old: events model stored (12 bytes" in capsys.readouterr().out


def test_refusals_name_the_run_directory(old_run, tmp_path, capsys):
    store, url, run_dir = old_run
    (run_dir / "model" / "event_model.joblib").unlink()
    assert main([str(run_dir), "--store", url]) == 2
    assert f"error: {run_dir}: no model/persona_model.joblib" in capsys.readouterr().err
    other = tmp_path / "run-new"
    (other / "model").mkdir(parents=True)
    (other / "manifest.json").write_text(json.dumps({"run_id": "run-new"}))
    (other / "model" / "persona_model.joblib").write_bytes(b"x")
    assert main([str(other), "--store", url]) == 2
    assert f"error: {other}: run run-new is not in {url}; publish the run first" in capsys.readouterr().err
    assert main([str(tmp_path / "nowhere"), "--store", url]) == 2
    assert "no readable manifest.json" in capsys.readouterr().err
    assert store.get_model("run-old") is None
