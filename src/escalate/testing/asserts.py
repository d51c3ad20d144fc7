"""Assertions for users' own policy tests: a ticket's level, its due actions, instants around one.

Each ``assert_*`` evaluates the ticket and raises :class:`AssertionError` when the decision is
not as expected, with a message that says what was expected, what the decision holds and the
decision's explanation (why). On success it returns the :class:`~escalate.Decision`, for
further checks. A level or path the policy does not have is not a failed
expectation but a mistake in the test: it raises :class:`~escalate.errors.ArgumentError`
(naming the known ones), so that an ``assert_not_escalated`` with a misspelt level cannot pass
for ever; so do arguments of the wrong type (a string where a list of kinds is meant, a
non-bool flag) and an empty ``kinds``, which no decision could fail.

>>> from datetime import UTC, datetime
>>> cases_around(datetime(2024, 11, 20, 11, 50, tzinfo=UTC))[0].isoformat()
'2024-11-20T11:49:00+00:00'

Needs no Hypothesis: these work in any test runner.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, NoReturn

from escalate.engine.compiled import Policy
from escalate.engine.decision import Decision, iso
from escalate.engine.ticket import Ticket
from escalate.errors import ArgumentError, shown, suggest
from escalate.people.availability import Availability

__all__ = [
    "assert_actions",
    "assert_escalates",
    "assert_no_actions",
    "assert_not_escalated",
    "cases_around",
]

TicketInput = Ticket | Mapping[str, Any]
AvailabilityInput = Availability | Mapping[str, Any] | None


def assert_escalates(
    policy: Policy,
    ticket: TicketInput,
    *,
    now: datetime,
    to: str,
    path: str | None = None,
    availability: AvailabilityInput = None,
    or_higher: bool = False,
) -> Decision:
    """Assert that at ``now`` the ticket is at level ``to`` of ``path``.

    Without ``path``, the ticket's active paths that have a level ``to`` are checked and one
    of them must be at it. With ``or_higher``, any level after ``to`` on the path passes too
    ("escalated at least to L2").

    Raises ``AssertionError`` naming the level each checked path is at, with the decision's
    explanation; ``ArgumentError`` when no path of the policy (or not ``path``) has a level
    ``to``.
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not this function's
    _name("to", to)
    _name("path", path, optional=True)
    _flag("or_higher", or_higher)
    decision, levels = _evaluate(policy, ticket, now, availability, path, to)
    checked = [name for name, names in levels.items() if to in names]
    for name in checked:
        state = decision.paths[name]
        if state.active and state.level_index is not None:
            wanted = levels[name].index(to)
            if state.level_index == wanted or (or_higher and state.level_index > wanted):
                return decision
    where = f"path {path}" if path is not None else f"a path with level {to}"
    wanted_text = f"{to} or higher" if or_higher else to
    raise AssertionError(
        _message(decision, f"expected {where} at {wanted_text}", _levels(decision, checked))
    )


def assert_not_escalated(
    policy: Policy,
    ticket: TicketInput,
    *,
    now: datetime,
    path: str | None = None,
    beyond: str | None = None,
    availability: AvailabilityInput = None,
) -> Decision:
    """Assert that at ``now`` the ticket is not escalated on ``path`` (every path without it).

    Not escalated: the path is not active, or is at its first level -- or, with ``beyond``,
    at that level or an earlier one. ``beyond`` needs ``path``.
    """
    __tracebackhide__ = True
    _name("path", path, optional=True)
    _name("beyond", beyond, optional=True)
    if beyond is not None and path is None:
        raise ArgumentError("beyond names a level of one path: give path= too")
    decision, levels = _evaluate(policy, ticket, now, availability, path, beyond)
    limit = 0 if beyond is None or path is None else levels[path].index(beyond)
    over = [
        name
        for name in levels
        if decision.paths[name].active and (decision.paths[name].level_index or 0) > limit
    ]
    if not over:
        return decision
    where = f"path {path}" if path is not None else "every path"
    most = f"at {beyond} or below" if beyond is not None else "at its first level or inactive"
    raise AssertionError(_message(decision, f"expected {where} {most}", _levels(decision, over)))


def assert_actions(
    policy: Policy,
    ticket: TicketInput,
    *,
    now: datetime,
    kinds: Iterable[str],
    exactly: bool = False,
    availability: AvailabilityInput = None,
) -> Decision:
    """Assert that at ``now`` actions of these ``kinds`` are due (``page``, ``notify`` ...).

    A kind listed twice needs two due actions of that kind. Other due actions are allowed
    unless ``exactly``, when the due actions' kinds must be ``kinds`` and nothing more.
    ``kinds`` is a list (or other iterable) of kinds, not one string, and not empty: to assert
    that no action is due, use :func:`assert_no_actions`.
    """
    __tracebackhide__ = True
    wanted = _kinds(kinds)
    _flag("exactly", exactly)
    decision = _decide(policy, ticket, now, availability)
    due = Counter(a.kind for a in decision.actions)
    missing = wanted - due
    extra = due - wanted if exactly else Counter[str]()
    if not missing and not extra:
        return decision
    problems = []
    if missing:
        problems.append(f"missing: {', '.join(sorted(missing.elements()))}")
    if extra:
        problems.append(f"not expected: {', '.join(sorted(extra.elements()))}")
    expected = f"expected {'exactly ' if exactly else ''}{', '.join(sorted(wanted.elements()))}"
    actual = ", ".join(sorted(due.elements())) or "none"
    raise AssertionError(_message(decision, expected, f"due: {actual} ({'; '.join(problems)})"))


