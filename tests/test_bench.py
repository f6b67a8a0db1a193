"""The scale benchmark: its generated data is valid and deterministic, and its runner completes and reports."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bench import generate, registry, run, scale
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


# ------------------------------------------------------------------ the registry-scale benchmark (bench/scale.py)

REGISTRY_SIZE = 1_000


@pytest.fixture(scope="module")
def registry_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    folder = tmp_path_factory.mktemp("registry")
    return folder, registry.generate(REGISTRY_SIZE, folder, jobs=1)


def test_registry_is_deterministic(tmp_path: Path, registry_files: tuple[Path, dict[str, object]]) -> None:
    folder, manifest = registry_files
    again = registry.generate(REGISTRY_SIZE, tmp_path, jobs=2)  # two processes at once: the same bytes
    assert again["counts"] == manifest["counts"] and again["probe"] == manifest["probe"]
    assert (tmp_path / registry.BODS_FILE).read_bytes() == (folder / registry.BODS_FILE).read_bytes()
    for table in sorted((folder / registry.CSV_FOLDER).iterdir()):
        assert (tmp_path / registry.CSV_FOLDER / table.name).read_bytes() == table.read_bytes(), table.name
    other = registry.generate(REGISTRY_SIZE, tmp_path / "seed", seed=registry.DEFAULT_SEED + 1, jobs=1)
    assert (tmp_path / "seed" / registry.BODS_FILE).read_bytes() != (folder / registry.BODS_FILE).read_bytes()
    assert other["counts"]["entities"] == REGISTRY_SIZE


def test_registry_has_the_promised_shape(registry_files: tuple[Path, dict[str, object]]) -> None:
    _, manifest = registry_files
    counts = manifest["counts"]
    assert isinstance(counts, dict)
    assert counts["entities"] == REGISTRY_SIZE
    assert 1.8 < counts["holdings"] / REGISTRY_SIZE < 2.0  # about 1.9 holdings per entity
    for kind in ("persons", "vie", "dated", "ranged", "undisclosed", "cross_holdings", "licences", "roles"):
        assert counts[kind] > 0, kind


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def test_registry_bods_and_csv_describe_the_same_records(registry_files: tuple[Path, dict[str, object]]) -> None:
    folder, _ = registry_files
    tables = folder / registry.CSV_FOLDER
    entities = {row["id"]: (row["name"], row["kind"]) for row in _csv_rows(tables / "entities.csv")}
    holdings = sorted(
        (row["owner"], row["owned"], row["control"], row["stake"], row["stake_min"], row["stake_max"],
         row["since"], row["until"])
        for row in _csv_rows(tables / "holdings.csv")
    )  # fmt: skip
    from_bods: dict[str, tuple[str, str]] = {}
    bods_holdings = []
    with (folder / registry.BODS_FILE).open(encoding="utf-8") as stream:
        for line in stream:
            statement = json.loads(line)
            details = statement["recordDetails"]
            if statement["recordType"] == "entity":
                from_bods[statement["recordId"]] = (details["name"], "company")
            elif statement["recordType"] == "person":
                from_bods[statement["recordId"]] = (details["names"][0]["fullName"], "person")
            elif details["interests"][0]["type"] in ("shareholding", "rightsGrantedByContract"):
                (interest,) = details["interests"]
                share = interest.get("share", {})
                end = interest.get("endDate")
                until = (dt.date.fromisoformat(end) - dt.timedelta(days=1)).isoformat() if end else ""
                bods_holdings.append(
                    (
                        details["interestedParty"],
                        details["subject"],
                        "vie" if interest["type"] == "rightsGrantedByContract" else "equity",
                        registry._number(share.get("exact")),
                        registry._number(share.get("minimum")),
                        registry._number(share.get("maximum")),
                        interest["startDate"],
                        until,
                    )
                )
    assert from_bods == entities
    assert sorted(bods_holdings) == holdings


def test_registry_csv_is_what_export_writes_and_passes_check(
    tmp_path: Path, registry_files: tuple[Path, dict[str, object]]
) -> None:
    folder, manifest = registry_files
    data = tmp_path / "data"
    registry.csv_to_folder(folder / registry.CSV_FOLDER, data)
    runner = CliRunner(env={"XMFIN_DATA": None})
    checked = runner.invoke(app, ["check", "--json", "--data", str(data)])
    assert checked.exit_code == 0, checked.stdout
    assert json.loads(checked.stdout)["problems"] == []  # no error, not even a warning
    exported = runner.invoke(app, ["export", "-f", "csv", "-o", str(tmp_path / "again"), "--data", str(data)])
    assert exported.exit_code == 0, exported.output
    for table in sorted((folder / registry.CSV_FOLDER).iterdir()):  # the same bytes as `export -f csv` writes
        assert (tmp_path / "again" / table.name).read_bytes() == table.read_bytes(), table.name
    probe = manifest["probe"]
    assert isinstance(probe, dict)
    tree = runner.invoke(app, ["tree", probe["group"], "--json", "--data", str(data)])
    assert tree.exit_code == 0, tree.output
    found = runner.invoke(app, ["search", probe["search"]["chinese"], "--json", "--data", str(data)])
    assert found.exit_code == 0 and probe["entities"][1] in found.stdout


def test_registry_bods_imports_and_passes_check(tmp_path: Path, registry_files: tuple[Path, dict[str, object]]) -> None:
    folder, manifest = registry_files
    runner = CliRunner(env={"XMFIN_DATA": None})
    imported = runner.invoke(app, ["import", "bods", str(folder / registry.BODS_FILE), "-o", str(tmp_path / "data")])
    assert imported.exit_code == 0, imported.output
    assert "0 statements not imported, 0 imported in part" in imported.output
    checked = runner.invoke(app, ["check", "--json", "--data", str(tmp_path / "data")])
    assert checked.exit_code == 0, checked.stdout
    assert json.loads(checked.stdout)["problems"] == []
    counts = manifest["counts"]
    assert isinstance(counts, dict)
    assert len(load(tmp_path / "data").holdings) == counts["holdings"]


def test_registry_cache_is_keyed_by_size_seed_and_version(tmp_path: Path) -> None:
    found = registry.cached_registry(100, 7, tmp_path)
    stamp = found.bods.stat().st_mtime_ns
    again = registry.cached_registry(100, 7, tmp_path)
    assert again.folder == found.folder and again.bods.stat().st_mtime_ns == stamp
    assert found.folder.name == f"registry-v{registry.GENERATOR_VERSION}-100-s7"
    assert registry.cached_registry(100, 8, tmp_path).folder != found.folder
    assert not list(tmp_path.glob(".partial*"))


def test_registry_too_small_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="too small"):
        registry.generate(99, tmp_path)


def test_scale_table_marks_misses_and_failures() -> None:
    targets = [
        scale.Target("fast enough", 0.2, 0.5, "s"),
        scale.Target("too slow", 1.0, 0.5, "s"),
        scale.Target("rate", 150_000, 300_000, "holdings/s", lower_is_better=False),
        scale.Target("broken", None, 0.5, "s", note="failed: xmfin: error: no such command 'csv'"),
    ]
    lines = scale.table(targets).splitlines()
    assert lines[0] == "| target | measured | limit | result |"
    assert lines[2].endswith("| pass |")
    assert lines[3].endswith("| MISS by 2.00x |")
    assert "| 150,000 holdings/s | >= 300,000 holdings/s | MISS by 2.00x |" in lines[4]
    assert lines[5].endswith("| - | <= 0.500 s | failed: xmfin: error: no such command 'csv' |")
    assert [t.met for t in targets] == [True, False, False, None]


def test_scale_reports_a_failing_command_by_its_first_line() -> None:
    script = "import sys; sys.stderr.write('xmfin: error: no store\\nmore\\n'); sys.exit(2)"
    (found,) = measure_together([Spec("fails", [sys.executable, "-c", script])], {}, 1)
    assert scale.failure(found) == "failed: xmfin: error: no store"
    (slow,) = measure_together([Spec("slow", [sys.executable, "-c", "import time; time.sleep(5)"], timeout=0.5)], {}, 1)
    assert scale.failure(slow).startswith("did not finish: stopped after")


def test_scale_quick_run_completes_and_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generate, "WORK", tmp_path / "work")
    out = tmp_path / "scale.json"
    assert scale.main(["--quick", "--sizes", "100", "--out", str(out)]) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    (size,) = document["sizes"]
    assert size["size"] == 100
    assert size["import_floor"]["ok"] is True and size["import_floor"]["median_inner_seconds"] > 0
    assert size["duckdb_cte"]["ok"] is True
    assert size["networkx"]["ok"] is True
    names = {t["name"] for t in document["targets"]}
    assert "import csv: holdings per second at 100" in names
    assert "DuckDB recursive CTE / xmfin chain (same entity) at 100" in names
    for target in document["targets"]:  # each one measured, or failed with a reason: never a crash
        assert target["result"] in ("pass", "not measured") or target["result"].startswith(("MISS", "failed: "))


def test_compare_measures_both_sides(tmp_path: Path) -> None:
    """`bench compare REV` runs each command with REV's code and this checkout's on the same data, and reports
    after / before for each (here HEAD against itself, on the bundled data only)."""
    from bench.compare import main as compare_main

    out = tmp_path / "compare.json"
    assert compare_main(["HEAD", "--sizes", "", "--repeat", "1", "--out", str(out)]) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    names = [target["name"] for target in document["targets"]]
    assert "bundled: chain xw-bank --json: after / before" in names
    assert all(target["value"] is not None and target["value"] > 0 for target in document["targets"]), document
    assert {m["name"].rsplit(" ", 1)[-1] for m in document["measures"]} == {"(before)", "(after)"}
