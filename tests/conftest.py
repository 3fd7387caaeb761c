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
