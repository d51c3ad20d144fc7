"""A ticket's event history: the event value, its rules, and the fold that replays it.

History semantics, in short:

* Events are ordered by ``at``: non-decreasing, none before ``opened_at``. Events at the same
  instant keep their given order, and ``state_at(t)`` includes every event with ``at <= t``.
* Status events are ``status-changed`` (payload ``status``), ``resolved`` (sets ``resolved``),
  ``closed`` (sets ``closed``) and ``reopened`` (sets ``in-progress`` unless it names another
  status that is not ``resolved``/``closed``/``cancelled``). The ticket's ``status``, when given,
  must equal the status after the last of them; when not given it is derived (default ``new``).
  Statuses are names the ticketing system uses: a ticket takes any name (the built-in ones of
  :data:`STATUSES` or a policy's own, e.g. ``waiting-for-customer``); the policy that evaluates
  it maps each to a canonical status and category, and refuses names it does not know
  (:mod:`escalate.engine.statuses`). ``resolved``/``closed`` events may name a policy's own
  status of that category (``done``). ``TicketState.resolved_at`` knows only the built-in
  ``resolved`` and ``closed``; the engine uses the policy's categories.
* ``priority-changed`` sets the (raw, unmapped) priority; ``assigned`` sets the assignment group
  and/or the assignee, each independently. A given ``priority``, ``assignment_group`` or
  ``assignee`` must equal the value the last such event set; when not given it is derived.
* ``field-changed`` sets one other field (:data:`HISTORY_FIELDS`, or a custom field
  ``fields.<name>``) from ``from_value`` (JSON ``from``: checked against the value so far when
  an earlier event set it; ``None`` when not known) to ``to_value`` (JSON ``to``; ``None`` clears
  the field). On ``assignment_group`` and ``assignee`` it is an assignment that may also clear;
  ``status`` and ``priority`` change only through their own events (``status-changed``,
  ``priority-changed``), which carry more meaning (clocks, ``resolved_at``). The ticket's field,
  when given, must equal the last ``to``; when not given it is derived.
* Before the first event that sets it, a value is: ``new`` for the status; for the priority the
  first ``priority-changed`` event's ``from_priority``, or, when the event does not say, the
  ticket's (current) ``priority`` -- the history does not tell what it was; for a field that
  ``field-changed`` events set, likewise the first one's ``from``, else the ticket's field;
  ``None`` for the group and the assignee (unless a first ``field-changed`` on them names its
  ``from``). A value no event sets is the ticket's field throughout.
* ``reassignment_count`` (when not given) counts the events that set a group other than the last
  group set before it (A→B→A→C is 3; clearing the group counts nothing, and A→cleared→B counts
  one); ``reopen_count`` counts ``reopened`` events. Given
  counters win: the ticketing system may know history it did not send. :class:`Fold` shifts
  its counters by the difference, as if that history lay before the first event.

This module knows nothing of :class:`~escalate.engine.ticket.Ticket`: the ticket calls
:func:`check_history` when it is built and :meth:`Fold.of` when first asked (:meth:`Ticket.state_at`
looks states up in its rows).
"""

from __future__ import annotations

import bisect
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import cast

from escalate._models import MAX_INT, MIN_INT, label_problem, text_problem
from escalate.calendars._instants import EPOCH, MAX_US, MIN_US, ONE_US, OUT_OF_RANGE, to_us
from escalate.errors import NaiveDatetimeError, TicketError, suggest

__all__ = [
    "BOOLEAN_TEXT",
    "EVENT_JSON_KEYS",
    "EVENT_PAYLOAD",
    "EVENT_REQUIRED",
    "EVENT_TYPES",
    "HISTORY_FIELDS",
    "POSTMORTEM_CHANGES",
    "POSTMORTEM_DOCUMENT",
    "STATUSES",
    "Derived",
    "Event",
    "FieldChanges",
    "Fold",
    "Row",
    "TicketState",
    "Value",
    "check_history",
    "iso",
    "read_boolean",
    "same_value",
    "unknown_name",
]

