"""Tickets: the fields and the event history a decision is computed from.

A :class:`Ticket` is a frozen value. :meth:`Ticket.from_mapping` reads JSON-like data strictly:
unknown keys, wrong types, naive timestamps and histories that contradict the fields raise
:class:`~escalate.errors.TicketError` naming the key path and the bad value; nothing is coerced.
The constructor takes already-typed values, checks the cheap invariants (the same history rules)
and derives what was left out; it does no parsing. :meth:`Ticket.state_at` answers "what did the
ticket look like at this instant" with one binary search over a fold of the history that is
computed once, on the first call.

History semantics, in short:

* Events are ordered by ``at``: non-decreasing, none before ``opened_at``. Events at the same
  instant keep their given order, and ``state_at(t)`` includes every event with ``at <= t``.
* Status events are ``status-changed`` (payload ``status``), ``resolved`` (sets ``resolved``),
  ``closed`` (sets ``closed``) and ``reopened`` (sets ``in-progress`` unless it names another
  status that is not ``resolved``/``closed``/``cancelled``). The ticket's ``status``, when given,
  must equal the status after the last of them; when not given it is derived (default ``new``).
* ``priority-changed`` sets the (raw, unmapped) priority; ``assigned`` sets the assignment group
  and/or the assignee, each independently. A given ``priority``, ``assignment_group`` or
  ``assignee`` must equal the value the last such event set; when not given it is derived.
* Before the first event that sets it, a value is: ``new`` for the status; for the priority the
  first ``priority-changed`` event's ``from_priority``, or, when the event does not say, the
  ticket's (current) ``priority`` -- the history does not tell what it was; ``None`` for the
  group and the assignee. A value no event sets is the ticket's field throughout.
* ``reassignment_count`` (when not given) counts ``assigned`` events that change the group after
  the first one that set it (A→B→A→C is 3); ``reopen_count`` counts ``reopened`` events. Given
  counters win: the ticketing system may know history it did not send. :meth:`Ticket.state_at`
  shifts its counters by the difference, as if that history lay before the first event.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType

from escalate.calendars._instants import EPOCH, ONE_US, to_us
from escalate.errors import NaiveDatetimeError, TicketError, suggest

__all__ = [
    "EVENT_TYPES",
    "KINDS",
    "STATUSES",
    "TEXT_FIELDS",
    "Customer",
    "Event",
    "FieldValue",
    "Ticket",
    "TicketState",
    "normalise_name",
]

Path = tuple[str | int, ...]
# A TicketState's values, in field order (see Ticket._replay).
_Row = tuple[
    str,
    str | None,
    str | None,
    str | None,
    datetime | None,
    datetime | None,
    int,
    int,
    frozenset[str],
]
#: The value of a custom field: no floats (they do not compare exactly), no nesting.
FieldValue = str | int | bool | None

KINDS = ("incident", "service-request", "problem", "change")
STATUSES = (
    "new",
    "assigned",
    "in-progress",
    "on-hold",
    "awaiting-user-info",
    "awaiting-vendor",
    "awaiting-change",
    "awaiting-problem",
    "resolved",
    "closed",
    "cancelled",
)
EVENT_TYPES = (
    "created",
    "status-changed",
    "assigned",
    "acknowledged",
    "first-response",
    "customer-reply",
    "agent-update",
    "priority-changed",
    "resolved",
    "reopened",
    "closed",
    "action-done",
    "override",
    "comment",
)

_KIND_SET = frozenset(KINDS)
_STATUS_SET = frozenset(STATUSES)
_EVENT_TYPE_SET = frozenset(EVENT_TYPES)
# Statuses in which a ticket counts as resolved (``resolved_at`` is set while in them).
_RESOLVED_STATUSES = frozenset({"resolved", "closed"})
# A reopened ticket is open again: it cannot be reopened into one of these.
_NOT_REOPENABLE_TO = frozenset({"resolved", "closed", "cancelled"})

# Event payload keys, in the order Event declares them.
_PAYLOAD = (
    "status",
    "priority",
    "group",
    "assignee",
    "actor",
    "reason",
    "action_id",
    "path",
    "level",
    "from_priority",
)
# Who did it (``actor``) may be recorded on any event: audits need it everywhere.
_ALLOWED: dict[str, tuple[str, ...]] = {
    "created": ("actor",),
    "status-changed": ("status", "actor"),
    "assigned": ("group", "assignee", "actor"),
    "acknowledged": ("actor",),
    "first-response": ("actor",),
    "customer-reply": ("actor",),
    "agent-update": ("actor",),
    "priority-changed": ("priority", "from_priority", "actor"),
    "resolved": ("status", "actor"),
    "reopened": ("status", "actor"),
    "closed": ("status", "actor"),
    "action-done": ("action_id", "actor"),
    "override": ("actor", "reason", "path", "level"),
    "comment": ("actor",),
}
# Per event type: a getter of the payload keys it does not take, and what they must all be.
_PAYLOAD_RULES: dict[str, tuple[Callable[[Event], object], tuple[None, ...]]] = {}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "status-changed": ("status",),
    "priority-changed": ("priority",),
    "action-done": ("action_id",),
    "override": ("actor", "reason", "path", "level"),
}
_IMPLIED_STATUS = {"resolved": "resolved", "closed": "closed", "reopened": "in-progress"}
_STATUS_EVENTS = frozenset({"status-changed", *_IMPLIED_STATUS})

# Optional plain-string ticket fields, read the same way.
_TEXT_KEYS = (
    "priority",
    "impact",
    "urgency",
    "severity",
    "category",
    "subcategory",
    "service",
    "configuration_item",
    "assignment_group",
    "assignee",
    "business_unit",
    "region",
    "service_line",
    "risk",
)
#: The optional text fields of a ticket (conditions compare them as strings).
TEXT_FIELDS = _TEXT_KEYS
_TICKET_KEYS = (
    "id",
    "opened_at",
    "kind",
    "status",
    *_TEXT_KEYS,
    "customer",
    "regulatory_flags",
    "fields",
    "events",
    "reassignment_count",
    "reopen_count",
)
_TICKET_KEY_SET = frozenset(_TICKET_KEYS)
_TEXT_KEY_SET = frozenset(_TEXT_KEYS)
_CUSTOMER_KEYS = ("id", "tier", "vip")
_EVENT_KEYS = ("at", "type", "index", *_PAYLOAD)
_EVENT_KEY_SET = frozenset(_EVENT_KEYS)
_EVENT_TEXT_KEYS = frozenset(_PAYLOAD) - {"status"}


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Customer:
    """Who the ticket is for: an id, a service tier and whether they are a VIP."""

    id: str | None = None
    tier: str | None = None
    vip: bool = False


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of a ticket's history.

    ``index`` is the position in the history (0-based), ``at`` an aware datetime, ``type`` one of
    :data:`EVENT_TYPES`. The payload fields a type takes (others must stay ``None``):

    * ``status-changed``: ``status`` (required, canonical). ``resolved``, ``closed`` and
      ``reopened`` set ``status`` themselves (``resolved``, ``closed``, ``in-progress``); a
      ``reopened`` event may name another open status instead.
    * ``priority-changed``: ``priority`` (required; the raw string, mapped by the policy's
      terminology later) and ``from_priority``, the priority before the change, when known.
    * ``assigned``: ``group`` and/or ``assignee`` (at least one).
    * ``acknowledged``, ``first-response``: ``actor``, optional.
    * ``action-done``: ``action_id`` (required) and ``actor``.
    * ``override``: ``actor``, ``reason``, ``path`` and ``level`` (all required): a person moved
      the escalation path ``path`` to ``level``.

    The :class:`Ticket` constructor checks these rules; an ``Event`` alone is just a value.

    >>> Event(0, datetime(2024, 6, 3, 9, tzinfo=UTC), "resolved").status
    'resolved'
    """

    index: int
    at: datetime
    type: str
    status: str | None = None
    priority: str | None = None
    group: str | None = None
    assignee: str | None = None
    actor: str | None = None
    reason: str | None = None
    action_id: str | None = None
    path: str | None = None
    level: str | None = None
    from_priority: str | None = None

    def __post_init__(self) -> None:
        if self.status is None:
            implied = _IMPLIED_STATUS.get(self.type)
            if implied is not None:
                object.__setattr__(self, "status", implied)

    def to_dict(self) -> dict[str, object]:
        """The event as JSON-ready data: ``at`` in UTC ISO-8601, ``type``, the payload that is set.

        The index is left out: it is the position in the ``events`` list.

        >>> Event(3, datetime(2024, 6, 3, 9, tzinfo=UTC), "action-done", action_id="a1").to_dict()
        {'action_id': 'a1', 'at': '2024-06-03T09:00:00+00:00', 'type': 'action-done'}
        """
        out: dict[str, object] = {"at": _iso(self.at), "type": self.type}
        for key in _PAYLOAD:
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return dict(sorted(out.items()))


