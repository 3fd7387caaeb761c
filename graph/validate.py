"""Check a graph against the SHACL shapes in ``ontology/shapes.ttl`` (with pySHACL).

>>> ok, violations = validate(graph)
>>> print(format_violations(violations))

The ontology (``ontology/cigraph.ttl``) is passed to pySHACL as the ontology graph: it is mixed
into (a copy of) the data so that class hierarchy is known — ``cig:Provider`` is an
``org:FormalOrganization`` is an ``org:Organization`` — which is all the shapes need.

Inference defaults to ``"none"``.  With ``"rdfs"`` the ontology's domains and ranges would be
applied before checking, and they would *hide* errors: every object of ``cig:commissionedBy``
would become a ``cig:Commissioner`` by inference, so "must be a cig:Commissioner" could never
fail.  It is also slower: on the five seed documents plus the registry (21k triples) pySHACL
took 3.5 s with no inference and 6.1 s with ``"rdfs"`` (2-core machine).  Pass
``inference="rdfs"`` to check what a reasoner would conclude instead.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import pyshacl
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH
from rdflib.term import BNode, Node

from cigraph.ontology import ONTOLOGY_TTL, SHAPES_TTL

__all__ = ["Violation", "validate", "format_violations", "load_shapes", "load_ontology"]

_INFERENCE = ("none", "rdfs", "owlrl", "both")


@dataclass(frozen=True)
class Violation:
    """One SHACL validation result, in words a person can act on."""

    focus_node: str  # the node that breaks the rule (IRI, or "_:id" for a blank node)
    path: str | None  # the property path concerned, compacted ("cig:role", "^cig:hasImpact")
    message: str  # what rule is broken
    severity: str  # "Violation", "Warning" or "Info"
    value: str | None = None  # the offending value, when there is one
    shape: str | None = None  # the shape the rule belongs to
    constraint: str | None = None  # the SHACL constraint component, e.g. "sh:InConstraintComponent"

    def __str__(self) -> str:
        where = f" {self.path}" if self.path else ""
        value = f" (value: {self.value})" if self.value is not None else ""
        return f"[{self.severity}] {self.focus_node}{where}: {self.message}{value}"


@lru_cache(maxsize=1)
def load_shapes() -> rdflib.Graph:
    """The SHACL shapes graph (parsed once)."""
    return rdflib.Graph().parse(SHAPES_TTL, format="turtle")


@lru_cache(maxsize=1)
def load_ontology() -> rdflib.Graph:
    """The cigraph ontology graph (parsed once)."""
    return rdflib.Graph().parse(ONTOLOGY_TTL, format="turtle")


def _as_graph(data: rdflib.Graph | rdflib.Dataset) -> rdflib.Graph:
    """A plain graph to validate: a dataset's graphs are merged (statements refer across them,
    e.g. an intention in a document graph points at a provider in the registry graph)."""
    if isinstance(data, (rdflib.Dataset, rdflib.ConjunctiveGraph)):
        merged = rdflib.Graph()
        for s, p, o, _g in data.quads((None, None, None, None)):
            merged.add((s, p, o))
        return merged
    if isinstance(data, rdflib.Graph):
        return data
    raise TypeError(f"validate() needs an rdflib.Graph or rdflib.Dataset, got {type(data).__name__}")


def validate(
    data: rdflib.Graph | rdflib.Dataset,
    *,
    inference: str = "none",
    shapes: rdflib.Graph | None = None,
    ontology: rdflib.Graph | None = None,
) -> tuple[bool, list[Violation]]:
    """Validate ``data`` against the cigraph shapes; return (conforms, violations).

    ``violations`` lists every result (warnings and infos too), sorted by focus node.  The data
    is not modified.
    """
    if inference not in _INFERENCE:
        raise ValueError(f"inference must be one of {', '.join(_INFERENCE)}; got {inference!r}")
    graph = _as_graph(data)
    shapes_graph = shapes if shapes is not None else load_shapes()
    conforms, results, _text = pyshacl.validate(
        graph,
        shacl_graph=shapes_graph,
        ont_graph=ontology if ontology is not None else load_ontology(),
        inference=inference,
        inplace=False,
        allow_warnings=True,
        allow_infos=True,
    )
    violations = _violations(results, graph)
    violations.sort(key=lambda v: (v.severity != "Violation", v.focus_node, v.path or "", v.message))
    return bool(conforms), violations


def _violations(results: rdflib.Graph, data: rdflib.Graph) -> list[Violation]:
    names = rdflib.Graph()
    names.namespace_manager = _namespaces()

    def show(node: Node | None) -> str | None:
        if node is None:
            return None
        if isinstance(node, BNode):
            return "_:" + str(node)
        return node.n3(names.namespace_manager)

    out = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        path = results.value(result, SH.resultPath)
        severity = results.value(result, SH.resultSeverity)
        message = results.value(result, SH.resultMessage)
        component = results.value(result, SH.sourceConstraintComponent)
        out.append(Violation(
            focus_node=show(results.value(result, SH.focusNode)) or "?",
            path=_show_path(results, path, show) if path is not None else None,
            message=str(message) if message is not None else _default_message(component, show),
            severity=str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation",
            value=show(results.value(result, SH.value)),
            shape=show(results.value(result, SH.sourceShape)),
            constraint=show(component),
        ))
    return out


def _show_path(g: rdflib.Graph, path: Node, show) -> str:
    """A SHACL property path in SPARQL property-path syntax."""
    if not isinstance(path, BNode):
        return show(path)
    inverse = g.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + _show_path(g, inverse, show)
    alternatives = g.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(_show_path(g, p, show) for p in Collection(g, alternatives)) + ")"
    for prop, suffix in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
        inner = g.value(path, prop)
        if inner is not None:
            return _show_path(g, inner, show) + suffix
    if g.value(path, RDF.first) is not None:
        return "/".join(_show_path(g, p, show) for p in Collection(g, path))
    return show(path)


def _default_message(component: Node | None, show) -> str:
    return f"breaks {show(component)}" if component is not None else "breaks a shape"


@lru_cache(maxsize=1)
def _namespaces() -> rdflib.namespace.NamespaceManager:
    from cigraph.graph.store import PREFIXES

    manager = rdflib.namespace.NamespaceManager(rdflib.Graph(), bind_namespaces="none")
    for prefix, ns in PREFIXES.items():
        manager.bind(prefix, ns, override=True)
    manager.bind("sh", str(SH), override=True)
    manager.bind("cigsh", "https://w3id.org/cigraph/shapes#", override=True)
    return manager


def format_violations(violations: Iterable[Violation], *, limit: int | None = 50) -> str:
    """A readable report, grouped by message, for a CLI to print."""
    violations = list(violations)
    if not violations:
        return "no violations: the graph conforms to the shapes"
    counts: dict[str, int] = {}
    for v in violations:
        counts[v.severity] = counts.get(v.severity, 0) + 1
    summary = ", ".join(f"{n} {sev.lower()}{'s' if n != 1 else ''}" for sev, n in counts.items())
    by_message: dict[tuple[str, str], list[Violation]] = {}
    for v in violations:
        by_message.setdefault((v.severity, v.message), []).append(v)
    lines = [summary]
    shown = 0
    for (severity, message), group in by_message.items():
        lines.append(f"\n{severity}: {message} ({len(group)})")
        for v in group:
            if limit is not None and shown >= limit:
                break
            where = f" {v.path}" if v.path else ""
            value = f" = {v.value}" if v.value is not None else ""
            lines.append(f"  {v.focus_node}{where}{value}")
            shown += 1
    if limit is not None and len(violations) > shown:
        lines.append(f"\n… and {len(violations) - shown} more")
    return "\n".join(lines)
