"""Errors at the command line: bad arguments exit 2, bad data exits 1, one clear line each, never a traceback.

Also holds docs/errors.md to the code: every message template it lists is one the code can emit, and every
message the code can emit is listed.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from xmfin.cli import app

from .test_checks import ENTITIES, LICENCES, make_folder, replaced

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def good(tmp_path: Path) -> Path:
    """A valid data folder (groups alpha and beta)."""
    entities = replaced(ENTITIES, "  alpha: {", "  beta: {name: Beta, root: boss}\n  alpha: {")
    return make_folder(tmp_path / "good", entities, LICENCES)


def run(*args: str) -> Result:
    """`xmfin ARGS` in-process, with no data folder or colour from the environment."""
    return CliRunner(env={"XMFIN_DATA": None, "NO_COLOR": "1", "COLUMNS": "200"}).invoke(app, list(args))


def assert_clean_exit(result: Result, code: int) -> None:
    """The exit code is code and nothing escaped as a Python exception."""
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


# (name, arguments after the command, expected stderr). Every one is bad usage: exit 2, one line, stdout empty.
USAGE_CASES = [
    ("unknown entity", ["tree", "nobody"], "xmfin: error: no entity matches 'nobody'; try 'xmfin search'"),
    (
        "unknown entity, close to an id",
        ["show", "bnak"],
        "xmfin: error: no entity matches 'bnak' (did you mean 'bank'?); try 'xmfin search'",
    ),
    (
        "several entities match",
        ["chain", "co"],
        "xmfin: error: 'co' matches 2 entities: top (Top Co), mid (Mid Co); give an id",
    ),
    (
        "unknown group",
        ["gaps", "alfa"],
        "xmfin: error: unknown group 'alfa' (did you mean 'alpha'?); known groups: beta, alpha",
    ),
    (
        "unknown peer group",
        ["gaps", "alpha", "--vs", "betta"],
        "xmfin: error: unknown group 'betta' (did you mean 'beta'?); known groups: beta, alpha",
    ),
    (
        "a group compared with itself",
        ["gaps", "alpha", "--vs", "alpha"],
        "xmfin: error: --vs alpha is the group itself: compare it with another group",
    ),
    (
        "an --as-of that is no date",
        ["tree", "--as-of", "yesterday"],
        "xmfin: error: --as-of: 'yesterday' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)",
    ),
    (
        "an --as-of in a month that does not exist",
        ["gaps", "--as-of", "2019-13"],
        "xmfin: error: --as-of: '2019-13' is not a date: month 13 does not exist",
    ),
    (
        "an --as-of on an impossible day",
        ["show", "top", "--as-of", "2019-02-30"],
        "xmfin: error: --as-of: '2019-02-30' is not a date: 2019-02 has 28 days",
    ),
    (
        "an --as-of in full-width digits",
        ["tree", "--as-of", "\uff12\uff10\uff11\uff19"],
        "xmfin: error: --as-of: '\uff12\uff10\uff11\uff19' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)",
    ),
    (
        "--min-stake over 100",
        ["tree", "--min-stake", "150"],
        "xmfin: error: --min-stake 150 is out of range: give a percentage from 0 to 100",
    ),
    (
        "--min-stake below 0",
        ["gaps", "alpha", "--vs", "beta", "--min-stake", "-1"],
        "xmfin: error: --min-stake -1 is out of range: give a percentage from 0 to 100",
    ),
    (
        "--min-stake not a number",
        ["tree", "--min-stake", "nan"],
        "xmfin: error: --min-stake nan is out of range: give a percentage from 0 to 100",
    ),
    (
        "chain --from an entity that holds nothing in it",
        ["chain", "bank", "--from", "boss", "--as-of", "2020"],
        "xmfin: error: no recorded holding of 'boss' in 'bank' on 2020-12-31",
    ),
]


@pytest.mark.parametrize(("args", "stderr"), [c[1:] for c in USAGE_CASES], ids=[c[0] for c in USAGE_CASES])
def test_bad_usage_is_one_line_and_exit_2(good: Path, args: list[str], stderr: str) -> None:
    result = run(*args, "--data", str(good))
    assert_clean_exit(result, 2)
    assert result.stderr == stderr + "\n"
    assert result.stdout == ""


@pytest.mark.parametrize("command", [["tree"], ["show", "top"], ["gaps"], ["chain", "bank"], ["check"]])
def test_data_folder_that_does_not_exist(tmp_path: Path, command: list[str]) -> None:
    result = run(*command, "--data", str(tmp_path / "nowhere"))
    assert_clean_exit(result, 2)
    assert result.stderr == f"xmfin: error: data path '{tmp_path / 'nowhere'}' does not exist\n"


@pytest.mark.parametrize("command", [["tree"], ["show", "top"], ["check"]])
def test_data_folder_that_is_a_file(good: Path, command: list[str]) -> None:
    file = good / "entities.yaml"
    result = run(*command, "--data", str(file))
    assert_clean_exit(result, 2)
    assert result.stderr == f"xmfin: error: data path '{file}' is neither a data folder nor an xmfin store\n"


def test_data_folder_from_the_environment_that_does_not_exist(tmp_path: Path) -> None:
    result = CliRunner(env={"XMFIN_DATA": str(tmp_path / "gone")}).invoke(app, ["tree"])
    assert_clean_exit(result, 2)
    assert result.stderr == f"xmfin: error: data path '{tmp_path / 'gone'}' does not exist\n"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["tree", "--depth", "-1"], "xmfin: error: invalid value for '--depth': -1 is less than 0"),
        (["tree", "--no-such-option"], "xmfin: error: no such option: --no-such-option"),
        (["tree", "--min-stake", "half"], "xmfin: error: invalid value for '--min-stake': 'half' is not a number"),
        (["chain"], "xmfin: error: missing argument 'ENTITY'"),
    ],
)
def test_typer_usage_errors_exit_2(good: Path, args: list[str], fragment: str) -> None:
    """Click's own usage errors in xmfin's one style: the error line, then the usage line (issue 17)."""
    result = run(*args, "--data", str(good))
    assert_clean_exit(result, 2)
    error, usage = result.stderr.splitlines()
    assert error == fragment
    command = args[0]
    assert usage.startswith(f"usage: xmfin {command} [OPTIONS]") and usage.endswith(f"(see 'xmfin {command} --help')")


# --- invalid data in every command ---------------------------------------------------------------------------------

SEVERAL = FIXTURES / "several-errors"
SEVERAL_ERRORS = [
    f"{SEVERAL}/entities.yaml:13:25: error: owned 'bnak' is not a known entity (did you mean 'bank'?)",
    f"{SEVERAL}/entities.yaml:14:38: error: stake: stake 130 is out of range: a stake is a percentage, "
    "0 < stake <= 100",
    f"{SEVERAL}/licences.yaml:7:54: error: granted: '2016-02-30' is not a date: 2016-02 has 29 days",
]
SEVERAL_WARNING = f"{SEVERAL}/entities.yaml:10:9: warning: entity 'bank' names no source: add 'sources: [SOURCE-ID]'"


@pytest.mark.parametrize(
    "command", [["tree"], ["tree", "top", "--json"], ["show", "top"], ["chain", "mid"], ["gaps", "--vs", "alpha"]]
)
def test_invalid_data_stops_every_command_with_exit_1(command: list[str]) -> None:
    result = run(*command, "--data", str(SEVERAL))
    assert_clean_exit(result, 1)
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        *SEVERAL_ERRORS,
        "xmfin: error: the data is invalid; run 'xmfin check' for every problem",
    ]


def test_only_the_first_ten_errors_are_shown_by_other_commands(tmp_path: Path) -> None:
    holdings = "".join(f"  - {{owner: top, owned: nobody-{n}, sources: [src]}}\n" for n in range(12))
    folder = make_folder(tmp_path, replaced(ENTITIES, "roles:\n", holdings + "roles:\n"))
    result = run("tree", "--data", str(folder))
    assert_clean_exit(result, 1)
    lines = result.stderr.splitlines()
    assert len(lines) == 11
    assert lines[-1] == "xmfin: error: the data is invalid (2 more); run 'xmfin check' for every problem"


# --- check ---------------------------------------------------------------------------------------------------------


def test_check_lists_every_problem_sorted_on_stdout_and_a_summary_on_stderr() -> None:
    result = run("check", "--data", str(SEVERAL))
    assert_clean_exit(result, 1)
    assert result.stdout.splitlines() == [SEVERAL_WARNING, *SEVERAL_ERRORS]
    assert result.stderr.startswith(f"{SEVERAL}: invalid: 3 errors, 1 warning (")
    assert len(result.stderr.splitlines()) == 1


def test_check_with_warnings_only_exits_0(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, replaced(ENTITIES, "{name: Mid Co, jurisdiction: HK, sources: [src]}", "{name: M}"))
    result = run("check", "--data", str(folder))
    assert_clean_exit(result, 0)
    assert (
        result.stdout
        == f"{folder}/entities.yaml:8:8: warning: entity 'mid' names no source: add 'sources: [SOURCE-ID]'\n"
    )
    assert result.stderr.startswith(f"{folder}: ok: 0 errors, 1 warning (")


def test_check_of_a_clean_folder_prints_nothing_on_stdout(good: Path) -> None:
    result = run("check", "--data", str(good))
    assert_clean_exit(result, 0)
    assert result.stdout == ""


def test_check_json_shape() -> None:
    result = run("check", "--json", "--data", str(SEVERAL))
    assert_clean_exit(result, 1)
    document = json.loads(result.stdout)
    assert document["xmfin"] == 1 and document["ok"] is False
    assert document["problems"][1] == {
        "file": f"{SEVERAL}/entities.yaml",
        "line": 13,
        "column": 25,
        "severity": "error",
        "message": "owned 'bnak' is not a known entity (did you mean 'bank'?)",
    }
    assert [p["severity"] for p in document["problems"]] == ["warning", "error", "error", "error"]
    assert result.stderr == ""


def test_check_json_of_a_folder_with_warnings_only_is_ok(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, ENTITIES.replace(", sources: [src]", ""))
    result = run("check", "--json", "--data", str(folder))
    assert_clean_exit(result, 0)
    document = json.loads(result.stdout)
    assert document["ok"] is True and {p["severity"] for p in document["problems"]} == {"warning"}


def test_a_relative_data_folder_is_named_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    result = run("check", "--json", "--data", "several-errors")
    assert json.loads(result.stdout)["problems"][0]["file"] == "several-errors/entities.yaml"


@pytest.mark.parametrize(
    "entities",
    [b"", b"\xff\xfe", b"- a list\n", b"a: &x 1\nb: *x\n", b"x: !!python/object/apply:os.system ['true']\n"],
    ids=["empty", "not utf-8", "a list", "an alias", "a tag"],
)
@pytest.mark.parametrize("command", [["check"], ["tree"]])
def test_broken_files_never_give_a_traceback(tmp_path: Path, entities: bytes, command: list[str]) -> None:
    result = run(*command, "--data", str(make_folder(tmp_path, entities)))
    assert_clean_exit(result, 1)
    output = result.stdout if command == ["check"] else result.stderr
    assert output.startswith(f"{tmp_path}/entities.yaml:1:")


# --- docs/errors.md and the code ----------------------------------------------------------------------------------

# Calls that carry a message a user reads, and the position of the message among their arguments.
MESSAGE_CALLS = {
    "UsageError": 0,
    "StoreError": 0,
    "UnknownName": 0,
    "ChartTooLarge": 0,
    "DataError": 0,
    "BodsError": 0,
    "OutputError": 0,
    "FtmError": 0,
    "CsvError": 0,
    "DateError": 0,
    "_Invalid": 0,
    "fail": 0,
    "report": 2,
    "problem": 2,
    "problem_at": 2,
    "_error": 2,
    "Problem": 2,
}


def skeleton(template: str) -> str:
    """A message with every varying part as {} (adjacent ones merged), so code and docs can be compared."""
    text = re.sub(r"\{[^{}]*\}", "{}", template)
    while "{}{}" in text:
        text = text.replace("{}{}", "{}")
    return text


def _literal(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.replace("{", "{{").replace("}", "}}") if "{" in node.value else node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)
    return None


def code_messages() -> dict[str, str]:
    """Every literal message in xmfin's code, as skeleton -> where it is."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "xmfin").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            position = MESSAGE_CALLS.get(name)
            if position is None or len(node.args) <= position:
                continue
            message = _literal(node.args[position])
            if message is not None:
                found.setdefault(skeleton(message), f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def documented_messages() -> list[str]:
    """The message templates in the first column of docs/errors.md's tables (after the exit code table)."""
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \|", text, flags=re.MULTILINE)
    return [row for row in rows if not row.isdigit()]


def test_every_documented_message_is_one_the_code_emits() -> None:
    code = code_messages()
    missing = [doc for doc in documented_messages() if skeleton(doc) not in code]
    assert missing == [], "docs/errors.md lists messages the code does not emit"


def test_every_message_the_code_emits_is_documented() -> None:
    documented = {skeleton(doc) for doc in documented_messages()}
    missing = [f"{where}: {message}" for message, where in code_messages().items() if message not in documented]
    assert missing == [], "add these messages to docs/errors.md"


def test_the_docs_list_the_exit_codes() -> None:
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    for code in ("| `0` |", "| `1` |", "| `2` |"):
        assert code in text
