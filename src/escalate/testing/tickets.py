"""Hypothesis strategies for realistic tickets and for policy variants.

Tickets come out as the JSON-like mappings :meth:`escalate.Ticket.from_mapping` reads
(:func:`ticket_mappings`) or as :class:`~escalate.Ticket` values (:func:`tickets`). They
speak a policy pack's terminology -- by default the one of ``rules/itil-default.yaml``
(:data:`ITIL`): priorities written as ``P2``, ``Sev2``, ``High`` or ``"2 - High"``, or left out
in favour of impact and urgency, categories that send work to the network team, and histories
that look like a service desk's: assignments and reassignments (including ping-pong between
two groups), acknowledgements and first responses, pauses while awaiting the user or a vendor,
priority changes, manual overrides of escalation paths, resolution, reopening and closure.
Every timestamp is aware, written in a random zone (as an ISO string or a ``datetime``), and
the history is in time order, several events sometimes sharing an instant.

The policy strategies build variants of a pack's parsed YAML data that must not change any
decision (keys reordered, an unrelated rule inserted), and mutations of its text for fuzzing
the loader.

>>> strategy = ticket_mappings()
>>> isinstance(strategy, SearchStrategy)
True
>>> stamp(datetime(2024, 11, 20, 11, 20, tzinfo=UTC))
'20241120T112000Z'

Requires ``hypothesis`` (a test dependency of your project, not of escalate).
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

import yaml
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from escalate.engine.ticket import Ticket

from .strategies import ZONES, durations, instants

__all__ = [
    "ANCHOR_DAYS",
    "ITIL",
    "OPEN_STATUSES",
    "Vocabulary",
    "evaluation_instants",
    "impacts",
    "inserted_rules",
    "last_instant",
    "priorities",
    "reordered_keys",
    "stamp",
    "ticket_cases",
    "ticket_mappings",
    "tickets",
    "unrelated_rules",
    "urgencies",
    "yaml_mutations",
]

#: Statuses in which a ticket is open (it can be worked on, paused or resolved from them).
OPEN_STATUSES = (
    "new",
    "assigned",
    "in-progress",
    "on-hold",
    "awaiting-user-info",
    "awaiting-vendor",
    "awaiting-change",
    "awaiting-problem",
)
_WORKING = ("assigned", "in-progress")
_WAITING = ("on-hold", "awaiting-user-info", "awaiting-vendor", "awaiting-change")
_DONE = ("resolved", "closed")

Aliases = Mapping[str, tuple[str, ...]]
TicketData = dict[str, object]


def _frozen(table: Mapping[str, Sequence[str]]) -> Aliases:
    return MappingProxyType({key: tuple(values) for key, values in table.items()})


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """The words a policy pack's tickets use.

    ``priorities``, ``impacts`` and ``urgencies`` map each canonical value to its aliases (as
    under a pack's ``terminology``). ``action_ids`` are templates of action ids a caller may
    already have recorded as done (``{ticket}``, ``{opened}`` -- see :func:`stamp` -- and
    ``{cycle}`` are filled in). ``paths`` maps escalation path names to their level names,
    for manual ``override`` events.
    """

    priorities: Aliases
    impacts: Aliases
    urgencies: Aliases
    categories: tuple[str, ...]
    groups: tuple[str, ...]
    people: tuple[str, ...]
    action_ids: tuple[str, ...] = ()
    paths: Aliases = field(default_factory=lambda: _frozen({}))
    services: tuple[str, ...] = ("email", "order-portal", "vpn", "sap-finance", "workplace")
    tiers: tuple[str, ...] = ("bronze", "silver", "gold", "platinum")

    @classmethod
    def from_terminology(
        cls,
        terminology: Mapping[str, Mapping[str, Sequence[str]]],
        *,
        categories: Sequence[str],
        groups: Sequence[str],
        people: Sequence[str],
        action_ids: Sequence[str] = (),
        paths: Mapping[str, Sequence[str]] | None = None,
    ) -> Vocabulary:
        """A vocabulary from a pack's ``terminology`` mapping (as parsed from its YAML)."""
        empty: Mapping[str, Sequence[str]] = {}
        return cls(
            priorities=_frozen(terminology.get("priority", empty)),
            impacts=_frozen(terminology.get("impact", empty)),
            urgencies=_frozen(terminology.get("urgency", empty)),
            categories=tuple(categories),
            groups=tuple(groups),
            people=tuple(people),
            action_ids=tuple(action_ids),
            paths=_frozen(paths or {}),
        )


_ITIL_LEVELS = {"high": ("1", "1 - High"), "medium": ("2", "2 - Medium"), "low": ("3", "3 - Low")}

#: The vocabulary of ``rules/itil-default.yaml``.
ITIL = Vocabulary(
    priorities=_frozen(
        {
            "P1": ("Sev1", "Critical", "1 - Critical", "1"),
            "P2": ("Sev2", "High", "2 - High", "2"),
            "P3": ("Sev3", "Moderate", "Medium", "3 - Moderate", "3"),
            "P4": ("Sev4", "Low", "4 - Low", "4"),
            "P5": ("Sev5", "Planning", "5 - Planning", "5"),
        }
    ),
    impacts=_frozen(_ITIL_LEVELS),
    urgencies=_frozen(_ITIL_LEVELS),
    # The wrong-team rule matches ^(network|wan|lan); the rest should stay where they are.
    categories=(
        "network",
        "lan",
        "wan",
        "network-wifi",
        "hardware",
        "software",
        "application",
        "database",
        "security",
        "inquiry",
        "Network",
    ),
    groups=(
        "service-desk",
        "second-line",
        "network-ops",
        "network-vendor",
        "app-support",
        "database",
        "desktop-support",
    ),
    people=("anna.schmidt", "jonas.weber", "lena.fischer", "mehmet.yilmaz", "sofia.rossi"),
    action_ids=(
        "{ticket}:rule:p1-bridge:{opened}:open_bridge0",
        "{ticket}:rule:vip-heads-up:{opened}:notify0",
        "{ticket}:clock:response#1@0:notify0",
        "{ticket}:clock:resolution#{cycle}@0:notify0",
        "{ticket}:clock:resolution#{cycle}@1:notify1",
        "{ticket}:path:service-desk:{cycle}:0:L2",
        "{ticket}:path:network-team:{cycle}:0:network-ops",
        "ext-{opened}",
    ),
    paths=_frozen(
        {
            "service-desk": ("L1", "L2", "L3", "L4"),
            "coordination": ("coordinator", "problem-manager"),
            "network-team": ("network-ops", "network-vendor"),
        }
    ),
)

_YEAR_2024 = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC))

