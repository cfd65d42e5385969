"""`navigator keys`, `navigator audit` and `navigator gp-lists`: who may edit, and what changed.

Each change is made by one small function (`_create_key`, `_revoke_key`, `_replace_practices`)
taking an engine and the actor, so the same write as the API's can stand in for it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from navigator.cli.common import cli_actor, database, emit, fail
from navigator.db.keys import Role

if TYPE_CHECKING:
    from sqlalchemy import Engine

keys_app = typer.Typer(help="API keys for editors and admins.", no_args_is_help=True)
gp_app = typer.Typer(help="GP practice lists (sets of ODS codes).", no_args_is_help=True)


# --- keys ---------------------------------------------------------------------------------------


def _create_key(engine: Engine, *, name: str, role: Role, actor: str) -> str:
    """A new key through the one write path. AlreadyExists: the name is taken."""
    from navigator.db.writes import MapWriter

    _, key = MapWriter(engine).create_key(name=name, role=role, actor=actor)
    return key


def _revoke_key(engine: Engine, ident: str, *, actor: str) -> str:
    """Revoke a live key by id or name through the one write path. NotFound: none live."""
    from navigator.db.writes import MapWriter

    return MapWriter(engine).revoke_key(ident=ident, actor=actor).name


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="reader, editor or admin")],
    name: Annotated[str, typer.Option(help="Who or what holds the key (shown in the audit log)")],
) -> None:
    """Make a key. It is printed once, as the last line; only its hash is kept."""
    from navigator.core.errors import AlreadyExists

    with database() as engine:
        try:
            key = _create_key(engine, name=name, role=role, actor=cli_actor())
        except AlreadyExists:
            raise fail(f"[red]A key named {escape(name)} exists already[/red]", 1) from None
    typer.echo(f"Created {role.value} key {name!r}. Keep it safe: it will not be shown again.")
    typer.echo(key)


@keys_app.command("list")
def keys_list() -> None:
    """Every key: name, role, when made, when revoked. Never the keys themselves."""
    from sqlmodel import Session

    from navigator.db import accounts

    with database() as engine, Session(engine) as session:
        rows = accounts.list_keys(session)
    emit(
        "API keys",
        ["id", "name", "role", "created", "revoked"],
        [
            [str(r.id), r.name, r.role, f"{r.created_at:%Y-%m-%d %H:%M}", str(r.revoked_at or "")]
            for r in rows
        ],
        False,
    )


@keys_app.command("revoke")
def keys_revoke(ident: Annotated[str, typer.Argument(help="The key's id or name")]) -> None:
    """Revoke a key: it stops working at once."""
    from navigator.core.errors import NotFound

    with database() as engine:
        try:
            name = _revoke_key(engine, ident, actor=cli_actor())
        except NotFound:
            raise fail(f"[red]No live key {escape(ident)}[/red]", 1) from None
    typer.echo(f"Revoked key {name!r}")


# --- audit --------------------------------------------------------------------------------------


def audit(
    entity: Annotated[str | None, typer.Option(help="service, edge, gp_list or api_key")] = None,
    entity_id: Annotated[str | None, typer.Option("--id", help="The entity's id")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
) -> None:
    """Who changed what, when: newest first."""
    from sqlmodel import Session

    from navigator.db import accounts

    with database() as engine, Session(engine) as session:
        rows, total = accounts.audit_entries(
            session, entity=entity, entity_id=entity_id, limit=limit
        )
    emit(
        f"Audit log ({len(rows)} of {total})",
        ["when", "who", "action", "what", "before", "after"],
        [
            [
                f"{r.at:%Y-%m-%d %H:%M:%S}",
                r.actor,
                r.action,
                f"{r.entity} {r.entity_id}",
                json.dumps(r.before)[:80] if r.before is not None else "",
                json.dumps(r.after)[:80] if r.after is not None else "",
            ]
            for r in rows
        ],
        False,
    )


# --- GP lists -----------------------------------------------------------------------------------


def _replace_practices(engine: Engine, list_id: str, codes: list[str], *, actor: str) -> None:
    """Make `codes` the GP list's practices through the one write path. NotFound: no such list;
    InvalidEdit: a code that is not an ODS code (its loc gives the row)."""
    from navigator.db.writes import MapWriter

    MapWriter(engine).update_gp_list(
        list_id=list_id, changes={"practices": codes}, if_match=None, actor=actor, force=True
    )


def _read_codes(file: Path) -> tuple[list[str], bool]:
    """The ODS codes in a CSV file, and whether it had a header row."""
    import csv

    try:
        with file.open(newline="", encoding="utf-8-sig") as fh:
            rows = [row for row in csv.reader(fh) if row and row[0].strip()]
    except OSError as exc:
        reason = escape(exc.strerror or str(exc))
        raise fail(f"[red]{escape(str(file))}:[/red] {reason}", 1) from None
    header = [c.strip().lower() for c in rows[0]] if rows else []
    column = next((header.index(n) for n in ("ods_code", "code", "ods") if n in header), None)
    body = rows[1:] if column is not None else rows
    return [row[column or 0].strip().upper() for row in body], column is not None


@gp_app.command("load")
def gp_lists_load(
    list_id: Annotated[str, typer.Argument(help="The list's id, e.g. ric")],
    file: Annotated[
        Path, typer.Argument(help="CSV of ODS codes: one a line, or a column named ods_code")
    ],
) -> None:
    """Replace a GP list's practices from a CSV file; from then on its rules are decided."""
    from navigator.core.errors import InvalidEdit, NotFound

    codes, has_header = _read_codes(file)
    with database() as engine:
        try:
            _replace_practices(engine, list_id, codes, actor=cli_actor())
        except NotFound:
            raise fail(f"[red]No GP list {escape(list_id)}[/red]", 1) from None
        except InvalidEdit as exc:
            row = exc.loc[1] if len(exc.loc) > 1 and isinstance(exc.loc[1], int) else -1
            line = row + 1 + int(has_header)
            message = (
                f"[red]{escape(str(file))}, line {line}:[/red] not an ODS code ({exc.message})"
            )
            raise fail(message, 1) from None
    typer.echo(f"Loaded {len(set(codes))} practices into {list_id!r}")
