"""`xmfin export`: the records of a data folder (or of one group) as JSON, JSON Lines, CSV or Parquet tables.

The graph formats (GraphML, GEXF, DOT, Mermaid) live in `output/graphs.py` (GraphML's streaming writer in
`output/graphml.py`), BODS in `output/bods.py` and Parquet in `output/parquet.py`; `select` below decides, for
all of them, which records one group's export holds.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from xmfin import model
from xmfin.dates import PartialDate
from xmfin.errors import UsageError, did_you_mean
from xmfin.graph import OwnershipGraph
from xmfin.model import Dataset, Entity, Group
from xmfin.storage.loading import RECORD_CLASSES, SECTIONS

FORMATS: tuple[str, ...] = ("json", "jsonl", "csv", "parquet", "graphml", "gexf", "dot", "mermaid", "bods", "ftm")

# Record types in the order of the data files, from the loader's own table; each is one JSON Lines `type`
# and one CSV table (the section's plural name).
RECORD_TYPES: dict[str, str] = {
    section: record_type for sections in SECTIONS.values() for section, (_, record_type) in sections.items()
}
# Nested records get their own CSV tables, keyed by the entity they belong to.
CSV_TABLES: tuple[str, ...] = (*RECORD_TYPES, "former_names", "figures")
# A text cell that begins with one of these is a formula (or can start one) in Excel, LibreOffice or Google
# Sheets (OWASP's list, with tab and carriage return); such a cell, and one that begins with the apostrophe
# itself, is written after an apostrophe, which the spreadsheets take as "this is text" and do not show.
# A reader that wants the text back removes one leading apostrophe (docs/cli.md).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
# What a spreadsheet may trim before a formula's first character: spaces, controls and line breaks, format
# characters (a byte order mark, zero-width and direction marks).
_SKIPPED = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})
BOM = "\ufeff"  # with --excel: Excel on Windows reads a CSV file as UTF-8 only after this mark


# Formats that carry the records as kept (every date, every name): the whole data, not the view of the day.
RECORD_FORMATS = frozenset({"json", "jsonl", "csv", "parquet", "bods", "ftm"})


def select(graph: OwnershipGraph, group: Group | None, records: bool = True) -> Dataset:
    """The records one export holds: everything, or one group on the graph's day.

    A group's export holds its members (the root and all it reaches through holdings active that day), the
    direct owners of members (nominee shareholders of a VIE, outside investors) and the holders of roles in
    members, with every holding, licence and role among them (whatever their dates), the group itself, its
    claims, the sources they cite, and the whole licence taxonomy. The result is itself a valid data folder.
    With `records` false (graph formats), only the entities of the day, under their names of the day.
    """
    data = graph.full if records else graph.data
    if group is None:
        return data
    members = graph.members(group.root)
    owners = {h.owner for member in members for h in graph.owners(member)}
    roles = [r for r in data.roles if r.of in members]
    chosen = members | owners | {r.holder for r in roles}
    part = Dataset(
        path=data.path,
        groups={group.id: group},
        entities={key: entity for key, entity in data.entities.items() if key in chosen},
        holdings=[h for h in data.holdings if h.owned in members and h.owner in chosen],
        roles=roles,
        events=[e for e in data.events if any(entity in members for entity in e.entities)],
        families=dict(data.families),
        categories=dict(data.categories),
        licences=[lic for lic in data.licences if lic.holder in members],
        claims=[c for c in data.claims if c.group == group.id],
    )
    cited: set[str] = set()
    record: Any
    for record in (*part.entities.values(), *part.holdings, *part.roles, *part.events, *part.licences, *part.claims):
        cited.update(record.sources)
    for entity in part.entities.values():
        for figure in entity.figures:
            cited.update(figure.sources)
    part.sources = {key: source for key, source in data.sources.items() if key in cited}
    return part


def plain(value: Any) -> Any:
    """A record or value as JSON-ready data: dates as their text, tuples as lists, no `loc`."""
    if isinstance(value, PartialDate):
        return value.text
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "loc"}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def records(data: Dataset) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every record as (type, fields), in the order of the data files."""
    for section, record_type in RECORD_TYPES.items():
        found: Any = getattr(data, section)
        for record in found.values() if isinstance(found, dict) else found:
            yield record_type, plain(record)


def to_json(data: Dataset, day: dt.date, group: str | None) -> str:
    """One JSON document: `xmfin`, `as_of`, `group`, then every section as in the data files (keyed by id)."""
    document: dict[str, Any] = {"xmfin": 1, "as_of": day.isoformat(), "group": group}
    for section in RECORD_TYPES:
        found: Any = getattr(data, section)
        document[section] = (
            {key: plain(value) for key, value in found.items()} if isinstance(found, dict) else plain(found)
        )
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def to_jsonl(data: Dataset) -> Iterator[str]:
    """One line per record, `type` first: `{"type": "holding", "owner": ..., ...}`."""
    for record_type, fields in records(data):
        yield json.dumps({"type": record_type, **fields}, ensure_ascii=False) + "\n"


