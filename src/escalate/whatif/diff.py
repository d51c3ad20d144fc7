"""What-if diff: how the decisions of two policies differ for the same tickets at an instant.

:func:`compare` lists the differences between two decisions for one ticket as
:class:`Change` values; :func:`diff` evaluates a corpus of tickets with both policies and
compares each pair. Decisions are compared as their snapshots (:mod:`escalate.whatif.snapshot`)
without the policy itself: the policy's id, version and content hash and the input digest
differ between any two policies and say nothing about a ticket. Action ids are compared as
they are, because they are the idempotency keys a caller records in ``action-done`` events:
they name the rule or the rung, the path level and the instant, so renaming a rule or
reordering a ladder changes them, and actions already recorded done would be due again. An
action whose id alone changed is reported as such.

A policy that refuses a ticket (a :class:`~escalate.errors.TicketError`: a priority its
``terminology`` does not know, a status it does not list) is a result, not an error of the
diff: finding the tickets an edit breaks is what a what-if is for. When only one policy
refuses, the ticket's one change is a ``refusal`` (the ticket differs); when both do, it does
not differ, and its :class:`TicketDiff` keeps both messages.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from escalate._frozen import freeze, thaw
from escalate.calendars._instants import checked_utc
from escalate.engine.compiled import Policy
from escalate.engine.decision import Decision, iso
from escalate.engine.ticket import Ticket
from escalate.errors import ArgumentError, TicketError
from escalate.people.availability import Availability
from escalate.whatif.snapshot import snapshot

__all__ = [
    "DIFF_FORMAT",
    "Change",
    "Outcome",
    "PolicyDiff",
    "TicketDiff",
    "compare",
    "diff",
    "outcome",
]

#: What a policy makes of a ticket: its decision, or the error with which it refuses it.
Outcome = Decision | TicketError

#: The version of :meth:`PolicyDiff.to_dict`'s layout (``"format"`` in the output).
DIFF_FORMAT = 1

# The order changes are listed in, and the fields of clocks and paths that matter most first.
_CLOCK_FIELDS = ("state", "definition", "target", "calendar", "breached", "breach_at")
_PATH_FIELDS = ("active", "level", "round", "entered_at", "reason", "next_move_at")
_VENDOR_FIELDS = (
    "engaged",
    "engaged_at",
    "penalty_total",
    "currency",
    "response.breached",
    "resolution.breached",
    "response.target",
    "resolution.target",
    "cap_reached",
    "contact_level",
)


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two decisions for a ticket. A value: immutable, hashable.

    ``what`` is ``segment``, ``priority``, ``rule`` (``name`` the rule id; ``before`` and
    ``after`` its status, ``None`` when it did not match), ``path`` and ``clock`` (``name``
    the path or clock, ``field`` the field of its decision JSON that differs, or ``applies``
    with ``before`` and ``after`` ``True`` or ``False`` for a path or clock only one decision
    has: a segment's own, a scoped clock out of scope), ``action-added`` and
    ``action-removed`` (``name`` the action id; ``after`` or ``before`` the action's JSON),
    ``action`` (the same id with a different ``field``), ``action-id`` (an action with the
    same kind, source, due instant and targets under a new id: ``before`` and ``after`` the
    ids), ``missed-added``, ``missed-removed``, ``withdrawn-added``, ``withdrawn-removed`` and
    ``next_evaluation_at``, and ``vendor`` (``name`` the vendor id, ``field`` the field of its
    state that differs: ``penalty_total``, ``response.breached``, ``penalties.<clause>``, ...,
    or ``applies``). ``before`` and ``after`` are JSON values (instants as ISO text in
    UTC), mappings read-only and lists tuples so that a change stays hashable; ``to_dict()``
    gives them back as plain JSON data.
    """

    what: str
    name: str | None = None
    field: str | None = None
    before: Any = None
    after: Any = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``what``, ``name``, ``field``, ``before``, ``after``."""
        return {
            "what": self.what,
            "name": self.name,
            "field": self.field,
            "before": _plain(self.before),
            "after": _plain(self.after),
        }

    def __str__(self) -> str:
        before, after = _plain(self.before), _plain(self.after)
        if self.what in ("action-added", "action-removed"):
            action = after if self.what == "action-added" else before
            sign = "+" if self.what == "action-added" else "-"
            return f"{sign} action {_action(action)} (id {self.name})"
        if self.what.startswith(("missed-", "withdrawn-")):
            sign = "+" if self.what.endswith("-added") else "-"
            kind = self.what.split("-")[0]
            return f"{sign} {kind} {_short(after if sign == '+' else before)}"
        if self.what == "refusal":
            return f"old: {_outcome(before)}; new: {_outcome(after)}"
        if self.what == "action-id":
            return (
                f"action id {before} -> {after} (action-done events recorded under the old id "
                "no longer match it)"
            )
        subject = self.what if self.name is None else f"{self.what} {self.name}"
        field = "" if self.field is None else f" {self.field}"
        return f"{subject}:{field} {_short(before)} -> {_short(after)}"


@dataclass(frozen=True, slots=True)
class TicketDiff:
    """The differences for one ticket: its ``ticket_id`` (``None`` for a ticket both policies
    refuse that has no readable id), ``source`` (where it was read from, when the caller says;
    else ``None``), ``changes`` (empty: the decisions agree) and ``old_refusal`` and
    ``new_refusal``: the error message with which each policy refuses the ticket (``None``:
    it decides). A value: immutable, hashable."""

    ticket_id: str | None
    changes: tuple[Change, ...]
    source: str | None = None
    old_refusal: str | None = None
    new_refusal: str | None = None

    @property
    def differs(self) -> bool:
        """Whether the two decisions differ."""
        return bool(self.changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``ticket``, ``source``, ``changes`` and ``refused``: ``old`` and ``new``,
        each policy's refusal message or ``None``."""
        return {
            "ticket": self.ticket_id,
            "source": self.source,
            "changes": [change.to_dict() for change in self.changes],
            "refused": {"old": self.old_refusal, "new": self.new_refusal},
        }


