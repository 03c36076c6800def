#!/usr/bin/env bash
# The main job, end to end: install, find personas in the bundled sample, serve the explorer.
#
# Uses the one default store of every entry point (`python -m ml.run` without --store does too):
# sqlite:///$PERSONAS_HOME/personas.db, PERSONAS_HOME = ~/.personas unless set; PERSONAS_STORE_URL
# overrides it. A run of the sample already in that store is reused; `--rerun` (or RERUN=1) runs the
# pipeline again. PORT (default 8000) is the port served.
set -euo pipefail
cd "$(dirname "$0")/.."
RERUN="${RERUN:-0}"
for arg in "$@"; do
  case "$arg" in
    --rerun) RERUN=1 ;;
    *) echo "usage: scripts/quickstart.sh [--rerun]   (env: PORT, RERUN=1, PERSONAS_HOME, PERSONAS_STORE_URL)" >&2; exit 2 ;;
  esac
done
bash scripts/setup.sh
. .venv/bin/activate
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$PWD/.numba_cache}"
PORT="${PORT:-8000}"
RUN_DIR=runs/twcs-sample
STORE_URL="$(python -c 'from ml.store.settings import get_store_settings as s; print(s().resolved_store_url())')"
echo "Store: $STORE_URL (the default of python -m ml.run and python -m backend)"

# The sample's run is reused when its run directory is complete and the store holds it.
if [ "$RERUN" != 1 ] && python - "$RUN_DIR" "$STORE_URL" <<'EOF'
import json, sys
from pathlib import Path
from ml.store import open_store
manifest = Path(sys.argv[1]) / "manifest.json"
if not manifest.is_file():
    sys.exit(1)
store = open_store(sys.argv[2])
try:
    store.get_run(json.loads(manifest.read_text())["run_id"])
except Exception:
    sys.exit(1)
finally:
    store.close()
EOF
then
  echo "Reusing the sample's run in $RUN_DIR (run again with --rerun or RERUN=1)"
else
  python -m ml.run data/sample/twcs_sample.csv --inbound-only --out "$RUN_DIR" --store "$STORE_URL"
fi
echo "Serving the explorer on PORT=$PORT: http://127.0.0.1:$PORT/  (Ctrl-C to stop; another port: PORT=8080 $0)"
exec python -m backend --port "$PORT"
