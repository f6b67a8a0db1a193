"""Who holds which licence family or category on a day, through which member and at what stake; gaps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from xmfin.dates import active
from xmfin.graph import Effective, OwnershipGraph
from xmfin.model import Claim, Dataset, Group, Holding, Licence


def active_licences(data: Dataset, day: dt.date) -> list[Licence]:
    """The licences granted on or before day and not revoked by it (pending ones are not granted)."""
    return [lic for lic in data.licences if not lic.pending and active(lic.granted, lic.revoked, day)]


def licences_by_holder(data: Dataset, day: dt.date) -> dict[str, list[Licence]]:
    """Active licences indexed by holder id, in file order."""
    found: dict[str, list[Licence]] = {}
    for licence in active_licences(data, day):
        found.setdefault(licence.holder, []).append(licence)
    return found


def kleene_and(*values: bool | None) -> bool | None:
    """SQL's AND of three-valued truths: False wins, then None (unknown), then True."""
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def kleene_or(*values: bool | None) -> bool | None:
    """SQL's OR of three-valued truths: True wins, then None (unknown), then False."""
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


@dataclass(frozen=True, slots=True)
class HeldLicence:
    """A licence a group holds through one member, with the group's effective stake and control of it.

    `controlled` and `counts` are three-valued: `counts` says whether the holder meets the filters (True),
    or may (None, the bounds straddle them); holders that certainly do not are left out.
    """

    licence: Licence
    family: str
    effective: Effective
    controlled: bool | None
    counts: bool | None = True


@dataclass(frozen=True, slots=True)
class PendingLicence:
    """A licence a group would reach through a pending holding (announced, not done), or a pending licence of
    a member: shown, never counted."""

    licence: Licence
    family: str
    holding: Holding | None


@dataclass(frozen=True, slots=True)
class Filters:
    """Which holders count: `min_stake` against the effective stake's bounds; `controlled` only."""

    min_stake: float | None = None
    controlled: bool = False

    def admit(self, effective: Effective, controlled: bool | None) -> bool | None:
        """True when the holder certainly meets the filters, False when it certainly does not, else None."""
        stake = True if self.min_stake is None else effective.meets(self.min_stake)
        return kleene_and(stake, controlled if self.controlled else True)


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
    members = graph.members(group.root)
    if not members:
        return []
    effective = graph.effective_from(group.root)
    control = graph.control_from(group.root)
    found: list[HeldLicence] = []
    for member in members:
        for licence in holders.get(member, ()):
            counts = filters.admit(effective[member], control[member])
            if counts is not False:
                found.append(
                    HeldLicence(licence, data.family_of(licence.category), effective[member], control[member], counts)
                )
    found.sort(key=lambda h: (-h.effective.lower_bound, h.licence.holder, h.licence.category))
    return found


def pending_licences(graph: OwnershipGraph, group: Group) -> list[PendingLicence]:
    """What the group would hold if its pending deals completed, and its members' pending licences."""
    data, day = graph.data, graph.day
    members = graph.members(group.root)
    found: list[PendingLicence] = []
    for licence in data.licences:
        if licence.pending and licence.holder in members and active(licence.granted, licence.revoked, day):
            found.append(PendingLicence(licence, data.family_of(licence.category), None))
    by_holder = licences_by_holder(data, day)
    for holding in graph.pending():
        if holding.owner in members and holding.owned not in members:
            for reached in sorted(graph.members(holding.owned) - members):
                for licence in by_holder.get(reached, ()):
                    found.append(PendingLicence(licence, data.family_of(licence.category), holding))
    return found


def claims_of(data: Dataset, group: str, day: dt.date) -> list[Claim]:
    """The claims about group made on or before day (a claim with no date always counts)."""
    return [c for c in data.claims if c.group == group and (c.as_of is None or c.as_of.first <= day)]


def claim_support(graph: OwnershipGraph, claim: Claim) -> str:
    """What the records say of a claim on the claim's own day: `support` (a member of the group held an active
    licence in the family then) or `contradict` (none did); `undated` for a claim without a date."""
    if claim.as_of is None:
        return "undated"
    day = claim.as_of.last
    then = graph.on(day)
    group = graph.full.groups[claim.group]
    members = then.members(group.root)
    data = then.data
    held = any(
        data.family_of(licence.category) == claim.family and licence.holder in members
        for licence in active_licences(data, day)
    )
    return "support" if held else "contradict"


@dataclass(slots=True)
class GapRow:
    """One family (or category) across the groups: what each holds, what is claimed, whether it is a gap."""

    key: str
    name: str
    core: bool
    held: dict[str, list[HeldLicence]] = field(default_factory=dict)
    claimed: dict[str, list[Claim]] = field(default_factory=dict)
    pending: dict[str, list[PendingLicence]] = field(default_factory=dict)
    gap: bool | None = False

    def holds(self, group: str) -> bool | None:
        """Whether the group holds the licence: True, None (only through holders that may not meet the
        filters), False."""
        return kleene_or(*(h.counts for h in self.held[group]))

    def status(self, group: str) -> str:
        """`controlled`, `control-unknown`, `minority`, `claimed` or `absent`."""
        held = self.held[group]
        if any(h.controlled is True for h in held):
            return "controlled"
        if any(h.controlled is None for h in held):
            return "control-unknown"
        if held:
            return "minority"
        return "claimed" if self.claimed[group] else "absent"


@dataclass(slots=True)
class GapTable:
    group: str
    peers: list[str]
    by: str  # "family" or "category"
    rows: list[GapRow]

    @property
    def gaps(self) -> list[str]:
        """The licences that are certainly gaps."""
        return [row.key for row in self.rows if row.gap is True]

    @property
    def unknown(self) -> list[str]:
        """The licences whose gap verdict the records cannot decide."""
        return [row.key for row in self.rows if row.gap is None]


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
    pending = {g: pending_licences(graph, data.groups[g]) for g in columns}
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
            row.pending[g] = [p for p in pending[g] if (p.licence.category if strict else p.family) == key]
        held_here = row.holds(group)
        lacks = None if held_here is None else not held_here
        row.gap = kleene_and(lacks, kleene_or(*(row.holds(p) for p in columns[1:])))
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
    pending: dict[str, list[PendingLicence]] = field(default_factory=dict)


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
    rows = [MatrixRow(row.key, row.name, row.core, row.held, row.claimed, row.pending) for row in table.rows]
    return Matrix(groups, table.by, rows)


@dataclass(frozen=True, slots=True)
class GroupStake:
    """A group whose members include a licence's holder, with the root's effective stake and control."""

    group: str
    effective: Effective
    controlled: bool | None


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
    stakes: dict[str, tuple[dict[str, Effective], dict[str, bool | None]]] = {
        gid: (graph.effective_from(group.root), graph.control_from(group.root))
        for gid, group in data.groups.items()
        if graph.exists(group.root)
    }
    family_order = {fid: n for n, fid in enumerate(data.families)}
    category_order = {cid: n for n, cid in enumerate(data.categories)}
    rows: list[LicenceRow] = []
    for licence in data.licences:
        is_active = not licence.pending and active(licence.granted, licence.revoked, day)
        shown = is_active or (licence.pending and active(licence.granted, licence.revoked, day))
        family = data.family_of(licence.category)
        holder = data.entities[licence.holder]
        jurisdiction = licence.jurisdiction or holder.jurisdiction
        groups = tuple(
            GroupStake(gid, effective[licence.holder], control[licence.holder])
            for gid, (effective, control) in stakes.items()
            if licence.holder in effective
        )
        if (
            (shown or query.everything)
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
