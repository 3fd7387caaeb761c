"""Impact maps: interactive self-contained HTML (vis-network) and static slide images.

>>> from cigraph.viz import provider_map, render_html
>>> html = render_html(provider_map(intentions, focus="RC1"))
"""
from cigraph.viz.maps import (
    MapEdge,
    MapModel,
    MapNode,
    embed_snippet,
    overlap_map,
    provider_map,
    render_html,
)
from cigraph.viz.static_image import render_png, render_svg

__all__ = [
    "MapEdge",
    "MapModel",
    "MapNode",
    "embed_snippet",
    "overlap_map",
    "provider_map",
    "render_html",
    "render_png",
    "render_svg",
]
