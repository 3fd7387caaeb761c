"""Questions the graph answers: intentions by provider / quarter / commissioner / theme.

Every answer is built from the store with SPARQL and carries its sources (document file name and
line span).  The intention records are read from the store into a :class:`Snapshot` (a few
SELECTs over the union of all document graphs) and filtered in Python; for the corpus sizes this
product sees (thousands of intentions) that is both simple and fast — `benchmarks/` measures it.

Filters follow the API: a provider is an ODS code, a name or an alias, resolved with the
registry (unknown names raise :class:`UnknownEntity` with "did you mean" suggestions); asking for
a successor organisation also returns the intentions that named its predecessors, marked ``via``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Literal

from cigraph.graph import fiscal
from cigraph.graph.registry import Organisation, Registry
from cigraph.graph.store import GraphStore
from cigraph.ontology import GROUPS, ORGS

PREFIXES = """
PREFIX cig: <https://w3id.org/cigraph/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX time: <http://www.w3.org/2006/time#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
"""

# Each query touches the triples of one graph per row; labels and codes, which many graphs
# share (a programme named in several documents, an organisation in the registry), are read
# once with DISTINCT and joined in Python, so the cost stays linear in the number of documents.
Q_INTENTIONS = PREFIXES + """
SELECT ?i ?title ?text ?prog ?path ?comm ?file ?start ?end ?page ?extractor ?fy ?section WHERE {
  ?i a cig:Intention ; dcterms:title ?title ; cig:commissionedBy ?comm ; prov:wasDerivedFrom ?src .
  ?src cig:document ?doc ; cig:startLine ?start ; cig:endLine ?end .
  ?doc cig:fileName ?file .
  OPTIONAL { ?src cig:page ?page }
  OPTIONAL { ?src cig:extractor ?extractor }
  OPTIONAL { ?i dcterms:description ?text }
  OPTIONAL { ?i cig:inProgramme ?prog }
  OPTIONAL { ?i cig:onPathway ?path }
  OPTIONAL { ?i cig:planningYear ?fy }
  OPTIONAL { ?i cig:section ?section }
}
"""

Q_LABELS = PREFIXES + """
SELECT DISTINCT ?x ?label WHERE { ?x skos:prefLabel ?label }
"""

Q_CODES = PREFIXES + """
SELECT DISTINCT ?x ?code WHERE { ?x dcterms:identifier ?code }
"""

Q_KINDS = PREFIXES + """
SELECT DISTINCT ?x ?kind WHERE { ?x cig:providerKind ?k . ?k skos:prefLabel ?kind }
"""

Q_LINKS = PREFIXES + """
SELECT ?i ?link ?target ?role ?inferred ?method ?conf ?mention ?lstart ?lend WHERE {
  ?i cig:hasImpact ?link .
  ?link cig:impactOn ?target ; cig:role ?role .
  OPTIONAL { ?link cig:inferred ?inferred }
  OPTIONAL { ?link cig:inferenceMethod ?method }
  OPTIONAL { ?link cig:confidence ?conf }
  OPTIONAL { ?link cig:mentionText ?mention }
  OPTIONAL { ?link prov:wasDerivedFrom ?ls . ?ls cig:startLine ?lstart ; cig:endLine ?lend }
}
"""

Q_PERIODS = PREFIXES + """
SELECT ?i ?p ?prop ?kind ?label ?otext ?s ?e WHERE {
  VALUES ?prop { cig:startsIn cig:dueBy cig:activeDuring }
  ?i ?prop ?p .
  ?p cig:periodKind ?kind ; cig:periodLabel ?label .
  OPTIONAL { ?p cig:originalText ?otext }
  OPTIONAL { ?p time:hasBeginning/time:inXSDDate ?s }
  OPTIONAL { ?p time:hasEnd/time:inXSDDate ?e }
}
"""

Q_MONEY = PREFIXES + """
SELECT ?i ?m ?amount ?unit ?measure ?prov ?mention ?mstart WHERE {
  ?i cig:hasFinancialImpact ?m .
  ?m cig:amount ?amount ; cig:unit ?unit ; cig:measure ?measure .
  OPTIONAL { ?m cig:provider ?prov }
  OPTIONAL { ?m cig:mentionText ?mention }
  OPTIONAL { ?m prov:wasDerivedFrom/cig:startLine ?mstart }
}
"""

Q_PROCUREMENTS = PREFIXES + """
SELECT ?i ?p ?service ?amount ?unit ?clabel ?cs ?ce WHERE {
  ?i cig:hasProcurement ?p . ?p dcterms:title ?service .
  OPTIONAL { ?p cig:indicativeValue ?v . ?v cig:amount ?amount ; cig:unit ?unit }
  OPTIONAL { ?p cig:commencement ?c . ?c cig:periodLabel ?clabel .
             OPTIONAL { ?c time:hasBeginning/time:inXSDDate ?cs } OPTIONAL { ?c time:hasEnd/time:inXSDDate ?ce } }
}
"""

Q_PRIORITIES = PREFIXES + """
SELECT ?i ?p ?number ?title WHERE {
  ?i cig:supportsPriority ?p . ?p cig:priorityNumber ?number ; dcterms:title ?title .
}
"""

Q_ENABLERS = PREFIXES + """
SELECT ?i ?e ?title WHERE { ?i cig:enabledBy ?e . ?e dcterms:title ?title . }
"""

MatchMode = Literal["overlaps", "starts", "due"]


class QueryError(ValueError):
    """A question the graph cannot answer as asked (bad filter value)."""


class UnknownEntity(LookupError):
    """A provider or commissioner that nothing in the registry or graph matches."""

    def __init__(self, kind: str, query: str, suggestions: list[dict[str, str]]):
        self.kind, self.query, self.suggestions = kind, query, suggestions
        hint = ", ".join(f"{s['name']} ({s['code']})" for s in suggestions[:5])
        super().__init__(
            f"unknown {kind} {query!r}" + (f"; did you mean: {hint}?" if hint else "; no close matches")
        )


def _iso(d: Any) -> str | None:
    return d.isoformat() if isinstance(d, date) else (str(d) if d is not None else None)


def _code_of(iri: str) -> str | None:
    if iri.startswith(str(ORGS)):
        return iri[len(str(ORGS)):]
    return None


@dataclass
class Snapshot:
    """All intentions in the store as API-shaped dicts, keyed by intention IRI."""

    intentions: dict[str, dict[str, Any]]
    periods: dict[str, list[dict[str, Any]]]

    @classmethod
    def read(cls, store: GraphStore) -> "Snapshot":
        items: dict[str, dict[str, Any]] = {}
        labels: dict[str, str] = {}
        for r in store.select(Q_LABELS):
            labels.setdefault(r["x"], r["label"])
        codes = {r["x"]: r["code"] for r in store.select(Q_CODES)}
        kinds = {r["x"]: r["kind"] for r in store.select(Q_KINDS)}
        for r in store.select(Q_INTENTIONS):
            i = r["i"]
            if i in items:
                continue
            comm = r["comm"]
            code = codes.get(comm) or _code_of(comm)
            items[i] = {
                "id": i,
                "title": r["title"],
                "programme": labels.get(r.get("prog") or ""),
                "pathway": labels.get(r.get("path") or ""),
                "commissioner": {"id": comm, "code": code, "name": labels.get(comm) or code},
                "planning_year": r.get("fy"),
                "section": r.get("section"),
                "providers": [],
                "groups": [],
                "periods": [],
                "money": [],
                "procurement": None,
                "priorities": [],
                "enabled_by": [],
                "source": {
                    "document": r["file"],
                    "line": int(r["start"]),
                    "end_line": int(r["end"]),
                    "page": int(r["page"]) if r.get("page") is not None else None,
                    "extractor": r.get("extractor"),
                },
                "text": r.get("text") or "",
            }
        for it, r in _once(items, store.select(Q_LINKS), "link"):
            target = r["target"]
            is_group = target.startswith(str(GROUPS))
            entry = {
                "id": target,
                "code": None if is_group else (codes.get(target) or _code_of(target)),
                "name": labels.get(target) or target.rsplit("/", 1)[-1],
                "kind": "group" if is_group else kinds.get(target),
                "role": r["role"],
                "inferred": bool(r.get("inferred")),
                "method": r.get("method"),
                "confidence": float(r["conf"]) if r.get("conf") is not None else None,
                "mention": r.get("mention"),
                "line": int(r["lstart"]) if r.get("lstart") is not None else None,
                "via": None,
            }
            (it["groups"] if is_group else it["providers"]).append(entry)
        for it, r in _once(items, store.select(Q_PERIODS), "p"):
            start, end = r.get("s"), r.get("e")
            period = fiscal.Period(r["kind"], start, end, r["label"], r.get("otext") or "")
            it["periods"].append({
                "label": r["label"], "start": _iso(start), "end": _iso(end), "kind": r["kind"],
                "text": r.get("otext") or "", "quarters": period.quarters() if start and end else [],
                "_start": start, "_end": end,
            })
        for it, r in _once(items, store.select(Q_MONEY), "m"):
            it["money"].append({
                "amount": float(r["amount"]), "unit": r["unit"], "measure": r["measure"],
                "provider": (codes.get(r["prov"]) or _code_of(r["prov"])) if r.get("prov") else None, "provider_text": r.get("mention"),
                "line": int(r["mstart"]) if r.get("mstart") is not None else it["source"]["line"],
            })
        for r in store.select(Q_PROCUREMENTS):
            it = items.get(r["i"])
            if it is None or it["procurement"] is not None:
                continue
            it["procurement"] = {
                "service": r["service"],
                "value": {"amount": float(r["amount"]), "unit": r["unit"]} if r.get("amount") is not None else None,
                "commencement": r.get("clabel"),
                "start": _iso(r.get("cs")), "end": _iso(r.get("ce")),
            }
        for r in store.select(Q_PRIORITIES):
            it = items.get(r["i"])
            if it is not None and r["number"] not in [p["number"] for p in it["priorities"]]:
                it["priorities"].append({"number": r["number"], "title": r["title"], "inferred": True})
        for r in store.select(Q_ENABLERS):
            it = items.get(r["i"])
            if it is not None:
                it["enabled_by"].append({"id": r["e"], "title": r["title"]})
        for it in items.values():
            it["providers"].sort(key=lambda p: (p["code"] or "", p["role"]))
            it["periods"].sort(key=lambda p: (p["_start"] or date.max, p["label"]))
        periods = {k: v["periods"] for k, v in items.items()}
        return cls(items, periods)

    def sorted(self) -> list[dict[str, Any]]:
        return sorted(self.intentions.values(), key=lambda i: (i["source"]["document"], i["source"]["line"], i["id"]))


def _once(items: dict[str, dict[str, Any]], rows: list[dict[str, Any]], key: str):
    """(intention, row) for rows of known intentions, each node ``row[key]`` once (the union
    default graph can return a row more than once)."""
    seen: set[str] = set()
    for r in rows:
        it = items.get(r["i"])
        if it is not None and r[key] not in seen:
            seen.add(r[key])
            yield it, r


def public(item: dict[str, Any]) -> dict[str, Any]:
    """An intention as returned to users: private keys (starting with '_') removed, copied."""
    out = dict(item)
    out["periods"] = [{k: v for k, v in p.items() if not k.startswith("_")} for p in item["periods"]]
    out["providers"] = [dict(p) for p in item["providers"]]
    out["groups"] = [dict(g) for g in item["groups"]]
    return out


@dataclass
class QuarterFilter:
    fy: int | None
    quarter: int | None
    label: str

    def matches(self, period: dict[str, Any], mode: MatchMode) -> bool:
        s, e = period.get("_start"), period.get("_end")
        if s is None or e is None:
            return False
        if mode == "starts" and period["kind"] == "due":
            return False
        if mode == "due" and period["kind"] == "starts":
            return False
        point = {"starts": s, "due": e}.get(mode)
        for qs, qe in self.intervals(s, e):
            if point is not None:
                if qs <= point <= qe:
                    return True
            elif s <= qe and e >= qs:
                return True
        return False

    def intervals(self, s: date, e: date) -> Iterable[tuple[date, date]]:
        if self.fy is not None and self.quarter is not None:
            yield fiscal.quarter_interval(self.fy, self.quarter)
        elif self.fy is not None:
            yield date(self.fy, 4, 1), date(self.fy + 1, 3, 31)
        else:  # "Q1" of any year: every such quarter the period could touch
            for fy in range(s.year - 1, e.year + 1):
                yield fiscal.quarter_interval(fy, self.quarter)


def parse_quarter(text: str | None, fy: str | None = None) -> QuarterFilter | None:
    """"FY2018/19 Q1", "Q1 2018/19", "2018/19 Q1", "Q1" (any year), plus an optional fy filter."""
    fy_year = None
    if fy:
        parsed = fiscal.parse_quarter_label(fy)
        if not parsed or parsed[0] is None:
            raise QueryError(f"fy {fy!r} is not a financial year; write it like 2018/19 or FY2018/19")
        fy_year = parsed[0]
    if not text:
        return QuarterFilter(fy_year, None, fiscal.fy_label(fy_year)) if fy_year is not None else None
    parsed = fiscal.parse_quarter_label(text)
    if not parsed or (parsed[0] is None and parsed[1] is None):
        raise QueryError(f"quarter {text!r} is not a quarter; write it like 'FY2018/19 Q1', 'Q1 2018/19' or 'Q1'")
    year, q = parsed
    year = year if year is not None else fy_year
    if year is not None and q is not None:
        label = f"{fiscal.fy_label(year)} Q{q}"
    elif year is not None:
        label = fiscal.fy_label(year)
    else:
        label = f"Q{q} (any year)"
    return QuarterFilter(year, q, label)


@dataclass
class IntentionQuery:
    provider: str | None = None
    quarter: str | None = None
    fy: str | None = None
    commissioner: str | None = None
    programme: str | None = None
    pathway: str | None = None
    text: str | None = None
    match: MatchMode = "overlaps"
    include_successors: bool = True
    limit: int = 100
    offset: int = 0


@dataclass
class Answer:
    results: list[dict[str, Any]]
    total: int
    interpretation: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"results": self.results, "total": self.total, "interpretation": self.interpretation}


def _norm(s: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", " ", (s or "").lower()).strip()


class Queries:
    """The query service over one store.  Reads a snapshot lazily; call refresh() after loads."""

    def __init__(self, store: GraphStore, registry: Registry | None = None):
        self.store = store
        self.registry = registry or Registry.load()
        self._snapshot: Snapshot | None = None

    @property
    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            self._snapshot = Snapshot.read(self.store)
        return self._snapshot

    def refresh(self) -> None:
        self._snapshot = None

    # -- entity resolution ----------------------------------------------------------------
    def _suggest(self, q: str, kinds: set[str] | None = None) -> list[dict[str, str]]:
        out = []
        for org in self.registry.suggest(q, limit=8):
            if kinds is None or org.kind in kinds:
                out.append({"code": org.id, "name": org.name})
        return out[:5]

    def resolve_provider(self, q: str) -> Organisation:
        q = (q or "").strip()
        if not q:
            raise QueryError("provider is empty; give an ODS code (RC1), a name or an alias (BHT)")
        org = self.registry.get(q.upper()) or self.registry.get(q)
        if org is not None:
            return org
        # Prefer what the documents actually name: try with the context of each commissioner.
        cands = self.registry.resolve(q)
        linked = self._linked_codes()
        cands.sort(key=lambda c: (c.org.id in linked, c.score), reverse=True)
        if cands and (cands[0].score >= 0.85 or cands[0].method != "fuzzy"):
            return cands[0].org
        raise UnknownEntity("provider", q, self._suggest(q))

    def resolve_commissioner(self, q: str) -> dict[str, str]:
        q = (q or "").strip()
        commissioners = {i["commissioner"]["id"]: i["commissioner"] for i in self.snapshot.intentions.values()}
        for c in commissioners.values():
            if q.upper() == (c["code"] or "").upper() or _norm(q) == _norm(c["name"]):
                return c
        org = self.registry.get(q.upper())
        cands = [org] if org else [c.org for c in self.registry.resolve(q) if c.score >= 0.85 or c.method != "fuzzy"]
        for org in cands:
            for c in commissioners.values():
                if c["code"] == org.id:
                    return c
        for c in commissioners.values():
            if _norm(q) and _norm(q) in _norm(c["name"]):
                return c
        if cands:
            return {"id": str(ORGS[cands[0].id]), "code": cands[0].id, "name": cands[0].name}
        sugg = [{"code": c["code"] or "", "name": c["name"]} for c in commissioners.values()]
        sugg = [s for s in sugg if _close(q, s["name"])] or self._suggest(q, {"ccg", "icb", "national-commissioner"})
        raise UnknownEntity("commissioner", q, sugg)

    def _linked_codes(self) -> set[str]:
        return {p["code"] for i in self.snapshot.intentions.values() for p in i["providers"] if p["code"]}

    def lineage(self, code: str) -> dict[str, tuple[date, str]]:
        """Predecessors of an organisation (transitively): {code: (date, kind)}."""
        out: dict[str, tuple[date, str]] = {}
        todo = [code]
        while todo:
            c = todo.pop()
            for pred, when, kind in self.registry.predecessors(c):
                if pred not in out and pred != code:
                    out[pred] = (when, kind)
                    todo.append(pred)
        return out

    # -- intentions --------------------------------------------------------------------------
    def intentions(self, q: IntentionQuery) -> Answer:
        if q.match not in ("overlaps", "starts", "due"):
            raise QueryError(f"match {q.match!r} must be one of overlaps, starts, due")
        if q.limit < 0 or q.offset < 0:
            raise QueryError("limit and offset must not be negative")
        interp: dict[str, Any] = {"match": q.match}
        items = self.snapshot.sorted()
        want: dict[str, dict[str, Any] | None] = {}
        if q.provider:
            org = self.resolve_provider(q.provider)
            want[org.id] = None
            interp["provider"] = {"query": q.provider, "code": org.id, "name": org.name, "id": str(ORGS[org.id])}
            if q.include_successors:
                preds = self.lineage(org.id)
                for pred, (when, kind) in preds.items():
                    p = self.registry.get(pred)
                    want[pred] = {"code": pred, "name": p.name if p else pred, "date": when.isoformat(), "kind": kind}
                if preds:
                    interp["provider"]["predecessors_included"] = [want[p] for p in preds]
            interp["include_successors"] = q.include_successors
        quarter = parse_quarter(q.quarter, q.fy)
        if quarter is not None:
            interp["quarter"] = quarter.label
        comm = None
        if q.commissioner:
            comm = self.resolve_commissioner(q.commissioner)
            interp["commissioner"] = comm
        for key in ("programme", "pathway", "text"):
            if getattr(q, key):
                interp[key] = getattr(q, key)
        words = _norm(q.text).split() if q.text else []
        out = []
        for it in items:
            if comm and it["commissioner"]["id"] != comm["id"]:
                continue
            if q.programme and _norm(q.programme) not in _norm(it["programme"]):
                continue
            if q.pathway and _norm(q.pathway) not in _norm(it["pathway"]) and _norm(q.pathway) not in _norm(it["title"]):
                continue
            if words:
                hay = _norm(" ".join([it["title"], it["text"], it["pathway"] or "", it["programme"] or ""]))
                if not all(w in hay for w in words):
                    continue
            matched_periods = it["periods"]
            if quarter is not None:
                matched_periods = [p for p in it["periods"] if quarter.matches(p, q.match)]
                if not matched_periods:
                    continue
            result = public(it)
            if want:
                hits = []
                for p in result["providers"]:
                    if p["code"] in want:
                        if want[p["code"]] is not None:
                            p["via"] = want[p["code"]]
                            p["role_as_stated"] = p["role"]
                            p["role"] = "via-successor"
                            p["inferred"] = True
                        hits.append(p)
                if not hits:
                    continue
                result["matched_providers"] = [p["code"] for p in hits]
            if quarter is not None:
                result["matched_periods"] = [p["label"] for p in matched_periods]
            out.append(result)
        total = len(out)
        return Answer(out[q.offset: q.offset + q.limit], total, interp)

    def get(self, iri: str) -> dict[str, Any] | None:
        it = self.snapshot.intentions.get(iri)
        return public(it) if it else None

    def commissioners(self) -> list[dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for it in self.snapshot.intentions.values():
            c = out.setdefault(it["commissioner"]["id"], dict(it["commissioner"], intentions=0, documents=set()))
            c["intentions"] += 1
            c["documents"].add(it["source"]["document"])
        return [dict(c, documents=sorted(c["documents"])) for c in sorted(out.values(), key=lambda c: c["name"] or "")]

    def providers(self) -> list[dict[str, Any]]:
        """Every organisation some intention names, with counts (for search suggestions)."""
        out: dict[str, dict[str, Any]] = {}
        for it in self.snapshot.intentions.values():
            for p in it["providers"]:
                e = out.setdefault(p["code"], {"code": p["code"], "name": p["name"], "kind": p["kind"], "intentions": 0})
                e["intentions"] += 1
        for code, e in out.items():
            org = self.registry.get(code)
            e["aliases"] = list(org.aliases) if org else []
        return sorted(out.values(), key=lambda e: -e["intentions"])

    def quarters(self) -> list[str]:
        labels = {q for it in self.snapshot.intentions.values() for p in it["periods"] for q in p["quarters"]}
        return sorted(labels, key=lambda s: (s[2:6], s[-1]))


def _close(a: str, b: str) -> bool:
    from rapidfuzz import fuzz

    return fuzz.partial_ratio(_norm(a), _norm(b)) >= 70
