"""Human output with Rich: trees, tables and one-line summaries.

User text is always escaped: control and bidirectional characters are shown as `\x1b` or `\u202e`
(`textsafe.terminal_text`), and `[` so that it is never read as markup. Use `escape` for markup strings and
`plain` for `Text`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
from collections.abc import Iterable

from rich.console import Console
from rich.markup import escape as markup_escape
from rich.table import Table
from rich.text import Text

from xmfin.dates import PartialDate, active
from xmfin.graph import Effective, OwnershipGraph, TreeNode, format_stake
from xmfin.licensing import GapTable, HeldLicence, LicenceRow, Matrix
from xmfin.model import Dataset, Entity, Holding, Licence
from xmfin.profile import Profile
from xmfin.search import Match
from xmfin.sources import SourceUse
from xmfin.textsafe import terminal_text
from xmfin.timeline import Event

PIPE_WIDTH = 160
MIN_WIDTH = 20  # a narrower $COLUMNS counts as this: below it, every word would be broken


def console() -> Console:
    """The stdout console, made when a command runs; Rich turns colour off for pipes and NO_COLOR.

    Piped into a file or a pager, tables get PIPE_WIDTH columns (or $COLUMNS) rather than Rich's 80, so
    that names are not broken over many lines. A $COLUMNS that is not a whole number of at least 1 (`0`,
    `-5`, `wide`) is ignored: the terminal's width, or PIPE_WIDTH for a pipe; one below MIN_WIDTH counts as
    MIN_WIDTH.
    """
    columns = os.environ.get("COLUMNS", "").strip()
    wanted = int(columns) if columns.isdigit() else 0
    # emoji=False: a name with `:smile:` in it is shown as written, not as a picture.
    out = Console(highlight=False, emoji=False, width=max(wanted, MIN_WIDTH) if wanted else None)
    if not wanted:
        out.width = shutil.get_terminal_size((PIPE_WIDTH, 25)).columns if out.is_terminal else PIPE_WIDTH
    return out


def escape(text: str) -> str:
    """Data text for Rich markup: controls and bidirectional characters shown escaped, markup escaped."""
    return markup_escape(terminal_text(text))


def plain(text: str) -> str:
    """Data text for a `Text` (which reads no markup): controls and bidirectional characters shown escaped."""
    return terminal_text(text)


def lines(texts: Iterable[str]) -> str:
    """Data texts for Rich markup, escaped each, one per line."""
    return "\n".join(escape(text) for text in texts)


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


GUIDE_WIDTH = 4  # columns of one level's guide: "├── ", "│   "


def render_tree(out: Console, top: TreeNode, licences: dict[str, list[Licence]], up: bool) -> None:
    """The tree with guides as Rich draws them, every node at any depth and width.

    The guides take at most half the width (`tree_levels`); a node nested deeper is drawn at that indentation
    with its level in front, `(level 41)`, so that nothing is cut off. Each label wraps within what is left.
    """

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

    if up:
        out.print("[dim]owners above, each with its effective stake in the entity at the top[/]")
    levels = tree_levels(out.width)
    lines: list[Text] = []
    # Depth first, in order: (node, its level, the guides of its ancestors' levels, whether it is the last child).
    pending: list[tuple[TreeNode, int, tuple[str, ...], bool]] = [(top, 0, (), True)]
    while pending:
        node, level, guides, last = pending.pop()
        shown = guides[: levels - 1]
        first = "".join(shown) + ("" if level == 0 else "└── " if last else "├── ")
        after = "".join(shown) + ("" if level == 0 else "    " if last else "│   ")
        text = Text.from_markup(("" if level <= levels else f"[dim](level {level})[/] ") + label(node), emoji=False)
        room = max(out.width - len(first), GUIDE_WIDTH)
        wrapped = [text] if text.cell_len <= room else text.wrap(out, room)
        for i, line in enumerate(wrapped):
            lines.append(Text(first if i == 0 else after).append_text(line))
        inner = guides + (() if level == 0 else ("    " if last else "│   ",))
        children = node.children
        pending.extend(
            (child, level + 1, inner, i == len(children) - 1) for i, child in reversed(list(enumerate(children)))
        )
    out.print(Text("\n").join(lines), no_wrap=True, crop=False, overflow="ignore")


def tree_levels(width: int) -> int:
    """How many levels of guides a tree draws at width: as many as fit in half of it, at least one."""
    return max(1, width // 2 // GUIDE_WIDTH)


def place(entity: Entity) -> str:
    """`Name (JUR)`, or just the name where no jurisdiction is recorded (people)."""
    where = f" ({escape(entity.jurisdiction)})" if entity.jurisdiction else ""
    return escape(entity.name) + where


def render_paths(out: Console, graph: OwnershipGraph, paths: list[list[str]]) -> None:
    entities = graph.data.entities
    for path in paths:
        steps = [place(entities[path[0]])]
        for before, node in itertools.pairwise(path):
            entity = entities[node]
            steps.append(f"{place(entity)} [cyan]{link_label(graph.holding(before, node))}[/]")
        out.print(" → ".join(steps))


def held_cell(held: list[HeldLicence], data: Dataset, claimed: bool) -> Text:
    # A holder with several licences of one family is named once.
    lines = list(
        dict.fromkeys(
            f"{plain(data.entities[h.licence.holder].name)} {h.effective.label()}"
            + (" via VIE" if h.effective.via_vie else "")
            + ("" if h.controlled or h.effective.value is None else " (minority)")
            for h in held
        )
    )
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
        cells: list[Text | str] = [Text(plain(row.name) + (" *" if row.core else ""))]
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
        parts = (former.name, former.name_zh or "", period(former.since, former.until))
        facts.append(("former name", " ".join(part for part in parts if part)))
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
        [
            [
                m.group.name,
                m.effective.label() + (" via VIE" if m.effective.via_vie else ""),
                "yes" if m.controlled else "no",
            ]
            for m in profile.groups
        ],
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


def render_matrix(out: Console, matrix: Matrix, data: Dataset, day: dt.date) -> None:
    """`xmfin matrix`: a row per family (or category), a column per group; cells as in `gaps`."""
    grid = Table(title=f"Licences on {day.isoformat()}, by {matrix.by}", show_lines=True)
    grid.add_column(matrix.by.capitalize())
    for group in matrix.groups:
        grid.add_column(escape(data.groups[group].name))
    for row in matrix.rows:
        cells: list[Text | str] = [Text(plain(row.name) + (" *" if row.core else ""))]
        cells.extend(held_cell(row.held[g], data, bool(row.claimed[g])) for g in matrix.groups)
        grid.add_row(*cells)
    out.print(grid)
    out.print("[dim]* core licence; 'claimed': a source says so but names no licensed entity[/]")


def render_licences(out: Console, rows: list[LicenceRow], data: Dataset, day: dt.date, everything: bool) -> None:
    """`xmfin licences`: a row per licence; groups with their effective stake in the holder."""
    table = Table(title=f"Licences {'known' if everything else 'active'} on {day.isoformat()}", title_justify="left")
    for name in ("category", "holder", "groups", "jurisdiction", "regulator", "granted", "revoked"):
        table.add_column(name)
    for row in rows:
        licence = row.licence
        cells = [
            data.categories[licence.category].name + ("" if row.active else " (not active)"),
            data.entities[licence.holder].name,
            row.jurisdiction or "",
            licence.regulator or "",
            licence.granted.text if licence.granted else "",
            licence.revoked.text if licence.revoked else "",
        ]
        shown = [escape(cell) for cell in cells]
        shown.insert(2, lines(f"{data.groups[g.group].name} {g.effective.label()}" for g in row.groups))
        table.add_row(*shown, style=None if row.active else "dim")
    out.print(table)
    out.print(f"[dim]{len(rows)} licence{'' if len(rows) == 1 else 's'}[/]")


def render_search(out: Console, matches: list[Match]) -> None:
    """`xmfin search`: a row per entity, best first, saying what matched and how."""
    table = Table(show_edge=False)
    for name in ("id", "name", "jurisdiction", "matched", "how"):
        table.add_column(name)
    for m in matches:
        name = m.entity.name + (f" {m.entity.name_zh}" if m.entity.name_zh else "")
        how = m.grade if m.grade != "fuzzy" else f"fuzzy {m.score:g}"
        matched = f"{_FIELD_LABELS.get(m.field, m.field)}: {m.text}"
        cells = [m.entity.id, name, m.entity.jurisdiction or "", matched, how]
        table.add_row(*[escape(cell) for cell in cells])
    out.print(table)


_FIELD_LABELS = {"name_zh": "Chinese name", "former_name": "former name"}


def citation_counts(counts: dict[str, int]) -> str:
    """`2 holdings, 1 licence`, or `not cited`."""
    words = [f"{n} {kind if n == 1 else _PLURALS.get(kind, kind + 's')}" for kind, n in counts.items()]
    return ", ".join(words) or "not cited"


_PLURALS = {"entity": "entities"}


def render_sources(out: Console, uses: list[SourceUse], data: Dataset, shown: int = 4) -> None:
    """`xmfin sources`: a row per source with what cites it and (the first few of) the entities concerned."""
    table = Table(show_lines=True)
    for name in ("source", "title", "published", "cited by", "about"):
        table.add_column(name)
    for use in uses:
        source = use.source
        about = [data.entities[e].name for e in use.entities[:shown] if e in data.entities]
        about.extend(f"group {g}" for g in use.groups)
        more = len(use.entities) - shown
        if more > 0:
            about.append(f"and {more} more")
        title = lines([source.title] + ([source.publisher] if source.publisher else []))
        cells = [escape(source.id), title, escape(str(source.published or "")), citation_counts(use.counts)]
        table.add_row(*cells, lines(about))
    out.print(table)


def render_timeline(out: Console, events: list[Event], data: Dataset) -> None:
    """`xmfin timeline`: a row per event, in order, with its sources."""
    from xmfin.timeline import describe

    table = Table(show_edge=False)
    for name in ("date", "event", "what happened", "sources"):
        table.add_column(name)
    for event in events:
        cells = (event.date.text, event.kind, describe(event, data), ", ".join(event.sources))
        table.add_row(*[escape(cell) for cell in cells])
    out.print(table)
