"""Exports and the persona report (docs/exports.md), read back with pandas, pyarrow and json, on the real
bundled-sample run in SQLite and in Firestore on its emulator; key rules on the synthetic store."""

from __future__ import annotations

import io
import json
import re
from html import unescape

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.backend.conftest import NEW_RUN, OLD_RUN, error_of

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
    # masked, as stored; none for the members of a persona below the privacy floor
    withheld = {p["id"] for p in personas if p.get("evidence_withheld")}
    shown = truth["text"].fillna("").where(~truth["persona_id"].isin(withheld), "")
    assert frame["text"].fillna("").tolist() == shown.tolist()
    names = {p["id"]: p["name"] for p in personas}
    assert frame["persona_name"].tolist() == [names[int(i)] for i in frame["persona_id"]]


@pytest.mark.slow
def test_members_csv_and_parquet_hold_every_member(run_client, run_files):
    members, personas = run_files.members, run_files.personas
    csv = _download(run_client, "export/members.csv", "text/csv")
    frame = pd.read_csv(io.StringIO(csv.text), dtype={"member_id": str, "author": str}, keep_default_na=False,
                        na_values=[""])
    # a cell a spreadsheet would read as a formula ("@united …", "=HYPERLINK(…)") starts with "'" in the CSV only
    escaped = frame["text"].fillna("").str.startswith("'")
    assert escaped.any() and frame.loc[escaped, "text"].str[1:2].isin(list("=+-@\t\r'")).all()
    frame["text"] = frame["text"].where(~escaped, frame["text"].str[1:])
    assert list(frame.columns) == ["member_id", "persona_id", "persona_name", "family_id", "family_name",
                                   "subpersona_id", "subpersona_name", "membership", "confidence", "distance",
                                   "author", "timestamp", "text"]
    _check_members(frame, members, personas)
    _check_groups(frame, members, personas, run_files.manifest)
    parquet = _download(run_client, "export/members.parquet", "application/vnd.apache.parquet")
    parsed = pq.ParquetFile(io.BytesIO(parquet.content))
    assert parsed.num_row_groups > 1  # streamed: one row group per page of members
    _check_members(parsed.read().to_pandas(), members, personas)
    _check_groups(parsed.read().to_pandas(), members, personas, run_files.manifest)


def _check_groups(frame: pd.DataFrame, members: pd.DataFrame, personas: list[dict], manifest: dict) -> None:
    """Each member row carries its persona's family and its own sub-persona, by id and name."""
    family_name = {f["id"]: f["name"] for f in manifest["hierarchy"]["families"]}
    family_of = {i: f["id"] for f in manifest["hierarchy"]["families"] for i in f["persona_ids"]}
    frame = frame.assign(member_id=frame["member_id"].astype(str)).set_index("member_id").loc[members["member_id"]]
    assert frame["family_id"].tolist() == [family_of[int(i)] for i in frame["persona_id"]]
    assert frame["family_name"].tolist() == [family_name[family_of[int(i)]] for i in frame["persona_id"]]
    sub_name = {(p["id"], sp["id"]): sp["name"] for p in personas for sp in p["sub_personas"]}
    truth = members["subpersona_id"].astype("Int64")
    split = truth.notna().to_numpy()
    assert split.any() and not split.all()  # the sample splits some personas, not all
    got = frame["subpersona_id"].astype("Int64")
    assert got.isna().tolist() == (~split).tolist() and (got[split].to_numpy() == truth[split].to_numpy()).all()
    names = [None if pd.isna(x) else x for x in frame["subpersona_name"]]
    assert names == [sub_name[(int(p), int(q))] if q is not pd.NA else None
                     for p, q in zip(frame["persona_id"], got)]


