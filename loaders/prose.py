"""Commissioning intentions stated in prose and bullet lists.

Tables are read by ``loaders/tables.py``; this module reads everything else: bullet lists under
programme headings ("1. Diabetes Management", "3.3 Urgent and Emergency Care – CCG Intentions")
and sentences that commit the commissioner to a change ("We will…", "The CCG will…", "we intend
to…", "CCGs will commission…", "… will be re-procured").

How a block is judged
---------------------
1. **Section context.**  The document is walked in order with a stack of headings
   (:class:`Outline`).  Each heading title is classified (:func:`section_kind`):

   ``exclude``  background, finance, legal boilerplate, meeting-pack admin, introductions,
                summaries, engagement reports and everything after the first appendix heading
                that follows numbered sections (e.g. a procurement-law toolkit): nothing there is
                an intention.
   ``list``     a heading that *is* a list of intentions ("5.2 Commissioning intentions",
                "7.2 In hospital commissioning intentions – …"): every substantive paragraph
                and bullet is an intention.
   ``intent``   other headings naming intentions or priorities ("3.3 Urgent and Emergency Care –
                CCG Intentions", "Other priorities for 2014/15"): commitment sentences, and
                bullets unless their lead-in says they are something else (outcomes,
                principles, KPIs…).
   ``weak``     objectives, principles, outcomes: only explicit commitment sentences.
   ``neutral``  unclassified; inherits the nearest classified heading above it.  Commitment
                sentences count, bullets only after an intention-announcing lead-in.

2. **Sentence patterns.**  A *commitment* sentence has a commissioner subject followed by a
   modal of intent (``we will``, ``the CCGs will``, ``Luton CCG intends to``, ``we propose to``,
   ``we wish to``; not ``we will need to``), or states a commissioning act in the future passive
   ("Rehabilitation services will not be commissioned from acute providers").

3. **Lists.**  A list's lead-in (the paragraph ending with ":" before it) decides whether its
   items are intentions (:func:`lead_in_kind`); after a lead-in that says they are something
   else (principles, outcomes, KPIs, what was done) no item is one, whatever its wording.  Short noun-phrase items ("Childhood Obesity",
   "Capitated contracts") are folded into one intention with their lead-in; action items,
   "Label – text" items and long items become intentions of their own.  Nested items are folded
   into their parent, or, under a bare label ("Urgent Care Centres (UCCs):"), become intentions
   whose service area is the label.

Each intention carries its programme (the nearest numbered heading that is not a container such
as "Commissioning intentions"), a service area (bullet label, or a sub-heading), the sentences
naming organisations (``provider_spans``, role ``lead`` when the sentence says "lead provider"),
the sentences holding date-like phrases (``timescale_spans``; ``graph/`` parses them), contract
mechanisms, money figures and "enabler for" links.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from .model import Block, Document, ExtractedIntention, Money, Span

__all__ = [
    "extract_prose",
    "section_kind",
    "lead_in_kind",
    "is_commitment",
    "split_sentences",
    "find_mechanisms",
    "find_money",
    "find_enabler_of",
    "has_timescale",
    "names_organisation",
    "short_title",
    "Outline",
    "Heading",
]

SectionKind = Literal["exclude", "list", "intent", "weak", "neutral"]

# --------------------------------------------------------------------------------------------
# vocabulary
# --------------------------------------------------------------------------------------------

#: Heading words that mark non-intention material (checked first).
_EXCLUDE_RE = re.compile(
    r"financial\s+(?:context|implications?|recovery|position|plans?|summary|overview|challenges?|outlook)"
    r"|contribution to|\blegal\b|implications?\b|background|\bpurpose\b|recommendations?\b|policy context"
    r"|strategic context|conclusion|\bcontents\b|version control|lateness|foreword"
    r"|stakeholder engagement|our challenges|our population|introduction|\bvision\b|how we work"
    r"|\bqipp\b|landscape|planning guidance|must do|provider impact|agenda|document pack"
    r"|key issues|appendix|process to develop|executive summary|\(pages?\s+\d|directorate"
    r"|^report$|model for collaboration|regulations?\b",
    re.I,
)
#: A heading that is itself a list of intentions: "Commissioning intentions",
#: "In hospital commissioning intentions - roll out of …" (no year: "COMMISSIONING INTENTIONS
#: 2015/16" is a document title, not a list).
_LIST_RE = re.compile(r"^(?:(?:in|out[- ]of)[- ]hospital\s+)?commissioning intentions\b(?!.*\b20\d\d)", re.I)
_INTENT_RE = re.compile(r"\bintentions?\b|\bpriorit(?:y|ies)\b|areas of focus|\benablers?\b", re.I)
_WEAK_RE = re.compile(
    r"\bobjectives?\b|\bprinciples?\b|\boutcomes?\b|description of approach|measuring the impact"
    r"|\bconditions\b|shared commitment|timetable",
    re.I,
)

#: Programme container headings: they group programmes but are not one.
_CONTAINER_RE = re.compile(
    r"\bintentions?\b|^objectives?$|contribution to|^other priorities|commissioning priorities"
    r"|specific service priorities|key work programmes|^overview\b",
    re.I,
)
#: Heading titles that never name a service area.
_GENERIC_RE = re.compile(
    r"^(?:other priorities.*|description of approach|high level outcomes|measuring the impact"
    r"|improving our commissioning|objectives?|see .*|table .*)$",
    re.I,
)
_SUFFIX_RE = re.compile(r"\s*[–—-]\s*(?:(?:CCG|Joint|Local Authority|LA)\s+)?Intentions\s*$", re.I)
_NUMBER_PREFIX_RE = re.compile(r"^\s*(?:[IVXLC]+[.)]|\d+(?:\.\d+)*\.?|[A-Za-z][.)])\s+")
_APPENDIX_RE = re.compile(r"^\s*appendix\s+[\dA-Z]{1,3}\b\s*(?:[–—:-]|$)", re.I)

_SUBJECT = (
    r"(?:we|the\s+ccgs?|ccgs|all\s+ccgs|(?:the\s+)?commissioners|(?:the\s+)?local\s+authorit(?:y|ies)"
    r"|the\s+council|the\s+(?:public\s+health\s+)?team|(?:the\s+)?public\s+health"
    r"|(?-i:[A-Z]{1,4}CCGs?|(?:NHS\s+)?(?:[A-Z][\w&'-]*\s+(?:and\s+|&\s+)?){1,5}(?:CCGs?|Clinical\s+Commissioning\s+Groups?)))"
)
_GAP = (
    r"(?:\s*,\s*(?:working|in\s+partnership|together|with|alongside|as|in\s+line|through|via|supported|jointly)\b[^,.;:]{0,70},)?"
    r"(?:\s+and\s+(?:the\s+|its\s+|our\s+)?(?:local\s+authorit(?:y|ies)|(?:[\w-]+\s+){0,3}partners"
    r"|ccgs?|council|public\s+health(?:\s+team)?))?"
    r"(?:\s+(?:also|then|therefore|jointly|now|further|actively|additionally|collectively|again"
    r"|of\s+course|in\s+addition|in\s+\d{4}/\d{1,2}))?"
)
_MODAL = (
    r"\s+(?:will|shall|intends?\s+to|plans?\s+to|propose\s+to|proposes\s+to|aims?\s+to|wish(?:es)?\s+to"
    r"|expects?\s+to|are\s+(?:planning|proposing|going|keen|seeking)\s+to|would\s+like\s+to"
    r"|is\s+(?:planning|proposing|going|seeking)\s+to|(?:are|is|remain)\s+committed\s+to)\b"
)
_COMMITMENT_RE = re.compile(rf"(?<![\w-])(?:{_SUBJECT}){_GAP}{_MODAL}(?!\s+(?:need|have)\s+to\b)", re.I)
#: Commissioning acts in the future passive: "… will (not) be commissioned / re-procured …".
_PASSIVE_RE = re.compile(
    r"\bwill\s+(?:not\s+|no\s+longer\s+|also\s+|then\s+)?(?:be|continue\s+to\s+be)\s+"
    r"(?:de-?commissioned|re-?commissioned|commissioned|procured|re-?procured|re-?tendered|tendered"
    r"|rolled\s+out|implemented|introduced|established|extended|re-?designed|expanded|piloted"
    r"|mobilised|transferred|competed|awarded|launched)\b",
    re.I,
)
#: Words before a would-be subject that show it is not the subject ("the way in which the CCG
#: will…", "a possibility that we will…", "the transfer to local authorities will…").
_PLANNED_ACT_RE = re.compile(
    r"\b(?:re-?procur\w*|procurements?|procured?|(?:re-?)?tender(?:ing|ed)?|de-?commission\w*"
    r"|re-?commission\w*|mobilis\w*)\b",
    re.I,
)
_PAST_RE = re.compile(r"\b(?:was|were|has been|have been|had|launched|completed|awarded|undertook|undertaken)\b", re.I)
_RELATIVE_RE = re.compile(
    r"\b(?:which|how|what|where|whether|whom|whose|if|to|from|for|of|with|by|on|at|into|across"
    r"|between|among|within|than|via)\s+(?:the\s+)?$",
    re.I,
)
_ADMIN_RE = re.compile(r"report at the meeting|do not hesitate|please contact|\bagenda\b|yours sincerely", re.I)

#: Lead-ins introducing lists that are not intentions.
_NEG_LEAD_RE = re.compile(
    r"\boutcomes?\b|\bprinciples?\b|\bexplain|explanation|\bthemes?\b|feedback|\bkpis?\b|\bmeasures\b"
    r"|\bambitions?\b|\belements\b|will deliver|will support|\bunderstand\b|appreciate|\bconditions\b"
    r"|commitment|\bbenefits?\b|\blooked\b|emerged|\bintroduced\b|\breceived\b|asked to"
    r"|(?<!will )\bha(?:ve|s)\s+(?:been\s+)?\w+ed\b"
    r"|would most benefit",
    re.I,
)
_POS_LEAD_RE = re.compile(
    r"\bintentions?\b|\bpriorit(?:y|ies)\b|\bfocus\b|\bplans?\b|\bactions?\b|\bnext steps\b"
    r"|\bfollowing services\b|areas of development|\bkey areas\b|\brecommendations\b|\bwish to\b"
    r"|will be discussed|will include",
    re.I,
)

_VERBS = set(
    """achieve acknowledge adopt agree align build bring commission complete consider continue
    co-design create decommission de-commission deliver demonstrate design develop embed enable
    engage enhance ensure establish expand explore extend facilitate focus identify implement improve
    increase integrate introduce invest make map mobilise monitor move pilot place plan prioritise
    procure promote provide publish put re-commission recommission redesign re-design reduce refine
    re-procure reprocure require respond restrict retender re-tender review roll secure sign specify
    standardise strengthen support sustain tender transfer undertake use work commence spread
    quantify incentivise invite""".split()
)
_NOT_GERUND = {"during", "nothing", "something", "everything", "bring", "string", "spring", "morning", "evening"}

#: Mechanism keyword table: (mechanism, pattern).  Order is the order of reporting.
MECHANISMS: list[tuple[str, re.Pattern[str]]] = [
    ("contract variation", re.compile(r"contract(?:ual)?\s+variations?|variation to (?:the |existing )?contracts?|variance in the existing", re.I)),
    ("re-procurement", re.compile(r"\bre-?procur|\bre-?tender", re.I)),
    ("procurement", re.compile(r"(?<!re-)(?<!re)\bprocure(?:d|ment|ments|s)?\b|(?<!re-)(?<!re)\btender(?:ing|ed)?\b|competitive process|\bcompete\b", re.I)),
    ("re-commissioning", re.compile(r"\bre-?commission", re.I)),
    ("decommissioning", re.compile(r"\bde-?commission|no longer (?:be )?commission|will not be commissioned|will not fund|not be funded", re.I)),
    ("CQUIN", re.compile(r"\bCQUINs?\b", re.I)),
    ("AQP", re.compile(r"any qualified provider|\bAQP\b", re.I)),
    ("pilot", re.compile(r"\bpilot(?:s|ed|ing)?\b", re.I)),
    ("service specification", re.compile(r"service specifications?|\bre-?specif|\bspecification\b", re.I)),
    ("service review", re.compile(r"\breview(?:s|ing|ed)?\b", re.I)),
    ("redesign", re.compile(r"\bre-?design|\bre-?engineer", re.I)),
    ("tariff", re.compile(r"\btariffs?\b|\bprices?\b", re.I)),
    ("block contract", re.compile(r"\bblock contracts?\b|\bblock funding\b", re.I)),
    ("risk share", re.compile(r"risk[- /]shar|gain[- ]shar|cap and collar", re.I)),
    ("joint commissioning", re.compile(r"joint(?:ly)? commission|pooled budget|joint funding", re.I)),
    ("business case", re.compile(r"business case", re.I)),
    ("contract negotiation", re.compile(r"contract(?:ual)? negotiations?|re-?negotiat", re.I)),
]

_MONEY_RE = re.compile(
    r"£\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(?P<unit>bn|billion|m|million|mn|k|thousand)?(?![\w'])",
    re.I,
)
_MEASURES = [
    ("savings", re.compile(r"\bsav(?:e|es|ed|ing|ings)\b|\bqipp\b", re.I)),
    ("investment", re.compile(r"\binvest", re.I)),
    ("deficit", re.compile(r"\bdeficit", re.I)),
    ("surplus", re.compile(r"\bsurplus", re.I)),
    ("funding", re.compile(r"\bfund(?:s|ing|ed)?\b|allocation|budget", re.I)),
    ("value", re.compile(r"\bvalue\b", re.I)),
    ("cost", re.compile(r"\bcosts?\b|\bspend", re.I)),
]
_ENABLER_RES = [
    re.compile(r"\bis an enabler (?:for|of|to) (?:the\s+)?(?P<x>[^.;:]+?)(?:\s+(?:project|programme|work ?stream))?\s*(?:[.;:]|$)", re.I),
    re.compile(r"\b(?:acts?|serves?|as) (?:as )?(?:an?|the)? ?(?:key )?enabler (?:for|of|to)(?: achieve| deliver)? (?:the\s+)?(?P<x>[^.;:,]+?)(?:\s+(?:project|programme))?\s*(?:[.;:,]|$)", re.I),
]

_MONTHS = (
    r"January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec"
)
_DATE_RE = re.compile(
    rf"\bQ[1-4]\b|\b[Qq]uarter\s+[1-4]\b|\b(?:{_MONTHS})\b\.?(?:\s+\d{{2,4}})?(?=\W|$)"
    r"|\b(?:19|20)\d\d\s*[/–-]\s*(?:20)?\d\d\b|\b\d\d/\d\d\b|\b20\d\d\b"
    r"|\b(?:end|start|beginning) of (?:the )?(?:year|quarter)\b|\bin[- ]year\b|\bnext (?:six|twelve|\d+) months\b"
)

_ORG_WORD_RE = re.compile(
    r"\b(?:[A-Z][\w&'.-]*\s+){0,5}(?:Trust|Hospitals?|Foundation|Council|Partnership|Centre|CCGs?|Hospice"
    r"|Healthcare|University|Network|Ambulance|Commissioning Group)\b"
    r"|\bproviders?\b|\btrusts?\b|\bpractices\b|\bGPs?\b|general practice|\bhospitals?\b|\bacute\b"
    r"|community (?:services?|providers?)|local authorit|\bcouncils?\b|voluntary|care homes?|pharmac"
    r"|\bNHS England\b|\bhospices?\b",
    re.I,
)
_ACRONYM_RE = re.compile(r"\b[A-Z][A-Z&]{1,6}\b")
#: Acronyms that name services, measures or programmes, never organisations.
_NON_ORG_ACRONYMS = set(
    """A&E AEC ADHD AQP BCF BME BMI CAMHS CATS CBC CC4C CETR CHC COPD CQC CQUIN CQUINS CT DES DNA DVT ECG
    ED EIP ENT EOL EOLC ERS FIT GFF GUM HIV IAPT ICS ICT IFR IGR IPS ISA IT ITF IVF KPI KPIS LAC LD LES LTC
    MDM MECC MIG MRI MSK OOH OT OTC PHB PMO POLCV PPE PPWT PSA PTL QIPP RMS RTT SAFER SEND SDIP STF STI STP
    STT TBC TCP UCC UCCS UEC UTC UTI UTIS VBEC VFM DH UK EU ICP PPF JSNA SAHF HWB PBR PMS APMS GMS NWL SEL
    WLCCG CSU JAG ASD LAS BGL U&EC U&E OUR WE THE""".split()
)
_LEAD_PROVIDER_RE = re.compile(r"\blead (?:service )?provider|\bas (?:the )?lead\b", re.I)

_LABEL_RE = re.compile(
    r"^(?P<lead>[A-Z0-9][^:;–—()]{0,60}?(?:\s*\([^)]{1,30}\))?)\s*(?:[:–—]|\s-\s)\s*(?P<rest>\S.*)?$", re.S
)
_ABBREV_RE = re.compile(r"\b(?:i\.e|e\.g|etc|St|Dr|approx|No|vs|cf|Mr|Mrs|Ms|Prof|Reg)\.$", re.I)


# --------------------------------------------------------------------------------------------
# small text helpers (public: extract.py and meta.py use some of them)
# --------------------------------------------------------------------------------------------


def split_sentences(text: str) -> list[str]:
    """Split text into sentences (on ``.?!`` followed by a capital), keeping abbreviations whole."""
    parts: list[str] = []
    start = 0
    for m in re.finditer(r"[.!?](?:[\"'”’)])?\s+(?=[A-Z0-9“\"'(])", text):
        candidate = text[start : m.end()].strip()
        if _ABBREV_RE.search(text[start : m.start() + 1]):
            continue
        if candidate:
            parts.append(candidate)
        start = m.end()
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return parts


def is_commitment(sentence: str) -> bool:
    """Whether ``sentence`` commits a commissioner to something ("We will…", "The CCG intends to…").

    A commitment inside a relative or reported clause ("the way in which the CCG will…",
    "a possibility that we will…") does not count."""
    if _ADMIN_RE.search(sentence):
        return False
    for m in _COMMITMENT_RE.finditer(sentence):
        if not _RELATIVE_RE.search(sentence[: m.start()]):
            return True
    return False


def _is_passive_act(sentence: str) -> bool:
    """A commissioning act stated without a commissioner subject: future passive ("… will be
    re-procured"), or a dated procurement/decommissioning ("Procurement activity in view for
    2018/19 include…") that is not told in the past."""
    if _ADMIN_RE.search(sentence):
        return False
    if _PASSIVE_RE.search(sentence):
        return True
    return bool(_PLANNED_ACT_RE.search(sentence)) and has_timescale(sentence) and not _PAST_RE.search(sentence)


def has_timescale(text: str) -> bool:
    """Whether ``text`` holds a date-like phrase (quarter, month, financial year, year)."""
    return bool(_DATE_RE.search(text))


def names_organisation(text: str) -> bool:
    """Whether ``text`` may name an organisation or provider group (for ``provider_spans``)."""
    if _ORG_WORD_RE.search(text):
        return True
    return any(a.upper() not in _NON_ORG_ACRONYMS for a in _ACRONYM_RE.findall(text))


def find_mechanisms(text: str) -> list[str]:
    """Contract / commissioning mechanisms named in ``text``, in :data:`MECHANISMS` order."""
    found = [name for name, rx in MECHANISMS if rx.search(text)]
    if "re-procurement" in found and "procurement" in found:
        # "procurement" only counts when a fresh procurement is named apart from the re-procurement
        if not re.search(r"(?<![-\w])(?:procure(?:d|ment|ments|s)?|tender(?:ing|ed)?)\b", re.sub(r"re-?(?:procur|tender)\w*", "", text, flags=re.I), re.I):
            found.remove("procurement")
    return found


def find_money(text: str, span: Span | None = None) -> list[Money]:
    """Money figures in ``text``: "£1.2m" → 1.2 GBP_million, "£250k" → 250 GBP_thousand, "£500,000" → GBP."""
    out: list[Money] = []
    for m in _MONEY_RE.finditer(text):
        raw = m.group("num").replace(",", "")
        if re.fullmatch(r"0+", raw):  # "£000s" column headers
            continue
        amount = float(raw)
        unit_word = (m.group("unit") or "").lower()
        if unit_word in ("m", "million", "mn"):
            unit = "GBP_million"
        elif unit_word in ("bn", "billion"):
            unit, amount = "GBP_million", amount * 1000
        elif unit_word in ("k", "thousand"):
            unit = "GBP_thousand"
        else:
            unit = "GBP"
        window = text[max(0, m.start() - 80) : m.end() + 60]
        measure = next((name for name, rx in _MEASURES if rx.search(window)), "amount")
        out.append(Money(amount=amount, unit=unit, measure=measure, provider_text=None, span=span))
    return out


def find_enabler_of(text: str) -> str | None:
    """The project/intention ``text`` says it is an enabler for ("This project is an enabler for
    the Better Care Team (BCT) project" → "Better Care Team (BCT)")."""
    for rx in _ENABLER_RES:
        m = rx.search(text)
        if m:
            name = re.sub(r"\s+", " ", m.group("x")).strip(" ,")
            name = re.sub(r"\s+(?:project|programme)$", "", name, flags=re.I)
            if 2 <= len(name) <= 120:
                return name
    return None


def _clean_title(text: str) -> str:
    return re.sub(r"\s+", " ", _NUMBER_PREFIX_RE.sub("", text, count=1)).strip(" .:-–—")


def section_kind(title: str) -> SectionKind:
    """Classify a heading title (number included or not); see the module docstring."""
    t = _clean_title(title)
    if _EXCLUDE_RE.search(t):
        return "exclude"
    if _LIST_RE.search(t):
        return "list"
    if _INTENT_RE.search(t):
        return "intent"
    if _WEAK_RE.search(t):
        return "weak"
    return "neutral"


def lead_in_kind(text: str) -> Literal["positive", "negative", "neutral"]:
    """Whether a list's lead-in announces intentions (``positive``), something else
    (``negative``: outcomes, principles, KPIs, past events…) or does not say (``neutral``)."""
    last = split_sentences(text)[-1] if text.strip() else ""
    if _NEG_LEAD_RE.search(last):
        return "negative"
    if _POS_LEAD_RE.search(last) or is_commitment(last):
        return "positive"
    return "neutral"


_TITLE_STRIP_RE = re.compile(
    rf"^.{{0,200}}?(?<![\w-])(?:{_SUBJECT}){_GAP}{_MODAL}\s+(?P<neg>not\s+|no\s+longer\s+)?"
    r"(?:(?:therefore|also|then|now|again|jointly|actively|of\s+course)\s+)?"
    r"(?:(?:continue|seek|look|aim|need|further)\s+to\s+(?=[a-z])|be\s+(?=\w+ing\b)|further\s+)*",
    re.I,
)
#: Where a title's first clause ends: a dash, a semicolon/colon/bracket, a comma followed by a
#: participle or connective, or a purpose/means connective.
_CLAUSE_CUT_RE = re.compile(
    r"\s+[–—-]\s+|[;:]|,\s+(?=(?:\w+ing|which|where|with|in|as|through|thereby|so|to|but|and then|subject|including|such|for|e\.g|i\.e)\b)"
    r"|\s+(?:to ensure|in order to|so that|which|that will|thereby|whereby|including|such as|in line with|in partnership with|as part of)\s",
    re.I,
)
_TRAILING_STOP_RE = re.compile(r"(?:\s+(?:and|or|to|the|of|for|in|on|a|an|with|by|at|from|that|their|its|our|as))+$", re.I)


def _trim(text: str, limit: int) -> str:
    text = text.strip(" ,.;:-–—")
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0]
    return _TRAILING_STOP_RE.sub("", text.rstrip(" ,.;:-–—")).rstrip(" ,.;:-–—")


