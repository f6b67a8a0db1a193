"""The Typer app: parses arguments, calls the core, picks the output. Nothing else.

Heavy modules (yaml, networkx, rich) are imported inside the commands so that `--help` and `--version`
stay light. Errors from the core are turned into one line on stderr and the documented exit code.
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup

from xmfin import __version__, completion

if TYPE_CHECKING:
    from xmfin.api import Explorer
    from xmfin.errors import OutputError
    from xmfin.model import Dataset
    from xmfin.storage.access import Reach
    from xmfin.storage.store import Scope


class XmfinGroup(TyperGroup):
    """The command groups of xmfin: Click's own usage errors (an unknown option, a missing argument, a value out
    of range) are told in xmfin's one style, `xmfin: error: ...` and a usage line, exit 2 (docs/errors.md)."""

    def main(  # type: ignore[override]
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        click = click_exceptions()
        named_shell(list(sys.argv[1:] if args is None else args))
        try:
            done = super().main(
                args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False, **extra
            )
        except click.NoArgsIsHelpError as error:  # `xmfin` alone, `xmfin import`: the help
            if not standalone_mode:
                raise
            error.show()
            sys.exit(error.exit_code)
        except click.ClickException as error:
            if not standalone_mode:
                raise
            usage_error(error)
            sys.exit(2 if isinstance(error, click.UsageError) else error.exit_code)
        except typer.Abort:
            if not standalone_mode:
                raise
            sys.stderr.write("xmfin: aborted\n")
            sys.exit(1)
        if not standalone_mode:
            return done
        sys.exit(done if isinstance(done, int) else 0)


SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")


def named_shell(argv: list[str]) -> None:
    """`xmfin --show-completion SHELL` and `--install-completion SHELL`: for the shell named, as documented.

    Typer's options take no value where it can detect the shell it runs in: the SHELL was ignored, and a fish
    user asking from bash got the bash script. Here a shell named after either option is the one served; a name
    that is not a shell is bad usage. Either option alone is left to Typer (the shell it runs in)."""
    if len(argv) != 2 or argv[0] not in ("--show-completion", "--install-completion"):
        return
    shell = argv[1]
    if shell not in SHELLS:
        sys.stderr.write(
            f"xmfin: error: {argv[0]}: unknown shell '{terminal_safe(shell)}'; shells: {', '.join(SHELLS)}\n"
        )
        sys.exit(2)
    from typer._completion_shared import get_completion_script, install  # where Typer 0.28 defines them

    if argv[0] == "--show-completion":
        sys.stdout.write(get_completion_script(prog_name="xmfin", complete_var="_XMFIN_COMPLETE", shell=shell) + "\n")
    else:
        done, path = install(shell=shell, prog_name="xmfin", complete_var="_XMFIN_COMPLETE")
        sys.stdout.write(
            f"{done} completion installed in {path}\nCompletion will take effect once you restart the terminal\n"
        )
    sys.exit(0)


def terminal_safe(text: str) -> str:
    from xmfin.textsafe import terminal_text

    return terminal_text(text)


class XmfinCommand(TyperCommand):
    """A command whose usage line names a required argument as `ENTITY`, as the help and docs do (Typer 0.28
    writes `{ENTITY}`)."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        import re

        return [re.sub(r"^\{(.*)\}$", r"\1", piece) for piece in super().collect_usage_pieces(ctx)]

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Click's parser raises some of its usage errors without the command's context (`option '--vs'
        requires an argument`, `option '--json' does not take a value`): given it here, they get the usage
        line that every other usage error has."""
        click = click_exceptions()
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            if error.ctx is None:
                error.ctx = ctx
            raise


def click_exceptions() -> Any:
    """Click's exceptions module: Typer's own copy of Click where it has one (0.28), else Click's."""
    import importlib

    import typer.core

    vendored = getattr(typer.core, "_click", None)
    return (vendored if vendored is not None else importlib.import_module("click")).exceptions


def usage_error(error: Exception) -> None:
    """A usage error found by Click, in xmfin's style: the reason, then the usage of the command concerned."""
    click = click_exceptions()

    from xmfin.textsafe import terminal_text

    message = error.format_message() if isinstance(error, click.ClickException) else str(error)
    message = message.strip().rstrip(".")
    message = message[:1].lower() + message[1:] if message[:2] != message[:2].upper() else message
    sys.stderr.write(f"xmfin: error: {terminal_text(plain_reason(message))}\n")
    ctx = getattr(error, "ctx", None)
    if isinstance(error, click.UsageError) and ctx is not None:
        usage = ctx.get_usage().strip().removeprefix("Usage: ")
        sys.stderr.write(f"usage: {terminal_text(usage)}  (see '{ctx.command_path} --help')\n")


# Click names its types in its reasons (`'x' is not a valid int range`, `-1 is not in the range x>=0`): the
# reasons in words, as the help's metavars (N, P) are.
_CLICK_REASONS = (
    (re.compile(r"(.*) is not a valid (?:int range|integer range|integer|int)$"), r"\1 is not a whole number"),
    (re.compile(r"(.*) is not a valid (?:float range|float)$"), r"\1 is not a number"),
    (re.compile(r"(.*) is not in the range x>=(\S+)$"), r"\1 is less than \2"),
    (re.compile(r"(.*) is not in the range x<=(\S+)$"), r"\1 is more than \2"),
    (re.compile(r"(.*) is not in the range (\S+)<=x<=(\S+)$"), r"\1 is not from \2 to \3"),
)


def plain_reason(message: str) -> str:
    """A reason of Click's with its type names in words: `'x' is not a whole number`."""
    for pattern, replacement in _CLICK_REASONS:
        message = pattern.sub(replacement, message)
    return message


app = typer.Typer(
    name="xmfin",
    cls=XmfinGroup,
    help="Who owns what, and who is licensed for what, inside financial groups.\n\n"
    "Examples:\n\n  xmfin tree xiaomi --as-of 2019\n\n  xmfin chain 'XW Bank'\n\n"
    "  xmfin gaps xiaomi --vs ant --as-of 2019-05-15\n\n  xmfin init my-research && xmfin check --data my-research",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help and errors: no boxes; --help stays light
    # --install-completion and --show-completion (bash, zsh, fish); entity, group and licence names complete
    # through the callbacks below, which load the data only when a shell asks.
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    # Typer's pretty tracebacks print local variables, that is data; no traceback is ever shown (see main()).
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])


