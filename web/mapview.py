"""The three-ring system map (Figure 1 of the seed reports), drawn with pyvis, fully offline.

pyvis renders its own HTML page; we take from it the network's div and script, and serve the
vis-network library it inlines as two cached assets of our own host, so a map page is tens of
kilobytes and the 700 kB library is fetched once per browser rather than on every filter change.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import html
import json
import math
import re
import textwrap
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from typing import Any

from markupsafe import Markup

from navigator.core.models import EdgeKind, Map, Ring, Service
from web.present import EDGE_OUT_WORDS, ages, rule_view

# Figure 1: core in the middle, the grey circle around it, the outer circle outside.
RING_RADIUS = {Ring.core: 330, Ring.grey: 660, Ring.outer: 960}
# NHS identity colours: blue, mid grey, warm orange; the legend repeats them in words.
RING_COLOUR = {Ring.core: "#005eb8", Ring.grey: "#768692", Ring.outer: "#ed8b00"}
RING_BAND = {Ring.core: "#e8f1f8", Ring.grey: "#f0f4f5", Ring.outer: "#fdf3e6"}
# Each kind curves a little differently, so a consult and a referral between the same two
# services stay visible as two lines.
EDGE_STYLE: dict[EdgeKind, dict[str, Any]] = {
    EdgeKind.refers: {"color": "#425563", "width": 1.6, "dashes": False, "roundness": 0.12},
    EdgeKind.consults: {"color": "#005eb8", "width": 1.6, "dashes": [8, 5], "roundness": 0.24},
    EdgeKind.signposts: {"color": "#aeb7bd", "width": 1.0, "dashes": [2, 5], "roundness": 0.36},
}
OPTIONS = {
    "physics": {"enabled": False},
    "nodes": {"shape": "dot", "size": 18, "font": {"size": 28, "color": "#212b32"}},
    "edges": {"arrows": {"to": {"enabled": True, "scaleFactor": 0.6}}},
    "interaction": {"hover": True, "tooltipDelay": 150, "keyboard": {"enabled": True}},
}
CACHE_SIZE = 32


def _network(**options: Any) -> Any:
    """A pyvis Network. Imported here, not at the top: pyvis loads IPython, ~0.4 s of start-up
    that only the map page needs."""
    from pyvis.network import Network

    return Network(**options)


def esc(text: str) -> str:
    """Every string that reaches pyvis: vis may show it as HTML."""
    return html.escape(text, quote=True)


def positions(services: list[Service]) -> dict[str, tuple[float, float]]:
    """Fixed x, y on three concentric circles, one per ring, evenly spaced, in name order."""
    out: dict[str, tuple[float, float]] = {}
    for turn, ring in enumerate(Ring):
        members = sorted((s for s in services if s.ring is ring), key=lambda s: s.name)
        # Stagger the rings so spokes from the centre do not line up.
        offset = -math.pi / 2 + turn * 0.35
        for i, s in enumerate(members):
            angle = offset + 2 * math.pi * i / max(1, len(members))
            r = RING_RADIUS[ring]
            out[s.id] = (round(r * math.cos(angle), 1), round(r * math.sin(angle), 1))
    return out


def tooltip(s: Service, m: Map, day: dt.date, ring_label: str) -> str:
    """Escaped HTML: the only markup is ours; map.js turns it into an element for vis."""
    rules = [rule_view(r, m, day).flat() for r in s.rules if r.active_on(day)]
    parts = [
        f"<strong>{esc(s.name)}</strong>",
        esc(ring_label),
        esc(s.remit),
        "Ages: " + esc(ages(s)),
        "Who can use it: " + (esc("; ".join(rules)) if rules else "no area or other rules"),
        "Select to open the service page",
    ]
    return "<br>".join(parts)


@dataclass(frozen=True)
class MapView:
    """One built map: the network's HTML, what map.js needs, and the same map as lists."""

    network: Markup
    data: dict[str, Any]
    by_ring: list[tuple[str, str, list[Service]]]  # (ring id, label, services)
    node_count: int
    edge_count: int


