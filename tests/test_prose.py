"""Prose and bullet extraction (loaders/prose.py) and document metadata (loaders/meta.py).

Seed checks cite the seed lines they were verified against by reading the seed.
"""
from __future__ import annotations

import pytest

from cigraph.loaders.meta import PRIORITY_THEMES, document_metadata, priorities_for
from cigraph.loaders.model import Block, Document, ExtractedIntention, Span
from cigraph.loaders.prose import (
    extract_prose,
    find_enabler_of,
    find_mechanisms,
    find_money,
    has_timescale,
    is_commitment,
    lead_in_kind,
    section_kind,
    short_title,
)
from cigraph.loaders.readers import read_document, read_text

SEEDS = {
    "000": "000_af5bffa52fcdce02.txt",
    "001": "001_0c3910418eb40f69.txt",
    "002": "002_22ae9f361ec56aea.txt",
    "003": "003_3a683f349541702c.txt",
    "004": "004_c74fef163ed759e5.txt",
}


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------


def test_money_units():
    (m,) = find_money("an investment of £1.2m in community beds")
    assert (m.amount, m.unit, m.measure) == (1.2, "GBP_million", "investment")
    (m,) = find_money("gross savings of £250k")
    assert (m.amount, m.unit, m.measure) == (250.0, "GBP_thousand", "savings")
    (m,) = find_money("a contract worth £500,000 a year")
    assert (m.amount, m.unit) == (500000.0, "GBP")
    (m,) = find_money("a gap of £30 billion a year")
    assert (m.amount, m.unit) == (30000.0, "GBP_million")
    assert find_money("Value £000's") == []  # a column header, not a figure
    assert find_money("no money here") == []


def test_enabler_of():
    text = "The project has three key components. This project is an enabler for the Better Care Team (BCT) project."
    assert find_enabler_of(text) == "Better Care Team (BCT)"
    assert find_enabler_of("tele-health as a key enabler to achieve health and social care integration") == (
        "health and social care integration"
    )
    assert find_enabler_of("We will commission a new service.") is None


def test_mechanisms():
    assert find_mechanisms("This will form part of a contract variation.") == ["contract variation"]
    found = find_mechanisms("We will re-procure the service and pilot a CQUIN with Any Qualified Provider.")
    assert {"re-procurement", "CQUIN", "AQP", "pilot"} <= set(found)
    assert "procurement" not in found  # only the re-procurement is named
    assert "decommissioning" in find_mechanisms("This may include de-commissioning direct access MRIs.")
    assert find_mechanisms("We will talk to people.") == []


@pytest.mark.parametrize(
    "sentence",
    [
        "We will commission a new Integrated Diabetes Service.",
        "Further to an invest to save business case, we will develop a menu of additional support.",
        "The CCG intends to re-commission the service in 2015/16.",
        "Luton CCG will continue to work with non-acute providers to develop tariffs.",
        "In Bexley, Greenwich, Lewisham (BGL) and Bromley we wish to further develop our OOH offer.",
        "We propose to spread the roll out to cover all acute providers.",
        "The CCGs, working with social care commissioners, will specify core community provision.",
    ],
)
def test_commitments(sentence):
    assert is_commitment(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "We will need to invest in our enhanced CBC offer.",  # necessity, not intention
        "The way in which West London CCG will be implementing these goals is set out in sections 3 and 4.",
        "This plan needs to set out how the transfer to local authorities in 2014/15 will be used.",
        "Juliet Hancox, Chief Operating Officer, Coventry and Rugby CCG will report at the meeting.",
        "Providers will be expected to comply with all national standards.",
        "In 2014 we have implemented a revised policy.",
    ],
)
def test_not_commitments(sentence):
    assert not is_commitment(sentence)


def test_section_kinds():
    assert section_kind("5.2 Commissioning intentions") == "list"
    assert section_kind("7.2 In hospital commissioning intentions - roll out of the core in hospital offer") == "list"
    assert section_kind("3.3 Urgent and Emergency Care – CCG Intentions") == "intent"
    assert section_kind("Other priorities for 2014/15") == "intent"
    assert section_kind("6.1 Objective") == "weak"
    assert section_kind("12. Financial implications") == "exclude"
    assert section_kind("7.4 Contribution to financial recovery") == "exclude"
    assert section_kind("Appendix 3 – Framework Toolkit") == "exclude"
    assert section_kind("COMMISSIONING INTENTIONS 2015/16") == "intent"  # a document title, not a list
    assert section_kind("8.2 Diagnostics") == "neutral"


