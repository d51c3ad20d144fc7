"""Escalation paths: which level a path is at, replayed from its start to ``now``.

A path starts in its first level when the ticket opens (``starts: on-open``) or when a rule or
clock rung first sends the ticket to it (``on-trigger``). ``after: D`` moves to the next level
D after *entering* the current one; ``at: D`` enters a level D after the path started. A level
counts as entered at the instant its timer expired, whether or not the caller executed the
escalation then. An acknowledgement at or after entering a level stops that level's timer
(``until: resolved`` ignores acknowledgements); ``ack_timeout: T`` makes an acknowledgement
lapse T after it was given and the path moves on then. Requests (escalate/transfer actions)
only ever move a path up, except on a path that is entered again (``reenter``): there every
request after the current entry began is a new entry, at the level it asks for, with the
path's start, round and timers counted afresh from it. Resolution stops every timer; a reopen
starts a new path cycle.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from escalate.calendars._durations import Duration
from escalate.calendars.calendar import Calendar
from escalate.engine.conditions import Condition


@dataclass(frozen=True, slots=True)
class LevelDef:
    """A compiled path level. Read-only.

    ``name`` and ``index`` name it; ``targets`` are the target strings it pages; ``after`` /
    ``at`` its timers (relative to entering the level / to the path's start) on
    ``calendar`` (``calendar_name``; wall time when ``None``); ``ack_timeout`` how long an
    acknowledgement holds; ``until_resolved`` whether acknowledgements are ignored;
    ``on_empty`` and ``fallback`` what happens when nobody is reachable; ``owner``,
    ``ack_within`` (as written; ``ack_within_delta`` on the wall clock), ``resolve_within`` and
    ``authority`` are carried into the escalation action's details.
    """

    name: str
    index: int
    targets: tuple[str, ...]
    after: Duration | None
    at: Duration | None
    calendar_name: str | None
    calendar: Calendar | None
    ack_timeout: timedelta | None
    until_resolved: bool
    on_empty: str
    fallback: tuple[str, ...]
    owner: str | None
    ack_within: str | None
    ack_within_delta: timedelta | None  # ack_within on the wall clock (unanswered pages)
    resolve_within: str | None
    authority: tuple[str, ...]
    #: The notification plan that delivers this level's page (``None``: each person's own,
    #: else the policy's default).
    notification_plan: str | None = None

    def offset(self, start: datetime, duration: Duration) -> datetime:
        """``start`` plus ``duration``, on this level's calendar (wall time without one)."""
        if self.calendar is None:
            return start + duration.delta
        due_at = duration.due_at(self.calendar, start)  # business days, calendar months
        return self.calendar.add(start, duration.delta) if due_at is None else due_at


@dataclass(frozen=True, slots=True)
class PathDef:
    """A compiled escalation path, as :attr:`escalate.Policy.paths` lists it. Read-only.

    ``name`` is its YAML key; ``kind`` ``vertical`` (escalate) or ``horizontal`` (transfer);
    ``starts_on_open`` whether it starts when the ticket opens (else on a request); ``when``
    the condition that gates it (``None``: always), reading ``when_fields``; ``repeat`` how
    many extra rounds it runs after its last level; ``levels`` its levels in order;
    ``page_first_level`` whether the level an on-open path starts in is paged like the others;
    ``reenter`` whether each new request enters the path again (horizontal paths only).

    Equality compares every field; the hash leaves out ``when``, which equal paths share.
    """

    name: str
    kind: str
    starts_on_open: bool
    when: Condition | None
    repeat: int
    levels: tuple[LevelDef, ...]
    when_fields: tuple[str, ...] = ()
    page_first_level: bool = False
    reenter: bool = False

    def __hash__(self) -> int:
        # Not ``when``: a condition may hold a list (an ``in:`` operand) or a closure.
        return hash(
            (
                self.name,
                self.kind,
                self.starts_on_open,
                self.repeat,
                self.levels,
                self.page_first_level,
                self.reenter,
            )
        )


@dataclass(frozen=True, slots=True)
class Request:
    """A rule or rung asking a path to be at least at ``level`` from instant ``at``.

    A ``force`` request (a manual override) sets the level even when it is lower. ``entry``
    marks a page the caller executed on a path that is entered again: the instant of the
    entry it belongs to, which is the only entry it counts in.
    """

    at: datetime
    level: int
    source: str
    force: bool = False
    entry: datetime | None = None


@dataclass(frozen=True, slots=True)
class PathState:
    """A path as of ``now``. A value: immutable, hashable, equal when every field is.

    ``name`` and ``kind`` are the path's; ``active`` whether it has started (and its ``when``
    holds); ``level_index`` the index of its current level (``None`` when inactive);
    ``entered_at`` when that
    level was entered; ``round`` how many times it wrapped round (``repeat``); ``cycle`` the
    ticket's cycle (1 + reopen count); ``next_move_at`` when it moves next without new events
    (``None``: never); ``reason`` why it is at this level (``start``, ``timer``,
    ``ack-timeout``, ``criteria`` or the source of the request that moved it);
    ``acknowledged_at`` the acknowledgement holding the level; ``history`` the
    ``(entered_at, level index)`` pairs of this cycle, oldest first; ``level_name`` the
    current level's name (``None`` when inactive); ``started_at`` when the path's current run
    started: its start in this cycle, or its last entry on a path that is entered again
    (``reenter``), from which ``at:`` offsets count (``None`` when inactive).
    """

    name: str
    kind: str
    active: bool
    level_index: int | None
    entered_at: datetime | None
    round: int
    cycle: int
    next_move_at: datetime | None
    reason: str
    acknowledged_at: datetime | None
    history: tuple[tuple[datetime, int], ...] = ()
    level_name: str | None = None
    started_at: datetime | None = None

    def level_def(self, path: PathDef) -> LevelDef | None:
        """The definition of this state's level of ``path`` (the path it was computed for);
        ``None`` when the path is not active. ``level_name`` is the level's name."""
        return None if self.level_index is None else path.levels[self.level_index]


def _timer(
    path: PathDef,
    index: int,
    round_: int,
    entered: datetime,
    started: datetime,
    acks: Sequence[datetime],
) -> tuple[datetime | None, str, datetime | None]:
    """When the path leaves level ``index`` by itself: (instant, why, the ack that held it)."""
    level = path.levels[index]
    last = index == len(path.levels) - 1
    if last and round_ >= path.repeat:
        return None, "", _first_ack(acks, entered, None)
    deadline: datetime | None = None
    if level.after is not None:
        deadline = level.offset(entered, level.after)
    if not last:
        following = path.levels[index + 1]
        if following.at is not None:
            at = following.offset(started, following.at)
            deadline = at if deadline is None or at < deadline else deadline
    if deadline is None:
        return None, "", _first_ack(acks, entered, None)
    if level.until_resolved:
        return deadline, "timer", None
    ack = _first_ack(acks, entered, deadline)
    if ack is None:
        return deadline, "timer", None
    if level.ack_timeout is None:
        return None, "", ack
    # Each acknowledgement given before the previous one lapsed renews it. An acknowledgement
    # never makes the path move sooner than its timer would have.
    lapse = ack + level.ack_timeout
    i = bisect.bisect_right(acks, ack)
    while i < len(acks) and acks[i] < lapse:
        lapse = acks[i] + level.ack_timeout
        i += 1
    return max(lapse, deadline), "ack-timeout", ack


def _first_ack(
    acks: Sequence[datetime], entered: datetime, before: datetime | None
) -> datetime | None:
    i = bisect.bisect_left(acks, entered)
    if i < len(acks) and (before is None or acks[i] < before):
        return acks[i]
    return None


def _new_entry(request: Request, started: datetime) -> bool:
    """On a path that is entered again: whether ``request`` starts a new entry of the path
    whose current entry began at ``started`` (a rule or rung request after that instant;
    executed pages and overrides never do)."""
    return request.entry is None and not request.force and request.at > started


def _enters(request: Request, index: int, started: datetime | None) -> bool:
    """On a path that is entered again: whether a request that is not an override moves the
    path at ``index`` in the entry that began at ``started``. A request after that instant
    is a new entry; one at that instant joins it (moving up only); an executed page counts in
    its own entry only."""
    if request.entry is not None:
        return request.entry == started and request.level > index
    return (started is not None and request.at > started) or request.level > index


def simulate(
    path: PathDef,
    *,
    cycle: int,
    cycle_start: datetime,
    requests: Sequence[Request],
    acks: Sequence[datetime],
    resolved_at: datetime | None,
    now: datetime,
) -> PathState:
    """Replay a path's current cycle up to ``now`` (requests sorted by instant)."""
    reenter = path.reenter
    horizon = now if resolved_at is None or resolved_at > now else resolved_at
    pending = list(requests)
    index: int | None = None
    entered: datetime | None = None
    started: datetime | None = None
    round_ = 0
    reason = ""
    history: list[tuple[datetime, int]] = []
    if path.starts_on_open:
        index, entered, started, reason = 0, cycle_start, cycle_start, "start"
        history.append((cycle_start, 0))
    k = 0
    ack: datetime | None = None
    while True:
        # The next request that would move the path up (or enter it again).
        while (
            k < len(pending)
            and index is not None
            and not pending[k].force
            and (
                pending[k].level <= index
                if not reenter
                else not _enters(pending[k], index, started)
            )
        ):
            k += 1
        request = pending[k] if k < len(pending) else None
        req_at = None
        if request is not None:
            req_at = request.at if entered is None or request.at > entered else entered
        timer_at, why, ack = (
            _timer(path, index, round_, entered, started, acks)
            if index is not None and entered is not None and started is not None
            else (None, "", None)
        )
        nxt = min((t for t in (timer_at, req_at) if t is not None), default=None)
        if nxt is None or nxt > horizon:
            resolved = resolved_at is not None and resolved_at <= now
            return PathState(
                name=path.name,
                kind=path.kind,
                active=index is not None,
                level_index=index,
                entered_at=entered,
                round=round_,
                cycle=cycle,
                next_move_at=None if resolved else nxt,
                reason=reason,
                acknowledged_at=ack,
                history=tuple(history),
                level_name=None if index is None else path.levels[index].name,
                started_at=started,
            )
        if request is not None and req_at is not None and req_at == nxt:
            if reenter and started is not None and _new_entry(request, started):
                started, round_ = nxt, 0  # a new entry: a new run of the path
            index, entered, reason = request.level, nxt, request.source
            if started is None:
                started = nxt
            k += 1
            history.append((nxt, index))
        else:
            assert index is not None
            if index == len(path.levels) - 1:
                index, round_ = 0, round_ + 1
            else:
                index += 1
            entered, reason = nxt, why
            history.append((nxt, index))