def _cell(value: Any) -> str:
    """A CSV cell: numbers as numbers, lists and mappings as JSON, and no text that a spreadsheet runs."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)  # a number (a negative one is a number to a spreadsheet too, never a formula)
    if isinstance(value, (list, dict)):
        # JSON: unambiguous whatever the items hold (`["a; b"]` is one item); an empty list is an empty cell.
        return "" if value == [] else safe_text(json.dumps(value, ensure_ascii=False))
    return safe_text(str(value))


def safe_text(text: str) -> str:
    """Text no spreadsheet runs as a formula: an apostrophe before a formula's first character, also when
    spaces, line breaks or invisible characters (a byte order mark, a zero-width space) come before it, which
    spreadsheets trim on import, or when it is a full-width or small form (U+FF1D, U+FE62) that becomes one."""
    if text.startswith(FORMULA_STARTS):
        return f"'{text}"
    for character in text:
        if unicodedata.category(character) in _SKIPPED:
            continue  # " =1+1", "\ufeff=1+1" and "\u200b=1+1" ran as formulas
        return f"'{text}" if unicodedata.normalize("NFKC", character) in FORMULA_STARTS else text
    return text


def _entity_rows(entity: Entity, nested: str) -> list[dict[str, Any]]:
    return [{"entity": entity.id, **plain(item)} for item in getattr(entity, nested)]


def csv_table(data: Dataset, table: str) -> tuple[list[str], list[list[str]]]:
    """One CSV table: its header and its rows. Empty cells for null (and empty lists); lists and `extra` as JSON;
    text that a spreadsheet would run as a formula after an apostrophe.

    `former_names` and `figures` (nested in entities in the data files) are tables of their own with an
    `entity` column; the `entities` table leaves them out.
    """
    if table in ("former_names", "figures"):
        cls: Any = model.FormerName if table == "former_names" else model.Figure
        header = ["entity", *(f.name for f in dataclasses.fields(cls) if f.name != "loc")]
        rows = [row for entity in data.entities.values() for row in _entity_rows(entity, table)]
    else:
        record_type = RECORD_TYPES[table]
        cls = RECORD_CLASSES[record_type]
        header = [f.name for f in dataclasses.fields(cls) if f.name != "loc"]
        if table == "entities":
            header = [name for name in header if name not in ("former_names", "figures")]
        section: Any = getattr(data, table)
        rows = [plain(record) for record in (section.values() if isinstance(section, dict) else section)]
    cells = [[_cell(row.get(name)) for name in header] for row in rows]
    if table == "figures":
        # A figure's value is a whole number or a decimal one (`value: 1.5e9` in a data file): a decimal one of
        # whole value is written as such ("1500000000.0"), so that `import csv` reads back the value held.
        at = header.index("value")
        for row, row_cells in zip(rows, cells, strict=True):
            value = row.get("value")
            if isinstance(value, float) and value.is_integer():
                row_cells[at] = repr(value)
    return header, cells


def write_csv(data: Dataset, table: str, stream: Any) -> None:
    """Write one table as CSV (RFC 4180: comma, double quotes, CRLF) to a text stream opened with newline=''."""
    header, rows = csv_table(data, table)
    writer = csv.writer(stream)
    writer.writerow(header)
    writer.writerows(rows)


def csv_text(data: Dataset, table: str, excel: bool = False) -> str:
    """One table as CSV text (with excel, after the byte order mark Excel needs to read UTF-8)."""
    buffer = io.StringIO(newline="")
    if excel:
        buffer.write(BOM)
    write_csv(data, table, buffer)
    return buffer.getvalue()


def check_format(fmt: str, table: str | None, output: Path | None, excel: bool = False) -> None:
    """Refuse an unknown format or table, a CSV or Parquet export with nowhere to put its tables, or a Parquet
    export without pyarrow (UsageError)."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format '{fmt}'{did_you_mean(fmt, FORMATS)}; formats: {', '.join(FORMATS)}")
    if excel and fmt != "csv":
        raise UsageError("--excel goes with --format csv")
    if table is not None and fmt != "csv":
        raise UsageError("--table goes with --format csv")
    if table is not None and table not in CSV_TABLES:
        raise UsageError(f"unknown table '{table}'{did_you_mean(table, CSV_TABLES)}; tables: {', '.join(CSV_TABLES)}")
    if fmt == "csv" and table is None and output is None:
        raise UsageError("csv makes one file per table: give -o DIR, or --table TABLE to print one table")
    if fmt == "parquet" and output is None:
        raise UsageError("parquet makes a folder of binary files, one per table, never stdout: give -o DIR")
    if fmt == "parquet":
        from xmfin.output.parquet import require_pyarrow

        require_pyarrow()
    if fmt in ("csv", "parquet") and table is None and output is not None:
        from xmfin.fileio import kind_of

        try:
            is_file = kind_of(output) == "file"
        except OSError as error:  # a name too long, a parent that is a file
            raise UsageError(f"-o {output}: cannot write: {error.strerror or error}") from None
        if is_file:
            raise UsageError(f"-o {output}: {fmt} writes a folder of tables, and this is a file")


