"""Issue 17: a research folder of one's own, shell completion, links to sources, help, one error style."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner, Result

from xmfin import completion
from xmfin.api import bundled_data
from xmfin.cli import app
from xmfin.errors import UsageError
from xmfin.output.render import link_target, render_profile, render_sources
from xmfin.starter import EXAMPLE_END, EXAMPLE_START, init_folder
from xmfin.storage.loading import check_folder, load

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
XMFIN = Path(sys.executable).parent / "xmfin"


def run(*args: str, env: dict[str, str | None] | None = None) -> Result:
    base: dict[str, str | None] = {"XMFIN_DATA": None, "NO_COLOR": "1", "COLUMNS": "110"}
    return CliRunner(env={**base, **(env or {})}).invoke(app, list(args))


# --- init and data-path ---------------------------------------------------------------------------------------


def test_init_copies_the_bundled_data_with_schemas_and_editor_settings(tmp_path: Path) -> None:
    folder = tmp_path / "research"
    result = run("init", str(folder))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert f"next: xmfin check --data {folder}" in result.stderr
    for name in ("entities", "licences"):
        text = (folder / f"{name}.yaml").read_text(encoding="utf-8")
        first, rest = text.split("\n", 1)
        assert first == f"# yaml-language-server: $schema=schemas/{name}.schema.json"
        assert rest == (bundled_data() / f"{name}.yaml").read_text(encoding="utf-8")
        schema = json.loads((folder / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))
        assert schema["$schema"].startswith("https://json-schema.org/")
    settings = json.loads((folder / ".vscode" / "settings.json").read_text(encoding="utf-8"))
    assert settings == {
        "yaml.schemas": {
            "schemas/entities.schema.json": ["entities.yaml"],
            "schemas/licences.schema.json": ["licences.yaml"],
        }
    }
    checked = run("check", "--data", str(folder))
    assert checked.exit_code == 0 and checked.stdout == ""
    assert checked.stderr.startswith(f"{folder}: ok: 0 errors, 0 warnings (")


def test_the_schemas_written_by_init_accept_the_copied_data(tmp_path: Path) -> None:
    from tests.test_schema import as_json, errors

    folder = tmp_path / "research"
    assert run("init", str(folder)).exit_code == 0
    for name in ("entities", "licences"):
        written = json.loads((folder / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))
        from xmfin.storage.schema import file_schema

        assert written == file_schema(name)
        assert errors(name, as_json(folder / f"{name}.yaml")) == []


def uncommented(text: str) -> str:
    """text with the example records between the markers uncommented, as a user would."""
    head, rest = text.split(EXAMPLE_START)
    block, tail = rest.split(EXAMPLE_END)
    lines = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in block.splitlines(keepends=True)]
    return head + "".join(lines) + tail


def test_init_empty_has_the_taxonomy_and_examples_that_pass_check_once_uncommented(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    result = run("init", str(folder), "--empty")
    assert result.exit_code == 0, result.stderr
    data, problems = check_folder(folder)
    assert problems == []
    bundled = load(bundled_data())
    assert list(data.families) == list(bundled.families) and list(data.categories) == list(bundled.categories)
    assert data.families["bank"].core and data.categories[next(iter(bundled.categories))].name
    assert not data.entities and not data.licences and not data.holdings
    for name in ("entities", "licences"):
        path = folder / f"{name}.yaml"
        path.write_text(uncommented(path.read_text(encoding="utf-8")), encoding="utf-8")
    data, problems = check_folder(folder)
    assert problems == []
    assert data.sources and data.groups and data.entities and data.holdings and data.roles and data.events
    assert data.licences and data.claims


def test_init_refuses_a_folder_that_is_not_empty_unless_forced(tmp_path: Path) -> None:
    folder = tmp_path / "busy"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    result = run("init", str(folder))
    assert result.exit_code == 2
    assert result.stderr == (
        f"xmfin: error: {folder} is not empty: give a new folder, or add --force to write the files into it\n"
    )
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
    assert run("init", str(folder), "--force").exit_code == 0
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (folder / "schemas" / "licences.schema.json").is_file()


def test_init_refuses_a_file(tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_text("x", encoding="utf-8")
    result = run("init", str(file))
    assert result.exit_code == 2
    assert result.stderr == f"xmfin: error: {file} is a file: give a new folder, or an empty one\n"


def test_init_that_fails_half_way_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import xmfin.fileio as fileio

    real = fileio._stream
    calls = {"n": 0}

    def failing(fd: int, binary: bool, newline: str | None) -> object:
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError(28, "No space left on device")
        return real(fd, binary, newline)

    monkeypatch.setattr(fileio, "_stream", failing)
    folder = tmp_path / "deep" / "research"
    with pytest.raises(Exception, match="No space left"):
        init_folder(folder, bundled_data(), empty=False, force=False)
    assert not (tmp_path / "deep").exists()
    assert list(tmp_path.iterdir()) == []


def test_data_path_prints_the_bundled_folder() -> None:
    result = run("data-path")
    assert result.exit_code == 0
    assert result.stdout == f"{bundled_data()}\n"
    assert (Path(result.stdout.strip()) / "entities.yaml").is_file()


def test_check_of_the_bundled_data_names_its_real_files_and_says_how_to_edit_a_copy(tmp_path: Path) -> None:
    result = run("check")
    assert result.exit_code == 0
    summary, note = result.stderr.splitlines()
    assert summary.startswith(f"{bundled_data()}: ok: ")
    assert note == "(the bundled data, installed with xmfin: make a copy to edit with `xmfin init DIR`)"


# --- counts in words ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "words"), [("invalid", "1 error, 0 warnings"), ("several-errors", "3 errors, 1 warning")]
)
def test_check_counts_in_words(case: str, words: str) -> None:
    result = run("check", "--data", str(FIXTURES / case))
    assert f": invalid: {words} (" in result.stderr


def test_check_counts_records_in_words(tmp_path: Path) -> None:
    """The record counts said `1 entities`, `1 sources`, `1 families`."""
    folder = tmp_path / "one"
    init_folder(folder, bundled_data(), empty=True, force=False)
    for name in ("entities", "licences"):
        path = folder / f"{name}.yaml"
        path.write_text(uncommented(path.read_text(encoding="utf-8")), encoding="utf-8")
    result = run("check", "--data", str(folder))
    assert result.exit_code == 0, result.stderr
    counts = result.stderr.splitlines()[-1].split(" (", 1)[1]
    assert "1 source, 1 group, 3 entities, 1 holding, 1 role, 1 event," in counts
    assert "1 licence, 1 claim)" in counts
    assert not re.search(r"\b1 \w+s\b", counts), counts


def test_check_stale_counts_stale_in_words() -> None:
    result = run("check", "--data", str(FIXTURES / "basic"), "--stale", "0")
    assert re.search(r": ok: 0 errors, 0 warnings, \d+ stale \(", result.stderr), result.stderr


# --- one error style ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "error", "usage"),
    [
        (["tree", "--sideways"], "no such option: --sideways", "xmfin tree [OPTIONS] [ENTITY]"),
        (["show"], "missing argument 'ENTITY'", "xmfin show [OPTIONS] ENTITY"),
        (["nosuch"], "no such command 'nosuch'", "xmfin [OPTIONS] COMMAND [ARGS]..."),
        (["search", "x", "--limit", "0"], "invalid value for '--limit': 0 is less than 1", None),
        (["tree", "--depth", "abc"], "invalid value for '--depth': 'abc' is not a whole number", None),
        (["matrix", "--min-stake", "half"], "invalid value for '--min-stake': 'half' is not a number", None),
        (["import", "bods"], "missing argument 'FILE'", "xmfin import bods [OPTIONS] FILE"),
        (["export"], "missing option '--format' / '-f'", "xmfin export [OPTIONS]"),
        # Click raised these without the command: they had no usage line
        (["gaps", "--vs"], "option '--vs' requires an argument", "xmfin gaps [OPTIONS] [GROUP]"),
        (["tree", "--json=1"], "option '--json' does not take a value", "xmfin tree [OPTIONS] [ENTITY]"),
        (["import", "bods", "x.json", "-o"], "option '-o' requires an argument", "xmfin import bods [OPTIONS] FILE"),
    ],
)
def test_usage_errors_of_the_parser_are_in_xmfins_style(args: list[str], error: str, usage: str | None) -> None:
    result = run(*args)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == f"xmfin: error: {error}"
    assert len(lines) == 2 and lines[1].startswith("usage: xmfin ")
    if usage is not None:
        assert lines[1].startswith(f"usage: {usage}  (see '")
    assert "Error:" not in result.stderr and "Usage:" not in result.stderr
    assert result.stdout == ""


def test_the_console_script_uses_the_same_style() -> None:
    done = subprocess.run([str(XMFIN), "tree", "--sideways"], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr == (
        "xmfin: error: no such option: --sideways\nusage: xmfin tree [OPTIONS] [ENTITY]  (see 'xmfin tree --help')\n"
    )


@pytest.mark.parametrize("command", ["tree", "show", "chain", "diagram", "sources", "gaps", "timeline", "report"])
@pytest.mark.parametrize("blank", ["", "  "])
def test_an_empty_name_is_bad_usage_everywhere(command: str, blank: str) -> None:
    result = run(command, blank)
    assert result.exit_code == 2
    assert result.stderr.startswith("xmfin: error: ") and " is empty: give an id or a name" in result.stderr
    assert result.stdout == ""


def test_tree_and_show_of_an_empty_name_behave_the_same() -> None:
    tree, show = run("tree", ""), run("show", "")
    assert tree.exit_code == show.exit_code == 2
    assert tree.stderr == "xmfin: error: ENTITY is empty: give an id or a name or leave it out\n"
    assert show.stderr == "xmfin: error: ENTITY is empty: give an id or a name\n"


def test_report_against_itself_is_refused_as_gaps_refuses_it() -> None:
    report = run("report", "xiaomi", "--vs", "Xiaomi")
    gaps = run("gaps", "xiaomi", "--vs", "Xiaomi")
    assert report.exit_code == gaps.exit_code == 2
    assert (
        report.stderr == gaps.stderr == "xmfin: error: --vs xiaomi is the group itself: compare it with another group\n"
    )


# --- help -------------------------------------------------------------------------------------------------------


def commands() -> list[tuple[str, ...]]:
    """Every command path: ("tree",), ("import", "bods"), ..."""
    import typer.main

    root = typer.main.get_command(app)
    found: list[tuple[str, ...]] = []
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            found.extend((name, sub) for sub in subcommands)
        else:
            found.append((name,))
    return found


COMMANDS = commands()


def test_every_command_is_listed() -> None:
    names = {" ".join(path) for path in COMMANDS}
    assert {"tree", "init", "data-path", "import bods", "import ftm", "schema", "report"} <= names


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_has_a_summary_examples_and_consistent_metavars(path: tuple[str, ...]) -> None:
    result = run(*path, "--help")
    assert result.exit_code == 0
    text = result.stdout
    usage, blank, summary = text.splitlines()[:3]
    assert usage.startswith(f"Usage: xmfin {' '.join(path)} [OPTIONS]") and blank == ""
    summary = summary.strip()
    assert summary.endswith(".") and len(summary) <= 60, summary
    section = text.split("Examples:", 1)[1].split("\nArguments:")[0].split("\nOptions:")[0]
    examples = re.findall(r"^    (\S.*)$", section, re.MULTILINE)
    assert all(f"xmfin {' '.join(path)}" in example for example in examples), examples
    assert 2 <= len(examples) <= 3, examples
    for example in examples:
        assert len(example) <= 76, f"an example wraps in an 80-column help: {example}"
    # Metavars: upper case, named; never Typer's defaults (<int range>, <str>, <path>, {entity}) nor types.
    for bad in ("<", "{", "INTEGER", "FLOAT", "TEXT RANGE", "[target]", "[entity]"):
        assert bad not in usage + text.split("Options:", 1)[-1], bad


def test_the_command_list_shows_each_summary_whole() -> None:
    text = run("--help").stdout
    listed = text.split("Commands:", 1)[1]
    assert "..." not in listed
    for name in ("init", "data-path", "tree", "report"):
        assert re.search(rf"^  {name}\s+\S", listed, re.MULTILINE), name


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_is_documented(path: tuple[str, ...]) -> None:
    reference = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    contract = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    name = " ".join(path)
    assert re.search(rf"^### .*\b{re.escape(name)}\b", reference, re.MULTILINE), f"docs/commands.md: {name}"
    assert f"`xmfin {name}" in contract or f"`xmfin {path[0]}" in contract, f"docs/cli.md: {name}"
    assert f"`xmfin {name}" in reference


# --- links to sources -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("http://www.myzaker.com/article/1", "http://www.myzaker.com/article/1"),
        ("ftp://example.com/x", "ftp://example.com/x"),
        ("https://example.com/报告", "https://example.com/%E6%8A%A5%E5%91%8A"),
        ("https://example.com/\x1b]8;;http://evil\x1b\\", "https://example.com/%1B]8;;http://evil%1B%5C"),
        ("javascript:alert(1)", None),
        ("file:///etc/passwd", None),
        ("data:text/html,x", None),
        ("https:///no-host", None),
        ("not a url", None),
        ("", None),
        (None, None),
    ],
)
def test_link_target(url: str | None, target: str | None) -> None:
    assert link_target(url) == target


@given(st.text())
def test_a_link_target_is_always_printable_ascii_of_a_safe_scheme(url: str) -> None:
    for text in (url, "https://example.com/" + url, "http://" + url):
        target = link_target(text)
        if target is not None:
            assert target.isascii() and target.isprintable() and " " not in target
            assert target.split(":", 1)[0].lower() in ("http", "https", "ftp")
            assert "\x1b" not in target and "\x07" not in target


def terminal(width: int = 110) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, color_system="standard", width=width), buffer


def test_show_and_sources_link_source_ids_and_urls_on_a_terminal() -> None:
    from xmfin.api import explore

    xm = explore(as_of="2026-01-01")
    out, buffer = terminal()
    render_profile(out, xm.show("xiaomi-finance-hk"))
    text = buffer.getvalue()
    url = "https://m.leiphone.com/category/BigTech/ed8hxAjpZhsiFgKm.html"
    assert "\x1b]8;id=" in text and f";{url}\x1b\\" in text
    out, buffer = terminal()
    render_sources(out, xm.sources("xiaomi-finance-hk"), xm.data)
    assert f";{url}\x1b\\" in buffer.getvalue()


def test_a_pipe_gets_the_whole_url_and_no_escape_sequence() -> None:
    result = run("show", "xiaomi-finance-hk", "--as-of", "2026-01-01", env={"COLUMNS": "40"})
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout
    assert "    https://m.leiphone.com/category/BigTech/ed8hxAjpZhsiFgKm.html\n" in result.stdout
    # Ids are never cut short with an ellipsis, however narrow.
    assert "…" not in result.stdout
    assert "myzaker-xiaomi-guarantee" in result.stdout.replace("\n", "").replace(" ", "").replace("│", "")


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)\x1b]8;;http://evil\x1b\\",
        "https://example.com/\x1b]8;;http://evil\x1b\\fake",
        "https://example.com/\u202egpj.exe",
    ],
)
def test_a_hostile_url_never_reaches_the_terminal_raw(url: str) -> None:
    from xmfin.model import Source
    from xmfin.output.render import render_source_list

    out, buffer = terminal()
    render_source_list(out, [Source(id="evil\x1b[2J", title="Title\u202e", url=url)])
    shown = buffer.getvalue()
    assert "http://evil" not in re.findall(r"\x1b\]8;[^;]*;([^\x1b]*)", shown)
    for target in re.findall(r"\x1b\]8;[^;]*;([^\x1b]*)\x1b\\", shown):
        assert target == "" or (target.isascii() and target.isprintable() and target.startswith("https://"))
    text = re.sub(r"\x1b\]8;[^\x1b]*\x1b\\", "", re.sub(r"\x1b\[[0-9;]*m", "", shown))
    assert "\x1b" not in text and "\u202e" not in text
    assert "evil\\x1b[2J" in text and "\\u202e" in text


def test_show_wraps_a_description_under_itself() -> None:
    result = run("show", "xiaomi-finance-hk", "--as-of", "2026-01-01", env={"COLUMNS": "60"})
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  description: "))
    indent = len("  description: ")
    following = lines[start + 1]
    assert following.startswith(" " * indent) and following.strip(), following


def test_show_marks_an_ended_holding_on_its_period_not_on_the_name() -> None:
    result = run("show", "xiaomi-guarantee", "--as-of", "2026-01-01")
    assert "(not active)" not in result.stdout
    result = run("show", "ant-group", "--as-of", "2026-01-01", env={"COLUMNS": "400"})
    for line in result.stdout.splitlines():
        if "(ended)" in line:
            assert re.search(r"(\d|…) to \d{4}[-\d]* \(ended\)", line), line


# --- completion -------------------------------------------------------------------------------------------------


def complete(words: str, shell: str = "bash", data: str | None = None) -> list[str]:
    """What the console script answers a shell that asks to complete the last word of `words`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XMFIN_", "_XMFIN"))}
    env["_XMFIN_COMPLETE"] = f"complete_{shell}"
    if shell == "bash":
        env.update(COMP_WORDS=words, COMP_CWORD=str(len(words.split(" ")) - 1))
    else:
        env["_TYPER_COMPLETE_ARGS"] = words
        env["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"
    if data is not None:
        env["XMFIN_DATA"] = data
    done = subprocess.run([str(XMFIN)], env=env, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return [line for line in done.stdout.splitlines() if line]


def test_completion_of_commands_and_options() -> None:
    assert complete("xmfin t") == ["tree", "timeline"]
    assert complete("xmfin d") == ["data-path", "diagram"]
    assert "--as-of" in complete("xmfin tree --a")


def test_completion_of_entities_groups_and_licences() -> None:
    data = load(bundled_data())
    ids = [e for e in data.entities if e.startswith("xiaomi-f")]
    assert ids and complete("xmfin show xiaomi-f") == ids
    chinese = next(e.name_zh for e in data.entities.values() if e.name_zh and " " not in e.name_zh)
    assert chinese in complete(f"xmfin chain {chinese[:2]}")
    offered = complete("xmfin gaps xiaomi --vs ")
    assert offered[: len(data.groups)] == list(data.groups)  # the ids, then the one-word names that differ
    assert set(offered[len(data.groups) :]) <= {g.name for g in data.groups.values()}
    assert complete("xmfin licences --family lend") == [f for f in data.families if f.startswith("lend")]
    assert complete("xmfin licences --category micro") == [c for c in data.categories if c.startswith("micro")]
    assert complete("xmfin export -f gr") == ["graphml"]
    assert complete("xmfin tree an")[:1] == ["ant"]  # groups first, then entities


def test_completion_reads_the_data_folder_given(tmp_path: Path) -> None:
    folder = str(FIXTURES / "basic")
    assert "alpha" in complete("xmfin gaps --data " + folder + " ")
    assert "alpha" in complete("xmfin gaps ", data=folder)


def test_completion_of_an_unreadable_folder_completes_nothing_silently(tmp_path: Path) -> None:
    assert complete("xmfin show x", data=str(tmp_path / "missing")) == []
    assert complete("xmfin show x", data=str(FIXTURES / "invalid")) == []


def test_zsh_and_fish_get_the_names_beside_the_ids() -> None:
    name = load(bundled_data()).groups["ant"].name
    zsh = "\n".join(complete("xmfin gaps ", shell="zsh"))
    assert f'"ant":"{name}"' in zsh
    fish = complete("xmfin gaps ", shell="fish")
    assert f"ant\t{name}" in fish


def test_completion_never_sends_control_characters_to_the_shell(tmp_path: Path) -> None:
    """A name or alias with a control or bidirectional character was offered raw (a BEL, an RTL override), and
    the name beside an id went raw to zsh and fish: a line feed in it broke the protocol's lines, an ESC reached
    the terminal."""
    folder = tmp_path / "hostile"
    init_folder(folder, bundled_data(), empty=True, force=False)
    with (folder / "entities.yaml").open("a", encoding="utf-8") as out:
        out.write(
            "entities:\n  evil-co:\n"
            '    name: "Evil\\nrm -rf ~\\tCo \\u001b]8;;http://x\\u0007"\n'
            '    aliases: ["Zed\\u0007bell", "Right\\u202eleft", "Plain"]\n'
        )
    assert load(folder).entities["evil-co"].aliases
    for shell in ("bash", "zsh", "fish"):
        lines = complete("xmfin show ", shell=shell, data=str(folder))
        shown = "\n".join(lines)
        # fish separates a value from its help by one tab; nothing else may be a control character
        assert all(line.replace("\t", " ", shell == "fish").isprintable() for line in lines), (shell, lines)
        assert "Zed" not in shown and "Right" not in shown
        assert "Plain" in shown
    assert "evil-co\tEvil\\nrm -rf ~\\tCo \\x1b]8;;http://x\\x07" in complete("xmfin show ", "fish", str(folder))


def test_the_completion_callbacks_alone() -> None:
    assert completion.export_formats("j") == [("json", "one JSON document"), ("jsonl", "JSON Lines, one record a line")]
    assert completion.schema_files("l") == [("licences", "licences.yaml")]
    assert ("bank", "Banking") in completion.families(None, "")


def test_help_and_version_load_no_data_and_no_heavy_module() -> None:
    script = (
        "import sys\nsys.argv = ['xmfin', *sys.argv[1:]]\nfrom xmfin.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "names = ('yaml', 'networkx', 'rich', 'xmfin.storage.loading', 'xmfin.completion')\n"
        "print(sorted(m for m in names if m in sys.modules))"
    )
    for flag in ("--help", "--version"):
        done = subprocess.run([sys.executable, "-c", script, flag], capture_output=True, text=True, check=False)
        assert done.stdout.splitlines()[-1] == "['xmfin.completion']", (flag, done.stdout[-300:])


LONG = "a" * 300  # longer than any file system allows a name to be


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["init", LONG], f"xmfin: error: {LONG}: cannot write: File name too long\n"),
        (["init", "{file}/sub"], "xmfin: error: {file}/sub: cannot write: Not a directory\n"),
        (["export", "-f", "csv", "-o", f"{LONG}/x"], f"xmfin: error: -o {LONG}/x: cannot write: File name too long\n"),
        (["export", "-f", "csv", "-o", "{file}/sub"], "xmfin: error: -o {file}/sub: cannot write: Not a directory\n"),
        (["schema", "-o", f"{LONG}/x"], f"xmfin: error: -o {LONG}/x: cannot write: File name too long\n"),
        (["import", "ftm", "{ftm}", "-o", LONG], f"xmfin: error: -o {LONG}: cannot write: File name too long\n"),
        (
            ["import", "bods", "{bods}", "-o", "{file}/sub"],
            "xmfin: error: -o {file}/sub: cannot write: Not a directory\n",
        ),
    ],
)
def test_an_output_folder_that_cannot_be_looked_at_is_bad_usage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], error: str
) -> None:
    """init, export -f csv and import with a name too long crashed (exit 70: Path.exists() raises
    ENAMETOOLONG), and one under a file said `File exists`."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("x")
    ftm = tmp_path / "in.ftm.json"
    ftm.write_text('{"id": "a", "schema": "Company", "properties": {"name": ["A"]}}\n')
    bods = ROOT / "tests" / "bods_examples"
    bods_file = next(p for p in sorted(bods.rglob("*.json")))
    places = {"file": "file", "ftm": str(ftm), "bods": str(bods_file)}
    result = run(*[arg.format(**places) for arg in args])
    assert result.exit_code == 2, result.output
    assert result.stderr == error.format(**places)


@pytest.mark.parametrize(
    "args",
    [
        ["init", ""],
        ["init", "", "--force"],
        ["schema", "-o", ""],
        ["export", "-f", "json", "-o", ""],
        ["diagram", "-o", ""],
        ["report", "-o", ""],
        ["tree", "--data", ""],
        ["import", "ftm", "", "-o", "out"],
        ["import", "bods", "x.json", "-o", ""],
    ],
)
def test_an_empty_path_is_bad_usage_not_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """An empty path meant `.`: `schema -o ""` wrote both schemas into the current folder, `init "" --force`
    wrote a research folder over it, `--data ""` read it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.txt").write_text("x")
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "the path is empty: give a path ('.' for the current folder)" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


