"""`xmfin import bods`: Beneficial Ownership Data Standard 0.4 statements into a data folder.

Entity and person statements become entities (kind `person` for persons); relationship statements become
holdings (owner = interested party, owned = subject) or, for board and management interests, roles; each
distinct source and publisher becomes a source. Every statement that cannot be represented, or only in part,
gives one notice (reported on stderr and counted): nothing is dropped silently. What has no key of its own
(BODS identifiers, addresses, birth dates, ...) is kept under `extra` with the statement and record ids.

Choices (documented in the README): an interest marked `indirect` is not imported, because xmfin derives
indirect stakes from the direct holdings (BODS lists the components); `rightsGrantedByContract` is a VIE
(control by contract), `votingRights` voting, any other control interest `other`; a share given only as a
range leaves the stake undisclosed and says so in the note; of several interests of one party in one subject
at the same time, the first by kind (shareholding, contract, voting, other) is the holding and the rest go
into its note; when several statements describe one record, the latest (by statementDate) is used.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xmfin import fileio, yamltext
from xmfin.bods_read import read_statements
from xmfin.dates import DateError, PartialDate, active, overlap, parse_date
from xmfin.errors import UsageError
from xmfin.loading import ENTITIES_FILE, ID_PATTERN, JURISDICTION_PATTERN, LICENCES_FILE
from xmfin.model import ENTITY_KINDS

XMFIN_SCHEME = "xmfin"  # identifiers of this scheme name carry an xmfin id (as `export --format bods` writes)
CONTROL_OF_INTEREST = {
    "shareholding": "equity",
    "rightsGrantedByContract": "vie",
    "votingRights": "voting",
}
ROLE_INTERESTS = {
    "boardChair": "Board chair",
    "boardMember": "Board member",
    "seniorManagingOfficial": "Senior managing official",
}
_CONTROL_ORDER = ("equity", "vie", "voting", "other")
_FULL = 100.0001  # as the loader: stakes summed in floating point must still fit in 100
MAX_DEPTH = 20  # of the BODS details kept under `extra`


@dataclass(frozen=True, slots=True)
class Notice:
    """A statement not imported (`partly` False) or imported only in part, and why."""

    statement: str
    message: str
    partly: bool = False


@dataclass(slots=True)
class ImportReport:
    """What an import wrote and every notice about what it could not represent."""

    file: str
    folder: str
    counts: dict[str, int] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One line per notice: `FILE: statement ID: not imported: why`."""
        return [
            f"{self.file}: statement {n.statement}: {'partly imported' if n.partly else 'not imported'}: {n.message}"
            for n in self.notices
        ]

    @property
    def skipped(self) -> int:
        return sum(not n.partly for n in self.notices)

    @property
    def partly(self) -> int:
        return len({n.statement for n in self.notices if n.partly})

    def summary(self) -> str:
        made = ", ".join(f"{n} {name}" for name, n in self.counts.items())
        return f"wrote {self.folder}: {made}; {self.skipped} statements not imported, {self.partly} imported in part"


def import_file(path: Path, folder: Path, *, force: bool = False) -> ImportReport:
    """Convert the BODS file at path into a data folder; refuse a non-empty folder unless force."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"-o {folder}: not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise UsageError(f"-o {folder}: the folder is not empty; give --force to write into it")
    statements = read_statements(path)
    converter = _Converter(str(path), str(folder))
    converter.convert(statements)
    texts = {ENTITIES_FILE: converter.entities_text(), LICENCES_FILE: converter.licences_text()}
    try:
        # Both files, or neither (fileio.write_folder): a folder half written would check as a wrong dataset.
        fileio.write_folder(folder, [(name, fileio.text(content)) for name, content in texts.items()])
    except OSError as error:
        raise UsageError(f"-o {folder}: cannot write: {error.strerror or error}") from None
    return converter.report


def slug(text: str) -> str:
    """An id from a name: ASCII letters and digits, lowercase, joined by '-' (empty when none is left)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:60].strip("-")


