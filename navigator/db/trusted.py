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
"""

from __future__ import annotations

import datetime as dt
import json
import types
from collections.abc import Callable, Collection, Iterable, Sequence
from enum import Enum
from functools import partial
from typing import Annotated, Any, Generic, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

M = TypeVar("M", bound=BaseModel)
Convert = Callable[[Any], Any]

_set = object.__setattr__  # what pydantic's own model_construct uses on frozen models


def _date(value: Any) -> dt.date:
    """A date column gives a date; a date inside a JSON document is its ISO string."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _optional(convert: Convert) -> Convert:
    def optional(value: Any) -> Any:
        return None if value is None else convert(value)

    return optional


def _list_of(convert: Convert, value: Any) -> list[Any]:
    return [convert(x) for x in value]


def _converter(annotation: Any) -> Convert | None:
    """What turns a stored value into the value validation would give for `annotation`; None
    where the stored value is that value already (str, int, bool, a str Literal)."""
    origin = get_origin(annotation)
    if origin is Annotated:  # constraints were checked when the value was written
        return _converter(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"no trusted reading for the union {annotation!r}")
        inner = _converter(args[0])
        return None if inner is None else _optional(inner)
    if origin is list:
        inner = _converter(get_args(annotation)[0])
        # A list is always a list of its own: never one shared with another model.
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
        converted: Collection[str] = (),
    ) -> None:
        """`names[i]` is the field read from `keys[i]` of the input (an index or a key); those
        in `converted` arrive converted already."""
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
        namespace: dict[str, Any] = {"cls": cls, "fields_set": self.fields_set, "set": _set}
        values = []
        for i, (name, field) in enumerate(fields.items()):
            if name in given:
                value = f"source[{given[name]!r}]"  # a column index, or a field's name
                convert = None if name in converted else _converter(field.annotation)
                if convert is not None:
                    namespace[f"convert_{i}"] = convert
                    value = f"convert_{i}({value})"
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
                "def build(source):",
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
        self.build: Callable[[Any], BaseModel] = namespace["build"]
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

    Columns in `json` hold JSON text (selected as text: see `json_as_text`), decoded here in one
    call for all the rows; equal texts of a column become one value, its models shared.
    """

    def __init__(
        self,
        cls: type[M],
        names: Sequence[str],
        *,
        json: Collection[str] = (),
        skip: Collection[str] = (),
    ) -> None:
        keys = [i for i, n in enumerate(names) if n not in skip]
        self._shape = _Shape(cls, keys, [names[i] for i in keys], converted=json)
        # The JSON columns: their values are converted once a distinct text, in `many`.
        self._json = [
            (i, _converter(cls.model_fields[names[i]].annotation)) for i in keys if names[i] in json
        ]

    def __call__(self, row: Sequence[Any]) -> M:
        """One model from one row (of a query without JSON columns)."""
        if self._json:
            return self.many([row])[0]
        return self._shape.build(row)  # type: ignore[return-value]  # a shape of cls

    def many(self, rows: Iterable[Sequence[Any]]) -> list[M]:
        """A model from each row, in order."""
        if not self._json:
            build = self._shape.build
            return [build(row) for row in rows]  # type: ignore[misc]  # a shape of cls
        rows = list(rows)
        # Each column's distinct texts, decoded by one json.loads of them all, then converted
        # once each: many services share their needs, levels, a catchment, a contact.
        values: list[dict[str | None, Any]] = []
        for i, _convert in self._json:
            values.append(dict.fromkeys(row[i] for row in rows))
        texts = [t for column in values for t in column if t is not None]
        decoded = iter(json.loads("[" + ",".join(texts) + "]"))
        for (_i, convert), column in zip(self._json, values, strict=True):
            for text in column:
                value = None if text is None else next(decoded)
                column[text] = value if convert is None or value is None else convert(value)
        indexes = [i for i, _convert in self._json]
        build = self._shape.build
        out = []
        for row in rows:
            filled = list(row)
            for i, column in zip(indexes, values, strict=True):
                value = column[row[i]]
                filled[i] = list(value) if type(value) is list else value  # a list of its own
            out.append(build(filled))
        return out  # type: ignore[return-value]  # a shape of cls
