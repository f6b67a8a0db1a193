"""`xmfin export --format bods`: the records as Beneficial Ownership Data Standard 0.4 statements.

Mapping (docs/bods.md has the table): an entity becomes an entity statement (a person a person statement) with
its xmfin id as an identifier of scheme name `xmfin`; a holding becomes a relationship statement whose
subject is the owned entity and interested party the owner, with one direct interest: `shareholding`
(equity; `share.exact` = stake, or the range's bounds as `minimum`/`exclusiveMinimum` and
`maximum`/`exclusiveMaximum`), `rightsGrantedByContract` (a VIE: control by contract), `votingRights`, or
`otherInfluenceOrControl`; a role becomes a relationship with a `boardChair`, `boardMember` or
`seniorManagingOfficial` interest. BODS dates are full dates, so a partial start date becomes the first day
of its period; an end date becomes the day after the last day of its period (BODS `endDate` is the first day
the interest no longer exists). What `import bods` kept of another publisher's statements under
`extra.bods` (entity and person types, identifiers, nationalities, birth dates, PEP details, annotations) is
written back.

Nothing is lost for xmfin's own import: each statement carries its record in an `xmfinRecord` annotation
(with a digest of the statement's `recordDetails`, so that a statement changed by another tool is read from
its BODS fields instead), and the first statement carries what BODS has no place for (sources in full,
groups, events, the licence taxonomy, licences, claims, pending holdings) in an `xmfinDataset` annotation.
Other BODS tools ignore both (custom properties of annotations).

The statements state what was known on the export's day (`statementDate`, the `--as-of` day): records that
start after it are left out, and ends after it are not yet known (`known_on`).

Statement ids are uuid5 of the statement's content without its dates, so that two exports of unchanged
records have the same ids and diff cleanly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from typing import Any

from xmfin.bods_import import (
    CONTROL_OF_INTEREST,
    VIE_DETAILS,
    XMFIN_COMMENT,
    XMFIN_DATASET,
    XMFIN_KEPT,
    XMFIN_RECORD,
    XMFIN_SOURCE,
    _entity_jurisdiction,
    _kind,
    _person_jurisdiction,
    _person_names,
    record_digest,
)
from xmfin.dates import DateError, PartialDate, parse_date
from xmfin.model import Dataset, Entity, Group, Holding, Licence, Quote, Role, Source

BODS_VERSION = "0.4"
PUBLISHER = "xmfin"
ID_SCHEME = "xmfin"  # the identifier scheme name that carries an xmfin id, read back by `xmfin import bods`
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://xmfin.invalid/bods/statement")

# Holding control -> BODS interest type. `vie` is control by contract, which is what BODS' "rights granted
# by contract" names; `import bods` maps it back.
INTEREST_OF_CONTROL = {
    "equity": "shareholding",
    "vie": "rightsGrantedByContract",
    "voting": "votingRights",
    "other": "otherInfluenceOrControl",
}
ENTITY_TYPE_OF_KIND = {
    "company": "registeredEntity",
    "partnership": "registeredEntity",
    "fund": "arrangement",
    "state": "state",
}
# The recordDetails keys of BODS 0.4 that xmfin has no field for, written back from extra.bods.
PERSON_KEYS = (
    "isComponent",
    "personType",
    "unspecifiedPersonDetails",
    "names",
    "identifiers",
    "nationalities",
    "placeOfBirth",
    "birthDate",
    "deathDate",
    "taxResidencies",
    "addresses",
    "politicalExposure",
)
ENTITY_KEYS = (
    "isComponent",
    "entityType",
    "unspecifiedEntityDetails",
    "jurisdiction",
    "identifiers",
    "addresses",
    "uri",
    "publicListing",
    "formedByStatute",
)
INTEREST_TYPES = frozenset(
    [
        "shareholding",
        "votingRights",
        "appointmentOfBoard",
        "otherInfluenceOrControl",
        "seniorManagingOfficial",
        "settlor",
        "trustee",
        "protector",
        "beneficiaryOfLegalArrangement",
        "rightsToSurplusAssetsOnDissolution",
        "rightsToProfitOrIncome",
        "rightsGrantedByContract",
        "conditionalRightsGrantedByContract",
        "controlViaCompanyRulesOrArticles",
        "controlByLegalFramework",
        "boardMember",
        "boardChair",
        "unknownInterest",
        "unpublishedInterest",
        "enjoymentAndUseOfAssets",
        "rightToProfitOrIncomeFromAssets",
        "nominee",
        "nominator",
    ]
)
_NO_NAME = "BODS gives no name"  # the note `import bods` gives an entity or person without a name


def role_interest(title: str) -> str:
    """The BODS interest type of a role title: chairs, board members, else senior managing officials."""
    folded = title.casefold()
    if "chair" in folded:
        return "boardChair"
    if "director" in folded or "board" in folded:
        return "boardMember"
    return "seniorManagingOfficial"


def _period(period: str | None) -> PartialDate | None:
    """A figure's period as a date when it is one (`2017`, `2017-06`); None for `FY2017`, `H1 2018`, ..."""
    try:
        return parse_date(period) if period else None
    except DateError:
        return None


