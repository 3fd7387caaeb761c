"""Provider exposure and cross-commissioner overlaps.

* :func:`exposure` — every intention naming a provider (and, marked, its predecessors), counted
  by quarter, programme and commissioner, with the £ figures the documents attribute to it and the
  procurements that may affect it.
* :func:`overlaps` — commissioners that share providers (a commissioner–provider graph in
  networkx: providers with high betweenness sit between most commissioners) and commissioners that
  share themes: the same pathway concept, or similar intention text (TF-IDF cosine, scikit-learn).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from itertools import combinations
from typing import Any

import networkx as nx

from cigraph.graph.queries import IntentionQuery, Queries, _norm

UNIT_FACTORS = {"GBP": 1.0, "GBP_thousand": 1_000.0, "GBP_million": 1_000_000.0}


def exposure(queries: Queries, provider: str, include_successors: bool = True) -> dict[str, Any]:
    answer = queries.intentions(IntentionQuery(provider=provider, include_successors=include_successors, limit=10**9))
    prov = answer.interpretation["provider"]
    codes = {prov["code"], *[p["code"] for p in prov.get("predecessors_included", [])]}
    by_quarter: Counter[str] = Counter()
    by_programme: Counter[str] = Counter()
    by_commissioner: Counter[str] = Counter()
    by_role: Counter[str] = Counter()
    money: list[dict[str, Any]] = []
    for it in answer.results:
        for q in sorted({q for p in it["periods"] for q in p["quarters"]}):
            by_quarter[q] += 1
        if not any(p["quarters"] for p in it["periods"]):
            by_quarter["no date stated"] += 1
        by_programme[it["programme"] or "(no programme)"] += 1
        by_commissioner[it["commissioner"]["name"] or it["commissioner"]["id"]] += 1
        for p in it["providers"]:
            if p["code"] in codes:
                by_role[p["role"]] += 1
        for m in it["money"]:
            if m["provider"] in codes:
                money.append({
                    **m, "gbp": m["amount"] * UNIT_FACTORS.get(m["unit"], 1.0), "intention": it["id"],
                    "title": it["title"], "source": {**it["source"], "line": m["line"]},
                    "via": None if m["provider"] == prov["code"] else m["provider"],
                })
    # Procurements that may affect the provider: ones naming it, or in the documents of
    # commissioners that name it elsewhere (the provider may bid or lose activity).
    commissioners = {it["commissioner"]["id"] for it in answer.results}
    named_ids = {it["id"] for it in answer.results}
    procurements = []
    for it in queries.snapshot.sorted():
        proc = it["procurement"]
        if proc is None:
            continue
        if it["id"] in named_ids:
            why = "names the provider"
        elif it["commissioner"]["id"] in commissioners:
            why = "procured by a commissioner whose intentions name the provider"
        else:
            continue
        procurements.append({**proc, "intention": it["id"], "title": it["title"], "why": why,
                             "commissioner": it["commissioner"], "source": it["source"]})
    totals: dict[str, float] = defaultdict(float)
    for m in money:
        totals[m["measure"]] += m["gbp"]
    return {
        "provider": prov,
        "total": answer.total,
        "by_quarter": dict(sorted(by_quarter.items())),
        "by_programme": dict(by_programme.most_common()),
        "by_commissioner": dict(by_commissioner.most_common()),
        "by_role": dict(by_role.most_common()),
        "money": money,
        "money_totals_gbp": dict(totals),
        "procurements": procurements,
        "intentions": [
            {"id": it["id"], "title": it["title"], "commissioner": it["commissioner"]["name"],
             "periods": [p["label"] for p in it["periods"]],
             "via": next((p["via"] for p in it["providers"] if p.get("via")), None),
             "source": it["source"]}
            for it in answer.results
        ],
    }


def commissioner_provider_graph(queries: Queries) -> nx.Graph:
    """Bipartite graph: commissioners — providers they name (edge weight = intentions)."""
    g = nx.Graph()
    for it in queries.snapshot.intentions.values():
        c = it["commissioner"]
        g.add_node(("c", c["code"] or c["id"]), kind="commissioner", name=c["name"], id=c["id"])
        for p in it["providers"]:
            if not p["code"]:
                continue
            node = ("p", p["code"])
            g.add_node(node, kind="provider", name=p["name"])
            if g.has_edge(("c", c["code"] or c["id"]), node):
                g.edges[("c", c["code"] or c["id"]), node]["intentions"].append(it["id"])
            else:
                g.add_edge(("c", c["code"] or c["id"]), node, intentions=[it["id"]])
    return g


def overlaps(queries: Queries, min_similarity: float = 0.3, max_theme_pairs: int = 200) -> dict[str, Any]:
    items = queries.snapshot.sorted()
    g = commissioner_provider_graph(queries)
    comms = {n[1]: d for n, d in g.nodes(data=True) if d["kind"] == "commissioner"}
    shared_providers = []
    for a, b in combinations(sorted(comms), 2):
        pa = {n for n in g.neighbors(("c", a))}
        pb = {n for n in g.neighbors(("c", b))}
        common = sorted(pa & pb)
        if not common:
            continue
        ids = sorted({i for p in common for i in g.edges[("c", a), p]["intentions"] + g.edges[("c", b), p]["intentions"]})
        shared_providers.append({
            "a": a, "b": b,
            "providers": [{"code": p[1], "name": g.nodes[p]["name"]} for p in common],
            "intentions": ids,
        })
    between = nx.betweenness_centrality(g) if g.number_of_nodes() > 2 else {}
    bridging = sorted(
        ({"code": n[1], "name": d["name"], "commissioners": sorted(c[1] for c in g.neighbors(n)),
          "betweenness": round(between.get(n, 0.0), 4)}
         for n, d in g.nodes(data=True) if d["kind"] == "provider"),
        key=lambda e: (-len(e["commissioners"]), -e["betweenness"], e["code"]),
    )
    return {
        "commissioners": [{"code": k, "name": v["name"], "id": v["id"]} for k, v in sorted(comms.items())],
        "shared_providers": shared_providers,
        "shared_themes": shared_themes(items, min_similarity, max_theme_pairs),
        "bridging_providers": [b for b in bridging if len(b["commissioners"]) > 1],
    }


def shared_themes(items: list[dict[str, Any]], min_similarity: float = 0.3, limit: int = 200) -> list[dict[str, Any]]:
    """Pairs of commissioners working on the same theme: a shared pathway concept, or intentions
    whose text is similar (TF-IDF cosine ≥ min_similarity), each with the intentions behind it."""
    out: dict[tuple[str, str, str], dict[str, Any]] = {}

    def add(a_it, b_it, theme, score, how):
        a, b = sorted([a_it["commissioner"]["code"] or a_it["commissioner"]["id"],
                       b_it["commissioner"]["code"] or b_it["commissioner"]["id"]])
        key = (a, b, theme)
        e = out.setdefault(key, {"a": a, "b": b, "theme": theme, "score": 0.0, "how": how, "intentions": []})
        e["score"] = round(max(e["score"], score), 3)
        for i in (a_it["id"], b_it["id"]):
            if i not in e["intentions"]:
                e["intentions"].append(i)

    by_pathway: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for it in items:
        if it["pathway"]:
            by_pathway[_norm(it["pathway"])].append(it)
    for theme, its in by_pathway.items():
        for x, y in combinations(its, 2):
            if x["commissioner"]["id"] != y["commissioner"]["id"]:
                add(x, y, theme, 1.0, "same pathway")
    if len(items) >= 2:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.metrics.pairwise import cosine_similarity

        docs = [f"{it['title']} {it['pathway'] or ''} {it['text']}" for it in items]
        vec = TfidfVectorizer(stop_words="english", min_df=1, max_df=0.5, ngram_range=(1, 2), sublinear_tf=True)
        try:
            m = vec.fit_transform(docs)
        except ValueError:  # empty vocabulary
            return list(out.values())
        sims = cosine_similarity(m)
        terms = vec.get_feature_names_out()
        pairs = []
        for i, j in zip(*((sims >= min_similarity).nonzero())):
            if i < j and items[i]["commissioner"]["id"] != items[j]["commissioner"]["id"]:
                pairs.append((sims[i, j], i, j))
        for score, i, j in sorted(pairs, reverse=True)[:limit]:
            shared = m[i].multiply(m[j]).toarray().ravel()
            top = [terms[k] for k in shared.argsort()[::-1][:3] if shared[k] > 0]
            add(items[i], items[j], " / ".join(top) or "similar text", float(score), "similar text (TF-IDF cosine)")
    return sorted(out.values(), key=lambda e: (-e["score"], e["a"], e["b"], e["theme"]))


def theme_search(queries: Queries, theme: str) -> dict[str, Any]:
    """"Who else is changing dermatology?": intentions on a theme, grouped by commissioner."""
    answer = queries.intentions(IntentionQuery(text=theme, limit=10**9))
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for it in answer.results:
        groups[it["commissioner"]["name"] or it["commissioner"]["id"]].append(it)
    return {"theme": theme, "commissioners": {k: [i["id"] for i in v] for k, v in groups.items()},
            "results": answer.results, "total": answer.total}
