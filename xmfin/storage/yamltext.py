"""YAML text for data files, written by hand: every string as a double-quoted scalar, so nothing is re-typed.

Only `yamlread.py` may import yaml (architecture.md), and a writer does not need it: a JSON string is a valid
YAML double-quoted scalar, so strings are written with `json.dumps`, after escaping the few characters YAML
does not allow raw or reads as line breaks inside quotes. A name such as `NO`, `null`, `2019` or `- x` stays
the text it was; ids are quoted too (an entity named "Null" has the id `null`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

# What YAML 1.2 does not take raw inside a double-quoted scalar, or reads as a line break (folded into a space)
# or a byte order mark there: C0 and C1 controls, DEL, surrogates, U+FFFE/FFFF, NEL, U+2028/2029, U+FEFF.
_UNSAFE = re.compile(r"[^\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029\ufeff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xD800 <= code <= 0xDFFF:
        return "\ufffd"  # a lone surrogate is not encodable in UTF-8 at all
    return f"\\u{code:04x}"


def scalar(text: str) -> str:
    """A string as a YAML double-quoted scalar (JSON escapes; a lone surrogate becomes U+FFFD)."""
    return _UNSAFE.sub(_escape, json.dumps(text, ensure_ascii=False))


def value(item: Any) -> str:
    """Any JSON value as YAML flow: strings quoted, numbers plain, null, true/false, [lists], {mappings}."""
    if item is None:
        return "null"
    if item is True:
        return "true"
    if item is False:
        return "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float):
        if not math.isfinite(item):
            raise ValueError(f"{item} cannot be written: data files hold finite numbers only")
        return str(int(item)) if item.is_integer() and abs(item) < 1e15 else repr(item)
    if isinstance(item, str):
        return scalar(item)
    if isinstance(item, Mapping):
        return "{" + ", ".join(f"{scalar(str(k))}: {value(v)}" for k, v in item.items()) + "}"
    if isinstance(item, (list, tuple)):
        return "[" + ", ".join(value(v) for v in item) + "]"
    raise TypeError(f"cannot write {type(item).__name__} as YAML")


def record(fields: Mapping[str, Any], indent: int, first: str = "") -> list[str]:
    """The lines of one record in block style, one `key: value` a line; keys with a None value left out.

    `first` prefixes the first line (`"- "` for an item of a list); later lines are indented to match.
    """
    lines: list[str] = []
    pad = " " * indent
    for key, item in fields.items():
        if item is None:
            continue
        lead = first if not lines else " " * len(first)
        lines.append(f"{pad}{lead}{key}: {value(item)}")
    return lines


def keyed_section(name: str, records: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """`name:` then each record under its quoted id; `name: {}` when there is none."""
    if not records:
        return [f"{name}: {{}}"]
    lines = [f"{name}:"]
    for key, fields in records.items():
        lines.append(f"  {scalar(key)}:")
        lines.extend(record(fields, 4))
    return lines


def list_section(name: str, records: Sequence[Mapping[str, Any]]) -> list[str]:
    """`name:` then each record as a `- ` item; `name: []` when there is none."""
    if not records:
        return [f"{name}: []"]
    lines = [f"{name}:"]
    for fields in records:
        lines.extend(record(fields, 2, "- "))
    return lines


def entities_file(
    header: str,
    keyed: Sequence[tuple[str, Mapping[str, Mapping[str, Any]]]],
    listed: Sequence[tuple[str, Sequence[Mapping[str, Any]]]],
) -> str:
    """An entities.yaml as an import writes it: a comment, the version, then each keyed and listed section."""
    lines = [f"# {header}", "version: 1"]
    for name, records in keyed:
        lines += ["", *keyed_section(name, records)]
    for name, items in listed:
        lines += ["", *list_section(name, items)]
    return "\n".join(lines) + "\n"
