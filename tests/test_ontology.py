"""The ontology defines every term the code uses, and the SHACL shapes accept well-formed
graphs and reject broken ones with messages that name the rule."""
from __future__ import annotations

from decimal import Decimal

import pytest
import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, OWL, PROV, RDF, RDFS, SKOS, TIME, XSD

from cigraph.graph.validate import Violation, format_violations, validate
from cigraph.ontology import CIG, CLASSES, DOCS, GROUPS, ID, ONTOLOGY_TTL, ORGS, PROPERTIES, SHAPES_TTL

ONT = rdflib.Graph().parse(ONTOLOGY_TTL, format="turtle")
SHAPES = rdflib.Graph().parse(SHAPES_TTL, format="turtle")


# ------------------------------------------------------------------------------------------
# the ontology


def test_ontology_is_an_owl_ontology():
    assert (URIRef("https://w3id.org/cigraph/ontology"), RDF.type, OWL.Ontology) in ONT


@pytest.mark.parametrize("name", CLASSES)
def test_every_class_is_defined_with_label_and_comment(name):
    term = CIG[name]
    assert (term, RDF.type, OWL.Class) in ONT, f"cig:{name} is not declared an owl:Class"
    assert ONT.value(term, RDFS.label) is not None, f"cig:{name} has no rdfs:label"
    assert ONT.value(term, RDFS.comment) is not None, f"cig:{name} has no rdfs:comment"


@pytest.mark.parametrize("name", PROPERTIES)
def test_every_property_is_defined_with_label_comment_and_range(name):
    term = CIG[name]
    kinds = set(ONT.objects(term, RDF.type))
    assert kinds & {OWL.ObjectProperty, OWL.DatatypeProperty}, f"cig:{name} is not declared a property"
    assert ONT.value(term, RDFS.label) is not None
    assert ONT.value(term, RDFS.comment) is not None
    assert ONT.value(term, RDFS.range) is not None, f"cig:{name} has no rdfs:range"


def test_no_undeclared_cig_terms_in_the_ontology():
    used = {t for triple in ONT for t in triple if isinstance(t, URIRef) and t.startswith(str(CIG))}
    assert {str(t)[len(str(CIG)):] for t in used} <= set(CLASSES) | set(PROPERTIES)


def test_standard_vocabularies_are_reused():
    assert (CIG.Commissioner, RDFS.subClassOf, ORG.FormalOrganization) in ONT
    assert (CIG.Provider, RDFS.subClassOf, ORG.FormalOrganization) in ONT
    assert (CIG.STP, RDFS.subClassOf, ORG.OrganizationalCollaboration) in ONT
    assert (CIG.memberOfSTP, RDFS.subPropertyOf, ORG.memberOf) in ONT
    for cls in (CIG.Programme, CIG.Pathway, CIG.Mechanism):
        assert (cls, RDFS.subClassOf, SKOS.Concept) in ONT
    for cls in (CIG.SourceSpan, CIG.SourceDocument, CIG.Intention):
        assert (cls, RDFS.subClassOf, PROV.Entity) in ONT
    for prop in (CIG.activeDuring, CIG.startsIn, CIG.dueBy, CIG.commencement):
        assert ONT.value(prop, RDFS.range) == TIME.Interval
    assert (CIG.confidence, RDFS.range, XSD.decimal) in ONT
    assert (CIG.inferred, RDFS.range, XSD.boolean) in ONT


def test_affects_is_the_chain_has_impact_then_impact_on():
    chain = ONT.value(CIG.affects, OWL.propertyChainAxiom)
    assert list(rdflib.collection.Collection(ONT, chain)) == [CIG.hasImpact, CIG.impactOn]


def test_provider_kinds_are_a_concept_scheme():
    scheme = ID["kind"]
    assert (scheme, RDF.type, SKOS.ConceptScheme) in ONT
    kinds = {str(c).rsplit("/", 1)[-1] for c in ONT.subjects(SKOS.inScheme, scheme)}
    assert {"acute", "community", "mental-health", "ambulance", "primary-care",
            "independent-sector", "voluntary", "local-authority"} <= kinds


def test_the_registry_graph_conforms_and_uses_defined_kinds():
    """The shapes against the real registry builder (graph/build.py + graph/registry.py)."""
    from cigraph.graph.build import build_registry_graph
    from cigraph.graph.registry import Registry

    g = build_registry_graph(Registry.load())
    ok, violations = validate(g)
    assert ok, format_violations(violations)
    used = set(g.objects(None, CIG.providerKind))
    assert used, "the registry graph states no cig:providerKind"
    undefined = {str(k) for k in used if (k, SKOS.inScheme, ID["kind"]) not in ONT}
    assert not undefined, f"kinds missing from the ontology's scheme: {sorted(undefined)}"


