"""The graph store: persistence, all-or-nothing replaces, query results in standard formats,
refused updates, exports, timeouts, locking — for the embedded Oxigraph store (in memory and on
disk) and for RemoteSparqlStore against a real Oxigraph SPARQL server started here."""
from __future__ import annotations

import csv
import io
import json
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.namespace import RDF, XSD

from cigraph.graph import store as store_module
from cigraph.graph.store import (
    FormatNotAcceptable, GraphStore, OxigraphStore, QueryRefused, QuerySyntaxError, QueryTimeout,
    RemoteSparqlStore, StoreError, StoreLocked, open_store, query_form,
)

EX = Namespace("http://example.org/")
G1, G2, G3 = "http://example.org/graph/1", "http://example.org/graph/2", "http://example.org/graph/3"
PY = sys.executable


def graph_of(*triples) -> rdflib.Graph:
    g = rdflib.Graph()
    for t in triples:
        g.add(t)
    return g


def sample(tag: str, n: int = 3) -> rdflib.Graph:
    g = rdflib.Graph()
    for i in range(n):
        g.add((EX[f"{tag}{i}"], RDF.type, EX.Thing))
        g.add((EX[f"{tag}{i}"], EX.label, Literal(f"{tag} number {i}")))
    return g


def quads(st: GraphStore) -> set[tuple]:
    """Everything in the store, blank nodes blanked out, for before/after comparisons."""
    parsed = ox.parse(st.export("nquads"), ox.RdfFormat.N_QUADS)
    return {tuple("_" if isinstance(t, ox.BlankNode) else str(t) for t in (q.subject, q.predicate, q.object, q.graph_name))
            for q in parsed}


# ------------------------------------------------------------------------------------------
# fixtures: the three kinds of store


