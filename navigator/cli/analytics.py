"""`navigator analytics`: for commissioners, overlap, gaps and the referral network."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from navigator.cli.common import AsOfOption, CsvOption, day, emit, fail, snapshot
from navigator.core.terms import Level

analytics_app = typer.Typer(
    help="For commissioners: overlap, gaps and the referral network, as of a date.",
    no_args_is_help=True,
)


@analytics_app.command("overlap")
def analytics_overlap(
    as_of: AsOfOption = None,
    limit: Annotated[int, typer.Option(min=1, help="Pairs to show")] = 200,
    min_score: Annotated[float, typer.Option(min=0, max=1, help="Leave out lower")] = 0.0,
    as_csv: CsvOption = False,
) -> None:
    """Pairs of services whose remits overlap, highest score first."""
    from navigator.core.analytics import overlap
    from navigator.core.wording import when

    as_of_day = day(as_of)
    snap = snapshot()
    result = overlap(
        map=snap.map, index=snap.area_index, as_of=as_of_day, limit=limit, min_score=min_score
    )
    rows = [
        [
            p.a,
            p.b,
            f"{p.score:.3f}",
            " ".join(p.shared_needs),
            " ".join(lv.value for lv in p.shared_levels),
            f"{p.shared_age_months[0]}..{p.shared_age_months[1]}" if p.shared_age_months else "",
            " ".join(p.shared_areas),
        ]
        for p in result.pairs
    ]
    header = ["a", "b", "score", "shared_needs", "shared_levels", "shared_age_months"]
    emit(f"Overlap as of {when(as_of_day)}", [*header, "shared_areas"], rows, as_csv)


@analytics_app.command("gaps")
def analytics_gaps(
    need: Annotated[str, typer.Option("--need", help="A need code")],
    level: Annotated[Level, typer.Option(help="How much help is needed")] = Level.universal_plus,
    as_of: AsOfOption = None,
    as_csv: CsvOption = False,
) -> None:
    """Every Bradford ward x age band, with the services that would take such a family."""
    from navigator.core.analytics import gaps
    from navigator.core.errors import NavigatorError
    from navigator.core.wording import when

    as_of_day = day(as_of)
    snap = snapshot()
    try:
        result = gaps(map=snap.map, index=snap.area_index, need=need, level=level, as_of=as_of_day)
    except NavigatorError as exc:
        raise fail(f"[red]--{exc.field or 'need'}:[/red] {escape(exc.message)}", 2) from None
    rows = [
        [
            c.ward_code,
            c.ward,
            c.age_band.value,
            "Gap" if c.gap else "",
            " ".join(f"{s} (check)" if s in c.checks else s for s in c.services),
        ]
        for c in result.cells
    ]
    title = f"Services for {need} at {level.value}, as of {when(as_of_day)}"
    emit(title, ["ward_code", "ward", "age_band", "gap", "services"], rows, as_csv)


@analytics_app.command("network")
def analytics_network(as_of: AsOfOption = None, as_csv: CsvOption = False) -> None:
    """Referral degrees, betweenness and reach from the universal services."""
    from rich.console import Console

    from navigator.core.analytics import network
    from navigator.core.wording import when

    as_of_day = day(as_of)
    snap = snapshot()
    result = network(map=snap.map, graph=snap.graph, as_of=as_of_day)
    rows = [
        [
            n.service_id,
            n.ring.value,
            str(n.in_degree),
            str(n.out_degree),
            f"{n.betweenness:.4f}",
            "yes" if n.reachable_from_universal else "NO",
            "yes" if n.articulation_point else "",
        ]
        for n in result.services
    ]
    header = ["service", "ring", "in", "out", "betweenness", "reachable", "articulation_point"]
    emit(f"Referral network as of {when(as_of_day)}", header, rows, as_csv)
    if not as_csv:
        out = Console()
        out.print(f"Unreachable from {', '.join(result.universal)}: ", end="")
        out.print(escape(", ".join(result.unreachable) or "none"))
        out.print("Single points of failure: " + escape(", ".join(result.articulation_points)))
