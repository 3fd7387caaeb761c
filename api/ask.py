"""Plain-English questions → the same structured query the API uses.

Deliberately small and explicit: a question is scanned for a quarter / financial year, a match
mode ("starting", "due"), a commissioner ("Luton CCG intentions …"), a provider ("… affect BHT …")
or a theme ("who else is changing dermatology?").  The interpretation used is returned with the
answer so a person can see — and correct — how the question was read.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from cigraph.graph.analytics import theme_search
from cigraph.graph.queries import Answer, IntentionQuery, Queries

FY = r"(?:FY\s?)?20\d\d\s?[/-]\s?(?:20)?\d\d"
QUARTER = rf"(?:{FY}\s+Q[1-4]|Q[1-4]\s+{FY}|Q[1-4])"
QUARTER_RE = re.compile(rf"\b(?:in|during|for|by|from|of)?\s*({QUARTER})\b", re.I)
FY_RE = re.compile(rf"\b(?:in|during|for)?\s*({FY})\b", re.I)
STARTS_RE = re.compile(r"\b(start(?:s|ing)?|commenc(?:e|es|ing)|begin(?:s|ning)?|from)\b", re.I)
DUE_RE = re.compile(r"\b(due|by the end of|by end of|ending|finish(?:es|ing)?|complete[sd]?)\b", re.I)
THEME_RE = re.compile(
    r"^\s*(?:who\s+(?:else\s+)?(?:is|are)\s+(?:changing|redesigning|commissioning|procuring|reviewing|working on)"
    r"|which\s+commissioners\s+(?:are\s+)?(?:changing|redesigning|commissioning|working on)"
    r"|who\s+else\s+(?:changes|redesigns|commissions))\s+(?P<theme>.+?)\??\s*$",
    re.I,
)
PROVIDER_RE = re.compile(
    r"\b(?:affect(?:s|ing)?|impact(?:s|ing)?|nam(?:e|es|ing)|involv(?:e|es|ing)|for|exposure of|with)\s+"
    r"(?P<provider>.+?)\s*(?=\b(?:in|during|from|by|starting|due|commencing|for)\b|$)",
    re.I,
)
COMMISSIONER_RE = re.compile(
    r"^\s*(?:(?:which|what|show|list|all)\s+)?(?:(?:are\s+)?(?:the\s+)?)?(?P<comm>[A-Z][\w&' ]*?\b(?:CCG|ICB|Council|NHS England))\b"
    r"|\b(?:by|from|of)\s+(?P<comm2>[A-Z][\w&' ]*?\b(?:CCG|ICB))\b",
)


@dataclass
class Interpretation:
    question: str
    kind: str  # "intentions" or "theme"
    provider: str | None = None
    commissioner: str | None = None
    quarter: str | None = None
    fy: str | None = None
    match: str = "overlaps"
    theme: str | None = None

    def query(self, limit: int = 100, offset: int = 0) -> IntentionQuery:
        return IntentionQuery(provider=self.provider, commissioner=self.commissioner, quarter=self.quarter,
                              fy=self.fy, match=self.match, limit=limit, offset=offset)


def _clean(s: str) -> str:
    return s.strip(" ?.,;:'\"").strip()


def interpret(question: str) -> Interpretation:
    q = " ".join((question or "").split())
    if not q:
        raise ValueError("the question is empty; try 'which intentions affect BHT in Q1'")
    m = THEME_RE.match(q)
    if m:
        return Interpretation(question, "theme", theme=_clean(m.group("theme")))
    it = Interpretation(question, "intentions")
    rest = q
    qm = QUARTER_RE.search(rest)
    if qm:
        it.quarter = qm.group(1)
        rest = rest[: qm.start()] + " " + rest[qm.end():]
    else:
        fm = FY_RE.search(rest)
        if fm:
            it.fy = fm.group(1)
            rest = rest[: fm.start()] + " " + rest[fm.end():]
    if STARTS_RE.search(rest):
        it.match = "starts"
    elif DUE_RE.search(rest):
        it.match = "due"
    cm = COMMISSIONER_RE.search(rest)
    if cm:
        it.commissioner = _clean(cm.group("comm") or cm.group("comm2"))
        rest = rest[: cm.start()] + " " + rest[cm.end():]
    pm = PROVIDER_RE.search(rest)
    if pm:
        cand = _clean(pm.group("provider"))
        cand = re.sub(r"^(?:the|provider|trust)\s+", "", cand, flags=re.I)
        if cand and cand.lower() not in {"intentions", "commissioning intentions", "them", "it"}:
            it.provider = cand
    if not (it.provider or it.commissioner or it.quarter or it.fy):
        # "dermatology intentions" or a bare word: treat as a theme
        theme = re.sub(r"\b(which|what|show|list|all|intentions?|about|on|are|the|there)\b", " ", q, flags=re.I)
        theme = _clean(" ".join(theme.split()))
        if theme:
            return Interpretation(question, "theme", theme=theme)
    return it


def ask(queries: Queries, question: str, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """Answer a plain-English question; the result has the same shape as /api/intentions."""
    interp = interpret(question)
    if interp.kind == "theme":
        found = theme_search(queries, interp.theme or "")
        return {
            "results": found["results"][offset: offset + limit],
            "total": found["total"],
            "interpretation": {**asdict(interp), "commissioners": found["commissioners"]},
        }
    answer: Answer = queries.intentions(interp.query(limit, offset))
    out = answer.as_dict()
    out["interpretation"] = {**asdict(interp), **answer.interpretation, "question": question}
    return out
