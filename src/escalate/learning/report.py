"""The escalation report: its data from decided tickets, and a static HTML page of it.

:func:`report_data` is a pure function of the decisions (one per ticket, each made at its own
``evaluated_at``: one instant for a corpus, an incident's last update for a log) and the
policy that made them. It reads each decision once, as it comes, keeps only what the report
shows of it (the ticket, its KPI facts, the highest level each path reached, its escalations
by weekday and hour, its group at its first escalation, what its levels acknowledged and
resolved) and lets the decision go: given a generator, it never holds every decision at
once. Every reading takes the policy, so each cycle of a reopened ticket counts and levels
are named by the policy that decided the ticket (its segment's variant). It gives a
JSON-ready dict -- exact figures as strings (fractions ``"3/7"``, durations ``"1h30m"``),
everything sorted, the same for any input order -- built from :mod:`escalate.learning`'s
KPIs and patterns:

* ``kpis``: the headline KPIs of every ticket (:func:`~escalate.learning.kpis.kpis`: MTTA
  with the anchor each ticket's came from, MTTE per level, MTTR with p50/p90/p99 by nearest
  rank, breach rate per clock, reopen rate over the tickets ever resolved, reassignments,
  time at each level, open tickets) and the same per priority;
* ``funnel``: per vertical path, in the policy's order, how many tickets reached each level
  -- the path's highest level in the ticket's current cycle is that level or a later one (so
  the funnel never widens); a path that starts on open counts every ticket it started for at
  its first level. Levels are those of the policy that decided the ticket: a segment whose
  variant gives a path other levels has a funnel of its own, after the path's (``segments``
  names the variants each funnel counts, ``null`` for the policy as written; ``tickets``
  the tickets they decided);
* ``time_to_escalate``: the tickets by time to their **first escalation**, from the start of
  the cycle it came in (the opening, or a reopen: the KPIs' ``first_escalation_after``, the
  same anchor as MTTE), in fixed bins (:data:`BINS`: under 15 minutes, 15-30 minutes ... a
  week or more), and how many never escalated;
* ``breach_by_priority``: per period of opening (``week`` or ``month`` in ``zone``; by
  default weeks when the openings span less than 13 weeks, else months) and priority, the
  tickets, those with **any** clock breached in any cycle, the rate as an exact fraction,
  and each clock's own counts; ``gaps`` the periods after which periods without a ticket
  follow (the plot breaks its lines there);
* ``ping_pong``: the graph of bounces between assignment groups: nodes are groups, a directed
  edge ``A -> B`` counts the *returns* to ``B`` from ``A`` (a ticket assigned back to the
  group it had two assignments before, :func:`~escalate.learning.patterns.ping_pong`'s
  meaning), so a pair's edges add up to its ``returns``; the pairs themselves, most tickets
  first, and the most frequent chains;
* ``heat_map``: **escalations** (every move of a path to a higher level in every cycle, as
  :func:`~escalate.learning.patterns.hot_spots` counts them with the policy) by weekday
  (Monday first) and hour in ``zone``; the openings' grid is there too;
* ``patterns``: the findings with their evidence (ticket ids) and recommendations -- ping-pong
  pairs and chains, hot spots, tiers that resolved nothing, groups whose escalations breach
  (groups with at least :data:`MIN_GROUP_TICKETS` escalated tickets, when any has), and
  recurrences (:func:`~escalate.learning.recurrence.recurrences` with the policy's statuses,
  by the fingerprint and window of the policy's ``recurrence:`` section when it declares one,
  else by service, category and subcategory within 30 days of a fix; either can be given);
  ``recommendations`` lists the main ones in plain words.

:func:`render_html` turns that dict (only it: the page shows nothing the JSON lacks) into one
self-contained HTML page: inline CSS, each plot an inline SVG drawn by matplotlib's SVG
backend (text left as text, ids prefixed with the plot's name, no date: the same data gives
the same bytes), no script, no font, image or style sheet fetched from anywhere.

matplotlib is the ``report`` extra: importing this module without it raises
:class:`~escalate.errors.MissingExtraError` saying ``pip install 'escalate[report]'``.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
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
from escalate.engine.ticket import Ticket
from escalate.learning import _plots
from escalate.learning._history import deciding_policy, unique
from escalate.learning.kpis import TicketFacts, facts_of, kpis
from escalate.learning.patterns import (
    HOT_FACTOR,
    MIN_TICKETS,
    GroupBreaches,
    HotSpot,
    IdleTier,
    breach_by_group,
    chains_of,
    group_sequence,
    hot_spots,
    idle_tiers,
    ping_pong,
    ping_pong_chains,
)
from escalate.learning.recurrence import DEFAULT_FIELDS, recurrence_counts, recurrences

__all__ = [
    "BINS",
    "FORMAT",
    "MIN_GROUP_TICKETS",
    "RECURRENCE_WINDOW",
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
#: Recurrence, unless the policy's ``recurrence:`` section or the caller says otherwise: a
#: ticket recurred when another with its fingerprint was fixed this long before.
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


# -- what is kept of each decision ---------------------------------------------------------------

_Tier = tuple[str | None, str, int, str, bool, bool]  # segment, path, index, level, acked, resolved


@dataclass(frozen=True, slots=True)
class _Kept:
    """What the report keeps of one decided ticket; the decision itself is let go."""

    facts: TicketFacts
    ticket: Ticket
    paths: tuple[tuple[int, int], ...]  # (funnel, highest level index in the current cycle)
    cells: tuple[tuple[int, int], ...]  # (weekday * 24 + hour, escalations), every cycle
    group: tuple[str, bool] | None  # its group at its first escalation, breached
    tiers: tuple[_Tier, ...]  # every level its resolved cycles passed through


@dataclass(frozen=True, slots=True)
class _Funnel:
    """One funnel: a vertical path's levels, and the variants (``None``: the policy as
    written, else segment ids) whose tickets it counts."""

    path: str
    levels: tuple[str, ...]
    starts_on_open: bool
    segments: tuple[str | None, ...]


def _funnels(policy: Policy) -> tuple[list[_Funnel], dict[tuple[str | None, str], int]]:
    """The funnels of ``policy`` -- one per vertical path, and one more for each segment whose
    variant gives the path other levels, after the path's -- and which one counts a path of a
    variant: ``(segment, path) -> index``."""
    variants = [(None, policy)] + [(s.id, s.policy) for s in policy.segments]
    found: dict[tuple[str, tuple[str, ...], bool], list[str | None]] = {}
    which: dict[tuple[str | None, str], tuple[str, tuple[str, ...], bool]] = {}
    for segment, view in variants:
        for path in view.paths:
            if path.kind != "vertical":
                continue
            key = (path.name, tuple(level.name for level in path.levels), path.starts_on_open)
            found.setdefault(key, []).append(segment)
            which[(segment, path.name)] = key
    order = {path.name: n for n, path in enumerate(policy.paths)}
    keys = sorted(found, key=lambda k: order.get(k[0], len(order)))  # stable: variants after
    funnels = [_Funnel(k[0], k[1], k[2], tuple(found[k])) for k in keys]
    index = {key: n for n, key in enumerate(keys)}
    return funnels, {place: index[key] for place, key in which.items()}


def _keep(
    decision: Decision,
    policy: Policy,
    zone: ZoneInfo,
    funnel_of: Mapping[tuple[str | None, str], int],
) -> _Kept:
    """What the report needs of ``decision``, read with ``policy`` (every cycle)."""
    facts = facts_of(decision, policy)
    view = deciding_policy(decision, policy)
    paths = []
    for path in view.paths:
        if path.kind != "vertical":
            continue
        state = decision.paths.get(path.name)
        top = max((i for _, i in state.history), default=-1) if state is not None else -1
        paths.append((funnel_of[(decision.segment, path.name)], top))
    cells: tuple[tuple[int, int], ...] = ()
    group = None
    if facts.escalations:  # a ticket with none has no escalation in any cycle
        grid = hot_spots((), (decision,), zone=zone, top=0, policy=policy).escalations
        cells = tuple(
            (day * 24 + hour, n) for day, row in enumerate(grid) for hour, n in enumerate(row) if n
        )
        (found,) = breach_by_group((decision,), policy=policy)
        group = (found.group, bool(found.breached))
    tiers: tuple[_Tier, ...] = ()
    if facts.resolved_at is not None:  # only resolved cycles pass through a level
        tiers = tuple(
            (t.segment, t.path, t.index, t.level, bool(t.acknowledged), bool(t.resolved))
            for t in idle_tiers((decision,), policy, all_levels=True)
        )
    return _Kept(facts, decision.ticket, tuple(paths), cells, group, tiers)


def _recurrence_spec(
    policy: Policy, fingerprint: Sequence[str] | None, within: timedelta | None
) -> dict[str, Any]:
    """The fingerprint and window recurrence is counted by, and where each came from:
    ``given`` (by the caller), ``policy`` (its ``recurrence:`` section) or ``default``."""
    declared = policy.recurrence
    if fingerprint is not None:
        fields, fields_from = tuple(fingerprint), "given"
    elif declared is not None:
        fields, fields_from = declared.fingerprint, "policy"
    else:
        fields, fields_from = DEFAULT_FIELDS, "default"
    if within is not None:
        window, within_from = within, "given"
    elif declared is not None:
        window, within_from = declared.within, "policy"
    else:
        window, within_from = RECURRENCE_WINDOW, "default"
    recurrences((), within=window, fields=fields)  # checks both: an ArgumentError before work
    return {"fields": fields, "within": window, "from": (fields_from, within_from)}


def report_data(
    decisions: Iterable[Decision],
    policy: Policy,
    *,
    zone: str = "UTC",
    period: str | None = None,
    source: str | None = None,
    fingerprint: Sequence[str] | None = None,
    within: timedelta | None = None,
) -> dict[str, Any]:
    """The report's data (see the module docstring) for ``decisions`` made by ``policy``.

    ``zone`` (an IANA name) cuts the periods and the heat map's hours; ``period`` is
    ``week``, ``month`` or ``None`` (chosen by :func:`choose_period`); ``source`` says in
    words where the tickets came from, for the page's note; ``fingerprint`` names the fields
    that say two tickets are about the same thing and ``within`` the window after a fix, for
    recurrence (:func:`~escalate.learning.recurrence.recurrences`; each ``None``: the policy's
    ``recurrence:`` section when it declares one, else ``service, category, subcategory`` and
    :data:`RECURRENCE_WINDOW`). No decisions, an unknown zone, period or fingerprint field, a
    negative window, a ticket id given twice or a decision another policy made:
    :class:`~escalate.errors.ArgumentError`.
    """
    tz = _zone(zone)
    spec = _recurrence_spec(policy, fingerprint, within)
    if period is not None and period not in REPORT_PERIODS:
        raise ArgumentError(f"unknown period {period!r} (periods: {', '.join(REPORT_PERIODS)})")
    funnels, funnel_of = _funnels(policy)
    kept = [_keep(d, policy, tz, funnel_of) for d in decisions]
    return _summary(kept, policy, funnels, zone, period, source, spec)


def _summary(
    kept: list[_Kept],
    policy: Policy,
    funnels: Sequence[_Funnel],
    zone: str,
    period: str | None,
    source: str | None,
    spec: Mapping[str, Any],
) -> dict[str, Any]:
    """The report's data from what was kept of each decision (the second half of
    :func:`report_data`, its arguments checked)."""
    tz = _zone(zone)
    if not kept:
        raise ArgumentError("a report needs at least one decided ticket")
    unique((k.facts.ticket_id, k.facts.opened_at) for k in kept)
    kept.sort(key=lambda k: (k.facts.ticket_id, k.facts.opened_at))
    facts = [k.facts for k in kept]
    tickets = [k.ticket for k in kept]
    opened = [f.opened_at for f in facts]
    first_opened, last_opened = min(opened), max(opened)
    chosen = period or choose_period(first_opened, last_opened)
    decided = [f.evaluated_at for f in facts if f.evaluated_at is not None]
    everyone = kpis(facts).groups[0]
    escalated = sum(1 for f in facts if f.escalations)
    openings = hot_spots(tickets, zone=tz, top=3)
    heat = _heat(kept, openings.to_dict(), str(tz))
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
            "reopened": _share(everyone.reopened, everyone.resolved),
            "open": everyone.open_tickets,
        },
        "kpis": {
            "all": everyone.to_dict(),
            "by_priority": [g.to_dict() for g in kpis(facts, by="priority").groups],
        },
        "funnel": _funnel(kept, funnels, escalated),
        "time_to_escalate": _time_to_escalate(facts),
        "breach_by_priority": _breach_by_priority(facts, chosen, tz),
        "ping_pong": _graph(tickets, pairs),
        "heat_map": heat,
    }
    data["patterns"] = _patterns(kept, tickets, policy, pairs, heat["top"], spec)
    data["recommendations"] = _recommendations(data["patterns"])
    return data


# -- the figures -------------------------------------------------------------------------------


def _funnel(kept: Sequence[_Kept], funnels: Sequence[_Funnel], escalated: int) -> dict[str, Any]:
    decided = [0] * len(funnels)  # the tickets a variant with the funnel's path decided
    reached = [[0] * len(f.levels) for f in funnels]
    for k in kept:
        for n, top in k.paths:
            decided[n] += 1
            counts = reached[n]
            for index in range(min(top, len(counts) - 1) + 1):
                counts[index] += 1
    paths = [
        {
            "path": f.path,
            "segments": list(f.segments),
            "starts_on_open": f.starts_on_open,
            "tickets": decided[n],
            "levels": [
                {"level": name, "index": i, **_share(reached[n][i], decided[n])}
                for i, name in enumerate(f.levels)
            ],
        }
        for n, f in enumerate(funnels)
    ]
    return {"tickets": len(kept), "escalated": escalated, "paths": paths}


def _bin_label(low: timedelta, high: timedelta | None) -> str:
    if high is None:
        return f"{format_duration(low)} or more"
    if low == timedelta(0):
        return f"under {format_duration(high)}"
    return f"{format_duration(low)} to {format_duration(high)}"


def _time_to_escalate(facts: Sequence[TicketFacts]) -> dict[str, Any]:
    counts = [0] * len(BINS)
    never = 0
    for f in facts:
        if f.first_escalation_after is None:
            never += 1
            continue
        spent = max(f.first_escalation_after, timedelta(0))
        index = max(i for i, low in enumerate(BINS) if spent >= low)
        counts[index] += 1
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
    return {
        "anchor": "cycle-start",
        "escalated": len(facts) - never,
        "never": never,
        "bins": bins,
    }


def _following(label: str, period: str) -> str | None:
    """The period after ``label`` (``2024-W52`` -> ``2025-W01``, ``2024-12`` -> ``2025-01``);
    ``None`` past the last one.

    >>> _following("2020-W53", "week"), _following("2024-12", "month")
    ('2021-W01', '2025-01')
    """
    year = int(label[:4])
    try:
        if period == "week":
            day = date.fromisocalendar(year, int(label[6:]), 1) + timedelta(weeks=1)
            iso = day.isocalendar()
            return f"{iso.year:04d}-W{iso.week:02d}"
        month = int(label[5:])
        if year + month // 12 > 9999:
            return None
        return f"{year + month // 12:04d}-{month % 12 + 1:02d}"
    except (ValueError, OverflowError):
        return None


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
    periods: list[str] = sorted({label for label, _ in cells})
    return {
        "period": period,
        "periods": periods,
        "gaps": [a for a, b in itertools.pairwise(periods) if _following(a, period) != b],
        "priorities": sorted({row["priority"] for row in rows}),
        "rows": rows,
    }


def _graph(tickets: Sequence[Ticket], pairs: Sequence[Any]) -> dict[str, Any]:
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
        "labelled_from": str(_plots.LABEL_SHARE),
    }


def _heat(kept: Sequence[_Kept], openings: Mapping[str, Any], zone: str) -> dict[str, Any]:
    """The heat map's data: the openings' grid and busiest cells as
    :func:`~escalate.learning.patterns.hot_spots` gives them, and the escalations' of every
    cycle, merged from each ticket's cells the same way (busiest first, then Monday first and
    the earlier hour; at most three)."""
    per_cell: dict[int, list[str]] = {}
    for k in kept:
        for cell, n in k.cells:
            per_cell.setdefault(cell, []).extend([k.facts.ticket_id] * n)
    total = sum(len(ids) for ids in per_cell.values())
    ranked = sorted(per_cell.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    top = [
        HotSpot(
            "escalations",
            cell // 24,
            cell % 24,
            len(ids),
            total,
            tuple(sorted(set(ids))),
            zone,
            MIN_TICKETS,
            HOT_FACTOR,
        ).to_dict()
        for cell, ids in ranked[:3]
    ]
    grid = [[len(per_cell.get(day * 24 + hour, ())) for hour in range(24)] for day in range(7)]
    return {
        **openings,
        "escalations": grid,
        "top": [s for s in openings["top"] if s["what"] == "openings"] + top,
        "shown": "escalations",
    }


# -- patterns and recommendations ----------------------------------------------------------------


def _breaching_groups(kept: Sequence[_Kept]) -> list[GroupBreaches]:
    """:func:`~escalate.learning.patterns.breach_by_group` (every cycle) merged from each
    escalated ticket's group and breach, ranked as it ranks them."""
    per_group: dict[str, tuple[list[str], list[str]]] = {}
    for k in kept:
        if k.group is None:
            continue
        name, breached = k.group
        escalated, breaching = per_group.setdefault(name, ([], []))
        escalated.append(k.facts.ticket_id)
        if breached:
            breaching.append(k.facts.ticket_id)
    found = [
        GroupBreaches(name, tuple(sorted(esc)), tuple(sorted(br)))
        for name, (esc, br) in per_group.items()
    ]
    found.sort(
        key=lambda g: (
            not g.conclusive,
            -g.rate if g.conclusive else Fraction(0),
            -len(g.escalated),
            g.group,
        )
    )
    return found