def short_title(text: str, limit: int = 100, capitalize: bool = True) -> str:
    """A short title: the first clause of the first sentence, commitment wording stripped
    ("We will commission a new Integrated Diabetes Service that will…" →
    "Commission a new Integrated Diabetes Service"; "We will not fund…" → "Will not fund…")."""
    sentence = split_sentences(text)[0] if text.strip() else text
    m = _TITLE_STRIP_RE.match(sentence)
    if m and m.end() < len(sentence):
        rest = sentence[m.end() :]
        sentence = f"will {m.group('neg').strip()} {rest}" if m.group("neg") else rest
    sentence = sentence.strip(" -–—•")
    pos = 0
    for cut in _CLAUSE_CUT_RE.finditer(sentence):
        if cut.start() >= 30:
            pos = cut.start()
            break
    clause = _trim(sentence[:pos] if pos else sentence, limit)
    return clause[:1].upper() + clause[1:] if capitalize else clause


def _label(text: str) -> tuple[str | None, str]:
    """Split "Label – rest" / "Label: rest" bullets; the label is ≤ 8 words and not a clause."""
    m = _LABEL_RE.match(text.strip())
    if not m:
        return None, text
    lead = m.group("lead").strip()
    words = lead.split()
    if not words or len(words) > 8 or re.search(r"\b(?:we|will|is|are|was|were|has|have)\b", lead, re.I):
        return None, text
    return lead, (m.group("rest") or "").strip()


