"""Partial dates: parsing, periods, the day an `--as-of` means, and whether a period covers a day."""

from __future__ import annotations

import datetime as dt

import pytest

from xmfin.dates import DateError, PartialDate, active, as_of_day, overlap, parse_date

D = dt.date


@pytest.mark.parametrize(
    ("text", "first", "last", "precision"),
    [
        ("2019", D(2019, 1, 1), D(2019, 12, 31), "year"),
        ("2019-05", D(2019, 5, 1), D(2019, 5, 31), "month"),
        ("2019-02", D(2019, 2, 1), D(2019, 2, 28), "month"),
        ("2020-02", D(2020, 2, 1), D(2020, 2, 29), "month"),
        ("2019-05-15", D(2019, 5, 15), D(2019, 5, 15), "day"),
        (" 2019-05 ", D(2019, 5, 1), D(2019, 5, 31), "month"),
    ],
)
def test_parse_gives_the_first_and_last_day_of_the_period(
    text: str, first: dt.date, last: dt.date, precision: str
) -> None:
    date = parse_date(text)
    assert (date.first, date.last, date.precision) == (first, last, precision)
    assert str(date) == text.strip()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("May 2019", "'May 2019' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"),
        ("2019-5", "is not a date (use YYYY"),
        ("19", "is not a date (use YYYY"),
        ("2019-05-15T10:00", "is not a date (use YYYY"),
        ("", "is not a date"),
        ("0000", "year 0 does not exist"),
        ("2019-13", "month 13 does not exist"),
        ("2019-00", "month 00 does not exist"),
        ("2019-02-29", "2019-02 has 28 days"),
        ("2019-04-31", "2019-04 has 30 days"),
    ],
)
def test_parse_refuses_what_is_not_a_date(text: str, message: str) -> None:
    with pytest.raises(DateError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_date(text)


def test_as_of_means_the_end_of_its_period() -> None:
    assert as_of_day("2019") == D(2019, 12, 31)
    assert as_of_day("2019-05") == D(2019, 5, 31)
    assert as_of_day("2019-05-15") == D(2019, 5, 15)


def test_as_of_defaults_to_today() -> None:
    assert as_of_day(None, today=D(2021, 3, 4)) == D(2021, 3, 4)
    assert as_of_day(None) == dt.date.today()


def test_as_of_refuses_a_bad_date() -> None:
    with pytest.raises(DateError, match="month 13"):
        as_of_day("2019-13")


def test_since_counts_from_the_first_day_of_its_period() -> None:
    since = parse_date("2019-05")
    assert active(since, None, D(2019, 5, 1))
    assert not active(since, None, D(2019, 4, 30))


def test_until_counts_to_the_last_day_of_its_period() -> None:
    until = parse_date("2019")
    assert active(None, until, D(2019, 12, 31))
    assert not active(None, until, D(2020, 1, 1))


def test_open_periods_and_a_single_day() -> None:
    assert active(None, None, D(1900, 1, 1))
    day = parse_date("2019-05-15")
    assert active(day, day, D(2019, 5, 15))
    assert not active(day, day, D(2019, 5, 16))
    assert not active(day, day, D(2019, 5, 14))


@pytest.mark.parametrize(
    ("a", "b", "shared"),
    [
        (("2019", "2019-06"), ("2019-07", None), False),  # ends 2019-06-30, starts 2019-07-01
        (("2019", "2019-07"), ("2019-07", None), True),  # both cover July 2019
        ((None, None), ("2030", "2030"), True),
        ((None, "2018"), ("2019", None), False),
        (("2019-05-15", "2019-05-15"), ("2019-05", "2019-05"), True),
    ],
)
def test_overlap(a: tuple[str | None, str | None], b: tuple[str | None, str | None], shared: bool) -> None:
    def period(pair: tuple[str | None, str | None]) -> tuple[PartialDate | None, PartialDate | None]:
        since, until = pair
        return (parse_date(since) if since else None, parse_date(until) if until else None)

    a_since, a_until = period(a)
    b_since, b_until = period(b)
    assert overlap(a_since, a_until, b_since, b_until) is shared
    assert overlap(b_since, b_until, a_since, a_until) is shared
