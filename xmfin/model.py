"""Typed, frozen records of a data folder, and the Dataset that holds them indexed by id."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from xmfin.dates import PartialDate

EntityKind = Literal["company", "person", "state", "fund", "partnership"]
ENTITY_KINDS: tuple[str, ...] = ("company", "person", "state", "fund", "partnership")
Control = Literal["equity", "vie", "voting", "other"]
CONTROLS: tuple[str, ...] = ("equity", "vie", "voting", "other")


@dataclass(frozen=True, slots=True)
class Location:
    """Where a record or value stands in a data file (1-based line and column)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


NOWHERE = Location("<none>", 0, 0)


@dataclass(frozen=True, slots=True)
class Quote:
    """The words of a source that state a record's fact, and where in the source they stand."""

    source: str
    quote: str | None = None
    at: str | None = None


SOURCE_KINDS: tuple[str, ...] = ("regulator", "filing", "company", "press", "research", "aggregator")
# Sources that state a fact first-hand: a regulator's, an exchange filing, the company's own word.
PRIMARY_SOURCE_KINDS = frozenset({"regulator", "filing", "company"})


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    title: str
    publisher: str | None = None
    published: PartialDate | None = None
    url: str | None = None
    kind: str | None = None
    note: str | None = None
    extra: Any = None
    loc: Location = field(default=NOWHERE, compare=False, repr=False)

    @property
    def primary(self) -> bool:
        """Whether the source states facts first-hand (a regulator, a filing, the company itself)."""
        return self.kind in PRIMARY_SOURCE_KINDS


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    name: str
    root: str
    name_zh: str | None = None
    default: bool = False
    note: str | None = None
    extra: Any = None
    loc: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class FormerName:
    name: str
    name_zh: str | None = None
    since: PartialDate | None = None
    until: PartialDate | None = None


@dataclass(frozen=True, slots=True)
class Figure:
    metric: str
    value: float | int
    unit: str | None = None
    period: str | None = None
    as_of: PartialDate | None = None
    sources: tuple[str, ...] = ()
    note: str | None = None
    quotes: tuple[Quote, ...] = ()
    loc: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    name: str
    name_zh: str | None = None
    former_names: tuple[FormerName, ...] = ()
    aliases: tuple[str, ...] = ()
    kind: str = "company"
    jurisdiction: str | None = None
    founded: PartialDate | None = None
    dissolved: PartialDate | None = None
    description: str | None = None
    sources: tuple[str, ...] = ()
    figures: tuple[Figure, ...] = ()
    note: str | None = None
    extra: Any = None
    quotes: tuple[Quote, ...] = ()
    loc: Location = field(default=NOWHERE, compare=False, repr=False)

    @property
    def country(self) -> str | None:
        """The ISO 3166-1 part of the jurisdiction (`CN` for `CN-CQ`)."""
        return self.jurisdiction.split("-", 1)[0] if self.jurisdiction else None

    def names(self) -> list[str]:
        """Every name this entity is known by: name, Chinese name, former names, aliases."""
        found = [self.name]
        if self.name_zh:
            found.append(self.name_zh)
        for former in self.former_names:
            found.append(former.name)
            if former.name_zh:
                found.append(former.name_zh)
        found.extend(self.aliases)
        return found


@dataclass(frozen=True, slots=True)
class Holding:
    """A link owner -> owned. `stake` is exact; else `stake_min`/`stake_max` a disclosed range (each bound
    inclusive unless its `_exclusive` flag is set); none of them: undisclosed. `pending`: announced, not done."""

    owner: str
    owned: str
    stake: float | None = None
    control: str = "equity"
    since: PartialDate | None = None
    until: PartialDate | None = None
    sources: tuple[str, ...] = ()
    note: str | None = None
    extra: Any = None
    quotes: tuple[Quote, ...] = ()
    stake_min: float | None = None
    stake_max: float | None = None
    stake_min_exclusive: bool = False
    stake_max_exclusive: bool = False
    pending: bool = False
    nominee_for: str | None = None
    loc: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Role:
    holder: str
    of: str
    title: str
    since: PartialDate | None = None
    until: PartialDate | None = None
    sources: tuple[str, ...] = ()
    note: str | None = None
    quotes: tuple[Quote, ...] = ()
    loc: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Family:
    id: str
    name: str
    name_zh: str | None = None
    core: bool = False
    note: str | None = None
    loc: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    family: str
    name: str
    name_zh: str | None = None
    note: str | None = None
    loc: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Licence:
    holder: str
    category: str
    regulator: str | None = None
    jurisdiction: str | None = None
    number: str | None = None
    granted: PartialDate | None = None
    revoked: PartialDate | None = None
    sources: tuple[str, ...] = ()
    note: str | None = None
    extra: Any = None
    quotes: tuple[Quote, ...] = ()
    pending: bool = False
    loc: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Claim:
    group: str
    family: str
    as_of: PartialDate | None = None
    sources: tuple[str, ...] = ()
    note: str | None = None
    quotes: tuple[Quote, ...] = ()
    loc: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """A dated event that changed the field (an IPO suspended, a fine, an order), about some entities."""

    date: PartialDate
    title: str
    entities: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    quotes: tuple[Quote, ...] = ()
    note: str | None = None
    loc: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(slots=True)
class Dataset:
    """All records of one data folder. Mappings keep the order of the files."""

    path: Path | None = None
    sources: dict[str, Source] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    entities: dict[str, Entity] = field(default_factory=dict)
    holdings: list[Holding] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    events: list[RecordedEvent] = field(default_factory=list)
    families: dict[str, Family] = field(default_factory=dict)
    categories: dict[str, Category] = field(default_factory=dict)
    licences: list[Licence] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)

    @property
    def default_group(self) -> Group | None:
        """The group marked `default: true`, if any."""
        return next((group for group in self.groups.values() if group.default), None)

    def family_of(self, category_id: str) -> str:
        """The family id of a category id."""
        return self.categories[category_id].family


R = TypeVar("R")


def maker(cls: type[R]) -> Callable[..., R]:
    """A function that makes a record of `cls` from the same arguments as `cls(...)`, in about half the time.

    A frozen dataclass's __init__ sets each field through object.__setattr__. Loading 100k entities builds over
    half a million records, so this function sets each slot through its own descriptor instead. It is written
    out per class, as dataclasses writes __init__, so that it takes exactly the same arguments and defaults; it
    is a global of this module (`make_<class>`), so pickle can name it; each class has one.
    """
    made: Callable[..., R] | None = _MAKERS.get(cls)
    if made is not None:
        return made
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    defaults = {f.name: f.default for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING}  # type: ignore[arg-type]
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    namespace.update({f"set_{name}": getattr(cls, name).__set__ for name in names})
    namespace.update({f"default_{name}": value for name, value in defaults.items()})
    parameters = ", ".join(f"{name}=default_{name}" if name in defaults else name for name in names)
    body = "".join(f"    set_{name}(record, {name})\n" for name in names)
    exec(f"def make({parameters}):\n    record = new(cls)\n{body}    return record\n", namespace)
    make: Callable[..., R] = namespace["make"]
    make.__name__ = make.__qualname__ = f"make_{cls.__name__.lower()}"
    make.__module__ = __name__
    setattr(sys.modules[__name__], make.__name__, make)
    _MAKERS[cls] = make
    return make


_MAKERS: dict[type, Callable[..., Any]] = {}
