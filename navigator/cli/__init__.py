"""The `navigator` command: serve, seed, export, import-oruk, navigate, analytics, keys, audit,
GP lists, db, backup and restore.

Importing this package, and `--help` on any command, loads neither the database nor the web
stack: each command imports what it needs when it runs (tests/test_cli.py checks).
"""

from __future__ import annotations

import typer

from navigator.cli import admin, analytics, backup, db, importer, mapdata, navigate, server

app = typer.Typer(help="Bradford Early Years Navigator", no_args_is_help=True)

app.command()(server.serve)
app.command()(mapdata.seed)
app.command()(mapdata.export)
app.command("import-oruk")(importer.import_oruk)
app.command("navigate")(navigate.navigate)
app.add_typer(analytics.analytics_app, name="analytics")
app.add_typer(admin.keys_app, name="keys")
app.command("audit")(admin.audit)
app.add_typer(admin.gp_app, name="gp-lists")
app.add_typer(db.db_app, name="db")
app.command("backup")(backup.backup)
app.command("restore")(backup.restore)
