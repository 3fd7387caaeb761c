"""Provider-impact network maps.

Two builders turn query results (plain dicts, as returned by the query layer) into a
:class:`MapModel`, a renderer-neutral list of nodes and edges:

* :func:`provider_map` - intentions, the providers they affect, their commissioners and
  programmes;
* :func:`overlap_map` - commissioners linked by the providers and themes they share.

:func:`render_html` turns a model into ONE self-contained HTML page (vis-network, vendored
from the pyvis package, inlined; no request leaves the page), and
:func:`cigraph.viz.static_image.render_png` / ``render_svg`` into a slide-sized picture.

Everything that comes from a document (titles, names, text) is untrusted. The page never
feeds it to ``innerHTML``: the data travels as JSON in a ``<script type="application/json">``
block with ``<``, ``>`` and ``&`` escaped, labels are drawn on a canvas, and tooltips are
built as DOM elements with ``textContent``. A Content-Security-Policy that allows only the
page's own scripts (by hash) and no network access backs this up.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal
from urllib.parse import urlsplit

import jinja2
import networkx as nx
from markupsafe import Markup
from pyvis.network import Network

__all__ = [
    "EDGE_STYLES",
    "NODE_STYLES",
    "EdgeStyle",
    "MapEdge",
    "MapModel",
    "MapNode",
    "NodeStyle",
    "Tooltip",
    "embed_snippet",
    "layout",
    "money_in_pounds",
    "overlap_map",
    "provider_map",
    "render_html",
]

# --------------------------------------------------------------------------------------
# Visual vocabulary (shared with static_image). Colours are from the NHS identity palette.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeStyle:
    """How one node type looks: vis-network ``shape`` and the matplotlib ``marker``."""

    label: str
    color: str
    border: str
    shape: str
    marker: str


@dataclass(frozen=True)
class EdgeStyle:
    """How one kind of link looks. ``dashes`` is a vis-network dash pattern (None = solid)."""

    label: str
    color: str
    width: float
    dashes: tuple[int, ...] | None = None


NODE_STYLES: dict[str, NodeStyle] = {
    "provider": NodeStyle("Provider", "#005EB8", "#003087", "dot", "o"),
    "provider-group": NodeStyle("Provider group", "#00A499", "#006747", "hexagon", "h"),
    "intention": NodeStyle("Intention", "#AEB7BD", "#425563", "square", "s"),
    "commissioner": NodeStyle("Commissioner", "#FFB81C", "#ED8B00", "triangle", "^"),
    "programme": NodeStyle("Programme", "#AE2573", "#7C2855", "star", "*"),
}

EDGE_STYLES: dict[str, EdgeStyle] = {
    "named": EdgeStyle("Named provider", "#425563", 2.0),
    "lead": EdgeStyle("Lead provider", "#003087", 4.0),
    "generic": EdgeStyle("Generic (provider group)", "#00A499", 1.5, (2, 5)),
    "inferred": EdgeStyle("Inferred link", "#ED8B00", 2.0, (8, 6)),
    "via-successor": EdgeStyle("Via successor", "#330072", 2.0, (12, 4, 2, 4)),
    "succession": EdgeStyle("Succeeded by", "#330072", 1.5, (4, 4)),
    "commissions": EdgeStyle("Commissioner → intention", "#768692", 1.0),
    "programme": EdgeStyle("Intention in programme", "#D9A9C6", 1.0),
    "shared-providers": EdgeStyle("Shared providers", "#005EB8", 2.0),
    "shared-theme": EdgeStyle("Shared theme", "#AE2573", 2.0, (8, 6)),
}

#: Colour of the ring drawn round the node(s) the map was asked about.
FOCUS_COLOR = "#DA291C"

_UNIT_FACTORS = {
    "gbp": 1.0,
    "gbp_thousand": 1e3,
    "gbp_k": 1e3,
    "gbp_million": 1e6,
    "gbp_m": 1e6,
    "gbp_billion": 1e9,
}

MIN_SIZE, MAX_SIZE, INTENTION_SIZE = 12.0, 42.0, 7.0
LABEL_MAX = 32
SizeBy = Literal["count", "money"]

# --------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------


@dataclass
class Tooltip:
    """A tooltip as data: a heading and (name, value) rows. Rendered with ``textContent``."""

    heading: str
    rows: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str, value: object) -> None:
        """Append a row, skipping empty values."""
        if value not in (None, "", [], ()):
            self.rows.append((name, str(value)))


@dataclass
class MapNode:
    """One node. ``quarters``/``programmes`` drive the page's filters."""

    id: str
    label: str
    type: str
    color: str
    shape: str
    size: float
    tooltip: Tooltip
    quarters: list[str] = field(default_factory=list)
    programmes: list[str] = field(default_factory=list)
    count: int = 0
    money: float = 0.0
    focus: bool = False


