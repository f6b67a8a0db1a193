"""Is any command slower than at an earlier commit? `python -m bench compare REV [--sizes 10000,100000]`.

Issue 16 asks that the bundled data and the 100k folder answer no command slower than before the store. This
runs the same commands with the code of REV (extracted with `git archive` into bench/.work/rev-<sha>, run with
this Python and its libraries through PYTHONPATH) and with the code of this checkout, on the same data folders,
taking turns (before, after, before, after, ...) so that load on the machine falls on both alike. Each side
has its own cache folder:

- warm: the cache made by a first, untimed run of the same command (what every command after the first
  costs: the pickle cache before the store, the folder's store after);
- first use: the cache emptied before each run (the first command after an edit: a whole read, and writing
  the cache).

Each command's median after / median before is a target of at most TOLERANCE (runs of one command differ by
a few per cent here; a 10% margin keeps noise from reading as a regression). The table is printed in Markdown
and written with every measure to bench/results/compare-<time>.json.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.generate import WORK, cached_folder
from bench.measure import Measure, Spec, Target, measure_together
from bench.run import ROOT, clean_env, commands, git_commit, parse_sizes, run_header, write_results
from bench.scale import table

TOLERANCE = 1.10
DEFAULT_SIZES = (10_000, 100_000)


def extract(rev: str) -> tuple[str, Path]:
    """The code of rev as files under WORK (once per commit): its short hash and folder."""
    done = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"bench compare: not a commit: {rev}")
    short = done.stdout.strip()
    folder = WORK / f"rev-{short}"
    if not (folder / "xmfin" / "__init__.py").is_file():
        partial = Path(tempfile.mkdtemp(prefix=f".rev-{short}-", dir=WORK))
        archive = subprocess.run(["git", "archive", "--format=tar", short], cwd=ROOT, capture_output=True, check=True)
        with tempfile.TemporaryFile() as stream:
            stream.write(archive.stdout)
            stream.seek(0)
            with tarfile.open(fileobj=stream) as tar:
                tar.extractall(partial, filter="data")
        shutil.rmtree(folder, ignore_errors=True)
        partial.rename(folder)
    return short, folder


def bundled_commands(folder: Path) -> list[tuple[str, list[str]]]:
    """The everyday commands on the bundled data."""
    data = ["--data", str(folder)]
    return [
        ("--version", ["--version"]),
        ("tree --json", ["tree", "--json", *data]),
        ("gaps --vs ant --json", ["gaps", "--vs", "ant", "--json", *data]),
        ("chain xw-bank --json", ["chain", "xw-bank", "--json", *data]),
        ("show xw-bank --json", ["show", "xw-bank", "--json", *data]),
        ("search 银行 --json", ["search", "银行", "--json", *data]),
        ("matrix --json", ["matrix", "--json", *data]),
        ("check", ["check", *data]),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("rev", help="the earlier commit (e.g. 450ea43, the last before the store)")
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="generated folders (10000,100000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per command and side (default 5)")
    parser.add_argument("--first-use-repeat", type=int, default=3, help="runs of the first-use measures (default 3)")
    parser.add_argument("--out", type=Path, help="where to write the JSON results (default bench/results/)")
    args = parser.parse_args(argv)
    sizes = parse_sizes(parser, args.sizes)
    WORK.mkdir(parents=True, exist_ok=True)
    short, before_code = extract(args.rev)
    env = clean_env()
    sides = {"before": before_code, "after": ROOT}
    caches = {side: WORK / f"compare-cache-{side}" for side in sides}

    def argv_of(arguments: list[str]) -> list[str]:
        return [sys.executable, "-m", "xmfin", *arguments]

    def side_env(side: str) -> dict[str, str]:
        return {"PYTHONPATH": str(sides[side]), "XMFIN_CACHE_DIR": str(caches[side])}

    def emptying(side: str) -> Callable[[], None]:
        def empty() -> None:
            shutil.rmtree(caches[side], ignore_errors=True)

        return empty

    bundled = ROOT / "data"
    cases: list[tuple[str, list[str], bool]] = [(f"bundled: {n}", a, False) for n, a in bundled_commands(bundled)]
    for size in sizes:
        folder, manifest = cached_folder(size)
        for name, arguments, _ in commands(folder, manifest["probe"]):
            if "graphml" in name:
                continue  # the export path is shared; the other four commands read as much
            cases.append((f"{size:,}: {name}", arguments, False))
        cases.append((f"{size:,}: check (first use)", ["check", "--data", str(folder)], True))
    print(
        f"xmfin compare: {short} (before) against {git_commit()} (after), Python {platform.python_version()}",
        flush=True,
    )
    for side in sides:  # warm each side's cache with one untimed run of every command
        shutil.rmtree(caches[side], ignore_errors=True)
        for _, arguments, _ in cases:
            subprocess.run(argv_of(arguments), env={**env, **side_env(side)}, capture_output=True, check=False)
    found: list[Target] = []
    measures: list[dict[str, object]] = []
    for name, arguments, first_use in cases:
        specs = [
            Spec(
                f"{name} ({side})",
                argv_of(arguments),
                env=side_env(side),
                before_each=emptying(side) if first_use else None,
            )
            for side in sides
        ]
        before, after = measure_together(specs, env, args.first_use_repeat if first_use else args.repeat)
        found.append(_target(name, before, after))
        measures.extend(m.as_json() for m in (before, after))
        print(f"   {found[-1].name}: {_seconds(before)} -> {_seconds(after)}", flush=True)
    for side in sides:
        shutil.rmtree(caches[side], ignore_errors=True)
    print("\n== after / before (median wall time)\n")
    print(table(found))
    document = {
        **run_header("xmfin compare"),
        "before": short,
        "tolerance": TOLERANCE,
        "measures": measures,
        "targets": [t.as_json() for t in found],
    }
    write_results(document, args.out, "compare", "compare-latest.json")
    return 0


def _seconds(found: Measure) -> str:
    return f"{found.seconds:.3f} s" if found.ok and found.seconds is not None else f"failed ({found.error})"


def _target(name: str, before: Measure, after: Measure) -> Target:
    ratio = after.seconds / before.seconds if before.ok and after.ok and after.seconds and before.seconds else None
    why = None if ratio is not None else f"before: {before.error or 'ok'}; after: {after.error or 'ok'}"
    return Target(f"{name}: after / before", ratio, TOLERANCE, "x", note=why)