Path = tuple[str | int, ...]
#: The value of a custom field or of a ``field-changed`` event: no floats, no nesting.
Value = str | int | bool | None
#: A TicketState's values, in field order, with the number of ``action-done`` events so far in
#: place of their ids, then the number of events applied and the history's field changes
#: (shared by every row; see :class:`Fold`).
Row = tuple[
    str,
    str | None,
    str | None,
    str | None,
    datetime | None,
    datetime | None,
    int,
    int,
    int,
    int,
    "FieldChanges | None",
]
_NO_VALUES: Mapping[str, Value] = MappingProxyType({})

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
    "field-changed",
    "milestone",
    "postmortem",
)
#: What a ``postmortem`` event records (its ``change``): the post-mortem's owner (and due
#: date), an action item recorded or updated, an item done or dropped, the document published.
POSTMORTEM_CHANGES = ("assigned", "item", "item-done", "item-dropped", "published")
#: The item id the post-mortem document's own threshold actions use (``{ticket}:postmortem:
#: document#...``): no action item may take it.
POSTMORTEM_DOCUMENT = "document"
#: The optional text fields of a ticket other than its priority (which has its own event).
TEXT_FIELDS_BUT_PRIORITY = (
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
#: The ticket fields a ``field-changed`` event may name (besides custom ``fields.<name>``).
HISTORY_FIELDS = (*TEXT_FIELDS_BUT_PRIORITY, "customer.id", "customer.tier", "customer.vip")
# Fields with their own event: field-changed on them is refused, naming the event to use.
_DEDICATED = {"status": "status-changed", "priority": "priority-changed"}
_HISTORY_FIELD_SET = frozenset(HISTORY_FIELDS)
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
    "party",
    "field",
    "from_value",
    "to_value",
    "text",
    "milestone",
    "change",
    "owner",
    "item",
    "title",
    "due",
)
# Payload attributes whose JSON key differs (``from`` is a Python keyword).
_JSON_KEY = {"from_value": "from", "to_value": "to"}
# Who did it (``actor``) may be recorded on any event: audits need it everywhere.
_ALLOWED: dict[str, tuple[str, ...]] = {
    "created": ("actor",),
    "status-changed": ("status", "actor"),
    "assigned": ("group", "assignee", "actor"),
    "acknowledged": ("actor", "path", "party"),
    "first-response": ("actor",),
    "customer-reply": ("actor",),
    "agent-update": ("actor",),
    "priority-changed": ("priority", "from_priority", "actor"),
    "resolved": ("status", "actor"),
    "reopened": ("status", "actor"),
    "closed": ("status", "actor"),
    "action-done": ("action_id", "actor"),
    "override": ("actor", "reason", "path", "level"),
    "comment": ("actor", "text"),
    "field-changed": ("field", "from_value", "to_value", "actor"),
    "milestone": ("milestone", "actor", "reason"),
    "postmortem": ("change", "owner", "item", "title", "due", "reason", "actor"),
}
# Per event type: a getter of the payload keys it does not take, and what they must all be.
_PAYLOAD_RULES: dict[str, tuple[Callable[[Event], object], tuple[None, ...]]] = {}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "status-changed": ("status",),
    "priority-changed": ("priority",),
    "action-done": ("action_id",),
    "override": ("actor", "reason", "path", "level"),
    "field-changed": ("field",),
    "milestone": ("milestone",),
    "postmortem": ("change",),
}
# Per post-mortem change: the payload keys it requires and those it takes (``actor`` too).
_POSTMORTEM_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "assigned": (("owner",), ("owner", "due")),
    "item": (("item", "title", "owner"), ("item", "title", "owner", "due")),
    "item-done": (("item",), ("item",)),
    "item-dropped": (("item", "reason"), ("item", "reason")),
    "published": ((), ()),
}
_IMPLIED_STATUS = {"resolved": "resolved", "closed": "closed", "reopened": "in-progress"}
_STATUS_EVENTS = frozenset({"status-changed", *_IMPLIED_STATUS})

#: Per event type, the payload keys it takes (``actor`` everywhere) and those it requires.
EVENT_PAYLOAD: Mapping[str, tuple[str, ...]] = MappingProxyType(_ALLOWED)
EVENT_REQUIRED: Mapping[str, tuple[str, ...]] = MappingProxyType(_REQUIRED)
#: The JSON key of each payload attribute (``from_value`` is ``from``, ``to_value`` is ``to``).
EVENT_JSON_KEYS: Mapping[str, str] = MappingProxyType(
    {key: _JSON_KEY.get(key, key) for key in _PAYLOAD}
)


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
    * ``acknowledged``: ``actor``; ``path``, the escalation path whose page it answers (then
      it answers that path's only, and is not the ticket's acknowledgement); ``party``, who
      acknowledged as an organisation (``vendor``), only with ``path``: on a vendor's path
      ``vendor`` or the vendor's id is the vendor's response (engine/vendors.py).
    * ``first-response``: ``actor``, optional.
    * ``action-done``: ``action_id`` (required) and ``actor``.
    * ``override``: ``actor``, ``reason``, ``path`` and ``level`` (all required): a person moved
      the escalation path ``path`` to ``level``.
    * ``field-changed``: ``field`` (required: one of :data:`HISTORY_FIELDS` or
      ``fields.<name>``), ``from_value`` (the value before, when known) and ``to_value`` (the
      new value; ``None`` clears the field).
    * ``comment``: ``text``, the comment (free text, may span lines; optional) and ``actor``.
    * ``milestone``: ``milestone`` (required: a name such as ``gdpr-aware``, matched exactly by
      clock triggers ``event: milestone:<name>`` and the ``milestones`` fact), ``actor`` and
      ``reason`` (free text, e.g. the reasons for a late notification). Declared last, so
      positional construction of the other fields is unchanged.
    * ``postmortem``: ``change`` (required, one of :data:`POSTMORTEM_CHANGES`) and what that
      change takes: ``assigned`` an ``owner`` (required) and a ``due`` instant; ``item`` an
      ``item`` id (a lower-case id), its ``title`` and ``owner`` (required) and a ``due``
      instant; ``item-done`` the ``item``; ``item-dropped`` the ``item`` and a ``reason``
      (required); ``published`` nothing. An ``item-done`` or ``item-dropped`` names an item an
      earlier ``item`` event recorded, still open; ``item`` events on an open item update it.
      Follow-up after the incident (docs/postmortems.md); declared after ``milestone``.

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
    party: str | None = None
    field: str | None = None
    from_value: Value = None
    to_value: Value = None
    text: str | None = None
    milestone: str | None = None
    change: str | None = None
    owner: str | None = None
    item: str | None = None
    title: str | None = None
    due: datetime | None = None

    def __post_init__(self) -> None:
        if self.status is None:
            implied = _IMPLIED_STATUS.get(self.type)
            if implied is not None:
                object.__setattr__(self, "status", implied)

    def to_dict(self) -> dict[str, object]:
        """The event as JSON-ready data: ``at`` in UTC ISO-8601, ``type``, the payload that is set.

        The index is left out: it is the position in the ``events`` list. A ``field-changed``
        event always has ``to`` (``None`` when it clears the field).

        >>> Event(3, datetime(2024, 6, 3, 9, tzinfo=UTC), "action-done", action_id="a1").to_dict()
        {'action_id': 'a1', 'at': '2024-06-03T09:00:00+00:00', 'type': 'action-done'}
        """
        out: dict[str, object] = {"at": iso(self.at), "type": self.type}
        for key in _PAYLOAD:
            value = getattr(self, key)
            if value is not None:
                out[_JSON_KEY.get(key, key)] = iso(value) if key == "due" else value
        if self.type == "field-changed":
            out["to"] = self.to_value
        return dict(sorted(out.items()))


