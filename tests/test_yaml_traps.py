"""YAML traps: each is refused with its file, line and column, or read as the person meant; never run, never slow.

The loader reads libyaml's event stream itself (xmfin/storage/yamlread.py), so nothing is constructed from a tag, an
alias is refused at once, and scalars stay text until the field they belong to types them.
"""

from __future__ import annotations

import os
import time
import tracemalloc
from pathlib import Path

import pytest

from xmfin.errors import DataError
from xmfin.storage.loading import check_folder, load
from xmfin.storage.yamlread import MAX_DEPTH, Quoted, YList, YMap, read_yaml

from .test_checks import ENTITIES, LICENCES, at, found, make_folder, replaced

E = "d/entities.yaml"
L = "d/licences.yaml"


def entity_errors(tmp_path: Path, entities: str | bytes) -> list[tuple[str, int, int, str, str]]:
    """The errors of a folder whose licences.yaml is the base one and entities.yaml is given."""
    return [p for p in found(make_folder(tmp_path, entities)) if p[3] == "error"]


# --- duplicate keys, at every level ----------------------------------------------------------------------------

# (name, old text, new text, where the second key stands, the key, the line of the first).
DUPLICATES = [
    (
        "a top-level key",
        "version: 1\nsources:",
        "version: 1\nversion: 1\nsources:",
        "version: 1\nsources:",
        "version",
        1,
    ),
    ("an entity id", "  boss: {", "  mid: {name: Again}\n  boss: {", "mid: {name: Again}", "mid", 8),
    ("a record key", "{name: Mid Co,", "{name: Mid Co, name: Mid,", "name: Mid,", "name", 8),
    (
        "a key in a nested figure",
        "kind: person,",
        "kind: person, figures: [{metric: a, value: 1, value: 2}],",
        "value: 2",
        "value",
        10,
    ),
    ("a key under extra", "kind: person,", "kind: person, extra: {a: 1, b: {c: 1, c: 2}},", "c: 2", "c", 10),
    ("a quoted and a plain key", "{name: Mid Co,", "{name: Mid Co, 'name': Mid,", "'name'", "name", 8),
]


@pytest.mark.parametrize(
    ("old", "new", "needle", "key", "first"), [d[1:] for d in DUPLICATES], ids=[d[0] for d in DUPLICATES]
)
def test_duplicate_keys_are_refused_where_they_stand(
    tmp_path: Path, old: str, new: str, needle: str, key: str, first: int
) -> None:
    entities = replaced(ENTITIES, old, new)
    message = f"duplicate key '{key}' (first on line {first}): keep one"
    assert entity_errors(tmp_path, entities) == [(E, *at(entities, needle), "error", message)]


def test_a_quoted_key_with_a_line_break_stays_on_one_line() -> None:
    with pytest.raises(DataError) as raised:
        read_yaml(b'"a\\nb": 1\n"a\\nb": 2\n', "f")
    assert str(raised.value) == "f:2:1: error: duplicate key 'a\\nb' (first on line 1): keep one"


# --- scalars are read as the person means them --------------------------------------------------------------------


def test_norway_is_a_jurisdiction_not_false(tmp_path: Path) -> None:
    entities = replaced(ENTITIES, "jurisdiction: HK", "jurisdiction: NO")
    assert load(make_folder(tmp_path, entities)).entities["mid"].jurisdiction == "NO"


@pytest.mark.parametrize("word", ["NO", "no", "Yes", "ON", "off", "y", "n", "~x", "0x1F", "0o17", "12:30", "1_000"])
def test_yaml_1_1_words_are_text_in_text_fields(tmp_path: Path, word: str) -> None:
    entities = replaced(ENTITIES, "{name: Mid Co,", f"{{name: {word},")
    assert load(make_folder(tmp_path, entities)).entities["mid"].name == word


@pytest.mark.parametrize("word", ["NO", "yes", "on", "Off", "y", "1", "'true'"])
def test_only_true_and_false_are_booleans(tmp_path: Path, word: str) -> None:
    licences = replaced(LICENCES, "core: true", f"core: {word}")
    shown = word.strip("'")
    assert [p for p in found(make_folder(tmp_path, licences=licences)) if p[3] == "error"] == [
        (L, *at(licences, word + "}"), "error", f"core: must be true or false, not '{shown}'")
    ]


