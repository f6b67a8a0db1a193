"""Registry scale (issue 16): xmfin's store against floors and peers, at 1M and 10M entities, in one run.

Run `python -m bench scale [--sizes 1000000,10000000] [--quick]` from the repository root. For each size it
generates (or takes from the cache) a registry as BODS JSON Lines and as the CSV tables of `export -f csv`
(bench/registry.py), then measures, every command as a subprocess (median wall time, largest peak RSS):

- floors: `xmfin --version`; the plainest bulk load of the CSV rows the import reads (entities, holdings,
  roles, licences: csv.reader and executemany into a table each without indexes, one transaction), timed in
  its process: the import floor; and the same of holdings.csv alone, reported beside it;
- peers: a DuckDB recursive CTE over the same holdings.csv computing the ancestors of one entity with their
  path products (the query an analyst writes after `export -f csv`; the load of the CSV into DuckDB is timed
  apart, so the comparison is with the query alone); the naive networkx script (all holdings into a DiGraph,
  then the sum over `all_simple_paths` from every top owner), with a timeout and a memory cap, reported as
  "did not finish" when it does not;
- xmfin: `import bods FILE --store OUT` and `import csv DIR --store OUT`, then on the CSV store with `--json`:
  `chain`, `tree --up` and `show` of five entities, `tree GROUP`, `gaps GROUP --vs PEER` and `search` of a
  Chinese substring, an English word and a typo.

Each target of the issue becomes a ratio or a bound with pass or miss, printed as a Markdown table and saved
with every measure as JSON in bench/results/ (scale-<time>.json, and scale-latest.json). A command that fails
is reported in the table as "failed: <the first line it wrote on stderr>", never raised.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import generate, registry
from bench.measure import Measure, Spec, Target, measure_together
from bench.run import clean_env, git_commit, parse_sizes, run_header, write_results, xmfin_argv

DEFAULT_SIZES = (1_000_000, 10_000_000)
QUICK_SIZES = (10_000,)

# The limits.
IMPORT_RATE = 300_000.0  # holdings per second, at least
IMPORTS = ("bods", "csv")  # the imports into a store, in the order they run
IMPORT_FLOOR_RATIO = 2.0  # import wall time / floor wall time, at most
IMPORT_PEAK_MIB = 1024.0
QUERY_RATIO = 1.3  # query / (--version + 50 ms)
QUERY_SLACK = 0.05
GROWTH = 1.5  # time at the largest size / time at the smallest
GROUP_SECONDS = 0.5
SEARCH_SECONDS = 0.5
QUERY_PEAK_MIB = 200.0
DUCKDB_RATIO = 10.0  # DuckDB CTE / xmfin chain, at least

# The import floor: every row of the given CSV files into a table of its own without indexes, one transaction.
FLOOR_SCRIPT = """
import csv, json, os, sqlite3, sys, time
start, start_cpu = time.perf_counter(), time.process_time()
out, files = sys.argv[1], sys.argv[2:]
connection = sqlite3.connect(out, isolation_level=None)
connection.execute("BEGIN")
rows = 0
for number, name in enumerate(files):
    with open(name, encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream)
        header = next(reader)
        columns = ", ".join(f'"{column}"' for column in header)
        connection.execute(f"CREATE TABLE t{number} ({columns})")
        before = connection.total_changes
        connection.executemany(f"INSERT INTO t{number} VALUES ({', '.join('?' * len(header))})", reader)
        rows += connection.total_changes - before
connection.execute("COMMIT")
connection.close()
seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": rows}))
"""

# The analyst's query: the CSV into DuckDB (timed apart), then the ancestors of each entity with the product of
# the stakes along each path (active holdings only; a path stops where it would meet itself), summed by owner.
DUCKDB_SCRIPT = """
import json, sys, time
import duckdb
path, entities = sys.argv[1], sys.argv[2:]
connection = duckdb.connect()
connection.execute("SET enable_progress_bar = false")  # it writes on stdout, where the timings go
start = time.perf_counter()
connection.execute(
    "CREATE TABLE holdings AS SELECT owner, owned, TRY_CAST(stake AS DOUBLE) AS stake, control, until "
    "FROM read_csv(?, header = true, all_varchar = true)",
    [path],
)
load = time.perf_counter() - start
QUERY = '''
WITH RECURSIVE up(owner, owned, product, path) AS (
    SELECT owner, owned, stake / 100, [owned, owner] FROM holdings WHERE owned = ? AND until IS NULL
    UNION ALL
    SELECT h.owner, h.owned, up.product * h.stake / 100, list_append(up.path, h.owner)
    FROM holdings h JOIN up ON h.owned = up.owner
    WHERE h.until IS NULL AND NOT list_contains(up.path, h.owner)
)
SELECT owner, sum(product) AS effective, count(*) AS paths FROM up GROUP BY owner ORDER BY owner
'''
times, cpus, found = [], [], []
for entity in entities:
    start, start_cpu = time.perf_counter(), time.process_time()
    rows = connection.execute(QUERY, [entity]).fetchall()
    times.append(time.perf_counter() - start)
    cpus.append(time.process_time() - start_cpu)
    found.append(len(rows))
