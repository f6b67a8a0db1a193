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
    columns = list(dict.fromkeys([group, *peers]))  # a peer named twice, or the group itself, is one column
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


@dataclass(slots=True)
class MatrixRow:
    """One family (or category) across every group: what each holds and what is claimed for it."""

    key: str
    name: str
    core: bool
    held: dict[str, list[HeldLicence]] = field(default_factory=dict)
    claimed: dict[str, list[Claim]] = field(default_factory=dict)


@dataclass(slots=True)
class Matrix:
    """Every group (columns, in file order) against every family or category (rows, in taxonomy order)."""

    groups: list[str]
    by: str  # "family" or "category"
    rows: list[MatrixRow]


def licence_matrix(
    graph: OwnershipGraph, *, strict: bool = False, core: bool = False, filters: Filters = Filters()
) -> Matrix:
    """Who holds what, for every group of the data on the graph's day; UsageError when there is no group."""
    from xmfin.errors import UsageError

    groups = list(graph.data.groups)
    if not groups:
        raise UsageError("the data names no group: a matrix needs at least one (add one under 'groups:')")
    # The gap table of the first group against all the others holds every cell of the matrix already.
    table = gap_table(graph, groups[0], groups[1:], strict=strict, core=core, filters=filters)
    rows = [MatrixRow(row.key, row.name, row.core, row.held, row.claimed) for row in table.rows]
    return Matrix(groups, table.by, rows)


@dataclass(frozen=True, slots=True)
class GroupStake:
    """A group whose members include a licence's holder, with the root's effective stake and control."""

    group: str
    effective: Effective
    controlled: bool


@dataclass(frozen=True, slots=True)
class LicenceRow:
    """One licence as `xmfin licences` lists it: family, jurisdiction, active on the day, and groups."""

    licence: Licence
    family: str
    jurisdiction: str | None
    active: bool
    groups: tuple[GroupStake, ...]


@dataclass(frozen=True, slots=True)
class LicenceQuery:
    """Which licences to list; ids already resolved. `everything` keeps revoked and not-yet-granted ones."""

    group: str | None = None
    family: str | None = None
    category: str | None = None
    jurisdiction: str | None = None
    everything: bool = False


def in_jurisdiction(code: str | None, wanted: str) -> bool:
    """Whether code is the jurisdiction wanted or one of its subdivisions (`CN` covers `CN-CQ`)."""
    return code is not None and (code == wanted or code.startswith(wanted + "-"))


def licence_list(graph: OwnershipGraph, query: LicenceQuery = LicenceQuery()) -> list[LicenceRow]:
    """The licences query selects, in taxonomy order (family, category), then by holder name and grant date.

    Each row names every group whose members include the holder on the graph's day.
    """
    data, day = graph.data, graph.day
    stakes: dict[str, tuple[dict[str, Effective], set[str]]] = {
        gid: (graph.effective_from(group.root), graph.controlled_from(group.root)) for gid, group in data.groups.items()
    }
    family_order = {fid: n for n, fid in enumerate(data.families)}
    category_order = {cid: n for n, cid in enumerate(data.categories)}
    rows: list[LicenceRow] = []
    for licence in data.licences:
        is_active = active(licence.granted, licence.revoked, day)
        family = data.family_of(licence.category)
        holder = data.entities[licence.holder]
        jurisdiction = licence.jurisdiction or holder.jurisdiction
        groups = tuple(
            GroupStake(gid, effective[licence.holder], licence.holder in controlled)
            for gid, (effective, controlled) in stakes.items()
            if licence.holder in effective
        )
        if (
            (is_active or query.everything)
            and query.family in (None, family)
            and query.category in (None, licence.category)
            and (query.jurisdiction is None or in_jurisdiction(jurisdiction, query.jurisdiction))
            and (query.group is None or any(g.group == query.group for g in groups))
        ):
            rows.append(LicenceRow(licence, family, jurisdiction, is_active, groups))
    rows.sort(
        key=lambda row: (
            family_order.get(row.family, len(family_order)),
            category_order.get(row.licence.category, len(category_order)),
            data.entities[row.licence.holder].name.casefold(),
            row.licence.holder,
            row.licence.granted.first if row.licence.granted else dt.date.min,
        )
    )
    return rows
