"""A cache of checked data folders, keyed by content, so that loops and pipes over a large folder load it fast.

The key is a hash of both files' bytes, the label their problems are shown with, and the source code of every
module that shapes the result (and the versions of xmfin, Python and PyYAML): any change to any of these is
a new key, so a stale entry is never served, whatever the files' times say. Each file is read once, and the
bytes hashed are the bytes parsed: a file that changes during a load (even A, then B, then A again) cannot put
one content's result under another's key.

An entry carries its key and a blake2b checksum of key and payload, checked before anything is unpickled: a
damaged, truncated or copied entry is never served. An entry that fails to open, verify or unpickle is
removed, and the folder is checked again. Entries are written whole (xmfin.fileio: a temporary name that is
never an entry's, flushed, renamed into place), and nothing in the cache folder is followed through a link.

A folder is stored the second time its content is seen, not the first: a folder checked once after each edit
never pays for writing entries it will not read. Small folders are never stored: they load faster than an
entry would. `XMFIN_CACHE_DIR` moves the cache (default `$XDG_CACHE_HOME/xmfin`, else `~/.cache/xmfin`);
`XMFIN_NO_CACHE=1` turns it off. Entries are pickles of xmfin's own records, read back by an unpickler that
refuses any other class, so a planted entry cannot run code.
"""

from __future__ import annotations

import contextlib
import copyreg
import dataclasses
import hashlib
import hmac
import io
import operator
import os
import pickle
import platform
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xmfin import __version__, dates, errors, model
from xmfin.fileio import TEMP_SUFFIX, write_file

# Folders whose two files add up to less than this load in a few tens of milliseconds: not worth an entry.
MIN_BYTES = 256 * 1024
# Entries kept (the newest by time of use); markers of content seen once.
MAX_ENTRIES = 4
MAX_MARKERS = 64
_FILES = ("entities.yaml", "licences.yaml")
_RECORDS = (
    model.Source,
    model.Group,
    model.Entity,
    model.FormerName,
    model.Figure,
    model.Holding,
    model.Role,
    model.Family,
    model.Category,
    model.Licence,
    model.Claim,
    model.Location,
    dates.PartialDate,
    errors.Problem,
)

Result = tuple[model.Dataset, list[errors.Problem]]


def cache_dir() -> Path | None:
    """Where entries are kept, or None when the cache is off."""
    if os.environ.get("XMFIN_NO_CACHE", "") not in ("", "0"):
        return None
    chosen = os.environ.get("XMFIN_CACHE_DIR")
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "xmfin"


def through_cache(
    folder: Path, label: str, files: dict[str, bytes | Exception], compute: Callable[[], Result]
) -> Result:
    """compute()'s result for folder: from the cache when this exact content was checked before.

    `files` are the folder's files as read once (loading.read_data_files), and compute() must parse exactly
    these bytes: the key is their hash, so an entry holds the result of the bytes it is stored under, however
    the files change on disk meanwhile.
    """
    where = cache_dir()
    key = _key(files, label) if where is not None else None
    if where is None or key is None:
        return compute()
    entry = where / f"{key}{ENTRY}"
    payload = _payload(entry, key)
    if payload is not None:
        files.clear()  # not needed now, and the records about to be unpickled take as much memory again
        found = _loaded(entry, payload)
        if found is None:  # a sound entry that does not unpickle into a result: dropped; load the folder again
            from xmfin.storage.loading import read_data_files

            files.update(read_data_files(folder))
            return compute()  # not stored: these bytes were read after the key was made
        dataset, problems = found
        dataset.path = folder
        with contextlib.suppress(OSError, NotImplementedError):
            os.utime(entry, follow_symlinks=False)  # recently used: pruned last
        return dataset, problems
    result = compute()
    marker = where / f"{key}{MARKER}"
    if _is_plain_file(marker):
        _write(entry, key, result)
        _prune(where, ENTRY, MAX_ENTRIES)
    else:
        _mark(where, marker)
    return result


