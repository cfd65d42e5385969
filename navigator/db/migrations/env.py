"""Alembic's environment: the target schema is the store's SQLModel tables.

Run programmatically by `navigator.db.migrations.upgrade` (which hands over a connection), or by the
`alembic` command from the repository root (alembic.ini), which reads the database URL from
NAVIGATOR_* settings like every other entry point.
"""

from __future__ import annotations

import logging.config

from alembic import context
from sqlalchemy import Connection

from navigator.db.connection import make_engine
from navigator.db.tables import METADATA
from navigator.settings import get_settings

config = context.config
target_metadata = METADATA

# Only the `alembic` command configures logging from the ini file; inside the app it is the
# app's own logging that applies.
if config.config_file_name is not None and "connection" not in config.attributes:
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().db_url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    try:
        with engine.begin() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
