"""Stores made on purpose: `xmfin store build DIR -o FILE`, and the imports that write a store (`--store`)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from xmfin.errors import DataError, UsageError
from xmfin.storage.loading import check_data_folder, check_folder
from xmfin.storage.store import StoreWriter

R = TypeVar("R")


def check_output(output: Path) -> None:
    """UsageError unless output can become a store: a folder or a file that is not a store is never replaced."""
    from xmfin.storage.store import is_store

    if output.is_dir():
        raise UsageError(f"'{output}' is a folder: give the store's file name")
    if output.exists() and not is_store(output):
        raise UsageError(f"'{output}' exists and is not an xmfin store: give another name (it is not replaced)")
    if not output.parent.is_dir():
        raise UsageError(f"'{output.parent}' is not a folder: create it first")


def build_store(folder: Path, label: str, output: Path) -> dict[str, int]:
    """A checked data folder as a store at output (whole or not at all); DataError when it has errors."""
    check_data_folder(folder)
    check_output(output)
    data, problems = check_folder(folder, label)
    if any(p.severity == "error" for p in problems):
        raise DataError(problems)
    with StoreWriter(output, {"label": label, "from": "folder"}) as writer:
        writer.add_all(data)
        for problem in problems:
            writer.add_problem(problem)
        writer.finish()
        return dict(writer.counts)


def import_to_store(write_folder: Callable[[Path], R], output: Path) -> R:
    """What an import writes as a data folder, made into a store at output (the folder is temporary)."""
    check_output(output)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=f".{output.name}.") as work:
        folder = Path(work) / "data"
        report = write_folder(folder)
        build_store(folder, str(output), output)
    return report
