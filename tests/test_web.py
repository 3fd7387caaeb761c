"""The web page at ``/`` over the seeded store (FastAPI TestClient; no browser).

The page must work without JavaScript, so everything here is checked in the raw HTML the server
sends: the search suggestions, the quarter picker, the intentions table with sources, the map
iframe and its embed snippet, the exposure summary and the download links.
"""
from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

Q1 = "FY2018/19 Q1"
SEED_001 = "001_0c3910418eb40f69.txt"
SOURCE_RE = re.compile(r"^(?P<doc>[\w.-]+\.(?:txt|md|pdf|docx|html?)):(?P<line>\d+)(?:–(?P<end>\d+))?$")
XSS = "<script>alert(1)</script>"


def soup_of(resp) -> BeautifulSoup:
    return BeautifulSoup(resp.text, "html.parser")


def table_rows(soup: BeautifulSoup) -> list:
    table = soup.find("table", id="intentions")
    assert table is not None, "no intentions table in the HTML"
    return table.find("tbody").find_all("tr")


def row_source(tr) -> tuple[str, int]:
    text = tr.find("td").find("code").get_text(strip=True)
    m = SOURCE_RE.match(text)
    assert m, f"source cell {text!r} is not document:line"
    return m["doc"], int(m["line"])


@pytest.fixture(scope="module")
def bht_q1(client):
    resp = client.get("/", params={"provider": "BHT", "quarter": Q1})
    api = client.get("/api/intentions", params={"provider": "BHT", "quarter": Q1, "limit": 1000}).json()
    return resp, api


def test_bht_q1_rows_carry_sources(bht_q1):
    resp, api = bht_q1
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert api["total"] > 0
    rows = table_rows(soup_of(resp))
    assert len(rows) == api["total"]
    page_sources = [row_source(tr) for tr in rows]
    assert page_sources == [(r["source"]["document"], r["source"]["line"]) for r in api["results"]]
    assert any(doc == SEED_001 for doc, _ in page_sources)
    # every row names the provider asked for (by code, or its predecessor marked "via")
    for tr in rows:
        cell = tr.find_all("td")[3].get_text(" ", strip=True)
        assert "RC1" in cell, cell
    # the page says how it read the search, and counts what it shows
    text = soup_of(resp).get_text(" ", strip=True)
    assert "Bedford Hospital" in text and Q1 in text
    assert soup_of(resp).find(id="result-count").get_text(" ", strip=True).startswith(f"{api['total']} intention")


def test_table_is_plain_html_without_scripts(bht_q1):
    resp, _ = bht_q1
    soup = soup_of(resp)
    assert soup.find_all("script") == [], "the page itself must not need (or run) JavaScript"
    assert "<table" in resp.text and "<tbody" in resp.text
    # programme, title, periods are in the cells as text
    first = table_rows(soup)[0].find_all("td")
    assert len(first) == 5
    assert first[2].get_text(strip=True), "intention title missing"
    assert re.search(r"FY20\d\d/\d\d", first[4].get_text(" ", strip=True))
    csp = resp.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp


def test_badges_for_inferred_and_via(client):
    # RC9 (Bedfordshire Hospitals) succeeded RC1: its page shows RC1's intentions marked "via RC1"
    resp = client.get("/", params={"provider": "RC9"})
    assert resp.status_code == 200
    api = client.get("/api/intentions", params={"provider": "RC9", "limit": 1000}).json()
    vias = {p["via"]["code"] for r in api["results"] for p in r["providers"] if p.get("via")}
    inferred = sum(1 for r in api["results"] for p in r["providers"] if p["inferred"] and not p.get("via"))
    tags = [t.get_text(strip=True) for t in soup_of(resp).select("#intentions .nhsuk-tag")]
    assert vias, "the seeds should give RC9 intentions via its predecessor"
    for code in vias:
        assert f"via {code}" in tags
    assert tags.count("inferred") == inferred


def test_json_variant_is_the_same_data(client, bht_q1):
    resp, _ = bht_q1
    js = client.get("/", params={"provider": "BHT", "quarter": Q1, "format": "json"})
    assert js.status_code == 200 and js.headers["content-type"].startswith("application/json")
    data = js.json()
    assert data["query"]["provider"] == "BHT" and data["query"]["quarter"] == Q1
    assert data["interpretation"]["provider"]["code"] == "RC1"
    rows = table_rows(soup_of(resp))
    assert [tr["data-intention"] for tr in rows] == [r["id"] for r in data["results"]]
    assert data["total"] == len(rows)
    assert data["exposure"]["provider"]["code"] == "RC1"
    assert data["links"]["map"] == soup_of(resp).find("iframe", id="map-frame")["src"]
    assert Q1 in data["options"]["quarters"]
    # the page links to its own JSON
    own = soup_of(resp).find("a", id="page-json")["href"]
    assert client.get(own).json() == data