def _first_word_is_action(text: str) -> bool:
    word = re.sub(r"[^\w-]", "", (text.split() or [""])[0]).lower()
    if word in _VERBS:
        return True
    return word.endswith("ing") and len(word) > 5 and word not in _NOT_GERUND


def _is_area_label(lead: str) -> bool:
    """A bullet label that names a service area (not an action such as "Full roll out of …",
    nor places: "Bexley, Greenwich and Lewisham")."""
    words = lead.split()
    if len(words) > 6 or "," in lead or (_first_word_is_action(lead) and len(words) > 2):
        return False
    return not re.match(
        r"(?:full|implementation|development|roll|the|a|an|our|where|when|if|for|in|step)\b", lead, re.I
    )


def _words(text: str) -> int:
    return len(re.sub(r"\([^)]*\)", "", text).split())


# --------------------------------------------------------------------------------------------
# the outline: headings, section kinds, programmes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    text: str  # as written, number included
    title: str  # without number, without an "– CCG Intentions" suffix
    number: str | None
    level: int
    line: int
    kind: SectionKind
    label: bool = False  # a label paragraph ("Ovarian pathway:") acting as a sub-heading


def _number_depth(number: str | None) -> int | None:
    if not number:
        return None
    if re.fullmatch(r"[IVXLC]+", number):
        return 1
    return number.count(".") + 1


