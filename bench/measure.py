"""Run a command as a subprocess, repeatedly, and keep its wall time and peak memory (from wait4)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# A single run longer than this is stopped and reported as failed, so one slow command cannot hang the bench.
TIMEOUT_SECONDS = 900.0


@dataclass
class Run:
    """One run of a command: wall seconds, peak RSS in MiB, exit code, and what it printed (stdout, trimmed)."""

    seconds: float
    peak_mib: float
    returncode: int
    stdout: str
    stderr: str
    # CPU seconds (user + system) of the command: steadier than wall time on a busy machine.
    cpu_seconds: float = 0.0
    # Seconds the command timed itself (the floors print them), when it did.
    inner_seconds: float | None = None
    inner_cpu_seconds: float | None = None


@dataclass
class Measure:
    """Several runs of one command, summarised by their medians; `error` says why a command failed."""

    name: str
    argv: list[str]
    runs: list[Run] = field(default_factory=list)
    error: str | None = None
    # The first line the failing command wrote on stderr (the error message; `error` keeps the last line).
    first_line: str | None = None
    memory_mib: int | None = None  # the cap on its address space, when it had one

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.runs)

    @property
    def seconds(self) -> float | None:
        return statistics.median(r.seconds for r in self.runs) if self.ok else None

    @property
    def inner_seconds(self) -> float | None:
        inner = [r.inner_seconds for r in self.runs if r.inner_seconds is not None]
        return statistics.median(inner) if self.ok and inner else None

    @property
    def inner_cpu_seconds(self) -> float | None:
        inner = [r.inner_cpu_seconds for r in self.runs if r.inner_cpu_seconds is not None]
        return statistics.median(inner) if self.ok and inner else None

    @property
    def cpu_seconds(self) -> float | None:
        return statistics.median(r.cpu_seconds for r in self.runs) if self.ok else None

    @property
    def peak_mib(self) -> float | None:
        return max(r.peak_mib for r in self.runs) if self.ok else None

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "argv": self.argv,
            "ok": self.ok,
            "error": self.error,
            "median_seconds": self.seconds,
            "median_inner_seconds": self.inner_seconds,
            "median_inner_cpu_seconds": self.inner_cpu_seconds,
            "median_cpu_seconds": self.cpu_seconds,
            "peak_mib": self.peak_mib,
            "runs": [
                {
                    "seconds": r.seconds,
                    "cpu_seconds": r.cpu_seconds,
                    "inner_seconds": r.inner_seconds,
                    "peak_mib": r.peak_mib,
                }
                for r in self.runs
            ],
        }


# Starts the command and reports its wall time and its own peak RSS on a pipe. It stands between the bench and
# the command because Linux keeps a process's RSS high-water mark across exec, and a child spawned straight
# from the bench (which holds the generated data) would start with the bench's mark. This helper is a bare
# Python (-S -E) of a few MiB, so that is the least a measured peak can be.
_SPAWN = """
import json, os, resource, signal, sys, time
timeout, report_fd, cap, argv = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
os.set_inheritable(report_fd, False)
if cap:
    resource.setrlimit(resource.RLIMIT_AS, (cap * 2**20, cap * 2**20))
