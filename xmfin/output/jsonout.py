"""The JSON documents of cli.md, built from the core's records; every top-level object carries "xmfin": 1."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from xmfin.dates import PartialDate
from xmfin.errors import Problem
from xmfin.freshness import freshness
from xmfin.graph import Effective, OwnershipGraph, TreeNode
from xmfin.licensing import (
    GapRow,
    GapTable,
    HeldLicence,
    LicenceRow,
    Matrix,
    MatrixRow,
    PendingLicence,
    claim_support,
    kleene_or,
)
from xmfin.model import Claim, Dataset, Entity, Holding, Licence
from xmfin.profile import Profile
from xmfin.search import Match
from xmfin.sources import SourceUse
from xmfin.timeline import Event

if TYPE_CHECKING:
    from xmfin.api import Chain

OUTPUT_VERSION = 1


def emit(document: dict[str, Any]) -> None:
    """Write one JSON document to stdout: UTF-8, Chinese unescaped, never wrapped."""
    sys.stdout.write(dumps(document) + "\n")


def dumps(value: Any) -> str:
    """json.dumps(value, ensure_ascii=False), for values nested to any depth (a tree of a 100,000-long chain):
    json's encoder recurses, so a value too deep for it is encoded by a loop instead, to the same text."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except RecursionError:
        return "".join(_deep_chunks(value))


_END: Any = object()


def _deep_chunks(value: Any) -> Iterator[str]:
    """The text of value as json.dumps gives it (default separators), container by container, with no recursion."""
    frames: list[list[Any]] = []  # per open container: its items, keyed, closing bracket, an item written yet
    item = value
    while True:
        if isinstance(item, dict) and item:
            yield "{"
            frames.append([iter(item.items()), True, "}", False])
        elif isinstance(item, (list, tuple)) and item:
            yield "["
            frames.append([iter(item), False, "]", False])
        else:
            yield json.dumps(item, ensure_ascii=False)
        while frames:  # the next item to write: the next one of the innermost container that has one
            frame = frames[-1]
            following = next(frame[0], _END)
            if following is _END:
                frames.pop()
                yield frame[2]
                continue
            if frame[3]:
                yield ", "
            frame[3] = True
            if frame[1]:
                key, following = following
                yield json.dumps({key: 0}, ensure_ascii=False)[1:-4] + ": "  # the key as json writes keys
            item = following
            break
        else:
            return


def document(day: dt.date | None = None, **fields: Any) -> dict[str, Any]:
    """A top-level object: the output version, the as-of day when there is one, then the fields."""
    head: dict[str, Any] = {"xmfin": OUTPUT_VERSION}
    if day is not None:
        head["as_of"] = day.isoformat()
    head.update(fields)
    return head


def date_text(value: PartialDate | None) -> str | None:
    return None if value is None else value.text


_NO_CONTROL = object()


def effective_fields(effective: Effective, controlled: Any = _NO_CONTROL) -> dict[str, Any]:
    """`effective_stake` (exact, or null), `effective_min` and `effective_max` (always; max null only where a
    cycle was too large to bound), `effective_stake_min` (the lower bound, when not exact), `via_vie`, and
    `controlled` (true, false or null: unknown) when given."""
    fields: dict[str, Any] = {
        "effective_stake": effective.value,
        "effective_min": effective.minimum,
        "effective_max": effective.maximum,
    }
    if effective.value is None and effective.minimum > 0:
        fields["effective_stake_min"] = effective.minimum
    fields["via_vie"] = effective.via_vie
    if controlled is not _NO_CONTROL:
        fields["controlled"] = controlled
    return fields


def freshness_fields(data: Dataset, sources: tuple[str, ...], day: dt.date) -> dict[str, Any]:
    """`confirmed` (the latest date of the fact's sources, or null) and `stale` (more than three years before
    the day; null when no source has a date)."""
    last, stale = freshness(data, sources, day)
    return {"confirmed": date_text(last), "stale": stale}


def stake_fields(holding: Holding | None) -> dict[str, Any]:
    """A link's own stake: `stake` (exact or null), `stake_min`/`stake_max` (a disclosed range, else the exact
    stake or null), `control`, `nominee_for`."""
    if holding is None:
        return {"stake": None, "stake_min": None, "stake_max": None, "control": None, "nominee_for": None}
    exact = holding.stake
    return {
        "stake": exact,
        "stake_min": exact if exact is not None else holding.stake_min,
        "stake_max": exact if exact is not None else holding.stake_max,
        "control": holding.control,
        "nominee_for": holding.nominee_for,
    }


