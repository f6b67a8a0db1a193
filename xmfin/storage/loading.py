"""Read a data folder (format version 1) into a Dataset, collecting every problem with its position.

Two passes, as followthemoney does: first every record is built from its YAML mapping, each field typed by
the table FIELDS (the same table `xmfin schema` turns into JSON Schema); then references, dates and stakes are
checked across records. Problems are collected, not raised one by one, so `xmfin check` can list them all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import math
import os
import re
import stat
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xmfin import model
from xmfin.dates import DateError, PartialDate, active, overlap, parse_date
from xmfin.errors import DataError, Problem, UsageError, did_you_mean
from xmfin.fileio import NotRegularFile, read_regular
from xmfin.model import Dataset, Location
from xmfin.storage.yamlread import LINE_BREAKS, Quoted, YList, YMap, read_yaml

ENTITIES_FILE = "entities.yaml"
LICENCES_FILE = "licences.yaml"
FORMAT_VERSION = 1

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*")
JURISDICTION_PATTERN = re.compile(r"[A-Z]{2}(?:-[A-Z0-9]{1,3})?")
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?")
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
# Stakes are summed in floating point: 33.33 + 33.33 + 33.34 must still fit in 100.
_FULL = 100.0001


@dataclass(frozen=True, slots=True)
class Field:
    """One key of a record: its kind of value, whether it is required, and what it means (for the schema)."""

    kind: str
    required: bool = False
    doc: str = ""


# The keys of every record, as data-format.md lists them. `kind` names a converter in _CONVERTERS, or
# `records:NAME` for a list of nested records, or `choice:a|b|c`.
FIELDS: dict[str, dict[str, Field]] = {
    "source": {
        "title": Field("text", True, "Title of the article, report or filing."),
        "publisher": Field("text", doc="Who published it."),
        "published": Field("date", doc="When it was published."),
        "url": Field("text", doc="Where it can be read."),
        "kind": Field(
            "choice:" + "|".join(model.SOURCE_KINDS),
            doc="regulator, filing or company (primary sources); press, research or aggregator.",
        ),
        "note": Field("text"),
        "extra": Field("any", doc="Anything else; kept and ignored."),
    },
    "group": {
        "name": Field("text", True),
        "name_zh": Field("text"),
        "root": Field("id", True, "The group's top entity."),
        "default": Field("bool", doc="The group commands use when given none; at most one."),
        "note": Field("text"),
        "extra": Field("any"),
    },
    "entity": {
        "name": Field("text", True, "The current legal or best-known name."),
        "name_zh": Field("text", doc="The Chinese name."),
        "former_names": Field("records:former_name", doc="Names used before; searchable."),
        "aliases": Field("texts", doc="Other names; searchable."),
        "kind": Field("choice:" + "|".join(model.ENTITY_KINDS), doc="Default company."),
        "jurisdiction": Field("jurisdiction", doc="ISO 3166-1 alpha-2, or ISO 3166-2 such as CN-CQ."),
        "founded": Field("date"),
        "dissolved": Field("date"),
        "description": Field("text"),
        "sources": Field("citations", doc="Source ids, or {source, quote, at} mappings."),
        "figures": Field("records:figure", doc="Key figures."),
        "note": Field("text"),
        "extra": Field("any"),
    },
    "former_name": {
        "name": Field("text", True),
        "name_zh": Field("text"),
        "since": Field("date"),
        "until": Field("date"),
    },
    "figure": {
        "metric": Field("text", True),
        "value": Field("number", True),
        "unit": Field("text"),
        "period": Field("text", doc="The period the figure covers, such as 2017."),
        "as_of": Field("date"),
        "sources": Field("citations"),
        "note": Field("text"),
    },
    "holding": {
        "owner": Field("id", True, "The entity that holds."),
        "owned": Field("id", True, "The entity held."),
        "stake": Field("stake", doc="Percent of equity, 0 < stake <= 100; null when undisclosed."),
        "stake_min": Field("bound", doc="A disclosed range's lower bound in percent (with stake_max; no stake)."),
        "stake_max": Field("bound", doc="A disclosed range's upper bound in percent."),
        "stake_min_exclusive": Field("bool", doc="The lower bound is excluded ('more than 50%')."),
        "stake_max_exclusive": Field("bool", doc="The upper bound is excluded ('less than 5%')."),
        "control": Field("choice:" + "|".join(model.CONTROLS), doc="Default equity."),
        "since": Field("date"),
        "until": Field("date"),
        "pending": Field("bool", doc="Announced or awaiting approval or completion: not done, never counted."),
        "nominee_for": Field("id", doc="The entity the owner holds these shares for (a nominee holding)."),
        "sources": Field("citations"),
        "note": Field("text"),
        "extra": Field("any"),
    },
    "role": {
        "holder": Field("id", True, "An entity, usually of kind person."),
        "of": Field("id", True),
        "title": Field("text", True),
        "since": Field("date"),
        "until": Field("date"),
        "sources": Field("citations"),
        "note": Field("text"),
    },
    "family": {
        "name": Field("text", True),
        "name_zh": Field("text"),
        "core": Field("bool", doc="One of the four core licences."),
        "note": Field("text"),
    },
    "category": {
        "family": Field("id", True),
        "name": Field("text", True),
        "name_zh": Field("text"),
        "note": Field("text"),
    },
    "licence": {
        "holder": Field("id", True),
        "category": Field("id", True),
        "regulator": Field("text"),
        "jurisdiction": Field("jurisdiction", doc="Defaults to the holder's."),
        "number": Field("text"),
        "granted": Field("date"),
        "revoked": Field("date"),
        "pending": Field("bool", doc="Applied for or approved in principle, not granted: never counted as held."),
        "sources": Field("citations"),
        "note": Field("text"),
        "extra": Field("any"),
    },
    "event": {
        "date": Field("date", True),
        "title": Field("text", True, "What happened, in one line."),
        "entities": Field("ids", True, "The entities it concerns."),
        "sources": Field("citations"),
        "note": Field("text"),
    },
    "quote": {
        "source": Field("id", True, "The source id."),
        "quote": Field("text", doc="The source's own words that state the fact."),
        "at": Field("text", doc="Where in the source (page, section, paragraph)."),
    },
    "claim": {
        "group": Field("id", True),
        "family": Field("id", True),
        "as_of": Field("date"),
        "sources": Field("citations"),
        "note": Field("text"),
    },
}

# Top-level sections of each file: a mapping of records keyed by id, or a list of records.
SECTIONS: dict[str, dict[str, tuple[str, str]]] = {
    ENTITIES_FILE: {
        "sources": ("map", "source"),
        "groups": ("map", "group"),
        "entities": ("map", "entity"),
        "holdings": ("list", "holding"),
        "roles": ("list", "role"),
        "events": ("list", "event"),
    },
    LICENCES_FILE: {
        "families": ("map", "family"),
        "categories": ("map", "category"),
        "licences": ("list", "licence"),
        "claims": ("list", "claim"),
    },
}

RECORD_CLASSES: dict[str, type[Any]] = {
    "source": model.Source,
    "group": model.Group,
    "entity": model.Entity,
    "former_name": model.FormerName,
    "figure": model.Figure,
    "holding": model.Holding,
    "role": model.Role,
    "family": model.Family,
    "category": model.Category,
    "licence": model.Licence,
    "claim": model.Claim,
    "event": model.RecordedEvent,
    "quote": model.Quote,
}
_HAS_LOC = frozenset(name for name in RECORD_CLASSES if name not in ("former_name", "quote"))
# The same as the classes, made faster (model.maker): the loader builds every record through these.
_MAKE: dict[str, Callable[..., Any]] = {name: model.maker(cls) for name, cls in RECORD_CLASSES.items()}
_make_location = model.maker(Location)


@dataclass(frozen=True, slots=True)
class _Mark:
    """A 0-based position, as libyaml's marks give it."""

    line: int
    column: int


