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
    """Pairs of services whose remits overlap, highest score first, each with its parts."""
    from navigator.core.analytics import overlap
    from navigator.core.analytics.words import RELATION_WORDS, Words, ages
    from navigator.core.wording import when

    as_of_day = day(as_of)
    snap = snapshot()
    result = overlap(
        map=snap.map, index=snap.area_index, as_of=as_of_day, limit=limit, min_score=min_score
    )
    words = Words(snap.map)
    rows = [
        [
            words.service(p.a),
            words.service(p.b),
            f"{p.score:.2f}",
            RELATION_WORDS[p.relation],
            f"needs {p.parts.needs:.2f}, levels {p.parts.levels:.2f}, ages {p.parts.age:.2f}, "
            + (f"area {p.parts.area:.2f}" if p.parts.area_known else "area unknown"),
            words.needs(p.shared_needs),
            words.levels(p.shared_levels),
            ages(p.shared_age_months),
            words.areas(p.shared_areas),
        ]
        for p in result.pairs
    ]
    header = ["Service", "And service", "Score", "What it means", "Parts of the score"]
    header += ["Shared needs", "Shared levels", "Shared ages", "Both serve all of"]
    emit(f"Overlap as of {when(as_of_day)}", header, rows, as_csv)


@analytics_app.command("gaps")
def analytics_gaps(
    need: Annotated[str, typer.Option("--need", help="A need code")],
    level: Annotated[Level, typer.Option(help="How much help is needed")] = Level.universal_plus,
    as_of: AsOfOption = None,
    as_csv: CsvOption = False,
) -> None:
    """Every Bradford ward x age band, with the services that would take such a family."""
    from navigator.core.analytics import gaps
    from navigator.core.analytics.words import BAND_WORDS, Words
    from navigator.core.errors import NavigatorError
    from navigator.core.wording import when

    as_of_day = day(as_of)
    snap = snapshot()
    try:
        result = gaps(map=snap.map, index=snap.area_index, need=need, level=level, as_of=as_of_day)
    except NavigatorError as exc:
        raise fail(f"[red]--{exc.field or 'need'}:[/red] {escape(exc.message)}", 2) from None
    words = Words(snap.map)
    rows = [
        [
            c.ward_code,
            c.ward,
            BAND_WORDS[c.age_band],
            "Gap" if c.gap else "",
            "; ".join(words.service(s) + (" (check)" if s in c.checks else "") for s in c.services),
        ]
        for c in result.cells
    ]
    title = (
        f"Services for {words.need(need).lower()} at {words.level(level).lower()} level, "
        f"as of {when(as_of_day)}"
    )
    emit(title, ["Ward code", "Ward", "Age", "Gap", "Services"], rows, as_csv)


@analytics_app.command("network")
def analytics_network(as_of: AsOfOption = None, as_csv: CsvOption = False) -> None:
    """Referral degrees, betweenness and reach from the universal services."""
    from rich.console import Console

    from navigator.core.analytics import network
    from navigator.core.analytics.words import Words
    from navigator.core.wording import when

    as_of_day = day(as_of)
    snap = snapshot()
    result = network(map=snap.map, graph=snap.graph, as_of=as_of_day)
    words = Words(snap.map)
    rows = [
        [
            n.name,
            words.ring(n.ring.value),
            str(n.in_degree),
            str(n.out_degree),
            f"{n.betweenness * 100:.1f}%",
            "Yes" if n.reachable_from_universal else "NO ROUTE",
            "Yes" if n.articulation_point else "",
        ]
        for n in result.services
    ]
    header = ["Service", "Circle", "Referred from", "Refers to", "Routes through it"]
    header += ["Reached by a route", "Single point of failure"]
    emit(f"Referral network as of {when(as_of_day)}", header, rows, as_csv)
    if not as_csv:
        out = Console()
        out.print(f"No route from {words.services(result.universal)} reaches: ", end="")
        out.print(escape(words.services(result.unreachable) or "none"))
        out.print("Single points of failure: " + escape(words.services(result.articulation_points)))


@analytics_app.command("demand")
def analytics_demand(
    start: Annotated[str | None, typer.Option("--from", help="First month, YYYY-MM")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last month, YYYY-MM")] = None,
    as_csv: CsvOption = False,
) -> None:
    """Navigate questions per need, ward and month (kept only with NAVIGATOR_DEMAND_COUNTS);
    counts under 10 are not shown."""
    import datetime as dt

    from navigator.cli.common import database, settings
    from navigator.core.analytics import demand as counts
    from navigator.core.analytics.words import Words
    from navigator.db import demand as stored

    if not settings().demand_counts:
        raise fail("Demand counting is off: set NAVIGATOR_DEMAND_COUNTS=true to count", 1)
    today = dt.date.today()
    for value, name in ((start, "--from"), (end, "--to")):
        if value is not None and not counts.MONTH.match(value):
            raise fail(f"[red]{name}:[/red] {escape(value)} is not a month (YYYY-MM)", 2)
    first = start or counts.month_of(today.replace(year=today.year - 1))
    last = end or counts.month_of(today)
    with database(seeded=True) as engine:
        rows = stored.read(engine, start=first, end=last)
    snap = snapshot()
    words = Words(snap.map)
    wards = {w.code: w.name for w in snap.area_index.wards}
    table = [
        [
            words.need(c.need),
            wards.get(c.ward_code, c.ward_code),
            c.month,
            "fewer than 10" if c.suppressed else str(c.count),
        ]
        for c in counts.cells(rows)
    ]
    header = ["Need", "Ward", "Month", "Questions asked"]
    emit(f"Questions asked, {first} to {last}", header, table, as_csv)
