"""The scale benchmark: its generated data is valid and deterministic, and its runner completes and reports."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bench import generate, run
from bench.measure import Spec, measure, measure_together
from xmfin.cli import app
from xmfin.graph import OwnershipGraph
from xmfin.storage.loading import load

SIZE = 1_000
# A day on which the generated holdings that have not ended are all active.
DAY = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    folder = tmp_path_factory.mktemp("bench") / "data"
    return folder, generate.generate(SIZE, folder)


def test_generated_folder_passes_check_with_expected_counts(generated: tuple[Path, dict[str, object]]) -> None:
    folder, manifest = generated
    result = CliRunner(env={"XMFIN_DATA": None}).invoke(app, ["check", "--json", "--data", str(folder)])
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["problems"] == []  # not even a warning
    counts = manifest["counts"]
    assert isinstance(counts, dict)
    assert counts["entities"] == SIZE
    assert counts["groups"] == SIZE // generate.GROUP_SIZE
    data = load(folder)
    for name, expected in counts.items():
        assert len(getattr(data, name)) == expected, name


def test_generated_folder_has_the_promised_shape(generated: tuple[Path, dict[str, object]]) -> None:
    folder, manifest = generated
    data = load(folder)
    assert 0.25 < len({lic.holder for lic in data.licences}) / SIZE < 0.4  # licences on about a third
    assert any(h.control == "vie" for h in data.holdings)
    assert any(h.until is not None for h in data.holdings)  # dated changes
    owners: dict[str, set[str]] = {}
    for holding in data.holdings:
        if holding.until is None:
            owners.setdefault(holding.owned, set()).add(holding.owner)
    assert sum(len(o) > 1 for o in owners.values()) > SIZE // 20  # diamonds
    probe = manifest["probe"]
    assert isinstance(probe, dict)
    graph = OwnershipGraph(data, DAY)
    members = graph.members(data.groups[probe["group"]].root)
    peers = graph.members(data.groups[probe["peer"]].root)
    assert members & peers  # the cross-holding of groups 1 and 2
    assert probe["entity"] in members
    assert 40 <= len(members) <= 2 * generate.GROUP_SIZE


def test_generation_is_deterministic(tmp_path: Path, generated: tuple[Path, dict[str, object]]) -> None:
    folder, manifest = generated
    again = generate.generate(SIZE, tmp_path / "again")
    assert again == manifest
    for name in ("entities.yaml", "licences.yaml"):
        assert (tmp_path / "again" / name).read_bytes() == (folder / name).read_bytes()


def test_cached_folder_is_built_once(tmp_path: Path) -> None:
    folder, manifest = generate.cached_folder(100, tmp_path)
    stamp = (folder / "entities.yaml").stat().st_mtime_ns
    again, manifest_again = generate.cached_folder(100, tmp_path)
    assert (again, manifest_again) == (folder, manifest)
    assert (folder / "entities.yaml").stat().st_mtime_ns == stamp
    assert f"v{generate.GENERATOR_VERSION}" in folder.name


def test_too_small_a_size_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="too small"):
        generate.generate(50, tmp_path)


def test_measure_reports_a_failing_command_instead_of_raising() -> None:
    failed = measure("fails", [sys.executable, "-c", "import sys; sys.exit('broken')"], {}, 3)
    assert not failed.ok
    assert failed.error == "exit 1: broken"
    assert failed.seconds is None
    assert failed.as_json()["ok"] is False


def test_measure_takes_each_runs_own_peak_memory() -> None:
    big = measure("big", [sys.executable, "-c", "b = bytearray(300 * 2**20); b[::4096] = b'x' * len(b[::4096])"], {}, 1)
    small = measure("small", [sys.executable, "-c", "pass"], {}, 1)
    assert big.peak_mib is not None and small.peak_mib is not None
    assert big.peak_mib > 300
    assert small.peak_mib < 100  # not the maximum over every child so far


def test_a_spec_sets_its_own_environment_variables() -> None:
    script = "import os; print(os.environ.get('XMFIN_JOBS'), os.environ.get('KEPT'))"
    spec = Spec("env", [sys.executable, "-c", script], env={"XMFIN_JOBS": "1"})
    (found,) = measure_together([spec], {"KEPT": "yes"}, 1)
    assert found.runs[0].stdout == "1 yes\n"


def test_quick_run_writes_valid_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generate, "WORK", tmp_path / "work")
    monkeypatch.setattr(run, "WORK", tmp_path / "work")
    real = run.commands

    def with_a_broken_one(folder: Path, probe: dict[str, str]) -> list[tuple[str, list[str], bool]]:
        return [*real(folder, probe), ("no-such-command", ["no-such-command"], False)]

    monkeypatch.setattr(run, "commands", with_a_broken_one)
    out = tmp_path / "results.json"
    assert run.main(["--quick", "--sizes", "100", "--out", str(out)]) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    (size,) = document["sizes"]
    assert size["size"] == 100
    by_name = {c["name"]: c for c in size["commands"]}
    assert by_name["xmfin check"]["ok"] is True
    assert by_name["xmfin check"]["median_seconds"] > 0
    assert by_name["xmfin check"]["peak_mib"] > 0
    assert by_name["xmfin no-such-command"]["ok"] is False
    assert "exit 2" in by_name["xmfin no-such-command"]["error"]
    assert size["parse_floor"]["median_inner_seconds"] > 0
    assert size["safe_load"]["median_inner_seconds"] > 0
    assert document["startup"]["--version"]["imports"] == []
    assert size["one_process"]["ok"] is True and size["one_process"]["median_seconds"] > 0
    assert {t["name"] for t in document["targets"]} >= {
        "loading / parse floor at 100",
        "loading in one process / parse floor at 100",
    }
