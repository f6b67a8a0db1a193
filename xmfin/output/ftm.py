"""`xmfin export --format ftm`: the records as FollowTheMoney entities, one JSON object a line.

FollowTheMoney (FtM) is the data model of OCCRP Aleph and OpenSanctions. Each line is an entity
`{"id", "schema", "properties"}` whose property values are lists of strings (dates as ISO text, possibly
partial: `2015`, `2015-06`). Mapping (docs/ftm.md has it in full, with what does not survive):

- an entity of kind person is a `Person`; a state a `PublicBody`; a company a `Company`; a partnership or fund
  a `LegalEntity`, or a `Company` when something owns it (FtM's `Ownership.asset` must be an `Asset`, which
  `Company` is and `LegalEntity` is not), with the kind in `legalForm`;
- a holding is an `Ownership` (`owner`, `asset`, `percentage`, `startDate`, `endDate`, `ownershipType` one
  of `equity`, `vie`, `voting`, `other`, `status: pending` for a pending one, `summary` the note);
- a role is a `Directorship` (`director`, `organization`, `role` the title, dates);
- the sources of each record are its `publisher` and `sourceUrl` values.

Entities keep their xmfin ids as FtM ids; an Ownership's id is `holding-OWNER-OWNED` (`-2`, ... for a second one
between the same two entities), a Directorship's `role-HOLDER-OF`. As with BODS, records that start after the
`--as-of` day are left out and ends after it are not yet known.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

from xmfin.model import Dataset, Entity, Holding, Role, Source

# The FtM schema of each xmfin kind (of an entity nothing owns).
SCHEMA_OF_KIND = {
    "person": "Person",
    "state": "PublicBody",
    "company": "Company",
    "partnership": "LegalEntity",
    "fund": "LegalEntity",
}
# FtM's Directorship.organization must be an Organization: a Company or PublicBody is one, a LegalEntity not.
ORGANIZATIONS = frozenset({"Company", "PublicBody", "Organization"})


def lines(part: Dataset, day: dt.date) -> Iterator[str]:
    """One FtM entity a line: entities first, then ownerships, then directorships."""
    from xmfin.output.bods import known_on

    known = known_on(part, day)
    for entity in entities(known):
        yield json.dumps(entity, ensure_ascii=False, sort_keys=True) + "\n"


def entities(part: Dataset) -> list[dict[str, Any]]:
    """The FtM entities of a data folder's records."""
    owned = {h.owned for h in part.holdings}
    schemas = {key: schema_of(entity, key in owned) for key, entity in part.entities.items()}
    found = [_entity(part, entity, schemas[entity.id]) for entity in part.entities.values()]
    seen: dict[str, int] = {}
    for holding in part.holdings:
        found.append(_ownership(part, holding, _numbered(seen, f"holding-{holding.owner}-{holding.owned}")))
    for role in part.roles:
        if schemas.get(role.of) in ORGANIZATIONS and role.holder in schemas:
            found.append(_directorship(part, role, _numbered(seen, f"role-{role.holder}-{role.of}")))
    return found


def schema_of(entity: Entity, owned: bool) -> str:
    """The FtM schema of an entity: by its kind, and a Company when something owns it (an FtM Asset)."""
    if entity.kind == "person":
        return "Person"
    return "Company" if owned else SCHEMA_OF_KIND.get(entity.kind, "Company")


def _numbered(seen: dict[str, int], base: str) -> str:
    seen[base] = seen.get(base, 0) + 1
    return base if seen[base] == 1 else f"{base}-{seen[base]}"


def _sourced(part: Dataset, sources: tuple[str, ...]) -> dict[str, list[str]]:
    known: list[Source] = [part.sources[s] for s in sources if s in part.sources]
    return {
        "publisher": list(dict.fromkeys(s.publisher for s in known if s.publisher)),
        "sourceUrl": list(dict.fromkeys(s.url for s in known if s.url)),
    }


# What FtM's text cleaning removes (C0 and C1 controls but tab and line breaks, surrogates): a value left empty
# by it, such as a name of spaces, is not a value there.
_UNCLEAN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _clean(value: str) -> str:
    return _UNCLEAN.sub("", value).strip()


