#!/usr/bin/env bash
# Build the explorer frontend into frontend/out/ (a static export the backend serves at /).
#
#   scripts/build_frontend.sh            install deps if package*.json changed, build if sources changed
#   FORCE=1 scripts/build_frontend.sh    reinstall and rebuild regardless
#
# Idempotent: `npm ci` (exactly the committed package-lock.json, which it never rewrites) runs only
# when package.json/package-lock.json differ from the last install (stamp in node_modules/), `npm run
# build` only when a source file differs from the last build (stamp in out/).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FRONTEND="$ROOT/frontend"
export NEXT_TELEMETRY_DISABLED=1

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error: $tool not found: install Node.js 20.9 or newer (e.g. apt-get install -y nodejs npm)" >&2
    exit 1
  fi
done
major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ]; then
  echo "error: Node.js $(node --version) is too old: Next.js 16 needs 20.9 or newer" >&2
  exit 1
fi

cd "$FRONTEND"

hash_of() { sha256sum "$@" | sha256sum | cut -d' ' -f1; }

deps_hash="$(hash_of package.json package-lock.json)"
deps_stamp="node_modules/.personas-deps.sha256"
if [ "${FORCE:-0}" = "1" ] || [ ! -f "$deps_stamp" ] || [ "$(cat "$deps_stamp")" != "$deps_hash" ]; then
  echo "frontend: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$deps_hash" > "$deps_stamp"
else
  echo "frontend: node_modules is current" >&2
fi

mapfile -t sources < <(find app components lib public -type f 2>/dev/null | LC_ALL=C sort)
src_hash="$(hash_of package.json package-lock.json next.config.ts tsconfig.json "${sources[@]}")"
src_hash="$src_hash-${NEXT_PUBLIC_API_BASE:-}"
build_stamp="out/.personas-build.sha256"
if [ "${FORCE:-0}" = "1" ] || [ ! -f out/index.html ] || [ ! -f "$build_stamp" ] || [ "$(cat "$build_stamp")" != "$src_hash" ]; then
  echo "frontend: npm run build" >&2
  npm run build
  echo "$src_hash" > "$build_stamp"
else
  echo "frontend: out/ is current" >&2
fi
echo "frontend: built $FRONTEND/out" >&2