@dataclass(frozen=True, slots=True)
class TicketState:
    """What a ticket looked like at one instant (see :meth:`Ticket.state_at`).

    ``acknowledged_at`` is the last acknowledgement since the last reopen; ``resolved_at`` is the
    instant the ticket last entered ``resolved`` or ``closed`` from another status, ``None``
    while it is in neither (or when the history does not show when it got there).
    ``done_action_ids`` are the ids of the ``action-done`` events so far.
    """

    status: str
    priority: str | None
    assignment_group: str | None
    assignee: str | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    reassignment_count: int
    reopen_count: int
    done_action_ids: frozenset[str]


for _kind, _allowed in _ALLOWED.items():
    _forbidden = [key for key in _PAYLOAD if key not in _allowed]
    _PAYLOAD_RULES[_kind] = (operator.attrgetter(*_forbidden), (None,) * len(_forbidden))

_NO_CUSTOMER = Customer()
_NO_FIELDS: Mapping[str, FieldValue] = MappingProxyType({})


@dataclass(frozen=True, slots=True, init=False)
class Ticket:
    """A ticket: its fields and its full event history. Frozen; build it with the constructor
    from typed values or with :meth:`from_mapping` from JSON-like data.

    Everything after ``opened_at`` is keyword-only. ``status``, ``priority``,
    ``assignment_group``, ``assignee`` and the two counters may be left out (``None``) to be
    derived from the history (see the module docstring); when given they must agree with it
    (counters excepted: given counters win). ``regulatory_flags`` are stored sorted and
    deduplicated, ``fields`` as a read-only mapping sorted by key. Datetimes are kept as given
    (``from_mapping`` gives UTC); ``to_dict`` always writes UTC.

    >>> opened = datetime(2024, 6, 3, 9, tzinfo=UTC)
    >>> t = Ticket("INC1", opened, events=[Event(0, opened, "assigned", group="network")])
    >>> t.assignment_group, t.status, t.reassignment_count
    ('network', 'new', 0)
    """

    id: str
    opened_at: datetime
    kind: str
    priority: str | None
    impact: str | None
    urgency: str | None
    severity: str | None
    category: str | None
    subcategory: str | None
    service: str | None
    configuration_item: str | None
    assignment_group: str | None
    assignee: str | None
    status: str
    business_unit: str | None
    region: str | None
    service_line: str | None
    customer: Customer
    risk: str | None
    regulatory_flags: tuple[str, ...]
    fields: Mapping[str, FieldValue] = field(hash=False)
    events: tuple[Event, ...]
    reassignment_count: int
    reopen_count: int
    # Event instants as UTC microseconds, for the binary search in state_at.
    _times: tuple[int, ...] = field(init=False, repr=False, compare=False, hash=False)
    # The state after each prefix of the history, folded on the first state_at call.
    _states: list[TicketState | _Row] | None = field(
        init=False, repr=False, compare=False, hash=False
    )
    # Given counters minus derived ones: history the ticketing system did not send.
    _extra: tuple[int, int] = field(init=False, repr=False, compare=False, hash=False)
    _digest: str | None = field(init=False, repr=False, compare=False, hash=False)

    def __init__(
        self,
        id: str,
        opened_at: datetime,
        *,
        kind: str = "incident",
        priority: str | None = None,
        impact: str | None = None,
        urgency: str | None = None,
        severity: str | None = None,
        category: str | None = None,
        subcategory: str | None = None,
        service: str | None = None,
        configuration_item: str | None = None,
        assignment_group: str | None = None,
        assignee: str | None = None,
        status: str | None = None,
        business_unit: str | None = None,
        region: str | None = None,
        service_line: str | None = None,
        customer: Customer = _NO_CUSTOMER,
        risk: str | None = None,
        regulatory_flags: Iterable[str] = (),
        fields: Mapping[str, FieldValue] = _NO_FIELDS,
        events: Iterable[Event] = (),
        reassignment_count: int | None = None,
        reopen_count: int | None = None,
    ) -> None:
        if not isinstance(id, str) or not id:
            raise TicketError("id must be a non-empty string", path=("id",), value=id)
        if kind not in _KIND_SET:
            raise _unknown("kind", kind, kind, KINDS, ("kind",))
        if isinstance(regulatory_flags, str):
            raise TicketError(
                "regulatory_flags must be a sequence of flags, not one string",
                path=("regulatory_flags",),
                value=regulatory_flags,
            )
        history = tuple(events)
        derived = _check_history(opened_at, history)

        status = _agree("status", status, derived.status, derived.status_at, history)
        if status is None:
            status = "new"
        if status not in _STATUS_SET:
            raise _unknown("status", status, status, STATUSES, ("status",))
        set_ = object.__setattr__
        set_(self, "id", id)
        set_(self, "opened_at", opened_at)
        set_(self, "kind", kind)
        set_(
            self,
            "priority",
            _agree("priority", priority, derived.priority, derived.priority_at, history),
        )
        set_(self, "impact", impact)
        set_(self, "urgency", urgency)
        set_(self, "severity", severity)
        set_(self, "category", category)
        set_(self, "subcategory", subcategory)
        set_(self, "service", service)
        set_(self, "configuration_item", configuration_item)
        set_(
            self,
            "assignment_group",
            _agree("assignment_group", assignment_group, derived.group, derived.group_at, history),
        )
        assignee = _agree("assignee", assignee, derived.assignee, derived.assignee_at, history)
        set_(self, "assignee", assignee)
        set_(self, "status", status)
        set_(self, "business_unit", business_unit)
        set_(self, "region", region)
        set_(self, "service_line", service_line)
        set_(self, "customer", customer)
        set_(self, "risk", risk)
        set_(self, "regulatory_flags", tuple(sorted(set(regulatory_flags))))
        set_(self, "fields", MappingProxyType(dict(sorted(fields.items()))))
        set_(self, "events", history)
        reassignment_count = _count("reassignment_count", reassignment_count, derived.reassignments)
        reopen_count = _count("reopen_count", reopen_count, derived.reopens)
        set_(self, "reassignment_count", reassignment_count)
        set_(self, "reopen_count", reopen_count)
        set_(self, "_times", tuple(derived.times))
        set_(self, "_states", None)
        set_(self, "_digest", None)
        set_(
            self,
            "_extra",
            (reassignment_count - derived.reassignments, reopen_count - derived.reopens),
        )

    # ----------------------------------------------------------------------------------------
    # Reading and writing data
    # ----------------------------------------------------------------------------------------

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> Ticket:
        """Read a ticket from JSON-like data, strictly.

        Timestamps are aware ``datetime`` objects or ISO-8601 strings with an offset (``Z`` or
        ``+02:00``), stored in UTC. ``kind``, statuses and event types are matched ignoring case
        and separators (``"Awaiting User Info"`` is ``awaiting-user-info``). A key whose value is
        ``None`` counts as absent. Every problem raises :class:`TicketError` with the key path
        (``events[3].at``) and the value; unknown keys and names come with a suggestion.
        """
        if not isinstance(data, Mapping):
            raise TicketError("a ticket must be a mapping", value=data)
        text: dict[str, str] = {}
        for key, value in data.items():
            if key in _TEXT_KEY_SET:
                if value is not None:
                    text[key] = _text(value, (key,))
            elif key not in _TICKET_KEY_SET:
                _check_keys(data, _TICKET_KEYS, (), "ticket key")
        for key in ("id", "opened_at"):
            if data.get(key) is None:
                raise TicketError(f"missing required key {key!r}", path=(key,), value=None)
        ident = _text(data["id"], ("id",))
        opened_at = _instant(data["opened_at"], ("opened_at",))
        kind = data.get("kind")
        status = data.get("status")
        return cls(
            ident,
            opened_at,
            kind="incident" if kind is None else _name(kind, KINDS, _KIND_SET, ("kind",), "kind"),
            status=None
            if status is None
            else _name(status, STATUSES, _STATUS_SET, ("status",), "status"),
            customer=_customer(data.get("customer")),
            regulatory_flags=_flags(data.get("regulatory_flags")),
            fields=_fields(data.get("fields")),
            events=_events(data.get("events")),
            reassignment_count=_opt_count(data.get("reassignment_count"), "reassignment_count"),
            reopen_count=_opt_count(data.get("reopen_count"), "reopen_count"),
            **text,
        )

    @classmethod
    def coerce(cls, ticket: Ticket | Mapping[str, object]) -> Ticket:
        """A :class:`Ticket` as it is; a mapping read with :meth:`from_mapping`."""
        if isinstance(ticket, Ticket):
            return ticket
        if isinstance(ticket, Mapping):
            return cls.from_mapping(ticket)
        raise TicketError("a ticket must be an escalate.Ticket or a mapping", value=ticket)

    def to_dict(self) -> dict[str, object]:
        """The ticket as JSON-ready data with sorted keys; ``from_mapping`` reads it back equal.

        Every top-level key is present (``None`` where unset); datetimes are UTC ISO-8601 strings;
        events carry only the payload that is set.
        """
        customer = self.customer
        return {
            "assignee": self.assignee,
            "assignment_group": self.assignment_group,
            "business_unit": self.business_unit,
            "category": self.category,
            "configuration_item": self.configuration_item,
            "customer": {"id": customer.id, "tier": customer.tier, "vip": customer.vip},
            "events": [event.to_dict() for event in self.events],
            "fields": dict(self.fields),
            "id": self.id,
            "impact": self.impact,
            "kind": self.kind,
            "opened_at": _iso(self.opened_at),
            "priority": self.priority,
            "reassignment_count": self.reassignment_count,
            "region": self.region,
            "regulatory_flags": list(self.regulatory_flags),
            "reopen_count": self.reopen_count,
            "risk": self.risk,
            "service": self.service,
            "service_line": self.service_line,
            "severity": self.severity,
            "status": self.status,
            "subcategory": self.subcategory,
            "urgency": self.urgency,
        }

    def digest(self) -> str:
        """SHA-256 (hex) of the canonical JSON of :meth:`to_dict`; computed once.

        Key order in the input and the offsets timestamps were written with do not matter.
        """
        cached = self._digest
        if cached is None:
            text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
            cached = hashlib.sha256(text.encode()).hexdigest()
            object.__setattr__(self, "_digest", cached)
        return cached

    # ----------------------------------------------------------------------------------------
    # History
    # ----------------------------------------------------------------------------------------

    def state_at(self, at: datetime) -> TicketState:
        """The ticket as of ``at``: every event with ``event.at <= at`` applied.

        Before the first event (or before ``opened_at``) this is the initial state. ``at`` must
        be aware (:class:`~escalate.errors.NaiveDatetimeError` otherwise). The history is folded
        once, on the first call; after that this is a binary search.
        """
        k = bisect.bisect_right(self._times, to_us(at, "state_at"))
        states = self._states
        if states is None:
            states = self._replay()
            object.__setattr__(self, "_states", states)
        state = states[k]
        if not isinstance(state, TicketState):
            state = states[k] = TicketState(*state)
        return state

    def _replay(self) -> list[TicketState | _Row]:
        """The state after each prefix of the history (``[k]``: the first ``k`` events applied),
        as value tuples that :meth:`state_at` turns into states when first asked for."""
        events = self.events
        status = "new" if any(e.type in _STATUS_EVENTS for e in events) else self.status
        first_change = next((e for e in events if e.type == "priority-changed"), None)
        priority = self.priority
        if first_change is not None and first_change.from_priority is not None:
            priority = first_change.from_priority
        assigned = [e for e in events if e.type == "assigned"]
        group = None if any(e.group is not None for e in assigned) else self.assignment_group
        assignee = None if any(e.assignee is not None for e in assigned) else self.assignee
        acknowledged_at: datetime | None = None
        resolved_at: datetime | None = None
        # Given counters may include history that was not sent: it lies before the first event.
        reassignments, reopens = self._extra
        done: frozenset[str] = frozenset()
        rows: list[TicketState | _Row] = [
            (
                status,
                priority,
                group,
                assignee,
                None,
                None,
                max(0, reassignments),
                max(0, reopens),
                done,
            )
        ]
        for event in events:
            kind = event.type
            new_status = event.status
            if new_status is not None:  # only status events carry one
                if new_status not in _RESOLVED_STATUSES:
                    resolved_at = None
                elif status not in _RESOLVED_STATUSES:
                    resolved_at = event.at
                status = new_status
            if kind == "priority-changed":
                priority = event.priority
            elif kind == "assigned":
                if event.group is not None:
                    if group is not None and event.group != group:
                        reassignments += 1
                    group = event.group
                if event.assignee is not None:
                    assignee = event.assignee
            elif kind == "acknowledged":
                acknowledged_at = event.at
            elif kind == "reopened":
                reopens += 1
                acknowledged_at = None
            elif kind == "action-done":
                assert event.action_id is not None
                done = done | {event.action_id}
            rows.append(
                (
                    status,
                    priority,
                    group,
                    assignee,
                    acknowledged_at,
                    resolved_at,
                    max(0, reassignments),
                    max(0, reopens),
                    done,
                )
            )
        return rows


