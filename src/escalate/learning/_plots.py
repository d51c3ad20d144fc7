"""The report's five plots, drawn with matplotlib and written as inline SVG text.

Each function takes its part of :func:`escalate.learning.report.report_data`'s dict and
returns one ``<svg>`` element (no XML prolog, ``width="100%"``, no fixed height, so the page
scales it). Figures are :class:`matplotlib.figure.Figure` objects, never pyplot's, and every
setting is applied inside :func:`matplotlib.rc_context`, which puts the global ``rcParams``
back afterwards. The bytes depend on the data only: text stays text (``svg.fonttype:
none``), clip-path ids come from a hash salted with the plot's name (``svg.hashsalt``), and
no date or creator is written. Every id in a plot is prefixed with the plot's name (and every
reference to it), so the five plots of one page never share an id.

Text from tickets (group names) is drawn as it is: ``$`` starts no formula
(``text.parse_math`` is off), and a character the layout font lacks (CJK, say) is laid out
with a stand-in's width and left to the browser's fonts, without matplotlib's warning.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from fractions import Fraction
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from matplotlib.ticker import FuncFormatter, MaxNLocator

__all__ = [
    "LABEL_SHARE",
    "breach_lines",
    "funnel",
    "heat_map",
    "histogram",
    "ping_pong_graph",
]

INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"
BLUE = "#2563eb"
#: Colours of the priorities, in their sorted order (P1 first).
PALETTE = ("#b91c1c", "#ea580c", "#ca8a04", "#2563eb", "#6b7280", "#7c3aed", "#0f766e", "#be185d")
#: The ping-pong graph writes the count on arrows of at least this share of the heaviest.
LABEL_SHARE = Fraction(3, 20)
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_STYLE: dict[str, Any] = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 10,
    "text.color": INK,
    "axes.edgecolor": "#9ca3af",
    "axes.labelcolor": "#374151",
    "axes.titlesize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": "#4b5563",
    "ytick.color": "#4b5563",
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "path.simplify": False,
    "svg.image_inline": True,
    "text.parse_math": False,  # a group named "$5 and $10" is text, not a formula
}


@contextmanager
def _style(name: str) -> Iterator[None]:
    settings: Any = {**_STYLE, "svg.hashsalt": f"escalate-report-{name}"}
    with matplotlib.rc_context(settings):
        yield


_SIZE = re.compile(r'<svg([^>]*?) width="[^"]*" height="[^"]*"')
_ID = re.compile(r'(\bid="|href="#|url\(#)([^"()]+)')
_SCALE = re.compile(r'<g id="scale">(.*?)</g>', re.S)
_POINT = re.compile(r"[ML] (-?[\d.]+) (-?[\d.]+)")
_FILL = re.compile(r"fill: (#[0-9a-f]{6})")


def _svg(fig: Figure, name: str, label: str) -> str:
    """``fig`` as an inline ``<svg>`` element labelled ``label``, its ids prefixed with
    ``name`` (inside :func:`_style`)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = _gradient(text[text.index("<svg") :])
    text = _ID.sub(lambda m: f"{m.group(1)}{name}-{m.group(2)}", text)
    label = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return _SIZE.sub(rf'<svg\1 width="100%" role="img" aria-label="{label}"', text, count=1)


def _gradient(text: str) -> str:
    """A colour bar's bands (a ``<g id="scale">`` of filled rectangles, lowest first) as one
    rectangle filled with a linear gradient: no seams between bands, one element."""
    found = _SCALE.search(text)
    if found is None:
        return text
    points = [(float(x), float(y)) for x, y in _POINT.findall(found.group(1))]
    fills = _FILL.findall(found.group(1))
    xs, ys = [x for x, _ in points], [y for _, y in points]
    stops = "".join(
        f'<stop offset="{n / 8:.3f}" stop-color="{fills[round(n * (len(fills) - 1) / 8)]}"/>'
        for n in range(9)
    )
    rect = (
        '<defs><linearGradient id="scale-gradient" x1="0" y1="1" x2="0" y2="0">'
        f'{stops}</linearGradient></defs><rect x="{min(xs):.6f}" y="{min(ys):.6f}" '
        f'width="{max(xs) - min(xs):.6f}" height="{max(ys) - min(ys):.6f}" '
        'style="fill: url(#scale-gradient)"/>'
    )
    return text[: found.start()] + f'<g id="scale">{rect}</g>' + text[found.end() :]


def _drawn(name: str, label: str, draw: Callable[[], Figure]) -> str:
    with _style(name), warnings.catch_warnings():
        # A character the layout font lacks: the browser draws it with its own fonts.
        warnings.filterwarnings("ignore", r"Glyph \d+ .* missing from", UserWarning)
        return _svg(draw(), name, label)


