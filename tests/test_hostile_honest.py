"""A hostile second look at issue 12 (honest answers): each test pins a defect found by attacking the engine
and the commands with shapes the first tests did not try."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xmfin.cli import app

from .conftest import Invoke

CASE = "honest"


def run_on(folder: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "--data", str(folder)])
    return result.exit_code, result.stdout, result.stderr


def test_years_before_more_years_than_the_calendar_has_is_the_first_day() -> None:
    from xmfin.freshness import years_before

    assert years_before(dt.date(2026, 12, 1), 10**20) == dt.date.min
    assert years_before(dt.date(2026, 12, 1), 2026) == dt.date.min
    assert years_before(dt.date(2026, 12, 1), 2025) == dt.date(1, 12, 1)


@pytest.mark.parametrize("years", ["10000", "2026", str(10**20)])
def test_check_stale_with_huge_years_lists_only_undated_facts(xmfin: Invoke, years: str) -> None:
    # `check --stale 10000` (or 10**20) crashed with exit 70: the day that many years back is before year 1.
    result = xmfin("check", "--stale", years, case=CASE)
    assert result.exit_code == 0, result.output
    assert "internal error" not in result.output
    assert "last confirmed" not in result.stdout  # nothing dated is that old
