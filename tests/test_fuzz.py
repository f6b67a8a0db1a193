"""A short fuzz run of the loader: random bytes and YAML-ish text never escape as anything but a DataError.

Bounded so that it belongs in the normal suite: a few hundred examples in all, no deadline per example, and a
size cap on each input. Every problem found must be one line with a real position.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xmfin.errors import DataError, Problem
from xmfin.storage.loading import check_folder
from xmfin.storage.yamlread import read_yaml

from .test_checks import ENTITIES, LICENCES

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Pieces of YAML syntax and of xmfin data, so random text often gets past the parser to the loader's checks.
TOKENS = [
    "version: 1\n",
    "entities:\n",
    "holdings:\n",
    "licences:\n",
    "sources:\n",
    "groups:\n",
    "  - ",
    "  a: ",
    "  b: {name: B, ",
    "owner: a, owned: b",
    "stake: ",
    "since: ",
    "until: ",
    "root: ",
    "default: true",
    "{",
    "}",
    "[",
    "]",
    ", ",
    ": ",
    "\n",
    "    ",
    "\t",
    "&x ",
    "*x",
    "!!python/object/apply:os.system ",
    "!tag ",
    "? ",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "'",
    '"',
    "|\n",
    ">-\n",
    "#",
    "~",
    "null",
    "NO",
    "yes",
    "1e999",
    "-0",
    "100",
    "2019-02-30",
    "2019-05",
    "é",
    "小米",
    "\x00",
    "\ufeff",
    "\x85",
    "\u2028",
]


def assert_problems_are_sound(problems: list[Problem]) -> None:
    for problem in problems:
        assert problem.loc.line >= 1 and problem.loc.column >= 1
        assert problem.severity in ("error", "warning")
        assert problem.message and "\n" not in problem.message and "\r" not in problem.message


def read(data: bytes) -> None:
    """read_yaml either returns plain values or raises DataError with sound problems; nothing else."""
    try:
        read_yaml(data, "f.yaml")
    except DataError as error:
        assert_problems_are_sound(error.problems)


@FUZZ
@given(st.binary(max_size=2_000))
def test_random_bytes(data: bytes) -> None:
    read(data)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=60).map("".join))
def test_yaml_ish_text(text: str) -> None:
    read(text.encode("utf-8"))


@FUZZ
@given(st.text(max_size=500), st.integers(0, len(ENTITIES)))
def test_random_text_spliced_into_a_data_folder(tmp_path: Path, noise: str, at: int) -> None:
    (tmp_path / "entities.yaml").write_text(ENTITIES[:at] + noise + ENTITIES[at:], encoding="utf-8")
    (tmp_path / "licences.yaml").write_text(LICENCES, encoding="utf-8")
    _, problems = check_folder(tmp_path)
    assert_problems_are_sound(problems)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join), st.integers(0, len(LICENCES)))
def test_yaml_tokens_spliced_into_a_data_folder(tmp_path: Path, noise: str, at: int) -> None:
    (tmp_path / "entities.yaml").write_text(ENTITIES, encoding="utf-8")
    (tmp_path / "licences.yaml").write_text(LICENCES[:at] + noise + LICENCES[at:], encoding="utf-8")
    _, problems = check_folder(tmp_path)
    assert_problems_are_sound(problems)
