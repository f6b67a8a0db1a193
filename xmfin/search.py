"""Find entities by what people remember of them: an id, a name, part of a Chinese name, a former name, a typo.

Every entity is known by labels (its id, names, former names, aliases, and the ids and names of the groups
it is the root of). A match is graded: exact, then prefix, then substring (all case-insensitive), then fuzzy
(rapidfuzz's WRatio, which forgives typos, word order and extra words) above a cutoff, with every word of
the query found in the label, so that nonsense and a single shared word ('Limited') find nothing. Ties within
a grade go to the higher score, then the more important label, then the shorter one (closer to the query).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from xmfin.model import Dataset, Entity, Group

GRADES: tuple[str, ...] = ("exact", "prefix", "substring", "fuzzy")
# Label kinds in the order they win a tie.
FIELDS: tuple[str, ...] = ("id", "name", "name_zh", "group", "former_name", "alias")
# WRatio scores below this are noise: 'qwerty' or 'hello world' against company names score 40-50, a typo
# such as 'tencnet' for 'Tencent Holdings' about 77, a wrong word order 85 and more.
FUZZY_CUTOFF = 75.0
# WRatio also scores high when one word of the query is in a long name ('future finance' against 'Mi Finance
# H.K. Limited'): a fuzzy match must also contain every word of the query, spelled at least this closely.
WORD_CUTOFF = 70.0
DEFAULT_LIMIT = 20


@dataclass(frozen=True, slots=True)
class Match:
    """One entity found: which label matched (`field`, `text`), how (`grade`), and the score (100 unless fuzzy)."""

    entity: Entity
    field: str
    text: str
    grade: str
    score: float


def labels(entity: Entity, rooted: Iterable[Group] = ()) -> list[tuple[str, str]]:
    """Every (field, text) an entity can be found by, most important first; rooted: the groups it is root of."""
    found = [("id", entity.id), ("name", entity.name)]
    if entity.name_zh:
        found.append(("name_zh", entity.name_zh))
    for group in rooted:
        found.extend(("group", text) for text in (group.id, group.name, group.name_zh) if text)
    for former in entity.former_names:
        found.extend(("former_name", text) for text in (former.name, former.name_zh) if text)
    found.extend(("alias", alias) for alias in entity.aliases)
    return found


def grade_of(query: str, text: str) -> str | None:
    """'exact', 'prefix' or 'substring' when text contains the (case-folded) query literally; else None."""
    folded = text.casefold()
    if folded == query:
        return "exact"
    if folded.startswith(query):
        return "prefix"
    return "substring" if query in folded else None


def _rank(match: Match) -> tuple[int, float, int, int, str, str]:
    return (
        GRADES.index(match.grade),
        -match.score,
        FIELDS.index(match.field),
        len(match.text),
        match.entity.name.casefold(),
        match.entity.id,
    )


def search(data: Dataset, text: str, limit: int | None = DEFAULT_LIMIT, day: dt.date | None = None) -> list[Match]:
    """Entities matching text, best first, at most limit (None: all).

    With day, entities founded after it are left out (they did not exist yet); every name is searched
    whatever its dates, since a former name is often how people remember an entity.
    """
    from rapidfuzz import fuzz, process, utils

    query = text.strip().casefold()
    if not query:
        return []
    candidates = [
        entity
        for entity in data.entities.values()
        if day is None or entity.founded is None or entity.founded.first <= day
    ]
    rooted: dict[str, list[Group]] = {}
    for group in data.groups.values():
        rooted.setdefault(group.root, []).append(group)
    best: dict[str, Match] = {}
    unmatched: list[tuple[Entity, str, str]] = []
    for entity in candidates:
        known_by = labels(entity, rooted.get(entity.id, ()))
        literal = [Match(entity, f, label, g, 100.0) for f, label in known_by if (g := grade_of(query, label))]
        if literal:
            best[entity.id] = min(literal, key=_rank)
        else:
            unmatched.extend((entity, field, label) for field, label in known_by)
    choices = [utils.default_process(label) for _, _, label in unmatched]
    words = utils.default_process(query).split()
    for choice, score, index in process.extract(
        utils.default_process(query), choices, scorer=fuzz.WRatio, score_cutoff=FUZZY_CUTOFF, limit=None
    ):
        if any(fuzz.partial_ratio(word, choice) < WORD_CUTOFF for word in words):
            continue
        entity, field, label = unmatched[index]
        match = Match(entity, field, label, "fuzzy", round(float(score), 1))
        if entity.id not in best or _rank(match) < _rank(best[entity.id]):
            best[entity.id] = match
    ranked = sorted(best.values(), key=_rank)
    return ranked if limit is None else ranked[:limit]