def test_lead_ins():
    assert lead_in_kind("Specific areas of focus in 2014/15 will include:") == "positive"
    assert lead_in_kind("In 2014/15 the CCG will:") == "positive"
    assert lead_in_kind("Expected outcomes for accessing specialist advice are:") == "negative"
    assert lead_in_kind("These hubs will be established with the following principles:") == "negative"
    assert lead_in_kind("They are:") == "neutral"


def test_short_titles():
    assert short_title(
        "We will commission a new Integrated Diabetes Service that will support the diversion of activity."
    ) == "Commission a new Integrated Diabetes Service"
    assert short_title("We will not pay for internally generated demand where there is a community service.").startswith(
        "Will not pay for internally generated demand"
    )
    long = "Full roll out of " + "very " * 40 + "good things."
    assert len(short_title(long)) <= 100
    assert has_timescale("by end of March 2020") and has_timescale("from Q3 2014/15") and has_timescale("during 2015/16")
    assert not has_timescale("We will work with partners.")


# --------------------------------------------------------------------------------------------
# extraction on small documents
# --------------------------------------------------------------------------------------------

SMALL = """Commissioning Intentions 2015/16

1. Introduction

We will of course continue to work with everyone across the system.

2. Planned Care – CCG Intentions

Our priorities for 2015/16 are:

- Dermatology – we will work with Bedford Hospital NHS Trust (BHT) as lead provider to redesign the community dermatology service by April 2015.
- Ophthalmology – re-procure the community ophthalmology service during 2015/16, investing £1.2m.

Expected outcomes are:

- Fewer referrals to hospital
- Shorter waits for patients

3. Financial implications

We will save £250k through this work with all our providers.
"""


def test_bullets_under_programme_heading():
    doc = read_text(SMALL, "small.txt")
    its = extract_prose(doc, set())
    assert [i.pathway for i in its] == ["Dermatology", "Ophthalmology"]
    derm, oph = its
    assert derm.programme == oph.programme == "Planned Care"
    assert derm.extractor == "bullets"
    assert derm.title.startswith("Dermatology – work with Bedford Hospital NHS Trust (BHT)")
    assert derm.span.line == derm.span.end_line == 11
    assert [(s.text, role) for s, role in derm.provider_spans] == [(derm.text, "lead")]
    assert [s.text for s in derm.timescale_spans] == [derm.text]
    assert oph.mechanisms[:1] == ["re-procurement"]
    assert [(m.amount, m.unit) for m in oph.money] == [(1.2, "GBP_million")]
    assert oph.timescale_spans and "2015/16" in oph.timescale_spans[0].text


def test_skip_lines_are_not_read_again():
    doc = read_text(SMALL, "small.txt")
    its = extract_prose(doc, {11})
    assert [i.pathway for i in its] == ["Ophthalmology"]


def _doc(blocks: list[Block]) -> Document:
    lines = [""] * max(b.end_line for b in blocks)
    for b in blocks:
        lines[b.line - 1] = b.text
    return Document(path="x.txt", name="x.txt", format="text", blocks=blocks, lines=lines)


def test_programme_is_the_numbered_heading_above_an_intentions_container():
    # the shape of 003 §7: "7.2 In hospital commissioning intentions" under "7. Urgent and Emergency Care"
    doc = _doc([
        Block("heading", "7. Urgent and Emergency Care", 1, 1, level=1, number="7"),
        Block("heading", "7.1 Objective", 3, 3, level=2, number="7.1"),
        Block("list_item", "A core in hospital service offer that provides a consistent pathway model.", 5, 5, level=1),
        Block("heading", "7.2 In hospital commissioning intentions - roll out of the core offer", 7, 7, level=2, number="7.2"),
        Block("paragraph", "Full roll out of same day emergency care models operating 7 days a week – to ensure all patients are treated.", 9, 9),
        Block("heading", "7.4 Contribution to financial recovery", 11, 11, level=2, number="7.4"),
        Block("paragraph", "We will invest in our enhanced community offer to reduce acute sector demand.", 13, 13),
    ])
    (it,) = extract_prose(doc, set())
    assert it.programme == "Urgent and Emergency Care"
    assert it.title == "Full roll out of same day emergency care models operating 7 days a week"
    assert it.span.line == 9 and it.extractor == "prose"
    assert it.section.startswith("7.2 In hospital commissioning intentions")


