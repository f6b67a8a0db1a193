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
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape as markup_escape
from rich.padding import Padding
from rich.style import Style
from rich.table import Table
from rich.text import Text

from xmfin.dates import PartialDate
from xmfin.graph import Effective, OwnershipGraph, TreeNode
from xmfin.licensing import GapTable, HeldLicence, LicenceRow, Matrix, PendingLicence, claim_support
from xmfin.model import Claim, Dataset, Entity, Holding, Licence, Source
from xmfin.output.words import (
    claim_label,
    control_mark,
    control_phrase,
    fact_age,
    gap_word,
    holding_stake,
    stake_label,
)
from xmfin.profile import Profile
from xmfin.search import Match
from xmfin.sources import SourceUse
from xmfin.textsafe import terminal_text
from xmfin.timeline import Event

if TYPE_CHECKING:
    from xmfin.api import Chain

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


# The schemes a source's URL may have to be made a link: what a reader's browser opens as a document. Anything else
# (javascript:, file:, data:, a terminal's own schemes) is shown as text, never as a link.
LINK_SCHEMES = frozenset({"http", "https", "ftp"})
# What stays as it is in a link's target; the rest (spaces, non-ASCII, controls) is percent-encoded.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


def link_target(url: str | None) -> str | None:
    """The target of a terminal hyperlink (OSC 8) for a URL from the data, or None when it must not be one.

    Only http, https and ftp URLs with a host are linked; the target is percent-encoded to printable ASCII, so
    that no character of it (an ESC, a bidirectional control, the `ST` that ends the link) can reach the
    terminal raw and end the hyperlink early or plant another sequence.
    """
    if not url or not url.strip():
        return None
    from urllib.parse import quote, urlsplit

    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc:
        return None
    target = quote(text, safe=_URL_SAFE)
    return target if target.isascii() and target.isprintable() and " " not in target else None


def linked(text: str, url: str | None, style: str = "") -> Text:
    """text (data, shown terminal-safe) as a Text that a terminal opens at url on click, where url may be one.

    Rich writes the hyperlink only to a terminal; in a pipe or a file the text is plain (which is why a URL is
    always shown as text too, where it matters)."""
    target = link_target(url)
    return Text(plain(text), style=Style.parse(style or "none") + Style(link=target) if target else style)


def source_ids(data: Dataset, ids: Iterable[str]) -> Text:
    """`a, b, c`: source ids, each a link to its source's URL on a terminal; never cut (see `fold`)."""
    out = Text()
    for i, source_id in enumerate(ids):
        if i:
            out.append(", ")
        source = data.sources.get(source_id)
        out.append_text(linked(source_id, source.url if source is not None else None))
    return out


def lines(texts: Iterable[str]) -> str:
    """Data texts for Rich markup, escaped each, one per line."""
    return "\n".join(escape(text) for text in texts)


def entity_label(entity: Entity) -> str:
    """`Name 中文名 (JUR)`, escaped for markup."""
    zh = f" {escape(entity.name_zh)}" if entity.name_zh else ""
    jurisdiction = f" [dim]({escape(entity.jurisdiction)})[/]" if entity.jurisdiction else ""
    return f"[bold]{escape(entity.name)}[/]{zh}{jurisdiction}"


def link_label(holding: Holding | None, entities: dict[str, Entity] | None = None) -> str:
    """`100%`, `vie`, `29.5% vie`, `> 50%`, `undisclosed` for the link to the parent; a nominee's says so."""
    if holding is None:
        return ""
    stake = escape(holding_stake(holding))
    if holding.control == "equity":
        text = stake
    else:
        kind = f"[magenta]{holding.control}[/]"
        text = kind if stake == "undisclosed" and holding.control == "vie" else f"{stake} {kind}"
    if holding.nominee_for is not None:
        principal = entities.get(holding.nominee_for) if entities is not None else None
        text += f" [yellow](nominee for {escape(principal.name if principal else holding.nominee_for)})[/]"
    return text


def effective_label(effective: Effective) -> str:
    text = f"eff. {escape(effective.label())}"
    return text + " [magenta]via VIE[/]" if effective.via_vie else text


