"""What the commissioners' pages show, built from the core's analytics: pictures (SVG), their
tables and CSV rows, all in plain words. The routes (web/commission.py) stay thin."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from navigator.core import analytics
from navigator.core.analytics.gaps import AgeBand, GapsResult
from navigator.core.analytics.network import NetworkResult
from navigator.core.analytics.overlap import OverlapPair
from navigator.core.analytics.scoring import Relation
from navigator.core.analytics.words import BAND_WORDS, RELATION_WORDS, Words, ages
from navigator.core.snapshot import Snapshot
from navigator.core.wording import when
from web.commission_pictures import (
    GAP_FILL,
    GAP_INK,
    NONE_FILL,
    Cell,
    Picture,
    count_colours,
    demand_colours,
    heat_map,
    network_picture,
)

MATRIX_SERVICES = 12
# A band's header in two short lines, so four bands fit a phone.
BAND_LINES = {
    AgeBand.pregnancy: ["Pregnancy"],
    AgeBand.months_0_11: ["Birth to", "1st birthday"],
    AgeBand.months_12_23: ["1st to 2nd", "birthday"],
    AgeBand.months_24_59: ["2nd to 5th", "birthday"],
}
RELATION_NOTE = {
    Relation.overlap: "",
    Relation.different_places: "apart",
    Relation.different_ages: "ages",
    Relation.catchment_unknown: "area ?",
}


def query(**params: object) -> str:
    """A query string of the non-empty parameters."""
    kept = {k: str(v) for k, v in params.items() if v not in (None, "")}
    return "?" + urlencode(kept) if kept else ""


# --- gaps ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GapRow:
    ward_code: str
    ward: str
    cells: list[analytics.GapCell]
    demand: int | None
    has_demand: bool


def gap_rows(gaps: GapsResult, demand: Mapping[str, int | None] | None) -> list[GapRow]:
    by_ward: dict[str, list[analytics.GapCell]] = {}
    for c in gaps.cells:
        by_ward.setdefault(c.ward_code, []).append(c)
    return [
        GapRow(
            ward_code=code,
            ward=cells[0].ward,
            cells=cells,
            demand=(demand or {}).get(code),
            has_demand=demand is not None and code in demand,
        )
        for code, cells in by_ward.items()
    ]


def cell_label(c: analytics.GapCell) -> str:
    """'Gap', or the number of services, with '?' when every one of them depends on a check."""
    if c.gap:
        return "Gap"
    n = len(c.services)
    return f"{n}?" if len(c.checks) == n else str(n)


def cell_words(c: analytics.GapCell, words: Words) -> str:
    band = BAND_WORDS[c.age_band].lower()
    if c.gap:
        return f"{c.ward}, {band}: a gap, no service"
    names = "; ".join(
        words.service(s) + (" (depends on a check)" if s in c.checks else "") for s in c.services
    )
    n = len(c.services)
    return f"{c.ward}, {band}: {n} service{'s' if n != 1 else ''}: {names}"


def gaps_picture(
    *,
    gaps: GapsResult,
    words: Words,
    demand: Mapping[str, int | None] | None,
    demand_period: str,
    link: str,
    title: str,
) -> Picture:
    rows = gap_rows(gaps, demand)
    columns = [BAND_LINES[b] for b in gaps.bands]
    if demand is not None:
        columns.append(["Questions", "asked"])
    most = max((v for v in (demand or {}).values() if v is not None), default=0)
    cells: list[list[Cell]] = []
    for row in rows:
        line = []
        for c in row.cells:
            fill, ink = count_colours(len(c.services))
            line.append(
                Cell(
                    label=cell_label(c),
                    fill=fill,
                    ink=ink,
                    title=cell_words(c, words),
                    href=f"/commission/gaps/{row.ward_code}{link}#{c.age_band.name}",
                )
            )
        if demand is not None:
            fill, ink = demand_colours(row.demand, most)
            shown = "<10" if row.demand is None else str(row.demand)
            line.append(
                Cell(
                    label=shown,
                    fill=fill,
                    ink=ink,
                    title=f"{row.ward}: {shown} questions asked about "
                    f"{words.need(gaps.need).lower()}, {demand_period}"
                    + (" (fewer than 10 are not shown)" if row.demand is None else ""),
                )
            )
        cells.append(line)
    n_gaps = sum(c.gap for c in gaps.cells)
    legend = [
        (GAP_FILL, GAP_INK, "Gap: no service"),
        (count_colours(1)[0], "", "1 service"),
        (count_colours(2)[0], "", "2 services"),
        (count_colours(3)[0], "", "3 or 4 services"),
        (count_colours(5)[0], "", "5 or more services"),
        (NONE_FILL, "", "“2?”: each depends on a check"),
    ]
    if demand is not None:
        legend.append((demand_colours(most, most)[0], "", "Questions asked: darker, more"))
    desc = (
        f"{n_gaps} of {len(gaps.cells)} ward and age band cells have no service for "
        f"{words.need(gaps.need).lower()} at {words.level(gaps.level).lower()} level, as of "
        f"{when(gaps.as_of)}. Each cell gives the number of services that would take such a "
        "family; the table below gives the same numbers."
    )
    return heat_map(
        title=title,
        desc=desc,
        rows=[(r.ward, f"/commission/gaps/{r.ward_code}{link}") for r in rows],
        columns=columns,
        cells=cells,
        legend=legend,
        label_width=232,
        cell_width=92,
    )


def gaps_csv_rows(
    gaps: GapsResult, words: Words, demand: Mapping[str, int | None] | None
) -> tuple[list[str], list[list[object]]]:
    header = [
        "Ward code",
        "Ward",
        "Age band",
        "Need",
        "Level",
        "As of",
        "Number of services",
        "Services",
        "Depend on a check",
        "Gap",
    ]
    if demand is not None:
        header.append("Questions asked (fewer than 10 not shown)")
    rows = []
    for c in gaps.cells:
        row: list[object] = [
            c.ward_code,
            c.ward,
            BAND_WORDS[c.age_band],
            words.need(gaps.need),
            words.level(gaps.level),
            gaps.as_of.isoformat(),
            len(c.services),
            "; ".join(words.service(s) for s in c.services),
            "; ".join(words.service(s) for s in c.checks),
            "Yes" if c.gap else "No",
        ]
        if demand is not None:
            value = demand.get(c.ward_code)
            row.append("fewer than 10" if value is None else value)
        rows.append(row)
    return header, rows


# --- overlap -------------------------------------------------------------------------------


def shade(score: float) -> tuple[str, str]:
    """Light to dark blue as the score rises: white ink on the darkest."""
    fills = ["#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#2171b5", "#08519c"]
    i = min(int(score * len(fills)), len(fills) - 1)
    return fills[i], ("#ffffff" if i >= 4 else "#0b0c0c")


def matrix_services(pairs: Sequence[OverlapPair]) -> list[str]:
    ids: list[str] = []
    for p in pairs:
        for sid in (p.a, p.b):
            if sid not in ids and len(ids) < MATRIX_SERVICES:
                ids.append(sid)
    return ids


def matrix_pairs(snap: Snapshot, day: dt.date, ids: list[str]) -> list[OverlapPair]:
    """Every pair sharing a need among these services (below the top ones too)."""
    m = snap.map
    few = m.model_copy(update={"services": [m.services_by_id[i] for i in ids]})
    return analytics.overlap(map=few, index=snap.area_index, as_of=day, limit=None).pairs


def parts_words(p: OverlapPair | analytics.ServiceOverlap) -> str:
    area = f"{p.parts.area:.2f}" if p.parts.area_known else "unknown (no catchment recorded)"
    return (
        f"needs {p.parts.needs:.2f}, levels {p.parts.levels:.2f}, ages {p.parts.age:.2f}, "
        f"area {area}"
    )


def overlap_picture(
    *, ids: list[str], pairs: Sequence[OverlapPair], words: Words, day: dt.date
) -> Picture:
    by = {(p.a, p.b): p for p in pairs} | {(p.b, p.a): p for p in pairs}
    cells = []
    for a in ids:
        line = []
        for b in ids:
            p = by.get((a, b))
            if a == b:
                line.append(Cell("–", "#ffffff", "#0b0c0c", f"{words.service(a)}: itself"))
            elif p is None:
                line.append(
                    Cell(
                        "–",
                        "#ffffff",
                        "#0b0c0c",
                        f"{words.service(a)} and {words.service(b)}: no need in common",
                    )
                )
            else:
                fill, ink = shade(p.score) if p.relation is Relation.overlap else (NONE_FILL, "")
                line.append(
                    Cell(
                        f"{p.score:.2f}",
                        fill,
                        ink or "#0b0c0c",
                        f"{words.service(p.a)} and {words.service(p.b)}: {p.score:.2f}. "
                        f"{RELATION_WORDS[p.relation]}. Parts: {parts_words(p)}",
                        href=f"#pair-{p.a}--{p.b}",
                        note=RELATION_NOTE[p.relation],
                    )
                )
        cells.append(line)
    legend = [
        (shade(0.1)[0], "", "Low overlap"),
        (shade(0.95)[0], "", "High overlap (both could see the same families)"),
        (NONE_FILL, "", "Grey: not a duplicate, or not known (see the note)"),
        ("#ffffff", "", "–: no need in common"),
    ]
    return heat_map(
        title=f"Overlap between {len(ids)} services, as of {when(day)}",
        desc=(
            "Each cell scores a pair of services from 0 to 1 on needs, levels, ages and area. "
            "Blue cells are real overlap, darker is more; grey cells are the same offer for "
            "different places ('apart'), different ages ('ages') or a catchment not recorded "
            "('area ?'). The table below lists every pair with the parts of its score."
        ),
        rows=[(f"{i + 1}. {words.service(s)}", f"/services/{s}") for i, s in enumerate(ids)],
        columns=[[str(i + 1)] for i in range(len(ids))],
        cells=cells,
        legend=legend,
        label_width=250,
        cell_width=50,
        cell_height=34,
    )


def overlap_csv_rows(
    pairs: Sequence[OverlapPair], words: Words
) -> tuple[list[str], list[list[object]]]:
    header = [
        "Service",
        "And service",
        "Score",
        "What it means",
        "Needs part",
        "Levels part",
        "Ages part",
        "Area part",
        "Shared needs",
        "Shared levels",
        "Shared ages",
        "Both serve all of",
        "Unit postcodes both serve",
    ]
    rows = [
        [
            words.service(p.a),
            words.service(p.b),
            f"{p.score:.3f}",
            RELATION_WORDS[p.relation],
            f"{p.parts.needs:.3f}",
            f"{p.parts.levels:.3f}",
            f"{p.parts.age:.3f}",
            f"{p.parts.area:.3f}" if p.parts.area_known else "unknown: no catchment recorded",
            words.needs(p.shared_needs),
            words.levels(p.shared_levels),
            ages(p.shared_age_months),
            words.areas(p.shared_areas),
            p.shared_postcodes,
        ]
        for p in pairs
    ]
    return header, rows


# --- network -------------------------------------------------------------------------------


def network_view(
    snap: Snapshot, day: dt.date, net: NetworkResult
) -> tuple[Picture, dict[str, int]]:
    m = snap.map
    edges = sorted({(e.source, e.target) for e in m.active_edges(day)})
    words = Words(m)
    starts = words.services(net.universal)
    return network_picture(
        net=net,
        m=m,
        edges=edges,
        title=f"The referral network as of {when(day)}",
        desc=(
            f"{len(net.services)} services in columns by the fewest referral steps from where "
            f"families start ({starts}); those no route reaches are in the last column. Bigger "
            "circles carry more of the shortest routes between services; ringed in black, the "
            f"single points of failure ({len(net.articulation_points)}). The table below gives "
            "the same figures."
        ),
    )


def network_csv_rows(
    net: NetworkResult, steps: Mapping[str, int], words: Words
) -> tuple[list[str], list[list[object]]]:
    header = [
        "Service",
        "Circle of the map",
        "Referral steps from where families start",
        "Referred from (services)",
        "Refers to (services)",
        "Share of shortest routes through it",
        "Reached by a route from a universal service",
        "Single point of failure",
        "Families can refer themselves",
    ]
    rows: list[list[object]] = [
        [
            n.name,
            words.ring(n.ring.value),
            steps.get(n.service_id, "no route"),
            n.in_degree,
            n.out_degree,
            f"{n.betweenness * 100:.1f}%",
            "Yes" if n.reachable_from_universal else "No",
            "Yes" if n.articulation_point else "No",
            "Yes" if n.self_referral else "No",
        ]
        for n in net.services
    ]
    return header, rows


def context_words(m: Any) -> dict[str, Any]:
    """What every commissioners' template reads words from."""
    return {"words": Words(m), "band_words": BAND_WORDS, "relation_words": RELATION_WORDS}