def known_on(part: Dataset, day: dt.date) -> Dataset:
    """The records as known on day: what starts after it left out, ends and revocations after it not yet known.

    Dated facts only: holdings and roles (`since`/`until`), licences (`granted`/`revoked`), entities
    (`founded`/`dissolved`; former names by their dates), figures (`as_of`, else a period that is a date) and
    claims (`as_of`), events (`date`).
    """

    def started(date: PartialDate | None) -> bool:
        return date is None or date.first <= day

    def ended(date: PartialDate | None) -> PartialDate | None:
        return date if date is not None and date.last <= day else None

    entities = {}
    for key, entity in part.entities.items():
        if not started(entity.founded):
            continue
        entities[key] = dataclasses.replace(
            entity,
            dissolved=ended(entity.dissolved),
            former_names=tuple(
                dataclasses.replace(f, until=ended(f.until)) for f in entity.former_names if started(f.since)
            ),
            # A figure without as_of is dated by its period when that is a date (revenue for 2017 was kept
            # in an export for 2015).
            figures=tuple(f for f in entity.figures if started(f.as_of or _period(f.period))),
        )
    holdings = [
        dataclasses.replace(h, until=ended(h.until))
        for h in part.holdings
        if started(h.since) and h.owner in entities and h.owned in entities
    ]
    roles = [
        dataclasses.replace(r, until=ended(r.until))
        for r in part.roles
        if started(r.since) and r.holder in entities and r.of in entities
    ]
    return dataclasses.replace(
        part,
        entities=entities,
        holdings=holdings,
        roles=roles,
        events=[e for e in part.events if started(e.date) and all(x in entities for x in e.entities)],
        licences=[
            dataclasses.replace(lic, revoked=ended(lic.revoked))
            for lic in part.licences
            if started(lic.granted) and lic.holder in entities
        ],
        claims=[c for c in part.claims if started(c.as_of)],
        groups={key: g for key, g in part.groups.items() if g.root in entities},
    )


def statements(part: Dataset, day: dt.date, group: Group | None = None) -> list[dict[str, Any]]:
    """Every statement of the export: entities and persons first, then holdings, then roles.

    `declarationSubject` is the group's root with a group; without one, an entity's own record and a
    relationship's subject (the entity whose owners are declared).
    """
    known = known_on(part, day)
    builder = _Builder(known, day, group)
    bodies = [builder.party(entity) for entity in known.entities.values()]
    bodies.extend(
        builder.holding(holding, builder.holding_id(holding, record_id))
        for holding, record_id in _numbered_holdings(known)
    )
    bodies.extend(builder.role(role, record_id) for role, record_id in _numbered_roles(known))
    for entity in known.entities.values():
        bodies.extend(builder.kept_relationships(entity))
    if bodies:
        bodies[0]["annotations"] = [*bodies[0].get("annotations", []), builder.dataset_annotation()]
    return [builder.finish(body) for body in bodies]


