"""Test support: convert a seed text export into a DOCX and a PDF with the same structure.

The conversion is driven by the reader's :class:`~cigraph.loaders.model.Document`, so the
DOCX/PDF carry what the text reader understood: headings as heading styles, list items as list
paragraphs, and each logical table (rows sharing ``Block.table``) as one real table.  Rows that
repeat the header (``level == 1``) are dropped and the first row becomes a repeating header row
instead, as a word processor would do it.  Text rows with fewer cells than their table lack their
*leading* (vertically merged) cells, so they are right-aligned into the grid.

Tests then read the DOCX/PDF back with :func:`cigraph.loaders.readers.read_document` and check
that the same intentions come out.
"""
from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from cigraph.loaders.model import Block, Cell, Document
from cigraph.loaders.readers import read_document

__all__ = ["text_seed_to_docx", "text_seed_to_pdf", "document_parts"]


def document_parts(doc: Document) -> list[Block | list[Block]]:
    """The document's blocks with the rows of each logical table gathered into one list."""
    parts: list[Block | list[Block]] = []
    current: list[Block] | None = None
    for block in doc.blocks:
        if block.kind == "table_row":
            if current is not None and current[0].table == block.table:
                current.append(block)
                continue
            current = [block]
            parts.append(current)
        else:
            current = None
            parts.append(block)
    return parts


def _grid(rows: list[Block]) -> list[list[Cell | None]]:
    """Rows without repeated headers, right-aligned to the table's width."""
    kept = [r for r in rows if r.level != 1]
    width = max(len(r.cells) for r in kept)
    return [[None] * (width - len(r.cells)) + list(r.cells) for r in kept]


def _cell_lines(cell: Cell | None) -> list[tuple[str, bool]]:
    """(line, is_item) pairs of a cell's text."""
    if cell is None or not cell.text:
        return []
    items = list(cell.items)
    out = []
    for line in cell.text.split("\n"):
        is_item = line in items
        if is_item:
            items.remove(line)
        out.append((line, is_item))
    return out


# --------------------------------------------------------------------------------------------
# DOCX
# --------------------------------------------------------------------------------------------


def text_seed_to_docx(src: Path, dst: Path) -> Path:
    """Write ``src`` (a text export) as a DOCX at ``dst``: real Word tables, heading styles."""
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    doc = read_document(src)
    wd = docx.Document()
    if doc.title:
        wd.core_properties.title = doc.title
    for part in document_parts(doc):
        if isinstance(part, list):
            grid = _grid(part)
            table = wd.add_table(rows=0, cols=len(grid[0]))
            table.style = "Table Grid"
            for r, row in enumerate(grid):
                cells = table.add_row().cells
                for cell, src_cell in zip(cells, row):
                    lines = _cell_lines(src_cell)
                    first = True
                    for text, is_item in lines:
                        para = cell.paragraphs[0] if first else cell.add_paragraph()
                        first = False
                        para.add_run(text)
                        if is_item:
                            para.style = wd.styles["List Bullet"]
                if r == 0:  # repeat the header row on every page
                    tr_pr = table.rows[0]._tr.get_or_add_trPr()
                    header = OxmlElement("w:tblHeader")
                    header.set(qn("w:val"), "true")
                    tr_pr.append(header)
            wd.add_paragraph()
            continue
        block = part
        if block.kind == "heading":
            wd.add_heading(block.text, level=min(max(block.level, 1), 9))
        elif block.kind == "list_item":
            style = "List Bullet" if block.level <= 1 else f"List Bullet {min(block.level, 3)}"
            wd.add_paragraph(block.text, style=style)
        else:
            wd.add_paragraph(block.text)
    dst = Path(dst)
    wd.save(dst)
    return dst


# --------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------

_FONT = "CigVera"
_CHAR_MAP = str.maketrans({"▪": "•", "◦": "•", "●": "•", "✓": "x", "✔": "x", "√": "x", "\u00a0": " "})


