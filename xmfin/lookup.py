"""Resolve what a user types (an id, a name, a Chinese name, a former name, an alias) to one entity or group."""

from __future__ import annotations

from xmfin.errors import UnknownName, did_you_mean
from xmfin.model import Dataset, Entity, Group


def find_group(data: Dataset, text: str) -> Group:
    """A group by id, name or Chinese name (case-insensitive); UnknownName with suggestions otherwise."""
    wanted = text.strip().casefold()
    for group in data.groups.values():
        if wanted in (group.id, group.name.casefold(), (group.name_zh or "").casefold()):
            return group
    known = ", ".join(data.groups) or "none in this data folder"
    hint = did_you_mean(wanted, list(data.groups))
    raise UnknownName(f"unknown group '{text}'{hint}; known groups: {known}", list(data.groups))


def default_group(data: Dataset, text: str | None) -> Group:
    """The group named by text, or the default group when text is None."""
    if text is not None:
        return find_group(data, text)
    group = data.default_group
    if group is None:
        raise UnknownName("no group given and the data names no default group: give a GROUP", list(data.groups))
    return group


def find_entity(data: Dataset, text: str) -> Entity:
    """One entity for what the user typed, in the order cli.md gives; UnknownName when none or several."""
    wanted = text.strip()
    if wanted in data.entities:
        return data.entities[wanted]
    if wanted in data.groups:
        return data.entities[data.groups[wanted].root]
    folded = wanted.casefold()
    exact = [e for e in data.entities.values() if any(n.casefold() == folded for n in e.names())]
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise _ambiguous(text, exact)
    partial = [e for e in data.entities.values() if folded in e.id or any(folded in n.casefold() for n in e.names())]
    if len(partial) == 1:
        return partial[0]
    if len(partial) > 1:
        raise _ambiguous(text, partial)
    hint = did_you_mean(wanted.lower(), list(data.entities))
    raise UnknownName(f"no entity matches '{text}'{hint}; try 'xmfin search'", list(data.entities))


def _ambiguous(text: str, matches: list[Entity]) -> UnknownName:
    shown = ", ".join(f"{e.id} ({e.name})" for e in matches[:8])
    more = f" and {len(matches) - 8} more" if len(matches) > 8 else ""
    return UnknownName(f"'{text}' matches {len(matches)} entities: {shown}{more}; give an id", [e.id for e in matches])
