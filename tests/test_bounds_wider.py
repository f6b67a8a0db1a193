"""Stake bounds and three-valued control against a wider generator than test_bounds.py's: voting, other and VIE
links with exact stakes and ranges, nominees on any kind of link, exclusive upper bounds, ranges whose upper
bound is below what the others leave, stakes summing to exactly 100, pending links (never counted) and cycles
through all of these. Data the check refuses (equity that must exceed 100%) is not generated. The exact answer
is computed as in test_bounds.py, on completions at both extremes and at random."""

from __future__ import annotations

import dataclasses
import random

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from xmfin.graph import OwnershipGraph
from xmfin.model import Dataset, Entity, Holding
from xmfin.storage.loading import _too_much

from .test_bounds import DAY, exact_control, exact_effective

TINY = 1e-7
TOLERANCE = 1e-4


@st.composite
def graphs(draw: st.DrawFn) -> Dataset:
    nodes = [f"e{n}" for n in range(draw(st.integers(2, 5)))]
    pairs = [(a, b) for a in nodes for b in nodes if a != b]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=10))
    holdings = []
    floors = dict.fromkeys(nodes, 0.0)
    for owner, owned in chosen:
        control = draw(st.sampled_from(["equity", "equity", "equity", "vie", "voting", "other"]))
        kind = draw(st.sampled_from(["exact", "range", "undisclosed"]))
        nominee = draw(st.sampled_from([None, None, None, *nodes]))
        nominee = None if nominee == owner else nominee
        pending = draw(st.integers(0, 9)) == 0
        room = 100.0 - floors[owned] if control == "equity" and not pending else 100.0
        if kind == "exact":
            stake = draw(
                st.sampled_from([s for s in (100.0, 60.0, 50.0, 49.0, 40.0, 25.0, 10.0, 1.0) if s <= room] or [None])
            )
            if stake is None:
                continue
            if control == "equity" and not pending:
                floors[owned] += stake
            holdings.append(Holding(owner, owned, stake, control, nominee_for=nominee, pending=pending))
        elif kind == "range":
            low = draw(st.sampled_from([v for v in (0.0, 10.0, 25.0, 50.0, 65.0) if v <= room] or [0.0]))
            high = draw(st.sampled_from([None, 5.0, 30.0, 50.0, 75.0, 100.0]))
            if high is not None and high <= low:
                high = None
            lex, hex_ = draw(st.booleans()), draw(st.booleans())
            if low >= room and lex:  # "more than" the whole room: the check would refuse it
                lex = False
            if control == "equity" and not pending:
                floors[owned] += low
            holdings.append(
                Holding(
                    owner,
                    owned,
                    None,
                    control,
                    stake_min=low,
                    stake_max=high,
                    stake_min_exclusive=lex,
                    stake_max_exclusive=hex_ and high is not None,
                    nominee_for=nominee,
                    pending=pending,
                )
            )
        else:
            holdings.append(Holding(owner, owned, None, control, nominee_for=nominee, pending=pending))
    for n in nodes:
        assume(_too_much([h for h in holdings if h.owned == n and h.control == "equity" and not h.pending]) is None)
    return Dataset(entities={n: Entity(n, n) for n in nodes}, holdings=holdings)


def complete(data: Dataset, rng: random.Random, mode: str) -> tuple[Dataset, dict[int, bool]]:
    holdings = [h for h in data.holdings if not h.pending]
    by_owned = {}
    for i, h in enumerate(holdings):
        if h.control == "equity":
            by_owned.setdefault(h.owned, []).append(i)
    for idx in by_owned.values():
        unknown = [i for i in idx if holdings[i].stake is None]
        rng.shuffle(unknown)
        certain = sum(holdings[i].stake for i in idx if holdings[i].stake is not None)
        mins = {
            i: (holdings[i].stake_min or 0.0)
            + (TINY if (holdings[i].stake_min_exclusive or holdings[i].stake_min is None) else 0.0)
            for i in unknown
        }
        left = 100.0 - certain - sum(mins.values())
        for i in unknown:
            h = holdings[i]
            top = (h.stake_max if h.stake_max is not None else 100.0) - (TINY if h.stake_max_exclusive else 0.0)
            room = max(0.0, min(top - mins[i], left))
            share = {"low": 0.0, "high": 1.0}.get(mode, rng.random())
            v = mins[i] + room * share
            left -= v - mins[i]
            holdings[i] = dataclasses.replace(h, stake=v, stake_min=None, stake_max=None)
    others = {}
    for i, h in enumerate(holdings):
        if h.control != "equity" and h.stake is None:
            lo = (h.stake_min or 0.0) + TINY
            hi = h.stake_max if h.stake_max is not None else 100.0
            if h.control == "vie" and h.stake_min is None and h.stake_max is None:
                lo = hi = 100.0
            v = {"low": lo, "high": hi}.get(mode, rng.uniform(lo, hi))
            holdings[i] = dataclasses.replace(h, stake=v, stake_min=None, stake_max=None)
        if h.control == "other":
            others[i] = mode == "high" or (mode == "random" and rng.random() < 0.5)
    return dataclasses.replace(data, holdings=holdings), others


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(graphs(), st.randoms(use_true_random=False))
def test_bounds_and_control_hold_on_wider_shapes(data: Dataset, rng: random.Random) -> None:
    graph = OwnershipGraph(data, DAY)
    cases = [complete(data, rng, m) for m in ("low", "high", "random", "random", "random")]
    for s in data.entities:
        down = graph.effective_from(s)
        ctl = graph.control_from(s)
        for comp, others in cases:
            got = exact_control(comp, others, s)
            for t, f in down.items():
                ex = exact_effective(comp, s, t)
                assert f.minimum - TOLERANCE <= ex, ("down-min", s, t, f, ex, data.holdings)
                assert f.maximum is None or ex <= f.maximum + TOLERANCE, ("down-max", s, t, f, ex, data.holdings)
                if ctl[t] is True:
                    assert t in got, ("ctl-true", s, t, data.holdings, comp.holdings)
                if ctl[t] is False:
                    assert t not in got, ("ctl-false", s, t, data.holdings, comp.holdings)
    for t in data.entities:
        above = graph.control_to(t)
        up = graph.effective_to(t)
        for comp, others in cases:
            for o, v in above.items():
                if o == t:
                    continue
                truth = t in exact_control(comp, others, o)
                assert v is not (not truth), ("up-ctl", o, t, v, truth, data.holdings, comp.holdings)
                ex = exact_effective(comp, o, t)
                assert up[o].minimum - TOLERANCE <= ex, ("up-min", o, t, up[o], ex, data.holdings)
                assert up[o].maximum is None or ex <= up[o].maximum + TOLERANCE, (
                    "up-max",
                    o,
                    t,
                    up[o],
                    ex,
                    data.holdings,
                )
