"""The privacy floor (docs/privacy.md) where member texts leave the store: a persona below it
(``evidence_withheld``) has its members served without text or author on the member map, the members page and
the member exports; the other personas' texts are served as before. A synthetic run in a SQLite store."""

from __future__ import annotations

import io

import pandas as pd
from fastapi.testclient import TestClient

from backend.app import create_app
from backend.settings import Settings
from ml.store import open_store
from tests.backend.synthetic import synthetic_bundle

API = "/api/v1"


def _client(tmp_path) -> TestClient:
    url = f"sqlite:///{tmp_path / 'floor.db'}"
    bundle = synthetic_bundle("run-floor", "2017-10-01T00:00:00Z", n_personas=3, seed=5)
    bundle.personas[0] |= {"evidence": [], "evidence_withheld": True, "distinct_authors": 3,
                           "evidence_withheld_reason": "only 3 distinct authors behind this persona"}
    store = open_store(url)
    store.publish(bundle, replace=True)
    store.close()
    return TestClient(create_app(Settings(store_url=url, frontend_dir=None)))


def test_members_of_a_persona_below_the_floor_carry_no_text_anywhere(tmp_path):
    with _client(tmp_path) as client:
        points = client.get(f"{API}/runs/run-floor/map", params={"limit": 10000}).json()["points"]
        few = [p for p in points if p["persona_id"] == 0]
        rest = [p for p in points if p["persona_id"] != 0]
        assert few and all(p["text"] is None and p["text_withheld"] for p in few)
        assert rest and all(p["text"] and not p["text_withheld"] for p in rest)

        page = client.get(f"{API}/runs/run-floor/personas/0/members").json()
        assert page["total"] == 40 and all(m["text"] is None and m["author"] is None for m in page["items"])
        assert client.get(f"{API}/runs/run-floor/personas/0/members", params={"q": "problem"}).json()["total"] == 0
        other = client.get(f"{API}/runs/run-floor/personas/1/members", params={"q": "problem"}).json()
        assert other["total"] > 0 and all("problem" in m["text"] for m in other["items"])

        frame = pd.read_csv(io.StringIO(client.get(f"{API}/runs/run-floor/export/members.csv").text))
        assert frame.loc[frame["persona_id"] == 0, "text"].isna().all()
        assert frame.loc[frame["persona_id"] != 0, "text"].notna().all()