class _Invalid(Exception):
    """A value that cannot be read; the message says what was expected."""


def _is_null(value: Any) -> bool:
    return value is None or (type(value) is str and value in _NULLS)


def _shown(value: Any, quote: str = "'") -> str:
    """A value as a problem quotes it: 'text' on one line and cut short, or 'a mapping' / 'a list'."""
    if isinstance(value, YMap):
        return "a mapping"
    if isinstance(value, YList):
        return "a list"
    text = str(value).translate(LINE_BREAKS)
    return f"{quote}{text[:60]}...{quote}" if len(text) > 60 else f"{quote}{text}{quote}"


def _text(value: Any) -> str:
    if isinstance(value, (YMap, YList)):
        raise _Invalid(f"must be a text, not {_shown(value)}")
    return str(value)


def _id(value: Any) -> str:
    text = _text(value)
    if ID_PATTERN.fullmatch(text) is None:
        slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
        hint = f" (try '{slug}')" if slug and ID_PATTERN.fullmatch(slug) else ""
        raise _Invalid(f"{_shown(text)} is not an id: use lowercase letters, digits and '-'{hint}")
    return text


def _number(value: Any) -> float | int:
    if type(value) is str:
        whole = _INT.fullmatch(value) is not None
        if whole or _FLOAT.fullmatch(value):
            # int() refuses over 4300 digits and float() overflows to inf: no figure anyone means is that large.
            if len(value) <= 300:
                number = int(value.replace("_", "")) if whole else float(value.replace("_", ""))
                if math.isfinite(number) and abs(number) < 1e300:
                    return number
            raise _Invalid(f"{_shown(value)} is too large a number")
    kind = f"quoted text {_shown(value)} (remove the quotes)" if type(value) is Quoted else _shown(value)
    if type(value) is str and value.endswith("%") and _FLOAT.fullmatch(value[:-1].strip()):
        kind = f"{_shown(value)} (write it without '%')"
    raise _Invalid(f"must be a number, not {kind}")


def _stake(value: Any) -> float:
    number = float(_number(value))
    if not 0 < number <= 100:
        raise _Invalid(f"stake {_shown(value, '')} is out of range: a stake is a percentage, 0 < stake <= 100")
    return number


def _bound(value: Any) -> float:
    number = float(_number(value))
    if not 0 <= number <= 100:
        raise _Invalid(f"{_shown(value, '')} is out of range: a bound of a stake is a percentage from 0 to 100")
    return number


def _bool(value: Any) -> bool:
    if type(value) is str:
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
    raise _Invalid(f"must be true or false, not {_shown(value)}")


def _date(value: Any) -> PartialDate:
    text = _text(value)
    if len(text) > 12:  # longer than any date; keeps the message short
        raise _Invalid(f"{_shown(text)} is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)")
    try:
        return parse_date(text)
    except DateError as error:
        raise _Invalid(str(error).translate(LINE_BREAKS)) from None


def _jurisdiction(value: Any) -> str:
    text = _text(value)
    if JURISDICTION_PATTERN.fullmatch(text) is None:
        hint = f" (did you mean '{text.upper()}'?)" if JURISDICTION_PATTERN.fullmatch(text.upper()) else ""
        raise _Invalid(f"{_shown(text)} is not a jurisdiction: use ISO 3166 codes such as CN, HK or CN-CQ{hint}")
    return text