@pytest.mark.slow
def test_members_of_one_persona_or_one_family(run_client, run_files):
    """`?persona=` and `?family=` keep the export to one segment, named in the file name."""
    members, manifest = run_files.members, run_files.manifest
    run_id = run_client.get(f"{API}/runs/latest").json()["id"]
    family = max(manifest["hierarchy"]["families"], key=lambda f: len(f["persona_ids"]))
    persona = family["persona_ids"][-1]
    for query, ids, suffix in (({"persona": persona}, {persona}, f"persona-{persona}"),
                               ({"family": family["id"]}, set(family["persona_ids"]), f"family-{family['id']}")):
        response = run_client.get(f"{API}/runs/latest/export/members.csv", params=query)
        assert response.status_code == 200
        assert response.headers["content-disposition"] == f'attachment; filename="personas-{run_id}-members-{suffix}.csv"'
        frame = pd.read_csv(io.StringIO(response.text), dtype={"member_id": str})
        expected = members.loc[members["persona_id"].isin(ids), "member_id"]
        assert len(ids) < members["persona_id"].nunique() and sorted(frame["member_id"]) == sorted(expected)
        parquet = run_client.get(f"{API}/runs/latest/export/members.parquet", params=query)
        assert sorted(pq.read_table(io.BytesIO(parquet.content))["member_id"].to_pylist()) == sorted(expected)
    missing = run_client.get(f"{API}/runs/latest/export/members.csv", params={"family": 999})
    assert missing.status_code == 404 and error_of(missing)["code"] == "family_not_found"
    missing = run_client.get(f"{API}/runs/latest/export/members.parquet", params={"persona": 999})
    assert missing.status_code == 404 and error_of(missing)["code"] == "persona_not_found"
    both = run_client.get(f"{API}/runs/latest/export/members.csv", params={"persona": persona, "family": 0})
    assert both.status_code == 422 and error_of(both)["code"] == "invalid_request"


@pytest.mark.slow
def test_personas_json_and_csv(run_client, run_files):
    personas = run_files.personas
    body = json.loads(_download(run_client, "export/personas.json", "application/json").content)
    assert [p["id"] for p in body["personas"]] == [p["id"] for p in personas]
    from ml.runtime.contracts.api import PersonasExport

    PersonasExport.model_validate(body)  # the schema openapi.json now gives it (it was {})
    for exported, stored in zip(body["personas"], personas):
        assert "member_ids" not in exported
        assert exported["fingerprint"] == stored["fingerprint"] and exported["evidence"] == stored["evidence"]
        assert exported["top_terms"] == stored["top_terms"]  # [{term, weight}]
    frame = pd.read_csv(io.StringIO(_download(run_client, "export/personas.csv", "text/csv").text))
    assert frame["persona_id"].tolist() == [p["id"] for p in personas]
    assert frame["name"].tolist() == [p["name"] for p in personas]
    family_name = {f["id"]: f["name"] for f in run_files.manifest["hierarchy"]["families"]}
    assert frame["family_id"].tolist() == [p["parent_id"] for p in personas]
    assert frame["family_name"].tolist() == [family_name[p["parent_id"]] for p in personas]
    split = next(p for p in personas if p["sub_personas"])
    listed = frame.loc[frame["persona_id"] == split["id"], "sub_personas"].item().split("; ")
    assert sorted(s.rsplit(" (", 1)[0] for s in listed) == sorted(sp["name"] for sp in split["sub_personas"])
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
    # a loose persona (more than half reassigned from noise) is cautioned about, as on its page (the file people
    # forward said nothing; a TWCS review)
    loose = [p for p in personas if p["reassigned_count"] > p["size"] / 2]
    assert loose and html.count("<p class=\"note\" data-loose>") == len(loose)
    assert "Read it as a loose grouping" in html
    assert html.count("data-name-share>") == sum(p.get("name_share") is not None for p in personas) > 0
    # the masking notice says what it is (a support review read "is masked" beside a name the detectors missed)
    assert "masked by automatic detectors, which miss some names" in html and "kept on purpose" in html
    # the contents table marks the names that describe few members, as the overview's table does
    assert html.count("data-name-few>") == sum(p.get("name_share") is not None and p["name_share"] < 0.25
                                               for p in personas)
    listed = {p["id"]: p["name_share"] for p in run_client.get(f"{API}/runs/latest/personas").json()["items"]}
    assert listed == {p["id"]: p.get("name_share") for p in personas}  # the list serves the persona's own figure

    one = run_client.get(f"{API}/runs/latest/report.html", params={"persona": personas[1]["id"]}).text
    assert one.count('<section class="persona"') == 1 and _escaped(personas[1]["name"]) in one
    assert error_of(run_client.get(f"{API}/runs/latest/report.html", params={"persona": 9999}))["code"] == \
        "persona_not_found"


