"""Read a BODS file: a JSON array of statements (or one statement object), or JSON Lines.

Errors give the file, line and column, as a linter does. NaN and Infinity (which Python's json accepts) are
refused: they are not JSON, and no stake or date can be made of them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from xmfin.errors import UsageError, XmfinError
from xmfin.fileio import NotRegularFile, TooLarge, read_regular


class BodsError(XmfinError):
    """The file cannot be read as BODS at all (bad JSON, not statements): exit 1."""


def read_statements(path: Path) -> list[Any]:
    """The statements of a BODS file: a JSON array (or one object), or JSON Lines. BodsError with line:column."""
    try:
        return _read_statements(path)
    except RecursionError:
        raise BodsError(f"{path}: not BODS: JSON nested too deeply to read") from None


# The largest BODS file read, unless XMFIN_MAX_IMPORT_BYTES says otherwise: the whole file is held in memory,
# and its statements take several times its size once parsed.
MAX_IMPORT_BYTES = 2 << 30


def max_import_bytes() -> int:
    """XMFIN_MAX_IMPORT_BYTES, else MAX_IMPORT_BYTES; UsageError for a value that is not a whole number."""
    chosen = os.environ.get("XMFIN_MAX_IMPORT_BYTES", "").strip()
    if not chosen:
        return MAX_IMPORT_BYTES
    if not chosen.isdigit():
        raise UsageError(
            f"XMFIN_MAX_IMPORT_BYTES='{chosen}' is not a number of bytes: use a whole number such as 1000000"
        )
    return int(chosen)


def read_import_text(path: Path, fmt: str) -> str:
    """The text of an import file (`fmt` names its format in messages): only a regular file, opened without
    waiting (a FIFO would block forever, /dev/zero never end), up to XMFIN_MAX_IMPORT_BYTES; UTF-8, a leading
    byte order mark dropped. UsageError for a file that cannot be read, BodsError (exit 1) for one that is not text."""
    limit = max_import_bytes()
    named = ("an " if fmt[0] in "AEFHILMNORSX" else "a ") + fmt  # "a BODS", "an FtM", as the letter sounds
    try:
        return read_regular(path, limit).decode("utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except NotRegularFile as problem:
        if problem.kind == "a folder":
            raise UsageError(f"{path} is a folder, not {named} file") from None
        raise UsageError(f"{path} is not a regular file (a pipe, device or socket): give {named} file") from None
    except TooLarge as problem:
        raise UsageError(
            f"{path} is larger than {problem.limit} bytes: raise XMFIN_MAX_IMPORT_BYTES to import it"
        ) from None
    except OSError as problem:
        raise UsageError(f"cannot read {path}: {problem.strerror or problem}") from None
    except UnicodeDecodeError as problem:
        raise BodsError(f"{path}: not UTF-8 text (byte {problem.start})") from None


def _read_statements(path: Path) -> list[Any]:
    text = read_import_text(path, "BODS")
    stripped = text.lstrip()
    if not stripped:
        raise BodsError(f"{path}: the file is empty")
    try:
        return _as_list(path, json.loads(text, parse_constant=_refuse_constant))
    except ValueError:
        # Not one document. JSON Lines when the first line is JSON by itself (each error then has its own
        # line; a line may hold an array of statements, as one whose first line was an array could not);
        # else one document spread over lines, whose error position is the one to report.
        try:
            json.loads(stripped.splitlines()[0], parse_constant=_refuse_constant)
        except ValueError:
            _loads(path, text, 0)
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        # A byte order mark at the start of a line is that of a file concatenated to the one before.
        if line.strip().lstrip(BOM):
            item = _loads(path, line.removeprefix(BOM), number - 1)
            found.extend(item if isinstance(item, list) else [item])
    return found


BOM = "\ufeff"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _loads(path: Path, text: str, line_offset: int) -> Any:
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise BodsError(f"{path}:{error.lineno + line_offset}:{error.colno}: not valid JSON: {error.msg}") from None
    except ValueError as error:
        raise BodsError(f"{path}:{line_offset + 1}: not valid JSON: {error}") from None


def _as_list(path: Path, document: Any) -> list[Any]:
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        return [document]
    raise BodsError(f"{path}: not BODS: expected a JSON array of statements, or one statement per line")
