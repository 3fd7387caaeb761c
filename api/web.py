"""The web page at ``/``: search a provider or commissioner, pick a quarter, see what changes.

Server-rendered (Jinja2, autoescape on) and usable without JavaScript: the intentions table,
the search suggestions (``<datalist>``) and the quarter picker are plain HTML, and the form
is a GET form, so every view is a shareable URL.  The same view is available as JSON by adding
``format=json`` (datasette style): the JSON is exactly the data the page is rendered from.

Document text is untrusted: it only reaches the page through Jinja2's autoescaping, and the
page's Content-Security-Policy allows no script at all and no request to another origin.  The
NHS.UK frontend stylesheet is vendored in ``static/`` (its web-font rules removed), so the page
makes no external request either — it works offline and behind strict proxies.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from cigraph.api.ask import ask
from cigraph.graph.analytics import exposure
from cigraph.graph.queries import IntentionQuery, Queries, QueryError, UnknownEntity

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 200
CSV_LIMIT = 10000  # the most /api/intentions returns in one response
MATCH_MODES = {
    "overlaps": "Active during the period",
    "starts": "Starting in the period",
    "due": "Due by the end of the period",
}
UNITS = {"GBP": ("£", ""), "GBP_thousand": ("£", "k"), "GBP_million": ("£", "m")}
UNIT_FACTORS = {"GBP": 1.0, "GBP_thousand": 1_000.0, "GBP_million": 1_000_000.0}

CSP = "; ".join([
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self' data:",
    "frame-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'self'",
])

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(HERE / "templates")),
    autoescape=True,  # every template, whatever its extension
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


# -- formatting helpers (also used by the templates) ----------------------------------------------
def money_text(amount: float | None, unit: str | None) -> str:
    """An amount as the document gave it: 350 GBP_thousand → "£350k", 1.2 GBP_million → "£1.2m"."""
    if amount is None:
        return ""
    sign, suffix = UNITS.get(unit or "GBP", ("", f" {unit}"))
    if suffix:
        text = f"{amount:,.2f}".rstrip("0").rstrip(".")
    else:
        text = f"{amount:,.0f}" if float(amount).is_integer() or abs(amount) >= 100 else f"{amount:,.2f}"
    return f"{'-' if amount < 0 else ''}{sign}{text.lstrip('-')}{suffix}"


def pounds_text(gbp: float | None) -> str:
    if gbp is None or (isinstance(gbp, float) and math.isnan(gbp)):
        return ""
    return f"{'-' if gbp < 0 else ''}£{abs(gbp):,.0f}"


def label_text(value: str | None) -> str:
    """"via-successor" → "via successor", "QIPP_saving" → "QIPP saving"."""
    return re.sub(r"[_-]+", " ", value or "").strip()


def source_text(source: dict[str, Any] | None) -> str:
    if not source:
        return ""
    line, end = source.get("line"), source.get("end_line")
    span = f"{line}" if not end or end <= line else f"{line}–{end}"
    return f"{source.get('document')}:{span}"


def quarter_span(quarters: list[str]) -> str:
    """["FY2018/19 Q1", …, "FY2018/19 Q4"] → "FY2018/19 Q1 – FY2018/19 Q4"."""
    if not quarters:
        return ""
    if len(quarters) <= 2:
        return ", ".join(quarters)
    return f"{quarters[0]} – {quarters[-1]}"


def preview(text: str, limit: int = 420) -> tuple[str, str]:
    """Split ``text`` at a word boundary near ``limit``: (shown part, the rest or "")."""
    if len(text) <= limit * 1.25:
        return text, ""
    cut = text.rfind(" ", 0, limit)
    cut = cut if cut > limit // 2 else limit
    return text[:cut].rstrip(" ,;:"), text[cut:].strip()


def url(path: str, **params: Any) -> str:
    clean = {k: v for k, v in params.items() if v not in (None, "", False)}
    return path + ("?" + urlencode(clean) if clean else "")


_env.filters.update(money=money_text, pounds=pounds_text, label=label_text, source=source_text,
                    quarter_span=quarter_span, preview=preview)
_env.globals.update(url=url, MATCH_MODES=MATCH_MODES)


# -- the view model -------------------------------------------------------------------------------
def _quarter_groups(labels: list[str]) -> list[dict[str, Any]]:
    """"FY2018/19 Q1" labels grouped by financial year for the quarter <select>."""
    groups: dict[str, list[dict[str, str]]] = {}
    for label in labels:
        m = re.match(r"FY(\d{4}/\d{2}) (Q[1-4])$", label)
        if not m:
            continue
        fy, q = m.groups()
        groups.setdefault(fy, []).append({"value": label, "label": f"{q} {fy}"})
    return [{"fy": fy, "whole_year": {"value": f"FY{fy}", "label": f"All of {fy}"}, "quarters": qs}
            for fy, qs in groups.items()]


def _options(queries: Queries) -> dict[str, Any]:
    providers = queries.providers()
    commissioners = queries.commissioners()
    provider_suggestions: list[dict[str, str]] = []
    seen: set[str] = set()

    def add(value: str | None, label: str) -> None:
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            provider_suggestions.append({"value": value, "label": label})

    for p in providers:
        if not p["code"]:
            continue
        add(p["code"], f"{p['name']} ({p['intentions']} intentions)")
    for p in providers:
        if p["code"]:
            add(p["name"], p["code"])
            for alias in p.get("aliases") or []:
                add(alias, f"{p['name']} ({p['code']})")
    commissioner_suggestions = []
    for c in commissioners:
        commissioner_suggestions.append({"value": c["code"] or c["name"],
                                         "label": f"{c['name']} ({c['intentions']} intentions)"})
    quarters = queries.quarters()
    return {
        "quarters": quarters,
        "quarter_groups": _quarter_groups(quarters),
        "providers": provider_suggestions,
        "commissioners": commissioner_suggestions,
        "match_modes": MATCH_MODES,
    }


def _overview(queries: Queries) -> dict[str, Any]:
    providers = [p for p in queries.providers() if p["code"]]
    commissioners = queries.commissioners()
    documents = sorted({d for c in commissioners for d in c["documents"]})
    return {
        "intentions": len(queries.snapshot.intentions),
        "documents": documents,
        "commissioners": [{"code": c["code"], "name": c["name"], "intentions": c["intentions"],
                           "documents": c["documents"]} for c in commissioners],
        "top_providers": [{"code": p["code"], "name": p["name"], "intentions": p["intentions"]}
                          for p in providers[:12]],
    }


def _params(request: Request) -> dict[str, str]:
    qp = request.query_params
    form = {k: (qp.get(k) or "").strip() for k in ("provider", "commissioner", "quarter", "q", "match")}
    if form["match"] not in MATCH_MODES:
        form["match"] = "overlaps"
    return form


def _offset(request: Request) -> int:
    try:
        return max(0, int(request.query_params.get("offset") or 0))
    except ValueError:
        raise QueryError("offset must be a whole number")


def _map_links(base: str, path: str, quarter: str | None, label: str) -> dict[str, str]:
    """The map of a provider or commissioner: page, downloads and an embed snippet."""
    from cigraph.viz.maps import embed_snippet

    page = url(path, quarter=quarter)
    return {
        "map": page,
        "map_download": url(path, quarter=quarter, download="true"),
        "map_png": url(path + ".png", quarter=quarter),
        "map_svg": url(path + ".svg", quarter=quarter),
        "embed": embed_snippet(base + page, height=600, title=f"cigraph impact map: {label}"),
    }


def _links(request: Request, form: dict[str, str], provider_code: str | None,
           commissioner: str | None, quarter: str | None) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/")
    filters = {"provider": provider_code, "commissioner": commissioner, "quarter": quarter,
               "match": form["match"] if form["match"] != "overlaps" else None}
    links: dict[str, Any] = {
        "csv": url("/api/intentions", **filters, limit=CSV_LIMIT, format="csv"),
        "json": url("/api/intentions", **filters, limit=CSV_LIMIT),
    }
    if provider_code:
        links.update(_map_links(base, f"/maps/provider/{quote(provider_code, safe='')}", quarter, provider_code))
        links["exposure"] = f"/api/providers/{quote(provider_code, safe='')}/exposure"
    elif commissioner:
        links.update(_map_links(base, f"/maps/commissioner/{quote(commissioner, safe='')}", quarter, commissioner))
    return links


def _looks_like_commissioner(queries: Queries, text: str) -> dict[str, Any] | None:
    """A provider search that exactly names a commissioner (and no provider) is a commissioner search."""
    t = text.casefold().strip()
    for p in queries.providers():
        if t in {(p["code"] or "").casefold(), (p["name"] or "").casefold(),
                 *[a.casefold() for a in p.get("aliases") or []]}:
            return None
    for c in queries.commissioners():
        if t in {(c["code"] or "").casefold(), (c["name"] or "").casefold()}:
            return c
    return None


def build_view(request: Request, queries: Queries) -> tuple[int, dict[str, Any]]:
    """Everything the page shows, as plain data, and the HTTP status to answer with."""
    form = _params(request)
    view: dict[str, Any] = {
        "query": dict(form),
        "status": 200,
        "error": None,
        "notes": [],
        "interpretation": None,
        "results": [],
        "total": 0,
        "offset": 0,
        "page_size": PAGE_SIZE,
        "exposure": None,
        "links": None,
        "overview": None,
        "options": _options(queries),
    }
    searched = any(form[k] for k in ("provider", "commissioner", "quarter", "q"))
    if not searched:
        view["overview"] = _overview(queries)
        return 200, view
    try:
        offset = _offset(request)
        view["offset"] = offset
        if form["provider"] and not form["commissioner"]:
            comm = _looks_like_commissioner(queries, form["provider"])
            if comm is not None:
                view["notes"].append(f"{form['provider']!s} is a commissioner, so this shows the intentions "
                                     f"{comm['name']} published.")
                form["commissioner"], form["provider"] = comm["code"] or comm["name"], ""
                view["query"].update(provider="", commissioner=form["commissioner"])
        if form["q"]:
            answer = ask(queries, form["q"], limit=PAGE_SIZE, offset=offset)
            interp = answer["interpretation"]
            results, total = answer["results"], answer["total"]
        else:
            ans = queries.intentions(IntentionQuery(
                provider=form["provider"] or None, commissioner=form["commissioner"] or None,
                quarter=form["quarter"] or None, match=form["match"], limit=PAGE_SIZE, offset=offset))
            interp, results, total = ans.interpretation, ans.results, ans.total
    except UnknownEntity as exc:
        view.update(status=404, error={
            "status": 404, "kind": exc.kind, "query": exc.query, "message": str(exc),
            "suggestions": [dict(s, href=url("/", **{exc.kind if exc.kind in ("provider", "commissioner")
                                                     else "provider": s["code"]},
                                              quarter=form["quarter"], match=form["match"]
                                              if form["match"] != "overlaps" else None))
                            for s in exc.suggestions],
        })
        return 404, view
    except (QueryError, ValueError) as exc:
        view.update(status=400, error={"status": 400, "message": str(exc), "suggestions": []})
        return 400, view
    view.update(interpretation=interp, results=results, total=total)
    page_json = url("/", **{k: v for k, v in view["query"].items() if k != "match" or v != "overlaps"},
                    offset=offset or None, format="json")

    provider = interp.get("provider") if isinstance(interp.get("provider"), dict) else None
    provider_code = provider.get("code") if provider else None
    commissioner = interp.get("commissioner") if isinstance(interp.get("commissioner"), dict) else None
    quarter = interp.get("quarter") if form["q"] else (form["quarter"] or None)
    if isinstance(quarter, str) and quarter.endswith("(any year)"):
        quarter = quarter.split()[0]  # "Q1 (any year)" → "Q1", which the API and maps accept
    comm_filter = (commissioner.get("code") or commissioner.get("name")) if commissioner else None
    if form["q"] and interp.get("kind") == "theme":
        view["links"] = {"csv": None, "json": url("/api/ask", q=form["q"])}
    else:
        view["links"] = _links(request, form, provider_code, comm_filter, quarter)
    view["links"]["page_json"] = page_json
    if provider_code:
        view["exposure"] = exposure(queries, provider_code)
    return 200, view


# -- the app --------------------------------------------------------------------------------------
def render_page(view: dict[str, Any]) -> str:
    return _env.get_template("index.html").render(view=view, **view)


def install(app: FastAPI) -> None:
    """Mount the page at ``/`` and its stylesheets at ``/static``."""
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    def page(request: Request) -> Response:
        queries: Queries = request.app.state.queries
        status, view = build_view(request, queries)
        if request.query_params.get("format") == "json":
            return JSONResponse(view, status_code=status)
        return HTMLResponse(render_page(view), status_code=status,
                            headers={"Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer",
                                     "X-Content-Type-Options": "nosniff"})


__all__ = ["install", "build_view", "render_page", "money_text", "pounds_text"]
