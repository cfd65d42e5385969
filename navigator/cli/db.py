"""`navigator db`: the schema."""

from __future__ import annotations

import typer

from navigator.cli.common import settings

db_app = typer.Typer(help="The database schema (serve migrates by itself at start).")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the newest schema; adopts one made before migrations existed."""
    from navigator.db import bootstrap, connection, migrations

    engine = connection.make_engine(settings().db_url)
    try:
        outcome = bootstrap.prepare(engine)
        revision = migrations.current_revision(engine)
    finally:
        engine.dispose()
    typer.echo(f"Database schema {outcome.value}: at revision {revision}")