ENTRY, MARKER = ".pickle", ".seen"
# An entry: MAGIC, the key it belongs to (20 bytes), the blake2b checksum of key and payload (32), the payload.
MAGIC = b"xmfin-cache-2\n"
_KEY_BYTES, _SUM_BYTES = 20, 32


def _key(files: dict[str, bytes | Exception], label: str) -> str | None:
    """The hash of everything the result depends on; None when the folder is too small or a file unreadable."""
    contents = [files.get(name) for name in _FILES]
    if not all(isinstance(content, bytes) for content in contents):
        return None  # a missing or unreadable file: the problem is reported, never cached
    if sum(len(c) for c in contents if isinstance(c, bytes)) < MIN_BYTES:
        return None
    digest = hashlib.blake2b(digest_size=_KEY_BYTES)
    digest.update(_code_fingerprint().encode())
    digest.update(f"\0{label}\0".encode())
    for content in contents:
        assert isinstance(content, bytes)
        digest.update(len(content).to_bytes(8, "little"))
        digest.update(content)
    return digest.hexdigest()


def _is_plain_file(path: Path) -> bool:
    """path is a regular file itself, not a link to one (links in the cache folder are never followed)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _mark(where: Path, marker: Path) -> None:
    """Leave the marker of content seen once, never through a link (O_NOFOLLOW: a planted link fails)."""
    with contextlib.suppress(OSError):
        where.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        os.close(os.open(marker, flags, 0o600))
        _prune(where, MARKER, MAX_MARKERS)


_fingerprint: str | None = None


def _code_fingerprint() -> str:
    """Versions, and a hash of the source of every module that reads, checks or defines records."""
    global _fingerprint
    if _fingerprint is None:
        import yaml

        from xmfin.storage import loading, pieces, yamlread

        digest = hashlib.blake2b(digest_size=20)
        for module in (loading, pieces, yamlread, model, dates, errors, sys.modules[__name__]):
            digest.update(Path(str(module.__file__)).read_bytes())
        versions = f"{__version__} {platform.python_implementation()} {sys.version} {yaml.__version__}"
        _fingerprint = f"{versions} {digest.hexdigest()}"
    return _fingerprint


def _reducer(cls: type) -> Callable[[Any], tuple[Callable[..., Any], tuple[Any, ...]]]:
    names = [field.name for field in dataclasses.fields(cls)]
    # attrgetter of several names gives their values as one tuple, in C.
    fields = operator.attrgetter(*names) if len(names) > 1 else lambda record: (getattr(record, names[0]),)
    make: Callable[..., Any] = model.maker(cls)
    return lambda record: (make, fields(record))


# Records are rebuilt by calling their class's maker (model.maker) with their fields: several times faster to
# read back than pickle's default for frozen dataclasses with slots, which sets each field through a Python loop.
_DISPATCH: dict[type, Any] = {**copyreg.dispatch_table, **{cls: _reducer(cls) for cls in _RECORDS}}


def dump_records(value: Any) -> bytes:
    """value pickled, with xmfin's records written as their class and fields (see _DISPATCH)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(value)
    return buffer.getvalue()


def sealed(key: str, payload: bytes) -> bytes:
    """An entry's bytes: MAGIC, the key, the checksum of key and payload, the payload."""
    raw_key = bytes.fromhex(key)
    checksum = hashlib.blake2b(raw_key + payload, digest_size=_SUM_BYTES).digest()
    return MAGIC + raw_key + checksum + payload


def unsealed(data: bytes, key: str) -> bytes | None:
    """The payload of an entry's bytes, or None when they are not a whole, unchanged entry of this key."""
    head = len(MAGIC) + _KEY_BYTES + _SUM_BYTES
    payload = data[head:]
    return payload if _verified(data[:head], payload, key) else None


def _verified(head: bytes, payload: bytes, key: str) -> bool:
    """An entry's head (MAGIC, key, checksum) is this key's, and the checksum is that of key and payload."""
    if len(head) != len(MAGIC) + _KEY_BYTES + _SUM_BYTES or not head.startswith(MAGIC):
        return False
    raw_key = head[len(MAGIC) : len(MAGIC) + _KEY_BYTES]
    if raw_key != bytes.fromhex(key):
        return False  # another key's entry, copied or renamed to this name
    digest = hashlib.blake2b(raw_key, digest_size=_SUM_BYTES)
    digest.update(payload)
    return hmac.compare_digest(digest.digest(), head[len(MAGIC) + _KEY_BYTES :])


