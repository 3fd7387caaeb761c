"""Impact maps: model building, the self-contained HTML page, static images, embed snippet.

Fixtures ``map_intentions`` / ``map_overlaps`` (tests/conftest.py) follow the API spec's
shapes and include untrusted markup in a title, a provider name and a theme.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
import xml.etree.ElementTree as ET

import pytest
from bs4 import BeautifulSoup

from cigraph.viz import embed_snippet, overlap_map, provider_map, render_html, render_png, render_svg
from cigraph.viz.maps import EDGE_STYLES, NODE_STYLES, format_pounds, json_for_script, truncate

# The untrusted strings planted in the map_intentions / map_overlaps fixtures (conftest.py).
MALICIOUS_TITLE = "<script>alert(1)</script>"
MALICIOUS_PROVIDER = "<img src=x onerror=alert(2)>"
RC1 = "https://w3id.org/cigraph/id/org/RC1"
RC9 = "https://w3id.org/cigraph/id/org/RC9"
RXQ = "https://w3id.org/cigraph/id/org/RXQ"


@pytest.fixture
def pmap(map_intentions):
    return provider_map(map_intentions, focus="rc1", title="Intentions affecting Bedford Hospital")


@pytest.fixture
def omap(map_overlaps):
    return overlap_map(map_overlaps)


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def _data(html: str) -> dict:
    return json.loads(_soup(html).find("script", id="map-data").string)


# ---------------------------------------------------------------------------- the model


def test_provider_map_has_every_node_type_and_link_style(pmap):
    assert pmap.node_types() == list(NODE_STYLES)
    assert set(pmap.edge_styles()) == {"named", "lead", "generic", "inferred", "via-successor",
                                       "succession", "commissions", "programme"}
    by_id = {n.id: n for n in pmap.nodes}
    assert len(by_id) == len(pmap.nodes)
    # six intentions, RC1 reached directly and as RC9's predecessor is still one node
    assert sum(n.type == "intention" for n in pmap.nodes) == 6
    assert [n.id for n in pmap.nodes if n.label.startswith("Bedford Hospital")] == [RC1]
    styles = {(e.source, e.target): e.style for e in pmap.edges}
    assert styles[(RC1, RC9)] == "succession"
    assert styles[("https://w3id.org/cigraph/id/intention/001_0c39/530", RC9)] == "via-successor"
    assert styles[("https://w3id.org/cigraph/id/intention/002_77ab/88", RXQ)] == "inferred"
    assert styles[("https://w3id.org/cigraph/id/intention/001_0c39/412", RC1)] == "lead"
    assert styles[("https://w3id.org/cigraph/id/intention/001_0c39/297",
                   "https://w3id.org/cigraph/id/group/acute")] == "generic"
    # every link ends at a node
    assert all(e.source in by_id and e.target in by_id for e in pmap.edges)


def test_provider_map_filters_sizes_focus_and_tooltips(pmap):
    by_id = {n.id: n for n in pmap.nodes}
    assert pmap.focus == [RC1] and by_id[RC1].focus
    assert pmap.quarters() == ["FY2018/19 Q1", "FY2018/19 Q2", "FY2018/19 Q3", "FY2018/19 Q4",
                               "FY2019/20 Q1"]
    assert pmap.programmes() == ["Children & Maternity", "Mental Health", "Planned Care",
                                 "Urgent & Emergency Care"]
    rc1 = by_id[RC1]
    assert rc1.count == 2 and sorted(rc1.quarters) == ["FY2018/19 Q1", "FY2018/19 Q4"]
    assert sorted(rc1.programmes) == ["Planned Care", "Urgent & Emergency Care"]
    assert rc1.size > by_id[RC9].size  # 2 intentions against 1
    # A year-long period puts its intention in both quarters.
    paeds = by_id["https://w3id.org/cigraph/id/intention/004_9f02/120"]
    assert paeds.quarters == ["FY2018/19 Q3", "FY2018/19 Q4"]
    rows = dict(by_id["https://w3id.org/cigraph/id/intention/001_0c39/297"].tooltip.rows)
    assert rows["Source"] == "001_0c3910418eb40f69.txt:298-301"
    assert rows["Periods"] == "FY2018/19 Q4 (“Q4/2018”)"
    assert rows["Money"] == "£120k gross savings (RC1)"
    assert "001_0c3910418eb40f69.txt:298-301" in dict(rc1.tooltip.rows)["Sources"]
    assert dict(by_id[RC9].tooltip.rows)["Money"] == "£1.2m"


def test_size_by_money_ranks_by_pounds(map_intentions):
    model = provider_map(map_intentions, size_by="money")
    by_id = {n.id: n for n in model.nodes}
    assert by_id[RC9].money == pytest.approx(1.2e6)
    assert by_id[RC1].money == pytest.approx(120e3)  # the £350k has no provider
    assert by_id[RC9].size > by_id[RXQ].size > by_id[RC1].size
    with pytest.raises(ValueError):
        provider_map(map_intentions, size_by="beds")


def test_repeated_provider_counts_once(map_intentions):
    utc = map_intentions[0]
    utc["providers"].append(dict(utc["providers"][0], role="lead"))  # RC1 named and lead
    model = provider_map([utc])
    rc1 = next(n for n in model.nodes if n.id == RC1)
    assert rc1.count == 1 and rc1.money == pytest.approx(120e3)
    assert [e.style for e in model.edges if e.target == RC1] == ["lead"]  # the stronger link


def test_focus_by_name_and_unknown_focus(map_intentions):
    assert provider_map(map_intentions, focus="Buckinghamshire Healthcare NHS Trust").focus == [RXQ]
    assert provider_map(map_intentions, focus="ZZZ").focus == []


def test_overlap_map(omap):
    assert omap.node_types() == ["commissioner"]
    assert len(omap.nodes) == 4
    assert sorted(e.style for e in omap.edges) == ["shared-providers"] * 2 + ["shared-theme"] * 3
    assert omap.programmes() == sorted(["dermatology", "musculoskeletal", MALICIOUS_TITLE], key=str.casefold)
    assert omap.quarters() == []
    beds = next(n for n in omap.nodes if n.label == "NHS Bedfordshire CCG")
    assert beds.count == 4  # distinct intentions across its overlaps
    widths = {e.label: e.width for e in omap.edges if e.style == "shared-providers"}
    assert widths["2"] > widths["1"]


def test_helpers():
    assert truncate("a\x00b  \n c" + "x" * 50, 10) == "ab cxxxxx…"
    assert format_pounds(120_000) == "£120k" and format_pounds(950) == "£950"
    assert json_for_script({"t": "</script><b>&"}) == '{"t":"\\u003c/script\\u003e\\u003cb\\u003e\\u0026"}'


# ---------------------------------------------------------------------------- the page

_EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""",
                       re.IGNORECASE)