def control_label(controlled: bool | None, effective: Effective | None = None) -> str:
    """Nothing for a controlled node, `minority`, `no control` or `control unknown` otherwise (tree nodes)."""
    mark = control_mark(controlled, effective).strip(" ()")
    return f"[yellow]{mark}[/]" if mark else ""


def period(since: PartialDate | None, until: PartialDate | None) -> str:
    if since is None and until is None:
        return ""
    return f"{since.text if since else '…'} to {until.text if until else 'now'}".rstrip()


GUIDE_WIDTH = 4  # columns of one level's guide: "├── ", "│   "


def render_tree(
    out: Console, top: TreeNode, licences: dict[str, list[Licence]], up: bool, graph: OwnershipGraph
) -> None:
    """The tree with guides as Rich draws them, every node at any depth and width.

    The guides take at most half the width (`tree_levels`); a node nested deeper is drawn at that indentation
    with its level in front, `(level 41)`, so that nothing is cut off. Each label wraps within what is left.
    """
    data, day = graph.full, graph.day

    def label(node: TreeNode) -> str:
        parts = [entity_label(node.entity)]
        if node.holding is not None:
            parts.append(f"[cyan]{link_label(node.holding, data.entities)}[/]")
            parts.append(f"[dim]{effective_label(node.effective)}[/]")
            if not up and node.controlled is not True:
                parts.append(control_label(node.controlled, node.effective))
            age = fact_age(data, node.holding.sources, day)
            if age:
                parts.append(f"[yellow]{escape(age.strip())}[/]")
        held = licences.get(node.entity.id, [])
        if held:
            names = dict.fromkeys(category_name(data, lic.category) for lic in held)
            parts.append("[green]" + escape(", ".join(names)) + "[/]")
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


def category_name(data: Dataset, category: str) -> str:
    """A licence category's name (`Microcredit company`), or its id where the taxonomy lacks it."""
    known = data.categories.get(category)
    return known.name if known is not None else category


