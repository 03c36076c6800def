"""The API tells the whole truth (issue 15): one `top_terms` shape, cited snippet texts with strategies,
Swagger UI served from this server (works offline), would-be-noise calibrated on the run's own noise,
and per-member confidence, on the real bundled-sample run (SQLite, and Firestore on its emulator)."""

from __future__ import annotations

import itertools
import re
import sqlite3
import subprocess
import sys
import time

import httpx
import pandas as pd
import pytest

from backend.routes.assign import conversations_to_frame
from backend.schemas import Conversation
from ml.cluster.reassign import core_confidence
from ml.runtime.model import PersonaModel
from ml.store import open_store
from tests.backend.synthetic import synthetic_bundle
from tests.conftest import REPO

API = "/api/v1"


def _is_term(term) -> bool:
    return set(term) == {"term", "weight", "written"} and isinstance(term["term"], str) and term["term"] \
        and isinstance(term["weight"], float) and (term["written"] is None or term["written"] != term["term"])


@pytest.mark.slow
def test_top_terms_have_one_shape_in_list_and_detail(run_client):
    items = run_client.get(f"{API}/runs/latest/personas").json()["items"]
    for item in items:
        detail = run_client.get(f"{API}/runs/latest/personas/{item['id']}").json()
        # below the privacy floor only terms two authors wrote are shown: there may be none (docs/privacy.md)
        assert (item["top_terms"] or detail["evidence_withheld"]) and all(_is_term(t) for t in item["top_terms"])
        assert all(_is_term(t) for t in detail["top_terms"]) and all(_is_term(t) for t in detail["top_ngrams"])
        assert item["top_terms"] == detail["top_terms"][: len(item["top_terms"])]
        assert (item["core_size"], item["reassigned_count"]) == (detail["core_size"], detail["reassigned_count"])
        assert item["core_size"] + item["reassigned_count"] == item["size"] == detail["size"]


@pytest.mark.slow
def test_strategy_includes_the_text_of_every_cited_snippet(run_client):
    persona = max(run_client.get(f"{API}/runs/latest/personas").json()["items"], key=lambda p: p["size"])
    profile = run_client.get(f"{API}/runs/latest/personas/{persona['id']}").json()
    body = run_client.post(f"{API}/strategy", json={"run_id": "latest", "persona_id": persona["id"],
                                                    "goal": "retention"}).json()
    cited = list(dict.fromkeys(re.findall(r'"evidence": \[([^\]]*)\]', str(body["strategy"]).replace("'", '"'))))
    cited_ids = list(dict.fromkeys(i for group in cited for i in re.findall(r'"([^"]+)"', group)))
    assert cited_ids and [e["member_id"] for e in body["evidence"]] == cited_ids
    stored = {e["member_id"]: e["text"] for e in profile["evidence"]}
    for snippet in body["evidence"]:
        assert snippet["text"] and snippet["text"] == stored[snippet["member_id"]]  # masked, as stored
    # author and timestamp as the members endpoint has them (an API review found both None on every snippet)
    members = run_client.get(f"{API}/runs/latest/personas/{persona['id']}/members",
                             params={"limit": 200}).json()["items"]
    by_id = {m["member_id"]: m for m in members}
    found = [e for e in body["evidence"] if e["member_id"] in by_id]
    assert found and all((e["author"], e["timestamp"]) == (by_id[e["member_id"]]["author"],
                                                           by_id[e["member_id"]]["timestamp"]) for e in found)
    assert any(e["author"] for e in found) and any(e["timestamp"] for e in found)
    # the channels the strategy used, when the request named none (it said null)
    assert body["channels"] == [c["channel"] for c in body["strategy"]["channels"]] and body["channels"]


def test_docs_page_loads_every_asset_from_this_server(client):
    page = client.get(f"{API}/docs")
    assert page.status_code == 200
    refs = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(refs) == 3  # the bundle, the styles and the icon
    assert not re.search(r"https?://", page.text), "the docs page names an external host"
    csp = page.headers["content-security-policy"]
    assert "http" not in csp and "'self'" in csp
    kinds = set()
    for ref in refs:
        asset = client.get(ref)
        assert asset.status_code == 200 and len(asset.content) > 100, ref
        kinds.add(asset.headers["content-type"].split(";")[0])
    assert kinds == {"text/javascript", "text/css", "image/png"}
    assert "SwaggerUIBundle" in client.get(refs[-1] if refs[-1].endswith(".js") else
                                           next(r for r in refs if r.endswith(".js"))).text


