"""Who holds which licence on a day, through which member at what stake; claims; the gap table and filters."""

from __future__ import annotations

import datetime as dt

import pytest

from xmfin.dates import parse_date
from xmfin.graph import OwnershipGraph
from xmfin.licensing import Filters, GapTable, active_licences, claims_of, gap_table, group_licences
from xmfin.model import Category, Claim, Dataset, Entity, Family, Licence

from .conftest import graph_of, load_case


def cells(table: GapTable) -> dict[str, dict[str, list[str]]]:
    """Each row's held licences per group, as 'holder:category' strings."""
    return {
        row.key: {g: [f"{h.licence.holder}:{h.licence.category}" for h in held] for g, held in row.held.items()}
        for row in table.rows
    }


# Minority: see tests/fixtures/minority/entities.yaml. Big holds securities only through 20% of Partner.


def test_a_minority_stake_counts_as_held_without_filters() -> None:
    table = gap_table(graph_of("minority"), "big", ["small"])
    assert table.by == "family" and table.peers == ["small"]
    assert [row.key for row in table.rows] == ["insurance", "securities", "payment"]  # taxonomy order
    assert cells(table) == {
        "insurance": {"big": ["big-insurer:life-insurance"], "small": []},
        "securities": {
            "big": ["partner:brokerage"],
            "small": ["small-broker:asset-management", "small-broker:brokerage"],
        },
        "payment": {"big": [], "small": []},
    }
    held = table.rows[1].held["big"][0]
    assert held.effective.value == 20.0 and not held.controlled and held.family == "securities"
    assert table.gaps == []
    # the other way round, Small lacks insurance
    assert gap_table(graph_of("minority"), "small", ["big"]).gaps == ["insurance"]


@pytest.mark.parametrize(
    ("filters", "gaps"),
    [
        (Filters(min_stake=20), []),  # at least N: 20% counts
        (Filters(min_stake=20.5), ["securities"]),
        (Filters(controlled=True), ["securities"]),
        (Filters(min_stake=0), []),
        # the filters apply to the peers as well: Small's 80% broker no longer counts, so nobody holds it
        (Filters(min_stake=90), []),
    ],
)
def test_min_stake_and_controlled_filters(filters: Filters, gaps: list[str]) -> None:
    table = gap_table(graph_of("minority"), "big", ["small"], filters=filters)
    assert table.gaps == gaps


def test_filters_apply_to_every_group() -> None:
    table = gap_table(graph_of("minority"), "big", ["small"], filters=Filters(min_stake=90))
    assert cells(table)["securities"] == {"big": [], "small": []}
    assert cells(table)["insurance"] == {"big": ["big-insurer:life-insurance"], "small": []}


def test_strict_compares_categories() -> None:
    table = gap_table(graph_of("minority"), "big", ["small"], strict=True)
    assert table.by == "category"
    assert [row.key for row in table.rows] == ["life-insurance", "brokerage", "asset-management"]
    assert table.gaps == ["asset-management"]
    assert [row.core for row in table.rows] == [True, True, True]


def test_core_keeps_only_core_families() -> None:
    graph = graph_of("minority")
    assert [row.key for row in gap_table(graph, "big", ["small"], core=True).rows] == ["insurance", "securities"]
    assert [row.name for row in gap_table(graph, "big", ["small"], core=True, strict=True).rows] == [
        "Life insurance",
        "Securities brokerage",
        "Asset management",
    ]


def test_a_peer_named_twice_or_the_group_itself_is_one_column() -> None:
    table = gap_table(graph_of("minority"), "big", ["small", "big", "small"])
    assert table.peers == ["small"]
    assert list(table.rows[0].held) == ["big", "small"]


# Claims: see tests/fixtures/claim/entities.yaml.


def test_a_claim_is_shown_as_claimed_never_as_held() -> None:
    table = gap_table(graph_of("claim", "2019-05"), "claimer", ["insurer"])
    insurance = table.rows[0]
    assert insurance.held["claimer"] == []
    assert [(c.group, str(c.as_of), c.sources) for c in insurance.claimed["claimer"]] == [
        ("claimer", "2019-05", ("article",))
    ]
    assert insurance.claimed["insurer"] == []
    assert insurance.gap  # a claim does not fill a gap
    assert table.rows[1].claimed["claimer"] == []  # payment: nothing claimed