def to_json(part: Dataset, day: dt.date, group: Group | None = None) -> str:
    """The statements as one JSON array (the form `libcovebods` and the BODS tools read)."""
    return json.dumps(statements(part, day, group), ensure_ascii=False, indent=2) + "\n"


def data_fields(record: Any, keep_id: bool = False) -> dict[str, Any]:
    """A record as its data file writes it (the form `import bods` writes back): dates as text, quoted
    citations inside `sources`, no empty or false values, no `loc`."""
    found: dict[str, Any] = {}
    quotes: tuple[Quote, ...] = getattr(record, "quotes", ())
    for item in dataclasses.fields(record):
        if item.name in ("loc", "quotes") or (item.name == "id" and not keep_id):
            continue
        value = getattr(record, item.name)
        if item.name == "sources":
            value = _citations(value, quotes)
        elif item.name in ("figures", "former_names"):
            value = [data_fields(nested) for nested in value]
        else:
            value = _plain(value)
        if value is None or value is False or value == []:
            continue
        found[item.name] = value
    return found


def _citations(sources: tuple[str, ...], quotes: tuple[Quote, ...]) -> list[Any]:
    """The `sources` list of a data file: an id, or `{source, quote, at}` for each quote of it."""
    found: list[Any] = []
    for source in sources:
        quoted: list[Any] = [
            _drop_none({"source": source, "quote": q.quote, "at": q.at}) for q in quotes if q.source == source
        ]
        found.extend(quoted or [source])
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, PartialDate):
        return value.text
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)  # as the data file writes it back (1.5e9 and 1500000000 are one number)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _drop_none(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


def _numbered_holdings(part: Dataset) -> list[tuple[Holding, str]]:
    seen: dict[tuple[str, str], int] = {}
    numbered = []
    for holding in part.holdings:
        if holding.pending:
            continue  # BODS has no announced interest: carried in the xmfinDataset annotation
        key = (holding.owner, holding.owned)
        seen[key] = seen.get(key, 0) + 1
        suffix = f"-{seen[key]}" if seen[key] > 1 else ""
        numbered.append((holding, f"holding:{holding.owner}:{holding.owned}{suffix}"))
    return numbered


def _numbered_roles(part: Dataset) -> list[tuple[Role, str]]:
    seen: dict[tuple[str, str], int] = {}
    numbered = []
    for role in part.roles:
        key = (role.holder, role.of)
        seen[key] = seen.get(key, 0) + 1
        suffix = f"-{seen[key]}" if seen[key] > 1 else ""
        numbered.append((role, f"role:{role.holder}:{role.of}{suffix}"))
    return numbered


def _start(date: PartialDate | None) -> str | None:
    return date.first.isoformat() if date else None


def _end(date: PartialDate | None) -> str | None:
    """BODS endDate: the first day the interest no longer exists, the day after the period's last."""
    if date is None:
        return None
    return (date.last + dt.timedelta(days=1)).isoformat() if date.last < dt.date.max else date.last.isoformat()


def _compact(fields: dict[str, Any]) -> dict[str, Any]:
    """Leave out absent values: BODS has no nulls."""
    return {key: value for key, value in fields.items() if value is not None and value != [] and value != {}}


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _kept(entity_or_holding: Any) -> dict[str, Any]:
    """What `import bods` kept of the BODS statement under extra.bods."""
    return _object(_object(entity_or_holding.extra).get("bods"))