def _write(entry: Path, key: str, result: Result) -> None:
    try:
        data = sealed(key, dump_records(result))
        entry.parent.mkdir(parents=True, exist_ok=True)
        # Whole entries only: written beside (a name that is not an entry's), flushed, renamed into place; a
        # link planted at the entry's name is replaced, not followed.
        write_file(entry, lambda out: out.write(data), binary=True, follow_links=False, mode=0o600)
    except (OSError, pickle.PicklingError):
        return  # a cache that cannot be written is only slower


_ALLOWED = (
    {(cls.__module__, cls.__qualname__) for cls in (*_RECORDS, model.Dataset)}
    | {(model.maker(cls).__module__, model.maker(cls).__qualname__) for cls in _RECORDS}
    | {
        ("datetime", "date"),
        ("pathlib", "PosixPath"),
        ("pathlib", "WindowsPath"),
    }
)


class _RecordsOnly(pickle.Unpickler):
    """Reads back only xmfin's own records and plain values: an entry can never make it run code."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not a record of xmfin")
        return super().find_class(module, name)


def _read(entry: Path, key: str) -> Result | None:
    """The result stored in entry for key; None, with the entry removed, when it cannot be read, is not a regular
    file (a link is not followed), is not this key's, fails its checksum, or does not unpickle into a result."""
    payload = _payload(entry, key)
    return None if payload is None else _loaded(entry, payload)


def _payload(entry: Path, key: str) -> bytes | None:
    """The payload of the entry, checked against key and checksum; None, with the entry removed, when there is no
    such regular file (a link is not followed), or it cannot be read, is not this key's, or is damaged."""
    try:
        fd = os.open(entry, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    except OSError:
        _drop(entry)  # a link (ELOOP) or an entry that cannot be opened
        return None
    try:
        with open(fd, "rb", buffering=0) as stream:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise ValueError("not a regular file")
            head = stream.read(len(MAGIC) + _KEY_BYTES + _SUM_BYTES)
            payload = stream.readall()  # apart from the head, in one read: unpickled from this object, no copy
        if head is None or payload is None or not _verified(head, payload, key):
            raise ValueError("not an entry of this key, or damaged")
    except (OSError, ValueError):
        _drop(entry)
        return None
    return payload


def _loaded(entry: Path, payload: bytes) -> Result | None:
    """The result a verified payload holds; None, with the entry removed, when it is not one."""
    try:
        dataset, problems = _RecordsOnly(io.BytesIO(payload)).load()
        if not isinstance(dataset, model.Dataset) or not isinstance(problems, list):
            raise ValueError("not a result")
        if not all(isinstance(problem, errors.Problem) for problem in problems):
            raise ValueError("not a list of problems")
    except Exception:  # a foreign or broken entry, whatever it raises: drop it and check the folder again
        _drop(entry)
        return None
    return dataset, problems


def _drop(entry: Path) -> None:
    with contextlib.suppress(OSError):
        entry.unlink()  # removes a link itself, never what it points to


# A temporary file left by a process that was killed while writing an entry is removed after this long.
STALE_SECONDS = 3600


def _prune(where: Path, suffix: str, keep: int) -> None:
    """Remove all but the `keep` most recently used files with suffix, and stale temporary files."""
    try:
        now = time.time()
        found: list[tuple[float, Path]] = []
        for path in where.iterdir():
            info = path.lstat()
            if path.name.endswith(TEMP_SUFFIX) and now - info.st_mtime > STALE_SECONDS:
                path.unlink()
            elif path.name.endswith(suffix) and not path.name.startswith("."):
                found.append((info.st_mtime, path))
        found.sort(key=lambda item: item[0], reverse=True)
        for _, old in found[keep:]:
            old.unlink()
    except OSError:
        return
