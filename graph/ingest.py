"""Load documents into a store: read → extract → resolve/build → replace the document's graph.

Each document is stored in its own named graph in one all-or-nothing write, so a file that
fails (unreadable, no intentions, a store error) changes nothing and the other files still load.
The organisation registry is written to its own graph the first time it is missing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from cigraph.graph.build import BuildReport, build_document_graph, build_registry_graph, document_iri
from cigraph.graph.registry import Registry
from cigraph.graph.store import GraphStore
from cigraph.loaders import LoadError, load_path
from cigraph.ontology import REGISTRY_GRAPH


@dataclass
class LoadResult:
    path: str
    ok: bool
    error: str | None = None
    report: BuildReport | None = None
    graph_iri: str | None = None
    triples: int = 0
    warnings: list[str] = field(default_factory=list)


def ensure_registry(store: GraphStore, registry: Registry, force: bool = False) -> None:
    """Write the registry graph if the store does not have it yet (or when forced)."""
    if force or str(REGISTRY_GRAPH) not in store.graphs():
        store.replace_graph(str(REGISTRY_GRAPH), build_registry_graph(registry))


def load_one(path: str | Path, store: GraphStore, registry: Registry) -> LoadResult:
    """Load one file; never raises for bad input: the result says what went wrong."""
    path = str(path)
    try:
        xdoc = load_path(path)
        graph, report = build_document_graph(xdoc, registry)
        iri = str(document_iri(xdoc.document.name))
        store.replace_graph(iri, graph)
    except LoadError as exc:
        return LoadResult(path, False, str(exc))
    except Exception as exc:  # a bug or a store failure: report it against the file, keep going
        return LoadResult(path, False, f"{path}: {type(exc).__name__}: {exc}")
    return LoadResult(path, True, report=report, graph_iri=iri, triples=len(graph), warnings=report.warnings)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, and the files directly inside folders named (sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(q for q in p.iterdir() if q.is_file() and not q.name.startswith(".")))
        else:
            out.append(p)
    return out


def load_files(
    paths: Iterable[str | Path],
    store: GraphStore,
    registry: Registry | None = None,
    progress: Callable[[Path, LoadResult], None] | None = None,
) -> list[LoadResult]:
    registry = registry or Registry.load()
    ensure_registry(store, registry)
    results = []
    for path in expand_paths(paths):
        result = load_one(path, store, registry)
        results.append(result)
        if progress:
            progress(path, result)
    return results
