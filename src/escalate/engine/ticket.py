"""Tickets: the fields and the event history a decision is computed from.

A :class:`Ticket` is a frozen value. :meth:`Ticket.from_mapping` reads JSON-like data strictly,
through the pydantic models of :mod:`escalate.engine.ticket_format` (the one definition of the
input format, see ``docs/ticket-format.md``): unknown keys, wrong types, naive timestamps and
histories that contradict the fields raise :class:`~escalate.errors.TicketError` naming the key
path and the bad value; nothing is coerced. The constructor takes already-typed values, checks
the cheap invariants (the history rules of :mod:`escalate.engine.history`) and derives what was
left out; it does no parsing and no pydantic validation. :meth:`Ticket.state_at` answers "what
did the ticket look like at this instant" with one binary search over a fold of the history
that is computed once, on the first call. The history semantics are described in
:mod:`escalate.engine.history`.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import cast

from pydantic import ValidationError

from escalate._models import MAX_INT, label_problem
from escalate.calendars._instants import to_us, utc
from escalate.engine.history import (
    EVENT_TYPES,
    HISTORY_FIELDS,
    STATUSES,
    Derived,
    Event,
    Fold,
    Row,
    TicketState,
    Value,
    check_history,
    field_value_problem,
    iso,
    read_boolean,
    same_value,
    unknown_name,
)
from escalate.engine.ticket_format import (
    KINDS,
    TEXT_FIELDS,
    FieldValue,
    TicketInput,
    normalise_name,
    ticket_error,
    without_markers,
)
from escalate.errors import TicketError

__all__ = [
    "EVENT_TYPES",
    "KINDS",
    "STATUSES",
    "TEXT_FIELDS",
    "UPDATABLE_FIELDS",
    "Customer",
    "Event",
    "FieldValue",
    "Ticket",
    "TicketState",
    "normalise_name",
]

# The fields a field-changed event may name (besides fields.<name>).
_HISTORY_FIELD_SET = frozenset(HISTORY_FIELDS)

_KIND_SET = frozenset(KINDS)
# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Customer:
    """Who the ticket is for: an id, a service tier and whether they are a VIP."""

    id: str | None = None
    tier: str | None = None
    vip: bool = False


_NO_CUSTOMER = Customer()
_STATUS_SET = frozenset(STATUSES)
_NO_FIELDS: Mapping[str, FieldValue] = MappingProxyType({})


@dataclass(frozen=True, slots=True, init=False)
class Ticket:
    """A ticket: its fields and its full event history. Frozen; build it with the constructor
    from typed values or with :meth:`from_mapping` from JSON-like data.

    Everything after ``opened_at`` is keyword-only. ``status``, ``priority``,
    ``assignment_group``, ``assignee`` and the two counters may be left out (``None``) to be
    derived from the history (see the module docstring); when given they must agree with it
    (counters excepted: given counters win). ``regulatory_flags`` are stored sorted and
    deduplicated, ``fields`` as a read-only mapping sorted by key. Datetimes are stored in UTC
    (the same instants as given: a ``ZoneInfo`` time with ``fold=1`` is the second 02:10 of a
    DST fall-back), so the history's order is the order of real time.

    >>> from datetime import UTC
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
    _times: Sequence[int] = field(init=False, repr=False, compare=False, hash=False)
    # The state after each prefix of the history, folded on the first state_at call.
    _states: list[TicketState | Row] | None = field(
        init=False, repr=False, compare=False, hash=False
    )
    # What the history checks derived (a ticket grown from this one checks only its new events).
    _derived: Derived = field(init=False, repr=False, compare=False, hash=False)
    # The fold behind _states, once made; and before that, the fold of the ticket this one
    # grew from (with_events), which the first state_at continues when it can.
    _fold: Fold | None = field(init=False, repr=False, compare=False, hash=False)
    _seed: Fold | None = field(init=False, repr=False, compare=False, hash=False)
    # The action ids of the action-done events, in order (the rows count them).
    _done: tuple[str, ...] = field(init=False, repr=False, compare=False, hash=False)
    # Given counters minus derived ones: history the ticketing system did not send.
    _extra: tuple[int, int] = field(init=False, repr=False, compare=False, hash=False)
    # The fields field-changed events set, other than the group and the assignee.
    _changed: frozenset[str] = field(init=False, repr=False, compare=False, hash=False)
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
        if not isinstance(kind, str) or kind not in _KIND_SET:
            raise unknown_name("kind", kind, str(kind), KINDS, ("kind",))
        for name, text in (
            ("id", id),
            ("priority", priority),
            ("impact", impact),
            ("urgency", urgency),
            ("severity", severity),
            ("category", category),
            ("subcategory", subcategory),
            ("service", service),
            ("configuration_item", configuration_item),
            ("assignment_group", assignment_group),
            ("assignee", assignee),
            ("status", status),
            ("business_unit", business_unit),
            ("region", region),
            ("service_line", service_line),
            ("risk", risk),
        ):
            if text is not None or name == "id":
                _check_text((name,), text)
        if not isinstance(customer, Customer):
            raise TicketError("must be an escalate Customer", path=("customer",), value=customer)
        if customer is not _NO_CUSTOMER:  # checked as from_mapping checks it
            for key in ("id", "tier"):
                if (value := getattr(customer, key)) is not None:
                    _check_text(("customer", key), value)
            if type(customer.vip) is not bool:
                raise TicketError(
                    "customer.vip must be true or false",
                    path=("customer", "vip"),
                    value=customer.vip,
                )
        if fields is not _NO_FIELDS:
            _check_fields(fields)
        seed: Fold | None = None
        if isinstance(events, _Checked):  # a history checked already, in UTC (with_events ...)
            history, derived, seed = events.events, events.derived, events.fold
        else:  # each item is checked to be an Event by check_history, in its one pass
            history = cast("tuple[Event, ...]", _sequence("events", events))
        flags = _sequence("regulatory_flags", regulatory_flags)
        for i, flag in enumerate(flags):
            _check_text(("regulatory_flags", i), flag)
        if not isinstance(events, _Checked):
            derived = check_history(opened_at, history)  # also: instants aware and in range
            history = _in_utc(history)
        # Kept in UTC, so that every comparison inside the engine is between instants.
        opened_at = utc(opened_at)

        changed = derived.values
        if changed:  # the fields field-changed events set: given ones must agree
            impact = _from_history("impact", impact, derived, history)
            urgency = _from_history("urgency", urgency, derived, history)
            severity = _from_history("severity", severity, derived, history)
            category = _from_history("category", category, derived, history)
            subcategory = _from_history("subcategory", subcategory, derived, history)
            service = _from_history("service", service, derived, history)
            configuration_item = _from_history(
                "configuration_item", configuration_item, derived, history
            )
            business_unit = _from_history("business_unit", business_unit, derived, history)
            region = _from_history("region", region, derived, history)
            service_line = _from_history("service_line", service_line, derived, history)
            risk = _from_history("risk", risk, derived, history)
            customer = _agree_customer(customer, derived, history)
            fields = _agree_fields(fields, derived, history)
        if status is None or (status in _STATUS_SET and derived.status in _STATUS_SET):
            status = _agree("status", status, derived.status, derived.status_at, history)
        # Else a policy's own status, perhaps an alias of the last one the history set: the
        # policy that evaluates the ticket checks that both name the same canonical status.
        if status is None:
            status = "new"
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "opened_at", opened_at)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(
            self,
            "priority",
            _agree("priority", priority, derived.priority, derived.priority_at, history),
        )
        object.__setattr__(self, "impact", impact)
        object.__setattr__(self, "urgency", urgency)
        object.__setattr__(self, "severity", severity)
        object.__setattr__(self, "category", category)
        object.__setattr__(self, "subcategory", subcategory)
        object.__setattr__(self, "service", service)
        object.__setattr__(self, "configuration_item", configuration_item)
        object.__setattr__(
            self,
            "assignment_group",
            _agree("assignment_group", assignment_group, derived.group, derived.group_at, history),
        )
        assignee = _agree("assignee", assignee, derived.assignee, derived.assignee_at, history)
        object.__setattr__(self, "assignee", assignee)
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "business_unit", business_unit)
        object.__setattr__(self, "region", region)
        object.__setattr__(self, "service_line", service_line)
        object.__setattr__(self, "customer", customer)
        object.__setattr__(self, "risk", risk)
        object.__setattr__(self, "regulatory_flags", tuple(sorted(set(flags))))
        object.__setattr__(self, "fields", MappingProxyType(dict(sorted(fields.items()))))
        object.__setattr__(self, "events", history)
        reassignment_count = _count("reassignment_count", reassignment_count, derived.reassignments)
        reopen_count = _count("reopen_count", reopen_count, derived.reopens)
        object.__setattr__(self, "reassignment_count", reassignment_count)
        object.__setattr__(self, "reopen_count", reopen_count)
        object.__setattr__(
            self, "_times", derived.times
        )  # never changed: a longer history copies it
        object.__setattr__(self, "_states", None)
        object.__setattr__(self, "_derived", derived)
        object.__setattr__(self, "_fold", None)
        object.__setattr__(self, "_seed", seed)
        object.__setattr__(self, "_done", ())
        object.__setattr__(self, "_digest", None)
        object.__setattr__(self, "_changed", frozenset(changed))
        object.__setattr__(
            self,
            "_extra",
            (reassignment_count - derived.reassignments, reopen_count - derived.reopens),
        )

    # ----------------------------------------------------------------------------------------
    # Reading and writing data
    # ----------------------------------------------------------------------------------------

    @classmethod
    def from_mapping(cls, data: Mapping[str, object], *, empty: Iterable[str] = ()) -> Ticket:
        """Read a ticket from JSON-like data, strictly (the format is
        :class:`~escalate.engine.ticket_format.TicketInput`, documented in
        ``docs/ticket-format.md``).

        Timestamps are aware ``datetime`` objects or ISO-8601 strings with an offset (``Z`` or
        ``+02:00``), stored in UTC. ``kind``, statuses and event types are matched ignoring case
        and separators (``"Awaiting User Info"`` is ``awaiting-user-info``). A key whose value is
        ``None`` counts as absent. Every problem raises :class:`TicketError` with the key path
        (``events[3].at``) and the value; unknown keys and names come with a suggestion.

        ``empty`` are the strings that mean "no value" in this source (ServiceNow exports
        write ``"?"``, ``"NULL"`` or ``""``): every string value equal to one of them, in any
        field, custom field or event payload, reads as ``null`` (a marker in
        ``regulatory_flags`` is dropped). None by default: a real value is never taken for an
        empty one unless the caller says so.

        >>> t = Ticket.from_mapping(
        ...     {"id": "T1", "opened_at": "2024-06-03T09:00:00Z", "category": "?"}, empty=["?"]
        ... )
        >>> t.category is None
        True
        """
        if type(data) is not dict:
            if not isinstance(data, Mapping):
                raise TicketError("a ticket must be a mapping", value=data)
            data = dict(data)
        if empty:
            markers = _sequence("empty", empty)
            for i, marker in enumerate(markers):
                if type(marker) is not str:
                    raise TicketError("empty markers are strings", path=("empty", i), value=marker)
            data = without_markers(data, frozenset(cast("tuple[str, ...]", markers)))
        try:
            model = TicketInput.model_validate(data)
        except ValidationError as exc:
            raise ticket_error(exc, data) from None
        events = []
        for i, raw in enumerate(model.events or ()):
            if raw.index is not None and raw.index != i:
                raise TicketError(
                    f"event index must be its position in the history ({i})",
                    path=("events", i, "index"),
                    value=raw.index,
                )
            values = raw.__dict__  # pydantic keeps the validated fields here
            payload = {key: values[key] for key in raw.PAYLOAD if values[key] is not None}
            if payload.get("field") == "customer.vip":
                _read_vip_change(payload, i)
            events.append(Event(i, values["at"], raw.TYPE, **payload))
        customer = model.customer
        vip = None if customer is None else customer.vip
        if vip is None:  # not given: what the history last set, else false
            changes = (e for e in reversed(events) if e.field == "customer.vip")
            vip = bool(next((e.to_value for e in changes), False))
        return cls(
            model.id,
            model.opened_at,
            kind=model.kind or "incident",
            status=model.status,
            priority=model.priority,
            impact=model.impact,
            urgency=model.urgency,
            severity=model.severity,
            category=model.category,
            subcategory=model.subcategory,
            service=model.service,
            configuration_item=model.configuration_item,
            assignment_group=model.assignment_group,
            assignee=model.assignee,
            business_unit=model.business_unit,
            region=model.region,
            service_line=model.service_line,
            risk=model.risk,
            customer=_NO_CUSTOMER
            if customer is None and not vip
            else Customer(
                id=None if customer is None else customer.id,
                tier=None if customer is None else customer.tier,
                vip=vip,
            ),
            regulatory_flags=model.regulatory_flags or (),
            fields=_NO_FIELDS if model.fields is None else model.fields,
            events=events,
            reassignment_count=model.reassignment_count,
            reopen_count=model.reopen_count,
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
            "opened_at": iso(self.opened_at),
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

    @property
    def changed_fields(self) -> frozenset[str]:
        """The fields ``field-changed`` events set, other than the group and the assignee
        (``category``, ``customer.tier``, ``fields.u_x`` ...); empty for most tickets."""
        return self._changed

    def field_value(self, name: str) -> Value:
        """The current value of a field a ``field-changed`` event may name.

        >>> Ticket("T1", datetime(2024, 6, 3, 9, tzinfo=UTC), category="network").field_value(
        ...     "category"
        ... )
        'network'
        """
        if name.startswith("fields."):
            return self.fields.get(name[7:])
        if name.startswith("customer."):
            return cast("Value", getattr(self.customer, name[9:]))
        return cast("Value", getattr(self, name))

    def with_events(self, events: Iterable[Event]) -> Ticket:
        """This ticket with ``events`` (in time order, none before its last event) added to
        its history: what a ticketing system sends after those updates.

        The fields the new events set -- the status, the priority, the group and assignee an
        assignment names, the fields ``field-changed`` events change -- are derived from the
        history again; every other field keeps its value. Given counters keep what the history
        did not show: a ticket that said ``reassignment_count: 5`` with two reassignments in
        its history says 6 after one more. The past stays as the ticket told it for the
        priority and the fields ``field-changed`` events change: an added change that does not
        say what the value was before (``from_priority``, ``from``) is given the ticket's value,
        and one that says otherwise is refused. (The status, group and assignee have no
        "before" in their events: a ticket whose history never set them reads, once an added
        event does, as the history says: ``new`` and unassigned before its first status and
        assignment events.) An event that contradicts the history is a
        :class:`~escalate.errors.TicketError` naming it by its place in the whole history.

        >>> opened = datetime(2024, 6, 3, 9, tzinfo=UTC)
        >>> t = Ticket("INC1", opened, status="new", reassignment_count=3)
        >>> later = t.with_events([Event(0, opened, "assigned", group="network")])
        >>> later.assignment_group, later.reassignment_count, len(later.events)
        ('network', 3, 1)
        """
        added = tuple(events)
        if not added:
            return self
        anchored = self._anchored(added)
        history = (*self.events, *anchored)
        # Only the new events are checked: the history so far was, when this ticket was built.
        derived = check_history(self.opened_at, history, self._derived)
        in_utc = _in_utc(anchored)
        if in_utc is not anchored:
            history = (*self.events, *in_utc)
        kept: dict[str, str | None] = {name: getattr(self, name) for name in TEXT_FIELDS}
        kept["status"] = self.status
        customer = {"id": self.customer.id, "tier": self.customer.tier}
        vip = self.customer.vip
        fields = dict(self.fields)
        for event in added:
            if event.status is not None:
                kept["status"] = None
            if event.type == "priority-changed":
                kept["priority"] = None
            if event.type == "assigned":
                if event.group is not None:
                    kept["assignment_group"] = None
                if event.assignee is not None:
                    kept["assignee"] = None
            name = event.field
            if event.type != "field-changed" or name is None:
                continue
            if name.startswith("fields."):
                fields.pop(name[7:], None)
            elif name == "customer.vip":
                vip = bool(event.to_value)
            elif name.startswith("customer."):
                customer[name[9:]] = None
            else:
                kept[name] = None
        reassignments: int | None = None  # derived from the history
        reopens: int | None = None
        if self._extra != (0, 0):
            reassignments = derived.reassignments + self._extra[0]
            reopens = derived.reopens + self._extra[1]
        return Ticket(
            self.id,
            self.opened_at,
            kind=self.kind,
            customer=Customer(id=customer["id"], tier=customer["tier"], vip=vip),
            regulatory_flags=self.regulatory_flags,
            fields=fields,
            events=_Checked(history, derived, self._fold or self._seed),
            reassignment_count=reassignments,
            reopen_count=reopens,
            **kept,
        )

    def with_fields(self, values: Mapping[str, object]) -> Ticket:
        """This ticket with top-level fields given anew: what a ticketing system sends with an
        update besides its events (a category or service changed without a ``field-changed``
        event, a custom field, its own counters).

        Keys (:data:`UPDATABLE_FIELDS`): ``kind``, ``status``, the text fields (``priority``,
        ``category``, ``assignment_group`` ...), ``customer.id``, ``customer.tier``,
        ``customer.vip``, ``fields.<name>`` (one custom field), ``regulatory_flags`` (the whole
        list), ``reassignment_count`` and ``reopen_count``; ``id``, ``opened_at`` and ``events``
        are not fields an update changes. A value is what the constructor takes for that field;
        ``None`` clears it, which for a field the history sets (the status, the priority, a
        field ``field-changed`` events change ...) means "as the history says", for
        ``customer.vip`` "as the history last set it, else false" and for a counter "derived
        from the history" (as :meth:`with_counters`). A value that disagrees with what the
        history sets is a :class:`~escalate.errors.TicketError` naming the field and the event
        (``events[i]``, its place in the whole history) whose value it contradicts. A field no
        event sets holds its value throughout the history, as in any ticket.

        >>> opened = datetime(2024, 6, 3, 9, tzinfo=UTC)
        >>> t = Ticket("INC1", opened, category="network")
        >>> u = t.with_fields({"category": "database", "fields.u_site": "berlin"})
        >>> u.category, dict(u.fields)
        ('database', {'u_site': 'berlin'})
        """
        given = _read_updates(values)
        if not given:
            return self
        texts: dict[str, str | None] = {name: getattr(self, name) for name in TEXT_FIELDS}
        status: str | None = self.status
        kind = self.kind
        customer = {"id": self.customer.id, "tier": self.customer.tier}
        vip: bool | None = self.customer.vip
        flags: Iterable[str] = self.regulatory_flags
        fields = dict(self.fields)
        counters: dict[str, int | None] = {
            "reassignment_count": self.reassignment_count,
            "reopen_count": self.reopen_count,
        }
        for name, value in given.items():
            if name == "kind":
                kind = cast("str", value)
            elif name == "status":
                status = cast("str | None", value)
            elif name == "regulatory_flags":
                flags = cast("Iterable[str]", value)
            elif name in counters:
                counters[name] = cast("int | None", value)
            elif name == "customer.vip":
                vip = cast("bool | None", value)
            elif name.startswith("customer."):
                customer[name[9:]] = cast("str | None", value)
            elif name.startswith("fields."):
                if value is None:
                    fields.pop(name[7:], None)
                else:
                    fields[name[7:]] = cast("FieldValue", value)
            else:
                texts[name] = cast("str | None", value)
        if vip is None:  # as the history last set it, else false (as from_mapping reads it)
            changes = (e for e in reversed(self.events) if e.field == "customer.vip")
            vip = bool(next((e.to_value for e in changes), False))
        if type(vip) is not bool:
            raise TicketError(
                "customer.vip must be true or false", path=("customer", "vip"), value=vip
            )
        return Ticket(
            self.id,
            self.opened_at,
            kind=kind,
            customer=Customer(id=customer["id"], tier=customer["tier"], vip=vip),
            regulatory_flags=flags,
            fields=fields,
            events=self._checked(),
            status=status,
            reassignment_count=counters["reassignment_count"],
            reopen_count=counters["reopen_count"],
            **texts,
        )

    def with_counters(self, reassignment_count: int | None, reopen_count: int | None) -> Ticket:
        """This ticket with its counters given anew (``None``: derived from the history): what
        a ticketing system that counts for itself says, such as ServiceNow's
        ``reassignment_count`` on a record whose history escalate only partly sees.

        >>> opened = datetime(2024, 6, 3, 9, tzinfo=UTC)
        >>> t = Ticket("INC1", opened, events=[Event(0, opened, "assigned", group="network")])
        >>> t.with_counters(4, None).reassignment_count, t.with_counters(None, 2).reopen_count
        (4, 2)
        """
        return Ticket(
            self.id,
            self.opened_at,
            kind=self.kind,
            customer=self.customer,
            regulatory_flags=self.regulatory_flags,
            fields=self.fields,
            events=self._checked(),
            reassignment_count=reassignment_count,
            reopen_count=reopen_count,
            status=self.status,
            **{name: getattr(self, name) for name in TEXT_FIELDS},
        )

    def _checked(self) -> _Checked:
        """This ticket's history as one a new ticket need not check again."""
        return _Checked(self.events, self._derived, self._fold or self._seed)

    def _anchored(self, added: tuple[Event, ...]) -> tuple[Event, ...]:
        """``added``, indexed after this ticket's history, each change of the priority or of
        a field saying what the value was before it (``from_priority``, ``from``) when the
        event does not and the ticket knows: the value the ticket gave stays its value up to
        the change. A ``from`` that disagrees with the value so far is a
        :class:`~escalate.errors.TicketError`."""
        n = len(self.events)
        # The value so far of each field the events change, as the history checks left it:
        # a later 'from' is checked against them by the history's own rules (which name the
        # earlier event); here only the ticket's word is.
        known = self._derived
        values: dict[str, Value] = dict(known.values)
        if known.priority_at >= 0:
            values["priority"] = known.priority
        if known.group_at >= 0:
            values["assignment_group"] = known.group
        if known.assignee_at >= 0:
            values["assignee"] = known.assignee
        told = {"priority"} - set(values)  # fields whose value before comes from the ticket
        out = []
        for i, given in enumerate(added):
            event = replace(given, index=n + i)
            if event.type == "priority-changed":
                before = values.get("priority", self.priority)
                if event.from_priority is None and before is not None:
                    event = replace(event, from_priority=cast("str", before))
                elif "priority" in told and before is not None and event.from_priority != before:
                    raise TicketError(
                        f"from_priority disagrees with the ticket's priority {before!r} before "
                        "this event",
                        path=("events", n + i, "from_priority"),
                        value=event.from_priority,
                    )
                values["priority"] = event.priority
                told.discard("priority")
            elif event.type == "field-changed" and _anchorable(event.field):
                name = cast("str", event.field)
                from_ticket = name not in values
                before = self.field_value(name) if from_ticket else values[name]
                if event.from_value is None and before is not None:
                    event = replace(event, from_value=before)
                elif from_ticket and before is not None and event.from_value != before:
                    raise TicketError(
                        f"from disagrees with the ticket's {name} {before!r} before this event",
                        path=("events", n + i, "from"),
                        value=event.from_value,
                    )
                values[name] = event.to_value
            elif event.type == "assigned":
                _assigned(values, event)
            out.append(event)
        return tuple(out)

    def state_at(self, at: datetime) -> TicketState:
        """The ticket as of ``at``: every event with ``event.at <= at`` applied.

        Before the first event (or before ``opened_at``) this is the initial state. ``at`` must
        be aware (:class:`~escalate.errors.NaiveDatetimeError` otherwise). The history is folded
        once (:meth:`escalate.engine.history.Fold.of`), on the first call; after that this is a
        binary search.
        """
        states = self._states
        if states is None:
            changed = self._changed
            fold = Fold.of(
                self.events,
                status=self.status,
                priority=self.priority,
                assignment_group=self.assignment_group,
                assignee=self.assignee,
                extra=self._extra,
                fields={name: self.field_value(name) for name in changed} if changed else {},
                base=self._seed,
            )
            states = fold.rows
            object.__setattr__(self, "_done", tuple(fold.done))
            object.__setattr__(self, "_states", states)
            object.__setattr__(self, "_fold", fold)
            object.__setattr__(self, "_seed", None)
        # history.state_at, inlined: this runs several times per evaluation.
        k = bisect.bisect_right(self._times, to_us(at, "state_at"))
        state = states[k]
        if not isinstance(state, TicketState):
            state = states[k] = TicketState.from_row(state, self._done)
        return state


class _Checked(Iterable[Event]):
    """A history the :class:`Ticket` constructor need not check again: events in UTC, what
    :func:`~escalate.engine.history.check_history` derived from them, and the fold of a
    ticket whose history begins with them (``None``: not folded), to continue. Iterating it
    gives the events."""

    __slots__ = ("derived", "events", "fold")

    def __init__(self, events: tuple[Event, ...], derived: Derived, fold: Fold | None) -> None:
        self.events, self.derived, self.fold = events, derived, fold

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)