def tree_levels(width: int) -> int:
    """How many levels of guides a tree draws at width: as many as fit in half of it, at least one."""
    return max(1, width // 2 // GUIDE_WIDTH)


def not_there(out: Console, entity: Entity, absent: str, day: dt.date) -> None:
    """The answer for an entity that did not exist on the day."""
    out.print(f"{entity_label(entity)}: not there on {day.isoformat()} ({escape(absent)})")


def render_chain(out: Console, found: Chain, graph: OwnershipGraph) -> None:
    """`xmfin chain`: the paths, then each top owner's effective stake and control, and pending deals."""
    day = graph.day.isoformat()
    entities = graph.data.entities
    if found.absent is not None:
        name = escape(graph.full.entities[found.entity].name)
        out.print(f"{name}: no recorded owners on {day}: {escape(found.absent)}")
        return
    if not found.tops:
        out.print(f"{place(entities[found.entity])}: no recorded owners on {day}")
    render_paths(out, graph, found.paths)
    if found.truncated:
        out.print(f"[yellow]only the first {len(found.paths)} paths are shown[/]")
    for top in found.tops:
        name = escape(entities[top].name)
        stake = effective_label(found.effective[top])
        principal = found.nominee_for.get(top)
        if principal is not None:
            out.print(f"{name}: nominee for {escape(graph.full.entities[principal].name)}, {stake} on paper")
        else:
            out.print(f"{name}: {stake}, {control_phrase(found.controls[top])}")
    if found.controllers:
        named = ", ".join(escape(entities[node].name) for node in found.controllers)
        out.print(f"controlled by: {named}")
    for holding in found.pending:
        announced = f", announced {holding.since}" if holding.since else ""
        out.print(
            f"[cyan]pending[/]: {escape(entities[holding.owner].name)} → {escape(entities[holding.owned].name)} "
            f"{escape(holding_stake(holding))}{announced} (not done; not counted)"
        )


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
            holding = graph.holding(before, node)
            age = fact_age(graph.full, holding.sources, graph.day)
            link = link_label(holding, graph.full.entities)
            steps.append(f"{place(entity)} [cyan]{link}[/]" + (f"[yellow]{escape(age)}[/]" if age else ""))
        out.print(" → ".join(steps))


def held_cell(
    graph: OwnershipGraph, held: list[HeldLicence], claimed: list[Claim], pending: list[PendingLicence]
) -> Text:
    """A gaps or matrix cell: each holder with the group's stake and control, then claims and pending deals."""
    data, day = graph.full, graph.day
    names = graph.data.entities
    # A holder with several licences of one family is named once.
    lines = list(
        dict.fromkeys(
            f"{plain(names[h.licence.holder].name)} {stake_label(h.effective)}{control_mark(h.controlled, h.effective)}"
            + ("" if h.counts else " (may not count)")
            + fact_age(data, h.licence.sources, day)
            for h in held
        )
    )
    text = Text("\n".join(lines))
    extra = [
        (claim_label(claim, claim_support(graph, claim)) + fact_age(data, claim.sources, day), "italic yellow")
        for claim in claimed
    ]
    extra.extend(
        (
            f"pending: {plain(names[p.licence.holder].name)}"
            + (
                f" (announced {p.holding.since})"
                if p.holding and p.holding.since
                else f" (since {p.licence.granted})"
                if p.holding is None and p.licence.granted
                else ""
            ),
            "italic cyan",
        )
        for p in pending
    )
    for line, style in dict.fromkeys(extra):
        if len(text):
            text.append("\n")
        text.append(line, style=style)
    return text


def render_gaps(out: Console, table: GapTable, graph: OwnershipGraph) -> None:
    data, day = graph.data, graph.day
    columns = [table.group, *table.peers]
    grid = Table(title=f"Licences on {day.isoformat()}, by {table.by}", show_lines=True)
    grid.add_column(table.by.capitalize(), overflow="fold")
    for group in columns:
        grid.add_column(escape(data.groups[group].name), overflow="fold")
    grid.add_column("Gap")
    for row in table.rows:
        cells: list[Text | str] = [Text(plain(row.name) + (" *" if row.core else ""))]
        cells.extend(held_cell(graph, row.held[g], row.claimed[g], row.pending[g]) for g in columns)
        cells.append(Text(gap_word(row.gap), style="bold red" if row.gap else "yellow"))
        grid.add_row(*cells, style="on grey19" if row.gap else None)
    out.print(grid)
    out.print(f"[dim]{LEGEND}[/]")
    name = escape(data.groups[table.group].name)
    peers = ", ".join(escape(data.groups[p].name) for p in table.peers)
    if table.gaps:
        out.print(f"[bold]{name}[/] lacks against {peers}: [red]{escape(', '.join(table.gaps))}[/]")
    else:
        out.print(f"[bold]{name}[/] has no certain gap against {peers}")
    if table.unknown:
        out.print(f"the records cannot tell for: [yellow]{escape(', '.join(table.unknown))}[/]")


LEGEND = (
    "* core licence; 'claimed': a source says so but names no licensed entity (with the claim's date and whether "
    "the records of that day support or contradict it); 'may not count': the stake or control may not meet "
    "--min-stake or --controlled; 'pending': announced, not done"
)


def render_records(out: Console, title: str, header: Iterable[str], rows: list[list[str | Text]]) -> None:
    """A titled table of rows (plain text, or Text such as linked source ids), or nothing when there are none.

    Cells fold rather than end in `…`: an id or a URL is never cut short."""
    if not rows:
        return
    table = Table(title=title, title_justify="left", show_edge=False)
    for name in header:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*[cell if isinstance(cell, Text) else escape(cell) for cell in row])
    out.print(table)


def mark_active(since: PartialDate | None, until: PartialDate | None, day: dt.date, *entities: Entity) -> str:
    """Marks a link or role not in force on the day: ` (ended)` or ` (not yet)`; also when one of the entities
    it links was not founded yet or was dissolved already (xmfin.dated.in_force)."""
    from xmfin.dated import in_force

    if in_force(since, until, day, *entities):
        return ""
    if since is not None and day < since.first:
        return " (not yet)"
    if any(e.founded is not None and day < e.founded.first for e in entities):
        return " (not yet)"
    return " (ended)"


