"""Loading a data folder: records as typed, defaults, and every problem with its file, line and column."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from xmfin.errors import DataError, Problem, UsageError
from xmfin.model import Entity
from xmfin.storage.loading import check_folder, load

from .conftest import fixture_path, load_case

LICENCES = """\
version: 1
families:
  bank: {name: Banking, core: true}
categories:
  commercial-bank: {family: bank, name: Commercial bank}
"""
ENTITIES_HEAD = """\
version: 1
sources:
  src: {title: A source}
entities:
  a: {name: A Co, jurisdiction: HK, sources: [src]}
  b: {name: B Co, jurisdiction: CN, sources: [src]}
"""


def folder(tmp_path: Path, entities: str = ENTITIES_HEAD, licences: str = LICENCES) -> Path:
    """A data folder made of the two texts (dedented)."""
    (tmp_path / "entities.yaml").write_text(textwrap.dedent(entities), encoding="utf-8")
    (tmp_path / "licences.yaml").write_text(textwrap.dedent(licences), encoding="utf-8")
    return tmp_path


def problems(path: Path) -> list[Problem]:
    return check_folder(path, "d")[1]


def only_error(path: Path) -> Problem:
    errors = [p for p in problems(path) if p.severity == "error"]
    assert len(errors) == 1, errors
    return errors[0]


CASES = ["basic", "diamond", "vie", "cycle", "change", "minority", "claim", "undisclosed", "names", "nodefault"]


@pytest.mark.parametrize("case", CASES)
def test_every_valid_fixture_loads_without_problems(case: str) -> None:
    assert check_folder(fixture_path(case))[1] == []


def test_records_are_typed_with_their_defaults() -> None:
    data = load_case("basic")
    assert list(data.groups) == ["alpha", "beta"]
    assert data.default_group is not None and data.default_group.id == "alpha"
    top = data.entities["alpha-top"]
    assert (top.name, top.name_zh, top.jurisdiction, top.kind, top.sources) == (
        "Alpha Holdings",
        "阿尔法控股",
        "KY",
        "company",
        ("src",),
    )
    assert data.entities["person"].kind == "person"
    first = data.holdings[0]
    assert (first.owner, first.owned, first.stake, first.control, first.since) == (
        "alpha-top",
        "alpha-hk",
        100.0,
        "equity",
        None,
    )
    assert isinstance(first.stake, float)
    vie = data.holdings[2]
    assert (vie.control, vie.stake) == ("vie", None)
    loans = data.holdings[1]
    assert loans.since is not None and loans.since.text == "2015-06"
    assert data.families["bank"].core and not data.families["lending"].core
    assert data.family_of("microcredit") == "lending"
    claim = data.claims[0]
    assert (claim.group, claim.family, str(claim.as_of), claim.note) == ("beta", "bank", "2019-05", "Claimed.")


def test_names_include_former_names_and_aliases() -> None:
    orion: Entity = load_case("names").entities["orion-bank"]
    assert orion.names() == ["Orion", "猎户座银行", "Old Orion Bank", "OB"]
    assert orion.country == "CN"
    assert str(orion.former_names[0].until) == "2018"


def test_records_remember_where_they_stand() -> None:
    data = load(fixture_path("invalid").parent / "basic", "basic")
    assert str(data.entities["alpha-top"].loc) == "basic/entities.yaml:8:14"


def test_null_stake_is_undisclosed() -> None:
    data = load_case("undisclosed")
    assert next(h for h in data.holdings if h.owned == "target" and h.owner == "mid").stake is None


def test_missing_folder_is_bad_usage(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        load(tmp_path / "nowhere")


def test_a_file_is_not_a_folder(tmp_path: Path) -> None:
    file = tmp_path / "entities.yaml"
    file.write_text("version: 1\n")
    with pytest.raises(UsageError, match="is not a folder"):
        load(file)


def test_invalid_data_raises_with_file_line_and_column() -> None:
    with pytest.raises(DataError) as raised:
        load(fixture_path("invalid"), "invalid")
    assert str(raised.value) == (
        "invalid/entities.yaml:10:12: error: owner 'acme-crop' is not a known entity (did you mean 'acme-corp'?)"
    )
    assert raised.value.exit_code == 1


def test_label_defaults_to_the_folder_as_given() -> None:
    path = fixture_path("invalid")
    (problem,) = check_folder(path)[1]
    assert problem.loc.file == str(path / "entities.yaml")


def test_missing_file(tmp_path: Path) -> None:
    (tmp_path / "entities.yaml").write_text(ENTITIES_HEAD)
    problem = only_error(tmp_path)
    assert (
        str(problem)
        == "d/licences.yaml:1:1: error: file not found: a data folder needs entities.yaml and licences.yaml"
    )


def test_empty_file(tmp_path: Path) -> None:
    assert "the file is empty" in only_error(folder(tmp_path, licences="")).message


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    path = folder(tmp_path, ENTITIES_HEAD + "holdings:\n  - {owner: a, owned: b, stke: 50, sources: [src]}\n")
    problem = only_error(path)
    assert (problem.loc.line, problem.loc.column) == (8, 26)
    assert problem.message == "unknown key 'stke' in holding (did you mean 'stake' or 'stake_min' or 'stake_max'?)"


def test_extra_is_kept_and_ignored(tmp_path: Path) -> None:
    path = folder(tmp_path, ENTITIES_HEAD + "holdings:\n  - {owner: a, owned: b, extra: {anything: [1, 2]}}\n")
    assert [p.severity for p in problems(path)] == ["warning"]  # no source named


def test_unquoted_no_is_norway_not_false(tmp_path: Path) -> None:
    entities = ENTITIES_HEAD.replace("jurisdiction: HK", "jurisdiction: NO")
    assert load(folder(tmp_path, entities)).entities["a"].jurisdiction == "NO"


@pytest.mark.parametrize(
    ("holding", "message"),
    [
        ("{owner: a, owned: b, stake: 150}", "is out of range: a stake is a percentage, 0 < stake <= 100"),
        ("{owner: a, owned: b, stake: 0}", "is out of range: a stake is a percentage, 0 < stake <= 100"),
        ("{owner: a, owned: b, stake: '50'}", "stake: must be a number, not quoted text"),
        ("{owner: a, owned: b, since: 2019-13}", "since: '2019-13' is not a date: month 13 does not exist"),
        ("{owner: a, owned: b, control: vei}", "'control' cannot be 'vei' (did you mean 'vie'?)"),
        ("{owner: a, owned: a}", "'a' cannot hold itself"),
        ("{owner: a, owned: c}", "owned 'c' is not a known entity"),
        ("{owner: a, owned: b, since: 2020, until: 2019}", "holding until 2019 is before since 2020"),
        ("{owned: b}", "holding needs 'owner'"),
    ],
)
def test_bad_holdings(tmp_path: Path, holding: str, message: str) -> None:
    path = folder(tmp_path, ENTITIES_HEAD + f"holdings:\n  - {holding}\n")
    problem = only_error(path)
    assert message in problem.message
    assert problem.loc.file == "d/entities.yaml" and problem.loc.line == 8


def test_equity_stakes_over_100_on_one_day(tmp_path: Path) -> None:
    holdings = """\
    holdings:
      - {owner: a, owned: b, stake: 60, until: 2019-06}
      - {owner: c, owned: b, stake: 60, since: 2019-07}
      - {owner: d, owned: b, stake: 50, since: 2019-06}
    """
    entities = ENTITIES_HEAD + "  c: {name: C Co}\n  d: {name: D Co}\n" + textwrap.dedent(holdings)
    message = only_error(folder(tmp_path, entities)).message
    # 60% until 2019-06 (to its last day) and 50% since 2019-06 (from its first day) overlap in June 2019
    assert message.startswith("equity stakes in 'b' add up to 110%")
    assert "2019-06-01" in message


def test_vie_does_not_count_toward_the_equity_total(tmp_path: Path) -> None:
    holdings = "holdings:\n  - {owner: a, owned: b, stake: 100}\n  - {owner: c, owned: b, control: vie}\n"
    entities = ENTITIES_HEAD + "  c: {name: C Co}\n" + holdings
    assert [p for p in problems(folder(tmp_path, entities)) if p.severity == "error"] == []


def test_same_owner_twice_at_once(tmp_path: Path) -> None:
    holdings = "holdings:\n  - {owner: a, owned: b, stake: 10, until: 2019}\n  - {owner: a, owned: b, stake: 20}\n"
    message = only_error(folder(tmp_path, ENTITIES_HEAD + holdings)).message
    assert message.startswith("'a'") and "'b'" in message and "line 8" in message


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    entities = ENTITIES_HEAD + "  a: {name: A again}\n"
    problem = only_error(folder(tmp_path, entities))
    assert (problem.loc.file, problem.loc.line) == ("d/entities.yaml", 7)
    assert "duplicate" in problem.message


def test_other_format_version_is_an_error(tmp_path: Path) -> None:
    problem = only_error(folder(tmp_path, licences=LICENCES.replace("version: 1", "version: 2")))
    assert "format version" in problem.message and "is not supported: use 1" in problem.message


def test_every_problem_is_collected_in_file_order(tmp_path: Path) -> None:
    entities = ENTITIES_HEAD + "holdings:\n  - {owner: x, owned: b}\n  - {owner: a, owned: y}\n"
    found = problems(folder(tmp_path, entities, LICENCES + "claims:\n  - {group: nobody, family: bank}\n"))
    assert [(p.loc.file, p.loc.line, p.severity) for p in found] == [
        ("d/entities.yaml", 8, "warning"),
        ("d/entities.yaml", 8, "error"),
        ("d/entities.yaml", 9, "warning"),
        ("d/entities.yaml", 9, "error"),
        ("d/licences.yaml", 7, "warning"),
        ("d/licences.yaml", 7, "error"),
    ]


def test_warnings_do_not_stop_loading(tmp_path: Path) -> None:
    path = folder(tmp_path, ENTITIES_HEAD + "holdings:\n  - {owner: a, owned: b, stake: 10}\n")
    assert [p.message for p in problems(path)] == ["holding a -> b names no source: add 'sources: [SOURCE-ID]'"]
    assert len(load(path).holdings) == 1


def test_more_than_one_default_group(tmp_path: Path) -> None:
    groups = "groups:\n  one: {name: One, root: a, default: true}\n  two: {name: Two, root: b, default: true}\n"
    problem = only_error(folder(tmp_path, ENTITIES_HEAD + groups))
    assert problem.message.startswith("more than one default group ('one' and 'two')")


def test_a_value_converted_once_is_not_served_for_the_same_text_quoted(tmp_path: Path) -> None:
    # The loader remembers converted plain scalars (stakes, dates, ids...) while it reads a folder: a quoted
    # "51" after a plain 51 is still the quoted text it is, and the memory is emptied after the folder.
    from xmfin.storage import loading

    path = folder(
        tmp_path,
        ENTITIES_HEAD
        + "holdings:\n"
        + "  - {owner: a, owned: b, stake: 51, since: 2019, sources: [src]}\n"
        + "  - {owner: b, owned: a, stake: '51', since: '2019', sources: [src]}\n",
    )
    found = problems(path)
    assert [(p.loc.line, p.loc.column, p.message) for p in found] == [
        (9, 33, "stake: must be a number, not quoted text '51' (remove the quotes)")
    ]
    assert not loading._VALID_IDS and not any(loading._MEMOS.values())
