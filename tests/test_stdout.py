"""Standard output that cannot take what xmfin writes: a reader that went away, a full disk, a closed stream;
and the last-resort handler that turns any unexpected exception into one line and exit 70.

Each command runs as the console script does (`python -m xmfin`), so that the interpreter's own flush at exit
is part of what is tested.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xmfin.cli import app

from .conftest import fixture_path

ROOT = Path(__file__).resolve().parent.parent
BASIC = str(fixture_path("basic"))

# Every command and output path that writes to stdout: Rich text, JSON, exports, schema, SVG, HTML, help.
COMMANDS = [
    ["tree", "--data", BASIC],
    ["tree", "--json", "--data", BASIC],
    ["chain", "alpha-loans", "--data", BASIC],
    ["chain", "alpha-loans", "--json", "--data", BASIC],
    ["show", "alpha-hk", "--data", BASIC],
    ["show", "alpha-hk", "--json", "--data", BASIC],
    ["gaps", "--data", BASIC],
    ["gaps", "--json", "--data", BASIC],
    ["check", "--data", BASIC],
    ["check", "--json", "--data", BASIC],
    ["check", "--data", str(fixture_path("invalid"))],
    ["matrix", "--data", BASIC],
    ["matrix", "--json", "--data", BASIC],
    ["licences", "--data", BASIC],
    ["licences", "--json", "--data", BASIC],
    ["search", "alpha", "--data", BASIC],
    ["search", "alpha", "--json", "--data", BASIC],
    ["sources", "--data", BASIC],
    ["sources", "--json", "--data", BASIC],
    ["timeline", "--data", BASIC],
    ["timeline", "--json", "--data", BASIC],
    *(["export", "-f", fmt, "--data", BASIC] for fmt in ("json", "jsonl", "graphml", "gexf", "dot", "mermaid", "bods")),
    ["export", "-f", "csv", "--table", "entities", "--data", BASIC],
    ["schema"],
    ["diagram", "--data", BASIC],
    ["report", "--data", BASIC],
    ["--version"],
    ["--help"],
]


def xmfin(argv: list[str], stdout: int | None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XMFIN_NO_CACHE": "1", "NO_COLOR": "1", "COLUMNS": "120"}
    env.pop("XMFIN_DATA", None)
    return subprocess.run(
        [sys.executable, "-m", "xmfin", *argv],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_a_reader_that_goes_away_ends_the_command_quietly(argv: list[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte: every write gets EPIPE
    try:
        result = xmfin(argv, write_end)
    finally:
        os.close(write_end)
    assert result.returncode == 0
    # `check` of a valid folder writes nothing to stdout; its summary goes to stderr as always.
    summary = f"{BASIC}: ok: 0 errors, 0 warnings (" if argv[0] == "check" and "--json" not in argv else None
    assert result.stderr == "" or (summary and result.stderr.startswith(summary)), result.stderr


@pytest.mark.parametrize("argv", [["export", "-f", "jsonl", "--data", BASIC], ["matrix", "--data", BASIC]])
def test_head_of_a_pipe(argv: list[str]) -> None:
    """The README's own example: `xmfin export -f jsonl | head -1`, with a reader that stops after a byte."""
    env = {**os.environ, "XMFIN_NO_CACHE": "1"}
    command = " ".join([sys.executable, "-m", "xmfin", *argv]) + " | head -c1 >/dev/null; echo ${PIPESTATUS[0]}"
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    assert (done.stdout, done.stderr) == ("0\n", "")


@pytest.fixture
def full() -> int:
    fd = os.open("/dev/full", os.O_WRONLY)
    yield fd  # type: ignore[misc]
    os.close(fd)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize(
    "argv",
    [
        ["tree", "--json", "--data", BASIC],
        ["tree", "--data", BASIC],
        ["export", "-f", "jsonl", "--data", BASIC],
        ["diagram", "--data", BASIC],
        ["--version"],
    ],
    ids=" ".join,
)
def test_a_full_disk_on_stdout_is_one_line_and_exit_1(argv: list[str], full: int) -> None:
    result = xmfin(argv, full)
    assert result.returncode == 1
    assert result.stderr == "xmfin: error: cannot write to standard output: No space left on device\n"


