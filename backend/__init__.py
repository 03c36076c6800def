"""Personas JSON API: a thin FastAPI layer over the results store and the saved persona models.

`python -m backend --store URL --port P` serves the API under `/api/v1` and, when it has been
built, the explorer frontend at `/`.
"""

from backend.app import create_app

__all__ = ["create_app"]