@pytest.mark.slow
def test_report_opens_on_what_was_read_and_the_families_then_follows_them(run_client, run_files):
    """The cover says what was read and lists every family with its personas; the persona pages follow in
    that order, each naming its family and its sub-personas with a stored (masked) snippet of each."""
    from backend.routes.report import percent

    manifest, personas = run_files.manifest, run_files.personas
    html = run_client.get(f"{API}/runs/latest/report.html").text
    text = unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))
    counts = manifest["counts"]
    load = manifest["source"]["load"]
    assert f"{load['rows_read']:,} rows read" in text and f"{counts['kept']:,} kept" in text
    agents = manifest["agents"]  # the sample's run keeps the customers only (--inbound-only)
    not_inbound = counts["input"] - counts["candidates"] - agents["removed"]
    links = agents.get("removed_broadcast") or 0
    side = "" if links else " as the company's side"
    assert (f"{counts['input'] - counts['candidates']:,} set aside before the filters{side}: "
            f"{not_inbound:,} not marked as a customer's message (--inbound-only); {agents['removed'] - links:,} "
            f"messages of {agents['accounts']:,} brand or agent accounts found from how they write") in text
    if links:
        assert (f"{links:,} messages of {agents['broadcast_accounts']:,} account"
                f"{'' if agents['broadcast_accounts'] == 1 else 's'} that post links only") in text
    assert "Data from " in text and "(dates in UTC)" in text
    families = manifest["hierarchy"]["families"]
    assert len(families) >= 2 and f"{len(personas)} personas in {len(families)} families" in text
    contents = re.search(r'<table class="contents".*?</table>', html, re.DOTALL).group(0)
    assert contents.count('<tr class="family">') == len(families)
    by_id = {p["id"]: p for p in personas}
    expected = [i for f in families for i in sorted(f["persona_ids"], key=lambda i: -by_id[i]["size"])]
    sections = [int(i) for i in re.findall(r'<section class="persona" id="persona-(\d+)"', html)]
    assert sections == expected  # family by family, largest persona first
    family_of = {i: f["name"] for f in families for i in f["persona_ids"]}
    for pid, body in zip(sections, re.split(r'<section class="persona"', html)[1:]):
        assert f"Family: {_escaped(family_of[pid])}" in body
        subs = by_id[pid]["sub_personas"]
        assert len(re.findall(r"\d+% of this persona[;)]", body)) == len(subs)  # "; name in N% …" may follow
        for sp in subs:  # a name in few of its texts is marked, as a persona's
            few = sp.get("name_share") is not None and sp["name_share"] < 0.25
            assert (f"{_escaped(sp['name'])}</span> ({percent(sp['share_of_parent'])}% of this "
                    f"persona; name in {percent(sp['name_share'])}% of its texts)" in body) == few, sp['name']
        for quote in re.findall(r"<q>(.*?)</q>", body):
            stored = [_escaped(e["text"]) for sp in subs for e in sp["evidence"]]
            assert any(t.startswith(quote.removesuffix(" …")) for t in stored)
    assert any(p["sub_personas"] for p in personas)  # the sample has some: the loop above checked them

    one = run_client.get(f"{API}/runs/latest/report.html", params={"persona": expected[-1]}).text
    assert "<table class=\"contents\"" not in one and f"{load['rows_read']:,} rows read" in one

    # one family: its personas' pages only, the contents that family only, named in the file and the header
    fam = families[1]
    response = run_client.get(f"{API}/runs/latest/report.html", params={"family": fam["id"]})
    assert f"-report-family-{fam['id']}.html" in response.headers["content-disposition"]
    only = response.text
    shown = [int(i) for i in re.findall(r'<section class="persona" id="persona-(\d+)"', only)]
    assert shown == [i for i in expected if i in fam["persona_ids"]]
    contents = re.search(r'<table class="contents".*?</table>', only, re.DOTALL).group(0)
    assert contents.count('<tr class="family">') == 1 and _escaped(fam["name"]) in contents
    assert f"the family {_escaped(fam['name'])}" in only and 'data-section="changes"' not in only
    missing = run_client.get(f"{API}/runs/latest/report.html", params={"family": 999})
    assert missing.status_code == 404 and error_of(missing)["code"] == "family_not_found"
    both = run_client.get(f"{API}/runs/latest/report.html", params={"family": fam["id"], "persona": shown[0]})
    assert both.status_code == 422


def test_report_terms_read_as_the_members_wrote_them():
    """Terms and phrases as the explorer shows them: the recorded wording ("you'll", "ATM"), else the term with
    event columns joined by " · " and no closing full stop."""
    from backend.routes.report import report_persona

    shown = report_persona({"id": 1, "top_terms": [{"term": "youll", "written": "you'll"}, {"term": "atm",
                                                                                          "written": "ATM"},
                                                   {"term": "refund"}, {"term": "Quiz|Quiz attempt viewed."}],
                            "top_ngrams": [{"term": "withdrawal pending", "written": "withdrawal is pending"}]})
    assert shown["terms"] == ["you'll", "ATM", "refund", "Quiz · Quiz attempt viewed"]
    assert shown["phrases"] == ["withdrawal is pending"]
    assert report_persona({"id": 2, "name": "Brief: card", "name_note": "“Brief” in the name: …"})["name_note"] == (
        "“Brief” in the name: …")


