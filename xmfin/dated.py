"""The records as they stood on one day: only entities that existed, each under the name it had then.

Every question about a day (trees, chains, members, licences, gaps, diagrams, graph exports) is asked of this
view, so an entity not yet founded or already dissolved is no node, member or licence holder, and a company
renamed since is shown under its name of the day. `show`, `search`, `sources` and the record exports keep
the whole data: they say when each fact held.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from xmfin.dates import PartialDate, active
from xmfin.model import Dataset, Entity, FormerName


def exists(entity: Entity, day: dt.date) -> bool:
    """Whether the entity existed on day: founded by then (from the first day of `founded`), not yet dissolved."""
    if entity.founded is not None and day < entity.founded.first:
        return False
    return entity.dissolved is None or day <= entity.dissolved.last


def in_force(since: PartialDate | None, until: PartialDate | None, day: dt.date, *entities: Entity) -> bool:
    """Whether a dated record (a holding, licence or role) held on day: its own period covers the day and every
    entity it links existed then (a holding of a company dissolved since, with no `until`, ended with it)."""
    return active(since, until, day) and all(exists(entity, day) for entity in entities)


def ended_by(until: PartialDate | None, *entities: Entity) -> PartialDate | None:
    """The day a record without its own end stopped because one of its entities was dissolved (the earliest such
    dissolution), or None when it has an `until` or none of them was dissolved."""
    if until is not None:
        return None
    ends = [entity.dissolved for entity in entities if entity.dissolved is not None]
    return min(ends, key=lambda end: end.last) if ends else None


def former_name_on(entity: Entity, day: dt.date) -> FormerName | None:
    """The former name in use on day, if any: of those whose dates cover the day, the one that ended first.

    A former name without `until` cannot be placed in time (when did it stop?) and is never chosen: the
    current name stands.
    """
    best: FormerName | None = None
    for former in entity.former_names:
        if former.until is None:
            continue
        if former.since is not None and day < former.since.first:
            continue
        if former.until is not None and day > former.until.last:
            continue
        if best is None or _end(former) < _end(best):
            best = former
    return best


def _end(former: FormerName) -> dt.date:
    return former.until.last if former.until is not None else dt.date.max


def as_named_on(entity: Entity, day: dt.date) -> Entity:
    """The entity under the name it had on day (the Chinese name too, where the former name gives one)."""
    former = former_name_on(entity, day)
    if former is None:
        return entity
    return dataclasses.replace(entity, name=former.name, name_zh=former.name_zh or entity.name_zh)


def on_day(data: Dataset, day: dt.date) -> Dataset:
    """The view of data on day: entities that existed then, under their names of the day, and the holdings,
    roles and licences whose entities all existed. Sources, groups, taxonomy, claims and events are shared."""
    entities: dict[str, Entity] = {}
    for key, entity in data.entities.items():
        if exists(entity, day):
            entities[key] = as_named_on(entity, day) if entity.former_names else entity
    if len(entities) == len(data.entities) and not any(e.former_names for e in data.entities.values()):
        return data
    return Dataset(
        path=data.path,
        sources=data.sources,
        groups=data.groups,
        entities=entities,
        holdings=[h for h in data.holdings if h.owner in entities and h.owned in entities],
        roles=[r for r in data.roles if r.holder in entities and r.of in entities],
        events=data.events,
        families=data.families,
        categories=data.categories,
        licences=[lic for lic in data.licences if lic.holder in entities],
        claims=data.claims,
    )
