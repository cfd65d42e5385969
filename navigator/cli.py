"""The `navigator` command: serve, seed, export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlmodel import Session

from navigator import store
from navigator.config import get_settings
from navigator.seed import SeedError, dump_yaml, seed_database

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
        err.print(f"[red]Seed not loaded[/red] (the database is unchanged): {exc}", markup=True)
        raise typer.Exit(1) from None
    with Session(engine) as session:
        m = store.load_map(session)
    typer.echo(
        f"Loaded {path}: {len(m.services)} services, {len(m.edges)} edges, "
        f"{len(m.needs)} needs (map version {version})"
    )


@app.command()
def export(
    out: Annotated[Path | None, typer.Option("--out", help="File to write; default stdout")] = None,
) -> None:
    """Write the stored map as seed YAML."""
    settings = get_settings()
    engine = store.make_engine(settings.db_url)
    store.create_tables(engine)
    with Session(engine) as session:
        text = dump_yaml(store.load_map(session))
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