def _in_utc(events: tuple[Event, ...]) -> tuple[Event, ...]:
    """``events`` with their instants in UTC (the same instants; a post-mortem's ``due``
    too)."""
    if any(
        event.at.tzinfo is not UTC or (event.due is not None and event.due.tzinfo is not UTC)
        for event in events
    ):
        return tuple(
            replace(event, at=utc(event.at), due=None if event.due is None else utc(event.due))
            for event in events
        )
    return events


# --------------------------------------------------------------------------------------------
# Reading events (from_mapping)
# --------------------------------------------------------------------------------------------


def _anchorable(name: object) -> bool:
    """Whether a ``field-changed`` event's ``field`` names a field the ticket has, so its value
    before the event can be read from the ticket; any other name is left for
    :func:`~escalate.engine.history.check_history` to refuse, naming the event."""
    return isinstance(name, str) and (name.startswith("fields.") or name in _HISTORY_FIELD_SET)


def _assigned(values: dict[str, Value], event: Event) -> None:
    """Record what an ``assigned`` event sets: a later ``from`` on the group or the assignee
    is checked against it, not against the ticket's value (which an assignment replaced)."""
    if event.group is not None:
        values["assignment_group"] = event.group
    if event.assignee is not None:
        values["assignee"] = event.assignee