def test_a_claim_appears_from_its_date() -> None:
    data = load_case("claim")
    assert claims_of(data, "claimer", dt.date(2019, 5, 1)) != []  # as_of 2019-05 counts from its first day
    assert claims_of(data, "claimer", dt.date(2019, 4, 30)) == []
    table = gap_table(graph_of("claim", "2019-04"), "claimer", ["insurer"])
    assert table.rows[0].claimed["claimer"] == [] and table.gaps == ["insurance"]


def test_with_strict_each_category_carries_the_claims_of_its_family() -> None:
    table = gap_table(graph_of("claim", "2019-06"), "claimer", ["insurer"], strict=True)
    assert [(row.key, len(row.claimed["claimer"])) for row in table.rows] == [
        ("insurance-brokerage", 1),
        ("online-payment", 0),
    ]


def test_an_undated_claim_always_counts() -> None:
    data = Dataset(claims=[Claim("g", "bank")])
    assert claims_of(data, "g", dt.date(1900, 1, 1)) == data.claims
    assert claims_of(data, "other", dt.date(1900, 1, 1)) == []


# Stakes: undisclosed, VIE, changing owners.


def test_thresholds_count_what_certainly_meets_them_and_keep_the_rest_as_unknown() -> None:
    graph = graph_of("undisclosed")
    group = graph.data.groups["top"]
    every = group_licences(graph, group)
    assert [(h.licence.holder, h.effective.value, h.effective.minimum, h.counts) for h in every] == [
        ("target", None, 30.0, True),  # sorted by lower bound, largest first
        ("dark-sub", None, 0.0, True),
    ]
    at_30 = group_licences(graph, group, Filters(min_stake=30))
    assert [(h.licence.holder, h.counts) for h in at_30] == [("target", True), ("dark-sub", None)]
    at_31 = group_licences(graph, group, Filters(min_stake=30.5))
    assert [(h.licence.holder, h.counts) for h in at_31] == [("target", None), ("dark-sub", None)]
    # Target's control is unknown (30% + an undisclosed stake); Dark Sub is controlled through a voting link.
    controlled = group_licences(graph, group, Filters(controlled=True))
    assert [(h.licence.holder, h.counts) for h in controlled] == [("target", None), ("dark-sub", True)]


def test_a_licence_held_through_a_vie_is_controlled_and_says_so() -> None:
    graph = graph_of("vie")
    (held,) = group_licences(graph, graph.data.groups["listed"], Filters(controlled=True))
    assert held.licence.holder == "lender" and held.effective.value == 60.0 and held.effective.via_vie


@pytest.mark.parametrize(("as_of", "gaps"), [("2019-06", ["bank"]), ("2019-07-01", [])])
def test_a_gap_follows_the_owner_on_the_day(as_of: str, gaps: list[str]) -> None:
    assert gap_table(graph_of("change", as_of), "new", ["old"]).gaps == gaps


def test_licences_are_active_from_granted_to_revoked() -> None:
    licence = Licence("bank", "commercial-bank", granted=parse_date("2015-06"), revoked=parse_date("2018"))
    data = Dataset(
        entities={"bank": Entity("bank", "Bank")},
        families={"bank": Family("bank", "Banking")},
        categories={"commercial-bank": Category("commercial-bank", "bank", "Commercial bank")},
        licences=[licence],
    )
    assert active_licences(data, dt.date(2015, 6, 1)) == [licence]
    assert active_licences(data, dt.date(2015, 5, 31)) == []
    assert active_licences(data, dt.date(2018, 12, 31)) == [licence]
    assert active_licences(data, dt.date(2019, 1, 1)) == []
    graph = OwnershipGraph(data, dt.date(2016, 1, 1))
    assert data.groups == {} and graph.members("bank") == {"bank"}
