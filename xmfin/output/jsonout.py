"""The JSON documents of cli.md, built from the core's records; every top-level object carries "xmfin": 1."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from typing import Any

from xmfin.dates import PartialDate
from xmfin.errors import Problem
from xmfin.graph import Effective, OwnershipGraph, TreeNode
from xmfin.licensing import GapTable, HeldLicence, LicenceRow, Matrix
from xmfin.model import Claim, Dataset, Entity, Holding, Licence
from xmfin.profile import Profile
from xmfin.search import Match
from xmfin.sources import SourceUse
from xmfin.timeline import Event

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


def effective_fields(effective: Effective, controlled: bool | None = None) -> dict[str, Any]:
    """`effective_stake` (null when unknown), `effective_stake_min` when only a lower bound is known, `via_vie`."""
    fields: dict[str, Any] = {"effective_stake": effective.value}
    if effective.minimum is not None:
        fields["effective_stake_min"] = effective.minimum
    fields["via_vie"] = effective.via_vie
    if controlled is not None:
        fields["controlled"] = controlled
    return fields


def tree_json(node: TreeNode, licences: dict[str, list[Licence]]) -> dict[str, Any]:
    """A tree node as cli.md shows it, with its children (iteratively, so deep trees are safe)."""

    def one(item: TreeNode) -> dict[str, Any]:
        entity = item.entity
        holding = item.holding
        fields: dict[str, Any] = {
            "id": entity.id,
            "name": entity.name,
            "name_zh": entity.name_zh,
            "jurisdiction": entity.jurisdiction,
            "stake": holding.stake if holding else None,
            "control": holding.control if holding else None,
            **effective_fields(item.effective, item.controlled),
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


def path_step(entity: Entity, holding: Holding | None) -> dict[str, Any]:
    return {
        "id": entity.id,
        "name": entity.name,
        "name_zh": entity.name_zh,
        "jurisdiction": entity.jurisdiction,
        "stake": holding.stake if holding else None,
        "control": holding.control if holding else None,
    }


def chain_paths(graph: OwnershipGraph, paths: list[list[str]]) -> list[list[dict[str, Any]]]:
    entities = graph.data.entities
    return [
        [path_step(entities[node], graph.holding(path[i - 1], node) if i else None) for i, node in enumerate(path)]
        for path in paths
    ]


def held_json(held: HeldLicence, data: Dataset) -> dict[str, Any]:
    licence = held.licence
    return {
        "entity": licence.holder,
        "name": data.entities[licence.holder].name,
        "category": licence.category,
        **effective_fields(held.effective, held.controlled),
    }


def claim_json(claim: Claim) -> dict[str, Any]:
    return {"sources": list(claim.sources), "as_of": date_text(claim.as_of), "note": claim.note}


def gaps_json(table: GapTable, data: Dataset, day: dt.date) -> dict[str, Any]:
    rows = [
        {
            "licence": row.key,
            "name": row.name,
            "core": row.core,
            "held": {g: [held_json(h, data) for h in found] for g, found in row.held.items()},
            "claimed": {g: [claim_json(c) for c in found] for g, found in row.claimed.items()},
            "gap": row.gap,
        }
        for row in table.rows
    ]
    return document(day, group=table.group, vs=table.peers, by=table.by, rows=rows, gaps=table.gaps)


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


def holding_json(holding: Holding, data: Dataset, day: dt.date) -> dict[str, Any]:
    from xmfin.dates import active

    return {
        "owner": holding.owner,
        "owned": holding.owned,
        "owner_name": data.entities[holding.owner].name,
        "owned_name": data.entities[holding.owned].name,
        "stake": holding.stake,
        "control": holding.control,
        "since": date_text(holding.since),
        "until": date_text(holding.until),
        "active": active(holding.since, holding.until, day),
        "sources": list(holding.sources),
        "note": holding.note,
    }


def profile_json(profile: Profile) -> dict[str, Any]:
    """`xmfin show --json`: the entity, its links and licences (each with `active` on the day), its sources."""
    from xmfin.dates import active

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
            {**licence_json(lic, data), "active": active(lic.granted, lic.revoked, day)} for lic in profile.licences
        ],
        roles=[
            {
                "holder": r.holder,
                "of": r.of,
                "title": r.title,
                "since": date_text(r.since),
                "until": date_text(r.until),
                "active": active(r.since, r.until, day),
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


def matrix_json(matrix: Matrix, data: Dataset, day: dt.date) -> dict[str, Any]:
    """`xmfin matrix --json`: rows as in `gaps` without `gap`, and per group the keys it holds and is claimed."""
    rows = [
        {
            "licence": row.key,
            "name": row.name,
            "core": row.core,
            "held": {g: [held_json(h, data) for h in found] for g, found in row.held.items()},
            "claimed": {g: [claim_json(c) for c in found] for g, found in row.claimed.items()},
        }
        for row in matrix.rows
    ]
    summary = {
        g: {
            "held": [row.key for row in matrix.rows if row.held[g]],
            "claimed": [row.key for row in matrix.rows if row.claimed[g] and not row.held[g]],
        }
        for g in matrix.groups
    }
    return document(day, by=matrix.by, groups=matrix.groups, rows=rows, summary=summary)


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