@pytest.mark.parametrize("which", ["pmap", "omap"])
def test_html_is_self_contained(which, request):
    html = render_html(request.getfixturevalue(which))
    assert not _EXTERNAL.search(html)
    assert "<link" not in html.lower()
    soup = _soup(html)
    scripts = soup.find_all("script")
    assert [s.get("type") for s in scripts] == ["application/json", None, None]
    assert not any(s.get("src") for s in scripts)
    assert "vis-network" in scripts[1].string[:200] and "@license" in scripts[1].string[:1000]
    assert "vis.Network" in scripts[2].string
    # The CSP admits exactly the two inline scripts, by hash, and no network access.
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    assert "default-src 'none'" in csp
    for script in scripts[1:]:
        digest = base64.b64encode(hashlib.sha256(script.string.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert len(re.findall(r"'sha256-", csp)) == 2


def test_malicious_text_only_escaped(pmap, omap):
    for model in (pmap, omap):
        html = render_html(model)
        assert MALICIOUS_TITLE not in html and MALICIOUS_PROVIDER not in html
        assert "<img" not in html and "alert(3)</script>" not in html
        soup = _soup(html)
        assert len(soup.find_all("script")) == 3 and not soup.find_all("img")
        # No element other than the three scripts carries text that a browser would run.
        assert not [t for t in soup.find_all(True) if any(a.startswith("on") for a in t.attrs)]
        # The data survives intact for the page to show with textContent.
        data = _data(html)
        texts = json.dumps(data, ensure_ascii=False)
        assert MALICIOUS_PROVIDER in texts
    pdata = _data(render_html(pmap))
    labels = {n["label"] for n in pdata["nodes"]}
    assert MALICIOUS_TITLE in labels and MALICIOUS_PROVIDER in labels
    # In markup (the theme filter) the name is entity-escaped.
    ohtml = render_html(omap)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in ohtml
    options = [o.string for o in _soup(ohtml).select("#programme-filter option")]
    assert MALICIOUS_TITLE in options


def test_page_title_escaped(pmap):
    html = render_html(pmap, title=MALICIOUS_TITLE)
    assert MALICIOUS_TITLE not in html
    assert _soup(html).title.string == MALICIOUS_TITLE


def test_legend_and_filters(pmap):
    html = render_html(pmap)
    soup = _soup(html)
    legend = soup.find("aside", id="legend")
    assert legend is not None
    text = legend.get_text(" ")
    for key in pmap.node_types():
        assert NODE_STYLES[key].label in text
    for key in pmap.edge_styles():
        assert EDGE_STYLES[key].label in text
    assert "Asked-about provider" in text
    assert len(legend.find_all("svg")) == len(pmap.node_types()) + 1 + len(pmap.edge_styles())
    dashed = legend.find_all("line", attrs={"stroke-dasharray": True})
    assert len(dashed) == sum(bool(EDGE_STYLES[s].dashes) for s in pmap.edge_styles())
    quarters = [o["value"] for o in soup.select("#quarter-filter option")]
    assert quarters == [""] + pmap.quarters()
    programmes = [o["value"] for o in soup.select("#programme-filter option")]
    assert programmes == [""] + pmap.programmes()


def test_page_data_matches_model(pmap, omap):
    for model in (pmap, omap):  # nothing lost on the way (e.g. parallel links)
        data = _data(render_html(model))
        assert [n["id"] for n in data["nodes"]] == [n.id for n in model.nodes]
        assert [e["id"] for e in data["edges"]] == [e.id for e in model.edges]
        assert {e["arrows"] for e in data["edges"]} == {"to" if model.kind == "provider" else ""}
    data = _data(render_html(pmap))
    assert data["focus"] == [RC1]
    assert data["options"]["physics"]["stabilization"]["enabled"] is True
    node = next(n for n in data["nodes"] if n["id"] == RC1)
    assert node["shape"] == "dot" and node["type"] == "provider" and node["borderWidth"] > 2
    assert node["tooltip"]["heading"] == "Bedford Hospital NHS Trust"
    via = next(e for e in data["edges"] if e["style"] == "via-successor")
    assert via["dashes"] == list(EDGE_STYLES["via-successor"].dashes)
    assert next(e for e in data["edges"] if e["style"] == "named")["dashes"] is False


def test_empty_map_renders():
    model = provider_map([])
    html = render_html(model)
    assert _data(html)["nodes"] == [] and "Nothing to show" in html
    assert render_png(model).startswith(b"\x89PNG\r\n\x1a\n")


# ---------------------------------------------------------------------------- images


def test_png_is_a_slide(pmap):
    png = render_png(pmap)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1920, 1080)
    assert render_png(pmap) == png  # deterministic layout


def test_svg_parses_and_keeps_text_escaped(pmap, omap, map_intentions):
    for model in (pmap, omap):
        svg = render_svg(model)
        root = ET.fromstring(svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert not root.findall(".//{http://www.w3.org/2000/svg}script")
        texts = {"".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")}
        assert "Legend" in texts
        assert render_svg(model) == svg
    texts = {"".join(t.itertext()) for t in ET.fromstring(render_svg(pmap)).iter("{http://www.w3.org/2000/svg}text")}
    assert "Named provider" in texts and "Intentions affecting Bedford Hospital" in texts
    assert "Bedford Hospital NHS Trust" in texts  # the focus is labelled first
    # Just the malicious intention (so no label is dropped for overlapping): its markup is
    # there, as text (labels are cut to 28 characters).
    tiny = provider_map([i for i in map_intentions if i["title"] == MALICIOUS_TITLE])
    texts = {"".join(t.itertext()) for t in ET.fromstring(render_svg(tiny)).iter("{http://www.w3.org/2000/svg}text")}
    assert truncate(MALICIOUS_PROVIDER, 28) in texts and MALICIOUS_TITLE in texts


# ---------------------------------------------------------------------------- embedding


def test_embed_snippet_escapes_and_validates():
    snippet = embed_snippet('https://maps.example.nhs.uk/m.html?a=1&b="><script>', 960, "540px")
    tag = _soup(snippet).find("iframe")
    assert tag["src"] == 'https://maps.example.nhs.uk/m.html?a=1&b="><script>'
    assert tag["width"] == "960" and tag["height"] == "540px" and tag["sandbox"] == ["allow-scripts"]
    assert "<script>" not in snippet and len(_soup(snippet).find_all(True)) == 1
    assert embed_snippet("maps/bht.html", "100%", 600).startswith('<iframe src="maps/bht.html"')
    with pytest.raises(ValueError):
        embed_snippet("javascript:alert(1)", 100, 100)
    with pytest.raises(ValueError):
        embed_snippet("m.html", '100" onload="x', 100)
