"""The fast event path of yamlread: the same values, marks and errors as PyYAML's events, and no harm to others."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from xmfin.errors import DataError
from xmfin.storage import yamlread
from xmfin.storage.yamlread import YList, YMap, read_yaml

DOCUMENTS = [
    b"version: 1\nentities:\n  a: {name: A, 'quoted': \"x\", sources: [s1, s2]}\n  b:\n    name: |\n      B\n",
    b"- 1\n- [2, {c: ~}]\n- ''\n",
    b"plain scalar\n",
    b"",
    b"# only a comment\n",
    b"a: 1\na: 2\n",
    b"a: &x 1\nb: *x\n",
    b"a: !!python/object:os.system x\n",
    b"? [a, b]\n: c\n",
    b"a: 1\n---\nb: 2\n",
    b"a: [1, 2\n",
    b"a:\n\t- 1\n",
    b"[" * 150 + b"]" * 150 + b"\n",
    b'"key\\nwith break": 1\n"key\\nwith break": 2\n',
]


def shown(value: Any) -> Any:
    """A value with every mark as (line, column), to compare two reads."""
    if isinstance(value, YMap):
        return (
            "map",
            value.line,
            value.column,
            [(k, (m.line, m.column)) for k, m in value.key_marks.items()],
            [(k, shown(v), (value.value_marks[k].line, value.value_marks[k].column)) for k, v in value.items()],
        )
    if isinstance(value, YList):
        marks = [(m.line, m.column) for m in value.item_marks]
        return ("list", value.line, value.column, [shown(v) for v in value], marks)
    return (type(value).__name__, value)


def outcome(data: bytes) -> Any:
    try:
        return shown(read_yaml(data, "f.yaml"))
    except DataError as error:
        return [str(p) for p in error.problems]


@pytest.fixture
def slow_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Read with PyYAML's own events, as when the fast path is not available."""
    monkeypatch.setattr(yamlread, "_c_module", None)
    yield


@pytest.mark.parametrize("data", DOCUMENTS)
def test_fast_and_slow_paths_read_alike(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    assert yamlread._c_module is not None, "libyaml is installed with the test extras"
    fast = outcome(data)
    monkeypatch.setattr(yamlread, "_c_module", None)
    assert outcome(data) == fast


def test_pyyaml_event_classes_are_restored_even_after_an_error() -> None:
    with pytest.raises(DataError, match="duplicate key"):
        read_yaml(b"a: 1\na: 2\n", "f.yaml")
    module = yamlread._c_module
    for name in yamlread._FACTORIES:
        assert getattr(module, name) is getattr(yaml.events, name)
    assert yaml.safe_load("a: [1, {b: c}]") == {"a": [1, {"b": "c"}]}


def test_the_fast_path_is_taken_only_with_no_other_thread_running() -> None:
    module = yamlread._c_module
    with yamlread._events(b"k: v\n") as get:
        assert module.ScalarEvent is yamlread._scalar  # the factories are in place
        codes = [get()[0] for _ in range(5)]
    assert codes == [yamlread._STREAM_START, yamlread._DOCUMENT_START, yamlread._MAPPING, yamlread._SCALAR, 0]
    assert module.ScalarEvent is yaml.events.ScalarEvent


def test_other_threads_parse_and_emit_with_pyyaml_untouched_while_xmfin_reads() -> None:
    # The classes are swapped for the whole C module, so with another thread running xmfin reads PyYAML's own
    # events: that thread's C loaders and dumpers work meanwhile.
    go, done = threading.Event(), threading.Event()
    seen: list[Any] = []

    def elsewhere() -> None:
        go.wait()
        seen.append(yaml.load("a: [1, {b: c}]", Loader=yaml.CSafeLoader))
        seen.append([type(e).__name__ for e in yaml.parse("x: 1", Loader=yaml.CSafeLoader)][:3])
        seen.append(yaml.dump({"a": [1]}, Dumper=yaml.CSafeDumper))
        done.set()

    thread = threading.Thread(target=elsewhere)
    thread.start()
    try:
        with yamlread._events(b"k: v\n") as get:
            assert yamlread._c_module.ScalarEvent is yaml.events.ScalarEvent
            go.set()
            assert done.wait(10)
            events = [get() for _ in range(5)]
    finally:
        go.set()
        thread.join()
    assert seen == [
        {"a": [1, {"b": "c"}]},
        ["StreamStartEvent", "DocumentStartEvent", "MappingStartEvent"],
        "a:\n- 1\n",
    ]
    assert [type(e) for e in events] == [tuple] * 5  # converted from PyYAML's events
    assert outcome(DOCUMENTS[0]) == outcome_slow(DOCUMENTS[0])


def test_a_second_reader_at_the_same_time_reads_pyyaml_events() -> None:
    with yamlread._events(b"k: v\n"):
        assert outcome(DOCUMENTS[0]) == outcome_slow(DOCUMENTS[0])


def outcome_slow(data: bytes) -> Any:
    saved = yamlread._c_module
    yamlread._c_module = None
    try:
        return outcome(data)
    finally:
        yamlread._c_module = saved


def test_fast_path_is_dropped_when_the_c_parser_disagrees(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlread, "_fast_checked", False)
    monkeypatch.setattr(yamlread, "_fast_events_agree", lambda: False)
    monkeypatch.setattr(yamlread, "_c_module", yamlread._c_module)
    assert outcome(DOCUMENTS[0]) == outcome_slow(DOCUMENTS[0])
    assert yamlread._c_module is None


def test_the_check_of_the_fast_path_passes_with_this_pyyaml() -> None:
    assert yamlread._fast_events_agree()
