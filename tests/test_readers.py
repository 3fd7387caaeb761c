"""Document readers: block positions on small inputs of each format, read errors, the seeds."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cigraph.loaders.readers import ReadError, parse_cell, read_document, read_text

# --------------------------------------------------------------------------------------------
# text exports
# --------------------------------------------------------------------------------------------

TEXT = "\n".join([
    "",                                                        # 1
    "Commissioning intentions 2018/19",                        # 2
    "",                                                        # 3
    "2. Our Challenges",                                       # 4
    "",                                                        # 5
    "2.1 Financial Recovery",                                  # 6
    "",                                                        # 7
    "The CCG was identified as being in recovery during the",  # 8
    "",                                                        # 9
    "early part of 2014/15. A strategy has been developed.",  # 10
    "",                                                        # 11
    "- First bullet",                                          # 12
    "  - Nested bullet",                                       # 13
    "• Third bullet",                                          # 14
    "",                                                        # 15
    "What\tDescription\tTimescale",                            # 16
    "Data Sharing\t<p>Intro text.</p> <ul style=\"x\"> • One • Two\tQ3 2014/15",  # 17
    "",                                                        # 18
    "What\tDescription\tTimescale",                            # 19
    "\tmore text <i>here</i>\t",                               # 20
    "Seven day working\tcontinues the sentence\t2015/16",      # 21
    "\t\tand this cell goes on",                               # 22
    "",                                                        # 23
    "3.2. Planning Principles",                                # 24
])


def kinds(doc):
    return [(b.kind, b.line, b.end_line) for b in doc.blocks]


def test_text_blocks_keep_exact_positions():
    doc = read_text(TEXT, "sample.txt")
    assert doc.format == "text" and doc.name == "sample.txt"
    assert doc.lines == TEXT.split("\n")
    by_line = {b.line: b for b in doc.blocks}
    assert by_line[2].kind == "heading" and by_line[2].level == 1 and by_line[2].number is None
    h = by_line[4]
    assert (h.kind, h.level, h.number, h.text) == ("heading", 1, "2", "2. Our Challenges")
    h = by_line[6]
    assert (h.kind, h.level, h.number) == ("heading", 2, "2.1")
    assert (by_line[24].number, by_line[24].level) == ("3.2", 2)
    # a sentence broken by a page break continues the paragraph
    p = by_line[8]
    assert p.kind == "paragraph" and p.end_line == 10 and "during the early part" in p.text
    assert 10 not in by_line
    # bullets and their levels
    assert [(by_line[n].kind, by_line[n].level, by_line[n].text) for n in (12, 13, 14)] == [
        ("list_item", 1, "First bullet"),
        ("list_item", 2, "Nested bullet"),
        ("list_item", 1, "Third bullet"),
    ]


def test_text_tables_rows_cells_and_repeated_headers():
    doc = read_text(TEXT, "sample.txt")
    rows = [b for b in doc.blocks if b.kind == "table_row"]
    assert {r.table for r in rows} == {0}, "rows across page breaks/repeated headers share a table"
    assert [r.line for r in rows] == [16, 17, 19, 20, 21]
    assert [r.level for r in rows] == [0, 0, 1, 0, 0], "repeated header marked level 1"
    data = rows[1]
    desc = data.cells[1]
    assert desc.items == ["One", "Two"]
    assert desc.text == "Intro text.\nOne\nTwo"
    assert data.cells[2].text == "Q3 2014/15"
    # inline tags do not split text; a row with an empty leading cell stays a row of its own
    assert rows[3].cells[1].text == "more text here"
    # a line whose only cell continues the cell above (lowercase) is merged into the row
    merged = rows[4]
    assert merged.end_line == 22
    assert merged.cells[2].text == "2015/16 and this cell goes on"
    assert (merged.cells[2].line, merged.cells[2].end_line) == (21, 22)
    assert (merged.cells[1].line, merged.cells[1].end_line) == (21, 21)


def test_markdown_headings_bold_and_nested_lists():
    md = "# Title\n\n## 2. Dementia Care\n\n- **Bold** item with <sup>th</sup> mark\n  - i. nested\n\n### I) **Quality**\n"
    doc = read_text(md, "x.md")
    assert doc.format == "markdown"
    assert kinds(doc) == [
        ("heading", 1, 1), ("heading", 3, 3), ("list_item", 5, 5), ("list_item", 6, 6), ("heading", 8, 8)
    ]
    assert (doc.blocks[1].level, doc.blocks[1].number, doc.blocks[1].text) == (2, "2", "2. Dementia Care")
    assert doc.blocks[2].text == "Bold item with th mark"
    assert doc.blocks[3].level == 2
    assert (doc.blocks[4].number, doc.blocks[4].text) == ("I", "I) Quality")


def test_pipe_tables_and_separators():
    md = "Feedback\n\n| a | b |\n|--|--|\n| c | d |\n|--|--|\n"
    doc = read_text(md, "x.txt")
    rows = [b for b in doc.blocks if b.kind == "table_row"]
    assert [(r.line, [c.text for c in r.cells]) for r in rows] == [(3, ["a", "b"]), (5, ["c", "d"])]
    assert rows[0].table == rows[1].table


def test_parse_cell_lists():
    cell = parse_cell('<p>We will:</p> <ol style="x"> 1. Design it, 2. Staff it <p>Done.</p>', 7)
    assert cell.items == ["Design it,", "Staff it"]
    assert cell.text == "We will:\nDesign it,\nStaff it\nDone."
    assert (cell.line, cell.end_line) == (7, 7)
    cell = parse_cell('Refreshed <ul style="none"> - plans - finance ', 3)
    assert cell.items == ["plans", "finance"]
    assert parse_cell("<li>one</li><li>two &amp; three</li>", 1).items == ["one", "two & three"]


# --------------------------------------------------------------------------------------------
# read errors
# --------------------------------------------------------------------------------------------


def check_error(path, *words, **kw):
    with pytest.raises(ReadError) as info:
        read_document(path, **kw)
    message = str(info.value)
    assert str(path) in message
    for w in words:
        assert w in message.lower(), message
    assert isinstance(info.value, ValueError)
    return info.value


def test_read_errors(tmp_path):
    check_error(tmp_path / "missing.txt", "not found")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    check_error(empty, "empty")
    blank = tmp_path / "blank.md"
    blank.write_text("  \n\n\t\n")
    check_error(blank, "empty")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"abc\x00\x01\x02" * 100)
    check_error(binary, "binary")
    controls = tmp_path / "controls.txt"
    controls.write_bytes(bytes(range(1, 9)) * 50)
    check_error(controls, "binary")
    big = tmp_path / "big.txt"
    big.write_text("x" * 5000)
    error = check_error(big, "too large", max_bytes=4096)
    assert error.reason.startswith("file is too large")
    huge = tmp_path / "huge.txt"  # sparse: over the default 20 MiB limit without writing it
    with huge.open("wb") as fh:
        fh.truncate(21 * 2**20)
    check_error(huge, "too large")
    sheet = tmp_path / "plan.xlsx"
    sheet.write_bytes(b"PK\x03\x04 not really")
    check_error(sheet, "unsupported")
    bad_pdf = tmp_path / "bad.pdf"
    bad_pdf.write_bytes(b"%PDF-1.4\nthis is not a pdf body\n%%EOF")
    check_error(bad_pdf, "corrupt pdf")
    fake_pdf = tmp_path / "fake.pdf"
    fake_pdf.write_text("hello")
    check_error(fake_pdf, "corrupt pdf")
    bad_docx = tmp_path / "bad.docx"
    bad_docx.write_bytes(b"PK\x03\x04garbage garbage")
    check_error(bad_docx, "corrupt docx")
    not_zip = tmp_path / "text.docx"
    not_zip.write_text("just text")
    check_error(not_zip, "corrupt docx")
    with pytest.raises(ReadError, match="NUL"):
        read_text("a\x00b", "mem.txt")


def test_documents_without_text(tmp_path):
    import docx
    from reportlab.pdfgen import canvas

    empty_docx = tmp_path / "empty.docx"
    docx.Document().save(empty_docx)
    check_error(empty_docx, "no text")
    image_pdf = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(image_pdf))
    c.rect(50, 50, 200, 200, fill=1)
    c.save()
    check_error(image_pdf, "no extractable text")
    bare_html = tmp_path / "bare.html"
    bare_html.write_text("<html><body><div>   </div></body></html>")
    check_error(bare_html, "no text")


def test_cp1252_text_is_decoded(tmp_path):
    path = tmp_path / "win.txt"
    path.write_bytes("Caf\u00e9 \u2013 \u00a3500k".encode("cp1252"))
    doc = read_document(path)
    assert doc.blocks[0].text == "Café – £500k"


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

HTML = """<!DOCTYPE html>
<html><head><title>CI 2019/20</title></head>
<body>
<h1>Commissioning Intentions</h1>
<h2>7.2 In hospital
commissioning intentions</h2>
<p>We will work with
providers.</p>
<ul>
  <li>First <b>item</b>
    <ul><li>Nested item</li></ul>
  </li>
  <li>Second item</li>
