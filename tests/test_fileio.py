"""Every file xmfin writes is written whole or not at all; only regular files are read.

Writes fail half-way here in two ways: a stream that raises ENOSPC after N bytes (fileio._stream replaced),
and, end to end, a real limit on the size of files the process may write (RLIMIT_FSIZE: the system itself
refuses the write, as a full disk would).
"""

from __future__ import annotations

import errno
import os
import resource
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

import pytest
from typer.testing import CliRunner, Result

from xmfin import fileio
from xmfin.cli import app

from .conftest import fixture_path

ROOT = Path(__file__).resolve().parent.parent
BASIC = str(fixture_path("basic"))
BODS = str(ROOT / "tests" / "bods_examples" / "joint-ownership.json")
OLD = b"the old, good file\n"


class FailingStream:
    """A file stream that takes `budget` bytes (of text or bytes), then fails as a full disk does."""

    def __init__(self, inner: IO[Any], budget: int) -> None:
        self.inner = inner
        self.budget = budget

    def write(self, data: Any) -> int:
        if len(data) > self.budget:
            self.inner.write(data[: self.budget])
            self.inner.flush()
            self.budget = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.budget -= len(data)
        return int(self.inner.write(data))

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def __enter__(self) -> FailingStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.inner.close()


@pytest.fixture
def disk_full_after(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Call with N: every file xmfin writes from now on fails after N bytes (per file)."""
    real = fileio._stream

    def limit(budget: int) -> None:
        monkeypatch.setattr(fileio, "_stream", lambda *args: FailingStream(real(*args), budget))

    return limit


def everything(path: Path) -> dict[str, bytes | None]:
    """Every file and folder under path (folders as None), by relative name."""
    return {str(p.relative_to(path)): (p.read_bytes() if p.is_file() else None) for p in sorted(path.rglob("*"))}


def run(*args: str) -> Result:
    return CliRunner(env={"XMFIN_DATA": None, "NO_COLOR": "1"}).invoke(app, list(args))


# --- one file ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("budget", [0, 1, 7, 18, 19])
def test_a_write_that_fails_half_way_leaves_the_old_file(tmp_path: Path, disk_full_after: Any, budget: int) -> None:
    target = tmp_path / "out.txt"
    target.write_bytes(OLD)
    disk_full_after(budget)
    with pytest.raises(OSError, match="No space left"):
        fileio.write_file(target, fileio.text("a new text, longer than the budget\n"))
    assert everything(tmp_path) == {"out.txt": OLD}


def test_a_write_completes_and_keeps_the_permissions(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_bytes(OLD)
    target.chmod(0o640)
    fileio.write_file(target, fileio.text("new\n"))
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    fresh = tmp_path / "fresh.txt"
    fileio.write_file(fresh, fileio.text("x"))
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~mask
    assert everything(tmp_path).keys() == {"out.txt", "fresh.txt"}


def test_a_symlink_is_followed_and_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_bytes(OLD)
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    fileio.write_file(link, fileio.text("new\n"))
    assert link.is_symlink() and real.read_bytes() == b"new\n"


def test_a_device_is_written_not_replaced(tmp_path: Path) -> None:
    fileio.write_file(Path(os.devnull), fileio.text("nothing\n"))
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        fileio.write_file(fifo, fileio.text("through\n"))
        assert os.read(reader, 100) == b"through\n"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "-f", "json", "--data", BASIC],
        ["export", "-f", "jsonl", "--data", BASIC],
        ["export", "-f", "csv", "--table", "entities", "--data", BASIC],
        ["export", "-f", "graphml", "--data", BASIC],
        ["report", "--data", BASIC],
        ["diagram", "--data", BASIC],
        ["schema", "entities"],
    ],
    ids=" ".join,
)
def test_every_o_file_is_whole_or_untouched(tmp_path: Path, disk_full_after: Any, argv: list[str]) -> None:
    target = tmp_path / "out"
    target.write_bytes(OLD)
    disk_full_after(100)
    result = run(*argv, "-o", str(target))
    assert result.exit_code == 2
    assert result.stderr == f"xmfin: error: -o {target}: cannot write: No space left on device\n"
    assert everything(tmp_path) == {"out": OLD}


# --- a folder ----------------------------------------------------------------------------------------------------

FOLDER_COMMANDS = [
    (["export", "-f", "csv", "--data", BASIC], 8),
    (["schema"], 2),
    (["import", "bods", BODS], 2),
]


@pytest.mark.parametrize(("argv", "files"), FOLDER_COMMANDS, ids=["export csv", "schema", "import bods"])
def test_a_folder_that_fails_half_way_is_not_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], files: int
) -> None:
    """The last file fails: no folder (nor any parent made for it) is left, nor any temporary file."""
    real = fileio._stream
    opened: list[int] = []

    def failing_last(*args: Any) -> Any:
        opened.append(1)
        return FailingStream(real(*args), 10 if len(opened) == files else 10**9)

    monkeypatch.setattr(fileio, "_stream", failing_last)
    result = run(*argv, "-o", str(tmp_path / "new" / "out"))
    assert result.exit_code == 2, result.output
    assert "cannot write: No space left on device" in result.stderr
    assert len(opened) == files
    assert everything(tmp_path) == {}


@pytest.mark.parametrize(("argv", "files"), FOLDER_COMMANDS, ids=["export csv", "schema", "import bods"])
def test_an_existing_folder_is_changed_only_when_every_file_was_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], files: int
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_bytes(OLD)
    first = run(*argv, "-o", str(out), *(["--force"] if argv[0] == "import" else []))
    assert first.exit_code == 0, first.output
    before = everything(tmp_path)
    for name in before:
        if name.startswith("out/") and name != "out/mine.txt":
            (tmp_path / name).write_bytes(OLD)
    before = everything(tmp_path)
    real = fileio._stream
    opened: list[int] = []

    def failing_last(*args: Any) -> Any:
        opened.append(1)
        return FailingStream(real(*args), 10 if len(opened) == files else 10**9)

    monkeypatch.setattr(fileio, "_stream", failing_last)
    result = run(*argv, "-o", str(out), *(["--force"] if argv[0] == "import" else []))
    assert result.exit_code == 2, result.output
    assert everything(tmp_path) == before
    monkeypatch.setattr(fileio, "_stream", real)
    again = run(*argv, "-o", str(out), *(["--force"] if argv[0] == "import" else []))
    assert again.exit_code == 0
    assert (out / "mine.txt").read_bytes() == OLD  # files of its own are left alone
    assert not [name for name in everything(tmp_path) if fileio.TEMP_SUFFIX in name]


def test_a_new_folder_gets_the_usual_permissions(tmp_path: Path) -> None:
    assert run("schema", "-o", str(tmp_path / "schemas")).exit_code == 0
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE((tmp_path / "schemas").stat().st_mode) == 0o777 & ~mask


# --- end to end, with the system refusing the write --------------------------------------------------------------


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of killing the process
    resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "-f", "json", "--data", BASIC, "-o", "{out}"],
        ["report", "--data", BASIC, "-o", "{out}"],
        ["diagram", "--data", BASIC, "-o", "{out}"],
        ["export", "-f", "csv", "--data", BASIC, "-o", "{dir}"],
    ],
    ids=lambda argv: " ".join(argv[:3]),
)
def test_a_real_write_limit_leaves_the_old_file(tmp_path: Path, argv: list[str]) -> None:
    target = tmp_path / "out"
    target.write_bytes(OLD)
    folder = tmp_path / "folder"
    command = ["-m", "xmfin", *(arg.format(out=target, dir=folder) for arg in argv)]
    env = {**os.environ, "XMFIN_NO_CACHE": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, *command],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
        preexec_fn=_limit_file_size,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "cannot write: File too large" in result.stderr
    assert "Traceback" not in result.stderr
    assert everything(tmp_path) == {"out": OLD}