#: Days (UTC midnights) around which tickets open more often than chance would have them:
#: Berlin's DST switches, Easter, May Day, Christmas and New Year (holidays of the ITIL pack's
#: office calendar), a leap day and a plain Friday (a weekend follows).
ANCHOR_DAYS: tuple[datetime, ...] = tuple(
    datetime(2024, month, day, tzinfo=UTC)
    for month, day in ((2, 29), (3, 29), (3, 31), (5, 1), (6, 7), (10, 27), (12, 24), (12, 31))
)


def stamp(at: datetime) -> str:
    """A compact UTC stamp as escalate writes it into action ids (microseconds when present).

    >>> stamp(datetime(2024, 3, 1, 8, 0, 0, 5, tzinfo=UTC))
    '20240301T080000.000005Z'
    """
    utc = at.astimezone(UTC)
    text = utc.strftime("%Y%m%dT%H%M%S")
    return f"{text}.{utc.microsecond:06d}Z" if utc.microsecond else text + "Z"


# --------------------------------------------------------------------------------------------
# Field values
# --------------------------------------------------------------------------------------------


def _spellings(canonical: str, aliases: tuple[str, ...]) -> tuple[str, ...]:
    return (canonical, *aliases)


@st.composite
def _raw_term(draw: st.DrawFn, table: Aliases, exclude: str | None = None) -> str:
    """A canonical value (not ``exclude``) or one of its aliases, sometimes in another case or
    padded."""
    canonical = draw(st.sampled_from([key for key in sorted(table) if key != exclude]))
    text = draw(st.sampled_from(_spellings(canonical, table[canonical])))
    style = draw(st.sampled_from(("as-is", "as-is", "as-is", "lower", "upper", "padded")))
    if style == "lower":
        return text.lower()
    if style == "upper":
        return text.upper()
    if style == "padded":
        return f" {text} "
    return text


