"""The query service driven through the real FastAPI app over the five seed documents."""
from __future__ import annotations

import csv
import io
import json

import pytest

SEED_001 = "001_0c3910418eb40f69.txt"


def gold_rows(gold_path):
    return [json.loads(line) for line in gold_path.read_text().splitlines() if line.strip()]


def gold_lines_for(gold_path, code: str, quarter: str, fy: str) -> set[int]:
    """Gold rows naming `code` whose quarters overlap the quarter (a whole-year row overlaps it)."""
    return {r["line"] for r in gold_rows(gold_path) if code in r["providers"] and (quarter in r["quarters"] or fy in r["quarters"])}


def lines_of(payload, doc=SEED_001) -> set[int]:
    return {r["source"]["line"] for r in payload["results"] if r["source"]["document"] == doc}


def test_bht_in_q1_matches_gold(client, gold_path):
    resp = client.get("/api/intentions", params={"provider": "RC1", "quarter": "FY2018/19 Q1", "limit": 1000})
    assert resp.status_code == 200, resp.text
    payload = resp.json()
    assert payload["interpretation"]["provider"]["code"] == "RC1"
    assert payload["interpretation"]["quarter"] == "FY2018/19 Q1"
    want = gold_lines_for(gold_path, "RC1", "FY2018/19 Q1", "FY2018/19")
    got = lines_of(payload)
    missing, extra = want - got, got - want
    # every gold row found; at most one row more than the gold (e.g. a period the gold reads differently)
    assert not missing, f"gold rows not returned: {sorted(missing)}"
    assert len(extra) <= 1, f"rows returned that the gold does not have: {sorted(extra)}"
    for r in payload["results"]:
        assert r["source"]["document"] and r["source"]["line"] >= 1 and r["source"]["end_line"] >= r["source"]["line"]
        assert any(p["code"] == "RC1" for p in r["providers"])
        assert r["commissioner"]["code"] in ("06F", "06P") or r["source"]["document"] != SEED_001
        assert r["periods"], "a quarter match must come from a stated period"


def test_alias_and_code_give_same_answer(client):
    a = client.get("/api/intentions", params={"provider": "BHT", "quarter": "Q1 2018/19", "limit": 1000}).json()
    b = client.get("/api/intentions", params={"provider": "RC1", "quarter": "2018/19 Q1", "limit": 1000}).json()
    assert [r["id"] for r in a["results"]] == [r["id"] for r in b["results"]]
    assert a["total"] > 0


def test_successor_includes_predecessor_marked_via(client):
    payload = client.get("/api/intentions", params={"provider": "RC9", "limit": 1000}).json()
    vias = [p for r in payload["results"] for p in r["providers"] if p.get("via")]
    assert vias, "asking for RC9 should return RC1's intentions marked via"
    assert all(p["via"]["code"] == "RC1" and p["role"] == "via-successor" and p["inferred"] for p in vias)
    no_succ = client.get("/api/intentions", params={"provider": "RC9", "include_successors": "false", "limit": 1000}).json()
    assert no_succ["total"] < payload["total"]
    assert not any(p.get("via") for r in no_succ["results"] for p in r["providers"])


def test_unknown_provider_404_with_suggestions(client):
    resp = client.get("/api/intentions", params={"provider": "Bedford Hospitl Trust Nonexistent Zzz"})
    assert resp.status_code == 404
    err = resp.json()["error"]
    assert "unknown provider" in err["message"]
    assert err["suggestions"], "a near miss should come with suggestions"
    resp = client.get("/api/intentions", params={"provider": "Bedford Hospitel"})
    assert resp.status_code in (200, 404)
    if resp.status_code == 404:
        assert any(s["code"] == "RC1" for s in resp.json()["error"]["suggestions"])


def test_bad_quarter_is_a_clear_400(client):
    resp = client.get("/api/intentions", params={"quarter": "Q9 20xx"})
    assert resp.status_code == 400
    assert "quarter" in resp.json()["error"]["message"]


def test_csv_format(client):
    resp = client.get("/api/intentions", params={"provider": "RC1", "quarter": "FY2018/19 Q1", "format": "csv", "limit": 1000})
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert rows and all(r["document"] and int(r["line"]) >= 1 for r in rows)


def test_commissioner_filter_and_starts(client):
    luton = client.get("/api/intentions", params={"commissioner": "Luton CCG", "limit": 1000}).json()
    assert luton["total"] > 0
    assert {r["source"]["document"][:3] for r in luton["results"]} == {"000"}
    starting = client.get("/api/intentions", params={"commissioner": "06P", "quarter": "Q3 2015/16", "match": "starts"}).json()
    for r in starting["results"]:
        assert any(p["start"] and "2015-10-01" <= p["start"] <= "2015-12-31" for p in r["periods"])


def test_ask_endpoint_same_as_structured(client):
    asked = client.get("/api/ask", params={"q": "which intentions affect BHT in Q1 2018/19", "limit": 1000}).json()
    direct = client.get("/api/intentions", params={"provider": "BHT", "quarter": "Q1 2018/19", "limit": 1000}).json()
    assert asked["interpretation"]["provider"]["code"] == "RC1"
    assert [r["id"] for r in asked["results"]] == [r["id"] for r in direct["results"]]


