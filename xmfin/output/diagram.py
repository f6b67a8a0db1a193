"""Structure charts as SVG: the holding structure below (or above) an entity, drawn the way analysts draw it.

One box per entity (name, Chinese name, jurisdiction, licences as badges), one arrow per holding (stake on
it; VIE links dashed; undisclosed stakes marked), offshore entities in a band above the line and onshore (PRC)
entities in a band below it. An entity reached twice (a diamond) or closing a cycle is one box with all its
links.

Layout is layered (Sugiyama): our own ranking, so that the bands hold (every offshore rank above every
onshore rank); leaves of one owner stacked in columns, which keeps wide groups readable; grandalf's crossing
reduction (the best order it passes through kept, then neighbours swapped while that removes crossings) and
Brandes-Koepf placement; then a sweep that keeps boxes apart. Text is measured by estimate (no font files are
read), on the generous side. The SVG is built with xml.etree.ElementTree and uses presentation attributes
only, no CSS, so that it looks the same when pasted into a word processor or a slide.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from grandalf.graphs import Edge, Vertex, graph_core
from grandalf.layouts import Layer, SugiyamaLayout
from grandalf.utils.poset import Poset

from xmfin.errors import UsageError
from xmfin.graph import OwnershipGraph, format_stake
from xmfin.model import Dataset, Entity, Holding, Licence
from xmfin.textsafe import safe_tree, xml_text

SVG_NS = "http://www.w3.org/2000/svg"
# CJK fonts first so that Chinese names render on every platform; DejaVu before the generic family because it
# is the usual Linux fallback and our width estimates are made for it (the widest of these).
FONT_STACK = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "Hiragino Sans GB", '
    '"DejaVu Sans", Arial, sans-serif'
)

OFFSHORE, ONSHORE = "offshore", "onshore"
BAND_TITLES = {OFFSHORE: "Offshore", ONSHORE: "Onshore (PRC)"}
BAND_FILLS = {OFFSHORE: "#eef4fb", ONSHORE: "#fbf3e6"}

NAME_SIZE = 12.5
ZH_SIZE = 12.0
SMALL_SIZE = 10.0
LINE_GAP = 3.0
PAD_X = 10.0
PAD_Y = 8.0
MIN_BOX = 110.0
MAX_TEXT = 165.0  # inner width at which names wrap
BADGE_H = 15.0
BADGE_GAP = 4.0
BOX_GAP = 22.0  # between boxes of one layer
LAYER_GAP = 68.0  # between layers: room for arrows and stake labels
LABEL_DISTANCES = (22.0, 38.0, 12.0, 52.0)  # from a stake label to the box it points at, by preference
LINE_ROOM = 26.0  # extra room around the offshore/onshore line
GUTTER = 34.0  # left margin for the band titles
MARGIN = 16.0
TITLE_ROOM = 34.0
LEGEND_ROW = 22.0
UNDISCLOSED_NOTE = "undisclosed: stake not disclosed"
ORDERING_ROUNDS = 8
STAKE_SIZE = 11.0
STACK_MIN = 3  # leaves of one owner stacked in a column from this many
STACK_MAX = 5  # leaves in one column at most
STACK_GAP = 10.0
TRUNK = 10.0  # from a stack's left edge to the trunk its links run down
# The most a chart lays out: entities, and vertices of the layout (boxes, stacks, and a bend for every layer a
# link crosses). Layout is near-linear, about a second per thousand: the limit keeps a chart to about ten
# seconds, and a chart larger than that is unreadable anyway.
MAX_LAYOUT = 10_000

LINK_COLOURS = {"equity": "#34495e", "vie": "#c0392b", "voting": "#7d5ba6", "other": "#7d5ba6"}
LINK_DASHES = {"vie": "7 4", "voting": "2 3", "other": "2 3"}
# Distinct, dark enough for white text; one per licence family, in the taxonomy's order.
BADGE_COLOURS = (
    "#1f77b4",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#c2477f",
    "#138d9c",
    "#6b6b6b",
    "#d35f0a",
    "#393b79",
    "#637939",
    "#8c6d31",
    "#843c39",
    "#7b4173",
    "#3d7a5a",
)


# Widths in hundredths of an em, so that the width of a line is exactly the sum of its parts.
_NARROW = frozenset("il.,:;'|!()[]{}/-Ijft")
_WIDE = frozenset("mwMW@%&")
SPACE_UNITS = 33
BALANCE_MAX = 100  # items (words, or characters of a word) up to which lines are balanced


def _char_units(char: str) -> int:
    if unicodedata.east_asian_width(char) in "WF":
        return 100
    if char == " ":
        return SPACE_UNITS
    if char in _NARROW:
        return 38
    if char.isupper() or char in _WIDE:
        return 78
    return 62


def _units(text: str) -> int:
    return sum(_char_units(char) for char in text)


def _measure(units: int, size: float, bold: bool) -> float:
    return units / 100 * size * (1.08 if bold else 1.0)


def text_width(text: str, size: float, bold: bool = False) -> float:
    """An estimate of the rendered width of text, on the generous side (DejaVu Sans is the widest fallback)."""
    return _measure(_units(text), size, bold)


def wrap(text: str, size: float, limit: float, bold: bool = False) -> list[str]:
    """text broken into lines no wider than limit: at whitespace, or anywhere in a word that is too long alone.

    Total and linear: any text and any limit (zero, negative, NaN, infinite) give lines, in time linear in the
    length of the text. Runs of whitespace count as one space and are dropped at the ends of lines; nothing else
    is lost. A word wider than the limit is cut by characters into the fewest pieces that fit, of about equal
    width; a single character wider than the limit stands alone. Lines are balanced: as few as greedy filling
    needs, but as narrow as that many lines can be, so that a name does not end with one short word on a line
    of its own (for up to BALANCE_MAX words, or characters of a cut word; longer text is filled greedily).
    """

    def fits(units: int) -> bool:
        return _measure(units, size, bold) <= limit

    words = text.split()
    if not words:
        return [""]
    widths = [_units(word) for word in words]
    if all(fits(units) for units in widths):
        spans = _fill(widths, SPACE_UNITS, fits)
        if len(spans) > 1 and len(words) <= BALANCE_MAX:
            spans = _balance(widths, SPACE_UNITS, spans, fits)
        return [" ".join(words[a:b]) for a, b in spans]
    lines: list[str] = []
    current: list[str] = []
    used = 0
    for word, units in zip(words, widths, strict=True):
        if current and fits(used + SPACE_UNITS + units):
            current.append(word)
            used += SPACE_UNITS + units
            continue
        if current:
            lines.append(" ".join(current))
        if fits(units):
            current, used = [word], units
            continue
        # A word too wide for a line of its own (a long word, or Chinese without spaces) is cut by characters
        # into pieces of about equal width, so that no line is left with one character.
        chars = [_char_units(char) for char in word]
        pieces = _fill(chars, 0, fits)
        if len(pieces) > 1 and len(word) <= BALANCE_MAX:
            pieces = _balance(chars, 0, pieces, fits)
        lines.extend(word[a:b] for a, b in pieces[:-1])
        a, b = pieces[-1]
        current, used = [word[a:b]], sum(chars[a:b])
    lines.append(" ".join(current))
    return lines


def _fill(items: list[int], gap: int, fits: Callable[[int], bool]) -> list[tuple[int, int]]:
    """Items (widths) put on lines greedily, gap between two on a line, at least one on each: (start, end)s."""
    spans: list[tuple[int, int]] = []
    start, used = 0, items[0]
    for i in range(1, len(items)):
        if fits(used + gap + items[i]):
            used += gap + items[i]
        else:
            spans.append((start, i))
            start, used = i, items[i]
    spans.append((start, len(items)))
    return spans


def _balance(
    items: list[int], gap: int, spans: list[tuple[int, int]], fits: Callable[[int], bool]
) -> list[tuple[int, int]]:
    """The greedy filling of items into as many lines as spans (a greedy filling under fits), under the narrowest
    width that allows it; a line of one item may be wider than fits allows, as in spans.

    Greedy filling gives the fewest lines under any width, so the narrowest width for len(spans) lines lies
    between the widest item and the widest of spans: bisect for it (about 20 fillings for a name).
    """

    def within(cap: int) -> Callable[[int], bool]:
        return lambda units: units <= cap and fits(units)

    low = max(items)
    high = max(sum(items[a:b]) + gap * (b - a - 1) for a, b in spans)
    while low < high:
        middle = (low + high) // 2
        if len(_fill(items, gap, within(middle))) <= len(spans):
            high = middle
        else:
            low = middle + 1
    return _fill(items, gap, within(high))


@dataclass(frozen=True, slots=True)
class TextLine:
    text: str
    size: float
    kind: str  # name, name-zh, jurisdiction, more

    @property
    def bold(self) -> bool:
        return self.kind == "name"


@dataclass(frozen=True, slots=True)
class Badge:
    licence: Licence
    label: str
    colour: str
    width: float


@dataclass(slots=True)
class Box:
    """One entity: what it shows, its size, and (after layout) its rank and the centre of its top edge."""

    entity: Entity
    band: str
    lines: list[TextLine]
    badges: list[list[Badge]]
    width: float
    height: float
    target: bool = False
    hidden: int = 0  # links cut off by --depth
    rank: int = 0
    x: float = 0.0  # centre
    y: float = 0.0  # top

    @property
    def left(self) -> float:
        return self.x - self.width / 2

    @property
    def right(self) -> float:
        return self.x + self.width / 2

    @property
    def bottom(self) -> float:
        return self.y + self.height


@dataclass(slots=True)
class Link:
    """One holding, drawn as a path from owner to owned through its bend points, with its label."""

    holding: Holding
    points: list[tuple[float, float]] = field(default_factory=list)
    label: str = ""
    label_at: tuple[float, float] = (0.0, 0.0)
    upward: bool = False
    bundle: str | None = None  # the stack the link runs into, if any

    @property
    def undisclosed(self) -> bool:
        """Nothing about the stake is known: no exact stake and no disclosed range (a VIE needs none)."""
        h = self.holding
        return h.stake is None and h.stake_min is None and h.stake_max is None and h.control != "vie"


@dataclass(slots=True)
class Chart:
    """A laid-out structure chart: boxes, links, bands, and what it shows (target, direction, day)."""

    title: str
    boxes: dict[str, Box]
    links: list[Link]
    bands: dict[str, tuple[float, float]]  # band -> (top, bottom) of the area it covers
    line_y: float | None  # the offshore/onshore line, when both bands are present
    width: float
    height: float
    crossings: int
    legend: list[LegendItem]


@dataclass(slots=True)
class LegendItem:
    """One entry of the legend: a link kind (its control), the undisclosed note, or a licence family badge."""

    kind: str  # equity, vie, voting, note, badge
    text: str
    width: float
    colour: str = ""
    x: float = 0.0
    y: float = 0.0


# --- what the chart contains -------------------------------------------------------------------------------


def select(graph: OwnershipGraph, target: str, up: bool, depth: int | None) -> tuple[list[str], dict[str, int]]:
    """The entities within depth of target (down, or up), in tree order; and how many links each has cut off."""
    step_of = graph.nx.predecessors if up else graph.nx.successors
    entities = graph.data.entities

    def step(node: str) -> list[str]:
        # Largest stake first, then by name: the order `tree` prints, a good first order for the layout.
        found = list(step_of(node))
        holdings = {n: graph.holding(n, node) if up else graph.holding(node, n) for n in found}
        return sorted(found, key=lambda n: (-(holdings[n].stake or -1), entities[n].name, n))

    level = {target: 0}
    queue = deque([target])
    while queue:
        node = queue.popleft()
        if depth is not None and level[node] >= depth:
            continue
        for after in step(node):
            if after not in level:
                level[after] = level[node] + 1
                queue.append(after)
    order: list[str] = []
    seen: set[str] = set()
    pending = [target]
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        pending.extend(n for n in reversed(step(node)) if n in level and n not in seen)
    hidden = {node: sum(n not in level for n in step(node)) for node in order}
    return order, {node: count for node, count in hidden.items() if count}


def band_of(entity: Entity, neighbours: Iterable[Entity]) -> str:
    """Onshore for the PRC (CN, CN-xx); offshore for any other jurisdiction (Cayman, BVI, Hong Kong, ...).

    An entity without a jurisdiction (often a person) goes with what it is linked to: onshore when every
    linked entity with a jurisdiction is onshore, offshore otherwise.
    """
    if entity.country is not None:
        return ONSHORE if entity.country == "CN" else OFFSHORE
    known = [n.country for n in neighbours if n.country is not None]
    return ONSHORE if known and all(country == "CN" for country in known) else OFFSHORE


def family_colours(data: Dataset) -> dict[str, str]:
    """A badge colour per licence family, in the order of the taxonomy."""
    return {fid: BADGE_COLOURS[i % len(BADGE_COLOURS)] for i, fid in enumerate(data.families)}


def make_box(
    entity: Entity, band: str, licences: list[Licence], data: Dataset, colours: dict[str, str], hidden: int
) -> Box:
    """The box of one entity, sized to its text (as the SVG will show it) and badges."""
    name = wrap(xml_text(entity.name), NAME_SIZE, MAX_TEXT, bold=True)
    lines = [TextLine(text, NAME_SIZE, "name") for text in name]
    if entity.name_zh:
        lines += [TextLine(text, ZH_SIZE, "name-zh") for text in wrap(xml_text(entity.name_zh), ZH_SIZE, MAX_TEXT)]
    jurisdiction = entity.jurisdiction or ("person" if entity.kind == "person" else "jurisdiction unknown")
    lines.append(TextLine(jurisdiction, SMALL_SIZE, "jurisdiction"))
    if hidden:
        lines.append(TextLine(f"+{hidden} not shown", SMALL_SIZE, "more"))
    inner = max([text_width(line.text, line.size, line.bold) for line in lines] + [MIN_BOX - 2 * PAD_X])
    names = [data.categories[lic.category].name for lic in licences]
    badges = [
        Badge(lic, name, colours[data.family_of(lic.category)], text_width(name, SMALL_SIZE) + 10)
        for lic, name in zip(licences, names, strict=True)
    ]
    inner = max([inner] + [badge.width for badge in badges])
    rows: list[list[Badge]] = []
    for badge in badges:
        if rows and sum(b.width + BADGE_GAP for b in rows[-1]) + badge.width <= inner:
            rows[-1].append(badge)
        else:
            rows.append([badge])
    height = 2 * PAD_Y + sum(line.size + LINE_GAP for line in lines) - LINE_GAP
    if rows:
        height += LINE_GAP + len(rows) * (BADGE_H + BADGE_GAP)
    return Box(entity, band, lines, rows, round(inner + 2 * PAD_X, 1), round(height, 1), hidden=hidden)


def link_label(holding: Holding) -> str:
    """`100%`, `> 50%`, `VIE`, `VIE 100%`, `voting 30%`, `undisclosed` (a disclosed range as words.holding_stake
    gives it: it is not undisclosed)."""
    from xmfin.output.words import holding_stake

    stake = holding_stake(holding)
    stake = "" if stake == "undisclosed" else stake
    if holding.control == "equity":
        return stake or "undisclosed"
    kind = "VIE" if holding.control == "vie" else holding.control
    if not stake and holding.control != "vie":
        stake = "undisclosed"
    return f"{kind} {stake}".strip()


# --- layout -------------------------------------------------------------------------------------------------


class _View:
    """What grandalf needs of a vertex: its size, and where it puts it."""

    def __init__(self, w: float, h: float) -> None:
        self.w = w
        self.h = h
        self.xy: tuple[float, float] = (0.0, 0.0)


class _Core(graph_core):  # type: ignore[misc]
    """grandalf's graph_core of a connected graph, without its check that the graph is connected: that check
    compares the sets of all vertices once per vertex (8 s for a chain of 5,000). A chart is connected by
    construction: every entity in it is reached from the target. Edges are attached without grandalf's search
    for them among their vertices' edges (quadratic in a vertex's degree); each is new."""

    def __init__(self, vertices: list[Any], edges: list[Any]) -> None:
        self.directed = True
        self.sV = Poset(vertices)
        self.sE = Poset([])
        self.degenerated_edges: set[Any] = set()
        for edge in edges:
            edge.v = (self.sV.get(edge.v[0]), self.sV.get(edge.v[1]))
            if edge.deg == 0:
                self.degenerated_edges.add(edge)
            self.sE.add(edge)
            edge.v[0].e.append(edge)
            edge.v[1].e.append(edge)
        for vertex in self.sV:
            vertex.c = self


class _Layers(list[Any]):
    """grandalf's list of layers, finding a layer by identity in constant time: grandalf's `Layer.setup` looks
    itself up with `layers.index`, which compares layers as lists, quadratic in the number of ranks (seconds for a
    chain of a thousand)."""

    def __init__(self, layers: list[Any]) -> None:
        super().__init__(layers)
        self._rank = {id(layer): r for r, layer in enumerate(layers)}

    def index(self, layer: Any, *_: Any) -> int:
        return self._rank[id(layer)]


class _BandedSugiyama(SugiyamaLayout):  # type: ignore[misc]
    """grandalf's Sugiyama layout on ranks given from outside (so that the bands hold)."""

    def __init__(self, g: Any, ranks: dict[Any, int]) -> None:
        super().__init__(g)
        self.given_ranks = ranks

    def rank_all(self, roots: Any, optimize: bool = False) -> None:
        self.layers = _Layers([Layer([]) for _ in range(max(self.given_ranks.values()) + 1)])
        for vertex in self.g.sV:
            self.grx[vertex].rank = self.given_ranks[vertex]
            self.layers[self.given_ranks[vertex]].append(vertex)


