"""Authority: may this person take this decision on this ticket at this instant, and why.

:meth:`Policy.authorize <escalate.Policy.authorize>` asks; :func:`authorize_at` answers from
what the caller has already worked out: the directory, and each path's state as of the
instant (from an evaluation of the ticket as of then). Authority comes from three sources,
each named in :attr:`Authorization.grounds`:

* the person's own ``authority`` labels (``directory.people.<id>.authority``);
* the ``authority`` of every role the person fills at the instant (a role filled by a
  person, a team's members or on-call people, or a schedule's on-call people, resolved as
  the engine resolves a level's targets, availability and backups included);
* the ``authority`` of the level a path is at, at that instant, for the people the engine
  paged for it then (its targets with backups, ``on_empty`` fallback or skip, the
  unacknowledged fallback once ``ack_within`` passed): a level grants its authority while
  the path is there, not after it moved on; a level entered through an unauthorised
  override grants nothing.

``spend`` is granted by a ``spend_limit`` (the person's own or a role's) of at least the
amount, in the limit's currency; labels alone never grant spending. Every other action is
a label: the five of :data:`ACTIONS` and any custom label a policy uses (``spend-up-to:
10000``, ``declare-major-incident``) are matched as written.

Nothing here reads a clock or does I/O.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from escalate._models import label_problem
from escalate.calendars._instants import checked_utc
from escalate.engine.governance import OverrideCheck
from escalate.engine.history import TEXT_FIELDS_BUT_PRIORITY
from escalate.engine.paths import PathDef, PathState
from escalate.engine.targets import resolve_level, unacknowledged_targets
from escalate.engine.ticket import Customer, Ticket
from escalate.errors import ArgumentError, shown
from escalate.people.availability import Availability
from escalate.people.directory import Directory, SpendLimit

__all__ = [
    "ACTIONS",
    "Authorization",
    "Standing",
    "action_near_miss",
    "authority_before",
    "authorize_at",
    "parse_amount",
    "ticket_as_of",
    "ticket_before",
]

#: The actions escalate names; any other non-blank label is a custom authority.
ACTIONS = (
    "override-escalation",
    "pause-clock",
    "approve-emergency-change",
    "engage-vendor",
    "spend",
)


def action_near_miss(label: str) -> str | None:
    """The built-in action ``label`` looks like a misspelling of (case, spaces, underscores,
    a letter or two), ``None`` when it is one or looks like none."""
    if label in ACTIONS:
        return None
    folded = re.sub(r"[\s_]+", "-", label.strip().lower())
    if folded in ACTIONS:
        return folded
    close = difflib.get_close_matches(folded, ACTIONS, n=1, cutoff=0.85)
    return close[0] if close else None


_AMOUNT = re.compile(r"([0-9]{1,15}(?:\.[0-9]{1,6})?)(?: ([A-Z]{3}))?")


@dataclass(frozen=True, slots=True)
class Authorization:
    """The answer of :meth:`Policy.authorize <escalate.Policy.authorize>`. A value.

    ``allowed`` whether ``actor`` may take ``action`` at ``at`` (UTC); ``grounds`` every
    source of authority that grants it, in a fixed order (own labels, roles by id, paths in
    declaration order), each a readable phrase such as ``person:alice authority`` or
    ``role:incident-manager (filled via schedule:network-oncall at 2024-06-03T09:00:00+00:00)``
    (empty when not allowed); ``reason`` one sentence saying why; ``amount`` and
    ``currency`` the amount asked for ``spend`` (``currency`` is the one given with the
    amount, else the currency of the limit that grants it; ``None`` otherwise).
    """

    actor: str
    action: str
    allowed: bool
    grounds: tuple[str, ...]
    reason: str
    at: datetime
    amount: Decimal | None = None
    currency: str | None = None

    def __bool__(self) -> bool:
        return self.allowed

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: instants as ISO-8601 text, the amount as a string."""
        out: dict[str, Any] = {
            "actor": self.actor,
            "action": self.action,
            "allowed": self.allowed,
            "grounds": list(self.grounds),
            "reason": self.reason,
            "at": self.at.isoformat(),
        }
        if self.amount is not None:
            out["amount"] = plain(self.amount)
            out["currency"] = self.currency
        return out