def test_report_cover_from_a_manifest():
    from backend.routes.report import report_cover

    manifest = {"kind": "conversations", "unit": "conversation", "source": {"inputs": ["/x/a.csv", "b.csv", "c.csv"]},
                "counts": {"input": 100, "candidates": 100, "kept_messages": 90, "kept": 30, "personas": 3,
                           "noise_before_reassign": 6},
                "time": {"first": "2024-01-02T10:00:00+00:00", "last": "2024-03-05T00:00:00+00:00",
                         "p05": "2024-01-02T10:00:00+00:00", "p95": "2024-03-05T00:00:00+00:00"},
                "hierarchy": {"families": [{"id": 0, "name": "Cards", "share": 0.7, "persona_ids": [2, 0]},
                                           {"id": 1, "name": "Loans", "share": 0.3, "persona_ids": [1]}]}}
    personas = [{"id": 0, "name": "A", "size": 5, "share": 0.2}, {"id": 1, "name": "B", "size": 9, "share": 0.3},
                {"id": 2, "name": "C", "size": 16, "share": 0.5}]
    cover = report_cover(manifest, personas)
    assert cover["sources"] == "a.csv, b.csv and 1 more file"
    assert cover["dates"] == "2 Jan 2024 – 5 Mar 2024 (dates in UTC)"  # the middle 90 % is the whole range
    # on the clock of the run's charts (a wording review: the airline report said UTC beside hours in UTC−08:00)
    pacific = {**manifest, "time": {**manifest["time"], "first": "2015-02-17T03:00:00+00:00",
                                    "last": "2015-02-24T07:00:00+00:00", "basis": "UTC-08:00"}}
    assert report_cover(pacific, personas)["dates"].startswith("16 Feb 2015 – 23 Feb 2015 (dates in UTC-08:00)")
    filtered = "10 removed by the quality filters (duplicates, too short, not English, …)"
    assert cover["read_kept"] == ["100 rows read", filtered, "90 messages kept, grouped into 30 conversations"]
    assert cover["noise_pct"] == pytest.approx(20.0) and cover["families"] == 2
    assert [(g["name"], [p["name"] for p in g["personas"]]) for g in cover["groups"]] == [
        ("Cards", ["C", "A"]), ("Loans", ["B"])]
    # before families (or with one), one group without a name, largest first; no times, no dates
    flat = report_cover({**manifest, "hierarchy": None, "time": None}, personas)
    assert flat["families"] == 0 and flat["dates"] is None
    assert [(g["name"], [p["id"] for p in g["personas"]]) for g in flat["groups"]] == [(None, [2, 1, 0])]
    # --where: the rows read, then how many of them the filter kept (counts.input is what it kept)
    where = {**manifest, "source": {"inputs": ["t.csv"], "load": {"rows_read": 400, "where": "airline=United",
                                                                  "dropped_where": 300}}}
    assert report_cover(where, personas)["read_kept"][:2] == ["400 rows read",
                                                              "100 of them where airline=United (--where)"]
    # rows left out while reading (empty texts, notices) are said, not hidden in a smaller "rows read"
    read = {**manifest, "source": {"load": {"rows_read": 130}}}
    assert report_cover(read, personas)["read_kept"][:2] == [
        "130 rows read", "30 left out while reading (empty texts, chat-tool notices, …)"]
    # the rows set aside before the filters, each reason with its count; before the agents section, the total
    agents = {"removed": 25, "removed_outbound_flag": 5, "accounts": 1}
    side = {**manifest, "counts": {**manifest["counts"], "candidates": 60}, "agents": agents}
    assert report_cover(side, personas)["read_kept"][1] == (
        "40 set aside before the filters as the company's side: 15 not marked as a customer's message "
        "(--inbound-only); 20 messages of 1 brand or agent account found from how they write; 5 more the data "
        "marks as the company's replies")
    # the side column's agreement with the accounts found from how they write is said with them
    agreed = {**side, "agents": {**agents, "detected_marked_by_data": 18}}
    assert "found from how they write (the data marks 18 of them as the company's too); 5 more the data marks" in \
        report_cover(agreed, personas)["read_kept"][1]
    # news feeds and bots (accounts that post links only) are nobody's side
    feeds = {**side, "agents": {"removed": 40, "removed_broadcast": 40, "broadcast_accounts": 3}}
    assert report_cover(feeds, personas)["read_kept"][1] == (
        "40 set aside before the filters: 40 messages of 3 accounts that post links only (news feeds, bots, promotions)")
    side.pop("agents")
    assert report_cover(side, personas)["read_kept"][1] == "40 set aside before the filters as the company's side"
    author = report_cover({**manifest, "unit": "author"}, personas)["read_kept"][-1]
    assert author == "90 messages kept, read as 30 authors (a message without an author is in none)"
    events = report_cover({"kind": "events", "counts": {"input": 5000, "input_users": 400, "kept": 350,
                                                        "personas": 4, "noise_before_reassign": 0}}, personas)
    assert events["read_kept"] == ["5,000 event rows read (400 users)", "350 users kept"]
    matrix = report_cover({"kind": "events", "source": {"layout": "matrix"}, "counts": {
        "input": 5000, "input_users": 400, "kept": 350, "personas": 4, "noise_before_reassign": 0}}, personas)
    assert matrix["read_kept"][0] == "5,000 rows read, each a count per event type (400 users)"  # not events
    assert events["noise_pct"] is None and events["sources"] is None


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