def path_argument(text: str) -> Path:
    """A path given on the command line. An empty one (`-o ""`, `--data "$UNSET"`) is bad usage: as a path it
    would mean the current folder, and an empty string never means a default."""
    if not text:
        raise typer.BadParameter("the path is empty: give a path ('.' for the current folder)")
    return Path(text)


# Options shared by every command that reads data, defined once.
DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        parser=path_argument,
        envvar="XMFIN_DATA",
        metavar="PATH",
        help="Data folder (entities.yaml, licences.yaml). Default: $XMFIN_DATA, else the bundled dataset.",
        show_default=False,
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", metavar="DATE", help="Day to look at: YYYY, YYYY-MM or YYYY-MM-DD (end of period)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of text.")]


def named(flag: str, metavar: str, help_: str, complete: Callable[..., list[tuple[str, str]]]) -> Any:
    """An option naming something in the data (a group, a licence family...), completed from the data."""
    return typer.Option(flag, metavar=metavar, help=help_, autocompletion=complete, show_default=False)


def naming(metavar: str, help_: str, complete: Callable[..., list[tuple[str, str]]]) -> Any:
    """An argument naming something in the data, completed from the data."""
    return typer.Argument(metavar=metavar, help=help_, autocompletion=complete, show_default=False)


# Arguments and options that name things in the data complete from the data (xmfin/completion.py).
EntityArgument = Annotated[
    str,
    naming("ENTITY", "An entity: id, name, Chinese name, former name or alias.", completion.entities),
]
TargetArgument = Annotated[
    str | None,
    naming("[ENTITY]", "An entity, or a group (its root); default: the default group's root.", completion.targets),
]
GroupArgument = Annotated[
    str | None,
    naming("[GROUP]", "A group: id, name or alias; default: the default group.", completion.groups),
]
VsOption = Annotated[
    list[str] | None,
    named("--vs", "GROUP", "A peer group (repeat for several); default: every other group.", completion.groups),
]
MinStakeOption = Annotated[
    float | None,
    typer.Option("--min-stake", metavar="P", help="Count only holders with an effective stake of at least P%."),
]


def parse_as_of(as_of: str | None) -> dt.date:
    from xmfin.dates import DateError, as_of_day
    from xmfin.errors import UsageError

    try:
        return as_of_day(as_of)
    except DateError as error:
        raise UsageError(f"--as-of: {error}") from None


def data_folder(data: Path | None) -> tuple[Path, str]:
    """The folder to read and how its files are named in messages: the bundled data by its real path, so that a
    message names a file the user can open (`check` adds BUNDLED_NOTE)."""
    if data is None:
        from xmfin.api import bundled_data

        return bundled_data(), str(bundled_data())
    return data, str(data)


BUNDLED_NOTE = "(the bundled data, installed with xmfin: make a copy to edit with `xmfin init DIR`)"


def scope(**parts: Any) -> Scope:
    """A Scope (store.Scope), imported only when a command reads data: `--help` and `--version` never need it."""
    from xmfin.storage.store import Scope

    return Scope(**parts)


def open_session(data: Path | None, as_of: str | None, reach: Callable[[Reach], Scope] | None = None) -> Explorer:
    """The library's Explorer over the data on the day: what every command that reads data asks.

    `reach` says which part of the records the command's answer reaches, from the names it was given (resolved
    as the command resolves them): a store reads only that part; a folder's records are all in memory anyway.
    """
    import gc

    from xmfin.api import Explorer
    from xmfin.storage.access import EVERYTHING, Reach, open_records

    day = parse_as_of(as_of)
    folder, label = data_folder(data)
    records = open_records(folder, label)
    part = EVERYTHING if records.store is None or reach is None else reach(Reach(records))
    explorer = Explorer(records.dataset(part), day)
    if _one_command:
        # The process loads once, then exits: the records are never garbage, so the collector need not walk them
        # again each time the graph or the output allocates (a seventh of the time of exporting 100k entities).
        gc.freeze()
    return explorer


def _roots_of(reach: Reach, groups: list[str | None] | None) -> tuple[str, ...]:
    """The roots of these groups (None: the default group); of every group when groups is None (no --vs: a
    group is compared with all the others)."""
    if groups is None:
        return reach.roots()
    return tuple(dict.fromkeys(reach.group(name).root for name in groups))


def fail(message: str, code: int) -> typer.Exit:
    """`xmfin: error: message` on stderr (data quoted in it shown safe for a terminal), and the exit to raise."""
    from xmfin.textsafe import terminal_text

    sys.stderr.write(f"xmfin: error: {terminal_text(message)}\n")
    return typer.Exit(code)


def stdout_error(error: OSError) -> OutputError:
    from xmfin.errors import OutputError

    reason = error.strerror or str(error)
    return OutputError(f"cannot write to standard output: {reason}", isinstance(error, BrokenPipeError))


