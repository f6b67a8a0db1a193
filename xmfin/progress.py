"""A progress bar on stderr for long imports (Rich's), by bytes read of the input: shown only when stderr is a
terminal, so that a pipe, a log file or a test sees nothing."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator


def wanted() -> bool:
    """Whether a progress bar is shown: stderr is a terminal."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced by an object without isatty, or closed
        return False


@contextlib.contextmanager
def bytes_read(total: int, what: str) -> Iterator[Callable[[int], None] | None]:
    """A function to call with each number of bytes read (None when no bar is shown), with the bar on stderr
    while the block runs."""
    if not wanted():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, TimeRemainingColumn(), console=Console(file=sys.stderr), transient=True) as bar:
        task = bar.add_task(what, total=max(total, 1))

        def advance(count: int) -> None:
            bar.advance(task, count)

        def phase(text: str) -> None:
            bar.update(task, description=text)

        advance.phase = phase  # type: ignore[attr-defined]
        yield advance


def phase(progress: Callable[[int], None] | None, text: str) -> None:
    """Say on the bar what a long import does after reading its input (building the store's indexes)."""
    said = getattr(progress, "phase", None)
    if said is not None:
        said(text)