@pytest.mark.slow
def test_would_be_noise_is_calibrated_on_the_runs_own_noise(run_client, pipeline_run_dir):
    model = PersonaModel.load(pipeline_run_dir)
    calibration = model.reassigner.calibration_
    assert model.reassigner.noise_ratio_ is not None and calibration["n_noise"] > 100
    assert calibration["noise_flagged"] > calibration["core_flagged"] + 0.2  # it separates noise from core
    members = pd.read_parquet(pipeline_run_dir / "assignments.parquet")
    core = members[~members["reassigned"]]
    # the core member of the biggest persona closest to its centre, in the model's space
    pid = int(core["persona_id"].value_counts().idxmax())
    candidates = core[core["persona_id"] == pid]["text"].head(40).tolist()
    placed = model.predict(conversations_to_frame([Conversation(text=t) for t in candidates]))
    typical = candidates[int(placed["distance"].idxmin())]
    texts = ["hi", "ok", "asdf", typical]
    body = run_client.post(f"{API}/runs/latest/assign",
                           json={"conversations": [{"text": t} for t in texts]})
    assert body.status_code == 200, body.text
    flags = [item["would_be_noise"] for item in body.json()["items"]]
    assert flags == [True, True, True, False]


@pytest.mark.slow
def test_members_and_map_carry_confidence(run_client, pipeline_run_dir):
    personas = run_client.get(f"{API}/runs/latest/personas").json()["items"]
    biggest = max(personas, key=lambda p: p["size"])
    page = run_client.get(f"{API}/runs/latest/personas/{biggest['id']}/members", params={"limit": 200}).json()
    items = page["items"]
    assert all(0.0 <= m["confidence"] <= 1.0 for m in items)
    # nearest first: confidence never rises down the page
    assert all(a["confidence"] >= b["confidence"] for a, b in itertools.pairwise(items))
    core = [m["confidence"] for m in items if not m["reassigned"]]
    assert max(core) > 0.9
    members = pd.read_parquet(pipeline_run_dir / "assignments.parquet").set_index("member_id")
    for m in items[:20]:
        assert m["confidence"] == pytest.approx(members.loc[m["member_id"], "confidence"])
    points = run_client.get(f"{API}/runs/latest/map", params={"limit": 300}).json()["points"]
    assert len(points) == 300
    for p in points:
        assert p["confidence"] == pytest.approx(members.loc[p["member_id"], "confidence"])


def test_core_confidence_rule():
    # persona 0: core at 0.1, 0.2, 0.3, 0.4; a reassigned member at 0.35 and one beyond every core member
    conf = core_confidence([0, 0, 0, 0, 0, 0, 1], [0.1, 0.2, 0.3, 0.4, 0.35, 0.9, 0.5],
                           [False, False, False, False, True, True, True])
    assert conf.tolist() == [1.0, 0.75, 0.5, 0.25, 0.25, 0.0, 0.0]  # persona 1 has no core members
    # ties: members as near as the nearest core members are fully typical (typical event users at distance 0
    # beside many others at 0 read 0.787)
    tied = core_confidence([0] * 5, [0.0, 0.0, 0.0, 0.5, 0.0], [False, False, False, False, True])
    assert tied.tolist() == [1.0, 1.0, 1.0, 0.25, 1.0]


def test_sqlite_files_from_before_map_confidence_still_open(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = open_store(url)
    store.publish(synthetic_bundle("old-run", "2017-10-01T00:00:00Z", n_personas=2, seed=3))
    store.close()
    with sqlite3.connect(tmp_path / "old.db") as conn:  # the table as it was before the column
        conn.execute("ALTER TABLE map_points DROP COLUMN confidence")
    store = open_store(url)
    assert {p["confidence"] for p in store.get_map("old-run", limit=50)} == {None}
    store.publish(synthetic_bundle("new-run", "2017-11-01T00:00:00Z", n_personas=2, seed=4))
    assert all(0 <= p["confidence"] <= 1 for p in store.get_map("new-run", limit=50))
    store.close()


@pytest.mark.browser
def test_docs_render_in_chromium_with_no_network(tmp_path):
    """Swagger UI draws every operation from this server alone (Chromium resolves no other host):
    the first offline bundle tried (Swagger UI 4) loaded with 200s but could not read OpenAPI 3.1."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.test_default_store import _free_port

    assert CHROMIUM.is_file(), f"{CHROMIUM} not found: apt-get install -y chromium"
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "backend", "--store", f"sqlite:///{tmp_path / 'p.db'}",
                               "--port", str(port), "--log-level", "warning"], cwd=REPO)
    try:
        url = f"http://127.0.0.1:{port}{API}"
        deadline = time.monotonic() + 60
        while not _answers(f"{url}/health"):
            assert server.poll() is None and time.monotonic() < deadline, "backend did not start"
            time.sleep(0.5)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            page, problems = browser.new_page(), []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("requestfailed", lambda r: problems.append(r.url))
            page.goto(f"{url}/docs")
            page.wait_for_selector(".opblock", timeout=30_000)
            assert page.inner_text(".swagger-ui .info .title").startswith("Personas API")
            operations = sum(len(ops) for ops in httpx.get(f"{url}/openapi.json").json()["paths"].values())
            assert page.locator(".opblock").count() == operations > 15
            assert problems == []
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