def parse_amount(amount: object) -> tuple[Decimal, str | None]:
    """An amount of money as ``(Decimal, currency or None)``: a finite, positive ``Decimal``,
    or a string of digits with an optional decimal part and an optional ISO 4217 currency
    after one space; at most 15 digits before the point and 6 after, either way. Floats are
    refused: they are not exact money.

    >>> parse_amount("250.00"), parse_amount("1200 EUR")
    ((Decimal('250.00'), None), (Decimal('1200'), 'EUR'))
    """
    if isinstance(amount, Decimal):
        if not amount.is_finite() or amount.is_signed() or amount == 0:
            raise ArgumentError(f"amount must be a finite, positive Decimal, got {plain(amount)}")
        exponent = amount.as_tuple().exponent
        assert isinstance(exponent, int)  # finite
        digits = len(amount.as_tuple().digits)
        if exponent < -6 or digits + exponent > 15:
            raise ArgumentError(
                f"amount must have at most 15 digits before the point and 6 after, got "
                f"{plain(amount)}"
            )
        return amount, None
    if isinstance(amount, str):
        found = _AMOUNT.fullmatch(amount)
        if found is None:
            raise ArgumentError(
                f"amount must look like '250.00' or '250.00 EUR', got {shown(amount)}"
            )
        try:
            value = Decimal(found.group(1))
        except InvalidOperation:  # pragma: no cover - the pattern admits only digits
            raise ArgumentError(f"amount {shown(amount)} is not a number") from None
        if value == 0:
            raise ArgumentError(f"amount must be positive, got {shown(amount)}")
        return value, found.group(2)
    if isinstance(amount, float):
        raise ArgumentError(
            f"write amounts as strings or Decimals, e.g. '250.00' (got the float {amount!r}, "
            "which is not exact money)"
        )
    raise ArgumentError(
        f"amount must be a Decimal or a string such as '250.00', got {type(amount).__name__}"
    )


def plain(amount: Decimal) -> str:
    """``amount`` in plain notation (``1000``, never ``1E+3``)."""
    return f"{amount:f}" if amount.is_finite() else str(amount)


def check_action(action: object, amount: object) -> tuple[str, Decimal | None, str | None]:
    """The action label checked, and the amount it carries (``spend`` only)."""
    if not isinstance(action, str):
        raise ArgumentError(f"action must be a string label, got {type(action).__name__}")
    problem = label_problem(action)
    if problem is not None:
        raise ArgumentError(f"action: {problem}")
    if action == "spend":
        if amount is None:
            raise ArgumentError("action 'spend' needs an amount (a Decimal or '250.00')")
        value, currency = parse_amount(amount)
        return action, value, currency
    if amount is not None:
        raise ArgumentError(
            f"amount is only for action 'spend', not for {shown(action)} (leave it out)"
        )
    return action, None, None


def known_person(directory: Directory, actor: str) -> bool:
    """Whether the directory knows ``actor``: one of its people (or, in a directory that
    declares no people, a team member or someone a schedule names)."""
    if actor in directory.people:
        return True
    if directory.people:
        return False
    return any(actor in t.members for t in directory.teams.values()) or any(
        actor in s.people for s in directory.schedules.values()
    )


def authorize_at(
    directory: Directory,
    paths: Sequence[tuple[PathDef, PathState]],
    actor: object,
    action: object,
    *,
    at: datetime,
    amount: object = None,
    availability: Availability | None = None,
) -> Authorization:
    """Whether ``actor`` may take ``action`` at ``at``, given the paths' states as of ``at``.

    ``paths`` pairs each path with its state at ``at`` (an evaluation's ``Decision.paths``
    beside ``Policy.paths``; empty when the ticket is not open yet). See the module docstring
    for the sources of authority. An actor the directory does not know is refused (not an
    error); a naive ``at`` is a :class:`~escalate.errors.NaiveDatetimeError`; an amount for
    an action other than ``spend``, or none for ``spend``, an
    :class:`~escalate.errors.ArgumentError`.
    """
    at = checked_utc(at, "at")
    if not isinstance(actor, str):
        raise ArgumentError(f"actor must be a person id (a string), got {type(actor).__name__}")
    label, value, currency = check_action(action, amount)
    availability = Availability() if availability is None else availability
    when = at.isoformat()

    def answer(
        allowed: bool, grounds: Sequence[str], reason: str, cur: str | None
    ) -> Authorization:
        return Authorization(actor, label, allowed, tuple(grounds), reason, at, value, cur)

    if directory.empty or not known_person(directory, actor):
        return answer(
            False,
            (),
            f"{shown(actor)} is not in the policy's directory, so holds no authority",
            currency,
        )
    person = directory.people.get(actor)
    roles = _roles_filled(directory, actor, at, availability)
    if value is not None:  # spend: limits, not labels
        limits: list[tuple[str, SpendLimit]] = []
        if person is not None and person.spend_limit is not None:
            limits.append((f"person:{actor} spend_limit {person.spend_limit}", person.spend_limit))
        for rid, via in roles:
            limit = directory.roles[rid].spend_limit
            if limit is not None:
                limits.append((f"role:{rid} spend_limit {limit} ({via})", limit))
        allowed, found, reason, cur = _spend(actor, limits, value, currency, when)
        return answer(allowed, found, reason, cur)
    grounds: list[str] = []
    if person is not None and label in person.authority:
        grounds.append(f"person:{actor} authority")
    for rid, via in roles:
        if label in directory.roles[rid].authority:
            grounds.append(f"role:{rid} ({via})")
    grounds += _level_grounds(directory, paths, actor, label, at, availability)
    if grounds:
        return answer(True, grounds, f"{actor} may {label} at {when}: {'; '.join(grounds)}.", None)
    filled = ", ".join(f"role:{rid}" for rid, _ in roles) or "none"
    return answer(
        False,
        (),
        f"{actor} holds no {label!r} authority at {when} (not their own, not of the roles "
        f"they fill ({filled}), not of a level that paged them: its targets, on_empty "
        "fallback or skip, or its unacknowledged fallback).",
        None,
    )


