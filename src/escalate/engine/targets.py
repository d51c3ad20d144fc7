"""Who an action reaches: targets resolved to people, fallbacks, hand-off notices.

These run for the actions the other stages emit, when the policy has a directory. Each
records, through :func:`watch`, the first future hand-off or availability change that would
change whom the decision pages, so ``next_evaluation_at`` wakes the caller then.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from escalate.calendars._instants import ONE_US
from escalate.engine.context import Context, stamp
from escalate.engine.decision import Action
from escalate.engine.outcome import Chain, Outcome
from escalate.engine.paths import LevelDef, PathDef, PathState
from escalate.people.availability import Availability
from escalate.people.directory import Directory, Resolution

__all__ = [
    "WATCH_STEPS",
    "directory_targets",
    "handoff_notice",
    "level_people",
    "level_resolution",
    "resolve_level",
    "unacknowledged_fallback",
    "unacknowledged_targets",
    "watch",
    "with_people",
]

WATCH_STEPS = 64  # hand-offs / availability changes looked through for one wake-up


def with_people(ctx: Context, out: Outcome, action: Action) -> Action:
    """The action with the people its targets reach now (when there is a directory).

    ``assignee`` is the ticket's assignee and ``assignment-group`` its group, when the
    directory knows them; other special targets stay for the caller to resolve.
    """
    directory = ctx.directory
    if directory.empty or not action.targets:
        return action
    targets = directory_targets(ctx, action)
    found = directory.resolve(targets, ctx.now, ctx.availability)
    watch(
        ctx,
        out,
        lambda at: directory.resolve(targets, at, ctx.availability),
        found,
        lambda _, later: later != found.people,
    )
    return replace(action, people=found.people, notes=found.notes)


def directory_targets(ctx: Context, action: Action) -> list[str]:
    """The targets of ``action`` the directory resolves (``assignee`` and
    ``assignment-group`` read from the ticket)."""
    directory = ctx.directory
    targets = []
    for target in action.targets:
        if target == "assignee":
            if ctx.state.assignee in directory.people:
                targets.append(f"person:{ctx.state.assignee}")
        elif target == "assignment-group":
            if ctx.state.assignment_group in directory.teams:
                targets.append(f"team:{ctx.state.assignment_group}")
        elif ":" in target:
            targets.append(target)
    return targets


def watch(
    ctx: Context,
    out: Outcome,
    resolve_at: Callable[[datetime], Resolution],
    current: Resolution,
    changes: Callable[[tuple[str, ...], tuple[str, ...]], bool],
) -> None:
    """Wake up at the first hand-off or availability change after now that changes the
    decision (as ``changes`` judges the people reached then). Hand-offs that change nobody
    relevant are passed over; after ``WATCH_STEPS`` of them the last one is a checkpoint
    wake-up, so a search never runs unbounded and never misses a change."""
    at, found = ctx.now, current
    for _ in range(WATCH_STEPS):
        later = [
            t
            for t in ctx.directory.handoffs(found.schedules, at)
            + ctx.availability.changes(found.considered, found.schedules)
            if t > at
        ]
        if not later:
            return
        at = min(later)
        before, found = found, resolve_at(at)
        if changes(before.people, found.people):
            out.wakeups.append(at)
            return
    if at > ctx.now:
        out.wakeups.append(at)  # checkpoint: look again from here


def level_people(
    ctx: Context, path: PathDef, st: PathState, level: LevelDef
) -> tuple[Resolution, datetime]:
    """Who the current level reaches now, after fallbacks and ``on_empty``; and since when
    the page is due (later than the level's entry when it waited for cover)."""
    assert st.entered_at is not None
    resolution = level_resolution(ctx, path, level, ctx.now)
    due_at = st.entered_at
    if resolution.people and level.on_empty == "defer_until_covered" and st.entered_at < ctx.now:
        due_at = _covered_since(ctx, level, st.entered_at)
    return resolution, due_at


def level_resolution(ctx: Context, path: PathDef, level: LevelDef, at: datetime) -> Resolution:
    """Who a level reaches at ``at``, after fallbacks and ``on_empty`` (skip, fallback)."""
    return resolve_level(ctx.directory, ctx.availability, path, level, at)


def resolve_level(
    directory: Directory, availability: Availability, path: PathDef, level: LevelDef, at: datetime
) -> Resolution:
    """:func:`level_resolution` from the directory and availability alone (authority asks
    who a level paged without an evaluation's context)."""
    resolution = directory.resolve(level.targets, at, availability)
    if resolution.people:
        return resolution
    notes = list(resolution.notes)
    schedules, considered = list(resolution.schedules), list(resolution.considered)
    people: tuple[str, ...] = ()
    if level.on_empty == "fallback":
        fallback = directory.resolve(level.fallback, at, availability)
        notes.append(
            f"nobody available at {level.name}; on_empty: fallback -> "
            f"{', '.join(fallback.people) or 'nobody'}"
        )
        notes += fallback.notes
        people = fallback.people
        schedules += fallback.schedules
        considered += fallback.considered
    elif level.on_empty == "skip":
        skipped = level.name
        for later in path.levels[level.index + 1 :]:
            notes.append(f"nobody available at {skipped}; on_empty: skip -> {later.name}")
            found = directory.resolve(later.targets, at, availability)
            schedules += found.schedules
            considered += found.considered
            if found.people:
                notes += found.notes
                people = found.people
                break
            skipped = later.name
    else:
        notes.append(f"nobody available at {level.name}; on_empty: {level.on_empty}")
    return Resolution(
        people,
        tuple(notes),
        tuple(dict.fromkeys(schedules)),
        tuple(dict.fromkeys(considered)),
    )


def _covered_since(ctx: Context, level: LevelDef, entered_at: datetime) -> datetime:
    """When a deferred level first had someone available (its page was due then).

    The walk goes from hand-off to hand-off, but its cost does not grow with the time since
    the level was entered: once the schedules it consults have repeated a whole quiet span
    (see :meth:`Schedule.repeats`) with nobody available and no availability change, nobody
    will be until availability changes, so it jumps to the next change. When the level reads
    one schedule that is a plain rotation from then on (:meth:`Schedule.rotation_period`), one
    round of its members (``n + 1`` answers) is that proof already: with availability
    unchanged every later answer is one of them.
    """
    directory, availability = ctx.directory, ctx.availability
    changes = sorted(
        set(availability.changes([p.person for p in availability.periods], directory.schedules))
    )
    at = calm_since = entered_at  # no availability change and no new schedule since calm_since
    seen: set[str] = set()
    settled_at: datetime | None = None  # the latest 'since' of the schedules seen
    quiet = timedelta(0)
    # Answers with nobody in a row, from round_from on, read from the same schedules with
    # availability unchanged.
    empty, round_from = 0, entered_at
    rotation: tuple[str, ...] = ()
    while at < ctx.now:
        found = directory.resolve(level.targets, at, availability)
        if found.people:
            return at
        if found.schedules != rotation:
            rotation, empty, round_from = found.schedules, 0, at
        empty += 1
        for name in found.schedules:
            if name not in seen:
                seen.add(name)
                since, span = directory.schedules[name].repeats()
                if since is not None and (settled_at is None or since > settled_at):
                    settled_at = since
                quiet = max(quiet, span)
                calm_since = at
        later = [
            t
            for t in directory.handoffs(found.schedules, at)
            + availability.changes(found.considered, found.schedules)
            if t > at
        ]
        if not later:
            break
        nxt = min(later)
        i = bisect.bisect_right(changes, at)
        if i < len(changes) and changes[i] <= nxt:
            calm_since = nxt  # availability changes on the way: the pattern starts again
            empty, round_from = 0, nxt
        elif (
            (settled_at is None or calm_since >= settled_at) and nxt - calm_since > quiet
        ) or _round_seen(directory, rotation, round_from, empty):
            if i == len(changes):
                break  # nobody, and nothing left that could change that
            nxt = calm_since = round_from = changes[i]
            empty = 0
        at = nxt
    return ctx.now


def _round_seen(
    directory: Directory, schedules: tuple[str, ...], since: datetime, empty: int
) -> bool:
    """Whether ``empty`` answers in a row with nobody from ``since`` on, all read from the one
    schedule in ``schedules`` with availability unchanged, cover a whole round of its rotation
    (so every later answer until availability changes has nobody too)."""
    if len(schedules) != 1:
        return False
    period = directory.schedules[schedules[0]].rotation_period(since)
    return period is not None and empty > period


def handoff_notice(
    ctx: Context,
    out: Outcome,
    path: PathDef,
    st: PathState,
    level: LevelDef,
    base_id: str,
    now_paged: Resolution,
) -> None:
    """Tell whoever comes on call while this level is active, so the page is not dropped
    between shifts."""
    assert st.entered_at is not None
    for name in now_paged.schedules:
        handoff = ctx.directory.last_handoff(name, st.entered_at, ctx.now)
        if handoff is None:
            continue
        before = set(level_resolution(ctx, path, level, handoff - ONE_US).people)
        incoming = tuple(p for p in now_paged.people if p not in before)
        if not incoming:
            continue
        action_id = f"{base_id}:handoff:{name}:{stamp(handoff)}"
        if action_id in ctx.done_at:
            continue
        if following := ctx.directory.schedules[name].next_handoff(ctx.now):
            out.wakeups.append(following)  # the notice is for the last hand-off only
        out.actions.append(
            Action(
                id=action_id,
                kind="handoff",
                source=f"path:{path.name}",
                due_at=handoff,
                late=ctx.now > handoff,
                targets=(f"schedule:{name}",),
                details={"path": path.name, "level": level.name, "schedule": name},
                rationale=f"on-call changed while {level.name} is active",
                people=incoming,
            )
        )


def unacknowledged_targets(directory: Directory, level: LevelDef, paged: Resolution) -> list[str]:
    """Whom an unacknowledged page of ``level`` goes to: the paged people's backups, then
    the level's ``fallback`` targets."""
    backups = [
        person.backup
        for pid in paged.people
        if (person := directory.people.get(pid)) is not None and person.backup
    ]
    return [f"person:{b}" for b in backups] + list(level.fallback)


def unacknowledged_fallback(
    ctx: Context,
    out: Outcome,
    path: PathDef,
    st: PathState,
    level: LevelDef,
    base_id: str,
    paged: Resolution,
) -> None:
    """A page nobody acknowledged within ``ack_within`` goes to the paged people's
    fallbacks (their backups, then the level's ``fallback`` targets)."""
    if level.ack_within_delta is None or st.entered_at is None:
        return
    deadline = st.entered_at + level.ack_within_delta
    # Any acknowledgement of this path since the level was entered answers the page, even a
    # late one.
    if any(st.entered_at <= at for at in ctx.acks_for(path.name)):
        return
    if deadline > ctx.now:
        out.wakeups.append(deadline)
        return
    directory = ctx.directory
    targets = unacknowledged_targets(directory, level, paged)
    fallback = directory.resolve(targets, ctx.now, ctx.availability)
    people = tuple(p for p in fallback.people if p not in paged.people)
    action_id = f"{base_id}:unacknowledged"
    done = action_id in ctx.done_at
    if done and ctx.policy.notifications is None:
        return
    watch(
        ctx,
        out,
        lambda at: directory.resolve(targets, at, ctx.availability),
        fallback,
        lambda _, later: tuple(p for p in later if p not in paged.people) != people,
    )
    if not people:
        return
    page = Action(
        id=action_id,
        kind="page",
        source=f"path:{path.name}",
        due_at=deadline,
        late=ctx.now > deadline,
        targets=tuple(targets),
        details={"path": path.name, "level": level.name, "ack_within": level.ack_within},
        rationale=f"nobody acknowledged {level.name} within {level.ack_within}",
        people=people,
        notes=fallback.notes,
    )
    if ctx.policy.notifications is not None:

        def reached(at: datetime) -> Resolution:
            found = directory.resolve(targets, at, ctx.availability)
            return found._replace(people=tuple(p for p in found.people if p not in paged.people))

        out.chains.append(Chain(page, level.notification_plan, ctx.acks_for(path.name), reached))
    if not done:
        out.actions.append(page)