def tree_json(node: TreeNode, licences: dict[str, list[Licence]], graph: OwnershipGraph) -> dict[str, Any]:
    """A tree node as cli.md shows it, with its children (iteratively, so deep trees are safe)."""

    def one(item: TreeNode) -> dict[str, Any]:
        entity = item.entity
        holding = item.holding
        fields: dict[str, Any] = {
            "id": entity.id,
            "name": entity.name,
            "name_zh": entity.name_zh,
            "jurisdiction": entity.jurisdiction,
            **stake_fields(holding),
            **effective_fields(item.effective, item.controlled),
            **freshness_fields(graph.full, holding.sources if holding else (), graph.day),
            "licences": [lic.category for lic in licences.get(entity.id, [])],
            "repeat": item.repeat,
            "truncated": item.truncated,
            "children": [],
        }
        return fields

    top = one(node)
    pending = [(node, top)]
    while pending:
        item, out = pending.pop()
        for child in item.children:
            child_out = one(child)
            out["children"].append(child_out)
            pending.append((child, child_out))
    return top


def path_step(entity: Entity, holding: Holding | None, graph: OwnershipGraph) -> dict[str, Any]:
    return {
        "id": entity.id,
        "name": entity.name,
        "name_zh": entity.name_zh,
        "jurisdiction": entity.jurisdiction,
        **stake_fields(holding),
        **freshness_fields(graph.full, holding.sources if holding else (), graph.day),
    }


def chain_paths(graph: OwnershipGraph, paths: list[list[str]]) -> list[list[dict[str, Any]]]:
    entities = graph.data.entities
    return [
        [
            path_step(entities[node], graph.holding(path[i - 1], node) if i else None, graph)
            for i, node in enumerate(path)
        ]
        for path in paths
    ]


def chain_json(found: Chain, graph: OwnershipGraph) -> dict[str, Any]:
    """`xmfin chain --json`: the paths, `from` (the top owners), their stakes and control in `by_owner`
    (with `nominee_for` where the owner holds for another), the first top owner's at the top level; with no
    owner on the day, `from` is empty, the stakes and control null, and `absent` says why when the entity was
    not there at all."""
    by_owner: dict[str, Any] = {}
    for top in found.tops:
        by_owner[top] = effective_fields(found.effective[top], found.controls[top])
        if top in found.nominee_for:
            by_owner[top]["nominee_for"] = found.nominee_for[top]
    first = by_owner[found.tops[0]] if found.tops else {}
    return document(
        graph.day,
        entity=found.entity,
        **{"from": found.tops},
        paths=chain_paths(graph, found.paths),
        paths_truncated=found.truncated,
        effective_stake=first.get("effective_stake"),
        effective_min=first.get("effective_min"),
        effective_max=first.get("effective_max"),
        **({"effective_stake_min": first["effective_stake_min"]} if "effective_stake_min" in first else {}),
        controlled=first.get("controlled"),
        via_vie=first.get("via_vie", False),
        by_owner=by_owner,
        controllers=found.controllers,
        pending=[holding_json(h, graph.full, graph.day) for h in found.pending],
        absent=found.absent,
    )


def held_json(held: HeldLicence, graph: OwnershipGraph) -> dict[str, Any]:
    licence = held.licence
    return {
        "entity": licence.holder,
        "name": graph.data.entities[licence.holder].name,
        "category": licence.category,
        **effective_fields(held.effective, held.controlled),
        "counts": held.counts,
        **freshness_fields(graph.full, licence.sources, graph.day),
    }


def pending_json(pending: PendingLicence, graph: OwnershipGraph) -> dict[str, Any]:
    licence, holding = pending.licence, pending.holding
    return {
        "entity": licence.holder,
        "name": graph.data.entities[licence.holder].name,
        "category": licence.category,
        "licence_pending": licence.pending,
        "via": None if holding is None else holding_json(holding, graph.full, graph.day),
    }