def _looks_like_appendix(block: Block) -> bool:
    return len(block.text) < 140 and bool(_APPENDIX_RE.match(block.text))


class Outline:
    """The heading stack while walking a document in order.

    Numbered headings nest by their number ("7.2" under "7."), and a numbered heading replaces
    its numbered sibling while keeping the sibling's parents (Markdown exports give "### 1." and
    "## 2." different levels).  Other headings nest by level.  After an "Appendix N – …" heading
    that follows numbered sections, everything is in the appendix.
    """

    def __init__(self) -> None:
        self.stack: list[Heading] = []
        self.in_appendix = False
        self._seen_numbered = False

    def push(self, block: Block) -> None:
        if _looks_like_appendix(block):
            if self._seen_numbered:
                self.in_appendix = True
            return
        number = block.number
        title = _SUFFIX_RE.sub("", _clean_title(block.text)) or _clean_title(block.text)
        head = Heading(block.text, title, number, block.level or 1, block.line, section_kind(block.text))
        depth = _number_depth(number)
        if depth is not None:
            self._seen_numbered = True
            sibling = next(
                (i for i in range(len(self.stack) - 1, -1, -1) if _number_depth(self.stack[i].number) == depth),
                None,
            )
            if sibling is not None:
                del self.stack[sibling:]
            else:
                # numbered parents (smaller depth) stay; unnumbered headings stay only when their
                # level is above this heading's (a Markdown "## Priorities" over "### 1. …"),
                # so a plain-text "Chair's foreword" is nobody's parent
                while self.stack:
                    top = self.stack[-1]
                    top_depth = _number_depth(top.number)
                    if (top_depth >= depth) if top_depth is not None else (top.level >= head.level):
                        self.stack.pop()
                    else:
                        break
        else:
            while self.stack and self.stack[-1].level >= head.level:
                self.stack.pop()
        self.stack.append(head)

    def push_label(self, block: Block) -> None:
        """Push a label paragraph ("Colorectal pathway:") one level below the last real heading,
        replacing a previous label."""
        real = [h for h in self.stack if not h.label]
        level = (real[-1].level + 1) if real else 1
        text = block.text.strip().rstrip(":").strip()
        while self.stack and self.stack[-1].level >= level:
            self.stack.pop()
        self.stack.append(Heading(text, text, None, level, block.line, section_kind(text), label=True))

    def pop_label(self) -> None:
        if self.stack and self.stack[-1].label:
            self.stack.pop()

    @property
    def kind(self) -> SectionKind:
        if self.in_appendix:
            return "exclude"
        for h in reversed(self.stack):
            if h.kind != "neutral":
                return h.kind
        return "neutral"

    @property
    def programme(self) -> str | None:
        """The shallowest numbered heading that is not a container; without numbered headings,
        the nearest heading that is neither a container nor generic."""
        numbered = [h for h in self.stack if h.number]
        for h in numbered:
            if not _CONTAINER_RE.search(h.title) and not _GENERIC_RE.match(h.title):
                return h.title
        if not numbered:
            for h in reversed(self.stack):
                if h.kind not in ("exclude",) and not _CONTAINER_RE.search(h.title) and not _GENERIC_RE.match(h.title):
                    return h.title
        return None

    @property
    def pathway(self) -> str | None:
        """The deepest heading below the programme that names a service area."""
        programme = self.programme
        for h in reversed(self.stack):
            if h.title == programme:
                return None
            if _CONTAINER_RE.search(h.title) or _GENERIC_RE.match(h.title) or h.kind in ("weak", "exclude"):
                continue
            return h.title
        return None

    @property
    def section(self) -> str | None:
        return self.stack[-1].text if self.stack else None


