"""A read-only SPARQL 1.1 Protocol endpoint at ``/sparql``.

GET ``?query=`` or POST (``application/x-www-form-urlencoded`` with ``query=``, or
``application/sparql-query``).  Results in the standard formats chosen by the Accept header
(JSON, XML, CSV, TSV for SELECT/ASK; Turtle or N-Triples for CONSTRUCT/DESCRIBE).  Updates
(``update=``, INSERT, DELETE, LOAD, CLEAR, …) are refused with 400.  Every query runs under a
time limit and a row limit.
"""
from __future__ import annotations

import os

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from cigraph.graph.store import GraphStore, QueryRefused, QueryTimeout, StoreError

TIMEOUT_SECONDS = float(os.environ.get("CIGRAPH_SPARQL_TIMEOUT", "10"))
MAX_ROWS = int(os.environ.get("CIGRAPH_SPARQL_MAX_ROWS", "10000"))

SELECT_TYPES = [
    "application/sparql-results+json", "application/sparql-results+xml", "text/csv",
    "text/tab-separated-values",
]
GRAPH_TYPES = ["text/turtle", "application/n-triples"]
ALIASES = {"application/json": "application/sparql-results+json", "application/xml": "application/sparql-results+xml",
           "text/xml": "application/sparql-results+xml", "*/*": None, "text/*": None, "application/*": None}


def choose_type(accept: str | None) -> str | None:
    """The first acceptable media type we can produce (None → the store's default for the query form)."""
    if not accept:
        return None
    ranked = []
    for n, part in enumerate(accept.split(",")):
        bits = [b.strip() for b in part.split(";")]
        q = 1.0
        for b in bits[1:]:
            if b.startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = 0.0
        ranked.append((-q, n, bits[0].lower()))
    for _q, _n, media in sorted(ranked):
        if media in SELECT_TYPES or media in GRAPH_TYPES:
            return media
        if media in ALIASES:
            return ALIASES[media]
    return None


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message}}, status_code=status)


def install(app: FastAPI, store: GraphStore) -> None:
    async def handle(request: Request) -> Response:
        query = None
        if request.method == "GET":
            if "update" in request.query_params:
                return _error(400, "this endpoint is read-only: SPARQL updates are refused")
            query = request.query_params.get("query")
        else:
            ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
            if ctype == "application/sparql-update":
                return _error(400, "this endpoint is read-only: SPARQL updates are refused")
            if ctype == "application/sparql-query":
                query = (await request.body()).decode("utf-8", "replace")
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.form()
                if "update" in form:
                    return _error(400, "this endpoint is read-only: SPARQL updates are refused")
                query = form.get("query")
            else:
                return _error(415, "POST a query as application/sparql-query or as a form field 'query' "
                                   "(application/x-www-form-urlencoded)")
        if not query or not str(query).strip():
            return _error(400, "no query: pass ?query=SELECT … (SPARQL 1.1 Protocol)")
        accept = choose_type(request.headers.get("accept"))
        try:
            body, media = store.query_raw(str(query), accept or "", timeout=TIMEOUT_SECONDS, max_rows=MAX_ROWS)
        except QueryRefused as exc:
            return _error(400, str(exc))
        except QueryTimeout as exc:
            return _error(503, f"{exc} (limit {TIMEOUT_SECONDS:g}s); narrow the query or add LIMIT")
        except StoreError as exc:
            return _error(400, f"the query failed: {exc}")
        except (SyntaxError, ValueError) as exc:
            return _error(400, f"the query is not valid SPARQL: {exc}")
        return Response(body, media_type=media)

    app.add_api_route("/sparql", handle, methods=["GET", "POST"], tags=["sparql"],
                      summary="SPARQL 1.1 query endpoint (read-only)", include_in_schema=True)
