"""The store (xmfin/storage/store.py): a folder and the store built from it give the same answers, byte for byte.

Every command's `--json` (and the text, SVG and HTML outputs) on every valid fixture folder and the bundled
data, on several days, against the same command with `--data STORE`: the store reads only the part each
answer reaches (store.Scope), so any record a command needs and its scope leaves out shows up here.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import FIXTURES
from xmfin.api import bundled_data
from xmfin.cli import app
from xmfin.errors import UsageError
from xmfin.storage.access import Reach, open_records
from xmfin.storage.loading import check_folder
from xmfin.storage.store import Scope, Store, StoreError, StoreWriter, write_store

VALID = sorted(
    path.name
    for path in FIXTURES.iterdir()
    if path.is_dir() and not any(p.severity == "error" for p in check_folder(path)[1])
)
DAYS = (None, "2019-05-15", "2013")


def _runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1", "XMFIN_DATA": None, "TERM": "dumb"})


def _store_of(folder: Path, tmp: Path) -> Path:
    out = tmp / f"{folder.name}.xmfin"
    data, problems = check_folder(folder, str(folder))
    write_store(data, problems, out, {"label": str(folder)})
    return out


def _commands(folder: Path) -> list[list[str]]:
    """The questions asked of a data folder: every command, over its groups and a spread of its entities."""
    data, _ = check_folder(folder)
    entities = list(data.entities)
    picked = entities[:: max(1, len(entities) // 12)][:12]
    groups = list(data.groups)
    asked: list[list[str]] = [["matrix"], ["matrix", "--core", "--controlled"], ["licences"], ["licences", "--all"]]
    asked += [["sources"], ["timeline"], ["export", "-f", "json"], ["export", "-f", "jsonl"]]
    asked += [["export", "-f", "csv", "--table", "holdings"], ["export", "-f", "dot"], ["export", "-f", "bods"]]
    if data.default_group is not None:
        asked += [["tree"], ["gaps"], ["report"], ["diagram"]]
    for group in groups:
        asked += [
            ["tree", group],
            ["licences", "--group", group],
            ["timeline", group],
            ["export", "-f", "json", "--group", group],
        ]
        # Each group against the next two (every group is a peer of two others): the pairs grow as the square.
        at = groups.index(group)
        for peer in [groups[(at + step) % len(groups)] for step in (1, 2)][: len(groups) - 1]:
            asked += [["gaps", group, "--vs", peer], ["gaps", group, "--vs", peer, "--min-stake", "50"]]
        if at < 3:  # a page and a chart of a group are slow to make, and read what `gaps` and `tree` read
            asked += [["report", group], ["diagram", group]]
    for entity in picked:
        asked += [["tree", entity], ["tree", entity, "--up"], ["chain", entity], ["show", entity], ["sources", entity]]
        asked += [["diagram", entity, "--up"]]
    names = [data.entities[e].name for e in picked[:4]]
    for name in names:
        asked += [["search", name], ["search", name[: max(1, len(name) // 2)]], ["search", name[::-1][:6]]]
        asked += [["chain", name]]
    asked += [["search", "bank"], ["search", "ba"], ["search", "银行"], ["search", "tencnet"], ["search", "zzzzqqq"]]
    asked += [["chain", "nothing-is-called-this"], ["show", "ban"]]
    return asked


def _ask(argv: list[str], data: Path, day: str | None) -> tuple[int, str]:
    text_only = argv[0] in ("export", "diagram", "report")
    full = [*argv, *([] if text_only else ["--json"]), "--data", str(data), *(["--as-of", day] if day else [])]
    result = _runner().invoke(app, full)
    return result.exit_code, result.stdout


CASES = [*VALID, "bundled"]


@pytest.mark.parametrize("case", CASES)
def test_store_answers_as_the_folder(case: str, tmp_path: Path) -> None:
    folder = bundled_data() if case == "bundled" else FIXTURES / case
    store = _store_of(folder, tmp_path)
    days = DAYS if case != "bundled" else (None,)
    compared = 0
    for argv in _commands(folder):
        for day in days:
            expected = _ask(argv, folder, day)
            found = _ask(argv, store, day)
            assert found == expected, f"{' '.join(argv)} --as-of {day}: store and folder differ"
            compared += 1
    assert compared > 20


def test_chain_reads_only_what_it_reaches(tmp_path: Path) -> None:
    """A chain question on a store reads the entities above, not the whole store."""
    store = _store_of(bundled_data(), tmp_path)
    records = open_records(store, str(store))
    reach = Reach(records)
    part = records.dataset(Scope(up=(reach.entity("xw-bank"),)))
    assert "xw-bank" in part.entities and "xiaomi-corp" in part.entities
    assert len(part.entities) < len(records.dataset().entities) / 3
    assert all(h.owned in part.entities for h in part.holdings)


def test_store_of_another_version_is_refused(tmp_path: Path) -> None:
    store = _store_of(FIXTURES / "basic", tmp_path)
    with sqlite3.connect(store) as db:
        db.execute("UPDATE meta SET value = '0.0.1' WHERE key = 'xmfin'")
    with pytest.raises(StoreError, match=r"built by xmfin 0\.0\.1.*build it\s+again"):
        Store.open(store)
    result = _runner().invoke(app, ["tree", "--data", str(store)])
    assert result.exit_code == 2
    assert "built by xmfin 0.0.1" in result.stderr and "Traceback" not in result.stderr


def test_damaged_store_is_refused(tmp_path: Path) -> None:
    store = _store_of(FIXTURES / "basic", tmp_path)
    raw = bytearray(store.read_bytes())
    raw[200:4000] = b"\xff" * 3800
    store.write_bytes(bytes(raw))
    result = _runner().invoke(app, ["tree", "--data", str(store)])
    assert result.exit_code == 2
    assert "store" in result.stderr and "Traceback" not in result.stderr


def test_not_a_store(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t(x)")
    result = _runner().invoke(app, ["tree", "--data", str(other)])
    assert result.exit_code == 2 and "not an xmfin store" in result.stderr
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    result = _runner().invoke(app, ["tree", "--data", str(text)])
    assert result.exit_code == 2 and "neither a data folder nor an xmfin store" in result.stderr


def test_interrupted_build_leaves_nothing(tmp_path: Path) -> None:
    data, problems = check_folder(FIXTURES / "basic")
    out = tmp_path / "s.xmfin"

    class Stop(Exception):
        pass

    with pytest.raises(Stop), StoreWriter(out, {}) as writer:
        writer.add_all(data)
        raise Stop
    assert list(tmp_path.iterdir()) == []
    write_store(data, problems, out, {})
    assert [p.name for p in tmp_path.iterdir()] == ["s.xmfin"]


def test_concurrent_readers(tmp_path: Path) -> None:
    store = _store_of(bundled_data(), tmp_path)
    expected = _ask(["chain", "xw-bank"], store, None)
    found: list[tuple[int, str]] = []

    def read() -> None:
        records = open_records(store, str(store))
        for _ in range(5):
            part = records.dataset(Scope(up=("xw-bank",)))
            found.append((0, str(len(part.entities))))

    threads = [threading.Thread(target=read) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 1 and len(found) == 30
    assert _ask(["chain", "xw-bank"], store, None) == expected


def test_store_build_command(tmp_path: Path) -> None:
    out = tmp_path / "b.xmfin"
    result = _runner().invoke(app, ["store", "build", str(FIXTURES / "basic"), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "wrote" in result.stderr
    # A folder with errors is refused as every command refuses it; nothing is written.
    bad = tmp_path / "bad.xmfin"
    result = _runner().invoke(app, ["store", "build", str(FIXTURES / "invalid"), "-o", str(bad)])
    assert result.exit_code == 1 and not bad.exists()
    # Something that is not a store is never replaced.
    keep = tmp_path / "keep.txt"
    keep.write_text("mine")
    result = _runner().invoke(app, ["store", "build", str(FIXTURES / "basic"), "-o", str(keep)])
    assert result.exit_code == 2 and keep.read_text() == "mine"
    check = _runner().invoke(app, ["check", "--data", str(out)])
    assert check.exit_code == 0 and "ok" in check.stderr


def test_names_resolve_as_in_the_folder(tmp_path: Path) -> None:
    store = _store_of(bundled_data(), tmp_path)
    for typed in ("xw-bank", "XW Bank", "新网银行", "xiaomi", "小米集团", "Airstar"):
        from xmfin.lookup import find_entity
        from xmfin.storage.loading import load

        expected = find_entity(load(bundled_data()), typed).id
        assert Reach(open_records(store, str(store))).entity(typed) == expected
    with pytest.raises(UsageError):
        Reach(open_records(store, str(store))).entity("bank")  # ambiguous, as in the folder


def test_cached_folder_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder's store is built on first use in the cache and used after; a damaged one is rebuilt."""
    monkeypatch.setenv("XMFIN_NO_CACHE", "")
    monkeypatch.setenv("XMFIN_CACHE_DIR", str(tmp_path / "cache"))
    folder = FIXTURES / "basic"
    first = _ask(["tree"], folder, None)
    stores = list((tmp_path / "cache").glob("*.xmfin-store"))
    assert len(stores) == 1
    assert open_records(folder, str(folder)).store is not None
    assert _ask(["tree"], folder, None) == first
    stores[0].write_bytes(b"SQLite format 3\x00" + os.urandom(5000))
    assert _ask(["tree"], folder, None) == first
    assert open_records(folder, str(folder)).store is not None  # rebuilt