# --------------------------------------------------------------------------------------------
# extraction
# --------------------------------------------------------------------------------------------


@dataclass
class _Unit:
    """An intention being assembled from one or more blocks."""

    texts: list[str]
    blocks: list[Block]
    programme: str | None
    pathway: str | None
    section: str | None
    extractor: str
    title: str | None = None

    @property
    def text(self) -> str:
        return " ".join(t for t in self.texts if t)


@dataclass
class _Item:
    """A top-level list item with its nested items."""

    block: Block
    children: list[Block] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.block.text.strip()


def _skip(block: Block, skip_lines: set[int]) -> bool:
    return block.line in skip_lines or block.end_line in skip_lines


def _commitment_start(sentences: list[str], kind: SectionKind) -> int | None:
    """Index of the first sentence that commits to something (see :func:`is_commitment`)."""
    for i, s in enumerate(sentences):
        if is_commitment(s) or (kind in ("intent", "neutral", "list") and _is_passive_act(s)):
            return i
    return None


def _is_label_paragraph(text: str) -> bool:
    """A short paragraph that labels what follows ("Ovarian pathway:", "Strategic contracting
    principles:"): it acts as a sub-heading."""
    if not text.endswith(":"):
        return False
    body = text[:-1].strip()
    return 0 < len(body.split()) <= 6 and not re.search(
        r"\b(?:we|will|are|is|be|to|include|includes|including|following|below|these|this|our)\b", body, re.I
    )


