"""`xmfin export -f parquet -o DIR`: the tables of `export -f csv`, typed, as one Parquet file each.

The same tables, columns and rows as `csv_table` (output/export.py), in the same order, with each column typed
from the record's field: text as UTF-8 strings, stakes, bounds and figure values as float64, flags as bool,
partial dates as their text (`2019`, `2019-05`, `2019-05-15`: no day is invented), lists of ids (`sources`,
`aliases`, an event's `entities`) as list<string>, and `extra` and `quotes` as JSON text. A null is a null
(never `""`); a list is never null (an empty one is `[]`, and no quotes are the JSON text `[]`).

Rows are converted and written in batches of BATCH_ROWS, one row group each, so that writing a table takes
memory for one batch beyond the records themselves. pyarrow is an optional dependency (`xmfin[parquet]`):
`require_pyarrow` says how to install it when it is missing.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from typing import IO, Any

from xmfin import model
from xmfin.errors import UsageError
from xmfin.model import Dataset
from xmfin.output.export import CSV_TABLES, RECORD_TYPES, plain
from xmfin.storage.loading import RECORD_CLASSES

BATCH_ROWS = 65_536
# How each field type of the records (as dataclasses writes it) becomes a column: its Arrow type (by name, so
# that this table needs no pyarrow), what a value becomes, and what the column's metadata says of its content.
_TEXT, _FLOAT, _BOOL, _LIST = "string", "float64", "bool", "list<string>"
_PARTIAL_DATE = "partial date as text: YYYY, YYYY-MM or YYYY-MM-DD"
_JSON = "JSON text"


def _same(value: Any) -> Any:
    return value


def _date_text(value: Any) -> Any:
    return None if value is None else value.text


def _float(value: Any) -> Any:
    return None if value is None else float(value)


def _list(value: Any) -> Any:
    return list(value)


def _json(value: Any) -> Any:
    if value is None:
        return None
    if value == ():
        return "[]"  # no quotes: most records
    return json.dumps(plain(value), ensure_ascii=False)


FIELD_TYPES: dict[str, tuple[str, Callable[[Any], Any], str | None]] = {
    "str": (_TEXT, _same, None),
    "str | None": (_TEXT, _same, None),
    "PartialDate": (_TEXT, _date_text, _PARTIAL_DATE),
    "PartialDate | None": (_TEXT, _date_text, _PARTIAL_DATE),
    "float | None": (_FLOAT, _float, None),
    "float | int": (_FLOAT, _float, None),
    "bool": (_BOOL, _same, None),
    "tuple[str, ...]": (_LIST, _list, None),
    "tuple[Quote, ...]": (_TEXT, _json, _JSON),
    "Any": (_TEXT, _json, _JSON),
}


@dataclasses.dataclass(frozen=True, slots=True)
class Column:
    """One column of a table: its name, Arrow type name, whether it may be null, how a value becomes a cell,
    and what its metadata says (None: nothing)."""

    name: str
    arrow: str
    nullable: bool
    convert: Callable[[Any], Any]
    meaning: str | None


def columns(table: str) -> list[Column]:
    """The columns of one table, in csv_table's order (former_names and figures after their `entity`)."""
    nested = table in ("former_names", "figures")
    if nested:
        cls: Any = model.FormerName if table == "former_names" else model.Figure
    else:
        cls = RECORD_CLASSES[RECORD_TYPES[table]]
    found = [Column("entity", _TEXT, False, _same, None)] if nested else []
    for f in dataclasses.fields(cls):
        if f.name == "loc" or (table == "entities" and f.name in ("former_names", "figures")):
            continue
        arrow, convert, meaning = FIELD_TYPES[str(f.type)]
        nullable = str(f.type).endswith("| None") or f.type == "Any"
        found.append(Column(f.name, arrow, nullable, convert, meaning))
    return found


def rows(data: Dataset, table: str) -> Iterator[tuple[Any, ...]]:
    """The rows of one table as typed Python values, one tuple per record, in csv_table's order."""
    cols = columns(table)
    if table in ("former_names", "figures"):
        inner = cols[1:]
        for entity in data.entities.values():
            for item in getattr(entity, table):
                yield (entity.id, *(c.convert(getattr(item, c.name)) for c in inner))
        return
    section: Any = getattr(data, table)
    for record in section.values() if isinstance(section, dict) else section:
        yield tuple(c.convert(getattr(record, c.name)) for c in cols)


def require_pyarrow() -> None:
    """Refuse (UsageError, exit 2) when pyarrow cannot be imported, saying how to install it."""
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise UsageError("parquet export needs pyarrow, which is not installed: pip install 'xmfin[parquet]'") from None


def schema(table: str) -> Any:
    """The pyarrow schema of one table, each column's meaning in its field metadata (key `xmfin`)."""
    import pyarrow as pa

    types = {_TEXT: pa.string(), _FLOAT: pa.float64(), _BOOL: pa.bool_(), _LIST: pa.list_(pa.string())}
    return pa.schema(
        [
            pa.field(c.name, types[c.arrow], nullable=c.nullable, metadata={"xmfin": c.meaning} if c.meaning else None)
            for c in columns(table)
        ],
        metadata={"xmfin.table": table},
    )


def write_table(data: Dataset, table: str, stream: IO[bytes], batch_rows: int = BATCH_ROWS) -> None:
    """Write one table as a Parquet file to a binary stream, batch_rows rows to a row group (at least one, so
    that an empty table still has its columns)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    shape = schema(table)
    width = len(shape)
    writer = pq.ParquetWriter(stream, shape, compression="zstd")
    try:
        batch: list[tuple[Any, ...]] = []
        written = False
        for row in rows(data, table):
            batch.append(row)
            if len(batch) >= batch_rows:
                writer.write_batch(_batch(pa, shape, batch, width))
                batch = []
                written = True
        if batch or not written:
            writer.write_batch(_batch(pa, shape, batch, width))
    finally:
        writer.close()


def _batch(pa: Any, shape: Any, batch: list[tuple[Any, ...]], width: int) -> Any:
    """One RecordBatch from rows (the columns cut out of them, each typed by the schema)."""
    cut = list(zip(*batch, strict=True)) if batch else [() for _ in range(width)]
    arrays = [pa.array(values, type=shape.field(i).type) for i, values in enumerate(cut)]
    return pa.RecordBatch.from_arrays(arrays, schema=shape)


def write_folder(data: Dataset, folder: Any) -> None:
    """Every table as `TABLE.parquet` in folder: all of them, or none (fileio.write_folder).

    The garbage collector is paused meanwhile: the rows are tuples, lists and strings that form no cycle, and
    the collector walking them at every few hundred allocations took a third of the time."""
    import gc

    from xmfin.fileio import write_folder as write_files

    def table_writer(name: str) -> Callable[[IO[bytes]], None]:
        return lambda stream: write_table(data, name, stream)

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        write_files(folder, [(f"{name}.parquet", table_writer(name)) for name in CSV_TABLES], binary=True)
    finally:
        if was_enabled:
            gc.enable()