def _plain(value: Any) -> Any:
    if isinstance(value, YMap):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, YList):
        return [_plain(v) for v in value]
    if _is_null(value):
        return None
    if type(value) is str:  # a plain scalar: typed as YAML 1.2's core schema does (a quoted one stays text)
        if value in ("true", "True", "TRUE", "false", "False", "FALSE"):
            return value.lower() == "true"
        if _CORE_INT.fullmatch(value):
            return int(value)
        if _CORE_FLOAT.fullmatch(value) and math.isfinite(float(value)):
            return float(value)  # .inf and .nan stay text: no JSON output could hold them
    return str(value)


_CORE_INT = re.compile(r"[-+]?[0-9]+")
_CORE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "text": _text,
    "id": _id,
    "number": _number,
    "stake": _stake,
    "bound": _bound,
    "bool": _bool,
    "date": _date,
    "jurisdiction": _jurisdiction,
    "any": _plain,
}
# Kinds that are lists of one converter's values; a single value where a list is expected is a list of one.
_LISTS: dict[str, Callable[[Any], Any]] = {"ids": _id, "texts": _text}


def _fast_text(raw: Any) -> str:
    return raw if type(raw) is str else _text(raw)


# Plain scalars already converted, by kind, while a folder is read: the same ids, dates, stakes and codes come
# back in record after record, and a lookup costs less than a regular expression. Emptied after each folder.
_MEMO_LIMIT = 1 << 18
_VALID_IDS: set[str] = set()
_MEMOS: dict[str, dict[str, Any]] = {kind: {} for kind in ("date", "number", "stake", "bound", "bool", "jurisdiction")}


def _forget_memos() -> None:
    _VALID_IDS.clear()
    for memo in _MEMOS.values():
        memo.clear()


def _fast_id(raw: Any) -> str:
    if type(raw) is str:
        if raw in _VALID_IDS:
            return raw
        if ID_PATTERN.fullmatch(raw) is not None:
            if len(_VALID_IDS) < _MEMO_LIMIT:
                _VALID_IDS.add(raw)
            return raw
    return _id(raw)


def _fast_date(raw: Any) -> PartialDate:
    if type(raw) is str and len(raw) <= 12:
        try:
            return parse_date(raw)  # cached: the same few dates come back again and again
        except DateError:
            pass
    return _date(raw)


# Plain scalars (type str, never Quoted) take a shortcut; anything else goes through the full converter.
_FAST: dict[str, Callable[[Any], Any]] = {"text": _fast_text, "id": _fast_id, "date": _fast_date}
_FAST_ITEMS: dict[str, Callable[[Any], Any]] = {"ids": _fast_id, "texts": _fast_text}


def _fast_converter(kind: str) -> Callable[[Any], Any] | None:
    """The converter of a kind as one call that raises _Invalid, for the fast path of _Reader.build.

    It must give the same value as _Reader.convert wherever it succeeds; where it raises, build takes the slow
    path, which converts again and reports the problem with its position. None: always take the slow path.
    """
    if kind in _FAST:
        return _FAST[kind]
    if kind in _CONVERTERS and kind != "any":
        return _CONVERTERS[kind]
    if kind == "citations":  # a source named twice (two quotes of it) is one source; quotes take the slow path
        return lambda raw: tuple(dict.fromkeys(_fast_id(v) for v in raw)) if type(raw) is YList else (_fast_id(raw),)
    if kind in _LISTS:
        item_of = _FAST_ITEMS[kind]
        return lambda raw: tuple([item_of(v) for v in raw]) if type(raw) is YList else (item_of(raw),)
    if kind.startswith("choice:"):
        choices = frozenset(kind.split(":", 1)[1].split("|"))

        def choice(raw: Any) -> str:
            if type(raw) is str and raw in choices:
                return raw
            raise _Invalid(kind)

        return choice
    return None


# A plain scalar in a text field is its own value: no call at all.
_ITSELF: dict[str, Any] = {}


def _memo_of(kind: str) -> dict[str, Any] | None:
    """Where build memoizes the converted plain scalars of a kind (_ITSELF for text), or None."""
    if kind == "text":
        return _ITSELF
    if kind.startswith("choice:"):
        return _MEMOS.setdefault(kind, {})
    return _MEMOS.get(kind)


# For each record type, each key's Field, fast converter and memo: one dict lookup per value instead of parsing
# the kind each time (loading 100k entities converts over a million values).
_PLANS: dict[str, dict[str, tuple[Field, Callable[[Any], Any] | None, dict[str, Any] | None]]] = {
    record_type: {key: (spec, _fast_converter(spec.kind), _memo_of(spec.kind)) for key, spec in fields.items()}
    for record_type, fields in FIELDS.items()
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    record_type: tuple(key for key, spec in fields.items() if spec.required) for record_type, fields in FIELDS.items()
}


# Each data file's bytes, or the error that kept it from being read (see read_data_files).
Files = dict[str, bytes | Exception]