def _plural(count: int, noun: str) -> str:
    """``1 ticket``, ``2,000 tickets``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _nothing(ax: Any, message: str) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", color=MUTED, transform=ax.transAxes)


# -- funnel ------------------------------------------------------------------------------------


def funnel(data: Mapping[str, Any]) -> str:
    """The escalation funnel: a panel for every ticket and the escalated ones, then one per
    vertical path some ticket entered, its levels as bars centred on one axis and scaled to
    the path's first level (each level's share of the one before is written beside it)."""
    total = data["tickets"]
    escalated = data["escalated"]
    panels: list[tuple[str, list[tuple[str, int, str, str]]]] = [
        (
            _plural(total, "ticket"),
            [
                ("all tickets", total, "#9ca3af", ""),
                ("escalated", escalated, BLUE, _of(escalated, total, "of all")),
            ],
        )
    ]
    shades = ("#93c5fd", "#60a5fa", "#3b82f6", "#2563eb", "#1d4ed8", "#1e40af", "#1e3a8a")
    for path in data["paths"]:
        levels = path["levels"]
        if not levels or not levels[0]["count"]:
            continue
        first = levels[0]["count"]
        how = "started for" if path["starts_on_open"] else "triggered by"
        decided = path.get("tickets", total)
        bars = []
        for n, level in enumerate(levels):
            before = levels[n - 1]["count"] if n else decided
            what = (
                "of the level before" if n else "of all" if decided == total else "of its tickets"
            )
            note = _of(level["count"], before, what)
            shade = shades[min(level["index"], len(shades) - 1)]
            bars.append((level["level"], level["count"], shade, note))
        panels.append((f"path {_path_name(path)}: {how} {_plural(first, 'ticket')}", bars))

    def draw() -> Figure:
        rows = sum(len(bars) for _, bars in panels)
        fig = Figure(figsize=(6.4, 0.5 + 0.34 * rows + 0.42 * len(panels)), layout="constrained")
        grid = fig.add_gridspec(len(panels), 1, height_ratios=[len(b) for _, b in panels])
        for n, (title, bars) in enumerate(panels):
            ax = fig.add_subplot(grid[n])
            widest = max(count for _, count, _, _ in bars) or 1
            ys = list(range(len(bars)))
            widths = [count for _, count, _, _ in bars]
            ax.barh(
                ys,
                widths,
                left=[(widest - w) / 2 for w in widths],
                color=[c for _, _, c, _ in bars],
                height=0.74,
            )
            for y, (_, count, _, note) in zip(ys, bars, strict=True):
                ax.text(
                    (widest + count) / 2 + widest * 0.02,
                    y,
                    f"{count:,}" + (f"  {note}" if note else ""),
                    va="center",
                    ha="left",
                    fontsize=8.5,
                    color=INK,
                )
            ax.set_yticks(ys, [name for name, _, _, _ in bars], fontsize=9)
            ax.set_xlim(0, widest * 1.75)
            ax.set_ylim(len(bars) - 0.5, -0.5)
            ax.set_xticks([])
            ax.set_title(title, loc="left", fontsize=9.5, color=MUTED, pad=3)
            for side in ("left", "bottom"):
                ax.spines[side].set_visible(False)
            ax.tick_params(axis="y", length=0)
        return fig

    return _drawn("funnel", "Escalation funnel: tickets per level of each vertical path", draw)


def _path_name(path: Mapping[str, Any]) -> str:
    """A funnel's path, with the segments whose variant it is when not the policy's own."""
    segments = path.get("segments") or [None]
    if None in segments:
        return str(path["path"])
    return f"{path['path']} (segment{'s' if len(segments) > 1 else ''} {', '.join(segments)})"


def _of(part: int, whole: int, what: str) -> str:
    return f"({100 * part / whole:.1f}% {what})" if whole else ""


# -- time to escalate --------------------------------------------------------------------------


def _bin_short(low: str, high: str | None) -> str:
    if high is None:
        return f"≥{low}"
    if low == "0s":
        return f"<{high}"
    return f"{low}–{high}"


def histogram(data: Mapping[str, Any]) -> str:
    """Tickets per bin of time from the cycle's start to first escalation."""
    bins = data["bins"]

    def draw() -> Figure:
        fig = Figure(figsize=(6.4, 3.6), layout="constrained")
        ax = fig.add_subplot()
        if not data["escalated"]:
            _nothing(ax, "no ticket escalated")
            return fig
        counts = [b["tickets"] for b in bins]
        xs = range(len(bins))
        ax.bar(xs, counts, color=BLUE, width=0.78)
        top = max(counts)
        for x, count in zip(xs, counts, strict=True):
            if count:
                ax.text(
                    x, count + top * 0.015, f"{count:,}", ha="center", va="bottom", fontsize=8.5
                )
        ax.set_xticks(list(xs), [_bin_short(b["from"], b["to"]) for b in bins], fontsize=9)
        for label in ax.get_xticklabels():
            label.set_rotation(30)
            label.set_horizontalalignment("right")
        ax.set_ylim(0, top * 1.12)
        ax.set_ylabel("tickets")
        ax.set_xlabel("time from the cycle's start (opening or reopen) to first escalation")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{int(v):,}"))
        ax.grid(axis="y", color=GRID, linewidth=0.8)
        ax.set_axisbelow(True)
        return fig

    return _drawn("histogram", "Time to first escalation: tickets per bin", draw)