@dataclass(frozen=True, slots=True)
class PolicyDiff:
    """The result of :func:`diff`: the ``old`` and ``new`` policies, the instant ``at`` and
    one :class:`TicketDiff` per ticket, in the corpus order. Immutable."""

    old: Policy
    new: Policy
    at: datetime
    tickets: tuple[TicketDiff, ...]

    @property
    def differing(self) -> tuple[TicketDiff, ...]:
        """The tickets whose decisions differ."""
        return tuple(t for t in self.tickets if t.differs)

    @property
    def refused_by_both(self) -> tuple[TicketDiff, ...]:
        """The tickets both policies refuse (they do not differ, but neither decides)."""
        return tuple(
            t for t in self.tickets if t.old_refusal is not None and t.new_refusal is not None
        )

    def to_dict(self) -> dict[str, Any]:
        """Stable JSON-ready form: the policies, the instant, the counts and every ticket."""
        return {
            "format": DIFF_FORMAT,
            "old": _label(self.old),
            "new": _label(self.new),
            "at": iso(self.at),
            "tickets": len(self.tickets),
            "differ": len(self.differing),
            "refused_by_both": len(self.refused_by_both),
            "results": [t.to_dict() for t in self.tickets],
        }

    def text(self) -> str:
        """A readable summary: how many tickets differ, then each one's changes, then the
        tickets both policies refuse."""
        old, new = _label(self.old), _label(self.new)
        both = self.refused_by_both
        lines = [
            f"{old['id']} v{old['version']} ({old['source']}) -> {new['id']} v{new['version']} "
            f"({new['source']}) at {iso(self.at)}",
            f"{len(self.tickets)} ticket{'s' if len(self.tickets) != 1 else ''}, "
            f"{len(self.differing)} differ"
            + (f", {len(both)} refused by both policies" if both else ""),
        ]
        for ticket in self.differing:
            where = "" if ticket.source is None else f" ({ticket.source})"
            lines.append(f"ticket {ticket.ticket_id}{where}:")
            lines += [f"  {change}" for change in ticket.changes]
        if both:
            lines.append("refused by both policies:")
            for ticket in both:
                where = "" if ticket.source is None else f" ({ticket.source})"
                name = "ticket" if ticket.ticket_id is None else f"ticket {ticket.ticket_id}"
                if ticket.new_refusal == ticket.old_refusal:
                    lines.append(f"  {name}{where}: {ticket.old_refusal}")
                else:
                    lines.append(f"  {name}{where}:")
                    lines.append(f"    old: {ticket.old_refusal}")
                    lines.append(f"    new: {ticket.new_refusal}")
        return "\n".join(lines)


def _label(policy: Policy) -> dict[str, str]:
    """What a diff says of a policy: id, version, content hash and source."""
    return {
        "id": policy.id,
        "version": policy.version,
        "hash": policy.content_hash,
        "source": policy.source,
    }


