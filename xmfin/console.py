"""The console script's entry point: Ctrl-C while xmfin starts ends as quietly as it does later.

Importing the command line (Typer, Click, the commands) takes a tenth of a second or more; an interrupt in that
time raised KeyboardInterrupt outside `xmfin.cli.main`, whose handlers were not yet in place, and Python printed
its traceback. Here the import is guarded too: exit 130 (128 + SIGINT, as a shell reports it), nothing printed.
"""

from __future__ import annotations

import sys

INTERRUPTED = 130


def main() -> None:
    try:
        from xmfin.cli import main as command_line
    except KeyboardInterrupt:
        sys.exit(INTERRUPTED)
    command_line()