class GuardedStdout:
    """sys.stdout while xmfin runs: an error writing it is raised as OutputError, so that it is told apart from
    an error reading or writing a file. A standard output closed before the start (`>&-`) cannot be written."""

    def __init__(self, inner: TextIO | None) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        try:
            if self.inner is None:
                raise OSError(errno.EBADF, "standard output is closed")
            return self.inner.write(text)
        except OSError as error:
            raise stdout_error(error) from None

    def flush(self) -> None:
        try:
            if self.inner is not None:
                self.inner.flush()
        except OSError as error:
            raise stdout_error(error) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def quiet_stdout(stream: TextIO | None) -> None:
    """After the reader of a pipe went away: point stdout at the null device, so that the flush at exit finds
    somewhere to put what is left in the buffer instead of complaining."""
    try:
        if stream is not None:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, stream.fileno())
            os.close(null)
    except (OSError, ValueError):
        return  # not a file descriptor (a test's captured stream): nothing will be flushed at exit


def printable(text: str, limit: int = 300) -> str:
    """text on one line, safe for a terminal (`textsafe.terminal_text`), cut to limit characters."""
    from xmfin.textsafe import terminal_text

    return terminal_text(text[:limit]) + ("..." if len(text) > limit else "")


def internal_error(error: BaseException) -> typer.Exit:
    """The last resort: one line naming the unexpected exception, exit 70 (EX_SOFTWARE). XMFIN_DEBUG=1 re-raises."""
    if os.environ.get("XMFIN_DEBUG", "") not in ("", "0"):
        raise error
    what = printable(f"{type(error).__name__}: {error}")
    sys.stderr.write(f"xmfin: internal error: {what}, please report it with `xmfin --version`\n")
    return typer.Exit(70)


def reports_errors(command: F) -> F:
    """Turn xmfin's errors into one line each on stderr and the documented exit code; never a traceback.

    Standard output is flushed before the command ends, so that a full disk is reported here; a reader that
    went away (`| head`) ends the command quietly with exit 0.
    """

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        from xmfin.errors import DataError, OutputError, XmfinError
        from xmfin.textsafe import terminal_text

        real = sys.stdout
        guarded = real if isinstance(real, GuardedStdout) else GuardedStdout(real)
        sys.stdout = guarded
        try:
            try:
                result = command(*args, **kwargs)
            except typer.Exit:  # `check` exits 1 after its lines: they are flushed here too
                guarded.flush()
                raise
            guarded.flush()
            return result
        except OutputError as error:
            if error.pipe_closed:
                quiet_stdout(guarded.inner)
                raise typer.Exit(0) from None
            raise fail(str(error), error.exit_code) from None
        except DataError as error:
            errors = [p for p in error.problems if p.severity == "error"]
            for problem in errors[:10]:
                sys.stderr.write(f"{terminal_text(str(problem))}\n")
            more = f" ({len(errors) - 10} more)" if len(errors) > 10 else ""
            raise fail(f"the data is invalid{more}; run 'xmfin check' for every problem", 1) from None
        except XmfinError as error:
            raise fail(str(error), error.exit_code) from None
        except (typer.Exit, typer.Abort):  # the command's own exit code, or Ctrl-C
            raise
        except Exception as error:
            raise internal_error(error) from None
        finally:
            sys.stdout = real

    return run  # type: ignore[return-value]


def count(n: int, word: str, plural: str | None = None) -> str:
    """`1 error`, `2 errors`, `0 warnings`; `1 entity`, `2 entities` with the plural given."""
    return f"{n} {word}" if n == 1 else f"{n} {plural or word + 's'}"


# The one record of each section of a data file, for counts in words (`1 entity`, `2 entities`).
SINGULAR = {
    "sources": "source",
    "groups": "group",
    "entities": "entity",
    "holdings": "holding",
    "roles": "role",
    "events": "event",
    "families": "family",
    "categories": "category",
    "licences": "licence",
    "claims": "claim",
}


def given(value: str | None, metavar: str, optional: bool = False) -> None:
    """Refuse an empty or blank name (`xmfin show ""`): it names nothing, whether the argument is optional or not."""
    from xmfin.errors import UsageError

    if value is not None and not value.strip():
        leave = " or leave it out" if optional else ""
        raise UsageError(f"{metavar} is empty: give an id or a name{leave}")


def check_min_stake(min_stake: float | None) -> None:
    from xmfin.errors import UsageError

    if min_stake is not None and not 0 <= min_stake <= 100:
        # repr, not :g, which rounds 100.0001 to "100" and makes the message contradict itself
        shown = repr(min_stake) if min_stake == min_stake and abs(min_stake) != float("inf") else f"{min_stake:g}"
        raise UsageError(f"--min-stake {shown.removesuffix('.0')} is out of range: give a percentage from 0 to 100")


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


@app.command(cls=XmfinCommand)
@reports_errors
def tree(
    target: TargetArgument = None,
    up: Annotated[bool, typer.Option("--up", help="Show the owners above ENTITY instead.")] = False,
    depth: Annotated[
        int | None, typer.Option("--depth", metavar="N", min=0, help="Levels to show below (or above).")
    ] = None,
    min_stake: MinStakeOption = None,
    data: DataOption = None,
    as_of: AsOfOption = None,
    json: JsonOption = False,
) -> None:
    """The holding tree below an entity or group (or its owners).

    Each node shows its link to the parent (stake, or vie), its effective stake from the top, and the licences
    it holds on the day.

    Examples:

      xmfin tree xiaomi --as-of 2019-05-15

      xmfin tree 'XW Bank' --up

      xmfin tree ant --depth 1 --json | jq '.root.children[].name'
    """
    from xmfin.licensing import licences_by_holder
    from xmfin.lookup import default_group, find_entity

    check_min_stake(min_stake)
    given(target, "ENTITY", optional=True)
    session = open_session(
        data, as_of, lambda r: scope(up=(r.target(target),)) if up else scope(down=(r.target(target),))
    )
    root = (
        find_entity(session.data, target)
        if target is not None
        else session.data.entities[default_group(session.data, None).root]
    )
    direction = "up" if up else "down"
    absent = session.absence(root.id)
    if absent is not None:
        # Nothing stood there on the day: say so, as an answer (exit 0), not as an error.
        if json:
            from xmfin.output.jsonout import document, emit

            emit(document(session.day, direction=direction, root=None, entity=root.id, absent=absent))
        else:
            from xmfin.output.render import console, not_there

            not_there(console(), root, absent, session.day)
        return
    top = session.graph.tree(root.id, up=up, depth=depth, min_stake=min_stake)
    licences = licences_by_holder(session.graph.data, session.day)
    if json:
        from xmfin.output.jsonout import document, emit, tree_json

        emit(document(session.day, direction=direction, root=tree_json(top, licences, session.graph)))
        return
    from xmfin.output.render import console, render_tree

    render_tree(console(), top, licences, up, session.graph)


