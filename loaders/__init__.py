"""Loaders: read commissioning-intentions documents and extract what they intend.

>>> from cigraph.loaders import load_path
>>> xdoc = load_path("../shared/seeds/002_22ae9f361ec56aea.txt")   # doctest: +SKIP
>>> xdoc.commissioner_text, xdoc.planning_fy, len(xdoc.intentions)  # doctest: +SKIP

:func:`load_path` = :func:`read_document` + :func:`extract`; every failure on bad input is a
:class:`LoadError` naming the file and the reason (too large, empty, binary, unsupported, no
intentions found…).
"""
from __future__ import annotations

from pathlib import Path

from .extract import extract
from .model import ExtractedDocument
from .readers import ReadError, read_document

__all__ = ["read_document", "extract", "load_path", "LoadError", "ReadError", "DEFAULT_MAX_BYTES"]

#: Files larger than this are refused by :func:`load_path` (50 MiB).
DEFAULT_MAX_BYTES = 50 * 2**20


class LoadError(ValueError):
    """A document could not be loaded; ``str(error)`` names the file and the reason."""

    def __init__(self, path: str | Path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"cannot load {self.path}: {reason}")


def load_path(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> ExtractedDocument:
    """Read and extract one document.

    Raises :class:`LoadError` when the file cannot be read (missing, empty, binary, too large,
    unsupported or corrupt), when extraction fails, or when no commissioning intentions are
    found in it.
    """
    try:
        doc = read_document(path, max_bytes=max_bytes)
    except ReadError as exc:
        raise LoadError(path, exc.reason) from exc
    except OSError as exc:
        raise LoadError(path, f"cannot open file ({exc.strerror or exc})") from exc
    try:
        xdoc = extract(doc)
    except Exception as exc:  # an extractor tripping on odd input must not escape as a crash
        raise LoadError(path, f"extraction failed ({type(exc).__name__}: {exc})") from exc
    if not xdoc.intentions:
        raise LoadError(path, "no commissioning intentions found")
    return xdoc
