"""`navigator serve`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from navigator.cli.common import fail, settings


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Server processes; default NAVIGATOR_WORKERS, else 1"),
    ] = None,
) -> None:
    """Start the web app and API (migrates the database, loads the seed into an empty one)."""
    from navigator import serve as runner

    try:
        code = runner.run(settings(), host, port, workers)
    except runner.CannotListen as exc:
        where = f"{escape(exc.host)}:{exc.port}"
        raise fail(
            f"[red]Cannot listen on {where}:[/red] {escape(exc.reason)}", runner.STARTUP_FAILURE
        ) from None
    if code:
        raise typer.Exit(code)