@app.command(cls=XmfinCommand)
@reports_errors
def chain(
    entity: EntityArgument,
    from_: Annotated[
        str | None,
        named("--from", "ENTITY", "Trace from this owner only.", completion.entities),
    ] = None,
    data: DataOption = None,
    as_of: AsOfOption = None,
    json: JsonOption = False,
) -> None:
    """Every holding path from the top owners down to an entity.

    Then each top owner's effective stake in ENTITY and whether it controls it.

    Examples:

      xmfin chain 'XW Bank' --as-of 2019-05-15

      xmfin chain xw-bank --from xiaomi-corp

      xmfin chain alipay --json | jq '.by_owner'
    """
    given(entity, "ENTITY")
    session = open_session(
        data, as_of, lambda r: scope(up=(r.entity(entity),), also=(r.entity(from_),) if from_ is not None else ())
    )
    found = session.chain(entity, from_)
    if json:
        from xmfin.output.jsonout import chain_json, emit

        emit(chain_json(found, session.graph))
        return
    from xmfin.output.render import console, render_chain

    render_chain(console(), found, session.graph)


@app.command(cls=XmfinCommand)
@reports_errors
def show(
    entity: EntityArgument,
    data: DataOption = None,
    as_of: AsOfOption = None,
    json: JsonOption = False,
) -> None:
    """One entity with its owners, holdings, licences and sources.

    Names, jurisdiction, dates, owners, holdings, licences, roles and figures, each with its sources (links a
    terminal can open).

    Examples:

      xmfin show 天星银行

      xmfin show xiaomi-finance-hk --as-of 2019-05-15

      xmfin show airstar-bank --json | jq '.licences'
    """
    given(entity, "ENTITY")
    profile = open_session(data, as_of, lambda r: scope(up=(r.entity(entity),), near=(r.entity(entity),))).show(entity)
    if json:
        from xmfin.output.jsonout import emit, profile_json

        emit(profile_json(profile))
        return
    from xmfin.output.render import console, render_profile

    render_profile(console(), profile)


@app.command(cls=XmfinCommand)
@reports_errors
def gaps(
    group: GroupArgument = None,
    vs: VsOption = None,
    strict: Annotated[bool, typer.Option("--strict", help="Compare precise categories, not families.")] = False,
    core: Annotated[bool, typer.Option("--core", help="Only the core families (bank, insurance, ...).")] = False,
    min_stake: MinStakeOption = None,
    controlled: Annotated[bool, typer.Option("--controlled", help="Count only controlled holders.")] = False,
    data: DataOption = None,
    as_of: AsOfOption = None,
    json: JsonOption = False,
) -> None:
    """The licences a group lacks against its peers.

    A table of what GROUP holds, claims and lacks, licence family by family, against each peer.

    Examples:

      xmfin gaps xiaomi --vs ant --as-of 2019-05-15

      xmfin gaps xiaomi --vs ant --vs tencent --core --controlled

      xmfin gaps --vs ant --json | jq .gaps
    """
    check_min_stake(min_stake)
    given(group, "GROUP", optional=True)
    session = open_session(data, as_of, lambda r: scope(down=_roots_of(r, [group, *vs] if vs else None)))
    table = session.gaps(group, vs, strict=strict, core=core, min_stake=min_stake, controlled=controlled)
    if json:
        from xmfin.output.jsonout import emit, gaps_json

        emit(gaps_json(table, session.graph))
        return
    from xmfin.output.render import console, render_gaps

    render_gaps(console(), table, session.graph)


@app.command(cls=XmfinCommand)
@reports_errors
def check(
    years: Annotated[
        int | None,
        typer.Argument(
            metavar="[YEARS]", min=0, help="With --stale: how old is stale (default 3 years).", show_default=False
        ),
    ] = None,
    data: DataOption = None,
    json: JsonOption = False,
    stale: Annotated[
        bool,
        typer.Option("--stale", help="Also list facts in force whose sources are all older than YEARS, or undated."),
    ] = False,
) -> None:
    """Validate a data folder; exit 1 on errors.

    Every problem as FILE:LINE:COL: error|warning: message. With --stale, facts last confirmed more than YEARS
    ago are listed too, as `stale` (never an error).

    Examples:

      xmfin check --data my-research

      xmfin check --data my-research --stale 3

      xmfin check --json | jq '.problems[] | select(.severity == "error")'
    """
    from xmfin.errors import UsageError
    from xmfin.storage.access import check_path
    from xmfin.textsafe import terminal_text

    if years is not None and not stale:
        raise UsageError(f"YEARS ({years}) goes with --stale: xmfin check --stale {years}")
    folder, label = data_folder(data)
    records, dataset, problems = check_path(folder, label)
    errors = sum(p.severity == "error" for p in problems)
    warnings = sum(p.severity == "warning" for p in problems)
    if stale and errors == 0:
        import datetime as dt

        from xmfin.freshness import STALE_YEARS, stale_facts

        everything = records.dataset() if records is not None else dataset
        problems = [*problems, *stale_facts(everything, dt.date.today(), STALE_YEARS if years is None else years)]
    tallies = records.counts() if records is not None else _counts(dataset)
    if json:
        from xmfin.output.jsonout import document, emit, problem_json

        emit(document(ok=errors == 0, problems=[problem_json(p) for p in problems], counts=tallies))
    else:
        for problem in problems:
            sys.stdout.write(f"{terminal_text(str(problem))}\n")
        counts = ", ".join(count(n, SINGULAR.get(name, name), name) for name, n in tallies.items())
        verdict = "invalid" if errors else "ok"
        stale_count = len(problems) - errors - warnings
        tally = ", ".join(
            [count(errors, "error"), count(warnings, "warning"), *([f"{stale_count} stale"] if stale else [])]
        )
        sys.stderr.write(f"{terminal_text(label)}: {verdict}: {tally} ({counts})\n")
        if data is None:
            sys.stderr.write(f"{BUNDLED_NOTE}\n")
    if errors:
        raise typer.Exit(1)


