"""Read a large data folder on several cores: its files cut into pieces between records, read side by side.

A file is cut only where a piece can be read alone and still give each node the line and column it has in the
whole file: at a top-level section, or at a line that starts a record of a block section (a line at the
section's own indentation). A piece that starts inside a section is read with that section's header line in
front and padded with blank lines, so libyaml counts the same lines. Forked workers build the records of their
pieces with the same code as a whole-file read (loading._Reader) and send them back pickled; the parent reads
the first piece itself, then merges in file order.

A file is not cut when its top level is not plain `key:` lines, a section is given twice, or it has line breaks
other than \n (libyaml counts a lone \r, NEL, U+2028 and U+2029 too). Whatever else does not fit gives up, and
the caller reads the files whole: a piece that is not valid YAML on its own (a cut inside a multi-line value),
a section that is not a mapping or list, an id found in two pieces, a worker that fails. The result is meant to
be exactly the whole-file read's, only sooner: tests compare the two, record by record and problem by problem,
on every fixture, on random valid and broken folders, and on the cases a review found.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import pickle
import re
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xmfin.errors import DataError, UsageError
from xmfin.storage.loading import SECTIONS, _is_null, _Reader, read_data_files
from xmfin.storage.yamlread import YList, YMap, read_yaml

# Below this many bytes a piece costs more to fork, pickle and merge than it saves.
MIN_PIECE_BYTES = 1 << 20
# More pieces than this gain little: the parent merges every worker's records alone.
MAX_JOBS = 4
# The parent's piece is this many times a worker's, in estimated work (see plan); measured at 100k entities.
PARENT_WEIGHT = 1.1

# A line at column 0 that is not blank and not a comment, after its line break (`\n` first: searched ten times
# faster than `^` in multi-line mode). The first line of a file is looked at on its own.
_TOP_LINE = re.compile(rb"\n[^ \t\r\n#]")
# A top-level line a file may be cut at: a plain key, then a value or nothing (a comment allowed).
_TOP_KEY = re.compile(rb"([A-Za-z_][A-Za-z0-9_-]*):(?:[ \t][^\r\n]*)?\r?")
# A section header with nothing after the colon (a comment allowed): its value is a block on the next lines.
_BLOCK_HEADER = re.compile(rb"[A-Za-z_][A-Za-z0-9_-]*:[ \t]*(?:#[^\r\n]*)?\r?\n?")
# Line breaks libyaml counts besides \n (and \r\n): a lone \r, and NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR
# in UTF-8. Each is looked for with a plain search (one regular expression for all is ten times slower).
_LONE_CR = re.compile(rb"\r(?!\n)")
_UNICODE_BREAKS = (b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")
# The first line of a section's content that is not blank and not a comment, and its indentation.
_CONTENT = re.compile(rb"(?m)^( *)[^ \t\r\n#]")


class _GiveUp(Exception):
    """The folder cannot be read in pieces; read it whole."""


@dataclass(frozen=True, slots=True)
class Segment:
    """Part of one file for one worker: bytes [start, end), read with `header` (a section's header line or
    nothing) in front of blank lines up to the line `start` is on."""

    name: str
    start: int
    end: int
    header: bytes
    whole: bool


def jobs_wanted() -> int:
    """How many processes may read a folder: XMFIN_JOBS, else the CPUs this process may use (at most MAX_JOBS)."""
    chosen = os.environ.get("XMFIN_JOBS", "").strip()
    if chosen:
        if not chosen.isdigit() or int(chosen) < 1:
            raise UsageError(f"XMFIN_JOBS='{chosen}' is not a number of processes: use 1 (one process) or more")
        return int(chosen)
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return min(cpus, MAX_JOBS)


def can_fork() -> bool:
    """Forking is safe only with no other thread running (one could hold a lock the child would inherit)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1


