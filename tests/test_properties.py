"""Property-based tests: random data folders, valid and broken, never make xmfin fail badly.

For any folder: `check` exits 0 or 1 and nothing escapes as an exception; other commands exit 0, 1 or 2. For a
folder `check` passes: effective stakes stay within 0-100 when every link is equity, and trees terminate.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from xmfin.cli import app
from xmfin.graph import OwnershipGraph
from xmfin.storage.loading import check_folder, load
from xmfin.textsafe import terminal_text

IDS = [f"e{n}" for n in range(7)]
GROUPS = ["g0", "g1"]
FAMILIES = ["bank", "pay"]
CATEGORIES = {"retail-bank": "bank", "payment": "pay"}
DAYS = [dt.date(2012, 1, 1), dt.date(2019, 5, 15), dt.date(2030, 1, 1)]

SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@st.composite
def partial_dates(draw: st.DrawFn) -> str | None:
    """None, or a valid partial date between 2010 and 2025."""
    if draw(st.booleans()):
        return None
    year = draw(st.integers(2010, 2025))
    precision = draw(st.sampled_from(["year", "month", "day"]))
    if precision == "year":
        return str(year)
    month = draw(st.integers(1, 12))
    if precision == "month":
        return f"{year}-{month:02d}"
    return f"{year}-{month:02d}-{draw(st.integers(1, 28)):02d}"


@st.composite
def periods(draw: st.DrawFn) -> dict[str, str]:
    """since/until in order (either may be missing)."""
    first, second = draw(partial_dates()), draw(partial_dates())
    if first and second and second < first:
        first, second = second, first
    return {key: value for key, value in (("since", first), ("until", second)) if value}


# Names as people write them, including markup-like text such as "[bold]" and Chinese.
NAMES = st.text(
    st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=16
) | st.sampled_from(["[bold]x[/]", "小米金融", "NO", "null", "- x", "a: b", "#1", "Ünïcödé"])


@st.composite
def valid_folders(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """Entities and licences (as plain data) that pass `check`: stakes in each entity fit in 100 at all times."""
    entities = {
        eid: {"name": draw(NAMES), "kind": draw(st.sampled_from(["company", "company", "fund"])), "sources": ["s"]}
        for eid in IDS
    }
    pairs = draw(
        st.lists(st.tuples(st.sampled_from(IDS), st.sampled_from(IDS)), max_size=14, unique=True).map(
            lambda found: [(a, b) for a, b in found if a != b]
        )
    )
    holdings: list[dict[str, Any]] = []
    room = dict.fromkeys(IDS, 100.0)  # equity left in each entity, even if every holding were active at once
    for owner, owned in pairs:
        control = draw(st.sampled_from(["equity", "equity", "equity", "vie", "voting"]))
        holding: dict[str, Any] = {"owner": owner, "owned": owned, "control": control, "sources": ["s"]}
        if control == "equity" and draw(st.integers(0, 5)) > 0:
            share = draw(st.floats(0.01, 1.0))
            stake = round(room[owned] * share, 2)
            if stake <= 0:
                continue
            room[owned] -= stake
            holding["stake"] = stake
        holding.update(draw(periods()))
        holdings.append(holding)
    groups = {
        gid: {"name": gid.upper(), "root": draw(st.sampled_from(IDS)), **({"default": True} if gid == "g0" else {})}
        for gid in GROUPS
    }
    licences = [
        {"holder": draw(st.sampled_from(IDS)), "category": category, "sources": ["s"]}
        for category in draw(st.lists(st.sampled_from(sorted(CATEGORIES)), max_size=4))
    ]
    claims = [
        {"group": g, "family": f, "sources": ["s"]}
        for g, f in draw(st.lists(st.tuples(*map(st.sampled_from, (GROUPS, FAMILIES))), max_size=2, unique=True))
    ]
    entities_file = {
        "version": 1,
        "sources": {"s": {"title": "Source"}},
        "groups": groups,
        "entities": entities,
        "holdings": holdings,
    }
    licences_file = {
        "version": 1,
        "families": {f: {"name": f.title()} for f in FAMILIES},
        "categories": {c: {"family": f, "name": c.title()} for c, f in CATEGORIES.items()},
        "licences": licences,
        "claims": claims,
    }
    return entities_file, licences_file


def to_yaml(value: Any, indent: str = "") -> str:
    """Block YAML for plain data: mappings and lists on their own lines, scalars as YAML writes them by hand."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        lines = []
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{indent}{key}:\n{to_yaml(item, indent + '  ')}")
            else:
                lines.append(f"{indent}{key}: {to_yaml(item)}")
        return "\n".join(lines)
    if isinstance(value, list):
        if not value:
            return "[]"
        return "\n".join(f"{indent}- " + to_yaml(item, indent + "  ").lstrip() for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


@contextmanager
def data_folder(entities: str | bytes, licences: str | bytes) -> Iterator[Path]:
    """A temporary data folder holding the two files."""
    path = Path(tempfile.mkdtemp(prefix="xmfin-prop-"))
    try:
        for name, text in (("entities.yaml", entities), ("licences.yaml", licences)):
            (path / name).write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        yield path
    finally:
        shutil.rmtree(path)


def run(*args: str) -> Result:
    """`xmfin ARGS` in-process (Typer rebuilds its command on each call, so the tests make few calls)."""
    return CliRunner(env={"XMFIN_DATA": None, "NO_COLOR": "1"}).invoke(app, list(args))


def assert_no_crash(result: Result, codes: set[int]) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in codes, (result.exit_code, result.stdout, result.stderr)


VALID_COMMANDS = [
    ["tree"],
    ["tree", "--json"],
    ["tree", "e3", "--up"],
    ["show", "e1"],
    ["chain", "e2"],
    ["chain", "e2", "--json"],
    ["gaps", "--vs", "g1"],
]


@SETTINGS
@given(valid_folders(), st.sampled_from(VALID_COMMANDS))
def test_valid_folders_pass_check_and_stakes_stay_within_100(
    folder: tuple[dict[str, Any], dict[str, Any]], command: list[str]
) -> None:
    entities, licences = folder
    with data_folder(to_yaml(entities) + "\n", to_yaml(licences) + "\n") as path:
        assert [p for p in check_folder(path)[1] if p.severity == "error"] == []  # warnings are fine
        data = load(path)
        only_equity = all(h.control == "equity" for h in data.holdings)
        for day in DAYS:
            graph = OwnershipGraph(data, day)
            for root in IDS:
                for effective in graph.effective_from(root).values():
                    assert effective.lower_bound >= 0 and math.isfinite(effective.lower_bound)
                    if only_equity:
                        assert effective.lower_bound <= 100 + 1e-6
                # Terminates (cycles included), and every node in the tree is an entity.
                assert graph.tree(root).entity.id == root
                assert graph.tree(root, up=True).entity.id == root
        result = run(*command, "--data", str(path), "--as-of", "2019-05")
        assert_no_crash(result, {0})
        if command == ["tree", "--json"]:
            assert json.loads(result.stdout)["root"]["id"] == entities["groups"]["g0"]["root"]


MUTATIONS = st.sampled_from(["delete", "insert", "replace", "duplicate", "swap"])
NOISE = st.sampled_from(
    [
        "",
        " ",
        ":",
        "- ",
        "[",
        "{",
        "&a ",
        "*a",
        "!!python/object:os.system ",
        "\t",
        "NO",
        "~",
        "'",
        '"',
        "200",
        "-5",
        "2019-02-30",
        "e9",
        "xx",
        "\n",
        "\n  ",
        "#",
        "stake: 60",
        "until: 2019",
        "version: 2",
        "\x00",
        "é",
        "小米",
    ]
)


@st.composite
def broken_text(draw: st.DrawFn, text: str) -> str:
    """text with one to three random edits: lines deleted, duplicated or swapped; noise inserted or replacing."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        if not lines:
            break
        kind = draw(MUTATIONS)
        at = draw(st.integers(0, len(lines) - 1))
        if kind == "delete":
            del lines[at]
        elif kind == "duplicate":
            lines.insert(at, lines[at])
        elif kind == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        else:
            line = lines[at]
            start = draw(st.integers(0, len(line)))
            end = start if kind == "insert" else draw(st.integers(start, len(line)))
            lines[at] = line[:start] + draw(NOISE) + line[end:]
    return "\n".join(lines)


@st.composite
def broken_folders(draw: st.DrawFn) -> tuple[str, str]:
    entities, licences = draw(valid_folders())
    entities_text, licences_text = to_yaml(entities) + "\n", to_yaml(licences) + "\n"
    which = draw(st.sampled_from(["entities", "licences", "both"]))
    if which in ("entities", "both"):
        entities_text = draw(broken_text(entities_text))
    if which in ("licences", "both"):
        licences_text = draw(broken_text(licences_text))
    return entities_text, licences_text


COMMANDS = [
    ["check"],
    ["check", "--json"],
    ["tree"],
    ["tree", "--up", "e3", "--json"],
    ["gaps", "--vs", "g1"],
    ["show", "e1"],
    ["chain", "e2"],
]


@SETTINGS
@given(broken_folders(), st.sampled_from(COMMANDS))
def test_broken_folders_never_crash(folder: tuple[str, str], command: list[str]) -> None:
    entities, licences = folder
    with data_folder(entities, licences) as path:
        _, problems = check_folder(path)
        assert all(p.loc.line >= 1 and p.loc.column >= 1 and "\n" not in p.message for p in problems)
        invalid = any(p.severity == "error" for p in problems)
        result = run(*command, "--data", str(path))
        if command[0] == "check":
            assert_no_crash(result, {0, 1})
            assert result.exit_code == int(invalid)
            if "--json" in command:
                assert json.loads(result.stdout)["ok"] is not invalid
            else:
                # as the problems read, with controls shown escaped for the terminal (textsafe)
                assert result.stdout.splitlines() == [terminal_text(str(p)) for p in problems]
        elif invalid:
            assert_no_crash(result, {1})
            assert result.stdout == ""
        else:
            # 2 when the mutation removed what the command names (the default group, e1, e2, e3, g1).
            assert_no_crash(result, {0, 2})
