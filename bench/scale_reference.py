"""The effective-stake propagation of docs/scale.md, run by DuckDB on the tables of `xmfin export -f parquet`.

This is the algorithm the Spark job of docs/scale.md runs, step for step, on one machine: every statement
below is a relational step (a filter, a join, a group-by) that Spark runs the same way on partitioned
DataFrames. Two steps are not SQL here, as they are not in Spark either: the strongly connected components
(GraphFrames' `stronglyConnectedComponents` there, Tarjan's algorithm here) and the walk of simple paths inside
one cross-holding cycle (a grouped pandas UDF there, `walk_cycle` here). tests/test_scale_doc.py checks every
answer against xmfin's own `chain --json` (effective_min, effective_max, via_vie).

What it computes: for every entity T and every X above T on the day, X's effective stake in T as bounds,
exactly as `xmfin chain T --from X` does (graph.py, `effective_to`):

1. the day's view: entities that exist on the day, holdings active on it between them, not pending;
2. each link's bounds [lo, hi]: an exact stake; a VIE without a stake 100%; else [stake_min or 0, stake_max or
   100], an undisclosed equity upper bound narrowed to 100% less what the other holders certainly have;
3. the strongly connected components (a cross-holding cycle is one; every other entity is its own);
4. each component's level: 0 when it holds nothing, else one more than the highest level of what it holds;
5. the values V(X, T), level by level (semi-naive: each round only the rows made in the round before, the
   frontier, join the links): a component's rows are final once every component it holds is, so round r
   combines what level r received and pushes it one link up. Combining sums lower and upper bounds and caps
   the upper bound at 100% where every path is equity; inside a cycle, simple paths are walked under
   xmfin's budget (CYCLE_PATH_BUDGET per component and target; past it, [0, unbounded]).

Run: `python -m bench.scale_reference TABLES_DIR [--as-of DAY] [--target ID]`: one JSON line per (owner,
target) pair, percent as xmfin prints them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/scale_reference.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Simple paths walked inside one cycle, per target, before its values are [0, unbounded] (graph.py's budget).
CYCLE_PATH_BUDGET = 200_000

# Partial dates are text (YYYY, YYYY-MM, YYYY-MM-DD): a period runs from the first day of `since` to the last
# day of `until`. The same expressions work in Spark SQL (`to_date`, `concat`, `last_day`).
MACROS = """
CREATE OR REPLACE MACRO first_day(d) AS
    CAST(CASE length(d) WHEN 4 THEN d || '-01-01' WHEN 7 THEN d || '-01' ELSE d END AS DATE);
CREATE OR REPLACE MACRO last_day_of(d) AS
    CASE length(d) WHEN 4 THEN CAST(d || '-12-31' AS DATE)
                   WHEN 7 THEN last_day(CAST(d || '-01' AS DATE))
                   ELSE CAST(d AS DATE) END;
"""

# 1. The day's view. Of two active holdings of one pair (which `xmfin check` refuses), the later row wins, as
# in xmfin's graph.
DAY_VIEW = """
CREATE OR REPLACE TEMP TABLE nodes AS
SELECT id FROM read_parquet($entities)
WHERE (founded IS NULL OR first_day(founded) <= $day) AND (dissolved IS NULL OR $day <= last_day_of(dissolved));

CREATE OR REPLACE TEMP TABLE active AS
SELECT * FROM read_parquet($holdings, file_row_number = true)
WHERE NOT pending
  AND (since IS NULL OR first_day(since) <= $day) AND (until IS NULL OR $day <= last_day_of(until))
  AND owner IN (SELECT id FROM nodes) AND owned IN (SELECT id FROM nodes)
QUALIFY row_number() OVER (PARTITION BY owner, owned ORDER BY file_row_number DESC) = 1;
"""

# 2. Each link's bounds, as fractions. `floor`: the equity a holding certainly stands for; `total`: that of
# every holder of the same entity (one window, or a group-by and a join in Spark).
LINKS = """
CREATE OR REPLACE TEMP TABLE links AS
WITH floors AS (
    SELECT *, CASE WHEN control = 'equity' THEN coalesce(stake, stake_min, 0) / 100 ELSE 0 END AS floor,
           CASE WHEN stake IS NOT NULL THEN stake / 100
                WHEN control = 'vie' AND stake_min IS NULL AND stake_max IS NULL THEN 1.0 END AS exact
    FROM active
), totals AS (
    SELECT *, sum(floor) OVER (PARTITION BY owned) AS total FROM floors
), bounded AS (
    SELECT owner, owned, control, exact,
           coalesce(stake_min, 0) / 100 AS low,
           CASE WHEN control = 'equity'
                THEN least(coalesce(stake_max, 100) / 100, greatest(0, 1 - (total - floor)))
                ELSE coalesce(stake_max, 100) / 100 END AS high
    FROM totals
)
SELECT owner, owned,
       coalesce(exact, low) AS lo,
       coalesce(exact, greatest(low, high)) AS hi,
       control = 'vie' AS vie,
       control <> 'equity' AS beyond
