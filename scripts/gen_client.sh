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
# 3. frontend/lib/strategy.gen.ts: the same generator over ml/strategy/schema.json (the strategy document,
#    which the OpenAPI schema carries only as an object), wrapped as an OpenAPI document on the fly.
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

wrap_strategy_schema() {
  # ml/strategy/schema.json (JSON Schema 2020-12) as OpenAPI 3.1 components: the document is `Strategy`,
  # each $defs entry a component of its own (`citations` -> `StrategyCitations`).
  "$PYTHON" - "$ROOT/ml/strategy/schema.json" <<'EOF'
import json, sys

schema = json.load(open(sys.argv[1], encoding="utf-8"))
defs = schema.pop("$defs", {})
for key in ("$schema", "$id"):
    schema.pop(key, None)
name = {key: "Strategy" + key[:1].upper() + key[1:] for key in defs}

BOUNDS = {"minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum"}

def bounds_only(branch):
    """An anyOf branch that only bounds declared properties ("signals or evidence non-empty"): it says
    nothing about types, and openapi-typescript would read it as an alternative shape."""
    return set(branch) == {"properties"} and all(set(rule) <= BOUNDS for rule in branch["properties"].values())

def moved(node):
    if isinstance(node, dict):
        if "properties" in node and "anyOf" in node and all(bounds_only(b) for b in node["anyOf"]):
            node = {k: v for k, v in node.items() if k != "anyOf"}
        return {k: (f"#/components/schemas/{name[v[8:]]}" if k == "$ref" and v.startswith("#/$defs/") else moved(v))
                for k, v in node.items()}
    return [moved(v) for v in node] if isinstance(node, list) else node

schemas = {name[key]: moved(value) for key, value in defs.items()} | {"Strategy": moved(schema)}
doc = {"openapi": "3.1.0", "info": {"title": "Strategy document (ml/strategy/schema.json)", "version": "1"},
       "paths": {}, "components": {"schemas": dict(sorted(schemas.items()))}}
json.dump(doc, sys.stdout, indent=2)
EOF
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
  wrap_strategy_schema > "$scratch/strategy-openapi.json"
  # Run from frontend/ so the generator resolves its own pinned dependencies; quiet unless it fails.
  cd "$ROOT/frontend"
  "$NODE" "$GENERATOR" "$source_schema" --output "$out/api.gen.ts" >/dev/null
  "$NODE" "$GENERATOR" "$scratch/strategy-openapi.json" --output "$out/strategy.gen.ts" >/dev/null
  echo "gen_client.sh: wrote $out/api.gen.ts and $out/strategy.gen.ts" >&2
fi