def rank(order: list[str], edges: list[tuple[str, str]], bands: dict[str, str]) -> tuple[dict[str, int], set[int]]:
    """A rank per entity and the indexes of the edges drawn upward.

    Edges from onshore up to offshore are drawn upward, and so is one edge of every cycle (found by a depth-first
    search in tree order); the rest point down. Ranks are longest paths over the downward edges, every onshore
    rank below every offshore rank; an entity with no owner in the chart then moves down next to what it holds.
    """
    position = {node: i for i, node in enumerate(order)}
    upward = {i for i, (a, b) in enumerate(edges) if bands[a] == ONSHORE and bands[b] == OFFSHORE}
    out: dict[str, list[tuple[int, str]]] = {node: [] for node in order}
    for i, (a, b) in enumerate(edges):
        if i not in upward and bands[a] == bands[b]:
            out[a].append((i, b))
    for node in order:
        out[node].sort(key=lambda item: position[item[1]])
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    for start in order:
        if start in state:
            continue
        state[start] = 1
        stack = [(start, iter(out[start]))]
        while stack:
            node, pending = stack[-1]
            for i, after in pending:
                if state.get(after) == 1:
                    upward.add(i)
                elif after not in state:
                    state[after] = 1
                    stack.append((after, iter(out[after])))
                    break
            else:
                state[node] = 2
                stack.pop()
    down = [(b, a) if i in upward else (a, b) for i, (a, b) in enumerate(edges)]
    before: dict[str, list[str]] = {node: [] for node in order}
    after_: dict[str, list[str]] = {node: [] for node in order}
    for a, b in down:
        before[b].append(a)
        after_[a].append(b)
    topo = _topological(order, before, after_)
    ranks: dict[str, int] = {}
    for band in (OFFSHORE, ONSHORE):
        floor = max((ranks[n] + 1 for n in ranks), default=0)
        for node in topo:
            if bands[node] == band:
                ranks[node] = max([floor] + [ranks[b] + 1 for b in before[node]])
    ceiling = {OFFSHORE: min((ranks[n] for n in order if bands[n] == ONSHORE), default=10**9) - 1, ONSHORE: 10**9}
    for node in reversed(topo):
        if not before[node] and after_[node] and node != order[0]:
            ranks[node] = max(ranks[node], min(min(ranks[a] for a in after_[node]) - 1, ceiling[bands[node]]))
    return ranks, upward