class FieldChanges:
    """What a history's ``field-changed`` events set, per field (other than the group and the
    assignee): the value before the first change, the positions of the events that change it
    and the value after each. :class:`Fold` builds it in one pass; a state looks a field up
    with one binary search, so the fold stays linear however many fields change."""

    __slots__ = ("at", "initial", "values")

    def __init__(self, initial: Mapping[str, Value]) -> None:
        self.initial: dict[str, Value] = dict(initial)
        self.at: dict[str, list[int]] = {name: [] for name in initial}
        self.values: dict[str, list[Value]] = {name: [] for name in initial}

    def value(self, name: str, k: int) -> Value:
        """The value of field ``name`` once the first ``k`` events have been applied."""
        n = bisect.bisect_left(self.at[name], k)  # changes among events 0 .. k-1
        return self.values[name][n - 1] if n else self.initial[name]


class TicketState:
    """What a ticket looked like at one instant (see :meth:`Ticket.state_at`).

    ``acknowledged_at`` is the last acknowledgement naming no path since the last reopen (one
    that names a path answers that path's page only); ``resolved_at`` is the
    instant the ticket last entered ``resolved`` or ``closed`` from another status, ``None``
    while it is in neither (or when the history does not show when it got there).
    ``done_action_ids`` are the ids of the ``action-done`` events so far; a state read from a
    ticket builds that set when first asked for, so looking states up stays linear in the
    history. ``history_fields`` holds, for each other field that ``field-changed`` events change
    (``category``, ``customer.tier``, ``fields.u_x`` ...), its value at this instant (``None``:
    empty); fields the history does not change are not in it. Frozen, hashable, compared by
    value.
    """

    __slots__ = ("_done", "_fields", "_ids", "_row")
    _row: Row  # the fields, in order, how many of the history's done ids are done, k, changes
    _ids: frozenset[str] | None  # built when first asked for
    _done: tuple[str, ...]  # the history's done ids, until then
    _fields: Mapping[str, Value]  # set when first asked for (from the row's field changes)

    def __new__(cls, *args: object, **kwargs: object) -> TicketState:
        # An instance with no attributes set, for from_row; a class method may not
        # call object.__new__ on a class mypyc compiles, so that call lives here.
        return object.__new__(cls)

    def __init__(
        self,
        status: str,
        priority: str | None,
        assignment_group: str | None,
        assignee: str | None,
        acknowledged_at: datetime | None,
        resolved_at: datetime | None,
        reassignment_count: int,
        reopen_count: int,
        done_action_ids: frozenset[str] = frozenset(),
        history_fields: Mapping[str, Value] = _NO_VALUES,
    ) -> None:
        row = (status, priority, assignment_group, assignee, acknowledged_at, resolved_at)
        object.__setattr__(self, "_row", (*row, reassignment_count, reopen_count, 0, 0, None))
        object.__setattr__(self, "_ids", frozenset(done_action_ids))
        object.__setattr__(self, "_done", ())
        object.__setattr__(self, "_fields", MappingProxyType(dict(sorted(history_fields.items()))))

    @classmethod
    def from_row(cls, row: Row, done: tuple[str, ...]) -> TicketState:
        """The state a :class:`Fold` row describes; ``done`` are the history's done ids."""
        state = cls.__new__(cls)
        object.__setattr__(state, "_row", row)
        object.__setattr__(state, "_ids", None)
        object.__setattr__(state, "_done", done)  # shared: sliced only when asked for
        return state

    @property
    def status(self) -> str:
        """The status (canonical)."""
        return self._row[0]

    @property
    def priority(self) -> str | None:
        """The raw priority, as the ticketing system wrote it (``None`` when unknown)."""
        return self._row[1]

    @property
    def assignment_group(self) -> str | None:
        """The assignment group, or ``None``."""
        return self._row[2]

    @property
    def assignee(self) -> str | None:
        """The assignee, or ``None``."""
        return self._row[3]

    @property
    def acknowledged_at(self) -> datetime | None:
        """The last acknowledgement naming no path since the last reopen, or ``None``."""
        return self._row[4]

    @property
    def resolved_at(self) -> datetime | None:
        """When the ticket last entered ``resolved`` or ``closed``, or ``None``."""
        return self._row[5]

    @property
    def reassignment_count(self) -> int:
        """Reassignments so far (given counters included)."""
        return self._row[6]

    @property
    def reopen_count(self) -> int:
        """Reopens so far (given counters included)."""
        return self._row[7]

    @property
    def done_action_ids(self) -> frozenset[str]:
        """The ids of the ``action-done`` events so far."""
        ids = self._ids
        if ids is None:
            ids = frozenset(self._done[: self._row[8]])
            object.__setattr__(self, "_ids", ids)
            object.__setattr__(self, "_done", ())
        return ids

    @property
    def history_fields(self) -> Mapping[str, Value]:
        """The values of the fields ``field-changed`` events change, as of this state, sorted
        by name (built when first asked for)."""
        try:
            return self._fields
        except AttributeError:  # a state read from a ticket: built on the first read
            changes, k = self._row[10], self._row[9]
            fields = _NO_VALUES
            if changes is not None:
                found = {name: changes.value(name, k) for name in sorted(changes.initial)}
                fields = MappingProxyType(found)
            object.__setattr__(self, "_fields", fields)
            return fields

    def field_value(self, name: str) -> Value:
        """The value of one field ``field-changed`` events change, as of this state (``None``
        for a field they do not change): one binary search, whatever the history's length."""
        changes = self._row[10]
        if changes is None:
            return self.history_fields.get(name)  # a state built by hand, or no changes
        return changes.value(name, self._row[9]) if name in changes.initial else None

    def _values(self) -> tuple[object, ...]:
        fields = tuple(self.history_fields.items())
        return (*self._row[:8], self.done_action_ids, fields)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"TicketState is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"TicketState is immutable: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TicketState):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        names = (*_STATE_FIELDS, "done_action_ids", "history_fields")
        values = (*self._values()[:-1], dict(self.history_fields))
        fields = ", ".join(f"{name}={value!r}" for name, value in zip(names, values, strict=True))
        return f"TicketState({fields})"


