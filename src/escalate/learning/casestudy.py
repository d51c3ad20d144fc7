"""Anonymised case studies: one ticket's timeline, fit for training material.

:func:`case_study` gives ``ticket.to_dict()`` (so the result reads back with
:meth:`escalate.Ticket.from_mapping`, and a policy can evaluate it again) with

* the ticket id replaced by ``ticket-<hex>``, also where action ids start with it
  (``<id>:rule:...``, rewritten whatever the id's length);
* every person -- the assignee (now and in each ``assigned`` or ``field-changed`` event),
  every event's ``actor`` and a ``postmortem`` event's ``owner`` -- by ``person-<hex>``;
* the customer's id (now and in its history) by ``customer-<hex>``;
* every field the policy's ``classification:`` names (the ticket fields
  :data:`escalate.comms.messages.CLASSIFIABLE` lists, or ``fields.<name>``; another path is
  an :class:`~escalate.errors.ArgumentError`) by ``<class>-<hex>`` (``personal-…``,
  ``health-…``), now and in its history: its ``field-changed`` events, and the ``assigned``
  events when it is the assignment group or the assignee; a classified value that is not a
  string (a number, a yes/no, a list) by ``[withheld]`` -- a pseudonym of ``True`` would
  tell every reader who knows one such ticket the value of all -- and a classified
  ``customer.vip``, which a ticket must give as yes or no, by ``false``; a classified
  ``comments`` has each comment's text replaced by ``[withheld]``;
* then every string left (comments, reasons, unclassified fields) scrubbed of all those
  values with the comms :class:`~escalate.comms.redaction.Scrubber` -- the same matching as
  message redaction (case, accents, compatibility forms, whitespace runs), each value
  replaced by its own pseudonym, longest value first.

**Pseudonyms are stable**: ``<kind>-`` + the first ``length`` (default 12) hex digits of
``sha256(salt NUL value)``, the value folded as redaction folds it
(:func:`escalate.comms.redaction.fold`: case, accents, compatibility forms, whitespace runs
made one space: "José  Roe" and "jose roe" are one person, as the scrubber treats them). The
kind is a label, not part of the digest: the same value and salt give the same digits in
every export, whatever it was seen as there. Within one export a value seen as several kinds
takes the first of person, customer, the classes (personal, health, security,
internal-only), ticket. Without the salt a reader cannot test guesses against them. No
randomness. Two different values of one export that got the same pseudonym are an
:class:`~escalate.errors.ArgumentError` (ask for a longer one); 12 hex digits (48 bits) make
that unlikely even across a million people.

Each value has its own scrubber (the comms scrubber replaces every value with one
placeholder; a case study needs a pseudonym per value), applied longest value first: where
two values run together in the text ("AABAaaaa" for "aaba" and "aaaa") the first replaced
can take the other's letters and leave a fragment shorter than it (``AAB<pseudonym>a``).
Inherited from redaction: string values shorter than
:data:`~escalate.comms.redaction.MIN_SCRUB_CHARS` characters -- a ticket id ``42``, a person
``ann`` -- are replaced in their fields (and action ids) but not scrubbed from free text
("bob" also occurs in "bobbin"); give people ids of four or more characters, or keep such
comments out of case studies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from escalate.comms.messages import CLASSIFIABLE
from escalate.comms.models import CLASSES
from escalate.comms.redaction import Scrubber, classified_values, fold
from escalate.engine.ticket import Ticket
from escalate.errors import ArgumentError

__all__ = ["DEFAULT_LENGTH", "WITHHELD", "case_study", "pseudonym"]

#: What a classified comment's text, or a classified value that is not a string, becomes.
WITHHELD = "[withheld]"
#: The hex digits of a pseudonym unless asked otherwise.
DEFAULT_LENGTH = 12
#: The kinds a value may be seen as, the one it keeps first.
_PRECEDENCE = ("person", "customer", *CLASSES, "ticket", "value")


def pseudonym(kind: str, value: str, salt: str, *, length: int = DEFAULT_LENGTH) -> str:
    """The stable pseudonym of ``value`` (a person, customer, ...) under ``salt``: ``kind``
    is its label; the digits depend on the folded value and the salt only.

    >>> pseudonym("person", "José Roe", "s1") == pseudonym("person", "jose  ROE", "s1")
    True
    >>> pseudonym("person", "Jane Roe", "s1")[7:] == pseudonym("personal", "Jane Roe", "s1")[9:]
    True
    >>> pseudonym("person", "Jane Roe", "s1") == pseudonym("person", "Jane Roe", "s2")
    False
    """
    _check_length(length)
    digest = hashlib.sha256(f"{salt}\0{fold(value)}".encode()).hexdigest()
    return f"{kind}-{digest[:length]}"


def _check_length(length: object) -> None:
    if isinstance(length, bool) or not isinstance(length, int) or not 4 <= length <= 64:
        raise ArgumentError(f"length must be 4 to 64 hex digits, got {length!r}")


class _Names:
    """The values of one export, the kind each is seen as first (:data:`_PRECEDENCE`), and
    their pseudonyms."""

    def __init__(self, salt: str, length: int) -> None:
        self.salt = salt
        self.length = length
        self.kinds: dict[str, tuple[int, str]] = {}  # key -> (precedence, value)
        self.made: dict[str, str] = {}  # key -> pseudonym

    def see(self, kind: str, value: object) -> None:
        """Note that ``value`` (a string) is seen as ``kind``."""
        if not isinstance(value, str):
            return
        key = fold(value)
        rank = _PRECEDENCE.index(kind)
        if key not in self.kinds or rank < self.kinds[key][0]:
            self.kinds[key] = (rank, value)

    def settle(self) -> None:
        """Give every value seen its pseudonym; refuse two values sharing one."""
        owners: dict[str, str] = {}
        for key, (rank, value) in sorted(self.kinds.items()):
            made = pseudonym(_PRECEDENCE[rank], value, self.salt, length=self.length)
            if owners.setdefault(made[made.rindex("-") + 1 :], key) != key:
                raise ArgumentError(
                    f"two values of this ticket share the pseudonym {made!r}: ask for a "
                    f"longer one (length greater than {self.length})"
                )
            self.made[key] = made

    def name(self, value: object) -> object:
        """The pseudonym of a string seen before; other values as they are."""
        if not isinstance(value, str):
            return value
        return self.made[fold(value)]

    def scrubbers(self) -> list[Scrubber]:
        values = sorted((v for _, v in self.kinds.values()), key=lambda v: (-len(v.strip()), v))
        return [Scrubber([v], self.made[fold(v)]) for v in values]


def _check(classification: Mapping[str, str] | None) -> dict[str, str]:
    classes = dict(classification or {})
    for path, kind in classes.items():
        if not isinstance(path, str) or not (
            path in CLASSIFIABLE or (path.startswith("fields.") and len(path) > len("fields."))
        ):
            raise ArgumentError(
                f"classification names {path!r}, which is not a ticket field a classification "
                f"can name ({', '.join(CLASSIFIABLE)}, fields.<custom field>)"
            )
        if kind not in CLASSES:
            raise ArgumentError(
                f"classification of {path!r}: {kind!r} is not a class ({', '.join(CLASSES)})"
            )
    return classes


def _holder(data: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    """The mapping of ``data`` holding ``path`` and the key in it."""
    head, _, rest = path.partition(".")
    if rest and head in ("fields", "customer"):
        return data[head], rest
    return data, path


def _kind_of(path: str, classes: Mapping[str, str]) -> str | None:
    """The kind a value of ``path`` is seen as (``None``: not replaced)."""
    if path == "assignee":
        return "person"
    if path == "customer.id":
        return "customer"
    return classes.get(path)


def case_study(
    ticket: Ticket,
    *,
    salt: str,
    classification: Mapping[str, str] | None = None,
    length: int = DEFAULT_LENGTH,
) -> dict[str, Any]:
    """``ticket`` as JSON-ready data with people, customers and classified fields replaced by
    stable pseudonyms and free text scrubbed of them (see the module docstring).

    ``classification`` is the policy's ``classification:`` section (field path -> class, e.g.
    ``{"fields.patient_name": "health", "comments": "personal"}``); every class counts.
    """
    if not isinstance(salt, str) or not salt:
        raise ArgumentError("salt must not be empty: without one, pseudonyms can be guessed")
    classes = _check(classification)
    _check_length(length)
    names = _Names(salt, length)
    data: dict[str, Any] = dict(ticket.to_dict())
    events: list[dict[str, Any]] = data["events"]
    paths = sorted({*classes, "assignee", "customer.id"} - {"comments"})
    # 1. what each value is seen as, over the whole ticket, before any is named
    names.see("ticket", ticket.id)
    for path in paths:
        kind = _kind_of(path, classes)
        if kind is not None:
            holder, key = _holder(data, path)
            names.see(kind, holder.get(key))
    for event in events:
        names.see("person", event.get("actor"))
        names.see("person", event.get("assignee"))
        names.see("person", event.get("owner"))  # a post-mortem's or an action item's owner
        if event["type"] == "assigned" and "assignment_group" in classes:
            names.see(classes["assignment_group"], event.get("group"))
        if event["type"] == "field-changed":
            kind = _kind_of(event["field"], classes)
            if kind is not None:
                names.see(kind, event.get("from"))
                names.see(kind, event.get("to"))
    # every value that ever sat in a classified field, also where the history never wrote it
    for value in classified_values(ticket, classes, frozenset(CLASSES)):
        names.see("value", value)
    names.settle()
    # 2. replace them
    data["id"] = names.name(ticket.id)
    for path in paths:
        holder, key = _holder(data, path)
        if key in holder:
            holder[key] = _replaced(path, holder[key], names)
    prefix = f"{ticket.id}:"
    for event in events:
        for side in ("actor", "assignee", "owner"):
            if side in event:
                event[side] = names.name(event[side])
        if event["type"] == "assigned" and "assignment_group" in classes and "group" in event:
            event["group"] = names.name(event["group"])
        if event["type"] == "field-changed" and _kind_of(event["field"], classes) is not None:
            for side in ("from", "to"):
                if side in event:
                    event[side] = _replaced(event["field"], event[side], names)
        if event["type"] == "comment" and "comments" in classes and "text" in event:
            event["text"] = WITHHELD
        action_id = event.get("action_id")
        if isinstance(action_id, str) and action_id.startswith(prefix):
            event["action_id"] = f"{data['id']}:{action_id[len(prefix) :]}"
    scrubbed: dict[str, Any] = _scrub(data, names.scrubbers())
    return scrubbed


def _replaced(path: str, value: object, names: _Names) -> object:
    """A classified (or person, customer) field's value as the export writes it."""
    if value is None:
        return None
    if path == "customer.vip":
        return False
    if isinstance(value, str):
        return names.name(value)
    return WITHHELD


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