def _topological(order: list[str], before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    """Kahn's algorithm, ties broken by tree order so that the result does not depend on hashing."""
    waiting = {node: len(before[node]) for node in order}
    ready = [node for node in order if waiting[node] == 0]
    found: list[str] = []
    while ready:
        node = ready.pop(0)
        found.append(node)
        for later in after[node]:
            waiting[later] -= 1
            if waiting[later] == 0:
                ready.append(later)
    return found


def _greedy_switch(layers: list[list[Any]], chains: list[list[Any]], passes: int = 12) -> None:
    """Swap neighbours in a layer while that removes crossings with the layers above and below (in place)."""
    above: dict[Any, list[Any]] = {}
    below: dict[Any, list[Any]] = {}
    for chain in chains:
        for upper, lower in itertools.pairwise(chain):
            below.setdefault(upper, []).append(lower)
            above.setdefault(lower, []).append(upper)
    position = {vertex: i for layer in layers for i, vertex in enumerate(layer)}

    def cost(left: Any, right: Any) -> int:
        """Crossings between the links of left and of right when left stands first."""
        return sum(
            position[a] > position[b]
            for side in (above, below)
            for a in side.get(left, ())
            for b in side.get(right, ())
        )

    for _ in range(passes):
        improved = False
        for layer in layers:
            for i in range(len(layer) - 1):
                left, right = layer[i], layer[i + 1]
                if cost(right, left) < cost(left, right):
                    layer[i], layer[i + 1] = right, left
                    position[left], position[right] = i + 1, i
                    improved = True
        if not improved:
            return


def _crossings(layers: list[list[Any]], chains: list[list[Any]]) -> int:
    """Edge crossings between consecutive layers, given every edge as its chain of vertices by rank."""
    position = {vertex: i for layer in layers for i, vertex in enumerate(layer)}
    between: dict[int, list[tuple[int, int]]] = {}
    for chain in chains:
        for upper, lower in itertools.pairwise(chain):
            between.setdefault(id(upper), []).append((position[upper], position[lower]))
    rank_of = {id(vertex): r for r, layer in enumerate(layers) for vertex in layer}
    per_rank: dict[int, list[tuple[int, int]]] = {}
    for key, segments in between.items():
        per_rank.setdefault(rank_of[key], []).extend(segments)
    return sum(_inversions(segments) for segments in per_rank.values())


def _inversions(segments: list[tuple[int, int]]) -> int:
    """The pairs of segments (a, b) that cross: a1 < a2 and b1 > b2. Counted with a Fenwick tree over b, in
    O(n log n) rather than by comparing every pair (50,000 links below one owner)."""
    size = max(b for _, b in segments) + 2
    tree = [0] * (size + 1)
    count = 0
    seen = 0
    for _, group in itertools.groupby(sorted(segments), key=lambda segment: segment[0]):
        batch = [b for _, b in group]
        for b in batch:
            # How many earlier segments (strictly smaller a) have a b strictly greater than this b.
            i, at_most = b + 1, 0
            while i > 0:
                at_most += tree[i]
                i -= i & -i
            count += seen - at_most
        for b in batch:
            i = b + 1
            while i <= size:
                tree[i] += 1
                i += i & -i
        seen += len(batch)
    return count


def _place(
    sizes: dict[str, tuple[float, float]],
    order: list[str],
    edges: list[tuple[str, str]],
    ranks: dict[str, int],
    upward: set[int],
) -> tuple[dict[str, float], dict[int, list[tuple[float, int]]], int]:
    """Order the layers and place the nodes: each node's centre x, each edge's bend points (x, rank), crossings."""
    vertices = {node: Vertex(node) for node in order}
    for node, vertex in vertices.items():
        vertex.view = _View(*sizes[node])
    if len(order) == 1:
        return {order[0]: 0.0}, {}, 0
    grandalf_edges = [Edge(vertices[a], vertices[b]) for a, b in edges]
    core = _Core(list(vertices.values()), grandalf_edges)
    layout = _BandedSugiyama(core, {vertices[node]: ranks[node] for node in order})
    layout.xspace = BOX_GAP
    layout.init_all(inverted_edges=[grandalf_edges[i] for i in sorted(upward)])

    def chain(i: int) -> list[Any]:
        edge = grandalf_edges[i]
        a, b = edge.v
        if layout.grx[a].rank > layout.grx[b].rank:
            a, b = b, a
        ctrl = layout.ctrls.get(edge, {})
        return [a, *(ctrl[r] for r in range(layout.grx[a].rank + 1, layout.grx[b].rank)), b]

    chains = [chain(i) for i in range(len(edges))]
    # grandalf's sweeps do not keep the best order they pass through: keep it ourselves.
    best = _crossings(layout.layers, chains), [list(layer) for layer in layout.layers]
    for _ in range(ORDERING_ROUNDS):
        if best[0] == 0:
            break
        for _step in layout.ordering_step():
            pass
        count = _crossings(layout.layers, chains)
        if count < best[0]:
            best = count, [list(layer) for layer in layout.layers]
    crossings, kept_layers = best
    if crossings:
        _greedy_switch(kept_layers, chains)
        crossings = _crossings(kept_layers, chains)
    for layer, kept in zip(layout.layers, kept_layers, strict=True):
        layer[:] = kept
        layer.setup(layout)
    layout.setxy()
    # Brandes-Koepf's averaged result can bring neighbours closer than their widths allow: sweep them apart.
    for layer in layout.layers:
        edge_x = None
        for vertex in layer:
            half = vertex.view.w / 2
            x = vertex.view.xy[0]
            if edge_x is not None and x - half < edge_x + BOX_GAP:
                x = edge_x + BOX_GAP + half
            vertex.view.xy = (x, vertex.view.xy[1])
            edge_x = x + half
    xs = {node: vertex.view.xy[0] for node, vertex in vertices.items()}
    bends = {
        i: [(vertex.view.xy[0], layout.grx[vertex].rank) for vertex in chains[i][1:-1]]
        for i in range(len(edges))
        if len(chains[i]) > 2
    }
    return xs, bends, crossings


def stacks_of(
    graph: OwnershipGraph, order: list[str], edges: list[tuple[str, str]], bands: dict[str, str]
) -> dict[str, tuple[str, list[str]]]:
    """Leaves to stack in columns under their owner: at least STACK_MIN equity-held leaves of one band.

    A leaf here has one link in the chart (to its owner) and is not the target. Stacking them keeps a chart
    of sixty entities about as wide as a page instead of a row of sixty boxes; more than STACK_MAX leaves make
    several columns of about equal height side by side. Each stack has an id (owner, band and column, with
    spaces, which no entity id has) and gives its owner and leaves.
    """
    degree: dict[str, int] = dict.fromkeys(order, 0)
    for a, b in edges:
        degree[a] += 1
        degree[b] += 1
    found: dict[tuple[str, str], list[str]] = {}
    for a, b in edges:
        if degree[b] == 1 and b != order[0] and graph.holding(a, b).control == "equity":
            found.setdefault((a, bands[b]), []).append(b)
    stacks: dict[str, tuple[str, list[str]]] = {}
    for (owner, band), leaves in found.items():
        if len(leaves) < STACK_MIN:
            continue
        columns = math.ceil(len(leaves) / STACK_MAX)
        size = math.ceil(len(leaves) / columns)
        for column in range(columns):
            stacks[f"{owner} {band} {column}"] = (owner, leaves[column * size : (column + 1) * size])
    return stacks


class ChartTooLarge(UsageError):
    """A chart larger than MAX_LAYOUT, refused before it is laid out."""


def too_large(entities: int, bends: int) -> ChartTooLarge:
    """The refusal of a chart larger than MAX_LAYOUT."""
    crossing = f" and {bends:,} bends of links" if bends else ""
    return ChartTooLarge(
        f"too large a chart: {entities:,} entities{crossing} to lay out, more than {MAX_LAYOUT:,}; "
        "draw a part with --depth N or a smaller target"
    )


def links_among(graph: OwnershipGraph, order: list[str]) -> list[tuple[str, str]]:
    """The holdings (owner, owned) among the entities of order, by the order of owner, then of owned."""
    inside = set(order)
    edges = [(a, b) for a in order for b in graph.nx.successors(a) if b in inside]
    position = {node: i for i, node in enumerate(order)}
    return sorted(edges, key=lambda e: (position[e[0]], position[e[1]]))


def build_chart(
    graph: OwnershipGraph,
    target: str,
    *,
    up: bool = False,
    depth: int | None = None,
    licences: dict[str, list[Licence]] | None = None,
) -> Chart:
    """The laid-out chart of the holdings below target (above it with up), licences as badges when given."""
    data = graph.data
    order, hidden = select(graph, target, up, depth)
    if len(order) > MAX_LAYOUT:
        raise too_large(len(order), 0)
    edges = links_among(graph, order)
    neighbours: dict[str, list[Entity]] = {node: [] for node in order}
    for a, b in edges:
        neighbours[a].append(data.entities[b])
        neighbours[b].append(data.entities[a])
    bands = {node: band_of(data.entities[node], neighbours[node]) for node in order}
    colours = family_colours(data)
    boxes = {
        node: make_box(
            data.entities[node], bands[node], (licences or {}).get(node, []), data, colours, hidden.get(node, 0)
        )
        for node in order
    }
    boxes[target].target = True

    # The layout works on nodes: boxes, and stacks of leaves standing in for their leaves.
    stacks = {} if up else stacks_of(graph, order, edges, bands)
    stack_of = {leaf: stack for stack, (_, leaves) in stacks.items() for leaf in leaves}
    nodes = list(dict.fromkeys(stack_of.get(node, node) for node in order))
    layout_edges = list(dict.fromkeys((a, stack_of.get(b, b)) for a, b in edges))
    node_band = {node: bands[node] for node in order} | {
        stack: bands[leaves[0]] for stack, (_, leaves) in stacks.items()
    }
    sizes = {node: (box.width, box.height) for node, box in boxes.items() if node not in stack_of}
    indents: dict[str, float] = {}
    for stack, (owner, leaves) in stacks.items():
        labels = [text_width(link_label(graph.holding(owner, leaf)), STAKE_SIZE) for leaf in leaves]
        indents[stack] = round(TRUNK + max(labels) + 16, 1)
        sizes[stack] = (
            indents[stack] + max(boxes[leaf].width for leaf in leaves),
            sum(boxes[leaf].height for leaf in leaves) + STACK_GAP * (len(leaves) - 1),
        )
    ranks, upward = rank(nodes, layout_edges, node_band)
    spans = sum(max(0, abs(ranks[a] - ranks[b]) - 1) for a, b in layout_edges)
    if len(nodes) + spans > MAX_LAYOUT:
        raise too_large(len(order), spans)
    xs, bends, crossings = _place(sizes, nodes, layout_edges, ranks, upward)

    # Vertical placement: layers top-aligned, the line between the bands given extra room.
    top = MARGIN + TITLE_ROOM
    layer_top: dict[int, float] = {}
    layer_height: dict[int, float] = {}
    line_y = None
    has_offshore = OFFSHORE in node_band.values()
    by_rank: dict[int, list[str]] = {}
    for node in nodes:
        by_rank.setdefault(ranks[node], []).append(node)
    for r in range(max(ranks.values()) + 1):
        members = by_rank[r]
        if line_y is None and r > 0 and has_offshore and node_band[members[0]] == ONSHORE:
            line_y = top - LAYER_GAP / 2 + LINE_ROOM / 2
            top += LINE_ROOM
        layer_top[r] = top
        layer_height[r] = max(sizes[node][1] for node in members)
        top += layer_height[r] + LAYER_GAP
    bottom = top - LAYER_GAP

    # Horizontal: everything right of the gutter.
    lefts = [xs[node] - sizes[node][0] / 2 for node in nodes] + [x for points in bends.values() for x, _ in points]
    shift = MARGIN + GUTTER - min(lefts)
    for node in nodes:
        if node in boxes:
            boxes[node].x = round(xs[node] + shift, 1)
            boxes[node].y = layer_top[ranks[node]]
            boxes[node].rank = ranks[node]
    for stack, (_, leaves) in stacks.items():
        left = xs[stack] + shift - sizes[stack][0] / 2
        y = layer_top[ranks[stack]]
        for leaf in leaves:
            boxes[leaf].x = round(left + indents[stack] + boxes[leaf].width / 2, 1)
            boxes[leaf].y = y
            boxes[leaf].rank = ranks[stack]
            y += boxes[leaf].height + STACK_GAP
    rights = [xs[node] + sizes[node][0] / 2 for node in nodes] + [x + 8 for points in bends.values() for x, _ in points]
    right = max(rights) + shift + MARGIN

    links = []
    edge_index = {edge: i for i, edge in enumerate(layout_edges)}
    for a, b in edges:
        index = edge_index[(a, stack_of.get(b, b))]
        link = Link(graph.holding(a, b), upward=index in upward, label=link_label(graph.holding(a, b)))
        # Bends come by rank, top first; an upward link passes them bottom first.
        for x, r in reversed(bends.get(index, [])) if link.upward else bends.get(index, []):
            span = [(x + shift, layer_top[r]), (x + shift, layer_top[r] + layer_height[r])]
            link.points.extend(reversed(span) if link.upward else span)
        if b in stack_of:
            # Into a stack: down its trunk, then right into the leaf.
            stacked = boxes[b]
            trunk = round(stacked.left - indents[stack_of[b]] + TRUNK, 1)
            middle = round(stacked.y + stacked.height / 2, 1)
            link.points += [(trunk, layer_top[ranks[stack_of[b]]]), (trunk, middle), (stacked.left, middle)]
            link.bundle = stack_of[b]
            link.label_at = (round((trunk + stacked.left - 6) / 2, 1), middle)
        links.append(link)
    _attach_ports(boxes, links)
    _place_labels(boxes, links)

    band_area: dict[str, tuple[float, float]] = {}
    first = MARGIN + TITLE_ROOM - 12
    last = bottom + 12
    if line_y is not None:
        band_area = {OFFSHORE: (first, line_y), ONSHORE: (line_y, last)}
    else:
        only = next(iter(bands.values()))
        band_area = {only: (first, last)}
    entity = data.entities[target]
    direction = "owners above" if up else "holdings below"
    names = f"{entity.name}{' ' + entity.name_zh if entity.name_zh else ''}"
    title = xml_text(f"{names}: {direction}, {graph.day.isoformat()}")
    width = max(right, MARGIN + GUTTER + text_width(title, 14, bold=True) + MARGIN, 560.0)
    used = {
        data.family_of(lic.category) for box in boxes.values() for row in box.badges for b in row for lic in [b.licence]
    }
    families = [(fam.name, colours[fid]) for fid, fam in data.families.items() if fid in used]
    legend = _legend(links, families, width, last + 14)
    height = max([item.y + LEGEND_ROW for item in legend] + [last]) + MARGIN
    return Chart(title, boxes, links, band_area, line_y, round(width, 1), round(height, 1), crossings, legend)


def _legend(links: list[Link], families: list[tuple[str, str]], width: float, top: float) -> list[LegendItem]:
    """The legend's items (the kinds of link drawn, then the licence families shown) flowed into rows."""
    drawn = {
        "equity" if link.holding.control == "equity" else "vie" if link.holding.control == "vie" else "voting"
        for link in links
    }
    items = [
        LegendItem(kind, text, 40 + text_width(text, SMALL_SIZE))
        for kind, text in (
            ("equity", "equity stake"),
            ("vie", "VIE (control by contract)"),
            ("voting", "voting or other control"),
        )
        if kind in drawn
    ]
    if any(link.undisclosed for link in links):
        items.append(LegendItem("note", UNDISCLOSED_NOTE, text_width(UNDISCLOSED_NOTE, SMALL_SIZE)))
    items += [LegendItem("badge", name, text_width(name, SMALL_SIZE) + 10, colour) for name, colour in families]
    x, y = MARGIN, top
    for item in items:
        if x > MARGIN and x + item.width > width - MARGIN:
            x, y = MARGIN, y + LEGEND_ROW
        item.x, item.y = round(x, 1), round(y, 1)
        x += item.width + (BADGE_GAP if item.kind == "badge" else 16)
    return items


def _attach_ports(boxes: dict[str, Box], links: list[Link]) -> None:
    """Start and end points on the boxes, spread along each side in the order of where the links go.

    Links into one stack share their start (they run down one trunk) and already end at their leaf.
    """
    sides: dict[tuple[str, str], dict[str | int, tuple[float, list[tuple[int, bool]]]]] = {}
    for i, link in enumerate(links):
        owner, owned = boxes[link.holding.owner], boxes[link.holding.owned]
        toward = link.points[0][0] if link.points else owned.x
        # Down: leave the owner's bottom, enter the owned's top. Upward: the other way round.
        slots = sides.setdefault((owner.entity.id, "top" if link.upward else "bottom"), {})
        slot = slots.setdefault(link.bundle or i, (toward, []))
        slot[1].append((i, True))
        if link.bundle is None:
            come_from = link.points[-1][0] if link.points else owner.x
            sides.setdefault((owned.entity.id, "bottom" if link.upward else "top"), {})[-1 - i] = (
                come_from,
                [(i, False)],
            )
    for (node, side), slots in sides.items():
        box = boxes[node]
        y = box.y if side == "top" else box.bottom
        usable = box.width * 0.8
        ordered = sorted(slots.values(), key=lambda slot: (slot[0], slot[1][0][0]))
        for k, (_, attached) in enumerate(ordered):
            point = (round(box.x - usable / 2 + usable * (k + 1) / (len(ordered) + 1), 1), round(y, 1))
            for i, start in attached:
                links[i].points = [point, *links[i].points] if start else [*links[i].points, point]


def _curve(a: tuple[float, float], b: tuple[float, float], t: float) -> tuple[float, float]:
    """The point at t of the cubic from a to b with vertical tangents (the curve the path draws)."""
    ym = (a[1] + b[1]) / 2
    u = 1 - t
    x = a[0] * (u**3 + 3 * u * u * t) + b[0] * (3 * u * t * t + t**3)
    y = a[1] * u**3 + ym * (3 * u * u * t + 3 * u * t * t) + b[1] * t**3
    return x, y


Rect = tuple[float, float, float, float]  # left, top, right, bottom


def _label_rect(link: Link, at: tuple[float, float]) -> Rect:
    half = text_width(link.label, STAKE_SIZE) / 2 + 2
    return at[0] - half, at[1] - STAKE_SIZE / 2 - 1, at[0] + half, at[1] + STAKE_SIZE / 2 + 1


def _overlaps(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class _Taken:
    """Rectangles, found by the cells of a grid they touch: a query looks at the few rectangles nearby, not at
    every one (placing the labels of a chart of thousands of boxes stays linear)."""

    CELL = 200.0

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[Rect]] = {}

    def _keys(self, rect: Rect) -> Iterable[tuple[int, int]]:
        cell = self.CELL
        columns = range(math.floor(rect[0] / cell), math.floor(rect[2] / cell) + 1)
        return ((i, j) for i in columns for j in range(math.floor(rect[1] / cell), math.floor(rect[3] / cell) + 1))

    def add(self, rect: Rect) -> None:
        for key in self._keys(rect):
            self.cells.setdefault(key, []).append(rect)

    def hits(self, rect: Rect) -> bool:
        return any(_overlaps(rect, other) for key in self._keys(rect) for other in self.cells.get(key, ()))


def _place_labels(boxes: dict[str, Box], links: list[Link]) -> None:
    """Each label at the first of LABEL_DISTANCES from its owned entity where it covers no box and no other label.

    Labels into a stack sit on their own stub, apart from the rest, and are only kept clear of.
    """
    taken = _Taken()
    for b in boxes.values():
        taken.add((b.left, b.y, b.right, b.bottom))
    for link in links:
        if link.bundle is not None:
            taken.add(_label_rect(link, link.label_at))
    for link in links:
        if link.bundle is not None:
            continue
        spots = [_label_point(link.points, distance) for distance in LABEL_DISTANCES]
        free = [spot for spot in spots if not taken.hits(_label_rect(link, spot))]
        link.label_at = free[0] if free else spots[0]
        taken.add(_label_rect(link, link.label_at))


def _label_point(points: list[tuple[float, float]], distance: float) -> tuple[float, float]:
    """The point on a link's last stretch distance before the owned entity it ends at (at most half way)."""
    a, b = points[-2], points[-1]
    wanted = min(distance, abs(b[1] - a[1]) / 2)
    low, high = 0.0, 1.0
    # y grows (or falls) monotonically along the curve: bisect for the point that far from the end.
    for _ in range(30):
        t = (low + high) / 2
        if abs(b[1] - _curve(a, b, t)[1]) > wanted:
            low = t
        else:
            high = t
    x, y = _curve(a, b, low)
    return round(x, 1), round(y, 1)


# --- SVG ----------------------------------------------------------------------------------------------------


def _num(value: float) -> str:
    return format_stake(round(value, 1))


def _sub(parent: ET.Element, tag: str, text: str | None = None, /, **attrs: str | float) -> ET.Element:
    """A child element; attribute names with '_' become '-' (stroke_width -> stroke-width)."""
    element = ET.SubElement(
        parent,
        tag,
        {k.rstrip("_").replace("_", "-"): _num(v) if isinstance(v, float | int) else v for k, v in attrs.items()},
    )
    if text is not None:
        element.text = text
    return element


def _path(points: list[tuple[float, float]]) -> str:
    parts = [f"M{_num(points[0][0])},{_num(points[0][1])}"]
    for a, b in itertools.pairwise(points):
        if a[0] == b[0]:
            parts.append(f"L{_num(b[0])},{_num(b[1])}")
        else:
            ym = _num((a[1] + b[1]) / 2)
            parts.append(f"C{_num(a[0])},{ym} {_num(b[0])},{ym} {_num(b[0])},{_num(b[1])}")
    return " ".join(parts)


def chart_svg(chart: Chart) -> ET.Element:
    """The chart as an <svg> element (SVG namespace declared as a plain attribute, so it can be inlined); every
    text and attribute in it made safe by `safe_tree` (valid XML, bidirectional controls shown escaped)."""
    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "width": _num(chart.width),
            "height": _num(chart.height),
            "viewBox": f"0 0 {_num(chart.width)} {_num(chart.height)}",
            "font-family": FONT_STACK,
            "role": "img",
            "class": "xmfin-diagram",
        },
    )
    _sub(svg, "title", chart.title)
    defs = _sub(svg, "defs")
    for kind, colour in LINK_COLOURS.items():
        marker = _sub(
            defs,
            "marker",
            id=f"arrow-{kind}",
            viewBox="0 0 10 10",
            refX=9.0,
            refY=5.0,
            markerWidth=7.0,
            markerHeight=7.0,
            orient="auto-start-reverse",
        )
        _sub(marker, "path", d="M0,0 L10,5 L0,10 z", fill=colour)
    _sub(svg, "rect", x=0.0, y=0.0, width=chart.width, height=chart.height, fill="#ffffff")
    _sub(svg, "text", chart.title, x=MARGIN, y=MARGIN + 14, font_size=14.0, font_weight="bold", fill="#222222")
    for band, (top, bottom) in chart.bands.items():
        group = _sub(svg, "g", **{"class": f"band {band}", "data-band": band})
        _sub(
            group,
            "rect",
            x=MARGIN,
            y=top,
            width=chart.width - 2 * MARGIN,
            height=bottom - top,
            fill=BAND_FILLS[band],
            rx=6.0,
        )
        cx, cy = MARGIN + GUTTER / 2 + 2, (top + bottom) / 2
        _sub(
            group,
            "text",
            BAND_TITLES[band],
            x=cx,
            y=cy,
            font_size=12.0,
            font_weight="bold",
            fill="#6b7a8c",
            text_anchor="middle",
            dominant_baseline="middle",
            transform=f"rotate(-90 {_num(cx)} {_num(cy)})",
        )
    if chart.line_y is not None:
        _sub(
            svg,
            "line",
            **{"class": "shore-line"},
            x1=MARGIN,
            x2=chart.width - MARGIN,
            y1=chart.line_y,
            y2=chart.line_y,
            stroke="#8a6d3b",
            stroke_width=2.0,
            stroke_dasharray="10 5",
        )
    links = _sub(svg, "g", **{"class": "links"})
    for link in chart.links:
        _draw_link(links, link, chart)
    entities = _sub(svg, "g", **{"class": "entities"})
    for box in chart.boxes.values():
        _draw_box(entities, box)
    _draw_legend(svg, chart)
    return safe_tree(svg)


