"""The cache of checked folders: keyed by content, stored on second sight, never stale, never in the way."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import pytest

from xmfin.storage import cache, loading
from xmfin.storage.loading import check_folder

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

    def counting(path: Path, label: str, jobs: int = 1, files: Any = None) -> cache.Result:
        calls.append(label)
        return real(path, label, jobs, *([] if files is None else [files]))

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


def test_a_file_that_changes_a_b_a_during_a_load_cannot_put_b_under_a(
    tmp_path: Path, cached: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each read of entities.yaml moves the file on disk to its next content, B then A again: whatever the
    loader reads, the entry it stores must hold the result of the bytes it is stored under."""
    data = folder(tmp_path)
    entities = data / "entities.yaml"
    check_folder(data)  # seen once: the next load of this content stores an entry
    after_each_read = [ENTITIES.replace("stake: 60", "stake: 70"), ENTITIES]

    def moving(read: Any) -> Any:
        def reading(path: Any, *args: Any, **kwargs: Any) -> bytes:
            content = bytes(read(path, *args, **kwargs))
            if Path(path) == entities and after_each_read:
                entities.write_text(after_each_read.pop(0), encoding="utf-8")
            return content

        return reading

    monkeypatch.setattr(Path, "read_bytes", moving(Path.read_bytes))
    monkeypatch.setattr(loading, "read_regular", moving(loading.read_regular))
    check_folder(data)
    monkeypatch.undo()
    monkeypatch.setenv("XMFIN_CACHE_DIR", str(cached))
    monkeypatch.delenv("XMFIN_NO_CACHE", raising=False)
    monkeypatch.setattr(cache, "MIN_BYTES", 0)
    entities.write_text(ENTITIES, encoding="utf-8")  # A again, whichever content the file was left at
    served, _ = check_folder(data)
    assert [h.stake for h in served.holdings] == [60.0]
    assert check_folder(data) == loading._check_folder(data, str(data))


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
    data = folder(tmp_path)
    expected = check_folder(data)
    check_folder(data)
    (entry,) = cached.glob("*.pickle")
    marker = tmp_path / "ran"
    # Sealed with the right key and checksum (there is no secret): the unpickler itself must refuse it.
    entry.write_bytes(cache.sealed(entry.stem, pickle.dumps((_Planted(marker), []))))
    assert check_folder(data) == expected
    assert not marker.exists()
    assert len(computed) == 3


# --- entries: bound to their key, checksummed, dropped when bad, never through a link, written whole ------------


def stored(tmp_path: Path, computed: list[str], cached: Path) -> tuple[Path, Path, cache.Result]:
    """A folder with its entry in the cache: (folder, entry, the result)."""
    data = folder(tmp_path)
    expected = check_folder(data)
    check_folder(data)
    (entry,) = cached.glob("*.pickle")
    del computed[:]
    return data, entry, expected


