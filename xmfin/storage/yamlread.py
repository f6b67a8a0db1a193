"""Read a YAML file into plain values straight from libyaml's event stream, keeping every position.

This is the only module that imports yaml. It builds dicts, lists and strings without PyYAML's constructor:
nothing is ever constructed from a tag, anchors and aliases are refused at the first one (so an alias bomb
costs nothing), duplicate keys are refused with their position, and scalars stay text so that the loader types
them by field (an unquoted `NO` is the string "NO" in a jurisdiction, never a boolean). Nesting is capped at
MAX_DEPTH so that a hostile file cannot exhaust the stack of whatever walks the values later.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from sys import intern
from typing import Any, cast

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

    # dict's own __init__ is not called: a new dict is empty already.
    def __init__(self, line: int, column: int) -> None:
        self.line = line
        self.column = column
        self.key_marks: dict[str, Any] = {}
        self.value_marks: dict[str, Any] = {}


class YList(list[Any]):
    """A sequence with the 0-based line and column of itself and of each item."""

    __slots__ = ("column", "item_marks", "line")

    # list's own __init__ is not called: a new list is empty already.
    def __init__(self, line: int, column: int) -> None:
        self.line = line
        self.column = column
        self.item_marks: list[Any] = []


_NO_KEY = object()


def read_yaml(data: bytes, file: str) -> Any:
    """Parse one YAML document into YMap / YList / str / Quoted / None; raise DataError with the position."""
    try:
        with _events(data) as get:
            return _build(get, file)
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


# Each event as a tuple (code, value, style, start_mark): what _build needs, and nothing more. A node with an
# anchor or a tag is refused, so it comes as (_PROPERTIES, anchor, tag, start_mark) whatever its kind.
(
    _SCALAR,
    _MAPPING,
    _SEQUENCE,
    _END,
    _ALIAS,
    _PROPERTIES,
    _DOCUMENT_START,
    _DOCUMENT_END,
    _STREAM_START,
    _STREAM_END,
) = range(10)
_END_EVENT = (_END, None, None, None)


def _as_tuple(event: Any) -> tuple[Any, ...]:
    """A PyYAML event as the tuple _build reads."""
    kind = type(event)
    mark = event.start_mark
    if kind is ev.ScalarEvent or kind is ev.MappingStartEvent or kind is ev.SequenceStartEvent:
        if event.anchor is not None or event.tag is not None:
            return (_PROPERTIES, event.anchor, event.tag, mark)
        if kind is ev.ScalarEvent:
            return (_SCALAR, event.value, event.style, mark)
        return (_MAPPING if kind is ev.MappingStartEvent else _SEQUENCE, None, None, mark)
    if kind is ev.MappingEndEvent or kind is ev.SequenceEndEvent:
        return _END_EVENT
    if kind is ev.AliasEvent:
        return (_ALIAS, event.anchor, None, mark)
    codes = {
        ev.DocumentStartEvent: _DOCUMENT_START,
        ev.DocumentEndEvent: _DOCUMENT_END,
        ev.StreamStartEvent: _STREAM_START,
        ev.StreamEndEvent: _STREAM_END,
    }
    return (codes[kind], None, None, mark)


# libyaml's events reach Python as instances of PyYAML's event classes, each made by a Python __init__: a third
# of the time of reading a large file. While xmfin reads, and no other thread runs, the C parser is handed
# factories that make _build's tuples straight away instead. Otherwise, and with a PyYAML whose C parser calls
# the factories in another way (checked once, on a small document), xmfin reads real events and turns them
# into tuples, with the same result, more slowly.


# The factories take the parameters of PyYAML's event classes (yaml/events.py), in the same order.
def _scalar(
    anchor: Any, tag: Any, implicit: Any, value: Any, start_mark: Any = None, end_mark: Any = None, style: Any = None
) -> Any:
    if anchor is None and tag is None:
        return (_SCALAR, value, style, start_mark)
    return (_PROPERTIES, anchor, tag, start_mark)


def _mapping_start(
    anchor: Any, tag: Any, implicit: Any, start_mark: Any = None, end_mark: Any = None, flow_style: Any = None
) -> Any:
    if anchor is None and tag is None:
        return (_MAPPING, None, None, start_mark)
    return (_PROPERTIES, anchor, tag, start_mark)


def _sequence_start(
    anchor: Any, tag: Any, implicit: Any, start_mark: Any = None, end_mark: Any = None, flow_style: Any = None
) -> Any:
    if anchor is None and tag is None:
        return (_SEQUENCE, None, None, start_mark)
    return (_PROPERTIES, anchor, tag, start_mark)


def _end(start_mark: Any = None, end_mark: Any = None) -> Any:
    return _END_EVENT


def _alias(anchor: Any, start_mark: Any = None, end_mark: Any = None) -> Any:
    return (_ALIAS, anchor, None, start_mark)


def _document_start(
    start_mark: Any = None, end_mark: Any = None, explicit: Any = None, version: Any = None, tags: Any = None
) -> Any:
    return (_DOCUMENT_START, None, None, start_mark)


def _document_end(start_mark: Any = None, end_mark: Any = None, explicit: Any = None) -> Any:
    return (_DOCUMENT_END, None, None, start_mark)


def _stream_start(start_mark: Any = None, end_mark: Any = None, encoding: Any = None) -> Any:
    return (_STREAM_START, None, None, start_mark)


def _stream_end(start_mark: Any = None, end_mark: Any = None) -> Any:
    return (_STREAM_END, None, None, start_mark)


_FACTORIES: dict[str, Any] = {
    "ScalarEvent": _scalar,
    "MappingStartEvent": _mapping_start,
    "SequenceStartEvent": _sequence_start,
    "MappingEndEvent": _end,
    "SequenceEndEvent": _end,
    "AliasEvent": _alias,
    "DocumentStartEvent": _document_start,
    "DocumentEndEvent": _document_end,
    "StreamStartEvent": _stream_start,
    "StreamEndEvent": _stream_end,
}
_fast_lock = threading.Lock()
_fast_checked = False
# The C parser's module, whose event classes are swapped while reading; None: read real events only.
_c_module: Any = getattr(yaml, "_yaml", None) if _Parser.__name__ == "CSafeLoader" else None
if _c_module is not None and not all(getattr(_c_module, name, None) is getattr(ev, name) for name in _FACTORIES):
    _c_module = None  # pragma: no cover - a PyYAML built otherwise


@contextlib.contextmanager
def _events(data: bytes) -> Iterator[Callable[[], tuple[Any, ...]]]:
    """The event source for one document, as tuples: made by libyaml where it can, else from PyYAML's events."""
    global _fast_checked, _c_module
    parser = _Parser(data)

    def converted() -> tuple[Any, ...]:
        event: Any = parser.get_event()
        return event if type(event) is tuple else _as_tuple(event)  # tuples already inside another read

    # The factories replace PyYAML's event classes in the C module for every thread: only with no other thread
    # running can no one else parse (or emit) YAML meanwhile.
    if _c_module is None or threading.active_count() > 1 or not _fast_lock.acquire(blocking=False):
        yield converted
        return
    try:
        if not _fast_checked:
            _fast_checked = True
            if not _fast_events_agree():
                _c_module = None
                yield converted
                return
        for name, factory in _FACTORIES.items():
            setattr(_c_module, name, factory)
        yield cast(Callable[[], tuple[Any, ...]], parser.get_event)  # the factories make its events tuples
    finally:
        if _c_module is not None:
            for name in _FACTORIES:
                setattr(_c_module, name, getattr(ev, name))
        _fast_lock.release()


