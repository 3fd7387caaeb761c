"""Turn what the loaders extracted into RDF: one named graph per source document.

This is where extraction meets the registry and fiscal time: provider cells and prose mentions
are resolved to organisations or generic provider groups, timescale text becomes OWL-Time
intervals, and every intention and every link records where it came from (PROV-O: document and
line span).  Links that are not literally stated are marked ``cig:inferred true`` with a
``cig:inferenceMethod`` that says how (an alias learnt from "Full Name (ABBR)", a fuzzy match,
a keyword rule linking a programme to an STP priority).

``build_document_graph`` is pure: it returns the graph and a report and writes nothing.  The
caller stores the graph with ``GraphStore.replace_graph`` so a reload replaces exactly that
document's triples, all or nothing.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV, RDF, RDFS, SKOS, TIME, XSD

from cigraph.graph import fiscal
from cigraph.graph.registry import Mention, Organisation, Registry, ResolveContext
from cigraph.loaders.model import ExtractedDocument, ExtractedIntention, Money, Span
from cigraph.ontology import CIG, DOCS, GROUPS, ID, ORGS, REGISTRY_GRAPH

# Kinds of organisation that commission rather than provide; mentioning them in a provider
# column is not a provider link when it is the document's own commissioner.
COMMISSIONER_KINDS = {"ccg", "icb", "national-commissioner"}


def slug(text: str, limit: int = 60) -> str:
    """A readable, IRI-safe slug: "Urgent & Emergency Care" → "urgent-emergency-care"."""
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(s) > limit:
        s = s[:limit].rstrip("-") + "-" + hashlib.sha1(text.encode()).hexdigest()[:6]
    return s or hashlib.sha1(text.encode()).hexdigest()[:10]


def child(iri: URIRef, key: str) -> URIRef:
    """A node belonging to ``iri``: ``iri#key``, or ``iri-key`` when ``iri`` already has a fragment."""
    return URIRef(f"{iri}-{key}" if "#" in iri else f"{iri}#{key}")


def document_iri(file_name: str) -> URIRef:
    """The IRI of a source document, which is also the name of its graph."""
    return DOCS[slug(PurePath(file_name).stem, limit=80)]


def org_iri(org_id: str) -> URIRef:
    return ORGS[org_id]


def group_iri(group: str) -> URIRef:
    return GROUPS[slug(group)]


def concept_iri(kind: str, label: str) -> URIRef:
    return ID[f"{kind}/{slug(label)}"]


@dataclass
class Unresolved:
    text: str
    line: int
    intention: str


@dataclass
class BuildReport:
    document: str
    intentions: int = 0
    provider_links: int = 0
    group_links: int = 0
    unresolved: list[Unresolved] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    commissioner: str | None = None
    planning_fy: int | None = None