FROM bounded;
"""

# 4. Levels over the components (one round per level; a round touches the component graph only).
COMPONENT_LINKS = """
CREATE OR REPLACE TEMP TABLE component_links AS
SELECT DISTINCT a.component AS upper, b.component AS lower
FROM links JOIN components a ON a.id = links.owner JOIN components b ON b.id = links.owned
WHERE a.component <> b.component;
"""

# 5. One round. Combine what the components of this level received (singletons in SQL; cycles in walk_cycle).
# sum(hi) is null when one path had no upper bound (a cycle past its budget): so is the result.
COMBINE = """
INSERT INTO v
SELECT x, t,
       CASE WHEN hi IS NULL THEN lo ELSE least(lo, hi) END AS lo, hi, vie, beyond
FROM (
    SELECT x, t, lo,
           CASE WHEN hi IS NOT NULL AND NOT beyond THEN least(hi, 1.0) ELSE hi END AS hi, vie, beyond
    FROM (
        SELECT p.x, p.t, sum(p.lo) AS lo,
               CASE WHEN count(p.hi) = count(*) THEN sum(p.hi) END AS hi,
               bool_or(p.vie) AS vie, bool_or(p.beyond) AS beyond
        FROM p JOIN components c ON c.id = p.x
        WHERE c.level = $level AND c.size = 1
        GROUP BY p.x, p.t
    )
);
INSERT INTO v SELECT id, id, 1.0, 1.0, false, false FROM components WHERE level = $level AND size = 1;
"""

# Push the frontier (the rows made this round) one link up, along links between components only: a link
# inside a cycle is walked by walk_cycle instead.
PUSH = """
INSERT INTO p
SELECT l.owner AS x, f.t, f.lo * l.lo, f.hi * l.hi, f.vie OR l.vie, f.beyond OR l.beyond
FROM v f
JOIN components c ON c.id = f.x AND c.level = $level
JOIN links l ON l.owned = f.x
JOIN components o ON o.id = l.owner
WHERE o.component <> c.component;
"""


@dataclass(frozen=True, slots=True)
class Carried:
    """Bounds carried along paths (fractions; hi None: unbounded), via a VIE link, past a non-equity link."""

    lo: float
    hi: float | None
    vie: bool
    beyond: bool


START = Carried(1.0, 1.0, False, False)


def combine(parts: list[Carried]) -> Carried:
    """The sum of paths' bounds, the upper capped at 100% where every path is equity (graph.py `_combine`)."""
    lo = sum(part.lo for part in parts)
    his = [part.hi for part in parts]
    hi = None if None in his else sum(h for h in his if h is not None)
    vie = any(part.vie for part in parts)
    beyond = any(part.beyond for part in parts)
    if hi is not None and not beyond:
        hi = min(hi, 1.0)
    return Carried(lo if hi is None else min(lo, hi), hi, vie, beyond)


def through(value: Carried, link: tuple[float, float, bool, bool]) -> Carried:
    lo, hi, vie, beyond = link
    return Carried(value.lo * lo, None if value.hi is None else value.hi * hi, value.vie or vie, value.beyond or beyond)


def walk_cycle(
    members: set[str],
    owners: dict[str, list[tuple[str, tuple[float, float, bool, bool]]]],
    inflow: dict[str, Carried],
) -> dict[str, Carried]:
    """The values of one cycle's members for one target: each entry's inflow carried up every simple path
    inside the cycle (graph.py `_within_cycle`); past the budget, [0, unbounded] for every member."""
    parts: dict[str, list[Carried]] = {node: [] for node in members}
    budget = CYCLE_PATH_BUDGET  # read when called, so that a test can lower it
    for entry, value in inflow.items():
        pending = [(entry, value, frozenset({entry}))]
        while pending:
            node, carried, seen = pending.pop()
            parts[node].append(carried)
            budget -= 1
            if budget < 0:
                vie = any(v.vie for v in inflow.values())
                return {node: Carried(0.0, None, vie, True) for node in members}
            for owner, link in owners.get(node, []):
                if owner not in seen:
                    pending.append((owner, through(carried, link), seen | {owner}))
    return {node: combine(found) for node, found in parts.items() if found}


