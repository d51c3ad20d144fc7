"""People, teams, roles and schedules, and who a target reaches at an instant.

The directory is part of the policy (``directory:`` and ``schedules:`` in YAML). Availability
(out of office, unreachable, temporary schedule overrides) is *input* to an evaluation, never
read from anywhere. :meth:`Directory.resolve` turns a level's targets into concrete people at
an instant and explains every substitution it made:

* ``person:x`` is x; ``team:x`` is the team's schedule's on-call people if the team names a
  schedule, else its members; ``role:x`` is whoever fills the role (a person, a team or a
  schedule); ``schedule:x`` is who is on call; ``manager:x`` is the manager x escalates to
  (``escalation_authority``, else the only manager).
* An unavailable person falls back along a declared chain: their ``backup``, then the lead
  and the backup of the team they were reached through, then the backup of the role, then
  whoever is next on call in the schedule they came from. The first available one is paged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any, NamedTuple

from escalate._models import validate_model
from escalate.calendars._durations import parse_duration
from escalate.calendars._holidays import parse_date
from escalate.calendars._instants import MAX_US, checked_utc, from_us, load_zone, to_us
from escalate.calendars.calendar import parse_interval, parse_weekdays
from escalate.calendars.models import WeeklyTimes
from escalate.calendars.timewindow import TimeWindow
from escalate.errors import ArgumentError, PolicyError, shown, suggest
from escalate.people.availability import Availability
from escalate.people.models import (
    DirectoryModel,
    PersonModel,
    RoleModel,
    SpendLimitModel,
    TeamModel,
)
from escalate.people.schedule import Schedule

__all__ = ["Directory", "Person", "Resolution", "Role", "SpendLimit", "Team"]

Path = tuple[str | int, ...]
TARGET_KINDS = ("person", "team", "role", "schedule", "manager")
NEXT_ON_CALL_HORIZON = timedelta(days=62)  # how far "next in rotation" looks ahead
_NEXT_ON_CALL = ""  # placeholder in a fallback chain: whoever is next on call in a schedule


@dataclass(frozen=True, slots=True)
class SpendLimit:
    """The most one may commit on one decision: ``amount`` (exact) in ``currency`` (ISO 4217)."""

    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who can be paged."""

    id: str
    name: str | None
    timezone: str | None
    # read-only; left out of the hash (a mapping has none), kept in equality
    channels: Mapping[str, str] = field(hash=False)
    validated_at: date | None
    backup: str | None
    managers: tuple[str, ...]
    escalation_authority: str | None
    authority: tuple[str, ...]
    #: The person's notification plan (a ``notification_plans`` name; checked by the policy
    #: compiler), ``None``: the level's or the policy's default.
    notification_plan: str | None = None
    #: When notification attempts to this person wait (``quiet_hours:``, on the wall clock of
    #: their ``timezone``); ``None``: never.
    quiet_hours: TimeWindow | None = None
    #: The most this person may spend on their own authority (``None``: nothing).
    spend_limit: SpendLimit | None = None


@dataclass(frozen=True, slots=True)
class Team:
    """A group of people, optionally with a lead, a backup and an on-call schedule."""

    id: str
    members: tuple[str, ...]
    lead: str | None
    backup: str | None
    schedule: str | None


@dataclass(frozen=True, slots=True)
class Role:
    """A responsibility filled by a person, a team or a schedule."""

    id: str
    filled_by: str  # a target string: person:x, team:x or schedule:x
    backup: str | None
    authority: tuple[str, ...]
    #: The most whoever fills the role may spend (``None``: nothing).
    spend_limit: SpendLimit | None = None


class Resolution(NamedTuple):
    """Who a list of targets reaches at an instant, and why. (A named tuple: it is built on
    the evaluate hot path.)"""

    people: tuple[str, ...]
    notes: tuple[str, ...] = ()
    schedules: tuple[str, ...] = ()  # schedules consulted (their hand-offs change the answer)
    considered: tuple[str, ...] = ()  # everyone considered (their availability changes it)