class _Reader:
    """Builds the records of one data folder and collects the problems found on the way."""

    def __init__(self, folder: Path, label: str) -> None:
        self.folder = folder
        self.label = label
        self.problems: list[Problem] = []
        self.dataset = Dataset(path=folder)
        # The YAML mapping of each record, for positions of fields when references are checked. Each entry holds
        # its record too: a record built and then dropped (the figure of an entity that fails) stays alive, so
        # its id is never reused by a record that has no entry (one built by another process, xmfin.storage.pieces).
        self.origins: dict[int, tuple[Any, YMap, str]] = {}
        # Ids of keyed records that exist but could not be built (already reported), by section: references
        # to them are not reported again as unknown.
        self.broken: dict[str, set[str]] = {}
        # Sections of files that could not be read: references into them cannot be checked.
        self.unread: set[str] = set()
        # Mappings read again by reread_origin, by file and 0-based (line, column).
        self.reread: dict[str, dict[tuple[int, int], YMap]] = {}
        # The bytes of each file as read once (read_data_files): what reread_origin reads again.
        self.contents: dict[str, bytes] = {}

    def report(self, file: str, mark: Any, message: str, severity: str = "error") -> None:
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        one_line = message.translate(LINE_BREAKS)
        self.problems.append(Problem(Location(file, line, column), severity, one_line))  # type: ignore[arg-type]

    def file_label(self, name: str) -> str:
        return os.path.join(self.label, name) if self.label else name

    def read_file(self, name: str, content: bytes | Exception) -> YMap | None:
        """The top-level mapping of one file, from its bytes as read_data_files read them, or None with the
        problem reported."""
        file = self.file_label(name)
        if isinstance(content, FileNotFoundError):
            self.report(file, None, f"file not found: a data folder needs {ENTITIES_FILE} and {LICENCES_FILE}")
            return None
        if isinstance(content, NotRegularFile):
            self.report(file, None, f"is {content.kind}: {name} must be a YAML file")
            return None
        if isinstance(content, Exception):
            reason = content.strerror if isinstance(content, OSError) and content.strerror else content
            self.report(file, None, f"cannot be read: {reason}")
            return None
        return self.parse_file(name, content)

    def parse_file(self, name: str, data: bytes) -> YMap | None:
        """The top-level mapping of one file's bytes, or None with the problem reported."""
        file = self.file_label(name)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as error:
            before = data[: error.start].decode("utf-8")
            line = before.count("\n") + 1
            column = len(before) - (before.rfind("\n") + 1) + 1
            self.problems.append(
                Problem(Location(file, line, column), "error", "not UTF-8 text: save the file as UTF-8")
            )
            return None
        try:
            root = read_yaml(data, file)
        except DataError as error:
            self.problems.extend(error.problems)
            return None
        if _is_null(root):  # nothing, only comments, or a lone `---` or `null`
            self.report(file, None, "the file is empty: it needs at least 'version: 1'")
            return None
        if not isinstance(root, YMap):
            self.report(
                file,
                root if isinstance(root, YList) else None,
                "the top level must be a mapping of sections, such as 'version: 1'",
            )
            return None
        return root

    def read_sections(self, name: str, root: YMap) -> None:
        file = self.file_label(name)
        sections = SECTIONS[name]
        for key, value in root.items():
            if key == "version":
                if value != str(FORMAT_VERSION):
                    shown = "(empty)" if _is_null(value) else _shown(value, "")
                    self.report(file, root.value_marks[key], f"format version {shown} is not supported: use 1")
                continue
            if key == "extra":
                continue
            if key not in sections:
                hint = did_you_mean(key, [*sections, "version"]) or f" (sections: {', '.join(sections)})"
                self.report(file, root.key_marks[key], f"unknown section {_shown(key)}{hint}")
                continue
            if _is_null(value):
                continue
            shape, record_type = sections[key]
            mark = root.value_marks[key]
            if shape == "map":
                if not isinstance(value, YMap):
                    self.report(file, mark, f"'{key}' must be a mapping of id: record")
                    self.unread.add(key)
                    continue
                self.read_keyed(file, key, record_type, value)
            else:
                if not isinstance(value, YList):
                    self.report(file, mark, f"'{key}' must be a list of records (each item starts with '- ')")
                    continue
                target: list[Any] = getattr(self.dataset, key)
                for item, item_mark in zip(value, value.item_marks, strict=True):
                    record = self.build(file, record_type, item, item_mark)
                    if record is not None:
                        target.append(record)

    def read_keyed(self, file: str, section: str, record_type: str, records: YMap) -> None:
        target: dict[str, Any] = getattr(self.dataset, section)
        for record_id, item in records.items():
            key_mark = records.key_marks[record_id]
            if ID_PATTERN.fullmatch(record_id) is None:
                try:
                    _id(record_id)
                except _Invalid as error:
                    self.report(file, key_mark, f"{record_type} id {error}")
                continue
            record = self.build(file, record_type, item, records.value_marks[record_id], record_id)
            if record is not None:
                target[record_id] = record
            else:
                self.broken.setdefault(section, set()).add(record_id)

    def build(self, file: str, record_type: str, item: Any, mark: Any, record_id: str | None = None) -> Any:
        """One record from its mapping, or None (with the problems reported) when it cannot be built."""
        if not isinstance(item, YMap):
            what = record_type.replace("_", " ")
            self.report(file, mark, f"{'an' if what[0] in 'aeiou' else 'a'} {what} must be a mapping of keys")
            return None
        fields = FIELDS[record_type]
        plan = _PLANS[record_type]
        values: dict[str, Any] = {}
        ok = True
        for key, raw in item.items():
            entry = plan.get(key)
            if entry is None:
                hint = did_you_mean(key, fields) or f" (keys: {', '.join(fields)})"
                self.report(file, item.key_marks[key], f"unknown key {_shown(key)} in {record_type}{hint}")
                ok = False
                continue
            spec, fast, memo = entry
            if fast is not None and raw is not None:
                if type(raw) is str:
                    if raw in _NULLS:
                        continue
                    if memo is _ITSELF:
                        values[key] = raw
                        continue
                    if memo is not None and raw in memo:
                        values[key] = memo[raw]
                        continue
                try:
                    value = fast(raw)
                except _Invalid:
                    pass  # the slow path below converts again and reports where and why
                else:
                    values[key] = value
                    if memo is not None and type(raw) is str and len(memo) < _MEMO_LIMIT:
                        memo[raw] = value
                    continue
            if _is_null(raw) and spec.kind != "any":
                continue
            value = self.convert(file, spec.kind, raw, item.value_marks[key], key)
            if value is _FAILED:
                ok = False
            elif type(value) is _Cited:
                values[key] = value.ids
                if value.quotes:
                    values["quotes"] = value.quotes
            else:
                values[key] = value
        for key in _REQUIRED[record_type]:
            if key not in values and key in item and not _is_null(item[key]):
                continue  # present but invalid: already reported
            if key not in values:
                where = f" '{record_id}'" if record_id else ""
                self.report(file, mark, f"{record_type}{where} needs '{key}': add '{key}: ...'")
                ok = False
        if not ok:
            return None
        if record_id is not None:
            values["id"] = record_id
        if record_type in _HAS_LOC:
            values["loc"] = _make_location(file, item.line + 1, item.column + 1)
        record = _MAKE[record_type](**values)
        self.origins[id(record)] = (record, item, file)
        return record

    def convert(self, file: str, kind: str, raw: Any, mark: Any, key: str) -> Any:
        if kind.startswith("records:"):
            nested = kind.split(":", 1)[1]
            items = raw if isinstance(raw, YList) else None
            if items is None:
                self.report(file, mark, f"'{key}' must be a list of records")
                return _FAILED
            built = [self.build(file, nested, v, m) for v, m in zip(items, items.item_marks, strict=True)]
            return _FAILED if any(b is None for b in built) else tuple(built)
        if kind.startswith("choice:"):
            choices = kind.split(":", 1)[1].split("|")
            text = str(raw) if isinstance(raw, str) else None
            if text not in choices:
                hint = (did_you_mean(text, choices) if text is not None else "") or f" (one of: {', '.join(choices)})"
                self.report(file, mark, f"'{key}' cannot be {_shown(raw)}{hint}")
                return _FAILED
            return text
        if kind == "citations":
            pairs = zip(raw, raw.item_marks, strict=True) if isinstance(raw, YList) else [(raw, mark)]
            cited = [
                self.build(file, "quote", v, m) if isinstance(v, YMap) else self.convert_one(file, _id, v, m, key)
                for v, m in pairs
            ]
            if any(c is None or c is _FAILED for c in cited):
                return _FAILED
            quotes = tuple(c for c in cited if isinstance(c, model.Quote))
            ids = {
                source: n
                for n, source in enumerate(dict.fromkeys(c.source if isinstance(c, model.Quote) else c for c in cited))
            }
            # A source named twice is one source with its quotes together, in the order of the sources.
            return _Cited(tuple(ids), tuple(sorted(quotes, key=lambda quote: ids[quote.source])))
        if kind in _LISTS:
            item_of = _LISTS[kind]
            pairs = zip(raw, raw.item_marks, strict=True) if isinstance(raw, YList) else [(raw, mark)]
            values = [self.convert_one(file, item_of, v, m, key) for v, m in pairs]
            return _FAILED if any(v is _FAILED for v in values) else tuple(values)
        return self.convert_one(file, _CONVERTERS[kind], raw, mark, key)

    def convert_one(self, file: str, converter: Callable[[Any], Any], raw: Any, mark: Any, key: str) -> Any:
        """One value through its converter, or _FAILED with the problem reported at mark."""
        try:
            return converter(raw)
        except _Invalid as error:
            self.report(file, mark, f"{key}: {error}")
            return _FAILED

    def position(self, record: Any, key: str | None = None, index: int | None = None) -> tuple[str, Any]:
        """The file and mark of a record's field, of one item of a list field, or of the record itself."""
        found = self.origins.get(id(record))
        if found is not None:
            _, item, file = found
        elif key is None:  # built by another process (xmfin.storage.pieces): its own position is known
            return record.loc.file, _Mark(record.loc.line - 1, record.loc.column - 1)
        else:  # find its mapping again by that position
            item, file = self.reread_origin(record)
        if key is not None and key in item.value_marks:
            value = item[key]
            if index is not None and isinstance(value, YList) and index < len(value.item_marks):
                return file, value.item_marks[index]
            return file, item.value_marks[key]
        return file, item

    def reread_origin(self, record: Any) -> tuple[YMap, str]:
        """The mapping a record was built from, read again from its file (once per file): only a record built
        by another process needs it, and only when a problem is reported on one of its fields."""
        file = record.loc.file
        if file not in self.reread:
            self.reread[file] = {}
            name = next((name for name in SECTIONS if self.file_label(name) == file), None)
            root = None
            if name is not None and name in self.contents:
                with contextlib.suppress(DataError):
                    root = read_yaml(self.contents[name], file)
            pending = [root]
            while pending:  # every mapping in the file, by its position
                value = pending.pop()
                if isinstance(value, YMap):
                    self.reread[file][value.line, value.column] = value
                    pending.extend(value.values())
                elif isinstance(value, YList):
                    pending.extend(value)
        item = self.reread[file].get((record.loc.line - 1, record.loc.column - 1))
        if item is None:  # the file changed since: the record's own position is all there is
            item = YMap(record.loc.line - 1, record.loc.column - 1)
        return item, file

    def line_of(self, record: Any) -> int:
        """The 1-based line a record starts on, for messages that point at another record."""
        return int(self.position(record)[1].line) + 1

    def problem_at(
        self, record: Any, key: str | None, message: str, severity: str = "error", index: int | None = None
    ) -> None:
        file, mark = self.position(record, key, index)
        self.report(file, mark, message, severity)