def assert_no_actions(
    policy: Policy,
    ticket: TicketInput,
    *,
    now: datetime,
    availability: AvailabilityInput = None,
) -> Decision:
    """Assert that at ``now`` no action is due for the ticket."""
    __tracebackhide__ = True
    decision = _decide(policy, ticket, now, availability)
    if not decision.actions:
        return decision
    due = ", ".join(f"{a.kind} [{a.source}]" for a in decision.actions)
    raise AssertionError(_message(decision, "expected no due actions", f"due: {due}"))


def cases_around(
    instant: datetime, step: timedelta = timedelta(minutes=1)
) -> tuple[datetime, datetime, datetime]:
    """``(instant - step, instant, instant + step)``: the instants to test a boundary at.

    >>> from datetime import UTC, datetime
    >>> [t.strftime("%H:%M") for t in cases_around(datetime(2024, 1, 1, 9, tzinfo=UTC))]
    ['08:59', '09:00', '09:01']
    """
    if not isinstance(instant, datetime) or instant.utcoffset() is None:
        raise ArgumentError(f"instant must be an aware datetime, got {shown(instant)}")
    if not isinstance(step, timedelta) or step <= timedelta(0):
        raise ArgumentError(f"step must be a positive timedelta, got {shown(step)}")
    return (instant - step, instant, instant + step)


# -- evaluating and reporting --------------------------------------------------------------------


def _decide(
    policy: Policy, ticket: TicketInput, now: datetime, availability: AvailabilityInput
) -> Decision:
    if not isinstance(policy, Policy):
        raise ArgumentError(f"policy must be a Policy (escalate.load), got {shown(policy)}")
    return policy.evaluate(ticket, now=now, availability=availability)


def _evaluate(
    policy: Policy,
    ticket: TicketInput,
    now: datetime,
    availability: AvailabilityInput,
    path: str | None,
    level: str | None,
) -> tuple[Decision, dict[str, tuple[str, ...]]]:
    """The decision, and the level names of the paths to check (``path``, or all)."""
    decision = _decide(policy, ticket, now, availability)
    # The policy that decided the ticket: a segment may add or change paths.
    deciding = policy.for_ticket(ticket) if policy.segments else policy
    levels = {p.name: tuple(lv.name for lv in p.levels) for p in deciding.paths}
    if path is not None:
        if path not in levels:
            _unknown("path", path, levels)
        levels = {path: levels[path]}
    if level is not None and not any(level in names for names in levels.values()):
        _unknown("level", level, [n for names in levels.values() for n in names])
    return decision, levels


def _name(what: str, value: object, *, optional: bool = False) -> None:
    """``value`` is a name (a non-empty string), or ``None`` when ``optional``."""
    if (value is None and optional) or (isinstance(value, str) and value):
        return
    kind = "a name or None" if optional else "a name"
    raise ArgumentError(f"{what} must be {kind} (a non-empty string), got {shown(value)}")


def _flag(what: str, value: object) -> None:
    if not isinstance(value, bool):
        raise ArgumentError(f"{what} must be True or False, got {shown(value)}")


def _kinds(kinds: object) -> Counter[str]:
    """The kinds ``assert_actions`` wants, counted; an ``ArgumentError`` for a string (its
    letters are not kinds), a mapping, or an empty list (no decision could fail it)."""
    if isinstance(kinds, str | bytes | Mapping) or not isinstance(kinds, Iterable):
        raise ArgumentError(
            f"kinds must be a list of action kinds, e.g. ['page'], got {shown(kinds)}"
        )
    listed = list(kinds)
    if not listed:
        raise ArgumentError(
            "kinds is empty, which every decision satisfies; to assert that no action is "
            "due, use assert_no_actions"
        )
    for kind in listed:
        if not isinstance(kind, str) or not kind:
            raise ArgumentError(f"kinds must hold action kinds (strings), got {shown(kind)}")
    return Counter(listed)


def _unknown(what: str, name: str, known: Iterable[str]) -> NoReturn:
    known = list(known)
    hint = suggest(name, known)
    did_you_mean = f" (did you mean {hint!r}?)" if hint else ""
    raise ArgumentError(
        f"the policy has no {what} {shown(name)}{did_you_mean}; it has: {', '.join(known)}"
    )


def _levels(decision: Decision, names: Iterable[str]) -> str:
    """Where each path is: ``service-desk at L1 since ...``, ``network-team not active``."""
    parts = []
    for name in names:
        state = decision.paths[name]
        if not state.active or state.level_name is None:
            parts.append(f"{name} not active")
        else:
            parts.append(f"{name} at {state.level_name} since {iso(state.entered_at)}")
    return "; ".join(parts) or "no such path is active"


def _message(decision: Decision, expected: str, actual: str) -> str:
    return (
        f"ticket {decision.ticket_id} at {iso(decision.evaluated_at)}: {expected}, "
        f"but {actual}\n\n{decision.explain()}"
    )