def record_period(since: PartialDate | None, until: PartialDate | None, *entities: Entity) -> str:
    """A record's period as `period` gives it, but a record without its own end whose entity was dissolved ends
    there: `2019-05 to 2021-06-30 (dissolved)`, not `to now`."""
    from xmfin.dated import ended_by

    end = ended_by(until, *entities)
    if end is None:
        return period(since, until)
    return f"{since.text if since else '…'} to {end.text} (dissolved)"


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
            shown = source_ids(data, entity.sources) if name == "sources" else Text(plain(value.strip()))
            labelled(out, name, shown)

    def linked(*ids: str) -> list[Entity]:
        return [data.entities[i] for i in ids if i in data.entities]

    def link_rows(holdings: list[Holding], other: str) -> list[list[str | Text]]:
        return [
            [
                data.entities[getattr(h, other)].name,
                holding_stake(h),
                h.control + (f", nominee for {h.nominee_for}" if h.nominee_for else ""),
                (
                    ("pending, announced " if h.pending else "")
                    + record_period(h.since, h.until, *linked(h.owner, h.owned))
                    + mark_active(h.since, h.until, day, *linked(h.owner, h.owned))
                    + fact_age(data, h.sources, day)
                ).strip(),
                source_ids(data, h.sources),
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
                lic.category
                + (" (pending)" if lic.pending else mark_active(lic.granted, lic.revoked, day, *linked(lic.holder))),
                lic.regulator or "",
                record_period(lic.granted, lic.revoked, *linked(lic.holder)) + fact_age(data, lic.sources, day),
                source_ids(data, lic.sources),
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
                r.title + mark_active(r.since, r.until, day, *linked(r.holder, r.of)),
                data.entities[r.of].name,
                record_period(r.since, r.until, *linked(r.holder, r.of)),
                source_ids(data, r.sources),
            ]
            for r in profile.roles
        ],
    )
    render_records(
        out,
        "Figures",
        ["metric", "value", "unit", "period", "sources"],
        [[f.metric, f"{f.value:,}", f.unit or "", f.period or "", source_ids(data, f.sources)] for f in entity.figures],
    )
    render_records(
        out,
        f"Groups on {day.isoformat()}",
        ["group", "effective stake", "controlled"],
        [
            [
                m.group.name,
                stake_label(m.effective),
                {True: "yes", False: "no", None: "unknown"}[m.controlled],
            ]
            for m in profile.groups
        ],
    )
    render_source_list(out, [data.sources[s] for s in profile.sources if s in data.sources])


def render_source_list(
    out: Console, sources: list[Source], cited: dict[str, Text] | None = None, heading: bool = True
) -> None:
    """`Sources`, then per source its id and title, publisher and date, and its URL on a line of its own, whole
    (a link a terminal opens on click; a line that a pipe or a file keeps uncut, to copy); then, where given,
    what cites it, wrapped under the URL."""
    if not sources:
        return
    if heading:
        out.print("[bold]Sources[/]")
    for source in sources:
        about = ", ".join(part for part in (source.publisher or "", str(source.published or "")) if part)
        title = Text(plain(source.title))
        if about:
            title.append(f" ({plain(about)})", style="dim")
        ident = linked(source.id, source.url, "bold")
        if len(source.id) <= out.width // 3:  # the title beside the id, wrapping under itself
            row = Table.grid(padding=(0, 2))
            row.add_column(no_wrap=True)
            row.add_column(overflow="fold")
            row.add_row(ident, title)
            out.print(Padding(row, (0, 0, 0, 2)))
        else:  # a narrow terminal: the id whole on its line, the title under it
            out.print(Padding(ident, (0, 0, 0, 2)), overflow="fold")
            out.print(Padding(title, (0, 0, 0, 4)), overflow="fold")
        if source.url:
            url = linked(source.url, source.url, "blue")
            out.print(Text("    ").append_text(url), no_wrap=True, crop=False, overflow="ignore")
        if cited is not None and source.id in cited:
            out.print(Padding(cited[source.id], (0, 0, 0, 4)))