</ul>
<table>
  <tr><th>Service Area</th><th>Commissioning Intent</th><th>Timescales</th></tr>
  <tr><td>Diabetes</td><td><p>Review.</p><ul><li>Step one</li><li>Step two</li></ul></td><td>Q1 2019/20</td></tr>
</table>
</body></html>
"""


def test_html_blocks_and_positions(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(HTML)
    doc = read_document(path)
    assert doc.format == "html" and doc.title == "CI 2019/20"
    assert doc.lines == HTML.split("\n")
    got = [(b.kind, b.line, b.end_line, b.level) for b in doc.blocks]
    assert got == [
        ("heading", 4, 4, 1),
        ("heading", 5, 6, 2),
        ("paragraph", 7, 8, 0),
        ("list_item", 10, 12, 1),
        ("list_item", 11, 11, 2),
        ("list_item", 13, 13, 1),
        ("table_row", 16, 16, 0),
        ("table_row", 17, 17, 0),
    ]
    assert doc.blocks[1].number == "7.2"
    assert doc.blocks[3].text == "First item"
    row = doc.blocks[-1]
    assert row.cells[1].items == ["Step one", "Step two"]
    assert row.cells[1].text == "Review.\nStep one\nStep two"
    assert row.table == doc.blocks[-2].table == 0


# --------------------------------------------------------------------------------------------
# DOCX
# --------------------------------------------------------------------------------------------


def make_docx(path: Path) -> Path:
    import docx

    wd = docx.Document()
    wd.add_heading("Commissioning intentions", level=1)
    wd.add_heading("2.1 Planning guidance", level=2)
    wd.add_paragraph("We will work with providers.")
    wd.add_paragraph("First bullet", style="List Bullet")
    wd.add_paragraph("Nested bullet", style="List Bullet 2")
    table = wd.add_table(rows=3, cols=3)
    for cell, text in zip(table.rows[0].cells, ["Programme Area", "Service Area", "Timescales"]):
        cell.text = text
    table.cell(1, 0).merge(table.cell(2, 0)).text = "Elective Care"
    table.cell(1, 1).text = "Diabetes"
    intent = table.cell(1, 2)
    intent.text = "Review the pathway:"
    intent.add_paragraph("Step one", style="List Bullet")
    intent.add_paragraph("• Step two")
    table.cell(2, 1).text = "Respiratory"
    table.cell(2, 2).text = "Q1 2018/19"
    wd.add_paragraph("After the table.")
    wd.save(path)
    return path


def test_docx_blocks_tables_and_lines(tmp_path):
    doc = read_document(make_docx(tmp_path / "small.docx"))
    assert doc.format == "docx"
    got = [(b.kind, b.level, b.text) for b in doc.blocks if b.kind != "table_row"]
    assert got == [
        ("heading", 1, "Commissioning intentions"),
        ("heading", 2, "2.1 Planning guidance"),
        ("paragraph", 0, "We will work with providers."),
        ("list_item", 1, "First bullet"),
        ("list_item", 2, "Nested bullet"),
        ("paragraph", 0, "After the table."),
    ]
    assert doc.blocks[1].number == "2.1"
    for b in doc.blocks:  # every position points at the extracted line
        assert b.text.split("\n")[0].split(" | ")[0] in doc.lines[b.line - 1]
    rows = [b for b in doc.blocks if b.kind == "table_row"]
    assert len(rows) == 3 and {r.table for r in rows} == {0}
    assert [c.text for c in rows[1].cells] == ["Elective Care", "Diabetes", "Review the pathway:\nStep one\nStep two"]
    assert rows[1].cells[2].items == ["Step one", "Step two"]
    # the vertically merged programme cell is not repeated in the row below
    assert [c.text for c in rows[2].cells] == ["", "Respiratory", "Q1 2018/19"]


# --------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------


def make_pdf(path: Path) -> Path:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

    styles = getSampleStyleSheet()
    story = [
        Paragraph("2. Commissioning Intentions", styles["Heading1"]),
        Paragraph("We will work with providers to improve care.", styles["BodyText"]),
        Table(
            [["Service Area", "Providers", "Timescales"], ["Diabetes", "BHT L&D", "Q1 2018/19"]],
            style=TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]),
        ),
        PageBreak(),
        Paragraph("Second page paragraph.", styles["BodyText"]),
    ]
    SimpleDocTemplate(str(path), pagesize=A4).build(story)
    return path


def test_pdf_blocks_tables_and_pages(tmp_path):
    doc = read_document(make_pdf(tmp_path / "small.pdf"))
    assert doc.format == "pdf"
    got = [(b.kind, b.page, b.text) for b in doc.blocks]
    assert got == [
        ("heading", 1, "2. Commissioning Intentions"),
        ("paragraph", 1, "We will work with providers to improve care."),
        ("table_row", 1, "Service Area | Providers | Timescales"),
        ("table_row", 1, "Diabetes | BHT L&D | Q1 2018/19"),
        ("paragraph", 2, "Second page paragraph."),
    ]
    assert doc.blocks[0].number == "2"
    for b in doc.blocks:
        assert doc.lines[b.line - 1].startswith(b.text.split(" | ")[0])
    assert doc.lines[doc.blocks[3].line - 1] == "Diabetes\tBHT L&D\tQ1 2018/19"


# --------------------------------------------------------------------------------------------
# seeds
# --------------------------------------------------------------------------------------------

SEEDS = ["000_af5bffa52fcdce02.txt", "001_0c3910418eb40f69.txt", "002_22ae9f361ec56aea.txt",
         "003_3a683f349541702c.txt", "004_c74fef163ed759e5.txt"]


@pytest.mark.seeds
@pytest.mark.parametrize("name", SEEDS)
def test_seed_reads(seeds_dir, name):
    doc = read_document(seeds_dir / name)
    assert doc.lines == (seeds_dir / name).read_text(encoding="utf-8").split("\n")
    assert len(doc.blocks) > 50
    last = 0
    for b in doc.blocks:
        assert 1 <= b.line <= b.end_line <= len(doc.lines)
        assert b.line >= last, "blocks are in document order"
        last = b.line
        assert doc.lines[b.line - 1].strip(), f"block at blank line {b.line}"
    headings = [b for b in doc.blocks if b.kind == "heading"]
    assert len(headings) >= 5
    print(name, doc.format, len(doc.blocks), "blocks,", len(headings), "headings")


@pytest.mark.seeds
def test_seed_001_gold_lines_start_table_rows(seeds_dir, gold_path):
    doc = read_document(seeds_dir / "001_0c3910418eb40f69.txt")
    gold = [json.loads(line) for line in gold_path.read_text().splitlines() if line.strip()]
    rows = {b.line: b for b in doc.blocks if b.kind == "table_row"}
    found = [g["line"] for g in gold if g["line"] in rows]
    print(f"gold intention lines that start a table row: {len(found)}/{len(gold)}")
    assert len(found) == len(gold)
    tables = {rows[g["line"]].table for g in gold}
    assert len(tables) == 1, "the intention table is one logical table across page breaks"
    for g in gold:
        cells = [c.text for c in rows[g["line"]].cells]
        assert g["service_area"] in cells, (g["line"], cells)


@pytest.mark.seeds
def test_seed_000_repeated_headers_marked(seeds_dir):
    doc = read_document(seeds_dir / "000_af5bffa52fcdce02.txt")
    headers = [b for b in doc.blocks if b.kind == "table_row" and b.level == 1]
    assert [b.line for b in headers] == [76, 80, 84, 90, 102, 110, 119, 128]
    assert all(b.text == "What | Description | Timescale" for b in headers)
    assert len({b.table for b in headers}) == 1


def test_unknown_tags_are_text_not_markup():
    """`<script>` in a document is what the document says: kept literally (escaped on output)."""
    from cigraph.loaders.readers import parse_cell, read_text

    cell = parse_cell("<p>Redesign the <script>alert(1)</script> service</p><ul><li>▪ one</li></ul>", 3)
    assert "<script>alert(1)</script>" in cell.text
    assert cell.items == ["one"]
    doc = read_text("Programme Area\tService Area\tCommissioning Intent\tImpact Area/Main Providers Impacted\tTimescales\n"
                    "Care\t<script>alert(1)</script>\tWe will <img src=x onerror=alert(2)> redesign it.\tBHT\tQ1 2018/19\n",
                    "x.txt")
    rows = [b for b in doc.blocks if b.kind == "table_row"]
    assert rows[1].cells[1].text == "<script>alert(1)</script>"
    assert "<img src=x onerror=alert(2)>" in rows[1].cells[2].text