def _idle_tiers(kept: Sequence[_Kept]) -> list[IdleTier]:
    """:func:`~escalate.learning.patterns.idle_tiers` (the levels that resolved none of the
    resolved tickets passing through them) merged from each ticket's levels, in its order."""
    per_level: dict[tuple[str | None, str, int], tuple[str, list[str], list[str], list[str]]] = {}
    for k in kept:
        ticket_id = k.facts.ticket_id
        for segment, path, index, level, acked, resolved in k.tiers:
            entry = per_level.setdefault((segment, path, index), (level, [], [], []))
            entry[1].append(ticket_id)
            if acked:
                entry[2].append(ticket_id)
            if resolved:
                entry[3].append(ticket_id)
    found = [
        IdleTier(path, level, index, tuple(sorted(passed)), (), tuple(sorted(acked)), segment)
        for (segment, path, index), (level, passed, acked, resolved) in per_level.items()
        if not resolved
    ]
    found.sort(
        key=lambda t: (-len(t.passed), t.path, t.segment is not None, t.segment or "", t.index)
    )
    return found


def _patterns(
    kept: Sequence[_Kept],
    tickets: Sequence[Ticket],
    policy: Policy,
    pairs: Sequence[Any],
    spots: Sequence[Mapping[str, Any]],
    spec: Mapping[str, Any],
) -> dict[str, Any]:
    groups = _breaching_groups(kept)
    big = [g for g in groups if len(g.escalated) >= MIN_GROUP_TICKETS]
    fields, within = spec["fields"], spec["within"]
    found = recurrences(tickets, within=within, fields=fields, policy=policy)
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
                f"{k} of the {n} ticket{'' if n == 1 else 's'} about {' / '.join(fp)} came back "
                f"within {format_duration(within)} of a fix: open a problem record and look for "
                "the cause the fixes did not reach."
            ),
        }
        for fp, n, k in counts[:TOP]
        if k
    ]
    fields_from, within_from = spec["from"]
    return {
        "ping_pong": [p.to_dict() for p in pairs[:TOP]],
        "chains": [c.to_dict() for c in ping_pong_chains(tickets, top=5)],
        "hot_spots": list(spots),
        "idle_tiers": [t.to_dict() for t in _idle_tiers(kept)[:TOP]],
        "breach_by_group": {
            "min_tickets": MIN_GROUP_TICKETS if big else 1,
            "groups": [g.to_dict() for g in (big or list(groups))[:TOP]],
        },
        "recurrences": {
            "fields": list(fields),
            "within": format_duration(within),
            "fields_from": fields_from,
            "within_from": within_from,
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


def _percent(rate: str) -> str:
    """An exact ``"n/d"`` rate as a percentage, whole when it is one (``"3/20"``: ``15%``)."""
    value = Fraction(rate) * 100
    return f"{value.numerator}%" if value.denominator == 1 else percent_text(Fraction(rate))


def _plural(count: int, noun: str) -> str:
    """``1 ticket``, ``20,769 tickets``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _day(instant: str, zone: str) -> str:
    """The date of an ISO instant in ``zone`` (the data's zone, already checked)."""
    return datetime.fromisoformat(instant).astimezone(ZoneInfo(zone)).date().isoformat()


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
p.note{margin:-12px 0 24px;font-size:13.5px}
"""


def render_html(data: Mapping[str, Any]) -> str:
    """The report page for ``data`` (what :func:`report_data` gave): one self-contained HTML
    document, the same text for the same data."""
    policy = data["policy"]
    title = f"Escalation report: {policy['id']} v{policy['version']}"
    first, last = (
        _day(data["opened"]["first"], data["zone"]),
        _day(data["opened"]["last"], data["zone"]),
    )
    span = first if first == last else f"{first} to {last}"
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
        f"<p>{_plural(data['tickets'], 'ticket')} opened {_esc(span)} &middot; dates, periods "
        f"and hours in {_esc(data['zone'])}</p>",
        "</header>",
        "<main>",
        _tiles(data),
        _decided_note(data),
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
    opened = data["opened"]
    tiles = [
        _tile(
            "Tickets",
            _n(data["tickets"]),
            f"opened from {_day(opened['first'], data['zone'])}"
            + (f"; {_n(k['open'])} still open" if k["open"] else ""),
        ),
        _tile(
            "Escalated",
            _pct(head["escalated"]),
            f"{_plural(head['escalated']['count'], 'ticket')} reached a higher level",
        ),
        _tile(
            "MTTA (median)",
            _brief(k["mtta"]["p50"]),
            (f"p90 {_brief(k['mtta']['p90'])}; " if k["mtta"]["count"] else "") + _anchors(k),
        ),
        _tile("MTTR (median)", _brief(k["mttr"]["p50"]), _spread(k["mttr"], "resolved")),
    ]
    for clock, b in k["breaches"].items():
        tiles.append(
            _tile(
                f"{clock.capitalize()} breached",
                b["percent"],
                f"{_n(b['breached'])} of {_plural(b['applicable'], 'ticket')}, in any cycle",
                warn=Fraction(b["rate"]) >= Fraction(1, 10),
            )
        )
    reopened = head["reopened"]
    tiles.append(
        _tile(
            "Reopened",
            _pct(reopened),
            f"{_n(reopened['count'])} of the {_plural(reopened['of'], 'ticket')} ever resolved",
        )
    )
    return '<section class="tiles" aria-label="Headline figures">' + "".join(tiles) + "</section>"


def _spread(stats: Mapping[str, Any], verb: str) -> str:
    if not stats["count"]:
        return f"no ticket {verb}"
    return f"p90 {_brief(stats['p90'])} over {_plural(stats['count'], 'ticket')}"


#: How the page names the MTTA anchors (kpis' ``acknowledged_by``).
_ANCHORS = (("acknowledged", "acknowledged"), ("in-progress", "work started"))


def _anchors(k: Mapping[str, Any]) -> str:
    """Which instant each measured MTTA ran to: ``acknowledged 3 · work started 12``."""
    counts = k.get("acknowledged_by", {})
    return " · ".join(f"{label} {_n(counts.get(anchor, 0))}" for anchor, label in _ANCHORS)


def _stats_row(name: str, s: Mapping[str, Any]) -> str:
    cells = [name, _n(s["count"]), _brief(s["mean"])]
    cells += [_brief(s[p]) for p in ("p50", "p90", "p99")]
    cells += [_n(s["missing"]), _n(s.get("open", 0))]
    return "<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in cells) + "</tr>"


def _kpi_tables(data: Mapping[str, Any]) -> str:
    k = data["kpis"]["all"]
    head = (
        "<thead><tr><th>KPI</th><th>tickets</th><th>mean</th><th>p50</th><th>p90</th>"
        "<th>p99</th><th>ended without</th><th>still open</th></tr></thead>"
    )
    rows = [
        _stats_row("MTTA: opening to acknowledgement (or work started)", k["mtta"]),
        _stats_row("MTTR: opening to first fix", k["mttr"]),
        _stats_row("time to first escalation: cycle start to any level", k["first_escalation"]),
    ]
    rows += [_stats_row(f"MTTE: cycle start to {level}", s) for level, s in k["mtte"].items()]
    rows += [
        _stats_row(f"time at {level} (all cycles)", s) for level, s in k["time_at_level"].items()
    ]
    durations = f"<table>{head}<tbody>{''.join(rows)}</tbody></table>"
    re_ = k["reassignments"]
    rates = [
        (
            f"breach rate: {clock} (in any cycle)",
            f"{b['percent']}",
            f"{_n(b['breached'])} of {_n(b['applicable'])}",
        )
        for clock, b in k["breaches"].items()
    ]
    rates.insert(
        0,
        (
            "MTTA anchor: tickets measured to each instant",
            _anchors(k),
            f"{_n(k['mtta']['count'])} measured",
        ),
    )
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
        '<p class="muted">MTTA and MTTR run from the ticket\'s opening; MTTE and the time to '
        "first escalation from the start of the cycle (the opening, or a reopen) in which the "
        "ticket first reached the level; an MTTA runs to the first acknowledgement, or, where "
        "none came first, to the work starting (the first move into an in-progress status: "
        "ServiceNow records no acknowledgement). Percentiles by nearest rank (always a measured "
        'value). A ticket without the instant is left out: "ended without" counts those that '
        'ended without it, "still open" those that may reach it yet. Definitions: '
        "docs/analytics.md.</p>"
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
    labelled = graph.get("labelled_from")
    figures = [
        _figure(
            "Escalation funnel",
            _plots.funnel(funnel),
            f"How many of the {_plural(funnel['tickets'], 'ticket')} escalated at all, then how "
            "far up each vertical path they went, each path's bars scaled to its first level: a "
            "ticket counts at every level up to the highest one its path reached in its current "
            "cycle. A path that starts on open holds every ticket it started for at its first "
            "level; one started by a trigger holds only the tickets that triggered it. Levels "
            "are the deciding policy's: a segment that gives a path other levels has a funnel "
            "of its own.",
            "funnel",
        ),
        _figure(
            "Time to first escalation",
            _plots.histogram(tte),
            f"The {_plural(tte['escalated'], 'escalated ticket')} by the time to their first "
            "escalation, counted from the start of the cycle it came in (the opening, or a "
            "reopen), as MTTE is. "
            f"{_plural(tte['never'], 'ticket')} never escalated and "
            f"{'is' if tte['never'] == 1 else 'are'} not shown.",
            "time-to-escalate",
        ),
        _figure(
            "Breach rate by priority",
            _plots.breach_lines(breach),
            f"Per {_esc(breach['period'])} of opening ({_esc(data['zone'])}), the share of "
            "tickets of each priority with any SLA clock breached in any cycle, as each ticket "
            "stood when it was decided (tickets no clock applied to are left out). Where a "
            "priority is rare a point stands for few tickets: the JSON gives each point's "
            "counts."
            + (
                " Lines join adjacent periods only: a slot marked … stands for periods "
                "without a ticket."
                if breach.get("gaps")
                else ""
            ),
            "breach-rate",
        ),
        _figure(
            "Ping-pong between groups",
            _plots.ping_pong_graph(graph),
            "Assignment groups (nodes) and the returns between them (arrows): an arrow "
            "A &rarr; B counts the times a ticket went back from A to B, the group it had two "
            f"assignments before; thicker is more. {_plural(total_bounces, 'return')} between "
            f"{_plural(graph['pairs'], 'pair')} of groups"
            + (
                f"; the {_plural(shown, 'pair')} with the most tickets "
                f"{'is' if shown == 1 else 'are'} drawn"
                if shown
                else ""
            )
            + (
                f". An arrow with fewer returns than {_percent(labelled)} of the heaviest "
                "carries no number: the JSON has every count."
                if shown and labelled
                else "."
            ),
            "ping-pong",
        ),
        _figure(
            "Escalations by weekday and hour",
            _plots.heat_map(heat),
            f"The {_plural(escalations, 'escalation')} (every move of a path to a higher "
            "level, in every cycle of a reopened ticket) by weekday and hour of the day in "
            f"{_esc(heat['zone'])}; darker is more.",
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
    counted = rec["with_fingerprint"]
    parts.append(
        _evidence(
            f"Recurrences (by {', '.join(rec['fields'])}, within {rec['within']} of a fix)",
            ("fingerprint", "#tickets", "#recurred"),
            [
                (_esc(" / ".join(r["fingerprint"])), _n(r["tickets"]), _n(r["recurred"]))
                for r in rec["top"]
            ],
            f"None of the {_plural(counted, 'ticket')} with all of those fields recurred."
            if counted
            else "No ticket has a value for all of those fields: none can recur.",
        )
    )
    parts.append(
        f'<p class="muted">The fingerprint ({_esc(", ".join(rec["fields"]))}) is '
        f"{_FROM.get(rec.get('fields_from', ''), 'as given')}; the window "
        f"({_esc(rec['within'])}) is {_FROM.get(rec.get('within_from', ''), 'as given')}.</p>"
    )
    return (
        '<section class="card"><h2>Patterns and recommendations</h2>'
        f"{listed}{''.join(parts)}</section>"
    )


#: Where the recurrence's fingerprint and window came from, in words.
_FROM = {
    "given": "the one asked for (escalate report --fingerprint / --within)",
    "policy": "the policy's (its recurrence: section)",
    "default": "the default (the policy declares no recurrence: section)",
}


def _decided_note(data: Mapping[str, Any]) -> str:
    """A note, when the tickets were decided at instants of their own (a log's incidents at
    their last update), that a ticket still open was read as it stood then."""
    decided = data["decided_at"]
    if decided["first"] == decided["last"]:
        return ""
    still = data["kpis"]["all"]["open"]
    if not still:
        tail = "Every ticket had ended by then."
    elif still == 1:
        tail = (
            "The 1 ticket still open then is read as it stood at that instant: its clocks, "
            "breaches and levels stop there, not at the end of the log."
        )
    else:
        tail = (
            f"The {_n(still)} tickets still open then are read as they stood at that instant: "
            "their clocks, breaches and levels stop there, not at the end of the log."
        )
    return (
        '<p class="muted note">Each ticket was decided at its own instant (an incident of a '
        f"log at its last update), not at one instant for all. {tail}</p>"
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
        f"</code>); {_plural(data['tickets'], 'ticket')} decided {_esc(when)}; dates, periods "
        "and hours in "
        f"{_esc(data['zone'])}.{source} Made by {_esc(data['generator'])}; the same data is "
        "available as JSON (<code>escalate report --json</code>). KPI definitions: "
        "docs/analytics.md.</p></footer>"
    )
