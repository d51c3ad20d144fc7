"""The escalation report: its data from decided tickets, and a static HTML page of it.

:func:`report_data` is a pure function of the decisions (one per ticket, each made at its own
``evaluated_at``: one instant for a corpus, an incident's last update for a log) and the
policy that made them. It gives a JSON-ready dict -- exact figures as strings (fractions
``"3/7"``, durations ``"1h30m"``), everything sorted, the same for any input order -- built
from :mod:`escalate.learning`'s KPIs and patterns:

* ``kpis``: the headline KPIs of every ticket (:func:`~escalate.learning.kpis.kpis`: MTTA,
  MTTE per level, MTTR with p50/p90/p99 by nearest rank, breach rate per clock, reopen rate,
  reassignments, time at each level) and the same per priority;
* ``funnel``: per vertical path, in the policy's order, how many tickets reached each level
  -- the path's highest level in the ticket's current cycle is that level or a later one (so
  the funnel never widens); a path that starts on open counts every ticket it started for at
  its first level;
* ``time_to_escalate``: the tickets by time from opening to their **first escalation** (the
  earliest first entry of a level that counts for MTTE: any level of a vertical path but the
  first level of an on-open path), in fixed bins (:data:`BINS`: under 15 minutes, 15-30
  minutes ... a week or more), and how many never escalated;
* ``breach_by_priority``: per period of opening (``week`` or ``month`` in ``zone``; by
  default weeks when the openings span less than 13 weeks, else months) and priority, the
  tickets, those with **any** clock breached, the rate as an exact fraction, and each clock's
  own counts;
* ``ping_pong``: the graph of bounces between assignment groups: nodes are groups, a directed
  edge ``A -> B`` counts the *returns* to ``B`` from ``A`` (a ticket assigned back to the
  group it had two assignments before, :func:`~escalate.learning.patterns.ping_pong`'s
  meaning), so a pair's edges add up to its ``returns``; the pairs themselves, most tickets
  first, and the most frequent chains;
* ``heat_map``: **escalations** (every move of a path to a higher level, as
  :func:`~escalate.learning.patterns.hot_spots` counts them) by weekday (Monday first) and
  hour in ``zone``; the openings' grid is there too;
* ``patterns``: the findings with their evidence (ticket ids) and recommendations -- ping-pong
  pairs and chains, hot spots, tiers that resolved nothing, groups whose escalations breach
  (groups with at least :data:`MIN_GROUP_TICKETS` escalated tickets, when any has), and
  recurrences (:func:`~escalate.learning.recurrence.recurrences`, by service, category and
  subcategory, within 30 days of a fix); ``recommendations`` lists the main ones in plain
  words.

:func:`render_html` turns that dict (only it: the page shows nothing the JSON lacks) into one
self-contained HTML page: inline CSS, each plot an inline SVG drawn by matplotlib's SVG
backend (text left as text, ids salted by the plot's name, no date: the same data gives the
same bytes), no script, no font, image or style sheet fetched from anywhere.

matplotlib is the ``report`` extra: importing this module without it raises
:class:`~escalate.errors.MissingExtraError` saying ``pip install 'escalate[report]'``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from escalate.errors import ArgumentError, MissingExtraError

try:
    import matplotlib  # noqa: F401  (the extra's presence, said once at import)
except ImportError as _missing:  # pragma: no cover - exercised in a subprocess test
    raise MissingExtraError(
        "escalate.learning.report needs matplotlib, which is not installed: "
        "pip install 'escalate[report]'"
    ) from _missing

from escalate._stats import percent_text, period_of
from escalate._version import __version__
from escalate.calendars._durations import format_duration
from escalate.engine.compiled import Policy
from escalate.engine.decision import Decision
from escalate.learning import _plots
from escalate.learning.kpis import TicketFacts, decision_facts, kpis
from escalate.learning.patterns import (
    breach_by_group,
    chains_of,
    group_sequence,
    hot_spots,
    idle_tiers,
    ping_pong,
    ping_pong_chains,
)
from escalate.learning.recurrence import (
    DEFAULT_FIELDS,
    _check_fields,
    recurrence_counts,
    recurrences,
)

__all__ = [
    "BINS",
    "FORMAT",
    "MIN_GROUP_TICKETS",
    "REPORT_PERIODS",
    "choose_period",
    "render_html",
    "report_data",
]

#: The version of the data's shape (``format`` in the JSON).
FORMAT = 1
#: The periods the breach rate is cut into.
REPORT_PERIODS = ("week", "month")
#: The lower edges of the time-to-escalate bins; the last bin has no upper edge.
BINS = (
    timedelta(0),
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=8),
    timedelta(days=1),
    timedelta(days=3),
    timedelta(days=7),
)
#: Groups with fewer escalated tickets are left out of the breaching groups, when any group
#: has that many (a group with one escalated, breached ticket would top the list at 100 %).
MIN_GROUP_TICKETS = 5
#: How many findings of each kind the data lists.
TOP = 10
#: How many pairs of groups the ping-pong graph draws (the most tickets first).
GRAPH_PAIRS = 8
#: Recurrence: a ticket recurred when another with its fingerprint was fixed this long before.
RECURRENCE_WINDOW = timedelta(days=30)
_WEEK_SPAN = timedelta(weeks=13)


def choose_period(first: datetime, last: datetime) -> str:
    """``week`` when the openings from ``first`` to ``last`` span less than 13 weeks (a
    quarter: at most 14 points on the plot), else ``month``.

    >>> from datetime import UTC
    >>> choose_period(datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 3, 30, tzinfo=UTC))
    'week'
    >>> choose_period(datetime(2016, 2, 29, tzinfo=UTC), datetime(2017, 2, 1, tzinfo=UTC))
    'month'
    """
    return "week" if last - first < _WEEK_SPAN else "month"


def _zone(zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ArgumentError(
            f"zone {zone!r} is not an IANA time zone (e.g. Europe/Berlin)"
        ) from error


def _iso(at: datetime) -> str:
    return at.isoformat()


def _share(part: int, whole: int) -> dict[str, Any]:
    """``part`` of ``whole`` as exact text and a percentage (``None`` of nothing)."""
    if whole == 0:
        return {"count": part, "of": whole, "rate": None, "percent": None}
    rate = Fraction(part, whole)
    return {"count": part, "of": whole, "rate": str(rate), "percent": percent_text(rate)}


def report_data(
    decisions: Iterable[Decision],
    policy: Policy,
    *,
    zone: str = "UTC",
    period: str | None = None,
    source: str | None = None,
    fingerprint: Sequence[str] = DEFAULT_FIELDS,
) -> dict[str, Any]:
    """The report's data (see the module docstring) for ``decisions`` made by ``policy``.

    ``zone`` (an IANA name) cuts the periods and the heat map's hours; ``period`` is
    ``week``, ``month`` or ``None`` (chosen by :func:`choose_period`); ``source`` says in
    words where the tickets came from, for the page's note; ``fingerprint`` names the fields
    that say two tickets are about the same thing, for recurrence
    (:func:`~escalate.learning.recurrence.fingerprint`). No decisions, an unknown zone,
    period or fingerprint field: :class:`~escalate.errors.ArgumentError`.
    """
    tz = _zone(zone)
    _check_fields(fingerprint)
    if period is not None and period not in REPORT_PERIODS:
        raise ArgumentError(f"unknown period {period!r} (periods: {', '.join(REPORT_PERIODS)})")
    ordered = sorted(decisions, key=lambda d: (d.ticket_id, d.ticket.opened_at, d.evaluated_at))
    if not ordered:
        raise ArgumentError("a report needs at least one decided ticket")
    tickets = [d.ticket for d in ordered]
    facts = decision_facts(ordered, policy)
    opened = [f.opened_at for f in facts]
    first_opened, last_opened = min(opened), max(opened)
    chosen = period or choose_period(first_opened, last_opened)
    decided = [d.evaluated_at for d in ordered]
    everyone = kpis(facts).groups[0]
    escalated = sum(1 for f in facts if f.escalations)
    spots = hot_spots(tickets, ordered, zone=zone, top=3)
    pairs = ping_pong(tickets)
    data: dict[str, Any] = {
        "format": FORMAT,
        "generator": f"escalate {__version__}",
        "policy": {"id": policy.id, "version": str(policy.version), "hash": policy.content_hash},
        "source": source,
        "tickets": len(facts),
        "decided_at": {"first": _iso(min(decided)), "last": _iso(max(decided))},
        "opened": {"first": _iso(first_opened), "last": _iso(last_opened)},
        "zone": zone,
        "period": chosen,
        "headline": {
            "escalated": _share(escalated, len(facts)),
            "reopened": _share(everyone.reopened, len(facts)),
        },
        "kpis": {
            "all": everyone.to_dict(),
            "by_priority": [g.to_dict() for g in kpis(facts, by="priority").groups],
        },
        "funnel": _funnel(ordered, policy, escalated),
        "time_to_escalate": _time_to_escalate(facts),
        "breach_by_priority": _breach_by_priority(facts, chosen, tz),
        "ping_pong": _graph(tickets, pairs),
        "heat_map": {**spots.to_dict(), "shown": "escalations"},
    }
    data["patterns"] = _patterns(ordered, tickets, policy, pairs, spots, fingerprint)
    data["recommendations"] = _recommendations(data["patterns"])
    return data


# -- the figures -------------------------------------------------------------------------------


def _funnel(decisions: Sequence[Decision], policy: Policy, escalated: int) -> dict[str, Any]:
    paths = []
    for path in policy.paths:
        if path.kind != "vertical":
            continue
        names = [level.name for level in path.levels]
        reached = [0] * len(names)
        for decision in decisions:
            state = decision.paths.get(path.name)
            if state is None or not state.history:
                continue
            top = max(index for _, index in state.history)
            for index in range(min(top, len(names) - 1) + 1):
                reached[index] += 1
        paths.append(
            {
                "path": path.name,
                "starts_on_open": path.starts_on_open,
                "levels": [
                    {"level": name, "index": i, **_share(reached[i], len(decisions))}
                    for i, name in enumerate(names)
                ],
            }
        )
    return {"tickets": len(decisions), "escalated": escalated, "paths": paths}


def _bin_label(low: timedelta, high: timedelta | None) -> str:
    if high is None:
        return f"{format_duration(low)} or more"
    if low == timedelta(0):
        return f"under {format_duration(high)}"
    return f"{format_duration(low)} to {format_duration(high)}"


def _time_to_escalate(facts: Sequence[TicketFacts]) -> dict[str, Any]:
    counts = [0] * len(BINS)
    examples: list[list[str]] = [[] for _ in BINS]
    never = 0
    for f in facts:
        if not f.escalations:
            never += 1
            continue
        spent = max(min(at for _, at in f.escalations) - f.opened_at, timedelta(0))
        index = max(i for i, low in enumerate(BINS) if spent >= low)
        counts[index] += 1
        examples[index].append(f.ticket_id)
    bins = []
    for i, low in enumerate(BINS):
        high = BINS[i + 1] if i + 1 < len(BINS) else None
        bins.append(
            {
                "from": format_duration(low),
                "to": None if high is None else format_duration(high),
                "label": _bin_label(low, high),
                "tickets": counts[i],
            }
        )
    return {"escalated": len(facts) - never, "never": never, "bins": bins}


def _breach_by_priority(
    facts: Sequence[TicketFacts], period: str, zone: ZoneInfo
) -> dict[str, Any]:
    cells: dict[tuple[str, str], list[TicketFacts]] = {}
    for f in facts:
        key = (period_of(f.opened_at, period, zone), f.priority or "(none)")
        cells.setdefault(key, []).append(f)
    rows = []
    for (label, priority), members in sorted(cells.items()):
        applicable = [f for f in members if f.breached]
        breached = sum(1 for f in applicable if any(b for _, b in f.breached))
        clocks: dict[str, list[int]] = {}
        for f in members:
            for clock, b in f.breached:
                entry = clocks.setdefault(clock, [0, 0])
                entry[0] += b
                entry[1] += 1
        rows.append(
            {
                "period": label,
                "priority": priority,
                "tickets": len(members),
                "any_clock": _share(breached, len(applicable)),
                "clocks": {c: _share(b, a) for c, (b, a) in sorted(clocks.items())},
            }
        )
    return {
        "period": period,
        "periods": sorted({row["period"] for row in rows}),
        "priorities": sorted({row["priority"] for row in rows}),
        "rows": rows,
    }


def _graph(tickets: Sequence[Any], pairs: Sequence[Any]) -> dict[str, Any]:
    edges: dict[tuple[str, str], set[str]] = {}
    bounces: dict[tuple[str, str], int] = {}
    for ticket in tickets:
        for chain in chains_of(group_sequence(ticket)):
            for i in range(2, len(chain)):  # a return: back to the group two before
                edge = (chain[i - 1], chain[i])
                bounces[edge] = bounces.get(edge, 0) + 1
                edges.setdefault(edge, set()).add(ticket.id)
    nodes = sorted({g for edge in edges for g in edge})
    shown = [p.pair for p in pairs[:GRAPH_PAIRS]]
    return {
        "nodes": nodes,
        "edges": [
            {"from": a, "to": b, "bounces": bounces[(a, b)], "tickets": len(edges[(a, b)])}
            for a, b in sorted(edges, key=lambda e: (-bounces[e], e))
        ],
        "pairs": len(pairs),
        "shown_pairs": [list(pair) for pair in shown],
    }


# -- patterns and recommendations ----------------------------------------------------------------


def _patterns(
    decisions: Sequence[Decision],
    tickets: Sequence[Any],
    policy: Policy,
    pairs: Sequence[Any],
    spots: Any,
    fields: Sequence[str],
) -> dict[str, Any]:
    groups = breach_by_group(decisions)
    big = [g for g in groups if len(g.escalated) >= MIN_GROUP_TICKETS]
    found = recurrences(tickets, within=RECURRENCE_WINDOW, fields=fields)
    opened = [r.opened_at for r in found]
    counts = recurrence_counts(
        found, since=min(opened), until=max(opened) + timedelta(microseconds=1)
    )
    counts.sort(key=lambda c: (-c[2], -c[1], c[0]))
    recurring = [
        {
            "fingerprint": list(fp),
            "tickets": n,
            "recurred": k,
            "recommendation": (
                f"{k} of the {n} tickets about {' / '.join(fp)} came back within "
                f"{format_duration(RECURRENCE_WINDOW)} of a fix: open a problem record and "
                "look for the cause the fixes did not reach."
            ),
        }
        for fp, n, k in counts[:TOP]
        if k
    ]
    return {
        "ping_pong": [p.to_dict() for p in pairs[:TOP]],
        "chains": [c.to_dict() for c in ping_pong_chains(tickets, top=5)],
        "hot_spots": [s.to_dict() for s in spots.top],
        "idle_tiers": [t.to_dict() for t in idle_tiers(decisions, policy)[:TOP]],
        "breach_by_group": {
            "min_tickets": MIN_GROUP_TICKETS if big else 1,
            "groups": [g.to_dict() for g in (big or list(groups))[:TOP]],
        },
        "recurrences": {
            "fields": list(fields),
            "within": format_duration(RECURRENCE_WINDOW),
            "with_fingerprint": sum(1 for r in found if r.fingerprint is not None),
            "recurred": sum(1 for r in found if r.recurred),
            "top": recurring,
        },
    }


def _recommendations(patterns: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The main findings' recommendations, in a fixed order of kinds, each with its count of
    tickets (the evidence stays in ``patterns``)."""
    found: list[dict[str, Any]] = []

    def add(kind: str, finding: Mapping[str, Any], tickets: int) -> None:
        found.append(
            {"kind": kind, "tickets": tickets, "recommendation": finding["recommendation"]}
        )

    for pair in patterns["ping_pong"][:3]:
        add("ping-pong", pair, len(pair["tickets"]))
    for tier in patterns["idle_tiers"][:3]:
        add("idle-tier", tier, len(tier["passed"]))
    for group in patterns["breach_by_group"]["groups"][:3]:
        if group["breached"]:
            add("breaching-group", group, len(group["breached"]))
    for spot in patterns["hot_spots"]:
        if spot["what"] == "escalations":
            add("hot-spot", spot, spot["count"])
            break
    for item in patterns["recurrences"]["top"][:3]:
        add("recurrence", item, item["recurred"])
    return found


