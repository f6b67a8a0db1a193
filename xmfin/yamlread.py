"""Read a YAML file into plain values straight from libyaml's event stream, keeping every position.

This is the only module that imports yaml. It builds dicts, lists and strings without PyYAML's constructor:
nothing is ever constructed from a tag, anchors and aliases are refused at the first one (so an alias bomb
costs nothing), duplicate keys are refused with their position, and scalars stay text so that the loader types
them by field (an unquoted `NO` is the string "NO" in a jurisdiction, never a boolean). Nesting is capped at
MAX_DEPTH so that a hostile file cannot exhaust the stack of whatever walks the values later.
"""

from __future__ import annotations

from sys import intern
from typing import Any

import yaml
from yaml import events as ev

from xmfin.errors import DataError, Problem
from xmfin.model import Location

try:
    from yaml import CSafeLoader as _Parser
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeLoader as _Parser  # type: ignore[assignment]

# xmfin data is a handful of levels deep; anything far deeper is a mistake or an attack. libyaml stops at 1000,
# which is already too deep for recursive code (Python's default recursion limit is 1000), and the pure-Python
# parser has no limit at all.
MAX_DEPTH = 100
# Characters that would break a problem's single line (a quoted key can hold any of them); shown escaped instead.
LINE_BREAKS = str.maketrans({c: repr(c)[1:-1] for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"})


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
        reason = _one_line(error.problem or error.context or "")
        if "nesting depth" in reason:
            reason = f"{reason}; flatten the data"
        elif "tab" in reason or _char_at(data, mark) == "\t":
            reason = f"{reason}; indent with spaces, not tabs"
        raise _error(file, mark, f"not valid YAML: {reason}") from None
    except yaml.reader.ReaderError as error:
        # libyaml gives the byte offset of the character it refuses (control characters, BOM-less UTF-16...).
        before = data[: error.position].decode("utf-8", "replace")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        reason = f"{error.reason} (character U+{error.character:04X})" if isinstance(error.character, int) else ""
        where = Location(file, line, column)
        reason = _one_line(reason or str(error))
        raise DataError(
            [Problem(where, "error", f"not valid YAML: {reason}; remove or replace that character")]
        ) from None
    except yaml.YAMLError as error:
        raise DataError([Problem(Location(file, 1, 1), "error", f"not valid YAML: {_one_line(str(error))}")]) from None


def _char_at(data: bytes, mark: Any) -> str:
    """The character a mark points at (libyaml counts characters, not bytes)."""
    if mark is None:
        return ""
    return data.decode("utf-8", "replace")[mark.index : mark.index + 1]


def _one_line(text: str) -> str:
    """PyYAML's reasons sometimes span lines; a problem is always one line."""
    return " ".join(text.split()) or "cannot be parsed"


def _error(file: str, mark: Any, message: str) -> DataError:
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return DataError([Problem(Location(file, line, column), "error", message.translate(LINE_BREAKS))])


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
            mark = event.start_mark
        elif kind is map_start or kind is seq_start:
            if event.anchor is not None or event.tag is not None:
                raise _refuse_node(file, event)
            if len(stack) >= MAX_DEPTH:
                raise _error(file, event.start_mark, f"nested more than {MAX_DEPTH} levels deep; flatten the data")
            start = event.start_mark
            value = YMap(start.line, start.column) if kind is map_start else YList(start.line, start.column)
            mark = value  # a container has its own line and column: it is its mark (no object to make)
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
                    first = container.key_marks[value].line + 1
                    raise _error(file, event.start_mark, f"duplicate key '{value}' (first on line {first}): keep one")
                if type(value) is str:
                    value = intern(value)  # a key such as 'name' repeats in every record: keep one copy
                container.key_marks[value] = mark
                key = value
                continue
            container[key] = value
            container.value_marks[key] = mark
            key = _NO_KEY
        else:
            container.append(value)
            container.item_marks.append(mark)
        if kind is map_start or kind is seq_start:
            stack.append(container)
            keys.append(key)
            container = value
            key = _NO_KEY
    following = get()
    if type(following) is ev.DocumentStartEvent:
        raise _error(file, following.start_mark, "only one YAML document per file: remove this '---' and merge")
    return root


def _refuse_node(file: str, event: Any) -> DataError:
    if event.anchor is not None:
        return _error(file, event.start_mark, f"anchors and aliases are not allowed (anchor '&{event.anchor}')")
    return _error(file, event.start_mark, f"tags are not allowed ('{event.tag}'); write a plain value")
