"""The web page in a real browser: a `cigraph serve` process driven by headless Chromium.

Uses the system Chromium (/usr/bin/chromium) through Python playwright; never downloads a
browser.  Skipped when Chromium is missing, unless CI is set (then it fails).  Screenshots go
to test-artifacts/ (gitignored) for a person to look at.
"""
from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
BIN = Path(sys.executable).parent / "cigraph"
REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
Q1 = "FY2018/19 Q1"
XSS = "<script>alert(1)</script>"
# the readers strip literal tags from text exports but unescape entities: this reaches the graph as XSS
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
MALICIOUS_MD = f"""# NHS Bedfordshire CCG Commissioning intentions 2018/19

## Commissioning intentions

- We will redesign the {XSS_ESCAPED} service with Bedford Hospital (BHT) from April 2018.
"""
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]


def _need_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing")
    pytest.skip(f"{CHROMIUM} is missing")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, seeds_dir):
    """`cigraph load` the seeds plus a malicious document, then `cigraph serve` them on loopback."""
    _need_chromium()
    work = tmp_path_factory.mktemp("web")
    evil = work / "evil-2018-19.md"
    evil.write_text(MALICIOUS_MD)
    store = work / "graph"
    load = subprocess.run([str(BIN), "load", str(seeds_dir), str(evil), "--store", str(store)],
                          capture_output=True, text=True, timeout=600)
    assert load.returncode == 0, load.stdout + load.stderr
    port = _free_port()
    log = (work / "serve.log").open("w")
    proc = subprocess.Popen([str(BIN), "serve", "--store", str(store), "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/api/quarters", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"cigraph serve did not start:\n{(work / 'serve.log').read_text()}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    requests: list[str] = []
    dialogs: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    pg = context.new_page()
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.requests, pg.dialogs = requests, dialogs
    yield pg
    context.close()


def external(urls: list[str]) -> list[str]:
    out = []
    for u in urls:
        parts = urlsplit(u)
        if parts.scheme in ("data", "blob", "about", "chrome-error"):
            continue
        if parts.hostname != "127.0.0.1":
            out.append(u)
    return out


def pixel_variety(png: bytes) -> tuple[int, float]:
    """(distinct colours, share of pixels that are not the background) of a PNG."""
    import numpy as np
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    img.thumbnail((400, 400))
    pixels = np.asarray(img, dtype=np.int16).reshape(-1, 3)
    colours, counts = np.unique(pixels, axis=0, return_counts=True)
    background = colours[counts.argmax()]
    busy = int((np.abs(pixels - background).sum(axis=1) > 30).sum())
    return len(colours), busy / len(pixels)


def wait_for_map(page):
    frame_el = page.wait_for_selector("#map-frame")
    frame_el.scroll_into_view_if_needed()
    frame = frame_el.content_frame()
    assert frame is not None
    frame.wait_for_selector("body[data-ready='true']", timeout=30000)
    canvas = frame.wait_for_selector("#map canvas", timeout=30000)
    return frame_el, frame, canvas


def test_search_bht_q1_table_map_and_no_external_requests(server, page):
    page.goto(server + "/")
    page.fill("#provider", "BHT")
    page.select_option("#quarter", label="Q1 2018/19")
    with page.expect_navigation():
        page.click("#search-submit")
    url = urlsplit(page.url)
    assert url.path == "/" and "provider=BHT" in url.query and "quarter=FY2018%2F19+Q1" in url.query

    api = httpx.get(server + "/api/intentions", params={"provider": "BHT", "quarter": Q1, "limit": 1000}).json()
    assert api["total"] > 0
    rows = page.locator("#intentions tbody tr")
    assert rows.count() == api["total"]
    sources = [c.strip() for c in page.locator("#intentions tbody tr td:first-child code").all_inner_texts()]
    assert sources == [f"{r['source']['document']}:{r['source']['line']}" +
                       (f"–{r['source']['end_line']}" if r["source"]["end_line"] > r["source"]["line"] else "")
                       for r in api["results"]]
    assert page.locator("#intentions").is_visible()
    # styled by the vendored NHS.UK stylesheet (header in NHS blue)
    header_bg = page.eval_on_selector(".nhsuk-header", "e => getComputedStyle(e).backgroundColor")
    assert header_bg == "rgb(0, 94, 184)"

    frame_el, frame, canvas = wait_for_map(page)
    colours, busy = pixel_variety(canvas.screenshot())
    assert colours > 20 and busy > 0.01, f"map canvas looks blank: {colours} colours, {busy:.1%} drawn"
    assert frame.evaluate("window.cigraphMap.visibleNodes") > 1

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-bht-q1.png"), full_page=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "web-bht-q1-top.png"))
    assert external(page.requests) == [], external(page.requests)
    assert any(u.endswith("/static/nhsuk-frontend.min.css") for u in page.requests)
    assert page.dialogs == []


def test_unknown_provider_suggestions_in_browser(server, page):
    page.goto(server + "/")
    page.fill("#provider", "Bedford Hospitl")
    with page.expect_navigation():
        page.click("#search-submit")
    assert "not found" in page.inner_text("#error").lower()
    first = page.locator("#suggestions a").first
    with page.expect_navigation():
        first.click()
    assert page.locator("#intentions tbody tr").count() > 0
    assert external(page.requests) == []


def test_malicious_document_text_is_inert(server, page):
    page.goto(server + "/?provider=BHT&quarter=" + Q1.replace(" ", "+").replace("/", "%2F"))
    titles = page.locator("#intentions tbody tr td:nth-child(3)").all_inner_texts()
    assert any(XSS in t for t in titles), "the malicious title should be shown as text"
    assert page.evaluate("document.scripts.length") == 0

    frame_el, frame, _ = wait_for_map(page)
    # find the intention node carrying the malicious text, hover it, read the tooltip
    point = frame.evaluate("""(needle) => {
        const m = window.cigraphMap;
        const node = m.nodes.get().find(n => n.title && n.title.textContent.includes(needle));
        if (!node) return null;
        m.network.fit({nodes: [node.id], animation: false});
        const dom = m.network.canvasToDOM(m.network.getPositions([node.id])[node.id]);
        const box = document.getElementById('map').getBoundingClientRect();
        return {x: box.left + dom.x, y: box.top + dom.y};
    }""", XSS)
    assert point is not None, "the map has no node for the malicious intention"
    box = frame_el.bounding_box()
    page.mouse.move(box["x"] + point["x"] + 40, box["y"] + point["y"] + 40)
    page.mouse.move(box["x"] + point["x"], box["y"] + point["y"], steps=5)
    tip = frame.wait_for_selector("div.vis-tooltip", state="visible", timeout=10000)
    assert XSS in tip.inner_text()
    assert frame.evaluate("document.querySelectorAll('div.vis-tooltip script, div.vis-tooltip img').length") == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-xss-tooltip.png"))
    page.wait_for_timeout(300)
    assert page.dialogs == [], f"a script ran: {page.dialogs}"
    assert external(page.requests) == []


def test_reflected_query_text_is_inert(server, page):
    evil = '"><script>alert(3)</script><img src=x onerror=alert(4)>'
    page.goto(server + "/")
    page.fill("#provider", evil)
    with page.expect_navigation():
        page.click("#search-submit")
    assert page.input_value("#provider") == evil
    page.wait_for_timeout(300)
    assert page.dialogs == [] and page.evaluate("document.images.length") == 0
    assert external(page.requests) == []


def test_works_without_javascript(server, browser):
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    try:
        pg.goto(server + "/")
        pg.fill("#provider", "RC1")
        pg.select_option("#quarter", value=Q1)
        with pg.expect_navigation():
            pg.click("#search-submit")
        assert pg.locator("#intentions tbody tr").count() > 0
        assert "RC1" in pg.inner_text("#intentions")
    finally:
        context.close()


def test_print_stylesheet_hides_search(server, page):
    page.goto(server + "/?provider=RC1")
    page.emulate_media(media="print")
    assert not page.locator(".cg-search").is_visible()
    assert page.locator("#intentions").is_visible()