@dataclass
class MapEdge:
    """One link. ``always`` links (successions) ignore the filters but need both ends shown."""

    id: str
    source: str
    target: str
    style: str
    color: str
    width: float
    dashes: list[int] | None
    tooltip: Tooltip
    quarters: list[str] = field(default_factory=list)
    programmes: list[str] = field(default_factory=list)
    label: str = ""
    always: bool = False


@dataclass
class MapModel:
    """A renderer-neutral network map."""

    title: str
    kind: Literal["provider", "overlap"]
    nodes: list[MapNode]
    edges: list[MapEdge]
    focus: list[str] = field(default_factory=list)
    size_by: SizeBy = "count"
    #: Node types filtered on their own quarters/programmes; the others are shown when a
    #: shown link reaches them.
    anchor_types: tuple[str, ...] = ("intention",)

    def node_types(self) -> list[str]:
        """Node types present, in legend order."""
        present = {n.type for n in self.nodes}
        return [t for t in NODE_STYLES if t in present]

    def edge_styles(self) -> list[str]:
        """Edge styles present, in legend order."""
        present = {e.style for e in self.edges}
        return [s for s in EDGE_STYLES if s in present]

    def legend(self) -> list[dict[str, Any]]:
        """Legend entries for the node types and link styles present in the map."""
        entries: list[dict[str, Any]] = []
        for t in self.node_types():
            st = NODE_STYLES[t]
            entries.append({"kind": "node", "key": t, "label": st.label, "color": st.color,
                            "border": st.border, "shape": st.shape, "marker": st.marker})
        for s in self.edge_styles():
            st = EDGE_STYLES[s]
            entries.append({"kind": "edge", "key": s, "label": st.label, "color": st.color,
                            "width": st.width, "dashes": list(st.dashes or [])})
        if self.focus:
            entries.append({"kind": "focus", "key": "focus", "label": "Asked-about provider",
                            "color": FOCUS_COLOR})
        return entries

    def quarters(self) -> list[str]:
        """All quarter labels in the map, sorted (``FY2018/19 Q4`` sorts correctly)."""
        return sorted({q for item in [*self.nodes, *self.edges] for q in item.quarters})

    def programmes(self) -> list[str]:
        """All programme (or theme) names in the map, sorted case-insensitively."""
        names = {p for item in [*self.nodes, *self.edges] for p in item.programmes}
        return sorted(names, key=str.casefold)

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON-ready plain data."""
        return asdict(self) | {"legend": self.legend(), "filters": {
            "quarters": self.quarters(), "programmes": self.programmes()}}


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def truncate(text: str | None, limit: int = LABEL_MAX) -> str:
    """Drop control characters, collapse whitespace and cut to ``limit`` characters (…)."""
    text = " ".join(_CONTROL.sub("", text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def money_in_pounds(item: Mapping[str, Any]) -> float | None:
    """A money item's amount in pounds, or None if its unit is unknown."""
    factor = _UNIT_FACTORS.get(str(item.get("unit") or "GBP").casefold())
    amount = item.get("amount")
    if factor is None or not isinstance(amount, int | float):
        return None
    return float(amount) * factor


def format_pounds(pounds: float) -> str:
    """``120000`` -> ``£120k``; ``2.5e6`` -> ``£2.5m``."""
    sign = "-" if pounds < 0 else ""
    value = abs(pounds)
    for factor, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if value >= factor:
            return f"{sign}£{value / factor:,.3g}{suffix}"
    return f"{sign}£{value:,.0f}"


def _money_text(item: Mapping[str, Any]) -> str:
    pounds = money_in_pounds(item)
    amount = format_pounds(pounds) if pounds is not None else f"{item.get('amount')} {item.get('unit')}"
    parts = [amount, item.get("measure") or ""]
    if item.get("provider"):
        parts.append(f"({item['provider']})")
    return " ".join(p for p in parts if p)


def source_ref(source: Mapping[str, Any] | None) -> str:
    """``document:line`` (``document:line-end_line`` for a span)."""
    if not source:
        return ""
    ref = f"{source.get('document', '?')}:{source.get('line', '?')}"
    end = source.get("end_line")
    if end and end != source.get("line"):
        ref += f"-{end}"
    return ref


def _quarters(intention: Mapping[str, Any]) -> list[str]:
    found: dict[str, None] = {}
    for period in intention.get("periods") or []:
        for q in period.get("quarters") or []:
            found[q] = None
    return list(found)