def _fast_events_agree() -> bool:
    """Whether tuples made by the factories read a small document exactly as PyYAML's events do."""
    probe = b"a: [1, 'x', {b: c}]\n? d\n: |\n  e\nf: !!str g\n---\n&h i: *h\n"
    slow = [_as_tuple(e) for e in yaml.parse(probe, Loader=_Parser)]
    fast: list[Any] = []
    try:
        for name, factory in _FACTORIES.items():
            setattr(_c_module, name, factory)
        parser = _Parser(probe)
        while parser.check_event():
            fast.append(parser.get_event())
    except Exception:  # the C parser calls the event classes in some other way
        return False
    finally:
        for name in _FACTORIES:
            setattr(_c_module, name, getattr(ev, name))

    def shown(events: list[Any]) -> list[Any]:
        return [(*e[:3], e[3] and (e[3].line, e[3].column)) if type(e) is tuple else e for e in events]

    return shown(fast) == shown(slow)


def _build(get: Callable[[], tuple[Any, ...]], file: str) -> Any:
    get()  # the stream's start
    if get()[0] == _STREAM_END:
        return None  # no document at all: an empty file, or only comments
    # A container is attached to its parent when it starts; the stack keeps the enclosing containers.
    stack: list[Any] = []
    keys: list[Any] = []
    container: Any = None
    key: Any = _NO_KEY
    root: Any = None
    while True:
        code, value, style, mark = get()
        if code == _SCALAR:
            if style:
                value = Quoted(value)
        elif code in (_MAPPING, _SEQUENCE):
            if len(stack) >= MAX_DEPTH:
                raise _error(file, mark, f"nested more than {MAX_DEPTH} levels deep; flatten the data")
            value = YMap(mark.line, mark.column) if code == _MAPPING else YList(mark.line, mark.column)
            mark = value  # a container has its own line and column: it is its mark (no object to make)
        elif code == _END:
            container = stack.pop()
            key = keys.pop()
            continue
        elif code == _PROPERTIES:
            raise _refuse_node(file, value, style, mark)
        elif code == _ALIAS:
            raise _error(file, mark, "anchors and aliases are not allowed; write the value out")
        elif code == _DOCUMENT_END:
            break
        else:  # pragma: no cover - libyaml emits nothing else inside a document
            raise _error(file, mark, f"unexpected YAML event {code}")

        if container is None:
            root = value
        elif type(container) is YMap:
            if key is _NO_KEY:
                if type(value) is not str and type(value) is not Quoted:
                    raise _error(file, mark, "a key must be a plain text, not a list or mapping")
                if value in container:
                    first = container.key_marks[value].line + 1
                    raise _error(file, mark, f"duplicate key '{value}' (first on line {first}): keep one")
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
        if mark is value:  # a container: what follows goes into it
            stack.append(container)
            keys.append(key)
            container = value
            key = _NO_KEY
    following, _, _, mark = get()
    if following == _DOCUMENT_START:
        raise _error(file, mark, "only one YAML document per file: remove this '---' and merge")
    return root


def _refuse_node(file: str, anchor: Any, tag: Any, mark: Any) -> DataError:
    if anchor is not None:
        return _error(file, mark, f"anchors and aliases are not allowed (anchor '&{anchor}')")
    return _error(file, mark, f"tags are not allowed ('{tag}'); write a plain value")