@pytest.mark.parametrize(("written", "value"), [("1.2e9", 1.2e9), ("114600000000", 114600000000), ("-3.5", -3.5)])
def test_numbers_are_numbers_where_a_number_is_expected(tmp_path: Path, written: str, value: float) -> None:
    entities = replaced(ENTITIES, "kind: person,", f"kind: person, figures: [{{metric: m, value: {written}}}],")
    figure = load(make_folder(tmp_path, entities)).entities["boss"].figures[0]
    assert figure.value == value and type(figure.value) is type(value)


def test_unquoted_dates_and_years_are_read_as_date_text(tmp_path: Path) -> None:
    data = load(make_folder(tmp_path))
    assert str(data.entities["top"].founded) == "2010"
    assert str(data.entities["bank"].founded) == "2015-06"


def test_quoted_scalars_stay_text_and_are_marked() -> None:
    root = read_yaml(b"a: '1'\nb: 1\nc: |\n  x\nd: null\n", "f")
    assert isinstance(root, YMap)
    assert root == {"a": "1", "b": "1", "c": "x\n", "d": "null"}
    assert [type(root[k]) for k in "abcd"] == [Quoted, str, Quoted, str]


def test_positions_are_kept_for_keys_values_and_items() -> None:
    root = read_yaml(b"top:\n  - x\n  - {k: v}\n", "f")
    assert isinstance(root, YMap)
    items = root["top"]
    assert isinstance(items, YList)
    assert (root.key_marks["top"].line, root.key_marks["top"].column) == (0, 0)
    assert [(m.line, m.column) for m in items.item_marks] == [(1, 4), (2, 4)]


# --- anchors, aliases and tags --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        ("{name: Mid Co,", "{name: &n Mid Co,", "&n", "anchors and aliases are not allowed (anchor '&n')"),
        ("  mid: {", "  mid: &m {", "&m", "anchors and aliases are not allowed (anchor '&m')"),
        (
            "sources: [src]}\n  bank",
            "sources: &s [src]}\n  bank",
            "&s",
            "anchors and aliases are not allowed (anchor '&s')",
        ),
    ],
)
def test_anchors_are_refused(tmp_path: Path, old: str, new: str, needle: str, message: str) -> None:
    entities = replaced(ENTITIES, old, new)
    assert entity_errors(tmp_path, entities) == [(E, *at(entities, needle), "error", message)]


def test_an_alias_is_refused(tmp_path: Path) -> None:
    # Without the anchor (refused first), the alias alone is refused too.
    with pytest.raises(DataError) as raised:
        read_yaml(b"a: x\nb: *x\n", "f")
    assert str(raised.value) == "f:2:4: error: anchors and aliases are not allowed; write the value out"


