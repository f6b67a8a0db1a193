"""The scale benchmark: xmfin's commands against floors measured in the same run, at 1k, 10k and 100k entities.

Run `python -m bench` (or `python bench/run.py`) from the repository root; `--help` lists the options.
Every command runs as a subprocess, as a user runs it; its wall time is the median of the runs and its peak
memory the largest peak RSS of its runs. The floors:

- import floor: `python -c "import typer, rich, networkx, yaml"`, the least any xmfin command could cost;
- parse floor: iterating libyaml's event stream (`yaml.parse`, CSafeLoader) over the data folder's files;
- typical tool: `yaml.safe_load` (CSafeLoader) of the same files.

The two parse floors time themselves inside their process (start-up excluded). Loading is `check`'s wall time
minus the import floor, and is compared with both.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import WORK, cached_folder
from bench.measure import Measure, Spec, Target, measure, measure_together, run_once

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_SIZES = (1_000, 10_000, 100_000)
GIB = 1024.0

_IMPORT_FLOOR = "import typer, rich, networkx, yaml"
_FLOOR_SCRIPT = """
import json, sys, time, yaml
files = sys.argv[2:]
start, start_cpu = time.perf_counter(), time.process_time()
if sys.argv[1] == "parse":
    for name in files:
        with open(name, "rb") as stream:
            for _ in yaml.parse(stream, Loader=yaml.CSafeLoader):
                pass
else:
    for name in files:
        with open(name, "rb") as stream:
            yaml.load(stream, Loader=yaml.CSafeLoader)