def priorities(vocabulary: Vocabulary = ITIL) -> SearchStrategy[str]:
    """Priorities as a source system writes them: ``P2``, ``Sev2``, ``High``, ``"2 - High"``."""
    return _raw_term(vocabulary.priorities)


def impacts(vocabulary: Vocabulary = ITIL) -> SearchStrategy[str]:
    """Impacts in the pack's terminology (``high``, ``"1"``, ``"1 - High"`` ...)."""
    return _raw_term(vocabulary.impacts)


def urgencies(vocabulary: Vocabulary = ITIL) -> SearchStrategy[str]:
    """Urgencies in the pack's terminology."""
    return _raw_term(vocabulary.urgencies)


def _gaps() -> SearchStrategy[timedelta]:
    """Time between two events: often none, usually minutes or hours, sometimes days."""
    return st.one_of(
        st.just(timedelta(0)),
        durations(timedelta(seconds=1), timedelta(minutes=20)),
        durations(timedelta(minutes=20), timedelta(hours=6)),
        durations(timedelta(hours=6), timedelta(days=4)),
    )


@st.composite
def _written(draw: st.DrawFn, at: datetime, zones: tuple[str, ...]) -> object:
    """An instant as a source writes it: ISO text with an offset (``Z`` too) or a datetime."""
    local = at.astimezone(ZoneInfo(draw(st.sampled_from(zones))))
    form = draw(st.sampled_from(("iso", "iso", "z", "datetime")))
    if form == "z":
        return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if form == "datetime":
        return local
    return local.isoformat()


@st.composite
def _status_text(draw: st.DrawFn, status: str) -> str:
    """A status as written by a source: canonical, or ServiceNow's ``Awaiting User Info``."""
    if draw(st.integers(0, 9)) == 0:
        return " ".join(word.capitalize() for word in status.split("-"))
    return status


# --------------------------------------------------------------------------------------------
# Histories
# --------------------------------------------------------------------------------------------


@dataclass
class _History:
    """The running state of a history being drawn."""

    ticket_id: str
    opened_at: datetime
    at: datetime
    status: str = "new"
    status_events: int = 0
    group: str | None = None
    last_group: str | None = None  # the last group set (a clear keeps it)
    groups_seen: list[str] = field(default_factory=list)
    category: str | None = None  # the category the last field-changed event set
    category_events: int = 0
    service: str | None = None
    service_events: int = 0
    reassignments: int = 0
    assignee: str | None = None
    assignee_events: int = 0
    priority: str | None = None  # the raw priority the last priority event set
    initial_priority: str | None = None
    priority_events: int = 0
    cycle: int = 1
    events: list[tuple[datetime, dict[str, object]]] = field(default_factory=list)

    def add(self, kind: str, **payload: object) -> None:
        event: dict[str, object] = {"type": kind}
        event.update({key: value for key, value in payload.items() if value is not None})
        self.events.append((self.at, event))


def _choices(h: _History, action_done: bool, paths: bool) -> tuple[str, ...]:
    """What may happen next, repeated by how often it happens."""
    if h.status == "cancelled":
        return ("comment",)
    if h.status == "closed":
        return ("comment", "comment", "reopen")
    if h.status == "resolved":
        return ("reopen", "close", "close", "comment", "customer-reply")
    out = [
        "assign",
        "assign",
        "ping-pong",
        "acknowledge",
        "first-response",
        "work",
        "work",
        "wait",
        "priority",
        "update",
        "comment",
        "resolve",
        "resolve",
        "recategorise",
        "change-service",
    ]
    if h.group is not None or h.assignee is not None:
        out += ["clear"]
    if h.status in _WAITING:
        out += ["resume", "resume", "customer-reply"]
    if action_done:
        out += ["action-done"]
    if paths:
        out += ["override"]
    out += ["cancel"] if h.status == "new" else []
    return tuple(out)