def _period_text(intention: Mapping[str, Any]) -> str:
    labels = []
    for p in intention.get("periods") or []:
        label = p.get("label") or ""
        if p.get("text") and p.get("text") != label:
            label = f"{label} (“{p['text']}”)" if label else p["text"]
        labels.append(label)
    return "; ".join(filter(None, labels))


def _org_name(org: Mapping[str, Any]) -> str:
    return str(org.get("name") or org.get("code") or org.get("id") or "?")


def _org_id(org: Mapping[str, Any], prefix: str) -> str:
    return str(org.get("id") or f"{prefix}:{org.get('code') or org.get('name')}")


def _join_limited(values: Iterable[str], limit: int = 8) -> str:
    values = list(values)
    shown = ", ".join(values[:limit])
    return shown + (f" (+{len(values) - limit} more)" if len(values) > limit else "")


def _scale(values: dict[str, float]) -> dict[str, float]:
    """Map values to node sizes by area (sqrt), between MIN_SIZE and MAX_SIZE."""
    top = max(values.values(), default=0.0)
    if top <= 0:
        return {k: MIN_SIZE for k in values}
    return {k: MIN_SIZE + (MAX_SIZE - MIN_SIZE) * math.sqrt(max(v, 0.0) / top)
            for k, v in values.items()}


def _edge_style(link: Mapping[str, Any]) -> str:
    role = (link.get("role") or "named").casefold()
    if role == "via-successor" or link.get("via"):
        return "via-successor"
    if role == "generic" or link.get("kind") == "group":
        return "generic"
    if link.get("inferred"):
        return "inferred"
    return "lead" if role == "lead" else "named"


# Stronger links win when one intention reaches the same provider twice.
_EDGE_PRIORITY = {"lead": 0, "named": 1, "inferred": 2, "via-successor": 3, "generic": 4}


class _Builder:
    """Accumulates nodes and edges, merging repeats."""

    def __init__(self) -> None:
        self.nodes: dict[str, MapNode] = {}
        self.edges: dict[str, MapEdge] = {}
        self.intentions: dict[str, set[str]] = defaultdict(set)   # node id -> intention ids
        self.sources: dict[str, list[str]] = defaultdict(list)
        self.money: dict[str, float] = defaultdict(float)

    def node(self, node_id: str, label: str, type_: str, tooltip: Tooltip) -> MapNode:
        if node_id not in self.nodes:
            st = NODE_STYLES[type_]
            self.nodes[node_id] = MapNode(node_id, truncate(label), type_, st.color, st.shape,
                                          MIN_SIZE, tooltip)
        return self.nodes[node_id]

    def touch(self, node: MapNode, intention: Mapping[str, Any], quarters: list[str],
              programme: str | None) -> bool:
        """Record that ``intention`` reaches ``node`` (for counts, filters and tooltips).

        Returns False when it had already been recorded.
        """
        iid = str(intention.get("id"))
        if iid in self.intentions[node.id]:
            return False
        self.intentions[node.id].add(iid)
        node.quarters.extend(q for q in quarters if q not in node.quarters)
        if programme and programme not in node.programmes:
            node.programmes.append(programme)
        if ref := source_ref(intention.get("source")):
            self.sources[node.id].append(ref)
        return True

    def edge(self, source: str, target: str, style: str, tooltip: Tooltip, *,
             quarters: Sequence[str] = (), programmes: Sequence[str] = (),
             always: bool = False, width: float | None = None, label: str = "",
             key: str = "") -> MapEdge:
        """Add a link; ``key`` tells apart several links between the same two nodes."""
        edge_id = f"{source}→{target}" + (f"#{key}" if key else "")
        old = self.edges.get(edge_id)
        if old is not None and _EDGE_PRIORITY.get(old.style, 9) <= _EDGE_PRIORITY.get(style, 9):
            return old
        st = EDGE_STYLES[style]
        self.edges[edge_id] = MapEdge(
            edge_id, source, target, style, st.color, st.width if width is None else width,
            list(st.dashes) if st.dashes else None, tooltip, list(quarters), list(programmes),
            label, always)
        return self.edges[edge_id]


# --------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------


