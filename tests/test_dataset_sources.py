"""The bundled dataset's citations: every fact names a source that exists, most say the sentence that states
it, and every quote attributed to the seed articles is in their text."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from xmfin import bundled_data
from xmfin.model import Dataset
from xmfin.storage.loading import check_folder

SEEDS = {"time-weekly-2019-05", "equalocean-2018-06"}
# The scraped file that holds both seed articles, beside the checkout (not copied into the repository).
SEED_TEXT = Path(__file__).parents[1].parent / "shared" / "seeds" / "000_5a318a300baeffb7.txt"
# The scrape's variant characters and their normal forms (fact sheet, ../shared/facts/fact-sheet.md).
VARIANTS = str.maketrans("尛囿嘚訴虛銀時測試騰Φ喥茬", "小有的诉虚银时测试腾中度在")


def bundled() -> Dataset:
    dataset, problems = check_folder(bundled_data(), "data")
    assert problems == []
    return dataset


def facts(dataset: Dataset) -> list[Any]:
    """The holdings, licences, roles and figures: the facts that must each have a source."""
    figures = [figure for entity in dataset.entities.values() for figure in entity.figures]
    return [*dataset.holdings, *dataset.licences, *dataset.roles, *figures]


def every_record(dataset: Dataset) -> list[Any]:
    return [*dataset.entities.values(), *facts(dataset), *dataset.events, *dataset.claims]


def test_every_fact_event_and_claim_names_a_source_that_exists() -> None:
    dataset = bundled()
    for record in every_record(dataset):
        assert record.sources, record
        assert set(record.sources) <= set(dataset.sources), record
        assert {q.source for q in record.quotes} <= set(record.sources), record


def test_every_source_is_cited_and_says_what_it_is() -> None:
    dataset = bundled()
    cited = {source for record in every_record(dataset) for source in record.sources}
    assert set(dataset.sources) - cited == set()
    for source in dataset.sources.values():
        assert source.title and source.publisher and source.kind, source.id
        # A date or URL that could not be read is said to be missing, never made up.
        assert source.published is not None or "date" in (source.note or "").lower(), source.id
        assert source.url is not None or source.id in SEEDS, source.id


def without_the_first_holdings_sources(text: str) -> str:
    """entities.yaml with the `sources:` of its first holding taken out (the lines that belong to it)."""
    lines = text.splitlines(keepends=True)
    start = lines.index("holdings:\n")
    first = next(i for i in range(start, len(lines)) if lines[i].startswith("  - owner: "))
    at = next(i for i in range(first + 1, len(lines)) if lines[i] == "    sources:\n")
    end = next(i for i in range(at + 1, len(lines)) if not lines[i].startswith("      "))
    return "".join(lines[:at] + lines[end:])


def test_a_fact_without_a_source_is_caught(tmp_path: Path) -> None:
    # What the tests above rely on: a holding whose sources are taken out is found wanting by the check.
    text = (bundled_data() / "entities.yaml").read_text(encoding="utf-8")
    (tmp_path / "entities.yaml").write_text(without_the_first_holdings_sources(text), encoding="utf-8")
    (tmp_path / "licences.yaml").write_text((bundled_data() / "licences.yaml").read_text(encoding="utf-8"))
    dataset, problems = check_folder(tmp_path, "data")
    assert [record for record in facts(dataset) if not record.sources] == [dataset.holdings[0]]
    assert [problem.message for problem in problems if "names no source" in problem.message]


def test_at_least_80_percent_of_facts_quote_their_source() -> None:
    quoted = [bool(any(q.quote for q in record.quotes)) for record in facts(bundled())]
    assert sum(quoted) / len(quoted) >= 0.8, f"{sum(quoted)} of {len(quoted)} facts quote their source"


def normal(text: str) -> str:
    """The seed's text in normal characters, without white space and keyword stuffing ("金融业务" for "金融")."""
    text = re.sub(r"\s+", "", text.translate(VARIANTS))
    while "金融业务" in text:
        text = text.replace("金融业务", "金融")
    return text


@pytest.mark.skipif(not SEED_TEXT.is_file(), reason="../shared/seeds/ (the seed articles) is not beside the checkout")
def test_every_quote_of_the_seed_articles_is_in_their_text() -> None:
    seed = normal(SEED_TEXT.read_text(encoding="utf-8"))
    quotes = [q.quote for record in every_record(bundled()) for q in record.quotes if q.source in SEEDS and q.quote]
    assert len(quotes) >= 40
    for quote in quotes:
        # A quote may leave out words between whole phrases with "...".
        for part in re.split(r"\.\.\.|…", quote):
            assert normal(part) in seed, quote


def test_normalising_the_seed_reads_variants_and_stuffing_as_the_normal_text() -> None:
    assert normal("尛米金融业务业务(香港)囿限公司") == normal("小米金融(香港)有限公司") == "小米金融(香港)有限公司"