def _read_vip_change(payload: dict[str, object], i: int) -> None:
    """Read the string forms of a boolean (``"true"``, ``"No"``, ``"1"`` ...) in the ``from``
    and ``to`` of a ``field-changed`` event on ``customer.vip``, as the top-level
    ``customer.vip`` takes them; a TicketError for any other string."""
    for key, json_key in (("from_value", "from"), ("to_value", "to")):
        value = payload.get(key)
        if type(value) is str:
            found = read_boolean(value)
            if found is None:
                raise TicketError(
                    "customer.vip changes to true or false (or the text true/false, yes/no, "
                    "1/0 in any case)",
                    path=("events", i, json_key),
                    value=value,
                )
            payload[key] = found


# --------------------------------------------------------------------------------------------
# Checks of the given fields (constructor)
# --------------------------------------------------------------------------------------------


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


def _from_history(
    name: str, given: str | None, derived: Derived, events: tuple[Event, ...]
) -> str | None:
    """A text field that ``field-changed`` events may set: derived from the last one when not
    given, else it must agree with it (:func:`_agree`)."""
    if name not in derived.values:
        return given
    last = cast("str | None", derived.values[name])  # history checks: text or None
    return _agree(name, given, last, derived.values_at[name], events)


def _agree_customer(customer: Customer, derived: Derived, events: tuple[Event, ...]) -> Customer:
    """The customer with the values the history sets filled in; given ones must agree."""
    values, last = derived.values, derived.values_at
    id_ = _from_history("customer.id", customer.id, derived, events)
    tier = _from_history("customer.tier", customer.tier, derived, events)
    vip = customer.vip
    if "customer.vip" in values and vip is not values["customer.vip"]:
        i = last["customer.vip"]
        raise TicketError(
            f"customer.vip disagrees with the history: events[{i}] (field-changed) leaves it "
            f"{values['customer.vip']!r}",
            path=("customer", "vip"),
            value=vip,
        )
    if id_ == customer.id and tier == customer.tier:
        return customer
    return Customer(id=id_, tier=tier, vip=vip)


