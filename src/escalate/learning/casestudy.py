"""Anonymised case studies: one ticket's timeline, fit for training material.

:func:`case_study` gives ``ticket.to_dict()`` (so the result reads back with
:meth:`escalate.Ticket.from_mapping`, and a policy can evaluate it again) with

* the ticket id replaced by ``ticket-<hex>`` (action ids, which start with it, follow);
* every person -- the assignee (now and in each ``assigned`` or ``field-changed`` event),
  every event's ``actor`` and a ``postmortem`` event's ``owner`` -- by ``person-<hex>``;
* the customer's id (now and in its history) by ``customer-<hex>``;
* every field the policy's ``classification:`` names by ``<class>-<hex>`` (``personal-…``,
  ``health-…``), now and in its history; a classified ``comments`` has each comment's text
  replaced by ``[withheld]``;
* then every string left (comments, reasons, unclassified fields) scrubbed of all those
  values with the comms :class:`~escalate.comms.redaction.Scrubber` -- the same matching as
  message redaction (case, accents, compatibility forms, whitespace runs), each value
  replaced by its own pseudonym, longest value first.

**Pseudonyms are stable**: ``<kind>-`` + the first ``length`` hex digits of
``sha256(salt NUL kind NUL value)``, the value case-folded with its whitespace runs made one
space (so "Jane  Roe" and "jane roe" are one person, as the scrubber treats them). The same
value and salt give the same pseudonym in every export; without the salt a reader cannot
test guesses against them. No randomness. Two different values of one export that got the
same pseudonym are an :class:`~escalate.errors.ArgumentError` (ask for a longer one).

Each value has its own scrubber (the comms scrubber replaces every value with one
placeholder; a case study needs a pseudonym per value), applied longest value first: where
two values run together in the text ("AABAaaaa" for "aaba" and "aaaa") the first replaced
can take the other's letters and leave a fragment shorter than it (``AAB<pseudonym>a``).
Inherited from redaction: string values shorter than
:data:`~escalate.comms.redaction.MIN_SCRUB_CHARS` characters are replaced in their fields but
not scrubbed from free text ("bob" also occurs in "bobbin"); give people ids of four or more
characters, or keep such comments out of case studies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from escalate.comms.models import CLASSES
from escalate.comms.redaction import Scrubber, classified_values
from escalate.engine.ticket import Ticket
from escalate.errors import ArgumentError

__all__ = ["WITHHELD", "case_study", "pseudonym"]

#: What a classified comment's text becomes.
WITHHELD = "[withheld]"


def _key(value: str) -> str:
    return " ".join(value.casefold().split())


def pseudonym(kind: str, value: str, salt: str, *, length: int = 6) -> str:
    """The stable pseudonym of ``value`` (a person, customer, ...) under ``salt``.

    >>> pseudonym("person", "Jane Roe", "s1") == pseudonym("person", "jane  ROE", "s1")
    True
    >>> pseudonym("person", "Jane Roe", "s1") == pseudonym("person", "Jane Roe", "s2")
    False
    """
    if not 4 <= length <= 64:
        raise ArgumentError(f"length must be 4 to 64 hex digits, got {length}")
    digest = hashlib.sha256(f"{salt}\0{kind}\0{_key(value)}".encode()).hexdigest()
    return f"{kind}-{digest[:length]}"


class _Names:
    """The values of one export and their pseudonyms (the first kind a value is seen as)."""

    def __init__(self, salt: str, length: int) -> None:
        self.salt = salt
        self.length = length
        self.by_key: dict[str, tuple[str, str]] = {}  # key -> (value, pseudonym)
        self.owners: dict[str, str] = {}  # pseudonym -> key

    def name(self, kind: str, value: object) -> object:
        if value is None or isinstance(value, bool):
            return value
        text = str(value)
        key = _key(text)
        if key in self.by_key:
            return self.by_key[key][1]
        made = pseudonym(kind, text, self.salt, length=self.length)
        if self.owners.setdefault(made, key) != key:
            raise ArgumentError(
                f"two values of this ticket share the pseudonym {made!r}: ask for a longer "
                f"one (length greater than {self.length})"
            )
        self.by_key[key] = (text, made)
        return made

    def scrubbers(self) -> list[Scrubber]:
        values = sorted((v for v, _ in self.by_key.values()), key=lambda v: (-len(v.strip()), v))
        return [Scrubber([v], self.by_key[_key(v)][1]) for v in values]


def _kind_of(path: str, classification: Mapping[str, str]) -> str | None:
    if path == "assignee":
        return "person"
    if path == "customer.id":
        return "customer"
    return classification.get(path)


def case_study(
    ticket: Ticket,
    *,
    salt: str,
    classification: Mapping[str, str] | None = None,
    length: int = 6,
) -> dict[str, Any]:
    """``ticket`` as JSON-ready data with people, customers and classified fields replaced by
    stable pseudonyms and free text scrubbed of them (see the module docstring).

    ``classification`` is the policy's ``classification:`` section (field path -> class, e.g.
    ``{"fields.patient_name": "health", "comments": "personal"}``); every class counts.
    """
    if not salt:
        raise ArgumentError("salt must not be empty: without one, pseudonyms can be guessed")
    classes = dict(classification or {})
    for path, kind in classes.items():
        if kind not in CLASSES:
            raise ArgumentError(
                f"classification of {path!r}: {kind!r} is not a class ({', '.join(CLASSES)})"
            )
    names = _Names(salt, length)
    data: dict[str, Any] = dict(ticket.to_dict())
    data["id"] = names.name("ticket", ticket.id)
    # classified fields first: an assignee classified as personal is still a person
    for path in sorted(classes):
        if path == "comments":
            continue
        head, _, rest = path.partition(".")
        holder = data[head] if rest else data
        key = rest or head
        if holder.get(key) is not None:
            holder[key] = names.name(_kind_of(path, classes) or classes[path], holder[key])
    for path, kind in (("assignee", "person"), ("customer.id", "customer")):
        head, _, rest = path.partition(".")
        holder = data[head] if rest else data
        key = rest or head
        holder[key] = names.name(kind, holder.get(key))
    for event in data["events"]:
        if "actor" in event:
            event["actor"] = names.name("person", event["actor"])
        if "assignee" in event:
            event["assignee"] = names.name("person", event["assignee"])
        if "owner" in event:  # a post-mortem's or an action item's owner
            event["owner"] = names.name("person", event["owner"])
        if event["type"] == "field-changed":
            changed = _kind_of(event["field"], classes)
            if changed is not None:
                for side in ("from", "to"):
                    if side in event:
                        event[side] = names.name(changed, event[side])
        if event["type"] == "comment" and "comments" in classes and "text" in event:
            event["text"] = WITHHELD
    # every value that ever sat in a classified field, also where the history never wrote it
    for value in classified_values(ticket, classes, frozenset(CLASSES)):
        names.name("value", value)
    scrubbed: dict[str, Any] = _scrub(data, names.scrubbers())
    return scrubbed


#: Keys whose values are structure (instants, names of types and fields), never scrubbed.
_STRUCTURE = frozenset({"at", "opened_at", "type", "field", "kind", "status"})


def _scrub(value: Any, scrubbers: list[Scrubber]) -> Any:
    if isinstance(value, str):
        for scrubber in scrubbers:
            value = scrubber.text(value)
        return value
    if isinstance(value, dict):
        return {k: v if k in _STRUCTURE else _scrub(v, scrubbers) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, scrubbers) for v in value]
    return value