def test_every_record_round_trips_through_the_codec() -> None:
    """Every record of the bundled data and the fixtures, written and read back, is the same record, with its
    location (which equality leaves out: compared apart)."""
    from xmfin.storage import codec

    for folder in [bundled_data(), *(FIXTURES / case for case in VALID)]:
        data, _ = check_folder(folder)
        records = [*data.sources.values(), *data.groups.values(), *data.entities.values(), *data.holdings]
        records += [*data.roles, *data.events, *data.families.values(), *data.categories.values()]
        records += [*data.licences, *data.claims]
        for record in records:
            back = codec.loads(type(record), codec.dumps(record))
            assert back == record and back.loc == record.loc


@pytest.mark.parametrize("text", ["bank", "银行", "xiaomi", "ant", "of", "a", "行", "", "zzzq", "*[?"])
def test_containing_gives_the_first_in_file_order(text: str, tmp_path: Path) -> None:
    """`containing` stops reading at its limit (labels are read in their own order, the order of their
    entities): with or without a limit it gives the entities whose labels contain the text, first in file
    order, as a scan of the folder's records finds them."""
    from xmfin.storage.loading import load
    from xmfin.storage.store import ID_LABEL, NAME_LABEL, labels_of

    data = load(bundled_data())
    store = Store.open(_store_of(bundled_data(), tmp_path))
    try:
        for kinds in ((ID_LABEL, NAME_LABEL), (ID_LABEL,), (NAME_LABEL,)):
            truth = [e.id for e in data.entities.values() if any(k in kinds and text in f for k, f in labels_of(e))]
            assert store.containing(text, kinds=kinds) == truth
            for limit in (0, 1, 3, 10):
                assert store.containing(text, kinds=kinds, limit=limit) == truth[:limit]
        labelled = list(dict.fromkeys(row[0] for row in store.db.execute("SELECT entity FROM label ORDER BY rowid")))
        assert labelled == list(data.entities)
    finally:
        store.close()