def _date(value: Any) -> PartialDate | None:
    """A BODS date (full date or date-time) as a partial date; None when absent or not a date."""
    if not isinstance(value, str):
        return None
    try:
        return parse_date(value[:10])
    except DateError:
        return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


@dataclass(slots=True)
class _Record:
    """The statement that describes a record (the latest by statementDate), and the superseded ones."""

    statement: dict[str, Any]
    earlier: list[dict[str, Any]] = field(default_factory=list)


class _Converter:
    def __init__(self, file: str, folder: str) -> None:
        self.report = ImportReport(file, folder)
        self.sources: dict[str, dict[str, Any]] = {}
        self.source_keys: dict[str, str] = {}
        self.entities: dict[str, dict[str, Any]] = {}
        self.holdings: list[dict[str, Any]] = []
        self.roles: list[dict[str, Any]] = []
        self.ids: dict[str, str] = {}  # BODS recordId -> xmfin entity id
        # The holdings in each entity with their periods, for the overlap and equity checks.
        self.in_entity: dict[str, list[tuple[dict[str, Any], PartialDate | None, PartialDate | None]]] = {}

    def notice(self, statement: dict[str, Any] | None, message: str, partly: bool = False, index: int = 0) -> None:
        sid = statement.get("statementId") if isinstance(statement, dict) else None
        label = _one_line(sid) if isinstance(sid, str) and sid else f"#{index}"
        self.report.notices.append(Notice(label, _one_line(message), partly))

    def convert(self, statements: list[Any]) -> None:
        records = self.collect(statements)
        parties = [r for r in records.values() if r.statement["recordType"] in ("entity", "person")]
        # Ids carried by an xmfin identifier are taken first, so that a name cannot take them away.
        parties.sort(key=lambda r: _xmfin_id(r.statement) is None)
        for record in parties:
            self.party(record.statement)
        for record in records.values():
            for earlier in record.earlier:
                later = record.statement.get("statementId", "?")
                self.notice(earlier, f"superseded by the later statement {later} of record {earlier['recordId']}")
            if record.statement["recordType"] == "relationship":
                self.relationship(record.statement)
        self.report.counts = {
            "entities": sum(e["kind"] != "person" for e in self.entities.values()),
            "persons": sum(e["kind"] == "person" for e in self.entities.values()),
            "holdings": len(self.holdings),
            "roles": len(self.roles),
            "sources": len(self.sources),
        }

    def collect(self, statements: list[Any]) -> dict[str, _Record]:
        """Statements by record id, in the order records first appear, the latest statement describing each."""
        records: dict[str, _Record] = {}
        for index, statement in enumerate(statements, start=1):
            if not isinstance(statement, dict):
                self.notice(None, "not a statement: a JSON object was expected", index=index)
                continue
            record_type = statement.get("recordType")
            record_id = statement.get("recordId")
            if record_type is None and "statementType" in statement:
                self.notice(statement, "a BODS 0.2/0.3 statement (statementType): only BODS 0.4 is read", index=index)
                continue
            if record_type not in ("entity", "person", "relationship") or not isinstance(record_id, str):
                self.notice(statement, "no recordType entity/person/relationship with a recordId", index=index)
                continue
            if not isinstance(statement.get("recordDetails"), dict):
                self.notice(statement, "no recordDetails", index=index)
                continue
            version = _object(statement.get("publicationDetails")).get("bodsVersion")
            if isinstance(version, str) and not version.startswith("0.4"):
                self.notice(statement, f"BODS version {version}: only 0.4 is read", index=index)
                continue
            found = records.get(record_id)
            if found is None:
                records[record_id] = _Record(statement)
            elif str(statement.get("statementDate", "")) >= str(found.statement.get("statementDate", "")):
                found.earlier.append(found.statement)
                found.statement = statement
            else:
                found.earlier.append(statement)
        return records

    def sources_of(self, statement: dict[str, Any]) -> list[str]:
        """The xmfin sources an xmfin export carried in annotations; else one made of the BODS source."""
        found = []
        for annotation in _array(statement.get("annotations")):
            given = _object(annotation).get("xmfinSource")
            if isinstance(given, dict) and isinstance(given.get("id"), str) and _text(given.get("title")):
                found.append(self.xmfin_source(given))
        return found or self.source(statement)

    def xmfin_source(self, given: dict[str, Any]) -> str:
        """The id of a source as xmfin exported it: its own id, unless another source already has it."""
        published = _date(given.get("published"))
        record = {
            "title": _text(given.get("title")),
            "publisher": _text(given.get("publisher")),
            "published": published.text if published else None,
            "url": _text(given.get("url")),
            "note": _text(given.get("note")),
        }
        key = json.dumps(record, sort_keys=True)
        if key not in self.source_keys:
            wanted = given["id"] if ID_PATTERN.fullmatch(given["id"]) else slug(given["id"]) or "source"
            source_id = self.unique(wanted, self.sources)
            self.sources[source_id] = record
            self.source_keys[key] = source_id
        return self.source_keys[key]

    def source(self, statement: dict[str, Any]) -> list[str]:
        """The id of the source for a statement's source and publication details (made once per distinct pair)."""
        given = _object(statement.get("source"))
        publication = _object(statement.get("publicationDetails"))
        publisher = _object(publication.get("publisher"))
        if not given and not publisher:
            return []
        key = json.dumps([given, publisher, publication.get("publicationDate")], sort_keys=True)
        if key in self.source_keys:
            return [self.source_keys[key]]
        publisher_name = _text(publisher.get("name"))
        asserted = [_text(a.get("name")) for a in _array(given.get("assertedBy")) if isinstance(a, dict)]
        asserted_names = [a for a in asserted if a]
        title = _text(given.get("description"))
        if title is None:
            title = f"BODS statements published by {publisher_name or 'an unnamed publisher'}"
            if asserted_names:
                title += f", as asserted by {', '.join(asserted_names)}"
        note_parts = []
        types = [t for t in _array(given.get("type")) if isinstance(t, str)]
        if types:
            note_parts.append("BODS source type: " + ", ".join(types))
        if asserted_names:
            note_parts.append("asserted by " + ", ".join(asserted_names))
        retrieved = _text(given.get("retrievedAt"))
        if retrieved:
            note_parts.append(f"retrieved {retrieved}")
        published = _date(publication.get("publicationDate"))
        base = slug(publisher_name or "") or "bods-source"
        source_id = self.unique(f"{base}-{published.text}" if published else base, self.sources)
        self.sources[source_id] = {
            "title": title,
            "publisher": publisher_name,
            "published": published.text if published else None,
            "url": _text(given.get("url")) or _text(publisher.get("url")),
            "note": "; ".join(note_parts) or None,
            "extra": {"bods": _bounded(_compact({"source": given or None, "publisher": publisher or None}))},
        }
        self.source_keys[key] = source_id
        return [source_id]

    @staticmethod
    def unique(base: str, taken: dict[str, Any]) -> str:
        if base not in taken:
            return base
        number = 2
        while f"{base}-{number}" in taken:
            number += 1
        return f"{base}-{number}"

    def party(self, statement: dict[str, Any]) -> None:
        details: dict[str, Any] = statement["recordDetails"]
        person = statement["recordType"] == "person"
        names = _person_names(details) if person else _entity_names(details)
        name = names["name"] or ("Unknown person" if person else "Unknown entity")
        wanted = _xmfin_id(statement) or slug(name) or slug(statement["recordId"]) or statement["recordType"]
        entity_id = self.unique(wanted, self.entities)
        self.ids[statement["recordId"]] = entity_id
        used = {"isComponent", "names", "name", "alternateNames", "entityType", "foundingDate", "dissolutionDate"}
        kind = "person" if person else _kind(details.get("entityType"))
        jurisdiction = _person_jurisdiction(details) if person else _entity_jurisdiction(details)
        if jurisdiction is not None:
            used.add("nationalities" if person else "jurisdiction")
        note = None
        unspecified = details.get("unspecifiedPersonDetails") or details.get("unspecifiedEntityDetails")
        if names["name"] is None:
            reason = unspecified.get("reason") if isinstance(unspecified, dict) else None
            note = "BODS gives no name" + (f" (reason: {reason})" if reason else "")
        founded = None if person else _date(details.get("foundingDate"))
        dissolved = None if person else _date(details.get("dissolutionDate"))
        if founded and dissolved and dissolved.last < founded.first:
            dissolved = None
            self.notice(statement, "dissolutionDate before foundingDate: the dissolution is left out", partly=True)
        kept = {key: value for key, value in details.items() if key not in used}
        self.entities[entity_id] = {
            "name": name,
            "former_names": [{"name": former} for former in names["former"]] or None,
            "aliases": names["aliases"] or None,
            "kind": kind,
            "jurisdiction": jurisdiction,
            "founded": founded.text if founded else None,
            "dissolved": dissolved.text if dissolved else None,
            "sources": self.sources_of(statement) or None,
            "note": note,
            "extra": {
                "bods": _bounded(
                    {"statementId": statement.get("statementId"), "recordId": statement["recordId"], **kept}
                )
            },
        }
        if statement.get("recordStatus") == "closed":
            self.notice(statement, "the record is closed; its last details are kept", partly=True)

    def relationship(self, statement: dict[str, Any]) -> None:
        details = statement["recordDetails"]
        ends = []
        for key in ("interestedParty", "subject"):
            end = details.get(key)
            if isinstance(end, dict):
                reason = end.get("reason", "no reason given")
                self.notice(statement, f"the {key} is unspecified ({reason}): xmfin needs a named entity")
                return
            if not isinstance(end, str) or end not in self.ids:
                self.notice(statement, f"the {key} '{end}' is not a record of this file")
                return
            ends.append(self.ids[end])
        owner, owned = ends
        if owner == owned:
            self.notice(statement, "an entity cannot hold itself")
            return
        interests = details.get("interests")
        if not isinstance(interests, list) or not interests:
            interests = [{}]  # a relationship of unknown nature is still a link
        sources = self.sources_of(statement)
        closed = _date(statement.get("statementDate")) if statement.get("recordStatus") == "closed" else None
        candidates: list[tuple[int, dict[str, Any]]] = []
        left_out: list[str] = []
        roles = 0
        for interest in interests:
            if not isinstance(interest, dict):
                left_out.append("an interest that is not an object")
                continue
            if interest.get("directOrIndirect") == "indirect":
                left_out.append(
                    f"the indirect {interest.get('type', 'interest')} (xmfin derives indirect stakes from the "
                    "direct holdings)"
                )
                continue
            kind = interest.get("type")
            since, until = _date(interest.get("startDate")), _date(interest.get("endDate"))
            if until is None and closed is not None:
                until = closed
            if since and until and until.last < since.first:
                self.notice(statement, "an interest's endDate is before its startDate: the end is left out", True)
                until = None
            if isinstance(kind, str) and kind in ROLE_INTERESTS:
                self.roles.append(
                    {
                        "holder": owner,
                        "of": owned,
                        "title": _text(interest.get("details")) or ROLE_INTERESTS[kind],
                        "since": since.text if since else None,
                        "until": until.text if until else None,
                        "sources": sources or None,
                    }
                )
                roles += 1
                continue
            holding = self.holding(statement, owner, owned, interest, since, until, sources)
            candidates.append((_CONTROL_ORDER.index(holding["control"]), holding))
        if candidates or roles:
            for reason in left_out:
                self.notice(statement, f"left out {reason}", partly=True)
        elif left_out:  # nothing of the statement is imported: one notice says why
            self.notice(statement, "left out " + "; ".join(left_out))
        for _, holding in sorted(candidates, key=lambda item: item[0]):
            self.add_holding(statement, holding)

    def holding(
        self,
        statement: dict[str, Any],
        owner: str,
        owned: str,
        interest: dict[str, Any],
        since: PartialDate | None,
        until: PartialDate | None,
        sources: list[str],
    ) -> dict[str, Any]:
        kind = interest.get("type")
        control = CONTROL_OF_INTEREST.get(kind, "other") if isinstance(kind, str) else "other"
        notes = []
        if control == "other":
            notes.append(f"BODS interest: {kind}" if isinstance(kind, str) else "BODS interest of unknown type")
        share = _object(interest.get("share"))
        stake = _number(share.get("exact"))
        if stake is not None and not 0 < stake <= 100:
            self.notice(statement, f"share {stake:g}% is not a stake (0 < stake <= 100): left undisclosed", True)
            notes.append(f"BODS share {stake:g}%")
            stake = None
        if stake is None and share:
            bounds = ", ".join(f"{key} {value:g}" for key, value in share.items() if _number(value) is not None)
            if bounds and "exact" not in share:
                notes.append(f"share given as a range ({bounds}); the stake is left undisclosed")
                self.notice(statement, f"share given as a range ({bounds}): the stake is left undisclosed", True)
        text = _text(interest.get("details"))
        if text:
            notes.append(text)
        return {
            "owner": owner,
            "owned": owned,
            "stake": stake,
            "control": control,
            "since": since.text if since else None,
            "until": until.text if until else None,
            "sources": sources or None,
            "note": ". ".join(notes) or None,
            "extra": {
                "bods": _compact(
                    {
                        "statementId": statement.get("statementId"),
                        "recordId": statement.get("recordId"),
                        "interestType": kind,
                        "beneficialOwnershipOrControl": interest.get("beneficialOwnershipOrControl"),
                    }
                )
            },
        }

    def add_holding(self, statement: dict[str, Any], holding: dict[str, Any]) -> None:
        """Add a holding, or fold it into the note of one it overlaps (the loader allows one link at a time)."""
        since, until = _date(holding["since"]), _date(holding["until"])
        present = self.in_entity.setdefault(holding["owned"], [])
        for other, other_since, other_until in present:
            if other["owner"] == holding["owner"] and overlap(since, until, other_since, other_until):
                described = holding["note"] or holding["control"]
                stake = f" {holding['stake']:g}%" if holding["stake"] is not None else ""
                addition = f"also {holding['control']}{stake} ({described})"
                other["note"] = f"{other['note']}. {addition}" if other["note"] else addition
                self.notice(
                    statement,
                    f"a {holding['control']} interest overlapping the {other['control']} holding of the same "
                    "party is kept in that holding's note",
                    partly=True,
                )
                return
        equity = holding["control"] == "equity" and holding["stake"] is not None
        if equity and self.equity_peak(holding, since, until, present) > _FULL:
            note = f"BODS share {holding['stake']:g}% left undisclosed: equity in the entity would exceed 100%"
            holding["note"] = f"{holding['note']}. {note}" if holding["note"] else note
            holding["stake"] = None
            self.notice(statement, note, partly=True)
        present.append((holding, since, until))
        self.holdings.append(holding)

    @staticmethod
    def equity_peak(
        holding: dict[str, Any],
        since: PartialDate | None,
        until: PartialDate | None,
        present: list[tuple[dict[str, Any], PartialDate | None, PartialDate | None]],
    ) -> float:
        """The most equity in the holding's entity on any day of its period, the holding included."""
        others = [
            (other["stake"], start, end)
            for other, start, end in present
            if other["control"] == "equity" and other["stake"] is not None
        ]
        # The total can only rise on a day some holding starts; check each such day within the period.
        days = {since.first if since else dt.date.min}
        days.update(start.first for _, start, _ in others if start is not None)
        peak = 0.0
        for day in days:
            if active(since, until, day):
                total = holding["stake"] + sum(stake for stake, start, end in others if active(start, end, day))
                peak = max(peak, total)
        return peak

    def entities_text(self) -> str:
        lines = [
            f"# Imported from {yamltext.scalar(os.path.basename(self.report.file))} by `xmfin import bods` (BODS 0.4).",
            "version: 1",
            "",
            *yamltext.keyed_section("sources", self.sources),
            "",
            *yamltext.keyed_section("entities", self.entities),
            "",
            *yamltext.list_section("holdings", self.holdings),
            "",
            *yamltext.list_section("roles", self.roles),
        ]
        return "\n".join(lines) + "\n"

    def licences_text(self) -> str:
        sections = ("families: {}", "categories: {}", "licences: []", "claims: []")
        return "# BODS has no licences: add them here.\nversion: 1\n" + "".join(f"{s}\n" for s in sections)


