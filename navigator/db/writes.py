"""The one write path: every change to the map, its GP lists and the API keys goes through here.

Each change runs in one write transaction (connection.writing) that validates, checks the ETag,
writes, records the audit entry and bumps the map version together, so no edit is lost and none is
half-written. After it commits, the writer tells this process's map holder directly
(`on_change`), so the next read sees the change; other processes see the new version within
their check interval. Nothing else ever expires the map: reads never do.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session

from navigator.core.errors import (
    AlreadyExists,
    InvalidEdit,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
)
from navigator.core.models import Edge, GpList, Organisation, Service, dump, public
from navigator.core.snapshot import etag_of, service_etag
from navigator.core.validation import check_catchment, check_edge, check_service
from navigator.db import accounts, connection, keys, store, tables
from navigator.db.keys import Role


def edge_etag(edge_id: int, edge: Edge) -> str:
    return etag_of({"id": edge_id, **dump(edge)})


def gp_list_etag(gp: GpList) -> str:
    return etag_of(dump(gp))


# RFC 9110 entity-tags in an If-Match list: "opaque" or W/"opaque" (weak), comma-separated.
_ENTITY_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*')


def parse_if_match(value: str) -> list[tuple[bool, str]] | None:
    """`If-Match` as (weak, tag) pairs; [] for `*`; None when it is neither (malformed)."""
    if value.strip() == "*":
        return []
    tags: list[tuple[bool, str]] = []
    for part in value.split(","):
        if not part.strip():
            continue  # RFC 9110 list syntax allows empty elements
        found = _ENTITY_TAG.fullmatch(part)
        if found is None:
            return None
        tags.append((found.group(1) is not None, f'"{found.group(2)}"'))
    return tags or None


def _match(if_match: str | None, current: str) -> None:
    """RFC 9110 If-Match on a resource that exists (a missing one was 404 before this).

    `*` matches whatever is current: a client that sends it asks to overwrite blindly, and may.
    Otherwise the current ETag must be in the list, compared strongly: a weak tag never matches.
    """
    if if_match is None:
        raise PreconditionRequired("Send If-Match with the ETag you last read", loc=("If-Match",))
    tags = parse_if_match(if_match)
    if tags is None:
        raise PreconditionFailed(
            'If-Match must be * or a list of ETags, each in double quotes ("...")',
            loc=("If-Match",),
        )
    if tags and (False, current) not in tags:
        raise PreconditionFailed(
            "Someone changed this since you read it: fetch it again and redo your change",
            loc=("If-Match",),
        )


# What the audit holds in place of a confidential address: never the address itself.
CONFIDENTIAL = "(confidential)"
CONFIDENTIAL_CHANGED = "(confidential, changed)"


def audited(service: Service, *, address_changed: bool) -> dict[str, Any]:
    """A service as the audit keeps it: published fields, and a confidential address only as a
    word saying whether it changed (readers of the audit may not see it)."""
    data = dump(public(service))
    if service.confidential_address and service.address is not None:
        data["address"] = CONFIDENTIAL_CHANGED if address_changed else CONFIDENTIAL
    return data


def _validated(model: type[Service] | type[Edge] | type[GpList], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InvalidEdit(err["msg"], loc=tuple(err["loc"])) from None


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: objects merge, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


@dataclass
class _Change:
    """One write transaction: it bumps the map version only when something was written (a save
    that changes nothing writes nothing and bumps nothing)."""

    session: Session
    changed: bool = False


class MapWriter:
    """Validated, ETag-guarded, audited changes, each all or nothing."""

    def __init__(self, engine: Engine, *, on_change: Callable[[], None] | None = None) -> None:
        self.engine = engine
        self.on_change = on_change
        self._etag_key: bytes | None = None

    @contextmanager
    def _map_change(self) -> Iterator[_Change]:
        """A write transaction that bumps the map version; the holder hears after commit.

        A change that turns out to change nothing (`changed = False`) commits nothing new:
        no audit entry, no new version, nobody told.
        """
        with connection.writing(self.engine) as session:
            change = _Change(session)
            self._etag_key = store.etag_key(session)
            yield change
            if change.changed:
                store.bump_version(session)
        if change.changed and self.on_change is not None:
            self.on_change()

    def service_etag(self, service: Service) -> str:
        """The service's ETag as stored (keyed; see navigator.core.snapshot.service_etag)."""
        if self._etag_key is None:
            with Session(self.engine) as session:
                self._etag_key = store.etag_key(session)
        return service_etag(service, self._etag_key)

    # --- services ------------------------------------------------------------------------------

    def _write_service(
        self, change: _Change, *, before: Service | None, after: Service, actor: str, action: str
    ) -> Service:
        session = change.session
        check_service(after, store.references(session))
        check_catchment(after)
        if before is not None and dump(before) == dump(after):
            return before  # nothing to write: the same record, the same ETag
        change.changed = True
        store.put_service(session, after)
        # A confidential address is never in the audit: "(confidential, changed)" says it moved.
        address_changed = before is not None and before.address != after.address
        accounts.audit(
            session,
            actor=actor,
            action=action,
            entity="service",
            entity_id=after.id,
            before=audited(before, address_changed=False) if before else None,
            after=audited(after, address_changed=address_changed),
        )
        return after

    def create_service(self, *, service: Service, actor: str) -> Service:
        with self._map_change() as change:
            if store.get_service(change.session, service.id) is not None:
                raise AlreadyExists(f"A service with id {service.id!r} exists", loc=("id",))
            return self._write_service(
                change, before=None, after=service, actor=actor, action="create"
            )

    def replace_service(
        self, *, service_id: str, service: Service, if_match: str | None, actor: str
    ) -> Service:
        if service.id != service_id:
            raise InvalidEdit(f"id must be {service_id!r}, the id in the path", loc=("id",))
        with self._map_change() as change:
            before = _current_service(change.session, service_id)
            _match(if_match, self.service_etag(before))
            if before.confidential_address and service.confidential_address and not service.address:
                # Clients never see a confidential address, so their PUT cannot carry it: keep it.
                service = service.model_copy(update={"address": before.address})
            return self._write_service(
                change, before=before, after=service, actor=actor, action="replace"
            )

    def patch_service(
        self, *, service_id: str, patch: dict[str, Any], if_match: str | None, actor: str
    ) -> Service:
        with self._map_change() as change:
            before = _current_service(change.session, service_id)
            _match(if_match, self.service_etag(before))
            # The confidential address is never served, so a client cannot patch from it: keep it.
            data = merge_patch(before.model_dump(mode="json", exclude_defaults=True), patch)
            after = _validated(Service, data)
            if after.id != service_id:
                raise InvalidEdit("id cannot be changed", loc=("id",))
            return self._write_service(
                change, before=before, after=after, actor=actor, action="patch"
            )

    def retire_service(
        self, *, service_id: str, on: dt.date, if_match: str | None, actor: str
    ) -> Service:
        """Stop offering a service from `on`; it stays in the map for "as of" questions before."""
        with self._map_change() as change:
            before = _current_service(change.session, service_id)
            _match(if_match, self.service_etag(before))
            after = before.model_copy(update={"valid_to": _last_day(before, on)})
            return self._write_service(
                change, before=before, after=after, actor=actor, action="retire"
            )

    def apply_import(
        self,
        *,
        organisations: list[Organisation],
        create: list[Service],
        update: list[tuple[Service, Service]],
        actor: str,
    ) -> int:
        """Write an import's plan in one transaction, each change validated and audited: all of
        it, or (when anything fails, or a service changed since the plan was made) none."""
        if not (organisations or create or update):
            return 0
        with self._map_change() as change:
            session = change.session
            for org in organisations:
                was = next((o for o in store.organisations(session) if o.id == org.id), None)
                change.changed = True
                store.put_organisation(session, org)
                accounts.audit(
                    session,
                    actor=actor,
                    action="import",
                    entity="organisation",
                    entity_id=org.id,
                    before=dump(was) if was else None,
                    after=dump(org),
                )
            for service in create:
                if store.get_service(session, service.id) is not None:
                    raise AlreadyExists(f"A service with id {service.id!r} exists", loc=("id",))
                self._write_service(
                    change, before=None, after=service, actor=actor, action="import"
                )
            for planned, service in update:
                before = _current_service(session, service.id)
                if before != planned:
                    raise PreconditionFailed(
                        f"{service.id} changed since the import was planned: run it again",
                        loc=("id",),
                    )
                self._write_service(
                    change, before=before, after=service, actor=actor, action="import"
                )
        return len(organisations) + len(create) + len(update)

    # --- edges ---------------------------------------------------------------------------------

    def _write_edge(
        self,
        change: _Change,
        *,
        edge_id: int | None,
        before: Edge | None,
        after: Edge,
        actor: str,
        action: str,
    ) -> tuple[int, Edge]:
        session = change.session
        check_edge(after, store.references(session))
        if before is not None and edge_id is not None and dump(before) == dump(after):
            return edge_id, before
        change.changed = True
        new_id = store.put_edge(session, after, edge_id)
        accounts.audit(
            session,
            actor=actor,
            action=action,
            entity="edge",
            entity_id=str(new_id),
            before=dump(before) if before else None,
            after=dump(after),
        )
        return new_id, after

    def create_edge(self, *, edge: Edge, actor: str) -> tuple[int, Edge]:
        with self._map_change() as change:
            return self._write_edge(
                change, edge_id=None, before=None, after=edge, actor=actor, action="create"
            )

    def replace_edge(
        self, *, edge_id: int, edge: Edge, if_match: str | None, actor: str
    ) -> tuple[int, Edge]:
        with self._map_change() as change:
            before = _current_edge(change.session, edge_id)
            _match(if_match, edge_etag(edge_id, before))
            return self._write_edge(
                change, edge_id=edge_id, before=before, after=edge, actor=actor, action="replace"
            )

    def patch_edge(
        self, *, edge_id: int, patch: dict[str, Any], if_match: str | None, actor: str
    ) -> tuple[int, Edge]:
        with self._map_change() as change:
            before = _current_edge(change.session, edge_id)
            _match(if_match, edge_etag(edge_id, before))
            after = _validated(Edge, merge_patch(before.model_dump(mode="json"), patch))
            return self._write_edge(
                change, edge_id=edge_id, before=before, after=after, actor=actor, action="patch"
            )

    def retire_edge(
        self, *, edge_id: int, on: dt.date, if_match: str | None, actor: str
    ) -> tuple[int, Edge]:
        with self._map_change() as change:
            before = _current_edge(change.session, edge_id)
            _match(if_match, edge_etag(edge_id, before))
            after = before.model_copy(update={"valid_to": _last_day(before, on)})
            return self._write_edge(
                change, edge_id=edge_id, before=before, after=after, actor=actor, action="retire"
            )

    # --- GP lists ------------------------------------------------------------------------------

    def _write_gp_list(
        self, change: _Change, *, before: GpList | None, after: GpList, actor: str
    ) -> GpList:
        session = change.session
        if before is not None and dump(before) == dump(after):
            return before
        change.changed = True
        store.put_gp_list(session, after)
        accounts.audit(
            session,
            actor=actor,
            action="replace" if before else "create",
            entity="gp_list",
            entity_id=after.id,
            before=dump(before) if before else None,
            after=dump(after),
        )
        return after

    def create_gp_list(self, *, gp: GpList, actor: str) -> GpList:
        with self._map_change() as change:
            if store.get_gp_list(change.session, gp.id) is not None:
                raise AlreadyExists(f"A GP list with id {gp.id!r} exists", loc=("id",))
            return self._write_gp_list(change, before=None, after=gp, actor=actor)

    def update_gp_list(
        self,
        *,
        list_id: str,
        changes: dict[str, Any],
        if_match: str | None,
        actor: str,
        force: bool = False,
    ) -> GpList:
        """Merge `changes` (practices, name, wording) into a GP list, given its current ETag.

        `force` is for the command line, run by whoever holds the server: it needs no ETag.
        """
        with self._map_change() as change:
            before = store.get_gp_list(change.session, list_id)
            if before is None:
                raise NotFound(f"No GP list with id {list_id!r}")
            if not force:
                _match(if_match, gp_list_etag(before))
            after = _validated(GpList, {**before.model_dump(), **changes, "id": list_id})
            return self._write_gp_list(change, before=before, after=after, actor=actor)

    # --- keys (they do not change the map: no version bump) -----------------------------------

    def create_key(self, *, name: str, role: Role, actor: str) -> tuple[tables.ApiKeyRow, str]:
        """A new key, stored hashed; returns its row and the key itself, shown once."""
        with connection.writing(self.engine) as session:
            if any(r.name == name for r in accounts.list_keys(session)):
                raise AlreadyExists(f"A key named {name!r} exists", loc=("name",))
            key = accounts.create_key(session, name=name, role=role.value)
            accounts.audit(
                session,
                actor=actor,
                action="create",
                entity="api_key",
                entity_id=name,
                before=None,
                after={"name": name, "role": role.value},
            )
            session.flush()
            parts = keys.split(key)
            assert parts is not None
            row = accounts.key_by_prefix(session, parts[0])
            assert row is not None
            session.expunge(row)
        return row, key

    def revoke_key(self, *, ident: str, actor: str) -> tables.ApiKeyRow:
        """Revoke a key by id or name: it stops working at once."""
        with connection.writing(self.engine) as session:
            row = accounts.revoke_key(session, ident)
            if row is None:
                raise NotFound(f"No live key {ident!r}")
            assert row.id is not None
            accounts.end_sessions_of_key(session, row.id)  # its browsers are signed out now
            accounts.audit(
                session,
                actor=actor,
                action="revoke",
                entity="api_key",
                entity_id=row.name,
                before={"revoked_at": None},
                after={"revoked_at": str(row.revoked_at)},
            )
            session.flush()
            session.expunge(row)
        return row

    # --- browser sessions (not the map: no version bump, no audit) ----------------------------

    def sign_in(self, *, key_id: int, lifetime: dt.timedelta) -> str:
        """A new browser session for a key; returns the token for the cookie (never stored)."""
        with connection.writing(self.engine) as session:
            return accounts.create_session(
                session, key_id=key_id, now=dt.datetime.now(dt.UTC), lifetime=lifetime
            )

    def sign_out(self, *, token: str) -> None:
        with connection.writing(self.engine) as session:
            accounts.end_session(session, token)

    def touch_session(self, *, token: str) -> None:
        with connection.writing(self.engine) as session:
            accounts.touch_session(session, token, dt.datetime.now(dt.UTC))


def _current_service(session: Session, service_id: str) -> Service:
    found = store.get_service(session, service_id)
    if found is None:
        raise NotFound(f"No service with id {service_id!r}")
    return found


def _current_edge(session: Session, edge_id: int) -> Edge:
    found = store.get_edge(session, edge_id)
    if found is None:
        raise NotFound(f"No edge with id {edge_id}")
    return found


def _last_day(before: Service | Edge, on: dt.date) -> dt.date:
    """The day before `on`; never before the thing started."""
    last_day = on - dt.timedelta(days=1)
    if before.valid_from and last_day < before.valid_from:
        raise InvalidEdit(
            f"it starts on {before.valid_from}: it cannot be retired before then", loc=("on",)
        )
    return last_day