def _agree_fields(
    fields: Mapping[str, FieldValue], derived: Derived, events: tuple[Event, ...]
) -> Mapping[str, FieldValue]:
    """The custom fields with the values the history sets filled in (a cleared field is left
    out); a given (non-null) value must agree with the last change."""
    out = dict(fields)
    for name, value in derived.values.items():
        if not name.startswith("fields."):
            continue
        key = name[7:]
        given = out.get(key)
        if given is None:
            if value is None:
                out.pop(key, None)
            else:
                out[key] = value
        elif not same_value(given, value):
            i = derived.values_at[name]
            raise TicketError(
                f"{name} disagrees with the history: events[{i}] (field-changed) leaves it "
                f"{value!r}",
                path=("fields", key),
                value=given,
            )
    return out


def _read_updates(values: object) -> dict[str, object]:
    """The field updates of :meth:`Ticket.with_fields`, their keys checked (the values are
    checked by the constructor, which names the field)."""
    if not isinstance(values, Mapping):
        raise TicketError("field updates must be a mapping", path=("fields",), value=values)
    out: dict[str, object] = {}
    value: object  # declared: mypyc infers None for it from the loop alone
    for name, value in values.items():
        if type(name) is not str:
            raise TicketError("field names are strings", path=("fields",), value=name)
        if name in _FIXED:
            raise TicketError(_FIXED[name], path=(name,), value=value)
        if name.startswith("fields."):
            problem = _text_problem(name[7:])
            if problem is not None:  # the key as given, not the custom field's name alone
                raise TicketError(f"names no custom field: {problem}", path=(name,), value=name)
        elif name not in _UPDATABLE_SET:
            raise unknown_name("field", name, name, (*UPDATABLE_FIELDS, "fields.<name>"), (name,))
        if name == "kind" and value is None:
            raise TicketError("a ticket always has a kind", path=(name,), value=value)
        if name == "regulatory_flags" and value is None:
            raise TicketError(
                "regulatory_flags is a list (an empty one clears it)", path=(name,), value=value
            )
        out[name] = value
    return out