def _oxigraph_binary() -> str | None:
    beside = Path(PY).parent / "oxigraph"
    return str(beside) if beside.exists() else shutil.which("oxigraph")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory):
    """A real Oxigraph SPARQL 1.1 server on 127.0.0.1 (the ``oxigraph`` package's binary)."""
    binary = _oxigraph_binary()
    if binary is None:
        pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)")
    port = _free_port()
    location = tmp_path_factory.mktemp("oxigraph-server")
    proc = subprocess.Popen([binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base}/query", params={"query": "ASK {}"}, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"oxigraph server did not start: {proc.stderr.read().decode()[-500:]}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(params=["memory", "disk", "remote"])
def st(request, tmp_path):
    if request.param == "memory":
        s = open_store("memory")
    elif request.param == "disk":
        s = open_store(tmp_path / "store")
    else:
        base = request.getfixturevalue("oxigraph_server")
        s = open_store(f"{base}/query")
        s._update("DROP SILENT ALL")  # the server is shared by the module's tests
    yield s
    s.close()


@pytest.fixture
def local(tmp_path):
    s = OxigraphStore(tmp_path / "store")
    yield s
    s.close()


# ------------------------------------------------------------------------------------------
# the contract, for every store


def test_open_store_dispatch(tmp_path):
    assert isinstance(open_store(None), OxigraphStore)
    assert isinstance(open_store("memory"), OxigraphStore)
    disk = open_store(tmp_path / "x")
    assert isinstance(disk, OxigraphStore) and (tmp_path / "x").is_dir()
    disk.close()
    remote = open_store("http://127.0.0.1:9/query")
    assert isinstance(remote, RemoteSparqlStore)
    assert remote.update_endpoint == "http://127.0.0.1:9/update"
    remote.close()
    for s in (OxigraphStore(), RemoteSparqlStore("http://127.0.0.1:9/sparql")):
        assert isinstance(s, GraphStore)


def test_replace_graph_replaces_exactly_that_graph(st):
    st.replace_graphs({G1: sample("a"), G2: sample("b")})
    assert st.graphs() == [G1, G2]
    assert st.triple_count() == 12
    st.replace_graph(G1, sample("c", n=2))
    rows = st.select("SELECT ?s WHERE { GRAPH <%s> { ?s a <http://example.org/Thing> } } ORDER BY ?s" % G1)
    assert [r["s"] for r in rows] == [str(EX.c0), str(EX.c1)]
    rows = st.select("SELECT ?s WHERE { GRAPH <%s> { ?s a <http://example.org/Thing> } } ORDER BY ?s" % G2)
    assert [r["s"] for r in rows] == [str(EX.b0), str(EX.b1), str(EX.b2)]
    assert st.triple_count() == 4 + 6


def test_replace_with_same_data_changes_nothing_and_partial_change_is_exact(st):
    st.replace_graph(G1, sample("a", n=50))
    before = quads(st)
    st.replace_graph(G1, sample("a", n=50))
    assert quads(st) == before
    changed = sample("a", n=50)
    changed.remove((EX.a7, EX.label, None))
    changed.add((EX.a7, EX.label, Literal("renamed")))
    st.replace_graph(G1, changed)
    assert st.select(f"SELECT ?l WHERE {{ <{EX.a7}> <{EX.label}> ?l }}") == [{"l": "renamed"}]
    assert st.triple_count() == 100


def test_empty_data_removes_the_graph(st):
    st.replace_graphs({G1: sample("a"), G2: sample("b")})
    st.replace_graph(G1, rdflib.Graph())
    assert st.graphs() == [G2]


def test_blank_nodes_are_replaced_not_accumulated(st):
    def with_bnodes(label):
        g = rdflib.Graph()
        b = BNode()
        g.add((EX.doc, EX.span, b))
        g.add((b, EX.line, Literal(3)))
        g.add((b, EX.note, Literal(label)))
        return g
    st.replace_graph(G1, with_bnodes("first"))
    st.replace_graph(G1, with_bnodes("second"))
    assert st.triple_count() == 3
    assert st.select(f"SELECT ?n ?l WHERE {{ <{EX.doc}> <{EX.span}> ?b . ?b <{EX.note}> ?n ; <{EX.line}> ?l }}") \
        == [{"n": "second", "l": 3}]


def test_a_blank_node_shared_by_two_graphs_stays_one_node(st):
    b = BNode()
    st.replace_graphs({G1: graph_of((EX.x, EX.p, b)), G2: graph_of((b, EX.q, Literal("v")))})
    assert st.select(f"SELECT ?v WHERE {{ <{EX.x}> <{EX.p}>/<{EX.q}> ?v }}") == [{"v": "v"}]


def test_default_graph_is_the_union_of_named_graphs(st):
    st.replace_graphs({G1: graph_of((EX.i, EX.affects, EX.bht)),
                       G2: graph_of((EX.bht, EX.label, Literal("Bedford Hospital")))})
    rows = st.select(f"SELECT ?name WHERE {{ ?i <{EX.affects}> ?o . ?o <{EX.label}> ?name }}")
    assert rows == [{"name": "Bedford Hospital"}]
    rows = st.select(f"SELECT ?g WHERE {{ GRAPH ?g {{ ?s <{EX.label}> ?o }} }}")
    assert rows == [{"g": G2}]


def test_select_returns_python_values(st):
    g = graph_of(
        (EX.s, EX.str, Literal("text")),
        (EX.s, EX.lang, Literal("colour", lang="en-GB")),
        (EX.s, EX.int, Literal(42)),
        (EX.s, EX.dec, Literal(Decimal("0.85"), datatype=XSD.decimal)),
        (EX.s, EX.dbl, Literal(1.5)),
        (EX.s, EX.bool, Literal(True)),
        (EX.s, EX.date, Literal(date(2018, 4, 1))),
        (EX.s, EX.iri, EX.other),
    )
    st.replace_graph(G1, g)
    [row] = st.select("""
        PREFIX ex: <http://example.org/>
        SELECT * WHERE { ex:s ex:str ?str ; ex:lang ?lang ; ex:int ?int ; ex:dec ?dec ; ex:dbl ?dbl ;
                              ex:bool ?bool ; ex:date ?date ; ex:iri ?iri
                         OPTIONAL { ex:s ex:missing ?unbound } }""")
    assert row == {"str": "text", "lang": "colour", "int": 42, "dec": 0.85, "dbl": 1.5, "bool": True,
                   "date": date(2018, 4, 1), "iri": str(EX.other), "unbound": None}
    assert type(row["int"]) is int and type(row["dec"]) is float


def test_ask_and_construct(st):
    st.replace_graph(G1, sample("a"))
    assert st.ask(f"ASK {{ <{EX.a1}> a <{EX.Thing}> }}") is True
    assert st.ask(f"ASK {{ <{EX.zzz}> a <{EX.Thing}> }}") is False
    g = st.construct(f"CONSTRUCT {{ ?s <{EX.named}> ?l }} WHERE {{ ?s <{EX.label}> ?l }}")
    assert isinstance(g, rdflib.Graph) and len(g) == 3
    assert (EX.a2, EX.named, Literal("a number 2")) in g
    with pytest.raises(StoreError, match="SELECT"):
        st.select(f"ASK {{ ?s ?p ?o }}")


UPDATES = [
    "INSERT DATA { <http://example.org/x> <http://example.org/p> 1 }",
    "DELETE WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "LOAD <http://example.org/data.ttl>",
    "CLEAR ALL",
    "DROP GRAPH <http://example.org/graph/1>",
    "CREATE GRAPH <http://example.org/new>",
    "ADD <http://example.org/graph/1> TO <http://example.org/graph/2>",
    "MOVE DEFAULT TO <http://example.org/g>",
    "COPY <http://example.org/graph/1> TO DEFAULT",
    "WITH <http://example.org/graph/1> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "PREFIX ex: <http://example.org/>\n# comment with SELECT in it\nINSERT DATA { ex:x ex:p 1 }",
    "  base <http://example.org/> prefix : <#>  drop all",
]


@pytest.mark.parametrize("update", UPDATES)
def test_updates_are_refused_and_nothing_changes(st, update):
    st.replace_graph(G1, sample("a"))
    before = quads(st)
    with pytest.raises(QueryRefused, match="only answers queries"):
        st.query_raw(update, "application/sparql-results+json")
    with pytest.raises(QueryRefused):
        st.select(update)
    assert quads(st) == before


def test_query_form_and_syntax_errors(st):
    assert query_form("PREFIX a: <http://x/> # c\n select * {}") == "SELECT"
    assert query_form("BASE <http://x/> CONSTRUCT WHERE { ?s ?p ?o }") == "CONSTRUCT"
    assert query_form("describe <http://x>") == "DESCRIBE"
    with pytest.raises(QuerySyntaxError):
        query_form("")
    with pytest.raises(QuerySyntaxError):
        query_form("HELLO world")
    with pytest.raises(QuerySyntaxError):
        st.select("SELECT ?s WHERE { ?s ?p }")


RESULT_SELECT = f"SELECT ?s ?label ?n WHERE {{ ?s <{EX.label}> ?label OPTIONAL {{ ?s <{EX.n}> ?n }} }} ORDER BY ?s"


def _tricky() -> rdflib.Graph:
    return graph_of(
        (EX.a, EX.label, Literal('tab\there, "quoted"\nnew line é')),
        (EX.a, EX.n, Literal(1)),
        (EX.b, EX.label, Literal("plain")),
    )


@pytest.mark.parametrize("media,fmt", [
    ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
    ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
    ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
])
def test_query_raw_results_parse_back(st, media, fmt):
    st.replace_graph(G1, _tricky())
    body, got = st.query_raw(RESULT_SELECT, media)
    assert got == media
    rows = list(ox.parse_query_results(body, fmt))
    assert [r["label"].value for r in rows] == ['tab\there, "quoted"\nnew line é', "plain"]
    assert rows[0]["n"].value == "1" and rows[1]["n"] is None
    if media.endswith("json"):
        assert json.loads(body)["head"]["vars"] == ["s", "label", "n"]


def test_query_raw_csv_parses_back(st):
    st.replace_graph(G1, _tricky())
    body, media = st.query_raw(RESULT_SELECT, "text/csv")
    assert media == "text/csv"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    assert rows[0] == ["s", "label", "n"]
    assert rows[1] == [str(EX.a), 'tab\there, "quoted"\nnew line é', "1"]
    assert rows[2] == [str(EX.b), "plain", ""]


def test_query_raw_ask_and_construct_formats(st):
    st.replace_graph(G1, _tricky())
    body, media = st.query_raw("ASK { ?s ?p ?o }", "application/sparql-results+json")
    assert json.loads(body)["boolean"] is True
    construct = f"CONSTRUCT {{ ?s <{EX.label}> ?l }} WHERE {{ ?s <{EX.label}> ?l }}"
    for media, rdf_format in (("text/turtle", "turtle"), ("application/n-triples", "nt")):
        body, got = st.query_raw(construct, media)
        assert got == media
        g = rdflib.Graph().parse(data=body, format=rdf_format)
        assert len(g) == 2 and (EX.b, EX.label, Literal("plain")) in g


def test_query_raw_negotiates_accept_headers(st):
    st.replace_graph(G1, _tricky())
    _, media = st.query_raw(RESULT_SELECT, "text/html;q=0.9, text/csv;q=0.5, */*;q=0.1")
    assert media == "text/csv"
    _, media = st.query_raw(RESULT_SELECT, "")
    assert media == "application/sparql-results+json"
    _, media = st.query_raw("CONSTRUCT WHERE { ?s ?p ?o }", "*/*")
    assert media == "text/turtle"
    with pytest.raises(FormatNotAcceptable, match="text/turtle"):
        st.query_raw("CONSTRUCT WHERE { ?s ?p ?o }", "application/sparql-results+json")
    with pytest.raises(FormatNotAcceptable, match="sparql-results"):
        st.query_raw(RESULT_SELECT, "image/png")


@pytest.mark.parametrize("media,fmt", [
    ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
    ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
    ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
])
def test_query_raw_max_rows_truncates(st, media, fmt):
    st.replace_graph(G1, sample("a", n=30))
    q = f"SELECT ?s ?l WHERE {{ ?s <{EX.label}> ?l }} ORDER BY ?s"
    body, _ = st.query_raw(q, media, max_rows=5)
    rows = list(ox.parse_query_results(body, fmt))
    assert len(rows) == 5
    assert rows[0]["s"].value == str(EX.a0)
    body, _ = st.query_raw(q, "text/csv", max_rows=5)
    assert len(body.decode().strip().splitlines()) == 6
    body, _ = st.query_raw(f"CONSTRUCT WHERE {{ ?s <{EX.label}> ?l }}", "application/n-triples", max_rows=7)
    assert len(rdflib.Graph().parse(data=body, format="nt")) == 7


@pytest.mark.parametrize("fmt,parse_as,dataset", [
    ("turtle", "turtle", False), ("ntriples", "nt", False), ("nquads", "nquads", True),
    ("trig", "trig", True), ("jsonld", "json-ld", True),
])
def test_export_formats_parse_back(st, fmt, parse_as, dataset):
    st.replace_graphs({G1: sample("a"), G2: _tricky()})
    body = st.export(fmt)
    assert isinstance(body, bytes)
    if dataset:
        ds = rdflib.Dataset()
        ds.parse(data=body, format=parse_as)
        named = {str(g.identifier): len(g) for g in ds.graphs() if len(g)}
        assert named == {G1: 6, G2: 3}
    else:
        g = rdflib.Graph().parse(data=body, format=parse_as)
        assert len(g) == 9
        assert (EX.a, EX.label, Literal('tab\there, "quoted"\nnew line é')) in g
    with pytest.raises(StoreError, match="turtle"):
        st.export("xlsx")


# ------------------------------------------------------------------------------------------
# all or nothing


def test_invalid_iri_fails_the_whole_replace(st):
    st.replace_graphs({G1: sample("a"), G2: sample("b")})
    before = quads(st)
    bad = sample("c")
    bad.add((URIRef("http://example.org/has space"), EX.p, Literal(1)))
    with pytest.raises(StoreError, match="invalid IRI"):
        st.replace_graphs({G1: sample("new"), G2: bad, G3: sample("d")})
    assert quads(st) == before
    assert st.graphs() == [G1, G2]


def test_ill_typed_literal_fails_the_whole_replace(st):
    st.replace_graphs({G1: sample("a"), G2: sample("b")})
    before = quads(st)
    bad = sample("c")
    bad.add((EX.c0, EX.startLine, Literal("twelve", datatype=XSD.integer)))
    with pytest.raises(StoreError, match="ill-typed literal 'twelve'"):
        st.replace_graphs({G1: sample("new"), G2: bad})
    assert quads(st) == before


def test_bad_graph_names_and_data_are_refused(st):
    with pytest.raises(StoreError, match="not an absolute IRI"):
        st.replace_graph("graph one", sample("a"))
    with pytest.raises(StoreError, match="not an rdflib.Graph"):
        st.replace_graph(G1, [("a", "b", "c")])  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="predicate"):
        st.replace_graph(G1, graph_of((EX.s, Literal("p"), EX.o)))
    assert st.graphs() == []


