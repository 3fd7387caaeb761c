"""The extraction orchestrator (loaders/extract.py) and load_path / LoadError (loaders/__init__.py)."""
from __future__ import annotations

import os
from collections import Counter

import pytest

from cigraph.loaders import LoadError, ReadError, extract, load_path, read_document
from cigraph.loaders.extract import merge_intentions
from cigraph.loaders.model import ExtractedIntention, Span
from cigraph.loaders.readers import read_text

SEEDS = {
    "000": "000_af5bffa52fcdce02.txt",
    "001": "001_0c3910418eb40f69.txt",
    "002": "002_22ae9f361ec56aea.txt",
    "003": "003_3a683f349541702c.txt",
    "004": "004_c74fef163ed759e5.txt",
}

#: Sensible ranges of intentions per seed (counts measured when this was written:
#: 000: 31 table + 10 prose, 001: 54 table + 19 prose, 002: 83, 003: 41, 004: 35 table + ~230 prose).
RANGES = {"000": (30, 60), "001": (54, 90), "002": (60, 100), "003": (25, 60), "004": (150, 320)}


@pytest.fixture(scope="module")
def extracted(seeds_dir):
    return {key: load_path(seeds_dir / name) for key, name in SEEDS.items()}


def test_every_seed_yields_intentions(extracted):
    print()
    for key, xdoc in sorted(extracted.items()):
        kinds = Counter(i.extractor.split(":")[0] for i in xdoc.intentions)
        print(f"{SEEDS[key]}: {len(xdoc.intentions)} intentions {dict(sorted(kinds.items()))}")
        low, high = RANGES[key]
        assert low <= len(xdoc.intentions) <= high, (key, len(xdoc.intentions))
        assert all(i.title and i.text and i.span.line >= 1 for i in xdoc.intentions)
        assert all(len(i.title) <= 110 for i in xdoc.intentions)
        lines = [(i.span.line, i.span.end_line) for i in xdoc.intentions]
        assert lines == sorted(lines)


def test_tables_dominate_000_and_001(extracted):
    for key in ("000", "001"):
        kinds = Counter("table" if i.extractor.startswith("table") else "text" for i in extracted[key].intentions)
        assert kinds["table"] > kinds["text"] > 0, (key, kinds)
    # the gold rows of 001 are table rows, and no prose intention repeats one of them
    table_lines = {i.span.line for i in extracted["001"].intentions if i.extractor.startswith("table")}
    assert {297, 302, 309, 352, 378} <= table_lines


def test_prose_docs_are_prose(extracted):
    for key in ("002", "003"):
        assert all(not i.extractor.startswith("table") for i in extracted[key].intentions)


def test_metadata_flows_through(extracted):
    x = extracted["001"]
    assert x.commissioner_text == "Bedfordshire CCG" and x.planning_fy == 2018
    assert x.stp_text == "Bedfordshire, Luton and Milton Keynes STP"
    assert [n for n, _, _ in x.stp_priorities] == ["1", "2", "3", "4", "5"]
    assert len(x.enablers) == 6
    assert extracted["004"].planning_fy == 2014 and len(extracted["004"].enablers) == 5
    assert extracted["003"].commissioner_text == "NHS Lewisham CCG"


def test_enabler_link_in_a_table_row(extracted):
    # 000 l.82 (Data Sharing row): "This project is an enabler for the Better Care Team (BCT) project."
    (it,) = [i for i in extracted["000"].intentions if i.span.line <= 82 <= i.span.end_line]
    assert it.enabler_of and it.enabler_of.startswith("Better Care Team")


def _it(line, end, text, extractor="prose"):
    return ExtractedIntention(title=text[:20], text=text, span=Span(text, line, end), extractor=extractor)


def test_merge_drops_repeats():
    table = [_it(10, 12, "We will commission a new service.", "table:x")]
    prose = [
        _it(11, 11, "We will commission a new service."),  # repeats the table row
        _it(20, 25, "We will re-procure the service. Through this we will save money."),
        _it(21, 21, "We will re-procure the service."),  # contained in the one above
        _it(30, 30, "We will pilot a new pathway."),
    ]
    merged, dropped = merge_intentions(table, prose)
    assert dropped == 2
    assert [(i.span.line, i.extractor) for i in merged] == [(10, "table:x"), (20, "prose"), (30, "prose")]


def test_extract_on_text_without_tables():
    doc = read_text(
        "Commissioning intentions 2016/17\n\nNHS Ouseley CCG\n\n1. Planned Care\n\n"
        "- We will re-procure community dermatology from Q3 2016/17.\n",
        "o.txt",
    )
    x = extract(doc)
    assert x.commissioner_text == "NHS Ouseley CCG" and x.planning_fy == 2016
    (it,) = x.intentions
    assert it.programme == "Planned Care" and it.mechanisms == ["re-procurement"]
    assert [s.text for s in it.timescale_spans] == ["We will re-procure community dermatology from Q3 2016/17."]


# --------------------------------------------------------------------------------------------
# bad input: LoadError naming the file and the reason
# --------------------------------------------------------------------------------------------


def _load_error(path) -> LoadError:
    with pytest.raises(LoadError) as info:
        load_path(path)
    err = info.value
    assert isinstance(err, ValueError)
    assert os.path.basename(str(path)) in str(err)
    assert err.reason and err.reason in str(err)
    return err


def test_oversized_file(tmp_path):
    big = tmp_path / "huge.txt"
    with open(big, "wb") as fh:
        fh.truncate(50 * 2**20 + 1)  # sparse: 50 MiB + 1 byte
    err = _load_error(big)
    assert "too large" in err.reason
    assert isinstance(err.__cause__, ReadError)


def test_empty_file(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert "empty" in _load_error(empty).reason


def test_binary_file(tmp_path):
    binary = tmp_path / "binary.txt"
    binary.write_bytes(bytes(range(256)) * 64)
    assert "binary" in _load_error(binary).reason


def test_missing_and_unsupported_files(tmp_path):
    assert "not found" in _load_error(tmp_path / "nowhere.txt").reason
    odd = tmp_path / "sheet.xlsx"
    odd.write_bytes(b"not really a spreadsheet")
    assert "unsupported" in _load_error(odd).reason


def test_file_without_intentions(tmp_path):
    minutes = tmp_path / "minutes.txt"
    minutes.write_text(
        "Minutes of the Health and Wellbeing Board\n\n1. Apologies\n\nApologies were received from two members.\n\n"
        "2. Any other business\n\nThere was none. The meeting closed at 5pm.\n",
        encoding="utf-8",
    )
    err = _load_error(minutes)
    assert err.reason == "no commissioning intentions found"


def test_max_bytes_is_passed_on(tmp_path, seeds_dir):
    with pytest.raises(LoadError, match="too large"):
        load_path(seeds_dir / SEEDS["002"], max_bytes=1000)
    assert read_document(seeds_dir / SEEDS["002"]).name == SEEDS["002"]
