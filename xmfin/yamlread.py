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
from threading import get_ident
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


# Each event as a tuple (code, anchor, tag, value, style, start_mark): what _build needs, and nothing more.
_SCALAR, _MAPPING, _SEQUENCE, _END, _ALIAS, _DOCUMENT_END, _OTHER = range(7)
_END_EVENT = (_END, None, None, None, None, None)


def _as_tuple(event: Any) -> tuple[Any, ...]:
    """A PyYAML event as the tuple _build reads."""
    kind = type(event)
    if kind is ev.ScalarEvent:
        return (_SCALAR, event.anchor, event.tag, event.value, event.style, event.start_mark)
    if kind is ev.MappingStartEvent or kind is ev.SequenceStartEvent:
        code = _MAPPING if kind is ev.MappingStartEvent else _SEQUENCE
        return (code, event.anchor, event.tag, None, None, event.start_mark)
    if kind is ev.MappingEndEvent or kind is ev.SequenceEndEvent:
        return _END_EVENT
    if kind is ev.AliasEvent:
        return (_ALIAS, event.anchor, None, None, None, event.start_mark)
    if kind is ev.DocumentEndEvent:
        return (_DOCUMENT_END, None, None, None, None, event.start_mark)
    return (_OTHER, None, None, kind.__name__, None, event.start_mark)


# libyaml's events reach Python as instances of PyYAML's event classes, each made by a Python __init__: a third
# of the time of reading a large file. While xmfin reads, the C parser is handed factories that make _build's
# tuples straight away instead, for the reading thread only (any other thread still gets real events). One
# thread at a time does so; others, and a PyYAML whose C parser calls the factories in another way (checked
# once, on a small document), read real events and turn them into tuples, with the same result, more slowly.
_reading_thread: int | None = None


# The factories take the parameters of PyYAML's event classes (yaml/events.py), in the same order.
def _scalar(
    anchor: Any, tag: Any, implicit: Any, value: Any, start_mark: Any = None, end_mark: Any = None, style: Any = None
) -> Any:
    if get_ident() != _reading_thread:
        return ev.ScalarEvent(anchor, tag, implicit, value, start_mark, end_mark, style)
    return (_SCALAR, anchor, tag, value, style, start_mark)


def _mapping_start(
    anchor: Any, tag: Any, implicit: Any, start_mark: Any = None, end_mark: Any = None, flow_style: Any = None
) -> Any:
    if get_ident() != _reading_thread:
        return ev.MappingStartEvent(anchor, tag, implicit, start_mark, end_mark, flow_style)
    return (_MAPPING, anchor, tag, None, None, start_mark)


def _sequence_start(
    anchor: Any, tag: Any, implicit: Any, start_mark: Any = None, end_mark: Any = None, flow_style: Any = None
) -> Any:
    if get_ident() != _reading_thread:
        return ev.SequenceStartEvent(anchor, tag, implicit, start_mark, end_mark, flow_style)
    return (_SEQUENCE, anchor, tag, None, None, start_mark)


def _mapping_end(start_mark: Any = None, end_mark: Any = None) -> Any:
    return _END_EVENT if get_ident() == _reading_thread else ev.MappingEndEvent(start_mark, end_mark)


def _sequence_end(start_mark: Any = None, end_mark: Any = None) -> Any:
    return _END_EVENT if get_ident() == _reading_thread else ev.SequenceEndEvent(start_mark, end_mark)


_FACTORIES: dict[str, Any] = {
    "ScalarEvent": _scalar,
    "MappingStartEvent": _mapping_start,
    "SequenceStartEvent": _sequence_start,
    "MappingEndEvent": _mapping_end,
    "SequenceEndEvent": _sequence_end,
}
_fast_lock = threading.Lock()
_fast_checked = False
# The C parser's module, whose event classes are swapped while reading; None: read real events only.
_c_module: Any = getattr(yaml, "_yaml", None) if _Parser.__name__ == "CSafeLoader" else None
if _c_module is not None and not all(getattr(_c_module, name, None) is getattr(ev, name) for name in _FACTORIES):
    _c_module = None  # pragma: no cover - a PyYAML built otherwise


@contextlib.contextmanager
def _events(data: bytes) -> Iterator[Callable[[], Any]]:
    """The event source for one document: libyaml making tuples where it can, else PyYAML's events."""
    global _reading_thread, _fast_checked, _c_module
    parser = _Parser(data)
    if _c_module is None or not _fast_lock.acquire(blocking=False):
        yield parser.get_event
        return
    try:
        if not _fast_checked:
            _fast_checked = True
            if not _fast_events_agree():
                _c_module = None
                yield parser.get_event
                return
        for name, factory in _FACTORIES.items():
            setattr(_c_module, name, factory)
        _reading_thread = get_ident()
        yield parser.get_event
    finally:
        _reading_thread = None
        if _c_module is not None:
            for name in _FACTORIES:
                setattr(_c_module, name, getattr(ev, name))
        _fast_lock.release()


def _fast_events_agree() -> bool:
    """Whether tuples made by the factories read a small document exactly as PyYAML's events do."""
    probe = b"a: [1, 'x', {b: c}]\n? d\n: |\n  e\nf: !!str g\n"
    slow = [_as_tuple(e) for e in yaml.parse(probe, Loader=_Parser)]
    fast: list[Any] = []
    global _reading_thread
    try:
        for name, factory in _FACTORIES.items():
            setattr(_c_module, name, factory)
        _reading_thread = get_ident()
        parser = _Parser(probe)
        while parser.check_event():
            event: Any = parser.get_event()
            fast.append(event if type(event) is tuple else _as_tuple(event))
    except Exception:  # the C parser calls the event classes in some other way
        return False
    finally:
        _reading_thread = None
        for name in _FACTORIES:
            setattr(_c_module, name, getattr(ev, name))

    def shown(events: list[Any]) -> list[Any]:
        return [(*e[:5], e[5] and (e[5].line, e[5].column)) for e in events]

    return shown(fast) == shown(slow)


def _build(get: Callable[[], Any], file: str) -> Any:
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
        if type(event) is not tuple:
            event = _as_tuple(event)
        code, anchor, tag, value, style, mark = event
        if code == _SCALAR:
            if anchor is not None or tag is not None:
                raise _refuse_node(file, anchor, tag, mark)
            if style:
                value = Quoted(value)
        elif code in (_MAPPING, _SEQUENCE):
            if anchor is not None or tag is not None:
                raise _refuse_node(file, anchor, tag, mark)
            if len(stack) >= MAX_DEPTH:
                raise _error(file, mark, f"nested more than {MAX_DEPTH} levels deep; flatten the data")
            value = YMap(mark.line, mark.column) if code == _MAPPING else YList(mark.line, mark.column)
            mark = value  # a container has its own line and column: it is its mark (no object to make)
        elif code == _END:
            container = stack.pop()
            key = keys.pop()
            continue
        elif code == _ALIAS:
            raise _error(file, mark, "anchors and aliases are not allowed; write the value out")
        elif code == _DOCUMENT_END:
            break
        else:  # pragma: no cover - libyaml emits nothing else inside a document
            raise _error(file, mark, f"unexpected YAML event {value}")

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
    following = get()
    if type(following) is ev.DocumentStartEvent:
        raise _error(file, following.start_mark, "only one YAML document per file: remove this '---' and merge")
    return root


def _refuse_node(file: str, anchor: Any, tag: Any, mark: Any) -> DataError:
    if anchor is not None:
        return _error(file, mark, f"anchors and aliases are not allowed (anchor '&{anchor}')")
    return _error(file, mark, f"tags are not allowed ('{tag}'); write a plain value")
