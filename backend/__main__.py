"""`python -m backend --store URL --port P [--host H]`: serve the API and the built explorer.

Options not given on the command line come from the environment (`PERSONAS_*`, see settings.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError


def _port(value: str) -> int:
    """A TCP port, 1-65535 (uvicorn lets a larger one crash at bind or wrap it round through a name lookup)."""
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port: give a number from 1 to 65535")
    return port


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend", description=__doc__.splitlines()[0])
    parser.add_argument("--store", help="results store URL (sqlite:///path.db or firestore://project)")
    parser.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--runs-dir", type=Path, help="folder of run directories (for assign)")
    parser.add_argument("--frontend-dir", type=Path, help="built frontend to serve at / (default frontend/out)")
    parser.add_argument("--allow-writes", action="store_true",
                        help="enable DELETE /api/v1/runs/{id} (needs PERSONAS_ADMIN_KEY; docs/security.md)")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    args = parser.parse_args(argv)

    import uvicorn

    from backend.app import create_app
    from backend.settings import Settings

    overrides = {"store_url": args.store, "runs_dir": args.runs_dir, "frontend_dir": args.frontend_dir,
                 "allow_writes": True if args.allow_writes else None}
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        print(f"error: setting {'.'.join(map(str, first['loc']))}: {first['msg']}", file=sys.stderr)
        return 2
    app = create_app(settings)
    shown_host = "localhost" if args.host in ("0.0.0.0", "::") else args.host
    url = f"http://{shown_host}:{args.port}/"
    what = "explorer" if app.state.frontend_mounted else "API only (no built frontend found)"
    docs = f", docs at {url}api/v1/docs" if settings.docs else ""
    key = " (API key required)" if settings.api_key is not None else ""
    print(f"Personas serving at {url} ({what}); API at {url}api/v1{key}{docs}", flush=True)
    if note := _store_note(settings.store_url):
        print(note, file=sys.stderr, flush=True)
    from backend.access_log import log_config

    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, log_config=log_config())
    return 0


def _store_note(url: str | None) -> str | None:
    """A warning line when the store does not answer at start-up (its readiness check, a few seconds at most), else
    None. The API starts anyway (a database may come up after it), and /api/v1/ready answers 503 until it does; a
    deployment review saw "serving at …" printed and the trouble only as 503s later."""
    from ml.store import open_store

    try:
        store = open_store(url)
        try:
            store.ping()
        finally:
            store.close()
    except Exception as exc:  # noqa: BLE001 - said in one line, serving goes on
        text = " ".join(str(exc).split())
        return (f"warning: the store {url or '(default)'} does not answer now ({text[:300]}); serving anyway: "
                "/api/v1/ready answers 503 until it does")
    return None


if __name__ == "__main__":
    sys.exit(main())