# -- the page ----------------------------------------------------------------------------------

_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_PART = re.compile(r"(\d+)(d|h|m|s|us)")


def _brief(duration: str | None) -> str:
    """A duration as the data writes it (``2h13m27s123us``) shortened for reading: its two
    largest units, rounded down to whole seconds (``2h 13m``); ``-`` for none.

    >>> _brief("2h13m27s123us"), _brief("3d"), _brief("45s"), _brief("0s"), _brief(None)
    ('2h 13m', '3d', '45s', '0s', '-')
    """
    if duration is None:
        return "-"
    seconds = sum(int(n) * dict(_UNITS)[u] for n, u in _PART.findall(duration) if u != "us")
    parts: list[tuple[int, str]] = []
    for unit, size in _UNITS:
        count, seconds = divmod(seconds, size)
        if count or parts:
            parts.append((count, unit))
    shown = [f"{n}{u}" for n, u in parts[:2] if n]
    return " ".join(shown) or "0s"


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _n(value: int) -> str:
    return f"{value:,}"


def _pct(share: Mapping[str, Any]) -> str:
    percent = share.get("percent")
    return "-" if percent is None else str(percent)


_CSS = """
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f6f7f9;--card:#fff;--accent:#2563eb;
--warn:#b91c1c}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
header{background:#111827;color:#f9fafb;padding:28px 40px 22px}
header h1{margin:0 0 4px;font-size:26px;font-weight:650;letter-spacing:-.01em}
header p{margin:0;color:#d1d5db}
main{max-width:1280px;margin:0 auto;padding:24px 40px 40px}
h2{font-size:19px;margin:0 0 10px;font-weight:650}
h3{font-size:15px;margin:18px 0 6px}
section{margin:0 0 28px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:14px}
.tile{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px}
.tile .label{color:var(--muted);font-size:13px}
.tile .value{font-size:24px;font-weight:650;line-height:1.25;margin-top:2px;white-space:nowrap}
.tile .note{color:var(--muted);font-size:12.5px}
.tile.warn .value{color:var(--warn)}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px}
.plots{margin:0 0 28px;display:grid;gap:18px;
grid-template-columns:repeat(auto-fit,minmax(520px,1fr))}
figure{margin:0}
#plot-heat-map{grid-column:1/-1}
figure svg{display:block;width:100%;height:auto}
figcaption{color:var(--muted);font-size:13.5px;margin-top:8px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:right;padding:6px 10px;border-bottom:1px solid var(--line);
font-variant-numeric:tabular-nums;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
thead th{color:var(--muted);font-weight:600;font-size:12.5px;text-transform:uppercase;
letter-spacing:.03em}
.scroll{overflow-x:auto}
ol.recs{margin:0;padding-left:22px}
ol.recs li{margin:0 0 10px}
.kind{display:inline-block;font-size:11.5px;font-weight:600;text-transform:uppercase;
letter-spacing:.04em;color:#fff;background:var(--accent);border-radius:4px;padding:1px 6px;
margin-right:6px}
.kind.breaching-group{background:var(--warn)}.kind.idle-tier{background:#7c3aed}
.kind.hot-spot{background:#d97706}.kind.recurrence{background:#0f766e}
details{margin:0}
table.evidence td,table.evidence th{white-space:normal;vertical-align:top}
table.evidence .text{text-align:left}table.evidence .num{text-align:right}
summary{cursor:pointer;color:var(--accent)}
.ids{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12.5px;color:var(--muted);
word-break:break-all}
footer{color:var(--muted);font-size:13px;border-top:1px solid var(--line);padding-top:14px}
footer code{font-size:12px}
.muted{color:var(--muted)}
"""