def test_report_peak_hours_read_as_spans_also_past_midnight():
    from backend.routes.report import _peaks

    def peaks(hours, days=()):
        return _peaks({"has_timestamps": True, "peak_hours": hours, "peak_weekdays": list(days), "time_basis": "UTC"})

    assert peaks([0, 22, 23], [1, 2]) == "22:00–00:59 UTC; Tuesday, Wednesday"
    assert peaks([20, 21, 22]) == "20:00–22:59 UTC"
    assert peaks([0, 5, 23]) == "23:00–00:59, 05:00–05:59 UTC"
    assert peaks([3, 9]) == "03:00–03:59, 09:00–09:59 UTC"
    assert _peaks({"has_timestamps": False, "peak_hours": [1]}) is None
    # a weekday that is one date of the data is no habit: the page leaves it out, and so does the report (a support
    # review read "; Tuesday" on every persona of a dump whose Tuesdays were 31 Oct 2017 at 98 %)
    dates = [{"dates": 4, "busiest_date": "2017-11-06", "busiest_share": 0.3, "date_bound": None}] * 7
    dates[1] = {"dates": 1, "busiest_date": "2017-10-31", "busiest_share": 1.0, "date_bound": "few_dates"}
    act = {"has_timestamps": True, "peak_hours": [20], "peak_weekdays": [1, 2], "time_basis": "UTC",
           "population_weekday_dates": dates}
    assert _peaks(act) == "20:00–20:59 UTC; Wednesday"


def test_report_of_an_event_run_with_dates_only_says_its_busiest_days():
    """The events review: KDD's and OULAD's report read "No timestamps in this run." beside "The data has dates but
    no times of day"; it says the busiest stretch of days, as the persona page does."""
    from backend.routes.report import report_persona

    act = {"has_timestamps": False, "resolution": "day", "note": "The data has dates but no times of day.",
           "by_day": {"bin_days": 7, "peak_day": 16215, "peak_date": "2014-05-25", "year_known": True}}
    shown = report_persona({"id": 0, "name": "Light resource users", "activity": act})
    assert shown["peaks"] == "Its busiest 7-day stretch starts on 25 May 2014."
    offsets = {**act, "resolution": "offset", "by_day": {"bin_days": 7, "peak_day": 16}}
    assert report_persona({"id": 1, "activity": offsets})["peaks"].endswith("starts at day 16 of the data's day offsets.")
    assert report_persona({"id": 2, "activity": {"has_timestamps": False}})["peaks"] is None


def test_the_report_gives_each_name_parts_share(run_client, run_files):
    """"Refund & contacted the seller" read 92 % where its second part described 12 % (a review, 2026-12-05)."""
    from backend.routes.report import percent

    html = run_client.get(f"{API}/runs/latest/report.html").text
    multi = [p for p in run_files.personas if p.get("name_parts")]
    assert multi, "the bundled run has names of several parts"
    for p in multi:
        for part in p["name_parts"]:
            assert f"“{_escaped(part['part'])}” {percent(part['share'])}%" in html, part  # as the explorer rounds


def test_a_run_without_timestamps_says_so_once_on_the_cover():
    """A text-only review (Banking77, 67 personas): the report repeated "No timestamps in this run. The data has no
    timestamps…" on every persona's page."""
    from backend.routes.report import _untimed, report_persona

    note = "The data has no timestamps."
    pages = [report_persona({"id": i, "activity": {"has_timestamps": False, "note": note}}) for i in range(3)]
    assert _untimed(pages) == "No timestamps in this run. The data has no timestamps."
    timed = report_persona({"id": 9, "activity": {"has_timestamps": True, "peak_hours": [20, 21]}})
    assert timed["peaks"] and _untimed([*pages, timed]) is None  # one persona with times: each page says its own