def test_failure_midway_through_conversion_leaves_store_as_it_was(st, monkeypatch):
    st.replace_graphs({G1: sample("a"), G2: sample("b")})
    before = quads(st)
    real = store_module._triple_to_ox
    calls = {"n": 0}

    def flaky(triple, bnodes):
        calls["n"] += 1
        if calls["n"] == 9:  # inside the second graph
            raise RuntimeError("disk on fire")
        return real(triple, bnodes)

    monkeypatch.setattr(store_module, "_triple_to_ox", flaky)
    with pytest.raises(RuntimeError, match="disk on fire"):
        st.replace_graphs({G1: sample("x"), G2: sample("y"), G3: sample("z")})
    assert calls["n"] == 9
    assert quads(st) == before


def test_failure_midway_through_the_update_leaves_store_as_it_was(local, monkeypatch):
    """Oxigraph applies one update request in one transaction: make its last operation fail."""
    local.replace_graphs({G1: sample("a"), G2: sample("b")})
    before = quads(local)
    real = OxigraphStore._plan_replace

    def plan_then_fail(self, store, graphs):
        return real(self, store, graphs) + ["DROP GRAPH <http://example.org/does-not-exist>"]

    monkeypatch.setattr(OxigraphStore, "_plan_replace", plan_then_fail)
    with pytest.raises(StoreError, match="nothing was written"):
        local.replace_graphs({G1: sample("x"), G2: rdflib.Graph(), G3: sample("z")})
    assert quads(local) == before