def provider_map(intentions: Iterable[Mapping[str, Any]], focus: str | None = None,
                 title: str = "Provider impact map", size_by: SizeBy = "count") -> MapModel:
    """Build the map of ``intentions`` and everything they touch.

    Nodes: one per intention, provider, provider group, commissioner and programme.
    Links: commissioner → intention, intention → programme, intention → provider (styled
    by role: named, lead, generic, inferred, via-successor) and predecessor → successor.

    ``focus`` (a provider code, id or name, case-insensitive) rings the matching provider.
    ``size_by`` sizes providers, groups, commissioners and programmes by their number of
    intentions (``"count"``) or by the money attached (``"money"``; intentions too).
    """
    if size_by not in ("count", "money"):
        raise ValueError(f"size_by must be 'count' or 'money', not {size_by!r}")
    b = _Builder()
    wanted = (focus or "").strip().casefold()
    focus_ids: dict[str, None] = {}
    code_ids: dict[str, str] = {}  # provider code -> node id
    successions: list[tuple[Mapping[str, Any], str, str]] = []

    for it in intentions:
        iid = str(it.get("id"))
        programme = it.get("programme") or None
        programmes = [programme] if programme else []
        quarters = _quarters(it)
        ref = source_ref(it.get("source"))
        money_items = list(it.get("money") or [])
        total = sum(p for m in money_items if (p := money_in_pounds(m)) is not None)

        tip = Tooltip(truncate(it.get("title") or "(untitled intention)", 200))
        tip.add("Programme", programme)
        if it.get("pathway") and it.get("pathway") != it.get("title"):
            tip.add("Pathway", it.get("pathway"))
        if comm := it.get("commissioner"):
            tip.add("Commissioner", f"{_org_name(comm)} ({comm.get('code')})"
                    if comm.get("code") else _org_name(comm))
        tip.add("Periods", _period_text(it))
        tip.add("Providers", "; ".join(
            f"{_org_name(p)} ({p.get('role') or 'named'}{', inferred' if p.get('inferred') else ''})"
            for p in it.get("providers") or []))
        tip.add("Money", "; ".join(_money_text(m) for m in money_items))
        tip.add("Source", ref)
        tip.add("Excerpt", truncate(it.get("text"), 280))

        inode = b.node(iid, it.get("title") or "(untitled)", "intention", tip)
        b.touch(inode, it, quarters, programme)
        inode.money += total

        def link_tip(kind: str, extra: Iterable[tuple[str, object]] = (), full: bool = True) -> Tooltip:
            t = Tooltip(kind)
            t.add("Intention", truncate(it.get("title"), 120))
            for name, value in extra:
                t.add(name, value)
            if full:  # structural links leave periods and source to the intention node
                t.add("Periods", _period_text(it))
                t.add("Source", ref)
            return t

        if comm := it.get("commissioner"):
            cid = _org_id(comm, "org")
            ctip = Tooltip(_org_name(comm))
            ctip.add("Code", comm.get("code"))
            cnode = b.node(cid, _org_name(comm), "commissioner", ctip)
            if b.touch(cnode, it, quarters, programme):
                b.money[cid] += total
            b.edge(cid, iid, "commissions", link_tip("Commissions", full=False),
                   quarters=quarters, programmes=programmes)

        if programme:
            pid = f"programme:{programme}"
            pnode = b.node(pid, programme, "programme", Tooltip(programme))
            if b.touch(pnode, it, quarters, programme):
                b.money[pid] += total
            b.edge(iid, pid, "programme", link_tip("In programme", [("Programme", programme)], full=False),
                   quarters=quarters, programmes=programmes)

        for prov in it.get("providers") or []:
            is_group = prov.get("kind") == "group"
            pid = _org_id(prov, "group" if is_group else "org")
            ptip = Tooltip(_org_name(prov))
            ptip.add("Code", prov.get("code"))
            ptip.add("Kind", "provider group" if is_group else prov.get("kind"))
            pnode = b.node(pid, _org_name(prov), "provider-group" if is_group else "provider", ptip)
            if b.touch(pnode, it, quarters, programme):
                b.money[pid] += sum(
                    p for m in money_items
                    if m.get("provider") and m.get("provider") == prov.get("code")
                    and (p := money_in_pounds(m)) is not None)
            if wanted and wanted in {str(prov.get(k) or "").casefold() for k in ("code", "id", "name")}:
                focus_ids[pid] = None

            style = _edge_style(prov)
            via = prov.get("via") or None
            extra = [("Role", prov.get("role")), ("Match", prov.get("method")),
                     ("Inferred", "yes" if prov.get("inferred") else "no")]
            if via:
                extra.append(("Via", f"{_org_name(via)} ({via.get('code')})"
                              if via.get("code") else _org_name(via)))
            b.edge(iid, pid, style, link_tip(EDGE_STYLES[style].label, extra),
                   quarters=quarters, programmes=programmes)

            if via:
                successions.append((via, pid, _org_name(prov)))
            if prov.get("code") and not is_group:
                code_ids.setdefault(str(prov["code"]), pid)

    # Predecessor → successor links; the predecessor is the provider node with its code
    # when the map has one (``via`` carries only code and name).
    for via, pid, successor in successions:
        vid = str(via.get("id") or code_ids.get(str(via.get("code"))) or _org_id(via, "org"))
        vtip = Tooltip(_org_name(via))
        vtip.add("Code", via.get("code"))
        b.node(vid, _org_name(via), "provider", vtip).tooltip.add("Succeeded by", successor)
        if wanted and wanted in {str(via.get(k) or "").casefold() for k in ("code", "id", "name")}:
            focus_ids[vid] = None
        stip = Tooltip("Succeeded by")
        stip.add("Predecessor", _org_name(via))
        stip.add("Successor", successor)
        b.edge(vid, pid, "succession", stip, always=True)

    _finish(b, size_by)
    for fid in focus_ids:
        b.nodes[fid].focus = True
    return MapModel(title, "provider", list(b.nodes.values()), list(b.edges.values()),
                    list(focus_ids), size_by)