def strongly_connected(nodes: list[str], links: list[tuple[str, str]]) -> dict[str, int]:
    """Each node's component number (Tarjan's algorithm without recursion); GraphFrames' job in Spark."""
    after: dict[str, list[str]] = {}
    for owner, owned in links:
        after.setdefault(owner, []).append(owned)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    component: dict[str, int] = {}
    count = 0
    for start in nodes:
        if start in index:
            continue
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        work = [(start, iter(after.get(start, [])))]
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(after.get(child, []))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    number = count
                    count += 1
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component[member] = number
                        if member == node:
                            break
    return component


def effective_stakes(tables: Path, day: dt.date, stats: dict[str, Any] | None = None) -> dict[tuple[str, str], Carried]:
    """V(X, T) for every entity T and every X above it (and X = T: 100%) on day, from the Parquet tables.

    With stats, also what docs/scale.md's arithmetic needs: entities and links of the day, components and
    cycles, the rounds, and per round the rows made (the frontier) and pushed one link up (what a shuffle moves).
    """
    import duckdb

    db = duckdb.connect()
    db.execute(MACROS)
    params = {"entities": str(tables / "entities.parquet"), "holdings": str(tables / "holdings.parquet"), "day": day}
    for statement in DAY_VIEW.split(";"):
        if statement.strip():
            db.execute(statement, {k: v for k, v in params.items() if f"${k}" in statement})
    db.execute(LINKS)
    # 3. Components (in Spark: GraphFrames' stronglyConnectedComponents, written back as a table).
    nodes = [row[0] for row in db.execute("SELECT id FROM nodes ORDER BY id").fetchall()]
    edges = db.execute("SELECT owner, owned FROM links ORDER BY owner, owned").fetchall()
    numbers = strongly_connected(nodes, edges)
    sizes: dict[int, int] = {}
    for number in numbers.values():
        sizes[number] = sizes.get(number, 0) + 1
    _insert(
        db,
        "CREATE OR REPLACE TEMP TABLE components AS "
        "SELECT id, component, size, CAST(NULL AS INTEGER) AS level FROM made",
        {"id": nodes, "component": [numbers[n] for n in nodes], "size": [sizes[numbers[n]] for n in nodes]},
    )
    db.execute(COMPONENT_LINKS)
    # 4. Levels: Kahn's algorithm a level at a time (a component is ready when everything it holds is placed).
    db.execute("UPDATE components SET level = 0 WHERE component NOT IN (SELECT upper FROM component_links)")
    level = 0
    while db.execute("SELECT count(*) FROM components WHERE level IS NULL").fetchone()[0]:
        level += 1
        db.execute(
            """
            UPDATE components SET level = $level
            WHERE level IS NULL AND component NOT IN (
                SELECT k.upper FROM component_links k JOIN components c ON c.component = k.lower
                WHERE c.level IS NULL)
            """,
            {"level": level},
        )
    top = level
    # 5. Values, level by level.
    db.execute(
        "CREATE OR REPLACE TEMP TABLE v (x VARCHAR, t VARCHAR, lo DOUBLE, hi DOUBLE, vie BOOLEAN, beyond BOOLEAN)"
    )
    db.execute(
        "CREATE OR REPLACE TEMP TABLE p (x VARCHAR, t VARCHAR, lo DOUBLE, hi DOUBLE, vie BOOLEAN, beyond BOOLEAN)"
    )
    cycle_links = _cycle_links(db)
    rounds: list[dict[str, int]] = []
    for round_level in range(top + 1):
        for statement in COMBINE.split(";"):
            if statement.strip():
                db.execute(statement, {"level": round_level})
        _combine_cycles(db, round_level, cycle_links)
        db.execute(PUSH, {"level": round_level})
        if stats is not None:
            made = db.execute(
                "SELECT count(*) FROM v JOIN components c ON c.id = v.x WHERE c.level = $level", {"level": round_level}
            ).fetchone()
            rounds.append(
                {"frontier": made[0] if made else 0, "pushed": _count(db, "p") - sum(r["pushed"] for r in rounds)}
            )
    if stats is not None:
        stats.update(
            entities=len(nodes),
            links=len(edges),
            cycles=sum(1 for size in sizes.values() if size > 1),
            in_cycles=sum(size for size in sizes.values() if size > 1),
            rounds=len(rounds),
            pairs=_count(db, "v"),
            per_round=rounds,
        )
    return {
        (x, t): Carried(lo, hi, vie, beyond)
        for x, t, lo, hi, vie, beyond in db.execute("SELECT x, t, lo, hi, vie, beyond FROM v").fetchall()
    }