def _set_status(draw: st.DrawFn, h: _History, status: str) -> None:
    h.add("status-changed", status=draw(_status_text(status)))
    h.status = status
    h.status_events += 1


def _assign(draw: st.DrawFn, h: _History, vocabulary: Vocabulary, group: str | None) -> None:
    with_person = draw(st.booleans())
    person = draw(st.sampled_from(vocabulary.people)) if with_person or group is None else None
    if group is not None:
        if h.last_group is not None and group != h.last_group:
            h.reassignments += 1
        h.group = h.last_group = group
        h.groups_seen.append(group)
    if person is not None:
        h.assignee = person
        h.assignee_events += 1
    h.add("assigned", group=group, assignee=person)
    if h.status == "new" and draw(st.booleans()):
        _set_status(draw, h, "assigned")


def _step(draw: st.DrawFn, h: _History, vocabulary: Vocabulary, action_done: bool) -> None:
    """Draw one event (sometimes two at the same instant) and apply it to ``h``."""
    what = draw(st.sampled_from(_choices(h, action_done, bool(vocabulary.paths))))
    people = vocabulary.people
    if what == "assign":
        others = [g for g in vocabulary.groups if g != h.group]
        group = draw(st.sampled_from(others)) if draw(st.integers(0, 4)) else None
        _assign(draw, h, vocabulary, group)
    elif what == "ping-pong":  # back to the group before the current one, or to a new one
        before = [g for g in h.groups_seen[:-1] if g != h.group]
        others = [g for g in vocabulary.groups if g != h.group]
        _assign(draw, h, vocabulary, before[-1] if before else draw(st.sampled_from(others)))
    elif what in ("acknowledge", "first-response"):
        actor = draw(st.none() | st.sampled_from(people))
        h.add("acknowledged" if what == "acknowledge" else "first-response", actor=actor)
    elif what == "work":
        _set_status(draw, h, draw(st.sampled_from([s for s in _WORKING if s != h.status])))
    elif what == "wait":
        _set_status(draw, h, draw(st.sampled_from([s for s in _WAITING if s != h.status])))
    elif what == "resume":
        if draw(st.booleans()):
            h.add("customer-reply")
        _set_status(draw, h, "in-progress")
    elif what == "priority":
        _change_priority(draw, h, vocabulary)
    elif what == "recategorise":  # the field history: ServiceNow logs 1,122 of these
        was = h.category if h.category_events else None
        category = draw(st.sampled_from(vocabulary.categories))
        h.add("field-changed", field="category", to=category, **{"from": was})
        h.category, h.category_events = category, h.category_events + 1
    elif what == "change-service":
        was = h.service if h.service_events else None
        service = draw(st.none() | st.sampled_from(vocabulary.services))
        h.add("field-changed", field="service", **{"from": was})
        h.events[-1][1]["to"] = service  # kept when null: it clears the service
        h.service, h.service_events = service, h.service_events + 1
    elif what == "clear":  # a group or an assignee cleared (ServiceNow: 3,329 and 2,015)
        field_name = "assignment_group" if h.group is not None else "assignee"
        if field_name == "assignment_group":
            h.add("field-changed", field=field_name, to=None, **{"from": h.group})
            h.group = None
        else:
            h.add("field-changed", field=field_name, to=None, **{"from": h.assignee})
            h.assignee = None
            h.assignee_events += 1
        h.events[-1][1]["to"] = None
    elif what in ("update", "comment", "customer-reply"):
        h.add({"update": "agent-update"}.get(what, what))
    elif what == "resolve":
        if draw(st.booleans()):
            h.add("resolved")
            h.status_events += 1
            h.status = "resolved"
        else:
            _set_status(draw, h, "resolved")
    elif what == "close":
        h.add("closed")
        h.status_events += 1
        h.status = "closed"
    elif what == "cancel":  # rare: most tickets that start are worked on
        if draw(st.integers(0, 5)):
            h.add("comment")
        else:
            _set_status(draw, h, "cancelled")
    elif what == "reopen":
        into = draw(st.sampled_from((None, None, "in-progress", "assigned", "new")))
        h.add("reopened", status=into)
        h.status_events += 1
        h.status = into or "in-progress"
        h.cycle += 1
    elif what == "action-done":
        template = draw(st.sampled_from(vocabulary.action_ids or ("ext-{opened}",)))
        action_id = template.format(
            ticket=h.ticket_id, opened=stamp(h.opened_at), cycle=draw(st.integers(1, h.cycle))
        )
        h.add("action-done", action_id=action_id, actor=draw(st.none() | st.just("middleware")))
    elif what == "override":  # a manager moves an escalation path by hand
        path = draw(st.sampled_from(sorted(vocabulary.paths)))
        h.add(
            "override",
            actor=draw(st.sampled_from(people)),
            reason=draw(st.sampled_from(("customer escalation", "major incident", "wrong tier"))),
            path=path,
            level=draw(st.sampled_from(vocabulary.paths[path])),
        )
    else:  # pragma: no cover - _choices and this function list the same names
        raise AssertionError(what)


