"""The Typer app: parses arguments, calls the core, picks the output. Nothing else.

Heavy modules (yaml, networkx, rich) are imported inside the commands so that `--help` and `--version`
stay light. Errors from the core are turned into one line on stderr and the documented exit code.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from xmfin import __version__

if TYPE_CHECKING:
    from xmfin.graph import OwnershipGraph
    from xmfin.model import Dataset

app = typer.Typer(
    name="xmfin",
    help="Who owns what, and who is licensed for what, inside financial groups.\n\n"
    "Examples:\n\n  xmfin tree\n\n  xmfin chain 'Chongqing Xiaomi Microcredit'\n\n"
    "  xmfin gaps xiaomi --vs ant --as-of 2019-05-15\n\n  xmfin gaps --vs ant --json | jq .gaps",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

F = TypeVar("F", bound=Callable[..., Any])

# Options shared by every command that reads data, defined once.
DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        envvar="XMFIN_DATA",
        help="Data folder (entities.yaml, licences.yaml). Default: $XMFIN_DATA, else the bundled dataset.",
        show_default=False,
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", metavar="DATE", help="Day to look at: YYYY, YYYY-MM or YYYY-MM-DD (end of period)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of text.")]
MinStakeOption = Annotated[
    float | None,
    typer.Option("--min-stake", metavar="P", help="Count only holders with an effective stake of at least P%."),
]


def bundled_data() -> Path:
    """The dataset shipped with the package (inside the wheel), or the checkout's data/ when run from source."""
    from importlib.resources import files

    packaged = Path(str(files("xmfin"))) / "data"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "data"


@dataclass
class Session:
    """What a command works on: the loaded dataset and the day."""

    data: Dataset
    day: dt.date
    _graph: OwnershipGraph | None = None

    @property
    def graph(self) -> OwnershipGraph:
        if self._graph is None:
            from xmfin.graph import OwnershipGraph

            self._graph = OwnershipGraph(self.data, self.day)
        return self._graph


def parse_as_of(as_of: str | None) -> dt.date:
    from xmfin.dates import DateError, as_of_day
    from xmfin.errors import UsageError

    try:
        return as_of_day(as_of)
    except DateError as error:
        raise UsageError(f"--as-of: {error}") from None


def data_folder(data: Path | None) -> tuple[Path, str]:
    """The folder to read and how its files are named in messages."""
    if data is None:
        return bundled_data(), "data"
    return data, str(data)


def open_session(data: Path | None, as_of: str | None) -> Session:
    from xmfin.loading import load

    day = parse_as_of(as_of)
    folder, label = data_folder(data)
    return Session(load(folder, label), day)


def fail(message: str, code: int) -> typer.Exit:
    sys.stderr.write(f"xmfin: error: {message}\n")
    return typer.Exit(code)


def reports_errors(command: F) -> F:
    """Turn xmfin's errors into one line each on stderr and the documented exit code; never a traceback."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        from xmfin.errors import DataError, XmfinError

        try:
            return command(*args, **kwargs)
        except DataError as error:
            errors = [p for p in error.problems if p.severity == "error"]
            for problem in errors[:10]:
                sys.stderr.write(f"{problem}\n")
            more = f" ({len(errors) - 10} more)" if len(errors) > 10 else ""
            raise fail(f"the data is invalid{more}; run 'xmfin check' for every problem", 1) from None
        except XmfinError as error:
            raise fail(str(error), error.exit_code) from None

    return run  # type: ignore[return-value]


def check_min_stake(min_stake: float | None) -> None:
    from xmfin.errors import UsageError

    if min_stake is not None and not 0 <= min_stake <= 100:
        raise UsageError(f"--min-stake {min_stake:g} is out of range: give a percentage from 0 to 100")


def version_callback(value: bool) -> None:
    if value:
        sys.stdout.write(f"xmfin {__version__}\n")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=version_callback, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Who owns what, and who is licensed for what, inside financial groups."""


@app.command()
@reports_errors
def tree(
    target: Annotated[str | None, typer.Argument(help="Entity or group; default: the default group's root.")] = None,
    up: Annotated[bool, typer.Option("--up", help="Show the owners above TARGET instead.")] = False,
    depth: Annotated[int | None, typer.Option("--depth", min=0, help="Levels to show below (or above).")] = None,
    min_stake: MinStakeOption = None,
    data: DataOption = None,
    as_of: AsOfOption = None,
    json: JsonOption = False,
) -> None:
    """The holding tree down from TARGET (or up from it), with stakes, control, effective stakes, licences.

    Example: xmfin tree xiaomi --as-of 2019
    """
    from xmfin.licensing import licences_by_holder
    from xmfin.lookup import default_group, find_entity

    check_min_stake(min_stake)
    session = open_session(data, as_of)
    root = (
        find_entity(session.data, target) if target else session.data.entities[default_group(session.data, None).root]
    )
    top = session.graph.tree(root.id, up=up, depth=depth, min_stake=min_stake)
    licences = licences_by_holder(session.data, session.day)
    if json:
        from xmfin.output.jsonout import document, emit, tree_json

        emit(document(session.day, direction="up" if up else "down", root=tree_json(top, licences)))
        return
    from xmfin.output.render import console, render_tree

    render_tree(console(), top, licences, up)