def render_html(data: Mapping[str, Any]) -> str:
    """The report page for ``data`` (what :func:`report_data` gave): one self-contained HTML
    document, the same text for the same data."""
    policy = data["policy"]
    title = f"Escalation report: {policy['id']} v{policy['version']}"
    span = f"{data['opened']['first'][:10]} to {data['opened']['last'][:10]}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{_esc(title)}</h1>",
        f"<p>{_n(data['tickets'])} tickets opened {_esc(span)} &middot; periods and hours in "
        f"{_esc(data['zone'])}</p>",
        "</header>",
        "<main>",
        _tiles(data),
        _plot_section(data),
        _kpi_tables(data),
        _patterns_section(data),
        _footer(data),
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _tile(label: str, value: str, note: str, warn: bool = False) -> str:
    cls = "tile warn" if warn else "tile"
    return (
        f'<div class="{cls}"><div class="label">{_esc(label)}</div>'
        f'<div class="value">{_esc(value)}</div><div class="note">{_esc(note)}</div></div>'
    )


def _tiles(data: Mapping[str, Any]) -> str:
    k = data["kpis"]["all"]
    head = data["headline"]
    tiles = [
        _tile("Tickets", _n(data["tickets"]), f"{data['opened']['first'][:10]} onwards"),
        _tile(
            "Escalated",
            _pct(head["escalated"]),
            f"{_n(head['escalated']['count'])} tickets reached a higher level",
        ),
        _tile("MTTA (median)", _brief(k["mtta"]["p50"]), _spread(k["mtta"], "acknowledged")),
        _tile("MTTR (median)", _brief(k["mttr"]["p50"]), _spread(k["mttr"], "resolved")),
    ]
    for clock, b in k["breaches"].items():
        tiles.append(
            _tile(
                f"{clock.capitalize()} breached",
                b["percent"],
                f"{_n(b['breached'])} of {_n(b['applicable'])} tickets",
                warn=Fraction(b["rate"]) >= Fraction(1, 10),
            )
        )
    tiles.append(
        _tile(
            "Reopened",
            _pct(head["reopened"]),
            f"{_n(head['reopened']['count'])} tickets",
        )
    )
    return '<section class="tiles" aria-label="Headline figures">' + "".join(tiles) + "</section>"


