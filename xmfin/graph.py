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
# Simple paths walked inside one cross-holding cycle before its stakes are reported unbounded above.
CYCLE_PATH_BUDGET = 200_000
# Paths listed by `chain` at most, over all top owners; `paths_truncated` says when there were more.
MAX_PATHS = 1_000
# Steps of the path search of one `chain` (partial paths tried) before it stops and says so.
PATH_STEP_BUDGET = 1_000_000
# Links visited by the control searches of one question before the rest is reported unknown.
CONTROL_BUDGET = 5_000_000
# Sums of fractions are compared after rounding away floating-point noise (33.33 + 33.33 + 33.34).
_DIGITS = 9


@dataclass(frozen=True, slots=True)
class Effective:
    """An effective stake as bounds: at least `low`, at most `high` (fractions of 1), whether via a VIE link.

    Both bounds always contain the exact answer, whatever the undisclosed stakes are (within the 100% rule).
    `high` is None only where a cross-holding cycle was too large to walk. The stake is exact when the bounds
    meet.
    """

    low: float = 0.0
    high: float | None = 0.0
    via_vie: bool = False

    @property
    def exact(self) -> bool:
        return self.high is not None and round(self.high - self.low, _DIGITS) == 0

    @property
    def value(self) -> float | None:
        """The exact stake in percent, or None when only bounds are known."""
        return _percent(self.low) if self.exact else None

    @property
    def minimum(self) -> float:
        """The lower bound in percent."""
        return _percent(self.low)

    @property
    def maximum(self) -> float | None:
        """The upper bound in percent (None: no bound known)."""
        return None if self.high is None else _percent(self.high)

    @property
    def lower_bound(self) -> float:
        """What thresholds certainly meet: the lower bound in percent."""
        return _percent(self.low)

    def meets(self, threshold: float) -> bool | None:
        """Whether the stake is at least threshold percent: True, False, or None when the bounds straddle it."""
        if self.minimum >= threshold:
            return True
        if self.maximum is not None and self.maximum < threshold:
            return False
        return None

    def label(self) -> str:
        """`90%`, `≥ 65%`, `50-75%`, `≤ 25.5%` or `undisclosed`, for people."""
        low, high = self.minimum, self.maximum
        if self.exact:
            return f"{format_stake(low)}%"
        if high is None or high >= 100:
            return f"≥ {format_stake(low)}%" if low > 0 else "undisclosed"
        if low > 0:
            return f"{format_stake(low)}-{format_stake(high)}%"
        return f"≤ {format_stake(high)}%"


NONE = Effective()
WHOLE = Effective(1.0, 1.0)


def _percent(fraction: float) -> float:
    return round(fraction * 100, 6)


def format_stake(stake: float) -> str:
    """A stake as people write it: 100, 29.5, 50.3."""
    return f"{stake:.4f}".rstrip("0").rstrip(".")


def link_weight(holding: Holding) -> float | None:
    """The fraction an exact link passes on: its stake; 100% for a VIE without a stake; None otherwise."""
    if holding.stake is not None:
        return holding.stake / 100
    if holding.control == "vie" and holding.stake_min is None and holding.stake_max is None:
        return 1.0
    return None


def control_by_link(holding: Holding, low: float, high: float) -> bool | None:
    """Whether one link alone gives control: a VIE or voting agreement, or equity above 50% (True); possibly
    (None: an `other` link, or equity whose bounds straddle 50%); or not (False). A nominee gives none."""
    if holding.nominee_for is not None:
        return False
    if holding.control in ("vie", "voting"):
        return True
    if holding.control == "other":
        return None
    if _above_half(low, _strict(holding)):
        return True
    return None if round(high, _DIGITS) > 0.5 else False


def _strict(holding: Holding) -> bool:
    """Whether the stake is certainly above its lower bound (an exclusive minimum, or undisclosed but held)."""
    return holding.stake is None and (holding.stake_min_exclusive or holding.stake_min is None)