def _counts(dataset: Dataset) -> dict[str, int]:
    """How many records of each section the folder holds, in the order of the files."""
    from xmfin.storage.loading import SECTIONS

    return {section: len(getattr(dataset, section)) for sections in SECTIONS.values() for section in sections}


@app.command(cls=XmfinCommand)
@reports_errors
def matrix(
    strict: Annotated[bool, typer.Option("--strict", help="Rows are precise categories, not families.")] = False,
    core: Annotated[bool, typer.Option("--core", help="Only the core families (bank, insurance, ...).")] = False,
    min_stake: MinStakeOption = None,
    controlled: Annotated[bool, typer.Option("--controlled", help="Count only controlled holders.")] = False,
    data: DataOption = None,
    as_of: AsOfOption = None,
    json: JsonOption = False,
) -> None:
    """Every group against every licence family.

    Each cell: who holds it, at what effective stake, or who claims it.

    Examples:

      xmfin matrix --core --as-of 2019

      xmfin matrix --strict --controlled

      xmfin matrix --json | jq '.rows[0]'
    """
    check_min_stake(min_stake)
    session = open_session(data, as_of, lambda r: scope(down=r.roots()))
    table = session.matrix(strict=strict, core=core, min_stake=min_stake, controlled=controlled)
    if json:
        from xmfin.output.jsonout import emit, matrix_json

        emit(matrix_json(table, session.graph))
        return
    from xmfin.output.render import console, render_matrix

    render_matrix(console(), table, session.graph)


