"""The graph store: the one small interface every layer uses to read and write the RDF graph.

Callers depend on the :class:`GraphStore` protocol only and get an implementation from
:func:`open_store`:

* ``open_store(path)`` → :class:`OxigraphStore` on disk (the directory is created if missing);
* ``open_store("memory")`` or ``open_store(None)`` → :class:`OxigraphStore` in memory;
* ``open_store("http://host:7878/query")`` → :class:`RemoteSparqlStore` against a SPARQL 1.1
  Query + Update endpoint.

Data is kept as *named graphs*: one per source document plus the organisation registry graph
(see :mod:`cigraph.ontology`).  For queries the default graph is the **union of all graphs**,
so ``SELECT ... WHERE { ?i cig:affects ?org }`` sees everything, and ``GRAPH ?g {...}`` still
tells which document a statement came from.

What Oxigraph (pyoxigraph 0.5) guarantees, and how this module relies on it
---------------------------------------------------------------------------
* **Atomic replace.**  ``Store.update`` runs a whole SPARQL Update *request* — several
  operations separated by ``;`` — in one transaction: "either the full operation succeeds, or
  nothing is written".  We checked it (and ``tests/test_store.py`` keeps checking it): a request
  ``DROP GRAPH <g>; INSERT DATA {...}; DROP GRAPH <missing>`` fails on its last operation and
  leaves ``<g>`` untouched.  :meth:`replace_graphs` therefore converts and checks every term in
  Python first (invalid IRIs, language tags and ill-typed literals raise :class:`StoreError`
  before anything is written), then applies *one* update request for all the graphs.
* **Fast replace.**  Deleting and re-inserting 50k quads costs ~2.7 s on disk, so a replace
  sends only the difference: ``DELETE DATA`` for statements that went, ``INSERT DATA`` for those
  that came.  Statements with blank nodes cannot be named in ``DELETE DATA``: they are deleted
  with a pattern and inserted again; so are literals Oxigraph stores in canonical form
  (``"01"^^xsd:integer`` reads back as ``"1"``).  Measured on a 2-core machine, on disk, 54k
  triples (10% with blank nodes): first load 1.4 s, unchanged reload 0.8 s, everything changed
  3.2 s; the five seed documents plus the registry (21k triples) 0.4 s, reload 0.2 s.
* **Readers never see half a replace.**  Oxigraph gives "repeatable read" isolation: a query
  sees the store as it was when the query started.
* **One writer process.**  An on-disk store is a RocksDB directory with a ``LOCK`` file: a
  second process opening it read-write fails, which we report as :class:`StoreLocked` naming the
  directory.  ``OxigraphStore(path, read_only=True)`` uses ``Store.read_only``: it opens a
  *snapshot* as of opening time, and pyoxigraph documents that opening read-only "while having
  another process writing the database is undefined behavior".  (0.5 has no secondary/follower
  mode.)  So when the web server holds the directory, other processes (the CLI) should talk to
  it over HTTP, or open read-only only while nothing writes.
* **Timeouts are best-effort.**  A running Oxigraph query cannot be interrupted.  With a timeout
  the query runs in a worker thread (pyoxigraph releases the GIL while evaluating); the caller
  gets :class:`QueryTimeout` at the deadline, and the worker stops at the next solution or the
  next chunk of serialised output.  Work done *before* the first solution (a big ``ORDER BY``
  or ``GROUP BY``) runs to its end in the background, holding one of ``max_query_workers``
  threads; queued queries count their wait against their own timeout.
"""
from __future__ import annotations

import concurrent.futures
import io
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pyoxigraph as ox
import rdflib
from rdflib.term import BNode, Literal, Node, URIRef

from cigraph.ontology import CIG, DOCS, GROUPS, ID, ORGS

__all__ = [
    "GraphStore", "OxigraphStore", "RemoteSparqlStore", "open_store",
    "StoreError", "QueryRefused", "QueryTimeout", "StoreLocked", "QuerySyntaxError",
    "FormatNotAcceptable", "query_form", "PREFIXES", "RESULT_MEDIA_TYPES", "GRAPH_MEDIA_TYPES",
    "EXPORT_FORMATS",
]


# --------------------------------------------------------------------------------------------
# errors


class StoreError(Exception):
    """Something went wrong reading or writing the graph store; the message says what."""


class QueryRefused(StoreError):
    """The text is a SPARQL *update* (or otherwise not a query) where only queries are allowed."""