def _canonical(table: Aliases, raw: str | None) -> str | None:
    if raw is None:
        return None
    key = raw.strip().casefold()
    for canonical, aliases in table.items():
        if key in (text.casefold() for text in _spellings(canonical, aliases)):
            return canonical
    return None


def _change_priority(draw: st.DrawFn, h: _History, vocabulary: Vocabulary) -> None:
    before = h.priority if h.priority_events else h.initial_priority
    table = vocabulary.priorities
    new = draw(_raw_term(table, exclude=_canonical(table, before)))
    from_priority = before if before is not None and draw(st.booleans()) else None
    h.add("priority-changed", priority=new, from_priority=from_priority)
    h.priority = new
    h.priority_events += 1


@st.composite
def _opening(draw: st.DrawFn, between: tuple[datetime, datetime]) -> datetime:
    """An opening instant in ``between``, often within three days of an :data:`ANCHOR_DAYS`."""
    lo, hi = between
    near = [day for day in ANCHOR_DAYS if lo <= day <= hi]
    anchored = draw(st.booleans())
    if near and anchored:
        day = draw(st.sampled_from(near))
        span = timedelta(days=3)
        return draw(instants(max(lo, day - span), min(hi, day + span)))
    return draw(instants(lo, hi))


@st.composite
def ticket_mappings(
    draw: st.DrawFn,
    vocabulary: Vocabulary = ITIL,
    *,
    opened_between: tuple[datetime, datetime] = _YEAR_2024,
    max_events: int = 20,
    action_done: bool = True,
    zones: Sequence[str] = ZONES,
) -> TicketData:
    """A ticket as JSON-like data (what :meth:`Ticket.from_mapping` reads), with a history.

    It opens in ``opened_between`` (default: 2024, UTC; half the time near one of the
    :data:`ANCHOR_DAYS`). Its priority is given in one of the vocabulary's spellings, or left
    out for impact and urgency (one ticket in six has neither: no priority, no SLA target).
    Fields the history sets (status,
    priority, assignment group, assignee, and the category and service that ``field-changed``
    events change or clear, as groups and assignees sometimes are) are given consistently with
    it or left out to be derived; a given reassignment count may exceed what the history
    shows, as when a ticketing system sends only recent events. ``action_done`` allows
    ``action-done`` events with ids from the vocabulary's templates.
    """
    zone_names = tuple(zones)
    opened_at = draw(_opening(opened_between))
    ticket_id = f"INC{draw(st.integers(0, 9_999_999)):07d}"
    h = _History(ticket_id, opened_at, opened_at)

    mode = draw(st.sampled_from(("priority", "priority", "priority", "matrix", "both", "none")))
    data: TicketData = {"id": ticket_id}
    if mode in ("priority", "both"):
        h.initial_priority = draw(priorities(vocabulary))
    if mode in ("matrix", "both"):
        data["impact"] = draw(impacts(vocabulary))
        data["urgency"] = draw(urgencies(vocabulary))
    elif mode == "none" and draw(st.booleans()):
        data["impact"] = draw(impacts(vocabulary))  # half a matrix lookup gives no priority

    if draw(st.integers(0, 5)):
        h.add("created")
    for _ in range(draw(st.integers(0, max_events))):
        h.at = h.at + draw(_gaps())
        _step(draw, h, vocabulary, action_done)

    data["opened_at"] = draw(_written(opened_at, zone_names))
    data["events"] = [{"at": draw(_written(at, zone_names)), **event} for at, event in h.events]
    _fields(draw, data, h, vocabulary)
    return data