def test_report_says_what_changed_since_the_base_run(client):
    """A run stored with its comparison: the cover names the base run, the shift, the personas born and gone
    and the largest moves, as the stored comparison has them; a run without one says nothing of it."""
    from backend.routes.report import report_changes

    comparison = client.get(f"{API}/runs/{NEW_RUN}/comparison").json()
    changes = report_changes(comparison)
    born = [p for p in comparison["new_personas"] if p["status"] == "born"]
    died = [p for p in comparison["base_personas"] if p["status"] == "died"]
    assert born and died  # the synthetic comparison plants one of each
    assert [b["name"] for b in changes["born"]] == [p["name"] for p in born]
    assert [d["name"] for d in changes["died"]] == [p["name"] for p in died]
    html = client.get(f"{API}/runs/{NEW_RUN}/report.html").text
    section = re.search(r'<ul class="facts" data-section="changes">.*?</ul>', html, re.DOTALL).group(0)
    # the run id keeps its case under the heading's capitals
    assert f'What changed since run <span class="run-id">{comparison["base"]["run_id"]}</span>' in html
    assert "h3 .run-id { text-transform: none;" in html
    assert f"{comparison['shift']['psi']:.3f}, {comparison['shift']['level']}" in section
    for p in born:
        assert f"{_escaped(p['name'])} ({100 * p['now']['share']:.1f}%)" in section
    for p in died:
        assert f"{_escaped(p['name'])} (was {100 * p['then']['share']:.1f}%)" in section
    carried = [p for p in comparison["new_personas"] if p["status"] in ("continued", "grown", "shrunk")]
    top = max(carried, key=lambda p: abs(p["now"]["share"] - p["then"]["share"]))
    assert changes["moved"][0]["name"] == top["name"] and _escaped(top["name"]) in section
    assert 'data-section="changes"' not in client.get(f"{API}/runs/{OLD_RUN}/report.html").text
    assert report_changes(None) is None
    # two fits of the same members: said first, so that no change reads as the customers'
    assert changes["same_members"] is False and "Both runs hold the same members" not in section
    same = report_changes({**comparison, "notes": ["both runs hold the same members (1,482 messages)"]})
    assert same["same_members"] is True


def test_report_counts_a_split_whose_largest_part_merged():
    """A baseline persona that split, one part into a persona of its own and its largest part into a merger, has
    the status "merged": the report still counts it as split (the page's count), with its pieces."""
    from backend.routes.report import report_changes

    ci = {"count": 10, "share": 0.1, "low": 0.05, "high": 0.15}
    news = [{"id": 3, "name": "App & update", "status": "merged", "base_ids": [2, 7], "now": ci, "then": ci},
            {"id": 5, "name": "Xbox & game", "status": "split", "base_ids": [2], "now": ci, "then": ci},
            {"id": 6, "name": "Card fees", "status": "split", "base_ids": [4], "now": ci, "then": ci},
            {"id": 8, "name": "Card limits", "status": "split", "base_ids": [4], "now": ci, "then": ci}]
    bases = [{"id": 2, "status": "merged", "then": ci}, {"id": 4, "status": "split", "then": ci},
             {"id": 7, "status": "merged", "then": ci}]
    changes = report_changes({"new_personas": news, "base_personas": bases, "base": {}, "shift": {}})
    assert (changes["split"], changes["pieces"], changes["merged"]) == (2, 3, 1)


def test_a_split_piece_that_another_persona_merged_into_counts_its_own_parent_once():
    """Airline tweets by date: "Phone & hold" (base_ids [17, 6]) is a piece of the baseline's "Phone & hold" (17),
    and "Hold for an hour" (6) merged into it. The report counted 7 split personas where the run split 6, and the
    explorer named 6 as the parent; the baseline's dates were UTC days beside "dates in UTC-08:00"."""
    from backend.routes.report import _split_parents, report_changes

    ci = {"count": 10, "share": 0.03, "low": 0.02, "high": 0.04}
    news = [{"id": 2, "name": "Phone & hold", "status": "split", "base_ids": [17, 6], "now": ci, "then": ci},
            {"id": 33, "name": "AA & response", "status": "split", "base_ids": [17], "now": ci, "then": ci}]
    bases = [{"id": 6, "name": "Hold for an hour", "status": "merged", "new_ids": [2], "then": ci},
             {"id": 17, "name": "Phone & hold", "status": "split", "new_ids": [2, 33], "then": ci}]
    assert _split_parents(news, bases) == {17}
    base = {"first": "2015-02-20T08:30:42+00:00", "last": "2015-02-23T07:58:41+00:00", "basis": "UTC-08:00"}
    changes = report_changes({"new_personas": news, "base_personas": bases, "base": base, "shift": {}})
    assert (changes["split"], changes["pieces"]) == (1, 2)
    assert changes["base_dates"] == "20 Feb 2015 – 22 Feb 2015"  # on the baseline's clock, not UTC's 23 Feb
    assert report_changes({"new_personas": [], "base_personas": [], "shift": {},
                           "base": {**base, "basis": None}})["base_dates"] == "20 Feb 2015 – 23 Feb 2015"
    # either run's stability poor: the report says the changes are as much the fits' (as the explorer does)
    poor = report_changes({"new_personas": [], "base_personas": [], "shift": {}, "base": {"stability_ari": 0.81},
                           "new": {"stability_ari": 0.63}})
    assert poor["tentative"] == ["this run"] and report_changes(
        {"new_personas": [], "base_personas": [], "shift": {}, "base": {}, "new": {}})["tentative"] == []