# --------------------------------------------------------------------------------------------
# History checks (constructor)
# --------------------------------------------------------------------------------------------


class _Derived:
    """What the history says the ticket's fields are; ``*_at`` name the event that set them."""

    __slots__ = (
        "assignee",
        "assignee_at",
        "group",
        "group_at",
        "priority",
        "priority_at",
        "reassignments",
        "reopens",
        "status",
        "status_at",
        "times",
    )

    def __init__(self) -> None:
        self.times: list[int] = []  # event instants, UTC microseconds
        self.status: str | None = None
        self.priority: str | None = None
        self.group: str | None = None
        self.assignee: str | None = None
        self.status_at = self.priority_at = self.group_at = self.assignee_at = -1
        self.reassignments = self.reopens = 0


def _check_history(opened_at: datetime, events: tuple[Event, ...]) -> _Derived:
    """Check the history's order and payloads and fold it into the values it implies."""
    previous = _aware_us(opened_at, ("opened_at",))
    out = _Derived()
    times = out.times
    for i, event in enumerate(events):
        if event.index != i:
            raise TicketError(
                f"event index must be its position in the history ({i})",
                path=("events", i, "index"),
                value=event.index,
            )
        try:
            us = (event.at - EPOCH) // ONE_US
        except TypeError:
            us = _aware_us(event.at, ("events", i, "at"))  # raises the TicketError
        if us < previous:
            where = f"events[{i - 1}].at" if i else "opened_at"
            raise TicketError(
                f"event is earlier than {where}; events must be in time order, none before "
                "opened_at",
                path=("events", i, "at"),
                value=event.at,
            )
        previous = us
        times.append(us)
        kind = event.type
        rule = _PAYLOAD_RULES.get(kind)
        if rule is None:
            raise _unknown("event type", kind, kind, EVENT_TYPES, ("events", i, "type"))
        if rule[0](event) != rule[1]:
            _reject_payload(event, i)
        if kind in _REQUIRED:
            for key in _REQUIRED[kind]:
                if getattr(event, key) is None:
                    raise TicketError(
                        f"{kind!r} events need {key!r}", path=("events", i, key), value=None
                    )
        if event.status is not None:
            _check_status(event, i)
            out.status, out.status_at = event.status, i
        if kind == "priority-changed":
            given = event.from_priority
            if given is not None and out.priority_at >= 0 and given != out.priority:
                raise TicketError(
                    f"from_priority disagrees with the priority events[{out.priority_at}] "
                    f"set ({out.priority!r})",
                    path=("events", i, "from_priority"),
                    value=given,
                )
            out.priority, out.priority_at = event.priority, i
        elif kind == "assigned":
            group, assignee = event.group, event.assignee
            if group is None and assignee is None:
                raise TicketError(
                    "'assigned' events need a 'group' or an 'assignee'",
                    path=("events", i),
                    value=None,
                )
            if group is not None:
                if out.group is not None and group != out.group:
                    out.reassignments += 1
                out.group, out.group_at = group, i
            if assignee is not None:
                out.assignee, out.assignee_at = assignee, i
        elif kind == "reopened":
            out.reopens += 1
    return out


