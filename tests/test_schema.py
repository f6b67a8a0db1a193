"""`xmfin schema`: JSON Schema 2020-12 made from the loader's FIELDS; it accepts what the loader accepts (the
bundled data, every valid fixture) and rejects broken files. YAML is turned into JSON by xmfin's own reader,
with plain scalars typed as a YAML 1.2 editor types them."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from xmfin.storage.loading import FIELDS, SECTIONS, check_folder
from xmfin.storage.schema import FILES, file_schema
from xmfin.storage.yamlread import Quoted, YList, YMap, read_yaml

from .conftest import FIXTURES, Invoke

BUNDLED = Path(__file__).parents[1] / "data"
_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")


def yaml12(node: Any) -> Any:
    """A value from xmfin's YAML reader as JSON, plain scalars resolved by the YAML 1.2 core schema."""
    if isinstance(node, YMap):
        return {key: yaml12(value) for key, value in node.items()}
    if isinstance(node, YList):
        return [yaml12(value) for value in node]
    if node is None or isinstance(node, Quoted):
        return None if node is None else str(node)
    if node in ("", "~", "null", "Null", "NULL"):
        return None
    if node in ("true", "True", "TRUE", "false", "False", "FALSE"):
        return node.lower() == "true"
    if _INT.fullmatch(node):
        return int(node, 0) if node[:2] in ("0o", "0x") else int(node)
    if _FLOAT.fullmatch(node):
        return float(node)
    return str(node)


def as_json(path: Path) -> Any:
    return yaml12(read_yaml(path.read_bytes(), str(path)))


def validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(file_schema(name))


def errors(name: str, document: Any) -> list[str]:
    """Every message, those inside an anyOf included (what an editor shows on hover)."""
    found: list[str] = []
    pending = list(validator(name).iter_errors(document))
    while pending:
        error = pending.pop(0)
        found.append(error.message)
        pending.extend(error.context or [])
    return found


@pytest.mark.parametrize("name", FILES)
def test_schema_is_a_valid_2020_12_schema(name: str) -> None:
    schema = file_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("name", FILES)
def test_schema_lists_exactly_the_loaders_sections_and_keys(name: str) -> None:
    schema = file_schema(name)
    sections = SECTIONS[FILES[name]]
    assert set(schema["properties"]) == {*sections, "version", "extra"}
    for record_type, record in schema["$defs"].items():
        assert set(record["properties"]) == set(FIELDS[record_type])
        assert record["required"] == [key for key, spec in FIELDS[record_type].items() if spec.required]


def data_files() -> list[Path]:
    """Every data file the loader finds no error in: the bundled data and the valid fixture files."""
    folders = [BUNDLED, *sorted(p for p in FIXTURES.iterdir() if p.is_dir())]
    found = []
    for folder in folders:
        if not (folder / "entities.yaml").is_file():
            continue
        _, problems = check_folder(folder)
        for name in FILES.values():
            if not any(p.severity == "error" and p.loc.file.endswith(name) for p in problems):
                found.append(folder / name)
    return found


