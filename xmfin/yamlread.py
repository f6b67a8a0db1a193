"""Read a YAML file into plain values straight from libyaml's event stream, keeping every position.

This is the only module that imports yaml. It builds dicts, lists and strings without PyYAML's constructor:
nothing is ever constructed from a tag, anchors and aliases are refused at the first one (so an alias bomb
costs nothing), duplicate keys are refused with their position, and scalars stay text so that the loader types
them by field (an unquoted `NO` is the string "NO" in a jurisdiction, never a boolean).
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml import events as ev

from xmfin.errors import DataError, Problem
from xmfin.model import Location

try:
    from yaml import CSafeLoader as _Parser
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeLoader as _Parser  # type: ignore[assignment]


class Quoted(str):
    """A scalar written quoted or as a block scalar: always a string, never null or a number."""

    __slots__ = ()


class YMap(dict[str, Any]):
    """A mapping with the 0-based line and column of itself, of each key, and of each value."""

    __slots__ = ("column", "key_marks", "line", "value_marks")

    def __init__(self, line: int, column: int) -> None:
        super().__init__()
        self.line = line
        self.column = column
        self.key_marks: dict[str, Any] = {}
        self.value_marks: dict[str, Any] = {}


class YList(list[Any]):
    """A sequence with the 0-based line and column of itself and of each item."""

    __slots__ = ("column", "item_marks", "line")

    def __init__(self, line: int, column: int) -> None:
        super().__init__()
        self.line = line
        self.column = column
        self.item_marks: list[Any] = []


_NO_KEY = object()


def read_yaml(data: bytes, file: str) -> Any:
    """Parse one YAML document into YMap / YList / str / Quoted / None; raise DataError with the position."""
    try:
        return _build(_Parser(data), file)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        reason = (error.problem or error.context or "not valid YAML").strip()
        raise _error(file, mark, f"not valid YAML: {reason}") from None
    except yaml.YAMLError as error:
        raise DataError([Problem(Location(file, 1, 1), "error", f"not valid YAML: {error}")]) from None


def _error(file: str, mark: Any, message: str) -> DataError:
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return DataError([Problem(Location(file, line, column), "error", message)])


def _build(parser: Any, file: str) -> Any:
    get = parser.get_event
    scalar_event, map_start, map_end = ev.ScalarEvent, ev.MappingStartEvent, ev.MappingEndEvent
    seq_start, seq_end, alias_event = ev.SequenceStartEvent, ev.SequenceEndEvent, ev.AliasEvent
    get()  # StreamStartEvent
    first = get()
    if type(first) is ev.StreamEndEvent:
        return None
    # A container is attached to its parent when it starts; the stack keeps the enclosing containers.
    stack: list[Any] = []
    keys: list[Any] = []
    container: Any = None
    key: Any = _NO_KEY
    root: Any = None
    while True:
        event = get()
        kind = type(event)
        if kind is scalar_event:
            if event.anchor is not None or event.tag is not None:
                raise _refuse_node(file, event)
            value: Any = event.value if not event.style else Quoted(event.value)
        elif kind is map_start or kind is seq_start:
            if event.anchor is not None or event.tag is not None:
                raise _refuse_node(file, event)
            mark = event.start_mark
            value = YMap(mark.line, mark.column) if kind is map_start else YList(mark.line, mark.column)
        elif kind is map_end or kind is seq_end:
            container = stack.pop()
            key = keys.pop()
            continue
        elif kind is alias_event:
            raise _error(file, event.start_mark, "anchors and aliases are not allowed; write the value out")
        elif kind is ev.DocumentEndEvent:
            break
        else:  # pragma: no cover - libyaml emits nothing else inside a document
            raise _error(file, event.start_mark, f"unexpected YAML event {kind.__name__}")

        if container is None:
            root = value
        elif type(container) is YMap:
            if key is _NO_KEY:
                if type(value) is not str and type(value) is not Quoted:
                    raise _error(file, event.start_mark, "a key must be a plain text, not a list or mapping")
                if value in container:
                    raise _error(file, event.start_mark, f"duplicate key '{value}'")
                container.key_marks[value] = event.start_mark
                key = value
                continue
            container[key] = value
            container.value_marks[key] = value_mark(value, event)
            key = _NO_KEY
        else:
            container.append(value)
            container.item_marks.append(value_mark(value, event))
        if kind is map_start or kind is seq_start:
            stack.append(container)
            keys.append(key)
            container = value
            key = _NO_KEY
    following = get()
    if type(following) is ev.DocumentStartEvent:
        raise _error(file, following.start_mark, "only one YAML document per file")
    return root


def value_mark(value: Any, event: Any) -> Any:
    """The mark of a value: a container's own start, or the event's start for a scalar."""
    if type(value) is YMap or type(value) is YList:
        return _Mark(value.line, value.column)
    return event.start_mark


class _Mark:
    __slots__ = ("column", "line")

    def __init__(self, line: int, column: int) -> None:
        self.line = line
        self.column = column


def _refuse_node(file: str, event: Any) -> DataError:
    if event.anchor is not None:
        return _error(file, event.start_mark, f"anchors and aliases are not allowed (anchor '&{event.anchor}')")
    return _error(file, event.start_mark, f"tags are not allowed ('{event.tag}'); write a plain value")
