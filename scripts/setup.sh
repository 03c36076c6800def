#!/usr/bin/env bash
# Set up Personas on a fresh machine (idempotent).
#   bash scripts/setup.sh          # Python env + the explorer's frontend build
#   bash scripts/setup.sh --dev    # also test tools, Ray (the ray extra) and Debian's chromium for browser tests
set -euo pipefail
cd "$(dirname "$0")/.."
DEV=0
[ "${1:-}" = "--dev" ] && DEV=1
PY=${PYTHON:-python3}

if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$PY" -m venv .venv
fi
. .venv/bin/activate
# Progress without the noise: pip's Collecting / Downloading / Installing lines as they happen (none
# for packages already there); on failure the last 40 lines of pip's output.
pip_install() {
  local log
  log="$(mktemp)"
  { python -m pip install "$@" 2>&1 || echo "pip_install_failed $?"; } | tee "$log" \
    | { grep --line-buffered -E '^(Collecting|  Downloading|Installing collected|Successfully installed)' || true; }
  if grep -q '^pip_install_failed' "$log"; then
    tail -n 40 "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}
python -m pip install -q --upgrade pip
# torch first and pinned: the CPU build on disk; an unpinned torch pulls a multi-GB CUDA build.
echo "== installing torch (CPU build; a few minutes on a fresh machine)"
pip_install torch==2.13.0
echo "== installing Personas and its dependencies$([ "$DEV" = 1 ] && echo ' (with test tools)')"
if [ "$DEV" = 1 ]; then
  # the ray extra too: tests/test_ray_executor.py runs --executor ray on a local 2-CPU Ray
  pip_install -e ".[dev,ray]"
else
  pip_install -e .
fi

if [ "$DEV" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  echo "== installing Debian's chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

if command -v npm >/dev/null 2>&1; then
  bash scripts/build_frontend.sh
else
  echo "== npm not found: the explorer UI is skipped (the JSON API still works)"
fi