@app.command(cls=XmfinCommand)
@reports_errors
def licences(
    group: Annotated[
        str | None, named("--group", "GROUP", "Only licences held by this group's members.", completion.groups)
    ] = None,
    family: Annotated[
        str | None, named("--family", "FAMILY", "Only this licence family (id or name).", completion.families)
    ] = None,
    category: Annotated[
        str | None, named("--category", "CATEGORY", "Only this licence category (id or name).", completion.categories)
    ] = None,
    jurisdiction: Annotated[
        str | None, typer.Option("--jurisdiction", metavar="J", help="Only in J or its subdivisions (CN covers CN-CQ).")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Also licences revoked or not yet granted on the day.")] = False,
    data: DataOption = None,
    as_of: AsOfOption = None,
    json: JsonOption = False,
) -> None:
    """Licences active on the day, with holders and groups.

    A row per licence: category, holder, each group with its effective stake (and control), jurisdiction,
    regulator, dates.

    Examples:

      xmfin licences --group xiaomi --jurisdiction HK

      xmfin licences --family bank --as-of 2019

      xmfin licences --group ant --all --json | jq '.licences | length'
    """
    # Each licence row names every group its holder is in: every group's members are read, with or without --group.
    session = open_session(
        data,
        as_of,
        lambda r: scope(down=(_roots_of(r, [group]) if group else ()) + r.roots(), all_licences=group is None),
    )
    rows = session.licences(group=group, family=family, category=category, jurisdiction=jurisdiction, everything=all_)
    if json:
        from xmfin.output.jsonout import document, emit, licence_row_json

        # The view of the day (session.graph.data): each holder under the name it had then.
        day_view = session.graph.data
        emit(document(session.day, all=all_, licences=[licence_row_json(row, day_view) for row in rows]))
        return
    if not rows:
        sys.stderr.write(f"xmfin: no licence matches on {session.day.isoformat()}\n")
        return
    from xmfin.output.render import console, render_licences

    render_licences(console(), rows, session.graph.data, session.day, all_)


@app.command(cls=XmfinCommand)
@reports_errors
def search(
    text: Annotated[
        str,
        typer.Argument(
            metavar="TEXT",
            help="An id, a name or part of one, a Chinese name, a former name, an alias.",
            show_default=False,
        ),
    ],
    limit: Annotated[int, typer.Option("--limit", metavar="N", min=1, help="Show at most N results.")] = 20,
    data: DataOption = None,
    as_of: AsOfOption = None,
    json: JsonOption = False,
) -> None:
    """Entities matching a name or part of one, best first.

    Exact matches, then prefixes, then part of a name, then a close spelling.

    Examples:

      xmfin search 网商

      xmfin search 'Xiaomi Micro' --limit 5

      xmfin search bank --json | jq -r '.matches[].id'
    """
    session = open_session(data, as_of, lambda r: r.search_scope(text))
    matches = session.search(text, limit)
    if json:
        from xmfin.output.jsonout import emit, search_json

        emit(search_json(text, matches, session.day))
        return
    if not matches:
        from xmfin.textsafe import terminal_text

        sys.stderr.write(f"xmfin: no match for '{terminal_text(text)}'\n")
        return
    from xmfin.output.render import console, render_search

    render_search(console(), matches)


@app.command(cls=XmfinCommand)
@reports_errors
def sources(
    entity: Annotated[
        str | None,
        naming("[ENTITY]", "Only the sources behind this entity's facts.", completion.entities),
    ] = None,
    data: DataOption = None,
    as_of: AsOfOption = None,
    json: JsonOption = False,
) -> None:
    """The sources published by the day, with their links.

    All of them, or those behind one ENTITY's facts. A terminal that supports hyperlinks opens a source's
    link on click; elsewhere the URL is printed in full.

    Examples:

      xmfin sources 'Xiaomi Finance H.K.'

      xmfin sources --as-of 2019

      xmfin sources --json | jq -r '.sources[].url'
    """
    given(entity, "ENTITY", optional=True)
    session = open_session(data, as_of)
    about = session.entity(entity).id if entity is not None else None
    uses = session.sources(about)
    if json:
        from xmfin.output.jsonout import emit, sources_json

        emit(sources_json(uses, session.data, session.day, about))
        return
    if not uses:
        sys.stderr.write(f"xmfin: no source published by {session.day.isoformat()}\n")
        return
    from xmfin.output.render import console, render_sources

    render_sources(console(), uses, session.data)


@app.command(cls=XmfinCommand)
@reports_errors
def timeline(
    group: Annotated[
        str | None,
        naming("[GROUP]", "Only events of entities that were ever in this group.", completion.groups),
    ] = None,
    data: DataOption = None,
    as_of: AsOfOption = None,
    json: JsonOption = False,
) -> None:
    """Dated events up to the day, in order.

    Founded, holdings, licences, roles, claims, dissolved: each with its sources.

    Examples:

      xmfin timeline ant --as-of 2020

      xmfin timeline xiaomi

      xmfin timeline --json | jq '.events[-1]'
    """
    given(group, "GROUP", optional=True)
    session = open_session(
        data, as_of, lambda r: scope(down=_roots_of(r, [group])) if group is not None else scope(everything=True)
    )
    chosen = session.group(group).id if group is not None else None
    events = session.timeline(chosen)
    if json:
        from xmfin.output.jsonout import emit, timeline_json

        emit(timeline_json(events, session.data, session.day, chosen))
        return
    if not events:
        sys.stderr.write(f"xmfin: no dated event up to {session.day.isoformat()}\n")
        return
    from xmfin.output.render import console, render_timeline

    render_timeline(console(), events, session.data)


@app.command(cls=XmfinCommand)
@reports_errors
def export(
    format_: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="json, jsonl, csv, parquet, graphml, gexf, dot, mermaid, bods (BODS 0.4) or ftm (FollowTheMoney).",
            autocompletion=completion.export_formats,
            show_default=False,
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            help="File to write (a folder for csv and parquet). Default: stdout.",
            parser=path_argument,
        ),
    ] = None,
    group: Annotated[
        str | None,
        named("--group", "GROUP", "Export one group's members only.", completion.groups),
    ] = None,
    table: Annotated[
        str | None,
        typer.Option("--table", metavar="TABLE", help="With csv: print this one table (entities, holdings, ...)."),
    ] = None,
    excel: Annotated[
        bool,
        typer.Option("--excel", help="With csv: UTF-8 with a byte order mark, for Excel on Windows (Chinese intact)."),
    ] = False,
    data: DataOption = None,
    as_of: AsOfOption = None,
) -> None:
    """The data (or one group) in another format.

    JSON, JSON Lines, CSV or Parquet tables, a graph file (GraphML, GEXF), a diagram (dot, Mermaid), BODS or FtM
    entities.

    Examples:

      xmfin export -f jsonl | jq 'select(.type == "holding")'

      xmfin export -f dot --group xiaomi | dot -Tsvg > xiaomi.svg

      xmfin export -f csv -o tables/
    """
    from xmfin.lookup import find_group
    from xmfin.output.export import check_format, export

    check_format(format_, table, output, excel)
    session = open_session(
        data, as_of, lambda r: scope(down=_roots_of(r, [group])) if group is not None else scope(everything=True)
    )
    chosen = find_group(session.data, group) if group is not None else None
    export(session.graph, chosen, format_, output, table, excel)


import_app = typer.Typer(
    name="import",
    cls=XmfinGroup,
    help="Turn another tool's files into a data folder.\n\nExamples:\n\n"
    "  xmfin import bods statements.json -o research\n\n  xmfin import ftm entities.ftm.json -o research",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help and errors: no boxes; --help stays light
    pretty_exceptions_enable=False,
)
app.add_typer(import_app, name="import")


def require_there(session: Explorer, entity_id: str) -> None:
    """Refuse to draw an entity that did not exist on the day (UsageError), saying why."""
    from xmfin.errors import UsageError

    absent = session.absence(entity_id)
    if absent is not None:
        raise UsageError(f"'{entity_id}' is not there on {session.day.isoformat()} ({absent}): try another --as-of")


def print_import_report(report: Any) -> None:
    """What an import could not carry over, one line each, then its summary, on stderr."""
    from xmfin.textsafe import terminal_text

    for line in report.lines():
        sys.stderr.write(f"{terminal_text(line)}\n")
    sys.stderr.write(f"{terminal_text(report.summary())}\n")


@import_app.command("bods", cls=XmfinCommand)
@reports_errors
def import_bods(
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="BODS 0.4 statements: a JSON array, or JSON Lines.", parser=path_argument),
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="DIR", help="The data folder to write.", parser=path_argument),
    ] = None,
    store: Annotated[
        Path | None,
        typer.Option("--store", metavar="FILE", help="Write a store instead of a data folder.", parser=path_argument),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Write into a folder that is not empty.")] = False,
) -> None:
    """A BODS 0.4 file as a data folder, or as a store.

    Statements it cannot represent are listed on stderr.

    Examples:

      xmfin import bods statements.jsonl -o research

      xmfin import bods register.jsonl --store register.xmfin

      xmfin export -f bods -o all.json && xmfin import bods all.json -o copy
    """
    from xmfin.bods_import import import_file

    if (output is None) == (store is None):
        from xmfin.errors import UsageError

        raise UsageError("give one of -o DIR (a data folder) or --store FILE (a store)")
    if store is not None:
        from xmfin import progress
        from xmfin.bods_import import import_store

        try:
            size = file.stat().st_size
        except OSError:
            size = 0  # import_store says what is wrong with the file
        with progress.bytes_read(size, f"importing {file}") as advance:
            report = import_store(file, store, advance)
        print_import_report(report)
        return
    assert output is not None
    print_import_report(import_file(file, output, force=force))