def diff(
    old: Policy,
    new: Policy,
    tickets: Iterable[Ticket | Mapping[str, Any]],
    *,
    at: datetime,
    availability: Availability | Mapping[str, Any] | None = None,
) -> PolicyDiff:
    """Evaluate every ticket with ``old`` and ``new`` at ``at`` and compare the decisions.

    A ticket given as a mapping is read by each policy with its own empty-value markers. A
    policy that refuses a ticket (:class:`~escalate.errors.TicketError`) is part of the
    result (see :func:`compare`); any other error is raised.
    """
    at = checked_utc(at, "at")
    availability = Availability.from_mapping(availability)
    if isinstance(tickets, str | bytes | Mapping | Ticket) or not isinstance(tickets, Iterable):
        raise ArgumentError(
            f"tickets must be a list (or other iterable) of tickets, got {type(tickets).__name__}"
        )
    results = []
    for ticket in tickets:
        before = outcome(old, ticket, at, availability)
        after = outcome(new, ticket, at, availability)
        results.append(compare(before, after, ticket_id=_ticket_id(ticket)))
    return PolicyDiff(old, new, at, tuple(results))


def outcome(
    policy: Policy, ticket: Ticket | Mapping[str, Any], at: datetime, availability: Availability
) -> Outcome:
    """``policy``'s decision for ``ticket`` at ``at``, or the :class:`TicketError` with which
    it refuses the ticket."""
    try:
        return policy.evaluate(ticket, now=at, availability=availability)
    except TicketError as exc:
        return exc


def compare(
    old: Outcome, new: Outcome, *, source: str | None = None, ticket_id: str | None = None
) -> TicketDiff:
    """The differences from decision ``old`` to decision ``new`` for the same ticket.

    Either may be the :class:`~escalate.errors.TicketError` with which its policy refuses
    the ticket: one refusal is the ticket's one change (``refusal``); two are no change.
    ``ticket_id`` names the ticket when neither policy decides (by default, the id of the
    decision).
    """
    if isinstance(old, TicketError) or isinstance(new, TicketError):
        return _refusals(old, new, source, ticket_id)
    a, b = snapshot(old), snapshot(new)
    changes: list[Change] = []
    for key in ("segment", "priority"):
        if a[key] != b[key]:
            changes.append(Change(key, before=a[key], after=b[key]))
    changes += _rules(a["rules"], b["rules"])
    changes += _named("path", a["paths"], b["paths"], _PATH_FIELDS)
    changes += _named("clock", a["clocks"], b["clocks"], _CLOCK_FIELDS)
    changes += _actions(a["actions"], b["actions"])
    for key in ("missed", "withdrawn"):
        changes += _listed(key, a.get(key, []), b.get(key, []))
    if "vendors" in a or "vendors" in b:
        changes += _vendors(a.get("vendors"), b.get("vendors"))
    if a["next_evaluation_at"] != b["next_evaluation_at"]:
        changes.append(
            Change(
                "next_evaluation_at", before=a["next_evaluation_at"], after=b["next_evaluation_at"]
            )
        )
    return TicketDiff(new.ticket_id, tuple(changes), source)


def _refusals(old: Outcome, new: Outcome, source: str | None, ticket_id: str | None) -> TicketDiff:
    """The diff of a ticket that one policy or both refuse."""
    before = str(old) if isinstance(old, TicketError) else None
    after = str(new) if isinstance(new, TicketError) else None
    decided = old if isinstance(old, Decision) else new if isinstance(new, Decision) else None
    changes = (
        ()
        if before is not None and after is not None
        else (Change("refusal", before=before, after=after),)
    )
    name = decided.ticket_id if decided is not None else ticket_id
    return TicketDiff(name, changes, source, before, after)


def _ticket_id(ticket: Ticket | Mapping[str, Any]) -> str | None:
    """The id of a ticket as given, when it has one that is text (for a ticket no policy
    reads)."""
    if isinstance(ticket, Ticket):
        return ticket.id
    name = ticket.get("id") if isinstance(ticket, Mapping) else None
    return name if isinstance(name, str) else None


def _outcome(refusal: str | None) -> str:
    return "decides" if refusal is None else f"refuses: {refusal}"


def _rules(old: Mapping[str, str], new: Mapping[str, str]) -> list[Change]:
    return [
        Change("rule", name, before=old.get(name), after=new.get(name))
        for name in sorted({*old, *new})
        if old.get(name) != new.get(name)
    ]


def _named(
    what: str, old: list[dict[str, Any]], new: list[dict[str, Any]], first: tuple[str, ...]
) -> list[Change]:
    """Field by field, for the clocks or paths of both decisions, matched by name (the new
    decision's order, then those only the old one has)."""
    before = {item["name"]: item for item in old}
    after = {item["name"]: item for item in new}
    changes = []
    for name in [*after, *(n for n in before if n not in after)]:
        x, y = before.get(name), after.get(name)
        if x is None or y is None:
            changes.append(Change(what, name, "applies", before=x is not None, after=y is not None))
            continue
        fields = [*first, *sorted(k for k in {*x, *y} if k not in first and k != "name")]
        changes += [
            Change(what, name, key, before=freeze(x.get(key)), after=freeze(y.get(key)))
            for key in fields
            if x.get(key) != y.get(key)
        ]
    return changes