#: The top-level fields :meth:`Ticket.with_fields` takes (besides ``fields.<name>``).
UPDATABLE_FIELDS = (
    "kind",
    "status",
    *TEXT_FIELDS,
    "customer.id",
    "customer.tier",
    "customer.vip",
    "regulatory_flags",
    "reassignment_count",
    "reopen_count",
)
_UPDATABLE_SET = frozenset(UPDATABLE_FIELDS)
# Keys a ticket has that no update changes, and why.
_FIXED = {
    "id": "the id names the ticket: an update cannot change it",
    "opened_at": "opened_at is when the ticket was opened: an update cannot change it",
    "events": "the history grows only through an update's events",
}


def _check_text(path: tuple[str | int, ...], text: object) -> None:
    """A TicketError unless ``text`` is a name: a non-blank line that hides nothing."""
    problem = _text_problem(text)
    if problem is not None:
        raise TicketError(problem, path=path, value=text)


def _text_problem(text: object) -> str | None:
    """What is wrong with ``text`` as a name, or ``None``."""
    if type(text) is not str:
        return "must be a non-blank string"
    return label_problem(text)


def _sequence(name: str, values: object) -> tuple[object, ...]:
    """``values`` as a tuple; a :class:`TicketError` when it is not a sequence of them."""
    if isinstance(values, str | bytes):
        raise TicketError(f"{name} must be a sequence, not one string", path=(name,), value=values)
    if isinstance(values, Mapping) or not isinstance(values, Iterable):
        raise TicketError(f"{name} must be a sequence", path=(name,), value=values)
    return tuple(values)


def _check_fields(fields: Mapping[str, FieldValue]) -> None:
    """Custom fields are named by non-empty strings and hold strings, 64-bit integers,
    booleans or ``None`` (what :meth:`Ticket.from_mapping` reads)."""
    if not isinstance(fields, Mapping):
        raise TicketError("fields must be a mapping", path=("fields",), value=fields)
    for key, value in fields.items():
        _check_text(("fields",), key)
        problem = field_value_problem(value)
        if problem is not None:
            raise TicketError(problem, path=("fields", key), value=value)


def _count(name: str, given: int | None, derived: int) -> int:
    if given is None:
        return derived
    if isinstance(given, bool) or not isinstance(given, int) or not 0 <= given <= MAX_INT:
        raise TicketError(f"{name} must be an integer from 0 to 2**63-1", path=(name,), value=given)
    return given