_FAILED = object()


@dataclass(frozen=True, slots=True)
class _Cited:
    """A `sources` list as read: the source ids in order, and the quotes given with some of them."""

    ids: tuple[str, ...]
    quotes: tuple[model.Quote, ...]


def check_folder(folder: str | os.PathLike[str], label: str | None = None) -> tuple[Dataset, list[Problem]]:
    """Read and check a data folder; return what could be read and every problem found, in file order.

    `label` is how file names are shown in problems (default: the folder as given).
    """
    path, shown = Path(folder), str(folder) if label is None else label
    return check_files(path, shown, read_data_files(path))


def check_files(path: Path, label: str, files: Files) -> tuple[Dataset, list[Problem]]:
    """Check the folder whose files are `files`, as read_data_files read them (each file is read once: the
    cached store's key is the hash of these bytes, and these bytes are what is parsed)."""
    with _no_collection():
        try:
            reader = _read_whole(path, label, files)
        finally:
            _forget_memos()
        _check_references(reader)
    ordered = sorted(reader.problems, key=lambda p: (p.loc.file, p.loc.line, p.loc.column))
    return reader.dataset, ordered


def read_data_files(folder: Path) -> Files:
    """Each data file's bytes, or the error that kept it from being read (OSError, NotRegularFile): only regular
    files are read, so a FIFO or device in a file's place is reported, never waited on or read forever."""
    found: Files = {}
    for name in SECTIONS:
        try:
            found[name] = read_regular(folder / name)
        except (OSError, NotRegularFile) as error:
            found[name] = error
    return found


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector: records hold no cycles, and building hundreds of thousands of them
    would otherwise set off collections that walk every object built so far, again and again."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _read_whole(path: Path, label: str, files: Files | None = None) -> _Reader:
    """The first pass over both files, each read whole in this process."""
    files = read_data_files(path) if files is None else files
    reader = _Reader(path, label)
    reader.contents = {name: data for name, data in files.items() if isinstance(data, bytes)}
    roots = {name: reader.read_file(name, files[name]) for name in SECTIONS}
    for name, root in roots.items():
        if root is not None:
            reader.read_sections(name, root)
        else:
            reader.unread.update(SECTIONS[name])
    return reader