def test_an_alias_bomb_is_refused_quickly_with_bounded_memory(tmp_path: Path) -> None:
    # "Billion laughs": ten levels of ten aliases each would expand to 10^10 strings if anything expanded them.
    lines = ["version: 1", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        prev, name = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    tracemalloc.start()
    started = time.perf_counter()
    problems = found(make_folder(tmp_path, "\n".join(lines) + "\n"))
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert problems[0] == (E, 2, 4, "error", "anchors and aliases are not allowed (anchor '&a')")
    assert elapsed < 2
    assert peak < 5_000_000


TAGS = [
    ("!!python/object/apply:os.system ['true']", "tag:yaml.org,2002:python/object/apply:os.system"),
    ("!!python/name:os.system", "tag:yaml.org,2002:python/name:os.system"),
    ("!!str 50", "tag:yaml.org,2002:str"),
    ("!!binary aGVsbG8=", "tag:yaml.org,2002:binary"),
    ("!custom thing", "!custom"),
    ("!!map {a: 1}", "tag:yaml.org,2002:map"),
    ("!!set {a, b}", "tag:yaml.org,2002:set"),
]


@pytest.mark.parametrize(("value", "tag"), TAGS, ids=[t[1].rsplit(":", 1)[-1] for t in TAGS])
def test_tags_are_refused(tmp_path: Path, value: str, tag: str) -> None:
    entities = replaced(ENTITIES, "kind: person,", f"kind: person, note: {value},")
    assert entity_errors(tmp_path, entities) == [
        (E, *at(entities, value), "error", f"tags are not allowed ('{tag}'); write a plain value")
    ]


def test_nothing_in_a_tag_is_ever_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    entities = ENTITIES + f"extra: !!python/object/apply:os.system ['touch {marker}']\n"
    errors = entity_errors(tmp_path / "d", entities)
    assert [e[4].split(" (")[0] for e in errors] == ["tags are not allowed"]
    assert not marker.exists()


# --- files that are not what they should be -------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "null\n", "~\n", "---\n...\n"])
def test_an_empty_file_is_an_error(tmp_path: Path, text: str) -> None:
    assert found(make_folder(tmp_path, licences=text)) == [
        (L, 1, 1, "error", "the file is empty: it needs at least 'version: 1'")
    ]


@pytest.mark.parametrize("text", ["- version: 1\n", "just words\n", "'quoted'\n", "[1, 2]\n", "42\n"])
def test_a_top_level_that_is_not_a_mapping_is_an_error(tmp_path: Path, text: str) -> None:
    assert found(make_folder(tmp_path, licences=text)) == [
        (L, 1, 1, "error", "the top level must be a mapping of sections, such as 'version: 1'")
    ]


def test_text_that_is_not_utf8_is_refused_where_it_starts(tmp_path: Path) -> None:
    text = replaced(ENTITIES, "{name: Mid Co,", "{name: 小米 Café Co,")
    mixed = text.encode("utf-8").replace("é".encode(), "é".encode("latin-1"))
    # The column counts characters, not bytes: 小米 before it are two characters.
    assert found(make_folder(tmp_path, mixed)) == [
        (E, *at(text, "é"), "error", "not UTF-8 text: save the file as UTF-8")
    ]


def test_utf16_is_refused(tmp_path: Path) -> None:
    assert found(make_folder(tmp_path, ENTITIES.encode("utf-16"))) == [
        (E, 1, 1, "error", "not UTF-8 text: save the file as UTF-8")
    ]


def test_a_utf8_byte_order_mark_is_fine(tmp_path: Path) -> None:
    assert found(make_folder(tmp_path, b"\xef\xbb\xbf" + ENTITIES.encode())) == []


def test_a_folder_in_place_of_a_file(tmp_path: Path) -> None:
    make_folder(tmp_path)
    (tmp_path / "licences.yaml").unlink()
    (tmp_path / "licences.yaml").mkdir()
    assert found(tmp_path) == [(L, 1, 1, "error", "is a folder: licences.yaml must be a YAML file")]


def test_a_pipe_in_place_of_a_file_is_refused_without_waiting(tmp_path: Path) -> None:
    make_folder(tmp_path)
    (tmp_path / "licences.yaml").unlink()
    os.mkfifo(tmp_path / "licences.yaml")  # reading it would block forever
    assert found(tmp_path) == [(L, 1, 1, "error", "is not a regular file: licences.yaml must be a YAML file")]


def test_a_missing_file(tmp_path: Path) -> None:
    make_folder(tmp_path)
    (tmp_path / "entities.yaml").unlink()
    assert found(tmp_path) == [
        (E, 1, 1, "error", "file not found: a data folder needs entities.yaml and licences.yaml")
    ]


def test_a_missing_folder_is_bad_usage(tmp_path: Path) -> None:
    from xmfin.errors import UsageError

    with pytest.raises(UsageError, match="does not exist"):
        load(tmp_path / "nowhere")


# --- size and depth ------------------------------------------------------------------------------------------------


def test_a_very_long_line_is_read(tmp_path: Path) -> None:
    name = "x" * 5_000_000
    entities = replaced(ENTITIES, "{name: Mid Co,", f"{{name: {name},")
    started = time.perf_counter()
    assert load(make_folder(tmp_path, entities)).entities["mid"].name == name
    assert time.perf_counter() - started < 5


def test_a_long_bad_key_gives_a_short_message(tmp_path: Path) -> None:
    key = "k" * 1000  # YAML allows keys of up to 1024 characters
    entities = replaced(ENTITIES, "{name: Mid Co,", f"{{name: Mid Co, {key}: 1,")
    (problem,) = entity_errors(tmp_path, entities)
    assert problem[4].startswith("unknown key 'kkkk") and len(problem[4]) < 400


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (b"version: 1\nextra: " + b"[" * 100_000, (2, 1007), "not valid YAML: exceeded maximum nesting depth"),
        (
            b"version: 1\nextra: " + b"{a: " * 100_000,
            (2, 4 * (MAX_DEPTH - 1) + 8),
            f"nested more than {MAX_DEPTH} levels",
        ),
        (
            b"version: 1\nextra:\n" + b"".join(b"  " * (i + 1) + b"- \n" for i in range(3_000)),
            (MAX_DEPTH + 2, 2 * MAX_DEPTH + 1),
            f"nested more than {MAX_DEPTH} levels",
        ),
    ],
    ids=["flow lists", "flow mappings", "block lists"],
)
def test_deep_nesting_is_an_error_not_a_crash(
    tmp_path: Path, text: bytes, where: tuple[int, int], message: str
) -> None:
    started = time.perf_counter()
    (problem,) = check_folder(make_folder(tmp_path, text), "d")[1]
    assert time.perf_counter() - started < 5
    assert (problem.loc.file, problem.loc.line, problem.loc.column) == (E, *where)
    assert problem.message.startswith(message)