# --------------------------------------------------------------------------------------------
# The directory (policy)
# --------------------------------------------------------------------------------------------


class Directory:
    """The compiled ``directory:`` and ``schedules:`` of a policy. Immutable."""

    __slots__ = ("contact_max_age", "people", "roles", "schedules", "teams")

    people: Mapping[str, Person]
    teams: Mapping[str, Team]
    roles: Mapping[str, Role]
    schedules: Mapping[str, Schedule]
    #: Contact details older than this are reported by lint (``None``: never).
    contact_max_age: timedelta | None

    def __init__(
        self,
        people: Mapping[str, Person],
        teams: Mapping[str, Team],
        roles: Mapping[str, Role],
        schedules: Mapping[str, Schedule],
        contact_max_age: timedelta | None,
    ) -> None:
        object.__setattr__(self, "people", MappingProxyType(dict(people)))
        object.__setattr__(self, "teams", MappingProxyType(dict(teams)))
        object.__setattr__(self, "roles", MappingProxyType(dict(roles)))
        object.__setattr__(self, "schedules", MappingProxyType(dict(schedules)))
        object.__setattr__(self, "contact_max_age", contact_max_age)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Directory is immutable")

    @property
    def empty(self) -> bool:
        """True when the policy has no directory: targets are then labels the caller resolves."""
        return not (self.people or self.teams or self.roles or self.schedules)

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_config(
        cls, directory: object, schedules: object, *, path: Path = ("directory",)
    ) -> Directory:
        """Compile ``directory:`` (people, teams, roles) and ``schedules:``; check references.

        ``directory`` is a mapping or a validated :class:`~escalate.people.models.
        DirectoryModel`; ``schedules`` maps ids to schedule mappings or models. Shape errors
        come from the models, reference errors from here; both are
        :class:`~escalate.errors.PolicyError` naming the key path.
        """
        directory = {} if directory is None else directory
        schedules = {} if schedules is None else schedules
        if not isinstance(directory, Mapping | DirectoryModel):
            raise PolicyError(f"directory must be a mapping, got {shown(directory)}", path=path)
        if not isinstance(schedules, Mapping):
            raise PolicyError(
                f"schedules must be a mapping, got {shown(schedules)}", path=("schedules",)
            )
        model = (
            directory
            if isinstance(directory, DirectoryModel)
            else validate_model(DirectoryModel, directory, path=path)
        )
        compiled_schedules = {
            name: Schedule.from_config(spec, path=("schedules", name))
            for name, spec in _named(schedules, ("schedules",))
        }
        people = {
            pid: _person(pid, spec, (*path, "people", pid))
            for pid, spec in _named(model.people, (*path, "people"))
        }
        teams = {
            tid: _team(tid, spec, (*path, "teams", tid))
            for tid, spec in _named(model.teams, (*path, "teams"))
        }
        roles = {
            rid: _role(rid, spec, (*path, "roles", rid))
            for rid, spec in _named(model.roles, (*path, "roles"))
        }
        max_age = None
        if model.contact_max_age is not None:
            max_age = parse_duration(
                model.contact_max_age, (*path, "contact_max_age"), allow_business_days=False
            ).delta
        self = cls(people, teams, roles, compiled_schedules, max_age)
        self._check_references(path)
        return self

    def _check_references(self, path: Path) -> None:
        def person(pid: str | None, where: Path) -> None:
            if pid is not None and pid not in self.people:
                raise PolicyError(
                    f"unknown person {shown(pid)}", path=where, suggestion=suggest(pid, self.people)
                )

        for pid, p in self.people.items():
            where = (*path, "people", pid)
            person(p.backup, (*where, "backup"))
            if p.backup == pid:
                raise PolicyError("a person cannot be their own backup", path=(*where, "backup"))
            for i, manager in enumerate(p.managers):
                person(manager, (*where, "managers", i))
            if p.escalation_authority is not None and p.escalation_authority not in p.managers:
                raise PolicyError(
                    f"escalation_authority {shown(p.escalation_authority)} is not one of managers "
                    f"{list(p.managers)}",
                    path=(*where, "escalation_authority"),
                )
        for tid, t in self.teams.items():
            where = (*path, "teams", tid)
            for i, member in enumerate(t.members):
                person(member, (*where, "members", i))
            person(t.lead, (*where, "lead"))
            person(t.backup, (*where, "backup"))
            if t.schedule is not None and t.schedule not in self.schedules:
                raise PolicyError(
                    f"unknown schedule {shown(t.schedule)}",
                    path=(*where, "schedule"),
                    suggestion=suggest(t.schedule, self.schedules),
                )
        for rid, r in self.roles.items():
            where = (*path, "roles", rid)
            self.check_target(r.filled_by, where, allow=("person", "team", "schedule"))
            person(r.backup, (*where, "backup"))
        for name, schedule in self.schedules.items():
            for pid in schedule.people:
                if self.people and pid not in self.people:
                    raise PolicyError(
                        f"schedule {shown(name)} names unknown person {shown(pid)}",
                        path=("schedules", name),
                        suggestion=suggest(pid, self.people),
                    )

    def check_target(self, target: str, path: Path, allow: Sequence[str] = TARGET_KINDS) -> None:
        """Raise a PolicyError unless ``target`` names something this directory knows (any
        well-formed target when the directory is empty: targets are then labels)."""
        self._check_target(target, path, allow, labels=self.empty, manager=True)

    def _check_target(
        self, target: object, path: Path, allow: Sequence[str], *, labels: bool, manager: bool
    ) -> None:
        """``labels``: accept any well-formed target; ``manager``: require that a ``manager:x``
        target has a manager (a policy must; resolving one that has none reaches nobody)."""
        if not isinstance(target, str):
            raise ArgumentError(f"a target is a string like 'team:x', got {shown(target)}")
        kind, sep, name = target.partition(":")
        if not sep or kind not in allow or not name:
            raise PolicyError(
                f"target {shown(target)} must look like '<kind>:<name>' with kind one of "
                f"{', '.join(allow)}",
                path=path,
                suggestion=suggest(kind, allow) if sep else None,
            )
        if labels:
            return  # no directory: targets are labels the caller resolves
        tables: dict[str, Mapping[str, object]] = {
            "person": self.people,
            "manager": self.people,
            "team": self.teams,
            "role": self.roles,
            "schedule": self.schedules,
        }
        table = tables[kind]
        if name not in table:
            raise PolicyError(
                f"unknown {kind} {shown(name)}", path=path, suggestion=suggest(name, table)
            )
        if manager and kind == "manager" and self.manager_of(name) is None:
            raise PolicyError(
                f"{shown(name)} has no manager to escalate to (give 'managers', and "
                "'escalation_authority' when there are several)",
                path=path,
            )

    # -- resolution -----------------------------------------------------------------------------

    def resolve(
        self, targets: Sequence[str], at: datetime, availability: Availability
    ) -> Resolution:
        """The available people ``targets`` reach at ``at``, with every substitution explained.

        Never returns an unavailable person while an available fallback exists; people come in
        target order, then member order, without duplicates. A target this directory does not
        know is a :class:`~escalate.errors.PolicyError` naming ``targets[i]``; arguments of the
        wrong type are :class:`~escalate.errors.ArgumentError`, an ``at`` outside escalate's
        instant range :class:`~escalate.errors.InstantRangeError`.
        """
        at = checked_utc(at, "at")
        if isinstance(targets, str) or not isinstance(targets, Sequence):
            raise ArgumentError(f"targets must be a list of target strings, got {shown(targets)}")
        if not isinstance(availability, Availability):
            raise ArgumentError(
                f"availability must be an Availability, got {type(availability).__name__}"
            )
        for i, target in enumerate(targets):
            self._check_target(target, ("targets", i), TARGET_KINDS, labels=False, manager=False)
        people: list[str] = []
        notes: list[str] = []
        schedules: list[str] = []
        considered: list[str] = []
        for target in targets:
            for pid, chain in self._expand(target, at, availability, schedules):
                considered.append(pid)
                why = availability.unavailable_because(pid, at)
                if why is None:
                    if pid not in people:
                        people.append(pid)
                    continue
                substitute = None
                for candidate, how in self._unfold(chain, at, availability):
                    considered.append(candidate)
                    if candidate != pid and availability.unavailable_because(candidate, at) is None:
                        substitute = (candidate, how)
                        break
                if substitute is None:
                    notes.append(f"{pid} ({target}) unavailable: {why}; no available fallback")
                    continue
                notes.append(
                    f"{pid} ({target}) unavailable: {why} -> {substitute[0]} ({substitute[1]})"
                )
                if substitute[0] not in people:
                    people.append(substitute[0])
        return Resolution(
            tuple(people),
            tuple(notes),
            tuple(dict.fromkeys(schedules)),
            tuple(dict.fromkeys(considered)),
        )

    def _expand(
        self, target: str, at: datetime, availability: Availability, schedules: list[str]
    ) -> list[tuple[str, list[tuple[str, str]]]]:
        """(person, fallback chain) pairs a target reaches at ``at``."""
        kind, _, name = target.partition(":")
        if kind == "person":
            return [(name, self._chain(name))]
        if kind == "manager":
            manager = self.manager_of(name)
            return [] if manager is None else [(manager, self._chain(manager))]
        if kind == "team":
            team = self.teams[name]
            extra = [
                (p, f"{how} of team {name}")
                for p, how in ((team.lead, "lead"), (team.backup, "backup"))
                if p
            ]
            if team.schedule is not None:
                return [
                    (pid, _before_next_on_call(chain, extra))
                    for pid, chain in self._on_call(team.schedule, at, availability, schedules)
                ]
            return [(pid, self._chain(pid) + extra) for pid in team.members]
        if kind == "role":
            role = self.roles[name]
            extra = [(role.backup, f"backup of role {name}")] if role.backup else []
            return [
                (pid, _before_next_on_call(chain, extra))
                for pid, chain in self._expand(role.filled_by, at, availability, schedules)
            ]
        return self._on_call(name, at, availability, schedules)

    def _chain(self, pid: str) -> list[tuple[str, str]]:
        person = self.people.get(pid)
        if person is None or person.backup is None:
            return []
        return [(person.backup, f"backup of {pid}")]

    def manager_of(self, pid: str) -> str | None:
        """The manager ``pid`` escalates to: ``escalation_authority``, else the only one."""
        person = self.people.get(pid)
        if person is None:
            return None
        if person.escalation_authority is not None:
            return person.escalation_authority
        return person.managers[0] if len(person.managers) == 1 else None

    def _on_call(
        self, name: str, at: datetime, availability: Availability, schedules: list[str]
    ) -> list[tuple[str, list[tuple[str, str]]]]:
        schedules.append(name)
        schedule = self.schedules[name]
        covered = availability.cover(name, at)
        now_on = covered if covered is not None else schedule.on_call(at)
        # "Next in rotation" is looked up only if everyone before it is unavailable.
        rotation = [(_NEXT_ON_CALL, name)]
        return [(pid, self._chain(pid) + rotation) for pid in now_on]

    def _unfold(
        self, chain: list[tuple[str, str]], at: datetime, availability: Availability
    ) -> Iterator[tuple[str, str]]:
        """A fallback chain, with its "next on call" placeholders looked up when reached."""
        for candidate, how in chain:
            if candidate != _NEXT_ON_CALL:
                yield candidate, how
                continue
            schedule = self.schedules[how]
            covered = availability.cover(how, at)
            current = set(covered if covered is not None else schedule.on_call(at))
            for person in self._next_on_call(schedule, at, current):
                yield person, f"next on call in schedule {how}"

    @staticmethod
    def _next_on_call(schedule: Schedule, at: datetime, current: set[str]) -> list[str]:
        """The people of the next shift that brings someone new (next in rotation)."""
        # Clamped to the last instant escalate computes with, so a late ``at`` cannot overflow.
        end = from_us(min(to_us(at) + NEXT_ON_CALL_HORIZON // timedelta(microseconds=1), MAX_US))
        for shift in schedule.shifts(at, end):
            fresh = [p for p in shift.people if p not in current]
            if fresh:
                return fresh
        return []

    def handoffs(self, schedules: Sequence[str], after: datetime) -> list[datetime]:
        """The next hand-off of each schedule after ``after``."""
        after = checked_utc(after, "after")
        if isinstance(schedules, str) or not isinstance(schedules, Sequence):
            raise ArgumentError(f"schedules must be a list of schedule ids, got {shown(schedules)}")
        out = []
        for i, name in enumerate(schedules):
            nxt = self._schedule(name, ("schedules", i)).next_handoff(after)
            if nxt is not None:
                out.append(nxt)
        return out

    def last_handoff(self, schedule: str, start: datetime, end: datetime) -> datetime | None:
        """The last instant in ``(start, end]`` at which the schedule's on-call people changed
        (looked up backwards from ``end``: see :meth:`Schedule.last_handoff`)."""
        start, end = checked_utc(start, "start"), checked_utc(end, "end")
        return self._schedule(schedule, ("schedule",)).last_handoff(start, end)

    def _schedule(self, name: object, path: Path) -> Schedule:
        if not isinstance(name, str):
            raise ArgumentError(f"a schedule id is a string, got {shown(name)}")
        found = self.schedules.get(name)
        if found is None:
            raise PolicyError(
                f"unknown schedule {shown(name)}",
                path=path,
                suggestion=suggest(name, self.schedules),
            )
        return found


def _before_next_on_call(
    chain: list[tuple[str, str]], extra: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """``chain`` with ``extra`` inserted before "next on call": a declared backup is asked
    before the rotation is advanced."""
    people = [c for c in chain if c[0] != _NEXT_ON_CALL]
    return people + extra + [c for c in chain if c[0] == _NEXT_ON_CALL]


# --------------------------------------------------------------------------------------------
# Parsing helpers
# --------------------------------------------------------------------------------------------


def _named(value: Mapping[Any, Any], path: Path) -> list[tuple[str, Any]]:
    """The entries of a mapping of ids, sorted; every id must be a non-empty string."""
    for key in value:
        if not isinstance(key, str) or not key:
            raise PolicyError(
                f"ids are non-empty strings, got {shown(key)}", path=(*path, str(key))
            )
    return sorted(value.items())


def _person(pid: str, spec: PersonModel | None, path: Path) -> Person:
    spec = PersonModel() if spec is None else spec
    for key, value in spec.channels.items():
        if not value:
            raise PolicyError(
                f"a channel is a non-empty address, got {shown(value)}",
                path=(*path, "channels", key),
            )
    if spec.timezone is not None:
        load_zone(spec.timezone, (*path, "timezone"))
    validated = spec.validated_at
    quiet = None
    if spec.quiet_hours is not None:
        quiet = _quiet_hours(spec.quiet_hours, spec.timezone, (*path, "quiet_hours"))
    return Person(
        id=pid,
        name=spec.name,
        timezone=spec.timezone,
        channels=MappingProxyType(dict(sorted(spec.channels.items()))),
        validated_at=None if validated is None else parse_date(validated, (*path, "validated_at")),
        backup=spec.backup,
        managers=tuple(spec.managers),
        escalation_authority=spec.escalation_authority,
        authority=tuple(spec.authority),
        notification_plan=spec.notification_plan,
        quiet_hours=quiet,
        spend_limit=_spend_limit(spec.spend_limit),
    )


def _spend_limit(spec: SpendLimitModel | None) -> SpendLimit | None:
    """A validated ``spend_limit`` (the model checked the amount's digits) as exact money."""
    return None if spec is None else SpendLimit(Decimal(spec.amount), spec.currency)


_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _quiet_hours(value: Sequence[WeeklyTimes], timezone: str | None, path: Path) -> TimeWindow:
    """A person's ``quiet_hours`` (calendar words: ``{days: mon-fri, time: '22:00-07:00'}``,
    an overnight time belonging to the day it starts) as a time window on the wall clock of
    their time zone, so that the end of a quiet period is one :meth:`TimeWindow.next_change`
    (its cost does not grow with the span). Quiet hours covering the whole week are refused:
    nobody could ever be reached.

    >>> window = _quiet_hours([WeeklyTimes(days="mon-fri", time="22:00-07:00")], "UTC", ())
    >>> from datetime import UTC
    >>> window.contains(datetime(2024, 6, 4, 3, 0, tzinfo=UTC))  # a Tuesday, 03:00
    True
    >>> window.next_change(datetime(2024, 6, 4, 3, 0, tzinfo=UTC)).isoformat()
    '2024-06-04T07:00:00+00:00'
    """
    if timezone is None:
        raise PolicyError(
            "quiet_hours are read on the person's own wall clock: give the person a "
            "'timezone' (an IANA name such as Europe/Berlin)",
            path=(*path[:-1], "timezone"),
        )
    if not value:
        raise PolicyError(
            "quiet_hours must be a non-empty list of {days, time} (omit the key for none)",
            path=path,
        )
    entries: list[dict[str, object]] = []
    for i, item in enumerate(value):
        where = (*path, i)
        if item.days is None and item.time is None:
            raise PolicyError("a quiet period needs days, time or both", path=where)
        entry: dict[str, object] = {"location": timezone}
        if item.days is not None:
            days = parse_weekdays(item.days, (*where, "days"))
            entry["weekdays"] = [_WEEKDAY_NAMES[d] for d in days]
        if item.time is not None:
            lo, hi = parse_interval(item.time, (*where, "time"))
            end = hi % 1440 if hi > 1440 else hi  # overnight: the window reads end < start
            entry["times"] = [{"start_time": _clock(lo), "end_time": _clock(end)}]
        entries.append(entry)
    window = TimeWindow.from_config(entries, path=path)
    probe = datetime(2024, 1, 1, tzinfo=UTC)
    if window.contains(probe) and window.next_change(probe) is None:
        raise PolicyError(
            "quiet_hours cover the whole week: no notification attempt could ever be made",
            path=path,
        )
    return window


def _clock(minutes: int) -> str:
    """Minutes of the day as ``HH:MM`` (``24:00`` for the end of the day).

    >>> _clock(420), _clock(1440)
    ('07:00', '24:00')
    """
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _team(tid: str, spec: TeamModel, path: Path) -> Team:
    if not spec.members and spec.schedule is None:
        raise PolicyError("a team needs members or a schedule", path=(*path, "members"))
    return Team(tid, tuple(spec.members), spec.lead, spec.backup, spec.schedule)


def _role(rid: str, spec: RoleModel, path: Path) -> Role:
    fillers = [
        (k, v)
        for k, v in (("person", spec.person), ("team", spec.team), ("schedule", spec.schedule))
        if v is not None
    ]
    if len(fillers) != 1:
        raise PolicyError("a role is filled by exactly one of person, team or schedule", path=path)
    kind, name = fillers[0]
    return Role(
        rid,
        f"{kind}:{name}",
        spec.backup,
        tuple(spec.authority),
        spend_limit=_spend_limit(spec.spend_limit),
    )