print(json.dumps({"seconds": times[0], "cpu": cpus[0], "all_seconds": times, "load_seconds": load, "owners": found}))
"""

# The naive script: every active holding into a DiGraph, then each top owner's paths down to the entity.
NETWORKX_SCRIPT = """
import csv, json, resource, sys, time
cap = int(sys.argv[3]) * 2**20
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
try:
    start, start_cpu = time.perf_counter(), time.process_time()
    import networkx as nx
    graph = nx.DiGraph()
    with open(sys.argv[1], encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            if not row["until"]:
                stake = float(row["stake"]) / 100 if row["stake"] else None
                graph.add_edge(row["owner"], row["owned"], stake=stake)
    entity = sys.argv[2]
    effective = {}
    for top in [node for node in graph if graph.in_degree(node) == 0]:
        for path in nx.all_simple_paths(graph, top, entity):
            product = 1.0
            for owner, owned in zip(path, path[1:]):
                stake = graph.edges[owner, owned]["stake"]
                product = product * stake if stake is not None and product is not None else None
            if product is not None:
                effective[top] = effective.get(top, 0.0) + product
except MemoryError:
    sys.stderr.write(f"exceeded the memory cap of {sys.argv[3]} MiB\\n")
    sys.exit(3)
seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
print(json.dumps({"seconds": seconds, "cpu": cpu, "owners": len(effective)}))
"""


def result(target: Target) -> str:
    """`pass`, `MISS by 8.23x`, or why the target was not measured."""
    if target.value is None:
        return target.note or "not measured"
    if target.met:
        return "pass"
    by = target.missed_by()
    return f"MISS by {by:.2f}x" if by is not None else "MISS"


def _shown(value: float, unit: str) -> str:
    if unit == "holdings/s":
        return f"{value:,.0f} {unit}"
    if unit == "s":
        return f"{value:.3f} s"
    return f"{value:.2f}{unit}" if unit == "x" else f"{value:.1f} {unit}"


def table(targets: list[Target]) -> str:
    """The targets as a Markdown table: measured value, limit and pass, MISS (by how much) or failed."""
    lines = ["| target | measured | limit | result |", "|---|---|---|---|"]
    for target in targets:
        measured = _shown(target.value, target.unit) if target.value is not None else "-"
        limit = f"{'<=' if target.lower_is_better else '>='} {_shown(target.limit, target.unit)}"
        lines.append(f"| {target.name} | {measured} | {limit} | {result(target)} |")
    return "\n".join(lines)


def failure(found: Measure) -> str:
    """How a failed measure shows in the table."""
    if found.error and "stopped after" in found.error:
        return f"did not finish: {found.error.split(': ', 1)[-1]}"
    if found.memory_mib and "MemoryError" in f"{found.first_line} {found.error}":
        return f"exceeded its memory cap of {found.memory_mib} MiB (address space): {found.first_line}"
    if found.error and found.error.startswith("not run"):
        return found.error
    return f"failed: {found.first_line or found.error or 'no run'}"


def _ratio(top: float | None, bottom: float | None) -> float | None:
    return top / bottom if top is not None and bottom else None


@dataclass
class SizeRun:
    """Everything measured at one size."""

    size: int
    manifest: dict[str, Any]
    floor: Measure
    floor_all: Measure
    duckdb: Measure
    networkx: Measure
    imports: dict[str, Measure]
    queries: dict[str, list[Measure]] = field(default_factory=dict)  # kind -> one measure per entity
    store: str | None = None  # the import whose store the queries asked (csv, else bods)
    group: list[Measure] = field(default_factory=list)
    search: list[Measure] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "manifest": self.manifest,
            "import_floor": self.floor.as_json(),
            "import_floor_all_tables": self.floor_all.as_json(),
            "duckdb_cte": self.duckdb.as_json(),
            "duckdb_runs": [r.stdout for r in self.duckdb.runs],
            "networkx": self.networkx.as_json(),
            "imports": {name: m.as_json() for name, m in self.imports.items()},
            "queries_asked_the_store_of": self.store,
            "queries": {kind: [m.as_json() for m in found] for kind, found in self.queries.items()},
            "group": [m.as_json() for m in self.group],
            "search": [m.as_json() for m in self.search],
        }


def _inner(found: Measure, key: str) -> Any:
    """A value the command printed about itself (its JSON stdout), from its first run."""
    if not found.ok or not found.runs:
        return None
    try:
        return json.loads(found.runs[0].stdout).get(key)
    except ValueError:
        return None


@dataclass
class Limits:
    """How long and how much memory the long commands may take before they are stopped and reported."""

    import_seconds: float = 1800.0
    import_mib: int = 6144
    build_mib: int = 14336  # `store build` reads the whole YAML folder: room for a store to query
    query_seconds: float = 120.0
    query_mib: int = 4096
    networkx_seconds: float = 600.0
    networkx_mib: int = 8192
    yaml_max: int = 1_000_000  # the largest size also built as a YAML folder for `xmfin store build`
    imports: tuple[str, ...] = IMPORTS  # which imports run
    bods_max: int = 1_000_000  # the largest size imported from BODS (at 10M: over an hour, 40 GB of staging)


def bench_size(size: int, seed: int, env: dict[str, str], repeat: int, import_repeat: int, limits: Limits) -> SizeRun:
    started = time.perf_counter()
    found = registry.cached_registry(size, seed)
    manifest = found.manifest
    counts, took = manifest["counts"], manifest["seconds"]
    print(
        f"\n== {size:,} entities, {counts['holdings']:,} holdings (seed {seed}; generated in {took['total']:.1f} s, "
        f"CSV {manifest['bytes']['csv'] / 2**20:,.0f} MiB, BODS {manifest['bytes']['bods'] / 2**20:,.0f} MiB; "
        f"ready in {time.perf_counter() - started:.1f} s) in {found.folder}",
        flush=True,
    )
    work = found.folder / "runs"
    work.mkdir(exist_ok=True)
    holdings_csv = found.csv / "holdings.csv"
    probe = manifest["probe"]
    entities: list[str] = probe["entities"]
    xmfin = xmfin_argv()

    def removing(*paths: Path) -> Any:
        def remove() -> None:
            for path in paths:
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink(missing_ok=True)
                for suffix in ("-journal", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)

        return remove

    floor_db, floor_all_db = work / "floor.sqlite", work / "floor-all.sqlite"
    big_tables = [str(found.csv / f"{t}.csv") for t in ("entities", "holdings", "roles", "licences")]
    stores = {"bods": work / "store-bods.xmfin", "csv": work / "store-csv.xmfin"}
    import_specs = [
        Spec(
            "import floor (SQLite, holdings.csv)",
            [sys.executable, "-c", FLOOR_SCRIPT, str(floor_db), str(holdings_csv)],
            inner=True,
            before_each=removing(floor_db),
        ),
        Spec(
            "bulk load of entities, holdings, roles, licences (SQLite)",
            [sys.executable, "-c", FLOOR_SCRIPT, str(floor_all_db), *big_tables],
            inner=True,
            before_each=removing(floor_all_db),
        ),
        Spec(
            "xmfin import bods FILE --store OUT",
            [*xmfin, "import", "bods", str(found.bods), "--store", str(stores["bods"])],
            before_each=removing(stores["bods"]),
            timeout=limits.import_seconds,
            memory_mib=limits.import_mib,
        ),
        Spec(
            "xmfin import csv DIR --store OUT",
            [*xmfin, "import", "csv", str(found.csv), "--store", str(stores["csv"])],
            before_each=removing(stores["csv"]),
            timeout=limits.import_seconds,
            memory_mib=limits.import_mib,
        ),
    ]
    chosen = [
        spec
        for spec in import_specs
        if not spec.name.startswith("xmfin import ")
        or (spec.name.split()[2] in limits.imports and (spec.name.split()[2] != "bods" or size <= limits.bods_max))
    ]
    floor, floor_all, *imported = measure_together(chosen, env, import_repeat)
    removing(floor_db, floor_all_db)()
    imports = {spec.name.split()[2]: found for spec, found in zip(chosen[2:], imported, strict=True)}
    if "bods" in limits.imports and "bods" not in imports:  # shown as not run, not left out of the table
        why = f"not run: past --bods-max {limits.bods_max:,}"
        imports["bods"] = Measure("xmfin import bods FILE --store OUT", [], error=why, first_line=why)
    if size <= limits.yaml_max:
        # The same tables as a YAML folder (converted by the bench, untimed), then `xmfin store build`.
        stores["store build"] = work / "store-build.xmfin"
        folder = work / "yaml"
        if not (folder / "licences.yaml").is_file():
            shutil.rmtree(folder, ignore_errors=True)
            converting = time.perf_counter()
            registry.csv_to_folder(found.csv, folder)
            print(f"   (CSV tables to a YAML folder, untimed: {time.perf_counter() - converting:.1f} s)", flush=True)
        build = Spec(
            "xmfin store build DIR -o OUT",
            [*xmfin, "store", "build", str(folder), "-o", str(stores["store build"])],
            before_each=removing(stores["store build"]),
            timeout=limits.import_seconds,
            memory_mib=limits.build_mib,
        )
        (imports["store build"],) = measure_together([build], env, import_repeat)
    peers = [
        Spec("DuckDB recursive CTE", [sys.executable, "-c", DUCKDB_SCRIPT, str(holdings_csv), *entities], inner=True),
        Spec(
            "networkx all_simple_paths",
            [sys.executable, "-c", NETWORKX_SCRIPT, str(holdings_csv), entities[0], str(limits.networkx_mib)],
            inner=True,
            timeout=limits.networkx_seconds,
        ),
    ]
    duckdb, networkx = measure_together(peers, env, 1)
    run = SizeRun(size, manifest, floor, floor_all, duckdb, networkx, imports)
    # The queries ask the CSV import's store (it has the groups); without it, the store built from the same
    # tables as a YAML folder, else the BODS import's (no groups).
    asked = next((form for form in ("csv", "store build", "bods") if form in imports and imports[form].ok), None)
    run.store = asked
    data = ["--data", str(stores[asked or "csv"])]
    kinds: dict[str, Callable[[str], list[str]]] = {
        "chain": lambda e: ["chain", e, "--json"],
        "tree --up": lambda e: ["tree", e, "--up", "--json"],
        "show": lambda e: ["show", e, "--json"],
    }
    query_specs = [
        Spec(f"xmfin {kind} {entity} --json", [*xmfin, *make(entity), *data], check_json=True)
        for kind, make in kinds.items()
        for entity in entities
    ]
    group, peer = probe["group"], probe["peer"]
    group_specs = [
        Spec(f"xmfin tree {group} --json", [*xmfin, "tree", group, "--json", *data], check_json=True),
        Spec(
            f"xmfin gaps {group} --vs {peer} --json",
            [*xmfin, "gaps", group, "--vs", peer, "--json", *data],
            check_json=True,
        ),
    ]
    search_specs = [
        Spec(f"xmfin search {text} --json ({what})", [*xmfin, "search", text, "--json", *data], check_json=True)
        for what, text in probe["search"].items()
    ]
    everything = [*query_specs, *group_specs, *search_specs]
    for spec in everything:
        spec.timeout, spec.memory_mib = limits.query_seconds, limits.query_mib
    if asked is not None:
        made_by = "xmfin store build" if asked == "store build" else f"xmfin import {asked}"
        print(f"   (the queries ask the store made by {made_by})", flush=True)
        measured = measure_together(everything, env, repeat)
    else:
        # No store to ask: each query is reported as not run, with the import's own failure.
        why = "no store: " + "; ".join(f"{form}: {failure(m)}" for form, m in imports.items())
        measured = [Measure(s.name, s.argv, error=why, first_line=why) for s in everything]
    per_entity = len(entities)
    for index, kind in enumerate(kinds):
        run.queries[kind] = measured[index * per_entity : (index + 1) * per_entity]
    run.group = measured[len(query_specs) : len(query_specs) + 2]
    run.search = measured[len(query_specs) + 2 :]
    _print_size(run)
    return run


def _row(found: Measure, extra: str = "") -> str:
    if not found.ok:
        return f"| {found.name} | {failure(found)} | | |"
    assert found.seconds is not None and found.peak_mib is not None
    wall = found.inner_seconds if found.inner_seconds is not None else found.seconds
    where = " (in-process)" if found.inner_seconds is not None else ""
    return f"| {found.name} | {wall:.3f} s{where} | {found.peak_mib:.0f} MiB | {extra} |"


def _print_size(run: SizeRun) -> None:
    holdings = run.manifest["counts"]["holdings"]
    print("\n| measure | wall (median) | peak RSS | note |\n|---|---|---|---|")
    for found in (run.floor, run.floor_all, *run.imports.values()):
        rate = f"{holdings / found.seconds:,.0f} holdings/s" if found.ok and found.seconds else ""
        print(_row(found, rate))
    load = _inner(run.duckdb, "load_seconds")
    print(_row(run.duckdb, f"query of {run.manifest['probe']['entities'][0]}; CSV load {load:.2f} s" if load else ""))
    print(_row(run.networkx, f"owners found: {_inner(run.networkx, 'owners')}" if run.networkx.ok else ""))
    for found_list in (*run.queries.values(), run.group, run.search):
        for found in found_list:
            print(_row(found))
    sys.stdout.flush()


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def targets(version: Measure, runs: list[SizeRun]) -> list[Target]:
    """Issue 16's targets on this run's measures."""
    found: list[Target] = []
    start = version.seconds
    for run in runs:
        at = f" at {run.size:,}"
        holdings = run.manifest["counts"]["holdings"]
        for form, imported in run.imports.items():
            why = None if imported.ok else failure(imported)
            rate = holdings / imported.seconds if imported.seconds else None
            what = form if form == "store build" else f"import {form}"
            found.append(Target(f"{what}: holdings per second{at}", rate, IMPORT_RATE, "holdings/s", False, why))
            found.append(Target(f"{what}: peak memory{at}", imported.peak_mib, IMPORT_PEAK_MIB, "MiB", note=why))
        imported = run.imports.get("csv", Measure("xmfin import csv", [], error="not run (--imports)"))
        # The floor is the bulk load of the same rows the import reads (the "the same CSV rows").
        floor_why = None if run.floor_all.ok else failure(run.floor_all)
        found.append(
            Target(
                f"import csv / import floor (SQLite bulk load of the same rows){at}",
                _ratio(imported.seconds, run.floor_all.seconds),
                IMPORT_FLOOR_RATIO,
                "x",
                note=failure(imported) if not imported.ok else floor_why,
            )
        )
        limit_note = None if start is not None else failure(version)
        for measures in run.queries.values():
            for query in measures:
                ratio = _ratio(query.seconds, start + QUERY_SLACK) if start is not None else None
                found.append(
                    Target(
                        f"{query.name} / (--version + 50 ms){at}",
                        ratio,
                        QUERY_RATIO,
                        "x",
                        note=failure(query) if not query.ok else limit_note,
                    )
                )
        for query in run.group:
            found.append(Target(f"{query.name}{at}", query.seconds, GROUP_SECONDS, "s", note=_why(query)))
        for query in run.search:
            found.append(Target(f"{query.name}{at}", query.seconds, SEARCH_SECONDS, "s", note=_why(query)))
        queries = [m for measures in run.queries.values() for m in measures] + run.group + run.search
        peaks = [m.peak_mib for m in queries if m.ok and m.peak_mib is not None]
        n_failed = sum(not m.ok for m in queries)
        first_failed = next((m for m in queries if not m.ok), None)
        some = f" ({len(peaks)} that ran; {n_failed} failed)" if n_failed and peaks else ""
        found.append(
            Target(
                f"largest peak memory of the queries{some}{at}",
                max(peaks) if peaks else None,
                QUERY_PEAK_MIB,
                "MiB",
                note=failure(first_failed) if first_failed else None,
            )
        )
        chain = run.queries["chain"][0]
        cte = run.duckdb.inner_seconds
        why = failure(chain) if not chain.ok else (failure(run.duckdb) if cte is None else None)
        found.append(
            Target(
                f"DuckDB recursive CTE / xmfin chain (same entity){at}",
                _ratio(cte, chain.seconds),
                DUCKDB_RATIO,
                "x",
                False,
                why,
            )
        )
    if len(runs) > 1:
        small, large = runs[0], runs[-1]
        for kind in large.queries:
            before = _median([m.seconds for m in small.queries[kind]])
            after = _median([m.seconds for m in large.queries[kind]])
            failed = next((m for m in [*small.queries[kind], *large.queries[kind]] if not m.ok), None)
            found.append(
                Target(
                    f"xmfin {kind} (median of 5 entities) at {large.size:,} / at {small.size:,}",
                    _ratio(after, before),
                    GROWTH,
                    "x",
                    note=failure(failed) if failed else None,
                )
            )
    return found


def _why(found: Measure) -> str | None:
    return None if found.ok else failure(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help="comma-separated entity counts (default 1000000,10000000; --quick: 10000)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 10,000 entities, one run each")
    parser.add_argument("--seed", type=int, default=registry.DEFAULT_SEED, help="the generator's seed")
    parser.add_argument("--repeat", type=int, help="runs per query (default 5; --quick: 1)")
    parser.add_argument("--import-repeat", type=int, help="runs per import and floor (default 1)")
    parser.add_argument("--networkx-timeout", type=float, default=600.0, help="seconds (default 600)")
    parser.add_argument("--networkx-memory", type=int, default=8192, help="MiB of address space (default 8192)")
    parser.add_argument("--import-timeout", type=float, default=1800.0, help="seconds per import (default 1800)")
    parser.add_argument("--import-memory", type=int, default=6144, help="MiB of address space (default 6144)")
    parser.add_argument(
        "--build-memory", type=int, default=14336, help="MiB of address space for store build (default 14336)"
    )
    parser.add_argument(
        "--yaml-max",
        type=int,
        default=1_000_000,
        help="largest size also turned into a YAML folder for `xmfin store build` (default 1000000)",
    )
    parser.add_argument(
        "--imports",
        default=",".join(IMPORTS),
        help="which imports to run, of bods,csv (default both; a BODS import at 10M takes hours)",
    )
    parser.add_argument(
        "--bods-max",
        type=int,
        default=1_000_000,
        help="largest size also imported from BODS (default 1000000; at 10M it takes over an hour)",
    )
    parser.add_argument("--out", type=Path, help="where to write the JSON results (default bench/results/)")
    args = parser.parse_args(argv)
    sizes = parse_sizes(parser, args.sizes) if args.sizes else list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    if any(size < 2 * registry.GROUP_SIZE for size in sizes):
        parser.error(f"--sizes: the smallest size is {2 * registry.GROUP_SIZE} (two groups of 50)")
    repeat = args.repeat or (1 if args.quick else 5)
    chosen = tuple(form.strip() for form in args.imports.split(",") if form.strip())
    if not chosen or any(form not in IMPORTS for form in chosen):
        parser.error(f"--imports: a comma-separated list of {', '.join(IMPORTS)}: {args.imports}")
    env = clean_env()
    generate.WORK.mkdir(parents=True, exist_ok=True)
    env["XMFIN_CACHE_DIR"] = str(generate.WORK / "cache-scale")
    print(
        f"xmfin registry-scale benchmark: {' '.join(xmfin_argv())}, Python {platform.python_version()}, "
        f"commit {git_commit()}"
    )
    (version,) = measure_together([Spec("xmfin --version", [*xmfin_argv(), "--version"])], env, 15 if repeat > 1 else 1)
    print(f"xmfin --version: {version.seconds:.3f} s" if version.ok else f"xmfin --version {failure(version)}")
    runs = [
        bench_size(
            size,
            args.seed,
            env,
            repeat,
            args.import_repeat or 1,
            Limits(
                import_seconds=args.import_timeout,
                import_mib=args.import_memory,
                build_mib=args.build_memory,
                networkx_seconds=args.networkx_timeout,
                networkx_mib=args.networkx_memory,
                yaml_max=args.yaml_max,
                imports=chosen,
                bods_max=args.bods_max,
            ),
        )
        for size in sorted(sizes)
    ]
    found = targets(version, runs)
    print("\n== targets\n")
    print(table(found))
    document = {
        **run_header("xmfin registry scale"),
        "version_seconds": version.as_json(),
        "sizes": [run.as_json() for run in runs],
        "targets": [{**t.as_json(), "result": result(t)} for t in found],
    }
    write_results(document, args.out, "scale", "scale-latest.json")
    return 0