def test_nesting_below_the_limit_is_kept_under_extra(tmp_path: Path) -> None:
    depth = MAX_DEPTH - 2
    entities = ENTITIES + "extra: " + "[" * depth + "]" * depth + "\n"
    assert found(make_folder(tmp_path, entities)) == []


# --- text that is not YAML -------------------------------------------------------------------------------------------

NOT_YAML = [
    (
        "two documents",
        ENTITIES + "---\nversion: 1\n",
        (16, 1),
        "only one YAML document per file: remove this '---' and merge",
    ),
    (
        "a tab for indentation",
        "version: 1\nentities:\n\tmid: {name: Mid}\n",
        (3, 1),
        "not valid YAML: found character that cannot start any token; indent with spaces, not tabs",
    ),
    (
        "a control character",
        "version: 1\nsources:\n  src: {title: A\x07}\n",
        (3, 17),
        "not valid YAML: control characters are not allowed (character U+0007); remove or replace that character",
    ),
    (
        "an unclosed bracket",
        "version: 1\nentities:\n  mid: {name: Mid\n",
        (4, 1),
        "not valid YAML: did not find expected ',' or '}'",
    ),
    (
        "a list as a key",
        "version: 1\n? [a, b]\n: 1\n",
        (2, 3),
        "a key must be a plain text, not a list or mapping",
    ),
]


@pytest.mark.parametrize(("text", "where", "message"), [c[1:] for c in NOT_YAML], ids=[c[0] for c in NOT_YAML])
def test_text_that_is_not_yaml(tmp_path: Path, text: str, where: tuple[int, int], message: str) -> None:
    assert entity_errors(tmp_path, text) == [(E, *where, "error", message)]


def test_a_merge_key_is_just_an_unknown_key(tmp_path: Path) -> None:
    entities = replaced(ENTITIES, "{name: Mid Co,", "{name: Mid Co, <<: {kind: fund},")
    assert entity_errors(tmp_path, entities) == [
        (E, *at(entities, "<<"), "error", "unknown key '<<' in entity (keys: " + ", ".join(_entity_keys()) + ")")
    ]


def test_a_key_with_a_line_break_stays_on_one_line(tmp_path: Path) -> None:
    entities = replaced(ENTITIES, "{name: Mid Co,", '{name: Mid Co, "na\\nme": x,')
    (problem,) = entity_errors(tmp_path, entities)
    assert problem[4].startswith("unknown key 'na\\nme' in entity") and "\n" not in problem[4]


def _entity_keys() -> list[str]:
    from xmfin.storage.loading import FIELDS

    return list(FIELDS["entity"])
