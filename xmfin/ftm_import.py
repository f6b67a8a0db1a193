"""`xmfin import ftm`: FollowTheMoney entities (JSON Lines, as `export --format ftm`, Aleph and OpenSanctions
write them) into a data folder.

`Person` becomes an entity of kind person; `PublicBody` a state; `Company`, `Organization` and `LegalEntity`
a company, or the kind named in `legalForm` (partnership, fund, state); `Ownership` a holding (`percentage`
read as `60`, `75-<100`, `>25-50` or `60%`; `ownershipType` equity, vie, voting or other, else other with the
type in the note; `status: pending` pending); `Directorship` a role. Each distinct publisher and source URL
becomes a source. Every entity that cannot be represented, or only in part, gives one notice on stderr
(docs/ftm.md lists them); nothing is dropped silently.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from xmfin.bods_import import (
    _NEAR_FULL,
    _STAKE_FIELDS,
    ImportReport,
    Notice,
    _floor,
    _one_line,
    _shown,
    check_output_folder,
    slug,
    write_folder,
)
from xmfin.bods_import import (
    _Converter as _BodsConverter,
)
from xmfin.bods_read import BodsError, json_lines, read_import_text
from xmfin.dates import DateError, PartialDate, overlap, parse_date
from xmfin.model import CONTROLS, ENTITY_KINDS
from xmfin.storage import yamltext
from xmfin.storage.loading import ID_PATTERN, JURISDICTION_PATTERN

PARTIES = ("Person", "PublicBody", "Company", "Organization", "LegalEntity")
_RANGE = re.compile(r"(>?)(\d+(?:\.\d+)?)?-(<?)(\d+(?:\.\d+)?)?")


def _date(text: str | None) -> PartialDate | None:
    return parse_date(text) if text else None


class FtmError(BodsError):
    """The file cannot be read as FtM entities at all: exit 1, as for a BODS file."""


def read_entities(path: Path) -> list[Any]:
    """The JSON values of an FtM file: one a line (a JSON array is read too)."""
    text = read_import_text(path, "FtM")
    if text.lstrip().startswith("["):
        found = _loads(path, text, 1)
        return found if isinstance(found, list) else [found]
    return [_loads(path, line, number) for number, line in json_lines(text)]


def _loads(path: Path, text: str, line: int) -> Any:
    try:
        return json.loads(text, parse_constant=_refuse)
    except RecursionError:
        raise FtmError(f"{path}:{line}: not FtM: JSON nested too deeply to read") from None
    except json.JSONDecodeError as error:
        raise FtmError(f"{path}:{line + error.lineno - 1}:{error.colno}: not valid JSON: {error.msg}") from None
    except ValueError as error:
        raise FtmError(f"{path}:{line}: not valid JSON: {error}") from None


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def import_file(path: Path, folder: Path, *, force: bool = False) -> ImportReport:
    """Convert the FtM file at path into a data folder; refuse a non-empty folder unless force."""
    check_output_folder(folder, force)
    converter = _Converter(str(path), str(folder))
    converter.convert(read_entities(path))
    write_folder(folder, converter.entities_text(), converter.licences_text())
    return converter.report


def parse_percentage(text: str) -> dict[str, Any] | None:
    """`60`, `60%`, `75-<100`, `>25-50`, `>50`, `<10` as stake fields; None when it is none of these."""
    text = text.strip().removesuffix("%").strip()
    if text[:1] == ">" and "-" not in text:
        text += "-"  # `>50`: more than 50%, a range with no upper bound (it was refused)
    elif text[:1] == "<" and "-" not in text:
        text = "-" + text  # `<50`: less than 50%
    try:
        if text.startswith("-"):  # `-22` is a range with no lower bound, not a negative number
            raise ValueError(text)
        value = float(text)
    except ValueError:
        match = _RANGE.fullmatch(text.replace(" ", ""))
        if not match or (match.group(2) is None and match.group(4) is None):
            return None
        if (match.group(1) and match.group(2) is None) or (match.group(3) and match.group(4) is None):
            return None  # `>-5`, `5-<`: an exclusive mark with no bound to mark
        low = float(match.group(2)) if match.group(2) else None
        high = float(match.group(4)) if match.group(4) else None
        if (low is not None and not 0 <= low <= 100) or (high is not None and not 0 < high <= 100):
            return None
        if low == 100 and match.group(1):
            return None  # more than 100%: `>100-` made a holding that failed check
        if low is not None and high is not None and low >= high and (low > high or match.group(1) or match.group(3)):
            return None
        return {
            "stake_min": low,
            "stake_max": high,
            "stake_min_exclusive": bool(match.group(1)) or None,
            "stake_max_exclusive": bool(match.group(3)) or None,
        }
    return {"stake": value} if 0 < value <= 100 else None


class _Converter:
    def __init__(self, file: str, folder: str) -> None:
        self.report = ImportReport(file, folder, unit="entity")
        self.sources: dict[str, dict[str, Any]] = {}
        self.source_keys: dict[tuple[str | None, str | None], str] = {}
        self.entities: dict[str, dict[str, Any]] = {}
        self.holdings: list[dict[str, Any]] = []
        self.roles: list[dict[str, Any]] = []
        self.ids: dict[str, str] = {}
        self.of_pair: dict[tuple[str, str], list[tuple[PartialDate | None, PartialDate | None]]] = {}
        self.in_entity: dict[str, list[tuple[dict[str, Any], PartialDate | None, PartialDate | None]]] = {}
        self.equity_sum: dict[str, float] = {}  # the equity floors of every counted holding in each entity
        self.given_notices: set[Notice] = set()

    def notice(self, item: Any, message: str, partly: bool = False, index: int = 0) -> None:
        given = item.get("id") if isinstance(item, dict) else None
        label = _one_line(given) if isinstance(given, str) and given else f"#{index}"
        notice = Notice(label, _one_line(message), partly)
        if notice not in self.given_notices:  # a set: a scan of the list made many notices n squared
            self.given_notices.add(notice)
            self.report.notices.append(notice)

    def convert(self, items: list[Any]) -> None:
        valid: list[tuple[int, dict[str, Any]]] = []
        for index, item in enumerate(items, start=1):
            if not isinstance(item, dict) or not isinstance(item.get("schema"), str):
                self.notice(item, "not an FtM entity: an object with a schema was expected", index=index)
                continue
            if not isinstance(item.get("id"), str) or not isinstance(item.get("properties"), dict):
                self.notice(item, "an FtM entity needs an id and properties", index=index)
                continue
            valid.append((index, item))
        for _, item in valid:
            if item["schema"] in PARTIES:
                self.party(item)
        for index, item in valid:
            if item["schema"] == "Ownership":
                self.ownership(item)
            elif item["schema"] == "Directorship":
                self.directorship(item)
            elif item["schema"] not in PARTIES:
                self.notice(item, f"schema {item['schema']} has no place in xmfin", index=index)
        self.report.counts = {
            "entities": sum(e["kind"] != "person" for e in self.entities.values()),
            "persons": sum(e["kind"] == "person" for e in self.entities.values()),
            "holdings": len(self.holdings),
            "roles": len(self.roles),
            "sources": len(self.sources),
        }

    def values(self, item: dict[str, Any], name: str) -> list[str]:
        """The text values of a property. FtM gives a list of strings; a lone string is read as one value, and
        anything else (a number, an object, a list item that is not text) is left out with a notice: it was
        dropped silently."""
        found = item["properties"].get(name)
        if found is None:
            return []
        if isinstance(found, str):
            found = [found]
        if not isinstance(found, list):
            self.notice(item, f"property {name} {_shown(found)} is not a list of strings: left out", partly=True)
            return []
        for value in found:
            if not isinstance(value, str):
                self.notice(item, f"property {name}: the value {_shown(value)} is not text: left out", partly=True)
        return [v.strip() for v in found if isinstance(v, str) and v.strip()]

    def one(self, item: dict[str, Any], name: str) -> str | None:
        found = self.values(item, name)
        if len(found) > 1:
            self.notice(item, f"{name} has {len(found)} values: the first is kept", partly=True)
        return found[0] if found else None

    def date(self, item: dict[str, Any], name: str) -> str | None:
        text = self.one(item, name)
        if text is None:
            return None
        try:
            return parse_date(text[:10]).text
        except DateError:
            self.notice(item, f"{name} '{text}' is not a date: left out", partly=True)
            return None

    def sources_of(self, item: dict[str, Any]) -> list[str] | None:
        publishers: list[str | None] = [*self.values(item, "publisher")] or [None]
        urls: list[str | None] = [*self.values(item, "sourceUrl")] or [None]
        found = []
        for number in range(max(len(publishers), len(urls))):
            publisher = publishers[min(number, len(publishers) - 1)]
            url = urls[min(number, len(urls) - 1)]
            if publisher is None and url is None:
                continue
            key = (publisher, url)
            if key not in self.source_keys:
                base = slug(publisher or "") or "ftm-source"
                source_id = base if base not in self.sources else f"{base}-{len(self.sources) + 1}"
                while source_id in self.sources:
                    source_id += "-x"
                self.sources[source_id] = {
                    "title": f"FtM data from {publisher or url}",
                    "publisher": publisher,
                    "url": url,
                }
                self.source_keys[key] = source_id
            found.append(self.source_keys[key])
        return list(dict.fromkeys(found)) or None

    def party(self, item: dict[str, Any]) -> None:
        names = self.values(item, "name")
        name = names[0] if names else None
        if name is None:
            self.notice(item, "no name: imported as 'Unknown entity'", partly=True)
        schema = item["schema"]
        form = self.one(item, "legalForm")
        if schema == "Person":
            kind = "person"
        elif schema == "PublicBody":
            kind = "state"
        else:
            kind = form if form in ENTITY_KINDS and form != "person" else "company"
        wanted = item["id"] if ID_PATTERN.fullmatch(item["id"]) else slug(name or item["id"]) or "entity"
        entity_id = wanted
        number = 2
        while entity_id in self.entities:
            entity_id, number = f"{wanted}-{number}", number + 1
        self.ids[item["id"]] = entity_id
        country = self.one(item, "nationality" if kind == "person" else "jurisdiction")
        jurisdiction = country.upper() if country and JURISDICTION_PATTERN.fullmatch(country.upper()) else None
        if country and jurisdiction is None:
            self.notice(item, f"jurisdiction '{country}' is not an ISO 3166 code: left out", partly=True)
        aliases = [n for n in [*names[1:], *self.values(item, "alias")] if n != name]
        self.entities[entity_id] = {
            "name": name or "Unknown entity",
            "former_names": [{"name": n} for n in dict.fromkeys(self.values(item, "previousName"))] or None,
            "aliases": list(dict.fromkeys(aliases)) or None,
            "kind": kind,
            "jurisdiction": jurisdiction,
            "founded": None if kind == "person" else self.date(item, "incorporationDate"),
            "dissolved": None if kind == "person" else self.date(item, "dissolutionDate"),
            "description": self.one(item, "description"),
            "sources": self.sources_of(item),
            "note": self.one(item, "notes"),
        }

    def ends(self, item: dict[str, Any], keys: tuple[str, str]) -> tuple[str, str] | None:
        found = []
        for key in keys:
            given = self.one(item, key)
            if given is None or given not in self.ids:
                self.notice(item, f"its {key} '{given}' is not an entity of this file")
                return None
            found.append(self.ids[given])
        if found[0] == found[1]:
            self.notice(item, "an entity cannot hold itself")
            return None
        return found[0], found[1]

    def ownership(self, item: dict[str, Any]) -> None:
        ends = self.ends(item, ("owner", "asset"))
        if ends is None:
            return
        owner, owned = ends
        stakes: dict[str, Any] = {}
        given = self.one(item, "percentage")
        if given is not None:
            parsed = parse_percentage(given)
            if parsed is None:
                self.notice(item, f"percentage '{given}' is not a stake: left undisclosed", partly=True)
            else:
                stakes = parsed
        kind = self.one(item, "ownershipType")
        note = self.one(item, "summary")
        control = kind if kind in CONTROLS else "other" if kind else "equity"
        if kind and kind not in CONTROLS:
            note = f"{note}. FtM ownership type: {kind}" if note else f"FtM ownership type: {kind}"
        if control != "equity" and stakes.get("stake") is None and stakes:
            stakes = {}
            self.notice(item, "a range on a non-equity holding: left undisclosed", partly=True)
        holding = {
            "owner": owner,
            "owned": owned,
            **stakes,
            "control": control,
            "since": self.date(item, "startDate"),
            "until": self.date(item, "endDate"),
            "pending": True if self.one(item, "status") == "pending" else None,
            "sources": self.sources_of(item),
            "note": note,
        }
        self.keep_order(item, holding)
        # Each holding is compared with the same pair's and the same entity's only, its dates read once (a scan
        # of every holding, its dates parsed again, made 10,000 ownerships of one company take minutes).
        start, end = _date(holding["since"]), _date(holding["until"])
        same_pair = self.of_pair.setdefault((owner, owned), [])
        if any(overlap(other_start, other_end, start, end) for other_start, other_end in same_pair):
            self.notice(item, f"overlaps another ownership of '{owner}' in '{owned}': not imported")
            return
        floor = _floor(holding)
        present = self.in_entity.setdefault(owned, [])
        counted = control == "equity" and not holding["pending"] and floor > 0
        # When all the equity ever held in the entity fits, so does the equity on any one day.
        within = self.equity_sum.get(owned, 0.0) + floor < _NEAR_FULL
        if counted and not within and _BodsConverter.too_much(holding, start, end, present):
            self.notice(item, f"percentage '{given}' left undisclosed: equity in the entity would exceed 100%", True)
            holding.update(dict.fromkeys(_STAKE_FIELDS))
        same_pair.append((start, end))
        present.append((holding, start, end))
        self.equity_sum[owned] = self.equity_sum.get(owned, 0.0) + (_floor(holding) if counted else 0.0)
        self.holdings.append(holding)

    def keep_order(self, item: dict[str, Any], record: dict[str, Any]) -> None:
        """Leave out an end before the start (with a notice): the loader refuses it, on holdings and roles alike."""
        if record["since"] and record["until"]:
            since, until = parse_date(record["since"]), parse_date(record["until"])
            if until.last < since.first:
                self.notice(item, "endDate before startDate: the end is left out", partly=True)
                record["until"] = None

    def directorship(self, item: dict[str, Any]) -> None:
        ends = self.ends(item, ("director", "organization"))
        if ends is None:
            return
        role = {
            "holder": ends[0],
            "of": ends[1],
            "title": self.one(item, "role") or "Director",
            "since": self.date(item, "startDate"),
            "until": self.date(item, "endDate"),
            "sources": self.sources_of(item),
            "note": self.one(item, "summary"),
        }
        self.keep_order(item, role)  # a Directorship ending before it starts made a folder that failed check
        self.roles.append(role)

    def entities_text(self) -> str:
        return yamltext.entities_file(
            f"Imported from {yamltext.scalar(os.path.basename(self.report.file))} by `xmfin import ftm`.",
            [("sources", self.sources), ("entities", self.entities)],
            [("holdings", self.holdings), ("roles", self.roles)],
        )

    def licences_text(self) -> str:
        sections = ("families: {}", "categories: {}", "licences: []", "claims: []")
        return "# FtM has no licences: add them here.\nversion: 1\n" + "".join(f"{s}\n" for s in sections)