def _fields(draw: st.DrawFn, data: TicketData, h: _History, vocabulary: Vocabulary) -> None:
    """The ticket's own fields: consistent with the history, or left out to be derived."""
    if draw(st.integers(0, 9)) == 0:
        data["kind"] = draw(st.sampled_from(("incident", "Incident", "service-request")))
    current = h.priority if h.priority_events else h.initial_priority
    if current is not None and (h.priority_events == 0 or draw(st.booleans())):
        data["priority"] = current
    if h.status_events:
        if draw(st.booleans()):
            data["status"] = h.status
    elif draw(st.integers(0, 3)) == 0:
        data["status"] = draw(st.sampled_from(OPEN_STATUSES))
    if h.groups_seen:
        if draw(st.booleans()):
            data["assignment_group"] = h.group
    elif draw(st.booleans()):
        data["assignment_group"] = draw(st.sampled_from(vocabulary.groups))
    if h.assignee_events:
        if draw(st.booleans()):
            data["assignee"] = h.assignee
    elif draw(st.integers(0, 3)) == 0:
        data["assignee"] = draw(st.sampled_from(vocabulary.people))
    if h.category_events:
        if draw(st.booleans()):
            data["category"] = h.category
    elif draw(st.integers(0, 4)):
        data["category"] = draw(st.sampled_from(vocabulary.categories))
    if h.service_events:
        if draw(st.booleans()):
            data["service"] = h.service
    elif draw(st.booleans()):
        data["service"] = draw(st.sampled_from(vocabulary.services))
    if draw(st.booleans()):
        data["customer"] = {
            "id": f"C-{draw(st.integers(0, 9999)):04d}",
            "tier": draw(st.none() | st.sampled_from(vocabulary.tiers)),
            "vip": draw(st.booleans()),
        }
    if draw(st.integers(0, 5)) == 0:
        data["reassignment_count"] = h.reassignments + draw(st.integers(0, 6))
    if draw(st.integers(0, 9)) == 0:
        data["regulatory_flags"] = draw(
            st.lists(st.sampled_from(("gdpr", "nis2", "sox")), max_size=2)
        )


def tickets(
    vocabulary: Vocabulary = ITIL,
    *,
    opened_between: tuple[datetime, datetime] = _YEAR_2024,
    max_events: int = 20,
    action_done: bool = True,
    zones: Sequence[str] = ZONES,
) -> SearchStrategy[Ticket]:
    """:func:`ticket_mappings`, read into :class:`~escalate.Ticket` values."""
    return ticket_mappings(
        vocabulary,
        opened_between=opened_between,
        max_events=max_events,
        action_done=action_done,
        zones=zones,
    ).map(Ticket.from_mapping)


def last_instant(ticket: Ticket) -> datetime:
    """The ticket's last event, or its opening when it has no events (as a UTC datetime)."""
    last = ticket.events[-1].at if ticket.events else ticket.opened_at
    return max(last, ticket.opened_at).astimezone(UTC)


@st.composite
def evaluation_instants(
    draw: st.DrawFn,
    ticket: Ticket,
    *,
    within: timedelta = timedelta(days=20),
    zones: Sequence[str] = ZONES,
) -> datetime:
    """An instant to evaluate ``ticket`` at: from its last event to ``within`` later, in a
    random zone (the last event itself is a likely draw)."""
    start = last_instant(ticket)
    at = draw(instants(start, start + within))
    return at.astimezone(ZoneInfo(draw(st.sampled_from(tuple(zones)))))


