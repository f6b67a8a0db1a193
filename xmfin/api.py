"""The library API: load a data folder, then ask it what the commands ask and get plain records back.

    >>> from xmfin import explore
    >>> xm = explore(as_of="2019-05")             # the bundled data, as it stood at the end of May 2019
    >>> [m.entity.id for m in xm.search("网商")]
    >>> xm.gaps("xiaomi", ["ant"]).gaps

Names are resolved as on the command line (ids, names, Chinese names, former names, aliases); a name that
matches nothing raises `xmfin.errors.UnknownName` with the candidates.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from xmfin import lookup
from xmfin.dates import as_of_day
from xmfin.errors import UsageError
from xmfin.model import Dataset, Entity, Group, Holding
from xmfin.search import DEFAULT_LIMIT, Match
from xmfin.sources import SourceUse, source_uses
from xmfin.timeline import Event

if TYPE_CHECKING:  # networkx comes with the graph, imported where a question needs it
    from xmfin.graph import Effective, OwnershipGraph, TreeNode
    from xmfin.licensing import GapTable, LicenceRow, Matrix
    from xmfin.profile import Profile


def bundled_data() -> Path:
    """The dataset shipped with the package (inside the wheel), or the checkout's data/ when run from source."""
    from importlib.resources import files

    packaged = Path(str(files("xmfin"))) / "data"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "data"


def load(path: str | os.PathLike[str] | None = None) -> Dataset:
    """The records of a data folder or a store (default: the bundled dataset); DataError listing the errors if
    invalid.

    Problems name the files by the folder as given, the bundled dataset's by their real path: files one can open."""
    from xmfin.storage.access import open_records

    chosen = bundled_data() if path is None else Path(path)
    return open_records(chosen, str(chosen)).dataset()


def explore(path: str | os.PathLike[str] | None = None, as_of: str | dt.date | None = None) -> Explorer:
    """An Explorer over a data folder (default: the bundled dataset) on a day (default: today)."""
    return Explorer(load(path), as_of)


@dataclass(frozen=True, slots=True)
class Chain:
    """The holding paths from the top owners (`tops`, largest stake first) down to `entity`.

    `effective` and `controls` give each top owner's effective stake in the entity and whether it controls it
    (True, False, or None when the records cannot tell); `nominee_for` names, for a top owner whose holding on
    the way is a nominee's, the party it holds for. `truncated` is true when there were more than
    `graph.MAX_PATHS` paths. `absent` says why the entity is not there on the day (not yet founded, dissolved);
    `pending` lists announced deals into the entity or its owners; `controllers` every entity above that
    certainly controls it, top owner or not.
    """

    entity: str
    tops: list[str]
    paths: list[list[str]]
    effective: dict[str, Effective]
    controls: dict[str, bool | None]
    truncated: bool = False
    nominee_for: dict[str, str] = field(default_factory=dict)
    absent: str | None = None
    pending: list[Holding] = field(default_factory=list)
    controllers: list[str] = field(default_factory=list)