# A notice is one line on stderr whatever the data holds: line breaks in it are shown escaped.
_LINE_BREAKS = str.maketrans({c: repr(c)[1:-1] for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"})


def _one_line(text: str, limit: int = 200) -> str:
    flat = text.translate(_LINE_BREAKS)
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _bounded(value: Any, depth: int = 0) -> Any:
    """A JSON value for `extra`, with what is nested more than MAX_DEPTH deep kept as JSON text (no reader,
    ours included, has to recurse that far)."""
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            return json.dumps(value, ensure_ascii=False)
        return {key: _bounded(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        if depth >= MAX_DEPTH:
            return json.dumps(value, ensure_ascii=False)
        return [_bounded(item, depth + 1) for item in value]
    return value


def _array(value: Any) -> list[Any]:
    """A JSON array, or an empty one in place of anything else."""
    return value if isinstance(value, list) else []


def _object(value: Any) -> dict[str, Any]:
    """A JSON object, or an empty one in place of anything else."""
    return value if isinstance(value, dict) else {}


def _compact(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


def _xmfin_id(statement: dict[str, Any]) -> str | None:
    details = statement.get("recordDetails")
    identifiers = details.get("identifiers") if isinstance(details, dict) else None
    for identifier in _array(identifiers):
        if isinstance(identifier, dict) and identifier.get("schemeName") == XMFIN_SCHEME:
            found = identifier.get("id")
            if isinstance(found, str) and ID_PATTERN.fullmatch(found):
                return found
    return None


def _kind(entity_type: Any) -> str:
    """xmfin's kind of a BODS entity type: the kind xmfin wrote in `details`, state, partnership or company."""
    if not isinstance(entity_type, dict):
        return "company"
    if entity_type.get("details") in ENTITY_KINDS and entity_type.get("details") != "person":
        return str(entity_type["details"])
    found = entity_type.get("type")
    if found in ("state", "stateBody"):
        return "state"
    if found == "arrangement":
        return "partnership"  # persons associated by an agreement: a joint shareholding, a nominee arrangement
    return "company"


def _entity_names(details: dict[str, Any]) -> dict[str, Any]:
    alternate = [_text(n) for n in _array(details.get("alternateNames"))]
    name = _text(details.get("name"))
    return {"name": name, "former": [], "aliases": [n for n in dict.fromkeys(alternate) if n and n != name]}


def _person_names(details: dict[str, Any]) -> dict[str, Any]:
    """The legal name (else the first) as the name; former names; the rest as aliases."""
    found: list[tuple[str | None, str]] = []
    for item in _array(details.get("names")):
        if not isinstance(item, dict):
            continue
        full = _text(item.get("fullName")) or " ".join(
            part for part in (_text(item.get("givenName")), _text(item.get("familyName"))) if part
        )
        if full:
            found.append((item.get("type"), full))
    legal = next((full for kind, full in found if kind == "legal"), None)
    name = legal or next((full for kind, full in found if kind != "former"), None)
    former = list(dict.fromkeys(full for kind, full in found if kind == "former" and full != name))
    aliases = list(dict.fromkeys(full for kind, full in found if kind != "former" and full != name))
    return {"name": name, "former": former, "aliases": aliases}


def _entity_jurisdiction(details: dict[str, Any]) -> str | None:
    given = details.get("jurisdiction")
    code = given.get("code") if isinstance(given, dict) else None
    return code if isinstance(code, str) and JURISDICTION_PATTERN.fullmatch(code) else None


def _person_jurisdiction(details: dict[str, Any]) -> str | None:
    nationalities = details.get("nationalities")
    if isinstance(nationalities, list) and len(nationalities) == 1 and isinstance(nationalities[0], dict):
        code = nationalities[0].get("code")
        if isinstance(code, str) and JURISDICTION_PATTERN.fullmatch(code):
            return code
    return None