class QueryTimeout(StoreError):
    """A query did not finish within its time limit."""


class StoreLocked(StoreError):
    """Another process holds the on-disk store open for writing."""


class QuerySyntaxError(StoreError):
    """The SPARQL text does not parse."""


class FormatNotAcceptable(StoreError):
    """No serialisation this store can produce matches the requested media type(s)."""


# --------------------------------------------------------------------------------------------
# vocabulary and formats

#: Prefixes used when serialising Turtle / TriG exports.
PREFIXES: dict[str, str] = {
    "cig": str(CIG),
    "cigid": str(ID),
    "org-id": str(ORGS),
    "group": str(GROUPS),
    "doc": str(DOCS),
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "time": "http://www.w3.org/2006/time#",
    "org": "http://www.w3.org/ns/org#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

#: Media types for SELECT / ASK results (SPARQL 1.1 result formats).
RESULT_MEDIA_TYPES: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
#: Media types for CONSTRUCT / DESCRIBE results (RDF serialisations).
GRAPH_MEDIA_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
_MEDIA_ALIASES = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "text/tsv": "text/tab-separated-values",
    "application/x-turtle": "text/turtle",
    "text/plain": "application/n-triples",
}
#: ``export`` formats: name → (pyoxigraph format, whether named graphs are kept).
EXPORT_FORMATS: dict[str, tuple[ox.RdfFormat, bool]] = {
    "turtle": (ox.RdfFormat.TURTLE, False),
    "ntriples": (ox.RdfFormat.N_TRIPLES, False),
    "nquads": (ox.RdfFormat.N_QUADS, True),
    "trig": (ox.RdfFormat.TRIG, True),
    "jsonld": (ox.RdfFormat.JSON_LD, True),
}

_XSD = "http://www.w3.org/2001/XMLSchema#"
_RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_INTEGER_TYPES = {
    _XSD + t
    for t in (
        "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
        "nonPositiveInteger", "negativeInteger", "unsignedInt", "unsignedLong", "unsignedShort",
        "unsignedByte",
    )
}
_FLOAT_TYPES = {_XSD + "decimal", _XSD + "double", _XSD + "float"}


# --------------------------------------------------------------------------------------------
# the protocol


@runtime_checkable
class GraphStore(Protocol):
    """What callers may use.  Graph names are absolute IRIs given as strings."""

    def replace_graph(self, graph_iri: str, data: rdflib.Graph) -> None:
        """Make the named graph hold exactly ``data`` — all or nothing (empty data drops it)."""

    def replace_graphs(self, graphs: dict[str, rdflib.Graph]) -> None:
        """:meth:`replace_graph` for several graphs in one all-or-nothing step."""

    def remove_graph(self, graph_iri: str) -> bool:
        """Drop a named graph; True if it existed."""

    def graphs(self) -> list[str]:
        """The named graphs, sorted."""

    def select(self, sparql: str, timeout: float | None = None) -> list[dict[str, object]]:
        """Rows of Python values; IRIs as str, unbound variables as None."""

    def ask(self, sparql: str) -> bool: ...

    def construct(self, sparql: str) -> rdflib.Graph: ...

    def query_raw(
        self, sparql: str, accept: str, timeout: float | None = None, max_rows: int | None = None
    ) -> tuple[bytes, str]:
        """Results serialised in a SPARQL 1.1 standard format; returns (body, media type)."""

    def export(self, fmt: str) -> bytes:
        """The whole store as "turtle" (graphs merged), "ntriples", "nquads", "trig" or "jsonld"."""

    def triple_count(self) -> int:
        """Statements in the store, counted per graph (a quad count)."""

    def close(self) -> None: ...


# --------------------------------------------------------------------------------------------
# SPARQL text helpers

_PROLOGUE = re.compile(
    r"(?:\s+|\#[^\n]*|PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s*<[^>]*>)*", re.IGNORECASE
)
_FIRST_WORD = re.compile(r"[A-Za-z]+")
_QUERY_FORMS = {"SELECT", "CONSTRUCT", "ASK", "DESCRIBE"}
_UPDATE_WORDS = {
    "INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH",
}


