"""How old a fact is: its last confirmation is the latest publication date of its sources.

A fact whose last confirmation is more than STALE_YEARS before the day asked about is marked "unconfirmed
since ..." in every output (JSON `confirmed` and `stale`), and listed by `xmfin check --stale`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from xmfin.dates import PartialDate, active
from xmfin.errors import Problem
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
    """The same day `years` earlier (28 February for 29 February in a year that has none); the first day
    there is when that is before year 1 (nothing was confirmed earlier: `check --stale 100000` lists nothing
    dated, rather than failing)."""
    if years >= day.year:
        return dt.date.min
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


def stale_facts(data: Dataset, day: dt.date, years: int = STALE_YEARS) -> list[Problem]:
    """The facts in force on day (holdings, licences, roles) and the claims made by then, whose sources are all
    more than `years` older than day or have no date: `xmfin check --stale`, one problem of severity `stale`
    each; also those whose latest source is dated after day (it would confirm them for ever). Ended facts (a
    holding of a dissolved company too), figures and events describe their own time and are never stale."""
    from xmfin.dated import on_day

    data = on_day(data, day)
    found: list[Problem] = []

    def judge(record: Any, what: str) -> None:
        last = confirmed(data, record.sources)
        if last is None:
            message = f"{what}: no source has a date, so its age is unknown: date its sources"
        elif last.first > day:
            # A source dated after the day confirms the fact for ever: a typo would hide its age.
            message = f"{what}: its latest source is dated {last}, after {day.isoformat()}: correct that date"
        elif is_stale(last, day, years):
            # a claim is a statement of its day: it can be confirmed again, not ended
            advice = "confirm it with a newer source" + ("" if what.startswith("claim") else ", or end it")
            message = f"{what}: last confirmed {last}, more than {years} years before {day.isoformat()}: {advice}"
        else:
            return
        found.append(Problem(record.loc, "stale", message))

    for h in data.holdings:
        if active(h.since, h.until, day):
            judge(h, f"holding {h.owner} -> {h.owned}")
    for lic in data.licences:
        if active(lic.granted, lic.revoked, day):
            judge(lic, f"licence '{lic.category}' of '{lic.holder}'")
    for role in data.roles:
        if active(role.since, role.until, day):
            judge(role, f"role '{role.title}' of '{role.of}'")
    for claim in data.claims:
        if claim.as_of is None or claim.as_of.first <= day:
            judge(claim, f"claim '{claim.family}' of '{claim.group}'")
    return found
