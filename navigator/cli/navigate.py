"""`navigator navigate`: the API's answer for one family, as tables."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from navigator.cli.common import fail, snapshot
from navigator.core.terms import Level, Stage

if TYPE_CHECKING:
    from navigator.core.navigate import NavigateResult


def navigate(
    postcode: Annotated[str, typer.Option(help="The family's postcode")],
    stage: Annotated[Stage, typer.Option(help="antenatal or postnatal")],
    need: Annotated[list[str], typer.Option("--need", help="A need code; repeat for more")],
    age: Annotated[int | None, typer.Option("--age", help="Child's age in months")] = None,
    weeks: Annotated[
        int | None, typer.Option("--weeks", help="Weeks pregnant (4 to 42), in pregnancy")
    ] = None,
    level: Annotated[Level, typer.Option(help="How much help is needed")] = Level.universal_plus,
    gp_practice: Annotated[str | None, typer.Option(help="ODS code of the GP practice")] = None,
    from_service: Annotated[str | None, typer.Option(help="Your own service's id")] = None,
    as_of: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default today")] = None,
) -> None:
    """Where should this family go? The same answer as the API, as tables."""
    from pydantic import ValidationError

    from navigator.core.errors import NavigatorError
    from navigator.core.family import Family

    try:
        family = Family.model_validate(
            {
                "postcode": postcode,
                "stage": stage,
                "child_age_months": age,
                "weeks_pregnant": weeks,
                "needs": need,
                "level": level,
                "gp_practice": gp_practice,
                "from_service": from_service,
            }
        )
        day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
        result = snapshot().navigate(family, day)
    except (ValidationError, NavigatorError, ValueError) as exc:
        raise fail(f"[red]Cannot navigate:[/red] {escape(str(exc))}", 2) from None
    show(result)


def show(result: NavigateResult) -> None:
    """Where the family is, LMM's answer, the recommendations, and what is not open to them."""
    from rich.console import Console
    from rich.table import Table

    from navigator.core.wording import when

    out = Console()
    loc = result.location
    out.print(
        f"[bold]{loc.postcode}[/bold]: "
        + (f"{loc.ward} ward, {loc.local_authority}" if loc.known else "not in the postcode table")
        + (f"; areas: {', '.join(loc.areas)}" if loc.areas else "")
        + f"  (map as of {when(result.as_of)})"
    )
    for notice in result.notices:
        out.print(f"\n[bold red]{notice.code}[/bold red]: {escape(notice.text)}")
    lmm = result.lmm
    out.print(f"\n[bold]Little Minds Matter[/bold]: {lmm.eligibility.value}. {lmm.offer.summary}")
    for line in lmm.reasons + [f"Ask: {c}" for c in lmm.checks]:
        out.print(f"  - {line}")
    table = Table(title="Recommended", show_lines=True)
    for column in ("Service", "Ring", "Eligibility", "Score", "Why", "Route", "Pathway"):
        table.add_column(column)
    for r in result.recommendations:
        table.add_row(
            r.name,
            r.ring,
            r.eligibility.value,
            f"{r.score:.2f}",
            "\n".join([r.why_ranked, *r.reasons, *(f"Ask: {c}" for c in r.checks)]),
            f"{r.route.kind}: {r.route.how}",
            " → ".join(r.pathway),
        )
    out.print(table)
    if result.not_eligible:
        refused = Table(title="Not available to this family, and why")
        refused.add_column("Service")
        refused.add_column("Why not")
        for n in result.not_eligible:
            refused.add_row(n.name, "\n".join(n.reasons))
        out.print(refused)
