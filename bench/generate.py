"""Deterministic synthetic data folders (format version 1) for the scale benchmark.

A folder of N entities holds N/50 groups of about 50 entities each: a holding tree under the group's root
(a random recursive tree, so about four levels deep), diamonds (an entity held by two members of its group),
VIE links with the nominee shareholder a person, an in-group cross-holding in every 20th group, mutual
holdings between the roots of group pairs (groups 1 and 2 among them, so the benchmark's queries cross a
cycle), dated changes of owner and of stake, roles, figures, former names and aliases, licences on about a
third of the entities, and claims. Every record names a source, stakes never add up past 100 and no two
holdings of one owner in one entity overlap, so `xmfin check` finds neither errors nor warnings.

The same size and GENERATOR_VERSION always give byte-identical files (a seeded random.Random, no clock,
no hash order); a folder is cached under bench/.work/ and rebuilt only when either changes.
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# Bump whenever the output changes, so cached folders are regenerated.
GENERATOR_VERSION = 2
GROUP_SIZE = 50
PERSONS_PER_GROUP = 2
WORK = Path(__file__).resolve().parent / ".work"

FAMILIES: list[tuple[str, str, str, bool]] = [
    ("bank", "Banking", "银行", True),
    ("insurance", "Insurance", "保险", True),
    ("securities", "Securities", "证券", True),
    ("fund", "Funds", "基金", True),
    ("payment", "Payment", "支付", False),
    ("lending", "Lending", "小额贷款", False),
    ("trust", "Trust", "信托", False),
    ("leasing", "Leasing", "融资租赁", False),
]
CATEGORIES: list[tuple[str, str, str]] = [
    ("private-internet-bank", "bank", "Private internet bank"),
    ("virtual-bank", "bank", "Virtual bank (Hong Kong)"),
    ("insurance-brokerage", "insurance", "Insurance brokerage"),
    ("property-insurance", "insurance", "Property insurance"),
    ("securities-brokerage", "securities", "Securities brokerage"),
    ("fund-sales", "fund", "Fund sales"),
    ("fund-management", "fund", "Fund management"),
    ("third-party-payment", "payment", "Third-party payment"),
    ("microcredit", "lending", "Microcredit"),
    ("consumer-finance", "lending", "Consumer finance"),
    ("trust", "trust", "Trust company"),
    ("financial-leasing", "leasing", "Financial leasing"),
]
JURISDICTIONS = ["CN", "CN-BJ", "CN-SH", "CN-GD", "CN-CQ", "CN-ZJ", "HK", "KY", "VG", "SG", "US"]
SUFFIXES = ["Holdings Ltd", "Technology Co., Ltd.", "Finance Ltd", "Investment Co.", "Services Ltd"]
MAIN_STAKES = [100, 100, 100, 100, 75, 70, 60.5, 51, 51, 49.9, 40, 33.33]


@dataclass
class Counts:
    """How many records of each kind a folder holds (the keys `xmfin check --json` reports)."""

    sources: int = 0
    groups: int = 0
    entities: int = 0
    holdings: int = 0
    roles: int = 0
    families: int = len(FAMILIES)
    categories: int = len(CATEGORIES)
    licences: int = 0
    claims: int = 0


def entity_id(number: int) -> str:
    return f"e{number:07d}"


def group_id(number: int) -> str:
    """The id of the group numbered from 1: g00001, g00002, ..."""
    return f"g{number:05d}"


def _flow(items: list[tuple[str, object]]) -> str:
    """A flow mapping from key/value pairs whose values are YAML-safe plain scalars or lists."""
    parts = []
    for key, value in items:
        if isinstance(value, list):
            parts.append(f"{key}: [{', '.join(str(v) for v in value)}]")
        else:
            parts.append(f"{key}: {value}")
    return "{" + ", ".join(parts) + "}"


class _Writer:
    """Builds both files for one size, counting as it goes."""

    def __init__(self, size: int) -> None:
        self.rng = random.Random(f"xmfin-bench-{GENERATOR_VERSION}-{size}")
        self.size = size
        self.counts = Counts()
        self.source_count = max(3, size // 100)
        self.group_count = max(2, size // GROUP_SIZE)
        self.entities: list[str] = []
        self.holdings: list[str] = []
        self.roles: list[str] = []
        self.licences: list[str] = []
        self.claims: list[str] = []
        self.next_entity = 1
        self.roots: list[str] = []
        self.deepest = ""
        # Founding year of each company (persons have none), so no holding or licence predates its entities.
        self.founded: dict[str, int] = {}
        # Each group's companies and the equity room left in each (100 minus the stakes already given).
        self.members: list[list[str]] = []
        self.rooms: list[dict[str, float]] = []
        self.group_lines: list[str] = []

    def sources_of(self) -> list[str]:
        first = self.rng.randrange(self.source_count)
        chosen = [f"s{first:06d}"]
        if self.rng.random() < 0.3:
            chosen.append(f"s{(first + 1) % self.source_count:06d}")
        return chosen

    def year(self, low: int = 1995, high: int = 2020) -> int:
        return self.rng.randint(low, high)

    def month(self, low: int = 2000, high: int = 2020) -> str:
        return f"{self.year(low, high)}-{self.rng.randint(1, 12):02d}"

    def add_entity(self, group: int, person: bool) -> str:
        number = self.next_entity
        self.next_entity += 1
        ident = entity_id(number)
        rng = self.rng
        lines = [f"  {ident}:"]
        if person:
            lines.append(f"    name: Person {number}")
            lines.append(f"    name_zh: 人物{number}")
            lines.append("    kind: person")
        else:
            lines.append(f"    name: Entity {number} {SUFFIXES[number % len(SUFFIXES)]}")
            lines.append(f"    name_zh: 实体{number}控股")
            lines.append(f"    jurisdiction: {JURISDICTIONS[rng.randrange(len(JURISDICTIONS))]}")
            founded = self.year(1990, 2010)
            self.founded[ident] = founded
            lines.append(f"    founded: {founded}-{rng.randint(1, 12):02d}")
            if rng.random() < 0.05:
                lines.append("    former_names:")
                lines.append(f"      - {{name: Old Entity {number}, until: {founded + rng.randint(1, 5)}}}")
            if rng.random() < 0.1:
                lines.append(f"    aliases: [E{number}, 实{number}]")
            if rng.random() < 0.2:
                lines.append(f"    description: Member of group {group} in the synthetic benchmark data.")
            if rng.random() < 0.1:
                value = rng.randrange(1_000_000, 900_000_000_000)
                lines.append("    figures:")
                lines.append(
                    f"      - {{metric: revenue, value: {value}, unit: CNY, period: {self.year(2015, 2020)}, "
                    f"sources: [{self.sources_of()[0]}]}}"
                )
        lines.append(f"    sources: [{', '.join(self.sources_of())}]")
        self.entities.append("\n".join(lines))
        self.counts.entities += 1
        return ident

    def add_holding(self, fields: list[tuple[str, object]]) -> None:
        self.holdings.append("  - " + _flow([*fields, ("sources", self.sources_of())]))
        self.counts.holdings += 1

    def add_group(self, number: int) -> None:
        rng = self.rng
        companies = GROUP_SIZE - PERSONS_PER_GROUP
        members = [self.add_entity(number, person=False) for _ in range(companies)]
        persons = [self.add_entity(number, person=True) for _ in range(PERSONS_PER_GROUP)]
        root = members[0]
        self.roots.append(root)
        default = ", default: true" if number == 1 else ""
        self.group_lines.append(
            f"  {group_id(number)}: {{name: Group {number}, name_zh: 集团{number}, root: {root}{default}}}"
        )
        self.counts.groups += 1
        # Room left for other owners in each member: 100 minus the equity stakes already given.
        room: dict[str, float] = {root: 100.0}
        parents: dict[str, str] = {}
        for index in range(1, companies):
            child = members[index]
            parent = members[rng.randrange(index)]  # earlier members only: the tree has no cycle
            parents[child] = parent
            since = max(self.founded[parent], self.founded[child]) + rng.randint(0, 4)
            roll = rng.random()
            if roll < 0.05:
                # A VIE: the parent controls by contract, a person of the group holds the equity.
                self.add_holding([("owner", parent), ("owned", child), ("control", "vie"), ("since", since)])
                self.add_holding([("owner", persons[index % 2]), ("owned", child), ("stake", 100), ("since", since)])
                room[child] = 0.0
                continue
            stake = MAIN_STAKES[rng.randrange(len(MAIN_STAKES))]
            if roll < 0.13:
                # A dated change of owner: an earlier member held it until the parent bought it.
                seller = members[rng.randrange(index)]
                since = max(since, self.founded[seller])
                if seller != parent:
                    self.add_holding(
                        [
                            ("owner", seller),
                            ("owned", child),
                            ("stake", stake),
                            ("since", since),
                            ("until", f"{since + 2}-06"),
                        ]
                    )
                    since = since + 2
                    self.add_holding([("owner", parent), ("owned", child), ("stake", stake), ("since", f"{since}-07")])
                    room[child] = 100.0 - stake
                    continue
            if roll < 0.2 and stake > 40:
                # A dated change of stake: the same owner held less before.
                first = round(stake / 2, 2)
                self.add_holding(
                    [("owner", parent), ("owned", child), ("stake", first), ("since", since), ("until", since + 1)]
                )
                self.add_holding([("owner", parent), ("owned", child), ("stake", stake), ("since", since + 2)])
                room[child] = 100.0 - stake
                continue
            self.add_holding([("owner", parent), ("owned", child), ("stake", stake), ("since", since)])
            room[child] = 100.0 - stake
            if stake < 100 and index > 2 and rng.random() < 0.5:
                # A diamond: a second member, earlier than the child so no cycle, takes part of the rest.
                other = members[rng.randrange(index)]
                part = round(min(room[child], 20 + rng.random() * 20), 2)
                if other != parent and part > 0:
                    later = max(since, self.founded[other]) + 1
                    self.add_holding([("owner", other), ("owned", child), ("stake", part), ("since", later)])
                    room[child] -= part
        deep = max(members[1:], key=lambda m: _depth(m, parents))
        if number == 1:
            self.deepest = deep
        top = deep
        while parents[top] != root:
            top = parents[top]
        if number % 20 == 0 and top != deep and room[top] >= 5:
            # A cross-holding inside the group: a deep member holds a little of its ancestor below the root
            # (not of the root itself, which `check` would rightly question).
            self.add_holding([("owner", deep), ("owned", top), ("stake", 5), ("since", 2021)])
            room[top] -= 5
        self.members.append(members)
        self.rooms.append(room)
        for person in persons:
            self.roles.append(
                "  - "
                + _flow([("holder", person), ("of", root), ("title", "Director"), ("since", self.founded[root] + 5)])[
                    :-1
                ]
                + f", sources: [{self.sources_of()[0]}]}}"
            )
            self.counts.roles += 1
        for member in members:
            if rng.random() < 0.34:
                category = CATEGORIES[rng.randrange(len(CATEGORIES))][0]
                fields: list[tuple[str, object]] = [
                    ("holder", member),
                    ("category", category),
                    ("regulator", "PBOC"),
                    ("granted", self.month(self.founded[member] + 1, 2022)),
                ]
                if rng.random() < 0.05:
                    fields.append(("revoked", 2023))
                self.licences.append("  - " + _flow([*fields, ("sources", self.sources_of())]))
                self.counts.licences += 1
        if number % 10 == 1:
            family = FAMILIES[rng.randrange(len(FAMILIES))][0]
            self.claims.append(
                f"  - {{group: {group_id(number)}, family: {family}, as_of: {self.month(2015, 2020)}, "
                f"sources: [{self.sources_of()[0]}], note: Claimed by a source; no licensed entity named.}}"
            )
            self.counts.claims += 1

    def roomy(self, group: int, stake: float) -> str:
        """The first member below the root of a group (numbered from 0) with room for stake."""
        room = self.rooms[group]
        return next(m for m in self.members[group][1:] if room[m] >= stake)

    def build(self) -> tuple[str, str]:
        for number in range(1, self.group_count + 1):
            self.add_group(number)
        # Mutual holdings between members of a few group pairs (1 and 2 first): cycles across groups.
        for first in range(0, self.group_count - 1, 25):
            a, b = self.roomy(first, 4.5), self.roomy(first + 1, 8)
            self.add_holding([("owner", a), ("owned", b), ("stake", 8), ("since", 2021)])
            self.add_holding([("owner", b), ("owned", a), ("stake", 4.5), ("since", 2021)])
        sources = [
            f"  s{n:06d}: {{title: Synthetic source {n}, publisher: Bench Weekly, "
            f"published: {2010 + n % 10}-{1 + n % 12:02d}}}"
            for n in range(self.source_count)
        ]
        self.counts.sources = self.source_count
        entities = "\n".join(
            [
                "version: 1",
                "sources:",
                *sources,
                "groups:",
                *self.group_lines,
                "entities:",
                *self.entities,
                "holdings:",
                *self.holdings,
                "roles:",
                *self.roles,
                "",
            ]
        )
        licences = "\n".join(
            [
                "version: 1",
                "families:",
                *[
                    f"  {fid}: {{name: {name}, name_zh: {zh}{', core: true' if core else ''}}}"
                    for fid, name, zh, core in FAMILIES
                ],
                "categories:",
                *[f"  {cid}: {{family: {fam}, name: {name}}}" for cid, fam, name in CATEGORIES],
                "licences:",
                *self.licences,
                "claims:",
                *self.claims,
                "",
            ]
        )
        return entities, licences


def _depth(member: str, parents: dict[str, str]) -> int:
    depth = 0
    while member in parents:
        member = parents[member]
        depth += 1
    return depth


def generate(size: int, folder: Path) -> dict[str, Any]:
    """Write the data folder for `size` entities into folder; return its manifest.

    The manifest holds `counts` (what `xmfin check --json` should report) and `probe` (the group, peer
    group and deepest entity of group 1 that the benchmark's queries ask about).
    """
    if size < GROUP_SIZE * 2:
        raise ValueError(f"size {size} is too small: the benchmark needs at least {GROUP_SIZE * 2} entities")
    writer = _Writer(size)
    entities, licences = writer.build()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "entities.yaml").write_text(entities, encoding="utf-8")
    (folder / "licences.yaml").write_text(licences, encoding="utf-8")
    probe = {"group": group_id(1), "peer": group_id(2), "entity": writer.deepest}
    return {"generator": GENERATOR_VERSION, "size": size, "counts": asdict(writer.counts), "probe": probe}


def cached_folder(size: int, work: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """The generated folder for size, built once per GENERATOR_VERSION under work (default WORK); its manifest."""
    work = WORK if work is None else work
    folder = work / f"data-v{GENERATOR_VERSION}-{size}"
    manifest = folder / "manifest.json"
    if manifest.is_file():
        return folder, json.loads(manifest.read_text(encoding="utf-8"))
    partial = work / f".partial-v{GENERATOR_VERSION}-{size}"
    shutil.rmtree(partial, ignore_errors=True)
    manifest_data = generate(size, partial)
    (partial / "manifest.json").write_text(json.dumps(manifest_data, indent=1), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)  # whole folders only: an interrupted run never leaves a half-written cache
    return folder, manifest_data
