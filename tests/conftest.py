"""Shared helpers: fixture data folders, loaded datasets and graphs, and an in-process CLI runner."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from xmfin.cli import app
from xmfin.dates import as_of_day
from xmfin.graph import OwnershipGraph
from xmfin.model import Dataset
from xmfin.storage.loading import load

FIXTURES = Path(__file__).parent / "fixtures"
# A day on which every holding of the fixtures without dates is active.
TODAY = dt.date(2024, 1, 1)


def fixture_path(case: str) -> Path:
    """The folder tests/fixtures/<case>."""
    path = FIXTURES / case
    assert path.is_dir(), f"no fixture folder {path}"
    return path


def load_case(case: str) -> Dataset:
    """The dataset of tests/fixtures/<case>."""
    return load(fixture_path(case))


def graph_of(case: str, as_of: str | None = None) -> OwnershipGraph:
    """The ownership graph of a fixture on a day given as an `--as-of` text (default TODAY), as the commands
    build it: from the view of the data on that day."""
    from xmfin.dated import on_day

    day = as_of_day(as_of) if as_of else TODAY
    data = load_case(case)
    return OwnershipGraph(on_day(data, day), day, data)


@pytest.fixture(autouse=True)
def no_user_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's cache of checked folders (tests/test_cache.py sets up its own)."""
    monkeypatch.setenv("XMFIN_NO_CACHE", "1")


@pytest.fixture
def runner() -> CliRunner:
    """A runner with a wide terminal (Rich does not wrap names) and no colour or data folder from outside."""
    return CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1", "XMFIN_DATA": None, "TERM": "dumb"})


Invoke = Callable[..., Result]


@pytest.fixture
def xmfin(runner: CliRunner) -> Invoke:
    """Run `xmfin ARGS` in-process on a fixture folder (`case=None` for no --data)."""

    def run(*args: str, case: str | None = "basic") -> Result:
        argv = list(args)
        if case is not None:
            argv += ["--data", str(fixture_path(case))]
        return runner.invoke(app, argv)

    return run


@pytest.fixture
def xmfin_json(xmfin: Invoke) -> Callable[..., Any]:
    """Run `xmfin ARGS --json`, check it succeeded with exactly one JSON document on stdout, return it."""

    def run(*args: str, case: str | None = "basic") -> Any:
        result = xmfin(*args, "--json", case=case)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    return run