def check_data_folder(folder: Path) -> None:
    """UsageError unless folder is a folder: one that does not exist, is a file, or cannot even be looked at (a
    name too long, a loop of links, a parent that may not be searched) is bad usage, not a crash."""
    try:
        info = os.stat(folder)
    except FileNotFoundError:
        raise UsageError(f"data folder '{folder}' does not exist") from None
    except OSError as error:
        raise UsageError(f"data folder '{folder}': {error.strerror or error}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise UsageError(f"data folder '{folder}' is not a folder")


def load(folder: str | os.PathLike[str], label: str | None = None) -> Dataset:
    """Load a data folder; raise DataError listing every error if it is invalid. Warnings are ignored."""
    path = Path(folder)
    check_data_folder(path)
    dataset, problems = check_folder(path, label)
    if any(p.severity == "error" for p in problems):
        raise DataError(problems)
    return dataset


def _check_references(reader: _Reader) -> None:
    """The second pass: references, date order and the rules that span records."""
    data = reader.dataset
    problem = reader.problem_at

    def known(record: Any, key: str, value: str, section: str, what: str, index: int | None = None) -> bool:
        table: dict[str, Any] = getattr(data, section)
        if value in table:
            return True
        # A record that exists but is broken was reported where it stands; a file that could not be read
        # leaves nothing to check against.
        if section not in reader.unread and value not in reader.broken.get(section, ()):
            hint = did_you_mean(value, table) or f"; add it under '{section}'"
            problem(record, key, f"{key} '{value}' is not a known {what}{hint}", index=index)
        return False

    source_ids = data.sources

    # `what` is a template filled with `names` only for a problem: these run for every record.
    def sourced(record: Any, what: str, *names: str) -> None:
        sources: tuple[str, ...] = record.sources
        if not sources:
            problem(record, None, f"{what.format(*names)} names no source: add 'sources: [SOURCE-ID]'", "warning")
        for index, source in enumerate(sources):
            if source not in source_ids:
                known(record, "sources", source, "sources", "source", index)

    def ordered(record: Any, start_key: str, end_key: str, what: str, *names: str) -> None:
        start: PartialDate | None = getattr(record, start_key)
        end: PartialDate | None = getattr(record, end_key)
        if start is not None and end is not None and end.last < start.first:
            what = what.format(*names)
            problem(record, end_key, f"{what} {end_key} {end} is before {start_key} {start}: correct one of them")

    defaults = [group for group in data.groups.values() if group.default]
    for group in defaults[1:]:
        problem(
            group,
            "default",
            f"more than one default group ('{defaults[0].id}' and '{group.id}')",
        )
    for group in data.groups.values():
        known(group, "root", group.root, "entities", "entity")
    for entity in data.entities.values():
        sourced(entity, "entity '{}'", entity.id)
        ordered(entity, "founded", "dissolved", "entity '{}'", entity.id)
        for former in entity.former_names:
            if former.since and former.until and former.until.last < former.since.first:
                problem(
                    entity,
                    "former_names",
                    f"former name '{former.name}' ends ({former.until}) before it starts ({former.since})",
                )
        for figure in entity.figures:
            sourced(figure, "figure '{}' of '{}'", figure.metric, entity.id)
    entities = data.entities
    for holding in data.holdings:
        if holding.owner not in entities:
            known(holding, "owner", holding.owner, "entities", "entity")
        if holding.owned not in entities:
            known(holding, "owned", holding.owned, "entities", "entity")
        sourced(holding, "holding {} -> {}", holding.owner, holding.owned)
        ordered(holding, "since", "until", "holding")
        if holding.owner == holding.owned:
            problem(holding, "owned", f"'{holding.owner}' cannot hold itself: correct the owner or the owned")
        _check_range(reader, holding)
        if holding.nominee_for is not None:
            if holding.nominee_for not in entities:
                known(holding, "nominee_for", holding.nominee_for, "entities", "entity")
            elif holding.nominee_for == holding.owner:
                problem(holding, "nominee_for", f"'{holding.owner}' cannot hold as a nominee for itself")
    _check_stakes(reader)
    _check_group_roots(reader)
    for role in data.roles:
        if known(role, "holder", role.holder, "entities", "entity"):
            holder = data.entities[role.holder]
            if holder.kind != "person":
                problem(
                    role,
                    "holder",
                    f"role '{role.title}' of '{role.of}' is held by '{holder.id}', a {holder.kind}, not a person: "
                    f"set 'kind: person' on '{holder.id}' if it is one",
                    "warning",
                )
        known(role, "of", role.of, "entities", "entity")
        sourced(role, "role '{}' of '{}'", role.title, role.of)
        ordered(role, "since", "until", "role")
    for category in data.categories.values():
        known(category, "family", category.family, "families", "family")
    for licence in data.licences:
        if known(licence, "holder", licence.holder, "entities", "entity"):
            founded = data.entities[licence.holder].founded
            if licence.granted and founded and licence.granted.last < founded.first:
                problem(
                    licence,
                    "granted",
                    f"licence '{licence.category}' was granted ({licence.granted}) before its holder "
                    f"'{licence.holder}' was founded ({founded}): check both dates",
                    "warning",
                )
        known(licence, "category", licence.category, "categories", "category")
        sourced(licence, "licence '{}' of '{}'", licence.category, licence.holder)
        ordered(licence, "granted", "revoked", "licence")
    for event in data.events:
        for index, entity_id in enumerate(event.entities):
            if entity_id not in entities:
                known(event, "entities", entity_id, "entities", "entity", index)
        sourced(event, "event '{}'", event.title)
    for claim in data.claims:
        known(claim, "group", claim.group, "groups", "group")
        known(claim, "family", claim.family, "families", "family")
        sourced(claim, "claim '{}' of '{}'", claim.family, claim.group)


def _period(since: PartialDate | None, until: PartialDate | None) -> str:
    """A holding's period as its dates say it: 'since 2019-05 until 2020', or 'with no dates'."""
    parts = ([f"since {since}"] if since else []) + ([f"until {until}"] if until else [])
    return " ".join(parts) or "with no dates"


def _check_range(reader: _Reader, holding: model.Holding) -> None:
    """A disclosed range has a lower and an upper bound in order, and goes without an exact stake."""
    problem = reader.problem_at
    low, high = holding.stake_min, holding.stake_max
    if holding.stake is not None and (low is not None or high is not None):
        key = "stake_min" if low is not None else "stake_max"
        problem(holding, key, "a holding has an exact 'stake' or a range ('stake_min'/'stake_max'), not both")
        return
    for flag, bound in (("stake_min_exclusive", low), ("stake_max_exclusive", high)):
        if getattr(holding, flag) and bound is None:
            problem(holding, flag, f"'{flag}' needs '{flag.removesuffix('_exclusive')}'")
    if low is not None and high is not None:
        empty = low > high or (low == high and (holding.stake_min_exclusive or holding.stake_max_exclusive))
        if empty:
            problem(holding, "stake_max", f"the range {low:g} to {high:g} is empty: 'stake_min' must be below the max")
    if high is not None and high <= 0:
        problem(holding, "stake_max", "'stake_max' must be above 0: a holding is a stake of more than 0%")
    if low == 100 and holding.stake_min_exclusive:
        problem(holding, "stake_min", "no stake is more than 100%")


def stake_floor(holding: model.Holding) -> float:
    """The least equity a holding certainly stands for: its stake, the lower bound of its range, or 0."""
    if holding.stake is not None:
        return holding.stake
    return holding.stake_min or 0.0


def _check_stakes(reader: _Reader) -> None:
    """Equity stakes in one entity must not add up to more than 100 on any day; no owner twice at once."""
    by_owned: defaultdict[str, list[model.Holding]] = defaultdict(list)
    for holding in reader.dataset.holdings:
        by_owned[holding.owned].append(holding)
    for owned, holdings in by_owned.items():
        if len(holdings) < 2:
            continue
        by_owner: dict[str, list[model.Holding]] = {}
        for holding in holdings:
            by_owner.setdefault(holding.owner, []).append(holding)
        for same in by_owner.values():
            for i, first in enumerate(same):
                for second in same[i + 1 :]:
                    if overlap(first.since, first.until, second.since, second.until):
                        _report_overlap(reader, owned, first, second)
        counted = [h for h in holdings if h.control == "equity" and not h.pending]
        _check_equity_total(reader, owned, counted)


def _report_overlap(reader: _Reader, owned: str, first: model.Holding, second: model.Holding) -> None:
    # Dates count from the first day of a start's period to the last day of an end's (data-format.md), so
    # `until: 2019-05` and a next `since: 2019-05` share May 2019.
    start = max(first.since.first if first.since else dt.date.min, second.since.first if second.since else dt.date.min)
    end = min(first.until.last if first.until else dt.date.max, second.until.last if second.until else dt.date.max)
    shared = (
        "at all times"
        if start == dt.date.min and end == dt.date.max
        else f"up to {end.isoformat()}"
        if start == dt.date.min
        else f"from {start.isoformat()}"
        if end == dt.date.max
        else f"from {start.isoformat()} to {end.isoformat()}"
    )
    reader.problem_at(
        second,
        "since",
        f"'{second.owner}' already holds '{owned}' in this period (line {reader.line_of(first)}, "
        f"{_period(first.since, first.until)}; this one {_period(second.since, second.until)}): both count {shared}; "
        "an 'until' runs to the end of its month or year, so end the earlier holding before the later one starts",
    )


def _above_floor(holding: model.Holding) -> bool:
    """Whether a holding is certainly more than its floor: undisclosed (it is held, so above 0%) or a range
    whose lower bound is exclusive ("more than 50%")."""
    return holding.stake is None and (holding.stake_min is None or holding.stake_min_exclusive)


def _too_much(holdings: Iterable[model.Holding]) -> tuple[float, bool] | None:
    """The certain equity of holdings when it is more than 100%, else None, with whether that is certain: the
    floors add up to more than 100, or to 100 with a holding whose range says "more than" (two holders of "more
    than 50%") are errors; 100 with an undisclosed holding beside it (60% + 40% and an undisclosed third, which
    would hold nothing) is only suspect: published stakes are rounded (a "100%" owner and a one-share nominee),
    so it is a warning."""
    counted = list(holdings)
    total = math.fsum(stake_floor(h) for h in counted)
    if total > _FULL:
        return total, True
    if total >= 100 - (_FULL - 100):
        if any(h.stake is None and h.stake_min is not None and h.stake_min_exclusive for h in counted):
            return total, True
        if any(map(_above_floor, counted)):
            return total, False
    return None


def _check_equity_total(reader: _Reader, owned: str, holdings: list[model.Holding]) -> None:
    if _too_much(holdings) is None:
        return  # even all at once they fit
    # A sweep over the days stakes start and stop: a stake counts from the first day of `since` to the last day
    # of `until`, so it stops counting the day after.
    changes: list[tuple[dt.date, bool, int, model.Holding]] = []
    for number, holding in enumerate(holdings):
        if holding.since and holding.until and holding.until.last < holding.since.first:
            continue  # ends before it starts (reported as such): it holds on no day
        changes.append((holding.since.first if holding.since else dt.date.min, True, number, holding))
        if holding.until is not None and holding.until.last < dt.date.max:
            changes.append((holding.until.last + dt.timedelta(days=1), False, number, holding))
    changes.sort(key=lambda change: (change[0], change[1], change[2]))  # stops before starts on the same day
    current: dict[int, model.Holding] = {}
    warned = False
    for day, starts, number, holding in changes:
        if not starts:
            del current[number]
            continue
        current[number] = holding
        found = _too_much(current.values())
        if found is not None and (found[1] or not warned):
            total, certain = found
            when = "when none has a start date" if day == dt.date.min else f"from {day.isoformat()}"
            together = ", ".join(
                f"{h.owner} {_floor_words(h)}{stake_floor(h):g}% "
                f"(line {reader.line_of(h)}, {_period(h.since, h.until)})"
                for h in current.values()
            )
            reader.problem_at(
                holding,
                "stake",
                f"equity stakes in '{owned}' add up to {'more than ' if total <= _FULL else ''}{total:g}% {when}: "
                f"{together}; an 'until' runs to the end "
                "of its month or year, so end the old holding before the new one starts, or correct a stake",
                "error" if certain else "warning",
            )
            if certain:
                return
            warned = True  # said once; an error later in time is still reported


def _floor_words(holding: model.Holding) -> str:
    if holding.stake is not None:
        return ""
    if holding.stake_min is None:
        return "undisclosed, so more than "
    return "more than " if holding.stake_min_exclusive else "at least "


def _check_group_roots(reader: _Reader) -> None:
    """Warn where a group's root is owned by an entity that is itself a member of the group on some day."""
    data = reader.dataset
    roots = {group.root for group in data.groups.values()}
    into: defaultdict[str, list[model.Holding]] = defaultdict(list)
    for holding in data.holdings:
        if holding.owned in roots and holding.owner != holding.owned:
            into[holding.owned].append(holding)
    if not into:
        return  # no root has an owner: nothing to walk
    out_of: defaultdict[str, list[model.Holding]] = defaultdict(list)
    for holding in data.holdings:
        out_of[holding.owner].append(holding)
    for group in data.groups.values():
        root = group.root
        above = into.get(root, [])
        if not above:
            continue
        # Cheap first: reachable at all, ignoring dates? Only then look for a day on which it holds.
        ever = _reachable(root, out_of, None)
        for holding in above:
            if holding.owner not in ever:
                continue
            day = _day_reached(root, holding, out_of, ever)
            if day is not None:
                when = "" if day == dt.date.min else f" on {day.isoformat()}"
                reader.problem_at(
                    holding,
                    "owner",
                    f"group '{group.id}' has root '{root}', but '{holding.owner}' owns '{root}' and is itself a "
                    f"member of the group{when} (a cross-holding): check this holding, or make the top owner the root",
                    "warning",
                )


# Days tried when looking for one on which a group's root is owned by its own member; past this, give up quietly.
_ROOT_DAYS_BUDGET = 200


def _reachable(start: str, out_of: dict[str, list[model.Holding]], day: dt.date | None) -> set[str]:
    """Entities reachable from start through holdings (active on day, or ever when day is None)."""
    seen = {start}
    pending = [start]
    while pending:
        for holding in out_of.get(pending.pop(), ()):
            if holding.owned not in seen and (day is None or active(holding.since, holding.until, day)):
                seen.add(holding.owned)
                pending.append(holding.owned)
    return seen


def _day_reached(
    root: str, holding: model.Holding, out_of: dict[str, list[model.Holding]], ever: set[str]
) -> dt.date | None:
    """The first day on which holding is active and its owner is reachable from root, if any."""
    first = holding.since.first if holding.since else dt.date.min
    last = holding.until.last if holding.until else dt.date.max
    # Reachability changes only where some holding starts or stops, so those days (within holding's period)
    # are the only ones worth trying.
    days = {first}
    for node in ever:
        for other in out_of.get(node, ()):
            if other.since is not None and first <= other.since.first <= last:
                days.add(other.since.first)
            if other.until is not None and first <= other.until.last < last:
                days.add(other.until.last + dt.timedelta(days=1))
    for day in sorted(days)[:_ROOT_DAYS_BUDGET]:
        if holding.owner in _reachable(root, out_of, day):
            return day
    return None
