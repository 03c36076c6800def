"""Print the JSON API's OpenAPI schema, deterministically: ``python -m backend.openapi > frontend/lib/openapi.json``.

The schema is built from the app's routes and the run contract's models (``ml.runtime.contracts``) with
default settings (docs on, no keys), keys sorted and indented, so the same code always prints the same
bytes; the generated TypeScript client (``scripts/gen_client.sh``) is made from it.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def openapi_schema() -> dict[str, Any]:
    """The OpenAPI document the running server serves at ``/api/v1/openapi.json``."""
    from backend.app import create_app
    from backend.settings import Settings

    app = create_app(Settings(docs=True, api_key=None, admin_key=None, frontend_dir=None, cors_origins=[]))
    return app.openapi()


def openapi_json() -> str:
    return json.dumps(openapi_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    sys.stdout.write(openapi_json())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
