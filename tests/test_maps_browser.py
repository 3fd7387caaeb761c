"""Impact map pages in headless Chromium (Debian's /usr/bin/chromium; never downloaded).

Each test saves the page and screenshots under test-artifacts/ (gitignored). Skipped when
Chromium is missing, unless CI is set, in which case that is a failure.
"""
from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cigraph.viz import overlap_map, provider_map, render_html
from cigraph.viz.bench_map import CHROMIUM, CHROMIUM_ARGS, synthetic_intentions

pytestmark = pytest.mark.browser

# The untrusted strings planted in the map_intentions / map_overlaps fixtures (conftest.py).
MALICIOUS_TITLE = "<script>alert(1)</script>"
MALICIOUS_PROVIDER = "<img src=x onerror=alert(2)>"

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} not found"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    pw.stop()


class OpenMap:
    """A map page opened from a file, with every request, dialog and error recorded."""

    def __init__(self, browser, model, name: str, bypass_csp: bool = False) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.name = name
        self.path = ARTIFACTS / f"{name}.html"
        self.path.write_text(render_html(model), encoding="utf-8")
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1600, "height": 900},
                                           bypass_csp=bypass_csp)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        self.page.goto(self.path.as_uri())
        # A selector, not wait_for_function: the page's CSP forbids eval.
        self.page.wait_for_selector("body[data-ready=true]", state="attached", timeout=60_000)

    def _route(self, route) -> None:
        url = route.request.url
        self.requests.append(url)
        if url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            route.abort()

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    @property
    def external_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(LOCAL_SCHEMES)]

    def visible_nodes(self) -> list[str]:
        """Ids of the nodes not hidden, sorted."""
        return sorted(self.page.evaluate(
            "() => window.cigraphMap.nodes.get({filter: n => !n.hidden}).map(n => n.id)"))

    def screenshot(self, suffix: str = "") -> Path:
        path = ARTIFACTS / f"{self.name}{suffix}.png"
        self.page.screenshot(path=str(path))
        return path

    def hover(self, node_id: str) -> None:
        """Move the mouse onto a node (canvas coordinates -> page coordinates)."""
        x, y = self.page.evaluate("""id => {
            const net = window.cigraphMap.network;
            const p = net.canvasToDOM(net.getPosition(id));
            const box = document.querySelector('#map canvas').getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""", node_id)
        self.page.mouse.move(x - 40, y - 40)
        self.page.mouse.move(x, y, steps=5)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_map(browser) -> Iterator:
    opened: list[OpenMap] = []

    def _open(model, name: str, **kwargs) -> OpenMap:
        opened.append(OpenMap(browser, model, name, **kwargs))
        return opened[-1]

    yield _open
    for page in opened:
        page.close()


def _distinct_colours(png: bytes) -> int:
    from PIL import Image

    return len(Image.open(io.BytesIO(png)).convert("RGB").getcolors(maxcolors=1 << 24))


def test_opens_offline_with_zero_requests(open_map, map_intentions, map_overlaps):
    for model, name in [(provider_map(map_intentions, focus="RC1"), "map_provider"),
                        (overlap_map(map_overlaps), "map_overlap")]:
        for bypass_csp in (False, True):  # True: nothing is held back by the CSP alone
            page = open_map(model, name, bypass_csp=bypass_csp)
            assert page.requests and page.requests[0].startswith("file:")  # the counter works
            assert page.external_requests == []
            assert page.errors == [] and page.dialogs == []
            assert page.page.evaluate("window.cigraphMap.network.physics.options.enabled") is False


def test_canvas_is_drawn_and_legible(open_map, map_intentions):
    page = open_map(provider_map(map_intentions, focus="RC1",
                                 title="Intentions affecting Bedford Hospital"), "map_provider")
    painted = page.page.evaluate("""() => {
        const c = document.querySelector('#map canvas');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i] > 0) painted++;
        return painted / (c.width * c.height);
    }""")
    assert painted > 0.01
    shot = page.screenshot()
    assert _distinct_colours(shot.read_bytes()) > 200
    map_png = page.page.locator("#map").screenshot()
    assert _distinct_colours(map_png) > 100
    assert page.page.locator("#legend li").count() >= 10