# The longest value FtM's types take (followthemoney's `max_length`): a longer one fails its validation, so it is
# cut to fit (a name of 2 MB made an invalid line). Properties not named are `string` (1024).
_MAX_LENGTH = {
    **dict.fromkeys(("name", "alias", "previousName"), 384),
    **dict.fromkeys(("description", "notes", "summary"), 65000),
    "sourceUrl": 4096,
}
_DATES = ("incorporationDate", "dissolutionDate", "startDate", "endDate")
_REFERENCES = ("owner", "asset", "director", "organization")
MAX_ID = 200  # FtM's longest entity reference


def ftm_id(entity_id: str) -> str:
    """An id FtM can refer to: itself, or when longer than 200 characters its start and a digest of the whole."""
    if len(entity_id) <= MAX_ID:
        return entity_id
    return entity_id[: MAX_ID - 17] + "-" + hashlib.sha256(entity_id.encode("utf-8")).hexdigest()[:16]


def _fits(key: str, value: str) -> str:
    if key in _DATES and value[:4] < "1000":
        return ""  # FtM's dates start at year 1000: an earlier one is left out
    if key in _REFERENCES:
        return ftm_id(value)
    return value[: _MAX_LENGTH.get(key, 1024)].strip()


def _made(entity_id: str, schema: str, properties: dict[str, list[str]]) -> dict[str, Any]:
    entity_id = ftm_id(entity_id)
    cleaned = {
        key: [c for c in dict.fromkeys(_fits(key, _clean(v)) for v in vs) if c] for key, vs in properties.items()
    }
    if schema in SCHEMA_OF_KIND.values() and not cleaned.get("name"):
        cleaned["name"] = [entity_id]  # FtM requires a name: the id stands in for a name of spaces
    return {"id": entity_id, "schema": schema, "properties": {k: v for k, v in cleaned.items() if v}}


def _entity(part: Dataset, entity: Entity, schema: str) -> dict[str, Any]:
    country = [entity.country.lower()] if entity.country else []
    properties: dict[str, list[str]] = {
        "name": [entity.name],
        "alias": [n for n in (entity.name_zh, *entity.aliases) if n],
        "previousName": [n for f in entity.former_names for n in (f.name, f.name_zh) if n],
        "description": [entity.description] if entity.description else [],
        "notes": [entity.note] if entity.note else [],
        **_sourced(part, entity.sources),
    }
    if schema == "Person":
        properties["nationality"] = country
    else:
        properties["jurisdiction"] = country
        properties["incorporationDate"] = [entity.founded.text] if entity.founded else []
        properties["dissolutionDate"] = [entity.dissolved.text] if entity.dissolved else []
        if entity.kind != "company":
            properties["legalForm"] = [entity.kind]
    return _made(entity.id, schema, properties)


def percentage(holding: Holding) -> str | None:
    """The stake as FtM's (text) percentage: `60`, or a range such as `75-<100` or `>25-50`."""
    if holding.stake is not None:
        return f"{holding.stake:g}"
    if holding.stake_min is None and holding.stake_max is None:
        return None
    low = "" if holding.stake_min is None else (">" if holding.stake_min_exclusive else "") + f"{holding.stake_min:g}"
    high = "" if holding.stake_max is None else ("<" if holding.stake_max_exclusive else "") + f"{holding.stake_max:g}"
    return f"{low}-{high}"


def _ownership(part: Dataset, holding: Holding, record_id: str) -> dict[str, Any]:
    stake = percentage(holding)
    properties = {
        "owner": [holding.owner],
        "asset": [holding.owned],
        "percentage": [stake] if stake is not None else [],
        "ownershipType": [holding.control],
        "startDate": [holding.since.text] if holding.since else [],
        "endDate": [holding.until.text] if holding.until else [],
        "status": ["pending"] if holding.pending else [],
        "summary": [holding.note] if holding.note else [],
        **_sourced(part, holding.sources),
    }
    return _made(record_id, "Ownership", properties)


def _directorship(part: Dataset, role: Role, record_id: str) -> dict[str, Any]:
    properties = {
        "director": [role.holder],
        "organization": [role.of],
        "role": [role.title],
        "startDate": [role.since.text] if role.since else [],
        "endDate": [role.until.text] if role.until else [],
        "summary": [role.note] if role.note else [],
        **_sourced(part, role.sources),
    }
    return _made(record_id, "Directorship", properties)
