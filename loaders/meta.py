"""Document-level metadata: commissioner, planning year, STP, STP priorities, enablers.

All of it is read from the document itself, never from its file name:

* **commissioner** – the CCG named most often, occurrences in the title block (the document
  title and its first 60 lines) counting three times.  Plural mentions ("the six SEL CCGs",
  "Luton CCGs") are ignored.  The name is given as ``"<Name> CCG"``, prefixed ``"NHS "`` when
  the document ever writes it that way ("NHS Coventry and Rugby Clinical Commissioning Group" →
  "NHS Coventry and Rugby CCG").
* **planning year** – the first "Commissioning intentions <FY>" (or "<FY> commissioning
  intentions") in the title, then anywhere; failing that, the financial year written most often
  in the first 100 lines.  ``2018 - 19``, ``2015/16``, ``2019-2020`` all give the start year.
* **STP** – an acronym used with "STP" ("BLMK STP") expanded where the document defines it
  ("Bedfordshire, Luton and Milton Keynes (BLMK)") → "Bedfordshire, Luton and Milton Keynes STP".
* **STP priorities** – lines "Priority 1: …", "Priority 2*: …" (at least two).
* **enablers** – the items of a table column headed "Enablers", the sub-headings of a section
  headed "Enablers", and the items of a list introduced by a lead-in naming enablers.

:func:`priorities_for` links an intention to STP priorities by the explicit keyword table
:data:`PRIORITY_THEMES`; the link is an inference, and ``graph/`` records it as such.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .model import Document, ExtractedIntention, Span

__all__ = ["Meta", "document_metadata", "PRIORITY_THEMES", "PRIORITY_RULE_DESCRIPTION", "priorities_for"]


@dataclass
class Meta:
    commissioner_text: str | None
    planning_fy: int | None
    stp_text: str | None = None
    stp_priorities: list[tuple[str, str, Span]] = field(default_factory=list)
    enablers: list[tuple[str, Span]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# text helpers
# --------------------------------------------------------------------------------------------

_TAG_RE = re.compile(r"<[^>]+>")


def _clean(line: str) -> str:
    line = _TAG_RE.sub(" ", line)
    line = re.sub(r"[*_`#]+", " ", line)
    return re.sub(r"\s+", " ", line).strip()


def _uncap(line: str) -> str:
    """Title-case an ALL-CAPS line so that names in it read like names elsewhere."""
    letters = [c for c in line if c.isalpha()]
    if len(letters) >= 8 and sum(c.isupper() for c in letters) / len(letters) > 0.9:
        words = []
        for w in line.split():
            if w in ("NHS", "CCG", "CCGS", "STP"):
                words.append(w)
            elif w.lower() in ("and", "of", "the", "for"):
                words.append(w.lower())
            else:
                words.append(w.capitalize())
        return " ".join(words)
    return line


# --------------------------------------------------------------------------------------------
# commissioner
# --------------------------------------------------------------------------------------------

_CCG_RE = re.compile(
    r"(?P<nhs>\bNHS\s+)?(?P<name>(?:[A-Z][A-Za-z'’.-]*\s+(?:(?:and|&)\s+)?){1,5}?)"
    r"(?:CCG|Clinical\s+Commissioning\s+Group)(?![sS\w])"
)
_NAME_STOP = {
    "the", "this", "our", "each", "all", "both", "every", "other", "lead", "dear", "neighbouring",
    "local", "your", "their", "its", "a", "an", "in", "for", "with", "and", "of", "chair", "by",
}


def _commissioner(doc: Document) -> str | None:
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    with_nhs: set[str] = set()
    title_lines = 60
    sources: list[tuple[int, str]] = [(0, doc.title)] if doc.title else []
    sources += list(enumerate(doc.lines, start=1))
    for lineno, raw in sources:
        line = _uncap(_clean(raw))
        for m in _CCG_RE.finditer(line):
            words = m.group("name").split()
            while words and words[0].lower().strip(".,") in _NAME_STOP:
                words.pop(0)
            while words and words[-1].lower() in ("and", "&"):
                words.pop()
            if not words:
                continue
            name = " ".join(words)
            key = re.sub(r"\s+", " ", name.lower().replace("&", "and"))
            weight = 3 if lineno <= title_lines else 1
            counts[key] += weight
            spellings.setdefault(key, Counter())[name.replace(" & ", " and ")] += 1
            if m.group("nhs"):
                with_nhs.add(key)
    if not counts:
        return None
    key, _ = counts.most_common(1)[0]
    name = spellings[key].most_common(1)[0][0]
    return f"NHS {name} CCG" if key in with_nhs else f"{name} CCG"


# --------------------------------------------------------------------------------------------
# planning year
# --------------------------------------------------------------------------------------------

_FY = r"(?P<y1>(?:19|20)\d\d)\s*(?:/|-|–|—|to)\s*(?P<y2>(?:19|20)?\d\d)\b"
_FY_RE = re.compile(_FY)
_INTENTIONS_FY_RE = re.compile(
    rf"intentions?\b[^.\n]{{0,30}}?{_FY}|{_FY.replace('y1', 'z1').replace('y2', 'z2')}[^.\n]{{0,20}}?commissioning intentions",
    re.I,
)


def _fy_start(y1: str, y2: str) -> int | None:
    start, end = int(y1), int(y2)
    if end < 100:
        end += start - start % 100
    return start if end == start + 1 else None


def _planning_fy(doc: Document) -> int | None:
    texts = ([doc.title] if doc.title else []) + [_clean(x) for x in doc.lines]
    for text in texts:
        for m in _INTENTIONS_FY_RE.finditer(text):
            y1, y2 = (m.group("y1"), m.group("y2")) if m.group("y1") else (m.group("z1"), m.group("z2"))
            fy = _fy_start(y1, y2)
            if fy is not None:
                return fy
    years: Counter[int] = Counter()
    for text in texts[:100]:
        for m in _FY_RE.finditer(text):
            fy = _fy_start(m.group("y1"), m.group("y2"))
            if fy is not None:
                years[fy] += 1
    return years.most_common(1)[0][0] if years else None


# --------------------------------------------------------------------------------------------
# STP
# --------------------------------------------------------------------------------------------

_STP_WORDS = r"(?:STP|Sustainability\s+and\s+Transformation\s+(?:Plan|Partnership))"
_STP_ACRONYM_RE = re.compile(rf"\b([A-Z]{{2,6}})\s+{_STP_WORDS}\b")
_PLACE_NAMES = r"((?:[A-Z][a-z]+(?:,\s+|\s+and\s+|\s+&\s+|\s+)){{1,7}})"
_STP_FULL_RE = re.compile(rf"{_PLACE_NAMES.replace('{{', '{').replace('}}', '}')}{_STP_WORDS}\b")
_NUM_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
_PRIORITY_RE = re.compile(
    r"^\s*(?:[-•*▪]\s*)?Priority\s+(?P<n>\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)\s*\**\s*[:.–—-]+\s*(?P<title>\S.*)$",
    re.I,
)


def _stp(doc: Document) -> str | None:
    text = "\n".join(_clean(x) for x in doc.lines)
    acronyms = Counter(_STP_ACRONYM_RE.findall(text))
    for acronym, _ in acronyms.most_common():
        m = re.search(r"((?:[A-Z][a-z]+(?:,\s+|\s+and\s+|\s+&\s+|\s+)){1,7})\(" + re.escape(acronym) + r"\)", text)
        if m:
            return re.sub(r"\s+", " ", m.group(1)).strip(" ,") + " STP"
    full = Counter(
        re.sub(r"\s+", " ", m.group(1)).strip(" ,")
        for m in _STP_FULL_RE.finditer(text)
        if m.group(1).split()[0] not in ("The", "This", "Our", "Each", "A", "An")
    )
    if full:
        return full.most_common(1)[0][0] + " STP"
    if acronyms:
        return acronyms.most_common(1)[0][0] + " STP"
    return None


def _stp_priorities(doc: Document) -> list[tuple[str, str, Span]]:
    found: dict[str, tuple[str, str, Span]] = {}
    for lineno, raw in enumerate(doc.lines, start=1):
        line = _clean(raw.replace("*", ""))
        m = _PRIORITY_RE.match(line)
        if not m:
            continue
        n = m.group("n").lower()
        number = _NUM_WORDS.get(n, n)
        title = m.group("title").strip(" .")
        if number not in found and len(title.split()) >= 2:
            found[number] = (number, title, Span(text=line, line=lineno, end_line=lineno))
    if len(found) < 2:
        return []
    return sorted(found.values(), key=lambda t: int(t[0]))


# --------------------------------------------------------------------------------------------
# enablers
# --------------------------------------------------------------------------------------------


def _enablers(doc: Document) -> list[tuple[str, Span]]:
    out: list[tuple[str, Span]] = []
    seen: set[str] = set()

    def add(name: str, line: int, end_line: int | None = None, page: int | None = None) -> None:
        name = re.sub(r"\s+", " ", name).strip(" •▪-.;:")
        key = name.lower()
        if name and key not in seen and len(name) <= 120:
            seen.add(key)
            out.append((name, Span(text=name, line=line, end_line=end_line or line, page=page)))

    blocks = doc.blocks
    for i, b in enumerate(blocks):
        # (a) a table column headed "Enablers": the items of the next row's cell in that column
        if b.kind == "table_row" and b.cells:
            cols = [j for j, c in enumerate(b.cells) if re.fullmatch(r"\s*(?:key\s+)?enablers\s*:?\s*", c.text, re.I)]
            for j in cols:
                nxt = next((x for x in blocks[i + 1 :] if x.kind == "table_row" and x.table == b.table), None)
                if nxt is None or j >= len(nxt.cells):
                    continue
                cell = nxt.cells[j]
                for item in cell.items or [t for t in cell.text.split("\n") if t.strip()]:
                    add(item, cell.line, cell.end_line, nxt.page)
        # (b) a section headed "Enablers": its sub-headings (or, without any, its list items)
        if b.kind == "heading" and re.fullmatch(r"(?:[\dIVX.)]+\s*)?(?:key\s+)?enablers", b.text.strip(), re.I):
            subs, items = [], []
            for x in blocks[i + 1 :]:
                if x.kind == "heading" and x.level <= b.level:
                    break
                if x.kind == "heading":
                    subs.append(x)
                elif x.kind == "list_item" and x.level <= 1:
                    items.append(x)
            for x in subs or items:
                add(x.text, x.line, x.end_line, x.page)
        # (c) a lead-in naming enablers, followed by a list
        if b.kind == "paragraph" and b.text.rstrip().endswith(":") and re.search(r"\benablers\b", b.text, re.I):
            for x in blocks[i + 1 :]:
                if x.kind != "list_item":
                    break
                if x.level <= 1:
                    add(x.text, x.line, x.end_line, x.page)
    return out


# --------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------


def document_metadata(doc: Document) -> Meta:
    """Commissioner, planning year, STP, STP priorities and enablers of ``doc``."""
    meta = Meta(
        commissioner_text=_commissioner(doc),
        planning_fy=_planning_fy(doc),
        stp_text=_stp(doc),
        stp_priorities=_stp_priorities(doc),
        enablers=_enablers(doc),
    )
    if meta.commissioner_text is None:
        meta.warnings.append(f"{doc.name}: no commissioning CCG named in the document")
    if meta.planning_fy is None:
        meta.warnings.append(f"{doc.name}: no planning financial year found")
    return meta


# --------------------------------------------------------------------------------------------
# STP priority links
# --------------------------------------------------------------------------------------------

#: The rule linking intentions to STP priorities.  Each theme has two keyword lists: words
#: that place an intention's **programme or service area** in the theme, and words that place
#: an STP **priority title** in it.  An intention is linked to a priority when some theme's
#: first list matches the intention and its second list matches the priority (case-insensitive
#: substring match; "out of hospital" counts as community, not hospital care).  Mental health
#: and learning disability sit with primary/community care, as BLMK's Priority 2 says it
#: includes them.  The link is an inference from programme names, never a statement of the
#: document, and ``graph/`` marks it so.
PRIORITY_THEMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "prevention": (
        ("prevention", "detection", "public health", "self-care", "self care", "healthy", "weight",
         "smoking", "screening", "wellbeing", "well-being"),
        ("prevention", "self-care", "self care", "stay healthy", "early intervention"),
    ),
    "primary, community and social care": (
        ("primary care", "community", "social care", "mental health", "learning disab", "camhs",
         "personal health budget", "continuing care", "continuing healthcare", "end of life",
         "palliative", "children", "maternity", "carers", "nursing", "care home"),
        ("primary", "community", "social care"),
    ),
    "secondary care": (
        ("elective", "planned care", "urgent", "emergency", "a&e", "acute", "hospital", "cancer",
         "diagnostic", "outpatient", "stroke", "cardio", "respiratory", "maternity", "critical care"),
        ("secondary care", "acute"),
    ),
    "leadership and digital": (
        ("digital", "information", "technology", " it ", "leadership", "workforce", "estates", "enabler"),
        ("digital", "leadership"),
    ),
    "accountable care": (
        ("accountable care", "integrated care system", "new models of care", "system transformation",
         "whole system"),
        ("accountable care", "integrated care system"),
    ),
}


def priorities_for(
    intention: ExtractedIntention, priorities: list[tuple[str, str, Span]] | list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """STP priorities ``(number, title)`` an intention serves, by the :data:`PRIORITY_THEMES` rule.

    Only the intention's programme and service area (``pathway``) are read; an intention with
    neither is linked to nothing.
    """
    area = " ".join(x for x in (intention.programme, intention.pathway) if x).lower()
    if not area:
        return []
    area = f" {area.replace('out of hospital', 'community').replace('out-of-hospital', 'community')} "
    themes = [name for name, (areas, _) in PRIORITY_THEMES.items() if any(k in area for k in areas)]
    out: list[tuple[str, str]] = []
    for prio in priorities:
        number, title = prio[0], prio[1]
        t = title.lower()
        if any(any(k in t for k in PRIORITY_THEMES[name][1]) for name in themes):
            out.append((number, title))
    return out

#: One-line statement of the rule, recorded with each inferred priority link.
PRIORITY_RULE_DESCRIPTION = (
    "inferred by keyword rule (cigraph.loaders.meta.PRIORITY_THEMES): the intention's programme "
    "or service area and the STP priority's title fall in the same theme"
)
