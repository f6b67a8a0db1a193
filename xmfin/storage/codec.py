"""Records as compact JSON text and back, losslessly: how the store keeps each record.

A record is a JSON array of its fields in the dataclass's order (the record's class is known from its table):
partial dates as their text, nested records (former names, figures, quotes) as arrays, a location as
`[file, line, column]`. JSON and not pickle or marshal: a damaged or planted store can give a wrong value,
never run code or crash the interpreter. Every value a data file can hold is JSON's: `extra` is plain YAML
data with text keys and finite numbers (loading._plain), stakes are finite floats (JSON keeps them exactly).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from xmfin import model
from xmfin.dates import PartialDate, parse_date
from xmfin.model import Location

_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_LOADS = json.JSONDecoder().decode

# A field's kind, from its annotation: how it is written and read.
_NESTED: dict[str, type[Any]] = {
    "tuple[FormerName, ...]": model.FormerName,
    "tuple[Figure, ...]": model.Figure,
    "tuple[Quote, ...]": model.Quote,
}


class CodecError(ValueError):
    """A stored record that does not decode into its class (a damaged or foreign store)."""


def _encoder(cls: type[Any]) -> Callable[[Any], list[Any]]:
    steps = [_field_encoder(f.name, str(f.type)) for f in dataclasses.fields(cls)]
    return lambda record: [step(record) for step in steps]


def _field_encoder(name: str, kind: str) -> Callable[[Any], Any]:
    """How one field of a record is written, from its annotation."""
    get = _getter(name)
    if kind in ("PartialDate | None", "PartialDate"):

        def date(record: Any) -> Any:
            value = get(record)
            return None if value is None else value.text

        return date
    if kind == "Location":

        def location(record: Any) -> Any:
            loc = get(record)
            return [loc.file, loc.line, loc.column]

        return location
    if kind in _NESTED:
        inner = encoder(_NESTED[kind])
        return lambda record: [inner(item) for item in get(record)]
    if kind.startswith("tuple["):
        return lambda record: list(get(record))
    return get


def _getter(name: str) -> Callable[[Any], Any]:
    return lambda record: getattr(record, name)


def _decoder(cls: type[Any]) -> Callable[[list[Any]], Any]:
    steps: list[Callable[[Any], Any] | None] = []
    for f in dataclasses.fields(cls):
        kind = str(f.type)
        if kind in ("PartialDate | None", "PartialDate"):
            steps.append(_date)
        elif kind == "Location":
            steps.append(_location)
        elif kind in _NESTED:
            steps.append(_nested_decoder(decoder(_NESTED[kind])))
        elif kind.startswith("tuple["):
            steps.append(tuple)
        else:
            steps.append(None)
    make = model.maker(cls)
    width = len(steps)

    def decode(values: list[Any]) -> Any:
        if type(values) is not list or len(values) != width:
            raise CodecError(f"a stored {cls.__name__} has {_count(values)} fields, not {width}")
        return make(*[value if step is None else step(value) for step, value in zip(steps, values, strict=True)])

    return decode


def _nested_decoder(inner: Callable[[list[Any]], Any]) -> Callable[[list[Any]], tuple[Any, ...]]:
    return lambda items: tuple(inner(item) for item in items)


def _count(values: Any) -> int | str:
    return len(values) if isinstance(values, list) else "no list of"


def _date(text: str | None) -> PartialDate | None:
    return None if text is None else parse_date(text)


def _location(values: list[Any]) -> Location:
    file, line, column = values
    return Location(str(file), int(line), int(column))


_ENCODERS: dict[type[Any], Callable[[Any], list[Any]]] = {}
_DECODERS: dict[type[Any], Callable[[list[Any]], Any]] = {}


def encoder(cls: type[Any]) -> Callable[[Any], list[Any]]:
    """The function that turns a record of cls into a list of JSON values."""
    found = _ENCODERS.get(cls)
    if found is None:
        found = _ENCODERS[cls] = _encoder(cls)
    return found


def decoder(cls: type[Any]) -> Callable[[list[Any]], Any]:
    """The function that turns a list of JSON values back into a record of cls."""
    found = _DECODERS.get(cls)
    if found is None:
        found = _DECODERS[cls] = _decoder(cls)
    return found


def dumps(record: Any) -> str:
    """A record as JSON text."""
    return str(_DUMPS(encoder(type(record))(record)))


def loads(cls: type[Any], text: str) -> Any:
    """A record of cls from its JSON text; CodecError when the text is not one."""
    try:
        return decoder(cls)(_LOADS(text))
    except CodecError:
        raise
    except (ValueError, TypeError, AttributeError, KeyError) as error:
        raise CodecError(f"a stored {cls.__name__} does not decode: {error}") from None


def dumps_value(value: Any) -> str:
    """Any JSON value (a problem, a setting) as compact text."""
    return str(_DUMPS(value))


def loads_value(text: str) -> Any:
    """A JSON value back; CodecError when the text is not JSON."""
    try:
        return _LOADS(text)
    except ValueError as error:
        raise CodecError(f"a stored value does not decode: {error}") from None