def test_every_single_bit_flip_of_an_entry_is_detected(tmp_path: Path, cached: Path, computed: list[str]) -> None:
    _, entry, _ = stored(tmp_path, computed, cached)
    good = entry.read_bytes()
    key = entry.stem
    assert cache.unsealed(good, key) is not None
    for bit in range(len(good) * 8):
        flipped = bytearray(good)
        flipped[bit // 8] ^= 1 << (bit % 8)
        assert cache.unsealed(bytes(flipped), key) is None, bit
    for cut in range(len(good)):
        assert cache.unsealed(good[:cut], key) is None, cut


def test_a_flipped_entry_is_never_served(tmp_path: Path, cached: Path, computed: list[str]) -> None:
    """The hostile test's own measure: 120 single-bit flips spread over the entry, each read by check_folder."""
    data, entry, expected = stored(tmp_path, computed, cached)
    good = entry.read_bytes()
    bits = len(good) * 8
    for n in range(120):
        bit = n * bits // 120
        flipped = bytearray(good)
        flipped[bit // 8] ^= 1 << (bit % 8)
        entry.write_bytes(bytes(flipped))
        assert check_folder(data) == expected
        assert len(computed) == n + 1, f"bit {bit} was served"
        assert entry.read_bytes() == good  # dropped, and stored again from a fresh load


def test_an_entry_copied_from_another_key_is_not_served(tmp_path: Path, cached: Path, computed: list[str]) -> None:
    one = folder(tmp_path, name="one")
    two = folder(tmp_path, ENTITIES.replace("stake: 60", "stake: 70"), name="two")
    for _ in range(2):
        check_folder(one)
        check_folder(two)
    entries = sorted(cached.glob("*.pickle"))
    assert len(entries) == 2
    first, second = (entry.read_bytes() for entry in entries)
    entries[0].write_bytes(second)
    entries[1].write_bytes(first)
    del computed[:]
    assert [h.stake for h in check_folder(one)[0].holdings] == [60.0]
    assert [h.stake for h in check_folder(two)[0].holdings] == [70.0]
    assert len(computed) == 2


@pytest.mark.parametrize(
    "payload",
    [
        pickle.dumps("a text"),
        pickle.dumps((1, 2)),
        pickle.dumps(("not a dataset", [])),
        b"\x80\x05not really a pickle",
    ],
    ids=["a text", "a pair", "no dataset", "broken pickle"],
)
def test_an_entry_that_fails_after_its_checksum_is_dropped(
    tmp_path: Path, cached: Path, computed: list[str], payload: bytes
) -> None:
    data, entry, expected = stored(tmp_path, computed, cached)
    good = entry.read_bytes()
    entry.write_bytes(cache.sealed(entry.stem, payload))
    assert cache._read(entry, entry.stem) is None
    assert not entry.exists()  # dropped, whatever failed
    entry.write_bytes(cache.sealed(entry.stem, payload))
    assert check_folder(data) == expected
    assert computed == [str(data)]
    assert not entry.exists()  # dropped; the folder was read again, after the key was made: not stored
    assert check_folder(data) == expected
    assert entry.read_bytes() == good  # stored by the next load


def test_an_entry_whose_problems_are_not_problems_is_dropped(tmp_path: Path, cached: Path, computed: list[str]) -> None:
    data, entry, expected = stored(tmp_path, computed, cached)
    dataset, _ = expected
    entry.write_bytes(cache.sealed(entry.stem, cache.dump_records((dataset, ["not a problem"]))))
    assert check_folder(data) == expected
    assert computed == [str(data)]


def _key_of(data: Path) -> str:
    key = cache._key(loading.read_data_files(data), str(data))
    assert key is not None
    return key


def test_a_marker_that_is_a_link_is_not_followed(tmp_path: Path, cached: Path, computed: list[str]) -> None:
    data = folder(tmp_path)
    cached.mkdir()
    victim = tmp_path / "victim"
    marker = cached / f"{_key_of(data)}.seen"
    marker.symlink_to(victim)
    for _ in range(3):
        check_folder(data)
    assert not victim.exists()  # not created through the link
    assert not list(cached.glob("*.pickle"))  # a link is no marker: nothing is stored on its word
    victim.write_bytes(b"precious")
    stamp = victim.stat().st_mtime_ns
    os.utime(victim, ns=(stamp - 10**9, stamp - 10**9))
    check_folder(data)
    assert victim.read_bytes() == b"precious" and victim.stat().st_mtime_ns == stamp - 10**9


def test_an_entry_that_is_a_link_is_not_followed(tmp_path: Path, cached: Path, computed: list[str]) -> None:
    data, entry, expected = stored(tmp_path, computed, cached)
    elsewhere = tmp_path / "elsewhere.pickle"
    elsewhere.write_bytes(entry.read_bytes())  # a good entry, but reached through a link
    entry.unlink()
    entry.symlink_to(elsewhere)
    assert check_folder(data) == expected
    assert computed == [str(data)]
    assert not entry.is_symlink()  # the link was replaced by an entry written here
    assert elsewhere.read_bytes() == cache.sealed(entry.stem, cache.unsealed(entry.read_bytes(), entry.stem) or b"")


def test_a_failed_write_leaves_no_entry_and_no_temporary_file(
    tmp_path: Path, cached: Path, computed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = folder(tmp_path)
    expected = check_folder(data)

    def refuse(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    assert check_folder(data) == expected
    assert sorted(p.name for p in cached.iterdir()) == [f"{_key_of(data)}.seen"]


def test_a_write_that_fails_half_way_leaves_nothing(
    tmp_path: Path, cached: Path, computed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from xmfin import fileio

    data = folder(tmp_path)
    expected = check_folder(data)
    real = fileio._stream

    class Full:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def write(self, data: bytes) -> int:
            self.inner.write(data[:100])
            raise OSError(28, "No space left on device")

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        def __enter__(self) -> Any:
            return self

        def __exit__(self, *exc: object) -> None:
            self.inner.close()

    monkeypatch.setattr(fileio, "_stream", lambda *args: Full(real(*args)))
    assert check_folder(data) == expected
    assert sorted(p.name for p in cached.iterdir()) == [f"{_key_of(data)}.seen"]


def test_stale_temporary_files_are_pruned_and_never_count_as_entries(
    tmp_path: Path, cached: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "MAX_ENTRIES", 1)
    cached.mkdir()
    stale = cached / ".0123.pickle.abcd.xmfin-tmp"
    stale.write_bytes(b"half an entry")
    os.utime(stale, (0, 0))
    data = folder(tmp_path)
    for _ in range(3):
        check_folder(data)
    assert not stale.exists()
    assert len(list(cached.glob("*.pickle"))) == 1