@dataclass
class Explorer:
    """One dataset on one day, asked the questions of the commands. Each method returns records, never prints.

    `as_of` is a date, or a text as on the command line (a partial date means the end of its period).
    """

    data: Dataset
    as_of: str | dt.date | None = None
    day: dt.date = field(init=False)

    def __post_init__(self) -> None:
        self.day = self.as_of if isinstance(self.as_of, dt.date) else as_of_day(self.as_of)

    @cached_property
    def graph(self) -> OwnershipGraph:
        """The ownership graph of the day, built on first use (search, sources and timeline need none): only
        entities that existed that day, under their names of the day."""
        from xmfin.dated import on_day
        from xmfin.graph import OwnershipGraph

        return OwnershipGraph(on_day(self.data, self.day), self.day, self.data)

    def absence(self, entity_id: str) -> str | None:
        """Why an entity is not there on the day (`not founded until 2013-12`, `dissolved 2019-03`), or None."""
        from xmfin.dated import exists

        entity = self.data.entities[entity_id]
        if exists(entity, self.day):
            return None
        if entity.founded is not None and self.day < entity.founded.first:
            return f"not founded until {entity.founded}"
        return f"dissolved {entity.dissolved}"

    def on(self, as_of: str | dt.date) -> Explorer:
        """The same data on another day."""
        return Explorer(self.data, as_of)

    def entity(self, name: str) -> Entity:
        """The one entity a name means."""
        return lookup.find_entity(self.data, name)

    def group(self, name: str | None = None) -> Group:
        """A group by id or name; the default group when name is None."""
        return lookup.default_group(self.data, name)

    def tree(
        self, target: str | None = None, *, up: bool = False, depth: int | None = None, min_stake: float | None = None
    ) -> TreeNode:
        """The holding tree down from target (default: the default group's root), or the owners above it."""
        root = self.entity(target).id if target is not None else self.group().root
        return self.graph.tree(root, up=up, depth=depth, min_stake=min_stake)

    def chain(self, entity: str, from_: str | None = None) -> Chain:
        """Every holding path from the top owners of entity (or from `from_` only) down to it."""
        target = self.entity(entity).id
        absent = self.absence(target)
        if absent is not None:
            return Chain(target, [], [], {}, {}, absent=absent)
        graph = self.graph
        above = graph.effective_to(target)
        if from_ is not None:
            tops = [self.entity(from_).id]
            if tops[0] not in above or tops[0] == target:
                raise UsageError(f"no recorded holding of '{tops[0]}' in '{target}' on {self.day.isoformat()}")
        else:
            tops = sorted(graph.top_owners(target), key=lambda top: (-above[top].lower_bound, top))
        control = graph.control_to(target)
        # Whoever certainly controls the entity, top owner or not, largest effective stake first.
        controllers = sorted(
            (node for node, verdict in control.items() if verdict is True and node != target),
            key=lambda node: (-above[node].lower_bound, node),
        )
        # A top owner is shown as a nominee only when every one of its holdings towards the entity is held for
        # someone else: one that also holds on its own account has its own stake and control to answer for.
        nominee_for: dict[str, str] = {}
        for top in tops:
            links = [h for h in graph.owned(top) if h.owned in above]
            if links and all(h.nominee_for is not None for h in links):
                nominee_for[top] = str(links[0].nominee_for)
        # Owners on their own account first: `from[0]` gives the answer's headline (JSON `effective_stake`,
        # `controlled`), which must not be a nominee's "not controlled" for a VIE its parent controls.
        tops.sort(key=lambda top: top in nominee_for)
        paths, truncated = graph.paths(tops, target)
        pending = [h for h in graph.pending() if h.owned in above]
        return Chain(
            entity=target,
            tops=tops,
            paths=paths,
            effective={top: above[top] for top in tops},
            controls={top: control.get(top, False) for top in tops},
            truncated=truncated,
            nominee_for=nominee_for,
            pending=pending,
            controllers=controllers,
        )

    def show(self, entity: str) -> Profile:
        """Everything the data says about one entity, with its sources."""
        from xmfin.profile import entity_profile

        return entity_profile(self.graph, self.entity(entity).id)

    def gaps(
        self,
        group: str | None = None,
        vs: list[str] | None = None,
        *,
        strict: bool = False,
        core: bool = False,
        min_stake: float | None = None,
        controlled: bool = False,
    ) -> GapTable:
        """The licence-gap table of group (default: the default group) against vs (default: every other)."""
        own = self.group(group).id
        peers = [self.group(p).id for p in vs] if vs else [g for g in self.data.groups if g != own]
        if not peers:
            raise UsageError("no peer to compare with: give --vs GROUP")
        if own in peers:
            raise UsageError(f"--vs {own} is the group itself: compare it with another group")
        root = self.data.groups[own].root
        absent = self.absence(root)
        if absent is not None:
            # A group that did not exist holds nothing: every family a peer holds would read as a certain gap.
            raise UsageError(f"'{root}' is not there on {self.day.isoformat()} ({absent}): try another --as-of")
        from xmfin import licensing

        filters = licensing.Filters(min_stake, controlled)
        return licensing.gap_table(self.graph, own, peers, strict=strict, core=core, filters=filters)

    def matrix(
        self, *, strict: bool = False, core: bool = False, min_stake: float | None = None, controlled: bool = False
    ) -> Matrix:
        """Every group against every family (or category, with strict)."""
        from xmfin import licensing

        filters = licensing.Filters(min_stake, controlled)
        return licensing.licence_matrix(self.graph, strict=strict, core=core, filters=filters)

    def licences(
        self,
        *,
        group: str | None = None,
        family: str | None = None,
        category: str | None = None,
        jurisdiction: str | None = None,
        everything: bool = False,
    ) -> list[LicenceRow]:
        """The licences active on the day (every licence with everything), filtered as `xmfin licences` does."""
        from xmfin import licensing

        query = licensing.LicenceQuery(
            group=self.group(group).id if group is not None else None,
            family=lookup.find_family(self.data, family) if family is not None else None,
            category=lookup.find_category(self.data, category) if category is not None else None,
            jurisdiction=lookup.jurisdiction_code(jurisdiction) if jurisdiction is not None else None,
            everything=everything,
        )
        return licensing.licence_list(self.graph, query)

    def search(self, text: str, limit: int | None = DEFAULT_LIMIT) -> list[Match]:
        """Entities matching text, best first."""
        from xmfin.search import search

        return search(self.data, text, limit, self.day)

    def sources(self, entity: str | None = None) -> list[SourceUse]:
        """The sources published by the day with what cites them; or those behind one entity's facts."""
        return source_uses(self.data, self.day, self.entity(entity).id if entity is not None else None)

    def timeline(self, group: str | None = None) -> list[Event]:
        """The dated events up to the day, in order; with group, those of its members at any time."""
        from xmfin.timeline import timeline

        return timeline(self.data, self.day, self.group(group).id if group is not None else None)