def read_in_pieces(
    folder: Path,
    label: str,
    jobs: int | None = None,
    min_piece: int = MIN_PIECE_BYTES,
    contents: dict[str, bytes] | None = None,
) -> _Reader | None:
    """A _Reader holding every record and first-pass problem of folder, read by `jobs` processes; None when the
    folder is too small or does not fit (then read it whole). `contents` are the files' bytes as
    loading.read_data_files read them (the bytes the cache's key is made of); by default they are read here."""
    jobs = jobs_wanted() if jobs is None else jobs
    if jobs < 2 or not can_fork():
        return None
    if contents is None:
        files = read_data_files(folder)
        contents = {name: data for name, data in files.items() if isinstance(data, bytes)}
    if set(contents) != set(SECTIONS):
        return None  # missing, a folder, a pipe: the whole-file read reports it
    total = sum(len(data) for data in contents.values())
    jobs = min(jobs, total // max(min_piece, 1))
    if jobs < 2:
        return None
    try:
        for data in contents.values():
            data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    pieces = plan(contents, jobs)
    if len(pieces) < 2:
        return None
    try:
        reader = _read(folder, label, contents, pieces)
    except _GiveUp:
        return None
    reader.contents = contents  # what reread_origin reads again: the very bytes the records were built from
    return reader


def plan(contents: dict[str, bytes], jobs: int) -> list[list[Segment]]:
    """The files cut into about `jobs` pieces of equal work, each a list of segments. A file that cannot be cut
    safely anywhere (see _layout) is not cut: one piece reads it whole."""
    work = {name: _work(data) for name, data in contents.items()}
    total = sum(blocks[-1] for blocks in work.values())
    # Where each piece but the last ends. The parent's is larger: a worker also pickles its records (half again
    # the parent's unpickling), and its flow-style holdings and licences cost more than the work estimate says.
    share = total / (PARENT_WEIGHT + jobs - 1)
    ends = [share * (PARENT_WEIGHT + number) for number in range(jobs - 1)]
    cuts: dict[str, list[tuple[int, bytes]]] = {}
    before = 0.0
    for name, data in contents.items():
        layout = _layout(name, data)
        cuts[name] = []
        for end in ends:
            if layout is not None and 0 < end - before < work[name][-1]:
                cut = _cut_after(data, layout, _offset_of(work[name], end - before, len(data)))
                if cut is not None and (not cuts[name] or cut[0] > cuts[name][-1][0]):
                    cuts[name].append(cut)
        before += work[name][-1]
    pieces: list[list[Segment]] = [[]]
    for name, data in contents.items():
        starts = [(0, b""), *cuts[name]]
        for number, (start, header) in enumerate(starts):
            end = starts[number + 1][0] if number + 1 < len(starts) else len(data)
            if number > 0:
                pieces.append([])
            whole = start == 0 and end == len(data)
            pieces[-1].append(Segment(name, start, end, header, whole))
    return [piece for piece in pieces if piece]


# Reading costs about as much per value as per nine bytes (measured at 100k entities: block-style entities and
# flow-style holdings and licences take the same time once weighed so). Values are counted by ':' and ','.
_WORK_PER_VALUE = 9
_WORK_BLOCK = 1 << 16


def _work(data: bytes) -> list[float]:
    """The estimated work of reading data up to the end of each block of _WORK_BLOCK bytes (cumulative)."""
    done = 0.0
    cumulative = [0.0]
    for start in range(0, len(data), _WORK_BLOCK):
        end = min(start + _WORK_BLOCK, len(data))
        values = data.count(b":", start, end) + data.count(b",", start, end)  # keys, and items of flow lists
        done += end - start + _WORK_PER_VALUE * values
        cumulative.append(done)
    return cumulative


def _offset_of(cumulative: list[float], work: float, size: int) -> int:
    """The byte offset in data of `size` bytes where the estimated work reaches `work` (linear within a block)."""
    block = max(bisect.bisect_left(cumulative, work) - 1, 0)
    within = cumulative[block + 1] - cumulative[block] if block + 1 < len(cumulative) else 0.0
    fraction = (work - cumulative[block]) / within if within else 0.0
    start = block * _WORK_BLOCK
    return start + round(fraction * (min(start + _WORK_BLOCK, size) - start))


@dataclass(frozen=True, slots=True)
class _Section:
    start: int  # offset of the header line
    body: int  # offset of the line after the header
    end: int  # offset of the next top-level line, or the end of the file
    header: bytes  # the header line, with its line break
    record: re.Pattern[bytes] | None  # a line that starts a record; None: the section is not cut inside


def _layout(name: str, data: bytes) -> list[_Section] | None:
    """The top-level sections of a file, or None when its top level is not plain `key:` lines given once each.

    Only a section of the format (SECTIONS) written as a block may be cut inside: at a line that starts a
    record at the indentation of its first record, `- ` for a list, a plain key for a mapping.
    """
    headers: list[tuple[int, int, bytes]] = []  # (start, body, key) of each key line at column 0
    if (b"\r" in data and _LONE_CR.search(data)) or any(other in data for other in _UNICODE_BREAKS):
        return None  # lines this module would not count, libyaml does: positions and sections would shift
    at_start = [0] if data[:1] not in (b"", b" ", b"\t", b"\r", b"\n", b"#") else []
    for start in at_start + [match.start() + 1 for match in _TOP_LINE.finditer(data)]:
        line_end = data.find(b"\n", start)
        body = len(data) if line_end < 0 else line_end + 1
        line = data[start:body].rstrip(b"\n")
        found = _TOP_KEY.fullmatch(line)
        if found is not None:
            headers.append((start, body, found.group(1)))
        elif not headers or not (line.startswith((b"- ", b"-\r")) or line == b"-"):
            # A document marker, directive, complex key, flow mapping, or a list before any section. (Items of
            # a list written at column 0 belong to the section above them.)
            return None
    if len({key for _, _, key in headers}) < len(headers):
        return None  # a section given twice: only a whole-file read reports it right
    sections: list[_Section] = []
    for number, (start, body, key) in enumerate(headers):
        end = headers[number + 1][0] if number + 1 < len(headers) else len(data)
        shape = SECTIONS[name].get(key.decode(), ("", ""))[0]  # "map", "list", or "" (not a section of the format)
        record: re.Pattern[bytes] | None = None
        content = _CONTENT.search(data, body, end) if shape and _BLOCK_HEADER.fullmatch(data[start:body]) else None
        if content is not None:
            indent = b" " * len(content.group(1))
            record = re.compile(rb"(?m)^" + indent + (rb"(?:- |-\r?$)" if shape == "list" else rb"[A-Za-z0-9_]"))
        sections.append(_Section(start, body, end, data[start:body], record))
    return sections


def _cut_after(data: bytes, layout: list[_Section], target: int) -> tuple[int, bytes] | None:
    """The first place at or after target where a piece can start: (offset, header line to read it with)."""
    for section in layout:
        if section.end <= target:
            continue
        if section.start >= target:
            return section.start, b""
        if section.record is not None:
            found = section.record.search(data, max(target, section.body), section.end)
            if found is not None and found.start() > section.body:
                return found.start(), section.header
    return None


def _segment_bytes(data: bytes, segment: Segment) -> bytes:
    """What a segment reads: its header line and blank lines, so its first line keeps its number."""
    if segment.start == 0:
        return data[: segment.end]
    lines_before = data.count(b"\n", 0, segment.start)
    padding = b"\n" * (lines_before - (1 if segment.header else 0))
    return segment.header + padding + data[segment.start : segment.end]


@dataclass
class _Part:
    """What one piece found: its records by section, problems, broken and unread sections, and the keys of
    each keyed section (to find an id given in two pieces)."""

    records: dict[str, Any]
    problems: list[Any]
    broken: dict[str, set[str]]
    unread: set[str]
    keys: dict[str, list[str]]


def _read_piece(reader: _Reader, contents: dict[str, bytes], piece: list[Segment]) -> dict[str, list[str]]:
    """Read a piece's segments into reader; return the keys of its keyed sections."""
    keys: dict[str, list[str]] = {}
    for segment in piece:
        data = contents[segment.name]
        if segment.whole:
            root = reader.parse_file(segment.name, data)
            if root is None:
                reader.unread.update(SECTIONS[segment.name])
                continue
        else:
            try:
                root = read_yaml(_segment_bytes(data, segment), reader.file_label(segment.name))
            except DataError:
                raise _GiveUp from None  # maybe a cut inside a multi-line value: the whole read says
            if not isinstance(root, YMap):
                raise _GiveUp
            for key, value in root.items():
                shape = SECTIONS[segment.name].get(key, ("", ""))[0]
                if shape and not _is_null(value) and not isinstance(value, YMap if shape == "map" else YList):
                    raise _GiveUp  # a section of the wrong shape is reported once, by the whole read
        reader.read_sections(segment.name, root)
        for key, value in root.items():
            if SECTIONS[segment.name].get(key, ("", ""))[0] == "map" and isinstance(value, YMap):
                keys.setdefault(key, []).extend(value)
    return keys


def _part_of(reader: _Reader, keys: dict[str, list[str]]) -> _Part:
    sections = [section for sections in SECTIONS.values() for section in sections]
    records = {section: getattr(reader.dataset, section) for section in sections}
    return _Part(records, reader.problems, reader.broken, reader.unread, keys)


def _read(folder: Path, label: str, contents: dict[str, bytes], pieces: list[list[Segment]]) -> _Reader:
    """Fork a worker for every piece but the first, read the first here, and merge the workers' parts."""
    from xmfin.storage.cache import dump_records

    workers: list[tuple[int, int]] = []
    try:
        for piece in pieces[1:]:
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker: read, send, and leave without running any of the parent's exit code
                status = 1
                try:
                    os.close(read_end)
                    signal.signal(signal.SIGINT, signal.SIG_DFL)
                    reader = _Reader(folder, label)
                    part = _part_of(reader, _read_piece(reader, contents, piece))
                    with os.fdopen(write_end, "wb") as out:
                        out.write(dump_records(part))
                    status = 0
                finally:
                    os._exit(status)
            os.close(write_end)
            workers.append((pid, read_end))
        reader = _Reader(folder, label)
        keys = _read_piece(reader, contents, pieces[0])
        seen = {section: set(found) for section, found in keys.items()}
        while workers:  # in file order
            pid, read_end = workers[0]
            with os.fdopen(read_end, "rb") as stream:
                payload = stream.read()
            del workers[0]
            _, status = os.waitpid(pid, 0)
            if status != 0 or not payload:
                raise _GiveUp
            _merge(reader, pickle.loads(payload), seen)
        return reader
    finally:
        for pid, read_end in workers:  # give up on workers still running (an error or interrupt here)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.close(read_end)
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)


def _merge(reader: _Reader, part: _Part, seen: dict[str, set[str]]) -> None:
    """Add a worker's part to the reader, in file order; give up on an id that an earlier piece has too."""
    for section, found in part.keys.items():
        earlier = seen.setdefault(section, set())
        if not earlier.isdisjoint(found):
            raise _GiveUp  # a duplicate id: the whole read reports it with both lines
        earlier.update(found)
    for section, records in part.records.items():
        target = getattr(reader.dataset, section)
        if isinstance(target, dict):
            target.update(records)
        else:
            target.extend(records)
    reader.problems.extend(part.problems)
    for section, ids in part.broken.items():
        reader.broken.setdefault(section, set()).update(ids)
    reader.unread.update(part.unread)