@import_app.command("csv", cls=XmfinCommand)
@reports_errors
def import_csv(
    folder: Annotated[
        Path,
        typer.Argument(
            metavar="DIR", help="The tables `export -f csv -o DIR` writes.", parser=path_argument, show_default=False
        ),
    ],
    store: Annotated[Path, typer.Option("--store", metavar="FILE", help="The store to write.", parser=path_argument)],
) -> None:
    """The CSV tables export -f csv writes, as a store.

    Each cell is checked as the same value in a data file; a bad one stops the import with its file, line and
    column, and nothing is written. A table that is not there is empty.

    Examples:

      xmfin import csv tables --store all.xmfin

      xmfin export -f csv -o t && xmfin import csv t --store t.xmfin
    """
    from xmfin import progress
    from xmfin.csv_import import TABLES
    from xmfin.csv_import import import_csv as read_tables

    total = sum(
        path.stat().st_size
        for name in (*TABLES, "former_names", "figures")
        if (path := folder / f"{name}.csv").is_file()
    )
    with progress.bytes_read(total, f"importing {folder}") as advance:
        counts = read_tables(folder, store, advance)
    sys.stderr.write(
        f"xmfin: wrote {store}: {count(counts.get('entity', 0), 'entity', 'entities')}, "
        f"{count(counts.get('holding', 0), 'holding')}\n"
    )


store_app = typer.Typer(
    name="store",
    cls=XmfinGroup,
    help="Indexed store files, for data too large to read whole.\n\n"
    "Examples:\n\n  xmfin store build research -o research.xmfin\n\n  xmfin chain 'XW Bank' --data research.xmfin",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
app.add_typer(store_app, name="store")


@store_app.command("build", cls=XmfinCommand)
@reports_errors
def store_build(
    folder: Annotated[
        Path, typer.Argument(metavar="DIR", help="The data folder to read.", parser=path_argument, show_default=False)
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", metavar="FILE", help="The store to write.", parser=path_argument)
    ],
) -> None:
    """A data folder as one indexed store file.

    Every command reads the store with --data FILE, only the part it needs. The folder is checked first: one
    with errors is refused, as every command refuses it.

    Examples:

      xmfin store build research -o research.xmfin

      xmfin store build "$(xmfin data-path)" -o bundled.xmfin
    """
    from xmfin.storage.building import build_store

    counts = build_store(folder, str(folder), output)
    sys.stderr.write(
        f"xmfin: wrote {output}: {counts.get('entity', 0)} entities, {counts.get('holding', 0)} holdings\n"
    )


@import_app.command("ftm", cls=XmfinCommand)
@reports_errors
def import_ftm(
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="FollowTheMoney entities: JSON Lines (or an array).", parser=path_argument),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", metavar="DIR", help="The data folder to write.", parser=path_argument)
    ],
    force: Annotated[bool, typer.Option("--force", help="Write into a folder that is not empty.")] = False,
) -> None:
    """FollowTheMoney entities as a data folder.

    From Aleph, OpenSanctions or `xmfin export -f ftm`.

    Examples:

      xmfin import ftm entities.ftm.json -o research

      xmfin export -f ftm -o all.ftm.json && xmfin import ftm all.ftm.json -o copy
    """
    from xmfin.ftm_import import import_file

    print_import_report(import_file(file, output, force=force))


@app.command(cls=XmfinCommand)
@reports_errors
def schema(
    file: Annotated[
        str | None,
        naming("[entities|licences]", "The data file; default: both.", completion.schema_files),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            parser=path_argument,
            metavar="PATH",
            help="File to write (a folder for both: NAME.schema.json). Default: stdout.",
        ),
    ] = None,
) -> None:
    """The JSON Schema of a data file, for editors and other tools.

    JSON Schema 2020-12; `xmfin init` puts both in a research folder's schemas/ for the YAML language server.

    Examples:

      xmfin schema entities -o entities.schema.json

      xmfin schema -o schemas/

      xmfin schema licences | jq '.properties | keys'
    """
    from xmfin.storage.schema import write_schemas

    write_schemas(file, output)


