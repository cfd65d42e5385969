"""The one write path: validated, ETag-guarded, audited, versioned, and heard by the holder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from navigator.core.errors import (
    AlreadyExists,
    InvalidEdit,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    UnknownNeed,
)
from navigator.core.snapshot import service_etag
from navigator.db import accounts, connection, migrations, store
from navigator.db.keys import Role
from navigator.db.seeding import seed_database
from navigator.db.writes import MapWriter
from tests.conftest import MINI_SEED


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = connection.make_engine("sqlite://")
    migrations.upgrade(engine)
    seed_database(engine, MINI_SEED)
    yield engine
    engine.dispose()


class Heard:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


def _state(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        return store.map_version(session), accounts.audit_entries(session)[1]


def _etag(engine: Engine, service_id: str) -> str:
    with Session(engine) as session:
        found = store.get_service(session, service_id)
        key = store.etag_key(session)
    assert found is not None
    assert len(key) == 32, "migrations make the ETag key"
    return service_etag(found, key)


def test_a_change_is_audited_versioned_and_heard_after_commit(engine: Engine) -> None:
    heard = Heard()
    writer = MapWriter(engine, on_change=heard)
    version, audits = _state(engine)
    saved = writer.patch_service(
        service_id="housing",
        patch={"name": "Housing Options Team"},
        if_match=_etag(engine, "housing"),
        actor="tester",
    )
    assert saved.name == "Housing Options Team"
    assert _state(engine) == (version + 1, audits + 1)
    assert heard.count == 1
    with Session(engine) as session:
        entry = accounts.audit_entries(session, limit=1)[0][0]
    assert (entry.actor, entry.action, entry.entity_id) == ("tester", "patch", "housing")
    assert entry.before["name"] == "Housing Options"
    assert entry.after["name"] == "Housing Options Team"


@pytest.mark.parametrize(
    ("if_match", "error"),
    [(None, PreconditionRequired), ('"stale"', PreconditionFailed)],
)
def test_no_or_stale_etag_changes_nothing(
    engine: Engine, if_match: str | None, error: type[Exception]
) -> None:
    heard = Heard()
    before = _state(engine)
    with pytest.raises(error):
        MapWriter(engine, on_change=heard).patch_service(
            service_id="housing", patch={"name": "X"}, if_match=if_match, actor="t"
        )
    assert _state(engine) == before
    assert heard.count == 0


def test_an_invalid_change_rolls_back_whole(engine: Engine) -> None:
    heard = Heard()
    before = _state(engine)
    with pytest.raises(UnknownNeed):
        MapWriter(engine, on_change=heard).patch_service(
            service_id="housing",
            patch={"needs": ["housing", "nope"]},
            if_match=_etag(engine, "housing"),
            actor="t",
        )
    with pytest.raises(InvalidEdit):
        MapWriter(engine, on_change=heard).patch_service(
            service_id="housing",
            patch={"levels": ["sometimes"]},
            if_match=_etag(engine, "housing"),
            actor="t",
        )
    assert _state(engine) == before
    assert heard.count == 0


def test_retiring_keeps_history_and_refuses_a_day_before_the_start(engine: Engine) -> None:
    writer = MapWriter(engine)
    lmm = _etag(engine, "little-minds-matter")
    with pytest.raises(InvalidEdit) as caught:
        writer.retire_service(
            service_id="little-minds-matter", on=dt.date(2018, 1, 1), if_match=lmm, actor="t"
        )
    assert caught.value.loc == ("on",)
    with pytest.raises(PreconditionRequired):
        writer.retire_service(
            service_id="housing", on=dt.date(2026, 1, 1), if_match=None, actor="t"
        )
    retired = writer.retire_service(
        service_id="housing", on=dt.date(2026, 1, 1), if_match=_etag(engine, "housing"), actor="t"
    )
    assert retired.valid_to == dt.date(2025, 12, 31)
    with Session(engine) as session:
        assert store.get_service(session, "housing") == retired


def test_gp_lists_merge_inside_the_transaction(engine: Engine) -> None:
    heard = Heard()
    writer = MapWriter(engine, on_change=heard)
    with pytest.raises(PreconditionRequired):
        writer.update_gp_list(
            list_id="ric", changes={"practices": ["B83001"]}, if_match=None, actor="t"
        )
    saved = writer.update_gp_list(
        list_id="ric", changes={"practices": ["B83002", "B83001"]}, if_match=None, actor="cli",
        force=True,
    )  # fmt: skip
    assert saved.practices == ["B83001", "B83002"]  # one order: as stored, so ETags agree
    assert saved.check_text  # the rest of the list is kept
    with pytest.raises(InvalidEdit) as bad:
        writer.update_gp_list(
            list_id="ric", changes={"practices": ["not a code"]}, if_match=None, actor="t",
            force=True,
        )  # fmt: skip
    assert bad.value.loc == ("practices", 0)
    with pytest.raises(NotFound):
        writer.update_gp_list(list_id="nope", changes={}, if_match=None, actor="t", force=True)
    assert heard.count == 1


def test_keys_are_audited_but_do_not_change_the_map(engine: Engine) -> None:
    heard = Heard()
    writer = MapWriter(engine, on_change=heard)
    version, audits = _state(engine)
    row, key = writer.create_key(name="editor one", role=Role.editor, actor="admin")
    assert key.startswith("nav_")
    with Session(engine) as session:
        found = accounts.find_key(session, key)
    assert found is not None
    assert found.name == "editor one"
    assert key not in found.hash
    with pytest.raises(AlreadyExists):
        writer.create_key(name="editor one", role=Role.admin, actor="admin")
    assert writer.revoke_key(ident=str(row.id), actor="admin").revoked_at is not None
    with Session(engine) as session:
        assert accounts.find_key(session, key) is None
    with pytest.raises(NotFound):
        writer.revoke_key(ident="editor one", actor="admin")
    assert _state(engine) == (version, audits + 2)
    assert heard.count == 0


def test_a_no_op_writes_nothing_and_an_import_that_changes_anything_bumps_once(
    engine: Engine,
) -> None:
    heard = Heard()
    writer = MapWriter(engine, on_change=heard)
    before = _state(engine)
    same = writer.patch_service(
        service_id="housing", patch={}, if_match=_etag(engine, "housing"), actor="t"
    )
    assert _state(engine) == before
    assert heard.count == 0
    with Session(engine) as session:
        lmm = store.get_service(session, "little-minds-matter")
    assert lmm is not None
    changed = lmm.model_copy(update={"remit": "Imported remit."})
    # The first service of the import changes nothing, the second does: one version, one entry.
    writer.apply_import(
        organisations=[], create=[], update=[(same, same), (lmm, changed)], actor="import"
    )
    assert _state(engine) == (before[0] + 1, before[1] + 1)
    assert heard.count == 1