_STATE_FIELDS = (
    "status",
    "priority",
    "assignment_group",
    "assignee",
    "acknowledged_at",
    "resolved_at",
    "reassignment_count",
    "reopen_count",
)


for _kind, _allowed in _ALLOWED.items():
    _forbidden = [key for key in _PAYLOAD if key not in _allowed]
    _PAYLOAD_RULES[_kind] = (operator.attrgetter(*_forbidden), (None,) * len(_forbidden))

# --------------------------------------------------------------------------------------------
# History checks (constructor)
# --------------------------------------------------------------------------------------------


class Derived:
    """What the history says the ticket's fields are; ``*_at`` name the event that set them.

    ``times`` are the event instants in UTC microseconds (for :meth:`Ticket.state_at`);
    ``values`` and ``values_at`` hold the same for the fields ``field-changed`` events set
    (other than the group and the assignee), by name.
    """

    __slots__ = (
        "assignee",
        "assignee_at",
        "group",
        "group_at",
        "items",
        "last_group",
        "priority",
        "priority_at",
        "reassignments",
        "reopens",
        "status",
        "status_at",
        "times",
        "values",
        "values_at",
    )

    def __init__(self) -> None:
        self.times: list[int] = []  # event instants, UTC microseconds
        self.status: str | None = None
        self.priority: str | None = None
        self.group: str | None = None
        self.last_group: str | None = None  # the last group set (clears do not count)
        self.assignee: str | None = None
        self.status_at = self.priority_at = self.group_at = self.assignee_at = -1
        self.reassignments = self.reopens = 0
        self.values: dict[str, Value] = {}
        self.values_at: dict[str, int] = {}
        # Post-mortem action items: id -> (the event that first recorded it, the event that
        # closed it: done or dropped; -1 while open).
        self.items: dict[str, tuple[int, int]] = {}

    def copy(self) -> Derived:
        """A copy to fold more events onto (this one stays as it is)."""
        out = Derived()
        out.times = list(self.times)
        out.status, out.priority, out.group = self.status, self.priority, self.group
        out.last_group, out.assignee = self.last_group, self.assignee
        out.status_at, out.priority_at = self.status_at, self.priority_at
        out.group_at, out.assignee_at = self.group_at, self.assignee_at
        out.reassignments, out.reopens = self.reassignments, self.reopens
        out.values, out.values_at = dict(self.values), dict(self.values_at)
        out.items = dict(self.items)
        return out

    def set_group(self, group: str | None, i: int) -> None:
        """Event ``i`` sets the group (``None`` clears it); count a reassignment."""
        if group is not None:
            self.reassignments += reassigns(self.last_group, group)
            self.last_group = group
        self.group, self.group_at = group, i