# -- breach rate by priority -------------------------------------------------------------------


def breach_lines(data: Mapping[str, Any]) -> str:
    """Per period, a line per priority: the share of tickets with a breached clock. Where
    periods without a ticket come between two (``gaps``), the axis has a slot marked ``…``
    and the lines break there: only adjacent periods are joined."""
    gaps = set(data.get("gaps", ()))
    slots: list[str | None] = []  # the periods in order, None for a gap's slot
    for period in data["periods"]:
        slots.append(period)
        if period in gaps:
            slots.append(None)
    periods = [p for p in slots if p is not None]
    priorities: Sequence[str] = data["priorities"]
    cells = {(r["period"], r["priority"]): r["any_clock"] for r in data["rows"]}

    def draw() -> Figure:
        fig = Figure(figsize=(6.4, 3.6), layout="constrained")
        ax = fig.add_subplot()
        if not periods:
            _nothing(ax, "no ticket")
            return fig
        xs = list(range(len(slots)))
        drawn = 0
        for n, priority in enumerate(priorities):
            ys = []
            for period in slots:
                share = None if period is None else cells.get((period, priority))
                rate = None if share is None else share["rate"]
                ys.append(math.nan if rate is None else 100 * _ratio(rate))
            if all(math.isnan(y) for y in ys):
                continue
            drawn += 1
            ax.plot(
                xs,
                ys,
                marker="o",
                markersize=4,
                linewidth=1.8,
                color=PALETTE[n % len(PALETTE)],
                label=priority,
            )
        if not drawn:
            _nothing(ax, "no SLA clock applied to any ticket")
            return fig
        step = max(1, math.ceil(len(periods) / 14))
        ticks = [
            (x, "…" if period is None else period)
            for n, (x, period) in enumerate(zip(xs, slots, strict=True))
            if period is None or periods.index(period) % step == 0
        ]
        ax.set_xticks([x for x, _ in ticks], [label for _, label in ticks], fontsize=9)
        if len(slots) > 6:
            for label in ax.get_xticklabels():
                label.set_rotation(40)
                label.set_horizontalalignment("right")
        ax.set_ylim(-3, 103)
        ax.set_xlim(-0.5, len(slots) - 0.5)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
        ax.set_ylabel("tickets breached")
        ax.grid(axis="y", color=GRID, linewidth=0.8)
        ax.set_axisbelow(True)
        ax.legend(
            title="priority",
            frameon=False,
            fontsize=9,
            title_fontsize=9,
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
        )
        return fig

    return _drawn("breach-rate", "Breach rate by priority over time", draw)


def _ratio(text: str) -> float:
    """An exact ``"n/d"`` rate as a float, for drawing only."""
    numerator, _, denominator = text.partition("/")
    return int(numerator) / int(denominator or "1")


# -- ping-pong graph ---------------------------------------------------------------------------