def export(
    graph: OwnershipGraph,
    group: Group | None,
    fmt: str,
    output: Path | None,
    table: str | None,
    excel: bool = False,
) -> None:
    """Write the export of `fmt` to `output` (a file, or a folder for CSV tables) or to stdout."""
    check_format(fmt, table, output, excel)
    part = select(graph, group, fmt in RECORD_FORMATS)
    try:
        _write(graph, part, group, fmt, output, table, excel)
    except OSError as error:
        raise UsageError(f"-o {output}: cannot write: {error.strerror or error}") from None


def _write(
    graph: OwnershipGraph,
    part: Dataset,
    group: Group | None,
    fmt: str,
    output: Path | None,
    table: str | None,
    excel: bool = False,
) -> None:
    from xmfin.fileio import write_file, write_folder

    if fmt == "parquet":
        from xmfin.output import parquet

        assert output is not None  # check_format refuses parquet without a folder
        parquet.write_folder(part, output)  # every table, or none, as for csv
        return
    if fmt == "csv" and table is None:
        assert output is not None  # check_format refuses csv without either
        # Every table, or none: see fileio.write_folder.

        def table_writer(name: str) -> Callable[[Any], None]:
            def write(stream: Any) -> None:
                if excel:
                    stream.write(BOM)
                write_csv(part, name, stream)

            return write

        write_folder(output, [(f"{name}.csv", table_writer(name)) for name in CSV_TABLES], newline="")
        return
    chunks = _chunks(graph, part, group, fmt, table, excel)
    if output is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        return
    write_file(output, lambda stream: stream.writelines(chunks), newline="")


def _chunks(
    graph: OwnershipGraph, part: Dataset, group: Group | None, fmt: str, table: str | None, excel: bool = False
) -> Iterable[str]:
    from xmfin.output import bods, ftm, graphml, graphs

    day, group_id = graph.day, group.id if group else None
    if fmt == "json":
        return [to_json(part, day, group_id)]
    if fmt == "jsonl":
        return to_jsonl(part)
    if fmt == "csv":
        assert table is not None
        return [csv_text(part, table, excel)]
    if fmt == "graphml":
        return graphml.graphml_lines(graph, part, group)
    if fmt == "gexf":
        return gexf_lines(graphs.export_graph(graph, part, group), day, group)
    if fmt == "dot":
        return graphs.dot_lines(graph, part, group)
    if fmt == "mermaid":
        return graphs.mermaid_lines(graph, part, group)
    if fmt == "ftm":
        return ftm.lines(part, day)
    return [bods.to_json(part, day, group)]


def gexf_lines(export_graph: Any, day: dt.date, group: Group | None) -> Iterator[str]:
    """GEXF 1.2 by networkx's writer, with the day it describes in its meta: a `description` that says it,
    and `lastmodifieddate` set to that day (networkx writes today's date, which says nothing of the data and
    makes two exports of the same day differ)."""
    from xml.etree.ElementTree import SubElement

    from networkx.readwrite.gexf import GEXFWriter

    from xmfin.textsafe import safe_tree

    writer = GEXFWriter(encoding="utf-8", prettyprint=True)
    meta = writer.xml.find("meta")
    assert meta is not None  # GEXFWriter always writes one
    meta.set("lastmodifieddate", day.isoformat())
    what = f"group {group.id}" if group else "all entities"
    SubElement(meta, "keywords").text = f"xmfin, ownership, as_of={day.isoformat()}"
    SubElement(
        meta, "description"
    ).text = f"xmfin ownership graph of {what} as of {day.isoformat()}: the holdings active on that day"
    writer.add_graph(export_graph)
    # Every text and attribute of the tree made XML-safe (textsafe) before networkx serialises it.
    safe_tree(writer.xml, display=False)
    for line in str(writer).splitlines():
        yield line + "\n"