def labelled(out: Console, name: str, value: Text) -> None:
    """`  name: value`, the value wrapping under itself (a long description does not run back to column 0)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(f"{name}:", value)
    out.print(Padding(grid, (0, 0, 0, 2)))


def render_matrix(out: Console, matrix: Matrix, graph: OwnershipGraph) -> None:
    """`xmfin matrix`: a row per family (or category), a column per group; cells as in `gaps`."""
    data, day = graph.data, graph.day
    grid = Table(title=f"Licences on {day.isoformat()}, by {matrix.by}", show_lines=True)
    grid.add_column(matrix.by.capitalize(), overflow="fold")
    for group in matrix.groups:
        grid.add_column(escape(data.groups[group].name), overflow="fold")
    for row in matrix.rows:
        cells: list[Text | str] = [Text(plain(row.name) + (" *" if row.core else ""))]
        cells.extend(held_cell(graph, row.held[g], row.claimed[g], row.pending[g]) for g in matrix.groups)
        grid.add_row(*cells)
    out.print(grid)
    out.print(f"[dim]{LEGEND}[/]")


def render_licences(out: Console, rows: list[LicenceRow], data: Dataset, day: dt.date, everything: bool) -> None:
    """`xmfin licences`: a row per licence; groups with their effective stake in the holder."""
    table = Table(title=f"Licences {'known' if everything else 'active'} on {day.isoformat()}", title_justify="left")
    for name in ("category", "holder", "groups", "jurisdiction", "regulator", "granted", "revoked"):
        table.add_column(name, overflow="fold")
    for row in rows:
        licence = row.licence
        status = "" if row.active else " (pending)" if licence.pending else " (not active)"
        cells = [
            data.categories[licence.category].name + status,
            data.entities[licence.holder].name,
            row.jurisdiction or "",
            licence.regulator or "",
            licence.granted.text if licence.granted else "",
            licence.revoked.text if licence.revoked else "",
        ]
        shown = [escape(cell) for cell in cells]
        shown.insert(
            2,
            lines(
                f"{data.groups[g.group].name} {stake_label(g.effective)}{control_mark(g.controlled, g.effective)}"
                for g in row.groups
            ),
        )
        table.add_row(*shown, style=None if row.active else "dim")
    out.print(table)
    out.print(f"[dim]{len(rows)} licence{'' if len(rows) == 1 else 's'}[/]")


def render_search(out: Console, matches: list[Match]) -> None:
    """`xmfin search`: a row per entity, best first, saying what matched and how."""
    table = Table(show_edge=False)
    for name in ("id", "name", "jurisdiction", "matched", "how"):
        table.add_column(name, overflow="fold")
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
    """`xmfin sources`: per source as in `show` (id, title, publisher and date, the URL whole on its own line),
    then what cites it and (the first few of) the entities concerned."""
    cited: dict[str, Text] = {}
    for use in uses:
        about = [data.entities[e].name for e in use.entities[:shown] if e in data.entities]
        about.extend(f"group {g}" for g in use.groups)
        more = len(use.entities) - shown
        if more > 0:
            about.append(f"and {more} more")
        counts = citation_counts(use.counts)
        line = ("cited by " if use.counts else "") + counts + ("; about " + ", ".join(about) if about else "")
        cited[use.source.id] = Text(plain(line), style="dim")
    render_source_list(out, [use.source for use in uses], cited, heading=False)


def render_timeline(out: Console, events: list[Event], data: Dataset) -> None:
    """`xmfin timeline`: a row per event, in order, with its sources."""
    from xmfin.timeline import describe

    table = Table(show_edge=False)
    for name in ("date", "event", "what happened", "sources"):
        table.add_column(name, overflow="fold")
    for event in events:
        cells = (event.date.text, event.kind, describe(event, data))
        table.add_row(*[escape(cell) for cell in cells], source_ids(data, event.sources))
    out.print(table)
