"""A data folder's store, built on first use and kept in the cache folder, keyed by content.

The key is a hash of both files' bytes, the label their problems are shown with, and the source code of every
module that shapes the records (with the versions of xmfin, Python and PyYAML): any change to any of these
is a new key, so a stale store is never used, whatever the files' times say. The bytes hashed are the bytes
parsed (loading.read_data_files reads each file once): a file that changes during a load cannot put one
content's records under another's key.

A store is written whole (store.StoreWriter: a temporary name, renamed into place) and opened only if it is a
regular file (a link planted in the cache folder is not followed), says it was built from this key, and reads
as a store of this xmfin; anything else is removed and the folder is read again. `XMFIN_CACHE_DIR` moves the
cache (default `$XDG_CACHE_HOME/xmfin`, else `~/.cache/xmfin`); `XMFIN_NO_CACHE=1` turns it off. The newest
MAX_ENTRIES stores by time of use are kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import stat
import sys
import time
from pathlib import Path

from xmfin import __version__, dates, errors, model
from xmfin.errors import Problem
from xmfin.fileio import TEMP_SUFFIX
from xmfin.model import Dataset
from xmfin.storage.store import Store, StoreError, write_store

MAX_ENTRIES = 4
SUFFIX = ".xmfin-store"
_FILES = ("entities.yaml", "licences.yaml")
# A temporary file left by a process killed while writing a store is removed after this long.
STALE_SECONDS = 3600


def cache_dir() -> Path | None:
    """Where stores are kept, or None when the cache is off."""
    if os.environ.get("XMFIN_NO_CACHE", "") not in ("", "0"):
        return None
    chosen = os.environ.get("XMFIN_CACHE_DIR")
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "xmfin"


def key_of(files: dict[str, bytes | Exception], label: str) -> str | None:
    """The hash of everything the records depend on; None when a file could not be read (never cached)."""
    contents = [files.get(name) for name in _FILES]
    digest = hashlib.blake2b(digest_size=20)
    digest.update(_code_fingerprint().encode())
    digest.update(f"\0{label}\0".encode("utf-8", "surrogatepass"))  # a folder's name need not be UTF-8
    for content in contents:
        if not isinstance(content, bytes):
            return None
        digest.update(len(content).to_bytes(8, "little"))
        digest.update(content)
    return digest.hexdigest()


_fingerprint: str | None = None


def _code_fingerprint() -> str:
    """Versions, and a hash of the source of every module that reads, checks, defines or stores records."""
    global _fingerprint
    if _fingerprint is None:
        import yaml

        from xmfin.storage import codec, loading, store, yamlread

        digest = hashlib.blake2b(digest_size=20)
        for module in (loading, yamlread, codec, store, model, dates, errors, sys.modules[__name__]):
            digest.update(Path(str(module.__file__)).read_bytes())
        versions = f"{__version__} {platform.python_implementation()} {sys.version} {yaml.__version__}"
        _fingerprint = f"{versions} {digest.hexdigest()}"
    return _fingerprint


def open_cached(key: str) -> Store | None:
    """The cached store of this key, or None (a missing, foreign, damaged or linked entry is removed)."""
    where = cache_dir()
    if where is None:
        return None
    entry = where / f"{key}{SUFFIX}"
    try:
        info = os.lstat(entry)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        _drop(entry)
        return None
    try:
        found = Store.open(entry)
    except StoreError:
        _drop(entry)
        return None
    if found.meta.get("key") != key:
        found.close()
        _drop(entry)
        return None
    with contextlib.suppress(OSError, NotImplementedError):
        os.utime(entry, follow_symlinks=False)  # recently used: pruned last
    return found


def keep(key: str, label: str, data: Dataset, problems: list[Problem]) -> None:
    """Store the folder's records and problems under key; a cache that cannot be written is only slower."""
    where = cache_dir()
    if where is None:
        return
    try:
        where.mkdir(parents=True, exist_ok=True)
        entry = where / f"{key}{SUFFIX}"
        if os.path.lexists(entry):
            _drop(entry)  # a link or a damaged entry in its place: replaced, never written through
        write_store(data, problems, entry, {"key": key, "label": label, "from": "folder"})
    except (OSError, StoreError, ValueError):
        return
    _prune(where)


def drop(store: Store) -> None:
    """Remove a cached store found damaged while it was read."""
    store.close()
    _drop(store.path)


def _drop(entry: Path) -> None:
    with contextlib.suppress(OSError):
        entry.unlink()  # removes a link itself, never what it points to


def _prune(where: Path) -> None:
    """Keep the MAX_ENTRIES most recently used stores; remove stale temporary files."""
    try:
        now = time.time()
        found: list[tuple[float, Path]] = []
        for path in where.iterdir():
            info = path.lstat()
            if path.name.endswith(TEMP_SUFFIX) and now - info.st_mtime > STALE_SECONDS:
                path.unlink()
            elif path.name.endswith(SUFFIX) and not path.name.startswith("."):
                found.append((info.st_mtime, path))
        found.sort(key=lambda item: item[0], reverse=True)
        for _, old in found[MAX_ENTRIES:]:
            old.unlink()
    except OSError:
        return
