"""Resumable encoding: the cache is written per batch, so a killed or crashed run loses at most one batch."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.features.embed import SentenceEmbedder

REPO = Path(__file__).resolve().parents[1]
BANKING = REPO.parent / "shared" / "data" / "banking77" / "test.csv"
BATCH = 8


def _texts(n: int) -> list[str]:
    texts = pd.read_csv(BANKING)["text"].astype(str).drop_duplicates().tolist()
    return texts[:n]


def _rows(cache_dir: Path) -> int:
    files = list(cache_dir.glob("embeddings-*.sqlite"))
    if not files:
        return 0
    try:
        with sqlite3.connect(files[0], timeout=5) as con:
            return con.execute("SELECT COUNT(*) FROM emb").fetchone()[0]
    except sqlite3.OperationalError:  # the table is not created yet
        return 0


_CHILD = """
import sys
import pandas as pd
from ml.features.embed import SentenceEmbedder
texts = pd.read_csv(sys.argv[1])["text"].astype(str).drop_duplicates().tolist()[: int(sys.argv[2])]
SentenceEmbedder(batch_size=int(sys.argv[3]), cache_dir=sys.argv[4], show_progress=False).transform(texts)
"""


def test_a_killed_run_resumes_from_the_batches_it_wrote(tmp_path):
    n = 320
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(BANKING), str(n), str(BATCH), str(tmp_path)],
                             env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    seen = 0
    try:
        while seen < 3 * BATCH:  # wait for three batches in the cache (row count, not a sleep)
            assert child.poll() is None, f"encoder exited early: {child.stderr.read().decode()[-2000:]}"
            assert time.monotonic() < deadline, "no batch was written in time"
            time.sleep(0.02)
            seen = _rows(tmp_path)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    written = _rows(tmp_path)
    assert child.returncode == -signal.SIGKILL
    assert seen <= written < n, "the run must have been killed part-way"
    assert written % BATCH == 0  # whole batches only: each write is one transaction

    again = SentenceEmbedder(batch_size=BATCH, cache_dir=str(tmp_path), show_progress=False)
    resumed = again.transform(_texts(n))
    assert again.n_cached_ == written  # every finished batch is reused
    assert again.n_encoded_ == n - written
    fresh = SentenceEmbedder(batch_size=BATCH, cache_dir="", show_progress=False).transform(_texts(n))
    np.testing.assert_allclose(resumed, fresh, atol=1e-5)


class _CrashingEmbedder(SentenceEmbedder):
    """The real fp32 encoder that raises (as an out-of-memory or a bug would) after ``crash_after`` batches."""

    crash_after = 3

    def _encode_fn(self):
        encode, calls = super()._encode_fn(), []

        def fn(batch):
            if len(calls) == self.crash_after:
                raise RuntimeError("crash")
            calls.append(len(batch))
            return encode(batch)

        return fn


def test_a_crashed_run_re_encodes_only_the_batch_it_was_in(tmp_path, capsys):
    texts = _texts(60)
    with pytest.raises(RuntimeError, match="crash"):
        _CrashingEmbedder(batch_size=BATCH, cache_dir=str(tmp_path), show_progress=False).transform(texts)
    again = SentenceEmbedder(batch_size=BATCH, cache_dir=str(tmp_path), show_progress=True)
    again.transform(texts)
    assert again.n_cached_ == 3 * BATCH
    assert again.n_encoded_ == len(texts) - 3 * BATCH
    err = capsys.readouterr().err
    assert f"{3 * BATCH} vectors from the cache, {len(texts) - 3 * BATCH} encoded" in err
    assert "text/s" in err or "s/text" in err  # the bar shows the rate