def test_malicious_text_never_runs_even_in_tooltips(open_map, map_intentions):
    model = provider_map(map_intentions)
    page = open_map(model, "map_malicious")
    bad = {n.tooltip.heading: n.id for n in model.nodes}
    for heading in (MALICIOUS_TITLE, MALICIOUS_PROVIDER):
        page.hover(bad[heading])
        tooltip = page.page.locator("div.vis-tooltip")
        tooltip.wait_for(state="visible", timeout=5_000)
        assert page.page.locator("div.vis-tooltip .cg-tip-heading").text_content() == heading
        assert page.page.locator("div.vis-tooltip img, div.vis-tooltip script, div.vis-tooltip b").count() == 0
        if heading == MALICIOUS_TITLE:  # the document text, shown literally
            assert "<b>bold</b> & \"quoted\" text </script><script>alert(3)</script>" in tooltip.text_content()
        page.screenshot(f"_tooltip_{'title' if heading == MALICIOUS_TITLE else 'provider'}")
    page.page.wait_for_timeout(300)
    assert page.dialogs == [] and page.errors == []
    assert page.page.locator("img").count() == 0


def test_intention_tooltip_shows_periods_and_source(open_map, map_intentions):
    model = provider_map(map_intentions)
    page = open_map(model, "map_tooltip")
    page.hover("https://w3id.org/cigraph/id/intention/001_0c39/297")
    tip = page.page.locator("div.vis-tooltip")
    tip.wait_for(state="visible", timeout=5_000)
    text = tip.text_content()
    assert "Urgent Treatment Centre" in text
    assert "FY2018/19 Q4" in text and "001_0c3910418eb40f69.txt:298-301" in text
    page.screenshot("_hover")


def test_filters_change_visible_nodes(open_map, map_intentions):
    intention, org = "https://w3id.org/cigraph/id/intention/", "https://w3id.org/cigraph/id/org/"
    page = open_map(provider_map(map_intentions), "map_filters")
    everything = page.visible_nodes()
    assert len(everything) == 20
    page.page.select_option("#quarter-filter", "FY2018/19 Q1")
    # MSK (Bedfordshire, Planned Care, RC1 lead, RD8) and the IAPT one (Herts Valleys, RWK).
    assert page.visible_nodes() == sorted([
        f"{intention}001_0c39/412", f"{org}06F", "programme:Planned Care", f"{org}RC1", f"{org}RD8",
        f"{intention}003_5e1d/40", f"{org}06N", "programme:Mental Health", f"{org}RWK"])
    assert page.page.locator("#status").text_content().startswith("Showing 9 of 20 nodes")
    page.screenshot("_q1")
    page.page.select_option("#programme-filter", "Mental Health")
    assert page.visible_nodes() == sorted(
        [f"{intention}003_5e1d/40", f"{org}06N", "programme:Mental Health", f"{org}RWK"])
    # The successor's intention alone: the RC1 -> RC9 succession link needs both ends shown.
    page.page.select_option("#programme-filter", "")
    page.page.select_option("#quarter-filter", "FY2019/20 Q1")
    assert page.visible_nodes() == sorted([
        f"{intention}001_0c39/530", f"{org}06F", "programme:Urgent & Emergency Care", f"{org}RC9"])
    assert page.page.evaluate("window.cigraphMap.visibleEdges") == 3
    page.page.click("#reset")
    assert page.visible_nodes() == everything
    assert page.errors == []


def test_overlap_theme_filter(open_map, map_overlaps):
    page = open_map(overlap_map(map_overlaps), "map_overlap_filter")
    assert len(page.visible_nodes()) == 4
    page.page.select_option("#programme-filter", "dermatology")
    assert page.visible_nodes() == ["https://w3id.org/cigraph/id/org/04F", "https://w3id.org/cigraph/id/org/06F"]
    assert page.page.evaluate("window.cigraphMap.visibleEdges") == 1


def test_two_thousand_node_map_opens_and_filters(open_map):
    """Not a timing assertion (see viz/bench_map.py): the large-map path works at all."""
    model = provider_map(synthetic_intentions(2000), title="2,000-node map")
    assert len(model.nodes) == 2000
    page = open_map(model, "map_2000")
    assert page.external_requests == [] and page.errors == []
    timings = page.page.evaluate("window.cigraphMap.timings")
    print(f"2,000-node map ready after {timings['ready']:.0f} ms")
    page.page.select_option("#quarter-filter", index=1)
    shown = page.page.evaluate("window.cigraphMap.visibleNodes")
    assert 0 < shown < 2000
    page.screenshot()