@app.command()
@reports_errors
def chain(
    entity: Annotated[str, typer.Argument(help="The entity to trace up to its top owners.")],
    from_: Annotated[str | None, typer.Option("--from", help="Trace from this owner only.")] = None,
    data: DataOption = None,
    as_of: AsOfOption = None,
    json: JsonOption = False,
) -> None:
    """Every holding path from the top owner(s) down to ENTITY, and the effective stake.

    Example: xmfin chain 'XW Bank'
    """
    from xmfin.errors import UsageError
    from xmfin.lookup import find_entity

    session = open_session(data, as_of)
    graph = session.graph
    target = find_entity(session.data, entity).id
    if from_ is not None:
        tops = [find_entity(session.data, from_).id]
        above = graph.effective_to(target)
        if tops[0] not in above:
            raise UsageError(f"'{tops[0]}' holds no stake in '{target}' on {session.day.isoformat()}")
    else:
        above = graph.effective_to(target)
        tops = sorted(graph.top_owners(target), key=lambda top: (-above[top].lower_bound, top))
    controllers = graph.controllers_of(target)
    paths: list[list[str]] = []
    truncated = False
    for top in tops:
        found, more = graph.paths(top, target)
        paths.extend(found)
        truncated = truncated or more
    if json:
        from xmfin.output.jsonout import chain_paths, document, effective_fields, emit

        by_owner = {top: effective_fields(above[top], top in controllers) for top in tops}
        first = by_owner[tops[0]]
        emit(
            document(
                session.day,
                entity=target,
                **{"from": tops},
                paths=chain_paths(graph, paths),
                paths_truncated=truncated,
                effective_stake=first["effective_stake"],
                **({"effective_stake_min": first["effective_stake_min"]} if "effective_stake_min" in first else {}),
                controlled=first["controlled"],
                via_vie=first["via_vie"],
                by_owner=by_owner,
            )
        )
        return
    from rich.markup import escape

    from xmfin.output.render import console, effective_label, render_paths

    out = console()
    render_paths(out, graph, paths)
    if truncated:
        out.print(f"[yellow]only the first {len(paths)} paths are shown[/]")
    for top in tops:
        name = escape(session.data.entities[top].name)
        control = "controls it" if top in controllers else "does not control it"
        out.print(f"{name}: {effective_label(above[top])}, {control}")


@app.command()
@reports_errors
def show(
    entity: Annotated[str, typer.Argument(help="Entity id, name, Chinese name, former name or alias.")],
    data: DataOption = None,
    as_of: AsOfOption = None,
    json: JsonOption = False,
) -> None:
    """One entity: names, jurisdiction, dates, owners, holdings, licences, roles, figures, with sources.

    Example: xmfin show 天星银行
    """
    from xmfin.lookup import find_entity
    from xmfin.profile import entity_profile

    session = open_session(data, as_of)
    profile = entity_profile(session.graph, find_entity(session.data, entity).id)
    if json:
        from xmfin.output.jsonout import emit, profile_json

        emit(profile_json(profile))
        return
    from xmfin.output.render import console, render_profile

    render_profile(console(), profile)


@app.command()
@reports_errors
def gaps(
    group: Annotated[str | None, typer.Argument(help="Group id or name; default: the default group.")] = None,
    vs: Annotated[
        list[str] | None, typer.Option("--vs", help="A peer group (repeat for several); default: every other group.")
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Compare precise categories, not families.")] = False,
    core: Annotated[bool, typer.Option("--core", help="Only the core families (bank, insurance, ...).")] = False,
    min_stake: MinStakeOption = None,
    controlled: Annotated[bool, typer.Option("--controlled", help="Count only controlled holders.")] = False,
    data: DataOption = None,
    as_of: AsOfOption = None,
    json: JsonOption = False,
) -> None:
    """The licence-gap table: what GROUP holds, claims and lacks against its peers.

    Example: xmfin gaps xiaomi --vs ant --vs tencent --core
    """
    from xmfin.errors import UsageError
    from xmfin.licensing import Filters, gap_table
    from xmfin.lookup import default_group, find_group

    check_min_stake(min_stake)
    session = open_session(data, as_of)
    own = default_group(session.data, group)
    peers = (
        [find_group(session.data, peer).id for peer in vs] if vs else [g for g in session.data.groups if g != own.id]
    )
    if not peers:
        raise UsageError("no peer to compare with: give --vs GROUP")
    table = gap_table(session.graph, own.id, peers, strict=strict, core=core, filters=Filters(min_stake, controlled))
    if json:
        from xmfin.output.jsonout import emit, gaps_json

        emit(gaps_json(table, session.data, session.day))
        return
    from xmfin.output.render import console, render_gaps

    render_gaps(console(), table, session.data, session.day)


@app.command()
@reports_errors
def check(data: DataOption = None, json: JsonOption = False) -> None:
    """Validate the data folder: every problem as FILE:LINE:COL: error|warning: message; exit 1 on errors.

    Example: xmfin check --data my-research/
    """
    from xmfin.errors import UsageError
    from xmfin.loading import check_folder

    folder, label = data_folder(data)
    if not folder.is_dir():
        raise UsageError(f"data folder '{folder}' {'is not a folder' if folder.exists() else 'does not exist'}")
    dataset, problems = check_folder(folder, label)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if json:
        from xmfin.output.jsonout import document, emit, problem_json

        emit(document(ok=errors == 0, problems=[problem_json(p) for p in problems], counts=_counts(dataset)))
    else:
        for problem in problems:
            sys.stdout.write(f"{problem}\n")
        counts = ", ".join(f"{n} {name}" for name, n in _counts(dataset).items())
        verdict = "invalid" if errors else "ok"
        sys.stderr.write(f"{label}: {verdict}: {errors} errors, {warnings} warnings ({counts})\n")
    if errors:
        raise typer.Exit(1)


def _counts(dataset: Dataset) -> dict[str, int]:
    return {
        name: len(getattr(dataset, name))
        for name in (
            "sources",
            "groups",
            "entities",
            "holdings",
            "roles",
            "families",
            "categories",
            "licences",
            "claims",
        )
    }


def main() -> None:
    """The console script."""
    app()