def _share(holding: Holding) -> dict[str, Any] | None:
    if holding.stake is not None:
        return {"exact": holding.stake}
    share: dict[str, Any] = {}
    if holding.stake_min is not None:
        share["exclusiveMinimum" if holding.stake_min_exclusive else "minimum"] = holding.stake_min
    if holding.stake_max is not None:
        share["exclusiveMaximum" if holding.stake_max_exclusive else "maximum"] = holding.stake_max
    return share or None


class _Builder:
    def __init__(self, part: Dataset, day: dt.date, group: Group | None) -> None:
        self.part = part
        self.day = day
        self.root_entity = group.root if group else None
        self.licences: dict[str, list[Licence]] = {}
        for licence in part.licences:
            self.licences.setdefault(licence.holder, []).append(licence)
        # Record ids: the one another publisher gave (kept by `import bods`) when unique, else the xmfin id.
        given = [_kept(e).get("recordId") for e in part.entities.values()]
        counts = {r: given.count(r) for r in given if isinstance(r, str)}
        taken = set(part.entities)
        self.record_ids: dict[str, str] = {}
        for entity, record_id in zip(part.entities.values(), given, strict=True):
            usable = isinstance(record_id, str) and counts[record_id] == 1 and record_id not in taken - {entity.id}
            self.record_ids[entity.id] = record_id if usable and isinstance(record_id, str) else entity.id
        self.root = self.record_ids.get(self.root_entity, self.root_entity) if self.root_entity else None
        # Another publisher's record ids of the entities, to the ids this export gives them.
        self.original_ids = {
            str(_kept(e).get("recordId")): self.record_ids[e.id]
            for e in part.entities.values()
            if isinstance(_kept(e).get("recordId"), str)
        }
        self.taken_ids = set(self.record_ids.values())
        # A holding keeps its original record id when no other record has it (so that componentRecords resolve).
        holding_ids = [_kept(h).get("recordId") for h in part.holdings if not h.pending]
        self.holding_ids = {r for r in holding_ids if isinstance(r, str) and holding_ids.count(r) == 1} - self.taken_ids

    def holding_id(self, holding: Holding, numbered: str) -> str:
        """The record id of a holding's statement: the one another publisher gave it, when unique, else
        `holding:OWNER:OWNED` (numbered)."""
        given = _kept(holding).get("recordId")
        chosen = given if isinstance(given, str) and given in self.holding_ids else numbered
        self.taken_ids.add(chosen)
        return chosen

    def rid(self, entity_id: str) -> str:
        return self.record_ids.get(entity_id, entity_id)

    def body(
        self,
        record_id: str,
        record_type: str,
        subject: str,
        details: dict[str, Any],
        sources: tuple[str, ...],
        notes: list[dict[str, Any]],
        record: tuple[str, dict[str, Any]] | None,
    ) -> dict[str, Any]:
        kept_annotation = (
            [
                {
                    "statementPointerTarget": "/recordDetails",
                    "motivation": "commenting",
                    "description": "The record as xmfin holds it (read by `xmfin import bods`; other tools ignore it).",
                    XMFIN_RECORD: {"type": record[0], "digest": record_digest(details), "record": record[1]},
                }
            ]
            if record is not None
            else []
        )
        return _compact(
            {
                "declarationSubject": self.root or subject,
                "recordId": record_id,
                "recordType": record_type,
                "recordDetails": details,
                "source": self.source(sources),
                "annotations": [*self.source_annotations(sources), *notes, *kept_annotation],
            }
        )

    def kept_relationships(self, entity: Entity) -> list[dict[str, Any]]:
        """The relationships `import bods` kept with their subject (an unspecified owner, only indirect
        interests), with the interested party's record id as this export writes it."""
        found = []
        kept = _kept(entity).get("keptRelationships")
        for number, item in enumerate(kept if isinstance(kept, list) else [], start=1):
            details = _object(_object(item).get("recordDetails"))
            party = details.get("interestedParty")
            if isinstance(party, str):
                if party not in self.original_ids:
                    continue  # its interested party is not in this export
                party = self.original_ids[party]
            elif not isinstance(party, dict):
                continue
            original = record_id = item.get("recordId")
            if not isinstance(record_id, str) or record_id in self.taken_ids:
                record_id = f"kept:{entity.id}:{number}"
            self.taken_ids.add(record_id)
            interests = details.get("interests")
            details = {**details, "subject": self.rid(entity.id), "interestedParty": party}
            if "interests" in details:
                details["interests"] = [_clean_interest(i) for i in _list(interests) if isinstance(i, dict)]
            notes = [
                *_foreign(item.get("annotations")),
                {
                    "statementPointerTarget": "/",
                    "motivation": "commenting",
                    "description": "Not an xmfin holding (an unspecified owner, or indirect interests only): kept as "
                    "it was given by the publisher of the imported statements.",
                    XMFIN_KEPT: original if isinstance(original, str) else record_id,
                },
            ]
            body = self.body(record_id, "relationship", self.rid(entity.id), details, entity.sources, notes, None)
            if item.get("recordStatus") in ("new", "updated", "closed"):
                body["recordStatus"] = item["recordStatus"]
            found.append(body)
        return found

    def finish(self, body: dict[str, Any]) -> dict[str, Any]:
        content = json.dumps(body, sort_keys=True, ensure_ascii=False)
        return {
            "statementId": str(uuid.uuid5(_NAMESPACE, content)),
            "statementDate": self.day.isoformat(),
            "publicationDetails": {
                "publicationDate": self.day.isoformat(),
                "bodsVersion": BODS_VERSION,
                "publisher": {"name": PUBLISHER},
            },
            **body,
        }

    def dataset_annotation(self) -> dict[str, Any]:
        """What BODS has no place for, for `import bods` to restore: sources in full, groups, events, the
        licence taxonomy, licences, claims and pending holdings (not stated: BODS has no announced interest)."""
        part = self.part
        return {
            "statementPointerTarget": "/",
            "motivation": "commenting",
            "description": "xmfin records BODS has no place for (read back by `xmfin import bods`).",
            XMFIN_DATASET: {
                "sources": {key: data_fields(value) for key, value in part.sources.items()},
                "groups": {key: data_fields(value) for key, value in part.groups.items()},
                "events": [data_fields(value) for value in part.events],
                "families": {key: data_fields(value) for key, value in part.families.items()},
                "categories": {key: data_fields(value) for key, value in part.categories.items()},
                "licences": [data_fields(value) for value in part.licences],
                "claims": [data_fields(value) for value in part.claims],
                "pendingHoldings": [data_fields(h) for h in part.holdings if h.pending],
                # where each pending holding stands among the holdings, so the import keeps the file's order
                "pendingPositions": [n for n, h in enumerate(part.holdings) if h.pending],
            },
        }

    def known_sources(self, sources: tuple[str, ...]) -> list[Source]:
        return [self.part.sources[s] for s in sources if s in self.part.sources]

    def source(self, sources: tuple[str, ...]) -> dict[str, Any] | None:
        """One BODS source for a record's sources: third-party research, their titles, the first URL."""
        known = self.known_sources(sources)
        if not known:
            return None
        publishers = list(dict.fromkeys(s.publisher for s in known if s.publisher))
        return _compact(
            {
                "type": ["thirdParty"],
                "description": "; ".join(_source_text(s) for s in known),
                "url": next((s.url for s in known if s.url), None),
                "assertedBy": [{"name": name} for name in publishers],
            }
        )

    def source_annotations(self, sources: tuple[str, ...]) -> list[dict[str, Any]]:
        """Each source in full (id, title, publisher, date, URL) as an annotation of the whole statement."""
        found = []
        for source in self.known_sources(sources):
            found.append(
                _compact(
                    {
                        "statementPointerTarget": "/source",
                        "motivation": "linking" if source.url else "commenting",
                        "description": f"xmfin source {source.id}: {_source_text(source)}",
                        "url": source.url,
                        # A custom property (BODS allows them in annotations): the source record itself, so
                        # that `xmfin import bods` gets back the very sources, ids included.
                        XMFIN_SOURCE: {"id": source.id, **data_fields(source)},
                    }
                )
            )
        return found

    def party(self, entity: Entity) -> dict[str, Any]:
        kept = _kept(entity)
        identifiers = (
            [i for i in kept.get("identifiers", []) if isinstance(i, dict) and i.get("schemeName") != ID_SCHEME]
            if isinstance(kept.get("identifiers"), list)
            else []
        )
        identifiers.append({"id": entity.id, "schemeName": ID_SCHEME})
        former = [f.name for f in entity.former_names] + [f.name_zh for f in entity.former_names if f.name_zh]
        nameless = entity.note is not None and entity.note.startswith(_NO_NAME)
        record = ("entity", data_fields(entity, keep_id=True))
        notes = [*self.comments(entity), *_foreign(kept.get("annotations"))]
        if entity.kind == "person":
            others = {key: kept[key] for key in PERSON_KEYS if key in kept}
            names: list[Any] = [{"type": "legal", "fullName": entity.name}]
            if entity.name_zh:
                names.append({"type": "alternative", "fullName": entity.name_zh})
            names.extend({"type": "former", "fullName": name} for name in former)
            names.extend({"type": "alternative", "fullName": alias} for alias in entity.aliases)
            if isinstance(others.get("names"), list):
                found = _person_names(others)
                same = found == {
                    "name": entity.name,
                    "former": [f.name for f in entity.former_names],
                    "aliases": list(entity.aliases),
                }
                if same and not entity.name_zh:
                    names = others["names"]
            elif nameless:
                names = []
            country = entity.country
            nationalities: Any = [{"name": country, "code": country}] if country else None
            if isinstance(others.get("nationalities"), list) and (
                entity.jurisdiction is None or _person_jurisdiction(others) == entity.jurisdiction
            ):
                nationalities = others["nationalities"]
            person_type = others.get("personType")
            details = _compact(
                {
                    "isComponent": False,
                    **others,
                    "personType": person_type
                    if person_type in ("knownPerson", "anonymousPerson", "unknownPerson")
                    else "knownPerson",
                    "names": names,
                    "identifiers": identifiers,
                    "nationalities": nationalities,
                }
            )
            return self.body(self.rid(entity.id), "person", self.rid(entity.id), details, entity.sources, notes, record)
        others = {key: kept[key] for key in ENTITY_KEYS if key in kept}
        alternate = [n for n in (entity.name_zh, *former, *entity.aliases) if n]
        entity_type: Any = {"type": ENTITY_TYPE_OF_KIND.get(entity.kind, "registeredEntity"), "details": entity.kind}
        if isinstance(others.get("entityType"), dict) and _kind(others["entityType"]) == entity.kind:
            entity_type = others["entityType"]
        jurisdiction: Any = {"name": entity.jurisdiction, "code": entity.jurisdiction} if entity.jurisdiction else None
        if isinstance(others.get("jurisdiction"), dict) and (
            entity.jurisdiction is None or _entity_jurisdiction(others) == entity.jurisdiction
        ):
            jurisdiction = others["jurisdiction"]
        details = _compact(
            {
                "isComponent": False,
                **others,
                "entityType": entity_type,
                "name": None if nameless else entity.name,
                "alternateNames": list(dict.fromkeys(alternate)),
                "jurisdiction": jurisdiction,
                "identifiers": identifiers,
                "foundingDate": _start(entity.founded),
                "dissolutionDate": entity.dissolved.last.isoformat() if entity.dissolved else None,
            }
        )
        return self.body(self.rid(entity.id), "entity", self.rid(entity.id), details, entity.sources, notes, record)

    def comments(self, entity: Entity) -> list[dict[str, Any]]:
        """The entity's description, note and licences, as comments on its statement (for people to read)."""
        texts = []
        if entity.description:
            texts.append(("/recordDetails", f"Description: {entity.description}"))
        if entity.note:
            texts.append(("/recordDetails", f"Note: {entity.note}"))
        for licence in self.licences.get(entity.id, []):
            texts.append(("/recordDetails", f"Licence: {_licence_text(self.part, licence)}"))
        return [
            {"statementPointerTarget": target, "motivation": "commenting", "description": text, XMFIN_COMMENT: True}
            for target, text in texts
        ]

    def holding(self, holding: Holding, record_id: str) -> dict[str, Any]:
        kept = _kept(holding)
        interests = [self.interest(holding, kept)]
        for other in kept.get("otherInterests", []) if isinstance(kept.get("otherInterests"), list) else []:
            if isinstance(other, dict):
                interests.append(_folded_interest(other))
        indirect = kept.get("indirectInterests")
        for item in indirect if isinstance(indirect, list) else []:
            if isinstance(item, list) and len(item) == 2 and isinstance(item[0], int) and isinstance(item[1], dict):
                # At its place in the original, with what BODS would refuse left out.
                interests.insert(max(0, min(item[0], len(interests))), _clean_interest(item[1]))
        unstated = kept.get("interests") == "none stated" and holding.stake is None and holding.control == "other"
        components = kept.get("componentRecords")
        details = _compact(
            {
                "isComponent": kept.get("isComponent") is True,
                "componentRecords": components
                if isinstance(components, list) and all(isinstance(c, str) for c in components)
                else None,
                "subject": self.rid(holding.owned),
                "interestedParty": self.rid(holding.owner),
                "interests": None if unstated and not holding.note and not holding.since else interests,
            }
        )
        record = ("holding", data_fields(holding))
        notes = _foreign(kept.get("annotations"))
        return self.body(record_id, "relationship", self.rid(holding.owned), details, holding.sources, notes, record)

    @staticmethod
    def interest(holding: Holding, kept: dict[str, Any]) -> dict[str, Any]:
        interest_type = INTEREST_OF_CONTROL[holding.control]
        given = kept.get("interestType")
        if (
            isinstance(given, str)
            and given in INTEREST_TYPES
            and CONTROL_OF_INTEREST.get(given, "other") == holding.control
        ):
            interest_type = given
        share = _share(holding)
        if share is None and _valid_share(kept.get("share")):
            share = kept["share"]
        directness = kept.get("directOrIndirect")
        if directness is None and "recordId" in kept:
            directness = "omitted"  # another publisher did not say: neither does the export
        untyped = "recordId" in kept and "interestType" not in kept and holding.control == "other"
        return _compact(
            {
                "type": None if untyped else interest_type,  # another publisher gave no type: none is made up
                "directOrIndirect": None
                if directness == "omitted"
                else directness
                if directness in ("direct", "unknown")
                else "direct",
                "beneficialOwnershipOrControl": kept.get("beneficialOwnershipOrControl")
                if isinstance(kept.get("beneficialOwnershipOrControl"), bool)
                else None,
                "details": holding.note or (VIE_DETAILS if holding.control == "vie" else None),
                "share": share,
                "startDate": _start(holding.since),
                "endDate": _end(holding.until),
            }
        )

    def role(self, role: Role, record_id: str) -> dict[str, Any]:
        interest = _compact(
            {
                "type": role_interest(role.title),
                "directOrIndirect": "direct",
                "details": role.title,
                "startDate": _start(role.since),
                "endDate": _end(role.until),
            }
        )
        details = {
            "isComponent": False,
            "subject": self.rid(role.of),
            "interestedParty": self.rid(role.holder),
            "interests": [interest],
        }
        record = ("role", data_fields(role))
        return self.body(record_id, "relationship", self.rid(role.of), details, role.sources, [], record)


