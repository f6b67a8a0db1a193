"""Dated events in order: entities founded, renamed and dissolved; holdings, licences and roles beginning and
ending (or announced, when pending); claims made; and the events recorded as such (`events:` in the data).
Records without a date give no event.

Order: by the first day of the event's date (a partial date sorts at the start of its period, so `2019` comes
with 2019-01-01), then the less precise date first (`2019`, then `2019-01`, then `2019-01-01`), then by kind
in KINDS order (beginnings before endings, so a holding passed on the same day shows as bought, then sold),
then in file order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from xmfin.dated import as_named_on
from xmfin.dates import PartialDate
from xmfin.model import Dataset

KINDS: tuple[str, ...] = (
    "founded",
    "renamed",
    "event",
    "holding-announced",
    "holding-began",
    "licence-applied",
    "licence-granted",
    "role-began",
    "claim",
    "role-ended",
    "licence-revoked",
    "holding-ended",
    "dissolved",
)
_PRECISION = ("year", "month", "day")


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened on a date, to the entities named (for a claim: about `group`).

    `detail` holds what the kind needs: stake and control of a holding, category, family and regulator of a
    licence, title of a role, the former name of a renaming, family and note of a claim, title and note of a
    recorded event.
    """

    date: PartialDate
    kind: str
    entities: tuple[str, ...]
    sources: tuple[str, ...]
    group: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def events(data: Dataset) -> Iterator[Event]:
    """Every dated event of the data, in file order."""
    ids: tuple[str, ...]
    detail: dict[str, Any]
    for entity in data.entities.values():
        ids = (entity.id,)
        if entity.founded:
            yield Event(entity.founded, "founded", ids, entity.sources)
        for former in entity.former_names:
            if former.until:
                # The name it took is the one of the next day (the next former name, or the current one).
                last = former.until.last
                after = entity if last == dt.date.max else as_named_on(entity, last + dt.timedelta(days=1))
                detail = {
                    "former_name": former.name,
                    "former_name_zh": former.name_zh,
                    "new_name": after.name,
                    "new_name_zh": after.name_zh,
                }
                yield Event(former.until, "renamed", ids, entity.sources, detail=detail)
        if entity.dissolved:
            yield Event(entity.dissolved, "dissolved", ids, entity.sources)
    for holding in data.holdings:
        ids = (holding.owner, holding.owned)
        detail = {
            "stake": holding.stake,
            "stake_min": holding.stake_min,
            "stake_max": holding.stake_max,
            "stake_min_exclusive": holding.stake_min_exclusive,
            "stake_max_exclusive": holding.stake_max_exclusive,
            "control": holding.control,
            "nominee_for": holding.nominee_for,
        }
        if holding.since:
            began = "holding-announced" if holding.pending else "holding-began"
            yield Event(holding.since, began, ids, holding.sources, detail=detail)
        if holding.until:
            yield Event(holding.until, "holding-ended", ids, holding.sources, detail=detail)
    for licence in data.licences:
        ids = (licence.holder,)
        detail = {
            "category": licence.category,
            "family": data.family_of(licence.category),
            "regulator": licence.regulator,
        }
        if licence.granted:
            granted = "licence-applied" if licence.pending else "licence-granted"
            yield Event(licence.granted, granted, ids, licence.sources, detail=detail)
        if licence.revoked:
            yield Event(licence.revoked, "licence-revoked", ids, licence.sources, detail=detail)
    for role in data.roles:
        ids = (role.holder, role.of)
        if role.since:
            yield Event(role.since, "role-began", ids, role.sources, detail={"title": role.title})
        if role.until:
            yield Event(role.until, "role-ended", ids, role.sources, detail={"title": role.title})
    for recorded in data.events:
        detail = {"title": recorded.title, "note": recorded.note}
        yield Event(recorded.date, "event", recorded.entities, recorded.sources, detail=detail)
    for claim in data.claims:
        if claim.as_of:
            detail = {"family": claim.family, "note": claim.note}
            yield Event(claim.as_of, "claim", (), claim.sources, group=claim.group, detail=detail)


def _order(event: Event) -> tuple[dt.date, int, int]:
    return (event.date.first, _PRECISION.index(event.date.precision), KINDS.index(event.kind))


def timeline(data: Dataset, day: dt.date, group: str | None = None) -> list[Event]:
    """The events on or before day (by the first day of their date), in order (see the module docstring).

    With group (a group id): the events of every entity that was a member of the group on some day up to
    day, even if it has left since, and the claims about the group.
    """
    members = members_until(data, data.groups[group].root, day) if group is not None else None
    chosen = [
        event
        for event in events(data)
        if event.date.first <= day
        and (members is None or event.group == group or any(e in members for e in event.entities))
    ]
    return sorted(chosen, key=_order)