class _Extractor:
    def __init__(self, doc: Document, skip_lines: set[int]):
        self.doc = doc
        self.skip = skip_lines
        self.outline = Outline()
        self.units: list[_Unit] = []
        self.lead: Block | None = None  # a paragraph ending with ":" waiting for its list
        self.para_items = False  # paragraphs after a positive lead-in act as list items

    # -- events -------------------------------------------------------------------------------

    def _events(self) -> Iterator[tuple[str, Block | list[Block]]]:
        """Headings, paragraphs, and runs of list items (a table inside a list does not end it)."""
        run: list[Block] = []
        for block in self.doc.blocks:
            if block.kind == "table_row":
                continue
            if block.kind == "list_item":
                run.append(block)
                continue
            if run:
                yield "list", run
                run = []
            yield "heading" if block.kind == "heading" else "paragraph", block
        if run:
            yield "list", run

    def run(self) -> list[_Unit]:
        for what, payload in self._events():
            if what == "heading" or (what == "paragraph" and _looks_like_appendix(payload)):  # type: ignore[arg-type]
                self._flush_lead()
                self.para_items = False
                self.outline.push(payload)  # type: ignore[arg-type]
            elif what == "paragraph":
                self._paragraph(payload)  # type: ignore[arg-type]
            else:
                self._list([b for b in payload if not _skip(b, self.skip)])  # type: ignore[union-attr]
        self._flush_lead()
        return self.units

    # -- units --------------------------------------------------------------------------------

    def _new(self, texts: list[str], blocks: list[Block], extractor: str, *, pathway: str | None = None,
             title: str | None = None) -> _Unit:
        unit = _Unit(
            texts=[t for t in texts if t],
            blocks=list(blocks),
            programme=self.outline.programme,
            pathway=pathway or self.outline.pathway,
            section=self.outline.section,
            extractor=extractor,
            title=title,
        )
        self.units.append(unit)
        return unit

    def _title(self, text: str) -> str:
        lead, rest = _label(text)
        if lead and rest:
            clause = short_title(rest, capitalize=False)
            title = f"{lead} – {clause}" if clause else lead
            return _trim(title, 100)
        return short_title(text)

    # -- paragraphs ---------------------------------------------------------------------------

    def _flush_lead(self) -> None:
        """A lead-in paragraph that got no list is judged as an ordinary paragraph."""
        if self.lead is not None:
            block, self.lead = self.lead, None
            self._prose(block)

    def _paragraph(self, block: Block) -> None:
        if _skip(block, self.skip):
            return
        text = block.text.strip()
        kind = self.outline.kind
        if kind == "exclude":
            self.lead, self.para_items = None, False
            return
        item_like = not text.endswith(":") and len(split_sentences(text)) <= 2
        if self.lead is not None and item_like and lead_in_kind(self.lead.text) == "positive":
            # "We will work with providers to:" followed by one paragraph per action
            self.lead, self.para_items = None, True
        if self.para_items and item_like:
            if len(text.split()) >= 3:
                self._new([text], [block], "prose", title=self._title(text))
            return
        self._flush_lead()
        self.para_items = False
        if _is_label_paragraph(text):
            self.outline.push_label(block)
            return
        if text.endswith(":"):
            self.lead = block
            return
        self._prose(block)

    def _prose(self, block: Block) -> None:
        kind = self.outline.kind
        text = block.text.strip()
        if kind == "exclude" or len(text.split()) < 6:
            return
        sentences = split_sentences(text)
        start = _commitment_start(sentences, kind)
        if kind == "list":
            lead, _ = _label(text)
            pathway = lead if lead and _is_area_label(lead) else None
            first = sentences[start] if start is not None else text
            title = self._title(text) if lead else short_title(first)
            self._new([text], [block], "prose", pathway=pathway, title=title)
            return
        if start is None:
            return
        body = " ".join(sentences[start:])
        self._new([body], [block], "prose", title=short_title(body))

    # -- lists --------------------------------------------------------------------------------

    def _list(self, blocks: list[Block]) -> None:
        try:
            self._list_body(blocks)
        finally:
            self.outline.pop_label()  # a label ("Ovarian pathway:") names the list after it only

    def _list_body(self, blocks: list[Block]) -> None:
        kind = self.outline.kind
        lead_block, self.lead = self.lead, None
        self.para_items = False
        if kind == "exclude" or not blocks:
            return
        top = min(b.level for b in blocks)
        items: list[_Item] = []
        for b in blocks:
            if b.level > top and items:
                items[-1].children.append(b)
            else:
                items.append(_Item(b))
        items = [it for it in items if not re.match(r"priority\s+\w+\*?\s*[:.–-]", it.text, re.I)]
        if not items:
            return  # STP priorities ("Priority 1: …") are document metadata (meta.py)

        lead_text = lead_block.text.strip() if lead_block is not None else ""
        decision = lead_in_kind(lead_text) if lead_block is not None else "neutral"
        lead_sentences = split_sentences(lead_text) if lead_text else []
        lead_start = _commitment_start(lead_sentences, kind) if lead_sentences else None
        if kind == "weak":
            items_ok = False  # objectives, principles, outcomes: only commitments count
        elif decision == "positive":
            items_ok = True
        elif decision == "neutral":
            items_ok = kind in ("list", "intent")
        else:
            items_ok = False

        def strong(text: str) -> bool:
            return _commitment_start(split_sentences(text), "weak") is not None

        def short_noun(it: _Item) -> bool:
            lead, rest = _label(it.text)
            return not lead and not strong(it.text) and not _first_word_is_action(it.text) and _words(it.text) <= 12

        if lead_block is not None and sum(short_noun(it) for it in items) >= 0.6 * len(items):
            # noun-phrase items ("Childhood Obesity", "Capitated contracts"): one intention
            # with the lead-in, when the lead-in announces intentions or commits to something
            if lead_start is not None or (items_ok and decision == "positive"):
                begin = lead_start if lead_start is not None else len(lead_sentences) - 1
                body = " ".join(lead_sentences[begin:])
                blocks_ = [lead_block] + [b for it in items for b in [it.block, *it.children]]
                texts = [body] + [b.text.strip() for b in blocks_[1:]]
                title = short_title(body)
                if len(title.split()) < 3:  # "… we will have:" says nothing; the first item does
                    title = short_title(items[0].text)
                self._new(texts, blocks_, "bullets", title=title)
            elif decision != "negative":
                for it in items:
                    if strong(it.text):
                        self._item(it)
            return

        if lead_block is not None and lead_start is not None:
            if decision == "negative" or not items_ok:
                # the lead-in commits to something; its list says what it is not about
                self._new([lead_text], [lead_block], "prose", title=short_title(" ".join(lead_sentences[lead_start:])))
            elif lead_start < len(lead_sentences) - 1:
                body = " ".join(lead_sentences[lead_start:-1])
                self._new([body], [lead_block], "prose", title=short_title(body))
        for it in items:
            lead, rest = _label(it.text)
            if lead and not rest:
                # a bare label ("Urgent Care Centres (UCCs):"): its children are the items
                pathway = lead if _is_area_label(lead) else None
                for child in it.children:
                    if items_ok or (decision != "negative" and strong(child.text)):
                        self._new([child.text.strip()], [child], "bullets", pathway=pathway, title=self._title(child.text.strip()))
                continue
            if items_ok or (decision != "negative" and strong(it.text)):
                self._item(it)

    def _item(self, it: _Item) -> None:
        lead, _ = _label(it.text)
        pathway = lead if lead and _is_area_label(lead) else None
        texts = [it.text] + [c.text.strip() for c in it.children]
        self._new(texts, [it.block, *it.children], "bullets", pathway=pathway, title=self._title(it.text))


