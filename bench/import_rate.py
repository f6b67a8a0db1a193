"""`python -m bench.import_rate TABLES [STORE]`: how fast `import csv` fills a store, beside the floor.

TABLES is a folder of the CSV tables `export -f csv` writes (bench/scale.py's registry makes them at any size).
In one run: the floor (csv.reader and executemany of the rows of entities, holdings, roles and licences into
SQLite tables without indexes, one transaction: the plainest bulk load of the same rows), then
`xmfin import csv TABLES --store STORE` in this process, split into its phases (the rows written, the store's
indexes and full-text index, the checks across records), with holdings per second and the peak memory of each
(ru_maxrss of a child process). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

FLOOR = """
import csv, json, resource, sqlite3, sys, time
start = time.perf_counter()
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN")
rows = 0
for number, name in enumerate(sys.argv[2:]):
    with open(name, encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream)
        header = next(reader)
        connection.execute(f"CREATE TABLE t{number} ({', '.join(repr(c) for c in header)})")
        before = connection.total_changes
        connection.executemany(f"INSERT INTO t{number} VALUES ({', '.join('?' * len(header))})", reader)
        rows += connection.total_changes - before
connection.execute("COMMIT")
print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

IMPORT = """
import json, resource, sys, time
from pathlib import Path
from xmfin import csv_import
from xmfin.storage import store
phases = {"index_seconds": 0.0}
index = store.StoreWriter.index
def timed_index(self):
    start = time.perf_counter(); index(self); phases["index_seconds"] += time.perf_counter() - start
store.StoreWriter.index = timed_index
check = csv_import.check_store
def timed_check(*args):
    start = time.perf_counter(); found = check(*args); phases["check_seconds"] = time.perf_counter() - start
    return found
csv_import.check_store = timed_check
start = time.perf_counter()
counts = csv_import.import_csv(Path(sys.argv[1]), Path(sys.argv[2]))
seconds = time.perf_counter() - start
phases["rows_seconds"] = seconds - phases["index_seconds"] - phases.get("check_seconds", 0.0)
print(json.dumps({"seconds": seconds, **phases, "holdings": counts.get("holding", 0), "slow_rows": counts["slow"],
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _run(script: str, *args: str) -> dict[str, float]:
    found = subprocess.run([sys.executable, "-c", script, *args], check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(found.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_rate", description=__doc__.split("\n\n")[0])
    parser.add_argument("tables", type=Path, help="a folder of the CSV tables `xmfin export -f csv` writes")
    parser.add_argument("store", type=Path, nargs="?", help="where to write the store (default: a temporary file)")
    args = parser.parse_args(argv)
    tables: Path = args.tables
    if not (tables / "holdings.csv").is_file():
        parser.error(f"{tables}: not a folder of CSV tables (no holdings.csv)")
    with tempfile.TemporaryDirectory(dir=tables.parent) as work:
        store = args.store if args.store is not None else Path(work) / "store.xmfin"
        big = [str(tables / f"{name}.csv") for name in ("entities", "holdings", "roles", "licences")]
        floor = _run(FLOOR, str(Path(work) / "floor.db"), *big)
        store.unlink(missing_ok=True)
        made = _run(IMPORT, str(tables), str(store))
    rate = made["holdings"] / made["seconds"]
    print(
        json.dumps(
            {
                "floor": floor,
                "import_csv": made,
                "holdings_per_second": round(rate),
                "holdings_per_second_rows_only": round(made["holdings"] / made["rows_seconds"]),
                "ratio_to_floor": round(made["seconds"] / floor["seconds"], 2),
                "ratio_to_floor_rows_only": round(made["rows_seconds"] / floor["seconds"], 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
