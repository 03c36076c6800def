#!/usr/bin/env bash
# Set up everything the tests need, then run the whole suite (unit, pipeline end-to-end, store on
# SQLite and the Firestore emulator, API, browser). CI runs exactly this.
#
# With no arguments the browser tests run in a second pytest process after the rest: in one process
# with everything else, five browser tests that follow tests/browser/test_frontend_checks.py timed out
# waiting for pages to render twice (on a fresh clone with cold caches, and on a heavily loaded
# machine), while they passed in a process of their own, after tests/backend alone, and in one warm
# full run; the cause is not found yet. A failing browser test now saves its screenshot and console
# to test-artifacts/browser/failures/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
. .venv/bin/activate
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$PWD/.numba_cache}"
export PERSONAS_CACHE_DIR="${PERSONAS_CACHE_DIR:-$PWD/.cache/personas}"
if [ "$#" -gt 0 ]; then
  exec python -m pytest -q "$@"
fi
status=0
python -m pytest -q --ignore=tests/browser || status=$?
python -m pytest -q tests/browser || status=$?
exit "$status"
