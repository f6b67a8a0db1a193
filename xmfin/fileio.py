"""Reading and writing files safely: only regular files are read, and every file is written whole or not at all.

Reading opens the file without waiting (a FIFO would block the open and then every read) and looks at what was
opened, not at the name: a FIFO, a device such as /dev/zero, a folder or a socket is refused, whatever a name
pointed at a moment before. A size limit, when given, is checked before reading and while reading.

Writing goes to a temporary file beside the target (a hidden name ending in `.xmfin-tmp`, which no reader of
xmfin's files takes for one of them), flushed to disk, then renamed over the target: a reader, or a crash, sees
the old file or the new one, never half of one; on any failure the temporary file is removed and the target is
left as it was. A folder of files is written the same way: complete, or not at all (see write_folder).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

TEMP_SUFFIX = ".xmfin-tmp"
# What writes a file's content into the stream it is given.
Fill = Callable[[IO[Any]], object]
_FIRST_READ_MAX = 1 << 30  # one read() of the whole file up to this size; larger files in chunks
_CHUNK = 1 << 24
_SMALL_CHUNK = 1 << 16


class NotRegularFile(Exception):
    """What was opened is not a regular file; `kind` says what it is: "a folder" or "not a regular file"."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        super().__init__(kind)


class TooLarge(Exception):
    """The file is larger than the limit it was read with."""

    def __init__(self, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(f"{size} bytes, over the limit of {limit}")


def read_regular(path: str | os.PathLike[str], limit: int | None = None) -> bytes:
    """The bytes of the regular file at path, at most `limit` of them.

    Raises OSError as the system does (FileNotFoundError, PermissionError, a name too long...), NotRegularFile
    for anything but a regular file, TooLarge when the file is, or grows while read, larger than limit.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile("a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file")
        if limit is not None and info.st_size > limit:
            raise TooLarge(info.st_size, limit)
    except BaseException:
        os.close(fd)
        raise
    with open(fd, "rb", buffering=0) as raw:
        # The whole file in one read (one more byte shows a file that grew), then growing chunks until the end:
        # a buffer is allocated at the size asked for, so the read that finds the end asks for little.
        want = min(info.st_size + 1, _FIRST_READ_MAX)
        parts: list[bytes] = []
        total = 0
        while True:
            if limit is not None:
                want = min(want, limit - total + 1)
            chunk = raw.read(want)
            if not chunk:
                break
            total += len(chunk)
            if limit is not None and total > limit:
                raise TooLarge(total, limit)
            parts.append(chunk)
            want = _SMALL_CHUNK if len(parts) == 1 else min(2 * want, _CHUNK)
        return parts[0] if len(parts) == 1 else b"".join(parts)


def kind_of(path: str | os.PathLike[str]) -> str | None:
    """What is at path, following links: "folder", "file" (a regular file or anything else that is not a
    folder), or None when nothing is (a link to nothing included).

    OSError when the path cannot even be looked at: a name too long, a parent that is a file, a loop of links, a
    parent that may not be searched. (Path.exists() and is_dir() raise some of these and hide others.)
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return "folder" if stat.S_ISDIR(info.st_mode) else "file"


def is_empty_folder(path: str | os.PathLike[str]) -> bool:
    """Whether the folder at path has no entries (OSError when it cannot be listed)."""
    with os.scandir(path) as entries:
        return next(entries, None) is None


def text(content: str) -> Fill:
    """A Fill that writes content."""
    return lambda out: out.write(content)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _new_file_mode() -> int:
    """The permissions open() would give a new file: 0o666 less the umask."""
    return 0o666 & ~_umask()


def _stream(fd: int, binary: bool, newline: str | None) -> IO[Any]:
    """The file object a temporary file is written through (one place, so that tests can make it fail)."""
    if binary:
        return open(fd, "wb")
    return open(fd, "w", encoding="utf-8", newline=newline)


def _write_temporary(target: Path, fill: Fill, binary: bool, newline: str | None, mode: int | None) -> Path:
    """A complete temporary file beside target, flushed to disk, holding what fill wrote; nothing on failure."""
    import tempfile  # here: it imports random and hashlib, which a query reading a store never needs

    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=TEMP_SUFFIX)
    temporary = Path(name)
    try:
        with _stream(fd, binary, newline) as out:
            fill(out)
            out.flush()
            os.fchmod(fd, _new_file_mode() if mode is None else mode)
            os.fsync(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return temporary


def write_file(
    path: Path,
    fill: Fill,
    *,
    binary: bool = False,
    newline: str | None = None,
    follow_links: bool = True,
    mode: int | None = None,
) -> None:
    """Write the file at path with fill(stream) (UTF-8 text, or bytes), whole or not at all.

    An existing file keeps its permissions; a new one gets `mode`, by default those of open(). A path that
    names a device or a FIFO (`-o /dev/stdout`) is written directly: there is nothing there to keep. A symbolic
    link is followed (the file it points to is replaced and the link stays) unless follow_links is False, when
    the link itself is replaced. OSError on failure, with path left as it was and no temporary file left behind.
    """
    target = Path(os.path.realpath(path)) if follow_links and os.path.islink(path) else path
    try:
        info = os.stat(target) if follow_links else os.lstat(target)
    except FileNotFoundError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode) and not stat.S_ISLNK(info.st_mode):
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(21, "Is a directory", str(path))
        with _direct(target, binary, newline) as out:
            fill(out)
        return
    if info is not None and stat.S_ISREG(info.st_mode):
        mode = stat.S_IMODE(info.st_mode)
    temporary = _write_temporary(target, fill, binary, newline, mode)
    try:
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    _sync_folder(target.parent)


