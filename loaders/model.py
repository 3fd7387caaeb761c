"""The document model every reader yields, and the extraction records every extractor yields.

Readers (``loaders/readers.py``) turn a file into a :class:`Document`: an ordered list of
:class:`Block` objects (headings, paragraphs, list items, table rows) that keep their source
positions (1-based line numbers in the file as read; page numbers for PDF).

Extractors (``loaders/extract.py`` and friends) turn a :class:`Document` into
:class:`ExtractedIntention` records.  They do **not** resolve organisations or parse dates:
they keep the raw text of provider cells / mentions and timescale cells, with positions, and
``graph/`` resolves them against the organisation registry and NHS fiscal time.  Data flows one
way: loaders → graph.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["heading", "paragraph", "list_item", "table_row"]


@dataclass
class Cell:
    text: str  # cell text with HTML stripped; list items inside a cell joined by "\n"
    line: int  # first source line of the cell
    end_line: int  # last source line of the cell
    items: list[str] = field(default_factory=list)  # bullet items found inside the cell, if any


@dataclass
class Block:
    kind: BlockKind
    text: str  # plain text (for table rows: cells joined with " | ")
    line: int  # 1-based first source line
    end_line: int  # 1-based last source line (inclusive)
    page: int | None = None  # PDF page (1-based), when known
    level: int = 0  # heading level (1 = top) or list nesting level
    number: str | None = None  # heading number such as "7.2" when the heading is numbered
    cells: list[Cell] = field(default_factory=list)  # only for table_row
    table: int | None = None  # index of the table this row belongs to (rows of one logical table share it)


@dataclass
class Document:
    path: str  # path as given
    name: str  # file name (used in provenance)
    format: Literal["text", "markdown", "pdf", "docx", "html"]
    blocks: list[Block]
    lines: list[str]  # the source text split into lines (for PDF/DOCX: the extracted text lines)
    title: str | None = None


@dataclass
class Span:
    """A piece of source text with its position: what a mention or cell said and where."""

    text: str
    line: int
    end_line: int
    page: int | None = None


@dataclass
class Money:
    amount: float  # in the unit below, e.g. 120.0 with unit "GBP_thousand"
    unit: Literal["GBP", "GBP_thousand", "GBP_million"]
    measure: str  # e.g. "gross savings", "indicative annual value", "investment"
    provider_text: str | None  # provider the figure is attributed to (raw text), if any
    span: Span | None = None


@dataclass
class ExtractedProcurement:
    service: str
    value: Money | None
    commencement_text: str | None  # raw timescale text, e.g. "Q3 2014/15"
    span: Span | None = None


@dataclass
class ExtractedIntention:
    """One commissioning intention as stated in a document, before resolution.

    ``provider_spans`` are texts to resolve to organisations and generic groups: for a table,
    the provider column cell (``role="named"``); for prose, the sentences naming providers.
    The resolver in graph/ decides which words are organisations, which are groups
    ("Acute Providers", "GP Practices") and which are nothing, and reports the unresolved.
    """

    title: str  # short title: the service area / bullet head / first clause
    text: str  # full text of the intention
    span: Span  # where the whole intention sits (line .. end_line)
    extractor: str  # which extractor produced it, e.g. "table:001-intentions", "bullets", "prose"
    programme: str | None = None
    pathway: str | None = None  # service area
    provider_spans: list[tuple[Span, str]] = field(default_factory=list)  # (span, role) role in named|lead|indirect
    timescale_spans: list[Span] = field(default_factory=list)  # raw timescale cells / phrases
    mechanisms: list[str] = field(default_factory=list)  # contract variation, procurement, CQUIN, decommissioning...
    money: list[Money] = field(default_factory=list)
    procurement: ExtractedProcurement | None = None
    enabler_of: str | None = None  # title of another intention this one is an enabler for
    enablers: list[str] = field(default_factory=list)  # names of enablers this intention relies on
    section: str | None = None  # heading path, e.g. "7.2 In hospital commissioning intentions"


@dataclass
class ExtractedDocument:
    """Everything extractors found in one document."""

    document: Document
    commissioner_text: str | None  # e.g. "NHS Bedfordshire CCG" as found in the document
    planning_fy: int | None  # start year of the financial year planned for: 2018 for 2018/19
    intentions: list[ExtractedIntention]
    enablers: list[tuple[str, Span]] = field(default_factory=list)  # document-level enabler list
    stp_text: str | None = None  # e.g. "Bedfordshire, Luton and Milton Keynes STP"
    stp_priorities: list[tuple[str, str, Span]] = field(default_factory=list)  # (number, title, span)
    warnings: list[str] = field(default_factory=list)
