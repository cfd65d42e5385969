"""The `navigator` command: serve, seed, export."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from sqlmodel import Session

from navigator import store
from navigator.config import get_settings
from navigator.eligibility import when
from navigator.errors import NavigatorError
from navigator.exports import fhir, oruk
from navigator.models import Family, Level, Stage
from navigator.seed import SeedError, dump_yaml, ensure_seeded, seed_database

app = typer.Typer(help="Bradford Early Years Navigator", no_args_is_help=True)
err = Console(stderr=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
) -> None:
    """Start the web app and API (loads the seed into an empty database)."""
    import uvicorn

    uvicorn.run("api.main:create_app", factory=True, host=host, port=port)


@app.command()
def seed(
    file: Annotated[Path | None, typer.Option("--file", help="Seed YAML to load")] = None,
) -> None:
    """Validate a seed file, then replace the stored map with it (all or nothing)."""
    settings = get_settings()
    path = file or settings.seed_file
    engine = store.make_engine(settings.db_url)
    store.create_tables(engine)
    try:
        version = seed_database(engine, path)
    except SeedError as exc:
        err.print(f"[red]Seed not loaded[/red] (the database is unchanged): {escape(str(exc))}")
        raise typer.Exit(1) from None
    with Session(engine) as session:
        m = store.load_map(session)
    typer.echo(
        f"Loaded {path}: {len(m.services)} services, {len(m.edges)} edges, "
        f"{len(m.needs)} needs (map version {version})"
    )


class ExportFormat(StrEnum):
    yaml = "yaml"
    oruk = "oruk"
    fhir = "fhir"


@app.command()
def export(
    out: Annotated[Path | None, typer.Option("--out", help="File to write; default stdout")] = None,
    format: Annotated[
        ExportFormat, typer.Option("--format", help="yaml (seed), oruk (HSDS 3.0) or fhir (R4)")
    ] = ExportFormat.yaml,
) -> None:
    """Write the whole stored map for bulk hand-over. Confidential addresses are never written."""
    settings = get_settings()
    engine = store.make_engine(settings.db_url)
    store.create_tables(engine)
    with Session(engine) as session:
        m = store.load_map(session)
    day = dt.date.today()
    if format is ExportFormat.yaml:
        text = dump_yaml(m)
    elif format is ExportFormat.oruk:
        items = [oruk.service_full(s, m, day) for s in m.services]
        text = json.dumps(oruk.page(items, page_number=1, size=len(items) or 1, total=len(items)))
    else:
        resources = [fhir.healthcare_service(s, m, day) for s in m.services]
        text = json.dumps(fhir.bundle(resources, base_url=fhir.BASE, total=len(resources)))
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


@app.command("navigate")
def navigate_cmd(
    postcode: Annotated[str, typer.Option(help="The family's postcode")],
    stage: Annotated[Stage, typer.Option(help="antenatal or postnatal")],
    need: Annotated[list[str], typer.Option("--need", help="A need code; repeat for more")],
    age: Annotated[int | None, typer.Option("--age", help="Child's age in months")] = None,
    level: Annotated[Level, typer.Option(help="How much help is needed")] = Level.universal_plus,
    gp_practice: Annotated[str | None, typer.Option(help="ODS code of the GP practice")] = None,
    from_service: Annotated[str | None, typer.Option(help="Your own service's id")] = None,
    as_of: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default today")] = None,
) -> None:
    """Where should this family go? The same answer as the API, as tables."""
    from rich.table import Table

    from navigator.postcodes import PostcodeTable
    from navigator.snapshot import Snapshot

    try:
        family = Family.model_validate(
            {
                "postcode": postcode,
                "stage": stage,
                "child_age_months": age,
                "needs": need,
                "level": level,
                "gp_practice": gp_practice,
                "from_service": from_service,
            }
        )
        day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
        settings = get_settings()
        engine = store.make_engine(settings.db_url)
        store.create_tables(engine)
        ensure_seeded(engine, settings.seed_file)
        with Session(engine) as session:
            snap = Snapshot(
                map=store.load_map(session),
                version=store.map_version(session),
                postcodes=PostcodeTable.load(),
            )
        result = snap.navigate(family, day)
    except (ValidationError, NavigatorError, ValueError) as exc:
        err.print(f"[red]Cannot navigate:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None

    out = Console()
    loc = result.location
    out.print(
        f"[bold]{loc.postcode}[/bold]: "
        + (f"{loc.ward} ward, {loc.local_authority}" if loc.known else "not in the postcode table")
        + (f"; areas: {', '.join(loc.areas)}" if loc.areas else "")
        + f"  (map as of {when(result.as_of)})"
    )
    lmm = result.lmm
    out.print(f"\n[bold]Little Minds Matter[/bold]: {lmm.eligibility.value}. {lmm.offer.summary}")
    for line in lmm.reasons + [f"To do: {c}" for c in lmm.checks]:
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
            "\n".join(r.reasons + [f"To do: {c}" for c in r.checks]),
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
