"""`navigator seed` and `navigator export`: the whole map in and out."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from navigator.cli.common import database, fail, settings


def seed(
    file: Annotated[Path | None, typer.Option("--file", help="Seed YAML to load")] = None,
) -> None:
    """Validate a seed file, then replace the stored map with it (all or nothing)."""
    from sqlmodel import Session

    from navigator.core.seedfile import SeedError
    from navigator.db import store
    from navigator.db.seeding import seed_database

    path = file or settings().seed_file
    with database() as engine:
        try:
            version = seed_database(engine, path)
        except SeedError as exc:
            message = f"[red]Seed not loaded[/red] (the database is unchanged): {escape(str(exc))}"
            raise fail(message, 1) from None
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


def export(
    out: Annotated[Path | None, typer.Option("--out", help="File to write; default stdout")] = None,
    format: Annotated[
        ExportFormat, typer.Option("--format", help="yaml (seed), oruk (HSDS 3.0) or fhir (R4)")
    ] = ExportFormat.yaml,
) -> None:
    """Write the whole stored map for bulk hand-over. Confidential addresses are never written."""
    from sqlmodel import Session

    from navigator.core.exports import fhir, oruk
    from navigator.core.seedfile import dump_yaml
    from navigator.db import store
    from navigator.db.bootstrap import load_modified

    with database() as engine, Session(engine) as session:
        m = store.load_map(session)
        modified = load_modified(session, m)
    day = dt.date.today()
    now = dt.datetime.now(dt.UTC)
    if format is ExportFormat.yaml:
        text = dump_yaml(m)
    elif format is ExportFormat.oruk:
        feed = oruk.Feed(map=m, day=day, modified=modified)
        items = [oruk.service_full(s, feed) for s in m.services]
        text = json.dumps(oruk.page(items, page_number=1, size=len(items) or 1, total=len(items)))
    else:
        # Code systems and identifiers under NAVIGATOR_PUBLIC_BASE_URL, as the server's.
        publisher = fhir.Publisher(settings().base_url())
        resources = [
            fhir.healthcare_service(
                s, m, day, publisher=publisher, last_updated=modified.get(s.id, now)
            )
            for s in m.services
        ]
        found = fhir.Search(count=len(resources))
        text = json.dumps(
            fhir.bundle(
                resources,
                publisher=publisher,
                resource="HealthcareService",
                search=found,
                total=len(resources),
            )
        )
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