start = time.perf_counter()
pid = os.posix_spawnp(argv[0], argv, os.environ)
signal.signal(signal.SIGALRM, lambda *_: os.kill(pid, signal.SIGKILL))
signal.setitimer(signal.ITIMER_REAL, timeout)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
signal.setitimer(signal.ITIMER_REAL, 0)
cpu = usage.ru_utime + usage.ru_stime
report = {"seconds": seconds, "cpu": cpu, "maxrss_kib": usage.ru_maxrss, "code": os.waitstatus_to_exitcode(status)}
os.write(report_fd, json.dumps(report).encode())
"""


def run_once(
    argv: list[str],
    env: dict[str, str],
    cwd: Path | None = None,
    timeout: float | None = None,
    memory_mib: int | None = None,
) -> Run:
    """Run argv to completion (or stop it after timeout seconds; with memory_mib, its address space is capped
    there): its wall time, and its own peak RSS from wait4."""
    timeout = TIMEOUT_SECONDS if timeout is None else timeout
    read_end, write_end = os.pipe()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        cap = str(memory_mib or 0)
        helper = [sys.executable, "-S", "-E", "-c", _SPAWN, str(timeout), str(write_end), cap, *argv]
        with os.fdopen(read_end, "rb") as report_pipe:
            try:
                process = subprocess.Popen(
                    helper, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=cwd, pass_fds=(write_end,)
                )
            finally:
                os.close(write_end)
            raw = report_pipe.read()
            process.wait()
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    if not raw:  # the helper could not start the command (no such program): its traceback says why
        reason = (stderr.strip().splitlines() or ["could not start"])[-1]
        return Run(0.0, 0.0, 127, stdout, reason, cpu_seconds=0.0)
    report = json.loads(raw)
    code = int(report["code"])
    if code == -9 and report["seconds"] >= timeout:
        stderr += f"\nstopped after {timeout:.0f} s"
    return Run(float(report["seconds"]), report["maxrss_kib"] / 1024, code, stdout, stderr, cpu_seconds=report["cpu"])


@dataclass
class Spec:
    """A command to measure: inner (it prints the wall and CPU time it measured itself, as JSON "seconds" and
    "cpu"), check_json (its stdout must be one JSON document), before_each (called, untimed, before each run)."""

    name: str
    argv: list[str]
    inner: bool = False
    check_json: bool = False
    before_each: Callable[[], None] | None = None
    env: dict[str, str] | None = None  # variables set for this command only
    timeout: float | None = None  # seconds before the command is stopped (default TIMEOUT_SECONDS)
    memory_mib: int | None = None  # a cap on the command's address space (RLIMIT_AS), in MiB


def measure_together(specs: list[Spec], env: dict[str, str], repeat: int) -> list[Measure]:
    """Run every spec `repeat` times, taking turns (a, b, c, a, b, c, ...), so that a spell of load on the machine
    falls on all of them alike and their ratios hold. A failing command is reported, never raised, and not
    run again."""
    results = [Measure(spec.name, spec.argv, memory_mib=spec.memory_mib) for spec in specs]
    for _ in range(repeat):
        for spec, result in zip(specs, results, strict=True):
            if result.error is None:
                _run_into(spec, env, result)
    return results


def measure(name: str, argv: list[str], env: dict[str, str], repeat: int, **options: Any) -> Measure:
    """Run one command `repeat` times (options as Spec's)."""
    return measure_together([Spec(name, argv, **options)], env, repeat)[0]


def _run_into(spec: Spec, env: dict[str, str], result: Measure) -> None:
    if spec.before_each is not None:
        spec.before_each()
    run = run_once(
        spec.argv, {**env, **spec.env} if spec.env else env, timeout=spec.timeout, memory_mib=spec.memory_mib
    )
    if run.returncode != 0:
        lines = run.stderr.strip().splitlines() or ["(nothing on stderr)"]
        result.error = f"exit {run.returncode}: {lines[-1][:200]}"
        # The first line is the message; after a traceback, the exception is on the last.
        result.first_line = (lines[-1] if lines[0].startswith("Traceback") else lines[0])[:200]
        return
    try:
        if spec.inner:
            timed = json.loads(run.stdout)
            run.inner_seconds, run.inner_cpu_seconds = float(timed["seconds"]), float(timed["cpu"])
        elif spec.check_json:
            json.loads(run.stdout)
    except (ValueError, KeyError, TypeError) as error:
        result.error = f"bad output: {error}"
        return
    run.stdout = run.stdout[:200]
    result.runs.append(run)


@dataclass
class Target:
    """A measured value against a limit (a ratio, seconds, MiB, a rate); value None: not measured, and `note`
    says why. `cpu`: the same ratio from CPU times, which a busy machine disturbs less than wall times."""

    name: str
    value: float | None
    limit: float
    unit: str
    lower_is_better: bool = True
    note: str | None = None
    cpu: float | None = None

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value <= self.limit if self.lower_is_better else self.value >= self.limit

    def missed_by(self) -> float | None:
        """How many times over (or under) its limit a missed target is; None when met, unmeasured or a limit of 0."""
        if self.value is None or self.met or self.limit == 0 or self.value == 0:
            return None
        return self.value / self.limit if self.lower_is_better else self.limit / self.value

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "value": self.value,
            "cpu_value": self.cpu,
            "limit": self.limit,
            "unit": self.unit,
            "lower_is_better": self.lower_is_better,
            "met": self.met,
        }
