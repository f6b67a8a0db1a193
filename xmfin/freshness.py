"""How old a fact is: its last confirmation is the latest publication date of its sources.

A fact whose last confirmation is more than STALE_YEARS before the day asked about is marked "unconfirmed
since ..." in every output (JSON `confirmed` and `stale`), and listed by `xmfin check --stale`.
"""

from __future__ import annotations

import datetime as dt

from xmfin.dates import PartialDate
from xmfin.model import Dataset

STALE_YEARS = 3


def confirmed(data: Dataset, sources: tuple[str, ...]) -> PartialDate | None:
    """The latest publication date of the sources (None when none of them has a date)."""
    best: PartialDate | None = None
    for source_id in sources:
        source = data.sources.get(source_id)
        if source is not None and source.published is not None and (best is None or source.published.last > best.last):
            best = source.published
    return best


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day `years` earlier (28 February for 29 February in a year that has none)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def is_stale(last: PartialDate | None, day: dt.date, years: int = STALE_YEARS) -> bool | None:
    """Whether a fact last confirmed at `last` is more than `years` old on day; None when it has no date."""
    if last is None:
        return None
    return last.last < years_before(day, years)


def freshness(data: Dataset, sources: tuple[str, ...], day: dt.date) -> tuple[PartialDate | None, bool | None]:
    """A fact's last confirmation and whether it is stale on day."""
    last = confirmed(data, sources)
    return last, is_stale(last, day)