# ------------------------------------------------------------------------------------------
# embedded store specifics: persistence, locking, read-only, timeouts, speed


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)


def test_data_survives_a_process_restart(tmp_path):
    path = tmp_path / "store"
    wrote = _run(f"""
        import rdflib
        from rdflib import Literal, URIRef
        from cigraph.graph.store import open_store
        st = open_store({str(path)!r})
        g = rdflib.Graph()
        g.add((URIRef("http://example.org/i"), URIRef("http://example.org/title"), Literal("MSK triage")))
        st.replace_graph("{G1}", g)
        st.close()
    """)
    assert wrote.returncode == 0, wrote.stderr
    read = _run(f"""
        from cigraph.graph.store import open_store
        st = open_store({str(path)!r})
        print(st.graphs(), st.select("SELECT ?t WHERE {{ ?i <http://example.org/title> ?t }}"))
    """)
    assert read.returncode == 0, read.stderr
    assert read.stdout.strip() == f"['{G1}'] [{{'t': 'MSK triage'}}]"


def test_second_writer_process_gets_store_locked(local):
    local.replace_graph(G1, sample("a"))
    other = _run(f"""
        from cigraph.graph.store import open_store, StoreLocked
        try:
            open_store({str(local.path)!r})
        except StoreLocked as exc:
            print("LOCKED:", exc)
    """)
    assert other.returncode == 0, other.stderr
    assert other.stdout.startswith("LOCKED:")
    assert str(local.path) in other.stdout and "another process" in other.stdout
    with pytest.raises(StoreLocked, match="this process already has it open"):
        OxigraphStore(local.path)