# --------------------------------------------------------------------------------------------
# from units to ExtractedIntention
# --------------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _locate(doc: Document, start: int, end: int, sentence: str) -> tuple[int, int]:
    """Source lines of ``sentence`` within lines ``start..end`` (falls back to the whole range)."""
    if start == end:
        return start, end
    lines = [_norm(doc.lines[i - 1]) if 0 < i <= len(doc.lines) else "" for i in range(start, end + 1)]
    s = _norm(sentence)
    head, tail = s[:24], s[-24:]
    first = next((start + k for k, ln in enumerate(lines) if head and head in ln), start)
    last = next((start + k for k in range(len(lines) - 1, -1, -1) if tail and tail in lines[k]), end)
    if last < first:
        last = first
    return first, last


def _sentence_spans(doc: Document, unit: _Unit) -> Iterator[Span]:
    """Each sentence of each block of ``unit`` with its source lines."""
    for text, block in zip(unit.texts, unit.blocks):
        for sentence in split_sentences(text):
            line, end = _locate(doc, block.line, block.end_line, sentence)
            yield Span(text=sentence, line=line, end_line=end, page=block.page)


def _to_intention(doc: Document, unit: _Unit) -> ExtractedIntention:
    first = min(b.line for b in unit.blocks)
    last = max(b.end_line for b in unit.blocks)
    text = unit.text
    span = Span(text=text, line=first, end_line=last, page=unit.blocks[0].page)
    provider_spans: list[tuple[Span, str]] = []
    timescale_spans: list[Span] = []
    for s in _sentence_spans(doc, unit):
        if names_organisation(s.text):
            provider_spans.append((s, "lead" if _LEAD_PROVIDER_RE.search(s.text) else "named"))
        if has_timescale(s.text):
            timescale_spans.append(s)
    money: list[Money] = []
    for s in _sentence_spans(doc, unit):
        money.extend(find_money(s.text, s))
    title = unit.title or short_title(text)
    return ExtractedIntention(
        title=title or text[:100],
        text=text,
        span=span,
        extractor=unit.extractor,
        programme=unit.programme,
        pathway=unit.pathway,
        provider_spans=provider_spans,
        timescale_spans=timescale_spans,
        mechanisms=find_mechanisms(text),
        money=money,
        enabler_of=find_enabler_of(text),
        section=unit.section,
    )


def _dedupe(intentions: Iterable[ExtractedIntention]) -> list[ExtractedIntention]:
    seen: set[str] = set()
    out: list[ExtractedIntention] = []
    for it in intentions:
        key = _norm(it.text)
        if key in seen:
            continue
        seen.add(key)
        out.append(it)
    return out


def extract_prose(doc: Document, skip_lines: set[int] | None = None) -> list[ExtractedIntention]:
    """Intentions stated in bullet lists and prose sentences of ``doc``.

    ``skip_lines`` are source lines already read by another extractor (the table extractor's
    ``covered_lines``): blocks starting or ending on them are not read again.
    """
    units = _Extractor(doc, set(skip_lines or ())).run()
    return _dedupe(_to_intention(doc, u) for u in units if u.texts and any(t.strip() for t in u.texts))