@app.command(cls=XmfinCommand)
@reports_errors
def init(
    folder: Annotated[
        Path,
        typer.Argument(
            metavar="DIR", help="The research folder to make (new, or empty).", show_default=False, parser=path_argument
        ),
    ],
    empty: Annotated[
        bool,
        typer.Option("--empty", help="Only the licence taxonomy and commented examples, not the bundled records."),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Write into a folder that is not empty.")] = False,
) -> None:
    """Start a research folder: the data, schemas, editor settings.

    A copy of the bundled data (or, with --empty, the licence taxonomy and an example of each record, commented
    out), the JSON Schemas in DIR/schemas/, and settings for the YAML language server (VS Code and others).

    Examples:

      xmfin init my-research && xmfin check --data my-research

      xmfin init my-research --empty

      xmfin init . --force
    """
    from xmfin.api import bundled_data
    from xmfin.starter import init_folder
    from xmfin.textsafe import terminal_text

    written = init_folder(folder, bundled_data(), empty=empty, force=force)
    what = "the licence taxonomy and examples" if empty else "a copy of the bundled data"
    sys.stderr.write(f"{terminal_text(str(folder))}: {what}, {len(written)} files:\n")
    for name in written:
        sys.stderr.write(f"  {terminal_text(str(folder / name))}\n")
    sys.stderr.write(f"next: xmfin check --data {terminal_text(shell_word(str(folder)))}\n")


def shell_word(text: str) -> str:
    """text as one shell word, quoted only where it needs to be."""
    import shlex

    return shlex.quote(text)


@app.command("data-path", cls=XmfinCommand)
@reports_errors
def data_path() -> None:
    """Print the folder of the bundled data.

    The data that commands read when given no --data and no $XMFIN_DATA. It comes with the package: to edit
    it, make a copy with `xmfin init DIR`.

    Examples:

      xmfin data-path

      ls "$(xmfin data-path)"
    """
    from xmfin.api import bundled_data

    sys.stdout.write(f"{bundled_data()}\n")


@app.command(cls=XmfinCommand)
@reports_errors
def diagram(
    target: TargetArgument = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="PATH", help="SVG file to write. Default: stdout.", parser=path_argument
        ),
    ] = None,
    up: Annotated[bool, typer.Option("--up", help="Draw the owners above ENTITY instead.")] = False,
    depth: Annotated[
        int | None, typer.Option("--depth", metavar="N", min=0, help="Levels to draw below (or above).")
    ] = None,
    licences: Annotated[bool, typer.Option("--licences", help="Show the licences held, as badges.")] = False,
    data: DataOption = None,
    as_of: AsOfOption = None,
) -> None:
    """An SVG structure chart of a group or entity.

    Offshore entities above the line, onshore (PRC) below, stakes on the arrows.

    Examples:

      xmfin diagram xiaomi --as-of 2025-12-31 --licences -o xiaomi.svg

      xmfin diagram 'XW Bank' --up -o xw-bank-owners.svg

      xmfin diagram ant --depth 2 > ant.svg
    """
    given(target, "ENTITY", optional=True)
    from xmfin.licensing import licences_by_holder
    from xmfin.lookup import default_group, find_entity
    from xmfin.output.diagram import build_chart, svg_document
    from xmfin.output.files import write_output

    session = open_session(
        data, as_of, lambda r: scope(up=(r.target(target),)) if up else scope(down=(r.target(target),))
    )
    root = (
        find_entity(session.data, target)
        if target is not None
        else session.data.entities[default_group(session.data, None).root]
    )
    require_there(session, root.id)
    held = licences_by_holder(session.graph.data, session.day) if licences else None
    chart = build_chart(session.graph, root.id, up=up, depth=depth, licences=held)
    write_output(svg_document(chart), output)


@app.command(cls=XmfinCommand)
@reports_errors
def report(
    group: GroupArgument = None,
    vs: VsOption = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="PATH", help="HTML file to write. Default: stdout.", parser=path_argument
        ),
    ] = None,
    data: DataOption = None,
    as_of: AsOfOption = None,
) -> None:
    """One self-contained HTML page on a group.

    Chart, licence gaps, licences, holdings, figures, roles and sources, in one file to share.

    Examples:

      xmfin report xiaomi --vs ant --as-of 2025-12-31 -o xiaomi.html

      xmfin report ant -o ant.html

      xmfin report > default-group.html
    """
    from xmfin.errors import UsageError
    from xmfin.lookup import default_group, find_group
    from xmfin.output.files import write_output
    from xmfin.output.report import report_html

    given(group, "GROUP", optional=True)
    session = open_session(data, as_of, lambda r: scope(down=_roots_of(r, [group, *vs] if vs else None)))
    own = default_group(session.data, group)
    peers = (
        [find_group(session.data, peer).id for peer in vs] if vs else [g for g in session.data.groups if g != own.id]
    )
    if own.id in peers:  # as gaps refuses it: a group compared with itself has no gap to show
        raise UsageError(f"--vs {own.id} is the group itself: compare it with another group")
    require_there(session, own.root)
    write_output(report_html(session.graph, own.id, peers), output)


# True when this process runs one command and exits (the console script), not when app is called in-process.
_one_command = False


def main() -> None:
    """The console script: every exception ends as one line and a documented exit code, never a traceback."""
    from xmfin.errors import OutputError

    global _one_command
    _one_command = True
    real = sys.stdout
    utf8_stdout(real)
    guarded = GuardedStdout(real)
    sys.stdout = guarded
    code: Any = 0
    try:
        app()
    except SystemExit as done:
        code = done.code
    except OutputError as error:  # written outside a command (--version, --help)
        code = _output_failed(error, real)
    except KeyboardInterrupt:  # Ctrl-C before a command runs (Typer building the commands): as within one
        code = 130
    except Exception as error:
        code = internal_error(error).exit_code
    try:
        guarded.flush()  # what is left in the buffer, here rather than in the interpreter's exit
    except OutputError as error:
        failed = _output_failed(error, real)
        code = code or failed
    sys.stdout = real
    sys.exit(code)


def utf8_stdout(stream: TextIO | None) -> None:
    """Write stdout in UTF-8, as documented, whatever the locale or PYTHONIOENCODING says: an ASCII stdout
    (PYTHONIOENCODING=ascii, a POSIX locale without UTF-8 coercion) made every Chinese name an internal error."""
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    reconfigure = getattr(stream, "reconfigure", None)
    if encoding != "utf8" and reconfigure is not None:
        import contextlib

        with contextlib.suppress(OSError, ValueError):  # a stream that cannot change: left as it is
            reconfigure(encoding="utf-8")


def _output_failed(error: OutputError, real: TextIO | None) -> int:
    """The exit code of a failed write to stdout: 0 for a reader that went away, else 1 with one line."""
    if error.pipe_closed:
        quiet_stdout(real)
        return 0
    sys.stderr.write(f"xmfin: error: {error}\n")
    return 1
