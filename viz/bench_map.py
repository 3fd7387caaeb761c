"""Benchmark: how fast does a large impact map open in headless Chromium?

    python -m cigraph.viz.bench_map --nodes 2000 --runs 3

Builds a synthetic map of about ``--nodes`` nodes (seeded, realistic proportions of
commissioners, programmes, providers, groups and intentions), renders the HTML page and the
PNG, opens the page from a file in headless Chromium and prints timings:

* ``ready``: navigation start until the layout has stabilised and physics is switched off
  (the map then stays still and responds at once);
* ``first draw``: the first frame of the canvas;
* ``filter``: one quarter filter change and its redraw;
* ``zoom``: one zoom step and its redraw.

Figures are printed, not asserted: the target is a 2,000-node map usable in under 5 s.
Needs the ``playwright`` package and a Chromium (default ``/usr/bin/chromium``); no browser
is ever downloaded.
"""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from cigraph.viz.maps import provider_map, render_html
from cigraph.viz.static_image import render_png

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
_ID = "https://w3id.org/cigraph/id/"
_PROGRAMMES = ["Urgent & Emergency Care", "Planned Care", "Mental Health", "Children & Maternity",
               "Cancer", "Primary Care", "Community Services", "Medicines Optimisation",
               "Learning Disabilities", "Continuing Healthcare"]
_QUARTERS = [f"FY{y}/{(y + 1) % 100:02d} Q{q}" for y in (2018, 2019) for q in (1, 2, 3, 4)]


