"""The ownership graph of one day: paths, effective stakes, control, group members, trees up and down.

Effective stakes come from one pass over the graph in topological order of its strongly connected
components: a node's value is the sum over its owners of owner value x link weight, which is the sum over
all paths of their products without listing the paths. Only inside a cross-holding cycle (a component of
more than one node) are simple paths walked, within that component, under a budget.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from xmfin.dates import active
from xmfin.model import Dataset, Entity, Holding

# The links of an entity that has none (shared, never changed).
_NO_LINKS: dict[str, Holding] = {}
# Simple paths walked inside one cross-holding cycle before its stakes are reported unknown.
CYCLE_PATH_BUDGET = 200_000
# Paths listed by `chain` at most; `paths_truncated` says when there were more.
MAX_PATHS = 1_000


@dataclass(frozen=True, slots=True)
class Effective:
    """An effective stake: the sum of known path products, whether some path is undisclosed, whether via VIE.

    `value` is the stake in percent, or None when a path's stake is undisclosed; `minimum` is then the known
    lower bound (None when there is none).
    """

    known: float = 0.0
    unknown: bool = False
    via_vie: bool = False

    @property
    def value(self) -> float | None:
        return None if self.unknown else _percent(self.known)

    @property
    def minimum(self) -> float | None:
        return _percent(self.known) if self.unknown and self.known > 0 else None

    @property
    def lower_bound(self) -> float:
        """What thresholds compare against: the value, or the known lower bound (0 when none)."""
        return _percent(self.known)

    def label(self) -> str:
        """`100%`, `>= 29.5%` or `undisclosed`, for people."""
        if not self.unknown:
            return f"{format_stake(self.lower_bound)}%"
        return f">= {format_stake(self.lower_bound)}%" if self.known > 0 else "undisclosed"


NONE = Effective()
WHOLE = Effective(1.0)


def _percent(fraction: float) -> float:
    return round(fraction * 100, 6)


def format_stake(stake: float) -> str:
    """A stake as people write it: 100, 29.5, 50.3."""
    return f"{stake:.4f}".rstrip("0").rstrip(".")


def link_weight(holding: Holding) -> float | None:
    """The fraction a link passes on: its stake; 100% for a VIE without a stake; None when undisclosed."""
    if holding.stake is not None:
        return holding.stake / 100
    return 1.0 if holding.control == "vie" else None


def gives_control(holding: Holding) -> bool:
    """A link gives control when it is a VIE or above 50%; an undisclosed stake does not."""
    return holding.control == "vie" or (holding.stake is not None and holding.stake > 50)


@dataclass(slots=True)
class TreeNode:
    """One node of a printed holding tree; `holding` is the link to its parent (None at the root)."""

    entity: Entity
    holding: Holding | None
    effective: Effective
    controlled: bool
    repeat: bool = False
    truncated: bool = False
    children: list[TreeNode] = field(default_factory=list)


class OwnershipGraph:
    """The holdings active on one day (owner -> owned), with `nx` the same as a networkx DiGraph.

    Queries walk plain dicts of the links (owner -> owned -> holding and back) and touch only the part of the
    graph they reach: a tree of 50 entities costs the same in a registry of 100,000. The DiGraph (attribute
    `holding` on each edge) is built on first use of `nx`, for exports and diagrams, so that a query neither
    imports networkx nor builds a graph of every entity.
    """

    def __init__(self, data: Dataset, day: dt.date) -> None:
        self.data = data
        self.day = day
        entities = data.entities
        # The later of two holdings of the same pair wins, as it would in the DiGraph.
        self._out: dict[str, dict[str, Holding]] = {}
        self._in: dict[str, dict[str, Holding]] = {}
        for h in data.holdings:
            if active(h.since, h.until, day) and h.owner in entities and h.owned in entities:
                self._out.setdefault(h.owner, {})[h.owned] = h
                self._in.setdefault(h.owned, {})[h.owner] = h

    @cached_property
    def nx(self) -> Any:
        """The graph as a networkx DiGraph: every entity a node, every active holding an edge."""
        import networkx as nx

        graph: Any = nx.DiGraph()
        graph.add_nodes_from(self.data.entities)
        graph.add_edges_from(
            (owner, owned, {"holding": h}) for owner, links in self._out.items() for owned, h in links.items()
        )
        return graph

    def holding(self, owner: str, owned: str) -> Holding:
        return self._out[owner][owned]

    def owners(self, node: str) -> list[Holding]:
        """The active holdings in node."""
        return list(self._in.get(node, _NO_LINKS).values())

    def owned(self, node: str) -> list[Holding]:
        """The active holdings of node."""
        return list(self._out.get(node, _NO_LINKS).values())

    def _after(self, node: str) -> Iterable[str]:
        return self._out.get(node, _NO_LINKS).keys()

    def _before(self, node: str) -> Iterable[str]:
        return self._in.get(node, _NO_LINKS).keys()

    def members(self, root: str) -> set[str]:
        """The root and every entity reachable from it: a group's members on this day."""
        return _reach(root, self._after)

    def effective_from(self, root: str) -> dict[str, Effective]:
        """Root's effective stake in every entity below it (and 100% in itself)."""
        return _propagate(root, self._after, self._before, self.holding)

    def effective_to(self, target: str) -> dict[str, Effective]:
        """Every owner's effective stake in target (and target's 100% in itself)."""
        return _propagate(target, self._before, self._after, lambda before, node: self.holding(node, before))

    def controlled_from(self, root: str) -> set[str]:
        """The entities root controls: reached by a path of links that each give control."""
        return _reach(root, lambda node: (h.owned for h in self.owned(node) if gives_control(h)))

    def controllers_of(self, target: str) -> set[str]:
        """The entities that control target."""
        return _reach(target, lambda node: (h.owner for h in self.owners(node) if gives_control(h)))

    def top_owners(self, target: str) -> list[str]:
        """The entities above target with no owner of their own (in a cycle at the top: all of its members)."""
        above = _reach(target, self._before)
        above.discard(target)  # even when target is in a cycle: links out of target do not count here
        if not above:
            return [target]
        tops: list[str] = []
        for component in _components(above, self._before):
            inside = set(component)
            if all(owner in inside or owner not in above for node in component for owner in self._before(node)):
                tops.extend(component)
        return tops

    def paths(self, top: str, target: str) -> tuple[list[list[str]], bool]:
        """The simple holding paths from top down to target (at most MAX_PATHS); and whether there were more."""
        if top == target:
            return [[target]], False
        relevant = _reach(target, self._before) & _reach(top, self._after)
        found: list[list[str]] = []
        more = False
        # Depth first in the order of the links, as networkx's all_simple_paths; target is never passed through.
        path, on_path = [top], {top}
        pending = [iter(self._after(top))]
        while pending and not more:
            for child in pending[-1]:
                if child in on_path or child not in relevant:
                    continue
                if child == target:
                    if len(found) == MAX_PATHS:
                        more = True
                        break
                    found.append([*path, child])
                    continue
                path.append(child)
                on_path.add(child)
                pending.append(iter(self._after(child)))
                break
            else:
                pending.pop()
                on_path.discard(path.pop())
        found.sort(key=lambda path: (len(path), path))
        return found, more

    def tree(
        self, root: str, *, up: bool = False, depth: int | None = None, min_stake: float | None = None
    ) -> TreeNode:
        """The holding tree down from root (or, with up, the owners above it), each node once expanded."""
        if up:
            effective = self.effective_to(root)
            controlled = self.controllers_of(root)
        else:
            effective = self.effective_from(root)
            controlled = self.controlled_from(root)
        entities = self.data.entities

        def links(node: str) -> list[tuple[str, Holding]]:
            found = [(h.owner, h) for h in self.owners(node)] if up else [(h.owned, h) for h in self.owned(node)]
            if min_stake is not None:
                found = [(n, h) for n, h in found if effective.get(n, NONE).lower_bound >= min_stake]
            # Largest link first, a VIE without a stake counting as 100% as in the arithmetic; undisclosed last.
            found.sort(key=lambda item: (-(link_weight(item[1]) or -1), entities[item[0]].name, item[0]))
            return found

        top = TreeNode(entities[root], None, effective.get(root, WHOLE), root in controlled)
        expanded: set[str] = set()
        # Depth-first preorder without recursion (deep chains cannot overflow the stack): the first time an
        # entity is popped it is expanded, every later time (a diamond, or a cycle closing) it is a repeat.
        pending: list[tuple[TreeNode, int]] = [(top, 0)]
        while pending:
            node, level = pending.pop()
            entity_id = node.entity.id
            if entity_id in expanded:
                node.repeat = True
                continue
            children = links(entity_id)
            if children and depth is not None and level >= depth:
                # Not expanded here, so a later occurrence higher up the tree may still be.
                node.truncated = True
                continue
            expanded.add(entity_id)
            node.children = [
                TreeNode(entities[child], holding, effective.get(child, NONE), child in controlled)
                for child, holding in children
            ]
            pending.extend((child, level + 1) for child in reversed(node.children))
        return top