def _reject_payload(event: Event, i: int) -> None:
    """Raise for the first payload key ``event`` sets that its type does not take."""
    kind = event.type
    allowed = _ALLOWED[kind]
    for key in _PAYLOAD:
        value = getattr(event, key)
        if value is not None and key not in allowed:
            raise TicketError(
                f"{kind!r} events take no {key!r} (payload keys allowed: "
                f"{', '.join(allowed) or 'none'})",
                path=("events", i, key),
                value=value,
            )


def _check_status(event: Event, i: int) -> None:
    status, kind = event.status, event.type
    if status not in _STATUS_SET:
        raise _unknown("status", status, str(status), STATUSES, ("events", i, "status"))
    if kind == "reopened":
        if status in _NOT_REOPENABLE_TO:
            raise TicketError(
                "a reopened ticket is open: it cannot be reopened into "
                + ", ".join(sorted(_NOT_REOPENABLE_TO)),
                path=("events", i, "status"),
                value=status,
            )
    elif kind in _IMPLIED_STATUS and status != kind:  # resolved, closed
        raise TicketError(
            f"a {kind!r} event sets status {kind!r}", path=("events", i, "status"), value=status
        )


def _agree(
    name: str, given: str | None, derived: str | None, last: int, events: tuple[Event, ...]
) -> str | None:
    """The field's value: the derived one when not given; when given, it must agree with the
    history (``last`` is the index of the last event that set the field, or -1)."""
    if given is None:
        return derived
    if last >= 0 and given != derived:
        raise TicketError(
            f"{name} disagrees with the history: events[{last}] ({events[last].type}) "
            f"leaves it {derived!r}",
            path=(name,),
            value=given,
        )
    return given