def _finish(b: _Builder, size_by: SizeBy) -> None:
    """Fill counts, money, sizes and summary tooltip rows once every intention is in."""
    hubs: dict[str, float] = {}
    for node in b.nodes.values():
        node.count = len(b.intentions[node.id])
        if node.type == "intention":
            continue
        node.money = b.money.get(node.id, 0.0)
        hubs[node.id] = node.money if size_by == "money" else float(node.count)
        node.tooltip.add("Intentions", node.count)
        if node.money:
            node.tooltip.add("Money", format_pounds(node.money))
        node.tooltip.add("Quarters", _join_limited(sorted(node.quarters)))
        if node.type != "programme":
            node.tooltip.add("Programmes", _join_limited(sorted(node.programmes, key=str.casefold)))
        node.tooltip.add("Sources", _join_limited(b.sources[node.id], 5))
    for node_id, size in _scale(hubs).items():
        b.nodes[node_id].size = round(size, 1)

    intentions = [n for n in b.nodes.values() if n.type == "intention"]
    if size_by == "money":
        top = max((n.money for n in intentions), default=0.0)
        for n in intentions:
            n.size = round(INTENTION_SIZE + (18 - INTENTION_SIZE) * math.sqrt(n.money / top), 1) \
                if top > 0 else INTENTION_SIZE
    else:
        for n in intentions:
            n.size = INTENTION_SIZE


def overlap_map(overlaps: Mapping[str, Any], title: str = "Commissioner overlaps") -> MapModel:
    """Build the commissioner overlap map.

    Nodes are commissioners, sized by the number of intentions involved in their overlaps.
    A solid link joins two commissioners that name the same providers (width grows with
    the number of providers); a dashed link per shared theme (width grows with its score).
    The page's programme filter lists the themes.
    """
    b = _Builder()
    names: dict[str, str] = {}
    ids: dict[str, str] = {}
    for comm in overlaps.get("commissioners") or []:
        code = str(comm.get("code") or comm.get("id"))
        names[code] = _org_name(comm)
        ids[code] = _org_id(comm, "org")
        tip = Tooltip(_org_name(comm))
        tip.add("Code", comm.get("code"))
        b.node(ids[code], _org_name(comm), "commissioner", tip)

    def ensure(code: str) -> str:
        if code not in ids:  # a pair naming a commissioner missing from the list
            ids[code], names[code] = f"org:{code}", code
            b.node(ids[code], code, "commissioner", Tooltip(code))
        return ids[code]

    def involve(code: str, intention_ids: Iterable[str]) -> None:
        b.intentions[ensure(code)].update(map(str, intention_ids))

    shared = list(overlaps.get("shared_providers") or [])
    most = max((len(s.get("providers") or []) for s in shared), default=1) or 1
    for s in shared:
        a, c = str(s.get("a")), str(s.get("b"))
        providers = s.get("providers") or []
        intention_ids = s.get("intentions") or []
        involve(a, intention_ids)
        involve(c, intention_ids)
        tip = Tooltip(f"{names.get(a, a)} and {names.get(c, c)} share {len(providers)} provider"
                      + ("" if len(providers) == 1 else "s"))
        tip.add("Providers", _join_limited(
            [f"{_org_name(p)} ({p['code']})" if p.get("code") else _org_name(p) for p in providers], 12))
        tip.add("Intentions", len(intention_ids))
        b.edge(ensure(a), ensure(c), "shared-providers", tip,
               width=round(1.5 + 6.5 * len(providers) / most, 1), label=str(len(providers)))

    for s in overlaps.get("shared_themes") or []:
        a, c, theme = str(s.get("a")), str(s.get("b")), str(s.get("theme") or "?")
        score = float(s.get("score") or 0.0)
        intention_ids = s.get("intentions") or []
        involve(a, intention_ids)
        involve(c, intention_ids)
        tip = Tooltip(f"Shared theme: {theme}")
        tip.add("Between", f"{names.get(a, a)} and {names.get(c, c)}")
        tip.add("Score", f"{score:.2f}")
        tip.add("Intentions", len(intention_ids))
        b.edge(ensure(a), ensure(c), "shared-theme", tip, programmes=[theme], key=theme,
               width=round(1.0 + 6.0 * min(max(score, 0.0), 1.0), 1), label=truncate(theme, 24))
        for node_id in (ensure(a), ensure(c)):
            if theme not in b.nodes[node_id].programmes:
                b.nodes[node_id].programmes.append(theme)

    sizes = _scale({nid: float(len(b.intentions[nid])) for nid in b.nodes})
    for node in b.nodes.values():
        node.count = len(b.intentions[node.id])
        node.size = round(sizes[node.id], 1)
        node.tooltip.add("Intentions in overlaps", node.count)
        node.tooltip.add("Shared themes", _join_limited(sorted(node.programmes, key=str.casefold)))
    return MapModel(title, "overlap", list(b.nodes.values()), list(b.edges.values()),
                    anchor_types=())