def test_search_suggestions_and_quarters_are_server_side(client):
    resp = client.get("/")
    assert resp.status_code == 200
    soup = soup_of(resp)
    form = soup.find("form", attrs={"aria-label": "Find intentions"})
    assert form["method"].lower() == "get" and form["action"] == "/"
    provider = form.find("input", id="provider")
    assert provider["name"] == "provider" and provider["list"] == "provider-list"
    values = [o["value"] for o in soup.find("datalist", id="provider-list").find_all("option")]
    assert "RC1" in values and "BHT" in values, values[:20]
    comms = [o["value"] for o in soup.find("datalist", id="commissioner-list").find_all("option")]
    assert len(comms) == len(client.get("/api/commissioners").json()["results"]) > 0
    quarters = [o["value"] for o in soup.find("select", id="quarter").find_all("option")]
    assert quarters[0] == "" and Q1 in quarters and "FY2018/19" in quarters
    assert set(client.get("/api/quarters").json()["results"]) <= set(quarters)
    # the landing page gives somewhere to start
    assert soup.find(id="overview-title") is not None
    assert soup.find("a", href="/?provider=RC1") is not None


def test_selected_values_are_kept(bht_q1):
    soup = soup_of(bht_q1[0])
    assert soup.find("input", id="provider")["value"] == "BHT"
    assert soup.find("select", id="quarter").find("option", selected=True)["value"] == Q1


def test_unknown_provider_not_found_with_suggestions(client):
    resp = client.get("/", params={"provider": "Bedford Hospitl", "quarter": Q1})
    assert resp.status_code == 404
    soup = soup_of(resp)
    assert "not found" in soup.find(id="error").get_text(" ", strip=True).lower()
    assert soup.find("table", id="intentions") is None
    links = soup.select("#suggestions a")
    assert links, "did-you-mean suggestions should be links"
    hrefs = [parse_qs(urlsplit(a["href"]).query) for a in links]
    assert any(h.get("provider") == ["RC1"] for h in hrefs), hrefs
    assert all(h.get("quarter") == [Q1] for h in hrefs), "a suggestion keeps the chosen quarter"
    # the suggestion works
    assert client.get(links[0]["href"]).status_code == 200
    js = client.get("/", params={"provider": "Bedford Hospitl", "format": "json"})
    assert js.status_code == 404 and any(s["code"] == "RC1" for s in js.json()["error"]["suggestions"])


def test_bad_quarter_explains(client):
    resp = client.get("/", params={"provider": "RC1", "quarter": "Q7"})
    assert resp.status_code == 400
    assert "not a quarter" in soup_of(resp).find(id="error").get_text(" ", strip=True)


def test_map_iframe_embed_snippet_and_downloads(client, bht_q1):
    resp, api = bht_q1
    soup = soup_of(resp)
    frame = soup.find("iframe", id="map-frame")
    src = urlsplit(frame["src"])
    assert src.path == "/maps/provider/RC1" and parse_qs(src.query) == {"quarter": [Q1]}
    m = client.get(frame["src"])
    assert m.status_code == 200 and m.headers["content-type"].startswith("text/html")
    # the snippet is shown as text (escaped), ready to paste, pointing at the same map
    code = soup.find("pre").find("code", id="embed-snippet")
    snippet = code.get_text()
    assert snippet.startswith("<iframe ") and snippet.endswith("</iframe>")
    assert "&lt;iframe" in resp.text
    snippet_src = BeautifulSoup(snippet, "html.parser").find("iframe")["src"]
    assert snippet_src.startswith("http://testserver/maps/provider/RC1?")
    # downloads
    csv_link = soup.find("a", id="download-csv")["href"]
    c = client.get(csv_link)
    assert c.status_code == 200 and c.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(c.text)))
    assert [(r["document"], int(r["line"])) for r in rows] == \
        [(r["source"]["document"], r["source"]["line"]) for r in api["results"]]
    d = client.get(soup.find("a", id="download-map")["href"])
    assert d.status_code == 200 and "attachment" in d.headers["content-disposition"]
    png = client.get(soup.find("a", id="download-png")["href"])
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_exposure_summary(client, bht_q1):
    soup = soup_of(bht_q1[0])
    exp = client.get("/api/providers/RC1/exposure").json()
    by_q = {tr.find_all("td")[0].get_text(strip=True): int(tr.find_all("td")[1].get_text(strip=True))
            for tr in soup.select("#exposure-quarters tbody tr")}
    assert by_q == exp["by_quarter"]
    by_c = {tr.find_all("td")[0].get_text(strip=True): int(tr.find_all("td")[1].get_text(strip=True))
            for tr in soup.select("#exposure-commissioners tbody tr")}
    assert by_c == exp["by_commissioner"]
    assert len(soup.select("#exposure-programmes tbody tr")) == len(exp["by_programme"])
    if exp["money"]:
        money = soup.select("#exposure-money tbody tr")
        assert len(money) == len(exp["money"])
        for tr in money:
            cells = [td.get_text(" ", strip=True) for td in tr.find_all("td")]
            assert SOURCE_RE.match(cells[0]) and "£" in cells[3] and cells[4].startswith("£")
    assert len(soup.select("#exposure-procurements tbody tr")) == len(exp["procurements"])


