"""Table extractors: commissioning intentions from the table rows of a :class:`Document`.

Tables are recognised by their **header row** (normalised, tolerant to case and typos), never by
the document they come from.  Each header cell is given a *role*::

    programme   "Programme Area", "Programme", "Workstream"
    service     "Service Area", "What", "Scheme", "Project"
    text        "Commissioning Intent(ion)", "Description", "Action"
    provider    "Impact Area/Main Providers Impacted", "Provider(s)", "Impact"
    timescale   "Timescales", "Timeline", "Date", "Commencement date"
    value       "Indicative annual value £000s"

and the set of roles chooses a *profile*:

``table:procurement``
    a ``service`` column, a money column and a column naming *procurement* (e.g. "Service area |
    Indicative annual value £000s | Indicative procurement commencement date"): one intention per
    service with an :class:`ExtractedProcurement`.
``table:provider-impact``
    a title column and two or more money columns ("Gross Savings £k | Primary Care £k | Community
    (CLCH) £k | ..."): one intention per row with a :class:`Money` per non-empty money cell;
    the provider is the column header's parenthesis ("CLCH") or its stem ("Primary Care").
``table:sector-summary``
    a header naming "provider sectors impacted" over a second header row of sector names, with
    tick marks in the body: one intention per row, the ticked sectors as provider spans.
``table:intentions``
    a ``text`` or ``service`` column plus a ``provider`` or ``timescale`` column (seed 001's
    "Programme Area | Service Area | Commissioning Intent | ... | Timescales", seed 000's "What |
    Description | Timescale", and any table of that shape).  The programme comes from the
    programme column (carried down the table), from *section rows* (a row with only its first
    cell filled, such as "1. Better Care Fund / Whole System Transformation"), or from the heading
    above the table.  A row with an empty key cell (service area, or text when there is no service
    column) continues the previous intention: its text, provider and timescale cells are added and
    the intention's ``end_line`` grows.  A row whose text cell starts in lowercase after a text that
    did not end a sentence (a row broken by a page break) continues it too, and its title cell
    completes the title.

Rows that repeat the table header (``Block.level == 1``, see ``loaders/readers.py``), sub-total
and total rows are skipped but counted as covered.  A table without a recognisable header that
directly follows a recognised table of the same width is read as its continuation when only page furniture ("Page 12") stands between them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from rapidfuzz import fuzz

from .model import (
    Block,
    Cell,
    Document,
    ExtractedIntention,
    ExtractedProcurement,
    Money,
    Span,
)

__all__ = [
    "TableExtraction",
    "extract_tables",
    "find_mechanisms",
    "header_roles",
    "MECHANISMS",
]


@dataclass
class TableExtraction:
    intentions: list[ExtractedIntention]
    covered_lines: set[int]  # source lines consumed by recognised tables
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# mechanisms
# --------------------------------------------------------------------------------------------

#: Commissioning mechanisms and the patterns that reveal them in intention text.
MECHANISMS: dict[str, re.Pattern[str]] = {
    "contract variation": re.compile(
        r"contract(?:ual)?\s+variations?|variation\s+to\s+(?:the\s+|existing\s+)?contracts?"
        r"|(?:implemented|implementation|commissioned)\s+(?:via|by|through)\s+(?:a\s+)?variation",
        re.I,
    ),
    "re-procurement": re.compile(r"\bre-?procur\w*|\bre-?tender\w*", re.I),
    "procurement": re.compile(r"\bprocur(?:e|ed|ing|ement)\b|\btender(?:ing|ed)?\b", re.I),
    "CQUIN": re.compile(r"\bCQUINS?\b", re.I),
    "decommissioning": re.compile(r"\bde-?commission\w*", re.I),
    "re-commissioning": re.compile(r"\bre-?commission\w*", re.I),
    "AQP": re.compile(r"\bAQP\b|any\s+qualified\s+provider", re.I),
    "contract negotiation": re.compile(
        r"contract(?:ual)?\s+negotiations?|subject\s+to\s+(?:contract\s+)?negotiation", re.I
    ),
    "tariff": re.compile(r"\btariffs?\b", re.I),
    "service specification": re.compile(r"\bspecifications?\b", re.I),
    "risk share": re.compile(r"\brisk[\s-]share|\bgain[\s-]share", re.I),
    "block contract": re.compile(r"\bblock\s+contracts?\b", re.I),
    "contract extension": re.compile(r"\bcontract\s+extension", re.I),
    "contract award": re.compile(r"\bcontract\s+award|\baward(?:ing)?\s+(?:of\s+)?(?:the\s+)?contract", re.I),
    "quality schedule": re.compile(r"\bquality\s+schedules?\b", re.I),
    "SDIP": re.compile(r"\bSDIP\b|service\s+development\s+(?:and\s+)?improvement\s+plan", re.I),
    "pilot": re.compile(r"\bpilot(?:s|ed|ing)?\b", re.I),
}


def find_mechanisms(text: str) -> list[str]:
    """Names of the commissioning mechanisms mentioned in ``text``, in :data:`MECHANISMS` order."""
    found = [name for name, rx in MECHANISMS.items() if rx.search(text)]
    if "re-procurement" in found and "procurement" in found:
        # "re-procuring" also matches the plain pattern only when both words occur
        if not MECHANISMS["procurement"].search(MECHANISMS["re-procurement"].sub(" ", text)):
            found.remove("procurement")
    return found


# --------------------------------------------------------------------------------------------
# header roles
# --------------------------------------------------------------------------------------------

_ROLE_PHRASES: dict[str, tuple[str, ...]] = {
    "programme": ("programme area", "programme", "work programme", "workstream", "work stream",
                  "clinical programme", "portfolio"),
    "service": ("service area", "service", "scheme", "project", "what", "initiative", "title",
                "topic", "service line"),
    "text": ("commissioning intent", "commissioning intention", "commissioning intentions",
             "intention", "intentions", "description", "details", "detail", "action", "actions",
             "what we will do", "proposed change", "summary"),
    "provider": ("main providers impacted", "providers impacted", "provider impacted",
                 "providers affected", "provider", "providers", "impact area", "impact",
                 "main provider", "organisation", "organisations"),
    "timescale": ("timescale", "timescales", "timeline", "timelines", "timing", "timings", "date",
                  "dates", "when", "by when", "deadline", "milestone", "milestones",
                  "commencement", "commencement date", "start date", "target date"),
    "value": ("value", "annual value", "indicative annual value", "contract value", "cost"),
}
_ROLE_ORDER = ("programme", "service", "provider", "timescale", "value", "text")


def _norm(text: str) -> str:
    text = text.lower().replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _phrase_score(phrase: str, header: str) -> float:
    if phrase == header:
        return 100 + len(phrase)
    words = header.split()
    if len(phrase) <= 5 and " " not in phrase and len(words) > 3:
        return 0.0  # short generic words only name short headers ("What", "Date")
    if re.search(rf"\b{re.escape(phrase)}\b", header):
        return 90 + len(phrase) / 10
    if len(phrase) >= 6:
        if fuzz.ratio(phrase, header) >= 85:
            return 85 + len(phrase) / 10
        if len(header) > len(phrase) and fuzz.partial_ratio(phrase, header) >= 90:
            return 80 + len(phrase) / 10
    return 0.0


def _role(header_text: str) -> str | None:
    h = _norm(header_text)
    if not h:
        return None
    best: tuple[float, int, str] | None = None
    for rank, role in enumerate(_ROLE_ORDER):
        score = max(_phrase_score(p, h) for p in _ROLE_PHRASES[role])
        if score and (best is None or (score, -rank) > (best[0], best[1])):
            best = (score, -rank, role)
    return best[2] if best else None


def header_roles(cells: Iterable[str]) -> list[str | None]:
    """The role of each header cell (``None`` when a cell names nothing we use)."""
    roles: list[str | None] = []
    for text in cells:
        role = _role(text)
        roles.append(role if role not in roles else (None if role != "text" else role))
    return roles


_MONEY_HEADER_RE = re.compile(r"£\s*(k|000s?|m|million|thousands?)?|\((?:£)?000s?\)|\bgbp\b", re.I)


def _money_unit(header: str) -> str | None:
    m = _MONEY_HEADER_RE.search(header)
    if not m:
        return None
    unit = (m.group(1) or "").lower() if m.lastindex else ""
    if "000" in m.group(0) or unit in ("k", "000", "000s", "thousand", "thousands"):
        return "GBP_thousand"
    if unit in ("m", "million"):
        return "GBP_million"
    return "GBP"


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

_TICK_RE = re.compile(r"^\s*(?:[✓✔√☑x✗]|yes|y)\s*$", re.I)
_TOTAL_RE = re.compile(r"^\s*(?:sub[\s-]?total|total|grand total)\b", re.I)
_SECTION_NUM_RE = re.compile(r"^\s*(?:\d{1,2}(?:\.\d{1,2})*\.?|[A-Z][.)]|[IVX]{1,4}[.)])\s+")
_AMOUNT_RE = re.compile(r"^\(?-?£?\s*\d[\d,]*(?:\.\d+)?\)?\s*[km]?$", re.I)


def _aligned(row: Block, width: int) -> list[Cell | None]:
    """The row's cells right-aligned to ``width`` columns.

    Text exports drop the leading (vertically merged) cells of a row, never its trailing ones,
    so a short row lacks its first cells.
    """
    cells: list[Cell | None] = list(row.cells)
    if len(cells) >= width:
        return cells[:width] if all(not c.text for c in cells[width:]) else cells
    return [None] * (width - len(cells)) + cells


def _text(cell: Cell | None) -> str:
    return cell.text.strip() if cell is not None else ""


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\n", " ")).strip()


def _span(cell: Cell, row: Block) -> Span:
    return Span(cell.text.strip(), cell.line, cell.end_line, row.page)


def _first_clause(text: str, limit: int = 90) -> str:
    text = _one_line(text)
    m = re.match(r"(.+?)(?:[.;:](?:\s|$)| – | - )", text)
    clause = m.group(1) if m else text
    if len(clause) > limit:
        clause = clause[:limit].rsplit(" ", 1)[0] + "…"
    return clause


_PROVIDER_WORD_RE = re.compile(
    r"\b(?:providers?|trusts?|hospitals?|foundation|hospices?|ambulance|councils?|practices?"
    r"|partnership|[A-Z][A-Z&]{1,5}[A-Z])\b"
)


def _provider_sentences(cell: Cell, row: Block) -> list[Span]:
    """Sentences of a text cell that may name providers, for tables without a provider column.

    They are returned with role ``"indirect"``: the resolver in graph/ decides which words, if any,
    are organisations.
    """
    spans = []
    for sentence in re.split(r"(?<=[.!?])\s+|\n", cell.text):
        sentence = sentence.strip()
        if sentence and _PROVIDER_WORD_RE.search(sentence):
            spans.append(Span(sentence, cell.line, cell.end_line, row.page))
    return spans


def _parse_amount(text: str) -> float | None:
    t = text.strip()
    if not t or not _AMOUNT_RE.match(t):
        return None
    negative = t.startswith("(") and t.endswith(")") or t.startswith("-")
    digits = re.sub(r"[^\d.]", "", t)
    if not digits:
        return None
    value = float(digits)
    return -value if negative else value


def _money_text(amount: float, unit: str) -> str:
    suffix = {"GBP_thousand": "k", "GBP_million": "m"}.get(unit, "")
    return f"£{amount:,.0f}{suffix}" if amount == int(amount) else f"£{amount:,.2f}{suffix}"


def _strip_marks(text: str) -> str:
    return re.sub(r"\*+$|[¹²³⁴⁵⁶⁷⁸⁹]+$", "", _one_line(text)).strip()


@dataclass
class _Table:
    index: int
    rows: list[Block]
    section: str | None  # nearest heading above the table

    @property
    def lines(self) -> set[int]:
        return set(range(self.rows[0].line, self.rows[-1].end_line + 1))


def _tables(doc: Document) -> list[_Table]:
    tables: dict[int, _Table] = {}
    heading: str | None = None
    for block in doc.blocks:
        if block.kind == "heading":
            heading = block.text
        elif block.kind == "table_row" and block.table is not None:
            t = tables.get(block.table)
            if t is None:
                tables[block.table] = _Table(block.table, [block], heading)
            else:
                t.rows.append(block)
    return sorted(tables.values(), key=lambda t: t.rows[0].line)


# --------------------------------------------------------------------------------------------
# profiles
# --------------------------------------------------------------------------------------------


@dataclass
class _Profile:
    name: str
    header_rows: int  # rows (from the table's first) up to and including the header
    width: int
    roles: list[str | None]
    headers: list[str]
    groups: list[str] = field(default_factory=list)  # a spanning header row above ``headers``


def _detect(table: _Table) -> _Profile | None:
    """The profile of a table, trying its first row as the header, then the rows below one or
    two caption rows (rows with at most one filled cell, such as "Table 2: Key intentions")."""
    for skip in range(3):
        if skip and sum(1 for c in table.rows[skip - 1].cells if c.text.strip()) > 1:
            break
        if skip >= len(table.rows):
            break
        prof = _detect_at(table.rows, skip)
        if prof is not None:
            return prof
    return None


def _detect_at(rows: list[Block], k: int) -> _Profile | None:
    headers = [_one_line(c.text) for c in rows[k].cells]
    width = len(headers)

    # sector summary: "Provider sectors impacted" spanning a second header row
    if len(rows) > k + 2 and any(re.search(r"sectors?\s+impacted|providers?\s+impacted", h, re.I)
                                 for h in headers):
        second = [_one_line(c.text) for c in rows[k + 1].cells]
        if second and not second[0] and sum(1 for s in second if s) >= 3:
            span = max(width, len(second))
            return _Profile("table:sector-summary", k + 2, span, [],
                            second + [""] * (span - len(second)),
                            headers + [""] * (span - width))

    roles = header_roles(headers)
    money_cols = [i for i, h in enumerate(headers) if _money_unit(h)]
    if any(re.search(r"procure", h, re.I) for h in headers) and (money_cols or "value" in roles):
        if roles[0] in ("service", "text", None):
            return _Profile("table:procurement", k + 1, width, roles, headers)
    if len(money_cols) >= 2 and 0 not in money_cols:
        return _Profile("table:provider-impact", k + 1, width, roles, headers)
    key = "service" in roles or "text" in roles
    detail = "provider" in roles or "timescale" in roles
    if key and detail and sum(1 for r in roles if r) >= 2:
        return _Profile("table:intentions", k + 1, width, roles, headers)
    return None


# --------------------------------------------------------------------------------------------
# table:intentions
# --------------------------------------------------------------------------------------------


@dataclass
class _Draft:
    title: str
    texts: list[str]
    line: int
    end_line: int
    page: int | None
    programme: str | None
    pathway: str | None
    providers: list[Span] = field(default_factory=list)
    timescales: list[Span] = field(default_factory=list)
    mentions: list[Span] = field(default_factory=list)  # provider sentences (no provider column)
    section: str | None = None


def _intentions_profile(table: _Table, prof: _Profile, out: TableExtraction) -> list[ExtractedIntention]:
    roles = prof.roles
    col = {r: roles.index(r) for r in set(roles) if r}
    key_col = col.get("service", col.get("text"))
    text_col = col.get("text")
    text_cols = [i for i, r in enumerate(roles) if r == "text"]
    programme: str | None = None
    drafts: list[_Draft] = []
    current: _Draft | None = None

    def cell_at(cells: list[Cell | None], role: str) -> Cell | None:
        i = col.get(role)
        return cells[i] if i is not None and i < len(cells) else None

    for row in table.rows[prof.header_rows:]:
        if row.level == 1:  # repeated header
            continue
        cells = _aligned(row, prof.width)
        filled = [i for i, c in enumerate(cells) if _text(c)]
        if not filled:
            continue
        key = cells[key_col] if key_col is not None and key_col < len(cells) else None
        text_cell = cell_at(cells, "text") if text_col is not None else None

        # section row: only the first cell filled, short or numbered → programme
        if filled == [0] and (key_col != 0 or _SECTION_NUM_RE.match(_text(cells[0]))):
            label = _one_line(_text(cells[0]))
            if _SECTION_NUM_RE.match(label) or len(label.split()) <= 8:
                programme = _SECTION_NUM_RE.sub("", label).strip() or label
                current = None
                continue

        continues_text = (
            current is not None
            and text_cell is not None
            and _text(text_cell)[:1].islower()
            and current.texts
            and current.texts[-1].rstrip()[-1:] not in ".!?"
        )
        if current is not None and (not _text(key) or continues_text):
            # continuation of the intention above
            if continues_text and _text(key) and key is not text_cell:
                current.title = f"{current.title} {_one_line(_text(key))}".strip()
                current.pathway = current.title
            if "provider" not in col and text_cell is not None and _text(text_cell):
                current.mentions.extend(_provider_sentences(text_cell, row))
            for i in filled:
                c = cells[i]
                if c is None or (continues_text and c is key and key is not text_cell):
                    continue
                role = roles[i] if i < len(roles) else None
                if role == "provider":
                    current.providers.append(_span(c, row))
                elif role == "timescale":
                    current.timescales.append(_span(c, row))
                elif role in ("text", "programme", "service", None):
                    if continues_text and c is text_cell and current.texts:
                        current.texts[-1] = current.texts[-1].rstrip() + " " + c.text.strip()
                    else:
                        current.texts.append(c.text.strip())
            current.end_line = max(current.end_line, row.end_line)
            continue
        if not _text(key) and current is None:
            if text_cell is not None and _text(text_cell):
                out.warnings.append(
                    f"{table.rows[0].line}: table row at line {row.line} continues no intention; "
                    "read as an intention of its own"
                )
            elif filled == [0] and len(_text(cells[0]).split()) > 8:
                pass  # a statement spanning the row: read below as an intention of its own
            else:
                continue

        # a new intention
        prog_cell = cell_at(cells, "programme")
        if _text(prog_cell):
            programme = _one_line(_text(prog_cell))
        service = _strip_marks(_text(key)) if key is not None and key is not text_cell else ""
        body = "\n".join(_text(cells[i]) for i in text_cols if i < len(cells) and _text(cells[i]))
        if not body and filled == [0]:
            body, service = _text(cells[0]), ""  # a statement spanning the whole row
        title = service or _first_clause(body)
        current = _Draft(
            title=title,
            texts=[body] if body else [],
            line=row.line,
            end_line=row.end_line,
            page=row.page,
            programme=programme or (_SECTION_NUM_RE.sub("", table.section).strip() if table.section else None),
            pathway=service or None,
            section=table.section,
        )
        for role, store in (("provider", current.providers), ("timescale", current.timescales)):
            c = cell_at(cells, role)
            if _text(c):
                store.append(_span(c, row))
        if "provider" not in col and text_cell is not None:
            current.mentions.extend(_provider_sentences(text_cell, row))
        drafts.append(current)

    intentions: list[ExtractedIntention] = []
    for d in drafts:
        text = "\n".join(t for t in d.texts if t)
        intentions.append(
            ExtractedIntention(
                title=d.title,
                text=text,
                span=Span(_one_line(text) or d.title, d.line, d.end_line, d.page),
                extractor=prof.name,
                programme=d.programme,
                pathway=d.pathway,
                provider_spans=[(s, "named") for s in d.providers]
                + [(s, "indirect") for s in d.mentions],
                timescale_spans=d.timescales,
                mechanisms=find_mechanisms(text),
                section=d.section,
            )
        )
    return intentions


# --------------------------------------------------------------------------------------------
# table:procurement
# --------------------------------------------------------------------------------------------


def _procurement_profile(table: _Table, prof: _Profile, out: TableExtraction) -> list[ExtractedIntention]:
    headers = prof.headers
    value_col = next((i for i, h in enumerate(headers) if _money_unit(h)), None)
    if value_col is None:
        value_col = prof.roles.index("value")
    date_col = next(
        (i for i, h in enumerate(headers) if re.search(r"date|commenc|timescale|start", h, re.I) and i != value_col),
        None,
    )
    unit = _money_unit(headers[value_col]) or "GBP"
    measure = _one_line(re.sub(r"\(?£.*$|\(?000s?\)?", "", headers[value_col])).lower() or "value"
    group: str | None = None
    result = []
    for row in table.rows[prof.header_rows:]:
        if row.level == 1:
            continue
        cells = _aligned(row, prof.width)
        name = _strip_marks(_text(cells[0]))
        rest = [_text(c) for c in cells[1:]]
        if not name:
            continue
        if not any(rest):
            group = name
            continue
        if _TOTAL_RE.match(name):
            continue
        value_cell = cells[value_col] if value_col < len(cells) else None
        date_cell = cells[date_col] if date_col is not None and date_col < len(cells) else None
        amount = _parse_amount(_text(value_cell)) if value_cell is not None else None
        money = (
            Money(amount, unit, measure, None, _span(value_cell, row))
            if amount is not None and value_cell is not None
            else None
        )
        when = _text(date_cell)
        when_known = bool(when) and not re.fullmatch(r"tbc|tba|n/?a|-|unknown", when, re.I)
        span = Span(_one_line(row.text), row.line, row.end_line, row.page)
        procurement = ExtractedProcurement(
            service=name,
            value=money,
            commencement_text=when if when_known else None,
            span=span,
        )
        text = f"{name}: procurement"
        text += f" commencing {when}" if when_known else " (commencement to be confirmed)"
        if money:
            text += f"; {measure} {_money_text(money.amount, unit)}"
        if group:
            text += f" ({group.lower()})"
        result.append(
            ExtractedIntention(
                title=name,
                text=text,
                span=span,
                extractor=prof.name,
                programme=group,
                pathway=name,
                timescale_spans=[_span(date_cell, row)] if when_known and date_cell else [],
                mechanisms=["procurement"],
                money=[money] if money else [],
                procurement=procurement,
                section=table.section,
            )
        )
    return result


# --------------------------------------------------------------------------------------------
# table:provider-impact
# --------------------------------------------------------------------------------------------


def _money_column(header: str) -> tuple[str, str | None] | None:
    """(measure, provider_text) of a money column header, or ``None`` for totals."""
    h = _one_line(header)
    stem = _one_line(_MONEY_HEADER_RE.sub("", h))
    if stem.startswith("(") and stem.endswith(")"):
        stem = stem[1:-1].strip()
    low = stem.lower()
    if re.fullmatch(r"(?:sub\s*)?total", low):
        return None
    if "gross" in low and "saving" in low:
        return "gross savings", None
    if "net" in low and "saving" in low:
        return "net savings", None
    if "investment" in low:
        return "investment", None
    if "saving" in low:
        return "savings", None
    paren = re.search(r"\(([^)]+)\)", stem)
    if paren:
        return "gross savings", paren.group(1).strip()
    return "gross savings", stem or None


def _impact_profile(table: _Table, prof: _Profile, out: TableExtraction) -> list[ExtractedIntention]:
    headers = prof.headers
    money_cols = {i: _money_column(h) for i, h in enumerate(headers) if i and _money_unit(h)}
    money_cols = {i: mc for i, mc in money_cols.items() if mc is not None}
    units = {i: _money_unit(headers[i]) or "GBP" for i in money_cols}
    tick_cols = [i for i, h in enumerate(headers) if i and h and i not in money_cols and not _money_unit(h)]
    group: str | None = None
    result = []
    for row in table.rows[prof.header_rows:]:
        if row.level == 1:
            continue
        cells = _aligned(row, prof.width)
        name = _strip_marks(_text(cells[0]))
        if not name:
            continue
        values = {i: _parse_amount(_text(cells[i])) for i in money_cols if i < len(cells)}
        if not any(v for v in values.values()):
            if not any(_text(c) for c in cells[1:]):
                # category row ("Emergency care"); an all-capitals row is a super-category
                group = name if not name.isupper() else name.capitalize()
            continue
        if _TOTAL_RE.match(name):
            continue
        money: list[Money] = []
        providers: list[tuple[Span, str]] = []
        parts: list[str] = []
        for i, (measure, provider) in money_cols.items():
            amount = values.get(i)
            if not amount:
                continue
            cell = cells[i]
            money.append(Money(amount, units[i], measure, provider, _span(cell, row)))
            label = f"{provider} " if provider else ""
            parts.append(f"{label}{measure} {_money_text(amount, units[i])}")
            if provider and provider.lower() not in ("other", "others", "total"):
                providers.append((Span(provider, cell.line, cell.end_line, row.page), "named"))
        ticked = [headers[i] for i in tick_cols if i < len(cells) and _TICK_RE.match(_text(cells[i]))]
        if ticked:
            parts.append("investment in " + ", ".join(ticked))
        text = f"{name}: " + "; ".join(parts)
        result.append(
            ExtractedIntention(
                title=name,
                text=text,
                span=Span(_one_line(row.text), row.line, row.end_line, row.page),
                extractor=prof.name,
                programme=group,
                pathway=name,
                provider_spans=providers,
                money=money,
                section=table.section,
            )
        )
    return result


# --------------------------------------------------------------------------------------------
# table:sector-summary
# --------------------------------------------------------------------------------------------


def _sector_profile(table: _Table, prof: _Profile, out: TableExtraction) -> list[ExtractedIntention]:
    top, sub, width = prof.groups, prof.headers, prof.width
    start = next(i for i, h in enumerate(top) if re.search(r"impacted", h, re.I))
    # a spanning group header covers the columns up to the next named group header
    group_of: list[str] = []
    current = ""
    for i in range(width):
        if top[i]:
            current = top[i]
        group_of.append(current)
    sector_cols = [i for i in range(start, width) if sub[i]]
    other_cols = [i for i in range(1, start) if sub[i]]
    result = []
    for row in table.rows[prof.header_rows:]:
        if row.level == 1:
            continue
        cells = _aligned(row, width)
        name = _strip_marks(_text(cells[0]))
        if not name:
            continue
        ticked = [i for i in sector_cols if i < len(cells) and _TICK_RE.match(_text(cells[i]))]
        fits = [sub[i] for i in other_cols if i < len(cells) and _TICK_RE.match(_text(cells[i]))]
        providers = [
            (Span(sub[i], cells[i].line, cells[i].end_line, row.page), "named")
            for i in ticked
            if cells[i] is not None
        ]
        text = f"{name}: provider sectors impacted: " + (", ".join(sub[i] for i in ticked) or "none")
        if fits:
            text += f"; {group_of[other_cols[0]].lower() or 'fit'}: " + ", ".join(fits)
        result.append(
            ExtractedIntention(
                title=name,
                text=text,
                span=Span(_one_line(row.text), row.line, row.end_line, row.page),
                extractor=prof.name,
                programme=name,
                provider_spans=providers,
                section=table.section,
            )
        )
    return result


# --------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------

_ENABLER_RE = re.compile(
    r"\b(?:is|as|be)\s+an?\s+(?:key\s+)?enabler\s+(?:for|to|of)\s+(?:the\s+)?(.+?)(?:\s+(?:project|programme|work|scheme))?\s*(?:[.;]|$)",
    re.I,
)


def _link_enablers(intentions: list[ExtractedIntention]) -> None:
    """Fill ``enabler_of`` from "This project is an enabler for the X project" statements."""
    titles = [i.title for i in intentions]
    for it in intentions:
        m = _ENABLER_RE.search(_one_line(it.text))
        if not m:
            continue
        target = m.group(1).strip()
        best, score = None, 0.0
        for t in titles:
            if t == it.title:
                continue
            s = fuzz.token_set_ratio(_norm(target), _norm(t))
            if s > score:
                best, score = t, s
        it.enabler_of = best if best is not None and score >= 80 else target


_PAGE_FURNITURE_RE = re.compile(r"^(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$|\bpage\s+\d", re.I)


def _continues_table(previous: tuple[_Table, _Profile], table: _Table, doc: Document) -> bool:
    """Is ``table`` (no recognisable header) the rest of the intentions table before it?

    Only page furniture ("Page 12", "12 of 40") may stand between the two, and the rows must fit
    the earlier table's columns.
    """
    prev_table, prof = previous
    if prof.name != "table:intentions":
        return False
    first, last = prev_table.rows[-1].end_line, table.rows[0].line
    between = [b for b in doc.blocks if first < b.line < last]
    if len(between) > 2 or not all(_PAGE_FURNITURE_RE.search(b.text.strip()) for b in between):
        return False
    return max(len(r.cells) for r in table.rows) <= prof.width


_HANDLERS = {
    "table:intentions": _intentions_profile,
    "table:procurement": _procurement_profile,
    "table:provider-impact": _impact_profile,
    "table:sector-summary": _sector_profile,
}


def extract_tables(doc: Document) -> TableExtraction:
    """Intentions found in the document's recognised tables, and the lines those tables cover."""
    out = TableExtraction(intentions=[], covered_lines=set(), warnings=[])
    previous: tuple[_Table, _Profile] | None = None
    for table in _tables(doc):
        prof = _detect(table)
        if prof is None and previous is not None and _continues_table(previous, table, doc):
            # a table carried on without its header (e.g. past a page footer): read the two as one
            prev_table, prof = previous
            first, last = prev_table.rows[0].line, prev_table.rows[-1].end_line
            out.intentions = [i for i in out.intentions if not first <= i.span.line <= last]
            table = _Table(prev_table.index, prev_table.rows + table.rows, prev_table.section)
        if prof is None:
            previous = None
            continue
        handler = _HANDLERS[prof.name]
        try:
            found = handler(table, prof, out)
        except (IndexError, ValueError) as exc:  # malformed table: report, never escape
            out.warnings.append(f"{doc.name}:{table.rows[0].line}: {prof.name} table skipped ({exc})")
            previous = None
            continue
        if not found:
            out.warnings.append(f"{doc.name}:{table.rows[0].line}: {prof.name} table has no rows")
        out.intentions.extend(found)
        out.covered_lines |= table.lines
        previous = (table, prof)
    _link_enablers(out.intentions)
    out.intentions.sort(key=lambda i: i.span.line)
    return out