# --------------------------------------------------------------------------------------
# Layout (shared by the static images and, for large maps, the page's starting positions)
# --------------------------------------------------------------------------------------

LAYOUT_SEED = 42
#: Maps with more nodes than this start from :func:`layout` and stabilise briefly.
LARGE_MAP = 300
STABILIZATION_SMALL, STABILIZATION_LARGE = 400, 40

def layout(model: MapModel, seed: int = LAYOUT_SEED) -> dict[str, tuple[float, float]]:
    """Node positions in [-0.9, 0.9]², the same for the same model every time.

    Small maps get a Kamada-Kawai layout. Large ones (where networkx's spring layouts take
    tens of seconds) lay out only the hubs - every node not of an anchor type, i.e. not an
    intention - with a seeded spring layout of the hub graph (hubs joined by the intentions
    they share), then put each intention at the centre of its hubs, with seeded jitter.
    """
    graph = nx.Graph()
    graph.add_nodes_from(n.id for n in model.nodes)
    graph.add_edges_from((e.source, e.target) for e in model.edges)
    if graph.number_of_nodes() == 0:
        return {}
    if graph.number_of_nodes() == 1:
        return {next(iter(graph.nodes)): (0.0, 0.0)}
    if graph.number_of_nodes() <= 250:
        pos = nx.kamada_kawai_layout(graph, pos=nx.spring_layout(graph, seed=seed))
    else:
        pos = _hub_layout(model, graph, seed)
    # Stretch each axis to [-0.9, 0.9] separately: the slide is wider than it is tall.
    xs = [x for x, _ in pos.values()]
    ys = [y for _, y in pos.values()]

    def stretch(v: float, lo: float, hi: float) -> float:
        return 0.0 if hi - lo < 1e-9 else 0.9 * (2 * (v - lo) / (hi - lo) - 1)

    return {node: (stretch(float(x), min(xs), max(xs)), stretch(float(y), min(ys), max(ys)))
            for node, (x, y) in pos.items()}


def _hub_layout(model: MapModel, graph: nx.Graph, seed: int) -> dict[str, tuple[float, float]]:
    anchors = {n.id for n in model.nodes if n.type in model.anchor_types}
    hubs = nx.Graph()
    hubs.add_nodes_from(n.id for n in model.nodes if n.id not in anchors)
    for u, v in graph.edges:
        if u not in anchors and v not in anchors:
            hubs.add_edge(u, v, weight=1.0)
    for anchor in anchors:
        around = sorted(v for v in graph[anchor] if v not in anchors)
        for i, u in enumerate(around):
            for v in around[i + 1:]:
                weight = hubs.get_edge_data(u, v, {"weight": 0.0})["weight"]
                hubs.add_edge(u, v, weight=weight + 1.0)
    if hubs.number_of_nodes() > 600:  # no hub structure to speak of: plain spring layout
        return nx.spring_layout(graph, seed=seed, iterations=30)
    pos = nx.spring_layout(hubs, seed=seed, weight="weight", iterations=100,
                           k=1.5 / max(hubs.number_of_nodes(), 1) ** 0.5) if hubs else {}
    rng = random.Random(seed)
    for anchor in sorted(anchors):
        around = [pos[v] for v in graph[anchor] if v in pos]
        if around:
            x = sum(p[0] for p in around) / len(around)
            y = sum(p[1] for p in around) / len(around)
        else:
            x, y = rng.uniform(-1, 1), rng.uniform(-1, 1)
        pos[anchor] = (x + rng.gauss(0, 0.03), y + rng.gauss(0, 0.03))
    return pos