def build(m: Map, *, need: str | None, day: dt.date) -> MapView:
    """The map as it stood on `day`, only services meeting `need` when one is given."""
    services = [s for s in m.active_services(day) if need is None or need in s.needs]
    ids = {s.id for s in services}
    edges = [e for e in m.active_edges(day) if e.source in ids and e.target in ids]
    rings = {r.id: r.label for r in m.rings}
    where = positions(services)

    net = _network(height="900px", width="100%", directed=True, cdn_resources="in_line")
    for s in services:
        x, y = where[s.id]
        net.add_node(
            s.id,
            label=esc(textwrap.fill(s.name, 16)),
            title=tooltip(s, m, day, rings.get(s.ring, s.ring.value)),
            color=RING_COLOUR[s.ring],
            x=x,
            y=y,
            physics=False,
        )
    for e in edges:
        style = EDGE_STYLE[e.kind]
        source, target = m.service(e.source), m.service(e.target)
        # active_edges keeps only edges whose two services exist and run on `day`.
        assert source is not None
        assert target is not None
        words = f"{source.name} {EDGE_OUT_WORDS[e.kind.value].lower()} {target.name}"
        net.add_edge(
            e.source,
            e.target,
            title=esc(words + (f": {e.note}" if e.note else "")),
            color=style["color"],
            width=style["width"],
            dashes=style["dashes"],
            smooth={"enabled": True, "type": "curvedCW", "roundness": style["roundness"]},
        )
    net.set_options(json.dumps(OPTIONS))
    _, body = split(net.generate_html())
    data = {
        "urls": {s.id: f"/services/{s.id}" for s in services},
        "rings": [
            {"radius": RING_RADIUS[r], "band": RING_BAND[r], "label": rings.get(r, r.value)}
            for r in Ring
        ],
    }
    by_ring = [
        (r.value, rings.get(r, r.value), sorted((s for s in services if s.ring is r), key=_name))
        for r in Ring
    ]
    # Safe to mark: pyvis wrote every value into its script with |tojson, after esc() above.
    network = Markup(body)  # noqa: S704
    return MapView(network, data, by_ring, len(services), len(edges))


def _name(s: Service) -> str:
    return s.name


_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.S)
_BODY = re.compile(r"<body>(.*)</body>", re.S)


def split(page: str) -> tuple[dict[str, str], str]:
    """pyvis's page → (the library it inlines, by kind, and the body: the network's div + script).

    Everything else in its head is dropped: an empty <h1>, a fixed-size style and the two
    Bootstrap tags pyvis loads from a CDN, which would break the page offline.
    """
    head = page.split("<center>", 1)[0]  # the inlined library comes before pyvis's heading
    library: dict[str, str] = {"script": "", "style": ""}
    for kind, text in _INLINE.findall(head):
        library[kind] += text + "\n"
    match = _BODY.search(page)
    if match is None:
        raise ValueError("pyvis's page has no body")
    body = match.group(1)
    if "://" in body:
        raise ValueError("pyvis's network refers to an outside URL")
    return library, body.strip()


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    media_type: str


@cache
def assets() -> dict[str, Asset]:
    """vis-network's script and stylesheet, as pyvis inlines them: the same for every map."""
    library, _ = split(_network(cdn_resources="in_line").generate_html())
    out = {}
    for name, kind, media in (
        ("vis-network.js", "script", "text/javascript; charset=utf-8"),
        ("vis-network.css", "style", "text/css; charset=utf-8"),
    ):
        # No source map ships with pyvis: do not send browsers' developer tools looking for one.
        body = re.sub(r"//# sourceMappingURL=\S+", "", library[kind]).encode()
        out[name] = Asset(body, gzip.compress(body, mtime=0), media)
    return out


@cache
def assets_version() -> str:
    """Part of the assets' URLs, so browsers may cache them for good."""
    digest = hashlib.sha256()
    for name, asset in sorted(assets().items()):
        digest.update(name.encode() + asset.body)
    return digest.hexdigest()[:12]


class MapCache:
    """Built maps of the current snapshot, by (need, day): a map is built once, not per request.

    Keyed by the snapshot object itself: the app keeps one per stored map version, so a new
    version (an edit) empties the cache.
    """

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self.builds = 0
        self._lock = threading.Lock()
        self._snapshot: object = None
        self._views: OrderedDict[tuple[str | None, dt.date], MapView] = OrderedDict()

    def get(self, snapshot: object, m: Map, *, need: str | None, day: dt.date) -> MapView:
        key = (need, day)
        # Building under the lock: two requests for a new map wait for one build, not two.
        with self._lock:
            if snapshot is not self._snapshot:
                self._snapshot = snapshot
                self._views.clear()
            view = self._views.get(key)
            if view is None:
                view = build(m, need=need, day=day)
                self.builds += 1
                self._views[key] = view
                if len(self._views) > self.size:
                    self._views.popitem(last=False)
            else:
                self._views.move_to_end(key)
            return view
