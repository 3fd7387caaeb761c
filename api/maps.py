"""Glue between the query service and viz/: which intentions go on a map, rendered how."""
from __future__ import annotations

from typing import Any

from cigraph.graph.analytics import overlaps as find_overlaps
from cigraph.graph.queries import IntentionQuery, Queries

MEDIA = {"html": "text/html; charset=utf-8", "png": "image/png", "svg": "image/svg+xml"}


def build_map(queries: Queries, provider: str | None = None, quarter: str | None = None,
              overlaps: bool = False, commissioner: str | None = None) -> tuple[Any, str]:
    from cigraph.viz.maps import overlap_map, provider_map

    if overlaps:
        return overlap_map(find_overlaps(queries)), "Commissioner overlaps"
    answer = queries.intentions(IntentionQuery(provider=provider, quarter=quarter, commissioner=commissioner,
                                               limit=10**9))
    prov = answer.interpretation.get("provider", {})
    comm = answer.interpretation.get("commissioner", {})
    focus = prov.get("code")
    subject = prov.get("name") or (comm.get("name") and f"intentions of {comm['name']}") or "all intentions"
    title = f"Impact map: {subject}"
    if "quarter" in answer.interpretation:
        title += f", {answer.interpretation['quarter']}"
    return provider_map(answer.results, focus=focus, title=title), title


def render(model: Any, title: str, fmt: str) -> tuple[bytes, str]:
    from cigraph.viz.maps import render_html
    from cigraph.viz.static_image import render_png, render_svg

    if fmt == "png":
        return render_png(model), MEDIA["png"]
    if fmt == "svg":
        return render_svg(model), MEDIA["svg"]
    return render_html(model, title).encode("utf-8"), MEDIA["html"]
