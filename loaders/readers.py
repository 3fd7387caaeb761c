"""Document readers: turn a file (text export, Markdown, PDF, DOCX, HTML) into a :class:`Document`.

Every reader yields the same block model (``loaders/model.py``): headings, paragraphs, list items
and table rows, in document order, each with the 1-based source lines it came from.

Text exports
------------
The commissioning-intention text exports are messy.  The rules applied, line by line:

* A line containing a TAB is a table line (cells split on TAB); so is a Markdown pipe row
  ``| a | b |``.  Separator lines (``|--|--|``, ``---``, ``- | | |``) produce no block.
* Table lines separated only by blank lines or separator lines belong to one logical table
  (``Block.table``): tables in the exports are broken across pages by blank lines, and the
  header row is often repeated on every page.
* A row that repeats the first row of its table (same cell texts, normalised) is kept as a
  ``table_row`` with ``level == 1`` so extractors can skip it; every other row has ``level == 0``.
* A table line that fills fewer cells than the previous row, and whose non-empty cells all
  *continue* the cells above them (they start with a lowercase letter, or continue a bulleted
  list, and the cell above does not end a sentence), is merged into that row: the row's ``end_line`` and the cells' ``end_line`` grow.
  Rows that merely start with empty cells are kept as separate rows: deciding whether they
  continue the row above is the table extractor's job (``loaders/tables.py``).
* Cells are stripped of HTML (``<p>``, ``<ul>``, ``<li>``, ``<sup>``...).  Bullets inside a cell
  (``<li>``, ``•``, ``▪``, numbered items inside ``<ol>``, ``- `` items inside ``<ul>``) become
  ``Cell.items``; ``Cell.text`` is the cell's paragraphs and items joined by ``"\\n"``.
* ``#`` headings (Markdown) keep their level; numbered headings such as ``2.1 Financial
  Recovery`` get ``number="2.1"`` and ``level=2``; a short stand-alone line without final
  punctuation is an unnumbered heading one level below the last numbered heading.
* ``-``, ``*``, ``•``, ``▪`` bullets and long numbered lines are list items (level from indent).
* Consecutive plain lines form one paragraph; a paragraph starting with a lowercase letter after
  a blank line continues the paragraph or list item before it (a sentence broken by a page break).

PDF / DOCX / HTML
-----------------
PDF (pdfplumber): tables found by ``page.find_tables()`` become table rows; other text lines are
grouped into paragraphs by vertical gaps, and lines in a larger or bold font become headings.
The extracted text (one line per text line, one TAB-separated line per table row) is returned in
``Document.lines``; block positions refer to it, and ``Block.page`` gives the PDF page.
DOCX (python-docx): one extracted line per paragraph and per table row, in document order;
``Heading N``/``Title`` styles give headings, list styles or numbering give list items.
HTML (BeautifulSoup): ``h1``–``h6``, ``p``, ``li`` and ``table``/``tr``/``td``; positions are
lines of the HTML source.
"""
from __future__ import annotations

import html
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .model import Block, Cell, Document

__all__ = ["ReadError", "read_document", "read_text", "parse_cell", "DEFAULT_MAX_BYTES"]

DEFAULT_MAX_BYTES = 20 * 2**20

TEXT_EXTENSIONS = {".txt", ".text", ".md", ".markdown"}
MARKDOWN_EXTENSIONS = {".md", ".markdown"}
HTML_EXTENSIONS = {".html", ".htm", ".xhtml"}
SUPPORTED_EXTENSIONS = TEXT_EXTENSIONS | HTML_EXTENSIONS | {".pdf", ".docx"}


class ReadError(ValueError):
    """A document could not be read; ``str(error)`` names the file and the reason."""

    def __init__(self, path: str | Path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"cannot read {self.path}: {reason}")


# --------------------------------------------------------------------------------------------
# entry points
# --------------------------------------------------------------------------------------------


