"""`navigator backup FILE` and `navigator restore FILE`: the whole database, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from navigator.cli.common import cli_actor, fail, settings

FileArgument = Annotated[Path, typer.Argument(help="The backup file", dir_okay=False)]


def backup(file: FileArgument) -> None:
    """Write a consistent copy of the database to FILE while the servers run.

    SQLite: SQLite's online backup. PostgreSQL: pg_dump (custom format). FILE appears only
    once the copy is complete and checked.
    """
    from navigator.db import connection
    from navigator.db.backup import BackupError
    from navigator.db.backup import backup as take

    engine = connection.make_engine(settings().db_url)
    try:
        take(engine, file)
    except BackupError as exc:
        raise fail(f"[red]Backup failed, nothing written:[/red] {escape(str(exc))}", 1) from None
    finally:
        engine.dispose()
    typer.echo(f"Backed up to {file}")


def restore(
    file: FileArgument,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask first")] = False,
) -> None:
    """Replace the database with the backup in FILE, all or nothing, while the servers run.

    Every replica reloads the restored map within a second. Keys revoked since the backup stay
    revoked; every browser is signed out; the restore is in the audit log.
    """
    from navigator.db import connection
    from navigator.db.backup import BackupError
    from navigator.db.backup import restore as put_back

    url = settings().db_url
    if not yes:
        typer.confirm(f"Replace everything in the database with {file}?", abort=True)
    engine = connection.make_engine(url)
    try:
        version = put_back(engine, file, actor=cli_actor())
    except BackupError as exc:
        raise fail(f"[red]Restore failed, nothing changed:[/red] {escape(str(exc))}", 1) from None
    finally:
        engine.dispose()
    typer.echo(f"Restored from {file}: the map is at version {version}")