def test_exposure_money_shown_for_a_provider_with_figures(client):
    # seed 004 has a provider impact table in £k; pick a provider it attributes money to
    codes = [p["code"] for p in client.get("/api/providers", params={"limit": 1000}).json()["results"]]
    for code in codes:
        exp = client.get(f"/api/providers/{code}/exposure").json()
        if exp["money"]:
            break
    else:
        pytest.fail("no provider has money attributed in the seeds")
    soup = soup_of(client.get("/", params={"provider": code}))
    rows = soup.select("#exposure-money tbody tr")
    assert len(rows) == len(exp["money"])
    first = [td.get_text(" ", strip=True) for td in rows[0].find_all("td")]
    m = exp["money"][0]
    assert re.match(re.escape(f"{m['source']['document']}:{m['source']['line']}") + r"(–\d+)?$", first[0]), first[0]
    assert re.match(r"^-?£[\d,.]+[km]?", first[3]), first[3]
    assert first[4] == ("-" if m["gbp"] < 0 else "") + f"£{abs(m['gbp']):,.0f}"


def test_commissioner_search(client):
    comm = client.get("/api/commissioners").json()["results"][0]
    resp = client.get("/", params={"commissioner": comm["code"] or comm["name"]})
    assert resp.status_code == 200
    rows = table_rows(soup_of(resp))
    assert len(rows) == min(comm["intentions"], 200)
    frame = soup_of(resp).find("iframe", id="map-frame")  # a commissioner view has its own map
    assert frame is not None and frame["src"].startswith("/maps/commissioner/")
    # typing a commissioner into the provider box is understood, not a "not found"
    resp2 = client.get("/", params={"provider": comm["code"] or comm["name"]})
    assert resp2.status_code == 200
    assert [tr["data-intention"] for tr in table_rows(soup_of(resp2))] == [tr["data-intention"] for tr in rows]


def test_plain_english_question(client):
    q = "which intentions affect BHT in Q1 2018/19"
    resp = client.get("/", params={"q": q})
    assert resp.status_code == 200
    asked = client.get("/api/ask", params={"q": q, "limit": 1000}).json()
    assert [row_source(tr) for tr in table_rows(soup_of(resp))] == \
        [(r["source"]["document"], r["source"]["line"]) for r in asked["results"]]
    assert soup_of(resp).find("iframe", id="map-frame") is not None
    assert soup_of(resp).find("input", id="q")["value"] == q
    # "in Q1" (any year): the downloads and the map use the same reading as the table
    any_q1 = client.get("/", params={"q": "which intentions affect BHT in Q1", "format": "json"}).json()
    assert any_q1["interpretation"]["quarter"] == "Q1 (any year)"
    csv_rows = list(csv.DictReader(io.StringIO(client.get(any_q1["links"]["csv"]).text)))
    assert len(csv_rows) == any_q1["total"] > 0
    assert parse_qs(urlsplit(any_q1["links"]["map"]).query) == {"quarter": ["Q1"]}