class _Builder:
    def __init__(self, xdoc: ExtractedDocument, registry: Registry):
        self.x = xdoc
        self.reg = registry
        self.g = Graph()
        self.doc = xdoc.document
        self.doc_iri = document_iri(self.doc.name)
        self.report = BuildReport(document=self.doc.name, planning_fy=xdoc.planning_fy)
        self.report.warnings.extend(xdoc.warnings)
        self._ids: set[str] = set()
        self._title_to_iri: dict[str, URIRef] = {}
        self._pending_enabler_of: list[tuple[URIRef, str, Span]] = []

    # -- provenance ---------------------------------------------------------------------
    def source(self, subject: URIRef, span: Span, extractor: str | None = None, key: str = "src") -> None:
        node = child(subject, key)
        g = self.g
        g.add((subject, PROV.wasDerivedFrom, node))
        g.add((node, RDF.type, CIG.SourceSpan))
        g.add((node, CIG.document, self.doc_iri))
        g.add((node, CIG.startLine, Literal(max(1, span.line))))
        g.add((node, CIG.endLine, Literal(max(span.line, span.end_line, 1))))
        if span.page is not None:
            g.add((node, CIG.page, Literal(span.page)))
        if extractor:
            g.add((node, CIG.extractor, Literal(extractor)))

    # -- document -----------------------------------------------------------------------
    def commissioner(self) -> tuple[URIRef, Organisation | None]:
        text = self.x.commissioner_text
        org = None
        if text:
            cands = self.reg.resolve(text)
            cands = [c for c in cands if c.org.kind in COMMISSIONER_KINDS] or cands
            if cands:
                org = cands[0].org
        if org is not None:
            iri = org_iri(org.id)
            self.report.commissioner = org.id
        else:
            label = text or f"Unknown commissioner of {self.doc.name}"
            iri = ID[f"commissioner/{slug(label)}"]
            self.report.warnings.append(
                f"commissioner {text!r} is not in the registry; kept as an unresolved commissioner"
                if text else "no commissioner found in the document"
            )
            self.g.add((iri, RDF.type, CIG.Commissioner))
            self.g.add((iri, RDF.type, ORG.Organization))
            self.g.add((iri, SKOS.prefLabel, Literal(label)))
            self.g.add((iri, CIG.inferred, Literal(True)))
        return iri, org

    def build(self) -> tuple[Graph, BuildReport]:
        g, doc = self.g, self.doc
        g.add((self.doc_iri, RDF.type, CIG.SourceDocument))
        g.add((self.doc_iri, RDF.type, PROV.Entity))
        g.add((self.doc_iri, CIG.fileName, Literal(doc.name)))
        g.add((self.doc_iri, DCTERMS.title, Literal(doc.title or doc.name)))
        g.add((self.doc_iri, DCTERMS.format, Literal(doc.format)))
        if self.x.planning_fy:
            g.add((self.doc_iri, CIG.planningYear, Literal(fiscal.fy_label(self.x.planning_fy))))

        self.comm_iri, self.comm_org = self.commissioner()
        g.add((self.doc_iri, DCTERMS.creator, self.comm_iri))
        stp = self.comm_org.stp if self.comm_org else None
        self.ctx = ResolveContext(stp=stp, commissioner=self.comm_org.id if self.comm_org else None)
        full_text = "\n".join(doc.lines)
        try:
            self.ctx.local_aliases = self.reg.learn_aliases(full_text, self.ctx)
        except Exception as exc:  # learning aliases is a bonus, never a reason to fail a load
            self.report.warnings.append(f"alias learning failed: {exc}")
        self.stp_iri = self.stp(stp)

        priorities = self.priorities()
        enablers = self.enablers()
        for intention in self.x.intentions:
            self.intention(intention, priorities, enablers)
        self.enabler_links()
        return g, self.report

    def stp(self, stp_name: str | None) -> URIRef | None:
        name = self.x.stp_text or stp_name
        if not name:
            return None
        iri = ID[f"stp/{slug(stp_name or name)}"]
        self.g.add((iri, RDF.type, CIG.STP))
        self.g.add((iri, RDF.type, ORG.OrganizationalCollaboration))
        self.g.add((iri, SKOS.prefLabel, Literal(stp_name or name)))
        if self.x.stp_text and self.x.stp_text != stp_name:
            self.g.add((iri, SKOS.altLabel, Literal(self.x.stp_text)))
        self.g.add((self.comm_iri, CIG.memberOfSTP, iri))
        return iri

    def priorities(self) -> dict[str, URIRef]:
        out: dict[str, URIRef] = {}
        for number, title, span in self.x.stp_priorities:
            iri = ID[f"priority/{slug(self.doc_iri.split('/')[-1])}/{slug(str(number))}"]
            out[str(number)] = iri
            self.g.add((iri, RDF.type, CIG.STPPriority))
            self.g.add((iri, CIG.priorityNumber, Literal(str(number))))
            self.g.add((iri, DCTERMS.title, Literal(title)))
            if self.stp_iri is not None:
                self.g.add((iri, CIG.ofSTP, self.stp_iri))
            self.source(iri, span, "stp-priorities")
        return out

    def enablers(self) -> dict[str, URIRef]:
        out: dict[str, URIRef] = {}
        for name, span in self.x.enablers:
            iri = ID[f"enabler/{slug(self.doc_iri.split('/')[-1])}/{slug(name)}"]
            out[name.lower()] = iri
            self.g.add((iri, RDF.type, CIG.Enabler))
            self.g.add((iri, DCTERMS.title, Literal(name)))
            self.source(iri, span, "enablers")
        return out

    # -- intentions ---------------------------------------------------------------------
    def intention_iri(self, it: ExtractedIntention) -> URIRef:
        base = f"intention/{self.doc_iri.split('/')[-1]}/{it.span.line}"
        key, n = base, 1
        while key in self._ids:
            n += 1
            key = f"{base}-{n}"
        self._ids.add(key)
        return ID[key]

    def intention(self, it: ExtractedIntention, priorities: dict[str, URIRef], enablers: dict[str, URIRef]) -> None:
        g = self.g
        iri = self.intention_iri(it)
        self._title_to_iri.setdefault(it.title.strip().lower(), iri)
        self.report.intentions += 1
        g.add((iri, RDF.type, CIG.Intention))
        g.add((iri, DCTERMS.title, Literal(it.title.strip() or it.text[:80])))
        g.add((iri, DCTERMS.description, Literal(it.text)))
        g.add((iri, CIG.commissionedBy, self.comm_iri))
        if self.x.planning_fy:
            g.add((iri, CIG.planningYear, Literal(fiscal.fy_label(self.x.planning_fy))))
        if it.section:
            g.add((iri, CIG.section, Literal(it.section)))
        self.source(iri, it.span, it.extractor)
        if it.programme:
            self.concept(iri, CIG.inProgramme, CIG.Programme, "programme", it.programme)
        if it.pathway:
            self.concept(iri, CIG.onPathway, CIG.Pathway, "pathway", it.pathway)
        for mech in dict.fromkeys(m.lower() for m in it.mechanisms):
            self.concept(iri, CIG.mechanism, CIG.Mechanism, "mechanism", mech)
        self.links(iri, it)
        self.periods(iri, it)
        for k, money in enumerate(it.money):
            self.money(iri, money, k, it.span)
        if it.procurement is not None:
            self.procurement(iri, it)
        for name in it.enablers:
            e = enablers.get(name.lower())
            if e is not None:
                g.add((iri, CIG.enabledBy, e))
        if it.enabler_of:
            self._pending_enabler_of.append((iri, it.enabler_of, it.span))
        self.priority_links(iri, it, priorities)

    def concept(self, iri: URIRef, prop: URIRef, cls: URIRef, kind: str, label: str) -> None:
        """Link ``iri`` to the SKOS concept named ``label`` (shared across documents by its slug)."""
        c = concept_iri(kind, label)
        self.g.add((iri, prop, c))
        self.g.add((c, RDF.type, cls))
        self.g.add((c, RDF.type, SKOS.Concept))
        self.g.add((c, SKOS.prefLabel, Literal(label)))

    def links(self, iri: URIRef, it: ExtractedIntention) -> None:
        seen: dict[tuple[URIRef, str], URIRef] = {}
        for span, role in it.provider_spans:
            try:
                mentions = self.reg.find_mentions(span.text, self.ctx)
            except Exception as exc:
                self.report.warnings.append(f"line {span.line}: could not resolve providers: {exc}")
                continue
            for m in mentions:
                self.link(iri, it, span, role, m, seen)

    def link(self, iri, it, span: Span, role: str, m: Mention, seen: dict) -> None:
        g = self.g
        best = m.best
        if m.group:
            target, link_role = group_iri(m.group), "generic"
            g.add((target, RDF.type, CIG.ProviderGroup))
            g.add((target, SKOS.prefLabel, Literal(m.group)))
            confidence, inferred, method = 1.0, False, "generic group"
        elif best is not None:
            org = best.org
            if org.kind in COMMISSIONER_KINDS and (org.id == self.ctx.commissioner or org.kind != "national-commissioner"):
                return  # the commissioner itself (or a fellow CCG) named in a provider column
            target, link_role = org_iri(org.id), role
            confidence = round(float(best.score), 3)
            inferred = best.method in {"fuzzy", "local-alias"}
            method = {
                "fuzzy": f"fuzzy match of {m.text!r} to {org.name!r}",
                "local-alias": f"alias {m.text!r} learnt from this document",
            }.get(best.method, best.method)
        else:
            self.report.unresolved.append(Unresolved(m.text, span.line, str(iri)))
            return
        key = (target, link_role)
        if key in seen:
            return
        link = child(iri, f"impact-{len(seen) + 1}")
        seen[key] = link
        g.add((iri, CIG.hasImpact, link))
        g.add((iri, CIG.affects, target))
        g.add((link, RDF.type, CIG.ImpactLink))
        g.add((link, CIG.impactOn, target))
        g.add((link, CIG.role, Literal(link_role)))
        g.add((link, CIG.confidence, Literal(Decimal(str(min(max(confidence, 0.0), 1.0))), datatype=XSD.decimal)))
        g.add((link, CIG.inferred, Literal(bool(inferred))))
        g.add((link, CIG.inferenceMethod, Literal(method)))
        g.add((link, CIG.mentionText, Literal(m.text)))
        self.source(link, span, it.extractor)
        if m.group:
            self.report.group_links += 1
        else:
            self.report.provider_links += 1

    def periods(self, iri: URIRef, it: ExtractedIntention) -> None:
        tabular = it.extractor.startswith("table")
        n = 0
        seen: set[tuple] = set()
        for span in it.timescale_spans:
            found = (fiscal.parse_timescale if tabular else fiscal.find_timescales)(span.text, self.x.planning_fy)
            for p in found:
                key = (p.kind, p.start, p.end, p.label)
                if key in seen or (p.kind == "unknown" and not tabular):
                    continue
                seen.add(key)
                n += 1
                node = child(iri, f"period-{n}")
                self.period_node(node, p)
                prop = {"starts": CIG.startsIn, "due": CIG.dueBy}.get(p.kind, CIG.activeDuring)
                self.g.add((iri, prop, node))
                self.source(node, span, it.extractor)

    def period_node(self, node: URIRef, p: "fiscal.Period") -> None:
        g = self.g
        g.add((node, RDF.type, TIME.ProperInterval))
        g.add((node, CIG.periodKind, Literal(p.kind)))
        g.add((node, CIG.periodLabel, Literal(p.label)))
        g.add((node, CIG.originalText, Literal(p.text)))
        for prop, d, key in ((TIME.hasBeginning, p.start, "begin"), (TIME.hasEnd, p.end, "end")):
            if d is not None:
                inst = URIRef(f"{node}-{key}")
                g.add((node, prop, inst))
                g.add((inst, RDF.type, TIME.Instant))
                g.add((inst, TIME.inXSDDate, Literal(d, datatype=XSD.date)))

    def money(self, iri: URIRef, money: Money, k: int, fallback: Span, key: str = "money") -> URIRef:
        g = self.g
        node = child(iri, f"{key}-{k + 1}")
        g.add((iri, CIG.hasFinancialImpact, node))
        g.add((node, RDF.type, CIG.FinancialImpact))
        g.add((node, CIG.amount, Literal(Decimal(str(money.amount)), datatype=XSD.decimal)))
        g.add((node, CIG.unit, Literal(money.unit)))
        g.add((node, CIG.measure, Literal(money.measure)))
        if money.provider_text:
            g.add((node, CIG.mentionText, Literal(money.provider_text)))
            cands = self.reg.resolve(money.provider_text, self.ctx)
            if cands:
                g.add((node, CIG.provider, org_iri(cands[0].org.id)))
            else:
                # A sector column ("Primary Care £k") names a group and "Other" nobody in
                # particular: the figure keeps its mention text and is not an unresolved name.
                mentions = self.reg.find_mentions(money.provider_text, self.ctx)
                if any(not m.candidates and not m.group for m in mentions):
                    line = (money.span or fallback).line
                    self.report.unresolved.append(Unresolved(money.provider_text, line, str(iri)))
        self.source(node, money.span or fallback, None)
        return node

    def procurement(self, iri: URIRef, it: ExtractedIntention) -> None:
        g, proc = self.g, it.procurement
        node = child(iri, "procurement")
        g.add((iri, CIG.hasProcurement, node))
        g.add((node, RDF.type, CIG.Procurement))
        g.add((node, DCTERMS.title, Literal(proc.service)))
        if proc.value is not None:
            money_node = self.money(iri, proc.value, 0, proc.span or it.span, key="procurement-value")
            g.add((node, CIG.indicativeValue, money_node))
        if proc.commencement_text:
            for k, p in enumerate(fiscal.parse_timescale(proc.commencement_text, self.x.planning_fy)):
                pn = URIRef(f"{node}-commencement-{k + 1}")
                self.period_node(pn, p)
                g.add((node, CIG.commencement, pn))
        self.source(node, proc.span or it.span, it.extractor)

    def priority_links(self, iri: URIRef, it: ExtractedIntention, priorities: dict[str, URIRef]) -> None:
        if not priorities:
            return
        from cigraph.loaders import meta

        rule = getattr(meta, "PRIORITY_RULE_DESCRIPTION", "keyword rule from programme to STP priority (loaders/meta.py)")

        for number, _title in meta.priorities_for(it, self.x.stp_priorities):
            p = priorities.get(str(number))
            if p is None:
                continue
            self.g.add((iri, CIG.supportsPriority, p))
            # The link is inferred by a keyword rule: say so with a reified statement.
            stmt = child(iri, f"priority-{slug(str(number))}")
            self.g.add((stmt, RDF.type, RDF.Statement))
            self.g.add((stmt, RDF.subject, iri))
            self.g.add((stmt, RDF.predicate, CIG.supportsPriority))
            self.g.add((stmt, RDF.object, p))
            self.g.add((stmt, CIG.inferred, Literal(True)))
            self.g.add((stmt, CIG.inferenceMethod, Literal(rule)))

    def enabler_links(self) -> None:
        """"This project is an enabler for the X project": link to the intention titled X."""
        for iri, target, span in self._pending_enabler_of:
            t = target.strip().lower()
            match = self._title_to_iri.get(t) or next(
                (v for k, v in self._title_to_iri.items() if t and (t in k or k in t) and v != iri), None
            )
            if match is not None:
                self.g.add((iri, CIG.enablerFor, match))
                self.g.add((match, CIG.enabledBy, iri))
            else:
                self.report.warnings.append(f"line {span.line}: enabler target {target!r} not found among intentions")


