"""Speed and memory of loading and querying, printed as figures (no pass/fail thresholds).

    .venv/bin/python benchmarks/bench.py [--seeds ../shared/seeds] [--copies 10]

It measures, in one run:
* loading: read+extract, resolve+build RDF, and store write, per seed and for a corpus made of
  ``--copies`` renamed copies of every seed (so the store holds copies × 5 document graphs);
* querying "intentions affecting RC1 in FY2018/19 Q1": the first call (reads the snapshot from
  the store) and later calls (snapshot cached), against a **baseline measured in the same run**:
  the same question asked as one hand-written SPARQL query straight to Oxigraph;
* the process's peak memory (max RSS).
"""
from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from cigraph.graph.build import build_document_graph
from cigraph.graph.ingest import ensure_registry
from cigraph.graph.queries import IntentionQuery, Queries
from cigraph.graph.registry import Registry
from cigraph.graph.store import open_store
from cigraph.loaders import load_path

BASELINE = """
PREFIX cig: <https://w3id.org/cigraph/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX time: <http://www.w3.org/2006/time#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT DISTINCT ?i ?title ?file ?line WHERE {
  ?i cig:hasImpact/cig:impactOn <https://w3id.org/cigraph/id/org/RC1> ; dcterms:title ?title ;
     prov:wasDerivedFrom ?src .
  ?src cig:document/cig:fileName ?file ; cig:startLine ?line .
  ?i cig:startsIn|cig:dueBy|cig:activeDuring ?p .
  ?p time:hasBeginning/time:inXSDDate ?s ; time:hasEnd/time:inXSDDate ?e .
  FILTER(?s <= "2018-06-30"^^xsd:date && ?e >= "2018-04-01"^^xsd:date)
} ORDER BY ?file ?line
"""


def timed(fn, *args, repeat=1):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - t)
    return out, times


def ms(xs):
    return f"{statistics.median(xs) * 1000:8.1f} ms" + (f" (min {min(xs) * 1000:.1f})" if len(xs) > 1 else "")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default=str(Path(__file__).resolve().parents[2] / "shared" / "seeds"))
    ap.add_argument("--copies", type=int, default=10)
    args = ap.parse_args()
    seeds = sorted(Path(args.seeds).glob("*.txt"))
    if not seeds:
        print(f"no seed documents in {args.seeds}", file=sys.stderr)
        return 2
    registry = Registry.load()
    tmp = Path(tempfile.mkdtemp(prefix="cigraph-bench-"))
    try:
        print(f"== loading the {len(seeds)} seeds (per document: read+extract | build RDF | store write)")
        store = open_store(tmp / "seeds")
        ensure_registry(store, registry)
        for path in seeds:
            xdoc, t1 = timed(load_path, path)
            (graph, rep), t2 = timed(build_document_graph, xdoc, registry)
            _, t3 = timed(store.replace_graph, f"urn:bench:{path.stem}", graph)
            print(f"  {path.name[:3]}: {rep.intentions:4d} intentions {len(graph):6d} triples | "
                  f"{ms(t1)} | {ms(t2)} | {ms(t3)}")
        store.close()

        print(f"\n== a corpus of {args.copies} copies of every seed ({args.copies * len(seeds)} documents)")
        corpus = tmp / "corpus"
        corpus.mkdir()
        for k in range(args.copies):
            for path in seeds:
                shutil.copy(path, corpus / f"{path.stem}-copy{k:03d}{path.suffix}")
        store = open_store(tmp / "big")
        ensure_registry(store, registry)
        t = time.perf_counter()
        n_int = 0
        for path in sorted(corpus.iterdir()):
            xdoc = load_path(path)
            graph, rep = build_document_graph(xdoc, registry)
            store.replace_graph(f"urn:bench:{path.stem}", graph)
            n_int += rep.intentions
        load_s = time.perf_counter() - t
        print(f"  loaded {n_int} intentions, {store.triple_count()} quads in {load_s:.1f} s "
              f"({load_s / (args.copies * len(seeds)) * 1000:.0f} ms per document)")

        print("\n== query: intentions affecting RC1 in FY2018/19 Q1")
        q = Queries(store, registry)
        ans, cold = timed(lambda: q.intentions(IntentionQuery(provider="RC1", quarter="FY2018/19 Q1", limit=10**9)))
        _, warm = timed(lambda: q.intentions(IntentionQuery(provider="RC1", quarter="FY2018/19 Q1", limit=10**9)), repeat=20)
        rows, base = timed(store.select, BASELINE, repeat=5)
        print(f"  cigraph, first call (reads snapshot): {ms(cold)}   -> {ans.total} intentions")
        print(f"  cigraph, snapshot cached:             {ms(warm)}")
        print(f"  baseline, one SPARQL query:           {ms(base)}   -> {len(rows)} rows "
              "(ids and lines only; no providers/periods/sources assembled)")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\n== memory: max RSS of this process {rss:.0f} MiB")
        store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