def _actions(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[Change]:
    before = {item["id"]: item for item in old}
    after = {item["id"]: item for item in new}
    removed = [item for key, item in before.items() if key not in after]
    added = [item for key, item in after.items() if key not in before]
    changes = []
    # An action that only changed its id: same kind, source, due instant and targets. Several
    # actions can share that (two notices of one rule with different templates): they pair
    # in the order each decision lists them, and whatever is left over was added or removed.
    renamed: dict[tuple[str, ...], deque[dict[str, Any]]] = {}
    for item in added:
        renamed.setdefault(_identity(item), deque()).append(item)
    paired: set[str] = set()
    for item in removed:
        twins = renamed.get(_identity(item))
        if not twins:
            changes.append(Change("action-removed", item["id"], before=freeze(item)))
            continue
        twin = twins.popleft()
        paired.add(twin["id"])
        changes.append(Change("action-id", twin["id"], "id", before=item["id"], after=twin["id"]))
        changes += _fields(twin["id"], item, twin)
    for item in added:
        if item["id"] not in paired:
            changes.append(Change("action-added", item["id"], after=freeze(item)))
    for key in sorted(set(before) & set(after)):
        changes += _fields(key, before[key], after[key])
    return changes


def _vendors(old: list[dict[str, Any]] | None, new: list[dict[str, Any]] | None) -> list[Change]:
    """Per vendor (by id), the fields of its state that differ: the penalty total, breaches and
    targets first, then every other field (clock fields as ``response.<field>``, each clause's
    amount as ``penalties.<clause>``); a vendor only one policy declares is an ``applies``
    change, as for clocks and paths. A policy without vendors lists none."""
    before = {v["vendor"]: _flat_vendor(v) for v in old or ()}
    after = {v["vendor"]: _flat_vendor(v) for v in new or ()}
    changes = []
    for name in [*after, *(n for n in before if n not in after)]:
        x, y = before.get(name), after.get(name)
        if x is None or y is None:
            changes.append(
                Change("vendor", name, "applies", before=x is not None, after=y is not None)
            )
            continue
        rest = sorted(k for k in {*x, *y} if k not in _VENDOR_FIELDS)
        changes += [
            Change("vendor", name, key, before=freeze(x.get(key)), after=freeze(y.get(key)))
            for key in (*_VENDOR_FIELDS, *rest)
            if x.get(key) != y.get(key)
        ]
    return changes


def _flat_vendor(state: Mapping[str, Any]) -> dict[str, Any]:
    """A vendor state one level deep: ``response.breached``, ``penalties.late-response``."""
    flat: dict[str, Any] = {}
    for key, value in state.items():
        if key == "vendor":
            continue
        if key in ("response", "resolution") and isinstance(value, Mapping):
            flat.update({f"{key}.{k}": v for k, v in value.items() if k != "clock"})
        elif key == "penalties" and isinstance(value, list):
            flat.update({f"penalties.{p['clause']}": p["amount"] for p in value})
        else:
            flat[key] = value
    return flat


def _identity(action: Mapping[str, Any]) -> tuple[str, ...]:
    return (action["kind"], action["source"], action["due_at"], json.dumps(action["targets"]))


def _fields(key: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """The fields of one action that differ; those of its ``details`` one by one."""
    changes = []
    for name in sorted({*old, *new} - {"id"}):
        x, y = old.get(name), new.get(name)
        if x == y:
            continue
        if name == "details" and isinstance(x, dict) and isinstance(y, dict):
            changes += [
                Change(
                    "action", key, f"details.{k}", before=freeze(x.get(k)), after=freeze(y.get(k))
                )
                for k in sorted({*x, *y})
                if x.get(k) != y.get(k)
            ]
        else:
            changes.append(Change("action", key, name, before=freeze(x), after=freeze(y)))
    return changes


def _listed(what: str, old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[Change]:
    """Items of a list (missed actions, withdrawn breaches) in one decision and not the other."""
    x = [freeze(item) for item in old]
    y = [freeze(item) for item in new]
    return [Change(f"{what}-removed", before=item) for item in x if item not in y] + [
        Change(f"{what}-added", after=item) for item in y if item not in x
    ]


def _plain(value: Any) -> Any:
    """A change's value as JSON-ready data (read-only mappings and tuples thawed)."""
    return thaw(value)


def _action(action: Mapping[str, Any]) -> str:
    to = f" -> {', '.join(action['targets'])}" if action["targets"] else ""
    return f"{action['kind']}{to} [{action['source']}] due {action['due_at']}"


def _short(value: Any) -> str:
    """A JSON value as a change line shows it: text as it is, the rest as JSON."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)