def _count(name: str, given: int | None, derived: int) -> int:
    if given is None:
        return derived
    if isinstance(given, bool) or not isinstance(given, int) or given < 0:
        raise TicketError(f"{name} must be an integer >= 0", path=(name,), value=given)
    return given


def _aware_us(at: datetime, path: Path) -> int:
    try:
        return to_us(at)
    except (NaiveDatetimeError, TypeError):
        raise TicketError(
            "must be an aware datetime (escalate never guesses whether a naive time is UTC "
            "or local)",
            path=path,
            value=at,
        ) from None


# --------------------------------------------------------------------------------------------
# Reading JSON-like data (from_mapping)
# --------------------------------------------------------------------------------------------


def normalise_name(text: str) -> str:
    """Lower-case a name and join its words with single hyphens.

    >>> normalise_name("Awaiting User Info")
    'awaiting-user-info'
    >>> normalise_name("status_changed")
    'status-changed'
    >>> normalise_name("  In - Progress ")
    'in-progress'
    """
    return "-".join(text.replace("_", " ").replace("-", " ").lower().split())


def _name(
    value: object, choices: tuple[str, ...], known: frozenset[str], path: Path, what: str
) -> str:
    if not isinstance(value, str):
        raise TicketError(f"{what} must be a string", path=path, value=value)
    if value in known:
        return value
    name = normalise_name(value)
    if name not in known:
        raise _unknown(what, value, name, choices, path)
    return name