def _font():
    """Register reportlab's bundled Bitstream Vera (it covers the seeds' Latin text and bullets)."""
    import os

    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    try:
        return pdfmetrics.getFont(_FONT)
    except KeyError:
        folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
        pdfmetrics.registerFont(TTFont(_FONT, os.path.join(folder, "Vera.ttf")))
        pdfmetrics.registerFont(TTFont(_FONT + "-Bold", os.path.join(folder, "VeraBd.ttf")))
        return pdfmetrics.getFont(_FONT)


def _safe(text: str, font) -> str:
    """Text the font can draw, escaped for reportlab's Paragraph markup."""
    covered = font.face.charToGlyph
    text = text.translate(_CHAR_MAP)
    return escape("".join(ch if ord(ch) in covered or ch in "\n\t" else "?" for ch in text))


def text_seed_to_pdf(src: Path, dst: Path) -> Path:
    """Write ``src`` (a text export) as a PDF at ``dst``: gridded tables with wrapped cells and
    a repeating header row, headings and paragraphs as Paragraphs."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A3, landscape
    from reportlab.platypus.doctemplate import LayoutError
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _font()
    doc = read_document(src)
    sheet = getSampleStyleSheet()
    body = ParagraphStyle("CigBody", parent=sheet["BodyText"], fontName=_FONT, fontSize=9, leading=11,
                          spaceAfter=6)
    cell_style = ParagraphStyle("CigCell", parent=body, fontSize=7, leading=8.5, spaceAfter=0)
    bullets = {
        level: ParagraphStyle(f"CigBullet{level}", parent=body, leftIndent=14 * level,
                              bulletIndent=14 * level - 11, bulletFontName=_FONT)
        for level in range(1, 5)
    }
    headings = {
        level: ParagraphStyle(
            f"CigH{level}", parent=body, fontName=_FONT + "-Bold", fontSize=size, leading=size * 1.25,
            spaceBefore=8, spaceAfter=6,
        )
        for level, size in ((1, 16), (2, 13.5), (3, 12), (4, 11), (5, 10.5), (6, 10.5))
    }
    page = landscape(A3)
    margin = 12 * mm
    story = []
    for part in document_parts(doc):
        if isinstance(part, list):
            grid = _grid(part)
            width = len(grid[0])
            data = []
            for row in grid:
                out_row = []
                for cell in row:
                    lines = [
                        ("• " if is_item else "") + _safe(text, font) for text, is_item in _cell_lines(cell)
                    ]
                    out_row.append(Paragraph("<br/>".join(lines), cell_style))
                data.append(out_row)
            usable = page[0] - 2 * margin
            col_widths = _column_widths(grid, usable)
            table = Table(data, colWidths=col_widths, repeatRows=1, splitByRow=1)
            table.setStyle(
                TableStyle([
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ])
            )
            story.extend([table, Spacer(1, 8)])
            continue
        block = part
        text = _safe(block.text, font)
        if block.kind == "heading":
            story.append(Paragraph(text, headings[min(max(block.level, 1), 6)]))
        elif block.kind == "list_item":
            story.append(Paragraph(text, bullets[min(max(block.level, 1), 4)], bulletText="•"))
        else:
            story.append(Paragraph(text, body))
    def build(items):
        pdf = SimpleDocTemplate(str(dst), pagesize=page, leftMargin=margin, rightMargin=margin,
                                topMargin=margin, bottomMargin=margin, title=doc.title or "")
        pdf.build(items)

    try:
        build(list(story))
    except LayoutError:
        # a row taller than a page: let such rows split across pages
        for flowable in story:
            if isinstance(flowable, Table):
                flowable.splitInRow = 1
        build(story)
    return Path(dst)


def _column_widths(grid: list[list[Cell | None]], usable: float) -> list[float]:
    """Column widths proportional to the square root of each column's text length."""
    width = len(grid[0])
    totals = [0.0] * width
    for row in grid:
        for i, cell in enumerate(row):
            totals[i] += len(cell.text) if cell is not None else 0
    weights = [max(t, 1.0) ** 0.5 for t in totals]
    floor = max(usable / (width * 2), min(usable / width, 110.0))
    raw = [usable * w / sum(weights) for w in weights]
    raw = [max(floor, r) for r in raw]
    scale = usable / sum(raw)
    return [r * scale for r in raw]
