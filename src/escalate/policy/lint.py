"""Lint: things a policy may legally say but probably does not mean.

Findings are values (:class:`Finding`): a stable ``code``, a ``severity`` (``error``,
``warning``, ``info``), the key path ``where`` they are about, the ``file:line:col`` of that key
and a message; sorted by position, so tools can diff them. Every code, its severity and how to
fix or suppress it is listed in ``docs/lint.md`` (and in :data:`CODES`). A policy suppresses a
finding with ``lint: ignore: [{code, where, reason}]``; an ignore that suppresses nothing is an
``unused-ignore`` finding itself (unless what it ignores depends on the day). Findings about
time (stale contacts, schedule gaps, the end of a calendar's years) need an explicit ``as_of``
instant: lint reads no clock either. Unknown people, teams, roles and schedules are not
findings but load errors.
"""

from __future__ import annotations

import ast
import functools
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import MAXYEAR, MINYEAR, UTC, datetime, timedelta
from typing import Literal

from escalate._frozen import FrozenMap
from escalate.calendars._durations import format_duration
from escalate.calendars._instants import MAX_US, checked_utc, to_us
from escalate.calendars.calendar import Calendar
from escalate.comms.messages import Comms
from escalate.engine.actions import ActionDef
from escalate.engine.authority import action_near_miss
from escalate.engine.clocks import ClockDef, ClockState, Cycle, Definition, Rung, Target, Trigger
from escalate.engine.compiled import Policy
from escalate.engine.conditions import Condition, Leaf, Node, leaves
from escalate.engine.paths import PathDef
from escalate.engine.plans import NotificationPlan, Notifications, address_of
from escalate.engine.segments import Segment
from escalate.errors import (
    SHOWN_CHARS,
    ArgumentError,
    CalendarRangeError,
    InstantRangeError,
    PolicyError,
    shown,
)
from escalate.people.schedule import Schedule, Shift

__all__ = [
    "CODES",
    "MAX_HORIZON",
    "SEVERITIES",
    "Finding",
    "lint",
    "parse_where",
    "render_where",
]

#: The longest schedule-gap horizon lint walks (ten years): the walk visits every hand-off in it.
MAX_HORIZON = timedelta(days=3650)
#: Business days and months differ in length: a ladder mixing ``bd`` or ``mo`` with other
#: measures is checked for cycles starting at each of the first openings of the target's
#: calendar over this many days.
RUNG_SAMPLE_DAYS = 14
#: A calendar whose years end within this span of ``as_of`` is reported (``calendar-ends``).
CALENDAR_NOTICE = timedelta(days=365)

Severity = Literal["error", "warning", "info"]
#: The severities, most serious first: ``escalate validate`` fails on errors only (on any
#: finding with ``--strict``).
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
KeyPath = tuple[str | int, ...]

# The codes by what they are about; CODES is the read-only view.
_CODES: dict[str, Severity] = {
    # clocks
    "start-within-stop": "error",
    "start-paused": "warning",
    "pause-is-stop": "warning",
    "stop-without-new-cycle": "warning",
    "definition-overlap": "warning",
    "uncovered-tickets": "warning",
    "unreachable-definition": "warning",
    "rungs-out-of-order": "warning",
    "rung-at-start": "warning",
    "rung-drops-actions": "warning",
    "notify-off-hours": "warning",
    # rules
    "no-rationale": "info",
    "unreachable-rule": "warning",
    "recurrence-not-filled": "warning",
    # paths
    "unreachable-path": "warning",
    "unreachable-level": "warning",
    "ack-within-on-start-level": "warning",
    "page-first-level-on-trigger": "info",
    "at-on-first-level": "warning",
    "ack-timeout-without-timer": "warning",
    "ack-after-move": "warning",
    "repeat-without-timer": "warning",
    "level-without-backup": "warning",
    # calendars
    "unused-calendar": "warning",
    "calendar-closed-year": "warning",
    "calendar-ends": "warning",
    # directory and schedules
    "no-contact-channel": "warning",
    "contact-never-validated": "warning",
    "stale-contact": "warning",
    "role-without-backup": "info",
    "unused-person": "warning",
    "schedule-gap": "warning",
    "member-never-on-call": "warning",
    # notification plans
    "plan-step-no-address": "warning",
    "plan-no-address": "warning",
    "plan-outlasts-level": "warning",
    # segments
    "segment-unreachable": "warning",
    "segment-shadowed": "warning",
    # audiences
    "multiple-points-of-contact": "warning",
    "classified-field-unknown": "warning",
    # governance and authority
    "authority-near-miss": "warning",
    "override-authority-missing": "warning",
    # post-mortem follow-up
    "postmortem-never-required": "warning",
    "postmortem-thresholds-unreached": "warning",
    "postmortem-owner-without-manager": "warning",
    # suppressions
    "unused-ignore": "info",
}
#: Every finding code and its severity (docs/lint.md says what each means and how to fix it).
CODES: Mapping[str, Severity] = FrozenMap(_CODES, what="lint code")
#: The codes whose findings depend on the ``as_of`` instant: found on one day and not the
#: next, so an ignore of one is never an ``unused-ignore``.
TIMED_CODES = frozenset(
    {"stale-contact", "calendar-ends", "schedule-gap", "notify-off-hours", "member-never-on-call"}
)
#: The codes only looked for with an ``as_of``: without one, an ignore of them is not unused.
AS_OF_CODES = TIMED_CODES | {"contact-never-validated"}


@functools.total_ordering
@dataclass(frozen=True, slots=True, eq=True)
class Finding:
    """One lint finding.

    * ``code``: short and stable (``no-rationale``), a key of :data:`CODES`;
    * ``severity``: ``error``, ``warning`` or ``info`` (the code's);
    * ``where``: the key path it is about, a tuple as :class:`~escalate.errors.PolicyError`
      has (``("directory", "people", "anna", "validated_at")``), except that rules and
      segments are named by their id (``("rules", "wrong-team")``), and a segment's findings
      start with ``("segments", <id>)``; :attr:`path` renders it;
    * ``source``: ``(file, line, column)`` of that key in the document that wrote it (for a
      policy that ``extends`` another or is spread over a folder, the file differs per key);
      ``None`` when the policy was compiled without positions;
    * ``message``: what is wrong, readable.

    A value: immutable, hashable, equal when every field is, and ordered by position (file,
    line, column), then path, code and message.
    """

    code: str
    severity: Severity
    where: KeyPath
    message: str
    source: tuple[str, int, int] | None = None

    @property
    def path(self) -> str:
        """``where`` as a message writes it: ``directory.people.anna.validated_at`` (see
        :func:`render_where`: a key with a dot in it is quoted, ``directory.people.'a.b'``)."""
        return render_where(self.where)

    def _key(self) -> tuple[str, int, int, str, str, str]:
        file, line, col = self.source or ("", 0, 0)
        return (file, line, col, self.path, self.code, self.message)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Finding):
            return NotImplemented
        return self._key() < other._key()

    def to_dict(self) -> dict[str, object]:
        """The finding as JSON data: code, severity, file, line, col, where, message (file,
        line and col are ``None`` when unknown)."""
        file, line, col = self.source or (None, None, None)
        return {
            "code": self.code,
            "severity": self.severity,
            "file": file,
            "line": line,
            "col": col,
            "where": self.path,
            "message": self.message,
        }

    def __str__(self) -> str:
        """``file:line:col: severity code: where: message``, the line ``escalate validate``
        prints (without ``file:line:col:`` when the position is unknown)."""
        at = "" if self.source is None else "{}:{}:{}: ".format(*self.source)
        return f"{at}{self.severity} {self.code}: {self.path}: {self.message}"