@st.composite
def ticket_cases(
    draw: st.DrawFn,
    vocabulary: Vocabulary = ITIL,
    *,
    within: timedelta = timedelta(days=20),
    max_events: int = 20,
    action_done: bool = True,
) -> tuple[Ticket, datetime]:
    """A ticket and an instant to evaluate it at (see :func:`evaluation_instants`)."""
    ticket = draw(tickets(vocabulary, max_events=max_events, action_done=action_done))
    return ticket, draw(evaluation_instants(ticket, within=within))


# --------------------------------------------------------------------------------------------
# Policy variants
# --------------------------------------------------------------------------------------------


def _reorder(data: object, rnd: random.Random) -> object:
    if isinstance(data, Mapping):
        items = list(data.items())
        rnd.shuffle(items)
        return {key: _reorder(value, rnd) for key, value in items}
    if isinstance(data, list):
        return [_reorder(item, rnd) for item in data]
    return copy.deepcopy(data)


@st.composite
def reordered_keys(draw: st.DrawFn, data: object) -> object:
    """A deep copy of parsed YAML ``data`` with the keys of every mapping in a random order
    (list order is kept: it is meaningful). Dump it with ``yaml.safe_dump(sort_keys=False)``."""
    return _reorder(data, draw(st.randoms(use_true_random=False)))


_NEVER_CATEGORY = "never-used-category"


@st.composite
def unrelated_rules(
    draw: st.DrawFn,
    *,
    taken_ids: Sequence[str] = (),
    paths: Mapping[str, Sequence[str]] = MappingProxyType(
        {"service-desk": ("L1", "L2", "L3", "L4"), "coordination": ("coordinator",)}
    ),
    targets: Sequence[str] = ("role:incident-manager", "team:service-desk"),
    never_category: str = _NEVER_CATEGORY,
) -> dict[str, object]:
    """A rule that never matches: it asks for ``category: <never_category>`` (and maybe more).

    It may carry any priority, ``final: true``, and actions of every kind, escalations to the
    vertical ``paths`` (name -> level names) included, so that inserting it tests that a rule
    which does not match influences nothing. Notifications and bridges go to ``targets``
    (which must exist in the pack's directory, when it has one).
    """
    ident = draw(st.from_regex(r"\Aunrelated-[a-z0-9]{1,8}\Z").filter(lambda s: s not in taken_ids))
    when: dict[str, object] = {"category": never_category}
    extra = draw(st.sampled_from(("none", "priority", "vip", "status", "count")))
    if extra == "priority":
        when["priority"] = draw(st.sampled_from(("P1", "P2", "P3")))
    elif extra == "vip":
        when["customer.vip"] = draw(st.booleans())
    elif extra == "status":
        when["status"] = {"not_in": ["resolved", "closed"]}
    elif extra == "count":
        when["reassignment_count"] = {"gte": draw(st.integers(0, 5))}
    actions: list[dict[str, object]] = []
    for kind in draw(
        st.lists(
            st.sampled_from(("notify", "open_bridge", "escalate", "set_flag")),
            min_size=1,
            max_size=3,
            unique=True,
        )
    ):
        to = draw(st.lists(st.sampled_from(tuple(targets)), min_size=1, unique=True))
        if kind == "notify":
            actions.append({"notify": {"to": to, "template": "never"}})
        elif kind == "open_bridge":
            actions.append({"open_bridge": {"participants": to}})
        elif kind == "set_flag":
            actions.append({"set_flag": {"flag": "never-set"}})
        elif paths:
            name = draw(st.sampled_from(sorted(paths)))
            actions.append({"escalate": {"path": name, "to": draw(st.sampled_from(paths[name]))}})
    rule: dict[str, object] = {"id": ident, "when": when}
    rule["then"] = actions[0] if len(actions) == 1 and draw(st.booleans()) else actions
    if draw(st.booleans()):
        rule["priority"] = draw(st.integers(-100, 100))
    if draw(st.booleans()):
        rule["final"] = True
    return rule


