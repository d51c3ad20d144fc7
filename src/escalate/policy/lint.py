"""Lint: things a policy may legally say but probably does not mean.

Findings are values (``Finding``), sorted, so tools can diff them. ``escalate validate``
prints them and exits 1 when there are any. Findings about time (stale contact checks,
schedule gaps) need an explicit ``as_of`` instant: lint reads no clock either.
Unknown people, teams, roles and schedules are not findings but load errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from escalate.calendars._instants import MAX_US, checked_utc, to_us
from escalate.engine.clocks import ClockDef, ClockState, Cycle, Definition, Rung, Target
from escalate.engine.compiled import Policy
from escalate.engine.conditions import Condition, Leaf, Node
from escalate.engine.paths import PathDef
from escalate.engine.segments import Segment
from escalate.errors import ArgumentError, CalendarRangeError, InstantRangeError

__all__ = ["MAX_HORIZON", "Finding", "lint"]

#: The longest schedule-gap horizon lint walks (ten years): the walk visits every hand-off in it.
MAX_HORIZON = timedelta(days=3650)
#: Business days and months differ in length: a ladder mixing ``bd`` or ``mo`` with other
#: measures is checked for cycles starting at each of the first openings of the target's
#: calendar over this many days.
RUNG_SAMPLE_DAYS = 14


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    """One lint finding: ``where`` (a key path as text, e.g. ``paths.desk.levels[0]``), a
    short stable ``code`` (e.g. ``no-rationale``) and a readable ``message``.

    A value: immutable, hashable, ordered (by where, then code, then message) and equal when
    every field is.
    """

    where: str
    code: str
    message: str

    def __str__(self) -> str:
        """``where: message [code]``, the line ``escalate validate`` prints."""
        return f"{self.where}: {self.message} [{self.code}]"


def lint(
    policy: Policy, *, as_of: datetime | None = None, horizon: timedelta = timedelta(days=14)
) -> tuple[Finding, ...]:
    """Every finding for a compiled policy, sorted (an empty tuple: nothing to say).

    With ``as_of`` (aware), also: contacts whose ``validated_at`` is older than the
    directory's ``contact_max_age``, and schedule gaps in ``[as_of, as_of + horizon)``.
    ``horizon`` is a ``timedelta`` from zero to :data:`MAX_HORIZON`, and ``as_of + horizon``
    must stay in escalate's instant range; otherwise :class:`~escalate.errors.ArgumentError`
    (wrong type) or :class:`~escalate.errors.InstantRangeError`.
    """
    if as_of is not None:
        as_of = checked_utc(as_of, "as_of")  # naive or out-of-range instants are refused
    if not isinstance(horizon, timedelta):
        raise ArgumentError(f"horizon must be a timedelta, got {type(horizon).__name__}")
    if not timedelta(0) <= horizon <= MAX_HORIZON:
        raise InstantRangeError(
            f"horizon {horizon} is out of range: lint looks 0 to {MAX_HORIZON.days} days ahead"
        )
    if as_of is not None and to_us(as_of) + horizon // timedelta(microseconds=1) > MAX_US:
        raise InstantRangeError(
            f"as_of {as_of.isoformat()} plus horizon {horizon} ends after the last instant "
            "escalate computes with"
        )
    found: list[Finding] = _directory_findings(policy, as_of, horizon)
    used_calendars = {"24x7"}
    for clock in policy.clocks:
        for target in clock.targets.values():
            used_calendars.add(target.calendar_name)
        for definition in clock.definitions:
            for target in definition.targets.values():
                used_calendars.add(target.calendar_name)
        found += _scope_findings(clock)
        events = {e for t in clock.start if t.events for e in t.events}
        stops = {e for t in clock.stop if t.events and t.statuses is None for e in t.events}
        if events and events <= stops:
            found.append(
                Finding(
                    f"clocks.{clock.name}.start",
                    "start-within-stop",
                    "every start event also stops the clock, so it never runs",
                )
            )
        found += _ladder_findings(clock)
        for status in sorted(clock.pause):
            if any(t.statuses and status in t.statuses for t in clock.stop):
                found.append(
                    Finding(
                        f"clocks.{clock.name}.pause",
                        "pause-is-stop",
                        f"status {status!r} both pauses and stops the clock",
                    )
                )
    requested: set[str] = set()
    for clock in policy.clocks:
        for rung in clock.ladder:
            for act in rung.actions:
                if act.path is not None:
                    requested.add(act.path)
    for rule in policy.rules:
        if not rule.rationale:
            found.append(Finding(f"rules.{rule.id}", "no-rationale", "rule has no 'rationale:'"))
        for act in rule.actions:
            if act.path is not None:
                requested.add(act.path)
    for path in policy.paths:
        for level in path.levels:
            if level.calendar_name:
                used_calendars.add(level.calendar_name)
        found += _path_findings(path)
        if not path.starts_on_open and path.name not in requested:
            found.append(
                Finding(
                    f"paths.{path.name}",
                    "unreachable-path",
                    "path starts on trigger but no rule or ladder sends tickets to it",
                )
            )
    for name in sorted(set(policy.calendars) - used_calendars):
        found.append(Finding(f"calendars.{name}", "unused-calendar", "calendar is never used"))
    if policy.segments:
        found += _segment_findings(policy.segments)
        own = set(found)
        for segment in policy.segments:
            assert isinstance(segment.policy, Policy)
            for finding in lint(segment.policy, as_of=as_of, horizon=horizon):
                if finding not in own:  # what the segment changed, not the base again
                    where = f"segments.{segment.id}.{finding.where}"
                    found.append(Finding(where, finding.code, finding.message))
    return tuple(sorted(found))


def _scope_findings(clock: ClockDef) -> list[Finding]:
    """Scoped definitions that tie, and tickets that no definition covers.

    What lint can decide without tickets: two definitions with the same precedence are reported
    unless they share no priority or their conditions are provably disjoint (they require
    different values of one field, as ``customer.id: acme`` and ``customer.id: globex`` do);
    conditions that exclude each other in other ways (``not``, ranges, patterns) are reported
    as possibly overlapping. Whether some ticket matches none of the scoped conditions is not
    decided: a clock without an unconditional definition is reported as such.
    """
    scoped = [d for d in clock.definitions if d.when is not None]
    if not scoped:
        return []
    out: list[Finding] = []
    where = f"clocks.{clock.name}.definitions"
    for i, first in enumerate(scoped):
        for second in scoped[i + 1 :]:
            if first.precedence != second.precedence:
                continue
            shared = _shared_priorities(first, second)
            if shared == () or _disjoint(first.when, second.when):
                continue
            a, b = sorted((first, second), key=lambda d: d.order)
            out.append(
                Finding(
                    f"{where}[{b.order}]",
                    "definition-overlap",
                    f"definitions {a.id!r} and {b.id!r} have the same precedence "
                    f"({a.precedence}) and may both apply to "
                    f"{'any priority' if shared is None else ', '.join(shared)} tickets: file "
                    f"order picks {a.id!r}; give them distinct precedence",
                )
            )
    if clock.definitions[-1].when is None:
        return out
    ids = ", ".join(repr(d.id) for d in sorted(scoped, key=lambda d: d.order))
    message = (
        f"no definition without conditions: a ticket none of {ids} applies to gets no "
        f"{clock.name!r} clock"
    )
    if not any("default" in d.targets for d in scoped):
        covered = sorted({p for d in scoped for p in d.targets})
        message += (
            f", nor does any ticket whose priority is not {' or '.join(covered)} "
            "(no definition has a 'default' target)"
        )
    out.append(Finding(f"clocks.{clock.name}", "uncovered-tickets", message))
    return out


def _shared_priorities(a: Definition, b: Definition) -> tuple[str, ...] | None:
    """The priorities both definitions have a target for; ``None``: every priority."""
    a_all, b_all = "default" in a.targets, "default" in b.targets
    if a_all and b_all:
        return None
    if a_all or b_all:
        other = b if a_all else a
        return tuple(sorted(p for p in other.targets if p != "default"))
    return tuple(sorted(set(a.targets) & set(b.targets)))


def _disjoint(a: Condition | None, b: Condition | None) -> bool:
    """Whether no ticket can satisfy both: some field must take values from sets that do not
    meet (``eq``/``in`` against ``eq``/``in``, or against ``ne``/``not_in`` excluding them)."""
    if a is None or b is None:
        return False
    allowed_a, excluded_a = _constraints(a)
    allowed_b, excluded_b = _constraints(b)
    for name, values in allowed_a.items():
        if name in allowed_b and not values & allowed_b[name]:
            return True
        if values <= excluded_b.get(name, frozenset()):
            return True
    return any(values <= excluded_a.get(name, frozenset()) for name, values in allowed_b.items())


Values = frozenset[object]


def _constraints(condition: Condition) -> tuple[dict[str, Values], dict[str, Values]]:
    """The values each field must take (``eq``/``in``) and must not take (``ne``/``not_in``)
    for a condition to hold, from its conjunctions (``all`` and several keys), not looking
    inside ``any`` or ``not``."""
    allowed: dict[str, Values] = {}
    excluded: dict[str, Values] = {}
    parts: list[Condition] = [condition]
    while parts:
        part = parts.pop()
        if isinstance(part, Node):
            if part.kind == "all":
                parts.extend(part.children)
            continue
        expected = part.expected
        values: Values = frozenset(expected if isinstance(expected, tuple) else (expected,))
        if part.op in ("eq", "in"):
            allowed[part.field] = allowed.get(part.field, values) & values
        elif part.op in ("ne", "not_in"):
            excluded[part.field] = excluded.get(part.field, frozenset()) | values
    return allowed, excluded


# -- segments -----------------------------------------------------------------------------------
#
# A segment's condition is turned into a box: for each field, the set of values it allows
# ("in") or refuses ("not_in"). A box is exact when the condition is a conjunction of eq, ne,
# in and not_in comparisons; otherwise the box of its decidable conjuncts holds every ticket
# the condition selects (and more). Segment B is shadowed by A when B's box lies inside A's
# exact box; unreachable when its box is empty, or, for conditions on one field, when the
# segments before it take every value it allows. Anything else (patterns, orderings, exists,
# any/not, several fields spread over several segments) lint does not decide.

_Box = dict[str, tuple[str, frozenset[object]]]


def _segment_findings(segments: tuple[Segment, ...]) -> list[Finding]:
    out: list[Finding] = []
    earlier: list[tuple[Segment, _Box | None, object]] = []
    for segment in segments:
        box, exact = _box(segment.when)
        shape = _shape(segment.when)
        where = f"segments.{segment.id}.when"
        if box is None:
            out.append(
                Finding(
                    where,
                    "segment-unreachable",
                    "the condition can never hold (its comparisons contradict one another), "
                    "so the segment never decides",
                )
            )
            earlier.append((segment, None, shape))
            continue
        covering = [
            other
            for other, other_box, other_shape in earlier
            if other_shape == shape or (other_box is not None and _inside(box, other_box))
        ]
        if covering:
            first = covering[0]
            out.append(
                Finding(
                    where,
                    "segment-shadowed",
                    f"every ticket it selects is taken first by segment {first.id!r} "
                    f"(precedence {first.precedence}), so it never decides",
                )
            )
        elif len(box) == 1:
            (field, (kind, values)), *_ = box.items()
            taken: set[object] = set()
            by: list[str] = []
            for other, other_box, _ in earlier:
                if other_box is not None and other_box.keys() == {field}:
                    other_kind, other_values = other_box[field]
                    if other_kind == "in":
                        taken |= other_values
                        by.append(other.id)
            if kind == "in" and by and values <= taken:
                out.append(
                    Finding(
                        where,
                        "segment-shadowed",
                        f"every {field} it selects is taken first by segments "
                        f"{', '.join(repr(b) for b in by)}, so it never decides",
                    )
                )
        earlier.append((segment, box if exact else _INEXACT, shape))
    return out


#: Marks a segment whose box is not exact: it cannot shadow the segments after it.
_INEXACT = None


def _box(condition: Condition) -> tuple[_Box | None, bool]:
    """The box of a condition (``None``: empty) and whether it is exact."""
    allowed, excluded = _constraints(condition)
    box: _Box = {}
    for name in sorted(allowed.keys() | excluded.keys()):
        if name in allowed:
            values = allowed[name] - excluded.get(name, frozenset())
            if not values:
                return None, _exact(condition)
            box[name] = ("in", values)
        else:
            box[name] = ("not_in", excluded[name])
    return box, _exact(condition)


def _exact(condition: Condition) -> bool:
    """Whether a condition is a conjunction of eq, ne, in and not_in comparisons only."""
    if isinstance(condition, Node):
        return condition.kind == "all" and all(_exact(c) for c in condition.children)
    return condition.op in ("eq", "ne", "in", "not_in")


def _inside(box: _Box, outer: _Box) -> bool:
    """Whether every ticket in ``box`` is in ``outer``."""
    for field, (kind, values) in outer.items():
        inner = box.get(field)
        if inner is None:
            return False
        inner_kind, inner_values = inner
        if kind == "in" and not (inner_kind == "in" and inner_values <= values):
            return False
        if kind == "not_in":
            if inner_kind == "in" and inner_values & values:
                return False
            if inner_kind == "not_in" and not values <= inner_values:
                return False
    return True


def _shape(condition: Condition) -> object:
    """A condition as comparable data (fields, operators, operands), without its positions."""
    if isinstance(condition, Leaf):
        expected = condition.expected
        if isinstance(expected, tuple):
            expected = frozenset(expected)
        return ("leaf", condition.field, condition.op, expected)
    children = [_shape(c) for c in condition.children]
    if condition.kind == "not":
        return ("not", children[0])
    return (condition.kind, frozenset(children))


def _ladder_findings(clock: ClockDef) -> list[Finding]:
    """Rungs that some target reaches in another order than written, or together.

    The load refuses rungs of one kind out of order (they are for every target); the order of
    rungs of different kinds (``at``, ``after``, ``before_breach``) depends on the target, and
    with ``bd`` on the cycle's start. A ``before_breach`` lead as long as the target makes the
    rung due when the clock starts: that is reported too.
    """
    ladder = clock.ladder
    if all(rung.share is not None for rung in ladder):
        return []  # percentages of one target keep their order
    found: dict[tuple[int, str], Finding] = {}
    where = f"clocks.{clock.name}.ladder"
    scopes: tuple[Definition | None, ...] = clock.definitions or (None,)
    for scope, priority, target in [
        (d, priority, targets[priority])
        for d in scopes
        for targets in [clock.targets if d is None else d.targets]
        for priority in sorted(targets)
    ]:
        # a scoped definition's targets are named by the definition
        named = priority if scope is None or scope.id is None else f"{scope.id} {priority}"
        for start in _sample_starts(target, ladder):
            try:
                cs = ClockState(clock, [Cycle(1, start)], priority, start, scope)
                amounts = [cs.amount_us(rung) for rung in ladder]
            except CalendarRangeError:
                continue  # the target runs past the calendar's years from this start
            for j, rung in enumerate(ladder):
                if rung.before_breach is not None and amounts[j] == 0:
                    found.setdefault(
                        (j, "rung-at-start"),
                        Finding(
                            f"{where}[{j}].before_breach",
                            "rung-at-start",
                            f"for {named} ({target.duration.text}) the lead is not shorter "
                            "than the target, so the rung is due when the clock starts",
                        ),
                    )
                for i in range(j):
                    if amounts[j] <= amounts[i]:
                        found.setdefault(
                            (j, "rungs-out-of-order"),
                            Finding(
                                f"{where}[{j}]",
                                "rungs-out-of-order",
                                f"for {named} ({target.duration.text}) rung {_measure(rung)} "
                                f"is reached no later than rung {i} ({_measure(ladder[i])}) "
                                "written before it",
                            ),
                        )
    return list(found.values())


def _measure(rung: Rung) -> str:
    if rung.share is not None:
        return f"at: {rung.text}"
    if rung.after is not None:
        return f"after: {rung.after.text}"
    return f"before_breach: {rung.text.removeprefix('breach-')}"


def _sample_starts(target: Target, ladder: tuple[Rung, ...]) -> list[datetime]:
    """Cycle starts to compare rung amounts at: one when no business days or months are
    involved (the amounts do not depend on the start), else the openings of the first days of
    the calendar."""
    calendar = target.calendar
    first = calendar.valid_from
    # ``bd`` and ``mo`` amounts depend on the cycle's start (days and months differ)
    durations = [target.duration, *(rung.after for rung in ladder if rung.after is not None)]
    uses_bd = any(d.is_business_days or d.is_months for d in durations)
    if not uses_bd:
        return [first]
    starts: list[datetime] = []
    for day in range(RUNG_SAMPLE_DAYS):
        opening = calendar.next_open(first + timedelta(days=day))
        if opening not in starts:
            starts.append(opening)
    return starts


def _path_findings(path: PathDef) -> list[Finding]:
    """Settings a path accepts that can have no effect."""
    out = []
    levels = path.levels
    where = f"paths.{path.name}.levels"
    if path.starts_on_open and not path.page_first_level and levels[0].ack_within is not None:
        out.append(
            Finding(
                f"{where}[0].ack_within",
                "ack-within-on-start-level",
                "the first level of an on-open path pages nobody, so nothing can go unanswered",
            )
        )
    if path.page_first_level and not path.starts_on_open:
        out.append(
            Finding(
                f"paths.{path.name}.page_first_level",
                "page-first-level-on-trigger",
                "a path that starts on trigger pages its first level anyway",
            )
        )
    if levels[0].at is not None:
        out.append(
            Finding(
                f"{where}[0].at", "at-on-first-level", "the first level is entered at the start"
            )
        )
    for i, level in enumerate(levels):
        has_timer = level.after is not None or (
            i + 1 < len(levels) and levels[i + 1].at is not None
        )
        if level.ack_timeout is not None and not has_timer:
            out.append(
                Finding(
                    f"{where}[{i}].ack_timeout",
                    "ack-timeout-without-timer",
                    "the level never moves on by itself, so an acknowledgement cannot lapse",
                )
            )
    if path.repeat and levels[-1].after is None:
        out.append(
            Finding(
                f"paths.{path.name}.repeat",
                "repeat-without-timer",
                "the last level has no 'after', so the path never starts another round",
            )
        )
    return out


def _directory_findings(
    policy: Policy, as_of: datetime | None, horizon: timedelta
) -> list[Finding]:
    """People, teams, roles, levels and schedules that would fail someone at 3 a.m."""
    directory = policy.directory
    out: list[Finding] = []
    if directory.empty:
        return out
    for pid, person in directory.people.items():
        where = f"directory.people.{pid}"
        if not person.channels:
            out.append(Finding(where, "no-contact-channel", "person has no contact channel"))
        if as_of is not None and directory.contact_max_age is not None:
            checked = person.validated_at
            if checked is None:
                out.append(
                    Finding(where, "contact-never-validated", "contact details never validated")
                )
            elif as_of.astimezone(UTC).date() - checked > directory.contact_max_age:
                age = (as_of.astimezone(UTC).date() - checked).days
                out.append(
                    Finding(
                        f"{where}.validated_at",
                        "stale-contact",
                        f"contact details last validated {checked.isoformat()}, {age} days ago",
                    )
                )
    for rid, role in directory.roles.items():
        if role.backup is None:
            out.append(
                Finding(f"directory.roles.{rid}", "role-without-backup", "role has no backup")
            )
    for path in policy.paths:
        for i, level in enumerate(path.levels):
            if not level.fallback and not _has_backup(policy, level.targets):
                out.append(
                    Finding(
                        f"paths.{path.name}.levels[{i}]",
                        "level-without-backup",
                        f"nobody behind {level.name}'s targets has a backup and the level has "
                        "no fallback",
                    )
                )
    if as_of is not None:
        for name, schedule in directory.schedules.items():
            for gap in schedule.gaps(as_of, as_of + horizon):
                out.append(
                    Finding(
                        f"schedules.{name}",
                        "schedule-gap",
                        f"nobody on call from {gap.start.isoformat()} to {gap.end.isoformat()}",
                    )
                )
    return out


def _has_backup(policy: Policy, targets: tuple[str, ...]) -> bool:
    """Whether some fallback exists behind any of these targets."""
    directory = policy.directory
    for target in targets:
        kind, _, name = target.partition(":")
        if kind in ("person", "manager"):
            pid = directory.manager_of(name) if kind == "manager" else name
            person = directory.people.get(pid or "")
            if person is not None and person.backup:
                return True
        elif kind == "team":
            team = directory.teams.get(name)
            if team is not None and (team.lead or team.backup or len(team.members) > 1):
                return True
            if team is not None and team.schedule is not None:
                rotation = directory.schedules.get(team.schedule)
                if rotation is not None and len(rotation.people) > 1:
                    return True
        elif kind == "role":
            role = directory.roles.get(name)
            if role is not None and (role.backup or _has_backup(policy, (role.filled_by,))):
                return True
        elif kind == "schedule":
            schedule = directory.schedules.get(name)
            if schedule is not None and len(schedule.people) > 1:
                return True
    return False
