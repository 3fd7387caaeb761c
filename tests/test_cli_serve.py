"""The `cigraph` command line and a real `cigraph serve` process on a loopback port."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

BIN = Path(sys.executable).parent / "cigraph"
REPO = Path(__file__).resolve().parent.parent


def run(*args, check=True, timeout=300):
    proc = subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "250"})
    if check and proc.returncode != 0:
        raise AssertionError(f"cigraph {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def loaded_store(tmp_path_factory, seeds_dir):
    store = tmp_path_factory.mktemp("store") / "graph"
    proc = run("load", seeds_dir, "--store", store)
    for prefix in ("000", "001", "002", "003", "004"):
        assert prefix in proc.stdout, proc.stdout
    return store


def test_load_summary_and_restart_persistence(loaded_store):
    # a new process sees what the earlier one stored
    proc = run("ask", "which intentions affect BHT in Q1 2018/19", "--format", "json", "--store", loaded_store)
    payload = json.loads(proc.stdout)
    assert payload["total"] > 0


def test_cli_ask_prints_same_intentions_as_api(loaded_store, client):
    proc = run("ask", "which intentions affect BHT in Q1", "--format", "json", "--limit", "1000", "--store", loaded_store)
    cli = json.loads(proc.stdout)
    api = client.get("/api/ask", params={"q": "which intentions affect BHT in Q1", "limit": 1000}).json()
    assert [(r["source"]["document"], r["source"]["line"]) for r in cli["results"]] == \
           [(r["source"]["document"], r["source"]["line"]) for r in api["results"]]
    table = run("ask", "which intentions affect BHT in Q1", "--store", loaded_store).stdout
    assert "001_0c3910418eb40f69.txt:" in table and "intention(s)" in table


def test_cli_ask_unknown_provider_exits_2(loaded_store):
    proc = run("ask", "which intentions affect Zebulon Hospital Trust in Q1", "--store", loaded_store, check=False)
    assert proc.returncode == 2
    assert "unknown provider" in proc.stderr


def test_load_bad_files_reports_and_keeps_others(tmp_path, seeds_dir):
    store = tmp_path / "graph"
    run("load", seeds_dir / "002_22ae9f361ec56aea.txt", "--store", store)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    binary = tmp_path / "blob.txt"
    binary.write_bytes(bytes(range(256)) * 10)
    proc = run("load", empty, binary, seeds_dir / "003_3a683f349541702c.txt", "--store", store, check=False)
    assert proc.returncode != 0
    assert "empty.txt" in proc.stderr and "blob.txt" in proc.stderr
    out = run("export", "--format", "nquads", "--store", store).stdout
    assert "002_22ae9f361ec56aea" in out and "003_3a683f349541702c" in out


def test_export_formats(loaded_store, tmp_path):
    import rdflib

    for fmt, parser in (("turtle", "turtle"), ("nquads", "nquads"), ("jsonld", "json-ld")):
        out = tmp_path / f"graph.{fmt}"
        run("export", "--format", fmt, "-o", out, "--store", loaded_store)
        if fmt in ("nquads", "jsonld"):  # both keep the named graphs
            ds = rdflib.Dataset()
            ds.parse(out, format=parser)
            n = sum(1 for _ in ds.quads((None, None, None, None)))
        else:
            n = len(rdflib.Graph().parse(out, format=parser))
        assert n > 1000, (fmt, n)


def test_serve_process_answers_api_and_sparql(loaded_store):
    from SPARQLWrapper import JSON, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    port = free_port()
    proc = subprocess.Popen([str(BIN), "serve", "--store", str(loaded_store), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/api/quarters", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            proc.kill()
            raise AssertionError(f"server did not start: {proc.stderr.read() if proc.stderr else ''}")
        r = httpx.get(f"{base}/api/intentions", params={"provider": "RC1", "quarter": "FY2018/19 Q1"}, timeout=30)
        assert r.status_code == 200 and r.json()["total"] > 0

        sparql = SPARQLWrapper(f"{base}/sparql")
        sparql.setQuery("""PREFIX cig: <https://w3id.org/cigraph/ontology#>
            PREFIX dcterms: <http://purl.org/dc/terms/>
            SELECT ?i ?title WHERE { ?i a cig:Intention ; dcterms:title ?title } LIMIT 5""")
        sparql.setReturnFormat(JSON)
        rows = sparql.query().convert()["results"]["bindings"]
        assert len(rows) == 5 and all("title" in row for row in rows)

        upd = SPARQLWrapper(f"{base}/sparql")
        upd.setMethod("POST")
        upd.setQuery("INSERT DATA { <urn:x> <urn:y> <urn:z> }")
        with pytest.raises(QueryBadFormed):  # SPARQLWrapper raises this for HTTP 400
            upd.query()
        r = httpx.post(f"{base}/sparql", data={"update": "INSERT DATA { <urn:x> <urn:y> <urn:z> }"})
        assert r.status_code == 400
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_validate_passes_on_seeds_and_fails_on_broken_data(loaded_store, tmp_path):
    proc = run("validate", "--store", loaded_store)
    assert "conform" in proc.stdout
    import rdflib
    from rdflib.namespace import RDF

    from cigraph.graph.store import open_store
    from cigraph.ontology import CIG, ID

    broken = tmp_path / "broken"
    st = open_store(broken)
    g = rdflib.Graph()
    g.add((ID["intention/x/1"], RDF.type, CIG.Intention))  # no title, commissioner or source
    st.replace_graph(str(ID["graph/broken"]), g)
    st.close()
    proc = run("validate", "--store", broken, check=False)
    assert proc.returncode == 1
    assert "intention/x/1" in proc.stdout


def test_map_command_writes_offline_html_and_images(loaded_store, tmp_path):
    html = tmp_path / "bht.html"
    run("map", "--provider", "BHT", "--quarter", "Q1 2018/19", "-o", html, "--store", loaded_store)
    text = html.read_text()
    assert "<html" in text.lower() and "Bedford Hospital" in text
    import re

    assert not re.findall(r"(?:src|href)\s*=\s*[\"']?https?://|url\(\s*[\"']?https?://|@import", text, re.I)
    png = tmp_path / "bht.png"
    run("map", "--provider", "BHT", "--png", "-o", png, "--store", loaded_store)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "overlaps.svg"
    run("map", "--overlaps", "--svg", "-o", svg, "--store", loaded_store)
    assert b"<svg" in svg.read_bytes()[:2000]
    proc = run("map", "--provider", "Zebulon Hospital", "-o", tmp_path / "x.html", "--store", loaded_store, check=False)
    assert proc.returncode == 2 and "unknown provider" in proc.stderr


def test_demo_builds_bundled_corpus_and_serves(tmp_path):
    port = free_port()
    proc = subprocess.Popen([str(BIN), "demo", "--port", str(port)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = ""
        deadline = time.time() + 120
        while time.time() < deadline:
            line = proc.stdout.readline()
            if "http://" in line or proc.poll() is not None:
                break
        assert f"http://127.0.0.1:{port}/" in line, line + (proc.stderr.read() if proc.poll() is not None else "")
        for _ in range(100):
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/intentions", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        body = r.json()
        assert body["total"] >= 10
        docs = {i["source"]["document"] for i in body["results"]}
        assert all("2018-19" in d for d in docs)
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)
