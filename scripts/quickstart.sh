#!/usr/bin/env bash
# The main job, end to end: install, find personas in the bundled sample, serve the explorer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export PERSONAS_HOME="${PERSONAS_HOME:-$PWD/.personas}"
export PERSONAS_STORE_URL="${PERSONAS_STORE_URL:-sqlite:///$PERSONAS_HOME/personas.db}"
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$PWD/.numba_cache}"
PORT="${PORT:-8000}"
python -m ml.run data/sample/twcs_sample.csv --inbound-only --out runs/twcs-sample --store "$PERSONAS_STORE_URL"
echo "Serving the explorer at http://127.0.0.1:$PORT/  (Ctrl-C to stop)"
exec python -m backend --store "$PERSONAS_STORE_URL" --port "$PORT"