def ping_pong_graph(data: Mapping[str, Any]) -> str:
    """Groups on a circle, an arrow per direction of bounce, wider for more returns."""
    shown = {tuple(pair) for pair in data["shown_pairs"]}
    edges = [
        e for e in data["edges"] if (min(e["from"], e["to"]), max(e["from"], e["to"])) in shown
    ]
    nodes = sorted({g for e in edges for g in (e["from"], e["to"])})

    def draw() -> Figure:
        fig = Figure(figsize=(6.4, 4.9 if edges else 1.6), layout="constrained")
        ax = fig.add_subplot()
        ax.set_axis_off()
        if not edges:
            _nothing(ax, "no ticket went back and forth between groups")
            return fig
        ax.set_aspect("equal")
        ax.set_xlim(-1.8, 1.8)
        ax.set_ylim(-1.35, 1.35)
        count = len(nodes)
        where = {}
        for k, node in enumerate(nodes):
            angle = math.pi / 2 - 2 * math.pi * k / count
            where[node] = (math.cos(angle), math.sin(angle))
        heaviest = max(e["bounces"] for e in edges)
        weight = dict.fromkeys(nodes, 0)
        for e in edges:
            weight[e["from"]] += e["bounces"]
            weight[e["to"]] += e["bounces"]
        for e in sorted(edges, key=lambda e: (e["bounces"], e["from"], e["to"])):
            (x1, y1), (x2, y2) = where[e["from"]], where[e["to"]]
            share = e["bounces"] / heaviest
            ax.add_patch(
                FancyArrowPatch(
                    (x1, y1),
                    (x2, y2),
                    connectionstyle="arc3,rad=0.22",
                    arrowstyle=(
                        f"-|>,head_length={3 + 4 * share:.2f},head_width={2 + 2.5 * share:.2f}"
                    ),
                    linewidth=0.8 + 5 * share,
                    color=BLUE,
                    alpha=0.35 + 0.55 * share,
                    shrinkA=13,
                    shrinkB=13,
                )
            )
            if e["bounces"] < LABEL_SHARE * heaviest:
                continue  # light arrows unlabelled (the caption says so; the JSON has all)
            lx, ly = _label_at((x1, y1), (x2, y2), list(where.values()))
            ax.text(
                lx,
                ly,
                f"{e['bounces']:,}",
                ha="center",
                va="center",
                fontsize=8,
                color=INK,
                zorder=4,  # above the nodes
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
            )
        top = max(weight.values())
        for node in nodes:
            x, y = where[node]
            ax.scatter(
                [x],
                [y],
                s=120 + 380 * weight[node] / top,
                color="#1e3a8a",
                zorder=3,
                edgecolors="white",
                linewidths=1.5,
            )
            name = node if len(node) <= 26 else node[:25] + "…"
            ax.text(
                1.12 * x,
                1.1 * y,
                name,
                ha="left" if x > 0.2 else "right" if x < -0.2 else "center",
                va="bottom" if y > 0.9 else "top" if y < -0.9 else "center",
                fontsize=9.5,
                color=INK,
                zorder=5,
            )
        return fig

    return _drawn("ping-pong", "Ping-pong graph: returns between assignment groups", draw)


def _label_at(
    start: tuple[float, float], end: tuple[float, float], nodes: Sequence[tuple[float, float]]
) -> tuple[float, float]:
    """Where an arrow's count goes: on the arc (``arc3``, ``rad=0.22``: a quadratic curve),
    at its middle unless a node is there, else nearer one end -- the first place clear of
    every node."""
    (x1, y1), (x2, y2) = start, end
    cx, cy = (x1 + x2) / 2 + 0.22 * (y2 - y1), (y1 + y2) / 2 - 0.22 * (x2 - x1)
    place = (0.0, 0.0)
    for t in (0.5, 0.4, 0.6, 0.32, 0.68):
        u = 1 - t
        place = (u * u * x1 + 2 * u * t * cx + t * t * x2, u * u * y1 + 2 * u * t * cy + t * t * y2)
        if all(math.dist(place, node) > 0.16 for node in nodes):
            return place
    return place


# -- heat map ----------------------------------------------------------------------------------


def heat_map(data: Mapping[str, Any]) -> str:
    """Escalations by weekday (rows, Monday on top) and hour of day (columns)."""
    grid = data[data["shown"]]

    def draw() -> Figure:
        fig = Figure(figsize=(11, 3.1), layout="constrained")
        ax = fig.add_subplot()
        mesh = ax.pcolormesh(
            [[float(n) for n in row] for row in grid],
            cmap="Blues",
            edgecolors="white",
            linewidth=0.6,
            vmin=0,
            vmax=max(1, *(max(row) for row in grid)),
        )
        ax.set_yticks([d + 0.5 for d in range(7)], list(_WEEKDAYS), fontsize=9)
        ax.set_xticks([h + 0.5 for h in range(24)], [f"{h:02d}" for h in range(24)], fontsize=9)
        ax.set_xlabel(f"hour of day ({data['zone']})")
        ax.invert_yaxis()
        ax.tick_params(length=0)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        bar = fig.colorbar(mesh, ax=ax, pad=0.01, aspect=12, fraction=0.03)
        bar.set_label(data["shown"], fontsize=9)
        bar.outline.set_visible(False)
        if bar.solids is not None:
            bar.solids.set_rasterized(False)  # vector, not an embedded PNG
            bar.solids.set_gid("scale")  # its bands become one gradient (_gradient)
        bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        return fig

    return _drawn("heat-map", "Escalations by weekday and hour", draw)
