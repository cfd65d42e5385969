"""What the commands share: failing with a message, the database as `serve` starts it, tables.

Cheap to import: the database, the models and the settings load inside the functions, so
`navigator --help` never pays for them.
"""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from navigator.core.snapshot import Snapshot
    from navigator.settings import Settings

AsOfOption = Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD; default today")]
CsvOption = Annotated[bool, typer.Option("--csv", help="Write CSV to stdout instead of a table")]


def fail(markup: str, code: int) -> typer.Exit:
    """Print `markup` (rich markup: escape what it quotes) to stderr; raise what it returns."""
    from rich.console import Console

    Console(stderr=True).print(markup)
    return typer.Exit(code)


def settings() -> Settings:
    from navigator.settings import get_settings

    return get_settings()


@contextmanager
def database(*, seeded: bool = False) -> Iterator[Engine]:
    """The configured database, migrated (and seeded when asked), as `serve` starts it."""
    from navigator.db import bootstrap

    engine = bootstrap.open_engine(settings(), seed=seeded)
    try:
        yield engine
    finally:
        engine.dispose()


def snapshot() -> Snapshot:
    """The stored map (seeded on first use), as `navigator navigate` and the server load it."""
    from navigator.db import bootstrap

    return bootstrap.snapshot(settings())


def day(as_of: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        raise fail(
            f"[red]--as-of:[/red] {escape(as_of or '')} is not a date (YYYY-MM-DD)", 2
        ) from None


def cli_actor() -> str:
    """Who made a change from the command line, for the audit log."""
    return f"cli:{getpass.getuser()}"


def emit(title: str, header: list[str], rows: list[list[str]], as_csv: bool) -> None:
    """Rows as a table on stdout, or as CSV (header first) when `as_csv`."""
    if as_csv:
        import csv
        import sys

        writer = csv.writer(sys.stdout)
        writer.writerow(header)
        writer.writerows(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=escape(title))
    for column in header:
        table.add_column(escape(column))
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    Console().print(table)