Interval = tuple[dt.date, dt.date]


def members_until(data: Dataset, root: str, day: dt.date) -> set[str]:
    """The entities reachable from root on some day up to day: its group's members at any time until then.

    Each entity carries the days on which it is reachable (as disjoint intervals); an owner's days, cut to a
    holding's period, flow to the owned entity. Only days not reached before flow on, so this ends.
    """
    below: dict[str, list[tuple[str, Interval]]] = {}
    for holding in data.holdings:
        first = holding.since.first if holding.since else dt.date.min
        last = min(holding.until.last if holding.until else dt.date.max, day)
        if first <= last:
            below.setdefault(holding.owner, []).append((holding.owned, (first, last)))
    reached: dict[str, list[Interval]] = {root: [(dt.date.min, day)]}
    pending: list[tuple[str, Interval]] = [(root, (dt.date.min, day))]
    while pending:
        node, (first, last) = pending.pop()
        for child, (since, until) in below.get(node, ()):
            start, end = max(first, since), min(last, until)
            if start > end:
                continue
            for piece in _uncovered(reached.setdefault(child, []), (start, end)):
                reached[child].append(piece)
                pending.append((child, piece))
    return set(reached)


def _uncovered(covered: list[Interval], wanted: Interval) -> list[Interval]:
    """The parts of wanted that no interval in covered contains."""
    pieces = [wanted]
    for first, last in covered:
        next_pieces: list[Interval] = []
        for start, end in pieces:
            if last < start or first > end:
                next_pieces.append((start, end))
                continue
            if start < first:
                next_pieces.append((start, first - dt.timedelta(days=1)))
            if end > last:
                next_pieces.append((last + dt.timedelta(days=1), end))
        pieces = next_pieces
    return pieces


def _stake_words(detail: dict[str, Any]) -> str:
    """`30%`, `> 50%`, `5-10%` (a disclosed range, as words.holding_stake gives it) or `undisclosed stake`."""
    from xmfin.graph import format_stake

    if detail.get("stake") is not None:
        return f"{format_stake(detail['stake'])}%"
    low, high = detail.get("stake_min"), detail.get("stake_max")
    if low is not None and high is not None:
        return f"{format_stake(low)}-{format_stake(high)}%"
    if low is not None:
        return f"{'>' if detail.get('stake_min_exclusive') else '≥'} {format_stake(low)}%"
    if high is not None:
        return f"{'<' if detail.get('stake_max_exclusive') else '≤'} {format_stake(high)}%"
    return "undisclosed stake"


def describe(event: Event, data: Dataset) -> str:
    """One line of plain text saying what happened, with the names of the event's day."""
    # Each entity under the name it had on the event's day (a company founded as "Insight Fintech HK" is not
    # said to be founded under the name it took years later).
    names = [as_named_on(data.entities[e], event.date.first).name for e in event.entities]
    detail = event.detail
    kind = event.kind
    if kind in ("founded", "dissolved"):
        return f"{names[0]} {kind}"
    if kind == "renamed":
        return f"{detail['former_name']} renamed {detail.get('new_name') or names[0]}"
    if kind.startswith("holding-"):
        stake = _stake_words(detail)
        control = "" if detail["control"] == "equity" else f" ({detail['control']})"
        nominee = detail.get("nominee_for")
        held_for = f" as nominee for {as_named_on(data.entities[nominee], event.date.first).name}" if nominee else ""
        verb = {"holding-began": "takes", "holding-announced": "announces it will take"}.get(kind, "no longer holds")
        return f"{names[0]} {verb} {stake}{control} of {names[1]}{held_for}"
    if kind.startswith("licence-"):
        category = data.categories[detail["category"]].name
        if kind == "licence-revoked":
            return f"{names[0]} loses {category} licence"
        if kind == "licence-applied":
            return f"{names[0]} applies for {category} licence (pending)"
        regulator = f" by {detail['regulator']}" if detail["regulator"] else ""
        return f"{names[0]} granted {category} licence{regulator}"
    if kind == "event":
        return str(detail["title"])
    if kind.startswith("role-"):
        verb = "becomes" if kind == "role-began" else "is no longer"
        return f"{names[0]} {verb} {detail['title']} of {names[1]}"
    group = data.groups[event.group].name if event.group in data.groups else event.group
    return f"claimed: {group} holds {data.families[detail['family']].name} (no licensed entity named)"