def _above_half(total: float, strict: bool) -> bool:
    rounded = round(total, _DIGITS)
    return rounded > 0.5 or (rounded == 0.5 and strict)


@dataclass(slots=True)
class TreeNode:
    """One node of a printed holding tree; `holding` is the link to its parent (None at the root).

    `controlled` is three-valued: True, False, or None when the records cannot tell.
    """

    entity: Entity
    holding: Holding | None
    effective: Effective
    controlled: bool | None
    repeat: bool = False
    truncated: bool = False
    children: list[TreeNode] = field(default_factory=list)


class OwnershipGraph:
    """The holdings active on one day (owner -> owned), with `nx` the same as a networkx DiGraph.

    Built from the view of the data on that day (xmfin.dated.on_day): entities not founded yet or dissolved
    already are not in it. Pending holdings (announced, not done) are no links. Each link has bounds: its
    exact stake, its disclosed range, or for an undisclosed equity stake 0 to 100% less what the other
    holders of the entity certainly have that day.

    Queries walk plain dicts of the links (owner -> owned -> holding and back) and touch only the part of the
    graph they reach: a tree of 50 entities costs the same in a registry of 100,000. The DiGraph (attribute
    `holding` on each edge) is built on first use of `nx`, for exports and diagrams.
    """

    def __init__(self, data: Dataset, day: dt.date, full: Dataset | None = None) -> None:
        self.data = data
        self.full = full if full is not None else data
        self.day = day
        entities = data.entities
        # The later of two holdings of the same pair wins, as it would in the DiGraph.
        self._out: dict[str, dict[str, Holding]] = {}
        self._in: dict[str, dict[str, Holding]] = {}
        for h in data.holdings:
            if not h.pending and active(h.since, h.until, day) and h.owner in entities and h.owned in entities:
                self._out.setdefault(h.owner, {})[h.owned] = h
                self._in.setdefault(h.owned, {})[h.owner] = h
        self._bounds: dict[int, tuple[float, float]] = {}
        self._floors: dict[str, float] = {}  # per owned entity: the equity its holders certainly have
        self._other_days: dict[dt.date, OwnershipGraph] = {}

    @cached_property
    def nx(self) -> Any:
        """The graph as a networkx DiGraph: every entity of the day a node, every active holding an edge."""
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

    def pending(self) -> list[Holding]:
        """The pending holdings (announced, not done) whose entities exist on the day, announced by then."""
        entities = self.data.entities
        return [
            h
            for h in self.data.holdings
            if h.pending and active(h.since, h.until, self.day) and h.owner in entities and h.owned in entities
        ]

    def bounds(self, holding: Holding) -> tuple[float, float]:
        """The fractions an active link certainly passes on and at most passes on."""
        found = self._bounds.get(id(holding))
        if found is None:
            found = self._bounds[id(holding)] = self._link_bounds(holding)
        return found

    def _link_bounds(self, holding: Holding) -> tuple[float, float]:
        exact = link_weight(holding)
        if exact is not None:
            return exact, exact
        low = (holding.stake_min or 0.0) / 100
        high = (holding.stake_max if holding.stake_max is not None else 100.0) / 100
        if holding.control == "equity":
            # The equity of one entity adds up to at most 100%: an undisclosed holder has at most what the
            # others certainly do not.
            total = self._floors.get(holding.owned)
            if total is None:
                total = self._floors[holding.owned] = sum(map(_floor, self._in.get(holding.owned, _NO_LINKS).values()))
            high = min(high, max(0.0, 1.0 - (total - _floor(holding))))
        return low, max(low, high)

    def on(self, day: dt.date) -> OwnershipGraph:
        """The graph of the same data on another day (made once per day asked)."""
        if day == self.day:
            return self
        found = self._other_days.get(day)
        if found is None:
            from xmfin.dated import on_day

            found = self._other_days[day] = OwnershipGraph(on_day(self.full, day), day, self.full)
        return found

    def _after(self, node: str) -> Iterable[str]:
        return self._out.get(node, _NO_LINKS).keys()

    def _before(self, node: str) -> Iterable[str]:
        return self._in.get(node, _NO_LINKS).keys()

    def exists(self, node: str) -> bool:
        """Whether the entity existed on the day."""
        return node in self.data.entities

    def members(self, root: str) -> set[str]:
        """The root and every entity reachable from it: a group's members on this day (none before the root
        was founded or after it was dissolved)."""
        return _reach(root, self._after) if root in self.data.entities else set()

    def effective_from(self, root: str) -> dict[str, Effective]:
        """Root's effective stake in every entity below it (and 100% in itself)."""
        return _propagate(root, self._after, self._before, self.holding, self.bounds)

    def effective_to(self, target: str) -> dict[str, Effective]:
        """Every owner's effective stake in target (and target's 100% in itself)."""
        return _propagate(
            target, self._before, self._after, lambda before, node: self.holding(node, before), self.bounds
        )

    def control_from(self, root: str) -> dict[str, bool | None]:
        """Whether root controls each entity it reaches: True, None (the records cannot tell) or False.

        Control as consolidation works: root controls an entity when root and the entities it controls
        together hold more than 50% of it, or one of them controls it by VIE contract or voting agreement.
        True holds in every completion of the undisclosed stakes, False in none.
        """
        certain = self._control_set(root, certain=True)
        possible = self._control_set(root, certain=False)
        return {node: (True if node in certain else None) for node in possible} | {
            node: False for node in _reach(root, self._after) if node not in possible
        }

    def _control_set(
        self, start: str, *, certain: bool, within: set[str] | None = None, stop: str | None = None
    ) -> set[str]:
        """The entities start controls certainly (or possibly), as a fixed point; `within` limits the walk,
        `stop` ends it as soon as that entity is in."""
        inside = {start}
        held: dict[str, float] = {}
        strict: set[str] = set()
        pending = [start]
        while pending:
            for owned, holding in self._out.get(pending.pop(), _NO_LINKS).items():
                if owned in inside or (within is not None and owned not in within) or holding.nominee_for:
                    continue
                control = holding.control
                if control in ("vie", "voting") or (control == "other" and not certain):
                    gains = True
                elif control == "equity":
                    low, high = self.bounds(holding)
                    held[owned] = held.get(owned, 0.0) + (low if certain else high)
                    if certain and _strict(holding):
                        strict.add(owned)
                    gains = _above_half(held[owned], owned in strict) if certain else round(held[owned], _DIGITS) > 0.5
                else:
                    gains = False
                if gains:
                    inside.add(owned)
                    if owned == stop:
                        return inside
                    pending.append(owned)
        return inside

    def control_to(self, target: str) -> dict[str, bool | None]:
        """Whether each entity above target controls it: True, None (cannot tell) or False.

        Nearest owners first: an owner whose one link towards target gives it control (or none) has the answer
        of the entity it holds; any other runs the fixed point of control_from, kept to the entities above
        target. Past CONTROL_BUDGET links, the rest is None.
        """
        above = _reach(target, self._before)
        answers: dict[str, bool | None] = {target: True}
        budget = CONTROL_BUDGET
        for component in reversed(_components(above, self._after)):
            for node in component:
                if node == target:
                    continue
                links = [
                    (owned, h)
                    for owned, h in self._out.get(node, _NO_LINKS).items()
                    if owned in above and not h.nominee_for
                ]
                single = [control_by_link(h, *self.bounds(h)) for _, h in links]
                if len(component) == 1 and len(links) == 1:
                    (owned, _), by_link = links[0], single[0]
                    answer = answers.get(owned)
                    if owned == target:
                        answers[node] = by_link
                    elif by_link is True:
                        answers[node] = answer
                    else:
                        answers[node] = False if by_link is False or answer is False else None
                    continue
                if not links:
                    answers[node] = False
                    continue
                if any(by is True and answers.get(owned) is True for (owned, _), by in zip(links, single, strict=True)):
                    answers[node] = True
                    continue
                if budget <= 0:
                    answers[node] = None
                    continue
                budget -= len(above)
                if target in self._control_set(node, certain=True, within=above, stop=target):
                    answers[node] = True
                elif target in self._control_set(node, certain=False, within=above, stop=target):
                    answers[node] = None
                else:
                    answers[node] = False
        return answers

    def top_owners(self, target: str) -> list[str]:
        """The entities above target with no owner of their own (in a cycle at the top: all of its members).
        Empty when target has no owner on the day."""
        above = _reach(target, self._before)
        above.discard(target)  # even when target is in a cycle: links out of target do not count here
        tops: list[str] = []
        for component in _components(above, self._before):
            inside = set(component)
            if all(owner in inside or owner not in above for node in component for owner in self._before(node)):
                tops.extend(component)
        return tops

    def paths(self, tops: list[str], target: str, limit: int | None = None) -> tuple[list[list[str]], bool]:
        """The simple holding paths from each top down to target, at most `limit` (MAX_PATHS) in all, and at
        most PATH_STEP_BUDGET steps of search; and whether there were more."""
        limit = MAX_PATHS if limit is None else limit
        relevant = _reach(target, self._before)
        found: list[list[str]] = []
        more = False
        steps = PATH_STEP_BUDGET  # read when called, so tests can lower it
        for top in tops:
            if top == target:
                found.append([target])
                continue
            own: list[list[str]] = []
            # Depth first in the order of the links; target is never passed through; only entities that
            # reach target are entered, so every step leads towards a path.
            path, on_path = [top], {top}
            pending = [iter(self._after(top))]
            while pending and not more:
                for child in pending[-1]:
                    steps -= 1
                    if steps < 0:
                        more = True
                        break
                    if child in on_path or child not in relevant:
                        continue
                    if child == target:
                        if len(found) + len(own) >= limit:
                            more = True
                            break
                        own.append([*path, child])
                        continue
                    path.append(child)
                    on_path.add(child)
                    pending.append(iter(self._after(child)))
                    break
                else:
                    pending.pop()
                    on_path.discard(path.pop())
            own.sort(key=lambda path: (len(path), path))
            found.extend(own)
            if more:
                break
        return found, more

    def tree(
        self, root: str, *, up: bool = False, depth: int | None = None, min_stake: float | None = None
    ) -> TreeNode:
        """The holding tree down from root (or, with up, the owners above it), each node once expanded.

        With min_stake, a link is left out only when the effective stake is certainly below it.
        """
        if up:
            effective = self.effective_to(root)
            control = self.control_to(root)
        else:
            effective = self.effective_from(root)
            control = self.control_from(root)
        entities = self.data.entities

        def links(node: str) -> list[tuple[str, Holding]]:
            found = [(h.owner, h) for h in self.owners(node)] if up else [(h.owned, h) for h in self.owned(node)]
            if min_stake is not None:
                found = [(n, h) for n, h in found if effective.get(n, NONE).meets(min_stake) is not False]
            # Largest link first, a VIE without a stake counting as 100% as in the arithmetic; then by the
            # least a link certainly passes on; undisclosed last.
            found.sort(key=lambda item: (-self.bounds(item[1])[0], entities[item[0]].name, item[0]))
            return found

        top = TreeNode(entities[root], None, effective.get(root, WHOLE), control.get(root, True))
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
                TreeNode(entities[child], holding, effective.get(child, NONE), control.get(child, False))
                for child, holding in children
            ]
            pending.extend((child, level + 1) for child in reversed(node.children))
        return top


