"""Human output with Rich: trees, tables and one-line summaries. User text is always escaped."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from xmfin.dates import PartialDate, active
from xmfin.graph import Effective, OwnershipGraph, TreeNode, format_stake
from xmfin.licensing import GapTable, HeldLicence
from xmfin.model import Dataset, Entity, Holding, Licence
from xmfin.profile import Profile


def console() -> Console:
    """The stdout console, made when a command runs; Rich turns colour off for pipes and NO_COLOR."""
    return Console(highlight=False)


def entity_label(entity: Entity) -> str:
    """`Name 中文名 (JUR)`, escaped for markup."""
    zh = f" {escape(entity.name_zh)}" if entity.name_zh else ""
    jurisdiction = f" [dim]({escape(entity.jurisdiction)})[/]" if entity.jurisdiction else ""
    return f"[bold]{escape(entity.name)}[/]{zh}{jurisdiction}"


def link_label(holding: Holding | None) -> str:
    """`100%`, `vie`, `29.5% vie`, `? (undisclosed)` for the link to the parent."""
    if holding is None:
        return ""
    stake = f"{format_stake(holding.stake)}%" if holding.stake is not None else "undisclosed"
    if holding.control == "equity":
        return stake
    kind = f"[magenta]{holding.control}[/]"
    return kind if holding.stake is None and holding.control == "vie" else f"{stake} {kind}"


def effective_label(effective: Effective) -> str:
    text = f"eff. {escape(effective.label())}"
    return text + " [magenta]via VIE[/]" if effective.via_vie else text


def period(since: PartialDate | None, until: PartialDate | None) -> str:
    if since is None and until is None:
        return ""
    return f"{since.text if since else '…'} to {until.text if until else 'now'}".rstrip()


def render_tree(out: Console, top: TreeNode, licences: dict[str, list[Licence]], up: bool) -> None:
    def label(node: TreeNode) -> str:
        parts = [entity_label(node.entity)]
        if node.holding is not None:
            parts.append(f"[cyan]{link_label(node.holding)}[/]")
            parts.append(f"[dim]{effective_label(node.effective)}[/]")
        held = licences.get(node.entity.id, [])
        if held:
            parts.append("[green]" + escape(", ".join(lic.category for lic in held)) + "[/]")
        if node.repeat:
            parts.append("[yellow](repeat: shown above)[/]")
        if node.truncated:
            parts.append("[dim]…[/]")
        return "  ".join(parts)

    tree = Tree(label(top))
    pending: list[tuple[TreeNode, Tree]] = [(top, tree)]
    while pending:
        node, branch = pending.pop()
        for child in node.children:
            pending.append((child, branch.add(label(child))))
    if up:
        out.print("[dim]owners above, each with its effective stake in the entity at the top[/]")
    out.print(tree)


def render_paths(out: Console, graph: OwnershipGraph, paths: list[list[str]]) -> None:
    entities = graph.data.entities
    for path in paths:
        steps = [f"{escape(entities[path[0]].name)} ({escape(entities[path[0]].jurisdiction or '?')})"]
        for before, node in itertools.pairwise(path):
            entity = entities[node]
            steps.append(
                f"{escape(entity.name)} ({escape(entity.jurisdiction or '?')}) "
                f"[cyan]{link_label(graph.holding(before, node))}[/]"
            )
        out.print(" → ".join(steps))


def held_cell(held: list[HeldLicence], data: Dataset, claimed: bool) -> Text:
    lines = [
        f"{data.entities[h.licence.holder].name} {h.effective.label()}"
        + (" via VIE" if h.effective.via_vie else "")
        + ("" if h.controlled else " (minority)")
        for h in held
    ]
    text = Text("\n".join(lines))
    if claimed:
        if lines:
            text.append("\n")
        text.append("claimed", style="italic yellow")
    return text


def render_gaps(out: Console, table: GapTable, data: Dataset, day: dt.date) -> None:
    columns = [table.group, *table.peers]
    grid = Table(title=f"Licences on {day.isoformat()}, by {table.by}", show_lines=True)
    grid.add_column(table.by.capitalize())
    for group in columns:
        grid.add_column(escape(data.groups[group].name))
    grid.add_column("Gap")
    for row in table.rows:
        cells: list[Text | str] = [Text(row.name + (" *" if row.core else ""))]
        cells.extend(held_cell(row.held[g], data, bool(row.claimed[g])) for g in columns)
        cells.append(Text("GAP", style="bold red") if row.gap else Text(""))
        grid.add_row(*cells, style="on grey19" if row.gap else None)
    out.print(grid)
    out.print("[dim]* core licence; 'claimed': a source says so but names no licensed entity[/]")
    name = escape(data.groups[table.group].name)
    peers = ", ".join(escape(data.groups[p].name) for p in table.peers)
    if table.gaps:
        out.print(f"[bold]{name}[/] lacks against {peers}: [red]{escape(', '.join(table.gaps))}[/]")
    else:
        out.print(f"[bold]{name}[/] has no gaps against {peers}")


def render_records(out: Console, title: str, header: Iterable[str], rows: list[list[str]]) -> None:
    """A titled table of plain text rows, or nothing when there are none."""
    if not rows:
        return
    table = Table(title=title, title_justify="left", show_edge=False)
    for name in header:
        table.add_column(name)
    for row in rows:
        table.add_row(*[escape(cell) for cell in row])
    out.print(table)


def mark_active(since: PartialDate | None, until: PartialDate | None, day: dt.date) -> str:
    return "" if active(since, until, day) else " (not active)"


def render_profile(out: Console, profile: Profile) -> None:
    """`xmfin show`: the entity's names and dates, then a table per kind of fact, each with its sources."""
    data, day, entity = profile.data, profile.day, profile.entity
    out.print(entity_label(entity) + f"  [dim]{escape(entity.id)}, {escape(entity.kind)}[/]")
    facts = [
        ("founded", entity.founded.text if entity.founded else ""),
        ("dissolved", entity.dissolved.text if entity.dissolved else ""),
        ("aliases", ", ".join(entity.aliases)),
        ("description", entity.description or ""),
        ("note", entity.note or ""),
        ("sources", ", ".join(entity.sources)),
    ]
    for former in entity.former_names:
        facts.append(("former name", f"{former.name} {former.name_zh or ''} {period(former.since, former.until)}"))
    for name, value in facts:
        if value.strip():
            out.print(f"  [dim]{name}:[/] {escape(value.strip())}")

    def link_rows(holdings: list[Holding], other: str) -> list[list[str]]:
        return [
            [
                data.entities[getattr(h, other)].name + mark_active(h.since, h.until, day),
                f"{format_stake(h.stake)}%" if h.stake is not None else "undisclosed",
                h.control,
                period(h.since, h.until),
                ", ".join(h.sources),
            ]
            for h in holdings
        ]

    header = ["", "stake", "control", "period", "sources"]
    render_records(out, "Owners", ["owner", *header[1:]], link_rows(profile.owners, "owner"))
    render_records(out, "Holdings", ["holds", *header[1:]], link_rows(profile.holdings, "owned"))
    render_records(
        out,
        "Licences",
        ["category", "regulator", "period", "sources"],
        [
            [
                lic.category + mark_active(lic.granted, lic.revoked, day),
                lic.regulator or "",
                period(lic.granted, lic.revoked),
                ", ".join(lic.sources),
            ]
            for lic in profile.licences
        ],
    )
    render_records(
        out,
        "Roles",
        ["person", "title", "of", "period", "sources"],
        [
            [
                data.entities[r.holder].name,
                r.title + mark_active(r.since, r.until, day),
                data.entities[r.of].name,
                period(r.since, r.until),
                ", ".join(r.sources),
            ]
            for r in profile.roles
        ],
    )
    render_records(
        out,
        "Figures",
        ["metric", "value", "unit", "period", "sources"],
        [[f.metric, f"{f.value:,}", f.unit or "", f.period or "", ", ".join(f.sources)] for f in entity.figures],
    )
    render_records(
        out,
        f"Groups on {day.isoformat()}",
        ["group", "effective stake", "controlled"],
        [[m.group.name, m.effective.label(), "yes" if m.controlled else "no"] for m in profile.groups],
    )
    render_records(
        out,
        "Sources",
        ["id", "title", "publisher", "published", "url"],
        [
            [
                s,
                data.sources[s].title,
                data.sources[s].publisher or "",
                str(data.sources[s].published or ""),
                data.sources[s].url or "",
            ]
            for s in profile.sources
            if s in data.sources
        ],
    )