def _draw_link(parent: ET.Element, link: Link, chart: Chart) -> None:
    holding = link.holding
    kind = holding.control if holding.control in LINK_COLOURS else "other"
    colour = LINK_COLOURS[kind]
    classes = ["link", kind] + (["undisclosed"] if link.undisclosed else []) + (["upward"] if link.upward else [])
    owner, owned = chart.boxes[holding.owner].entity, chart.boxes[holding.owned].entity
    group = _sub(parent, "g", **{"class": " ".join(classes), "data-owner": holding.owner, "data-owned": holding.owned})
    _sub(group, "title", f"{owner.name} → {owned.name}: {link.label}")
    attrs: dict[str, str | float] = {
        "d": _path(link.points),
        "fill": "none",
        "stroke": colour,
        "stroke_width": 1.4,
        "marker_end": f"url(#arrow-{kind})",
    }
    if kind in LINK_DASHES:
        attrs["stroke_dasharray"] = LINK_DASHES[kind]
    _sub(group, "path", **{"class": "edge"}, **attrs)
    x, y = link.label_at
    _sub(
        group,
        "text",
        link.label,
        **{"class": "stake"},
        x=x,
        y=y + 4,
        font_size=STAKE_SIZE,
        text_anchor="middle",
        fill=colour,
        stroke="#ffffff",
        stroke_width=3.5,
        paint_order="stroke",
        stroke_linejoin="round",
        font_style="italic" if link.undisclosed else "normal",
        font_weight="bold" if kind == "vie" else "normal",
    )