#: A key written as it is in a ``where``: no dot, bracket, quote or blank, printable.
_PLAIN_KEY = re.compile(r"[^.\[\]'\"\s]+")
#: One step of a written ``where``: ``.key``, ``.'quoted key'``, or ``[index]``.
_WHERE_STEP = re.compile(
    r"""(?P<dot>\.)?(?:(?P<plain>[^.\[\]'"\s]+)|(?P<quoted>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
    r"|\[(?P<index>0|[1-9][0-9]{0,8})\])"
)


def render_where(path: KeyPath) -> str:
    """A key path as findings print it and ``lint: ignore: where:`` writes it.

    Keys are joined with dots and indexes written ``[i]``, as in error messages; a key that
    could not be read back so (a dot, bracket, quote or blank in it, an empty, unprintable or
    very long key) is quoted as a Python string, so every rendered path names one key path:

    >>> render_where(("directory", "people", "anna.schmidt", "validated_at"))
    "directory.people.'anna.schmidt'.validated_at"
    >>> render_where(("paths", "desk", "levels", 1))
    'paths.desk.levels[1]'
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        plain = _PLAIN_KEY.fullmatch(part) and part.isprintable() and len(part) <= SHOWN_CHARS
        name = part if plain else shown(part)
        out += f".{name}" if out else name
    return out or "<root>"


def parse_where(text: str) -> KeyPath:
    """The key path a ``where`` names: the exact inverse of :func:`render_where`.

    >>> parse_where("directory.people.'anna.schmidt'.validated_at")
    ('directory', 'people', 'anna.schmidt', 'validated_at')
    >>> parse_where("paths.desk.levels[1]")
    ('paths', 'desk', 'levels', 1)

    Anything else is a :class:`~escalate.errors.PolicyError` (without a position: the caller
    knows where the text was written).
    """
    path: list[str | int] = []
    at = 0
    while at < len(text):
        step = _WHERE_STEP.match(text, at)
        # the path starts with a key; a key after it is written after a dot, an index never
        is_key, dotted = step is not None and step["index"] is None, step and step["dot"]
        if step is None or (is_key != bool(dotted) if path else not is_key or dotted):
            raise PolicyError(
                f"cannot read {shown(text)} as a key path at character {at + 1}: write keys "
                "joined by dots and indexes as [i] (paths.desk.levels[1]), and quote a key "
                "with a dot in it (directory.people.'anna.schmidt'), as findings print them"
            )
        if step["index"] is not None:
            path.append(int(step["index"]))
        elif step["quoted"] is not None:
            path.append(str(ast.literal_eval(step["quoted"])))
        else:
            path.append(step["plain"])
        at = step.end()
    if not path:
        raise PolicyError("an empty where names no key: leave it out to mean everywhere")
    return tuple(path)


def _finding(code: str, where: KeyPath, message: str) -> Finding:
    return Finding(code, CODES[code], where, message)


def lint(
    policy: Policy, *, as_of: datetime | None = None, horizon: timedelta = timedelta(days=14)
) -> tuple[Finding, ...]:
    """Every finding for a compiled policy, sorted (an empty tuple: nothing to say), less
    those the policy's ``lint: ignore:`` suppresses (an ignore that suppresses nothing is an
    ``unused-ignore`` finding).

    With ``as_of`` (aware), also: contacts whose ``validated_at`` is older than the
    directory's ``contact_max_age``, schedule gaps in ``[as_of, as_of + horizon)``, clock
    rungs that notify a schedule while it has nobody on call in that span, and calendars whose
    years end within a year of ``as_of``. ``horizon`` is a ``timedelta`` from zero to
    :data:`MAX_HORIZON`, and ``as_of + horizon`` must stay in escalate's instant range;
    otherwise :class:`~escalate.errors.ArgumentError` (wrong type) or
    :class:`~escalate.errors.InstantRangeError`.
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
    return tuple(sorted(_suppressed(policy, _findings(policy, as_of, horizon), as_of is not None)))


def _suppressed(policy: Policy, found: Iterable[Finding], dated: bool) -> list[Finding]:
    """``found`` less what the policy's ignores suppress, plus an ``unused-ignore`` finding
    for each ignore that suppressed nothing, unless what it ignores depends on the day
    (:data:`TIMED_CODES`), or is only looked for with an ``as_of`` and ``dated`` is false."""
    used: set[int] = set()
    kept: list[Finding] = []
    for finding in found:
        hits = [i.index for i in policy.lint_ignores if _ignores(i.code, i.path, finding)]
        used.update(hits)
        if not hits:
            kept.append(finding)
    for ignore in policy.lint_ignores:
        timed = ignore.code in TIMED_CODES or (ignore.code in AS_OF_CODES and not dated)
        if ignore.index not in used and not timed:
            where = f" at {ignore.where}" if ignore.where is not None else ""
            kept.append(
                _located(
                    policy,
                    _finding(
                        "unused-ignore",
                        ("lint", "ignore", ignore.index),
                        f"no {ignore.code} finding{where} to ignore: remove the entry",
                    ),
                )
            )
    return kept


def _ignores(code: str, where: KeyPath | None, finding: Finding) -> bool:
    """Whether an ignore of ``code`` at key path prefix ``where`` covers ``finding``: keys are
    compared whole (``directory.people.anna`` does not cover ``directory.people.'anna.b'``)."""
    if code != finding.code:
        return False
    return where is None or finding.where[: len(where)] == where


def _located(policy: Policy, finding: Finding) -> Finding:
    """``finding`` with the position of its key (or of the nearest key above it)."""
    positions = policy.positions
    where = finding.where
    while where:
        source = positions.get(where)
        if source is not None:
            return replace(finding, source=source)
        where = where[:-1]
    return finding


def _findings(
    policy: Policy, as_of: datetime | None, horizon: timedelta, usage: _Usage | None = None
) -> list[Finding]:
    """Every finding for ``policy`` and its segments, located, before suppression.

    Whether a calendar, path or level is used is decided over the policy and all its segments
    (``usage``): a path only a segment's rule transfers to is reachable, for the tickets of
    that segment; the segments' findings are the same question asked of what they declare."""
    if usage is None:
        usage = _Usage.of(policy)
    found: list[Finding] = _directory_findings(policy, as_of, horizon)
    found += _calendar_findings(policy, as_of)
    found += _contact_findings(policy)
    found += _classified_findings(policy)
    found += _authority_findings(policy)
    if policy.notifications is not None:
        found += _plan_findings(policy, policy.notifications)
    for clock in policy.clocks:
        found += _scope_findings(clock)
        found += _trigger_findings(policy, clock)
        found += _ladder_findings(clock)
        found += _dropped_actions(clock)
        if as_of is not None:
            found += _off_hours_findings(policy, clock, as_of, horizon)
    for rule in policy.rules:
        where: KeyPath = ("rules", rule.id)
        if not rule.rationale:
            found.append(_finding("no-rationale", where, "rule has no 'rationale:'"))
        if _contradictory(rule.when):
            found.append(
                _finding(
                    "unreachable-rule",
                    (*where, "when"),
                    "the conditions contradict one another (one field must take values that "
                    "exclude each other), so the rule never matches",
                )
            )
        found += _recurrence_findings(policy, rule.id, rule.when)
    for path in policy.paths:
        found += _path_findings(path, usage.levels)
        if not path.starts_on_open and path.name not in usage.paths:
            found.append(
                _finding(
                    "unreachable-path",
                    ("paths", path.name),
                    "path starts on trigger but no rule or ladder sends tickets to it",
                )
            )
        elif path.when is not None and _contradictory(path.when):
            found.append(
                _finding(
                    "unreachable-path",
                    ("paths", path.name, "when"),
                    "the conditions contradict one another, so the path never applies",
                )
            )
    for name in sorted(set(policy.calendars) - usage.calendars):
        found.append(_finding("unused-calendar", ("calendars", name), "calendar is never used"))
    if policy.postmortem is not None and not _requires_postmortem(policy):
        found.append(
            _finding(
                "postmortem-never-required",
                ("postmortem",),
                "no rule or clock rung of the policy (or of its segments) has a "
                "require_postmortem action, so no ticket ever has a post-mortem to follow up",
            )
        )
    found += _postmortem_findings(policy)
    located = [_located(policy, f) for f in found]
    if policy.segments:
        located += [_located(policy, f) for f in _segment_findings(policy.segments)]
        own = {(f.where, f.code, f.message) for f in located}
        for segment in policy.segments:
            assert isinstance(segment.policy, Policy)
            for finding in _findings(segment.policy, as_of, horizon, usage):
                if (finding.where, finding.code, finding.message) not in own:
                    # what the segment changed, not the base again
                    where = ("segments", segment.id, *finding.where)
                    located.append(replace(finding, where=where))
    return located


#: The fields a ``recurrence:`` section fills unless it names others (docs/policy-reference.md).
_RECURRENCE_FIELDS = ("fields.occurrences", "fields.recurrences")


def _recurrence_findings(policy: Policy, rule: str, when: Condition) -> list[Finding]:
    """A rule of a policy without ``recurrence:`` reading a field such a section fills: unless
    the tickets bring the count themselves, the field is missing and the rule never fires."""
    if policy.recurrence is not None:
        return []
    read = {leaf.field for leaf in leaves(when)}
    return [
        _finding(
            "recurrence-not-filled",
            ("rules", rule, "when"),
            f"the rule reads {name}, which a recurrence: section fills with a count over the "
            "corpus, and the policy declares none: unless every ticket brings the count, the "
            "field is missing and an ordered comparison on it never matches",
        )
        for name in _RECURRENCE_FIELDS
        if name in read
    ]


def _postmortem_findings(policy: Policy) -> list[Finding]:
    """Thresholds that an item without its own due never reaches (no ``items.due``), and an
    owner-manager threshold whose owner, as ``require_postmortem.owner`` names it, has no
    manager in the directory (the owner itself is notified instead)."""
    section = policy.postmortem
    if section is None:
        return []
    found: list[Finding] = []
    if section.items_due is None and section.items.ladder:
        found.append(
            _finding(
                "postmortem-thresholds-unreached",
                ("postmortem", "escalation"),
                "postmortem.items has no due, so an action item recorded without a due of its "
                "own has no due date and never reaches these thresholds (after: ones too)",
            )
        )
    document = [a for rung in section.document.ladder for a in rung.actions]
    items = [a for rung in section.items.ladder for a in rung.actions]
    if not any("postmortem-owner-manager" in a.targets for a in (*document, *items)):
        return found
    directory = policy.directory
    if directory.empty:
        return found
    for rule in policy.rules:
        for act in rule.actions:
            owner = act.details.get("owner") if act.kind == "require_postmortem" else None
            why = _no_manager(policy, owner) if isinstance(owner, str) else None
            if why is not None:
                found.append(
                    _finding(
                        "postmortem-owner-without-manager",
                        ("rules", rule.id, "then", "require_postmortem", "owner"),
                        f"postmortem-owner-manager of {owner}: {why}, so the threshold "
                        f"notifies {owner} itself",
                    )
                )
    for clock in policy.clocks:
        for rung in clock.ladder:
            for act in rung.actions:
                owner = act.details.get("owner") if act.kind == "require_postmortem" else None
                why = _no_manager(policy, owner) if isinstance(owner, str) else None
                if why is not None:
                    where = ("clocks", clock.name, "ladder", rung.index, "require_postmortem")
                    found.append(
                        _finding(
                            "postmortem-owner-without-manager",
                            (*where, "owner"),
                            f"postmortem-owner-manager of {owner}: {why}, so the threshold "
                            f"notifies {owner} itself",
                        )
                    )
    return found


def _no_manager(policy: Policy, owner: str) -> str | None:
    """Why the directory finds no manager for an owner (``None``: it does, or the owner is
    the ticket's assignee or group, known only per ticket)."""
    directory = policy.directory
    kind, _, name = owner.partition(":")
    if kind == "person":
        return None if directory.manager_of(name) is not None else f"{name} has no manager"
    if kind == "team" and (team := directory.teams.get(name)) is not None:
        return None if team.lead is not None else f"team {name} has no lead"
    if kind in ("role", "schedule"):
        people = sorted(_named_people(policy, [owner]))
        if people and all(directory.manager_of(p) is None for p in people):
            return f"nobody who can hold it ({', '.join(people)}) has a manager"
    return None


def _owners_notified(policy: Policy) -> bool:
    """Whether the post-mortem thresholds of the policy or of a segment notify an owner."""
    owners = ("item-owner", "item-owner-manager", "postmortem-owner", "postmortem-owner-manager")
    for compiled in (policy, *(s.policy for s in policy.segments)):
        assert isinstance(compiled, Policy)
        section = compiled.postmortem
        if section is None:
            continue
        for clock in (section.items, section.document):
            for rung in clock.ladder:
                if any(t in owners for a in rung.actions for t in a.targets):
                    return True
    return False


def _requires_postmortem(policy: Policy) -> bool:
    """Whether a rule or clock rung of the policy or of one of its segments requires a
    post-mortem."""
    for compiled in (policy, *(s.policy for s in policy.segments)):
        assert isinstance(compiled, Policy)
        if any(act.kind == "require_postmortem" for act in _all_actions(compiled)):
            return True
    return False


def _plan_findings(policy: Policy, notifications: Notifications) -> list[Finding]:
    """Plans that reach someone without an address for a step (or for any step), and plan
    steps or communication failures a level's ``after`` cuts off (docs/notifications.md).

    Who a plan reaches is read from the targets as written: a level's plan reaches the people
    its targets and ``fallback`` name (schedule members, team members, role holders); a
    person's own plan reaches that person; the default plan everyone without a plan of their
    own; a notify's named plan the people its targets name.
    """
    directory = policy.directory
    reached: dict[str, dict[str, str]] = {}  # plan -> person -> through what

    def reach(plan: str | None, people: Iterable[str], through: str) -> None:
        for pid in sorted(people):
            person = directory.people.get(pid)
            if person is None:
                continue
            name = plan or person.notification_plan or notifications.default_plan
            if name is not None:
                reached.setdefault(name, {}).setdefault(pid, through)

    reach(None, directory.people, "the people's plans and the default")
    levels: list[tuple[PathDef, int, set[str]]] = []
    for path in policy.paths:
        for i, level in enumerate(path.levels):
            people = _named_people(policy, (*level.targets, *level.fallback))
            through = render_where(("paths", path.name, "levels", i))
            reach(level.notification_plan, people, through)
            levels.append((path, i, people))
    for act in _all_actions(policy):
        plan = act.details.get("plan") if act.kind == "notify" else None
        if isinstance(plan, str):
            reach(plan, _named_people(policy, act.targets), "a notify action")
    out: list[Finding] = []
    for name, reached_by in sorted(reached.items()):
        plan = notifications.plans[name]
        for pid, through in reached_by.items():
            person = directory.people[pid]
            missing = [step for step in plan.steps if address_of(step.channel, person) is None]
            where = ("directory", "people", pid, "channels")
            if len(missing) == len(plan.steps):
                out.append(
                    _finding(
                        "plan-no-address",
                        where,
                        f"plan {name} reaches {pid} (through {through}), who has an address for "
                        "none of its steps: every attempt is skipped",
                    )
                )
                continue
            for step in missing:
                out.append(
                    _finding(
                        "plan-step-no-address",
                        where,
                        f"no {step.channel.kind} address for step {step.index + 1} "
                        f"({step.channel.name}) of plan {name}, which reaches {pid} (through "
                        f"{through}): the step is skipped",
                    )
                )
    for path, i, people in levels:
        level = path.levels[i]
        after = level.after
        if after is None or level.calendar is not None or after.is_business_days or after.is_months:
            continue
        names = {level.notification_plan} if level.notification_plan else set()
        if not names:
            for pid in people:
                someone = directory.people.get(pid)
                found = None if someone is None else someone.notification_plan
                if found or notifications.default_plan:
                    names.add(found or notifications.default_plan or "")
        for name in sorted(names):
            out += _outlasts(path, i, notifications.plans[name], after.delta)
    return out


def _outlasts(path: PathDef, index: int, plan: NotificationPlan, limit: timedelta) -> list[Finding]:
    """The steps (and the communication failure) of ``plan`` that come when a level with
    ``after: limit`` has already moved on: its chain stops then, so they never come."""
    level = path.levels[index]
    where = ("paths", path.name, "levels", index, "after")
    late = [step for step in plan.steps if step.after >= limit]
    out = []
    if late:
        steps = ", ".join(f"{step.index + 1} ({step.channel.name})" for step in late)
        out.append(
            _finding(
                "plan-outlasts-level",
                where,
                f"plan {plan.name}'s step{'s' if len(late) > 1 else ''} {steps} "
                f"come{'' if len(late) > 1 else 's'} no sooner "
                f"than {level.name}'s after ({level.after.text if level.after else ''}): the "
                "path moves on first, so they are never made",
            )
        )
    elif plan.escalate_after is not None:
        failure = plan.steps[-1].after + plan.escalate_after
        if failure >= limit:
            out.append(
                _finding(
                    "plan-outlasts-level",
                    where,
                    f"plan {plan.name} reports a communication failure "
                    f"{format_duration(failure)} after the page, no sooner than {level.name}'s "
                    f"after ({level.after.text if level.after else ''}): the path moves on "
                    "first, so it is never reported",
                )
            )
    return out


def _named_people(policy: Policy, targets: Iterable[str]) -> set[str]:
    """Everyone ``targets`` name as written: people, team members and their schedule's
    members, whoever fills a role, a schedule's members, a person's escalation manager."""
    directory = policy.directory
    out: set[str] = set()
    for target in targets:
        kind, _, name = target.partition(":")
        if kind == "person":
            out.add(name)
        elif kind == "team" and (team := directory.teams.get(name)) is not None:
            out.update(team.members)
            if team.schedule is not None and team.schedule in directory.schedules:
                out.update(directory.schedules[team.schedule].people)
        elif kind == "role" and (role := directory.roles.get(name)) is not None:
            out |= _named_people(policy, [role.filled_by])
        elif kind == "schedule" and name in directory.schedules:
            out.update(directory.schedules[name].people)
        elif kind == "manager" and (manager := directory.manager_of(name)) is not None:
            out.add(manager)
    return out


@dataclass(frozen=True, slots=True)
class _Usage:
    """What a policy and its segments use: calendar names, the paths some rule or rung
    escalates or transfers to, and the (path, level name) pairs one sends tickets to."""

    calendars: frozenset[str]
    paths: frozenset[str]
    levels: frozenset[tuple[str, str]]

    @staticmethod
    def of(policy: Policy) -> _Usage:
        calendars = {"24x7"}
        paths: set[str] = set()
        levels: set[tuple[str, str]] = set()
        for compiled in (policy, *(s.policy for s in policy.segments)):
            assert isinstance(compiled, Policy)
            calendars |= _calendars_named(compiled)
            by_name = {path.name: path for path in compiled.paths}
            for act in _all_actions(compiled):
                if act.path is None:
                    continue
                paths.add(act.path)
                target = by_name.get(act.path)
                if act.level is not None and target is not None:
                    # by name: a segment may give the path other levels
                    levels.add((act.path, target.levels[act.level].name))
        return _Usage(frozenset(calendars), frozenset(paths), frozenset(levels))


def _calendars_named(policy: Policy) -> set[str]:
    """Every calendar the policy names: clock targets (scoped definitions' too), levels, vendor
    contracts, and the ``within`` / ``not_within`` tests of every condition (rules, clocks,
    definitions, paths)."""
    names: set[str] = set()
    conditions: list[Condition | None] = [rule.when for rule in policy.rules]
    for clock in policy.clocks:
        names.update(target.calendar_name for target in clock.targets.values())
        conditions.append(clock.when)
        for definition in clock.definitions:
            names.update(target.calendar_name for target in definition.targets.values())
            conditions.append(definition.when)
    for path in policy.paths:
        names.update(level.calendar_name for level in path.levels if level.calendar_name)
        conditions.append(path.when)
    names.update(vendor.calendar_name for vendor in policy.vendors)
    if policy.postmortem is not None:
        names.add(policy.postmortem.calendar)
    conditions += [segment.when for segment in policy.segments]
    for condition in conditions:
        if condition is not None:
            names.update(
                str(leaf.expected) for leaf in leaves(condition) if leaf.calendar is not None
            )
    return names


def _all_actions(policy: Policy) -> list[ActionDef]:
    """The actions of every rule, clock rung and post-mortem threshold."""
    actions = [act for rule in policy.rules for act in rule.actions]
    actions += [act for clock in policy.clocks for rung in clock.ladder for act in rung.actions]
    if policy.postmortem is not None:
        for clock in (policy.postmortem.items, policy.postmortem.document):
            actions += [act for rung in clock.ladder for act in rung.actions]
    return actions


def _contradictory(condition: Condition | None) -> bool:
    """Whether no ticket can satisfy ``condition``: in its conjunction (``all`` and several
    keys) one field must equal values that exclude each other (``eq: P1`` and ``eq: P2``, or
    ``in`` and ``not_in`` covering it). Sound, not complete: ``any``, ``not``, ranges and
    patterns are not looked into."""
    if condition is None:
        return False
    allowed, excluded = _constraints(condition)
    return any(not (values - excluded.get(name, frozenset())) for name, values in allowed.items())


def _trigger_findings(policy: Policy, clock: ClockDef) -> list[Finding]:
    """Start, stop, pause and new-cycle settings that contradict one another."""
    out: list[Finding] = []
    where: KeyPath = ("clocks", clock.name)
    if clock.start and all(_implied(trigger, clock.stop) for trigger in clock.start):
        out.append(
            _finding(
                "start-within-stop",
                (*where, "start"),
                "whatever starts the clock also stops it (stop wins), so it never runs",
            )
        )
    elif clock.start and all(
        t.statuses is not None and t.statuses <= clock.pause for t in clock.start
    ):
        statuses = sorted({s for t in clock.start for s in t.statuses or ()})
        out.append(
            _finding(
                "start-paused",
                (*where, "start"),
                f"the clock starts only on entering {', '.join(statuses)}, which pause it: "
                "it counts nothing until the ticket leaves them",
            )
        )
    for status in sorted(clock.pause):
        if any(t.statuses and status in t.statuses for t in clock.stop):
            out.append(
                _finding(
                    "pause-is-stop",
                    (*where, "pause"),
                    f"status {status!r} both pauses and stops the clock",
                )
            )
    stops = sorted({s for t in clock.stop if t.statuses for s in t.statuses} - clock.pause)
    resolved = policy.statuses.in_categories(["resolved"])
    final = policy.statuses.in_categories(["closed", "cancelled"])
    left_by_reopen = [s for s in stops if s in resolved]
    left_by_change = [s for s in stops if s not in resolved and s not in final]
    if left_by_reopen and "reopened" not in clock.new_cycle_on:
        out.append(
            _finding(
                "stop-without-new-cycle",
                (*where, "stop"),
                f"the clock stops on {', '.join(left_by_reopen)}, which a reopen leaves, and "
                "'reopened' is not in new_cycle_on: a reopened ticket is not measured again",
            )
        )
    if left_by_change and "status-changed" not in clock.new_cycle_on:
        out.append(
            _finding(
                "stop-without-new-cycle",
                (*where, "stop"),
                f"the clock stops on {', '.join(left_by_change)}, which a ticket leaves with a "
                "plain status change, and nothing starts a new cycle then: it stays stopped "
                "for good (did you mean 'pause'?)",
            )
        )
    return out


def _implied(trigger: Trigger, stops: Iterable[Trigger]) -> bool:
    """Whether some stop trigger fires whenever ``trigger`` does (for each of its events)."""
    events: Iterable[str | None] = sorted(trigger.events) if trigger.events else [None]
    return all(
        any(
            (stop.events is None or (event is not None and event in stop.events))
            and (
                stop.statuses is None
                or (trigger.statuses is not None and trigger.statuses <= stop.statuses)
            )
            for stop in stops
        )
        for event in events
    )


def _scope_findings(clock: ClockDef) -> list[Finding]:
    """Scoped definitions that tie, and tickets that no definition covers.

    What lint can decide without tickets: two definitions with the same precedence are reported
    unless they share no priority or their conditions are provably disjoint (they require
    different values of one field, as ``customer.id: acme`` and ``customer.id: globex`` do);
    conditions that exclude each other in other ways (``not``, ranges, patterns) are reported
    as possibly overlapping. Whether some ticket matches none of the scoped conditions is not
    decided: a clock without an unconditional definition is reported as such.
    """
    out: list[Finding] = []
    where: KeyPath = ("clocks", clock.name, "definitions")
    if _contradictory(clock.when):
        out.append(
            _finding(
                "unreachable-definition",
                ("clocks", clock.name, "when"),
                "the clock's conditions contradict one another, so it applies to no ticket",
            )
        )
    scoped = [d for d in clock.definitions if d.when is not None]
    for definition in scoped:
        if _contradictory(definition.when):
            out.append(
                _finding(
                    "unreachable-definition",
                    (*where, definition.order, "when"),
                    f"the conditions of definition {definition.id!r} contradict one another, "
                    "so it applies to no ticket",
                )
            )
    if not scoped:
        return out
    for i, first in enumerate(scoped):
        for second in scoped[i + 1 :]:
            if first.precedence != second.precedence:
                continue
            shared = _shared_priorities(first, second)
            if shared == () or _disjoint(first.when, second.when):
                continue
            a, b = sorted((first, second), key=lambda d: d.order)
            out.append(
                _finding(
                    "definition-overlap",
                    (*where, b.order),
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
    out.append(_finding("uncovered-tickets", ("clocks", clock.name), message))
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
        where: KeyPath = ("segments", segment.id, "when")
        if box is None:
            out.append(
                _finding(
                    "segment-unreachable",
                    where,
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
                _finding(
                    "segment-shadowed",
                    where,
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
                    _finding(
                        "segment-shadowed",
                        where,
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
    where: KeyPath = ("clocks", clock.name, "ladder")
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
                        _finding(
                            "rung-at-start",
                            (*where, j, "before_breach"),
                            f"for {named} ({target.duration.text}) the lead is not shorter "
                            "than the target, so the rung is due when the clock starts",
                        ),
                    )
                for i in range(j):
                    if amounts[j] <= amounts[i]:
                        found.setdefault(
                            (j, "rungs-out-of-order"),
                            _finding(
                                "rungs-out-of-order",
                                (*where, j),
                                f"for {named} ({target.duration.text}) rung {_measure(rung)} "
                                f"is reached no later than rung {i} ({_measure(ladder[i])}) "
                                "written before it",
                            ),
                        )
    return list(found.values())


def _dropped_actions(clock: ClockDef) -> list[Finding]:
    """Rungs that only move paths (``escalate``, ``transfer``) above a rung with other actions.

    A ladder collapses to its highest reached rung: at such a rung's threshold the actions of
    the rung before it (a notification not yet done) are withdrawn, and nothing but the move
    takes their place; a move to a level the path has already reached emits nothing at all.
    """
    out = []
    for j, (lower, rung) in enumerate(itertools.pairwise(clock.ladder), 1):
        kept = sorted({act.kind for act in lower.actions if act.path is None})
        if kept and all(act.path is not None for act in rung.actions):
            kinds = " and ".join(kept)
            out.append(
                _finding(
                    "rung-drops-actions",
                    ("clocks", clock.name, "ladder", j),
                    f"the rung only moves paths, so when it is reached it withdraws rung "
                    f"{j - 1}'s {kinds} (a ladder keeps only its highest reached rung) and "
                    f"nothing else is due; repeat the {kinds} on this rung",
                )
            )
    return out


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


def _path_findings(path: PathDef, requested: frozenset[tuple[str, str]]) -> list[Finding]:
    """Settings a path accepts that can have no effect, and levels nothing reaches
    (``requested``: the (path, level name) pairs some action escalates or transfers to)."""
    out = []
    levels = path.levels
    where: KeyPath = ("paths", path.name, "levels")
    if path.starts_on_open and not path.page_first_level and levels[0].ack_within is not None:
        out.append(
            _finding(
                "ack-within-on-start-level",
                (*where, 0, "ack_within"),
                "the first level of an on-open path pages nobody, so nothing can go unanswered",
            )
        )
    if path.page_first_level and not path.starts_on_open:
        out.append(
            _finding(
                "page-first-level-on-trigger",
                ("paths", path.name, "page_first_level"),
                "a path that starts on trigger pages its first level anyway",
            )
        )
    if levels[0].at is not None:
        out.append(
            _finding(
                "at-on-first-level", (*where, 0, "at"), "the first level is entered at the start"
            )
        )
    for i, level in enumerate(levels):
        has_timer = level.after is not None or (
            i + 1 < len(levels) and levels[i + 1].at is not None
        )
        if level.ack_timeout is not None and not has_timer:
            out.append(
                _finding(
                    "ack-timeout-without-timer",
                    (*where, i, "ack_timeout"),
                    "the level never moves on by itself, so an acknowledgement cannot lapse",
                )
            )
    for i in range(len(levels)):
        moves = _moves_by_then(path, i)
        if moves is not None:
            out.append(_finding("ack-after-move", (*where, i, "ack_within"), moves))
    reached = True  # the first level is where the path starts
    for i, level in enumerate(levels[1:], 1):
        by_timer = level.at is not None or (reached and levels[i - 1].after is not None)
        reached = by_timer or (path.name, level.name) in requested
        if not reached:
            out.append(
                _finding(
                    "unreachable-level",
                    (*where, i),
                    f"nothing moves the path to {level.name}: the level before it is never "
                    f"left by an 'after' (or never reached), {level.name} has no 'at', and no "
                    "rule or rung escalates or transfers to it",
                )
            )
    if path.repeat and levels[-1].after is None:
        out.append(
            _finding(
                "repeat-without-timer",
                ("paths", path.name, "repeat"),
                "the last level has no 'after', so the path never starts another round",
            )
        )
    return out


def _moves_by_then(path: PathDef, i: int) -> str | None:
    """Why level ``i``'s unanswered page is never sent, or ``None``: the page falls due
    ``ack_within`` (wall time) after the level is entered, and the path's ``after`` timer moves
    it on no later than that, at which instant the level is no longer active (equal instants:
    the move wins). An ``after`` on a calendar is at least as long in wall time, so there the
    page is lost whenever the calendar stays open; ``bd`` and ``mo`` timers are left alone."""
    level = path.levels[i]
    after, ack_within = level.after, level.ack_within_delta
    if ack_within is None or after is None or after.is_business_days or after.is_months:
        return None
    last = i == len(path.levels) - 1
    if (last and not path.repeat) or ack_within < after.delta:
        return None  # the last level of a path that does not repeat is never left
    rounds = " (in every round but the last)" if last else ""
    open_ = f" while its calendar {level.calendar_name} stays open" if level.calendar else ""
    return (
        f"ack_within {level.ack_within} is not shorter than after {after.text}: the path moves "
        f"on{open_} no later than the unacknowledged page falls due, so that page (to backups "
        f"and fallback) is never sent{rounds}; make ack_within shorter than after"
    )


def _directory_findings(
    policy: Policy, as_of: datetime | None, horizon: timedelta
) -> list[Finding]:
    """People, teams, roles, levels and schedules that would fail someone at 3 a.m."""
    directory = policy.directory
    out: list[Finding] = []
    if directory.empty:
        return out
    used = _people_used(policy) if policy.segment is None else set(directory.people)
    if _owners_notified(policy):
        # anyone may own a post-mortem or an action item (the tickets' events say who), and
        # the section's thresholds notify the owners: nobody is unused
        used = set(directory.people)
    for pid, person in directory.people.items():
        where: KeyPath = ("directory", "people", pid)
        if not person.channels:
            out.append(_finding("no-contact-channel", where, "person has no contact channel"))
        if pid not in used and not person.authority and person.spend_limit is None:
            out.append(
                _finding(
                    "unused-person",
                    where,
                    "no team, role, schedule, path level, rule or rung names this person, "
                    "nor anyone's backup or managers: nobody is ever paged through this entry",
                )
            )
        if as_of is not None and directory.contact_max_age is not None:
            checked = person.validated_at
            if checked is None:
                out.append(
                    _finding("contact-never-validated", where, "contact details never validated")
                )
            elif as_of.astimezone(UTC).date() - checked > directory.contact_max_age:
                age = (as_of.astimezone(UTC).date() - checked).days
                out.append(
                    _finding(
                        "stale-contact",
                        (*where, "validated_at"),
                        f"contact details last validated {checked.isoformat()}, {age} days ago",
                    )
                )
    for rid, role in directory.roles.items():
        if role.backup is None:
            out.append(
                _finding("role-without-backup", ("directory", "roles", rid), "role has no backup")
            )
    for path in policy.paths:
        for i, level in enumerate(path.levels):
            if not level.fallback and not _has_backup(policy, level.targets):
                out.append(
                    _finding(
                        "level-without-backup",
                        ("paths", path.name, "levels", i),
                        f"nobody behind {level.name}'s targets has a backup and the level has "
                        "no fallback",
                    )
                )
    if as_of is not None:
        for name, schedule in directory.schedules.items():
            for gap in schedule.gaps(as_of, as_of + horizon):
                out.append(
                    _finding(
                        "schedule-gap",
                        ("schedules", name),
                        f"nobody on call from {gap.start.isoformat()} to {gap.end.isoformat()}",
                    )
                )
            out += _unseen_member_findings(name, schedule, as_of, horizon)
    return out


def _authority_findings(policy: Policy) -> list[Finding]:
    """Authority labels that look like a misspelt built-in action (an override by someone
    holding ``overide-escalation`` is refused), and ``unauthorised: reject`` with nobody
    anywhere holding ``override-escalation`` (every override is rejected)."""
    directory = policy.directory
    declared: list[tuple[KeyPath, tuple[str, ...]]] = [
        (("directory", "people", pid, "authority"), person.authority)
        for pid, person in directory.people.items()
    ]
    declared += [
        (("directory", "roles", rid, "authority"), role.authority)
        for rid, role in directory.roles.items()
    ]
    declared += [
        (("paths", path.name, "levels", level.index, "authority"), level.authority)
        for path in policy.paths
        for level in path.levels
    ]
    out: list[Finding] = []
    for where, labels in declared:
        for i, label in enumerate(labels):
            meant = action_near_miss(label)
            if meant is not None:
                out.append(
                    _finding(
                        "authority-near-miss",
                        (*where, i),
                        f"authority {label!r} is not an action escalate names; did you mean "
                        f"{meant!r}? (authorize matches labels exactly)",
                    )
                )
    gov = policy.governance
    if (
        policy.segment is None
        and gov is not None
        and gov.unauthorised == "reject"
        and not any("override-escalation" in labels for _, labels in declared)
    ):
        out.append(
            _finding(
                "override-authority-missing",
                ("governance", "overrides", "unauthorised"),
                "overrides: {unauthorised: reject} but no person, role or path level holds "
                "'override-escalation': every override is rejected",
            )
        )
    return out


def _unseen_member_findings(
    name: str, schedule: Schedule, as_of: datetime, horizon: timedelta
) -> list[Finding]:
    """Rotation members never on call through their layer although a whole round of it
    lies ahead: each layer is judged from ``as_of`` (or its ``effective_from``) over the
    horizon stretched to one round of that layer (at most :data:`MAX_HORIZON` after
    ``as_of``), so that a member whose turn simply has not come yet is not reported
    (:meth:`Schedule.never_on_call <escalate.people.schedule.Schedule.never_on_call>`)."""
    out: list[Finding] = []
    if not horizon:
        return out  # no look ahead asked for (as schedule-gap finds nothing)
    for layer, person, where, masked, lo, hi in schedule.never_on_call(as_of, horizon, MAX_HORIZON):
        hint = (
            "; with advance: always, turns that fall on the layer's off hours pass unseen "
            "(advance: per-shift gives turns only to shifts the layer works)"
            if masked
            else ""
        )
        out.append(
            _finding(
                "member-never-on-call",
                ("schedules", name, *where),
                f"{person} is never on call through layer {layer!r} of schedule {name!r} from "
                f"{lo.isoformat()} to {hi.isoformat()}{hint}",
            )
        )
    return out


def _people_used(policy: Policy) -> set[str]:
    """Everyone some entry of the policy (or of one of its segments) can page or route
    through: targets of levels, rules and rungs, teams, roles, schedules, backups, managers."""
    used: set[str] = set()
    for compiled in (policy, *(s.policy for s in policy.segments)):
        assert isinstance(compiled, Policy)
        directory = compiled.directory
        targets: list[str] = []
        for path in compiled.paths:
            for level in path.levels:
                targets += [*level.targets, *level.fallback]
                if level.owner is not None:
                    targets.append(level.owner)
        for act in _all_actions(compiled):
            targets += act.targets
            owner = act.details.get("owner") if act.kind == "require_postmortem" else None
            if isinstance(owner, str):
                targets.append(owner)
        targets += [t for audience in compiled.audiences for t in audience.targets]
        targets += [t for found in compiled.points_of_contact.values() for t in found]
        for target in targets:
            kind, _, name = target.partition(":")
            if kind in ("person", "manager"):
                used.add(name)
        for team in directory.teams.values():
            used.update(team.members)
            used.update(p for p in (team.lead, team.backup) if p is not None)
        for role in directory.roles.values():
            kind, _, name = role.filled_by.partition(":")
            if kind == "person":
                used.add(name)
            if role.backup is not None:
                used.add(role.backup)
        for schedule in directory.schedules.values():
            used.update(schedule.people)
        for person in directory.people.values():
            used.update(p for p in (person.backup, person.escalation_authority) if p)
            used.update(person.managers)
    return used


def _contact_findings(policy: Policy) -> list[Finding]:
    """Points of contact that can name more than one person at once: a message for that
    audience must name exactly one owner, so it fails whenever they do."""
    out = []
    for audience, contacts in policy.points_of_contact.items():
        for contact in contacts:
            why = _several(policy, contact, 0)
            if why is not None:
                out.append(
                    _finding(
                        "multiple-points-of-contact",
                        ("audiences", audience, "point_of_contact"),
                        f"{contact}: {why}; a message to {audience} names exactly one owner, "
                        "so Policy.messages fails whenever it names several (name a person, "
                        "or a role filled by one person)",
                    )
                )
    return out


def _several(policy: Policy, target: str, depth: int) -> str | None:
    """Why ``target`` can name more than one person at once, or ``None`` when it cannot."""
    directory = policy.directory
    kind, _, name = target.partition(":")
    if kind == "team" and name in directory.teams:
        team = directory.teams[name]
        if team.schedule is not None:
            why = _schedule_why(policy, team.schedule)
            return None if why is None else f"team {name} is staffed by {why}"
        if len(team.members) > 1:
            return f"team {name} has {len(team.members)} members, all named at once"
    elif kind == "schedule":
        return _schedule_why(policy, name)
    elif kind == "role" and name in directory.roles and depth < 4:
        filled = directory.roles[name].filled_by
        why = _several(policy, filled, depth + 1)
        if why is not None:
            return f"role {name} is filled by {filled}: {why}"
    return None


def _schedule_why(policy: Policy, name: str) -> str | None:
    """Why on-call schedule ``name`` can put several people on call at once (``None``: it
    provably never does; its hand-offs change the one person, which a contact may do)."""
    schedule = policy.directory.schedules.get(name)
    if schedule is None or len(schedule.people) < 2:
        return None
    why = _overlaps(schedule)
    return None if why is None else f"on-call schedule {name}, which {why}"


def _overlaps(schedule: Schedule) -> str | None:
    """How ``schedule`` can put two people on call at once, or ``None`` when it cannot: each
    level has one layer, each turn names one person, and no two overrides overlap (the
    overrides' timeline is compiled: each stretch's people are known)."""
    tiers = getattr(schedule, "_tiers", None)
    overrides = getattr(schedule, "_ov_people", None)
    if tiers is None or overrides is None:  # not a schedule compiled by people.schedule
        return "may put several people on call at once"
    for tier in tiers:
        if len(tier) > 1:
            names = ", ".join(str(getattr(layer, "name", "?")) for layer in tier)
            return f"has layers on one level ({names}) that can both have someone on call"
        for layer in tier:
            for groups in getattr(layer, "vgroups", ()):
                if any(group is not None and len(group) > 1 for group in groups):
                    return f"has turns of several people (layer {getattr(layer, 'name', '?')})"
    if any(people is not None and len(people) > 1 for people in overrides):
        return "has overrides that put several people on call at once"
    return None


def _classified_findings(policy: Policy) -> list[Finding]:
    """Classified custom fields nothing else names: misspelt, they would redact nothing."""
    renderer = getattr(policy, "_renderer", None)
    if not isinstance(renderer, Comms):
        return []
    return [
        _finding(
            "classified-field-unknown",
            ("classification", path),
            f"nothing else in the policy names {path} (no custom_fields entry, no template "
            "reads it): if it is misspelt, the ticket's real field is not redacted; declare "
            "the tickets' custom fields in custom_fields: to make a misspelt classification a "
            "load error",
        )
        for path in renderer.unnamed_fields
    ]


def _calendar_findings(policy: Policy, as_of: datetime | None) -> list[Finding]:
    """Calendars with a year of their range without any working time, and (with ``as_of``)
    calendars whose years end within :data:`CALENDAR_NOTICE` of it."""
    out: list[Finding] = []
    for name, calendar in policy.calendars.items():
        if name == "24x7":
            continue
        where: KeyPath = ("calendars", name)
        first, last = calendar.years
        if calendar.window_count == 1 and (first, last) == (MINYEAR, MAXYEAR):
            continue  # open around the clock for every year (24x7 in a zone): nothing to find
        for year in range(first, last + 1):
            if _closed_all_year(calendar, year):
                out.append(
                    _finding(
                        "calendar-closed-year",
                        where,
                        f"the calendar has no working time in {year} (UTC): clocks on it "
                        "count nothing that year and rungs wait for the next",
                    )
                )
        if as_of is not None and calendar.valid_until <= as_of + CALENDAR_NOTICE:
            # not valid_until's UTC date: the day after for UTC and the zones west of it
            out.append(
                _finding(
                    "calendar-ends",
                    where,
                    f"the calendar covers the years {first}-{last}, through {last}-12-31 (the "
                    "last day of its years, in its zone): a ticket measured on it past then is "
                    "refused (CalendarRangeError); extend its years",
                )
            )
    return out


def _closed_all_year(calendar: Calendar, year: int) -> bool:
    """Whether ``calendar`` has no working time in ``year`` (UTC, within its range)."""
    start = max(calendar.valid_from, datetime(year, 1, 1, tzinfo=UTC))
    end = min(calendar.valid_until, datetime(year + 1, 1, 1, tzinfo=UTC))
    if start >= end:
        return False
    try:
        return calendar.next_open(start) >= end
    except CalendarRangeError:  # no opening before the end of its range
        return True


def _off_hours_findings(
    policy: Policy, clock: ClockDef, as_of: datetime, horizon: timedelta
) -> list[Finding]:
    """Rungs that notify an on-call schedule (directly, through a team or a role) while it
    has nobody on call and the clock's calendar is open, in ``[as_of, as_of + horizon)``: a
    rung can fall due then, and the notification reaches nobody."""
    out: list[Finding] = []
    directory = policy.directory
    calendars = {t.calendar_name: t.calendar for t in clock.targets.values()}
    for definition in clock.definitions:
        calendars.update({t.calendar_name: t.calendar for t in definition.targets.values()})
    for j, rung in enumerate(clock.ladder):
        schedules = sorted(
            {
                s
                for act in rung.actions
                if act.kind == "notify"
                for target in act.targets
                for s in _schedules_of(policy, target)
            }
        )
        for name in schedules:
            schedule = directory.schedules[name]
            hit = _first_open_gap(schedule.gaps(as_of, as_of + horizon), calendars)
            if hit is not None:
                (start, end), calendar_name = hit
                out.append(
                    _finding(
                        "notify-off-hours",
                        ("clocks", clock.name, "ladder", j),
                        f"the rung notifies schedule {name!r}, which has nobody on call from "
                        f"{start.isoformat()} to {end.isoformat()} while calendar "
                        f"{calendar_name!r} is open: a rung falling due then reaches nobody",
                    )
                )
                break
    return out


def _schedules_of(policy: Policy, target: str) -> list[str]:
    """The schedules a notify target reaches people through."""
    directory = policy.directory
    kind, _, name = target.partition(":")
    if kind == "schedule" and name in directory.schedules:
        return [name]
    if kind == "team":
        team = directory.teams.get(name)
        if team is not None and team.schedule is not None and not team.members:
            return [team.schedule] if team.schedule in directory.schedules else []
    if kind == "role":
        role = directory.roles.get(name)
        if role is not None and not role.filled_by.startswith("person:"):
            return _schedules_of(policy, role.filled_by)
    return []


def _first_open_gap(
    gaps: Iterable[Shift], calendars: Mapping[str, Calendar]
) -> tuple[tuple[datetime, datetime], str] | None:
    """The first gap (a shift with nobody on call) in which one of ``calendars`` is open."""
    for gap in gaps:
        start, end = gap.start, gap.end
        for name in sorted(calendars):
            try:
                if calendars[name].windows(start, end):
                    return (start, end), name
            except CalendarRangeError:
                continue
    return None


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