def test_role_values_are_documented():
    comment = str(ONT.value(CIG.role, RDFS.comment))
    for role in ("named", "lead", "indirect", "generic", "via-successor"):
        assert f'"{role}"' in comment


# ------------------------------------------------------------------------------------------
# a hand-built graph with every part an intention needs


def valid_graph() -> rdflib.Graph:
    g = rdflib.Graph()
    doc = DOCS["test-doc"]
    comm, prov_, succ = ORGS["06F"], ORGS["RC1"], ORGS["RC9"]
    group = GROUPS["acute-providers"]
    stp = ID["stp/blmk"]
    g.add((doc, RDF.type, CIG.SourceDocument))
    g.add((doc, CIG.fileName, Literal("test-doc.txt")))
    g.add((doc, DCTERMS.title, Literal("Commissioning intentions 2018/19")))
    g.add((comm, RDF.type, CIG.Commissioner))
    g.add((comm, SKOS.prefLabel, Literal("NHS Bedfordshire CCG")))
    g.add((comm, CIG.memberOfSTP, stp))
    g.add((stp, RDF.type, CIG.STP))
    g.add((stp, SKOS.prefLabel, Literal("Bedfordshire, Luton and Milton Keynes")))
    for org, label, code in ((prov_, "Bedford Hospital NHS Trust", "RC1"),
                             (succ, "Bedfordshire Hospitals NHS Foundation Trust", "RC9")):
        g.add((org, RDF.type, CIG.Provider))
        g.add((org, SKOS.prefLabel, Literal(label)))
        g.add((org, CIG.odsCode, Literal(code)))
        g.add((org, CIG.providerKind, ID["kind/acute"]))
    g.add((ID["kind/acute"], RDF.type, SKOS.Concept))
    g.add((succ, CIG.successorOf, prov_))
    s = ID["succession/rc1-rc9"]
    g.add((s, RDF.type, CIG.Succession))
    g.add((s, CIG.predecessor, prov_))
    g.add((s, CIG.successor, succ))
    g.add((s, CIG.successionDate, Literal("2020-04-01", datatype=XSD.date)))
    g.add((s, CIG.successionKind, Literal("merger")))
    g.add((group, RDF.type, CIG.ProviderGroup))
    g.add((group, SKOS.prefLabel, Literal("Acute providers")))

    it = ID["intention/test-doc/12"]
    g.add((it, RDF.type, CIG.Intention))
    g.add((it, DCTERMS.title, Literal("MSK triage")))
    g.add((it, DCTERMS.description, Literal("Introduce an MSK triage service with BHT from Q1.")))
    g.add((it, CIG.commissionedBy, comm))
    g.add((it, CIG.planningYear, Literal("FY2018/19")))
    g.add((it, CIG.section, Literal("7.2 Planned care")))
    span(g, it, doc, 12, 14)
    programme = ID["programme/planned-care"]
    g.add((it, CIG.inProgramme, programme))
    g.add((programme, RDF.type, CIG.Programme))
    g.add((programme, SKOS.prefLabel, Literal("Planned Care")))

    for n, (target, role, inferred) in enumerate(((prov_, "named", False), (group, "generic", False),
                                                    (succ, "via-successor", True)), start=1):
        link = URIRef(f"{it}#impact-{n}")
        g.add((it, CIG.hasImpact, link))
        g.add((it, CIG.affects, target))
        g.add((link, RDF.type, CIG.ImpactLink))
        g.add((link, CIG.impactOn, target))
        g.add((link, CIG.role, Literal(role)))
        g.add((link, CIG.confidence, Literal(Decimal("0.95"), datatype=XSD.decimal)))
        g.add((link, CIG.inferred, Literal(inferred)))
        if inferred:
            g.add((link, CIG.inferenceMethod, Literal("successor")))
        g.add((link, CIG.mentionText, Literal("BHT")))
        span(g, link, doc, 13, 13)

    period = URIRef(f"{it}#period-1")
    g.add((it, CIG.startsIn, period))
    add_period(g, period, "starts", "FY2018/19 Q1", "2018-04-01", "2018-06-30")
    ongoing = URIRef(f"{it}#period-2")
    g.add((it, CIG.activeDuring, ongoing))
    add_period(g, ongoing, "ongoing", "ongoing", None, None)

    money = URIRef(f"{it}#money-1")
    g.add((it, CIG.hasFinancialImpact, money))
    g.add((money, RDF.type, CIG.FinancialImpact))
    g.add((money, CIG.amount, Literal(Decimal("120"), datatype=XSD.decimal)))
    g.add((money, CIG.unit, Literal("GBP_thousand")))
    g.add((money, CIG.measure, Literal("gross savings")))
    g.add((money, CIG.provider, prov_))
    proc = URIRef(f"{it}#procurement")
    g.add((it, CIG.hasProcurement, proc))
    g.add((proc, RDF.type, CIG.Procurement))
    g.add((proc, DCTERMS.title, Literal("MSK triage service")))
    g.add((proc, CIG.indicativeValue, money))
    commencement = URIRef(f"{proc}-commencement-1")
    g.add((proc, CIG.commencement, commencement))
    add_period(g, commencement, "starts", "FY2018/19 Q3", "2018-10-01", "2018-12-31")
    return g


