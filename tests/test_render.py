"""output/render.py beyond what the command tests cover: trees at any depth and width, the console's width."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xmfin.cli import app
from xmfin.output.render import MIN_WIDTH, PIPE_WIDTH, console, tree_levels

from .conftest import Invoke, fixture_path


def write_chain(folder: Path, length: int) -> Path:
    """A data folder holding one chain e0 -> e1 -> ... of length entities, each 100% of the next."""
    folder.mkdir()
    lines = ["version: 1", "groups:", "  g: {name: G, root: e0, default: true}", "entities:"]
    lines += [f"  e{i}: {{name: Entity number {i}, jurisdiction: KY}}" for i in range(length)]
    lines += ["holdings:"] + [f"  - {{owner: e{i}, owned: e{i + 1}, stake: 100}}" for i in range(length - 1)]
    (folder / "entities.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "licences.yaml").write_text("version: 1\n", encoding="utf-8")
    return folder


def tree_text(folder: Path, columns: str | None, *args: str) -> str:
    runner = CliRunner(env={"COLUMNS": columns, "NO_COLOR": "1", "XMFIN_DATA": None, "TERM": "dumb"})
    result = runner.invoke(app, ["tree", *args, "--data", str(folder)])
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_chain(tmp_path_factory.mktemp("deep") / "chain", 1000)


@pytest.mark.parametrize("columns", [None, "160", "80"])
def test_every_level_of_a_deep_tree_is_shown(chain: Path, columns: str | None) -> None:
    """Rich's tree dropped every level past about 40 at 160 columns (issue 15)."""
    text = tree_text(chain, columns)
    names = [line.split("Entity number ")[1].split(" ")[0] for line in text.splitlines() if "Entity number " in line]
    assert names == [str(i) for i in range(1000)]
    width = int(columns or PIPE_WIDTH)
    assert max(len(line) for line in text.splitlines()) <= width
    assert f"(level {tree_levels(width) + 1}) Entity number {tree_levels(width) + 1} " in text
    assert "(level 999) Entity number 999 (KY)" in text


def test_every_level_of_a_deep_tree_is_shown_when_narrow(chain: Path) -> None:
    text = tree_text(chain, "40")
    assert max(len(line) for line in text.splitlines()) <= 40
    assert text.startswith("Entity number 0 (KY)")
    assert all(f"(level {i})" in text for i in range(tree_levels(40) + 1, 1000))


def test_every_level_of_a_deep_tree_up_is_shown(chain: Path) -> None:
    text = tree_text(chain, None, "e999", "--up")
    assert all(f"Entity number {i} (KY)" in text for i in range(1000))


@pytest.mark.parametrize("columns", ["0", "-5", "wide", "", " "])
def test_a_meaningless_columns_is_ignored(chain: Path, columns: str) -> None:
    """COLUMNS=0 printed nothing; negative or garbage gave Rich's 80 columns instead of the pipe's 160."""
    assert tree_text(chain, columns) == tree_text(chain, None)


def test_a_tiny_columns_counts_as_the_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "1")
    assert console().width == MIN_WIDTH
    monkeypatch.setenv("COLUMNS", "0")
    assert console().width == PIPE_WIDTH
    monkeypatch.setenv("COLUMNS", "300")
    assert console().width == 300


def test_tree_levels_leave_half_the_width_to_labels() -> None:
    assert [tree_levels(w) for w in (1, 8, 20, 80, 160)] == [1, 1, 2, 10, 20]


def test_emoji_codes_in_names_are_shown_as_written(xmfin: Invoke, tmp_path: Path) -> None:
    """Rich turned `:warning:` in a name into a picture, in trees and tables alike."""
    folder = tmp_path / "emoji"
    shutil.copytree(fixture_path("basic"), folder)
    entities = folder / "entities.yaml"
    text = entities.read_text(encoding="utf-8").replace("name: Alpha HK,", 'name: "Alpha :warning: HK",')
    entities.write_text(text, encoding="utf-8")
    for args in (["tree"], ["show", "alpha-hk"], ["search", "warning"]):
        result = xmfin(*args, "--data", str(folder), case=None)
        assert result.exit_code == 0, result.stderr
        assert "Alpha :warning: HK" in result.stdout, args
