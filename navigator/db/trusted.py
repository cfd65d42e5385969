"""Models built from what the database holds, without validating it a second time.

Every row of the map's tables was written from a validated model (store and writes take models,
never raw data), so reading it back needs only the conversions validation would make: enum
values to the enums, ISO date strings to dates, nested JSON objects to their models. Validating
each of 10,000 services again, with their validators, was most of a server's start
(bench/bench_load.py).

The conversions come from each model's fields and their annotations, worked out once a class:
a field added later gets the conversion its type needs, and a type this module does not know
how to convert is refused when its model is first read (TypeError), never returned unconverted.
tests/db/test_trusted.py checks that what comes back equals what validation gives, type for type.

Equal values are shared: a JSON column's text is decoded and converted once for all the rows
that hold it (many services have the same needs, levels, sites or catchment), and those rows'
models hold the one value, its lists and models included. The models are frozen and nothing
changes their lists in place, as with the rules, routes and sources the store shares.
"""

from __future__ import annotations

import datetime as dt
import json
import types
from collections.abc import Callable, Collection, Iterable, Sequence
from enum import Enum
from functools import partial
from operator import itemgetter
from typing import Annotated, Any, Generic, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

M = TypeVar("M", bound=BaseModel)
Convert = Callable[[Any], Any]

_set = object.__setattr__  # what pydantic's own model_construct uses on frozen models


def _date(value: Any) -> dt.date:
    """A date column gives a date; a date inside a JSON document is its ISO string."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def unoptional(annotation: Any) -> tuple[Any, bool]:
    """`annotation` without Annotated's constraints (checked when the value was written), and
    whether it was optional (`X | None`): then X."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"no trusted reading for the union {annotation!r}")
        return unoptional(args[0])[0], True
    return annotation, False


def _optional(convert: Convert, value: Any) -> Any:
    return None if value is None else convert(value)


def _list_of(convert: Convert, value: Any) -> list[Any]:
    return [convert(x) for x in value]


def _converter(annotation: Any) -> Convert | None:
    """What turns a stored value into the value validation would give for `annotation`; None
    where the stored value is that value already (str, int, bool, a str Literal)."""
    annotation, optional = unoptional(annotation)
    if optional:
        inner = _converter(annotation)
        return None if inner is None else partial(_optional, inner)
    origin = get_origin(annotation)
    if origin is list:
        inner = _converter(get_args(annotation)[0])
        # Always a list, whatever sequence the value came as.
        return list if inner is None else partial(_list_of, inner)
    if origin is Literal:
        if all(isinstance(a, str) for a in get_args(annotation)):
            return None
        raise TypeError(f"no trusted reading for {annotation!r}")
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return partial(construct, annotation)
        if issubclass(annotation, Enum):
            # The enum's own table of values: an Enum(value) call is several times slower.
            return annotation._value2member_map_.__getitem__
        if annotation is dt.date:
            return _date
        if annotation in (str, int, bool):
            return None
    raise TypeError(f"no trusted reading for {annotation!r}")


class _Shape:
    """How `cls` is built from one kind of input (a row, or a JSON object with these keys)."""

    def __init__(
        self,
        cls: type[BaseModel],
        keys: Sequence[Any],
        names: Sequence[str],
        json: Sequence[str] = (),
        ready: Collection[str] = (),
    ) -> None:
        """`names[i]` is the field read from `keys[i]` of the input (an index or a key). Those
        in `json` are JSON text there, found converted in the build's `json` argument: its
        j-th dict, for `json[j]`, has each text's value. Those in `ready` are the field's
        value already (models the caller built, in a list of their own)."""
        for problem in _unsupported(cls):
            raise TypeError(f"{cls.__name__} cannot be built trusted: {problem}")
        fields: dict[str, FieldInfo] = cls.model_fields
        unknown = [n for n in names if n not in fields]
        if unknown:  # validation would refuse them (extra="forbid"), or drop them silently
            raise TypeError(f"{cls.__name__} has no field {', '.join(unknown)}")
        given = dict(zip(names, keys, strict=True))
        self.cls = cls
        # One set shared by every model of this shape, as each model's fields_set: pydantic
        # copies it before it changes it (model_copy), and frozen models never change it.
        # Saves a set (~2 KB for a service) a model.
        self.fields_set = set(names)
        # The builder is written as Python source and compiled, as dataclasses writes __init__:
        # a dict display of the fields is three to four times faster than any loop over them
        # (dict(zip(...)) included), and the map has tens of thousands of models. It puts the
        # fields in the model's order: pydantic dumps and prints a model's fields in the order
        # of its __dict__, so it must be the order validation gives.
        namespace: dict[str, Any] = {
            "cls": cls,
            "fields_set": self.fields_set,
            "set": _set,
        }
        values = []
        for i, (name, field) in enumerate(fields.items()):
            if name in given:
                value = f"source[{given[name]!r}]"  # a column index, or a field's name
                if name in json:
                    # Converted once a text: models with equal texts share its value.
                    value = f"json[{json.index(name)}][{value}]"
                elif name in ready:
                    pass
                else:
                    annotation, optional = unoptional(field.annotation)
                    convert = _converter(annotation)
                    if convert is not None:
                        namespace[f"convert_{i}"] = convert
                        value = (
                            f"(None if (v := {value}) is None else convert_{i}(v))"
                            if optional
                            else f"convert_{i}({value})"
                        )
            elif field.is_required():
                raise TypeError(f"{cls.__name__}.{name} is required and not in the input")
            else:
                namespace[f"default_{i}"] = partial(
                    field.get_default, call_default_factory=True, validated_data={}
                )
                value = f"default_{i}()"
            values.append(f"{name!r}: {value}")
        source = "\n".join(
            (
                "def build(source, json=()):",
                "    m = cls.__new__(cls)",
                f"    set(m, '__dict__', {{{', '.join(values)}}})",
                "    set(m, '__pydantic_fields_set__', fields_set)",
                "    set(m, '__pydantic_extra__', None)",
                "    set(m, '__pydantic_private__', None)",
                "    return m",
            )
        )
        # Only field names (checked above) and column indexes go into the source.
        exec(source, namespace)  # noqa: S102
        self.build: Callable[..., BaseModel] = namespace["build"]
        """The model from `source` (a row, or a JSON object), as pydantic's model_construct
        builds it."""