def test_nested_items_and_labels():
    text = """3.3 Urgent and Emergency Care – CCG Intentions

Specific areas of focus in 2014/15 will include:

- Urgent Care Centres (UCCs):
 - Retendering of UCCs for St Mary's Hospital and Charing Cross Hospital
 - Review of St. Charles Urgent Care Centre contract
- We will change our hospital contracts to focus on the 'Super 6' conditions:
 - Antenatal Diabetes
 - Insulin pumps
"""
    its = extract_prose(read_text(text, "n.txt"), set())
    assert [(i.title, i.pathway) for i in its[:2]] == [
        ("Retendering of UCCs for St Mary's Hospital and Charing Cross Hospital", "Urgent Care Centres (UCCs)"),
        ("Review of St. Charles Urgent Care Centre contract", "Urgent Care Centres (UCCs)"),
    ]
    assert its[0].mechanisms == ["re-procurement"]
    assert len(its) == 3 and "Insulin pumps" in its[2].text and its[2].span.end_line == 10


def test_no_intentions_in_background_text():
    text = """Minutes of the Board

1. Background

The Board met on 3 December 2018 and noted the report. Members asked questions about finance.

2. Financial implications

There are no direct financial implications arising from this report.
"""
    assert extract_prose(read_text(text, "m.txt"), set()) == []


# --------------------------------------------------------------------------------------------
# seeds
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prose_by_seed(seeds_dir):
    out = {}
    for key, name in SEEDS.items():
        doc = read_document(seeds_dir / name)
        out[key] = (doc, extract_prose(doc, set()))
    return out


def _at(its: list[ExtractedIntention], line: int) -> ExtractedIntention:
    found = [i for i in its if i.span.line <= line <= i.span.end_line]
    assert found, f"no intention at line {line}"
    return found[0]


def test_seed_002_bullets_per_programme(prose_by_seed):
    doc, its = prose_by_seed["002"]
    # 002 l.167: "We will commission a new Integrated Diabetes Service that will support …" under "### 1. Diabetes Management"
    it = _at(its, 167)
    assert it.programme == "Diabetes Management"
    assert it.title == "Commission a new Integrated Diabetes Service"
    # 002 l.204: "We will work with WMAS to reducing ambulance conveyances …" under "4. 24/7 Urgent Care"
    it = _at(its, 204)
    assert it.programme == "24/7 Urgent Care"
    assert any("WMAS" in s.text for s, _ in it.provider_spans)
    # 002 l.238: Dermatology "… moving to a block contract with a lead service provider …"
    it = _at(its, 238)
    assert it.programme == "Elective Care" and "block contract" in it.mechanisms
    assert any(role == "lead" for _, role in it.provider_spans)
    # 002 l.268: "We will work with our GP practices, CWPT, SWFT …" under "II) Integration"
    it = _at(its, 268)
    assert it.programme == "Integration" and any("CWPT, SWFT" in s.text for s, _ in it.provider_spans)
    # 002 l.168-174: the 'Super 6' sub-list belongs to its bullet
    it = _at(its, 172)
    assert it.span.line == 168 and it.span.end_line == 174
    # not intentions: the agenda letter, the report cover (l.1-111), the introduction (l.121-154),
    # the list of principles (l.250-252)
    assert all(i.span.line >= 156 for i in its)
    assert not [i for i in its if 248 <= i.span.line <= 252]


