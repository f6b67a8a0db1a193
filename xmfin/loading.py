"""Read a data folder (format version 1) into a Dataset, collecting every problem with its position.

Two passes, as followthemoney does: first every record is built from its YAML mapping, each field typed by
the table FIELDS (the same table `xmfin schema` turns into JSON Schema); then references, dates and stakes are
checked across records. Problems are collected, not raised one by one, so `xmfin check` can list them all.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xmfin import model
from xmfin.dates import DateError, PartialDate, overlap, parse_date
from xmfin.errors import DataError, Problem, UsageError, did_you_mean
from xmfin.model import Dataset, Location
from xmfin.yamlread import Quoted, YList, YMap, read_yaml

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
        "sources": Field("ids", doc="Source ids."),
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
        "sources": Field("ids"),
        "note": Field("text"),
    },
    "holding": {
        "owner": Field("id", True, "The entity that holds."),
        "owned": Field("id", True, "The entity held."),
        "stake": Field("stake", doc="Percent of equity, 0 < stake <= 100; null when undisclosed."),
        "control": Field("choice:" + "|".join(model.CONTROLS), doc="Default equity."),
        "since": Field("date"),
        "until": Field("date"),
        "sources": Field("ids"),
        "note": Field("text"),
        "extra": Field("any"),
    },
    "role": {
        "holder": Field("id", True, "An entity, usually of kind person."),
        "of": Field("id", True),
        "title": Field("text", True),
        "since": Field("date"),
        "until": Field("date"),
        "sources": Field("ids"),
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
        "sources": Field("ids"),
        "note": Field("text"),
        "extra": Field("any"),
    },
    "claim": {
        "group": Field("id", True),
        "family": Field("id", True),
        "as_of": Field("date"),
        "sources": Field("ids"),
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
    },
    LICENCES_FILE: {
        "families": ("map", "family"),
        "categories": ("map", "category"),
        "licences": ("list", "licence"),
        "claims": ("list", "claim"),
    },
}

_RECORD_CLASSES: dict[str, Callable[..., Any]] = {
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
}
_HAS_LOC = frozenset(name for name in _RECORD_CLASSES if name != "former_name")


class _Invalid(Exception):
    """A value that cannot be read; the message says what was expected."""


def _is_null(value: Any) -> bool:
    return value is None or (type(value) is str and value in _NULLS)


def _text(value: Any) -> str:
    if isinstance(value, (YMap, YList)):
        raise _Invalid("must be a text, not a " + ("mapping" if isinstance(value, YMap) else "list"))
    return str(value)


def _id(value: Any) -> str:
    text = _text(value)
    if ID_PATTERN.fullmatch(text) is None:
        slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
        hint = f" (try '{slug}')" if slug and ID_PATTERN.fullmatch(slug) else ""
        raise _Invalid(f"'{text}' is not an id: use lowercase letters, digits and '-'{hint}")
    return text


def _list(value: Any, item: Callable[[Any], Any]) -> tuple[Any, ...]:
    if isinstance(value, YList):
        return tuple(item(v) for v in value)
    return (item(value),)  # a single value where a list is expected means a list of one


def _number(value: Any) -> float | int:
    if type(value) is str:
        if _INT.fullmatch(value):
            return int(value.replace("_", ""))
        if _FLOAT.fullmatch(value):
            return float(value.replace("_", ""))
    kind = "quoted text" if type(value) is Quoted else f"'{value}'"
    raise _Invalid(f"must be a number, not {kind}")


def _stake(value: Any) -> float:
    number = float(_number(value))
    if not 0 < number <= 100:
        raise _Invalid(f"stake {value} is out of range: a stake is a percentage, 0 < stake <= 100")
    return number


def _bool(value: Any) -> bool:
    if type(value) is str:
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
    raise _Invalid(f"must be true or false, not '{value}'")


def _date(value: Any) -> PartialDate:
    try:
        return parse_date(_text(value))
    except DateError as error:
        raise _Invalid(str(error)) from None


def _jurisdiction(value: Any) -> str:
    text = _text(value)
    if JURISDICTION_PATTERN.fullmatch(text) is None:
        hint = f" (did you mean '{text.upper()}'?)" if JURISDICTION_PATTERN.fullmatch(text.upper()) else ""
        raise _Invalid(f"'{text}' is not a jurisdiction: use ISO 3166 codes such as CN, HK or CN-CQ{hint}")
    return text


def _plain(value: Any) -> Any:
    if isinstance(value, YMap):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, YList):
        return [_plain(v) for v in value]
    return None if _is_null(value) else str(value)


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "text": _text,
    "id": _id,
    "ids": lambda value: _list(value, _id),
    "texts": lambda value: _list(value, _text),
    "number": _number,
    "stake": _stake,
    "bool": _bool,
    "date": _date,
    "jurisdiction": _jurisdiction,
    "any": _plain,
}


class _Reader:
    """Builds the records of one data folder and collects the problems found on the way."""

    def __init__(self, folder: Path, label: str) -> None:
        self.folder = folder
        self.label = label
        self.problems: list[Problem] = []
        self.dataset = Dataset(path=folder)
        # The YAML mapping of each record, for positions of fields when references are checked.
        self.origins: dict[int, tuple[YMap, str]] = {}

    def report(self, file: str, mark: Any, message: str, severity: str = "error") -> None:
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        self.problems.append(Problem(Location(file, line, column), severity, message))  # type: ignore[arg-type]

    def file_label(self, name: str) -> str:
        return os.path.join(self.label, name) if self.label else name

    def read_file(self, name: str) -> YMap | None:
        path = self.folder / name
        file = self.file_label(name)
        if not path.exists():
            self.report(file, None, f"file not found: a data folder needs {ENTITIES_FILE} and {LICENCES_FILE}")
            return None
        if not path.is_file():
            self.report(file, None, "is not a file")
            return None
        data = path.read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as error:
            before = data[: error.start]
            line = before.count(b"\n") + 1
            column = len(before) - (before.rfind(b"\n") + 1) + 1
            self.problems.append(
                Problem(Location(file, line, column), "error", "not UTF-8 text: save the file as UTF-8")
            )
            return None
        try:
            root = read_yaml(data, file)
        except DataError as error:
            self.problems.extend(error.problems)
            return None
        if root is None:
            self.report(file, None, "the file is empty: it needs at least 'version: 1'")
            return None
        if not isinstance(root, YMap):
            self.report(file, root if isinstance(root, YList) else None, "the top level must be a mapping")
            return None
        return root

    def read_sections(self, name: str, root: YMap) -> None:
        file = self.file_label(name)
        sections = SECTIONS[name]
        for key, value in root.items():
            if key == "version":
                if value != str(FORMAT_VERSION):
                    self.report(file, root.value_marks[key], f"format version {value} is not supported: use 1")
                continue
            if key == "extra":
                continue
            if key not in sections:
                hint = did_you_mean(key, [*sections, "version"])
                self.report(file, root.key_marks[key], f"unknown section '{key}'{hint}")
                continue
            if _is_null(value):
                continue
            shape, record_type = sections[key]
            mark = root.value_marks[key]
            if shape == "map":
                if not isinstance(value, YMap):
                    self.report(file, mark, f"'{key}' must be a mapping of id: record")
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

    def build(self, file: str, record_type: str, item: Any, mark: Any, record_id: str | None = None) -> Any:
        """One record from its mapping, or None (with the problems reported) when it cannot be built."""
        if not isinstance(item, YMap):
            self.report(file, mark, f"a {record_type.replace('_', ' ')} must be a mapping of keys")
            return None
        fields = FIELDS[record_type]
        values: dict[str, Any] = {}
        ok = True
        for key, raw in item.items():
            spec = fields.get(key)
            if spec is None:
                hint = did_you_mean(key, fields)
                self.report(file, item.key_marks[key], f"unknown key '{key}' in {record_type}{hint}")
                ok = False
                continue
            if _is_null(raw) and spec.kind != "any":
                continue
            value = self.convert(file, spec.kind, raw, item.value_marks[key], key)
            if value is _FAILED:
                ok = False
            else:
                values[key] = value
        for key, spec in fields.items():
            if spec.required and key not in values and key in item and not _is_null(item[key]):
                continue  # present but invalid: already reported
            if spec.required and key not in values:
                where = f" '{record_id}'" if record_id else ""
                self.report(file, mark, f"{record_type}{where} needs '{key}'")
                ok = False
        if not ok:
            return None
        if record_id is not None:
            values["id"] = record_id
        if record_type in _HAS_LOC:
            values["loc"] = Location(file, item.line + 1, item.column + 1)
        record = _RECORD_CLASSES[record_type](**values)
        self.origins[id(record)] = (item, file)
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
            text = raw if type(raw) is str else None
            if text not in choices:
                hint = did_you_mean(str(raw), choices) or f" (one of: {', '.join(choices)})"
                self.report(file, mark, f"'{key}' cannot be '{raw}'{hint}")
                return _FAILED
            return text
        try:
            return _CONVERTERS[kind](raw)
        except _Invalid as error:
            self.report(file, mark, f"{key}: {error}")
            return _FAILED

    def position(self, record: Any, key: str | None = None) -> tuple[str, Any]:
        """The file and mark of a record's field (or of the record itself)."""
        item, file = self.origins[id(record)]
        if key is not None and key in item.value_marks:
            return file, item.value_marks[key]
        return file, item

    def problem_at(self, record: Any, key: str | None, message: str, severity: str = "error") -> None:
        file, mark = self.position(record, key)
        self.report(file, mark, message, severity)