def test_close_releases_the_lock_and_data_persists(tmp_path):
    st = OxigraphStore(tmp_path / "s")
    st.replace_graph(G1, sample("a"))
    st.close()
    with pytest.raises(StoreError, match="closed"):
        st.graphs()
    again = OxigraphStore(tmp_path / "s")
    assert again.graphs() == [G1]
    again.close()


def test_read_only_snapshot(tmp_path):
    with OxigraphStore(tmp_path / "s") as st:
        st.replace_graph(G1, sample("a"))
    ro = open_store(tmp_path / "s", read_only=True)
    assert ro.graphs() == [G1] and ro.triple_count() == 6
    with pytest.raises(StoreError, match="read-only"):
        ro.replace_graph(G2, sample("b"))
    with pytest.raises(StoreError, match="read-only"):
        ro.remove_graph(G1)
    ro.close()
    with pytest.raises(StoreError, match="does not exist"):
        open_store(tmp_path / "nowhere", read_only=True)


def test_remove_graph(st):
    st.replace_graphs({G1: sample("a"), G2: sample("b")})
    assert st.remove_graph(G1) is True
    assert st.remove_graph(G1) is False
    assert st.graphs() == [G2]


def test_timeouts_give_up_and_abandoned_queries_stop():
    # One worker thread: the follow-up queries can only run if the abandoned one stopped.
    st = OxigraphStore(max_query_workers=1)
    g = rdflib.Graph()
    for i in range(2000):
        g.add((EX[f"s{i}"], EX.p, Literal(i)))
    st.replace_graph(G1, g)
    slow = "SELECT * WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"  # 8e9 rows, streamed
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="within 0.5 s"):
        st.select(slow, timeout=0.5)
    assert time.monotonic() - started < 3
    assert st.select(count, timeout=5) == [{"n": 2000}]
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        st.query_raw(slow, "application/sparql-results+json", timeout=0.5)
    assert time.monotonic() - started < 3
    body, _ = st.query_raw(count, "text/csv", timeout=5)
    assert body.decode().split() == ["n", "2000"]
    with pytest.raises(QueryTimeout, match="positive"):
        st.select(count, timeout=0)
    st.close()


def test_replace_of_50k_triples_on_disk_is_reasonably_fast(local):
    g = rdflib.Graph()
    for i in range(25000):
        g.add((EX[f"i{i}"], EX.title, Literal(f"intention {i}")))
        g.add((EX[f"i{i}"], EX.line, Literal(i + 1)))
    started = time.monotonic()
    local.replace_graph(G1, g)
    first = time.monotonic() - started
    started = time.monotonic()
    local.replace_graph(G1, g)
    again = time.monotonic() - started
    assert local.triple_count() == 50000
    assert first < 20 and again < 20, (first, again)
