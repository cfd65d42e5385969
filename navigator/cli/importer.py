"""`navigator import-oruk SOURCE [--dry-run]`: another directory's Open Referral UK feed into the
map, through the one write path (validated, audited, versioned), all or nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from navigator.cli.common import database, fail

if TYPE_CHECKING:
    from navigator.core.oruk_import import Options

PER_PAGE = 100
MAX_PAGES = 10_000
TIMEOUT = 30


def _get(url: str) -> Any:
    """JSON from a URL; InvalidFeed naming the URL when it cannot be had."""
    import urllib.error
    import urllib.request

    from navigator.core.oruk_import import InvalidFeed

    if not url.lower().startswith(("http://", "https://")):
        raise InvalidFeed(f"{url}: only http(s) feeds can be read")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url, headers={"Accept": "application/json", "User-Agent": "bradford-navigator-import"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise InvalidFeed(f"{url}: the feed answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InvalidFeed(f"{url}: could not be read ({reason})") from None
    try:
        return json.loads(body)
    except ValueError:
        raise InvalidFeed(f"{url}: not JSON") from None


def read_feed(base: str) -> list[Any]:
    """Every service of a feed, fully nested: its pages of /services, then /services/{id}."""
    from navigator.core.oruk_import import InvalidFeed

    base = base.rstrip("/")
    ids: list[str] = []
    for number in range(1, MAX_PAGES + 1):
        url = f"{base}/services?page={number}&per_page={PER_PAGE}"
        page = _get(url)
        if not isinstance(page, dict) or not isinstance(page.get("contents"), list):
            raise InvalidFeed(f"{url}: not a page of services (no contents)")
        for i, item in enumerate(page["contents"]):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise InvalidFeed(f"{url}: contents[{i}]: id: is missing")
            ids.append(item["id"])
        if page.get("last_page") is True or not page["contents"]:
            break
    return [_get(f"{base}/services/{ident}") for ident in ids]


def _load(source: str) -> tuple[list[Any], Options]:
    from navigator.core.oruk_import import InvalidFeed, Options, services_in

    path = Path(source)
    if not source.lower().startswith(("http://", "https://")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InvalidFeed(f"{source}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise InvalidFeed(f"{source}: not JSON ({exc})") from None
        return services_in(document, where=source), Options(feed=str(path.resolve()))
    base = source.rstrip("/")
    options = Options(feed=base, service_url=base + "/services/{id}")
    return read_feed(base), options


def import_oruk(
    source: Annotated[str, typer.Argument(help="A feed's base URL, or a JSON file of services")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan; change nothing")
    ] = False,
    need: Annotated[
        list[str] | None,
        typer.Option(
            "--need",
            help="Need code(s) for services none of whose taxonomy terms is a need of the map",
        ),
    ] = None,
    area: Annotated[
        str | None,
        typer.Option(
            "--area",
            help="Area id where services serve when the feed names no area of the map",
        ),
    ] = None,
) -> None:
    """Read an Open Referral UK 3.0 feed into the map: new services are added as `imported`;
    one that looks like a curated service (same organisation and name) is shown as a
    difference, never overwritten; re-running changes only what the feed changed."""
    import dataclasses

    from sqlmodel import Session

    from navigator.cli.common import cli_actor
    from navigator.core.errors import NavigatorError
    from navigator.core.oruk_import import InvalidFeed, plan_import
    from navigator.db import store
    from navigator.db.writes import MapWriter

    try:
        docs, options = _load(source)
    except InvalidFeed as exc:
        raise fail(f"[red]Not imported[/red] (nothing changed): {escape(exc.message)}", 1) from None
    options = dataclasses.replace(options, default_needs=tuple(need or ()), default_area=area)
    with database(seeded=True) as engine:
        with Session(engine) as session:
            m = store.load_map(session)
        try:
            plan = plan_import(m, docs, options)
        except InvalidFeed as exc:
            raise fail(
                f"[red]Not imported[/red] (nothing changed): {escape(exc.message)}", 1
            ) from None
        for line in plan.lines():
            typer.echo(line)
        if dry_run:
            typer.echo(f"Dry run: {plan.changes} change(s) planned, none made.")
            return
        try:
            made = MapWriter(engine).apply_import(
                organisations=plan.organisations,
                create=plan.create,
                update=plan.update,
                actor=f"import-oruk ({cli_actor()})",
            )
        except NavigatorError as exc:
            raise fail(
                f"[red]Not imported[/red] (nothing changed): {escape(exc.message)}", 1
            ) from None
    typer.echo(
        f"Imported from {options.feed}: {len(plan.create)} created, {len(plan.update)} updated, "
        f"{len(plan.unchanged)} unchanged, {len(plan.differs)} differ from curated services "
        f"(not written), {len(plan.skipped)} skipped; {made} change(s) made."
    )
