"""The map read back as trusted models (db/trusted.py) is what validation would give, type for
type: every nested model a model, every enum an enum, every date a date, fields in the same
order and the same fields set."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from sqlmodel import Session

from bench.common import synthetic_map
from navigator.core.models import (
    Catchment,
    ContactPoint,
    Day,
    Edge,
    Frozen,
    Map,
    Rule,
    RuleKind,
    Service,
    Slug,
    Status,
)
from navigator.db import store
from navigator.db.trusted import RowBuilder, construct


def differences(a: Any, b: Any, path: str = "", fields_set: bool = True) -> Iterator[str]:
    """Where `a` and `b` differ in value or in type, all the way down (== alone would take an
    enum for its string, and a model never for its dict, but says nothing of where)."""
    if type(a) is not type(b):
        yield f"{path}: {type(a).__name__} against {type(b).__name__}"
    elif isinstance(a, BaseModel):
        # Dumps follow this order. Only fields: a cached property (Map.service_index) keeps
        # its value in __dict__ too, once something asked for it.
        mine = [k for k in a.__dict__ if k in type(a).model_fields]
        theirs = [k for k in b.__dict__ if k in type(b).model_fields]
        if mine != theirs:
            yield f"{path}: fields {mine} against {theirs}"
        elif fields_set and a.model_fields_set != b.model_fields_set:
            yield f"{path}: fields set {a.model_fields_set} against {b.model_fields_set}"
        if a.__pydantic_extra__ != b.__pydantic_extra__:
            yield f"{path}: extra {a.__pydantic_extra__} against {b.__pydantic_extra__}"
        if a.__pydantic_private__ != b.__pydantic_private__:
            yield f"{path}: private {a.__pydantic_private__} against {b.__pydantic_private__}"
        for name in type(a).model_fields:
            yield from differences(
                a.__dict__.get(name), b.__dict__.get(name), f"{path}.{name}", fields_set
            )
    elif isinstance(a, list):
        if len(a) != len(b):
            yield f"{path}: {len(a)} items against {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            yield from differences(x, y, f"{path}[{i}]", fields_set)
    elif isinstance(a, dict):
        if list(a) != list(b):
            yield f"{path}: keys {list(a)} against {list(b)}"
        for key in a.keys() & b.keys():
            yield from differences(a[key], b[key], f"{path}[{key!r}]", fields_set)
    elif a != b:
        yield f"{path}: {a!r} against {b!r}"


def assert_identical(a: Any, b: Any, *, fields_set: bool = True) -> None:
    found = list(differences(a, b, fields_set=fields_set))
    assert not found, "\n".join(found[:20])


def assert_as_validated(m: Map) -> None:
    """`m` (as read) against the same map validated: the whole map (its settings documents were
    stored without their defaults, so their fields set differ), then each service and edge
    with its fields set too."""
    assert_identical(m, Map.model_validate(m.model_dump()), fields_set=False)
    for s in m.services:
        assert_identical(s, Service.model_validate(s.model_dump()))
    for e in m.edges:
        assert_identical(e, Edge.model_validate(e.model_dump()))


def _round_trip(engine: Engine, m: Map) -> Map:
    with Session(engine) as session:
        store.replace_map(session, m)
        session.commit()
    with Session(engine) as session:
        return store.load_map(session)


def test_the_seed_reads_back_as_validation_gives_it(engine: Engine, seed_map: Map) -> None:
    loaded = _round_trip(engine, seed_map)
    assert loaded == seed_map
    assert_identical(loaded, seed_map, fields_set=False)
    assert_as_validated(loaded)
    # What the reader must convert is there to convert: a nested model from JSON, an enum from
    # a JSON list, a date from a column, a rule with rules of its own.
    assert any(s.catchment for s in loaded.services)
    assert any(r.kind is RuleKind.any_of for s in loaded.services for r in s.rules)
    assert any(c.status is Status.confirmed for s in loaded.services for c in s.contacts)


@pytest.mark.parametrize(("services", "vocabulary"), [(300, 0), (500, 60)])
def test_synthetic_maps_read_back_as_validation_gives_them(
    engine: Engine, services: int, vocabulary: int
) -> None:
    m = synthetic_map(services, vocabulary=vocabulary)
    loaded = _round_trip(engine, m)
    assert loaded == m
    assert_identical(loaded, m, fields_set=False)
    assert_as_validated(loaded)


def test_one_service_and_one_edge_read_as_the_whole_map_does(engine: Engine, seed_map: Map) -> None:
    loaded = _round_trip(engine, seed_map)
    with Session(engine) as session:
        for s in loaded.services[:10]:
            assert_identical(store.get_service(session, s.id), s)
        ids_and_edges = store.list_edges(session)
        assert_identical([e for _, e in ids_and_edges], loaded.edges)
        edge_id, edge = ids_and_edges[0]
        assert_identical(store.get_edge(session, edge_id), edge)


def test_the_check_sees_a_dict_for_a_model_and_a_string_for_an_enum(seed_map: Map) -> None:
    """What the tests above rely on: equality alone would pass both."""
    service = next(s for s in seed_map.services if s.contacts)
    as_dicts = Service.model_construct(
        **{**service.__dict__, "contacts": [c.model_dump() for c in service.contacts]}
    )
    with pytest.raises(AssertionError, match=r"\.contacts\[0\]: dict against ContactPoint"):
        assert_identical(as_dicts, service, fields_set=False)
    as_text = service.model_copy(update={"ring": service.ring.value})
    assert as_text == service  # a StrEnum equals its value
    with pytest.raises(AssertionError, match=r"\.ring: str against Ring"):
        assert_identical(as_text, service, fields_set=False)


# --- the builder on its own ---------------------------------------------------------------


class Inner(Frozen):
    status: Status
    day: Day | None = None
    tags: list[str] = Field(default_factory=list)


class Outer(Frozen):
    id: Slug
    kind: RuleKind
    when: dt.date
    inners: list[Inner]
    maybe: Inner | None = None
    colour: Literal["red", "blue"] = "red"
    count: int = 0


def test_rows_are_built_as_validation_builds_them() -> None:
    columns = ["count", "id", "kind", "when", "inners", "maybe"]
    inner = {"status": "inferred", "day": "2025-02-03", "tags": ["a"]}
    rows = [
        (3, "x", "age", dt.date(2025, 1, 1), json.dumps([inner, inner]), json.dumps(inner)),
        (4, "y", "any_of", dt.date(2025, 1, 2), "[]", None),  # SQL NULL
        (5, "z", "area", dt.date(2025, 1, 3), json.dumps([inner, inner]), "null"),  # JSON null
    ]
    built = RowBuilder(Outer, columns, json={"inners", "maybe"}).many(rows)
    for row, got in zip(rows, built, strict=True):
        data = dict(zip(columns, row, strict=True))
        for name in ("inners", "maybe"):
            data[name] = json.loads(data[name]) if data[name] is not None else None
        assert_identical(got, Outer.model_validate(data))
    # Equal JSON texts of a column give one value, shared (the models are frozen).
    assert built[0].inners is built[2].inners


def test_json_written_before_a_field_existed_gets_its_default() -> None:
    data = {"status": "confirmed"}
    assert_identical(construct(Inner, data), Inner.model_validate(data))


def test_columns_a_model_lacks_or_types_it_cannot_convert_are_refused() -> None:
    with pytest.raises(TypeError, match="has no field colour_code"):
        RowBuilder(Outer, ["id", "kind", "when", "inners", "colour_code"])
    with pytest.raises(TypeError, match="when is required"):
        RowBuilder(Outer, ["id", "kind", "inners"])

    class Counts(Frozen):
        by_need: dict[str, int]

    with pytest.raises(TypeError, match="no trusted reading"):
        RowBuilder(Counts, ["by_need"])
    # Skipped columns are the database's own.
    row = (7, "x", "age", dt.date(2025, 1, 1), "[]")
    built = RowBuilder(
        Outer, ["row_id", "id", "kind", "when", "inners"], json={"inners"}, skip={"row_id"}
    )
    assert built(row).id == "x"


def test_models_sharing_a_fields_set_change_alone() -> None:
    """Trusted models of one shape share one fields-set object: a copy with changes must not
    touch the others'."""
    rows = [("x", "age", dt.date(2025, 1, 1), "[]"), ("y", "age", dt.date(2025, 1, 1), "[]")]
    first, second = RowBuilder(Outer, ["id", "kind", "when", "inners"], json={"inners"}).many(rows)
    assert first.model_fields_set is second.model_fields_set
    changed = first.model_copy(update={"count": 9})
    assert changed.model_fields_set == {"id", "kind", "when", "inners", "count"}
    assert second.model_fields_set == first.model_fields_set == {"id", "kind", "when", "inners"}


def test_a_rule_and_its_rules_and_catchments_are_models(engine: Engine, seed_map: Map) -> None:
    loaded = _round_trip(engine, seed_map)
    any_of = next(r for s in loaded.services for r in s.rules if r.kind is RuleKind.any_of)
    assert all(type(r) is Rule for r in any_of.rules)
    catchment = next(s.catchment for s in loaded.services if s.catchment)
    assert type(catchment) is Catchment
    contact = next(c for s in loaded.services for c in s.contacts)
    assert type(contact) is ContactPoint