print(json.dumps({"seconds": time.perf_counter() - start, "cpu": time.process_time() - start_cpu}))
"""

# Runs the CLI with argv, then says on stderr which heavy modules were imported by the time it exited.
_IMPORTS_SCRIPT = """
import atexit, json, sys
heavy = ("yaml", "networkx", "rich")
atexit.register(lambda: sys.stderr.write("IMPORTED " + json.dumps([m for m in heavy if m in sys.modules]) + "\\n"))
sys.argv = ["xmfin", *sys.argv[1:]]
from xmfin.cli import main
main()
"""


def verdict(target: Target) -> str:
    """`met: 1.20x, limit <= 1.5x`, `MISSED by 1.08x: ...` or `NOT MEASURED why`."""
    if target.value is None:
        return f"NOT MEASURED {target.note or ''}".rstrip()
    cpu = f" (CPU {target.cpu:.2f}{target.unit})" if target.cpu is not None else ""
    limit = f"{'<=' if target.lower_is_better else '>='} {target.limit:g}{target.unit}"
    shown = f"{target.value:.2f}{target.unit}{cpu}, limit {limit}"
    if target.met:
        return f"met: {shown}"
    by = target.missed_by()
    return f"MISSED by {by:.2f}x: {shown}" if by is not None else f"MISSED: {shown}"


def _ratio(top: float | None, bottom: float | None) -> float | None:
    return top / bottom if top is not None and bottom else None


def xmfin_argv() -> list[str]:
    """How a user starts xmfin: the console script beside this Python, else `python -m xmfin`."""
    script = Path(sys.executable).parent / "xmfin"
    return [str(script)] if script.exists() else [sys.executable, "-m", "xmfin"]


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XMFIN_")}
    env["NO_COLOR"] = "1"
    return env


def commands(folder: Path, probe: dict[str, str]) -> list[tuple[str, list[str], bool]]:
    """The measured xmfin commands for one data folder: (name, arguments, prints JSON)."""
    data = ["--data", str(folder)]
    group, peer, entity = probe["group"], probe["peer"], probe["entity"]
    export_to = str(WORK / "export.graphml")
    return [
        ("check", ["check", *data], False),
        (f"tree {group} --json", ["tree", group, "--json", *data], True),
        (f"gaps {group} --vs {peer} --json", ["gaps", group, "--vs", peer, "--json", *data], True),
        (f"chain {entity} --json", ["chain", entity, "--json", *data], True),
        ("export --format graphml", ["export", "--format", "graphml", "-o", export_to, *data], False),
    ]


STARTUP_REPEAT = 15


# What a shell runs when the user presses Tab (bash; zsh and fish run the same code): completing a command name
# (`xmfin t<Tab>`, which must stay as light as --help) and an entity id (`xmfin show xiaomi-f<Tab>`, which reads
# the bundled data, as `tree` does).
COMPLETE_COMMAND = {"_XMFIN_COMPLETE": "complete_bash", "COMP_WORDS": "xmfin t", "COMP_CWORD": "1"}
COMPLETE_ENTITY = {"_XMFIN_COMPLETE": "complete_bash", "COMP_WORDS": "xmfin show xiaomi-f", "COMP_CWORD": "2"}


def startup(env: dict[str, str], repeat: int) -> dict[str, object]:
    """The import floor, `--help` and `--version` (time and heavy imports), `tree` on the bundled data, and the
    shell completion of a command name and of an entity id."""
    xmfin = xmfin_argv()
    floor, help_, version, bundled, complete_command, complete_entity = measure_together(
        [
            Spec("import floor", [sys.executable, "-c", _IMPORT_FLOOR]),
            Spec("xmfin --help", [*xmfin, "--help"]),
            Spec("xmfin --version", [*xmfin, "--version"]),
            Spec("xmfin tree (bundled data)", [*xmfin, "tree"]),
            Spec("completion: xmfin t<Tab>", xmfin, env=COMPLETE_COMMAND),
            Spec("completion: xmfin show xiaomi-f<Tab>", xmfin, env=COMPLETE_ENTITY),
        ],
        env,
        repeat,
    )
    results: dict[str, object] = {
        "import_floor": floor,
        "tree_bundled": bundled,
        "complete_command": complete_command,
        "complete_entity": complete_entity,
    }
    for flag, timed in (("--help", help_), ("--version", version)):
        probe = measure(f"imports of {flag}", [sys.executable, "-c", _IMPORTS_SCRIPT, flag], env, 1)
        imported: list[str] | None = None
        if probe.ok:
            line = next(x for x in probe.runs[0].stderr.splitlines() if x.startswith("IMPORTED "))
            imported = json.loads(line.removeprefix("IMPORTED "))
        results[flag] = {"measure": timed, "imports": imported}
    return results


def bench_size(size: int, env: dict[str, str], repeat: int) -> dict[str, object]:
    """Every measure for one size: the floors and the xmfin commands, cold, storing the cache entry, and warm."""
    folder, manifest = cached_folder(size)
    files = [str(folder / "entities.yaml"), str(folder / "licences.yaml")]
    mib = sum(Path(f).stat().st_size for f in files) / 2**20
    print(f"\n== {size:,} entities ({mib:.1f} MiB of YAML in {folder}), {repeat} runs each, taking turns", flush=True)
    xmfin = xmfin_argv()
    cache = Path(env["XMFIN_CACHE_DIR"])
    listed = commands(folder, manifest["probe"])
    check_argv = [*xmfin, *listed[0][1]]

    def clear_cache() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    def seen_once() -> None:
        clear_cache()
        run_once(check_argv, env)

    cold = [
        Spec("import floor", [sys.executable, "-c", _IMPORT_FLOOR]),
        Spec("parse floor (yaml.parse events)", [sys.executable, "-c", _FLOOR_SCRIPT, "parse", *files], inner=True),
        Spec("typical tool (yaml.safe_load)", [sys.executable, "-c", _FLOOR_SCRIPT, "load", *files], inner=True),
        *[
            Spec(f"xmfin {name}", [*xmfin, *args], check_json=prints_json, before_each=clear_cache)
            for name, args, prints_json in listed
        ],
        Spec("xmfin check (one process)", check_argv, before_each=clear_cache, env={"XMFIN_JOBS": "1"}),
        Spec("xmfin check (storing)", check_argv, before_each=seen_once),
    ]
    found = measure_together(cold, env, repeat)
    floor, parse, safe, *measures, one_process, storing = found
    _print_header()
    for row in (floor, parse, safe):
        _print_row(row, None)
    print("   -- cold: no cache entry for this folder (each run starts with an empty cache)")
    check = measures[0]
    for row in measures:
        _print_row(row, check.seconds if row is not check else None)
    loading = _print_loading("loading", check, floor, parse, safe)
    print("   -- cold, read by this process alone (XMFIN_JOBS=1), not in pieces on several cores")
    _print_row(one_process, check.seconds)
    alone = _print_loading("loading in one process", one_process, floor, parse, safe)
    print("   -- the second run on the same content, which stores the cache entry")
    _print_row(storing, check.seconds)
    print("   -- warm: the cache entry is there")
    clear_cache()
    for _ in range(2):
        run_once(check_argv, env)
    warm = measure_together(
        [Spec(f"xmfin {name} (warm)", [*xmfin, *args], check_json=prints_json) for name, args, prints_json in listed],
        env,
        repeat,
    )
    for row in warm:
        _print_row(row, warm[0].seconds if row is not warm[0] else None)
    return {
        "size": size,
        "yaml_mib": round(mib, 2),
        "counts": manifest["counts"],
        "probe": manifest["probe"],
        "import_floor": floor,
        "parse_floor": parse,
        "safe_load": safe,
        "commands": measures,
        "loading_seconds": loading,
        "one_process": one_process,
        "one_process_loading_seconds": alone,
        "storing": storing,
        "warm": warm,
    }


def _print_loading(what: str, check: Measure, floor: Measure, parse: Measure, safe: Measure) -> float | None:
    """Print loading (check - import floor, wall) against the parse floor and yaml.safe_load; return it."""
    loading = _minus(check.seconds, floor.seconds)
    if loading is None:
        print(f"   {what} = check - import floor (wall): none left over; start-up is all at this size", flush=True)
    elif parse.inner_seconds and safe.inner_seconds:
        print(
            f"   {what} = check - import floor (wall) = {loading:.3f} s: {loading / parse.inner_seconds:.2f}x the "
            f"parse floor, {safe.inner_seconds / loading:.2f}x faster than yaml.safe_load",
            flush=True,
        )
    return loading


def _print_row(found: Measure, check: float | None) -> None:
    """One line of the table: median wall and CPU seconds, peak memory, and the ratio to check's wall time."""
    if not found.ok:
        print(f"   {found.name:<48} FAILED ({found.error})", flush=True)
        return
    assert found.seconds is not None and found.cpu_seconds is not None and found.peak_mib is not None
    wall, cpu, where = found.seconds, found.cpu_seconds, ""
    if found.inner_seconds is not None and found.inner_cpu_seconds is not None:
        wall, cpu, where = found.inner_seconds, found.inner_cpu_seconds, "  (timed in-process)"
    ratio = f"  {found.seconds / check:5.2f}x check" if check else ""
    print(f"   {found.name:<48} {wall:9.3f} {cpu:9.3f} {found.peak_mib:9.1f}{ratio}{where}", flush=True)


