"""The few words every human output uses for stakes, control, claims and freshness, written once."""

from __future__ import annotations

import datetime as dt

from xmfin.dates import PartialDate
from xmfin.freshness import freshness
from xmfin.graph import Effective, format_stake
from xmfin.model import Claim, Dataset, Holding


def stake_label(effective: Effective) -> str:
    """`29.5% via VIE`, `≥ 65%`, `undisclosed`."""
    return effective.label() + (" via VIE" if effective.via_vie else "")


def control_mark(controlled: bool | None, effective: Effective | None = None) -> str:
    """What a holder's entry adds about the group's control of it: nothing, `(minority)`, `(control unknown)`,
    or `(no control)` where the stake is certainly more than half yet gives no control (held through a nominee,
    or spread over entities none of which is controlled): "minority" would contradict the stake beside it."""
    if controlled is True:
        return ""
    if controlled is None:
        return " (control unknown)"
    return " (no control)" if effective is not None and effective.minimum > 50 else " (minority)"


def control_phrase(controlled: bool | None) -> str:
    """`controls it`, `does not control it` or `control unknown`."""
    if controlled is None:
        return "control unknown"
    return "controls it" if controlled else "does not control it"


def unconfirmed(last: PartialDate | None, stale: bool | None) -> str:
    """` (unconfirmed since 2019-05)` for a stale fact, else nothing."""
    return f" (unconfirmed since {last})" if stale and last is not None else ""


def claim_label(claim: Claim, support: str) -> str:
    """`claimed 2019-05, records contradict` (or `support`); `claimed, undated`."""
    if claim.as_of is None:
        return "claimed, undated"
    return f"claimed {claim.as_of}, records {support}"


def gap_word(gap: bool | None) -> str:
    """`GAP`, `unknown` or nothing (no gap), for the gap column."""
    return "GAP" if gap else "unknown" if gap is None else ""


def holding_stake(holding: Holding) -> str:
    """A link's own stake as recorded: `90%`, `> 50%`, `5-10%`, `≤ 5%`, or `undisclosed`."""
    if holding.stake is not None:
        return f"{format_stake(holding.stake)}%"
    low, high = holding.stake_min, holding.stake_max
    if low is not None and high is not None:
        return f"{format_stake(low)}-{format_stake(high)}%"
    if low is not None:
        return f"{'>' if holding.stake_min_exclusive else '≥'} {format_stake(low)}%"
    if high is not None:
        return f"{'<' if holding.stake_max_exclusive else '≤'} {format_stake(high)}%"
    return "undisclosed"


def fact_age(data: Dataset, sources: tuple[str, ...], day: dt.date) -> str:
    """` (unconfirmed since 2019-05)` when the fact's latest source is more than STALE_YEARS old on day."""
    return unconfirmed(*freshness(data, sources, day))