def _reach(start: str, step: Callable[[str], Iterable[str]]) -> set[str]:
    seen = {start}
    pending = [start]
    while pending:
        for node in step(pending.pop()):
            if node not in seen:
                seen.add(node)
                pending.append(node)
    return seen


def _components(nodes: set[str], step: Callable[[str], Iterable[str]]) -> list[list[str]]:
    """The strongly connected components of the graph of nodes (links by step, kept inside nodes), in
    topological order: a component comes before every component it reaches. Tarjan's, without recursion."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in nodes:
        if start in index:
            continue
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        work = [(start, iter(step(start)))]
        while work:
            node, links = work[-1]
            for child in links:
                if child not in nodes:
                    continue
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(step(child))))
                    break
                if child in on_stack and index[child] < low[node]:
                    low[node] = index[child]
            else:
                work.pop()
                if work and low[node] < low[work[-1][0]]:
                    low[work[-1][0]] = low[node]
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    found.append(component)
    found.reverse()  # Tarjan's finds a component after every component it reaches
    return found


def _propagate(
    source: str,
    after: Callable[[str], Iterable[str]],
    before: Callable[[str], Iterable[str]],
    holding_of: Callable[[str, str], Holding],
) -> dict[str, Effective]:
    """Effective stakes of source in everything reachable from it (by after), in one pass over the components."""
    reach = _reach(source, after)
    values: dict[str, Effective] = {source: WHOLE}
    for component in _components(reach, after):
        members = set(component)
        if len(members) == 1:
            (node,) = members
            if node != source:
                values[node] = _combine(_through(values[b], holding_of(b, node)) for b in before(node) if b in values)
            continue
        inflow: dict[str, Effective] = {}
        for node in members:
            # Owners outside the cycle that source does not reach (not in values) pass nothing on.
            outside = [
                _through(values[b], holding_of(b, node)) for b in before(node) if b not in members and b in values
            ]
            if node == source:
                outside.append(WHOLE)
            if outside:
                inflow[node] = _combine(outside)
        values.update(_within_cycle(after, members, inflow, holding_of))
    return values


def _through(value: Effective, holding: Holding) -> Effective:
    weight = link_weight(holding)
    vie = value.via_vie or holding.control == "vie"
    if weight is None:
        return Effective(0.0, value.known > 0 or value.unknown, vie)
    return Effective(value.known * weight, value.unknown, vie)


def _combine(parts: Iterable[Effective]) -> Effective:
    known, unknown, vie = 0.0, False, False
    for part in parts:
        known += part.known
        unknown = unknown or part.unknown
        vie = vie or part.via_vie
    return Effective(known, unknown, vie)


def _within_cycle(
    after: Callable[[str], Iterable[str]],
    members: set[str],
    inflow: dict[str, Effective],
    holding_of: Callable[[str, str], Holding],
) -> dict[str, Effective]:
    """Values inside one cross-holding cycle: inflow at each entry carried along every simple path in it."""
    parts: dict[str, list[Effective]] = {node: [] for node in members}
    budget = CYCLE_PATH_BUDGET
    for entry, value in inflow.items():
        pending: list[tuple[str, Effective, frozenset[str]]] = [(entry, value, frozenset({entry}))]
        while pending:
            node, carried, seen = pending.pop()
            parts[node].append(carried)
            budget -= 1
            if budget < 0:
                return {node: Effective(0.0, True, False) for node in members}
            for child in after(node):
                if child in members and child not in seen:
                    pending.append((child, _through(carried, holding_of(node, child)), seen | {child}))
    return {node: _combine(found) for node, found in parts.items() if found}