def _floor(holding: Holding) -> float:
    """The equity fraction a holding certainly stands for (0 for a link that is not equity)."""
    if holding.control != "equity":
        return 0.0
    if holding.stake is not None:
        return holding.stake / 100
    return (holding.stake_min or 0.0) / 100


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


@dataclass(frozen=True, slots=True)
class _Carried:
    """Bounds carried along paths, and whether a link that is not equity was passed (no 100% cap then)."""

    low: float
    high: float | None
    via_vie: bool
    beyond_equity: bool


_START = _Carried(1.0, 1.0, False, False)


def _propagate(
    source: str,
    after: Callable[[str], Iterable[str]],
    before: Callable[[str], Iterable[str]],
    holding_of: Callable[[str, str], Holding],
    bounds: Callable[[Holding], tuple[float, float]],
) -> dict[str, Effective]:
    """Effective stakes of source in everything reachable from it (by after), in one pass over the components.

    Lower bounds multiply and add the least each link passes on, upper bounds the most. Along links that are
    all equity the exact answer is at most 100% (the paths' products are the chances of disjoint events when
    each entity's equity adds up to at most 100%), so such an upper bound is capped there.
    """

    def through(value: _Carried, holding: Holding) -> _Carried:
        low, high = bounds(holding)
        return _Carried(
            value.low * low,
            None if value.high is None else value.high * high,
            value.via_vie or holding.control == "vie",
            value.beyond_equity or holding.control != "equity",
        )

    reach = _reach(source, after)
    values: dict[str, _Carried] = {source: _START}
    for component in _components(reach, after):
        members = set(component)
        if len(members) == 1:
            (node,) = members
            if node != source:
                values[node] = _combine(through(values[b], holding_of(b, node)) for b in before(node) if b in values)
            continue
        inflow: dict[str, _Carried] = {}
        for node in members:
            # Owners outside the cycle that source does not reach (not in values) pass nothing on.
            outside = [
                through(values[b], holding_of(b, node)) for b in before(node) if b not in members and b in values
            ]
            if node == source:
                outside.append(_START)
            if outside:
                inflow[node] = _combine(outside)
        values.update(_within_cycle(after, members, inflow, holding_of, through))
    return {node: Effective(value.low, value.high, value.via_vie) for node, value in values.items()}


