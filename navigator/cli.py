"""The `navigator` command: serve, seed, export."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine
from sqlmodel import Session

from navigator.core.errors import NavigatorError
from navigator.core.exports import fhir, oruk
from navigator.core.models import Family, GpList, Level, Stage
from navigator.core.seedfile import SeedError, dump_yaml
from navigator.core.wording import when
from navigator.db import store, writes
from navigator.db.keys import Role
from navigator.db.seeding import ensure_seeded, seed_database
from navigator.settings import get_settings

if TYPE_CHECKING:
    from navigator.core.snapshot import Snapshot

app = typer.Typer(help="Bradford Early Years Navigator", no_args_is_help=True)
err = Console(stderr=True)


def _engine(*, seeded: bool = False) -> Engine:
    """The configured database, migrated (and seeded when asked), as `serve` starts it."""
    from navigator.db import migrations

    settings = get_settings()
    engine = store.make_engine(settings.db_url)
    with migrations.exclusive(engine):
        migrations.upgrade(engine)
        if seeded:
            ensure_seeded(engine, settings.seed_file)
    return engine


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Server processes; default NAVIGATOR_WORKERS, else 1"),
    ] = None,
) -> None:
    """Start the web app and API (migrates the database, loads the seed into an empty one)."""
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess
    from uvicorn.supervisors.multiprocess import Process

    from api.logging import log_config

    settings = get_settings()
    config = uvicorn.Config(
        "navigator.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers or settings.workers,
        # JSON lines, and our access log instead of uvicorn's (which would log query strings).
        log_config=log_config(settings.log_level),
        access_log=False,
        timeout_graceful_shutdown=settings.shutdown_timeout,
    )
    startup_failure = 3  # uvicorn's exit code when the app cannot start (e.g. no database)
    if config.workers == 1:
        server = uvicorn.Server(config)
        server.run()
        if not server.started:
            raise typer.Exit(startup_failure)
        return
    # The listening sockets are bound here rather than by uvicorn, for two measured reasons:
    # - uvicorn's own leaves the protocol number at 0, so asyncio never sets TCP_NODELAY and
    #   every keep-alive request waits ~40 ms for a delayed ACK (uvicorn issue #3149);
    # - with one socket shared by all workers, whichever worker's event loop wakes first
    #   accepts a whole burst of connections and the others idle. On Linux each worker gets
    #   its own SO_REUSEPORT socket instead, and the kernel spreads connections over them.
    reuse_port = sys.platform == "linux"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    for _ in range(config.workers if reuse_port else 1):
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            for other in sockets:
                other.close()
            err.print(f"[red]Cannot listen on {escape(host)}:{port}:[/red] {escape(str(exc))}")
            raise typer.Exit(startup_failure) from None
        port = sock.getsockname()[1]  # with --port 0, the others join the port the first got
        sock.set_inheritable(True)
        sockets.append(sock)

    class Workers(Multiprocess):
        def init_processes(self) -> None:
            # Worker i listens on socket i. A worker restarted later listens on all of them:
            # still correct (every socket keeps a listener), if less evenly spread.
            for i in range(self.processes_num):
                process = Process(self.config, [self.sockets[i % len(self.sockets)]])
                process.start()
                self.processes.append(process)

    logging.getLogger("uvicorn.error").info(
        "Listening on %s:%d with %d workers", host, port, config.workers
    )
    supervisor = Workers(config, sockets=sockets)
    try:
        supervisor.run()
    finally:
        for sock in sockets:
            sock.close()
    if any(p.exitcode == startup_failure for p in supervisor.processes):
        raise typer.Exit(startup_failure)


@app.command()
def seed(
    file: Annotated[Path | None, typer.Option("--file", help="Seed YAML to load")] = None,
) -> None:
    """Validate a seed file, then replace the stored map with it (all or nothing)."""
    path = file or get_settings().seed_file
    engine = _engine()
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
    with Session(_engine()) as session:
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
        snap = _snapshot()
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


# --- analytics: for commissioners --------------------------------------------------------------

analytics_app = typer.Typer(
    help="For commissioners: overlap, gaps and the referral network, as of a date.",
    no_args_is_help=True,
)
app.add_typer(analytics_app, name="analytics")

AsOfOption = Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD; default today")]
CsvOption = Annotated[bool, typer.Option("--csv", help="Write CSV to stdout instead of a table")]


def _snapshot() -> Snapshot:
    """The stored map (seeded on first use), as `navigator navigate` and the server load it."""
    from navigator.core.geography import PostcodeTable
    from navigator.core.snapshot import Snapshot

    with Session(_engine(seeded=True)) as session:
        return Snapshot(
            map=store.load_map(session),
            version=store.map_version(session),
            postcodes=PostcodeTable.load(get_settings().postcode_dir),
        )


def _day(as_of: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        err.print(f"[red]--as-of:[/red] {escape(as_of or '')} is not a date (YYYY-MM-DD)")
        raise typer.Exit(2) from None


def _emit(title: str, header: list[str], rows: list[list[str]], as_csv: bool) -> None:
    if as_csv:
        import csv
        import sys

        writer = csv.writer(sys.stdout)
        writer.writerow(header)
        writer.writerows(rows)
        return
    from rich.table import Table

    table = Table(title=escape(title))
    for column in header:
        table.add_column(escape(column))
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    Console().print(table)


@analytics_app.command("overlap")
def analytics_overlap(
    as_of: AsOfOption = None,
    limit: Annotated[int, typer.Option(min=1, help="Pairs to show")] = 200,
    min_score: Annotated[float, typer.Option(min=0, max=1, help="Leave out lower")] = 0.0,
    as_csv: CsvOption = False,
) -> None:
    """Pairs of services whose remits overlap, highest score first."""
    from navigator.core.analytics import overlap

    day = _day(as_of)
    snap = _snapshot()
    result = overlap(
        map=snap.map, index=snap.area_index, as_of=day, limit=limit, min_score=min_score
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
    _emit(f"Overlap as of {when(day)}", [*header, "shared_areas"], rows, as_csv)


@analytics_app.command("gaps")
def analytics_gaps(
    need: Annotated[str, typer.Option("--need", help="A need code")],
    level: Annotated[Level, typer.Option(help="How much help is needed")] = Level.universal_plus,
    as_of: AsOfOption = None,
    as_csv: CsvOption = False,
) -> None:
    """Every Bradford ward x age band, with the services that would take such a family."""
    from navigator.core.analytics import gaps

    day = _day(as_of)
    snap = _snapshot()
    try:
        result = gaps(map=snap.map, index=snap.area_index, need=need, level=level, as_of=day)
    except NavigatorError as exc:
        err.print(f"[red]--{exc.field or 'need'}:[/red] {escape(exc.message)}")
        raise typer.Exit(2) from None
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
    title = f"Services for {need} at {level.value}, as of {when(day)}"
    _emit(title, ["ward_code", "ward", "age_band", "gap", "services"], rows, as_csv)


@analytics_app.command("network")
def analytics_network(as_of: AsOfOption = None, as_csv: CsvOption = False) -> None:
    """Referral degrees, betweenness and reach from the universal services."""
    from navigator.core.analytics import network

    day = _day(as_of)
    snap = _snapshot()
    result = network(map=snap.map, graph=snap.graph, as_of=day)
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
    _emit(f"Referral network as of {when(day)}", header, rows, as_csv)
    if not as_csv:
        out = Console()
        out.print(f"Unreachable from {', '.join(result.universal)}: ", end="")
        out.print(escape(", ".join(result.unreachable) or "none"))
        out.print("Single points of failure: " + escape(", ".join(result.articulation_points)))


def _cli_actor() -> str:
    """Who made a change from the command line, for the audit log."""
    return f"cli:{getpass.getuser()}"


keys_app = typer.Typer(help="API keys for editors and admins.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="editor or admin")],
    name: Annotated[str, typer.Option(help="Who or what holds the key (shown in the audit log)")],
) -> None:
    """Make a key. It is printed once, as the last line; only its hash is kept."""
    with store.writing(_engine()) as session:
        if any(r.name == name for r in store.list_keys(session)):
            err.print(f"[red]A key named {escape(name)} exists already[/red]")
            raise typer.Exit(1)
        key = store.create_key(session, name=name, role=role.value)
        store.audit(
            session,
            actor=_cli_actor(),
            action="create",
            entity="api_key",
            entity_id=name,
            before=None,
            after={"name": name, "role": role.value},
        )
    typer.echo(f"Created {role.value} key {name!r}. Keep it safe: it will not be shown again.")
    typer.echo(key)


@keys_app.command("list")
def keys_list() -> None:
    """Every key: name, role, when made, when revoked. Never the keys themselves."""
    with Session(_engine()) as session:
        rows = store.list_keys(session)
    _emit(
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
    with store.writing(_engine()) as session:
        row = store.revoke_key(session, ident)
        if row is None:
            err.print(f"[red]No live key {escape(ident)}[/red]")
            raise typer.Exit(1)
        name = row.name
        store.audit(
            session,
            actor=_cli_actor(),
            action="revoke",
            entity="api_key",
            entity_id=name,
            before={"revoked_at": None},
            after={"revoked_at": str(row.revoked_at)},
        )
    typer.echo(f"Revoked key {name!r}")


@app.command("audit")
def audit_cmd(
    entity: Annotated[str | None, typer.Option(help="service, edge, gp_list or api_key")] = None,
    entity_id: Annotated[str | None, typer.Option("--id", help="The entity's id")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
) -> None:
    """Who changed what, when: newest first."""
    with Session(_engine()) as session:
        rows, total = store.audit_entries(session, entity=entity, entity_id=entity_id, limit=limit)
    _emit(
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


gp_app = typer.Typer(help="GP practice lists (sets of ODS codes).", no_args_is_help=True)
app.add_typer(gp_app, name="gp-lists")


@gp_app.command("load")
def gp_lists_load(
    list_id: Annotated[str, typer.Argument(help="The list's id, e.g. ric")],
    file: Annotated[
        Path, typer.Argument(help="CSV of ODS codes: one a line, or a column named ods_code")
    ],
) -> None:
    """Replace a GP list's practices from a CSV file; from then on its rules are decided."""
    import csv

    try:
        with file.open(newline="", encoding="utf-8-sig") as fh:
            rows = [row for row in csv.reader(fh) if row and row[0].strip()]
    except OSError as exc:
        err.print(f"[red]{escape(str(file))}:[/red] {escape(exc.strerror or str(exc))}")
        raise typer.Exit(1) from None
    header = [c.strip().lower() for c in rows[0]] if rows else []
    column = next((header.index(n) for n in ("ods_code", "code", "ods") if n in header), None)
    body = rows[1:] if column is not None else rows
    codes = [row[column or 0].strip().upper() for row in body]
    engine = _engine()
    with Session(engine) as session:
        current = store.get_gp_list(session, list_id)
    if current is None:
        err.print(f"[red]No GP list {escape(list_id)}[/red]")
        raise typer.Exit(1)
    try:
        updated = GpList.model_validate({**current.model_dump(), "practices": codes})
        writes.save_gp_list(
            engine, gp=updated, if_match=writes.gp_list_etag(current), actor=_cli_actor()
        )
    except ValidationError as exc:
        bad = exc.errors()[0]
        line = (
            int(bad["loc"][1]) + 1 + (1 if column is not None else 0) if len(bad["loc"]) > 1 else 0
        )
        err.print(f"[red]{escape(str(file))}, line {line}:[/red] not an ODS code ({bad['msg']})")
        raise typer.Exit(1) from None
    typer.echo(f"Loaded {len(set(codes))} practices into {list_id!r}")


# --- db: the schema ----------------------------------------------------------------------------

db_app = typer.Typer(help="The database schema (serve migrates by itself at start).")
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the newest schema; adopts one made before migrations existed."""
    from navigator.db import migrations

    engine = store.make_engine(get_settings().db_url)
    try:
        with migrations.exclusive(engine):
            outcome = migrations.upgrade(engine)
        revision = migrations.current_revision(engine)
    except migrations.SchemaMismatch as exc:
        err.print(f"[red]Not migrated:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(f"Database schema {outcome.value}: at revision {revision}")
