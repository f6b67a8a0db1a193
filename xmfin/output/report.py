"""A group's report as one self-contained HTML page: chart, licence gaps, licences, holdings, figures, roles, sources.

The page is built as an ElementTree and serialised by it, so every string from the data is escaped where it
lands (text or attribute); nothing is pasted into markup by hand. Before that, `textsafe.safe_tree` makes every
text valid in XML and shows bidirectional controls escaped. It needs no network: the chart is inline SVG,
the styling inline CSS (with a print layout), and there is no script.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from urllib.parse import urlsplit

from xmfin import __version__
from xmfin.dates import PartialDate
from xmfin.graph import OwnershipGraph
from xmfin.licensing import GapTable, HeldLicence, claim_support, gap_table, group_licences, licences_by_holder
from xmfin.model import Dataset, Entity, Holding
from xmfin.output.diagram import ChartTooLarge, build_chart, chart_svg, links_among, select
from xmfin.output.words import claim_label, control_mark, fact_age, gap_word, holding_stake, stake_label
from xmfin.textsafe import safe_tree

CSS = """
:root { --ink: #1d2733; --muted: #5f6f80; --rule: #d5dce4; --gap: #fdecea; --accent: #2c5d8f; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45;
       font: 15px/1.45 "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
             "Hiragino Sans GB", "Segoe UI", "DejaVu Sans", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 32px 48px; }