def _unknown(
    what: str, value: object, name: str, choices: tuple[str, ...], path: Path
) -> TicketError:
    hint = suggest(name, choices)
    tail = f" (did you mean {hint!r}?)" if hint else ""
    return TicketError(
        f"unknown {what}; expected one of {', '.join(choices)}{tail}", path=path, value=value
    )


def _check_keys(data: Mapping[str, object], known: tuple[str, ...], path: Path, what: str) -> None:
    for key in data:
        if key not in known:
            hint = suggest(key, known) if isinstance(key, str) else None
            tail = f" (did you mean {hint!r}?)" if hint else ""
            raise TicketError(f"unknown {what}{tail}", path=(*path, str(key)), value=data[key])


def _text(value: object, path: Path) -> str:
    if not isinstance(value, str) or not value:
        raise TicketError("must be a non-empty string", path=path, value=value)
    return value


def _opt_text(value: object, path: Path) -> str | None:
    return None if value is None else _text(value, path)


def _instant(value: object, path: Path) -> datetime:
    """An aware datetime or an ISO-8601 string with an offset, as a UTC datetime."""
    if isinstance(value, datetime):
        at = value
    elif isinstance(value, str):
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            raise TicketError(
                "not an ISO-8601 timestamp (write e.g. '2024-06-03T09:00:00+02:00')",
                path=path,
                value=value,
            ) from None
    else:
        raise TicketError(
            "must be an ISO-8601 string with an offset or an aware datetime", path=path, value=value
        )
    if at.utcoffset() is None:
        raise TicketError(
            "timestamp has no UTC offset (escalate never guesses whether it is UTC or local "
            "time; add 'Z' or '+02:00')",
            path=path,
            value=value,
        )
    try:
        return at.astimezone(UTC)
    except OverflowError:
        raise TicketError("timestamp is out of range", path=path, value=value) from None