def span(g: rdflib.Graph, subject: URIRef, doc: URIRef, start: int, end: int) -> URIRef:
    node = URIRef(f"{subject}#src")
    g.add((subject, PROV.wasDerivedFrom, node))
    g.add((node, RDF.type, CIG.SourceSpan))
    g.add((node, CIG.document, doc))
    g.add((node, CIG.startLine, Literal(start)))
    g.add((node, CIG.endLine, Literal(end)))
    g.add((node, CIG.extractor, Literal("table:test")))
    return node


def add_period(g, node, kind, label, begin, end):
    g.add((node, RDF.type, TIME.ProperInterval))
    g.add((node, CIG.periodKind, Literal(kind)))
    g.add((node, CIG.periodLabel, Literal(label)))
    g.add((node, CIG.originalText, Literal(label)))
    for prop, day, key in ((TIME.hasBeginning, begin, "begin"), (TIME.hasEnd, end, "end")):
        if day is not None:
            inst = URIRef(f"{node}-{key}")
            g.add((node, prop, inst))
            g.add((inst, RDF.type, TIME.Instant))
            g.add((inst, TIME.inXSDDate, Literal(day, datatype=XSD.date)))


def test_valid_graph_conforms():
    ok, violations = validate(valid_graph())
    assert ok, format_violations(violations)
    assert violations == []


def test_valid_graph_conforms_as_a_dataset_split_over_named_graphs():
    g = valid_graph()
    ds = rdflib.Dataset()
    registry = ds.graph(ID["graph/registry"])
    document = ds.graph(DOCS["test-doc"])
    for t in g:
        (registry if str(t[0]).startswith(str(ORGS)) else document).add(t)
    ok, violations = validate(ds)
    assert ok, format_violations(violations)


def _broken(mutate) -> list[Violation]:
    g = valid_graph()
    mutate(g)
    ok, violations = validate(g)
    assert not ok, "the broken graph was accepted"
    assert violations
    return violations


IT = ID["intention/test-doc/12"]
LINK = URIRef(f"{IT}#impact-1")
SPAN = URIRef(f"{IT}#src")


def _messages(violations):
    return " | ".join(v.message for v in violations)


def test_missing_title_is_rejected():
    violations = _broken(lambda g: g.remove((IT, DCTERMS.title, None)))
    assert any(v.focus_node.endswith("intention/test-doc/12>") or "12" in v.focus_node for v in violations)
    assert any(v.path == "dcterms:title" for v in violations), _messages(violations)
    assert "title" in _messages(violations)


def test_two_titles_are_rejected():
    violations = _broken(lambda g: g.add((IT, DCTERMS.title, Literal("another title"))))
    assert any(v.path == "dcterms:title" for v in violations)


def test_bad_role_is_rejected():
    def mutate(g):
        g.set((LINK, CIG.role, Literal("sponsor")))
    violations = _broken(mutate)
    bad = [v for v in violations if v.path == "cig:role"]
    assert bad and bad[0].value == '"sponsor"', _messages(violations)
    assert "via-successor" in bad[0].message


def test_end_line_before_start_line_is_rejected():
    def mutate(g):
        g.set((SPAN, CIG.startLine, Literal(20)))
        g.set((SPAN, CIG.endLine, Literal(14)))
    violations = _broken(mutate)
    assert any(v.path == "cig:startLine" and "LessThanOrEquals" in (v.constraint or "") for v in violations), \
        _messages(violations)


