"""`xmfin export --format bods`: the records as Beneficial Ownership Data Standard 0.4 statements.

Mapping (the README has the table): an entity becomes an entity statement (a person a person statement) with
its xmfin id as an identifier of scheme name `xmfin`; a holding becomes a relationship statement whose
subject is the owned entity and interested party the owner, with one direct interest: `shareholding`
(equity, `share.exact` = stake), `rightsGrantedByContract` (a VIE: control by contract), `votingRights`, or
`otherInfluenceOrControl`; a role becomes a relationship with a `boardChair`, `boardMember` or
`seniorManagingOfficial` interest. BODS dates are full dates, so a partial start date becomes the first day
of its period and an end date the last day. Licences and the entity's description and note travel as
annotations; claims and figures have no place in BODS and are left out.

Statement ids are uuid5 of the statement's content without its dates, so that two exports of unchanged
records have the same ids and diff cleanly.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from xmfin.dates import PartialDate
from xmfin.model import Dataset, Entity, Group, Holding, Licence, Role, Source

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


def role_interest(title: str) -> str:
    """The BODS interest type of a role title: chairs, board members, else senior managing officials."""
    folded = title.casefold()
    if "chair" in folded:
        return "boardChair"
    if "director" in folded or "board" in folded:
        return "boardMember"
    return "seniorManagingOfficial"


def statements(part: Dataset, day: dt.date, group: Group | None = None) -> list[dict[str, Any]]:
    """Every statement of the export: entities and persons first, then holdings, then roles.

    `declarationSubject` is the group's root with a group; without one, an entity's own record and a
    relationship's subject (the entity whose owners are declared).
    """
    builder = _Builder(part, day, group)
    found = [builder.party(entity) for entity in part.entities.values()]
    found.extend(builder.holding(holding, record_id) for holding, record_id in _numbered_holdings(part))
    found.extend(builder.role(role, record_id) for role, record_id in _numbered_roles(part))
    return found


def to_json(part: Dataset, day: dt.date, group: Group | None = None) -> str:
    """The statements as one JSON array (the form `libcovebods` and the BODS tools read)."""
    return json.dumps(statements(part, day, group), ensure_ascii=False, indent=2) + "\n"


def _numbered_holdings(part: Dataset) -> list[tuple[Holding, str]]:
    seen: dict[tuple[str, str], int] = {}
    numbered = []
    for holding in part.holdings:
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
    return date.last.isoformat() if date else None


def _compact(fields: dict[str, Any]) -> dict[str, Any]:
    """Leave out absent values: BODS has no nulls."""
    return {key: value for key, value in fields.items() if value is not None and value != [] and value != {}}


class _Builder:
    def __init__(self, part: Dataset, day: dt.date, group: Group | None) -> None:
        self.part = part
        self.day = day
        self.root = group.root if group else None
        self.licences: dict[str, list[Licence]] = {}
        for licence in part.licences:
            self.licences.setdefault(licence.holder, []).append(licence)

    def statement(
        self,
        record_id: str,
        record_type: str,
        subject: str,
        details: dict[str, Any],
        sources: tuple[str, ...],
        notes: list[dict[str, Any]],
    ) -> dict[str, Any]:
        body = _compact(
            {
                "declarationSubject": self.root or subject,
                "recordId": record_id,
                "recordType": record_type,
                "recordDetails": details,
                "source": self.source(sources),
                "annotations": [*self.source_annotations(sources), *notes],
            }
        )
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
                        "xmfinSource": _compact(
                            {
                                "id": source.id,
                                "title": source.title,
                                "publisher": source.publisher,
                                "published": source.published.text if source.published else None,
                                "url": source.url,
                                "note": source.note,
                            }
                        ),
                    }
                )
            )
        return found

    def party(self, entity: Entity) -> dict[str, Any]:
        identifiers = [{"id": entity.id, "schemeName": ID_SCHEME}]
        former = [f.name for f in entity.former_names] + [f.name_zh for f in entity.former_names if f.name_zh]
        if entity.kind == "person":
            names = [{"type": "legal", "fullName": entity.name}]
            if entity.name_zh:
                names.append({"type": "alternative", "fullName": entity.name_zh})
            names.extend({"type": "former", "fullName": name} for name in former)
            names.extend({"type": "alternative", "fullName": alias} for alias in entity.aliases)
            country = entity.country
            details = _compact(
                {
                    "isComponent": False,
                    "personType": "knownPerson",
                    "names": names,
                    "identifiers": identifiers,
                    "nationalities": [{"name": country, "code": country}] if country else None,
                }
            )
            return self.statement(entity.id, "person", entity.id, details, entity.sources, self.comments(entity))
        alternate = [n for n in (entity.name_zh, *former, *entity.aliases) if n]
        details = _compact(
            {
                "isComponent": False,
                "entityType": {
                    "type": ENTITY_TYPE_OF_KIND.get(entity.kind, "registeredEntity"),
                    "details": entity.kind,
                },
                "name": entity.name,
                "alternateNames": list(dict.fromkeys(alternate)),
                "jurisdiction": {"name": entity.jurisdiction, "code": entity.jurisdiction}
                if entity.jurisdiction
                else None,
                "identifiers": identifiers,
                "foundingDate": _start(entity.founded),
                "dissolutionDate": _end(entity.dissolved),
            }
        )
        return self.statement(entity.id, "entity", entity.id, details, entity.sources, self.comments(entity))

    def comments(self, entity: Entity) -> list[dict[str, Any]]:
        """The entity's description, note and licences, as comments on its statement."""
        texts = []
        if entity.description:
            texts.append(("/recordDetails", f"Description: {entity.description}"))
        if entity.note:
            texts.append(("/recordDetails", f"Note: {entity.note}"))
        for licence in self.licences.get(entity.id, []):
            texts.append(("/recordDetails", f"Licence: {_licence_text(self.part, licence)}"))
        return [
            {"statementPointerTarget": target, "motivation": "commenting", "description": text}
            for target, text in texts
        ]

    def holding(self, holding: Holding, record_id: str) -> dict[str, Any]:
        interest_type = INTEREST_OF_CONTROL[holding.control]
        details_text = "VIE: control by contract (variable interest entity)" if holding.control == "vie" else None
        if holding.note:
            details_text = f"{details_text}. {holding.note}" if details_text else holding.note
        interest = _compact(
            {
                "type": interest_type,
                "directOrIndirect": "direct",
                "details": details_text,
                "share": {"exact": holding.stake} if holding.stake is not None else None,
                "startDate": _start(holding.since),
                "endDate": _end(holding.until),
            }
        )
        details = {
            "isComponent": False,
            "subject": holding.owned,
            "interestedParty": holding.owner,
            "interests": [interest],
        }
        return self.statement(record_id, "relationship", holding.owned, details, holding.sources, [])

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
        details = {"isComponent": False, "subject": role.of, "interestedParty": role.holder, "interests": [interest]}
        return self.statement(record_id, "relationship", role.of, details, role.sources, [])


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
