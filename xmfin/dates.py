"""Partial dates: YYYY, YYYY-MM or YYYY-MM-DD, as research often knows only the year or the month."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

# ASCII: without it \d also matches full-width and other digits, which would be carried into every output.
_PATTERN = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", re.ASCII)


class DateError(ValueError):
    """A text that is not a valid partial date; the message says why."""


@dataclass(frozen=True, slots=True, order=False)
class PartialDate:
    """A date known to the year, the month or the day, with the first and last day of its period."""

    text: str
    first: dt.date
    last: dt.date

    def __str__(self) -> str:
        return self.text

    @property
    def precision(self) -> str:
        """'year', 'month' or 'day'."""
        return ("year", "month", "day")[self.text.count("-")]


@lru_cache(maxsize=4096)
def parse_date(text: str) -> PartialDate:
    """Parse YYYY, YYYY-MM or YYYY-MM-DD; raise DateError naming what is wrong."""
    match = _PATTERN.fullmatch(text.strip())
    if match is None:
        raise DateError(f"'{text}' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)")
    year_text, month_text, day_text = match.groups()
    year = int(year_text)
    if year < 1:
        raise DateError(f"'{text}' is not a date: year 0 does not exist")
    if month_text is None:
        return PartialDate(match.group(0), dt.date(year, 1, 1), dt.date(year, 12, 31))
    month = int(month_text)
    if not 1 <= month <= 12:
        raise DateError(f"'{text}' is not a date: month {month_text} does not exist")
    days_in_month = calendar.monthrange(year, month)[1]
    if day_text is None:
        return PartialDate(match.group(0), dt.date(year, month, 1), dt.date(year, month, days_in_month))
    day = int(day_text)
    if not 1 <= day <= days_in_month:
        raise DateError(f"'{text}' is not a date: {year}-{month_text} has {days_in_month} days")
    exact = dt.date(year, month, day)
    return PartialDate(match.group(0), exact, exact)


def as_of_day(text: str | None, today: dt.date | None = None) -> dt.date:
    """The day an `--as-of` value means: the last day of its period (`2019` is 2019-12-31); default today."""
    if text is None:
        return today or dt.date.today()
    return parse_date(text).last


def active(since: PartialDate | None, until: PartialDate | None, day: dt.date) -> bool:
    """Whether a period that starts at `since` (from its first day) and ends at `until` (to its last) covers day."""
    if since is not None and day < since.first:
        return False
    return until is None or day <= until.last


def overlap(
    a_since: PartialDate | None,
    a_until: PartialDate | None,
    b_since: PartialDate | None,
    b_until: PartialDate | None,
) -> bool:
    """Whether two periods share at least one day."""
    a_first = a_since.first if a_since else dt.date.min
    b_first = b_since.first if b_since else dt.date.min
    a_last = a_until.last if a_until else dt.date.max
    b_last = b_until.last if b_until else dt.date.max
    return a_first <= b_last and b_first <= a_last
