"""Shared pytest fixtures.

Seed documents and the gold annotation live outside the repository, in ``../shared`` (read-only).
Tests that need them use the fixtures below: they skip when the material is missing, unless the
``CI`` environment variable is set, in which case a missing seed directory is a failure.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"


def _require(path: Path, what: str) -> Path:
    if path.exists():
        return path
    message = f"{what} not found at {path}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The directory of seed documents (``../shared/seeds``)."""
    return _require(SHARED / "seeds", "seed directory")


@pytest.fixture(scope="session")
def gold_path() -> Path:
    """The hand annotation of seed 001 (``../shared/gold/bedfordshire-2018-19.jsonl``)."""
    return _require(SHARED / "gold" / "bedfordshire-2018-19.jsonl", "gold annotation")


@pytest.fixture(scope="session")
def seeded_store(seeds_dir):
    """An in-memory store with all five seed documents loaded (built once per test session)."""
    from cigraph.graph.ingest import load_files
    from cigraph.graph.store import open_store

    store = open_store("memory")
    results = load_files([seeds_dir], store)
    failed = [r.error for r in results if not r.ok]
    assert not failed, f"seed documents failed to load: {failed}"
    return store


@pytest.fixture(scope="session")
def seeded_queries(seeded_store):
    from cigraph.graph.queries import Queries

    return Queries(seeded_store)


@pytest.fixture(scope="session")
def client(seeded_store):
    """A FastAPI TestClient over the real app serving the seeded store."""
    from fastapi.testclient import TestClient

    from cigraph.api.app import create_app

    with TestClient(create_app(seeded_store)) as c:
        yield c


# --- Impact-map fixtures (tests/test_maps.py, tests/test_maps_browser.py) -------------------
# Query-layer results in the API spec's shapes: several commissioners, a provider group, a
# successor link, money, and untrusted text that must never run as markup.

MALICIOUS_TITLE = "<script>alert(1)</script>"
MALICIOUS_PROVIDER = "<img src=x onerror=alert(2)>"
_ID = "https://w3id.org/cigraph/id/"


def _org(code: str, name: str, kind: str = "acute", role: str = "named", *, inferred: bool = False,
         method: str = "alias", via: dict | None = None) -> dict:
    return {"id": f"{_ID}org/{code}", "code": code, "name": name, "kind": kind, "role": role,
            "inferred": inferred, "method": method, "via": via}


def _comm(code: str, name: str) -> dict:
    return {"id": f"{_ID}org/{code}", "code": code, "name": name}


def _period(fy: str, quarters: list[str], start: str, end: str, text: str) -> dict:
    return {"label": quarters[0] if len(quarters) == 1 else fy, "start": start, "end": end,
            "kind": "period" if len(quarters) == 1 else "year", "text": text, "quarters": quarters}


_BEDS = _comm("06F", "NHS Bedfordshire CCG")
_MK = _comm("04F", "NHS Milton Keynes CCG")
_BUCKS = _comm("14Y", "NHS Buckinghamshire CCG")
_HV = _comm("06N", "NHS Herts Valleys CCG")
_ACUTE = {"id": f"{_ID}group/acute", "code": None, "name": "acute", "kind": "group",
          "role": "generic", "inferred": False, "method": "group", "via": None}
_Q = {q: _period("", [f"FY2018/19 {q}"], s, e, t) for q, s, e, t in [
    ("Q1", "2018-04-01", "2018-06-30", "Q1 2018/19"), ("Q2", "2018-07-01", "2018-09-30", "July 2018"),
    ("Q3", "2018-10-01", "2018-12-31", "Q3"), ("Q4", "2019-01-01", "2019-03-31", "Q4/2018")]}