def _draw_box(parent: ET.Element, box: Box) -> None:
    entity = box.entity
    classes = ["entity", box.band, entity.kind] + (["target"] if box.target else [])
    group = _sub(parent, "g", **{"class": " ".join(classes), "data-id": entity.id, "data-band": box.band})
    described = " ".join(
        filter(
            None,
            [
                entity.name,
                entity.name_zh,
                f"({entity.jurisdiction})" if entity.jurisdiction else None,
                f"[{entity.id}]",
            ],
        )
    )
    _sub(group, "title", described + (f"\n{entity.description}" if entity.description else ""))
    _sub(
        group,
        "rect",
        **{"class": "box"},
        x=box.left,
        y=box.y,
        width=box.width,
        height=box.height,
        rx=box.height / 2 if entity.kind == "person" and box.height < 70 else 4.0,
        fill="#ffffff",
        stroke="#1b2a3a" if box.target else "#5d6d7e",
        stroke_width=2.4 if box.target else 1.1,
    )
    y = box.y + PAD_Y
    for line in box.lines:
        y += line.size
        fill = {"name": "#111111", "name-zh": "#222222", "jurisdiction": "#6b7a8c", "more": "#8e44ad"}[line.kind]
        _sub(
            group,
            "text",
            line.text,
            **{"class": line.kind},
            x=box.x,
            y=y - 1.5,
            font_size=line.size,
            text_anchor="middle",
            fill=fill,
            font_weight="bold" if line.bold else "normal",
        )
        y += LINE_GAP
    if box.badges:
        y += LINE_GAP
    for row in box.badges:
        total = sum(b.width for b in row) + BADGE_GAP * (len(row) - 1)
        x = box.x - total / 2
        for badge in row:
            licence = badge.licence
            tip = " ".join(
                filter(
                    None,
                    [
                        badge.label,
                        licence.regulator,
                        licence.number,
                        f"granted {licence.granted}" if licence.granted else None,
                    ],
                )
            )
            item = _sub(group, "g", **{"class": "licence", "data-category": licence.category})
            _sub(item, "title", tip)
            _sub(item, "rect", x=x, y=y, width=badge.width, height=BADGE_H, rx=BADGE_H / 2, fill=badge.colour)
            _sub(
                item,
                "text",
                badge.label,
                x=x + badge.width / 2,
                y=y + BADGE_H - 4,
                font_size=SMALL_SIZE,
                text_anchor="middle",
                fill="#ffffff",
            )
            x += badge.width + BADGE_GAP
        y += BADGE_H + BADGE_GAP