def query_form(sparql: str) -> str:
    """Return "SELECT", "CONSTRUCT", "ASK" or "DESCRIBE" for a SPARQL query.

    Raises :class:`QueryRefused` for SPARQL updates and :class:`QuerySyntaxError` for text that
    is neither.  (This is only for clear messages: updates could not run anyway, as queries go
    to Oxigraph's query parser, which rejects update syntax.)
    """
    if not isinstance(sparql, str) or not sparql.strip():
        raise QuerySyntaxError("empty query: send a SPARQL SELECT, ASK, CONSTRUCT or DESCRIBE query")
    rest = sparql[_PROLOGUE.match(sparql).end():]
    match = _FIRST_WORD.match(rest)
    word = match.group(0).upper() if match else ""
    if word in _QUERY_FORMS:
        return word
    if word in _UPDATE_WORDS:
        raise QueryRefused(
            f"this endpoint only answers queries, and the text is a SPARQL update ({word}): "
            "send a SELECT, ASK, CONSTRUCT or DESCRIBE query; to change the graph, reload the "
            "documents with the cigraph loader"
        )
    raise QuerySyntaxError(
        f"not a SPARQL query: expected SELECT, ASK, CONSTRUCT or DESCRIBE after the prologue, "
        f"found {rest[:40]!r}"
    )


