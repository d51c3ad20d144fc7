"""Segments: which compiled variant of a policy decides a ticket, chosen by what the ticket is.

A policy with ``segments:`` holds, besides its own definitions (the base), one fully compiled
policy per segment. :func:`select` tries the segments in their declared ``precedence`` (lower
first) and returns the first whose ``when`` holds for the ticket, or ``None`` (the base
decides). Conditions read only what a ticket *is* (:data:`SEGMENT_FIELDS`, custom fields),
never its state (status, priority, assignment, clocks, paths), whose meaning a segment may
change; values are mapped through the base's terminology. Only the fields some segment reads
are looked at.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from escalate.engine.conditions import Condition
from escalate.engine.facts import custom_value
from escalate.engine.rules import PolicyView
from escalate.engine.ticket import Ticket

__all__ = ["SEGMENT_FIELDS", "Segment", "select"]

_Read = Callable[[PolicyView, Ticket], Any]


def _term(field: str, read: Callable[[Ticket], str | None]) -> _Read:
    return lambda policy, ticket: policy.canonical(field, read(ticket))


#: The fields a segment's ``when`` may read (besides ``fields.<custom>``), and how each is
#: read from a ticket.
_READERS: dict[str, _Read] = {
    "id": lambda policy, ticket: ticket.id,
    "kind": lambda policy, ticket: ticket.kind,
    "impact": _term("impact", lambda t: t.impact),
    "urgency": _term("urgency", lambda t: t.urgency),
    "severity": _term("severity", lambda t: t.severity),
    "category": _term("category", lambda t: t.category),
    "subcategory": _term("subcategory", lambda t: t.subcategory),
    "service": _term("service", lambda t: t.service),
    "configuration_item": lambda policy, ticket: ticket.configuration_item,
    "business_unit": _term("business_unit", lambda t: t.business_unit),
    "region": _term("region", lambda t: t.region),
    "service_line": _term("service_line", lambda t: t.service_line),
    "risk": _term("risk", lambda t: t.risk),
    "customer.id": lambda policy, ticket: ticket.customer.id,
    "customer.tier": _term("customer.tier", lambda t: t.customer.tier),
    "customer.vip": lambda policy, ticket: ticket.customer.vip,
    "regulatory_flags": lambda policy, ticket: frozenset(ticket.regulatory_flags),
}
SEGMENT_FIELDS = tuple(_READERS)


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment of a policy, as :attr:`escalate.Policy.segments` lists it. Read-only.

    ``id`` is its YAML id (decisions name it as ``segment``); ``precedence`` its place in the
    order segments are tried (lower first); ``when`` its compiled condition and ``fields`` the
    fields it reads; ``policy`` the complete compiled policy (an :class:`escalate.Policy`)
    that decides the tickets it selects; ``description`` its YAML ``description:``.
    """

    id: str
    precedence: int
    when: Condition
    fields: tuple[str, ...]
    policy: PolicyView
    description: str | None = None

    def __hash__(self) -> int:
        # Not the fields: a condition may hold closures.
        return hash((self.id, self.precedence))


def select(
    base: PolicyView, segments: tuple[Segment, ...], fields: tuple[str, ...], ticket: Ticket
) -> Segment | None:
    """The first of ``segments`` (in precedence order) whose condition holds for ``ticket``,
    or ``None``. ``fields`` are the fields any of them reads, read through ``base``'s
    terminology and custom field types (a :class:`~escalate.errors.TicketError` for a value
    the base does not know)."""
    facts: dict[str, Any] = {}
    custom: Mapping[str, str] = base.custom_fields
    for name in fields:
        if name.startswith("fields."):
            key = name[len("fields.") :]
            value = ticket.fields.get(key)
            facts[name] = custom_value(base.id, custom[key], value, ("fields", key))
        else:
            facts[name] = _READERS[name](base, ticket)
    for segment in segments:
        if segment.when.check(facts):
            return segment
    return None