def _roles_filled(
    directory: Directory, actor: str, at: datetime, availability: Availability
) -> list[tuple[str, str]]:
    """The roles ``actor`` fills at ``at``, by id, each with how (``filled via ...``)."""
    found = []
    for rid in sorted(directory.roles):
        role = directory.roles[rid]
        resolution = directory.resolve([f"role:{rid}"], at, availability)
        if actor not in resolution.people:
            continue
        how = f"filled via {role.filled_by} at {at.isoformat()}"
        covering = [note for note in resolution.notes if f"-> {actor} (" in note]
        if covering:
            how += f"; covering: {covering[0]}"
        found.append((rid, how))
    return found


def _level_grounds(
    directory: Directory,
    paths: Sequence[tuple[PathDef, PathState]],
    actor: str,
    label: str,
    at: datetime,
    availability: Availability,
) -> list[str]:
    """``path:<p> level <l> (entered ...)`` for each path whose current level carries
    ``label`` and paged ``actor`` at ``at``, as the engine resolves the level: its targets
    (backups included), then ``on_empty`` (fallback, skip), then, once ``ack_within`` passed
    without an acknowledgement, the unacknowledged fallback."""
    grounds = []
    for path, st in paths:
        level = None if not st.active else st.level_def(path)
        if level is None or label not in level.authority or st.entered_at is None:
            continue
        paged = resolve_level(directory, availability, path, level, at)
        how = ""
        if actor not in paged.people and level.ack_within_delta is not None:
            if st.acknowledged_at is None and st.entered_at + level.ack_within_delta <= at:
                targets = unacknowledged_targets(directory, level, paged)
                if actor in directory.resolve(targets, at, availability).people:
                    how = "; paged as its unacknowledged fallback"
        elif (
            actor in paged.people
            and actor not in directory.resolve(level.targets, at, availability).people
        ):
            how = f"; paged for it by on_empty: {level.on_empty}"
        if actor in paged.people or how:
            grounds.append(
                f"path:{path.name} level {level.name} (entered {st.entered_at.isoformat()}{how})"
            )
    return grounds


def _spend(
    actor: str,
    limits: list[tuple[str, SpendLimit]],
    amount: Decimal,
    currency: str | None,
    when: str,
) -> tuple[bool, list[str], str, str | None]:
    """Whether one of ``limits`` (ground, limit) covers ``amount``: (allowed, grounds,
    reason, currency). An amount without a currency is read in the limits' currency; when
    they have more than one, the caller must say which (an :class:`ArgumentError`)."""
    currencies = sorted({limit.currency for _, limit in limits})
    if currency is None and len(currencies) > 1:
        raise ArgumentError(
            f"amount {plain(amount)} has no currency and {actor}'s spend limits are in "
            f"{', '.join(currencies)}: write it as '{plain(amount)} {currencies[0]}'"
        )
    grounds = [
        (ground, limit)
        for ground, limit in limits
        if (currency is None or limit.currency == currency) and amount <= limit.amount
    ]
    if grounds:
        granted = grounds[0][1].currency
        named = [ground for ground, _ in grounds]
        return (
            True,
            named,
            f"{actor} may spend {plain(amount)} {granted} at {when}: {'; '.join(named)}.",
            granted,
        )
    asked = f"{plain(amount)} {currency}" if currency else plain(amount)
    if not limits:
        why = "they have no spend_limit, of their own or of a role they fill"
    else:
        why = "; ".join(
            f"{ground} is in another currency"
            if currency is not None and limit.currency != currency
            else f"{ground} is below it"
            for ground, limit in limits
        )
    return False, [], f"{actor} may not spend {asked} at {when}: {why}.", currency