def _combine(parts: Iterable[_Carried]) -> _Carried:
    low, vie, beyond = 0.0, False, False
    high: float | None = 0.0
    for part in parts:
        low += part.low
        high = None if high is None or part.high is None else high + part.high
        vie = vie or part.via_vie
        beyond = beyond or part.beyond_equity
    if high is not None and not beyond:
        high = min(high, 1.0)
    return _Carried(min(low, high) if high is not None else low, high, vie, beyond)


def _within_cycle(
    after: Callable[[str], Iterable[str]],
    members: set[str],
    inflow: dict[str, _Carried],
    holding_of: Callable[[str, str], Holding],
    through: Callable[[_Carried, Holding], _Carried],
) -> dict[str, _Carried]:
    """Values inside one cross-holding cycle: inflow at each entry carried along every simple path in it."""
    parts: dict[str, list[_Carried]] = {node: [] for node in members}
    budget = CYCLE_PATH_BUDGET
    for entry, value in inflow.items():
        pending: list[tuple[str, _Carried, frozenset[str]]] = [(entry, value, frozenset({entry}))]
        while pending:
            node, carried, seen = pending.pop()
            parts[node].append(carried)
            budget -= 1
            if budget < 0:
                # Too many paths to walk: nothing certain below, no bound above.
                vie = any(v.via_vie for v in inflow.values())
                return {node: _Carried(0.0, None, vie, True) for node in members}
            for child in after(node):
                if child in members and child not in seen:
                    pending.append((child, through(carried, holding_of(node, child)), seen | {child}))
    return {node: _combine(found) for node, found in parts.items() if found}