@st.composite
def inserted_rules(draw: st.DrawFn, data: Mapping[str, object]) -> dict[str, object]:
    """A copy of policy ``data`` with an :func:`unrelated_rules` rule at a random position
    (its notify actions name no template when the policy declares ``templates:``)."""
    out = copy.deepcopy(dict(data))
    rules = out.get("rules")
    listed = list(rules) if isinstance(rules, list) else []
    taken = [str(r.get("id")) for r in listed if isinstance(r, Mapping)]
    rule = draw(unrelated_rules(taken_ids=taken))
    if out.get("templates"):
        # A policy that declares templates accepts no other template name: notify without one.
        then = rule["then"]
        for action in then if isinstance(then, list) else [then]:
            notify = action.get("notify") if isinstance(action, dict) else None
            if isinstance(notify, dict):
                notify.pop("template", None)
    listed.insert(draw(st.integers(0, len(listed))), rule)
    out["rules"] = listed
    return out


def _scalar_spans(text: str) -> list[tuple[int, int]]:
    """Where YAML scalars stand in ``text``: ``(start, end)`` character offsets."""
    try:
        return [
            (token.start_mark.index, token.end_mark.index)
            for token in yaml.scan(text, Loader=yaml.SafeLoader)
            if isinstance(token, yaml.ScalarToken)
        ]
    except yaml.YAMLError:
        return []


@st.composite
def _mutation(draw: st.DrawFn, text: str) -> str:
    lines = text.splitlines(keepends=True)
    kind = draw(st.sampled_from(("delete", "swap", "duplicate", "scalar", "scalar")))
    if kind == "delete" and lines:
        del lines[draw(st.integers(0, len(lines) - 1))]
        return "".join(lines)
    if kind == "duplicate" and lines:
        i = draw(st.integers(0, len(lines) - 1))
        lines.insert(draw(st.integers(0, len(lines))), lines[i])
        return "".join(lines)
    if kind == "swap" and len(text) >= 2:
        i, j = sorted(draw(st.lists(st.integers(0, len(text) - 1), min_size=2, max_size=2)))
        return text[:i] + text[j] + text[i + 1 : j] + text[i] + text[j + 1 :]
    spans = _scalar_spans(text)
    if not spans:
        return text
    start, end = draw(st.sampled_from(spans))
    scalar = text[start:end]
    replacement: str = draw(
        st.one_of(
            st.text(max_size=12),
            _NUMBERS.map(str),
            st.floats(allow_nan=True, allow_infinity=True).map(repr),
            st.sampled_from(("~", "null", "true", "[]", "{}", "0", "-1", "1e309", "P9", "24:61")),
            st.builds(_with_unit, _NUMBERS, st.sampled_from(_UNITS)),
            _renumbered(scalar),
        )
    )
    return text[:start] + replacement + text[end:]


# Integers small, plain and past every limit (int32, int64, timedelta's 999999999 days).
_NUMBERS = st.one_of(
    st.integers(-(10**6), 10**6),
    st.sampled_from((2**31, 2**63, 999_999_999, 10**15, 10**30)),
    st.integers(-(10**40), 10**40),
)
_UNITS = ("m", "h", "d", "w", "s", "bd", "%")
_DIGITS = re.compile(r"\d+")


def _with_unit(number: int, unit: str) -> str:
    return f"{number}{unit}"


@st.composite
def _renumbered(draw: st.DrawFn, scalar: str) -> str:
    """``scalar`` with one of its numbers replaced (``15m`` -> ``99999999999999m``)."""
    runs = list(_DIGITS.finditer(scalar))
    if not runs:
        return scalar
    run = draw(st.sampled_from(runs))
    number = draw(_NUMBERS)
    if draw(st.booleans()):
        number = abs(number)
    return scalar[: run.start()] + str(number) + scalar[run.end() :]


@st.composite
def yaml_mutations(draw: st.DrawFn, text: str, max_mutations: int = 3) -> str:
    """``text`` after 1 to ``max_mutations`` mutations: a line deleted or duplicated, two
    characters swapped, a scalar replaced by random text, a number (with a unit or not), or
    itself with one of its numbers replaced (often by one past a limit)."""
    for _ in range(draw(st.integers(1, max_mutations))):
        text = draw(_mutation(text))
    return text
