"""The extraction orchestrator: a :class:`Document` in, an :class:`ExtractedDocument` out.

``extract(doc)`` runs, in order:

1. :func:`~cigraph.loaders.meta.document_metadata` – commissioner, planning year, STP, STP
   priorities, enablers;
2. :func:`~cigraph.loaders.tables.extract_tables` – intentions in recognised tables, and the
   source lines those tables cover;
3. :func:`~cigraph.loaders.prose.extract_prose` – intentions in bullet lists and prose, skipping
   the lines the tables covered;

then fills in what the table extractor left empty but the row's text states (mechanisms, money,
"enabler for" links), drops prose intentions that repeat a table row or another prose intention
(same lines, text contained in the other's), orders everything by position and collects the
warnings of every step.
"""
from __future__ import annotations

import re

from .meta import document_metadata
from .model import Document, ExtractedDocument, ExtractedIntention
from .prose import extract_prose, find_enabler_of, find_mechanisms, find_money
from .tables import extract_tables

__all__ = ["extract", "merge_intentions"]


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _overlaps(a: ExtractedIntention, b: ExtractedIntention) -> bool:
    return a.span.line <= b.span.end_line and b.span.line <= a.span.end_line


def _enrich(it: ExtractedIntention) -> ExtractedIntention:
    """Fill fields a table row left empty from the row's own text."""
    if it.enabler_of is None:
        it.enabler_of = find_enabler_of(it.text)
    if not it.mechanisms:
        it.mechanisms = find_mechanisms(it.text)
    if not it.money:
        it.money = find_money(it.text, it.span)
    return it


def merge_intentions(
    table_intentions: list[ExtractedIntention], prose_intentions: list[ExtractedIntention]
) -> tuple[list[ExtractedIntention], int]:
    """Table intentions plus the prose intentions that do not repeat one; returns the merged
    list (in document order) and how many prose intentions were dropped.

    A prose intention is a repeat when its lines overlap a table intention's, or when it
    overlaps another prose intention whose text contains its own.
    """
    kept: list[ExtractedIntention] = []
    dropped = 0
    # longer texts first, so that a contained repeat meets its container
    for it in sorted(prose_intentions, key=lambda i: -len(i.text)):
        if any(_overlaps(it, t) for t in table_intentions):
            dropped += 1
            continue
        key = _norm(it.text)
        if any(_overlaps(it, k) and key in _norm(k.text) for k in kept):
            dropped += 1
            continue
        kept.append(it)
    merged = list(table_intentions) + kept
    merged.sort(key=lambda i: (i.span.line, i.span.end_line))
    return merged, dropped


def extract(doc: Document) -> ExtractedDocument:
    """All intentions and metadata of ``doc`` (see the module docstring)."""
    meta = document_metadata(doc)
    tables = extract_tables(doc)
    prose = extract_prose(doc, skip_lines=tables.covered_lines)
    intentions, dropped = merge_intentions([_enrich(i) for i in tables.intentions], prose)
    warnings = list(meta.warnings) + list(tables.warnings)
    if dropped:
        warnings.append(f"{doc.name}: {dropped} prose intention(s) dropped as repeats of table rows or other text")
    return ExtractedDocument(
        document=doc,
        commissioner_text=meta.commissioner_text,
        planning_fy=meta.planning_fy,
        intentions=intentions,
        enablers=meta.enablers,
        stp_text=meta.stp_text,
        stp_priorities=meta.stp_priorities,
        warnings=warnings,
    )
