"""Everything the data says about one entity, for `xmfin show` and the library API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from xmfin.graph import Effective, OwnershipGraph
from xmfin.model import Dataset, Entity, Group, Holding, Licence, Role


@dataclass(frozen=True, slots=True)
class Membership:
    """A group that reaches the entity on the day, with the group root's effective stake and control."""

    group: Group
    effective: Effective
    controlled: bool | None


@dataclass(frozen=True, slots=True)
class Profile:
    """One entity's facts, active or not on `day` (the records say when), and every source they cite."""

    data: Dataset
    day: dt.date
    entity: Entity
    owners: list[Holding]
    holdings: list[Holding]
    licences: list[Licence]
    roles: list[Role]
    groups: list[Membership]
    sources: list[str]


def entity_profile(graph: OwnershipGraph, entity_id: str) -> Profile:
    """The profile of one entity on the graph's day."""
    data = graph.full
    entity = data.entities[entity_id]
    owners = [h for h in data.holdings if h.owned == entity_id]
    holdings = [h for h in data.holdings if h.owner == entity_id]
    licences = [lic for lic in data.licences if lic.holder == entity_id]
    roles = [r for r in data.roles if entity_id in (r.holder, r.of)]
    groups: list[Membership] = []
    if graph.exists(entity_id):
        above = graph.effective_to(entity_id)
        control = graph.control_to(entity_id)
        groups = [
            Membership(group, above[group.root], control.get(group.root, False))
            for group in data.groups.values()
            if group.root in above
        ]
    cited: dict[str, None] = dict.fromkeys(entity.sources)
    for sources in (
        *(f.sources for f in entity.figures),
        *(h.sources for h in (*owners, *holdings)),
        *(lic.sources for lic in licences),
        *(r.sources for r in roles),
    ):
        cited.update(dict.fromkeys(sources))
    return Profile(data, graph.day, entity, owners, holdings, licences, roles, groups, list(cited))
