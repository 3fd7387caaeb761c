"""Measure the loaders against a hand annotation (gold JSONL, one row per intention).

A gold row: ``{"doc": file name, "line": first line of the intention, "programme", "service_area",
"providers": [ODS codes or organisation names], "groups": [generic groups], "quarters":
["FY2018/19 Q1", "FY2018/19" (= the whole year)]}``.

Matching: a gold row is *found* when the loaded graph has an intention of that document starting
on that line, or else one whose line span contains it (each intention matched once).  Provider
links are compared as sets of registry ids per found row and micro-averaged (a missed row counts
all its gold providers as missed).  Quarter accuracy is the share of found rows whose periods give
exactly the gold quarter set.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cigraph.graph import fiscal
from cigraph.graph.queries import Queries
from cigraph.graph.registry import Registry


@dataclass
class PR:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class EvalResult:
    rows: int = 0
    found: int = 0
    providers: PR = field(default_factory=PR)
    groups: PR = field(default_factory=PR)
    quarters_right: int = 0
    programme_right: int = 0
    pathway_right: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def rows_found(self) -> float:
        return self.found / self.rows if self.rows else 0.0

    @property
    def quarter_accuracy(self) -> float:
        return self.quarters_right / self.found if self.found else 0.0

    def summary_line(self) -> str:
        return (f"overall rows_found={self.rows_found:.3f} precision={self.providers.precision:.3f} "
                f"recall={self.providers.recall:.3f} quarter_accuracy={self.quarter_accuracy:.3f}")

    def report(self) -> str:
        f = self.found or 1
        lines = [
            f"gold rows: {self.rows}   found: {self.found} ({self.rows_found:.3f})",
            f"providers  precision={self.providers.precision:.3f} recall={self.providers.recall:.3f} "
            f"(tp={self.providers.tp} fp={self.providers.fp} fn={self.providers.fn})",
            f"groups     precision={self.groups.precision:.3f} recall={self.groups.recall:.3f} "
            f"(tp={self.groups.tp} fp={self.groups.fp} fn={self.groups.fn})",
            f"quarters   accuracy={self.quarter_accuracy:.3f} ({self.quarters_right}/{self.found})",
            f"programme  accuracy={self.programme_right / f:.3f}   service area accuracy={self.pathway_right / f:.3f}",
        ]
        if self.misses:
            lines.append(f"misses ({len(self.misses)}):")
            lines.extend(f"  - {m}" for m in self.misses)
        lines.append(self.summary_line())
        return "\n".join(lines)


def _norm(s: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", " ", (s or "").lower()).strip()


def read_gold(path: str | Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: line {n} is not JSON: {exc}") from exc
    return rows


def gold_provider_ids(values: list[str], registry: Registry) -> set[str]:
    out = set()
    for v in values:
        org = registry.get(v)
        if org is None:
            cands = registry.resolve(v)
            org = cands[0].org if cands else None
        out.add(org.id if org else f"?{v}")
    return out


def predicted_quarters(item: dict[str, Any]) -> set[str]:
    periods = [fiscal.Period(p["kind"], p.get("_start"), p.get("_end"), p["label"], p["text"]) for p in item["periods"]]
    return set(fiscal.gold_labels(periods))


def evaluate(queries: Queries, gold: list[dict[str, Any]]) -> EvalResult:
    reg = queries.registry
    res = EvalResult(rows=len(gold))
    by_doc: dict[str, list[dict[str, Any]]] = {}
    for it in queries.snapshot.intentions.values():
        by_doc.setdefault(it["source"]["document"], []).append(it)
    used: set[str] = set()
    # first pass: exact start lines; second: containing spans
    matches: dict[int, dict[str, Any]] = {}
    for k, row in enumerate(gold):
        for it in by_doc.get(row["doc"], []):
            if it["source"]["line"] == row["line"] and it["id"] not in used:
                matches[k] = it
                used.add(it["id"])
                break
    for k, row in enumerate(gold):
        if k in matches:
            continue
        for it in sorted(by_doc.get(row["doc"], []), key=lambda i: i["source"]["line"]):
            if it["id"] not in used and it["source"]["line"] <= row["line"] <= it["source"]["end_line"]:
                matches[k] = it
                used.add(it["id"])
                break
    for k, row in enumerate(gold):
        gold_p = gold_provider_ids(row.get("providers", []), reg)
        gold_g = {_norm(g) for g in row.get("groups", [])}
        it = matches.get(k)
        where = f"{row['doc']}:{row['line']} {row.get('service_area', '')!r}"
        if it is None:
            res.providers.fn += len(gold_p)
            res.groups.fn += len(gold_g)
            res.misses.append(f"{where}: no intention found")
            continue
        res.found += 1
        pred_p = {p["code"] for p in it["providers"] if p["code"]}
        pred_g = {_norm(g["name"]) for g in it["groups"]}
        res.providers.tp += len(pred_p & gold_p)
        res.providers.fp += len(pred_p - gold_p)
        res.providers.fn += len(gold_p - pred_p)
        res.groups.tp += len(pred_g & gold_g)
        res.groups.fp += len(pred_g - gold_g)
        res.groups.fn += len(gold_g - pred_g)
        if pred_p != gold_p:
            extra, missing = sorted(pred_p - gold_p), sorted(gold_p - pred_p)
            res.misses.append(f"{where}: providers extra={extra} missing={missing}")
        pq, gq = predicted_quarters(it), set(row.get("quarters", []))
        if pq == gq:
            res.quarters_right += 1
        else:
            res.misses.append(f"{where}: quarters got={sorted(pq)} want={sorted(gq)}")
        if _norm(it["programme"]) == _norm(row.get("programme")):
            res.programme_right += 1
        if _norm(it["pathway"]) == _norm(row.get("service_area")) or _norm(it["title"]) == _norm(row.get("service_area")):
            res.pathway_right += 1
    return res
