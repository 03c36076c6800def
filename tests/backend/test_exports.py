"""Exports and the persona report (docs/exports.md), read back with pandas, pyarrow and json, on the real
bundled-sample run in SQLite and in Firestore on its emulator; key rules on the synthetic store."""

from __future__ import annotations

import io
import json
import re

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.backend.conftest import NEW_RUN, error_of

API = "/api/v1"
EXPORTS = ("members.csv", "members.parquet", "personas.json", "personas.csv")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def _download(client, path: str, media: str):
    response = client.get(f"{API}/runs/latest/{path}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(media)
    run_id = client.get(f"{API}/runs/latest").json()["id"]
    name = path.split("/")[-1]
    assert response.headers["content-disposition"] == f'attachment; filename="personas-{run_id}-{name}"'
    return response


def _check_members(frame: pd.DataFrame, members: pd.DataFrame, personas: list[dict]) -> None:
    assert len(frame) == len(members) and set(frame["member_id"].astype(str)) == set(members["member_id"])
    truth = members.set_index("member_id")
    frame = frame.assign(member_id=frame["member_id"].astype(str)).set_index("member_id").loc[truth.index]
    assert (frame["persona_id"].to_numpy() == truth["persona_id"].to_numpy()).all()
    assert (frame["membership"].eq("reassigned").to_numpy() == truth["reassigned"].to_numpy()).all()
    assert frame["confidence"].to_numpy() == pytest.approx(truth["confidence"].to_numpy())
    assert frame["text"].fillna("").tolist() == truth["text"].fillna("").tolist()  # masked, as stored
    names = {p["id"]: p["name"] for p in personas}
    assert frame["persona_name"].tolist() == [names[int(i)] for i in frame["persona_id"]]


@pytest.mark.slow
def test_members_csv_and_parquet_hold_every_member(run_client, run_files):
    members, personas = run_files.members, run_files.personas
    csv = _download(run_client, "export/members.csv", "text/csv")
    frame = pd.read_csv(io.StringIO(csv.text), dtype={"member_id": str, "author": str}, keep_default_na=False,
                        na_values=[""])
    assert list(frame.columns) == ["member_id", "persona_id", "persona_name", "membership", "confidence",
                                   "distance", "author", "timestamp", "text"]
    _check_members(frame, members, personas)
    parquet = _download(run_client, "export/members.parquet", "application/vnd.apache.parquet")
    parsed = pq.ParquetFile(io.BytesIO(parquet.content))
    assert parsed.num_row_groups > 1  # streamed: one row group per page of members
    _check_members(parsed.read().to_pandas(), members, personas)


@pytest.mark.slow
def test_personas_json_and_csv(run_client, run_files):
    personas = run_files.personas
    body = json.loads(_download(run_client, "export/personas.json", "application/json").content)
    assert [p["id"] for p in body["personas"]] == [p["id"] for p in personas]
    for exported, stored in zip(body["personas"], personas):
        assert "member_ids" not in exported
        assert exported["fingerprint"] == stored["fingerprint"] and exported["evidence"] == stored["evidence"]
        assert exported["top_terms"] == stored["top_terms"]  # [{term, weight}]
    frame = pd.read_csv(io.StringIO(_download(run_client, "export/personas.csv", "text/csv").text))
    assert frame["persona_id"].tolist() == [p["id"] for p in personas]
    assert frame["name"].tolist() == [p["name"] for p in personas]
    assert (frame["core_size"] + frame["reassigned_count"]).tolist() == [p["size"] for p in personas]
    first = personas[0]
    assert frame.loc[0, "top_terms"].split("; ")[0] == first["top_terms"][0]["term"]
    assert frame.loc[0, "evidence_1"] == first["evidence"][0]["text"]
    z = {c[2:]: frame.loc[0, c] for c in frame.columns if c.startswith("z:")}
    assert len(z) == len(first["fingerprint"])
    assert z[first["fingerprint"][0]["feature"]] == pytest.approx(first["fingerprint"][0]["std_diff"])


@pytest.mark.slow
def test_report_names_every_persona_with_masked_snippets_and_no_external_url(run_client, run_files):
    personas = run_files.personas
    page = run_client.get(f"{API}/runs/latest/report.html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-disposition"].startswith('inline; filename="personas-')
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    html = page.text
    assert not re.search(r"(?:src|href)\s*=|https?://|<script|@import|url\(", html, re.IGNORECASE)
    assert "@media print" in html and "break-before: page" in html
    assert html.count('<section class="persona"') == len(personas)
    for p in personas:
        assert _escaped(p["name"]) in html
        for e in p["evidence"][:3]:
            assert _escaped(e["text"]) in html
    assert not EMAIL.search(re.sub(r"<[^>]+>", " ", html))
    # every quoted snippet is a stored (masked) evidence text, never a member's raw text
    stored = {_escaped(e["text"]) for p in personas for e in p["evidence"]}
    quotes = re.findall(r"<blockquote>(.*?)</blockquote>", html, re.DOTALL)
    assert quotes and set(quotes) <= stored

    one = run_client.get(f"{API}/runs/latest/report.html", params={"persona": personas[1]["id"]}).text
    assert one.count('<section class="persona"') == 1 and _escaped(personas[1]["name"]) in one
    assert error_of(run_client.get(f"{API}/runs/latest/report.html", params={"persona": 9999}))["code"] == \
        "persona_not_found"


def _escaped(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def test_exports_need_the_key_like_every_read(make_client):
    client = make_client(api_key="k" * 24)
    for path in [*(f"export/{name}" for name in EXPORTS), "report.html"]:
        assert client.get(f"{API}/runs/{NEW_RUN}/{path}").status_code == 401
        ok = client.get(f"{API}/runs/{NEW_RUN}/{path}", headers={"Authorization": "Bearer " + "k" * 24})
        assert ok.status_code == 200, (path, ok.text)


def test_unknown_run_is_404_before_any_byte_is_streamed(client):
    for path in [*(f"export/{name}" for name in EXPORTS), "report.html"]:
        response = client.get(f"{API}/runs/no-such-run/{path}")
        assert response.status_code == 404 and error_of(response)["code"] == "run_not_found"