def _spread(stats: Mapping[str, Any], verb: str) -> str:
    if not stats["count"]:
        return f"no ticket {verb}"
    return f"p90 {_brief(stats['p90'])} over {_n(stats['count'])} tickets"


def _stats_row(name: str, s: Mapping[str, Any]) -> str:
    cells = [name, _n(s["count"]), _brief(s["mean"])]
    cells += [_brief(s[p]) for p in ("p50", "p90", "p99")]
    cells.append(_n(s["missing"]))
    return "<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in cells) + "</tr>"


def _kpi_tables(data: Mapping[str, Any]) -> str:
    k = data["kpis"]["all"]
    head = (
        "<thead><tr><th>KPI</th><th>tickets</th><th>mean</th><th>p50</th><th>p90</th>"
        "<th>p99</th><th>without</th></tr></thead>"
    )
    rows = [
        _stats_row("MTTA: opened to first acknowledgement", k["mtta"]),
        _stats_row("MTTR: opened to first resolution", k["mttr"]),
    ]
    rows += [_stats_row(f"MTTE: opened to {level}", s) for level, s in k["mtte"].items()]
    rows += [
        _stats_row(f"time at {level} (current cycle)", s) for level, s in k["time_at_level"].items()
    ]
    durations = f"<table>{head}<tbody>{''.join(rows)}</tbody></table>"
    re_ = k["reassignments"]
    rates = [
        (
            f"breach rate: {clock}",
            f"{b['percent']}",
            f"{_n(b['breached'])} of {_n(b['applicable'])}",
        )
        for clock, b in k["breaches"].items()
    ]
    rates.append(
        (
            "reopen rate (of the tickets ever resolved)",
            k["reopen_percent"] or "-",
            f"{_n(k['reopened'])} of {_n(k['resolved'])}",
        )
    )
    rates.append(
        (
            "reassignments per ticket",
            f"p50 {re_['p50']}, p90 {re_['p90']}, p99 {re_['p99']}",
            f"{_n(re_['total'])} in all",
        )
    )
    counts = "".join(
        f"<tr><td>{_esc(a)}</td><td>{_esc(b)}</td><td>{_esc(c)}</td></tr>" for a, b, c in rates
    )
    others = (
        "<table><thead><tr><th>KPI</th><th>value</th><th>tickets</th></tr></thead>"
        f"<tbody>{counts}</tbody></table>"
    )
    clocks = list(k["breaches"])
    prio_head = (
        "<thead><tr><th>priority</th><th>tickets</th><th>MTTA p50</th><th>MTTR p50</th>"
        "<th>MTTR p90</th>"
        + "".join(f"<th>{_esc(c)} breached</th>" for c in clocks)
        + "<th>reopened</th></tr></thead>"
    )
    prio_rows = []
    for g in data["kpis"]["by_priority"]:
        cells = [
            "(none)" if g["key"] is None else g["key"],
            _n(g["tickets"]),
            _brief(g["mtta"]["p50"]),
            _brief(g["mttr"]["p50"]),
            _brief(g["mttr"]["p90"]),
        ]
        for c in clocks:
            b = g["breaches"].get(c)
            cells.append("-" if b is None else b["percent"])
        cells.append(g["reopen_percent"] or "-")
        prio_rows.append("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in cells) + "</tr>")
    by_priority = f"<table>{prio_head}<tbody>{''.join(prio_rows)}</tbody></table>"
    return (
        '<section class="card"><h2>Key figures</h2>'
        '<p class="muted">Durations from each ticket\'s opening; percentiles by nearest rank '
        '(always a measured value); "without" counts the tickets that never reached that '
        "instant.</p>"
        f'<div class="scroll">{durations}</div><h3>Rates and counts</h3>'
        f'<div class="scroll">{others}</div><h3>By priority</h3>'
        f'<div class="scroll">{by_priority}</div></section>'
    )


def _figure(title: str, svg: str, caption: str, name: str) -> str:
    return (
        f'<figure class="card" id="plot-{name}"><h2>{_esc(title)}</h2>{svg}'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _plot_section(data: Mapping[str, Any]) -> str:
    funnel = data["funnel"]
    tte = data["time_to_escalate"]
    breach = data["breach_by_priority"]
    graph = data["ping_pong"]
    heat = data["heat_map"]
    total_bounces = sum(e["bounces"] for e in graph["edges"])
    shown = len(graph["shown_pairs"])
    escalations = sum(sum(row) for row in heat["escalations"])
    figures = [
        _figure(
            "Escalation funnel",
            _plots.funnel(funnel),
            f"How many of the {_n(funnel['tickets'])} tickets escalated at all, then how far up "
            "each vertical path they went, each path's bars scaled to its first level: a ticket "
            "counts at every level up to the highest one its path reached in its current "
            "cycle. A path that starts on open holds every ticket it started for at its first "
            "level; one started by a trigger holds only the tickets that triggered it.",
            "funnel",
        ),
        _figure(
            "Time to first escalation",
            _plots.histogram(tte),
            f"The {_n(tte['escalated'])} escalated tickets by the time from opening to their "
            "first escalation (first entry of a level counted for MTTE); "
            f"{_n(tte['never'])} tickets never escalated and are not shown.",
            "time-to-escalate",
        ),
        _figure(
            "Breach rate by priority",
            _plots.breach_lines(breach),
            f"Per {_esc(breach['period'])} of opening ({_esc(data['zone'])}), the share of "
            "tickets of each priority with any SLA clock breached at the report's instant "
            "(tickets no clock applied to are left out). Where a priority is rare a point "
            "stands for few tickets: the JSON gives each point's counts.",
            "breach-rate",
        ),
        _figure(
            "Ping-pong between groups",
            _plots.ping_pong_graph(graph),
            f"Assignment groups (nodes) and the returns between them (arrows): an arrow "
            "A &rarr; B counts the times a ticket went back from A to B, the group it had two "
            f"assignments before; thicker is more. {_n(total_bounces)} returns between "
            f"{_n(graph['pairs'])} pairs of groups"
            + (f"; the {shown} pairs with the most tickets are drawn." if shown else "."),
            "ping-pong",
        ),
        _figure(
            "Escalations by weekday and hour",
            _plots.heat_map(heat),
            f"The {_n(escalations)} escalations (every move of a path to a higher level) by "
            f"weekday and hour of the day in {_esc(heat['zone'])}; darker is more.",
            "heat-map",
        ),
    ]
    return '<section class="plots">' + "".join(figures) + "</section>"


def _ids(ids: Sequence[str], shown: int = 40) -> str:
    """Ticket ids behind a disclosure (no script: ``<details>``), the first ``shown``."""
    if not ids:
        return ""
    head = ", ".join(ids[:shown])
    more = f" and {len(ids) - shown} more (the JSON lists them all)" if len(ids) > shown else ""
    return (
        f"<details><summary>{_n(len(ids))} ticket{'s' if len(ids) != 1 else ''}</summary>"
        f'<div class="ids">{_esc(head)}{_esc(more)}</div></details>'
    )


def _evidence(title: str, head: Sequence[str], rows: Sequence[Sequence[str]], empty: str) -> str:
    """One kind of finding as a table (cells already HTML), or a line saying there is none;
    a column whose name starts with ``#`` holds numbers (right-aligned)."""
    if not rows:
        return f'<h3>{_esc(title)}</h3><p class="muted">{_esc(empty)}</p>'
    kinds = ["num" if h.startswith("#") else "text" for h in head]
    header = "".join(
        f'<th class="{k}">{_esc(h.lstrip("#"))}</th>' for h, k in zip(head, kinds, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{k}">{c}</td>' for c, k in zip(row, kinds, strict=True))
        + "</tr>"
        for row in rows
    )
    return (
        f'<h3>{_esc(title)}</h3><div class="scroll"><table class="evidence"><thead><tr>'
        f"{header}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _patterns_section(data: Mapping[str, Any]) -> str:
    recs = data["recommendations"]
    pats = data["patterns"]
    if recs:
        items = "".join(
            f'<li><span class="kind {_esc(r["kind"])}">{_esc(r["kind"])}</span>'
            f"{_esc(r['recommendation'])}</li>"
            for r in recs
        )
        listed = f'<ol class="recs">{items}</ol>'
    else:
        listed = (
            "<p>No pattern stands out: no ping-pong, idle tier, breaching group, hot spot or "
            "recurrence.</p>"
        )
    parts = [
        _evidence(
            "Ping-pong between groups",
            ("groups", "#returns", "longest chain", "evidence"),
            [
                (
                    _esc(" / ".join(p["pair"])),
                    _n(p["returns"]),
                    _esc(" → ".join(p["longest"])),
                    _ids(p["tickets"]),
                )
                for p in pats["ping_pong"]
            ],
            "No ticket went back to a group it had two assignments before.",
        ),
        _evidence(
            "Levels that resolved none of the tickets they saw",
            ("path", "level", "#resolved tickets that passed", "evidence"),
            [
                (_esc(t["path"]), _esc(t["level"]), _n(len(t["passed"])), _ids(t["passed"]))
                for t in pats["idle_tiers"]
            ],
            "Every level that resolved tickets passing through it resolved some of them.",
        ),
        _evidence(
            "Groups whose escalations breach",
            ("group at first escalation", "#escalated", "#breached", "#rate", "evidence"),
            [
                (
                    _esc(g["group"]),
                    _n(len(g["escalated"])),
                    _n(len(g["breached"])),
                    _esc(g["percent"]),
                    _ids(g["breached"]),
                )
                for g in pats["breach_by_group"]["groups"]
            ],
            "No ticket escalated.",
        ),
        _evidence(
            "Hot spots",
            ("of", "when", "#count", "#share", "evidence"),
            [
                (
                    _esc(h["what"]),
                    _esc(f"{h['weekday']} {h['hour']:02d}:00 {h['zone']}"),
                    _n(h["count"]),
                    _esc(f"of {_n(h['total'])}"),
                    _ids(h["tickets"]),
                )
                for h in pats["hot_spots"]
            ],
            "No opening or escalation.",
        ),
    ]
    rec = pats["recurrences"]
    parts.append(
        _evidence(
            f"Recurrences (by {', '.join(rec['fields'])}, within {rec['within']} of a fix)",
            ("fingerprint", "#tickets", "#recurred"),
            [
                (_esc(" / ".join(r["fingerprint"])), _n(r["tickets"]), _n(r["recurred"]))
                for r in rec["top"]
            ],
            f"None of the {rec['with_fingerprint']:,} tickets with all of those fields recurred.",
        )
    )
    return (
        '<section class="card"><h2>Patterns and recommendations</h2>'
        f"{listed}{''.join(parts)}</section>"
    )


def _footer(data: Mapping[str, Any]) -> str:
    policy = data["policy"]
    decided = data["decided_at"]
    when = (
        f"at {decided['first']}"
        if decided["first"] == decided["last"]
        else f"each at its own instant, from {decided['first']} to {decided['last']}"
    )
    source = f" Source: {_esc(data['source'])}." if data.get("source") else ""
    return (
        f"<footer><p>Policy <code>{_esc(policy['id'])}</code> version "
        f"<code>{_esc(policy['version'])}</code> (content hash <code>{_esc(policy['hash'])}"
        f"</code>); {_n(data['tickets'])} tickets decided {_esc(when)}; periods and hours in "
        f"{_esc(data['zone'])}.{source} Made by {_esc(data['generator'])}; the same data is "
        "available as JSON (<code>escalate report --json</code>). KPI definitions: "
        "docs/analytics.md.</p></footer>"
    )