def test_report_leaves_re_drawn_personas_out_of_the_largest_moves():
    """A persona whose own share moved while its placed share held (NewPersona.share_recut, ml.lineage.status) is no
    move of the population: the airline tweets by date would have topped the list with "JFK & Late flight 4.0% →
    1.6%". It is left out and counted; the cover says so."""
    from backend.routes.report import _environment, report_changes

    def ci(x):
        return {"count": 10, "share": x, "low": x * 0.8, "high": x * 1.2}

    news = [{"id": 1, "name": "JFK & Late flight", "status": "continued", "share_recut": True, "base_ids": [1],
             "then": ci(0.040), "now": ci(0.016)},
            {"id": 2, "name": "Bag & luggage", "status": "continued", "base_ids": [2], "then": ci(0.067),
             "now": ci(0.081)}]
    changes = report_changes({"new_personas": news, "base_personas": [], "base": {}, "shift": {}})
    assert [m["name"] for m in changes["moved"]] == ["Bag & luggage"] and changes["redrawn"] == 1
    template = _environment().get_template("report.html.j2")
    assert "{% if changes.redrawn %} Left out: {{ changes.redrawn }}" in template.environment.loader.get_source(
        template.environment, "report.html.j2")[0]


def test_report_of_an_event_run_speaks_of_users_and_events():
    """An event run's report: users clear or mixed (not core / noise), top events, activity, no masking note."""

    from backend.routes.report import _environment, report_cover, report_persona

    manifest = {"kind": "events", "unit": "user", "counts": {"input": 900, "input_users": 40, "kept": 30,
                                                             "personas": 1, "noise_before_reassign": 0}}
    profile = {"id": 0, "name": "Quiz takers", "size": 30, "share": 1.0, "core_size": 25, "reassigned_count": 5,
               "top_terms": [{"term": "Quiz attempt viewed"}],
               "activity": {"has_timestamps": True, "peak_hours": [9, 10], "peak_weekdays": [], "time_basis": None,
                            "note": "Times have no year, so weekdays are unknown; hours are shown."}}
    html = _environment().get_template("report.html.j2").render(
        run_id="r", created_at=None, unit="user", kept=30, n_personas=1, single=False, events=True, changes=None,
        cover=report_cover(manifest, [profile]), personas=[{**report_persona(profile), "family": None}])
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "25 clear, 5 flagged as mixed between personas" in text and "reassigned from noise" not in text
    assert "Top events" in text and "When they are active" in text and "Top terms" not in text
    assert "09:00–10:59 (UTC or local, unknown)" in text and "weekdays are unknown" in text
    assert "is masked" not in text and "900 event rows read (40 users); 30 users kept" in text


class _Store:
    """Just enough of a RunStore for the export rows: one run, two personas (the second below the floor)."""

    def __init__(self):
        self.personas = [{"id": 0, "name": "Open", "parent_id": 0, "sub_personas": [{"id": 1, "name": "Sub"}]},
                         {"id": 1, "name": "Few", "parent_id": 0, "evidence_withheld": True}]

    def get_run(self, run_id):
        return {"hierarchy": {"families": [{"id": 0, "name": "All", "persona_ids": [0, 1]}]}}

    def get_personas(self, run_id):
        return self.personas

    def get_members(self, run_id, pid, offset=0, limit=1000):
        rows = [{"member_id": f"{pid}-{i}", "text": f"text {i}", "author": f"a{i}", "subpersona_id": 1 if pid == 0
                 else None, "reassigned": False} for i in range(3)]
        return rows[offset:offset + limit], len(rows)