@pytest.mark.parametrize("argv", [["tree"], ["show", "alpha-hk"], ["search", "alpha"], ["check"]])
def test_store_whose_schema_is_not_utf8_is_damaged(argv: list[str], tmp_path: Path) -> None:
    """A damaged page can hold any bytes: SQLite's message about a damaged schema then quotes text that is not
    UTF-8, and sqlite3 raises UnicodeDecodeError making it. That is a damaged store (exit 2, "build it again"),
    not an internal error."""
    store = _store_of(FIXTURES / "basic", tmp_path)
    db = sqlite3.connect(store)
    db.execute("PRAGMA writable_schema=ON")
    bad = b"CREATE \xf9\xf9 TABLE meta(x)"
    db.execute("UPDATE sqlite_master SET sql = CAST(? AS TEXT) WHERE name = 'meta'", (bad,))
    db.commit()
    db.close()
    result = _runner().invoke(app, [*argv, "--json", "--data", str(store)])
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith(f"xmfin: error: '{store}' is a damaged store (")
    assert "build it again" in result.stderr


@pytest.mark.parametrize("text", ["\udcff", "ab\udcfe\udcfd", "alpha\udcff"])
@pytest.mark.parametrize("argv", [["show"], ["chain"], ["tree"], ["sources"], ["diagram"]])
def test_name_that_is_not_utf8_answers_as_the_folder(text: str, argv: list[str], tmp_path: Path) -> None:
    """Bytes of a command line that are not UTF-8 reach xmfin as lone surrogates, which SQLite cannot take: a
    store answers as the folder ("no entity matches", exit 2), not with an internal error."""
    folder = FIXTURES / "basic"
    store = _store_of(folder, tmp_path)
    folder_result = _runner().invoke(app, [*argv, text, "--data", str(folder)])
    store_result = _runner().invoke(app, [*argv, text, "--data", str(store)])
    assert store_result.exit_code == folder_result.exit_code == 2, store_result.stderr
    assert store_result.stderr == folder_result.stderr


