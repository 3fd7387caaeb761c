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
