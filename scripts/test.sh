#!/usr/bin/env bash
# Set up everything the tests need, then run the whole suite (unit, pipeline end-to-end, store on
# SQLite and the Firestore emulator, API, browser). CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
. .venv/bin/activate
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$PWD/.numba_cache}"
export PERSONAS_CACHE_DIR="${PERSONAS_CACHE_DIR:-$PWD/.cache/personas}"
python -m pytest -q "$@"