def _print_header() -> None:
    print(f"   {'':<48} {'wall s':>9} {'CPU s':>9} {'peak MiB':>9}", flush=True)


def _loading_targets(what: str, check: Measure, floor: Measure, parse: Measure, safe: Measure, at: str) -> list[Target]:
    """The two loading limits (loading = check - import floor), in wall time with CPU time beside it."""
    loading, loading_cpu = _minus(check.seconds, floor.seconds), _minus(check.cpu_seconds, floor.cpu_seconds)
    return [
        Target(
            f"{what} / parse floor{at}",
            _ratio(loading, parse.inner_seconds),
            1.5,
            "x",
            cpu=_ratio(loading_cpu, parse.inner_cpu_seconds),
        ),
        Target(
            f"yaml.safe_load / {what}{at}",
            _ratio(safe.inner_seconds, loading),
            5,
            "x",
            False,
            cpu=_ratio(safe.inner_cpu_seconds, loading_cpu),
        ),
    ]


def targets(start: dict[str, object], sizes: list[dict[str, object]]) -> list[Target]:
    """Issue 7's targets, evaluated on this run's numbers (those whose sizes were not run are left out)."""
    found: list[Target] = []
    floor = start["import_floor"]
    assert isinstance(floor, Measure)
    for flag in ("--help", "--version"):
        entry = start[flag]
        assert isinstance(entry, dict)
        imported = entry["imports"]
        heavy = None if imported is None else float(len({"yaml", "networkx"} & set(imported)))
        found.append(Target(f"xmfin {flag} imports neither yaml nor networkx", heavy, 0, " heavy imports"))
    bundled = start["tree_bundled"]
    assert isinstance(bundled, Measure)
    found.append(
        Target(
            "xmfin tree (bundled data) / import floor",
            _ratio(bundled.seconds, floor.seconds),
            1.3,
            "x",
            note=str(bundled.error or ""),
            cpu=_ratio(bundled.cpu_seconds, floor.cpu_seconds),
        )
    )
    by_size = {int(str(s["size"])): s for s in sizes}
    largest = max(by_size, default=None)
    if largest is not None:
        top = by_size[largest]
        parse, safe, commands_ = top["parse_floor"], top["safe_load"], top["commands"]
        assert isinstance(parse, Measure) and isinstance(safe, Measure) and isinstance(commands_, list)
        at = f" at {largest:,}"
        check = next(m for m in commands_ if m.name == "xmfin check")
        size_floor = top["import_floor"]
        assert isinstance(size_floor, Measure)
        found += _loading_targets("loading", check, size_floor, parse, safe, at)
        one = top.get("one_process")  # the same limits for one process (XMFIN_JOBS=1): what one CPU gives
        if isinstance(one, Measure):
            found += _loading_targets("loading in one process", one, size_floor, parse, safe, at)
        for query in commands_:
            if query.name.startswith(("xmfin tree", "xmfin gaps", "xmfin chain")):
                found.append(
                    Target(
                        f"{query.name} / check{at}",
                        _ratio(query.seconds, check.seconds),
                        1.3,
                        "x",
                        note=str(query.error or ""),
                        cpu=_ratio(query.cpu_seconds, check.cpu_seconds),
                    )
                )
        warm = top["warm"]
        assert isinstance(warm, list)
        for command in [*commands_, top["storing"], *warm]:
            assert isinstance(command, Measure)
            value = command.peak_mib / GIB if command.peak_mib is not None else None
            found.append(
                Target(f"peak memory of {command.name}{at}", value, 1.0, " GiB", note=str(command.error or ""))
            )
    if 10_000 in by_size and 100_000 in by_size:
        small, large = by_size[10_000]["commands"], by_size[100_000]["commands"]
        assert isinstance(small, list) and isinstance(large, list)
        for before, after in zip(small, large, strict=True):
            found.append(
                Target(
                    f"growth 10k -> 100k of {after.name}",
                    _ratio(after.seconds, before.seconds),
                    12,
                    "x",
                    note=str(after.error or ""),
                    cpu=_ratio(after.cpu_seconds, before.cpu_seconds),
                )
            )
    return found