def test_exported_members_below_the_privacy_floor_have_no_text_or_author():
    from backend.routes.exports import member_rows

    rows = [r for page in member_rows(_Store(), "run") for r in page]
    open_rows = [r for r in rows if r["persona_id"] == 0]
    few = [r for r in rows if r["persona_id"] == 1]
    assert [r["text"] for r in open_rows] == ["text 0", "text 1", "text 2"] and open_rows[0]["author"] == "a0"
    assert open_rows[0]["subpersona_name"] == "Sub" and open_rows[0]["family_name"] == "All"
    assert len(few) == 3 and all(r["text"] is None and r["author"] is None for r in few)
    assert all(r["member_id"].startswith("1-") and r["family_id"] == 0 for r in few)  # still there to act on
    assert "withheld" not in rows[0] and "events" not in rows[0]
    assert {r["membership"] for r in rows} == {"core"}


def test_an_event_runs_members_are_clear_or_mixed():
    """The events review: members.csv said ``membership=reassigned`` for users the explorer calls "flagged as mixed"
    (docs/exports.md defines reassigned as noise placed at the nearest persona)."""
    from backend.routes.exports import member_rows

    store = _Store()
    store.get_members = lambda run_id, pid, offset=0, limit=1000: ([
        {"member_id": f"{pid}-{i}", "text": "quiz 50%", "reassigned": i == 0} for i in range(2)], 2)
    manifest = {**store.get_run("run"), "kind": "events"}
    rows = [r for page in member_rows(store, "run", manifest=manifest) for r in page]
    assert [r["membership"] for r in rows if r["persona_id"] == 0] == ["mixed", "clear"]


def test_report_quotes_no_sub_persona_of_a_persona_below_the_floor_and_names_no_chat():
    from backend.routes.report import _sources, report_persona

    subs = [{"name": "S", "share_of_parent": 0.5, "evidence": [{"text": "a quote"}]}]
    assert report_persona({"id": 1, "sub_personas": subs})["subs"][0]["quote"] == "a quote"
    assert report_persona({"id": 1, "sub_personas": subs, "evidence_withheld": True})["subs"][0]["quote"] is None
    withheld_sub = [{**subs[0], "evidence_withheld": True}]
    assert report_persona({"id": 1, "sub_personas": withheld_sub})["subs"][0]["quote"] is None
    chats = {"source": {"inputs": ["WhatsApp Chat with Ann Lee.txt", "WhatsApp Chat with Bo.txt"],
                        "load": {"files": [{"layout": "whatsapp"}, {"layout": "whatsapp"}]}}}
    assert _sources(chats) == "2 WhatsApp chats"
    mailbox = {"source": {"inputs": ["ann.lee@example.com.mbox"], "load": {"files": [{"layout": "mailbox"}]}}}
    assert _sources(mailbox) == "a mailbox"
    assert _sources({"source": {"inputs": ["/x/tickets.csv"], "load": {"files": [{"layout": "generic"}]}}}) == "tickets.csv"


def test_the_report_lists_only_the_differences_a_profile_says():
    """The events review: a baseline persona's report listed "about as many “event_navigate” as average (10.7 vs
    10.7 per user)" under "How they differ from everyone". Only its highlights are listed now; none, and it says
    so; profiles made before highlights were recorded keep the largest differences."""
    from backend.routes.exports import plain_differences

    fp = [{"feature": "night_share", "std_diff": 0.9, "sentence": "posts at night more"},
          {"feature": "words_log", "std_diff": 0.05, "sentence": "uses about as many words per message as average"}]
    assert [d["sentence"] for d in plain_differences({"fingerprint": fp, "highlight_features": ["night_share"]})] == [
        "posts at night more"]
    assert plain_differences({"fingerprint": fp, "highlight_features": []}) == []
    assert len(plain_differences({"fingerprint": fp})) == 2  # no highlights recorded: as before


def test_csv_cells_that_a_spreadsheet_would_run_start_with_a_quote():
    """OWASP's CSV injection: a customer's "=HYPERLINK(…)" would run in the analyst's Excel; numbers stay numbers."""
    from backend.routes.exports import spreadsheet_safe

    row = {"text": "=HYPERLINK(\"http://x\")", "author": "@bob", "name": "Card & PIN", "z": -0.5, "n": None,
           "note": "-- fine", "quoted": "'tis"}
    assert spreadsheet_safe(row) == {"text": "'=HYPERLINK(\"http://x\")", "author": "'@bob", "name": "Card & PIN",
                                     "z": -0.5, "n": None, "note": "'-- fine", "quoted": "''tis"}