def build_document_graph(xdoc: ExtractedDocument, registry: Registry) -> tuple[Graph, BuildReport]:
    """RDF for one extracted document (its named graph's content) and a report of what happened."""
    return _Builder(xdoc, registry).build()


def build_registry_graph(registry: Registry) -> Graph:
    """The organisation registry as RDF (stored in its own named graph)."""
    g = Graph()
    stps: dict[str, URIRef] = {}
    for org in registry.all():
        iri = org_iri(org.id)
        cls = CIG.Commissioner if org.kind in COMMISSIONER_KINDS else CIG.Provider
        g.add((iri, RDF.type, cls))
        if org.kind == "national-commissioner":
            # NHS England also directly commissions and runs national services, and documents
            # name it among the parties an intention affects: it can be an impact target.
            g.add((iri, RDF.type, CIG.Provider))
        g.add((iri, RDF.type, ORG.FormalOrganization))
        g.add((iri, SKOS.prefLabel, Literal(org.name)))
        g.add((iri, DCTERMS.identifier, Literal(org.id)))
        if org.ods:
            g.add((iri, CIG.odsCode, Literal(org.id)))
        for alias in org.aliases:
            g.add((iri, SKOS.altLabel, Literal(alias)))
        g.add((iri, CIG.providerKind, ID[f"kind/{slug(org.kind)}"]))
        if org.town:
            g.add((iri, RDFS.comment, Literal(f"Based in {org.town.title()}")))
        g.add((iri, DCTERMS.source, Literal(org.source)))
        if org.stp:
            stp = stps.setdefault(org.stp, ID[f"stp/{slug(org.stp)}"])
            g.add((stp, RDF.type, CIG.STP))
            g.add((stp, RDF.type, ORG.OrganizationalCollaboration))
            g.add((stp, SKOS.prefLabel, Literal(org.stp)))
            g.add((iri, CIG.memberOfSTP, stp))
        for succ, when, kind in registry.successors(org.id):
            node = ID[f"succession/{slug(org.id)}-{slug(succ)}"]
            g.add((org_iri(succ), CIG.successorOf, iri))
            g.add((node, RDF.type, CIG.Succession))
            g.add((node, CIG.predecessor, iri))
            g.add((node, CIG.successor, org_iri(succ)))
            g.add((node, CIG.successionDate, Literal(when, datatype=XSD.date)))
            g.add((node, CIG.successionKind, Literal(kind)))
    for group in registry.groups():
        iri = group_iri(group)
        g.add((iri, RDF.type, CIG.ProviderGroup))
        g.add((iri, SKOS.prefLabel, Literal(group)))
    kinds = {org.kind for org in registry.all()}
    scheme = ID["kind"]
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    g.add((scheme, SKOS.prefLabel, Literal("Provider kinds")))
    for kind in kinds:
        k = ID[f"kind/{slug(kind)}"]
        g.add((k, RDF.type, SKOS.Concept))
        g.add((k, SKOS.prefLabel, Literal(kind)))
        g.add((k, SKOS.inScheme, scheme))
    return g


__all__ = [
    "BuildReport", "Unresolved", "build_document_graph", "build_registry_graph", "document_iri",
    "org_iri", "group_iri", "concept_iri", "slug", "REGISTRY_GRAPH",
]