@pytest.mark.parametrize("question,check", [
    ("which intentions affect BHT in Q1", lambda p: p["interpretation"]["quarter"] == "Q1 (any year)" and p["total"] > 0),
    ("what affects L&D in 2018/19 Q2", lambda p: p["interpretation"]["provider"]["code"] == "RC9" and p["total"] > 0),
    ("Luton CCG intentions starting Q3 2014/15", lambda p: p["interpretation"]["match"] == "starts"
        and p["interpretation"]["commissioner"]["code"] == "06P"),
    ("who else is changing dermatology?", lambda p: p["interpretation"]["kind"] == "theme"
        and len(p["interpretation"]["commissioners"]) >= 2),
])
def test_ask_examples(client, question, check):
    resp = client.get("/api/ask", params={"q": question})
    assert resp.status_code == 200, resp.text
    assert check(resp.json()), json.dumps(resp.json()["interpretation"], indent=1)


def test_ask_unknown_provider_404(client):
    resp = client.get("/api/ask", params={"q": "which intentions affect Zebulon Hospital Trust in Q1"})
    assert resp.status_code == 404
    assert "did you mean" in resp.json()["error"]["message"] or resp.json()["error"]["suggestions"] is not None


def test_exposure(client):
    payload = client.get("/api/providers/RC1/exposure").json()
    assert payload["total"] > 10
    assert payload["by_quarter"] and payload["by_programme"] and payload["by_commissioner"]
    assert all(i["source"]["line"] >= 1 for i in payload["intentions"])
    l_and_d = client.get("/api/providers/RC9/exposure").json()
    assert any(i["via"] for i in l_and_d["intentions"]), "predecessor (RC1) intentions included and marked"


def test_exposure_money_from_provider_impact_table(client):
    payload = client.get("/api/providers/RYX/exposure").json()  # CLCH, named in 004's impact table
    assert payload["money"], "004's provider impact table attributes gross savings to CLCH"
    for m in payload["money"]:
        assert m["unit"] and m["measure"] and m["source"]["document"].startswith("004") and m["source"]["line"] >= 1


def test_overlaps(client):
    payload = client.get("/api/overlaps").json()
    assert len(payload["commissioners"]) >= 4
    assert payload["shared_providers"], "Luton and Bedfordshire both lean on the L&D"
    pairs = {(o["a"], o["b"]) for o in payload["shared_providers"]}
    assert ("06F", "06P") in pairs
    for o in payload["shared_providers"] + payload["shared_themes"]:
        assert o["intentions"], "every overlap lists the intentions behind it"


def test_every_result_traces_to_a_line(seeded_queries):
    from cigraph.graph.queries import IntentionQuery

    ans = seeded_queries.intentions(IntentionQuery(limit=100000))
    assert ans.total > 100
    for r in ans.results:
        assert r["source"]["document"].endswith(".txt")
        assert 1 <= r["source"]["line"] <= r["source"]["end_line"]
        for p in r["providers"]:
            assert p["line"] is not None and p["line"] >= 1


def test_sparql_select_and_update_refused(client):
    q = "SELECT (COUNT(?i) AS ?n) WHERE { ?i a <https://w3id.org/cigraph/ontology#Intention> }"
    resp = client.get("/sparql", params={"query": q}, headers={"Accept": "application/sparql-results+json"})
    assert resp.status_code == 200, resp.text
    n = int(resp.json()["results"]["bindings"][0]["n"]["value"])
    assert n > 100
    for accept, marker in [("application/sparql-results+xml", "<sparql"), ("text/csv", "n")]:
        r = client.post("/sparql", data={"query": q}, headers={"Accept": accept})
        assert r.status_code == 200 and marker in r.text
    r = client.post("/sparql", content="INSERT DATA { <urn:a> <urn:b> <urn:c> }",
                    headers={"Content-Type": "application/sparql-update"})
    assert r.status_code == 400
    r = client.post("/sparql", data={"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"})
    assert r.status_code == 400
    r = client.get("/sparql", params={"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"})
    assert r.status_code == 400 and "read-only" in r.json()["error"]["message"] or "update" in r.json()["error"]["message"].lower()


def test_openapi_docs(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/intentions" in spec["paths"]


def test_errors_are_json(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "message" in r.json()["error"]
    r = client.get("/api/intentions", params={"limit": "-5"})
    assert r.status_code == 422 and "limit" in r.json()["error"]["message"]


def test_maps_routes(client):
    html = client.get("/maps/provider/BHT", params={"quarter": "Q1 2018/19"})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "Bedford Hospital NHS Trust" in html.text
    assert client.get("/maps/provider/RC1.png").content[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in client.get("/maps/provider/RC1.svg").content[:2000]
    comm = client.get("/maps/commissioner/06P")
    assert comm.status_code == 200 and "NHS Luton CCG" in comm.text
    assert client.get("/maps/commissioner/06P.png").content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/maps/overlaps").status_code == 200
    missing = client.get("/maps/provider/Zebulon Hospital")
    assert missing.status_code == 404 and missing.json()["error"]["suggestions"] is not None


def test_commissioner_page_has_a_map(client):
    page = client.get("/", params={"commissioner": "06P"})
    assert page.status_code == 200
    assert 'id="map-frame"' in page.text and "/maps/commissioner/06P" in page.text