h1 { font-size: 1.7em; margin: 0 0 4px; }
h1 .zh { color: var(--muted); font-weight: normal; margin-left: .4em; }
h2 { font-size: 1.2em; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--rule); }
p.meta { color: var(--muted); margin: 0 0 8px; }
.diagram { overflow-x: auto; border: 1px solid var(--rule); border-radius: 6px; }
.diagram svg { display: block; max-width: none; height: auto; }
figcaption { color: var(--muted); font-size: .9em; margin-top: 6px; }
table { border-collapse: collapse; width: 100%; font-size: .92em; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--rule); }
th { background: #f3f6f9; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
tr.gap td { background: var(--gap); }
tr.gap td.flag { color: #b03a2e; font-weight: 700; }
.claimed { font-style: italic; color: #9a6b00; }
.none { color: #a0aab4; }
.core { color: var(--accent); font-weight: 700; }
sup.cite { font-size: .72em; margin-left: 1px; }
sup.cite a { text-decoration: none; color: var(--accent); }
ol.references li { margin-bottom: 4px; }
ol.references .publisher { color: var(--muted); }
.empty { color: var(--muted); font-style: italic; }
footer { margin-top: 40px; color: var(--muted); font-size: .85em; }
@media print {
  @page { size: A4; margin: 14mm; }
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  .diagram { overflow: visible; border: none; }
  .diagram svg { max-width: 100%; height: auto; }
  h2 { break-after: avoid; }
  tr, figure, li { break-inside: avoid; }
  a { color: inherit; }
}
"""


class Citations:
    """Numbers for sources in order of first citation, and the superscript links that cite them."""

    def __init__(self, data: Dataset) -> None:
        self.data = data
        self.numbers: dict[str, int] = {}

    def cite(self, parent: ET.Element, sources: Iterable[str]) -> None:
        """Append `[1][3]`-style links to the references for sources (unknown ids are skipped)."""
        for source in dict.fromkeys(sources):
            if source not in self.data.sources:
                continue
            number = self.numbers.setdefault(source, len(self.numbers) + 1)
            sup = ET.SubElement(parent, "sup", {"class": "cite"})
            ET.SubElement(sup, "a", {"href": f"#ref-{number}"}).text = f"[{number}]"


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _table(parent: ET.Element, header: list[str], cls: str) -> ET.Element:
    table = _el(parent, "table", class_=cls)
    row = _el(_el(table, "thead"), "tr")
    for name in header:
        _el(row, "th", name, scope="col")
    return _el(table, "tbody")


def _period(since: PartialDate | None, until: PartialDate | None) -> str:
    if since is None and until is None:
        return ""
    return f"{since or '…'} to {until or 'now'}"


def _entity_text(entity: Entity) -> str:
    return f"{entity.name} {entity.name_zh}" if entity.name_zh else entity.name


def safe_url(url: str | None) -> str | None:
    """url when it is an http(s) address; None otherwise (a `javascript:` URL in the data never becomes a link)."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def report_html(graph: OwnershipGraph, group_id: str, peers: list[str]) -> str:
    """The report on group against peers, on the graph's day, as an HTML document."""
    data = graph.data
    group = data.groups[group_id]
    day = graph.day.isoformat()
    cites = Citations(data)
    try:
        chart = build_chart(graph, group.root, licences=licences_by_holder(data, graph.day))
    except ChartTooLarge:
        chart = None  # the page leaves it out and says so; the tables still list everything
    members = list(chart.boxes) if chart else select(graph, group.root, False, None)[0]
    holdings = [graph.holding(owner, owned) for owner, owned in links_among(graph, members)]  # the chart's links

    html = ET.Element("html", {"lang": "en"})
    head = _el(html, "head")
    _el(head, "meta", charset="utf-8")
    _el(head, "meta", name="viewport", content="width=device-width, initial-scale=1")
    _el(head, "title", f"{group.name}: structure and licences, {day}")
    _el(head, "style", CSS)
    main = _el(_el(html, "body"), "main")
    h1 = _el(main, "h1", group.name)
    if group.name_zh:
        _el(h1, "span", group.name_zh, class_="zh")
    root = data.entities[group.root]
    _el(
        main,
        "p",
        f"Holding structure and licences as of {day}. Top entity: {_entity_text(root)}"
        f"{f' ({root.jurisdiction})' if root.jurisdiction else ''}; {len(members)} entities.",
        class_="meta",
    )

    _el(main, "h2", "Holding structure", id="structure")
    if chart is None:
        _el(
            main,
            "p",
            "The chart is left out: the structure is too large to lay out (xmfin diagram --depth N draws a part). "
            "The tables below list every entity and holding.",
            class_="empty",
        )
    else:
        figure = _el(main, "figure")
        _el(figure, "div", class_="diagram").append(chart_svg(chart))
        _el(
            figure,
            "figcaption",
            "Offshore entities above the line, onshore (PRC) entities below. Solid arrows are equity stakes, dashed "
            "arrows VIE contracts; badges are licences held. Sources for every link are in the holdings table.",
        )

    table = gap_table(graph, group_id, peers)
    _gaps_section(main, graph, table, data, cites)
    _licences_section(main, group_licences(graph, group), data, cites, graph.day)
    _entities_section(main, graph, group.root, members, cites)
    _holdings_section(main, holdings, data, cites, graph.day)
    _figures_section(main, [data.entities[m] for m in members], cites)
    _roles_section(main, set(members), data, cites)
    _references_section(main, cites)
    _el(main, "footer", f"Generated by xmfin {__version__}; the data as of {day}.")
    return "<!DOCTYPE html>\n" + ET.tostring(safe_tree(html), encoding="unicode", method="html") + "\n"


def _held_cell(cell: ET.Element, held: list[HeldLicence], data: Dataset, cites: Citations, day: dt.date) -> None:
    for i, item in enumerate(held):
        if i:
            _el(cell, "br")
        holder = data.entities[item.licence.holder]
        age = fact_age(data, item.licence.sources, day)
        line = _el(
            cell,
            "span",
            f"{holder.name} {stake_label(item.effective)}{control_mark(item.controlled, item.effective)}{age}",
        )
        line.set("title", data.categories[item.licence.category].name)
        cites.cite(cell, item.licence.sources)


def _gaps_section(main: ET.Element, graph: OwnershipGraph, table: GapTable, data: Dataset, cites: Citations) -> None:
    _el(main, "h2", "Licence gaps against peers", id="gaps")
    columns = [table.group, *table.peers]
    if not table.peers:
        _el(main, "p", "No peer group to compare with: what the group holds is shown alone.", class_="empty")
    body = _table(main, ["Licence family", *(data.groups[g].name for g in columns), "Gap"], "gaps")
    for row in table.rows:
        tr = _el(
            body, "tr", class_="gap" if row.gap else "unknown" if row.gap is None else "held", **{"data-key": row.key}
        )
        name = _el(tr, "td", row.name)
        if row.core:
            _el(name, "span", " core", class_="core")
        for g in columns:
            cell = _el(tr, "td")
            _held_cell(cell, row.held[g], data, cites, graph.day)
            for claim in row.claimed[g]:
                if len(cell) or cell.text:
                    _el(cell, "br")
                label = claim_label(claim, claim_support(graph, claim)) + fact_age(data, claim.sources, graph.day)
                _el(cell, "span", label, class_="claimed")
                cites.cite(cell, claim.sources)
            if not row.held[g] and not row.claimed[g]:
                _el(cell, "span", "—", class_="none")
        _el(tr, "td", gap_word(row.gap), class_="flag")
    summary = ", ".join(data.families[k].name if k in data.families else k for k in table.gaps)
    peers = ", ".join(data.groups[p].name for p in table.peers)
    if table.peers:
        text = f"Lacks against {peers}: {summary}." if summary else f"No gaps against {peers}."
        _el(main, "p", text, class_="meta")


def _licences_section(main: ET.Element, held: list[HeldLicence], data: Dataset, cites: Citations, day: dt.date) -> None:
    _el(main, "h2", "Licences", id="licences")
    if not held:
        _el(main, "p", "No member of the group holds a licence on this day.", class_="empty")
        return
    header = ["Holder", "Licence", "Regulator", "Number", "Granted", "Group's stake", "Sources"]
    body = _table(main, header, "licences")
    for item in held:
        licence = item.licence
        category = data.categories[licence.category]
        tr = _el(body, "tr")
        _el(tr, "td", _entity_text(data.entities[licence.holder]))
        _el(tr, "td", category.name + (f" {category.name_zh}" if category.name_zh else ""))
        _el(tr, "td", licence.regulator or "")
        _el(tr, "td", licence.number or "")
        _el(tr, "td", (str(licence.granted or "") + fact_age(data, licence.sources, day)).strip())
        _el(tr, "td", stake_label(item.effective) + control_mark(item.controlled, item.effective), class_="num")
        cites.cite(_el(tr, "td"), licence.sources)


def _entities_section(main: ET.Element, graph: OwnershipGraph, root: str, members: list[str], cites: Citations) -> None:
    _el(main, "h2", "Entities", id="entities")
    effective = graph.effective_from(root)
    control = graph.control_from(root)
    header = ["Entity", "Jurisdiction", "Founded", "Group's stake", "Controlled", "Sources"]
    body = _table(main, header, "entities")
    for member in members:
        entity = graph.data.entities[member]
        tr = _el(body, "tr", **{"data-id": member})
        _el(tr, "td", _entity_text(entity))
        _el(tr, "td", entity.jurisdiction or "")
        _el(tr, "td", str(entity.founded or ""))
        stake = effective[member]
        _el(tr, "td", stake_label(stake), class_="num")
        _el(tr, "td", {True: "yes", False: "no", None: "unknown"}[control.get(member, False)])
        cites.cite(_el(tr, "td"), entity.sources)


def _holdings_section(main: ET.Element, holdings: list[Holding], data: Dataset, cites: Citations, day: dt.date) -> None:
    _el(main, "h2", "Holdings", id="holdings")
    if not holdings:
        _el(main, "p", "No holdings below the top entity on this day.", class_="empty")
        return
    body = _table(main, ["Owner", "Holds", "Stake", "Control", "Period", "Sources"], "holdings")
    for holding in holdings:
        tr = _el(body, "tr")
        _el(tr, "td", data.entities[holding.owner].name)
        _el(tr, "td", data.entities[holding.owned].name)
        _el(tr, "td", holding_stake(holding), class_="num")
        _el(tr, "td", holding.control)
        _el(tr, "td", (_period(holding.since, holding.until) + fact_age(data, holding.sources, day)).strip())
        cites.cite(_el(tr, "td"), holding.sources)


def _figures_section(main: ET.Element, entities: list[Entity], cites: Citations) -> None:
    _el(main, "h2", "Figures", id="figures")
    rows = [(entity, figure) for entity in entities for figure in entity.figures]
    if not rows:
        _el(main, "p", "No figures recorded for the group's entities.", class_="empty")
        return
    body = _table(main, ["Entity", "Metric", "Value", "Unit", "Period", "Sources"], "figures")
    for entity, figure in rows:
        tr = _el(body, "tr")
        _el(tr, "td", entity.name)
        _el(tr, "td", figure.metric)
        _el(tr, "td", f"{figure.value:,}", class_="num")
        _el(tr, "td", figure.unit or "")
        _el(tr, "td", figure.period or str(figure.as_of or ""))
        cites.cite(_el(tr, "td"), figure.sources)


def _roles_section(main: ET.Element, members: set[str], data: Dataset, cites: Citations) -> None:
    _el(main, "h2", "Roles", id="roles")
    roles = [role for role in data.roles if role.of in members]
    if not roles:
        _el(main, "p", "No roles recorded for the group's entities.", class_="empty")
        return
    body = _table(main, ["Who", "Title", "Of", "Period", "Sources"], "roles")
    for role in roles:
        tr = _el(body, "tr")
        _el(tr, "td", _entity_text(data.entities[role.holder]))
        _el(tr, "td", role.title)
        _el(tr, "td", data.entities[role.of].name)
        _el(tr, "td", _period(role.since, role.until))
        cites.cite(_el(tr, "td"), role.sources)


def _references_section(main: ET.Element, cites: Citations) -> None:
    _el(main, "h2", "References", id="references")
    if not cites.numbers:
        _el(main, "p", "No sources are cited.", class_="empty")
        return
    listing = _el(main, "ol", class_="references")
    for source_id, number in cites.numbers.items():
        source = cites.data.sources[source_id]
        item = _el(listing, "li", id=f"ref-{number}", **{"data-source": source_id})
        _el(item, "cite", source.title)
        details = ", ".join(filter(None, [source.publisher, str(source.published or "")]))
        if details:
            _el(item, "span", f". {details}", class_="publisher")
        url = safe_url(source.url)
        if url:
            item.append(ET.Element("span"))
            item[-1].text = ". "
            _el(item[-1], "a", url, href=url)
        elif source.url:
            _el(item, "span", f". {source.url}")
        if source.note:
            _el(item, "span", f". {source.note}")
        _el(item, "span", f" [{source_id}]", class_="publisher")
