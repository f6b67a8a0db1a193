"""The cache of checked folders: keyed by content, stored on second sight, never stale, never in the way."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xmfin import cache, loading
from xmfin.loading import check_folder

ENTITIES = """\
version: 1
sources:
  src: {title: A source}
entities:
  a: {name: A Co, jurisdiction: HK, sources: [src]}
  b: {name: B Co, jurisdiction: CN, sources: [src]}
holdings:
  - {owner: a, owned: b, stake: 60, sources: [src]}
"""
LICENCES = """\
version: 1
families:
  bank: {name: Banking, core: true}
"""


@pytest.fixture
def cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache in tmp_path/cache that takes folders of any size; returns the cache folder."""
    where = tmp_path / "cache"
    monkeypatch.setenv("XMFIN_CACHE_DIR", str(where))
    monkeypatch.delenv("XMFIN_NO_CACHE", raising=False)
    monkeypatch.setattr(cache, "MIN_BYTES", 0)
    return where


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Labels of the folders actually read and checked (not served from the cache), in order."""
    calls: list[str] = []
    real = loading._check_folder

    def counting(path: Path, label: str, jobs: int) -> cache.Result:
        calls.append(label)
        return real(path, label, jobs)

    monkeypatch.setattr(loading, "_check_folder", counting)
    return calls


def folder(tmp_path: Path, entities: str = ENTITIES, name: str = "data") -> Path:
    path = tmp_path / name
    path.mkdir(exist_ok=True)
    (path / "entities.yaml").write_text(entities, encoding="utf-8")
    (path / "licences.yaml").write_text(LICENCES, encoding="utf-8")
    return path


def test_stored_on_second_sight_and_served_on_the_third(tmp_path: Path, cached: Path, computed: list[str]) -> None:
    data = folder(tmp_path)
    first = check_folder(data)
    assert not list(cached.glob("*.pickle"))  # seen once: only a marker
    second = check_folder(data)
    assert len(list(cached.glob("*.pickle"))) == 1
    third = check_folder(data)
    assert computed == [str(data), str(data)]
    assert first == second == third
    assert third[0].path == data


def test_a_changed_byte_is_a_new_key_even_with_the_same_size_and_time(
    tmp_path: Path, cached: Path, computed: list[str]
) -> None:
    data = folder(tmp_path)
    entities = data / "entities.yaml"
    for _ in range(3):
        check_folder(data)
    stamp = entities.stat()
    entities.write_text(ENTITIES.replace("stake: 60", "stake: 70"), encoding="utf-8")
    os.utime(entities, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert entities.stat().st_size == stamp.st_size
    dataset, _ = check_folder(data)
    assert dataset.holdings[0].stake == 70.0
    assert len(computed) == 3


def test_problems_keep_their_own_label_and_positions(tmp_path: Path, cached: Path) -> None:
    data = folder(tmp_path, ENTITIES.replace("stake: 60", "stake: 160"))
    for _ in range(3):
        _, problems = check_folder(data, "one")
    _, other = check_folder(data, "two")
    assert [str(p.loc) for p in problems] == ["one/entities.yaml:8:33"]
    assert [str(p.loc) for p in other] == ["two/entities.yaml:8:33"]
    assert "out of range" in problems[0].message


def test_same_content_in_two_folders_gives_each_its_own_path(tmp_path: Path, cached: Path) -> None:
    one, two = folder(tmp_path, name="one"), folder(tmp_path, name="two")
    for _ in range(3):
        check_folder(one, "data")
    dataset, _ = check_folder(two, "data")
    assert dataset.path == two


def test_new_code_is_a_new_key(
    tmp_path: Path, cached: Path, computed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = folder(tmp_path)
    for _ in range(3):
        check_folder(data)
    monkeypatch.setattr(cache, "_fingerprint", "another version of the loader")
    check_folder(data)
    assert len(computed) == 3


def test_a_damaged_entry_is_dropped_and_the_folder_checked_again(
    tmp_path: Path, cached: Path, computed: list[str]
) -> None:
    data = folder(tmp_path)
    expected = check_folder(data)
    check_folder(data)
    (entry,) = cached.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    assert check_folder(data) == expected
    assert len(computed) == 3


def test_files_that_change_while_read_are_not_stored(
    tmp_path: Path, cached: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = folder(tmp_path)
    check_folder(data)
    real = loading._check_folder

    def read_then_edit(path: Path, label: str, jobs: int) -> cache.Result:
        result = real(path, label, jobs)
        (path / "entities.yaml").write_text(ENTITIES.replace("60", "61"), encoding="utf-8")
        return result

    monkeypatch.setattr(loading, "_check_folder", read_then_edit)
    check_folder(data)
    assert not list(cached.glob("*.pickle"))


def test_small_folders_and_no_cache_write_nothing(
    tmp_path: Path, cached: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = folder(tmp_path)
    monkeypatch.setattr(cache, "MIN_BYTES", 10**6)
    for _ in range(3):
        check_folder(data)
    assert not cached.exists()
    monkeypatch.setattr(cache, "MIN_BYTES", 0)
    monkeypatch.setenv("XMFIN_NO_CACHE", "1")
    for _ in range(3):
        check_folder(data)
    assert not cached.exists()


def test_a_missing_file_is_reported_not_cached(tmp_path: Path, cached: Path) -> None:
    data = folder(tmp_path)
    (data / "licences.yaml").unlink()
    for _ in range(3):
        _, problems = check_folder(data)
    assert any("file not found" in p.message for p in problems)
    assert not list(cached.glob("*"))


def test_old_entries_are_pruned(tmp_path: Path, cached: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MAX_ENTRIES", 2)
    for n in range(4):
        data = folder(tmp_path, ENTITIES.replace("A Co", f"A Co {n}"), name=f"d{n}")
        check_folder(data)
        check_folder(data)
    assert len(list(cached.glob("*.pickle"))) == 2


def test_cache_dir_defaults_to_the_user_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XMFIN_CACHE_DIR", raising=False)
    monkeypatch.delenv("XMFIN_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "xmfin"
    monkeypatch.setenv("XMFIN_NO_CACHE", "1")
    assert cache.cache_dir() is None


def test_a_fifo_is_left_to_the_reader_to_report(tmp_path: Path, cached: Path) -> None:
    data = folder(tmp_path)
    (data / "licences.yaml").unlink()
    os.mkfifo(data / "licences.yaml")
    _, problems = check_folder(data)  # would wait forever if the cache read the FIFO
    assert any("not a regular file" in p.message for p in problems)


class _Planted:
    """Unpickles into a call of os.system: what a planted entry would try."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def test_a_planted_entry_cannot_run_code(tmp_path: Path, cached: Path, computed: list[str]) -> None:
    import pickle

    data = folder(tmp_path)
    expected = check_folder(data)
    check_folder(data)
    (entry,) = cached.glob("*.pickle")
    marker = tmp_path / "ran"
    entry.write_bytes(pickle.dumps((_Planted(marker), [])))
    assert check_folder(data) == expected
    assert not marker.exists()
    assert len(computed) == 3