#: What authority reads of a ticket as it stood before an instant: evaluated at the instant
#: (timers and schedules as of then), each path and its state, and the override checks of
#: its overrides (empty without ``governance:``).
Standing = tuple[Sequence[tuple[PathDef, PathState]], Sequence[OverrideCheck]]


def ticket_before(ticket: Ticket, at: datetime) -> Ticket:
    """``ticket`` as it stood just before ``at``: its events strictly before ``at`` and every
    field as they left it. An event at ``at`` itself (an override, or anything recorded at
    the same instant) is the act being judged or comes with it: it grants nothing."""
    return ticket_as_of(ticket, bisect.bisect_left([e.at for e in ticket.events], at))


def authority_before(
    directory: Directory,
    ticket: Ticket,
    standing: Callable[[Ticket, datetime], Standing],
    defs: Sequence[PathDef],
    actor: object,
    action: object,
    *,
    at: datetime,
    amount: object = None,
    availability: Availability | None = None,
) -> Authorization:
    """The one answer to "may ``actor`` take ``action`` on ``ticket`` at ``at``", used by
    :meth:`Policy.authorize <escalate.Policy.authorize>`, the engine's override checks and so
    the audit: what the actor held just before acting. ``standing`` evaluates
    :func:`ticket_before` at ``at``, asked only when a level of ``defs`` (the policy's paths)
    carries ``action``; a level a path entered through an override that was
    not authorised grants nobody anything (privilege never comes from an unauthorised act).
    """
    at = checked_utc(at, "at")
    paths: Sequence[tuple[PathDef, PathState]] = ()
    granting = any(action in level.authority for path in defs for level in path.levels)
    if ticket.opened_at <= at and granting and amount is None:
        # only a level's authority needs the paths' states (spend never does)
        found, checks = standing(ticket_before(ticket, at), at)
        tainted = {(c.path, c.level, c.at) for c in checks if c.honoured and not c.authorised}
        paths = [(path, st) for path, st in found if not _caused(path.name, st, tainted)]
    return authorize_at(
        directory, paths, actor, action, at=at, amount=amount, availability=availability
    )


def _caused(path: str, st: PathState, tainted: set[tuple[str, str, datetime]]) -> bool:
    """Whether ``st``'s current entry is one an unauthorised override of ``tainted`` caused:
    the path entered its level at the override's instant and was at another level (or at
    none) just before. An override to the level the path is already at moves nothing, so
    it takes no authority away from the level's own people."""
    if (path, st.level_name, st.entered_at) not in tainted:
        return False
    entries = [index for _, index in st.history]  # this cycle's, the current one last
    return len(entries) < 2 or entries[-2] != entries[-1]


def ticket_as_of(ticket: Ticket, count: int) -> Ticket:
    """``ticket`` as it stood after its first ``count`` events: those events, and every field
    as they left it (what the ticketing system would have sent then). Events after them at
    the same instant must not change a field (an override check cuts before the override;
    the caller retries before that instant when they do)."""
    events = ticket.events
    if count >= len(events):
        return ticket
    kept = events[:count]
    if kept:
        state = ticket.state_at(kept[-1].at)
    else:
        state = ticket.state_at(events[0].at - timedelta(microseconds=1))
    values = state.history_fields
    top: dict[str, Any] = {
        name: values[name] if name in values else getattr(ticket, name)
        for name in TEXT_FIELDS_BUT_PRIORITY
        if name not in ("assignment_group", "assignee")
    }
    customer = ticket.customer
    if any(name.startswith("customer.") for name in values):
        customer = Customer(
            id=values.get("customer.id", customer.id),  # type: ignore[arg-type]
            tier=values.get("customer.tier", customer.tier),  # type: ignore[arg-type]
            vip=bool(values.get("customer.vip", customer.vip)),
        )
    fields = dict(ticket.fields)
    for name, value in values.items():
        if name.startswith("fields."):
            if value is None:
                fields.pop(name[7:], None)
            else:
                fields[name[7:]] = value
    return Ticket(
        ticket.id,
        ticket.opened_at,
        kind=ticket.kind,
        status=state.status,
        priority=state.priority,
        assignment_group=state.assignment_group,
        assignee=state.assignee,
        customer=customer,
        regulatory_flags=ticket.regulatory_flags,
        fields=fields,
        events=kept,
        reassignment_count=state.reassignment_count,
        reopen_count=state.reopen_count,
        **top,
    )