@pytest.mark.parametrize("text", ["\udcff", "ab\udcfe\udcfd", "alpha\udcff"])
def test_search_scope_of_a_text_that_is_not_utf8(text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past SEARCH_ALL a search takes candidates from the indexes: a text with a lone surrogate names no label
    (none has one), and the pieces of it that are text still find theirs."""
    from xmfin.storage import access

    monkeypatch.setattr(access, "SEARCH_ALL", 0)
    store = _store_of(FIXTURES / "basic", tmp_path)
    scope = Reach(open_records(store, str(store))).search_scope(text)
    assert ("alpha-top" in scope.also) == text.startswith("alpha")


def test_paths_that_are_not_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder whose name has bytes that are not UTF-8 (Python gives them as lone surrogates) is read as ever,
    with the cache on (its store cannot be kept: SQLite takes UTF-8 only); a store at such a name, or of such a
    folder, is refused with one line, exit 2, and nothing left behind."""
    import shutil

    monkeypatch.setenv("XMFIN_NO_CACHE", "")
    monkeypatch.setenv("XMFIN_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / os.fsdecode(b"d\xffir")
    shutil.copytree(FIXTURES / "basic", folder)
    cached = _runner().invoke(app, ["tree", "--json", "--data", str(folder)])
    assert cached.exit_code == 0, cached.stderr
    monkeypatch.setenv("XMFIN_NO_CACHE", "1")
    assert cached.stdout == _runner().invoke(app, ["tree", "--json", "--data", str(folder)]).stdout
    statements = tmp_path / "f.jsonl"
    statements.write_text('{"recordId": "a", "recordType": "entity", "recordDetails": {"name": "A"}}\n')
    for argv in (
        ["store", "build", str(folder), "-o", str(tmp_path / "s.xmfin")],
        ["import", "bods", str(statements), "--store", str(tmp_path / os.fsdecode(b"s\xff.xmfin"))],
    ):
        result = _runner().invoke(app, argv)
        assert result.exit_code == 2, result.stderr
        assert result.stderr.startswith("xmfin: error: cannot write the store ") and "rename it" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["cache", folder.name, "f.jsonl"])