_FAILED = object()


def check_folder(folder: str | os.PathLike[str], label: str | None = None) -> tuple[Dataset, list[Problem]]:
    """Read and check a data folder; return what could be read and every problem found, in file order.

    `label` is how file names are shown in problems (default: the folder as given).
    """
    path = Path(folder)
    reader = _Reader(path, str(folder) if label is None else label)
    roots = {name: reader.read_file(name) for name in SECTIONS}
    for name, root in roots.items():
        if root is not None:
            reader.read_sections(name, root)
    if all(root is not None for root in roots.values()):
        _check_references(reader)
    ordered = sorted(reader.problems, key=lambda p: (p.loc.file, p.loc.line, p.loc.column))
    return reader.dataset, ordered


def load(folder: str | os.PathLike[str], label: str | None = None) -> Dataset:
    """Load a data folder; raise DataError listing every error if it is invalid. Warnings are ignored."""
    path = Path(folder)
    if not path.exists():
        raise UsageError(f"data folder '{folder}' does not exist")
    if not path.is_dir():
        raise UsageError(f"data folder '{folder}' is not a folder")
    dataset, problems = check_folder(path, label)
    if any(p.severity == "error" for p in problems):
        raise DataError(problems)
    return dataset


def _check_references(reader: _Reader) -> None:
    data = reader.dataset
    problem = reader.problem_at

    def known(record: Any, key: str, value: str, table: dict[str, Any], what: str) -> bool:
        if value in table:
            return True
        problem(record, key, f"{key} '{value}' is not a known {what}{did_you_mean(value, table)}")
        return False

    def sourced(record: Any, what: str) -> None:
        sources: tuple[str, ...] = record.sources
        if not sources:
            problem(record, None, f"{what} names no source: add 'sources: [SOURCE-ID]'", "warning")
        for source in sources:
            known(record, "sources", source, data.sources, "source")

    def ordered(record: Any, start_key: str, end_key: str, what: str) -> None:
        start: PartialDate | None = getattr(record, start_key)
        end: PartialDate | None = getattr(record, end_key)
        if start is not None and end is not None and end.last < start.first:
            problem(record, end_key, f"{what} {end_key} {end} is before {start_key} {start}")

    defaults = [group for group in data.groups.values() if group.default]
    for group in defaults[1:]:
        problem(group, "default", f"more than one default group ('{defaults[0].id}' and '{group.id}')")
    for group in data.groups.values():
        known(group, "root", group.root, data.entities, "entity")
    for entity in data.entities.values():
        sourced(entity, f"entity '{entity.id}'")
        ordered(entity, "founded", "dissolved", f"entity '{entity.id}'")
        for former in entity.former_names:
            if former.since and former.until and former.until.last < former.since.first:
                problem(entity, "former_names", f"former name '{former.name}' ends before it starts")
        for figure in entity.figures:
            sourced(figure, f"figure '{figure.metric}' of '{entity.id}'")
    for holding in data.holdings:
        found = known(holding, "owner", holding.owner, data.entities, "entity")
        found = known(holding, "owned", holding.owned, data.entities, "entity") and found
        sourced(holding, f"holding {holding.owner} -> {holding.owned}")
        ordered(holding, "since", "until", "holding")
        if holding.owner == holding.owned:
            problem(holding, "owned", f"'{holding.owner}' cannot hold itself")
    _check_stakes(reader)
    for role in data.roles:
        known(role, "holder", role.holder, data.entities, "entity")
        known(role, "of", role.of, data.entities, "entity")
        sourced(role, f"role '{role.title}' of '{role.of}'")
        ordered(role, "since", "until", "role")
    for category in data.categories.values():
        known(category, "family", category.family, data.families, "family")
    for licence in data.licences:
        known(licence, "holder", licence.holder, data.entities, "entity")
        known(licence, "category", licence.category, data.categories, "category")
        sourced(licence, f"licence '{licence.category}' of '{licence.holder}'")
        ordered(licence, "granted", "revoked", "licence")
    for claim in data.claims:
        known(claim, "group", claim.group, data.groups, "group")
        known(claim, "family", claim.family, data.families, "family")
        sourced(claim, f"claim '{claim.family}' of '{claim.group}'")


