"""How we know: which records cite each source, and the sources behind one entity's facts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from xmfin.model import Dataset, Source

# Kinds of citing record, in the order counts are shown.
RECORD_KINDS: tuple[str, ...] = ("entity", "figure", "holding", "role", "licence", "claim")


@dataclass(frozen=True, slots=True)
class Citation:
    """One record citing a source: its kind, the entities it is about, and the group (for a claim)."""

    source: str
    kind: str
    entities: tuple[str, ...]
    group: str | None = None


@dataclass(slots=True)
class SourceUse:
    """A source and what cites it: counts by record kind, the entities and groups those records are about."""

    source: Source
    counts: dict[str, int] = field(default_factory=dict)
    entities: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def citations(data: Dataset) -> Iterator[Citation]:
    """Every (record, source) pair of the data, in file order."""
    for entity in data.entities.values():
        for source in entity.sources:
            yield Citation(source, "entity", (entity.id,))
        for figure in entity.figures:
            for source in figure.sources:
                yield Citation(source, "figure", (entity.id,))
    for holding in data.holdings:
        for source in holding.sources:
            yield Citation(source, "holding", (holding.owner, holding.owned))
    for role in data.roles:
        for source in role.sources:
            yield Citation(source, "role", (role.holder, role.of))
    for licence in data.licences:
        for source in licence.sources:
            yield Citation(source, "licence", (licence.holder,))
    for claim in data.claims:
        for source in claim.sources:
            yield Citation(source, "claim", (), claim.group)


def published_by(source: Source, day: dt.date | None) -> bool:
    """Whether a source existed on day (one without a date always does)."""
    return day is None or source.published is None or source.published.first <= day


def source_uses(data: Dataset, day: dt.date | None = None, about: str | None = None) -> list[SourceUse]:
    """The sources published by day, in file order, each with what cites it.

    With `about` (an entity id), only the records about that entity count, and only the sources they cite
    are listed, in the order `xmfin show` gives them (the entity's own sources first).
    """
    uses = {sid: SourceUse(source) for sid, source in data.sources.items() if published_by(source, day)}
    if about is not None:
        from xmfin.graph import OwnershipGraph
        from xmfin.profile import entity_profile

        # The profile gathers the sources of every fact shown for the entity; the graph's day does not change it.
        cited = entity_profile(OwnershipGraph(data, day or dt.date.today()), about).sources
        uses = {sid: uses[sid] for sid in cited if sid in uses}
    # Dicts as ordered sets: the entities and groups in the order they are first cited.
    entities: dict[str, dict[str, None]] = {sid: {} for sid in uses}
    groups: dict[str, dict[str, None]] = {sid: {} for sid in uses}
    for citation in citations(data):
        use = uses.get(citation.source)
        if use is None or (about is not None and about not in citation.entities):
            continue
        use.counts[citation.kind] = use.counts.get(citation.kind, 0) + 1
        entities[citation.source].update(dict.fromkeys(citation.entities))
        if citation.group is not None:
            groups[citation.source][citation.group] = None
    for sid, use in uses.items():
        use.counts = {kind: use.counts[kind] for kind in RECORD_KINDS if kind in use.counts}
        use.entities = list(entities[sid])
        use.groups = list(groups[sid])
    return list(uses.values())
