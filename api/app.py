"""The HTTP service (FastAPI): JSON API, plain-English questions, SPARQL, maps and the web page.

Every error is JSON ``{"error": {"status", "message", ...}}`` with a message a person can act on;
every intention in a response carries its source (document file name and line span).
"""
from __future__ import annotations

import csv
import io
from typing import Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from cigraph.api import sparql as sparql_endpoint
from cigraph.api import web
from cigraph.api.ask import ask as answer_question
from cigraph.api.maps import MEDIA, build_map, render
from cigraph.graph.analytics import exposure, overlaps
from cigraph.graph.queries import IntentionQuery, Queries, QueryError, UnknownEntity
from cigraph.graph.registry import Registry
from cigraph.graph.store import GraphStore, StoreError

CSV_COLUMNS = ["id", "title", "commissioner", "programme", "pathway", "providers", "groups", "periods",
               "document", "line", "end_line", "text"]


class ApiError(Exception):
    def __init__(self, status: int, message: str, **extra: Any):
        self.status, self.message, self.extra = status, message, extra


def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"status": status, "message": message, **extra}}


def to_csv(results: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for it in results:
        w.writerow([
            it["id"], it["title"], it["commissioner"]["name"], it["programme"] or "", it["pathway"] or "",
            "; ".join(f"{p['code']} {p['name']} [{p['role']}{', inferred' if p['inferred'] else ''}]" for p in it["providers"]),
            "; ".join(g["name"] for g in it["groups"]),
            "; ".join(p["label"] for p in it["periods"]),
            it["source"]["document"], it["source"]["line"], it["source"]["end_line"], it["text"],
        ])
    return buf.getvalue()


def create_app(store: GraphStore, registry: Registry | None = None) -> FastAPI:
    app = FastAPI(
        title="cigraph",
        description="Provider-impact knowledge graph of NHS commissioning intentions. "
        "Every answer carries its source: document and line.",
        version="0.1.0",
    )
    app.state.store = store
    app.state.queries = Queries(store, registry)

    def queries() -> Queries:
        return app.state.queries

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return JSONResponse(error_body(exc.status, exc.message, **exc.extra), status_code=exc.status)

    @app.exception_handler(UnknownEntity)
    async def _unknown(request: Request, exc: UnknownEntity):
        return JSONResponse(error_body(404, str(exc), kind=exc.kind, query=exc.query, suggestions=exc.suggestions),
                            status_code=404)

    @app.exception_handler(QueryError)
    async def _bad_query(request: Request, exc: QueryError):
        return JSONResponse(error_body(400, str(exc)), status_code=400)

    @app.exception_handler(StoreError)
    async def _store_error(request: Request, exc: StoreError):
        return JSONResponse(error_body(503, f"the graph store failed: {exc}"), status_code=503)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        problems = [f"{'.'.join(str(x) for x in e['loc'][1:])}: {e['msg']}" for e in exc.errors()]
        return JSONResponse(error_body(422, "invalid parameters: " + "; ".join(problems)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        msg = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and msg == "Not Found":
            msg = f"no such page {request.url.path!r}; see /docs for the API"
        return JSONResponse(error_body(exc.status_code, msg), status_code=exc.status_code)

    @app.get("/api/intentions", tags=["intentions"])
    def intentions(
        provider: str | None = Query(None, description="ODS code, name or alias, e.g. RC1 or BHT"),
        quarter: str | None = Query(None, description='"FY2018/19 Q1", "Q1 2018/19", "2018/19 Q1" or "Q1" (any year)'),
        fy: str | None = Query(None, description="financial year, e.g. 2018/19"),
        commissioner: str | None = Query(None, description="commissioner code or name"),
        programme: str | None = None,
        pathway: str | None = None,
        text: str | None = None,
        match: Literal["overlaps", "starts", "due"] = "overlaps",
        include_successors: bool = True,
        limit: int = Query(100, ge=0, le=10000),
        offset: int = Query(0, ge=0),
        format: Literal["json", "csv"] = "json",
    ):
        """Intentions matching every filter given, each with providers, periods and its source line."""
        answer = queries().intentions(IntentionQuery(
            provider=provider, quarter=quarter, fy=fy, commissioner=commissioner, programme=programme,
            pathway=pathway, text=text, match=match, include_successors=include_successors,
            limit=limit, offset=offset,
        ))
        if format == "csv":
            return Response(to_csv(answer.results), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": 'attachment; filename="intentions.csv"'})
        return answer.as_dict()

    @app.get("/api/intention", tags=["intentions"])
    def intention(id: str = Query(..., description="intention IRI")):
        """One intention by its IRI."""
        item = queries().get(id)
        if item is None:
            raise ApiError(404, f"no intention with id {id!r}; ids come from /api/intentions results")
        return item

    @app.get("/api/ask", tags=["intentions"])
    def ask(q: str = Query(..., min_length=1, description='e.g. "which intentions affect BHT in Q1"'),
            limit: int = Query(100, ge=0, le=10000), offset: int = Query(0, ge=0)):
        """A plain-English question, answered with the interpretation used."""
        try:
            return answer_question(queries(), q, limit=limit, offset=offset)
        except QueryError:
            raise  # has its own handler
        except ValueError as exc:  # a question that cannot be read at all
            raise ApiError(400, str(exc)) from exc

    @app.get("/api/providers", tags=["organisations"])
    def providers(q: str | None = None, limit: int = Query(20, ge=1, le=1000)):
        """Providers named by some intention (for search); `q` filters by code, name or alias."""
        items = queries().providers()
        if q:
            needle = q.lower()
            items = [p for p in items if needle in p["code"].lower() or needle in (p["name"] or "").lower()
                     or any(needle in a.lower() for a in p["aliases"])]
        return {"results": items[:limit], "total": len(items)}

    @app.get("/api/providers/{provider}/exposure", tags=["organisations"])
    def provider_exposure(provider: str, include_successors: bool = True):
        """Every intention naming the provider, by quarter, programme and commissioner, with £ and procurements."""
        return exposure(queries(), provider, include_successors)

    @app.get("/api/commissioners", tags=["organisations"])
    def commissioners():
        return {"results": queries().commissioners()}

    @app.get("/api/quarters", tags=["intentions"])
    def quarters():
        return {"results": queries().quarters()}

    @app.get("/api/overlaps", tags=["analytics"])
    def get_overlaps(min_similarity: float = Query(0.3, ge=0.0, le=1.0)):
        """Commissioners sharing providers, and sharing themes (same pathway or similar text)."""
        return overlaps(queries(), min_similarity=min_similarity)

    def _map_response(model_title, fmt: str) -> Response:
        model, title = model_title
        data, media = render(model, title, fmt)
        return Response(data, media_type=media)

    @app.get("/maps/provider/{provider}.png", tags=["maps"], response_class=Response)
    def provider_map_png(provider: str, quarter: str | None = None):
        return _map_response(build_map(queries(), provider=provider, quarter=quarter), "png")

    @app.get("/maps/provider/{provider}.svg", tags=["maps"], response_class=Response)
    def provider_map_svg(provider: str, quarter: str | None = None):
        return _map_response(build_map(queries(), provider=provider, quarter=quarter), "svg")

    @app.get("/maps/provider/{provider}", tags=["maps"], response_class=Response)
    def provider_map_html(provider: str, quarter: str | None = None, download: bool = False):
        resp = _map_response(build_map(queries(), provider=provider, quarter=quarter), "html")
        if download:
            resp.headers["Content-Disposition"] = f'attachment; filename="impact-map-{provider}.html"'
        return resp

    @app.get("/maps/commissioner/{commissioner}.png", tags=["maps"], response_class=Response)
    def commissioner_map_png(commissioner: str, quarter: str | None = None):
        return _map_response(build_map(queries(), commissioner=commissioner, quarter=quarter), "png")

    @app.get("/maps/commissioner/{commissioner}.svg", tags=["maps"], response_class=Response)
    def commissioner_map_svg(commissioner: str, quarter: str | None = None):
        return _map_response(build_map(queries(), commissioner=commissioner, quarter=quarter), "svg")

    @app.get("/maps/commissioner/{commissioner}", tags=["maps"], response_class=Response)
    def commissioner_map_html(commissioner: str, quarter: str | None = None, download: bool = False):
        """A commissioner's intentions with the providers and programmes they touch."""
        resp = _map_response(build_map(queries(), commissioner=commissioner, quarter=quarter), "html")
        if download:
            resp.headers["Content-Disposition"] = f'attachment; filename="impact-map-{commissioner}.html"'
        return resp

    @app.get("/maps/overlaps", tags=["maps"], response_class=Response)
    def overlaps_map(format: Literal["html", "png", "svg"] = "html"):
        return _map_response(build_map(queries(), overlaps=True), format)

    sparql_endpoint.install(app, store)
    web.install(app)
    return app


__all__ = ["create_app", "ApiError", "MEDIA"]
