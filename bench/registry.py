"""Deterministic synthetic company registries of N entities for `python -m bench scale`, streamed to disk.

A registry of N entities is N/50 groups of 50 (46 companies, 4 persons): a holding tree under the group's root
(each company held by an earlier one, so a random recursive tree about four levels deep), persons at the top
(a majority holder, a ranged holder and sometimes an undisclosed one of the root), diamonds (second and third
owners of a company, exact, ranged or undisclosed), VIE links (control by contract, a person holding the
equity), dated changes of owner and of stake (`since`/`until`), a cross-holding inside every 20th group (a
cycle) and mutual holdings between the groups of every 25th pair (cycles across groups; groups 1 and 2 among
them), directors, licences on about a third of the companies, and English and Chinese names drawn from a small
vocabulary (so `search` finds substrings, words and typos). About 1.9 holdings per entity.

It is written in two forms, group by group, in constant memory (never the whole registry at once):

- BODS 0.4 JSON Lines (`registry.bods.jsonl`): entity, person and relationship statements as `xmfin import
  bods` reads them (the xmfin id as an identifier with `schemeName: "xmfin"`, so ids survive);
- the CSV tables `xmfin export -f csv -o DIR` writes (`csv/`), with the same file names, headers (taken from
  xmfin's own `csv_table`) and cell conventions, so that `xmfin import csv DIR` reads them; groups.csv holds
  the first ten groups (g00001 is the default, g00002 its peer).

The two forms are written by two processes at once, each from the same seeded random streams (one per group:
`random.Random(f"{seed}-{group}")`), so the same size, seed and GENERATOR_VERSION always give byte-identical
files whatever the order of work. A registry is cached under bench/.work/ and built only when one changes.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import random
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from bench import generate as _generate
from bench.generate import CATEGORIES, FAMILIES

# Bump whenever the output changes, so cached registries are regenerated.
GENERATOR_VERSION = 1
DEFAULT_SEED = 16
GROUP_SIZE = 50
PERSONS = 4
COMPANIES = GROUP_SIZE - PERSONS
LISTED_GROUPS = 10  # groups.csv names the first ten groups
STATEMENT_DATE = "2026-01-01"
BODS_FILE = "registry.bods.jsonl"
CSV_FOLDER = "csv"

# (English, Chinese): two of these make a company's distinctive name, so each pair names about 1 in 3,600.
WORDS = [
    ("Huaxin", "华信"), ("Tianrui", "天瑞"), ("Jinhai", "金海"), ("Hengtai", "恒泰"), ("Zhongyuan", "中原"),
    ("Xinda", "信达"), ("Anbang", "安邦"), ("Baoli", "保利"), ("Changjiang", "长江"), ("Dongfang", "东方"),
    ("Fuxing", "复星"), ("Guotai", "国泰"), ("Haitong", "海通"), ("Jiayuan", "嘉元"), ("Kangde", "康德"),
    ("Longteng", "龙腾"), ("Minsheng", "民生"), ("Ningyuan", "宁远"), ("Pingan", "平安"), ("Qianhai", "前海"),
    ("Ruifeng", "瑞丰"), ("Shengshi", "盛世"), ("Taiping", "太平"), ("Wanxiang", "万向"), ("Xinghe", "星河"),
    ("Yongan", "永安"), ("Zhaoshang", "招商"), ("Boyuan", "博远"), ("Chenguang", "晨光"), ("Dingxin", "鼎信"),
    ("Fengyuan", "丰源"), ("Guangda", "光大"), ("Hongtu", "宏图"), ("Jianxin", "建信"), ("Kaiyuan", "开元"),
    ("Lianhe", "联合"), ("Mingde", "明德"), ("Nanfang", "南方"), ("Puhui", "普惠"), ("Qiming", "启明"),
    ("Ronghui", "融汇"), ("Shunfeng", "顺丰"), ("Tongda", "通达"), ("Weilai", "蔚来"), ("Xiangyun", "祥云"),
    ("Yuanda", "远大"), ("Zhixin", "智信"), ("Aoxiang", "翱翔"), ("Beichen", "北辰"), ("Chuangying", "创盈"),
    ("Deli", "德利"), ("Fengshou", "丰收"), ("Gaoxin", "高新"), ("Huijin", "汇金"), ("Jinqiao", "金桥"),
    ("Kunlun", "昆仑"), ("Lingyun", "凌云"), ("Meihua", "梅花"), ("Nuoya", "诺亚"), ("Qingyun", "青云"),
]  # fmt: skip
PLACES = [
    ("Beijing", "北京"), ("Shanghai", "上海"), ("Shenzhen", "深圳"), ("Chongqing", "重庆"), ("Hangzhou", "杭州"),
    ("Guangzhou", "广州"), ("Tianjin", "天津"), ("Wuhan", "武汉"), ("Chengdu", "成都"), ("Xiamen", "厦门"),
]  # fmt: skip
INDUSTRIES = [
    ("Technology", "科技"), ("Investment", "投资"), ("Finance", "金融"), ("Holdings", "控股"), ("Insurance", "保险"),
    ("Payment", "支付"), ("Leasing", "租赁"), ("Trust", "信托"), ("Asset Management", "资产管理"),
    ("Microcredit", "小额贷款"), ("Commerce", "商贸"), ("Consulting", "咨询"),
]  # fmt: skip
SURNAMES = [
    ("Zhang", "张"), ("Wang", "王"), ("Li", "李"), ("Liu", "刘"), ("Chen", "陈"), ("Yang", "杨"), ("Huang", "黄"),
    ("Zhao", "赵"), ("Wu", "吴"), ("Zhou", "周"), ("Xu", "徐"), ("Sun", "孙"), ("Ma", "马"), ("Zhu", "朱"),
    ("Hu", "胡"), ("Guo", "郭"), ("He", "何"), ("Lin", "林"), ("Luo", "罗"), ("Gao", "高"),
]  # fmt: skip
GIVEN = [
    ("Wei", "伟"), ("Fang", "芳"), ("Min", "敏"), ("Jing", "静"), ("Lei", "磊"), ("Jun", "军"), ("Yang", "洋"),
    ("Yong", "勇"), ("Yan", "艳"), ("Jie", "杰"), ("Tao", "涛"), ("Ming", "明"), ("Chao", "超"), ("Xia", "霞"),
    ("Hui", "慧"), ("Qiang", "强"), ("Lan", "兰"), ("Bo", "波"), ("Ping", "平"), ("Hua", "华"),
]  # fmt: skip
JURISDICTIONS = ["CN", "CN-BJ", "CN-SH", "CN-GD", "CN-CQ", "CN-ZJ", "HK", "KY", "VG", "SG", "US"]
REGULATORS = ["PBOC", "NFRA", "CSRC", "SAFE"]
MAIN_STAKES = [100, 90, 80, 75, 70, 66.67, 60.5, 51, 51, 49.9, 40, 33.33]
TITLES = ["Director", "Chairman", "Director", "Supervisor"]

# Every text written into a JSON line by hand (not through json.dumps): nothing in it needs escaping.
for _text in [x for pair in (*WORDS, *PLACES, *INDUSTRIES, *SURNAMES, *GIVEN) for x in pair]:
    assert '"' not in _text and "\\" not in _text


@dataclass
class Counts:
    """How many records of each kind the registry holds."""

    entities: int = 0
    persons: int = 0
    holdings: int = 0
    roles: int = 0
    licences: int = 0
    groups: int = 0
    sources: int = 0
    claims: int = 0
    vie: int = 0
    dated: int = 0
    ranged: int = 0
    undisclosed: int = 0
    cross_holdings: int = 0


@dataclass
class Entity:
    id: str
    name: str
    name_zh: str
    kind: str  # company or person
    jurisdiction: str | None
    founded: str | None
    source: int


@dataclass
class Holding:
    owner: str
    owned: str
    stake: float | None
    control: str = "equity"
    since: str | None = None
    until: str | None = None
    stake_min: float | None = None
    stake_max: float | None = None
    source: int = 0


@dataclass
class Role:
    holder: str
    of: str
    title: str
    since: str
    source: int


@dataclass
class Licence:
    holder: str
    category: str
    regulator: str
    granted: str
    revoked: str | None
    source: int


@dataclass
class Group:
    """One group's records, as made (the unit in which both forms are written)."""

    number: int  # from 0
    entities: list[Entity] = field(default_factory=list)
    holdings: list[Holding] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    licences: list[Licence] = field(default_factory=list)