def _minus(a: float | None, b: float | None) -> float | None:
    """a - b, or None when either is missing or nothing is left (start-up is all there is at small sizes)."""
    return a - b if a is not None and b is not None and a > b else None


def _jsonable(value: object) -> object:
    if isinstance(value, Measure):
        return value.as_json()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def git_commit() -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return None
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "") if done.returncode == 0 else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help="comma-separated entity counts (default 1000,10000,100000; --quick: 1000)")
    parser.add_argument(
        "--repeat", type=int, help="runs per measure (default 5, 3 at 100k and above, 15 at start-up; --quick: 1)"
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: one run each, 1000 entities")
    parser.add_argument(
        "--startup-only", action="store_true", help="only the start-up measures (--help, --version, completion)"
    )
    parser.add_argument("--out", type=Path, help="where to write the JSON results (default bench/results/)")
    args = parser.parse_args(argv)
    sizes = parse_sizes(parser, args.sizes) if args.sizes else [1_000] if args.quick else list(DEFAULT_SIZES)
    if any(size < 100 for size in sizes):
        parser.error("--sizes: the smallest size is 100 (two groups of 50)")

    def repeat_for(size: int) -> int:
        return args.repeat or (1 if args.quick else 3 if size >= 100_000 else 5)

    env = clean_env()
    WORK.mkdir(parents=True, exist_ok=True)
    env["XMFIN_CACHE_DIR"] = str(WORK / "cache")
    print(f"xmfin benchmark: {' '.join(xmfin_argv())}, Python {platform.python_version()}, commit {git_commit()}")
    print("== start-up", flush=True)
    _print_header()
    # Start-up runs take a third of a second, where this machine's noise is largest: more of them (15, unless
    # --quick or --repeat), for a steadier median.
    start = startup(env, args.repeat or (1 if args.quick else STARTUP_REPEAT))
    floor = start["import_floor"]
    assert isinstance(floor, Measure)
    _print_row(floor, None)
    for flag in ("--help", "--version"):
        entry = start[flag]
        assert isinstance(entry, dict)
        _print_row(entry["measure"], None)
        print(f"   {'  imports at exit':<48} {', '.join(entry['imports'] or []) or 'none of yaml, networkx, rich'}")
    bundled = start["tree_bundled"]
    assert isinstance(bundled, Measure)
    _print_row(bundled, None)
    if bundled.seconds and floor.seconds:
        print(f"   {'  / import floor':<48} {bundled.seconds / floor.seconds:.2f}x")
    for key in ("complete_command", "complete_entity"):
        completed = start[key]
        assert isinstance(completed, Measure)
        _print_row(completed, None)
    if args.startup_only:
        return 0
    results = [bench_size(size, env, repeat_for(size)) for size in sizes]
    found = targets(start, results)
    print("\n== targets")
    for target in found:
        print(f"   {target.name:<62} {verdict(target)}")
    document = {
        **run_header("xmfin"),
        "note": "loading = check wall time - import floor wall time; parse floors are timed in-process",
        "startup": _jsonable(start),
        "sizes": _jsonable(results),
        "targets": [t.as_json() for t in found],
    }
    write_results(document, args.out, "bench", "latest.json")
    return 0


def parse_sizes(parser: argparse.ArgumentParser, text: str) -> list[int]:
    """--sizes: comma-separated entity counts (1000000 or 1_000_000); a usage error otherwise."""
    try:
        return [int(size.replace("_", "")) for size in text.split(",") if size.strip()]
    except ValueError:
        parser.error(f"--sizes: not a list of numbers: {text}")


def run_header(benchmark: str) -> dict[str, object]:
    """What every results document begins with: which benchmark, when, at which commit, on what."""
    return {
        "benchmark": benchmark,
        "version": 1,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "python": platform.python_version(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
    }


def write_results(document: dict[str, object], out: Path | None, kind: str, latest: str) -> Path:
    """A run's JSON document at out, or in RESULTS as <kind>-<time>.json and copied to `latest` there."""
    path = out or RESULTS / f"{kind}-{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")
    if out is None:
        shutil.copyfile(path, RESULTS / latest)
    print(f"\nresults: {path}")
    return path


if __name__ == "__main__":
    sys.exit(main())
