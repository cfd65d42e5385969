"""The commissioners' pictures, drawn on the server as SVG: heat maps (gaps, overlap, changes)
and the referral network. The same SVG is shown in the page, downloaded as a file, and turned
into PNG (resvg) for board papers; CSV downloads carry the numbers behind each picture.

Written out here rather than with a charting library: each picture is a grid of labelled
rectangles or a few circles and lines, and the page needs things charting libraries do not give
together: presentation attributes only (no inline style, so a strict Content-Security-Policy
holds), a link and a title on every cell, text that stays text for screen readers and search,
and no JavaScript. resvg (a Rust renderer, one self-contained wheel) rasterises the very same
SVG, so the PNG and the page never disagree.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape

from navigator.core.analytics.network import NetworkResult
from navigator.core.models import Map, Ring

FONT = "Arial, Helvetica, DejaVu Sans, Liberation Sans, sans-serif"
INK = "#0b0c0c"
PAPER = "#ffffff"
MUTED = "#505a5f"
# Light to dark blue for 1, 2, 3-4 and 5+ services; dark text on the light ones, white on the
# darkest (each pair passes WCAG AA for normal text).
COUNT_FILLS = [("#deebf7", INK), ("#9ecae1", INK), ("#6baed6", INK), ("#08519c", PAPER)]
GAP_FILL, GAP_INK = "#d4351c", PAPER
NONE_FILL = "#f3f2f1"
DEMAND_FILLS = [("#f3f2f1", INK), ("#dadcef", INK), ("#a9aedb", INK), ("#4c2c92", PAPER)]
RING_FILL = {Ring.core: "#005eb8", Ring.grey: "#768692", Ring.outer: "#ed8b00"}


def _attrs(values: Mapping[str, object]) -> str:
    out = []
    for key, value in values.items():
        if value is None or value is False:
            continue
        name = key.rstrip("_").replace("_", "-")
        out.append(f'{name}="{escape(str(value), quote=True)}"')
    return " ".join(out)


def tag(name: str, content: str = "", **attrs: object) -> str:
    inner = f"<{name} {_attrs(attrs)}".rstrip()
    return f"{inner}>{content}</{name}>" if content else f"{inner}/>"


def text(x: float, y: float, words: str, **attrs: object) -> str:
    return tag("text", escape(words), x=f"{x:.1f}", y=f"{y:.1f}", **attrs)


def short(name: str, limit: int = 30) -> str:
    """A service name for a label: without its bracketed gloss, cut to `limit` characters."""
    bare = name.split(" (")[0].strip() or name
    return bare if len(bare) <= limit else bare[: limit - 1].rstrip() + "…"


@dataclass
class Picture:
    """An SVG drawing: a title and description (its text alternative's summary), and elements
    that may hold links (`<a>`), which a downloaded file leaves out."""

    width: float
    height: float
    title: str
    desc: str
    parts: list[tuple[str, str | None, str]] = field(default_factory=list)

    def add(self, element: str, href: str | None = None, label: str = "") -> None:
        self.parts.append((element, href, label))

    def svg(self, *, ident: str, standalone: bool = False) -> str:
        """The drawing: for the page (links kept, labelled by its title) or as a file."""
        body = []
        for element, href, label in self.parts:
            if href and not standalone:
                body.append(tag("a", element, href=href, aria_label=label or None))
            else:
                body.append(element)
        root = {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {self.width:.0f} {self.height:.0f}",
            "width": f"{self.width:.0f}" if standalone else None,
            "height": f"{self.height:.0f}" if standalone else None,
            "font_family": FONT,
            "font_size": 13,
            "role": "group" if not standalone else "img",
            "aria_labelledby": f"{ident}-title {ident}-desc",
            "class": "picture__svg",
        }
        head = tag("title", escape(self.title), id=f"{ident}-title") + tag(
            "desc", escape(self.desc), id=f"{ident}-desc"
        )
        background = tag("rect", width="100%", height="100%", fill=PAPER)
        content = head + background + "".join(body)
        svg = f"<svg {_attrs(root)}>{content}</svg>"
        if standalone:
            return '<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n"
        return svg


def png(svg: str) -> bytes:
    """The SVG as a PNG at twice its size, for slides and board papers."""
    import resvg_py  # lazily: only a download needs it

    return bytes(resvg_py.svg_to_bytes(svg_string=svg, background=PAPER, zoom=2))


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


# --- heat maps -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    label: str  # what the cell shows (a number, "Gap", "–")
    fill: str
    ink: str
    title: str  # the cell in words, for its tooltip and its link's name
    href: str | None = None
    note: str = ""  # a second, smaller line


def count_colours(n: int) -> tuple[str, str]:
    if n <= 0:
        return GAP_FILL, GAP_INK
    return COUNT_FILLS[min(n, 5) - 1 if n < 3 else (2 if n < 5 else 3)]


def demand_colours(n: int | None, most: int) -> tuple[str, str]:
    if n is None or most <= 0:
        return DEMAND_FILLS[0]
    share = n / most
    return DEMAND_FILLS[1 if share < 0.34 else 2 if share < 0.67 else 3]


def heat_map(
    *,
    title: str,
    desc: str,
    rows: Sequence[tuple[str, str | None]],
    columns: Sequence[Sequence[str]],
    cells: Sequence[Sequence[Cell]],
    legend: Sequence[tuple[str, str, str]],
    label_width: float = 190,
    cell_width: float = 96,
    cell_height: float = 26,
) -> Picture:
    """Rows (label, link) x columns (header lines), each cell a coloured rectangle with its
    label; a legend of (fill, ink, words) underneath."""
    header = 16 * max(len(c) for c in columns) + 10 if columns else 0
    width = label_width + cell_width * len(columns) + 10
    legend_rows = math.ceil(len(legend) / 2)
    height = header + cell_height * len(rows) + 16 + 22 * legend_rows + 6
    pic = Picture(width=width, height=height, title=title, desc=desc)
    for j, lines in enumerate(columns):
        cx = label_width + cell_width * (j + 0.5)
        for k, line in enumerate(lines):
            pic.add(text(cx, 16 + 16 * k, line, text_anchor="middle", font_weight="bold"))
    for i, (label, href) in enumerate(rows):
        y = header + cell_height * i
        words = text(label_width - 8, y + cell_height * 0.68, short(label, 28), text_anchor="end")
        pic.add(words, href, label)
        for j, cell in enumerate(cells[i]):
            x = label_width + cell_width * j
            inner = tag("title", escape(cell.title)) + tag(
                "rect",
                x=f"{x + 1:.1f}",
                y=f"{y + 1:.1f}",
                width=f"{cell_width - 2:.1f}",
                height=f"{cell_height - 2:.1f}",
                fill=cell.fill,
                rx=2,
            )
            mid = y + cell_height * (0.68 if not cell.note else 0.5)
            inner += text(
                x + cell_width / 2,
                mid,
                cell.label,
                text_anchor="middle",
                fill=cell.ink,
                font_weight="bold",
            )
            if cell.note:
                inner += text(
                    x + cell_width / 2,
                    y + cell_height * 0.85,
                    cell.note,
                    text_anchor="middle",
                    fill=cell.ink,
                    font_size=9,
                )
            pic.add(tag("g", inner), cell.href, cell.title)
    top = header + cell_height * len(rows) + 16
    for k, (fill, ink, words) in enumerate(legend):
        x = 10 + (width / 2) * (k % 2)
        y = top + 22 * (k // 2)
        pic.add(tag("rect", x=x, y=y, width=26, height=16, fill=fill, stroke=MUTED, rx=2))
        pic.add(text(x + 34, y + 12.5, words, fill=INK))
        del ink
    return pic


# --- the referral network ------------------------------------------------------------------


ROWS = 16


@dataclass(frozen=True)
class Placed:
    service_id: str
    x: float
    y: float
    r: float


def network_picture(
    *, net: NetworkResult, m: Map, edges: Sequence[tuple[str, str]], title: str, desc: str
) -> tuple[Picture, dict[str, int]]:
    """Services in columns by the fewest referral steps from where families start (the
    universal services), unreachable ones last; each sized by its share of shortest routes,
    single points of failure ringed. Returns the picture and each service's step."""
    nodes = {n.service_id: n for n in net.services}
    succ: dict[str, list[str]] = {sid: [] for sid in nodes}
    pred: dict[str, list[str]] = {sid: [] for sid in nodes}
    for a, b in edges:
        if a in nodes and b in nodes:
            succ[a].append(b)
            pred[b].append(a)
    step: dict[str, int] = {sid: 0 for sid in net.universal if sid in nodes}
    frontier = list(step)
    while frontier:
        nxt = []
        for sid in frontier:
            for t in sorted(succ[sid]):
                if t not in step:
                    step[t] = step[sid] + 1
                    nxt.append(t)
        frontier = nxt
    last = max(step.values(), default=0) + 1
    by_step: dict[int, list[str]] = {}
    for sid in nodes:
        by_step.setdefault(step.get(sid, last), []).append(sid)
    order: dict[str, float] = {}
    # A long step is set in several columns of at most ROWS services, so the picture stays
    # about as tall as it is wide.
    columns: dict[int, list[str]] = {}
    headings: dict[int, int] = {}
    for s in sorted(by_step):
        members = by_step[s]

        def key(sid: str) -> tuple[float, str]:
            seen = [order[p] for p in pred[sid] if p in order]
            return (sum(seen) / len(seen) if seen else 1e9, nodes[sid].name)

        members.sort(key=key)
        for i, sid in enumerate(members):
            order[sid] = i
        for k in range(0, len(members), ROWS):
            headings.setdefault(s, len(columns))
            columns[len(columns)] = members[k : k + ROWS]
    col_width, row_height, top, left = 230.0, 30.0, 118.0, 24.0
    tallest = max(len(v) for v in columns.values()) if columns else 1
    width = left + col_width * (max(columns, default=0) + 1) + 10
    height = top + row_height * tallest + 20
    pic = Picture(width=width, height=height, title=title, desc=desc)
    most = max((n.betweenness for n in net.services), default=0.0) or 1.0
    placed: dict[str, Placed] = {}
    for col, members in columns.items():
        offset = (tallest - len(members)) * row_height / 2
        for i, sid in enumerate(members):
            r = 5 + 13 * math.sqrt(nodes[sid].betweenness / most)
            placed[sid] = Placed(
                sid, left + 14 + col * col_width, top + offset + row_height * (i + 0.5), r
            )
    # Column headings and the legend.
    for s, col in headings.items():
        words = (
            "Where families start"
            if s == 0
            else ("No route reaches" if s == last and s not in step.values() else "")
        )
        words = words or f"{s} step{'s' if s > 1 else ''} on"
        pic.add(text(left + col * col_width, top - 16, words, font_weight="bold"))
    legend_y = 22.0
    x = left
    for ring, label in ((r.id, r.label) for r in m.rings):
        pic.add(tag("circle", cx=x + 7, cy=legend_y, r=7, fill=RING_FILL[ring]))
        pic.add(text(x + 20, legend_y + 4.5, short(label, 40)))
        x += 40 + 7.2 * min(len(short(label, 40)), 40)
    legend_y += 26
    pic.add(tag("circle", cx=left + 7, cy=legend_y, r=9, fill=PAPER, stroke=INK, stroke_width=3))
    pic.add(
        text(left + 22, legend_y + 4.5, "Single point of failure: without it the network splits")
    )
    legend_y += 26
    pic.add(tag("circle", cx=left + 7, cy=legend_y, r=4, fill=MUTED))
    pic.add(tag("circle", cx=left + 24, cy=legend_y, r=9, fill=MUTED))
    pic.add(text(left + 40, legend_y + 4.5, "Bigger: more of the shortest routes pass through it"))
    for a, b in edges:
        if a not in placed or b not in placed:
            continue
        p, q = placed[a], placed[b]
        mx = (p.x + q.x) / 2 + (0 if p.x != q.x else 60)
        my = (p.y + q.y) / 2 - (18 if p.x == q.x else 0)
        pic.add(
            tag(
                "path",
                d=f"M{p.x:.1f},{p.y:.1f} Q{mx:.1f},{my:.1f} {q.x:.1f},{q.y:.1f}",
                fill="none",
                stroke=MUTED,
                stroke_opacity="0.35",
                stroke_width=1.2,
            )
        )
    for sid, p in placed.items():
        n = nodes[sid]
        service = m.service(sid)
        ring = service.ring if service else Ring.grey
        words = (
            f"{n.name}: {round(n.betweenness * 100)}% of shortest routes pass through it; "
            f"referred from {n.in_degree}, refers to {n.out_degree}"
            + ("; a single point of failure" if n.articulation_point else "")
            + ("" if n.reachable_from_universal else "; no route from a universal service")
        )
        inner = tag("title", escape(words))
        inner += tag(
            "circle",
            cx=f"{p.x:.1f}",
            cy=f"{p.y:.1f}",
            r=f"{p.r:.1f}",
            fill=RING_FILL[ring] if n.reachable_from_universal else PAPER,
            stroke=INK if n.articulation_point else RING_FILL[ring],
            stroke_width=3.5 if n.articulation_point else 2,
            stroke_dasharray=None if n.reachable_from_universal else "3 2",
        )
        inner += text(
            p.x + p.r + 5,
            p.y + 4.5,
            short(n.name, 27),
            font_weight="bold" if n.articulation_point else None,
        )
        pic.add(tag("g", inner), f"/services/{sid}", words)
    return pic, step
