"""The cigraph vocabulary as rdflib namespace objects, and the paths of the ontology files.

Terms of our own live in :data:`CIG`; wherever a standard vocabulary fits we use it instead:
W3C ORG (organisations), OWL-Time (intervals), PROV-O (provenance), SKOS (labels, concepts)
and DCTERMS (titles, identifiers).  ``ontology/cigraph.ttl`` defines every ``CIG`` term used
by the code; ``ontology/shapes.ttl`` holds the SHACL shapes.
"""
from __future__ import annotations

from pathlib import Path

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, TIME, XSD, ORG

HERE = Path(__file__).resolve().parent
ONTOLOGY_TTL = HERE / "cigraph.ttl"
SHAPES_TTL = HERE / "shapes.ttl"

BASE = "https://w3id.org/cigraph/"
CIG = Namespace(BASE + "ontology#")
ID = Namespace(BASE + "id/")  # instance data
ORGS = Namespace(BASE + "id/org/")  # organisations, by ODS code where there is one
GROUPS = Namespace(BASE + "id/group/")  # generic provider groups ("acute", "primary care")
DOCS = Namespace(BASE + "id/doc/")  # source documents; also the named graph of each document
REGISTRY_GRAPH = ID["graph/registry"]  # named graph holding the organisation registry

__all__ = [
    "CIG", "ID", "ORGS", "GROUPS", "DOCS", "REGISTRY_GRAPH", "BASE",
    "DCTERMS", "OWL", "PROV", "RDF", "RDFS", "SKOS", "TIME", "XSD", "ORG",
    "ONTOLOGY_TTL", "SHAPES_TTL",
]

# The CIG terms the code uses (the ontology test checks that cigraph.ttl defines each one).
CLASSES = [
    "Commissioner", "Provider", "ProviderGroup", "Intention", "Programme", "Pathway", "Enabler",
    "STP", "STPPriority", "Procurement", "FinancialImpact", "ImpactLink", "SourceDocument",
    "SourceSpan", "Succession", "Mechanism",
]
PROPERTIES = [
    # intention → things
    "commissionedBy", "hasImpact", "affects", "inProgramme", "onPathway", "enabledBy",
    "enablerFor", "supportsPriority", "activeDuring", "startsIn", "dueBy", "planningYear",
    "mechanism", "hasFinancialImpact", "hasProcurement", "section",
    # impact link
    "impactOn", "role", "confidence", "inferred", "inferenceMethod", "mentionText",
    # financial impact / procurement
    "amount", "unit", "measure", "provider", "commencement", "indicativeValue",
    # organisations
    "providerKind", "odsCode", "memberOfSTP", "successorOf", "predecessor", "successor",
    "successionDate", "successionKind", "priorityNumber", "ofSTP",
    # provenance: prov:wasDerivedFrom → SourceSpan
    "document", "startLine", "endLine", "page", "fileName", "extractor",
    # periods
    "periodKind", "periodLabel", "originalText",
]
