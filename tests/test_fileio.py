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


# --- reading: regular files only, of bounded size ----------------------------------------------------------------


def xmfin_process(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m xmfin ARGV` with a generous timeout: a test of something that used to hang never hangs."""
    full = {**os.environ, "XMFIN_NO_CACHE": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "xmfin", *argv],
        capture_output=True,
        text=True,
        env=full,
        cwd=ROOT,
        check=False,
        timeout=60,
    )


def test_import_of_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "statements.json"
    os.mkfifo(fifo)
    result = xmfin_process("import", "bods", str(fifo), "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr == f"xmfin: error: {fifo} is not a regular file (a pipe, device or socket): give a BODS file\n"
    assert not (tmp_path / "out").exists()


def test_import_of_a_device_is_refused_not_read_forever(tmp_path: Path) -> None:
    result = xmfin_process("import", "bods", "/dev/zero", "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "/dev/zero is not a regular file" in result.stderr


def test_import_size_is_bounded(tmp_path: Path) -> None:
    result = xmfin_process("import", "bods", BODS, "-o", str(tmp_path / "out"), env={"XMFIN_MAX_IMPORT_BYTES": "100"})
    assert result.returncode == 2
    assert (
        result.stderr == f"xmfin: error: {BODS} is larger than 100 bytes: raise XMFIN_MAX_IMPORT_BYTES to import it\n"
    )
    bad = xmfin_process("import", "bods", BODS, "-o", str(tmp_path / "out"), env={"XMFIN_MAX_IMPORT_BYTES": "2GB"})
    assert bad.returncode == 2
    assert "XMFIN_MAX_IMPORT_BYTES='2GB' is not a number of bytes" in bad.stderr
    fits = xmfin_process("import", "bods", BODS, "-o", str(tmp_path / "out"), env={"XMFIN_MAX_IMPORT_BYTES": "99999"})
    assert fits.returncode == 0, fits.stderr


def test_the_size_is_checked_while_reading_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that grows after it was measured (here: one whose size the system under-reports)."""
    path = tmp_path / "grows"
    path.write_bytes(b"x" * 5000)
    real = os.fstat

    def smaller(fd: int) -> os.stat_result:
        found = list(real(fd))
        found[stat.ST_SIZE] = 10
        return os.stat_result(found)

    monkeypatch.setattr(os, "fstat", smaller)
    with pytest.raises(fileio.TooLarge):
        fileio.read_regular(path, limit=100)
    assert fileio.read_regular(path, limit=5000) == b"x" * 5000
    assert fileio.read_regular(path) == b"x" * 5000


@pytest.mark.parametrize("name", ["entities.yaml", "licences.yaml"])
def test_a_fifo_in_a_data_folder_is_reported_not_waited_on(tmp_path: Path, name: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for file in ("entities.yaml", "licences.yaml"):
        (data / file).write_bytes((Path(BASIC) / file).read_bytes())
    (data / name).unlink()
    os.mkfifo(data / name)
    result = xmfin_process("check", "--data", str(data))
    assert result.returncode == 1
    assert f"{data}/{name}:1:1: error: is not a regular file: {name} must be a YAML file" in result.stdout


def test_a_fifo_swapped_in_after_a_look_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file is judged by what was opened, not by a look at its name first: a look that says "a regular
    file" (as a file replaced by a FIFO a moment later would) changes nothing."""
    from xmfin.storage import loading

    fifo = tmp_path / "entities.yaml"
    os.mkfifo(fifo)
    monkeypatch.setattr(Path, "is_file", lambda self: True)
    monkeypatch.setattr(os.path, "isfile", lambda path: True)
    found = loading.read_data_files(tmp_path)
    assert isinstance(found["entities.yaml"], fileio.NotRegularFile)


# --- data folders that cannot be looked into ---------------------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "tree", "export"])
def test_a_data_folder_name_over_255_characters(tmp_path: Path, command: str) -> None:
    long = tmp_path / ("a" * 300)
    result = run(command, *(["-f", "json"] if command == "export" else []), "--data", str(long))
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stderr == f"xmfin: error: data path '{long}': File name too long\n"


def test_a_data_folder_without_the_execute_bit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its files cannot be opened or even looked at. Root may do both, so there the system's refusal is
    simulated on every call that looks at a path inside the folder."""
    data = tmp_path / "data"
    data.mkdir()
    for file in ("entities.yaml", "licences.yaml"):
        (data / file).write_bytes((Path(BASIC) / file).read_bytes())
    if os.geteuid() == 0:
        for name in ("open", "stat", "lstat"):
            real = getattr(os, name)

            def refusing(path: Any, *args: Any, real: Any = real, **kwargs: Any) -> Any:
                if isinstance(path, (str, os.PathLike)) and Path(os.fsdecode(path)).parent == data:
                    raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
                return real(path, *args, **kwargs)

            monkeypatch.setattr(os, name, refusing)
    data.chmod(0o600)
    try:
        checked = run("check", "--data", str(data))
        shown = run("tree", "--data", str(data))
    finally:
        data.chmod(0o755)
    for result in (checked, shown):
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert checked.stdout == "".join(
        f"{data}/{name}:1:1: error: cannot be read: Permission denied\n" for name in ("entities.yaml", "licences.yaml")
    )
    assert shown.stderr.endswith("xmfin: error: the data is invalid; run 'xmfin check' for every problem\n")


def test_ftm_import_of_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    """import ftm read the file with path.read_bytes(): a FIFO blocked it forever, /dev/zero ate memory."""
    fifo = tmp_path / "entities.ftm.json"
    os.mkfifo(fifo)
    result = xmfin_process("import", "ftm", str(fifo), "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr == f"xmfin: error: {fifo} is not a regular file (a pipe, device or socket): give an FtM file\n"
    assert not (tmp_path / "out").exists()


def test_ftm_import_of_a_device_is_refused_and_its_size_bounded(tmp_path: Path) -> None:
    result = xmfin_process("import", "ftm", "/dev/zero", "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "/dev/zero is not a regular file" in result.stderr
    big = tmp_path / "big.ftm.json"
    big.write_text('{"id": "a", "schema": "Company", "properties": {"name": ["A"]}}\n' * 10)
    limit = {"XMFIN_MAX_IMPORT_BYTES": "100"}
    result = xmfin_process("import", "ftm", str(big), "-o", str(tmp_path / "out"), env=limit)
    assert result.returncode == 2
    assert result.stderr == f"xmfin: error: {big} is larger than 100 bytes: raise XMFIN_MAX_IMPORT_BYTES to import it\n"
