"""Every graph walk is bounded (issue 15): cross-holding clusters, wide and deep ownership, and holdings
whose dates are out of order never hang or crash a command."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

LICENCES = "version: 1\nfamilies: {}\ncategories: {}\n"


def folder(tmp_path: Path, entities: list[str], holdings: list[str]) -> Path:
    lines = ["version: 1", "sources:", "  s: {title: S}", "entities:"]
    lines += [f"  {e}: {{name: {e.upper()}, sources: [s]}}" for e in entities]
    lines += ["holdings:", *holdings]
    (tmp_path / "entities.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "licences.yaml").write_text(LICENCES, encoding="utf-8")
    return tmp_path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command in a process of its own, with a generous limit: a hang fails, slowness does not."""
    return subprocess.run(
        [sys.executable, "-m", "xmfin", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"XMFIN_NO_CACHE": "1", "PATH": "/usr/bin:/bin"},
    )


def test_chain_in_a_cross_holding_cluster_is_capped(tmp_path: Path) -> None:
    # 40 entities each holding 2% of every other: billions of simple paths. Before, chain took 54 s and
    # listed 119,000 paths (the cap was per top owner).
    nodes = [f"e{i}" for i in range(40)]
    holdings = [f"  - {{owner: {a}, owned: {b}, stake: 2, sources: [s]}}" for a, b in itertools.permutations(nodes, 2)]
    holdings.append("  - {owner: top, owned: e0, stake: 10, sources: [s]}")
    data = folder(tmp_path, [*nodes, "top"], holdings)
    result = run("chain", "e5", "--data", str(data), "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert len(doc["paths"]) == 1000 and doc["paths_truncated"] is True
    assert doc["controlled"] is False and doc["effective_min"] == 0.0


def test_chain_of_an_entity_with_thousands_of_owners(tmp_path: Path) -> None:
    owners = [f"o{i}" for i in range(20000)]
    # Half of them undisclosed: each one's bound (100% less what the others certainly have) is summed once.
    holdings = [
        f"  - {{owner: {o}, owned: target, stake: {'0.004' if i % 2 else 'null'}, sources: [s]}}"
        for i, o in enumerate(owners)
    ]
    data = folder(tmp_path, [*owners, "target"], holdings)
    result = run("chain", "target", "--data", str(data), "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert len(doc["from"]) == 20000 and len(doc["paths"]) == 1000 and doc["paths_truncated"] is True
    # 10,000 x 0.004% = 40% disclosed: an undisclosed holder may have up to 60%, so its control is unknown
    assert {v["controlled"] for v in doc["by_owner"].values()} == {False, None}


def test_a_holding_that_ends_before_it_starts_is_an_error_not_a_crash(tmp_path: Path) -> None:
    # Before, the equity sweep raised KeyError in check and in every command.
    holdings = [
        "  - {owner: a, owned: c, stake: 60, since: 2020, until: 2019, sources: [s]}",
        "  - {owner: b, owned: c, stake: 60, since: 2018, sources: [s]}",
    ]
    data = folder(tmp_path, ["a", "b", "c"], holdings)
    result = run("check", "--data", str(data))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "holding until 2019 is before since 2020: correct one of them" in result.stdout
    assert "add up to" not in result.stdout  # a holding of no day counts toward no day's total
    result = run("tree", "a", "--data", str(data))
    assert result.returncode == 1 and "Traceback" not in result.stderr
