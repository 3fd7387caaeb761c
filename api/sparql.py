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

from cigraph.graph.store import FormatNotAcceptable, GraphStore, QueryRefused, QueryTimeout, StoreError

TIMEOUT_SECONDS = float(os.environ.get("CIGRAPH_SPARQL_TIMEOUT", "10"))
MAX_ROWS = int(os.environ.get("CIGRAPH_SPARQL_MAX_ROWS", "10000"))

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
        accept = request.headers.get("accept") or ""
        try:
            # the store negotiates the format per query form (results for SELECT/ASK, RDF for CONSTRUCT)
            body, media = store.query_raw(str(query), accept, timeout=TIMEOUT_SECONDS, max_rows=MAX_ROWS)
        except FormatNotAcceptable as exc:
            return _error(406, str(exc))
        except QueryRefused as exc:
            return _error(400, str(exc))
        except QueryTimeout as exc:
            return _error(503, f"{exc} (limit {TIMEOUT_SECONDS:g}s); narrow the query or add LIMIT")
        except StoreError as exc:
            return _error(400, f"the query failed: {exc}")
        except (SyntaxError, ValueError) as exc:
            return _error(400, f"the query is not valid SPARQL: {exc}")
        return Response(body, media_type=media)

    for method in ("GET", "POST"):
        app.add_api_route("/sparql", handle, methods=[method], tags=["sparql"], operation_id=f"sparql_{method.lower()}",
                          summary=f"SPARQL 1.1 query endpoint, {method} (read-only)")
