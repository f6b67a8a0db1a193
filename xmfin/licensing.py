"""Who holds which licence family or category on a day, through which member and at what stake; gaps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from xmfin.dates import active
from xmfin.graph import Effective, OwnershipGraph
from xmfin.model import Claim, Dataset, Group, Licence


def active_licences(data: Dataset, day: dt.date) -> list[Licence]:
    """The licences granted on or before day and not revoked by it."""
    return [lic for lic in data.licences if active(lic.granted, lic.revoked, day)]


def licences_by_holder(data: Dataset, day: dt.date) -> dict[str, list[Licence]]:
    """Active licences indexed by holder id, in file order."""
    found: dict[str, list[Licence]] = {}
    for licence in active_licences(data, day):
        found.setdefault(licence.holder, []).append(licence)
    return found


@dataclass(frozen=True, slots=True)
class HeldLicence:
    """A licence a group holds through one member, with the group's effective stake and control of it."""

    licence: Licence
    family: str
    effective: Effective
    controlled: bool


@dataclass(frozen=True, slots=True)
class Filters:
    """Which holders count: `min_stake` against the effective stake's lower bound; `controlled` only."""

    min_stake: float | None = None
    controlled: bool = False

    def admit(self, held: HeldLicence) -> bool:
        if self.min_stake is not None and held.effective.lower_bound < self.min_stake:
            return False
        return held.controlled or not self.controlled


def group_licences(
    graph: OwnershipGraph,
    group: Group,
    filters: Filters = Filters(),
    *,
    by_holder: dict[str, list[Licence]] | None = None,
) -> list[HeldLicence]:
    """Every active licence held by a member of group on the graph's day, that the filters admit."""
    data = graph.data
    holders = by_holder if by_holder is not None else licences_by_holder(data, graph.day)
    effective = graph.effective_from(group.root)
    controlled = graph.controlled_from(group.root)
    found: list[HeldLicence] = []
    for member in graph.members(group.root):
        for licence in holders.get(member, ()):
            held = HeldLicence(licence, data.family_of(licence.category), effective[member], member in controlled)
            if filters.admit(held):
                found.append(held)
    found.sort(key=lambda h: (-h.effective.lower_bound, h.licence.holder, h.licence.category))
    return found


def claims_of(data: Dataset, group: str, day: dt.date) -> list[Claim]:
    """The claims about group made on or before day (a claim with no date always counts)."""
    return [c for c in data.claims if c.group == group and (c.as_of is None or c.as_of.first <= day)]


@dataclass(slots=True)
class GapRow:
    """One family (or category) across the groups: what each holds, what is claimed, whether it is a gap."""

    key: str
    name: str
    core: bool
    held: dict[str, list[HeldLicence]] = field(default_factory=dict)
    claimed: dict[str, list[Claim]] = field(default_factory=dict)
    gap: bool = False


@dataclass(slots=True)
class GapTable:
    group: str
    peers: list[str]
    by: str  # "family" or "category"
    rows: list[GapRow]

    @property
    def gaps(self) -> list[str]:
        return [row.key for row in self.rows if row.gap]


def gap_table(
    graph: OwnershipGraph,
    group: str,
    peers: list[str],
    *,
    strict: bool = False,
    core: bool = False,
    filters: Filters = Filters(),
) -> GapTable:
    """The licence-gap table of group against peers on the graph's day (see data-format.md, Licence gaps)."""
    data = graph.data
    by_holder = licences_by_holder(data, graph.day)
    columns = [group, *[p for p in peers if p != group]]
    held = {g: group_licences(graph, data.groups[g], filters, by_holder=by_holder) for g in columns}
    claims = {g: claims_of(data, g, graph.day) for g in columns}
    rows: list[GapRow] = []
    if strict:
        keys = [
            (cid, cat.name, cat.family)
            for cid, cat in data.categories.items()
            if not core or data.families[cat.family].core
        ]
    else:
        keys = [(fid, fam.name, fid) for fid, fam in data.families.items() if not core or fam.core]
    for key, name, family in keys:
        row = GapRow(key, name, data.families[family].core)
        for g in columns:
            row.held[g] = [h for h in held[g] if (h.licence.category if strict else h.family) == key]
            row.claimed[g] = [c for c in claims[g] if c.family == family]
        row.gap = not row.held[group] and any(row.held[p] for p in columns[1:])
        rows.append(row)
    return GapTable(group, columns[1:], "category" if strict else "family", rows)