def _draw_legend(svg: ET.Element, chart: Chart) -> None:
    legend = _sub(svg, "g", **{"class": "legend"})
    for item in chart.legend:
        y = item.y + 8
        if item.kind in LINK_COLOURS:
            attrs: dict[str, str | float] = {
                "stroke": LINK_COLOURS[item.kind],
                "stroke_width": 1.4,
                "marker_end": f"url(#arrow-{item.kind})",
            }
            if item.kind in LINK_DASHES:
                attrs["stroke_dasharray"] = LINK_DASHES[item.kind]
            _sub(legend, "line", x1=item.x, y1=y, x2=item.x + 34, y2=y, **attrs)
            _sub(legend, "text", item.text, x=item.x + 40, y=y + 4, font_size=SMALL_SIZE, fill="#333333")
        elif item.kind == "note":
            _sub(
                legend, "text", item.text, x=item.x, y=y + 4, font_size=SMALL_SIZE, fill="#333333", font_style="italic"
            )
        else:
            _sub(
                legend,
                "rect",
                x=item.x,
                y=y - BADGE_H / 2,
                width=item.width,
                height=BADGE_H,
                rx=BADGE_H / 2,
                fill=item.colour,
            )
            _sub(
                legend,
                "text",
                item.text,
                x=item.x + item.width / 2,
                y=y + 3.5,
                font_size=SMALL_SIZE,
                fill="#ffffff",
                text_anchor="middle",
            )


def svg_document(chart: Chart) -> str:
    """The chart as a standalone SVG file's text."""
    element = chart_svg(chart)
    ET.indent(element, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="unicode") + "\n"