@contextlib.contextmanager
def _direct(path: Path, binary: bool, newline: str | None) -> Iterator[IO[Any]]:
    flags = os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    os.set_blocking(fd, True)
    with _stream(fd, binary, newline) as out:
        yield out


def write_folder(
    folder: Path, files: Iterable[tuple[str, Fill]], *, newline: str | None = None, binary: bool = False
) -> None:
    """Write each (name, fill) as a file of folder (UTF-8 text, or bytes with binary): all of them, or none.

    A folder that does not exist is built as a hidden sibling and renamed into place once every file in it is
    complete (its missing parents are made, and removed again on failure). Into a folder that exists, every file
    is first written to a temporary name beside its target, and only when all are complete are they renamed over
    their names; other files in the folder are left alone. On failure nothing is left of the attempt. OSError on
    failure. A name may hold a subfolder (`schemas/entities.schema.json`): it is made as needed (in a folder that
    exists, a subfolder made for a write that then fails is left, empty).
    """
    listed = list(files)
    if folder.is_dir():
        _write_into(folder, listed, newline, binary)
        return
    if os.path.islink(folder):  # a link to nothing: the new folder cannot be renamed onto it
        raise NotADirectoryError(errno.ENOTDIR, f"a link to '{os.readlink(folder)}', which does not exist", str(folder))
    made = _make_parents(folder.parent)
    try:
        import tempfile

        building = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=TEMP_SUFFIX))
        try:
            os.chmod(building, 0o777 & ~_umask())  # what mkdir would give, not mkdtemp's 0o700
            for name, fill in listed:
                target = building / name
                target.parent.mkdir(parents=True, exist_ok=True)
                temporary = _write_temporary(target, fill, binary, newline, None)
                os.replace(temporary, target)
            _sync_folder(building)
            os.rename(building, folder)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        _sync_folder(folder.parent)
    except BaseException:
        for parent in made:
            with contextlib.suppress(OSError):
                parent.rmdir()
        raise


def _write_into(folder: Path, files: list[tuple[str, Fill]], newline: str | None, binary: bool) -> None:
    written: list[tuple[Path, Path]] = []
    try:
        for name, fill in files:
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            info = os.stat(target) if target.exists() else None
            mode = stat.S_IMODE(info.st_mode) if info is not None and stat.S_ISREG(info.st_mode) else None
            written.append((_write_temporary(target, fill, binary, newline, mode), target))
        for temporary, target in written:
            os.replace(temporary, target)
    except BaseException:
        for temporary, _ in written:
            with contextlib.suppress(OSError):
                temporary.unlink()
        raise
    _sync_folder(folder)


def _make_parents(folder: Path) -> list[Path]:
    """Make folder and its missing parents; the ones made, deepest first (to remove them again)."""
    missing: list[Path] = []
    at = folder
    while not at.exists() and at != at.parent:
        missing.append(at)
        at = at.parent
    folder.mkdir(parents=True, exist_ok=True)
    return missing


def _sync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk, so that a rename survives a crash (where the system allows)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