def test_seed_003_numbered_sections(prose_by_seed):
    doc, its = prose_by_seed["003"]
    # 003 l.136: "Clinically led front door streaming model …" under "7.2 In hospital commissioning
    # intentions" under "7. Urgent and Emergency Care"
    it = _at(its, 136)
    assert it.programme == "Urgent and Emergency Care"
    assert it.title.startswith("Clinically led front door streaming model")
    # 003 l.195: "Review for 2019/20 implementation of: … a GSTT led hub and spoke model …" (9.2, Cancer)
    it = _at(its, 195)
    assert it.programme == "Cancer"
    assert any("GSTT" in s.text for s, _ in it.provider_spans)
    assert any("2019/20" in s.text for s in it.timescale_spans)
    # 003 l.171: "Demand management – to triage requests …" (8.2 Diagnostics)
    assert _at(its, 171).pathway == "Demand management"
    # not intentions: the cover, purpose, recommendations, policy and strategic context (l.1-56),
    # objectives (7.1, l.119-132), "contribution to financial recovery" (e.g. l.151 "We will need
    # to invest …"), and the implications/conclusion sections (l.265-296)
    assert all(i.span.line >= 57 for i in its)
    assert not [i for i in its if 117 <= i.span.line <= 132]
    assert not [i for i in its if i.span.line in (83, 85, 113, 151, 153, 177, 179, 211, 234, 236, 263)]
    assert all(i.span.line < 265 for i in its)


def test_seed_004_prose_bullets_and_appendix(prose_by_seed):
    doc, its = prose_by_seed["004"]
    # 004 l.425-427: "- Urgent Care Centres (UCCs):" / " - Retendering of UCCs for St Mary's Hospital …"
    it = _at(its, 427)
    assert it.programme == "Urgent and Emergency Care"
    assert it.pathway == "Urgent Care Centres (UCCs)"
    assert "re-procurement" in it.mechanisms
    # 004 l.432: "GP Out of Hours – re-procure in 14/15 the contract for opted out practices …"
    it = _at(its, 432)
    assert it.pathway == "GP Out of Hours" and "re-procurement" in it.mechanisms and it.timescale_spans
    # 004 l.678: "Any Qualified Provider – we will use the Any Qualified Provider model …" (3.6 Planned Care)
    it = _at(its, 678)
    assert it.programme == "Planned Care" and "AQP" in it.mechanisms
    # 004 l.702: the Ovarian pathway list (3.7 Cancer)
    assert _at(its, 702).pathway == "Ovarian pathway"
    # 004 §6 Enablers l.1075: "Working to improve the timeliness and quality of information …"
    it = _at(its, 1075)
    assert it.programme == "Enablers" and it.pathway == "Information tools"
    # not intentions: foreword and executive summary (l.46-125), the providers' "strategic
    # contracting principles" (l.130-149), stakeholder engagement (l.1118-1147), the appendices
    # (l.1153-1435, incl. the procurement-regulations toolkit from l.1187)
    assert all(i.span.line >= 126 for i in its)
    assert not [i for i in its if 130 <= i.span.line <= 149]
    assert not [i for i in its if 1118 <= i.span.line]


def test_seed_001_and_000_prose(prose_by_seed):
    doc, its = prose_by_seed["001"]
    # 001 l.431: "Rehabilitation Services will not be commissioned from Acute Providers … decommissioning
    # of the rehabilitation service in ward 19A … will be completed by December 2017"
    it = _at(its, 431)
    assert "decommissioning" in it.mechanisms
    assert any("December 2017" in s.text for s in it.timescale_spans)
    # the STP priorities (l.82-87) are metadata, and the introduction (l.45-262) holds no intention
    assert all(i.span.line > 262 for i in its)
    doc, its = prose_by_seed["000"]
    # 000 l.149: "The CCG will develop and agree national and local CQUINs with Providers …"
    it = _at(its, 149)
    assert it.programme == "Contracting Principles" and "CQUIN" in it.mechanisms
    assert all(i.span.line > 44 for i in its)  # introduction and "Our Challenges"


# --------------------------------------------------------------------------------------------
# metadata
# --------------------------------------------------------------------------------------------