def read_document(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read a commissioning-intentions document into blocks with source positions.

    Dispatches on content (PDF/ZIP signatures) and extension: ``.txt``/``.md`` text exports,
    ``.pdf``, ``.docx``, ``.html``/``.htm``.  Raises :class:`ReadError` for a missing, empty,
    binary, undecodable, oversized, unsupported or corrupt file.
    """
    p = Path(path)
    if not p.exists():
        raise ReadError(path, "file not found")
    if not p.is_file():
        raise ReadError(path, "not a regular file")
    size = p.stat().st_size
    if size == 0:
        raise ReadError(path, "file is empty")
    if size > max_bytes:
        raise ReadError(path, f"file is too large ({size} bytes, limit {max_bytes})")
    ext = p.suffix.lower()
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ReadError(path, f"cannot open file ({exc.strerror or exc})") from exc

    if data.startswith(b"%PDF-"):
        if ext not in ("", ".pdf"):
            # content wins over a misleading extension, as long as the extension is one we read
            if ext not in SUPPORTED_EXTENSIONS:
                raise ReadError(path, f"unsupported file type {ext!r}")
        return _read_pdf(data, path)
    if ext == ".pdf":
        raise ReadError(path, "corrupt PDF (no %PDF- header)")
    if ext == ".docx":
        if not data.startswith(b"PK"):
            raise ReadError(path, "corrupt DOCX (not a ZIP archive)")
        return _read_docx(data, path)
    if ext not in TEXT_EXTENSIONS | HTML_EXTENSIONS:
        raise ReadError(path, f"unsupported file type {ext or '(no extension)'!r}")
    text = _decode(data, path)
    if ext in HTML_EXTENSIONS or _looks_like_html(text):
        return _read_html(text, path)
    return read_text(text, p.name, path=str(path))


def read_text(text: str, name: str, path: str | None = None) -> Document:
    """Parse an in-memory text export (plain or Markdown) named ``name``.

    The format is Markdown when ``name`` ends in ``.md`` or the text has ``#`` headings.
    Raises :class:`ReadError` when the text is empty or contains NUL characters.
    """
    if "\x00" in text:
        raise ReadError(path or name, "binary content (NUL characters)")
    if not text.strip():
        raise ReadError(path or name, "file is empty (no text)")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    markdown = Path(name).suffix.lower() in MARKDOWN_EXTENSIONS or _looks_like_markdown(lines)
    blocks = parse_lines(lines, markdown=markdown)
    return Document(
        path=path if path is not None else name,
        name=Path(name).name,
        format="markdown" if markdown else "text",
        blocks=blocks,
        lines=lines,
        title=_title(blocks),
    )


# --------------------------------------------------------------------------------------------
# decoding and sniffing
# --------------------------------------------------------------------------------------------


def _decode(data: bytes, path: str | Path) -> str:
    if b"\x00" in data:
        raise ReadError(path, "binary file (contains NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise ReadError(path, "not text (undecodable as UTF-8 or Windows-1252)") from exc
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    if controls > max(2, len(text) // 100):
        raise ReadError(path, "binary file (control characters)")
    if not text.strip():
        raise ReadError(path, "file is empty (only whitespace)")
    return text


def _looks_like_html(text: str) -> bool:
    head = text.lstrip()[:512].lower()
    return head.startswith("<!doctype html") or head.startswith("<html")


def _looks_like_markdown(lines: list[str]) -> bool:
    return sum(1 for ln in lines if re.match(r"#{1,6} \S", ln)) >= 2


def _title(blocks: list[Block]) -> str | None:
    for b in blocks:
        if b.kind == "heading":
            return b.text
    return None


# --------------------------------------------------------------------------------------------
# inline cleanup and cells
# --------------------------------------------------------------------------------------------

# Only the formatting and structure tags these exports use are markup; anything else that looks
# like a tag (``<script>``, ``<img onerror=…>``) is document text and is kept, literally, so the
# page and maps can show it escaped rather than silently dropping it.
_STRUCTURE_TAGS = (
    "p|ul|ol|li|br|div|hr|table|tbody|thead|tfoot|tr|td|th|h[1-6]|blockquote|pre|dl|dt|dd|center"
    "|caption|colgroup|col|section|article|header|footer|nav|main"
)
_TAG_RE = re.compile(rf"<(/?)({_STRUCTURE_TAGS})\b[^>]*>", re.I)
_INLINE_TAG_RE = re.compile(
    r"</?(?:i|b|u|em|strong|span|a|font|small|big|sub|s|strike|mark|abbr|code)\b[^>]*>", re.I
)
_BULLET_CHARS = "•▪◦●‣∙·"
_BULLET_SPLIT_RE = re.compile(r"\s*[•▪◦●‣∙]\s*")
_OL_ITEM_RE = re.compile(r"(?:^|(?<=\s))(?:\d{1,2}[.)]|[a-z]\))\s+")
_DASH_ITEM_RE = re.compile(r"(?:^|\s)-\s+")


def clean_inline(text: str) -> str:
    """Plain text of one line: Markdown emphasis, links and inline HTML removed, spaces collapsed."""
    text = re.sub(r"<sup>(.*?)</sup>", r"\1", text, flags=re.I)
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
    if "<" in text:
        text = _TAG_RE.sub(" ", _INLINE_TAG_RE.sub("", text))
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # [text](url)
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)([^*]+?)(?<!\s)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<!\w)__(.+?)__(?!\w)", r"\1", text)
    text = text.replace("**", "")
    text = html.unescape(text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class _CellLine:
    text: str
    item: bool


def _cell_lines(raw: str) -> list[_CellLine]:
    """Split one raw cell (text with HTML fragments) into paragraph lines and bullet items."""
    out: list[_CellLine] = []
    in_list: str | None = None  # "ul" / "ol" while inside an (often unclosed) list
    in_li = False
    pos = 0
    raw = re.sub(r"<sup>(.*?)</sup>", r"\1", raw, flags=re.I)
    raw = _INLINE_TAG_RE.sub("", raw)

    def emit_segment(seg: str) -> None:
        seg = html.unescape(seg)
        seg = re.sub(r"\s+", " ", seg).strip()
        if not seg:
            return
        if in_li:
            seg = seg.lstrip(_BULLET_CHARS + " ")
            if seg:
                out.append(_CellLine(seg, True))
            return
        if any(ch in seg for ch in _BULLET_CHARS):
            parts = _BULLET_SPLIT_RE.split(seg)
            head, items = parts[0].strip(), [p.strip() for p in parts[1:]]
            if head:
                out.append(_CellLine(head, in_list is not None))
            out.extend(_CellLine(it, True) for it in items if it)
            return
        if in_list == "ol" and _OL_ITEM_RE.match(seg):
            items = [p.strip() for p in _OL_ITEM_RE.split(seg) if p.strip()]
            out.extend(_CellLine(it, True) for it in items)
            return
        if in_list and seg.startswith("- "):
            items = [p.strip() for p in _DASH_ITEM_RE.split(seg) if p.strip()]
            out.extend(_CellLine(it, True) for it in items)
            return
        if in_list and re.match(r"[a-z]\)\s", seg):
            items = [p.strip() for p in re.split(r"(?:^|(?<=[;.]\s))[a-z]\)\s+", seg) if p.strip()]
            out.extend(_CellLine(it, True) for it in items)
            return
        out.append(_CellLine(seg, in_list is not None))

    for m in _TAG_RE.finditer(raw):
        emit_segment(raw[pos : m.start()])
        pos = m.end()
        closing, tag = m.group(1) == "/", m.group(2).lower()
        if tag in ("ul", "ol"):
            in_list = None if closing else tag
            in_li = False
        elif tag == "li":
            in_li = not closing
        elif tag == "p":
            # a paragraph inside an unclosed list ends the list in these exports
            if not closing:
                in_list = None
                in_li = False
        # other inline tags (<i>, <u>, <b>, <span>, <br>...) just separate text
    emit_segment(raw[pos:])
    # a lone "item" that is the only content is not a bullet
    return [_CellLine(clean_inline(c.text), c.item) for c in out if clean_inline(c.text)]


def parse_cell(raw: str, line: int, end_line: int | None = None) -> Cell:
    """A :class:`Cell` from raw cell text: HTML stripped, bullets split into ``items``."""
    lines = _cell_lines(raw)
    return Cell(
        text="\n".join(c.text for c in lines),
        line=line,
        end_line=end_line if end_line is not None else line,
        items=[c.text for c in lines if c.item],
    )


# --------------------------------------------------------------------------------------------
# line classification (text exports)
# --------------------------------------------------------------------------------------------

_MD_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET_RE = re.compile(r"^(\s*)([-*+•▪◦●‣∙])\s+(\S.*)$")
_ENUM_RE = re.compile(r"^(\s*)(\(?(?:\d{1,2}|[a-z]|[ivx]{1,4})\)|(?:\d{1,2}|[a-z]|[ivx]{1,4})\.)\s+(\S.*)$")
_NUMBER_RE = re.compile(
    r"^(?P<num>\d{1,2}(?:\.\d{1,2})*\.?|[IVX]{1,4}[.)]|[A-Z][.)])\s+(?P<rest>\S.*)$"
)
_SEPARATOR_RE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,}|[-|:\s]*\|[-|:\s]*)\s*$")
_TERMINAL = ".;,!?"


def split_heading_number(text: str) -> tuple[str | None, str]:
    """``"2.1 Financial Recovery"`` → ``("2.1", "Financial Recovery")``; no number → ``(None, text)``."""
    m = _NUMBER_RE.match(text)
    if not m:
        return None, text
    num = m.group("num").rstrip(".)")
    return num, m.group("rest")


def _number_level(num: str) -> int:
    if re.fullmatch(r"\d+(?:\.\d+)*", num):
        parts = num.split(".")
        while len(parts) > 1 and parts[-1] == "0":
            parts.pop()
        return len(parts)
    return 1


def _heading_like(text: str, max_words: int) -> bool:
    if not text or len(text) > 120:
        return False
    if text[-1] in _TERMINAL or text.endswith((":", ":-", "-", "–")):
        return False
    first = text[0]
    if not (first.isupper() or first.isdigit()):
        return False
    if re.search(r"[a-z]{2}\. [A-Z]", text):  # two sentences
        return False
    return len(text.split()) <= max_words


def _is_table_line(line: str) -> bool:
    if "\t" in line:
        return True
    s = line.strip()
    return len(s) > 2 and s.startswith("|") and s.endswith("|") and not _SEPARATOR_RE.match(s)


def _split_table_line(line: str) -> list[str]:
    if "\t" in line:
        return line.split("\t")
    s = line.strip()[1:-1]
    return [c.strip() for c in s.split("|")]


def _list_level(indent: str) -> int:
    width = len(indent.expandtabs(4))
    return 1 + (width + 1) // 2


# --------------------------------------------------------------------------------------------
# text parser
# --------------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _row_signature(cells: list[Cell]) -> tuple[str, ...]:
    return tuple(_norm(c.text) for c in cells if c.text.strip())


def _align(cells: list[Cell], width: int) -> list[Cell | None]:
    """Right-align a short row to ``width`` columns (leading merged cells are what goes missing)."""
    if len(cells) >= width:
        return list(cells)
    return [None] * (width - len(cells)) + list(cells)


_CONT_START_RE = re.compile(r"^[a-z(,;–\-]")


def _continues(prev: Cell | None, cur: Cell, cur_raw: str) -> bool:
    """Does the non-empty cell ``cur`` continue the text of ``prev`` (the same column, row above)?"""
    if prev is None or not prev.text.strip():
        return False
    lines = _cell_lines(cur_raw)
    if not lines:
        return False
    if _CONT_START_RE.match(lines[0].text):
        return prev.text.rstrip()[-1:] not in ".!?"
    # a bulleted list carried over from the row above
    return lines[0].item and bool(prev.items) and prev.text.endswith(prev.items[-1])


def _merge_cell(prev: Cell, raw: str, line: int) -> Cell:
    lines = _cell_lines(raw)
    texts = prev.text.split("\n") if prev.text else []
    items = list(prev.items)
    first = lines[0]
    if not first.item and texts:
        # first continuation line completes the last line of the cell above
        joined = texts[-1] + " " + first.text
        if items and texts[-1] == items[-1]:
            items[-1] = joined
        texts[-1] = joined
        rest = lines[1:]
    else:
        rest = lines
    for cl in rest:
        texts.append(cl.text)
        if cl.item:
            items.append(cl.text)
    return Cell(text="\n".join(texts), line=prev.line, end_line=line, items=items)


@dataclass
class _TableState:
    index: int
    header: tuple[str, ...] | None = None
    width: int = 0
    last_row: Block | None = None


def parse_lines(
    lines: list[str],
    markdown: bool = False,
    heading_hints: dict[int, int] | None = None,
    first_line: int = 1,
    guess_headings: bool | None = None,
) -> list[Block]:
    """Blocks of a text export given as physical lines (see the module docstring for the rules).

    ``heading_hints`` maps a line number to a heading level decided elsewhere (e.g. from PDF font
    sizes); ``first_line`` is the number of ``lines[0]``.  ``guess_headings`` (default: not
    Markdown) lets short stand-alone unnumbered lines become headings.
    """
    hints = heading_hints or {}
    if guess_headings is None:
        guess_headings = not markdown
    blocks: list[Block] = []
    n = len(lines)
    table_count = 0
    table: _TableState | None = None
    last_numbered_level = 0
    i = 0

    def blank(k: int) -> bool:
        return k < 0 or k >= n or not lines[k].strip()

    def prev_gap(k: int) -> bool:
        return blank(k - 1)

    while i < n:
        raw = lines[i]
        lineno = i + first_line
        stripped = raw.strip()
        if not stripped:
            i += 1
            continue
        if _SEPARATOR_RE.match(raw) or re.fullmatch(r"-\s*(\|\s*)+", stripped):
            # horizontal rule / table separator / empty pipe row: no block, does not end a table
            i += 1
            continue

        # ---------------- table lines
        if _is_table_line(raw):
            if table is None:
                table = _TableState(index=table_count)
                table_count += 1
            raw_cells = _split_table_line(raw)
            cells = [parse_cell(c, lineno) for c in raw_cells]
            sig = _row_signature(cells)
            if table.header is None:
                table.header = sig
                table.width = len(cells)
                row = _row_block(cells, lineno, table.index)
                blocks.append(row)
                table.last_row = row
            elif sig and sig == table.header and len(sig) >= 2:
                blocks.append(_row_block(cells, lineno, table.index, level=1))
                table.last_row = None  # never merge across a repeated header
            elif table.last_row is not None and _merge_into(table.last_row, raw_cells, lineno):
                pass
            else:
                row = _row_block(cells, lineno, table.index)
                blocks.append(row)
                table.last_row = row
                table.width = max(table.width, len(cells))
            i += 1
            continue

        # any other non-blank line ends the current table
        table = None

        # ---------------- headings
        level = hints.get(lineno)
        md = _MD_HEADING_RE.match(raw) if markdown or raw.startswith("#") else None
        if md and not (md.group(1) == "#" and not markdown and not md.group(2)):
            text = clean_inline(md.group(2))
            if text:
                num, _ = split_heading_number(text)
                blocks.append(
                    Block("heading", text, lineno, lineno, level=len(md.group(1)), number=num)
                )
                if num and re.fullmatch(r"\d+(?:\.\d+)*", num):
                    last_numbered_level = _number_level(num)
                i += 1
                continue
        text = clean_inline(raw)
        if not text:
            i += 1
            continue
        if level:
            num, _ = split_heading_number(text)
            blocks.append(Block("heading", text, lineno, lineno, level=level, number=num))
            i += 1
            continue
        standalone = prev_gap(i) and blank(i + 1) and not _runs_on(text, lines, i + 1)
        if standalone and not _BULLET_RE.match(raw) and not raw[:1].isspace():
            num, rest = split_heading_number(text)
            if num and _heading_like(rest, 16):
                lvl = _number_level(num)
                blocks.append(Block("heading", text, lineno, lineno, level=lvl, number=num))
                if re.fullmatch(r"\d+(?:\.\d+)*", num):
                    last_numbered_level = lvl
                i += 1
                continue
            if not num and guess_headings and stripped[0].isalnum() and _heading_like(text, 10):
                lvl = min(6, last_numbered_level + 1) if last_numbered_level else 1
                blocks.append(Block("heading", text, lineno, lineno, level=lvl))
                i += 1
                continue

        # ---------------- list items
        bm = _BULLET_RE.match(raw)
        em = None if bm else _ENUM_RE.match(raw)
        if bm or em:
            m = bm or em
            body = clean_inline(m.group(3) if bm else raw)
            item_level = _list_level(m.group(1))
            end = i
            # lazy continuation lines (no blank line, not themselves structural)
            while end + 1 < n and end + 1 + first_line not in hints and _plain_continuation(lines[end + 1]):
                end += 1
                body += " " + clean_inline(lines[end])
            if body:
                blocks.append(Block("list_item", body, lineno, end + first_line, level=item_level))
            i = end + 1
            continue

        # ---------------- paragraphs
        end = i
        body = text
        while end + 1 < n and end + 1 + first_line not in hints and _plain_continuation(lines[end + 1]):
            end += 1
            body += " " + clean_inline(lines[end])
        prev = blocks[-1] if blocks else None
        if (
            prev is not None
            and prev.kind in ("paragraph", "list_item")
            and prev_gap(i)
            and _CONT_START_RE.match(body)
            and body[0].islower()
            and prev.text[-1:] not in ".!?"
        ):
            # a sentence broken by a page break: continue the block above
            prev.text = prev.text + " " + body
            prev.end_line = end + first_line
        else:
            blocks.append(Block("paragraph", body, lineno, end + first_line))
        i = end + 1
    return blocks


_TRAILING_FUNCTION_WORD_RE = re.compile(
    r"\b(?:the|a|an|of|and|or|to|in|for|with|by|on|at|from|as|that|which|our|their|its|is|are|be)$",
    re.I,
)


def _runs_on(text: str, lines: list[str], k: int) -> bool:
    """Does ``text`` read on into the next non-blank line (so it cannot be a heading)?"""
    if _TRAILING_FUNCTION_WORD_RE.search(text):
        return True
    while k < len(lines) and not lines[k].strip():
        k += 1
    return k < len(lines) and lines[k].strip()[:1].islower()


def _plain_continuation(line: str) -> bool:
    """A physical line that continues the paragraph/list item above it (no blank line between)."""
    if not line.strip() or _is_table_line(line) or _SEPARATOR_RE.match(line):
        return False
    if _MD_HEADING_RE.match(line) or _BULLET_RE.match(line) or _ENUM_RE.match(line):
        return False
    return True


def _row_block(cells: list[Cell], line: int, table: int, level: int = 0) -> Block:
    end = max([line] + [c.end_line for c in cells])
    return Block(
        "table_row",
        " | ".join(c.text for c in cells),
        line,
        end,
        cells=cells,
        table=table,
        level=level,
    )


def _merge_into(row: Block, raw_cells: list[str], line: int) -> bool:
    """Merge a continuation table line into ``row`` when every non-empty cell continues its column."""
    width = max(len(row.cells), len(raw_cells))
    above = _align(row.cells, width)
    below_raw: list[str | None] = [None] * (width - len(raw_cells)) + list(raw_cells)
    pairs = []
    for col, raw in enumerate(below_raw):
        if raw is None or not clean_inline(raw):
            continue
        cur = parse_cell(raw, line)
        if not _continues(above[col], cur, raw):
            return False
        pairs.append((col, raw))
    filled_above = sum(1 for c in row.cells if c.text.strip())
    if not pairs or len(pairs) >= filled_above:
        return False  # a continuation line fills fewer cells than the row it continues
    offset = width - len(row.cells)
    new_cells = list(row.cells)
    for col, raw in pairs:
        k = col - offset
        new_cells[k] = _merge_cell(row.cells[k], raw, line)
    row.cells = new_cells
    row.text = " | ".join(c.text for c in new_cells)
    row.end_line = line
    return True


# --------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------


def _read_pdf(data: bytes, path: str | Path) -> Document:
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pages = list(pdf.pages)
    except Exception as exc:  # pdfminer raises many unrelated types for broken files
        raise ReadError(path, f"corrupt PDF ({type(exc).__name__}: {exc})") from exc
    try:
        lines, page_of, hints = _pdf_lines(pages)
    except Exception as exc:
        raise ReadError(path, f"corrupt PDF ({type(exc).__name__}: {exc})") from exc
    finally:
        pdf.close()
    if not any(ln.strip() for ln in lines):
        raise ReadError(path, "PDF has no extractable text (scanned image?)")
    # when fonts mark the headings, short stand-alone lines are not guessed to be headings
    blocks = parse_lines(lines, heading_hints=hints, guess_headings=not hints)
    for b in blocks:
        b.page = page_of.get(b.line)
    return Document(
        path=str(path), name=Path(path).name, format="pdf", blocks=blocks, lines=lines,
        title=_title(blocks),
    )


def _pdf_lines(pages) -> tuple[list[str], dict[int, int], dict[int, int]]:
    """Extracted text lines of a PDF (table rows as TAB-separated lines), page of each line,
    and heading hints (line → level) from font sizes."""
    items: list[tuple[int, float, str, object]] = []  # (page, top, kind, payload)
    sizes: Counter[float] = Counter()
    for page in pages:
        tables = page.find_tables()
        boxes = [t.bbox for t in tables]

        def outside_tables(obj, boxes=boxes) -> bool:
            # a character belongs to a table when its centre does (edges may touch the text above)
            if obj.get("object_type") != "char":
                return True
            cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
            return not any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)

        rest = page.filter(outside_tables) if boxes else page
        for t in tables:
            rows = t.extract()
            for row_obj, cells in zip(t.rows, rows):
                texts = [re.sub(r"\s+", " ", (c or "").replace("\t", " ")).strip() for c in cells]
                if any(texts):
                    items.append((page.page_number, row_obj.bbox[1], "row", texts))
            items.append((page.page_number, t.bbox[3], "gap", None))
        for tl in rest.extract_text_lines(return_chars=True, strip=True):
            chars = [c for c in tl["chars"] if c["text"].strip()]
            if not chars:
                continue
            size = round(sum(c["size"] for c in chars) / len(chars) * 2) / 2
            sizes[size] += len(chars)
            text = re.sub(r"^\(cid:\d+\)\s*", "• ", tl["text"])  # undecodable bullet glyph
            text = re.sub(r"\(cid:\d+\)", "", text).strip()
            items.append((page.page_number, tl["top"], "text", (text, size, tl["bottom"], tl["x0"])))
    body = sizes.most_common(1)[0][0] if sizes else 10.0
    heading_sizes = sorted({s for s in sizes if s >= body * 1.12}, reverse=True)
    level_of = {s: min(6, i + 1) for i, s in enumerate(heading_sizes)}

    # the left margin of each page, to turn the indentation of bullets into list levels
    margin: dict[int, float] = {}
    for page_no, _top, kind, payload in items:
        if kind == "text":
            margin[page_no] = min(margin.get(page_no, payload[3]), payload[3])

    lines: list[str] = []
    page_of: dict[int, int] = {}
    hints: dict[int, int] = {}
    prev_page, prev_bottom, prev_kind = None, None, None
    items.sort(key=lambda it: (it[0], it[1]))
    for page_no, top, kind, payload in items:
        if kind == "gap":
            prev_kind = "gap"
            continue
        new_page = page_no != prev_page
        if kind == "row":
            if prev_kind == "text" or new_page:
                lines.append("")
            lines.append("\t".join(payload))
        else:
            text, size, bottom, x0 = payload
            if text[:1] in _BULLET_CHARS + "-":
                text = "  " * max(0, round((x0 - margin[page_no]) / 14)) + text
            # a sentence running on across a page break continues the paragraph
            runs_on = (
                new_page
                and prev_kind == "text"
                and size not in level_of
                and bool(lines)
                and lines[-1][-1:] not in ".!?:;"
                and text[:1] not in _BULLET_CHARS + "-"
            )
            gap_before = not runs_on and (
                new_page
                or prev_kind in ("row", "gap")
                or (prev_bottom is not None and top - prev_bottom > 0.5 * size)
                or size in level_of
            )
            if gap_before and lines and lines[-1] != "":
                lines.append("")
            lines.append(text)
            if size in level_of:
                hints[len(lines)] = level_of[size]
            prev_bottom = bottom
        page_of[len(lines)] = page_no
        prev_page, prev_kind = page_no, kind
    return lines, page_of, hints


# --------------------------------------------------------------------------------------------
# DOCX
# --------------------------------------------------------------------------------------------


def _read_docx(data: bytes, path: str | Path) -> Document:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        wd = docx.Document(io.BytesIO(data))
        content = list(wd.iter_inner_content())
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise ReadError(path, f"corrupt DOCX ({type(exc).__name__}: {exc})") from exc
    except Exception as exc:  # lxml XMLSyntaxError and friends from a damaged part
        raise ReadError(path, f"corrupt DOCX ({type(exc).__name__}: {exc})") from exc

    lines: list[str] = []
    blocks: list[Block] = []
    table_count = 0
    last_numbered_level = 0
    for item in content:
        if hasattr(item, "rows"):  # docx.table.Table
            index = table_count
            table_count += 1
            header: tuple[str, ...] | None = None
            for row in item.rows:
                cells = _docx_row_cells(row, len(lines) + 1)
                lines.append("\t".join(c.text.replace("\n", " ") for c in cells))
                sig = _row_signature(cells)
                level = 0
                if header is None:
                    header = sig
                elif sig and sig == header and len(sig) >= 2:
                    level = 1
                blocks.append(_row_block(cells, len(lines), index, level=level))
            lines.append("")
            continue
        text = re.sub(r"\s+", " ", item.text).strip()
        lines.append(text)
        lineno = len(lines)
        if not text:
            continue
        style = (item.style.name if item.style is not None else "") or ""
        m = re.match(r"heading\s*(\d)", style, re.I)
        num, rest = split_heading_number(text)
        if m or style.lower() == "title":
            level = int(m.group(1)) if m else 1
            blocks.append(Block("heading", text, lineno, lineno, level=level, number=num))
            continue
        list_level = _docx_list_level(item, style)
        if list_level or text[0] in _BULLET_CHARS:
            body = text.lstrip(_BULLET_CHARS + " ") if text[0] in _BULLET_CHARS else text
            blocks.append(Block("list_item", body, lineno, lineno, level=list_level or 1))
            continue
        if num and _heading_like(rest, 16) and len(text) < 120:
            level = _number_level(num)
            blocks.append(Block("heading", text, lineno, lineno, level=level, number=num))
            continue
        blocks.append(Block("paragraph", text, lineno, lineno))
    if not blocks:
        raise ReadError(path, "DOCX has no text")
    title = (wd.core_properties.title or "").strip() or _title(blocks)
    return Document(
        path=str(path), name=Path(path).name, format="docx", blocks=blocks, lines=lines,
        title=title or None,
    )


def _docx_list_level(paragraph, style: str) -> int:
    """1-based list level of a DOCX paragraph (0 when it is not a list item)."""
    m = re.match(r"list(?: bullet| number| continue| paragraph)?\s*(\d)?", style, re.I)
    ppr = paragraph._p.pPr
    numpr = ppr.numPr if ppr is not None else None
    if numpr is not None and numpr.ilvl is not None and numpr.ilvl.val is not None:
        return int(numpr.ilvl.val) + 1
    if numpr is not None:
        return 1
    if m and style.lower().startswith("list"):
        return int(m.group(1)) if m.group(1) else 1
    return 0


def _docx_row_cells(row, line: int) -> list[Cell]:
    """Cells of a DOCX table row: vertically merged continuations empty, spans padded."""
    from docx.table import _Cell

    cells: list[Cell] = []
    for tc in row._tr.tc_lst:
        span = tc.grid_span or 1
        if tc.vMerge == "continue":
            cells.append(Cell("", line, line))
        else:
            texts, items = [], []
            for para in _Cell(tc, row.table).paragraphs:
                t = re.sub(r"\s+", " ", para.text).strip()
                if not t:
                    continue
                style = (para.style.name if para.style is not None else "") or ""
                if t[0] in _BULLET_CHARS:
                    t = t.lstrip(_BULLET_CHARS + " ")
                    items.append(t)
                elif _docx_list_level(para, style):
                    items.append(t)
                texts.append(t)
            cells.append(Cell("\n".join(texts), line, line, items=items))
        cells.extend(Cell("", line, line) for _ in range(span - 1))
    return cells


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

_HTML_BLOCKS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "table", "dt", "dd", "blockquote",
                "pre", "caption"}


def _read_html(text: str, path: str | Path) -> Document:
    from bs4 import BeautifulSoup, NavigableString, Tag

    text = text.replace("\r\n", "\n").replace("\r", "\n")
    soup = BeautifulSoup(text, "html.parser")
    lines = text.split("\n")
    blocks: list[Block] = []
    table_count = 0

    def end_line(tag: Tag) -> int:
        line = tag.sourceline or 1
        for node in tag.descendants:
            if isinstance(node, Tag) and node.sourceline:
                line = max(line, node.sourceline)
            elif isinstance(node, NavigableString):
                line += str(node).count("\n")
        return line

    def inside(tag: Tag, names: set[str]) -> bool:
        return any(p.name in names for p in tag.parents)

    root = soup.body or soup
    for tag in root.find_all(True):
        name = tag.name
        if name not in _HTML_BLOCKS or tag.sourceline is None:
            continue
        if name != "table" and inside(tag, {"table"}):
            continue
        if name == "p" and inside(tag, {"li", "p", "blockquote"}):
            continue
        start, end = tag.sourceline, end_line(tag)
        if name == "table":
            if inside(tag, {"table"}):
                continue
            index = table_count
            table_count += 1
            header: tuple[str, ...] | None = None
            for tr in tag.find_all("tr"):
                if tr.find_parent("table") is not tag:
                    continue
                cells = [
                    parse_cell(td.decode_contents(), td.sourceline or start, end_line(td))
                    for td in tr.find_all(["td", "th"], recursive=False)
                ]
                if not cells:
                    continue
                sig = _row_signature(cells)
                level = 0
                if header is None:
                    header = sig
                elif sig and sig == header and len(sig) >= 2:
                    level = 1
                row = _row_block(cells, tr.sourceline or start, index, level=level)
                row.end_line = max(row.end_line, end_line(tr))
                blocks.append(row)
            continue
        if name == "li":
            # the item's own text, without nested lists
            own = "".join(
                str(c) if isinstance(c, NavigableString) else c.get_text(" ")
                for c in tag.children
                if not (isinstance(c, Tag) and c.name in ("ul", "ol"))
            )
            body = re.sub(r"\s+", " ", own).strip()
            level = sum(1 for p in tag.parents if p.name in ("ul", "ol"))
            if body:
                blocks.append(Block("list_item", body, start, end, level=max(1, level)))
            continue
        body = re.sub(r"\s+", " ", tag.get_text(" ")).strip()
        if not body:
            continue
        if name[0] == "h" and name[1:].isdigit():
            num, _ = split_heading_number(body)
            blocks.append(Block("heading", body, start, end, level=int(name[1]), number=num))
        else:
            blocks.append(Block("paragraph", body, start, end))
    blocks.sort(key=lambda b: b.line)
    if not blocks:
        raise ReadError(path, "HTML has no text blocks (headings, paragraphs, lists or tables)")
    title_tag = soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else None
    return Document(
        path=str(path), name=Path(path).name, format="html", blocks=blocks, lines=lines,
        title=title or _title(blocks),
    )
