"""The coverage table of docs/data.md, computed from the bundled data; the test fails when the page is stale.

Print the current table with `python -m tests.test_dataset_coverage` and paste it between the markers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xmfin import bundled_data
from xmfin.freshness import confirmed
from xmfin.model import PRIMARY_SOURCE_KINDS, Dataset
from xmfin.storage.loading import load

DOC = Path(__file__).parents[1] / "docs" / "data.md"
BEGIN = "<!-- coverage table: python -m tests.test_dataset_coverage -->"
END = "<!-- end of coverage table -->"
VIRTUAL_BANKS = [
    "livi-bank",
    "mox-bank",
    "za-bank",
    "welab-bank",
    "ant-bank-hk",
    "fusion-bank",
    "airstar-bank",
    "paobank",
]


def members(data: Dataset, root: str) -> set[str]:
    """The root and every entity it reaches through holdings on any day (ended ones too; pending ones not)."""
    below: dict[str, list[str]] = {}
    for h in data.holdings:
        if not h.pending:
            below.setdefault(h.owner, []).append(h.owned)
    seen, todo = {root}, [root]
    while todo:
        for owned in below.get(todo.pop(), []):
            if owned not in seen:
                seen.add(owned)
                todo.append(owned)
    return seen


def row(data: Dataset, label: str, entities: set[str]) -> list[str]:
    licences = [x for x in data.licences if x.holder in entities]
    facts: list[Any] = [h for h in data.holdings if h.owned in entities]
    facts += licences + [r for r in data.roles if r.of in entities]
    facts += [f for e in entities for f in data.entities[e].figures]
    primary = sum(any(data.sources[s].kind in PRIMARY_SOURCE_KINDS for s in f.sources) for f in facts)
    quoted = sum(any(q.quote for q in f.quotes) for f in facts)
    lasts = [last for f in facts if (last := confirmed(data, f.sources)) is not None]
    oldest = min(lasts, key=lambda d: (d.last, d.text)).text if lasts else "-"
    return [
        label,
        str(len(entities)),
        str(len(licences)),
        str(len(facts)),
        f"{round(100 * primary / len(facts))}%" if facts else "-",
        f"{round(100 * quoted / len(facts))}%" if facts else "-",
        oldest,
    ]


def table(data: Dataset) -> str:
    header = ["group", "entities", "licences", "facts", "primary source", "quoted", "oldest last confirmation"]
    rows = [row(data, f"`{g.id}` {g.name}", members(data, g.root)) for g in data.groups.values()]
    rows.append(row(data, "the eight 2019 virtual banks", set(VIRTUAL_BANKS)))
    rows.append(row(data, "**whole dataset**", set(data.entities)))
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def counts(data: Dataset) -> dict[str, int]:
    """The totals quoted in docs/data.md."""
    records: list[Any] = [*data.entities.values(), *data.holdings, *data.roles, *data.events, *data.licences]
    records += [*data.claims, *(f for e in data.entities.values() for f in e.figures)]
    return {
        "entities": len(data.entities),
        "holdings": len(data.holdings),
        "licences": len(data.licences),
        "roles": len(data.roles),
        "figures": sum(len(e.figures) for e in data.entities.values()),
        "claims": len(data.claims),
        "events": len(data.events),
        "sources": len(data.sources),
        "quotes": sum(1 for r in records for q in r.quotes if q.quote),
    }


def test_the_coverage_table_of_docs_data_md_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert BEGIN in text and END in text
    shown = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert shown == table(load(bundled_data())), "docs/data.md is stale: run python -m tests.test_dataset_coverage"


if __name__ == "__main__":
    data = load(bundled_data())
    print(table(data))
    print(counts(data))