def test_static_files_are_local_and_complete(client):
    css = client.get("/static/nhsuk-frontend.min.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "MIT License" in css.text[:3000] and "Copyright (c) 2019 NHS.UK" in css.text[:3000]
    assert not re.search(r"@font-face\s*\{", css.text)
    external = [u for u in re.findall(r"url\(([^)]*)\)", css.text) if re.match(r"['\"]?(https?:)?//", u)]
    assert external == []
    for asset in set(re.findall(r"url\(([\w.-]+\.svg)\)", css.text)):
        assert client.get(f"/static/{asset}").status_code == 200, asset
    page = client.get("/").text
    for ref in re.findall(r'(?:href|src)="([^"]+)"', page):
        assert not re.match(r"(https?:)?//", ref), f"external reference {ref}"


# -- untrusted document text -------------------------------------------------------------------------
# The readers strip only the structure tags the exports use (<p>, <ul>, <li>...); a literal
# <script> or <img onerror> is document text and reaches the graph as such, and so does the
# entity-escaped form.  All three documents are loaded; every form must come out escaped.
MALICIOUS_MD = f"""# NHS Bedfordshire CCG Commissioning intentions 2018/19

## Commissioning intentions

- We will redesign the {XSS} service with Bedford Hospital (BHT) from April 2018.
"""
ESCAPED_MD = """# NHS Bedfordshire CCG Commissioning intentions 2018/19

## Commissioning intentions

- We will redesign the &lt;script&gt;alert(1)&lt;/script&gt; service with Bedford Hospital (BHT) from April 2018.
- We will review the &quot;&gt;&lt;img src=x onerror=alert(2)&gt; pathway with Bedford Hospital (BHT) from June 2018.
"""
MALICIOUS_TXT = (
    "NHS Bedfordshire CCG\nCommissioning intentions 2018-19\n\n"
    "Programme Area\tService Area\tCommissioning Intent\tImpact Area/Main Providers Impacted\tTimescales\n"
    f"Planned Care\t{XSS}\tRedesign the \"><img src=x onerror=alert(2)> pathway\tBedford Hospital (BHT)\tQ1 2018/19\n"
)


@pytest.fixture(scope="module")
def xss_client(tmp_path_factory):
    from fastapi.testclient import TestClient

    from cigraph.api.app import create_app
    from cigraph.graph.ingest import load_files
    from cigraph.graph.store import open_store

    folder = tmp_path_factory.mktemp("xss")
    (folder / "evil-2018-19.md").write_text(MALICIOUS_MD)
    (folder / "evil-table-2018-19.txt").write_text(MALICIOUS_TXT)
    (folder / "escaped-2018-19.md").write_text(ESCAPED_MD)
    store = open_store("memory")
    results = load_files([folder], store)
    assert all(r.ok for r in results), [r.error for r in results]
    with TestClient(create_app(store)) as c:
        yield c


def test_document_text_is_escaped(xss_client):
    resp = xss_client.get("/", params={"provider": "BHT"})
    assert resp.status_code == 200, resp.text[:500]
    soup = soup_of(resp)
    assert soup.find_all("script") == [] and soup.find_all("img") == []
    assert not soup.find_all(attrs={"onerror": True})
    cells = " ".join(td.get_text(" ", strip=True) for td in soup.select("#intentions td"))
    assert XSS in cells, "the malicious text must be shown literally"
    assert '"><img src=x onerror=alert(2)>' in cells
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in resp.text
    assert "<script>alert" not in resp.text and "<img src=x" not in resp.text
    # the table document's service name is the script text itself: it is the intention's title
    titles = [r["title"] for r in xss_client.get("/", params={"provider": "BHT", "format": "json"}).json()["results"]]
    assert XSS in titles, titles
    # the JSON variant carries the text as data
    assert any(XSS in (r["title"] + r["text"] + (r["pathway"] or ""))
               for r in xss_client.get("/", params={"provider": "BHT", "format": "json"}).json()["results"])
    # and the map page never has it as markup
    frame = soup.find("iframe", id="map-frame")["src"]
    m = xss_client.get(frame).text
    assert "<script>alert(1)" not in m and "<img src=x" not in m


@pytest.mark.parametrize("param", ["provider", "commissioner", "q", "quarter"])
def test_reflected_input_is_escaped(client, param):
    evil = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    resp = client.get("/", params={param: evil})
    assert resp.status_code in (200, 400, 404)
    assert "<script>alert" not in resp.text and "<img src=x" not in resp.text
    soup = soup_of(resp)
    assert soup.find_all("script") == [] and soup.find_all("img") == []
    field = soup.find(id=param)
    if field.name == "input":
        assert field["value"] == evil