# --------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------

_JSON_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                               "\u2028": "\\u2028", "\u2029": "\\u2029"})


def json_for_script(data: Any) -> Markup:
    """JSON safe to place inside ``<script type="application/json">``: no ``<``, ``>`` or ``&``."""
    return Markup(json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_JSON_ESCAPES))


@cache
def _static(name: str) -> str:
    text = resources.files("cigraph.viz").joinpath("static", name).read_text(encoding="utf-8")
    if re.search(r"</(script|style)|<!--", text, re.IGNORECASE):
        raise ValueError(f"{name} cannot be inlined safely: it contains an HTML end-tag sequence")
    return text


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("cigraph.viz", "templates"),
        autoescape=True,  # the template is .html.j2, so say it explicitly
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _app_js() -> str:
    """The page script, verbatim (not rendered: it is code, not a template)."""
    text = resources.files("cigraph.viz").joinpath("templates", "map_app.js").read_text(encoding="utf-8")
    if re.search(r"</script|<!--", text, re.IGNORECASE):
        raise ValueError("map_app.js cannot be inlined safely")
    return text


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def parallel_ranks(model: MapModel) -> dict[str, float]:
    """Rank of each link among the links joining the same two nodes, centred on 0.

    Renderers bend or offset parallel links by their rank so that they do not overlap.
    """
    groups: dict[frozenset[str], list[str]] = defaultdict(list)
    for e in model.edges:
        groups[frozenset((e.source, e.target))].append(e.id)
    return {edge_id: k - (len(ids) - 1) / 2
            for ids in groups.values() for k, edge_id in enumerate(ids)}


def _network(model: MapModel) -> Network:
    """The pyvis network for ``model``: vis-network node/edge records and options."""
    # Always "directed": pyvis drops a second undirected link between the same two nodes
    # (e.g. two shared themes); arrows are switched per link instead.
    net = Network(height="100%", width="100%", directed=True, cdn_resources="in_line")
    arrows = "to" if model.kind == "provider" else ""  # size from options.edges.arrows
    for n in model.nodes:
        st = NODE_STYLES[n.type]
        border = FOCUS_COLOR if n.focus else st.border
        net.add_node(
            n.id, label=n.label, shape=n.shape, size=n.size,
            color={"background": n.color, "border": border,
                   "highlight": {"background": n.color,
                                 "border": FOCUS_COLOR if n.focus else "#212B32"},
                   "hover": {"background": n.color, "border": "#212B32"}},
            borderWidth=5 if n.focus else 1.5,
            font={"size": 18 if n.focus or n.type != "intention" else 12,
                  "bold": n.focus},
            # Read by the page script; vis-network ignores fields it does not know.
            type=n.type, quarters=n.quarters, programmes=n.programmes,
            tooltip=asdict(n.tooltip), count=n.count, focus=n.focus,
        )
    large = len(model.nodes) > LARGE_MAP
    if large:
        # Start from the (fast, seeded) networkx hub layout, so that a short stabilisation
        # only tidies up: vis-network's own start for thousands of nodes is slow to settle.
        scale = 45.0 * math.sqrt(len(model.nodes))
        positions = layout(model)
        for node in net.nodes:
            x, y = positions[node["id"]]
            node["x"], node["y"] = round(x * scale * 16 / 9, 1), round(-y * scale, 1)
    ranks = parallel_ranks(model)
    for e in model.edges:
        extra = {}
        if ranks[e.id]:  # bend parallel links apart, alternately either side
            extra["smooth"] = {"enabled": True, "type": "curvedCW" if ranks[e.id] > 0 else "curvedCCW",
                               "roundness": round(0.25 * abs(ranks[e.id]), 2)}
        net.add_edge(
            e.source, e.target, id=e.id, width=e.width, dashes=e.dashes or False,
            color={"color": e.color},  # highlight, hover and opacity come from the options
            arrows=arrows,
            label=e.label or None, style=e.style, quarters=e.quarters, programmes=e.programmes,
            tooltip=asdict(e.tooltip), always=e.always, **extra,
        )
    spring = 90 if large else 240 if model.kind == "overlap" else 130
    net.force_atlas_2based(gravity=-60 if large else -160, central_gravity=0.012, spring_length=spring,
                           spring_strength=0.06, damping=0.5, overlap=0 if large else 0.6)
    net.set_edge_smooth("continuous")
    net.toggle_hide_edges_on_drag(large)
    options = json.loads(net.options.to_json())
    options["physics"]["minVelocity"] = 1.0
    if large:  # coarser Barnes-Hut approximation: faster iterations, same picture
        options["physics"]["forceAtlas2Based"]["theta"] = 0.9
    options["physics"]["stabilization"] |= {
        # Enough iterations to untangle a small map; large ones are capped so they open fast.
        "iterations": STABILIZATION_SMALL if not large else STABILIZATION_LARGE,
        "updateInterval": 25,
        "fit": True,
    }
    options["edges"] = {
        "smooth": False if large else {"enabled": True, "type": "continuous", "roundness": 0.3},
        "font": {"size": 12, "color": "#425563", "strokeWidth": 3, "strokeColor": "#ffffff",
                 "align": "middle"},
        "selectionWidth": 2,
        "arrows": {"to": {"scaleFactor": 0.5}},
        "color": {"highlight": "#212B32", "hover": "#212B32", "inherit": False, "opacity": 0.9},
    }
    options["nodes"] = {"font": {"face": "Arial, Helvetica, sans-serif", "color": "#212B32",
                                 "strokeWidth": 4, "strokeColor": "#ffffff"},
                        "scaling": {"label": {"drawThreshold": 7}}}
    options["interaction"] |= {"hover": True, "tooltipDelay": 120, "navigationButtons": False,
                               "keyboard": {"enabled": True, "bindToWindow": False},
                               "multiselect": True}
    options["layout"] = {"randomSeed": 7, "improvedLayout": not large}
    net.options = options
    return net