@pytest.mark.parametrize("path", data_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_schema_accepts_every_valid_data_file(path: Path) -> None:
    name = next(key for key, file in FILES.items() if file == path.name)
    assert errors(name, as_json(path)) == []


def test_the_interop_fixture_is_among_the_checked_files() -> None:
    assert FIXTURES / "interop" / "entities.yaml" in data_files()


ENTITIES = """\
version: 1
sources:
  src: {title: A source, published: 2019-05}
entities:
  a: {name: A, jurisdiction: NO, founded: 2019, sources: src, aliases: [1984, true]}
  b: {name: B, kind: person, dissolved: null}
holdings:
  - {owner: a, owned: b, stake: 29.5, since: 2019-05-01}
"""


def test_yaml_as_an_editor_reads_it_is_accepted() -> None:
    document = yaml12(read_yaml(ENTITIES.encode(), "entities.yaml"))
    # The values as YAML 1.2 types them: a year and a stake are numbers, NO is a string, a single id a text.
    assert document["entities"]["a"]["founded"] == 2019
    assert document["entities"]["a"]["jurisdiction"] == "NO"
    assert document["holdings"][0]["stake"] == 29.5
    assert errors("entities", document) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("entities", "a", "nmae", "A"), "Additional properties are not allowed ('nmae' was unexpected)"),
        (("holdings", 0, "stake", 150), "150 is greater than the maximum of 100"),
        (("holdings", 0, "stake", 0), "0 is less than or equal to the minimum of 0"),
        (("holdings", 0, "control", "vei"), "'vei' is not one of ['equity', 'vie', 'voting', 'other', None]"),
        (("entities", "a", "jurisdiction", "cn"), "'cn' does not match '^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$'"),
        (
            ("entities", "a", "founded", "2019-13"),
            "'2019-13' does not match '^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$'",
        ),
        (("entities", "a", "name", None), "None is not of type 'string', 'number', 'boolean'"),
        (("holdings", 0, "owner", "Xiaomi Corp"), "'Xiaomi Corp' does not match '^[a-z0-9][a-z0-9-]*$'"),
        (("entities", "a", "figures", {"metric": "x"}), "{'metric': 'x'} is not of type 'array', 'null'"),
    ],
)
def test_schema_rejects_a_broken_file(change: tuple[Any, ...], message: str) -> None:
    document = yaml12(read_yaml(ENTITIES.encode(), "entities.yaml"))
    section, key, field, value = change
    document[section][key][field] = value
    assert message in errors("entities", document)


def test_schema_rejects_unknown_sections_ids_and_versions() -> None:
    assert "Additional properties are not allowed ('entites' was unexpected)" in errors("entities", {"entites": {}})
    assert errors("entities", {"entities": {"Bad Id": {"name": "x"}}}) == [
        "'Bad Id' does not match '^[a-z0-9][a-z0-9-]*$'"
    ]
    assert errors("licences", {"version": 2}) == ["2 is not one of [1, '1']"]
    assert errors("licences", {"families": {"bank": {"name": "Banking"}}, "claims": [{"group": "x"}]}) == [
        "'family' is a required property"
    ]


def test_broken_fixture_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "entities.yaml"
    path.write_text(textwrap.dedent(ENTITIES).replace("stake: 29.5", "stake: lots"), encoding="utf-8")
    assert "'lots' is not of type 'number', 'null'" in errors("entities", as_json(path))


def test_cli_prints_one_schema(xmfin: Invoke) -> None:
    result = xmfin("schema", "licences", case=None)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == file_schema("licences")


def test_cli_prints_both_or_writes_a_folder(xmfin: Invoke, tmp_path: Path) -> None:
    result = xmfin("schema", case=None)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"entities": file_schema("entities"), "licences": file_schema("licences")}
    assert xmfin("schema", "-o", str(tmp_path / "schemas"), case=None).exit_code == 0
    written = json.loads((tmp_path / "schemas" / "entities.schema.json").read_text(encoding="utf-8"))
    assert written == file_schema("entities")
    assert (tmp_path / "schemas" / "licences.schema.json").is_file()
    assert xmfin("schema", "entities", "-o", str(tmp_path / "e.json"), case=None).exit_code == 0
    assert json.loads((tmp_path / "e.json").read_text(encoding="utf-8")) == file_schema("entities")


def test_cli_unknown_file_exits_2(xmfin: Invoke, tmp_path: Path) -> None:
    result = xmfin("schema", "entity", case=None)
    assert result.exit_code == 2
    assert "unknown data file 'entity' (did you mean 'entities'?); give entities or licences" in result.stderr
    (tmp_path / "file").write_text("x", encoding="utf-8")
    result = xmfin("schema", "-o", str(tmp_path / "file"), case=None)
    assert result.exit_code == 2
    assert "both schemas go into a folder, and this is a file" in result.stderr


def test_unwritable_output_exits_2(xmfin: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "entities.schema.json"
    result = xmfin("schema", "entities", "-o", str(target), case=None)
    assert result.exit_code == 2
    assert f"-o {target}: cannot write: No such file or directory" in result.stderr