@pytest.mark.parametrize(
    "argv", [["export", "-f", "json", "--data", BASIC], ["tree", "--data", BASIC], ["--version"]], ids=" ".join
)
def test_a_closed_stdout_is_one_line_and_exit_1(argv: list[str]) -> None:
    command = " ".join([sys.executable, "-m", "xmfin", *argv]) + " >&-"
    env = {**os.environ, "XMFIN_NO_CACHE": "1"}
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    assert result.returncode == 1
    assert result.stderr == "xmfin: error: cannot write to standard output: standard output is closed\n"


def test_an_unexpected_exception_is_one_line_and_exit_70(monkeypatch: pytest.MonkeyPatch) -> None:
    from xmfin import licensing

    def broken(*args: object, **kwargs: object) -> object:
        raise KeyError("a bug\x1b[2J\u202e")

    monkeypatch.setattr(licensing, "licences_by_holder", broken)
    result = CliRunner(env={"XMFIN_DEBUG": None}).invoke(app, ["tree", "--data", BASIC])
    assert result.exit_code == 70
    assert result.stderr == (
        "xmfin: internal error: KeyError: 'a bug\\x1b[2J\\u202e', please report it with `xmfin --version`\n"
    )
    assert "Traceback" not in result.output


def test_xmfin_debug_lets_the_exception_through(monkeypatch: pytest.MonkeyPatch) -> None:
    from xmfin import licensing

    def broken(*args: object, **kwargs: object) -> object:
        raise KeyError("a bug")

    monkeypatch.setattr(licensing, "licences_by_holder", broken)
    result = CliRunner(env={"XMFIN_DEBUG": "1"}).invoke(app, ["tree", "--data", BASIC])
    assert isinstance(result.exception, KeyError)


def test_an_exception_outside_any_command_is_one_line_and_exit_70() -> None:
    """In the console script, even an exception raised before a command runs (here in argument parsing)."""
    script = (
        "import sys\n"
        "import xmfin.cli as cli\n"
        "def broken(value):\n    raise RuntimeError('before any command')\n"
        "cli.parse_as_of = broken\n"
        "cli.app.registered_callback.callback = lambda: (_ for _ in ()).throw(RuntimeError('in the callback'))\n"
        "sys.argv = ['xmfin', 'tree', '--data', sys.argv[1]]\n"
        "cli.main()\n"
    )
    env = {**os.environ, "XMFIN_NO_CACHE": "1"}
    env.pop("XMFIN_DEBUG", None)
    result = subprocess.run(
        [sys.executable, "-c", script, BASIC], capture_output=True, text=True, env=env, cwd=ROOT, check=False
    )
    assert result.returncode == 70, result.stderr
    assert result.stderr == (
        "xmfin: internal error: RuntimeError: in the callback, please report it with `xmfin --version`\n"
    )


def test_typer_pretty_exceptions_are_off() -> None:
    assert app.pretty_exceptions_enable is False
    assert all(group.typer_instance.pretty_exceptions_enable is False for group in app.registered_groups)


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_stdout_is_utf8_whatever_the_locale_says(encoding: str) -> None:
    """With PYTHONIOENCODING=ascii, every Chinese name was an internal error (exit 70, UnicodeEncodeError)."""
    env = {**os.environ, "PYTHONIOENCODING": encoding, "XMFIN_NO_CACHE": "1"}
    env.pop("XMFIN_DATA", None)
    xmfin = Path(sys.executable).parent / "xmfin"
    for args in (["tree", "--depth", "1"], ["show", "小米集团", "--json"]):
        done = subprocess.run([str(xmfin), *args], capture_output=True, env=env, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        assert "小米集团" in done.stdout.decode("utf-8")


def test_ctrl_c_while_xmfin_starts_is_quiet(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C while the command line was imported, or while Typer built the commands, printed Python's traceback:
    only a running command turned it into exit 130."""
    import types

    from xmfin import cli, console

    class Interrupted(types.ModuleType):
        def __getattr__(self, name: str) -> object:
            raise KeyboardInterrupt

    monkeypatch.setitem(sys.modules, "xmfin.cli", Interrupted("xmfin.cli"))
    with pytest.raises(SystemExit) as done:
        console.main()
    assert done.value.code == 130
    monkeypatch.setitem(sys.modules, "xmfin.cli", cli)

    def building() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "app", building)
    monkeypatch.setattr(sys, "stdout", sys.stdout)  # main() puts back the stream it found
    with pytest.raises(SystemExit) as done:
        cli.main()
    assert done.value.code == 130
    assert capsys.readouterr().err == ""