def _folded_interest(other: dict[str, Any]) -> dict[str, Any]:
    """An interest `import bods` kept under extra.bods.otherInterests, as BODS again."""
    control = other.get("control") if other.get("control") in INTEREST_OF_CONTROL else "other"
    given = other.get("interestType")
    kind = given if isinstance(given, str) and given in INTEREST_TYPES else INTEREST_OF_CONTROL[str(control)]
    share: dict[str, Any] = {}
    if isinstance(other.get("stake"), (int, float)):
        share["exact"] = other["stake"]
    for key, flag, inclusive, exclusive in (
        ("stake_min", "stake_min_exclusive", "minimum", "exclusiveMinimum"),
        ("stake_max", "stake_max_exclusive", "maximum", "exclusiveMaximum"),
    ):
        if isinstance(other.get(key), (int, float)):
            share[exclusive if other.get(flag) else inclusive] = other[key]
    since = other.get("since")
    until = other.get("until")
    from xmfin.dates import DateError, parse_date

    def date(text: Any, end: bool) -> str | None:
        if not isinstance(text, str):
            return None
        try:
            return _end(parse_date(text)) if end else _start(parse_date(text))
        except DateError:
            return None

    directness = other.get("directOrIndirect")
    return _compact(
        {
            "type": kind,
            "directOrIndirect": directness if directness in ("direct", "unknown") else "direct",
            "beneficialOwnershipOrControl": other.get("beneficialOwnershipOrControl")
            if isinstance(other.get("beneficialOwnershipOrControl"), bool)
            else None,
            "details": other.get("note") if isinstance(other.get("note"), str) else None,
            "share": share or (other["share"] if _valid_share(other.get("share")) else None),
            "startDate": date(since, False),
            "endDate": date(until, True),
        }
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _clean_interest(interest: dict[str, Any]) -> dict[str, Any]:
    """An interest kept from another publisher, with every value BODS 0.4 would refuse left out (a share of
    text, an unknown type, a date that is not a full date): the export is valid whatever the import read."""
    clean: dict[str, Any] = {}
    for key, value in interest.items():
        good = (
            (key == "type" and value in INTEREST_TYPES)
            or (key == "directOrIndirect" and value in ("direct", "indirect", "unknown"))
            or (key == "beneficialOwnershipOrControl" and isinstance(value, bool))
            or (key == "details" and isinstance(value, str))
            or (key == "share" and _valid_share(value))
            or (key in ("startDate", "endDate") and isinstance(value, str) and _full_date(value))
        )
        if good:
            clean[key] = value
    return clean


def _full_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _valid_share(share: Any) -> bool:
    """Whether a share kept by `import bods` can be written back as valid BODS (numbers from 0 to 100)."""
    keys = ("exact", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
    return (
        isinstance(share, dict)
        and bool(share)
        and all(
            key in keys and isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 100
            for key, value in share.items()
        )
    )


def _foreign(annotations: Any) -> list[dict[str, Any]]:
    """Another publisher's annotations, as `import bods` kept them."""
    return [a for a in annotations if isinstance(a, dict)] if isinstance(annotations, list) else []


def _source_text(source: Source) -> str:
    parts = [source.title]
    if source.publisher:
        parts.append(source.publisher)
    if source.published:
        parts.append(source.published.text)
    return ", ".join(parts)


def _licence_text(part: Dataset, licence: Licence) -> str:
    category = part.categories.get(licence.category)
    text = f"{category.name if category else licence.category} ({licence.category})"
    if licence.regulator:
        text += f", regulator {licence.regulator}"
    if licence.number:
        text += f", number {licence.number}"
    if licence.granted:
        text += f", granted {licence.granted.text}"
    if licence.revoked:
        text += f", revoked {licence.revoked.text}"
    return text