def claim_json(claim: Claim, graph: OwnershipGraph) -> dict[str, Any]:
    return {
        "sources": list(claim.sources),
        "as_of": date_text(claim.as_of),
        "note": claim.note,
        "records": claim_support(graph, claim),
        **freshness_fields(graph.full, claim.sources, graph.day),
    }


def licence_cells(row: GapRow | MatrixRow, graph: OwnershipGraph) -> dict[str, Any]:
    """What each group holds, claims and has pending for one family or category."""
    return {
        "licence": row.key,
        "name": row.name,
        "core": row.core,
        "held": {g: [held_json(h, graph) for h in found] for g, found in row.held.items()},
        "claimed": {g: [claim_json(c, graph) for c in found] for g, found in row.claimed.items()},
        "pending": {g: [pending_json(p, graph) for p in found] for g, found in row.pending.items()},
    }


def gaps_json(table: GapTable, graph: OwnershipGraph) -> dict[str, Any]:
    """`xmfin gaps --json`: `gap` true, false or null (unknown) per row; `gaps` the certain ones, `unknown`
    the undecided; `status` per group: controlled, control-unknown, minority, claimed or absent."""
    rows = [
        {
            **licence_cells(row, graph),
            "status": {g: row.status(g) for g in row.held},
            "gap": row.gap,
        }
        for row in table.rows
    ]
    return document(
        graph.day, group=table.group, vs=table.peers, by=table.by, rows=rows, gaps=table.gaps, unknown=table.unknown
    )


def problem_json(problem: Problem) -> dict[str, Any]:
    return {
        "file": problem.loc.file,
        "line": problem.loc.line,
        "column": problem.loc.column,
        "severity": problem.severity,
        "message": problem.message,
    }


def licence_json(licence: Licence, data: Dataset) -> dict[str, Any]:
    holder = data.entities.get(licence.holder)
    return {
        "holder": licence.holder,
        "category": licence.category,
        "family": data.categories[licence.category].family if licence.category in data.categories else None,
        "regulator": licence.regulator,
        "jurisdiction": licence.jurisdiction or (holder.jurisdiction if holder else None),
        "number": licence.number,
        "granted": date_text(licence.granted),
        "revoked": date_text(licence.revoked),
        "pending": licence.pending,
        "sources": list(licence.sources),
        "note": licence.note,
    }


def source_json(data: Dataset, source_id: str) -> dict[str, Any]:
    source = data.sources[source_id]
    return {
        "id": source.id,
        "title": source.title,
        "publisher": source.publisher,
        "published": date_text(source.published),
        "url": source.url,
    }


def _linked(data: Dataset, *ids: str) -> list[Entity]:
    """The entities a record links, as far as the data knows them."""
    return [data.entities[i] for i in ids if i in data.entities]


def holding_json(holding: Holding, data: Dataset, day: dt.date) -> dict[str, Any]:
    from xmfin.dated import in_force

    return {
        "owner": holding.owner,
        "owned": holding.owned,
        "owner_name": data.entities[holding.owner].name,
        "owned_name": data.entities[holding.owned].name,
        **stake_fields(holding),
        "since": date_text(holding.since),
        "until": date_text(holding.until),
        "pending": holding.pending,
        "active": not holding.pending
        and in_force(holding.since, holding.until, day, *_linked(data, holding.owner, holding.owned)),
        "sources": list(holding.sources),
        **freshness_fields(data, holding.sources, day),
        "note": holding.note,
    }