def entity_id(number: int) -> str:
    """The id of the entity numbered from 1: e00000001 (eight digits: 10^8 entities)."""
    return f"e{number:08d}"


def group_id(number: int) -> str:
    """The id of the group numbered from 0: g00001 is group 0."""
    return f"g{number + 1:05d}"


def source_id(number: int) -> str:
    return f"s{number:06d}"


def group_count(size: int) -> int:
    return size // GROUP_SIZE


def first_entity(group: int) -> int:
    """The number of the group's root (its first company)."""
    return group * GROUP_SIZE + 1


def company_count(size: int, group: int) -> int:
    """46 companies, and the rest of the size in the last group."""
    return COMPANIES + (size % GROUP_SIZE if group == group_count(size) - 1 else 0)


def _day(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}-01"


def _day_before(day: str) -> str:
    return (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat()


def _company_name(rng: random.Random) -> tuple[str, str]:
    place, first, second, industry = (
        PLACES[rng.randrange(len(PLACES))],
        WORDS[rng.randrange(len(WORDS))],
        WORDS[rng.randrange(len(WORDS))],
        INDUSTRIES[rng.randrange(len(INDUSTRIES))],
    )
    return (
        f"{place[0]} {first[0]} {second[0]} {industry[0]} Co., Ltd.",
        f"{place[1]}{first[1]}{second[1]}{industry[1]}有限公司",
    )


def _person_name(rng: random.Random) -> tuple[str, str]:
    surname, one, two = SURNAMES[rng.randrange(len(SURNAMES))], GIVEN[rng.randrange(20)], GIVEN[rng.randrange(20)]
    return f"{surname[0]} {one[0]}{two[0].lower()}", f"{surname[1]}{one[1]}{two[1]}"


class _Maker:
    """Makes the registry group by group; it keeps only the previous group (for the cross-group holdings)."""

    def __init__(self, size: int, seed: int) -> None:
        if size < 2 * GROUP_SIZE:
            raise ValueError(f"size {size} is too small: a registry needs at least {2 * GROUP_SIZE} entities")
        self.size, self.seed = size, seed
        self.sources = max(3, size // 1000)
        self.previous: tuple[list[str], dict[str, float], set[tuple[str, str]]] | None = None

    def group(self, number: int) -> Group:
        rng = random.Random(f"xmfin-registry-{GENERATOR_VERSION}-{self.seed}-{number}")
        made = Group(number)
        base = first_entity(number)
        companies = company_count(self.size, number)
        founded: dict[str, int] = {}

        def source() -> int:
            return rng.randrange(self.sources)

        members = []
        for index in range(companies):
            ident = entity_id(base + index)
            name, name_zh = _company_name(rng)
            year = rng.randint(1990, 2010)
            founded[ident] = year
            juris = JURISDICTIONS[rng.randrange(len(JURISDICTIONS))]
            made.entities.append(
                Entity(ident, name, name_zh, "company", juris, _day(year, rng.randint(1, 12)), source())
            )
            members.append(ident)
        persons = []
        for index in range(PERSONS):
            ident = entity_id(base + companies + index)
            name, name_zh = _person_name(rng)
            made.entities.append(Entity(ident, name, name_zh, "person", None, None, source()))
            persons.append(ident)
        root = members[0]
        room: dict[str, float] = {}
        pairs: set[tuple[str, str]] = set()  # (owner, owned) of active holdings: one at a time

        def hold(owner: str, owned: str, stake: float | None, **more: Any) -> None:
            made.holdings.append(Holding(owner, owned, stake, source=source(), **more))
            if more.get("until") is None:
                pairs.add((owner, owned))

        # Persons at the top: a majority holder, a ranged holder and (in three groups of ten) an undisclosed one.
        since_root = _day(founded[root] + 1, rng.randint(1, 12))
        hold(persons[0], root, 51, since=since_root)
        hold(persons[1], root, None, since=since_root, stake_min=10, stake_max=20)
        room[root] = 29.0
        if rng.random() < 0.3:
            hold(persons[2], root, None, since=since_root)
            room[root] = 0.0
        parents: dict[str, str] = {}
        for index in range(1, companies):
            child = members[index]
            parent = members[rng.randrange(index)]  # an earlier member: the tree has no cycle
            parents[child] = parent
            year = max(founded[parent], founded[child]) + rng.randint(0, 4)
            since = _day(year, rng.randint(1, 12))
            roll = rng.random()
            stake = MAIN_STAKES[rng.randrange(len(MAIN_STAKES))]
            if roll < 0.05:
                # A VIE: the parent controls by contract; a person of the group holds all the equity.
                hold(parent, child, None, control="vie", since=since)
                hold(persons[index % PERSONS], child, 100, since=since)
                room[child] = 0.0
                continue
            if roll < 0.13 and (seller := members[rng.randrange(index)]) != parent:
                # A dated change of owner: an earlier member held the stake until the parent bought it.
                bought = _day(max(year, founded[seller]) + 2, rng.randint(1, 12))
                hold(seller, child, stake, since=since, until=_day_before(bought))
                pairs.add((seller, child))  # no second holding of the seller's overlapping this one
                hold(parent, child, stake, since=bought)
            elif roll < 0.2:
                # A dated change of stake: the parent held less before.
                raised = _day(year + 2, rng.randint(1, 12))
                hold(parent, child, round(stake / 2, 2), since=since, until=_day_before(raised))
                hold(parent, child, stake, since=raised)
            else:
                hold(parent, child, stake, since=since)
            room[child] = round(100.0 - stake, 2)
            # Diamonds: a second and maybe a third owner share what is left, exact, ranged or undisclosed.
            for chance in (0.8, 0.5):
                if room[child] < 2 or rng.random() >= chance:
                    break
                owner = persons[rng.randrange(PERSONS)] if rng.random() < 0.25 else members[rng.randrange(index)]
                if (owner, child) in pairs:
                    continue
                later = _day(year + rng.randint(0, 3), rng.randint(1, 12))
                kind = rng.random()
                if kind < 0.6:
                    part = round(min(room[child], 1 + rng.random() * 24), 2)
                    hold(owner, child, part, since=later)
                    room[child] = round(room[child] - part, 2)
                elif kind < 0.8:
                    high = round(min(room[child], 5 + rng.random() * 20), 2)
                    low = round(high / 2, 2)
                    hold(owner, child, None, since=later, stake_min=low, stake_max=high)
                    room[child] = round(room[child] - high, 2)
                else:
                    # Undisclosed: at most what is left, and nothing after it (else the 100% rule is tight).
                    hold(owner, child, None, since=later)
                    room[child] = 0.0
        if number % 20 == 0:
            # A cross-holding inside the group: a deep member holds a little of its ancestor below the root.
            deep = max(members[1:], key=lambda m: _depth(m, parents))
            top = deep
            while parents[top] != root:
                top = parents[top]
            if top != deep and room[top] >= 5 and (deep, top) not in pairs:
                hold(deep, top, 5, since="2021-01-01")
                room[top] -= 5
        if number % 25 == 1 and self.previous is not None:
            # Mutual holdings with the previous group: a cycle across two groups (groups 1 and 2 among them).
            before, before_room, before_pairs = self.previous
            a = next((m for m in before[1:] if before_room[m] >= 4.5), None)
            b = next((m for m in members[1:] if room[m] >= 8), None)
            if a is not None and b is not None and (a, b) not in before_pairs and (b, a) not in pairs:
                hold(a, b, 8, since="2021-01-01")
                hold(b, a, 4.5, since="2021-01-01")
                room[b] -= 8
                before_room[a] -= 4.5
        for index, person in enumerate(persons[:2]):
            made.roles.append(Role(person, root, TITLES[index], _day(founded[root] + 5, 1), source()))
        for member in members:
            if rng.random() < 0.34:
                category = CATEGORIES[rng.randrange(len(CATEGORIES))][0]
                granted_year = rng.randint(founded[member] + 1, 2022)
                revoked = f"{rng.randint(granted_year + 1, 2025)}-12-31" if rng.random() < 0.05 else None
                made.licences.append(
                    Licence(
                        member,
                        category,
                        REGULATORS[rng.randrange(len(REGULATORS))],
                        _day(granted_year, rng.randint(1, 12)),
                        revoked,
                        source(),
                    )
                )
        self.previous = (members, room, pairs)
        return made

    def groups(self) -> Iterator[Group]:
        for number in range(group_count(self.size)):
            yield self.group(number)


def _depth(member: str, parents: dict[str, str]) -> int:
    """How many owners up to the top (a cycle, as a cross-holding makes, is walked once)."""
    seen = {member}
    while member in parents and parents[member] not in seen:
        member = parents[member]
        seen.add(member)
    return len(seen) - 1


def _count(counts: Counts, made: Group) -> None:
    counts.entities += len(made.entities)
    counts.persons += sum(e.kind == "person" for e in made.entities)
    counts.holdings += len(made.holdings)
    counts.roles += len(made.roles)
    counts.licences += len(made.licences)
    for h in made.holdings:
        counts.vie += h.control == "vie"
        counts.dated += h.until is not None
        counts.ranged += h.stake_min is not None
        counts.undisclosed += h.stake is None and h.stake_min is None and h.control == "equity"
        counts.cross_holdings += h.since == "2021-01-01"


# ---------------------------------------------------------------------------------------------------- CSV form


def csv_headers() -> dict[str, list[str]]:
    """Every table `xmfin export -f csv` writes, with its header, from xmfin's own code."""
    from xmfin.model import Dataset
    from xmfin.output.export import CSV_TABLES, csv_table

    empty = Dataset()
    return {table: csv_table(empty, table)[0] for table in CSV_TABLES}


def _number(value: float | None) -> str:
    """A number as export's cells write it: 51.0 as 51."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


class _CsvRows:
    """Rows in the column order of xmfin's headers; cells as `export -f csv` writes them."""

    def __init__(self, headers: dict[str, list[str]]) -> None:
        self.headers = headers
        self.sources: dict[int, str] = {}

    def _blank(self, table: str) -> tuple[list[str], dict[str, int]]:
        header = self.headers[table]
        row = ["false" if name.endswith("_exclusive") or name in ("pending", "default") else "" for name in header]
        return row, {name: i for i, name in enumerate(header)}

    def cited(self, number: int) -> str:
        text = self.sources.get(number)
        if text is None:
            text = self.sources[number] = json.dumps([source_id(number)])
        return text

    def template(self, table: str) -> tuple[list[str], dict[str, int]]:
        return self._blank(table)


def write_csv(size: int, seed: int, folder: Path) -> dict[str, Any]:
    """The CSV tables of the registry into folder; its counts."""
    folder.mkdir(parents=True, exist_ok=True)
    headers = csv_headers()
    rows = _CsvRows(headers)
    files: dict[str, TextIO] = {}
    writers: dict[str, Any] = {}
    for table, header in headers.items():
        files[table] = (folder / f"{table}.csv").open("w", encoding="utf-8", newline="")
        writers[table] = csv.writer(files[table])
        writers[table].writerow(header)
    maker = _Maker(size, seed)
    counts = Counts()
    e_row, e_at = rows.template("entities")
    h_row, h_at = rows.template("holdings")
    r_row, r_at = rows.template("roles")
    l_row, l_at = rows.template("licences")
    try:
        for made in maker.groups():
            _count(counts, made)
            out = []
            for e in made.entities:
                row = e_row.copy()
                row[e_at["id"]], row[e_at["name"]], row[e_at["name_zh"]] = e.id, e.name, e.name_zh
                row[e_at["kind"]] = e.kind
                row[e_at["jurisdiction"]] = e.jurisdiction or ""
                row[e_at["founded"]] = e.founded or ""
                row[e_at["sources"]] = rows.cited(e.source)
                out.append(row)
            writers["entities"].writerows(out)
            out = []
            for h in made.holdings:
                row = h_row.copy()
                row[h_at["owner"]], row[h_at["owned"]], row[h_at["stake"]] = h.owner, h.owned, _number(h.stake)
                row[h_at["control"]], row[h_at["since"]], row[h_at["until"]] = h.control, h.since or "", h.until or ""
                row[h_at["stake_min"]], row[h_at["stake_max"]] = _number(h.stake_min), _number(h.stake_max)
                row[h_at["sources"]] = rows.cited(h.source)
                out.append(row)
            writers["holdings"].writerows(out)
            out = []
            for r in made.roles:
                row = r_row.copy()
                row[r_at["holder"]], row[r_at["of"]], row[r_at["title"]] = r.holder, r.of, r.title
                row[r_at["since"]], row[r_at["sources"]] = r.since, rows.cited(r.source)
                out.append(row)
            writers["roles"].writerows(out)
            out = []
            for lic in made.licences:
                row = l_row.copy()
                row[l_at["holder"]], row[l_at["category"]], row[l_at["regulator"]] = (
                    lic.holder,
                    lic.category,
                    lic.regulator,
                )
                row[l_at["granted"]], row[l_at["revoked"]] = lic.granted, lic.revoked or ""
                row[l_at["sources"]] = rows.cited(lic.source)
                out.append(row)
            writers["licences"].writerows(out)
        _write_small_tables(size, maker, rows, writers, counts)
    finally:
        for stream in files.values():
            stream.close()
    return asdict(counts)


def _write_small_tables(size: int, maker: _Maker, rows: _CsvRows, writers: dict[str, Any], counts: Counts) -> None:
    """sources, groups, families, categories and one claim (events, former names and figures: headers only)."""
    row, at = rows.template("sources")
    for number in range(maker.sources):
        line = row.copy()
        line[at["id"]], line[at["title"]] = source_id(number), f"Registry extract {number}"
        line[at["publisher"]], line[at["published"]] = (
            "Bench Registry Office",
            f"{2015 + number % 10}-{1 + number % 12:02d}",
        )
        writers["sources"].writerow(line)
    counts.sources = maker.sources
    row, at = rows.template("groups")
    for number in range(min(LISTED_GROUPS, group_count(size))):
        line = row.copy()
        line[at["id"]], line[at["name"]], line[at["name_zh"]] = (
            group_id(number),
            f"Group {number + 1}",
            f"集团{number + 1}",
        )
        line[at["root"]] = entity_id(first_entity(number))
        line[at["default"]] = "true" if number == 0 else "false"
        writers["groups"].writerow(line)
        counts.groups += 1
    row, at = rows.template("families")
    for fid, name, zh, core in FAMILIES:
        line = row.copy()
        line[at["id"]], line[at["name"]], line[at["name_zh"]] = fid, name, zh
        line[at["core"]] = "true" if core else "false"
        writers["families"].writerow(line)
    row, at = rows.template("categories")
    for cid, family, name in CATEGORIES:
        line = row.copy()
        line[at["id"]], line[at["family"]], line[at["name"]] = cid, family, name
        writers["categories"].writerow(line)
    row, at = rows.template("claims")
    line = row.copy()
    line[at["group"]], line[at["family"]], line[at["as_of"]] = group_id(0), "trust", "2020-06"
    line[at["sources"]], line[at["note"]] = rows.cited(0), "Claimed by a source; no licensed entity named."
    writers["claims"].writerow(line)
    counts.claims = 1


# --------------------------------------------------------------------------------------------------- BODS form

_PUBLICATION = (
    f'"statementDate":"{STATEMENT_DATE}","publicationDetails":{{"publicationDate":"{STATEMENT_DATE}",'
    '"bodsVersion":"0.4","publisher":{"name":"xmfin bench"}}'
)


def _statement_id(kind: int, number: int) -> str:
    return f"{kind:08x}-0000-4000-8000-{number:012x}"


def _source(number: int) -> str:
    return (
        f'"source":{{"type":["thirdParty"],"description":"Registry extract {number}",'
        '"assertedBy":[{"name":"Bench Registry Office"}]}'
    )


def _end_date(until: str) -> str:
    """BODS endDate: the day after the last day held."""
    return (dt.date.fromisoformat(until) + dt.timedelta(days=1)).isoformat()


def _share(h: Holding) -> str:
    if h.stake is not None:
        return f',"share":{{"exact":{h.stake}}}'
    if h.stake_min is not None:
        return f',"share":{{"minimum":{h.stake_min},"maximum":{h.stake_max}}}'
    return ""


def bods_lines(made: Group, counter: list[int]) -> Iterator[str]:
    """The statements of one group, one JSON line each; counter[0] numbers the statements."""
    for e in made.entities:
        counter[0] += 1
        head = f'{{"statementId":"{_statement_id(1, counter[0])}",{_PUBLICATION},"declarationSubject":"{e.id}",'
        ident = f'"identifiers":[{{"id":"{e.id}","schemeName":"xmfin"}}]'
        if e.kind == "person":
            yield (
                f'{head}"recordId":"{e.id}","recordType":"person","recordDetails":{{"isComponent":false,'
                f'"personType":"knownPerson","names":[{{"type":"legal","fullName":"{e.name}"}},'
                f'{{"type":"alternative","fullName":"{e.name_zh}"}}],{ident}}},{_source(e.source)}}}\n'
            )
        else:
            yield (
                f'{head}"recordId":"{e.id}","recordType":"entity","recordDetails":{{"isComponent":false,'
                f'"entityType":{{"type":"registeredEntity","details":"company"}},"name":"{e.name}",'
                f'"alternateNames":["{e.name_zh}"],"jurisdiction":{{"name":"{e.jurisdiction}",'
                f'"code":"{e.jurisdiction}"}},{ident},"foundingDate":"{e.founded}"}},{_source(e.source)}}}\n'
            )
    for h in made.holdings:
        counter[0] += 1
        kind = "rightsGrantedByContract" if h.control == "vie" else "shareholding"
        dates = f',"startDate":"{h.since}"' + (f',"endDate":"{_end_date(h.until)}"' if h.until else "")
        yield (
            f'{{"statementId":"{_statement_id(2, counter[0])}",{_PUBLICATION},"declarationSubject":"{h.owned}",'
            f'"recordId":"rel-{h.owner}-{h.owned}-{h.since}","recordType":"relationship","recordDetails":'
            f'{{"isComponent":false,"subject":"{h.owned}","interestedParty":"{h.owner}","interests":[{{"type":'
            f'"{kind}","directOrIndirect":"direct"{_share(h)}{dates}}}]}},{_source(h.source)}}}\n'
        )
    for r in made.roles:
        counter[0] += 1
        kind = "boardChair" if "chair" in r.title.lower() else "boardMember"
        yield (
            f'{{"statementId":"{_statement_id(3, counter[0])}",{_PUBLICATION},"declarationSubject":"{r.of}",'
            f'"recordId":"role-{r.holder}-{r.of}","recordType":"relationship","recordDetails":'
            f'{{"isComponent":false,"subject":"{r.of}","interestedParty":"{r.holder}","interests":[{{"type":'
            f'"{kind}","directOrIndirect":"direct","details":"{r.title}","startDate":"{r.since}"}}]}},'
            f"{_source(r.source)}}}\n"
        )


def write_bods(size: int, seed: int, path: Path) -> dict[str, Any]:
    """The registry as BODS 0.4 JSON Lines (entities, persons, holdings and roles; no licences or groups)."""
    counts = Counts()
    counter = [0]
    with path.open("w", encoding="utf-8", newline="\n") as stream:
        for made in _Maker(size, seed).groups():
            _count(counts, made)
            stream.writelines(bods_lines(made, counter))
    return asdict(counts)


# ------------------------------------------------------------------------------------------- files and probes


def probes(size: int, seed: int) -> dict[str, Any]:
    """What the benchmark asks about: the first group and its peer, entities chosen at random (companies below
    a root, anywhere in the registry) and the deepest member of group 1, and search texts (a Chinese
    substring, an English word, a typo) taken from one of their names."""
    rng = random.Random(f"xmfin-registry-probes-{seed}-{size}")
    maker = _Maker(size, seed)
    first = maker.group(0)
    parents = {h.owned: h.owner for h in first.holdings if h.until is None and h.control == "equity"}
    companies = [e.id for e in first.entities if e.kind == "company"]
    deepest = max(companies, key=lambda m: _depth(m, parents))
    picked = [deepest]
    groups = group_count(size)
    while len(picked) < 5:
        number = rng.randrange(groups)
        ident = entity_id(first_entity(number) + 1 + rng.randrange(COMPANIES - 1))
        if ident not in picked:
            picked.append(ident)
    named = maker.group(int((int(picked[1][1:]) - 1) // GROUP_SIZE))
    entity = next(e for e in named.entities if e.id == picked[1])
    words = entity.name.split()
    word = words[1]  # the first of its two distinctive words
    typo = word[0] + word[2] + word[1] + word[3:]  # two letters swapped
    return {
        "group": group_id(0),
        "peer": group_id(1),
        "entities": picked,
        "search": {
            "chinese": entity.name_zh[2:6],  # its two distinctive words, in the middle of the name
            "english": word,
            "typo": f"{typo} {words[2]}",
        },
    }


@dataclass
class Registry:
    """A generated registry on disk: its folder, BODS file, CSV folder and manifest."""

    folder: Path
    manifest: dict[str, Any]

    @property
    def bods(self) -> Path:
        return self.folder / BODS_FILE

    @property
    def csv(self) -> Path:
        return self.folder / CSV_FOLDER


def _form(args: tuple[str, int, int, str]) -> tuple[str, dict[str, Any], float]:
    form, size, seed, where = args
    start = time.perf_counter()
    counts = write_csv(size, seed, Path(where)) if form == "csv" else write_bods(size, seed, Path(where))
    return form, counts, time.perf_counter() - start


def generate(size: int, folder: Path, seed: int = DEFAULT_SEED, jobs: int = 2) -> dict[str, Any]:
    """Write both forms of the registry into folder (the two at once with jobs > 1); return its manifest."""
    _Maker(size, seed)  # refuses too small a size before any work
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    work = [("csv", size, seed, str(folder / CSV_FOLDER)), ("bods", size, seed, str(folder / BODS_FILE))]
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=2) as pool:
            done = list(pool.map(_form, work))
    else:
        done = [_form(item) for item in work]
    by_form = {form: (counts, seconds) for form, counts, seconds in done}
    if by_form["csv"][0]["holdings"] != by_form["bods"][0]["holdings"]:
        raise AssertionError("the CSV and BODS forms differ")  # they come from the same streams
    csv_bytes = sum(p.stat().st_size for p in (folder / CSV_FOLDER).iterdir())
    return {
        "generator": GENERATOR_VERSION,
        "size": size,
        "seed": seed,
        "counts": by_form["csv"][0],
        "probe": probes(size, seed),
        "seconds": {
            "total": round(time.perf_counter() - start, 2),
            "csv": round(by_form["csv"][1], 2),
            "bods": round(by_form["bods"][1], 2),
        },
        "bytes": {"csv": csv_bytes, "bods": (folder / BODS_FILE).stat().st_size},
    }


def cached_registry(size: int, seed: int = DEFAULT_SEED, work: Path | None = None) -> Registry:
    """The registry for size and seed, built once per GENERATOR_VERSION under work (default bench/.work)."""
    work = _generate.WORK if work is None else work
    folder = work / f"registry-v{GENERATOR_VERSION}-{size}-s{seed}"
    manifest = folder / "manifest.json"
    if manifest.is_file():
        return Registry(folder, json.loads(manifest.read_text(encoding="utf-8")))
    partial = work / f".partial-registry-v{GENERATOR_VERSION}-{size}-s{seed}"
    shutil.rmtree(partial, ignore_errors=True)
    found = generate(size, partial, seed)
    (partial / "manifest.json").write_text(json.dumps(found, indent=1, ensure_ascii=False), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)  # whole registries only: an interrupted run never leaves a half-written one
    return Registry(folder, found)


# ------------------------------------------------------------------------------ CSV tables -> a YAML data folder

_JSON_COLUMNS = frozenset({"sources", "aliases", "quotes", "entities", "extra"})
_NUMBER_COLUMNS = frozenset({"stake", "stake_min", "stake_max", "value"})


def _read_cell(column: str, text: str) -> Any:
    if column in _JSON_COLUMNS:
        return json.loads(text)
    if text in ("true", "false"):
        return text == "true"
    if column in _NUMBER_COLUMNS:
        number = float(text)
        return int(number) if number.is_integer() else number
    return text.removeprefix("'") if text.startswith("'") else text


def csv_to_folder(tables: Path, folder: Path) -> None:
    """The CSV tables `export -f csv` writes as a data folder (entities.yaml, licences.yaml), for `xmfin check`
    and `xmfin store build`. Streamed: one record at a time, each as a JSON flow mapping (JSON is YAML), so its
    memory is that of the small nested tables (former names, figures) only."""
    from xmfin.storage.loading import SECTIONS

    nested: dict[str, dict[str, list[dict[str, Any]]]] = {"former_names": {}, "figures": {}}
    for table, by_entity in nested.items():
        for row in _table_rows(tables / f"{table}.csv"):
            by_entity.setdefault(row.pop("entity"), []).append(row)
    folder.mkdir(parents=True, exist_ok=True)
    for file_name, sections in SECTIONS.items():
        with (folder / file_name).open("w", encoding="utf-8") as stream:
            stream.write("version: 1\n")
            for section, (shape, _) in sections.items():
                rows = _table_rows(tables / f"{section}.csv")
                first = next(rows, None)
                if first is None:
                    stream.write(f"{section}: {'{}' if shape == 'map' else '[]'}\n")
                    continue
                stream.write(f"{section}:\n")
                for row in itertools.chain([first], rows):
                    if shape == "map":
                        ident = row.pop("id")
                        if section == "entities":
                            for table, by_entity in nested.items():
                                if ident in by_entity:
                                    row[table] = by_entity[ident]
                        stream.write(f"  {json.dumps(ident)}: {json.dumps(row, ensure_ascii=False)}\n")
                    else:
                        stream.write(f"  - {json.dumps(row, ensure_ascii=False)}\n")


def _table_rows(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of one table, without empty cells, as the records' values; nothing when the file is missing."""
    if not path.is_file():
        return
    with path.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            yield {k: _read_cell(k, v) for k, v in row.items() if v != ""}
