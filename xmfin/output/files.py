"""Writing a document to a file given with -o, or to stdout without one."""

from __future__ import annotations

import sys
from pathlib import Path

from xmfin import fileio
from xmfin.errors import UsageError


def write_output(text: str, path: Path | None) -> None:
    """text to path (UTF-8, whole or not at all: see xmfin.fileio), or to stdout when path is None; a path that
    cannot be written is bad usage."""
    if path is None:
        sys.stdout.write(text)
        return
    if path.is_dir():
        raise UsageError(f"-o {path}: is a folder; give a file name")
    if not path.parent.is_dir():
        raise UsageError(f"-o {path}: folder '{path.parent}' does not exist")
    try:
        fileio.write_file(path, fileio.text(text))
    except OSError as error:
        raise UsageError(f"-o {path}: cannot write: {error.strerror or error}") from None
