"""Read a BODS file: a JSON array of statements (or one statement object), or JSON Lines.

Errors give the file, line and column, as a linter does. NaN and Infinity (which Python's json accepts) are
refused: they are not JSON, and no stake or date can be made of them.
"""

from __future__ import annotations

import codecs
import json
import os
from collections.abc import Iterator
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
        data = read_regular(path, limit)
        return data.decode("utf-8-sig")
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
        # The offset in the file: the codec counts from after a byte order mark it dropped.
        at = problem.start + (len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0)
        raise BodsError(f"{path}: not UTF-8 text (byte {at})") from None


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
        # else one document spread over lines, whose error position is the one to report. Lines end at "\n"
        # only, as in JSON Lines and in iter_statements: U+2028, U+0085 and the like may stand in a JSON string.
        try:
            json.loads(stripped.split("\n", 1)[0], parse_constant=_refuse_constant)
        except ValueError:
            _loads(path, text, 0)
    found = []
    for number, line in json_lines(text):
        item = _loads(path, line, number - 1)
        found.extend(item if isinstance(item, list) else [item])
    return found


def json_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number from 1, text) of each line of JSON Lines that is not blank. Lines end at "\n" only (U+2028,
    U+0085 and the like may stand inside a JSON string); a byte order mark at the start of a line, that of a
    file concatenated to the one before, is dropped."""
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip().lstrip(BOM):
            yield number, line.removeprefix(BOM)


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


# -- reading a BODS file a statement at a time (import bods --store) -------------------------------------------

CHUNK = 1 << 20  # bytes read at a time


def open_import_file(path: Path, fmt: str = "BODS") -> Any:
    """A regular file opened for reading in binary, without waiting (as read_import_text); UsageError else."""
    import stat

    named = ("an " if fmt[0] in "AEFHILMNORSX" else "a ") + fmt
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except OSError as problem:
        raise UsageError(f"cannot read {path}: {problem.strerror or problem}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UsageError(f"{path} is a folder, not {named} file")
        raise UsageError(f"{path} is not a regular file (a pipe, device or socket): give {named} file")
    return open(fd, "rb", buffering=0)


class _Text:
    """The text of a file read a chunk at a time: UTF-8 decoded as it comes (a leading byte order mark dropped),
    with the line and column of any position still in the buffer, for messages."""

    def __init__(self, path: Path, raw: Any, progress: Any) -> None:
        self.path = path
        self.raw = raw
        self.progress = progress
        # Plain UTF-8 (the byte order mark dropped by hand): a decoding error's offset then counts from the
        # bytes the decoder still holds from the chunk before.
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.buffer = ""
        self.at = 0  # the position in buffer that is being read
        self.line = 1  # the line of buffer[0], and the offset in the file of the byte after the last read
        self.line_start = 0  # the position in buffer where line `self.line` starts (negative: before buffer)
        self.read_bytes = 0
        self.ended = False
        self._seen = (0, 1, 0)  # (position, its line, where that line starts): where() counts on from here

    def more(self) -> bool:
        """Read another chunk into the buffer (dropping what was read); False at the end of the file."""
        if self.ended:
            return False
        chunk = self.raw.read(CHUNK)
        if self.progress is not None:
            self.progress(len(chunk))
        start = self.read_bytes - len(self.decoder.getstate()[0])  # the offset of the bytes decoded now
        self.read_bytes += len(chunk)
        try:
            text = self.decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as problem:
            raise BodsError(f"{self.path}: not UTF-8 text (byte {start + problem.start})") from None
        if start == 0 and text:
            text = text.removeprefix(BOM)
        self.drop()
        self.buffer += text
        if not chunk:
            self.ended = True
        return bool(chunk) or bool(text)

    def drop(self) -> None:
        """Forget the text before `at` (counting its lines)."""
        lines = self.buffer.count("\n", 0, self.at)
        if lines:
            self.line += lines
            self.line_start = self.buffer.rfind("\n", 0, self.at) + 1 - self.at
        else:
            self.line_start -= self.at
        self.buffer = self.buffer[self.at :]
        self.at = 0
        self._seen = (0, self.line, self.line_start)

    def release(self) -> None:
        """Forget the text before `at` once it is a chunk long: dropping after every statement would copy the
        rest of the buffer each time (quadratic in the statements per chunk)."""
        if self.at >= CHUNK:
            self.drop()

    def where(self, position: int) -> tuple[int, int]:
        """The line and column (from 1) of a position in the buffer. Lines are counted on from the position
        asked last when this one is after it, so that asking at each line in turn is linear."""
        seen, line, start = self._seen
        if position < seen:
            seen, line, start = 0, self.line, self.line_start
        lines = self.buffer.count("\n", seen, position)
        if lines:
            line += lines
            start = self.buffer.rfind("\n", seen, position) + 1
        self._seen = (position, line, start)
        return line, position - start + 1

    def skip_space(self) -> str:
        """The next character that is not white space (read on as needed), or '' at the end."""
        while True:
            while self.at < len(self.buffer) and self.buffer[self.at] in " \t\r\n":
                self.at += 1
            if self.at < len(self.buffer):
                return self.buffer[self.at]
            if not self.more():
                return ""


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def iter_statements(path: Path, progress: Any = None) -> Iterator[Any]:
    """The statements of a BODS file one at a time, as read_statements gives them (the same reading of a JSON
    array, one object, or JSON Lines, and the same messages), with only one statement in memory at a time:
    for a file of any size. progress, when given, is called with each number of bytes read."""
    raw = open_import_file(path)
    try:
        text = _Text(path, raw, progress)
        first = text.skip_space()
        if not first:
            raise BodsError(f"{path}: the file is empty")
        line_end = _line_end(text)
        try:
            # JSON Lines when the first line is JSON by itself (a line may hold an array of statements), unless
            # it is all there is: then it is the document.
            value = _DECODER.decode(text.buffer[text.at : line_end])
            lines = True
            length = line_end - text.at
            while not isinstance(value, (dict, list)) and not text.buffer[text.at + length :].strip():
                if not text.more():  # nothing after it (`more` keeps the text from `at` on)
                    _as_list(path, value)
        except ValueError:
            lines = False
        except RecursionError:
            raise BodsError(f"{path}: not BODS: JSON nested too deeply to read") from None
        if lines:
            yield from _lines(text)
        elif first == "[":
            yield from _array(text)
        else:
            yield from _as_list(path, _document(text))
    except RecursionError:
        raise BodsError(f"{path}: not BODS: JSON nested too deeply to read") from None
    finally:
        raw.close()


def _line_end(text: _Text) -> int:
    """The position of the end of the line at `at` (read on until it is in the buffer)."""
    while True:
        end = text.buffer.find("\n", text.at)
        if end >= 0:
            return end
        if not text.more():
            return len(text.buffer)


def _lines(text: _Text) -> Iterator[Any]:
    while text.at < len(text.buffer) or text.more():
        end = _line_end(text)
        line = text.buffer[text.at : end]
        number, _ = text.where(text.at)
        text.at = min(end + 1, len(text.buffer))
        if line.strip().lstrip(BOM):
            item = _loads(text.path, line.removeprefix(BOM), number - 1)
            if isinstance(item, list):
                yield from item
            else:
                yield item
        text.release()


def _decode_at(text: _Text) -> Any:
    """The JSON value at `at` (reading on while it is cut off by the end of the buffer)."""
    while True:
        try:
            value, end = _DECODER.raw_decode(text.buffer, text.at)
        except json.JSONDecodeError as error:
            if not text.ended and (error.pos >= len(text.buffer) - 64 or _cut_off(error)):
                text.more()
                continue
            line, column = text.where(error.pos)
            raise BodsError(f"{text.path}:{line}:{column}: not valid JSON: {error.msg}") from None
        except ValueError as error:  # NaN or Infinity
            line, _ = text.where(text.at)
            raise BodsError(f"{text.path}:{line}: not valid JSON: {error}") from None
        if end >= len(text.buffer) and not text.ended:
            # A number at the very end of the buffer may go on in the next chunk.
            text.more()
            continue
        text.at = end
        return value


def _cut_off(error: json.JSONDecodeError) -> bool:
    """Whether an error may only be the end of the buffer inside a value (an unterminated string)."""
    return error.msg.startswith(("Unterminated string", "Invalid \\uXXXX escape"))


def _array(text: _Text) -> Iterator[Any]:
    text.at += 1  # the '['
    if text.skip_space() == "]":
        text.at += 1
        _end(text)
        return
    while True:
        if not text.skip_space():
            _fail(text, "Expecting value")
        yield _decode_at(text)
        text.release()
        after = text.skip_space()
        if after == ",":
            text.at += 1
            continue
        if after == "]":
            text.at += 1
            _end(text)
            return
        _fail(text, "Expecting ',' delimiter")


def _end(text: _Text) -> None:
    if text.skip_space():
        _fail(text, "Extra data")


def _fail(text: _Text, message: str) -> None:
    line, column = text.where(text.at)
    raise BodsError(f"{text.path}:{line}:{column}: not valid JSON: {message}")


def _document(text: _Text) -> Any:
    """One JSON document (an object spread over lines): read whole."""
    value = _decode_at(text)
    _end(text)
    return value