def check_history(
    opened_at: datetime, events: tuple[Event, ...], base: Derived | None = None
) -> Derived:
    """Check the history's order and payloads and fold it into the values it implies.

    Raises :class:`~escalate.errors.TicketError` naming ``events[i]`` and the key: indexes that
    are not positions, events out of time order or before ``opened_at``, naive instants,
    unknown types and statuses, payload keys a type does not take or misses.

    ``base``, when given, is what this function returned for the first events of
    ``events`` (a history this one extends): those are trusted, only the rest are checked,
    and ``base`` is left as it was.
    """
    previous = _aware_us(opened_at, ("opened_at",))
    out = Derived() if base is None else base.copy()
    times = out.times
    first = len(times)
    if first:
        previous = times[-1]
    for i in range(first, len(events)):
        event = events[i]
        if type(event) is not Event and not isinstance(event, Event):
            raise TicketError(
                "events must be escalate Event values (read mappings with from_mapping)",
                path=("events", i),
                value=event,
            )
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
        if us > MAX_US:  # (none is before opened_at, which is checked below)
            _aware_us(event.at, ("events", i, "at"))  # raises the TicketError
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
            raise unknown_name("event type", kind, kind, EVENT_TYPES, ("events", i, "type"))
        if rule[0](event) != rule[1]:
            _reject_payload(event, i)
        if kind in _REQUIRED:
            for key in _REQUIRED[kind]:
                if getattr(event, key) is None:
                    raise TicketError(
                        f"{kind!r} events need {key!r}", path=("events", i, key), value=None
                    )
        for key in _NAME_KEYS:
            value = getattr(event, key)
            if value is not None and (type(value) is not str or label_problem(value)):
                _reject_name(value, ("events", i, key), multiline=False)
        if kind == "milestone":
            problem = milestone_problem(cast(str, event.milestone))
            if problem is not None:
                raise TicketError(
                    f"a milestone event's name: {problem}",
                    path=("events", i, "milestone"),
                    value=event.milestone,
                )
        elif kind == "postmortem":
            _check_postmortem(out, event, i)
        if event.reason is not None and (
            type(event.reason) is not str or text_problem(event.reason, multiline=True)
        ):
            _reject_name(event.reason, ("events", i, "reason"), multiline=True)
        if event.text is not None and (
            type(event.text) is not str or text_problem(event.text, multiline=True)
        ):
            _reject_name(event.text, ("events", i, "text"), multiline=True)
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
                out.set_group(group, i)
            if assignee is not None:
                out.assignee, out.assignee_at = assignee, i
        elif kind == "reopened":
            out.reopens += 1
        elif kind == "acknowledged" and event.party is not None and event.path is None:
            raise TicketError(
                "an acknowledgement by a 'party' names the 'path' whose page it answers",
                path=("events", i, "party"),
                value=event.party,
            )
        elif kind == "field-changed":
            _change_field(out, event, i)
    return out


#: A milestone's name: a lower-case id, the pattern policies use for ids (``gdpr-aware``).
#: Clock triggers (``milestone:<name>``) and the ``milestones`` fact match it exactly, so a
#: name that differs only in case or spacing would silently start no legal clock.
_MILESTONE = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")


def milestone_problem(name: str, *, what: str = "") -> str | None:
    """Why ``name`` is refused as a milestone name (or, with ``what``, as another id written
    the same way: a post-mortem item), or ``None``.

    >>> milestone_problem("gdpr-aware") is None, milestone_problem("GDPR-aware") is not None
    (True, True)
    """
    if _MILESTONE.fullmatch(name):
        return None
    if what:
        return (
            f"{what} is a lower-case id: letters a-z and digits, words joined by '-' or '_' "
            "(e.g. 'fix-dns-ttl'); it is part of action ids and later events name it exactly"
        )
    return (
        "a milestone name is a lower-case id: letters a-z and digits, words joined by '-' "
        "or '_' (e.g. 'gdpr-aware'); clock triggers and the 'milestones' fact match it "
        "exactly, so a misspelt one would start no clock"
    )


def _check_postmortem(out: Derived, event: Event, i: int) -> None:
    """Check a ``postmortem`` event's payload against its ``change`` and the items recorded
    so far, and record what it does to them in ``out``."""
    change = event.change
    keys = _POSTMORTEM_KEYS.get(change) if type(change) is str else None
    if keys is None:
        raise unknown_name(
            "post-mortem change",
            change,
            change if type(change) is str else "",
            POSTMORTEM_CHANGES,
            ("events", i, "change"),
        )
    required, taken = keys
    for key in ("owner", "item", "title", "due", "reason"):
        value = getattr(event, key)
        if value is not None and key not in taken:
            raise TicketError(
                f"a post-mortem {change!r} event takes no {key!r} (it takes: "
                f"{', '.join(taken) or 'nothing but actor'})",
                path=("events", i, key),
                value=value,
            )
        if value is None and key in required:
            raise TicketError(
                f"a post-mortem {change!r} event needs {key!r}", path=("events", i, key), value=None
            )
    if event.due is not None:
        _aware_us(event.due, ("events", i, "due"))  # aware and in range, or the TicketError
    item = event.item
    if item is None:
        return
    problem = milestone_problem(item, what="an action item id")
    if problem is None and item == POSTMORTEM_DOCUMENT:
        problem = (
            f"{POSTMORTEM_DOCUMENT!r} names the post-mortem document itself in action ids; "
            "give the item another id"
        )
    if problem is not None:
        raise TicketError(f"a post-mortem item: {problem}", path=("events", i, "item"), value=item)
    found = out.items.get(item)
    if change == "item":
        if found is None:
            out.items[item] = (i, -1)
        elif found[1] >= 0:
            raise TicketError(
                f"item {item!r} was closed by events[{found[1]}]; an item done or dropped stays "
                "so (record the new work as a new item)",
                path=("events", i, "item"),
                value=item,
            )
        return
    if found is None:
        hint = suggest(item, sorted(out.items))
        known = ", ".join(sorted(out.items)) or "none yet"
        raise TicketError(
            f"{change} names an item no earlier 'item' event recorded (items: {known})"
            + (f" (did you mean {hint!r}?)" if hint else ""),
            path=("events", i, "item"),
            value=item,
        )
    if found[1] >= 0:
        raise TicketError(
            f"item {item!r} was already closed by events[{found[1]}]",
            path=("events", i, "item"),
            value=item,
        )
    out.items[item] = (found[0], i)


# The payload keys that hold names (status is checked against the statuses; reason is prose).
_NAME_KEYS = (
    "priority",
    "from_priority",
    "group",
    "assignee",
    "actor",
    "action_id",
    "path",
    "level",
    "party",
    "milestone",
    "owner",
    "title",
)