MAP_INTENTIONS: list[dict] = [
    {"id": f"{_ID}intention/001_0c39/297", "title": "Urgent Treatment Centre",
     "programme": "Urgent & Emergency Care", "pathway": "Urgent Treatment Centre", "commissioner": _BEDS,
     "providers": [_org("RC1", "Bedford Hospital NHS Trust"), _ACUTE], "periods": [_Q["Q4"]],
     "money": [{"amount": 120.0, "unit": "GBP_thousand", "measure": "gross savings", "provider": "RC1"}],
     "source": {"document": "001_0c3910418eb40f69.txt", "line": 298, "end_line": 301},
     "text": "In April 2018, there will be a GP led Urgent Treatment Centre at Bedford Hospital."},
    {"id": f"{_ID}intention/001_0c39/412", "title": "Musculoskeletal triage and treatment service",
     "programme": "Planned Care", "pathway": "MSK", "commissioner": _BEDS,
     "providers": [_org("RC1", "Bedford Hospital NHS Trust", role="lead"),
                   _org("RD8", "Milton Keynes University Hospital NHS Foundation Trust")],
     "periods": [_Q["Q1"]],
     "money": [{"amount": 350.0, "unit": "GBP_thousand", "measure": "net savings", "provider": None}],
     "source": {"document": "001_0c3910418eb40f69.txt", "line": 412, "end_line": 415},
     "text": "The CCG will re-procure the MSK service with Bedford Hospital as lead provider."},
    {"id": f"{_ID}intention/002_77ab/88", "title": "Community dermatology service",
     "programme": "Planned Care", "pathway": "Dermatology", "commissioner": _MK,
     "providers": [_org("RD8", "Milton Keynes University Hospital NHS Foundation Trust"),
                   _org("RXQ", "Buckinghamshire Healthcare NHS Trust", inferred=True, method="fuzzy")],
     "periods": [_Q["Q2"]], "money": [],
     "source": {"document": "002_77ab0e1f5a2c9d10.txt", "line": 88, "end_line": 90},
     "text": "Dermatology follow-ups will move into the community from July 2018."},
    {"id": f"{_ID}intention/003_5e1d/40", "title": MALICIOUS_TITLE,
     "programme": "Mental Health", "pathway": "IAPT", "commissioner": _HV,
     "providers": [_org("RWK", MALICIOUS_PROVIDER, kind="mental health")],
     "periods": [_Q["Q1"]], "money": [],
     "source": {"document": "003_5e1d44c0aa21e6b3.txt", "line": 40, "end_line": 40},
     "text": "<b>bold</b> & \"quoted\" text </script><script>alert(3)</script>"},
    {"id": f"{_ID}intention/001_0c39/530", "title": "Hyper-acute stroke unit consolidation",
     "programme": "Urgent & Emergency Care", "pathway": "Stroke", "commissioner": _BEDS,
     "providers": [_org("RC9", "Bedfordshire Hospitals NHS Foundation Trust", role="via-successor",
                        inferred=True, method="successor",
                        via={"code": "RC1", "name": "Bedford Hospital NHS Trust"})],
     "periods": [_period("", ["FY2019/20 Q1"], "2019-04-01", "2019-06-30", "April 2019")],
     "money": [{"amount": 1.2, "unit": "GBP_million", "measure": "investment", "provider": "RC9"}],
     "source": {"document": "001_0c3910418eb40f69.txt", "line": 530, "end_line": 534},
     "text": "Stroke services will be consolidated on one site."},
    {"id": f"{_ID}intention/004_9f02/120", "title": "Paediatric community nursing",
     "programme": "Children & Maternity", "pathway": "Paediatrics", "commissioner": _BUCKS,
     "providers": [_org("RXQ", "Buckinghamshire Healthcare NHS Trust", role="lead", kind="community")],
     "periods": [_period("FY2018/19", ["FY2018/19 Q3", "FY2018/19 Q4"], "2018-10-01", "2019-03-31",
                         "from October 2018")],
     "money": [{"amount": 480.0, "unit": "GBP_thousand", "measure": "investment", "provider": "RXQ"}],
     "source": {"document": "004_9f02aa7be1c3d885.txt", "line": 120, "end_line": 126},
     "text": "Children's community nursing will extend to seven days a week."},
]

MAP_OVERLAPS: dict = {
    "commissioners": [_BEDS, _MK, _BUCKS, {"id": f"{_ID}org/06N", "code": "06N", "name": MALICIOUS_PROVIDER}],
    "shared_providers": [
        {"a": "06F", "b": "04F", "providers": [{"code": "RC1", "name": "Bedford Hospital NHS Trust"},
                                               {"code": "RD8", "name": "Milton Keynes University Hospital"}],
         "intentions": [MAP_INTENTIONS[0]["id"], MAP_INTENTIONS[1]["id"], MAP_INTENTIONS[2]["id"]]},
        {"a": "04F", "b": "14Y", "providers": [{"code": "RXQ", "name": "Buckinghamshire Healthcare NHS Trust"}],
         "intentions": [MAP_INTENTIONS[2]["id"], MAP_INTENTIONS[5]["id"]]},
    ],
    "shared_themes": [
        {"a": "06F", "b": "04F", "theme": "dermatology", "score": 0.42, "intentions": [MAP_INTENTIONS[2]["id"]]},
        {"a": "06F", "b": "04F", "theme": "musculoskeletal", "score": 0.31, "intentions": [MAP_INTENTIONS[1]["id"]]},
        {"a": "06N", "b": "06F", "theme": MALICIOUS_TITLE, "score": 0.2, "intentions": [MAP_INTENTIONS[3]["id"]]},
    ],
}


@pytest.fixture
def map_intentions() -> list[dict]:
    """Six intentions (fresh deep copy) covering every node type and link style."""
    import copy
    return copy.deepcopy(MAP_INTENTIONS)


@pytest.fixture
def map_overlaps() -> dict:
    """A commissioner-overlap result (fresh deep copy) with a malicious name and theme."""
    import copy
    return copy.deepcopy(MAP_OVERLAPS)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The public reference lists (``../shared/reference``: ODS codes, successions)."""
    return _require(SHARED / "reference", "reference directory")