EXPECTED_META = {
    # seed: (commissioner, planning FY, STP)
    "000": ("Luton CCG", 2015, None),  # l.3 "Commissioning Intentions 2015/16", l.9 "Luton CCGs …"
    "001": ("Bedfordshire CCG", 2018, "Bedfordshire, Luton and Milton Keynes STP"),  # l.5, l.70
    "002": ("NHS Coventry and Rugby CCG", 2015, None),  # l.65, l.113-115
    "003": ("NHS Lewisham CCG", 2019, "South East London STP"),  # l.4-5, l.17, l.296
    "004": ("NHS West London CCG", 2014, None),  # l.3-4
}


@pytest.mark.parametrize("seed", sorted(EXPECTED_META))
def test_seed_metadata(seeds_dir, seed):
    meta = document_metadata(read_document(seeds_dir / SEEDS[seed]))
    assert (meta.commissioner_text, meta.planning_fy, meta.stp_text) == EXPECTED_META[seed]
    assert meta.warnings == []


def test_seed_001_stp_priorities_and_enablers(seeds_dir):
    meta = document_metadata(read_document(seeds_dir / SEEDS["001"]))
    # 001 l.82-87: "- Priority 1: Enabling people to stay healthy …" … "Priority 5: Development of an ACS …"
    assert [(n, s.line) for n, _, s in meta.stp_priorities] == [("1", 82), ("2", 83), ("3", 84), ("4", 85), ("5", 87)]
    assert meta.stp_priorities[2][1] == "Developing sustainable secondary care services across the footprint"
    # 001 l.119-120: the "Enablers" column of the cross-cutting themes table
    assert [n for n, _ in meta.enablers] == [
        "Digitisation and shared records", "Seven day services", "Workforce",
        "Patient education and self-management", "Estates", "Integration of both commissioning and delivery",
    ]
    assert all(s.line == 120 for _, s in meta.enablers)


def test_seed_004_enablers_section(seeds_dir):
    meta = document_metadata(read_document(seeds_dir / SEEDS["004"]))
    # 004 §6 "Enablers" (l.1016) and its sub-headings l.1020, 1039, 1053, 1089, 1110
    assert [(n, s.line) for n, s in meta.enablers] == [
        ("Engagement with patients, carers and users", 1020),
        ("People and organisational development", 1039),
        ("Information tools", 1053),
        ("Estates", 1089),
        ("Governance and performance management through networks", 1110),
    ]
    assert meta.stp_priorities == []


def test_metadata_of_a_document_without_any():
    meta = document_metadata(read_text("Minutes\n\nThe meeting closed at 5pm.\n", "m.txt"))
    assert meta.commissioner_text is None and meta.planning_fy is None
    assert len(meta.warnings) == 2 and all("m.txt" in w for w in meta.warnings)


PRIORITIES = [
    ("1", "Enabling people to stay healthy and well by promoting prevention, early intervention and self-care", Span("", 1, 1)),
    ("2", "Achieving high quality, scaled and resilient primary, community and social care services across BLMK", Span("", 2, 2)),
    ("3", "Developing sustainable secondary care services across the footprint.", Span("", 3, 3)),
    ("4", "Forging footprint-wide collective leadership, and designing a BLMK digital programme", Span("", 4, 4)),
    ("5", "Development of an Accountable Care System: Re-engineering health and social provision", Span("", 5, 5)),
]


def _intention(programme, pathway=None):
    return ExtractedIntention(title="t", text="t", span=Span("t", 1, 1), extractor="test", programme=programme, pathway=pathway)


@pytest.mark.parametrize(
    "programme, pathway, numbers",
    [
        ("Urgent & Emergency Care", "Integrated Urgent Care", ["3"]),
        ("Prevention and Detection", "Excess weight provision", ["1"]),
        ("Mental Health", "Crisis Care Review", ["2"]),
        ("Integrated/ Out of Hospital Care", "Discharge to Assess/Community Beds", ["2"]),
        ("Primary Care", "New ways of working", ["2"]),
        ("Maternity and Children's", "Maternity services", ["2", "3"]),
        (None, None, []),
        ("Finance & Contracting", None, []),
    ],
)
def test_priority_rule(programme, pathway, numbers):
    assert [n for n, _ in priorities_for(_intention(programme, pathway), PRIORITIES)] == numbers


def test_priority_rule_is_data():
    # every theme names words for both sides of the link
    assert all(areas and titles for areas, titles in PRIORITY_THEMES.values())