def _reject_name(value: object, path: Path, *, multiline: bool) -> None:
    """Raise the TicketError saying why ``value`` is not a name (or prose, ``multiline``):
    the rule the ticket format applies to the same key, for events built in Python."""
    if type(value) is not str:
        raise TicketError("must be a non-blank string", path=path, value=value)
    problem = text_problem(value, multiline=True) if multiline else label_problem(value)
    raise TicketError(problem or "must be a non-blank string", path=path, value=value)


def _change_field(out: Derived, event: Event, i: int) -> None:
    """Check a ``field-changed`` event against the history so far and apply it to ``out``."""
    name: str | None  # declared: mypyc infers None for it from the unpacking alone
    name, before, after = event.field, event.from_value, event.to_value
    where: Path = ("events", i, "field")
    if not isinstance(name, str):
        raise TicketError("'field' must be a field name", path=where, value=name)
    if name in _DEDICATED:
        raise TicketError(
            f"{name} changes through {_DEDICATED[name]!r} events, not 'field-changed'",
            path=where,
            value=name,
        )
    if name.startswith("fields."):
        problem = label_problem(name[7:]) if name[7:] else "custom field name is empty"
        if problem is not None:
            raise TicketError(problem, path=where, value=name)
        check = _custom_value_problem
    elif name in _HISTORY_FIELD_SET:
        check = _vip_problem if name == "customer.vip" else _text_problem
    else:
        raise unknown_name("field", name, name, (*HISTORY_FIELDS, "fields.<name>"), where)
    for key, value, optional in (("from", before, True), ("to", after, False)):
        problem = check(value, optional)
        if problem is not None:
            raise TicketError(problem, path=("events", i, key), value=value)
    known: Value
    if name == "assignment_group":
        known, last = out.group, out.group_at
    elif name == "assignee":
        known, last = out.assignee, out.assignee_at
    else:
        known, last = out.values.get(name), out.values_at.get(name, -1)
    if before is not None and last >= 0 and not same_value(before, known):
        raise TicketError(
            f"'from' disagrees with the value events[{last}] set ({known!r})",
            path=("events", i, "from"),
            value=before,
        )
    if name == "assignment_group":
        out.set_group(cast("str | None", after), i)
    elif name == "assignee":
        out.assignee, out.assignee_at = cast("str | None", after), i
    else:
        out.values[name], out.values_at[name] = after, i


#: The strings read as booleans, compared ignoring case (nothing else is a boolean).
BOOLEAN_TEXT: Mapping[str, bool] = MappingProxyType(
    {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}
)


def read_boolean(value: object) -> bool | None:
    """A boolean from ``True``/``False`` or one of its usual string forms (:data:`BOOLEAN_TEXT`,
    any case, no surrounding spaces); ``None`` for anything else.

    >>> read_boolean("Yes"), read_boolean("0"), read_boolean(True), read_boolean("y")
    (True, False, True, None)
    """
    if type(value) is bool:
        return value
    if type(value) is str:
        return BOOLEAN_TEXT.get(value.lower())
    return None


def same_value(a: Value, b: Value) -> bool:
    """Whether two field values are equal and of one type (``True`` is not ``1``).

    >>> same_value(True, 1), same_value("a", "a"), same_value(None, None)
    (False, True, True)
    """
    return type(a) is type(b) and a == b


def _text_problem(value: Value, optional: bool) -> str | None:
    if value is None:
        return None
    if type(value) is not str:
        return "must be a string or null (null clears the field)"
    return label_problem(value)


def _vip_problem(value: Value, optional: bool) -> str | None:
    if type(value) is bool or (optional and value is None):
        return None
    return "customer.vip changes to true or false"


def field_value_problem(value: object) -> str | None:
    """Why ``value`` cannot be a custom field's value, or ``None``: values are strings,
    booleans, ``None`` or integers of 64 bits (what ticketing systems and JSON peers store)."""
    if value is None or isinstance(value, str):
        return None
    if isinstance(value, int):  # bool is an int
        if MIN_INT <= value <= MAX_INT:
            return None
        return "custom field values that are integers must fit in 64 bits (-2**63 to 2**63-1)"
    return "custom field values must be strings, integers, booleans or null (no floats)"


def _custom_value_problem(value: Value, optional: bool) -> str | None:
    return field_value_problem(value)


def _reject_payload(event: Event, i: int) -> None:
    """Raise for the first payload key ``event`` sets that its type does not take."""
    kind = event.type
    allowed = _ALLOWED[kind]
    for key in _PAYLOAD:
        value = getattr(event, key)
        if value is not None and key not in allowed:
            name = _JSON_KEY.get(key, key)
            raise TicketError(
                f"{kind!r} events take no {name!r} (payload keys allowed: "
                f"{', '.join(_JSON_KEY.get(k, k) for k in allowed) or 'none'})",
                path=("events", i, name),
                value=value,
            )


def _check_status(event: Event, i: int) -> None:
    """The rules of the built-in names: ``resolved`` and ``closed`` events set no other built-in
    status, a ``reopened`` event none of the ended ones. Other names are a policy's own
    statuses: the policy checks their categories when it evaluates the ticket."""
    status, kind = event.status, event.type
    if type(status) is not str:
        raise TicketError("a status must be a name", path=("events", i, "status"), value=status)
    if kind == "reopened":
        if status in _NOT_REOPENABLE_TO:
            raise TicketError(
                "a reopened ticket is open: it cannot be reopened into "
                + ", ".join(sorted(_NOT_REOPENABLE_TO)),
                path=("events", i, "status"),
                value=status,
            )
    elif kind in _IMPLIED_STATUS and status != kind and status in _STATUS_SET:
        raise TicketError(
            f"a {kind!r} event sets status {kind!r} (or a status of that category a policy "
            "declares)",
            path=("events", i, "status"),
            value=status,
        )


