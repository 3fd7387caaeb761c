"""Static pictures of impact maps, sized for a 16:9 slide.

``maps.layout`` (networkx) gives a deterministic layout and matplotlib draws it with the object-oriented API on the Agg
canvas, so this module is safe to call from a server thread and never opens a window.
Shapes, colours and link styles match the interactive page (see ``maps.NODE_STYLES`` and
``maps.EDGE_STYLES``); a legend is drawn beside the map.
"""
from __future__ import annotations

import io
from collections import defaultdict

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import Bbox

from cigraph.viz.maps import EDGE_STYLES, FOCUS_COLOR, NODE_STYLES, MapModel, layout, parallel_ranks, truncate

__all__ = ["render_png", "render_svg", "SLIDE_SIZE"]

#: Figure size in inches (16:9); at the default 120 dpi a PNG is 1920 x 1080.
SLIDE_SIZE = (16.0, 9.0)
_LABEL_LIMIT = 28
_MAX_LABELS = 45


def _linestyle(dashes: tuple[int, ...] | list[int] | None):
    return "solid" if not dashes else (0, tuple(d / 2 for d in dashes))


def _place_labels(fig: Figure, ax, model: MapModel, pos: dict[str, tuple[float, float]],
                  diameter: dict[str, float], halo: dict) -> None:
    """Label the focus and the hubs first (intentions too when the map is small).

    Each label tries below, above, right and left of its marker and takes the first spot
    that covers no other label and no other marker; a label with no free spot is left out.
    At most ``_MAX_LABELS`` labels.
    """
    candidates = [n for n in model.nodes if n.type != "intention" or len(model.nodes) <= 60]
    candidates.sort(key=lambda n: (not n.focus, n.type == "intention", -n.size, n.label))
    renderer = FigureCanvasAgg(fig).get_renderer()
    px_per_pt = fig.dpi / 72
    markers = {}
    for n in model.nodes:
        x, y = ax.transData.transform(pos[n.id])
        r = diameter[n.id] / 2 * px_per_pt
        markers[n.id] = Bbox.from_extents(x - r, y - r, x + r, y + r)
    placed: list[Bbox] = []
    for n in candidates:
        if len(placed) >= _MAX_LABELS:
            break
        gap = diameter[n.id] / 2 + (6 if n.focus else 3)  # points from the marker's centre
        spots = [((0, -gap), "center", "top"), ((0, gap), "center", "bottom"),
                 ((gap, 0), "left", "center"), ((-gap, 0), "right", "center")]
        for offset, ha, va in spots:
            label = ax.annotate(truncate(n.label, _LABEL_LIMIT), pos[n.id], xytext=offset,
                                textcoords="offset points", ha=ha, va=va,
                                fontsize=11 if n.focus else 9 if n.type != "intention" else 8,
                                fontweight="bold" if n.focus else "normal", color="#212B32",
                                bbox=halo, zorder=5, parse_math=False, annotation_clip=False)
            extent = label.get_window_extent(renderer)
            if any(extent.overlaps(b) for b in placed) or any(
                    extent.overlaps(b) for node_id, b in markers.items() if node_id != n.id):
                label.remove()
                continue
            placed.append(extent)
            break


