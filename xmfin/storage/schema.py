"""`xmfin schema`: the JSON Schema (2020-12) of each data file, made from the loader's own FIELDS and SECTIONS.

The schema describes a file as a YAML 1.2 editor reads it (the YAML language server, or any tool that turns
the YAML into JSON): an unquoted `2019` is an integer there and `2019-05` a string, so a date is either; a
stake is a number; a text may be written as a number or a boolean (the loader reads it as text). It accepts
everything the loader accepts field by field; what only the loader checks across records (references,
stakes adding up, periods) is left to `xmfin check`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from xmfin.errors import UsageError, did_you_mean
from xmfin.fileio import kind_of, text, write_file, write_folder
from xmfin.storage.loading import (
    ENTITIES_FILE,
    FIELDS,
    FORMAT_VERSION,
    ID_PATTERN,
    JURISDICTION_PATTERN,
    LICENCES_FILE,
    SECTIONS,
    Field,
)

DIALECT = "https://json-schema.org/draft/2020-12/schema"
FILES = {"entities": ENTITIES_FILE, "licences": LICENCES_FILE}

_ID = {"type": "string", "pattern": f"^{ID_PATTERN.pattern}$"}
_DATE_TEXT = r"^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$"
# Value schemas of the converters in loading.py, by kind.
_KINDS: dict[str, dict[str, Any]] = {
    "text": {"type": ["string", "number", "boolean"]},
    "id": {"anyOf": [_ID, {"type": "integer", "minimum": 0}], "description": "An id: [a-z0-9][a-z0-9-]*."},
    "number": {"type": "number"},
    "stake": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
    "bound": {"type": "number", "minimum": 0, "maximum": 100},
    "bool": {"type": "boolean"},
    "date": {
        "anyOf": [{"type": "string", "pattern": _DATE_TEXT}, {"type": "integer", "minimum": 1, "maximum": 9999}],
        "description": "YYYY, YYYY-MM or YYYY-MM-DD.",
    },
    "jurisdiction": {"type": "string", "pattern": f"^{JURISDICTION_PATTERN.pattern}$"},
    "any": {},
}
# A single value where a list is expected is read as a list of one (loading._list).
_KINDS["ids"] = {"anyOf": [{"type": "array", "items": _KINDS["id"]}, _KINDS["id"]]}
_KINDS["texts"] = {"anyOf": [{"type": "array", "items": _KINDS["text"]}, _KINDS["text"]]}
_CITATION = {"anyOf": [_KINDS["id"], {"$ref": "#/$defs/quote"}]}
_KINDS["citations"] = {"anyOf": [{"type": "array", "items": _CITATION}, _CITATION]}


def field_schema(spec: Field) -> dict[str, Any]:
    """The schema of one key's value; optional keys may also be null (the loader skips them)."""
    if spec.kind.startswith("records:"):
        value: dict[str, Any] = {"type": "array", "items": {"$ref": f"#/$defs/{spec.kind.split(':', 1)[1]}"}}
    elif spec.kind.startswith("choice:"):
        value = {"enum": spec.kind.split(":", 1)[1].split("|")}
    else:
        value = dict(_KINDS[spec.kind])
    if not spec.required and spec.kind != "any":
        value = _nullable(value)
    if spec.doc:
        value["description"] = spec.doc
    return value


def _nullable(value: dict[str, Any]) -> dict[str, Any]:
    """The value or null, written so that a validator's message names the real problem (no outer anyOf)."""
    value = dict(value)
    if "anyOf" in value:
        value["anyOf"] = [*value["anyOf"], {"type": "null"}]
    elif "enum" in value:
        value["enum"] = [*value["enum"], None]
    else:
        kinds = value["type"] if isinstance(value["type"], list) else [value["type"]]
        value["type"] = [*kinds, "null"]
    return value


def record_schema(record_type: str) -> dict[str, Any]:
    """A record: the keys FIELDS lists for it, the required ones required and not null, no other key."""
    fields = FIELDS[record_type]
    return {
        "type": "object",
        "title": record_type.replace("_", " "),
        "properties": {key: field_schema(spec) for key, spec in fields.items()},
        "required": [key for key, spec in fields.items() if spec.required],
        "additionalProperties": False,
    }


def _nested(record_type: str) -> set[str]:
    found = {record_type}
    for spec in FIELDS[record_type].values():
        if spec.kind.startswith("records:"):
            found |= _nested(spec.kind.split(":", 1)[1])
        elif spec.kind == "citations":
            found.add("quote")
    return found


def file_schema(name: str) -> dict[str, Any]:
    """The schema of one data file (`entities` or `licences`), from its SECTIONS."""
    file = FILES[name]
    sections = SECTIONS[file]
    properties: dict[str, Any] = {
        "version": {"enum": [FORMAT_VERSION, str(FORMAT_VERSION)], "description": "The format version: 1."},
        "extra": {"description": "Anything else; kept and ignored."},
    }
    used: set[str] = set()
    for section, (shape, record_type) in sections.items():
        used |= _nested(record_type)
        ref = {"$ref": f"#/$defs/{record_type}"}
        if shape == "map":
            value: dict[str, Any] = {
                "type": "object",
                "propertyNames": _ID,
                "additionalProperties": ref,
                "description": f"The {section}, each under its id.",
            }
        else:
            value = {"type": "array", "items": ref, "description": f"The {section}, a list."}
        properties[section] = _nullable(value)
    return {
        "$schema": DIALECT,
        "$id": f"urn:xmfin:data:{FORMAT_VERSION}:{name}",
        "title": f"xmfin {file}, format version {FORMAT_VERSION}",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "$defs": {record_type: record_schema(record_type) for record_type in sorted(used)},
    }


def write_schemas(name: str | None, output: Path | None) -> None:
    """Print or write the schema of one file; both (to a folder, or as one JSON object) when name is None."""
    if name is not None and name not in FILES:
        hint = did_you_mean(name, FILES)
        raise UsageError(f"unknown data file '{name}'{hint}; give entities or licences")
    try:
        _write(name, output)
    except OSError as error:
        raise UsageError(f"-o {output}: cannot write: {error.strerror or error}") from None


def _text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def _write(name: str | None, output: Path | None) -> None:
    if name is not None:
        if output is None:
            sys.stdout.write(_text(file_schema(name)))
        else:
            write_file(output, text(_text(file_schema(name))))
        return
    if output is None:
        sys.stdout.write(_text({key: file_schema(key) for key in FILES}))
        return
    if kind_of(output) == "file":
        raise UsageError(f"-o {output}: both schemas go into a folder, and this is a file")
    texts = {f"{key}.schema.json": _text(file_schema(key)) for key in FILES}
    # Both files, or neither: see fileio.write_folder.
    write_folder(output, [(name, text(content)) for name, content in texts.items()])