def _opt_count(value: object, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TicketError(f"{name} must be an integer >= 0", path=(name,), value=value)
    return value


def _customer(value: object) -> Customer:
    if value is None:
        return _NO_CUSTOMER
    if not isinstance(value, Mapping):
        raise TicketError("customer must be a mapping", path=("customer",), value=value)
    _check_keys(value, _CUSTOMER_KEYS, ("customer",), "customer key")
    vip = value.get("vip")
    if vip is not None and not isinstance(vip, bool):
        raise TicketError("vip must be true or false", path=("customer", "vip"), value=vip)
    return Customer(
        id=_opt_text(value.get("id"), ("customer", "id")),
        tier=_opt_text(value.get("tier"), ("customer", "tier")),
        vip=bool(vip),
    )


def _sequence(value: object, path: Path) -> Sequence[object]:
    if not isinstance(value, list | tuple):
        raise TicketError("must be a list", path=path, value=value)
    return value


def _flags(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    items = _sequence(value, ("regulatory_flags",))
    return tuple(_text(flag, ("regulatory_flags", i)) for i, flag in enumerate(items))


def _fields(value: object) -> Mapping[str, FieldValue]:
    if value is None:
        return _NO_FIELDS
    if not isinstance(value, Mapping):
        raise TicketError("fields must be a mapping", path=("fields",), value=value)
    out: dict[str, FieldValue] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise TicketError("field names must be non-empty strings", path=("fields",), value=key)
        if item is not None and not isinstance(item, str | int):  # bool is an int
            raise TicketError(
                "custom field values must be strings, integers, booleans or null (no floats)",
                path=("fields", key),
                value=item,
            )
        out[key] = item
    return out


def _events(value: object) -> list[Event]:
    if value is None:
        return []
    return [_event(raw, i) for i, raw in enumerate(_sequence(value, ("events",)))]


def _event(raw: object, i: int) -> Event:
    path: Path = ("events", i)
    if type(raw) is not dict and not isinstance(raw, Mapping):  # skip the ABC check for dicts
        raise TicketError("an event must be a mapping", path=path, value=raw)
    at = kind = status = None
    text: dict[str, str] = {}
    for key, value in raw.items():  # one pass: this runs for every event of every ticket read
        if value is None:
            if key not in _EVENT_KEY_SET:
                _check_keys(raw, _EVENT_KEYS, path, "event key")
        elif key in _EVENT_TEXT_KEYS:
            text[key] = _text(value, (*path, key))
        elif key == "at":
            at = _instant(value, (*path, "at"))
        elif key == "type":
            kind = _name(value, EVENT_TYPES, _EVENT_TYPE_SET, (*path, "type"), "event type")
        elif key == "status":
            status = _name(value, STATUSES, _STATUS_SET, (*path, "status"), "status")
        elif key == "index":
            if type(value) is not int or value != i:  # not a bool, not a float
                raise TicketError(
                    f"event index must be its position in the history ({i})",
                    path=(*path, "index"),
                    value=value,
                )
        else:
            _check_keys(raw, _EVENT_KEYS, path, "event key")
    if at is None:
        raise TicketError("missing required key 'at'", path=(*path, "at"), value=None)
    if kind is None:
        raise TicketError("missing required key 'type'", path=(*path, "type"), value=None)
    return Event(i, at, kind, status, **text)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()