def _draw(model: MapModel, title: str | None) -> Figure:
    fig = Figure(figsize=SLIDE_SIZE, facecolor="white")
    ax = fig.add_axes((0.01, 0.02, 0.78, 0.88))
    ax.set_axis_off()
    fig.text(0.012, 0.955, truncate(title if title is not None else model.title, 110),
             fontsize=22, fontweight="bold", color="#212B32", va="center", parse_math=False)
    counts = {t: sum(1 for n in model.nodes if n.type == t) for t in model.node_types()}
    fig.text(0.012, 0.915, ", ".join(f"{c} {NODE_STYLES[t].label.lower()}{'' if c == 1 else 's'}"
                                     for t, c in counts.items()) or "Nothing to show",
             fontsize=12, color="#425563", va="center", parse_math=False)

    pos = layout(model)
    n_nodes = max(len(model.nodes), 1)
    shrink = min(1.0, (120 / n_nodes) ** 0.5)

    # Links, one LineCollection per style; parallel links offset sideways.
    ranks = parallel_ranks(model)
    by_style: dict[str, list] = defaultdict(list)
    widths: dict[str, list] = defaultdict(list)
    label_at: dict[str, tuple[float, float]] = {}
    for e in model.edges:
        (x1, y1), (x2, y2) = pos[e.source], pos[e.target]
        dx, dy = x2 - x1, y2 - y1
        length = (dx * dx + dy * dy) ** 0.5 or 1.0
        ox, oy = -dy / length * ranks[e.id] * 0.022, dx / length * ranks[e.id] * 0.022
        by_style[e.style].append([(x1 + ox, y1 + oy), (x2 + ox, y2 + oy)])
        widths[e.style].append(max(0.4, e.width * 0.6 * max(shrink, 0.5)))
        t = 0.5 + 0.18 * ranks[e.id]
        label_at[e.id] = (x1 + ox + t * dx, y1 + oy + t * dy)
    for style in model.edge_styles():
        st = EDGE_STYLES[style]
        ax.add_collection(LineCollection(
            by_style[style], colors=st.color, linewidths=widths[style],
            linestyles=_linestyle(st.dashes), zorder=1,
            alpha=0.85 if len(model.edges) < 500 else 0.3))  # let hubs show through

    # A pale box, not a stroke path effect, keeps labels legible: path effects turn SVG
    # text into outlines, and slides should keep text as text.
    halo = {"boxstyle": "round,pad=0.12", "facecolor": "white", "edgecolor": "none", "alpha": 0.75}
    # Link labels (counts, themes) at the middle of the link.
    for e in model.edges:
        if e.label:
            ax.text(*label_at[e.id], truncate(e.label, 24), fontsize=9, ha="center",
                    va="center", color=e.color, bbox=halo, zorder=2, parse_math=False)

    # Nodes, one scatter per type (so each has its marker), focus rings on top.
    diameter = {n.id: n.size * 1.1 * shrink for n in model.nodes}  # points
    for node_type in model.node_types():
        st = NODE_STYLES[node_type]
        members = [n for n in model.nodes if n.type == node_type]
        ax.scatter([pos[n.id][0] for n in members], [pos[n.id][1] for n in members],
                   s=[diameter[n.id] ** 2 * (1.8 if st.marker == "*" else 1) for n in members],
                   c=st.color, marker=st.marker, edgecolors=st.border, linewidths=0.8, zorder=3)
    focus = [n for n in model.nodes if n.focus]
    if focus:
        ax.scatter([pos[n.id][0] for n in focus], [pos[n.id][1] for n in focus],
                   s=[(diameter[n.id] + 9) ** 2 for n in focus], facecolors="none",
                   edgecolors=FOCUS_COLOR, linewidths=2.5, zorder=4)

    ax.set_xlim(-1.05, 1.05)
    ax.set_ylim(-1.08, 1.0)

    _place_labels(fig, ax, model, pos, diameter, halo)

    handles = [Line2D([], [], linestyle="none", marker=NODE_STYLES[t].marker, markersize=11,
                      markerfacecolor=NODE_STYLES[t].color, markeredgecolor=NODE_STYLES[t].border,
                      label=f"{NODE_STYLES[t].label} ({counts[t]})") for t in model.node_types()]
    if focus:
        handles.append(Line2D([], [], linestyle="none", marker="o", markersize=12,
                              markerfacecolor="none", markeredgecolor=FOCUS_COLOR,
                              markeredgewidth=2.5, label="Asked-about provider"))
    handles += [Line2D([], [], color=EDGE_STYLES[s].color, linewidth=min(EDGE_STYLES[s].width, 4),
                       linestyle=_linestyle(EDGE_STYLES[s].dashes), label=EDGE_STYLES[s].label)
                for s in model.edge_styles()]
    if handles:
        legend = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.80, 0.90),
                            frameon=True, fontsize=12, title="Legend", title_fontsize=13,
                            handlelength=3.2, borderpad=0.9, labelspacing=0.8)
        legend.get_frame().set_edgecolor("#D8DDE0")
        legend.get_title().set_fontweight("bold")
    size_note = "money (£)" if model.size_by == "money" else "number of intentions"
    fig.text(0.805, 0.03, f"Node size: {size_note}", fontsize=10, color="#425563")
    return fig


def _save(model: MapModel, title: str | None, fmt: str, **kwargs) -> bytes:
    with matplotlib.rc_context({"svg.hashsalt": "cigraph", "svg.fonttype": "none",
                                "font.family": "DejaVu Sans"}):
        fig = _draw(model, title)
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, facecolor="white", **kwargs)
    return buffer.getvalue()


def render_png(model: MapModel, title: str | None = None, dpi: int = 120) -> bytes:
    """The map as a PNG, 16:9 (1920 x 1080 at the default 120 dpi)."""
    return _save(model, title, "png", dpi=dpi, metadata={"Software": None})


def render_svg(model: MapModel, title: str | None = None) -> bytes:
    """The map as an SVG document (text kept as text; no timestamp, stable ids)."""
    return _save(model, title, "svg", metadata={"Date": None})
