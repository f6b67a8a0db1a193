"""A cache of checked data folders, keyed by content, so that loops and pipes over a large folder load it fast.

The key is a hash of both files' bytes, the label their problems are shown with, and the source code of every
module that shapes the result (and the versions of xmfin, Python and PyYAML): any change to any of these is
a new key, so a stale entry is never served, whatever the files' times say. The files are hashed again after
they are read, and the result is stored only when they did not change meanwhile.

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
import io
import operator
import os
import pickle
import platform
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xmfin import __version__, dates, errors, model

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


def through_cache(folder: Path, label: str, compute: Callable[[], Result]) -> Result:
    """compute()'s result for folder: from the cache when this exact content was checked before."""
    where = cache_dir()
    key = _key(folder, label) if where is not None else None
    if where is None or key is None:
        return compute()
    entry = where / f"{key}.pickle"
    found = _read(entry)
    if found is not None:
        dataset, problems = found
        dataset.path = folder
        with contextlib.suppress(OSError):
            os.utime(entry)  # recently used: pruned last
        return dataset, problems
    result = compute()
    marker = where / f"{key}.seen"
    if _key(folder, label) != key:
        return result  # the files changed while they were read: the result belongs to neither key
    if marker.exists():
        _write(entry, result)
        _prune(where, ".pickle", MAX_ENTRIES)
    else:
        with contextlib.suppress(OSError):
            where.mkdir(parents=True, exist_ok=True)
            marker.touch()
            _prune(where, ".seen", MAX_MARKERS)
    return result


def _key(folder: Path, label: str) -> str | None:
    """The hash of everything the result depends on; None when the folder is too small or unreadable."""
    paths = [folder / name for name in _FILES]
    if not all(path.is_file() for path in paths):
        return None  # a folder, pipe or device in a file's place: reading a pipe would wait forever
    try:
        contents = [path.read_bytes() for path in paths]
    except OSError:
        return None  # a missing or unreadable file: the problem is reported, never cached
    if sum(len(c) for c in contents) < MIN_BYTES:
        return None
    digest = hashlib.blake2b(digest_size=20)
    digest.update(_code_fingerprint().encode())
    digest.update(f"\0{label}\0".encode())
    for content in contents:
        digest.update(len(content).to_bytes(8, "little"))
        digest.update(content)
    return digest.hexdigest()


_fingerprint: str | None = None


def _code_fingerprint() -> str:
    """Versions, and a hash of the source of every module that reads, checks or defines records."""
    global _fingerprint
    if _fingerprint is None:
        import yaml

        from xmfin import loading, pieces, yamlread

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


def _write(entry: Path, result: Result) -> None:
    try:
        payload = dump_records(result)
        entry.parent.mkdir(parents=True, exist_ok=True)
        # Whole entries only: written aside, then renamed into place, so a reader never sees half of one.
        handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".pickle")
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
        os.replace(temporary, entry)
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


def _read(entry: Path) -> Result | None:
    try:
        data = entry.read_bytes()
    except OSError:
        return None
    try:
        dataset, problems = _RecordsOnly(io.BytesIO(data)).load()
    except Exception:  # a damaged or foreign entry: drop it and check again
        with contextlib.suppress(OSError):
            entry.unlink()
        return None
    if not isinstance(dataset, model.Dataset) or not isinstance(problems, list):
        return None
    return dataset, problems


def _prune(where: Path, suffix: str, keep: int) -> None:
    """Remove all but the `keep` most recently used files with suffix."""
    try:
        found = sorted(where.glob(f"*{suffix}"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in found[keep:]:
            old.unlink()
    except OSError:
        return