def render_html(model: MapModel, title: str | None = None) -> str:
    """Render ``model`` as one self-contained HTML page (no external resources at all).

    The page has the map, a legend, quarter and programme filters, and hover tooltips
    showing titles, periods and sources (``document:line``).
    """
    title = title if title is not None else model.title
    net = _network(model)
    nodes, edges, _heading, _height, _width, options = net.get_network_data()
    env = _environment()
    app_js = _app_js()
    payload = {
        "title": title,
        "kind": model.kind,
        "nodes": nodes,
        "edges": edges,
        "options": json.loads(options) if isinstance(options, str) else options,
        "anchorTypes": list(model.anchor_types),
        "focus": model.focus,
    }
    vis_js = _static("vis-network.min.js")
    csp = "; ".join([
        "default-src 'none'",
        f"script-src {_csp_hash(vis_js)} {_csp_hash(app_js)}",
        "style-src 'unsafe-inline'",
        "img-src data: blob:",
        "base-uri 'none'",
        "form-action 'none'",
    ])
    counts = {t: sum(1 for n in model.nodes if n.type == t) for t in model.node_types()}
    return env.get_template("map.html.j2").render(
        title=title,
        csp=csp,
        vis_css=Markup(_static("vis-network.min.css")),
        vis_js=Markup(vis_js),
        app_js=Markup(app_js),
        data_json=json_for_script(payload),
        legend=model.legend(),
        quarters=model.quarters(),
        programmes=model.programmes(),
        programme_label="Theme" if model.kind == "overlap" else "Programme",
        counts=counts,
        size_by=model.size_by,
        node_total=len(model.nodes),
        edge_total=len(model.edges),
    )


_CSS_LENGTH = re.compile(r"^\d{1,5}(\.\d+)?(px|%|em|rem|vw|vh)?$")


def embed_snippet(url: str, width: int | str = "100%", height: int | str = 600,
                  title: str = "cigraph impact map") -> str:
    """An ``<iframe>`` snippet that embeds a saved map page.

    ``url`` must be http(s) or relative; every attribute is HTML-escaped, and the frame is
    sandboxed to scripts only (the map needs nothing else).
    """
    scheme = urlsplit(url.strip()).scheme.casefold()
    if scheme not in ("", "http", "https"):
        raise ValueError(f"refusing to embed a {scheme!r} URL")
    sizes = []
    for name, value in (("width", width), ("height", height)):
        text = str(value).strip()
        if not _CSS_LENGTH.match(text):
            raise ValueError(f"bad {name}: {value!r}")
        sizes.append(text)
    return str(Markup(
        '<iframe src="{}" width="{}" height="{}" title="{}" loading="lazy" '
        'sandbox="allow-scripts" referrerpolicy="no-referrer" '
        'style="border:0;max-width:100%"></iframe>'
    ).format(url.strip(), sizes[0], sizes[1], title))