def profile_json(profile: Profile) -> dict[str, Any]:
    """`xmfin show --json`: the entity, its links and licences (each with `active` on the day: in force, and
    every entity it links existing then), its sources."""
    from xmfin.dated import in_force

    data, day, entity = profile.data, profile.day, profile.entity
    return document(
        day,
        entity={
            "id": entity.id,
            "name": entity.name,
            "name_zh": entity.name_zh,
            "former_names": [
                {"name": f.name, "name_zh": f.name_zh, "since": date_text(f.since), "until": date_text(f.until)}
                for f in entity.former_names
            ],
            "aliases": list(entity.aliases),
            "kind": entity.kind,
            "jurisdiction": entity.jurisdiction,
            "founded": date_text(entity.founded),
            "dissolved": date_text(entity.dissolved),
            "description": entity.description,
            "note": entity.note,
            "sources": list(entity.sources),
        },
        owners=[holding_json(h, data, day) for h in profile.owners],
        holdings=[holding_json(h, data, day) for h in profile.holdings],
        licences=[
            {
                **licence_json(lic, data),
                "active": not lic.pending and in_force(lic.granted, lic.revoked, day, *_linked(data, lic.holder)),
                **freshness_fields(data, lic.sources, day),
            }
            for lic in profile.licences
        ],
        roles=[
            {
                "holder": r.holder,
                "of": r.of,
                "title": r.title,
                "since": date_text(r.since),
                "until": date_text(r.until),
                "active": in_force(r.since, r.until, day, *_linked(data, r.holder, r.of)),
                "sources": list(r.sources),
            }
            for r in profile.roles
        ],
        figures=[
            {
                "metric": f.metric,
                "value": f.value,
                "unit": f.unit,
                "period": f.period,
                "as_of": date_text(f.as_of),
                "sources": list(f.sources),
                "note": f.note,
            }
            for f in entity.figures
        ],
        groups=[{"group": m.group.id, **effective_fields(m.effective, m.controlled)} for m in profile.groups],
        sources=[source_json(data, s) for s in profile.sources if s in data.sources],
    )


def matrix_json(matrix: Matrix, graph: OwnershipGraph) -> dict[str, Any]:
    """`xmfin matrix --json`: rows as in `gaps` without `gap`; per group the keys it certainly holds, those it
    may hold (`unknown`: only through holders that may not meet the filters) and those only claimed."""
    rows = [licence_cells(row, graph) for row in matrix.rows]

    def holds(row: MatrixRow, group: str) -> bool | None:
        return kleene_or(*(h.counts for h in row.held[group]))

    summary = {
        g: {
            "held": [row.key for row in matrix.rows if holds(row, g) is True],
            "unknown": [row.key for row in matrix.rows if holds(row, g) is None],
            "claimed": [row.key for row in matrix.rows if row.claimed[g] and not row.held[g]],
        }
        for g in matrix.groups
    }
    return document(graph.day, by=matrix.by, groups=matrix.groups, rows=rows, summary=summary)


def licence_row_json(row: LicenceRow, data: Dataset) -> dict[str, Any]:
    """One licence of `xmfin licences --json`, with `active` on the day and the groups reaching its holder."""
    return {
        **licence_json(row.licence, data),
        "holder_name": data.entities[row.licence.holder].name,
        "jurisdiction": row.jurisdiction,
        "active": row.active,
        "groups": [{"group": g.group, **effective_fields(g.effective, g.controlled)} for g in row.groups],
    }


def search_json(query: str, matches: list[Match], day: dt.date) -> dict[str, Any]:
    """`xmfin search --json`: results best first; `matched` is the id or name that matched, `field` its kind."""
    results = [
        {
            "id": m.entity.id,
            "name": m.entity.name,
            "name_zh": m.entity.name_zh,
            "jurisdiction": m.entity.jurisdiction,
            "kind": m.entity.kind,
            "matched": m.text,
            "field": m.field,
            "match": m.grade,
            "score": m.score,
        }
        for m in matches
    ]
    return document(day, query=query, results=results)


def sources_json(uses: list[SourceUse], data: Dataset, day: dt.date, entity: str | None) -> dict[str, Any]:
    """`xmfin sources --json`: each source with `cited_by` (counts by record kind), `entities` and `groups`."""
    sources = [
        {
            **source_json(data, use.source.id),
            "note": use.source.note,
            "cited_by": use.counts,
            "citations": use.total,
            "entities": use.entities,
            "groups": use.groups,
        }
        for use in uses
    ]
    return document(day, entity=entity, sources=sources)


def timeline_json(events: list[Event], data: Dataset, day: dt.date, group: str | None) -> dict[str, Any]:
    """`xmfin timeline --json`: events in order, each with date, kind, entities, group, sources, detail, text."""
    from xmfin.timeline import describe

    rows = [
        {
            "date": event.date.text,
            "kind": event.kind,
            "entities": list(event.entities),
            "group": event.group,
            "sources": list(event.sources),
            "detail": event.detail,
            "text": describe(event, data),
        }
        for event in events
    ]
    return document(day, group=group, events=rows)
