"""Shared test set-up.

Data from ../shared/data is used when present; without it those tests skip with a reason,
except under CI=true, where a missing data set is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("PERSONAS_SHARED_DATA", REPO.parent / "shared" / "data"))
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

pytest_plugins = ["tests.fixtures.data", "tests.fixtures.firestore", "tests.fixtures.runs", "tests.fixtures.profile_runs"]
