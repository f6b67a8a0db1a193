"""`xmfin export` as a graph: GraphML (our streaming writer, `output/graphml.py`), GEXF (networkx's writer),
Graphviz DOT and Mermaid diagrams.

All four show the ownership graph of one day: every selected entity as a node, every holding active that day
as an edge (owner -> owned). GraphML and GEXF take their attributes from one place, `ExportAttributes`, so the
two never disagree. They cannot hold None, so an attribute without a value is left out of that node or edge (a
reader then finds no such key), never written as an empty or made-up value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from xmfin import textsafe
from xmfin.graph import Effective, OwnershipGraph
from xmfin.licensing import licences_by_holder
from xmfin.model import Dataset, Entity, Group, Holding

# Lists (licences, sources) are joined into one text attribute: GraphML and GEXF attributes are scalars.
LIST_SEPARATOR = "; "

# Every attribute the export graph can carry, with its GraphML type (networkx's names for str, bool and float),
# in the order a GraphML file declares them. Values are always of that Python type: str, bool or float.
GRAPH_ATTRIBUTES: dict[str, str] = {"as_of": "string", "group": "string"}
NODE_ATTRIBUTES: dict[str, str] = {
    "label": "string",
    "name": "string",
    "name_zh": "string",
    "kind": "string",
    "jurisdiction": "string",
    "founded": "string",
    "dissolved": "string",
    "licences": "string",
    "licence_names": "string",
}
# Only in the export of one group: membership and the root's stake and control.
GROUP_NODE_ATTRIBUTES: dict[str, str] = {
    "member": "boolean",
    "effective_stake": "double",
    "effective_min": "double",
    "effective_max": "double",
    "via_vie": "boolean",
    "controlled": "boolean",
}
EDGE_ATTRIBUTES: dict[str, str] = {
    "stake": "double",
    "stake_min": "double",
    "stake_max": "double",
    "stake_min_exclusive": "boolean",
    "stake_max_exclusive": "boolean",
    "nominee_for": "string",
    "control": "string",
    "since": "string",
    "until": "string",
    "sources": "string",
    "note": "string",
}


class ExportAttributes:
    """The scalar attributes of the export graph of `part` on the graph's day, for every graph format that has
    attributes. Each dict leaves out the attributes without a value and holds XML-safe text (`xml_text`).

    Nodes: label and name, name_zh, kind, jurisdiction, founded, dissolved, licences (category ids) and
    licence_names; with a group, `member` and the root's `effective_stake` (when known), `via_vie`,
    `controlled`. Edges: stake (when disclosed), a disclosed range (stake_min, stake_max, each with its
    `_exclusive` flag when set), nominee_for, control, since, until, sources, note.
    """

    def __init__(self, graph: OwnershipGraph, part: Dataset, group: Group | None) -> None:
        self._graph = graph
        self._part = part
        self._group = group
        self._held = licences_by_holder(part, graph.day)
        self._effective: dict[str, Effective] = {}
        self._control: dict[str, bool | None] = {}
        self._members: set[str] = set()
        if group is not None:
            self._effective = graph.effective_from(group.root)
            self._control = graph.control_from(group.root)
            self._members = graph.members(group.root)

    @property
    def node_types(self) -> dict[str, str]:
        """The node attributes this export can carry, with their GraphML types."""
        return NODE_ATTRIBUTES if self._group is None else NODE_ATTRIBUTES | GROUP_NODE_ATTRIBUTES

    @property
    def graph_types(self) -> dict[str, str]:
        """The graph attributes this export can carry, with their GraphML types."""
        return GRAPH_ATTRIBUTES if self._group is not None else {"as_of": GRAPH_ATTRIBUTES["as_of"]}

    def graph(self) -> dict[str, Any]:
        """The graph's own attributes: the day and, for one group's export, the group's id."""
        group = self._group
        return _scalars({"as_of": self._graph.day.isoformat(), "group": group.id if group else None})

    def nodes(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(entity id, attributes) for every selected entity, in file order."""
        for entity in self._part.entities.values():
            yield entity.id, self.node(entity)

    def node(self, entity: Entity) -> dict[str, Any]:
        """The attributes of one entity's node."""
        licences = self._held.get(entity.id, [])
        categories = self._part.categories
        attributes: dict[str, Any] = {
            "label": entity.name,
            "name": entity.name,
            "name_zh": entity.name_zh,
            "kind": entity.kind,
            "jurisdiction": entity.jurisdiction,
            "founded": entity.founded.text if entity.founded else None,
            "dissolved": entity.dissolved.text if entity.dissolved else None,
            "licences": LIST_SEPARATOR.join(lic.category for lic in licences) or None,
            "licence_names": LIST_SEPARATOR.join(categories[lic.category].name for lic in licences) or None,
        }
        if self._group is not None:
            attributes["member"] = entity.id in self._members
            stake = self._effective.get(entity.id)
            if stake is not None:
                attributes["effective_stake"] = stake.value
                attributes["effective_min"] = stake.minimum
                attributes["effective_max"] = stake.maximum
                attributes["via_vie"] = stake.via_vie
            attributes["controlled"] = self._control.get(entity.id, False)
        return _scalars(attributes)

    def edges(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(owner, owned, attributes) for every holding among the selected entities active on the day."""
        for holding in _active_holdings(self._graph, self._part):
            yield holding.owner, holding.owned, edge_attributes(holding)


def edge_attributes(holding: Holding) -> dict[str, Any]:
    """The attributes of one holding's edge."""
    return _scalars(
        {
            "stake": holding.stake,
            "stake_min": holding.stake_min,
            "stake_max": holding.stake_max,
            "stake_min_exclusive": holding.stake_min_exclusive or None,
            "stake_max_exclusive": holding.stake_max_exclusive or None,
            "nominee_for": holding.nominee_for,
            "control": holding.control,
            "since": holding.since.text if holding.since else None,
            "until": holding.until.text if holding.until else None,
            "sources": LIST_SEPARATOR.join(holding.sources) or None,
            "note": holding.note,
        }
    )


def export_graph(graph: OwnershipGraph, part: Dataset, group: Group | None) -> Any:
    """A plain networkx DiGraph of the selected records on the graph's day, with the attributes of
    `ExportAttributes` (scalars only)."""
    import networkx as nx

    attributes = ExportAttributes(graph, part, group)
    out: Any = nx.DiGraph()
    out.graph.update(attributes.graph())
    for node, values in attributes.nodes():
        out.add_node(node, **values)
    for owner, owned, values in attributes.edges():
        out.add_edge(owner, owned, **values)
    return out


def _active_holdings(graph: OwnershipGraph, part: Dataset) -> Iterator[Holding]:
    # From the graph's own links, not graph.nx: a second networkx graph of every entity would double the memory.
    for owner in part.entities:
        for holding in graph.owned(owner):
            if holding.owned in part.entities:
                yield holding


def _scalars(attributes: dict[str, Any]) -> dict[str, Any]:
    """Drop the attributes without a value (GraphML and GEXF have no null); make texts XML-safe."""
    return {
        key: xml_text(value) if isinstance(value, str) else value
        for key, value in attributes.items()
        if value is not None
    }


# Line breaks besides \n that a diagram label must not carry raw.
_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x85\u2028\u2029]")


def xml_text(text: str) -> str:
    """Text with every character XML 1.0 cannot hold replaced by U+FFFD; bidirectional controls are kept, as
    in every export (`textsafe.xml_text` without display)."""
    return textsafe.xml_text(text, display=False)


def _label(text: str) -> str:
    """Text for a diagram label: line breaks as \\n, other control characters replaced by U+FFFD."""
    return xml_text(_LINE_BREAKS.sub("\n", text)).replace("\x7f", "\ufffd")


def link_text(holding: Holding) -> str:
    """`100%`, `> 50%`, `VIE`, `VIE 29.5%`, `voting 30%`, `undisclosed` for an edge label (a disclosed range as
    words.holding_stake gives it), with `, nominee for X` on a nominee's holding."""
    from xmfin.output.words import holding_stake

    shown = holding_stake(holding)
    stake = None if shown == "undisclosed" else shown
    nominee = f", nominee for {holding.nominee_for}" if holding.nominee_for else ""
    return _link_kind(holding, stake) + nominee


def _link_kind(holding: Holding, stake: str | None) -> str:
    if holding.control == "equity":
        return stake or "undisclosed"
    kind = "VIE" if holding.control == "vie" else holding.control
    return f"{kind} {stake}" if stake else kind


def _node_lines(entity: Entity, licence_names: list[str]) -> list[str]:
    lines = [entity.name]
    if entity.name_zh:
        lines.append(entity.name_zh)
    if entity.jurisdiction:
        lines.append(f"({entity.jurisdiction})")
    if licence_names:
        lines.append("licences: " + ", ".join(licence_names))
    return lines


def _licence_names(part: Dataset, graph: OwnershipGraph) -> dict[str, list[str]]:
    return {
        holder: [part.categories[lic.category].name for lic in found]
        for holder, found in licences_by_holder(part, graph.day).items()
    }


def dot_quote(text: str) -> str:
    """A DOT double-quoted string: backslash and quote escaped, line breaks as DOT's centred `\\n`."""
    escaped = _label(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def dot_lines(graph: OwnershipGraph, part: Dataset, group: Group | None) -> Iterator[str]:
    """A Graphviz digraph: boxes with name, Chinese name, jurisdiction and licences; stakes on the edges;
    VIE links dashed, voting and other links dotted; people as ellipses."""
    title = f"{group.name if group else 'xmfin'} ownership, as of {graph.day.isoformat()}"
    names = _licence_names(part, graph)
    yield "digraph xmfin {\n"
    yield f"  graph [rankdir=TB, labelloc=t, label={dot_quote(title)}];\n"
    yield '  node [shape=box, style=rounded, fontname="Helvetica"];\n'
    yield '  edge [fontname="Helvetica", fontsize=10];\n'
    for entity in part.entities.values():
        label = "\n".join(_node_lines(entity, names.get(entity.id, [])))
        shape = ", shape=ellipse" if entity.kind == "person" else ""
        yield f"  {dot_quote(entity.id)} [label={dot_quote(label)}{shape}];\n"
    for holding in _active_holdings(graph, part):
        style = {"vie": ", style=dashed", "equity": ""}.get(holding.control, ", style=dotted")
        label = dot_quote(link_text(holding))
        yield f"  {dot_quote(holding.owner)} -> {dot_quote(holding.owned)} [label={label}{style}];\n"
    yield "}\n"


# Mermaid reads `#name;` and `#NN;` as entity codes in labels; these characters would end or change a label.
_MERMAID_ESCAPES = {
    "#": "#35;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
    "|": "#124;",
    "`": "#96;",
    "[": "#91;",
    "]": "#93;",
    "{": "#123;",
    "}": "#125;",
}


def mermaid_text(text: str) -> str:
    """Label text safe inside Mermaid's quotes: special characters as entity codes, line breaks as spaces."""
    flat = " ".join(_label(text).split("\n"))
    return "".join(_MERMAID_ESCAPES.get(char, char) for char in flat)


def mermaid_lines(graph: OwnershipGraph, part: Dataset, group: Group | None) -> Iterator[str]:
    """A Mermaid flowchart: node ids n1, n2, ... (an entity id may clash with Mermaid syntax such as `end`);
    stakes on the arrows, VIE links dashed (`-.->`), voting and other links thick (`==>`)."""
    names = _licence_names(part, graph)
    ids = {entity_id: f"n{number}" for number, entity_id in enumerate(part.entities, start=1)}
    title = f"{group.name if group else 'xmfin'} ownership, as of {graph.day.isoformat()}"
    yield "---\n"
    yield f"title: {_yaml_title(title)}\n"
    yield "---\n"
    yield "flowchart TD\n"
    for entity in part.entities.values():
        label = "<br/>".join(mermaid_text(line) for line in _node_lines(entity, names.get(entity.id, [])))
        opening, closing = ("([", "])") if entity.kind == "person" else ("[", "]")
        yield f'  {ids[entity.id]}{opening}"{label}"{closing}\n'
    for holding in _active_holdings(graph, part):
        arrow = {"vie": "-.->", "equity": "-->"}.get(holding.control, "==>")
        yield f'  {ids[holding.owner]} {arrow}|"{mermaid_text(link_text(holding))}"| {ids[holding.owned]}\n'


def _yaml_title(text: str) -> str:
    import json

    # Mermaid's front matter is YAML; a JSON string is a valid YAML double-quoted scalar.
    return json.dumps(text, ensure_ascii=False)