def synthetic_intentions(nodes: int = 2000, seed: int = 0) -> list[dict[str, Any]]:
    """Intentions (API shape) whose provider map has about ``nodes`` nodes."""
    rng = random.Random(seed)
    n_comm = max(2, nodes // 80)
    n_prog = min(len(_PROGRAMMES), max(2, nodes // 200))
    n_prov = max(3, nodes // 13)
    n_group = 4
    n_int = max(1, nodes - n_comm - n_prog - n_prov - n_group)
    comms = [{"id": f"{_ID}org/C{i:02d}", "code": f"C{i:02d}", "name": f"NHS Area {i} CCG"}
             for i in range(n_comm)]
    provs = [{"id": f"{_ID}org/R{i:03d}", "code": f"R{i:03d}",
              "name": f"{rng.choice(['North', 'South', 'East', 'West', 'Central'])} District {i} "
                      f"{rng.choice(['Hospitals NHS Trust', 'NHS Foundation Trust', 'Community Services'])}",
              "kind": rng.choice(["acute", "acute", "community", "mental health"])} for i in range(n_prov)]
    groups = [{"id": f"{_ID}group/{g}", "code": None, "name": g, "kind": "group"}
              for g in ("acute", "community", "mental health", "primary care")[:n_group]]
    intentions = []
    for i in range(n_int):
        links = []
        for prov in rng.sample(provs, rng.choice([1, 1, 1, 2, 2, 3])):
            role = rng.choices(["named", "lead", "via-successor"], [8, 2, 1])[0]
            inferred = role == "via-successor" or rng.random() < 0.15
            via = None
            if role == "via-successor":
                old = rng.choice(provs)
                via = {"code": old["code"], "name": old["name"]}
            links.append(prov | {"role": role, "inferred": inferred, "via": via,
                                 "method": "successor" if via else rng.choice(["alias", "fuzzy"])})
        if rng.random() < 0.1:
            links.append(rng.choice(groups) | {"role": "generic", "inferred": False,
                                               "method": "group", "via": None})
        start = rng.randrange(len(_QUARTERS))
        quarters = _QUARTERS[start:start + rng.choice([1, 1, 2, 4])]
        money = ([{"amount": round(rng.uniform(10, 900), 1), "unit": "GBP_thousand",
                   "measure": "savings", "provider": links[0]["code"]}] if rng.random() < 0.3 else [])
        title = f"{rng.choice(['Redesign', 'Re-procure', 'Decommission', 'Expand', 'Integrate'])} " \
                f"{rng.choice(['MSK', 'dermatology', 'ophthalmology', 'stroke', 'IAPT', 'diabetes'])} service {i}"
        intentions.append({
            "id": f"{_ID}intention/bench/{i}", "title": title,
            "programme": rng.choice(_PROGRAMMES[:n_prog]), "pathway": title.split()[1],
            "commissioner": rng.choice(comms), "providers": links,
            "periods": [{"label": quarters[0], "start": "", "end": "", "kind": "period",
                         "text": quarters[0], "quarters": quarters}],
            "money": money,
            "source": {"document": f"bench_{i % 40:02d}.txt", "line": 10 + i, "end_line": 12 + i},
            "text": f"{title}: the commissioner will work with the providers named below.",
        })
    return intentions


def measure_page(path: Path, executable: str = CHROMIUM, width: int = 1600,
                 height: int = 900) -> dict[str, float]:
    """Open ``path`` in headless Chromium and return timings in milliseconds (plus counts)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            requests: list[str] = []
            page.route("**/*", lambda route: (requests.append(route.request.url), route.continue_()))
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
            page.goto(path.as_uri(), wait_until="commit")
            # A selector, not wait_for_function: the page's CSP forbids eval.
            page.wait_for_selector("body[data-ready=true]", state="attached", timeout=60_000)
            timings = page.evaluate("""() => {
                const t = window.cigraphMap.timings;
                const nav = performance.getEntriesByType('navigation')[0];
                return {dom: nav.domContentLoadedEventEnd, script: t.scriptStart,
                        network: t.networkCreated, firstDraw: t.firstDraw, ready: t.ready,
                        nodes: window.cigraphMap.nodes.length, edges: window.cigraphMap.edges.length};
            }""")
            timings["filter"] = page.evaluate("""() => new Promise(resolve => {
                const m = window.cigraphMap, sel = document.getElementById('quarter-filter');
                const t0 = performance.now();
                m.network.once('afterDrawing', () => resolve(performance.now() - t0));
                sel.selectedIndex = 1; sel.dispatchEvent(new Event('change'));
                m.network.redraw();
            })""")
            timings["zoom"] = page.evaluate("""() => new Promise(resolve => {
                const n = window.cigraphMap.network, t0 = performance.now();
                n.once('afterDrawing', () => resolve(performance.now() - t0));
                n.moveTo({scale: n.getScale() * 1.5});
            })""")
            timings["requests"] = float(sum(not u.startswith(("file:", "data:", "about:", "blob:"))
                                            for u in requests))
            timings["errors"] = float(len(errors))
            return timings
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chromium", default=CHROMIUM)
    parser.add_argument("--keep", type=Path, help="also save the page (and PNG) here")
    args = parser.parse_args(argv)

    intentions = synthetic_intentions(args.nodes)
    t0 = time.perf_counter()
    model = provider_map(intentions, title=f"Benchmark: {args.nodes} nodes")
    t1 = time.perf_counter()
    html = render_html(model)
    t2 = time.perf_counter()
    png = render_png(model)
    t3 = time.perf_counter()
    print(f"map: {len(model.nodes)} nodes, {len(model.edges)} links from {len(intentions)} intentions")
    print(f"python: provider_map {1e3 * (t1 - t0):.0f} ms, render_html {1e3 * (t2 - t1):.0f} ms "
          f"({len(html) / 1e6:.2f} MB), render_png {1e3 * (t3 - t2):.0f} ms ({len(png) / 1e3:.0f} kB)")

    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        page = (out / f"bench_{args.nodes}.html").resolve()
        page.write_text(html, encoding="utf-8")
        if args.keep:
            (out / f"bench_{args.nodes}.png").write_bytes(png)
        runs = [measure_page(page, args.chromium) for _ in range(args.runs)]

    keys = ["dom", "firstDraw", "ready", "filter", "zoom"]
    print(f"chromium ({args.runs} runs, ms since navigation; median [min-max]):")
    for key in keys:
        values = [r[key] for r in runs]
        print(f"  {key:<10} {statistics.median(values):8.0f}  [{min(values):.0f}-{max(values):.0f}]")
    print(f"  network requests: {max(r['requests'] for r in runs):.0f}, "
          f"page errors: {max(r['errors'] for r in runs):.0f}")
    ready = statistics.median(r["ready"] for r in runs)
    print(f"usable after {ready / 1e3:.2f} s (target < 5 s): {'OK' if ready < 5000 else 'TOO SLOW'}")


if __name__ == "__main__":
    main()
