#!/usr/bin/env bash
# Regenerate the explorer's typed API client from the FastAPI app (docs/api.md, "Typed client").
#
#   bash scripts/gen_client.sh                      schema + TypeScript into frontend/lib/
#   bash scripts/gen_client.sh --out DIR            write everything into DIR instead (nothing else changes)
#   bash scripts/gen_client.sh --schema-only --out DIR   only DIR/openapi.json
#   bash scripts/gen_client.sh --ts-only --out DIR       only DIR/*.gen.ts, from frontend/lib/openapi.json
#
# 1. frontend/lib/openapi.json: `python -m backend.openapi`, the app's OpenAPI schema (keys sorted, indented).
# 2. frontend/lib/api.gen.ts: `openapi-typescript` (exact pin in frontend/package.json) over that schema.
#    The strategy document's schema (ml/strategy/schema.json) is in the OpenAPI schema itself, as the
#    `Strategy` components (backend/strategy_schema.py).
# tests/test_generated_client.py fails when a checked-in file differs from what this writes.
# PYTHON (default: python, the .venv's when active) and NODE (default: node) can be overridden.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LIB="$ROOT/frontend/lib"
GENERATOR="$ROOT/frontend/node_modules/openapi-typescript/bin/cli.js"
PYTHON="${PYTHON:-python}"
NODE="${NODE:-node}"

out="$LIB"
schema=1
ts=1
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    --schema-only) ts=0; shift ;;
    --ts-only) schema=0; shift ;;
    *) echo "gen_client.sh: unknown argument $1 (see the header of scripts/gen_client.sh)" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
out="$(cd "$out" && pwd)"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/gen_client.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

export_schema() {
  # Runs in a subshell: the schema must not depend on this shell's PERSONAS_* settings (backend.openapi
  # fixes docs and keys, but pydantic-settings still reads the rest from the environment).
  local name
  for name in $(compgen -e); do
    case "$name" in PERSONAS_*) unset "$name" ;; esac
  done
  cd "$ROOT" && "$PYTHON" -m backend.openapi
}

if [ "$schema" = 1 ]; then
  if ! (export_schema > "$scratch/openapi.json"); then
    echo "gen_client.sh: exporting the OpenAPI schema failed (activate .venv, or set PYTHON)" >&2
    exit 1
  fi
  mv "$scratch/openapi.json" "$out/openapi.json"
  echo "gen_client.sh: wrote $out/openapi.json" >&2
fi

if [ "$ts" = 1 ]; then
  if [ ! -f "$GENERATOR" ]; then
    echo "gen_client.sh: $GENERATOR is missing: run 'npm ci' in frontend/ (or bash scripts/build_frontend.sh)" >&2
    exit 1
  fi
  source_schema="$out/openapi.json"
  [ "$schema" = 1 ] || source_schema="$LIB/openapi.json"
  # Run from frontend/ so the generator resolves its own pinned dependencies; quiet unless it fails.
  cd "$ROOT/frontend"
  "$NODE" "$GENERATOR" "$source_schema" --output "$out/api.gen.ts" >/dev/null
  echo "gen_client.sh: wrote $out/api.gen.ts" >&2
fi