def _check_graph_iri(graph_iri: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(str(graph_iri))
    except (ValueError, TypeError) as exc:
        raise StoreError(f"graph name {graph_iri!r} is not an absolute IRI: {exc}") from exc


# --------------------------------------------------------------------------------------------
# term conversion: rdflib ↔ pyoxigraph ↔ Python values


def _to_ox(term: Node, bnodes: dict[BNode, ox.BlankNode]) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """Convert an rdflib term, checking it: bad IRIs, language tags and ill-typed literals raise."""
    if isinstance(term, URIRef):
        try:
            return ox.NamedNode(str(term))
        except ValueError as exc:
            raise StoreError(f"invalid IRI <{term}>: {exc}") from exc
    if isinstance(term, BNode):
        node = bnodes.get(term)
        if node is None:
            node = bnodes[term] = ox.BlankNode()
        return node
    if isinstance(term, Literal):
        if term.language:
            try:
                return ox.Literal(str(term), language=term.language)
            except ValueError as exc:
                raise StoreError(f"invalid language tag {term.language!r} on {term!r}: {exc}") from exc
        if term.datatype is not None:
            if getattr(term, "ill_typed", False):
                raise StoreError(
                    f"ill-typed literal {str(term)!r}^^<{term.datatype}>: the text is not a valid "
                    f"value of that datatype"
                )
            try:
                return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
            except ValueError as exc:
                raise StoreError(f"invalid datatype IRI <{term.datatype}>: {exc}") from exc
        return ox.Literal(str(term))
    raise StoreError(f"unsupported RDF term {term!r} ({type(term).__name__})")


def _triple_to_ox(triple: tuple[Node, Node, Node], bnodes: dict) -> ox.Triple:
    s, p, o = triple
    if isinstance(s, Literal):
        raise StoreError(f"a literal cannot be a subject: {_show(s)} {_show(p)} {_show(o)}")
    if not isinstance(p, URIRef):
        raise StoreError(f"a predicate must be an IRI: {_show(s)} {_show(p)} {_show(o)}")
    try:
        return ox.Triple(_to_ox(s, bnodes), _to_ox(p, bnodes), _to_ox(o, bnodes))
    except StoreError as exc:
        raise StoreError(f"{exc} (in triple {_show(s)} {_show(p)} {_show(o)})") from exc


def _show(term: Node) -> str:
    """A term for an error message (``n3()`` refuses invalid IRIs, which are what we report)."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    return repr(term)


def _from_ox(term: Any) -> Node:
    """Convert a pyoxigraph term to rdflib."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        return Literal(term.value, datatype=None if dt == _XSD + "string" else URIRef(dt))
    raise StoreError(f"unsupported term from the store: {term!r}")


def _to_python(term: Any) -> object:
    """A store term as a plain Python value (see :meth:`GraphStore.select`)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, ox.Literal):
        dt = term.datatype.value
        value = term.value
        if dt == _XSD + "string" or dt == _RDF_LANGSTRING:
            return value
        try:
            if dt in _INTEGER_TYPES:
                return int(value)
            if dt in _FLOAT_TYPES:
                return float(value)
            if dt == _XSD + "boolean":
                return value in ("true", "1")
        except ValueError:
            return value
        converted = Literal(value, datatype=URIRef(dt)).toPython()
        if isinstance(converted, Decimal):
            return float(converted)
        if isinstance(converted, Literal):  # unknown datatype or ill-typed: keep the text
            return value
        return converted
    return str(term)


def _has_bnode(triple: ox.Triple) -> bool:
    return isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode)


def _ntriples(triples: Iterable[ox.Triple]) -> str:
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")


def _convert_graphs(graphs: dict[str, rdflib.Graph]) -> dict[str, set[ox.Triple]]:
    """Check and convert every graph before anything is written."""
    if not isinstance(graphs, dict):
        raise StoreError(f"expected a dict of graph IRI → rdflib.Graph, got {type(graphs).__name__}")
    bnodes: dict[BNode, ox.BlankNode] = {}
    converted: dict[str, set[ox.Triple]] = {}
    for iri, data in graphs.items():
        _check_graph_iri(iri)
        if not isinstance(data, rdflib.Graph):
            raise StoreError(f"data for graph <{iri}> is a {type(data).__name__}, not an rdflib.Graph")
        try:
            converted[str(iri)] = {_triple_to_ox(t, bnodes) for t in data.triples((None, None, None))}
        except StoreError as exc:
            raise StoreError(f"graph <{iri}>: {exc}") from exc
    return converted


# --------------------------------------------------------------------------------------------
# media type negotiation and result serialisation


def _accepted(accept: str) -> list[str]:
    """Media types of an Accept value, best first (q=0 dropped)."""
    ranked = []
    for position, item in enumerate((accept or "*/*").split(",")):
        parts = [p.strip() for p in item.split(";")]
        media = parts[0].lower()
        q = 1.0
        for param in parts[1:]:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if media and q > 0:
            ranked.append((-q, position, _MEDIA_ALIASES.get(media, media)))
    return [m for _, _, m in sorted(ranked)]


def _negotiate(accept: str, form: str) -> str:
    """Pick the media type to answer ``form`` (SELECT/ASK/CONSTRUCT/DESCRIBE) with."""
    table = GRAPH_MEDIA_TYPES if form in ("CONSTRUCT", "DESCRIBE") else RESULT_MEDIA_TYPES
    default = next(iter(table)) if table is RESULT_MEDIA_TYPES else "text/turtle"
    for media in _accepted(accept):
        if media in table:
            return media
        if media == "*/*":
            return default
        if media.endswith("/*"):
            family = [m for m in table if m.startswith(media[:-1])]
            if family:
                return family[0]
    raise FormatNotAcceptable(
        f"cannot answer a {form} query as {accept!r}; supported: {', '.join(table)}"
    )


def _solutions_to_tsv(variables: list[ox.Variable], rows: Iterable[Any]) -> str:
    """SPARQL TSV for solutions (terms in N-Triples syntax, as the TSV format specifies)."""
    names = [v.value for v in variables]
    out = ["\t".join("?" + n for n in names)]
    for row in rows:
        out.append("\t".join("" if row[n] is None else str(row[n]) for n in names))
    return "\n".join(out) + "\n"


class _Cancelled(Exception):
    """Raised inside a worker when its caller has given up waiting."""


class _CancellableSink(io.BytesIO):
    """Output buffer that aborts the serialisation feeding it once the caller gave up."""

    def __init__(self, cancelled: Callable[[], bool]):
        super().__init__()
        self._cancelled = cancelled

    def write(self, data) -> int:  # type: ignore[override]
        if self._cancelled():
            raise _Cancelled()
        return super().write(data)


def _serialize_results(
    results: Any, form: str, media: str, max_rows: int | None, cancelled: Callable[[], bool]
) -> bytes:
    """Serialise pyoxigraph query results (solutions, boolean or triples) as ``media``."""
    if form in ("CONSTRUCT", "DESCRIBE"):
        fmt = GRAPH_MEDIA_TYPES[media]
        triples = []
        for i, triple in enumerate(results):
            if max_rows is not None and i >= max_rows:
                break
            if i % 512 == 0 and cancelled():
                raise _Cancelled()
            triples.append(triple)
        prefixes = PREFIXES if fmt in (ox.RdfFormat.TURTLE,) else None
        return ox.serialize(triples, format=fmt, prefixes=prefixes)
    fmt = RESULT_MEDIA_TYPES[media]
    if form == "SELECT" and max_rows is not None:
        variables = results.variables
        kept = []
        for i, row in enumerate(results):
            if i >= max_rows:
                break
            if i % 512 == 0 and cancelled():
                raise _Cancelled()
            kept.append(row)
        # Re-parse through the standard TSV format so that every output format comes from
        # Oxigraph's own (standard-conformant) result serialisers.
        results = ox.parse_query_results(_solutions_to_tsv(variables, kept), ox.QueryResultsFormat.TSV)
    sink = _CancellableSink(cancelled)
    results.serialize(sink, format=fmt)
    return sink.getvalue()


def _rows(results: Any, cancelled: Callable[[], bool]) -> list[dict[str, object]]:
    names = [v.value for v in results.variables]
    rows = []
    for i, solution in enumerate(results):
        if i % 512 == 0 and cancelled():
            raise _Cancelled()
        rows.append({n: _to_python(solution[n]) for n in names})
    return rows


def _merged_triples(quads: Iterable[ox.Quad]) -> list[ox.Triple]:
    seen: set[ox.Triple] = set()
    out = []
    for quad in quads:
        triple = quad.triple
        if triple not in seen:
            seen.add(triple)
            out.append(triple)
    return out


def _export(quads: Iterable[ox.Quad], fmt: str) -> bytes:
    if fmt not in EXPORT_FORMATS:
        raise StoreError(f"unknown export format {fmt!r}; use one of: {', '.join(EXPORT_FORMATS)}")
    rdf_format, keeps_graphs = EXPORT_FORMATS[fmt]
    prefixes = PREFIXES if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
    data: Iterable = list(quads) if keeps_graphs else _merged_triples(quads)
    return ox.serialize(data, format=rdf_format, prefixes=prefixes)


# --------------------------------------------------------------------------------------------
# embedded Oxigraph


class OxigraphStore:
    """A :class:`GraphStore` on an embedded Oxigraph database.

    ``path=None`` keeps the data in memory; otherwise the directory holds the database (created
    if missing).  ``read_only=True`` opens an existing directory as a snapshot (see the module
    docstring for what that means while another process writes).
    """

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False,
                 max_query_workers: int = 4):
        self.path = Path(path) if path is not None else None
        self.read_only = read_only
        self._max_workers = max_query_workers
        self._write_lock = threading.Lock()
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        try:
            if read_only:
                if self.path is None:
                    raise StoreError("a read-only store needs a directory")
                if not self.path.is_dir():
                    raise StoreError(f"no graph store at {self.path}: the directory does not exist")
                self._store: ox.Store | None = ox.Store.read_only(str(self.path))
            else:
                self._store = ox.Store(str(self.path) if self.path is not None else None)
        except OSError as exc:
            if "lock" in str(exc).lower():
                holder = ("this process already has it open: reuse that store or close it first"
                          if "current process" in str(exc) else
                          "another process has it open (the web server?): stop that process, "
                          "query it over HTTP, or open the store read-only")
                raise StoreLocked(
                    f"the graph store at {self.path} is locked ({self.path / 'LOCK'}); {holder}"
                ) from exc
            raise StoreError(f"cannot open the graph store at {self.path}: {exc}") from exc

    def __repr__(self) -> str:
        where = str(self.path) if self.path else "memory"
        return f"<OxigraphStore {where}{' read-only' if self.read_only else ''}>"

    def __enter__(self) -> OxigraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ----------------------------------------------------------------------------

    @property
    def _s(self) -> ox.Store:
        if self._store is None:
            raise StoreError("the graph store is closed")
        return self._store

    def _writable(self) -> ox.Store:
        store = self._s
        if self.read_only:
            raise StoreError(f"the graph store at {self.path} is open read-only")
        return store

    def _run(self, work: Callable[[Callable[[], bool]], Any], timeout: float | None) -> Any:
        """Run ``work(cancelled)``; with a timeout, in a worker thread (see module docstring)."""
        if timeout is None:
            try:
                return work(lambda: False)
            except _Cancelled:  # pragma: no cover - cannot happen without a deadline
                raise QueryTimeout("query cancelled") from None
        if timeout <= 0:
            raise QueryTimeout(f"timeout must be positive, got {timeout!r}")
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=self._max_workers, thread_name_prefix="cigraph-query")
        gave_up = threading.Event()
        future = self._pool.submit(work, gave_up.is_set)
        try:
            return future.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            gave_up.set()
            future.cancel()
            raise QueryTimeout(
                f"the query did not finish within {timeout:g} s; narrow it (add LIMIT, filters or "
                f"fewer OPTIONALs) or allow a longer timeout"
            ) from None
        except _Cancelled:  # pragma: no cover - only raised after gave_up is set
            raise QueryTimeout(f"the query did not finish within {timeout:g} s") from None

    def _query(self, sparql: str) -> tuple[str, Any]:
        form = query_form(sparql)
        try:
            return form, self._s.query(sparql, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise QuerySyntaxError(f"invalid SPARQL query: {exc}") from exc
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"query failed: {exc}") from exc

    # -- writes ------------------------------------------------------------------------------

    def replace_graph(self, graph_iri: str, data: rdflib.Graph) -> None:
        self.replace_graphs({graph_iri: data})

    def replace_graphs(self, graphs: dict[str, rdflib.Graph]) -> None:
        store = self._writable()
        converted = _convert_graphs(graphs)  # raises before anything is written
        with self._write_lock:
            operations = self._plan_replace(store, converted)
            if operations:
                self._apply(store, operations)

    def _plan_replace(self, store: ox.Store, graphs: dict[str, set[ox.Triple]]) -> list[str]:
        """The SPARQL Update operations that turn each graph's current content into the new.

        Ground statements are diffed; statements with blank nodes are deleted by pattern and
        inserted again.  Everything is applied later as one update request (one transaction);
        the caller holds the write lock, and RocksDB's lock keeps other processes out, so the
        content read here is what the update applies to.
        """
        deletes: list[str] = []
        inserts: list[str] = []
        for iri, new in graphs.items():
            name = ox.NamedNode(iri)
            if not new:
                deletes.append(f"DROP SILENT GRAPH <{iri}>")
                continue
            old = {q.triple for q in store.quads_for_pattern(None, None, None, name)}
            old_ground = {t for t in old if not _has_bnode(t)}
            new_ground = {t for t in new if not _has_bnode(t)}
            if len(old_ground) != len(old):
                deletes.append(
                    f"DELETE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{iri}> "
                    f"{{ ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) }} }}"
                )
            removed = old_ground - new_ground
            if removed:
                deletes.append(f"DELETE DATA {{ GRAPH <{iri}> {{\n{_ntriples(removed)}}} }}")
            added = (new_ground - old_ground) | (new - new_ground)
            if added:
                inserts.append(f"GRAPH <{iri}> {{\n{_ntriples(added)}}}")
        if inserts:
            # One INSERT DATA for all graphs, so a blank node shared by two graphs stays one node.
            deletes.append("INSERT DATA {\n" + "\n".join(inserts) + "\n}")
        return deletes

    def _apply(self, store: ox.Store, operations: list[str]) -> None:
        try:
            store.update(" ;\n".join(operations))
        except SyntaxError as exc:
            raise StoreError(f"the update was rejected, nothing was written: {exc}") from exc
        except (OSError, RuntimeError, ValueError) as exc:
            raise StoreError(f"the update failed, nothing was written: {exc}") from exc

    def remove_graph(self, graph_iri: str) -> bool:
        store = self._writable()
        name = _check_graph_iri(graph_iri)
        with self._write_lock:
            if not store.contains_named_graph(name):
                return False
            try:
                store.remove_graph(name)
            except OSError as exc:
                raise StoreError(f"cannot remove graph <{graph_iri}>: {exc}") from exc
            return True

    # -- reads -------------------------------------------------------------------------------

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._s.named_graphs() if isinstance(g, ox.NamedNode))

    def select(self, sparql: str, timeout: float | None = None) -> list[dict[str, object]]:
        def work(cancelled: Callable[[], bool]) -> list[dict[str, object]]:
            form, results = self._query(sparql)
            if form != "SELECT":
                raise StoreError(f"select() needs a SELECT query, got {form}")
            return _rows(results, cancelled)

        return self._run(work, timeout)

    def ask(self, sparql: str) -> bool:
        form, result = self._query(sparql)
        if form != "ASK":
            raise StoreError(f"ask() needs an ASK query, got {form}")
        return bool(result)

    def construct(self, sparql: str) -> rdflib.Graph:
        form, triples = self._query(sparql)
        if form not in ("CONSTRUCT", "DESCRIBE"):
            raise StoreError(f"construct() needs a CONSTRUCT or DESCRIBE query, got {form}")
        return _rdflib_graph(triples)

    def query_raw(self, sparql: str, accept: str, timeout: float | None = None,
                  max_rows: int | None = None) -> tuple[bytes, str]:
        form = query_form(sparql)
        media = _negotiate(accept, form)

        def work(cancelled: Callable[[], bool]) -> bytes:
            _, results = self._query(sparql)
            return _serialize_results(results, form, media, max_rows, cancelled)

        return self._run(work, timeout), media

    def export(self, fmt: str) -> bytes:
        return _export(self._s.quads_for_pattern(None, None, None, None), fmt)

    def triple_count(self) -> int:
        return len(self._s)

    def close(self) -> None:
        """Flush and release the database (and its lock).  Further calls raise StoreError."""
        if self._store is None:
            return
        with self._write_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            if self.path is not None and not self.read_only:
                self._store.flush()
            self._store = None


def _rdflib_graph(triples) -> rdflib.Graph:
    """An rdflib graph (with our prefixes bound) from pyoxigraph triples."""
    graph = rdflib.Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True)
    for t in triples:
        graph.add((_from_ox(t.subject), _from_ox(t.predicate), _from_ox(t.object)))
    return graph


# --------------------------------------------------------------------------------------------
# remote SPARQL endpoint


class RemoteSparqlStore:
    """A :class:`GraphStore` against a SPARQL 1.1 Query + Update endpoint over HTTP.

    ``query_endpoint`` is the query URL; ``update_endpoint`` defaults to it with a trailing
    ``/query`` replaced by ``/update`` (Oxigraph's and Fuseki's layout), else the same URL.

    The union default graph: with ``union_default_graph="protocol"`` (default) every query
    names its dataset through the SPARQL protocol (``default-graph-uri`` and
    ``named-graph-uri`` for every named graph), which any conformant server honours; with
    ``"server"`` nothing is sent, for servers already configured so (``oxigraph serve
    --union-default-graph``, Fuseki's ``tdb2:unionDefaultGraph``).

    ``replace_graphs`` is one update request (``DROP SILENT GRAPH``…; ``INSERT DATA``…):
    whether that is atomic is up to the server — Oxigraph and Fuseki run one request as one
    transaction.  Timeouts are HTTP timeouts; the server may go on working.
    """

    def __init__(self, query_endpoint: str, update_endpoint: str | None = None, *,
                 union_default_graph: str = "protocol", http_timeout: float = 60.0,
                 client: Any = None):
        import httpx

        if union_default_graph not in ("protocol", "server"):
            raise StoreError("union_default_graph must be 'protocol' or 'server'")
        self.query_endpoint = query_endpoint
        if update_endpoint is None:
            head, _, last = query_endpoint.rstrip("/").rpartition("/")
            update_endpoint = f"{head}/update" if last == "query" else query_endpoint
        self.update_endpoint = update_endpoint
        self.union_default_graph = union_default_graph
        self._httpx = httpx
        self._client = client or httpx.Client(timeout=http_timeout)
        self._http_timeout = http_timeout

    def __repr__(self) -> str:
        return f"<RemoteSparqlStore {self.query_endpoint}>"

    def __enter__(self) -> RemoteSparqlStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- HTTP --------------------------------------------------------------------------------

    def _post(self, url: str, data: list[tuple[str, str]], accept: str | None,
              timeout: float | None) -> Any:
        if self._client is None:
            raise StoreError("the graph store is closed")
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if accept:
            headers["Accept"] = accept
        try:
            response = self._client.post(
                url, content=urllib.parse.urlencode(data).encode("ascii"), headers=headers,
                timeout=timeout if timeout is not None else self._http_timeout)
        except self._httpx.TimeoutException as exc:
            raise QueryTimeout(f"{url} did not answer within {timeout or self._http_timeout:g} s") from exc
        except self._httpx.HTTPError as exc:
            raise StoreError(f"cannot reach the SPARQL endpoint {url}: {exc}") from exc
        if response.status_code >= 400:
            detail = response.text.strip()[:500]
            if response.status_code == 400:
                raise QuerySyntaxError(f"{url} rejected the request: {detail}")
            raise StoreError(f"{url} answered HTTP {response.status_code}: {detail}")
        return response

    def _dataset_params(self, union: bool) -> list[tuple[str, str]]:
        if not union or self.union_default_graph == "server":
            return []
        graphs = self.graphs()
        return ([("default-graph-uri", g) for g in graphs]
                + [("named-graph-uri", g) for g in graphs])

    def _query(self, sparql: str, accept: str, timeout: float | None = None,
               union: bool = True) -> Any:
        params = [("query", sparql)] + self._dataset_params(union)
        return self._post(self.query_endpoint, params, accept, timeout)

    def _update(self, sparql: str) -> None:
        self._post(self.update_endpoint, [("update", sparql)], None, None)

    def _solutions(self, sparql: str, timeout: float | None = None, union: bool = True) -> Any:
        response = self._query(sparql, "application/sparql-results+json", timeout, union)
        try:
            return ox.parse_query_results(response.content, ox.QueryResultsFormat.JSON)
        except SyntaxError as exc:
            raise StoreError(f"{self.query_endpoint} sent unreadable results: {exc}") from exc

    def _triples(self, sparql: str, timeout: float | None = None) -> list[ox.Triple]:
        response = self._query(sparql, "application/n-triples", timeout)
        try:
            return [q.triple for q in ox.parse(response.content, ox.RdfFormat.N_TRIPLES)]
        except SyntaxError as exc:
            raise StoreError(f"{self.query_endpoint} sent unreadable N-Triples: {exc}") from exc

    # -- writes ------------------------------------------------------------------------------

    def replace_graph(self, graph_iri: str, data: rdflib.Graph) -> None:
        self.replace_graphs({graph_iri: data})

    def replace_graphs(self, graphs: dict[str, rdflib.Graph]) -> None:
        converted = _convert_graphs(graphs)
        operations = [f"DROP SILENT GRAPH <{iri}>" for iri in converted]
        inserts = [f"GRAPH <{iri}> {{\n{_ntriples(triples)}}}"
                   for iri, triples in converted.items() if triples]
        if inserts:
            operations.append("INSERT DATA {\n" + "\n".join(inserts) + "\n}")
        self._update(" ;\n".join(operations))

    def remove_graph(self, graph_iri: str) -> bool:
        _check_graph_iri(graph_iri)
        existed = graph_iri in self.graphs()
        self._update(f"DROP SILENT GRAPH <{graph_iri}>")
        return existed

    # -- reads -------------------------------------------------------------------------------

    def graphs(self) -> list[str]:
        results = self._solutions("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", union=False)
        return sorted(row["g"].value for row in results if isinstance(row["g"], ox.NamedNode))

    def select(self, sparql: str, timeout: float | None = None) -> list[dict[str, object]]:
        if query_form(sparql) != "SELECT":
            raise StoreError(f"select() needs a SELECT query, got {query_form(sparql)}")
        return _rows(self._solutions(sparql, timeout), lambda: False)

    def ask(self, sparql: str) -> bool:
        if query_form(sparql) != "ASK":
            raise StoreError(f"ask() needs an ASK query, got {query_form(sparql)}")
        return bool(self._solutions(sparql))

    def construct(self, sparql: str) -> rdflib.Graph:
        if query_form(sparql) not in ("CONSTRUCT", "DESCRIBE"):
            raise StoreError(f"construct() needs a CONSTRUCT or DESCRIBE query, got {query_form(sparql)}")
        return _rdflib_graph(self._triples(sparql))

    def query_raw(self, sparql: str, accept: str, timeout: float | None = None,
                  max_rows: int | None = None) -> tuple[bytes, str]:
        form = query_form(sparql)
        media = _negotiate(accept, form)
        if max_rows is None:
            response = self._query(sparql, media, timeout)
            return response.content, media
        if form in ("CONSTRUCT", "DESCRIBE"):
            results: Any = iter(self._triples(sparql, timeout))
        else:
            results = self._solutions(sparql, timeout)
        return _serialize_results(results, form, media, max_rows, lambda: False), media

    def _quads(self) -> Iterator[ox.Quad]:
        rows = self._solutions("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }", union=False)
        for row in rows:
            yield ox.Quad(row["s"], row["p"], row["o"], row["g"])

    def export(self, fmt: str) -> bytes:
        return _export(self._quads(), fmt)

    def triple_count(self) -> int:
        results = self._solutions(
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", union=False)
        return int(next(iter(results))["n"].value)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


# --------------------------------------------------------------------------------------------


def open_store(location: str | Path | None, *, read_only: bool = False) -> GraphStore:
    """Open the store at ``location``: a directory, "memory"/None, or an http(s) SPARQL URL."""
    if location is None or (isinstance(location, str) and location in ("memory", ":memory:")):
        if read_only:
            raise StoreError("an in-memory store cannot be opened read-only")
        return OxigraphStore(None)
    text = str(location)
    if text.startswith(("http://", "https://")):
        return RemoteSparqlStore(text)
    return OxigraphStore(Path(location), read_only=read_only)