def test_an_empty_xmfin_data_counts_as_unset() -> None:
    assert run("tree", "--depth", "0", env={"XMFIN_DATA": ""}).exit_code == 0


@pytest.mark.parametrize(
    ("shell", "start"), [("bash", "_xmfin_completion()"), ("zsh", "#compdef xmfin"), ("fish", "complete ")]
)
def test_show_completion_prints_the_script_of_the_shell_named(shell: str, start: str) -> None:
    """`--show-completion SHELL` (as documented) ignored SHELL: the script of the shell it ran in was printed."""
    done = subprocess.run([str(XMFIN), "--show-completion", shell], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(start)


def test_show_completion_of_an_unknown_shell_is_bad_usage() -> None:
    done = subprocess.run([str(XMFIN), "--show-completion", "nosh"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert (
        done.stderr
        == "xmfin: error: --show-completion: unknown shell 'nosh'; shells: bash, zsh, fish, powershell, pwsh\n"
    )
    assert done.stdout == ""


def test_install_completion_installs_for_the_shell_named(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path)}
    done = subprocess.run(
        [str(XMFIN), "--install-completion", "fish"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / ".config" / "fish" / "completions" / "xmfin.fish").is_file()


def test_init_never_writes_over_the_bundled_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`init "$(xmfin data-path)" --empty --force` replaced the installed dataset with an empty one."""
    source = tmp_path / "bundled"
    shutil.copytree(bundled_data(), source)
    before = {p.name: p.read_bytes() for p in source.iterdir()}
    with pytest.raises(UsageError, match="is the bundled data itself"):
        init_folder(source, source, empty=True, force=True)
    with pytest.raises(UsageError, match="is the bundled data itself"):
        init_folder(tmp_path / "bundled" / ".." / "bundled", source, empty=False, force=True)
    assert {p.name: p.read_bytes() for p in source.iterdir()} == before
    # The command, on a copy standing in for the bundled data (a regression must not wipe the real one)
    monkeypatch.setattr("xmfin.api.bundled_data", lambda: source)
    result = run("init", str(source), "--empty", "--force")
    assert result.exit_code == 2
    assert result.stderr == f"xmfin: error: {source} is the bundled data itself: give another folder for the copy\n"
    assert {p.name: p.read_bytes() for p in source.iterdir()} == before


@pytest.mark.parametrize(
    ("args", "prefix"),
    [
        (["init", "dangling"], "dangling"),
        (["export", "-f", "csv", "-o", "dangling"], "-o dangling"),
        (["schema", "-o", "dangling"], "-o dangling"),
        (["import", "ftm", "{ftm}", "-o", "dangling"], "-o dangling"),
    ],
)
def test_a_folder_through_a_link_to_nothing_is_refused_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], prefix: str
) -> None:
    """A new folder through a symbolic link to nothing failed with `cannot write: Not a directory`."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dangling").symlink_to("nowhere")
    ftm = tmp_path / "in.ftm.json"
    ftm.write_text('{"id": "a", "schema": "Company", "properties": {"name": ["A"]}}\n')
    result = run(*[arg.format(ftm=ftm) for arg in args])
    assert result.exit_code == 2, result.output
    assert result.stderr == f"xmfin: error: {prefix}: cannot write: a link to 'nowhere', which does not exist\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling", "in.ftm.json"]


@given(st.text(), st.text())
def test_a_completion_offered_is_one_printable_word_and_its_help_printable(name: str, help_: str) -> None:
    from xmfin.textsafe import terminal_text

    for value, shown in completion._matching([(name, help_)], ""):
        assert terminal_text(shown) == shown  # nothing left that a terminal must not receive raw
        assert "\n" not in shown and "\t" not in shown
        assert value == name
    if completion._one_word(name):
        assert name.isprintable() and not any(c.isspace() for c in name)