def _unsupported(cls: type[BaseModel]) -> Iterable[str]:
    """What in `cls` needs more than its fields set (model_construct would do it, or would not
    be equal to validation)."""
    if cls.__pydantic_root_model__:
        yield "a root model"
    if cls.__private_attributes__:
        yield "private attributes"
    if cls.__pydantic_post_init__:
        yield "model_post_init"
    if cls.model_config.get("extra") == "allow":
        yield "extra fields allowed"


# Shapes by class and by the input's keys: a JSON object's keys are usually the model's fields,
# so there is one shape a class, found by a dict look-up.
_json_shapes: dict[tuple[type[BaseModel], tuple[str, ...]], _Shape] = {}


def construct(cls: type[M], data: dict[str, Any] | M) -> M:
    """`cls` from a JSON object the database holds (decoded): a model's `model_dump(mode="json")`,
    perhaps written before some of its fields existed (those get their defaults). A model of
    `cls` already (the store's own nested rules) is taken as it is."""
    if isinstance(data, cls):
        return data
    assert isinstance(data, dict)
    keys = tuple(data)
    shape = _json_shapes.get((cls, keys))
    if shape is None:
        shape = _json_shapes[(cls, keys)] = _Shape(cls, keys, keys)
    return shape.build(data)  # type: ignore[return-value]  # a shape of cls


class RowBuilder(Generic[M]):
    """Builds `cls` from rows whose columns are `names` (a model field each, or one of `skip`).

    Columns in `json` hold JSON text (selected as text: store's `_as_read`), decoded here in
    one call for all the rows; equal texts of a column become one value, shared by the models.
    Columns in `ready` hold the field's value already, taken as it is.
    """

    def __init__(
        self,
        cls: type[M],
        names: Sequence[str],
        *,
        json: Collection[str] = (),
        ready: Collection[str] = (),
        skip: Collection[str] = (),
    ) -> None:
        keys = [i for i, n in enumerate(names) if n not in skip]
        json_names = [names[i] for i in keys if names[i] in json]
        self._shape = _Shape(cls, keys, [names[i] for i in keys], json=json_names, ready=ready)
        # The JSON columns, in the order of the shape's `json`: each one's index in a row, and
        # what converts its decoded value.
        self._json = [
            (names.index(name), _converter(cls.model_fields[name].annotation))
            for name in json_names
        ]

    def __call__(self, row: Sequence[Any]) -> M:
        """One model from one row."""
        return self.many([row])[0]

    def many(self, rows: Iterable[Sequence[Any]]) -> list[M]:
        """A model from each row, in order."""
        build = self._shape.build
        if not self._json:
            return [build(row) for row in rows]  # type: ignore[misc]  # a shape of cls
        rows = list(rows)
        # Each column's distinct texts, decoded by one json.loads of them all, then converted
        # once each: many services share their needs, levels, a catchment, a contact.
        values: list[dict[str | None, Any]] = []
        for i, _convert in self._json:
            values.append(dict.fromkeys(map(itemgetter(i), rows)))
        texts = [t for column in values for t in column if t is not None]
        decoded = iter(json.loads("[" + ",".join(texts) + "]"))
        for (_i, convert), column in zip(self._json, values, strict=True):
            for text in column:
                value = None if text is None else next(decoded)
                column[text] = value if convert is None or value is None else convert(value)
        return [build(row, values) for row in rows]  # type: ignore[misc]  # a shape of cls