def _aware_us(at: datetime, path: Path) -> int:
    """``at`` in microseconds; a TicketError unless it is an aware instant in range."""
    try:
        us = to_us(at)
    except (NaiveDatetimeError, TypeError):
        raise TicketError(
            "must be an aware datetime (escalate never guesses whether a naive time is UTC "
            "or local)",
            path=path,
            value=at,
        ) from None
    if not MIN_US <= us <= MAX_US:
        raise TicketError(f"instant {OUT_OF_RANGE}", path=path, value=at)
    return us


# --------------------------------------------------------------------------------------------
# The fold (state_at)
# --------------------------------------------------------------------------------------------


# The values a fold starts from: status, priority, group, assignee, the changed fields' values.
_Start = tuple[str, str | None, str | None, str | None, dict[str, Value]]


class _Firsts:
    """The events of a history that decide where its fold starts: whether any sets the
    status, and the first that sets the priority, the group, the assignee and each other
    field (where a :class:`Fold` starts). ``n`` events were looked at; a longer history
    that begins with them looks only at the rest (:meth:`of`)."""

    __slots__ = ("any_status", "assignee", "fields", "group", "n", "priority")

    def __init__(self) -> None:
        self.n = 0
        self.any_status = False
        self.priority: Event | None = None
        self.group: Event | None = None
        self.assignee: Event | None = None
        self.fields: dict[str, Event] = {}

    @classmethod
    def of(cls, events: Sequence[Event], base: _Firsts | None) -> _Firsts:
        """The firsts of ``events``, which begin with the ``base.n`` events ``base`` saw."""
        out = cls()
        if base is not None:
            out.n, out.any_status = base.n, base.any_status
            out.priority, out.group, out.assignee = base.priority, base.group, base.assignee
            out.fields = dict(base.fields)
        fields = out.fields
        for i in range(out.n, len(events)):
            event = events[i]
            kind = event.type
            if kind in _STATUS_EVENTS:
                out.any_status = True
            elif kind == "priority-changed":
                if out.priority is None:
                    out.priority = event
            elif kind == "assigned":
                if out.group is None and event.group is not None:
                    out.group = event
                if out.assignee is None and event.assignee is not None:
                    out.assignee = event
            elif kind == "field-changed":
                name = event.field
                if name == "assignment_group":
                    if out.group is None:
                        out.group = event
                elif name == "assignee":
                    if out.assignee is None:
                        out.assignee = event
                elif name is not None and name not in fields:
                    fields[name] = event
        out.n = len(events)
        return out

    def start(
        self,
        status: str,
        priority: str | None,
        group: str | None,
        assignee: str | None,
        fields: Mapping[str, Value],
    ) -> _Start:
        """Where the fold starts for a ticket with these (current) fields."""
        if self.any_status:
            status = "new"
        first = self.priority
        if first is not None and first.from_priority is not None:
            priority = first.from_priority
        initial = dict(fields)
        for name in initial:
            change = self.fields.get(name)
            if change is not None and change.from_value is not None:
                initial[name] = change.from_value
        return (
            status,
            priority,
            _before(self.group, group),
            _before(self.assignee, assignee),
            initial,
        )


def _before(first: Event | None, given: str | None) -> str | None:
    """The group or assignee before ``first``, the first event that sets it: a
    ``field-changed`` event's ``from``, else ``None``; ``given`` when no event sets it."""
    if first is None:
        return given
    if first.type == "assigned":
        return None
    return cast("str | None", first.from_value)


def _start_key(start: _Start) -> tuple[object, ...]:
    """``start`` comparable exactly: the field values with their types (``True`` is not
    ``1``), in name order."""
    fields = start[4]
    typed = tuple((name, type(fields[name]), fields[name]) for name in sorted(fields))
    return (*start[:4], typed)