def test_start_line_zero_is_rejected():
    violations = _broken(lambda g: g.set((SPAN, CIG.startLine, Literal(0))))
    assert any(v.path == "cig:startLine" for v in violations)


def test_string_line_number_is_rejected():
    violations = _broken(lambda g: g.set((SPAN, CIG.startLine, Literal("12"))))
    assert any(v.path == "cig:startLine" for v in violations)


def test_missing_provenance_is_rejected():
    violations = _broken(lambda g: g.remove((IT, PROV.wasDerivedFrom, None)))
    assert any(v.path == "prov:wasDerivedFrom" for v in violations)


def test_span_without_document_is_rejected():
    violations = _broken(lambda g: g.remove((SPAN, CIG.document, None)))
    assert any(v.path == "cig:document" for v in violations)


def test_commissioner_must_be_a_commissioner():
    violations = _broken(lambda g: g.set((IT, CIG.commissionedBy, ORGS["RC1"])))
    assert any(v.path == "cig:commissionedBy" for v in violations)


def test_two_commissioners_are_rejected():
    violations = _broken(lambda g: g.add((IT, CIG.commissionedBy, ORGS["RC1"])))
    assert any(v.path == "cig:commissionedBy" for v in violations)


def test_impact_on_something_that_is_not_a_provider_is_rejected():
    violations = _broken(lambda g: g.set((LINK, CIG.impactOn, ID["programme/planned-care"])))
    assert any(v.path == "cig:impactOn" for v in violations)


def test_confidence_out_of_range_is_rejected():
    violations = _broken(lambda g: g.set((LINK, CIG.confidence, Literal(Decimal("1.5"), datatype=XSD.decimal))))
    assert any(v.path == "cig:confidence" for v in violations)


def test_inferred_must_be_boolean_and_explained():
    violations = _broken(lambda g: g.set((LINK, CIG.inferred, Literal("yes"))))
    assert any(v.path == "cig:inferred" for v in violations)
    violations = _broken(lambda g: g.set((LINK, CIG.inferred, Literal(True))))
    assert any("inferenceMethod" in v.message for v in violations), _messages(violations)


def test_orphan_impact_link_is_rejected():
    violations = _broken(lambda g: g.remove((IT, CIG.hasImpact, LINK)))
    assert any(v.path == "^cig:hasImpact" for v in violations), [v.path for v in violations]


def test_period_without_beginning_must_be_ongoing_or_unknown():
    period = URIRef(f"{IT}#period-1")
    violations = _broken(lambda g: g.remove((period, TIME.hasBeginning, None)))
    assert any("hasBeginning" in v.message for v in violations)


def test_period_ending_before_it_begins_is_rejected():
    end = URIRef(f"{IT}#period-1-end")
    violations = _broken(lambda g: g.set((end, TIME.inXSDDate, Literal("2017-01-01", datatype=XSD.date))))
    assert any("before it begins" in v.message for v in violations), _messages(violations)


def test_bad_period_kind_is_rejected():
    violations = _broken(lambda g: g.set((URIRef(f"{IT}#period-2"), CIG.periodKind, Literal("soon"))))
    assert any(v.path == "cig:periodKind" for v in violations)


def test_organisation_without_label_is_rejected():
    violations = _broken(lambda g: g.remove((ORGS["RC1"], SKOS.prefLabel, None)))
    assert any(v.path == "skos:prefLabel" and "RC1" in v.focus_node for v in violations)


def test_unknown_unit_is_rejected():
    violations = _broken(lambda g: g.set((URIRef(f"{IT}#money-1"), CIG.unit, Literal("EUR"))))
    assert any(v.path == "cig:unit" for v in violations)


def test_format_violations_names_node_path_and_rule():
    violations = _broken(lambda g: g.remove((IT, DCTERMS.title, None)))
    text = format_violations(violations)
    assert "violation" in text.lower()
    assert "dcterms:title" in text
    assert "intention/test-doc/12" in text
    assert format_violations([]).startswith("no violations")


def test_validate_rejects_bad_arguments():
    with pytest.raises(ValueError, match="inference"):
        validate(valid_graph(), inference="magic")
    with pytest.raises(TypeError):
        validate("not a graph")  # type: ignore[arg-type]


def test_shapes_file_is_shacl():
    from rdflib.namespace import SH
    shapes = set(SHAPES.subjects(RDF.type, SH.NodeShape))
    assert len(shapes) >= 10