def _check_stakes(reader: _Reader) -> None:
    """Equity stakes in one entity must not add up to more than 100 on any day; no owner twice at once."""
    by_owned: dict[str, list[model.Holding]] = {}
    for holding in reader.dataset.holdings:
        by_owned.setdefault(holding.owned, []).append(holding)
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
                        reader.problem_at(
                            second,
                            "since",
                            f"'{second.owner}' already holds '{owned}' in this period "
                            f"(line {reader.position(first)[1].line + 1}): end one holding before the next starts",
                        )
        _check_equity_total(reader, owned, [h for h in holdings if h.control == "equity" and h.stake])


def _check_equity_total(reader: _Reader, owned: str, holdings: list[model.Holding]) -> None:
    if sum(h.stake or 0 for h in holdings) <= 100.0001:
        return  # even all at once they fit
    changes: list[tuple[dt.date, int, float, model.Holding]] = []
    for holding in holdings:
        start = holding.since.first if holding.since else dt.date.min
        changes.append((start, 1, holding.stake or 0.0, holding))
        if holding.until is not None and holding.until.last < dt.date.max:
            changes.append((holding.until.last + dt.timedelta(days=1), 0, -(holding.stake or 0.0), holding))
    changes.sort(key=lambda change: (change[0], change[1]))  # ends before starts on the same day
    total = 0.0
    for day, _, delta, holding in changes:
        total += delta
        if total > 100.0001:
            when = "at all times" if day == dt.date.min else f"from {day.isoformat()}"
            reader.problem_at(
                holding,
                "stake",
                f"equity stakes in '{owned}' add up to {total:g}% {when}: "
                "end the old holding (until) before the new one starts, or correct a stake",
            )
            return