def _insert(db: Any, statement: str, columns: dict[str, list[Any]]) -> None:
    """Run statement with `made` the table of columns (an Arrow table: a row-by-row insert is slow in DuckDB)."""
    import pyarrow as pa

    db.register("made", pa.table(columns))
    try:
        db.execute(statement)
    finally:
        db.unregister("made")


def _count(db: Any, table: str) -> int:
    found = db.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(found[0]) if found else 0


def _cycle_links(db: Any) -> dict[int, dict[str, list[tuple[str, tuple[float, float, bool, bool]]]]]:
    """Per cycle, the links inside it, keyed by the entity held (a walk goes from an entity to its owners)."""
    found: dict[int, dict[str, list[tuple[str, tuple[float, float, bool, bool]]]]] = {}
    rows = db.execute(
        """
        SELECT a.component, l.owner, l.owned, l.lo, l.hi, l.vie, l.beyond
        FROM links l JOIN components a ON a.id = l.owner JOIN components b ON b.id = l.owned
        WHERE a.component = b.component AND a.size > 1
        ORDER BY l.owner, l.owned
        """
    ).fetchall()
    for component, owner, owned, lo, hi, vie, beyond in rows:
        found.setdefault(component, {}).setdefault(owned, []).append((owner, (lo, hi, vie, beyond)))
    return found


def _combine_cycles(db: Any, level: int, cycle_links: dict[int, Any]) -> None:
    """The cycles of this level: per (cycle, target), the inflow at each member walked around the cycle (in
    Spark: p joined with the components, grouped by cycle and target, a pandas UDF per group)."""
    members: dict[int, set[str]] = {}
    for node, component in db.execute(
        "SELECT id, component FROM components WHERE level = $level AND size > 1", {"level": level}
    ).fetchall():
        members.setdefault(component, set()).add(node)
    if not members:
        return
    inflows: dict[tuple[int, str], dict[str, list[Carried]]] = {}
    rows = db.execute(
        """
        SELECT c.component, p.t, p.x, p.lo, p.hi, p.vie, p.beyond
        FROM p JOIN components c ON c.id = p.x WHERE c.level = $level AND c.size > 1
        """,
        {"level": level},
    ).fetchall()
    for component, t, x, lo, hi, vie, beyond in rows:
        inflows.setdefault((component, t), {}).setdefault(x, []).append(Carried(lo, hi, vie, beyond))
    for component, inside in members.items():
        for node in inside:  # each member is a target too: its own 100% enters the cycle there
            inflows.setdefault((component, node), {}).setdefault(node, []).append(START)
    made: list[tuple[str, str, float, float | None, bool, bool]] = []
    for (component, t), entries in inflows.items():
        inflow = {node: combine(parts) for node, parts in entries.items()}
        values = walk_cycle(members[component], cycle_links.get(component, {}), inflow)
        made.extend((x, t, c.lo, c.hi, c.vie, c.beyond) for x, c in values.items())
    columns = ["x", "t", "lo", "hi", "vie", "beyond"]
    _insert(db, "INSERT INTO v SELECT * FROM made", {name: [row[i] for row in made] for i, name in enumerate(columns)})


def percent(fraction: float | None) -> float | None:
    """A fraction as xmfin prints a percentage (graph.py `_percent`)."""
    return None if fraction is None else round(fraction * 100, 6)


def lines(tables: Path, day: dt.date, target: str | None, stats: dict[str, Any] | None = None) -> Iterator[str]:
    found = effective_stakes(tables, day, stats)
    for (x, t), value in sorted(found.items()):
        if x != t and (target is None or t == target):
            yield json.dumps(
                {
                    "owner": x,
                    "target": t,
                    "effective_min": percent(value.lo),
                    "effective_max": percent(value.hi),
                    "via_vie": value.vie,
                },
                ensure_ascii=False,
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_reference", description=__doc__.split("\n")[0])
    parser.add_argument("tables", type=Path, help="a folder written by `xmfin export -f parquet -o DIR`")
    parser.add_argument("--as-of", default=None, help="YYYY, YYYY-MM or YYYY-MM-DD (the last day of it); default today")
    parser.add_argument("--target", default=None, help="only the owners of this entity id")
    parser.add_argument("--stats", action="store_true", help="only the counts docs/scale.md uses, as one JSON object")
    args = parser.parse_args(argv)
    from xmfin.dates import as_of_day

    stats: dict[str, Any] = {}
    for line in lines(args.tables, as_of_day(args.as_of), args.target, stats):
        if not args.stats:
            print(line)
    if args.stats:
        print(json.dumps(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
