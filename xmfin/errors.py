"""The exceptions xmfin raises for bad data and bad arguments; the CLI turns them into one-line messages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from xmfin.model import Location

# "stale": a fact whose sources are all older than `check --stale YEARS` allows; never counted as an error.
Severity = Literal["error", "warning", "stale"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a data folder, where it stands, and how bad it is."""

    loc: Location
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.loc}: {self.severity}: {self.message}"


class XmfinError(Exception):
    """Base of every error xmfin reports to a user; `exit_code` is what the CLI exits with."""

    exit_code = 1


class DataError(XmfinError):
    """The data folder is invalid: one or more problems, each with its file, line and column."""

    exit_code = 1

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(str(errors[0]) if errors else "invalid data")


class UsageError(XmfinError):
    """A bad argument: unknown option value, a date that is not a date, a folder that is not there."""

    exit_code = 2


class OutputError(XmfinError):
    """Standard output cannot be written: a full disk, or a closed stream (exit 1). `pipe_closed` when the
    reader went away (`| head`): not an error, the command stops quietly."""

    exit_code = 1

    def __init__(self, message: str, pipe_closed: bool = False) -> None:
        self.pipe_closed = pipe_closed
        super().__init__(message)


class UnknownName(UsageError):
    """A name that matches no entity or group, or several; carries the candidates to suggest."""

    def __init__(self, message: str, candidates: list[str] | None = None) -> None:
        self.candidates = candidates or []
        super().__init__(message)


def did_you_mean(word: str, choices: Iterable[str], limit: int = 3) -> str:
    """' (did you mean 'x'?)' for the closest choices, or '' where none is close."""
    import difflib

    pool = list(choices)
    if len(pool) > 200:
        # difflib compares the word with every choice, which takes most of a second on 10,000 ids; rapidfuzz's
        # ratio is never below difflib's, so difflib then picks among rapidfuzz's 50 best above the same cutoff
        # (the same answer but for ties among many near-identical ids).
        from rapidfuzz import fuzz, process

        pool = [match for match, _, _ in process.extract(word, pool, scorer=fuzz.ratio, score_cutoff=60, limit=50)]
    close = difflib.get_close_matches(word, pool, n=limit, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(f"'{c}'" for c in close) + "?)"