class Fold:
    """The history folded, and where the fold stands after its last event.

    ``rows[k]`` is the state after the first ``k`` events (a :data:`Row`, or the
    :class:`TicketState` made of it once asked for) and ``done`` the ``action-done`` ids in
    order. :meth:`extended` folds a longer history that begins with the same events for a
    ticket whose fields leave the start of the fold as it was: it copies the rows and folds
    only the new events, so a ticket that grows by an update pays for the update, not for
    its whole history. A fold is never changed once built: tickets grown from one share it.
    """

    __slots__ = (
        "acknowledged_at",
        "assignee",
        "changes",
        "done",
        "extra",
        "firsts",
        "group",
        "key",
        "last_group",
        "priority",
        "reassignments",
        "reopens",
        "resolved_at",
        "rows",
        "status",
    )

    acknowledged_at: datetime | None
    assignee: str | None
    changes: FieldChanges | None
    done: list[str]
    extra: tuple[int, int]
    firsts: _Firsts
    group: str | None
    key: tuple[object, ...]
    last_group: str | None
    priority: str | None
    reassignments: int
    reopens: int
    resolved_at: datetime | None
    rows: list[TicketState | Row]
    status: str

    @classmethod
    def of(
        cls,
        events: Sequence[Event],
        *,
        status: str,
        priority: str | None,
        assignment_group: str | None,
        assignee: str | None,
        extra: tuple[int, int],
        fields: Mapping[str, Value] = _NO_VALUES,
        base: Fold | None = None,
    ) -> Fold:
        """The fold of ``events`` for a ticket with these fields: the state after each prefix
        of the history (``rows[k]``: the first ``k`` events applied) and the action ids of the
        ``action-done`` events in history order (``done``).

        ``status`` … ``assignee`` are the ticket's (current) fields, used where no event sets
        the value; ``fields`` likewise for the other fields ``field-changed`` events set, by
        name; ``extra`` is (given minus derived) reassignments and reopens, history the
        ticketing system did not send. Rows are value tuples that :meth:`Ticket.state_at` turns
        into states when first asked for; a row counts the done actions instead of copying
        their ids, and counts the events applied and shares one :class:`FieldChanges` (``None``
        when ``fields`` is empty) instead of copying the changed fields, so the fold is linear
        in the number of events.

        ``base``, when given, is the fold of the first events of ``events`` (a ticket this
        one grew from): continued when it starts where this fold would, else ignored."""
        firsts = _Firsts.of(events, None if base is None else base.firsts)
        start = firsts.start(status, priority, assignment_group, assignee, fields)
        key = (_start_key(start), extra)
        fold = cls()
        fold.firsts, fold.key, fold.extra = firsts, key, extra
        if base is not None and base.key == key:
            fold._continue(base)
            fold._fold(events, len(base.rows) - 1)
            return fold
        status, priority, group, assignee, initial = start
        changes = FieldChanges(initial) if initial else None
        fold.changes = changes
        fold.status, fold.priority = status, priority
        fold.group = fold.last_group = group
        fold.assignee = assignee
        fold.acknowledged_at = fold.resolved_at = None
        # Given counters may include history that was not sent: it lies before the first event.
        fold.reassignments, fold.reopens = extra
        fold.done = []
        fold.rows = [
            (
                status,
                priority,
                group,
                assignee,
                None,
                None,
                max(0, extra[0]),
                max(0, extra[1]),
                0,
                0,
                changes,
            )
        ]
        fold._fold(events, 0)
        return fold

    def _continue(self, base: Fold) -> None:
        """Stand where ``base`` stands, with copies of what folding on would change (the rows
        so far keep pointing at ``base``'s field changes, which hold every change they see)."""
        self.status, self.priority = base.status, base.priority
        self.group, self.last_group, self.assignee = base.group, base.last_group, base.assignee
        self.acknowledged_at, self.resolved_at = base.acknowledged_at, base.resolved_at
        self.reassignments, self.reopens = base.reassignments, base.reopens
        self.done = list(base.done)
        self.rows = list(base.rows)
        changes = base.changes
        if changes is not None:
            copy = FieldChanges(changes.initial)
            copy.at = {name: list(at) for name, at in changes.at.items()}
            copy.values = {name: list(values) for name, values in changes.values.items()}
            changes = copy
        self.changes = changes

    def _fold(self, events: Sequence[Event], first: int) -> None:
        """Fold ``events[first:]`` onto where this fold stands, a row per event."""
        status, priority = self.status, self.priority
        group, last_group, assignee = self.group, self.last_group, self.assignee
        acknowledged_at, resolved_at = self.acknowledged_at, self.resolved_at
        reassignments, reopens = self.reassignments, self.reopens
        done, rows, changes = self.done, self.rows, self.changes
        for i in range(first, len(events)):
            event = events[i]
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
                    reassignments += reassigns(last_group, event.group)
                    group = last_group = event.group
                if event.assignee is not None:
                    assignee = event.assignee
            elif kind == "acknowledged" and event.path is None:
                acknowledged_at = event.at
            elif kind == "reopened":
                reopens += 1
                acknowledged_at = None
            elif kind == "action-done":
                assert event.action_id is not None
                done.append(event.action_id)
            elif kind == "field-changed":
                name, to = event.field, event.to_value
                if name == "assignment_group":
                    group = cast("str | None", to)
                    if group is not None:
                        reassignments += reassigns(last_group, group)
                        last_group = group
                elif name == "assignee":
                    assignee = cast("str | None", to)
                elif changes is not None and name in changes.initial:
                    changes.at[name].append(i)
                    changes.values[name].append(to)
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
                    len(done),
                    i + 1,
                    changes,
                )
            )
        self.status, self.priority = status, priority
        self.group, self.last_group, self.assignee = group, last_group, assignee
        self.acknowledged_at, self.resolved_at = acknowledged_at, resolved_at
        self.reassignments, self.reopens = reassignments, reopens


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


def reassigns(last_group: str | None, group: str) -> bool:
    """Whether setting ``group`` is a reassignment: a group other than the last one set (a
    clear is not a group: A, cleared, A is none; A, cleared, B is one)."""
    return last_group is not None and group != last_group


def unknown_name(
    what: str, value: object, name: str, choices: tuple[str, ...], path: Path
) -> TicketError:
    """The error for a name outside ``choices``, with the closest one as a suggestion."""
    hint = suggest(name, choices)
    tail = f" (did you mean {hint!r}?)" if hint else ""
    return TicketError(
        f"unknown {what}; expected one of {', '.join(choices)}{tail}", path=path, value=value
    )


def iso(at: datetime) -> str:
    """An instant as ISO-8601 in UTC.

    >>> iso(datetime(2024, 6, 3, 9, tzinfo=UTC))
    '2024-06-03T09:00:00+00:00'
    """
    return at.astimezone(UTC).isoformat()
