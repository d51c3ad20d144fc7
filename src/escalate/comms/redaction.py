"""Redaction: what an audience may read of a ticket, field by field and value by value.

Two layers, both applied to every text and export made for an audience:

1. **Field masking.** The ticket view a template reads (:func:`ticket_view`) has every field
   the policy classifies with a class the audience's profile withholds replaced by the
   profile's placeholder (comment texts too, when ``comments`` is classified).
2. **Value scrubbing.** Every string value such a field took anywhere in the history (its
   value now, each ``field-changed`` event's ``from`` and ``to``, each ``assigned`` event's
   group or assignee, each comment's text) is replaced wherever it appears in the rendered
   text or the exported decision, longest value first, as an exact, case-sensitive
   substring, in one pass; should the placeholder and the text around it happen to spell a
   value again, the values are deleted until none is left (each pass shortens the text, so
   this ends). Values shorter than :data:`MIN_SCRUB_CHARS` characters are masked in their
   field but not scrubbed from text: a one- to three-character value ("A", "P1", "yes")
   also occurs inside ordinary words and numbers, and replacing every occurrence would make
   the text unreadable without protecting anything a reader could tie to the ticket. Numbers
   and booleans are masked in their field and not scrubbed for the same reason ("2024"
   occurs in every instant).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from escalate.comms.models import CLASSES
from escalate.engine.ticket import Ticket

__all__ = [
    "MIN_SCRUB_CHARS",
    "Profile",
    "Scrubber",
    "classified_values",
    "ticket_view",
]

#: The shortest classified string value scrubbed from text (see the module docstring).
MIN_SCRUB_CHARS = 4

#: The ticket's text fields a view holds, in order.
VIEW_FIELDS = (
    "kind",
    "status",
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


@dataclass(frozen=True, slots=True)
class Profile:
    """A redaction profile: the classes withheld (``redact``) and the ``placeholder``."""

    name: str
    redact: frozenset[str]
    placeholder: str = "[redacted]"

    @classmethod
    def default(cls, audience: str) -> Profile:
        """The profile of an audience that names none: nothing withheld for ``internal``,
        every class for the others (a missing profile fails closed)."""
        if audience == "internal":
            return cls("default-internal", frozenset())
        return cls(f"default-{audience}", frozenset(CLASSES))


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def _current(ticket: Ticket, path: str) -> object:
    if path.startswith("fields."):
        return ticket.fields.get(path[len("fields.") :])
    if path == "customer.id":
        return ticket.customer.id
    if path == "customer.tier":
        return ticket.customer.tier
    if path == "customer.vip":
        return ticket.customer.vip
    return getattr(ticket, path)


def classified_values(
    ticket: Ticket, classification: Mapping[str, str], withheld: frozenset[str]
) -> tuple[str, ...]:
    """Every string value (of :data:`MIN_SCRUB_CHARS` or more characters) that a field of a
    withheld class took anywhere in ``ticket``'s history, longest first, then in text order."""
    paths = {p for p, c in classification.items() if c in withheld}
    if not paths:
        return ()
    found: set[object] = set()
    for path in paths:
        if path != "comments":
            found.add(_current(ticket, path))
    for event in ticket.events:
        kind = event.type
        if kind == "field-changed" and event.field in paths:
            found.add(event.from_value)
            found.add(event.to_value)
        elif kind == "assigned":
            if "assignee" in paths:
                found.add(event.assignee)
            if "assignment_group" in paths:
                found.add(event.group)
        elif kind == "comment" and "comments" in paths:
            found.add(event.text)
    values = {v for v in found if isinstance(v, str) and len(v) >= MIN_SCRUB_CHARS}
    return tuple(sorted(values, key=lambda v: (-len(v), v)))


class Scrubber:
    """Replaces the given values in text and in JSON-like data (see the module docstring)."""

    __slots__ = ("_pattern", "_placeholder")

    def __init__(self, values: Iterable[str], placeholder: str) -> None:
        ordered = sorted(set(values), key=lambda v: (-len(v), v))
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        # A placeholder that holds a value would put it back: delete instead.
        self._placeholder = placeholder
        if self._pattern is not None and self._pattern.search(placeholder):
            self._placeholder = ""

    def text(self, text: str) -> str:
        """``text`` with every value replaced, and none left."""
        pattern = self._pattern
        if pattern is None:
            return text
        out = pattern.sub(self._placeholder, text)
        while pattern.search(out) is not None:  # spelt again across a placeholder's edge
            out = pattern.sub("", out)
        return out

    def data(self, value: Any) -> Any:
        """JSON-like ``value`` with :meth:`text` applied to every string, keys included."""
        if self._pattern is None:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.data(k): self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value


def ticket_view(
    ticket: Ticket,
    priority: str | None,
    classification: Mapping[str, str],
    profile: Profile,
    field_names: Iterable[str] = (),
) -> dict[str, Any]:
    """The ticket as a template reads it (plain data: instants as ISO text in UTC), every
    field of a class ``profile`` withholds masked with its placeholder.

    ``priority`` is the decision's canonical priority; ``field_names`` are custom fields that
    are present (``None``) even when the ticket lacks them (those templates declare).
    """
    fields: dict[str, Any] = dict.fromkeys(field_names)
    fields.update(ticket.fields)
    view: dict[str, Any] = {
        "id": ticket.id,
        "priority": priority,
        "opened_at": _iso(ticket.opened_at),
        **{name: getattr(ticket, name) for name in VIEW_FIELDS},
        "regulatory_flags": list(ticket.regulatory_flags),
        "reassignment_count": ticket.reassignment_count,
        "reopen_count": ticket.reopen_count,
        "customer": {
            "id": ticket.customer.id,
            "tier": ticket.customer.tier,
            "vip": ticket.customer.vip,
        },
        "fields": dict(sorted(fields.items())),
        "comments": [
            {"at": _iso(e.at), "text": e.text} for e in ticket.events if e.type == "comment"
        ],
    }
    mask = profile.placeholder
    for path, kind in classification.items():
        if kind not in profile.redact:
            continue
        if path == "comments":
            for comment in view["comments"]:
                if comment["text"] is not None:
                    comment["text"] = mask
            continue
        head, _, rest = path.partition(".")
        holder = view[head] if rest else view
        key = rest or head
        if holder.get(key) is not None:
            holder[key] = mask
    return view
