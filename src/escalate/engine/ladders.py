"""The clock-ladder stage: reached rungs move paths; the highest reached rung emits.

A ladder is the rungs of one clock cycle (``at: 75%``, ``after: 2bd``, ``before_breach: 30m``).
Rungs are ordered by the elapsed time at which they are reached for the current target (the
order of a mixed ladder can depend on the priority), ties in ladder order. Every reached rung
asks its paths for a level (the path stage decides what that means); of the rungs' own actions
only the highest reached rung's are due, and only while no ``action-done`` records them. Once
the ticket has ended they are not due; those that were due when it ended and never recorded
are listed as missed. A retroactive priority change that undoes a breach or a reached rung
leaves a :class:`~escalate.engine.decision.Withdrawn` trace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from escalate.calendars._instants import ONE_US
from escalate.engine.bulletins import defer_bridge, request_status
from escalate.engine.clocks import RUNNING, ClockDef, ClockState, Cycle, Rung
from escalate.engine.context import Context
from escalate.engine.decision import Action, Withdrawn
from escalate.engine.notifications import chain_notify, planned
from escalate.engine.outcome import Outcome, make_action
from escalate.engine.paths import Request
from escalate.engine.targets import with_people

__all__ = ["run_ladders"]

# Events after which the canonical priority may differ (a retroactive clock follows it).
_PRIORITY_EVENTS = frozenset({"priority-changed", "field-changed"})


def run_ladders(
    ctx: Context,
    clocks: Sequence[ClockState],
    cycles: Mapping[str, list[Cycle]],
    out: Outcome,
    current: Mapping[str, Any],
) -> None:
    """Add each clock's breach wake-up, its rungs' path requests and its top rung's actions
    (or, once the ticket has ended, the top rung's missed actions), and the traces of what a
    retroactive priority change withdrew.

    ``clocks`` are the clocks that apply to the ticket; ``current`` the facts at now (a
    status-page component may be read from a ticket field). A scoped clock with ``on_scope_change:
    restart`` that does not apply any more keeps the path levels its closed cycles reached:
    from the change on, the past stands.
    """
    now = ctx.now
    if len(clocks) < len(ctx.policy.clocks):
        present = {cs.name for cs in clocks}
        for clock in ctx.policy.clocks:
            if clock.restart_on_scope_change and clock.name not in present:
                _older_cycle_requests(ctx, clock, cycles[clock.name], len(cycles[clock.name]), out)
    changes: list[tuple[datetime, str | None]] | None = None
    for cs in clocks:
        clock = cs.definition
        if not cs.applies:
            continue
        if cs.state == RUNNING and cs.breach_at is not None and cs.breach_at > now:
            out.wakeups.append(cs.breach_at)
        if not clock.restart_on_priority_change:
            if changes is None:
                changes = _priority_changes(ctx)
            if changes:
                _withdrawn(ctx, cs, cycles[clock.name], changes, out)
        if not clock.ladder:
            continue
        found = cycles[clock.name]
        _older_cycle_requests(ctx, clock, found, len(found) - 1, out)
        reached_rungs, future = _reach(cs)
        for rung, reached in reached_rungs:
            source = f"clock:{clock.name}@{rung.text}"
            for act in rung.actions:
                if act.path is not None and act.level is not None:
                    out.requests[act.path].append((Request(reached, act.level, source), None))
        if ctx.resolved:
            assert ctx.ended_at is not None
            ended = [(r, at) for r, at in reached_rungs if at <= ctx.ended_at]
            if ended:
                rung, reached = ended[-1]
                out.missed += _due(ctx, cs, rung, reached)
            continue  # an ended ticket is due nothing, and later rungs change nothing
        due = _due(ctx, cs, *reached_rungs[-1]) if reached_rungs else []
        for action in due:
            if action.kind == "open_bridge" and defer_bridge(out, action, None):
                continue
            out.actions.append(with_people(ctx, out, action))
        if reached_rungs and ctx.policy.notifications is not None:
            _chains(ctx, cs, *reached_rungs[-1], out)
        pending = bool(due)
        if reached_rungs and reached_rungs[-1][0].bulletins:
            pending |= _bulletins(ctx, cs, *reached_rungs[-1], out, current)
        _rung_wakeup(ctx, cs, pending, future, out)


def _reach(cs: ClockState) -> tuple[list[tuple[Rung, datetime]], list[tuple[int, Rung]]]:
    """The rungs reached by now with their instants, and the elapsed amounts of the others,
    each in the order they are reached for the current target: by amount, then ladder order.
    (The instants of later rungs are computed only when a wake-up needs them.)"""
    amounts: list[tuple[int, Rung]] = []
    rising = True
    for rung in cs.definition.ladder:
        amount = cs.amount_us(rung)
        if amounts and amount < amounts[-1][0]:
            rising = False
        amounts.append((amount, rung))
    if not rising:  # a ladder of mixed measures, out of written order for this target
        amounts.sort(key=_amount)  # stable: equal amounts stay in ladder order
    elapsed = cs.elapsed_us
    past: list[tuple[Rung, datetime]] = []
    for k, (amount, rung) in enumerate(amounts):
        if amount > elapsed:
            return past, amounts[k:]
        reached = cs.rung_reached_at(amount)
        assert reached is not None  # an amount already elapsed was reached
        past.append((rung, reached))
    return past, []


def _amount(item: tuple[int, Rung]) -> int:
    return item[0]


def _due(ctx: Context, cs: ClockState, rung: Rung, reached: datetime) -> list[Action]:
    """The rung's own actions not recorded done (path actions act through the path)."""
    clock = cs.definition
    source = f"clock:{clock.name}@{rung.text}"
    instance = f"{clock.name}#{cs.cycle}@{rung.index}"
    found: list[Action] = []
    for act in rung.actions:
        if act.path is not None or act.kind == "status_page":
            # a path's level is emitted by the path; a status-page update by the bulletin
            # stage, and never as missed (on_resolve says what an ended ticket posts)
            continue
        action_id = f"{ctx.ticket.id}:clock:{instance}:{act.kind}{act.index}"
        if action_id not in ctx.done_at:
            found.append(make_action(act, action_id, source, reached, ctx.now, rung.rationale))
    return found


def _chains(ctx: Context, cs: ClockState, rung: Rung, reached: datetime, out: Outcome) -> None:
    """The chains of the top rung's notify actions that name a plan, recorded done or not
    (the chain runs on after the notify itself was delivered)."""
    clock = cs.definition
    source = f"clock:{clock.name}@{rung.text}"
    instance = f"{clock.name}#{cs.cycle}@{rung.index}"
    for act in rung.actions:
        if act.path is None and planned(ctx, act):
            action_id = f"{ctx.ticket.id}:clock:{instance}:{act.kind}{act.index}"
            action = make_action(act, action_id, source, reached, ctx.now, rung.rationale)
            if action_id not in ctx.done_at:  # the emitted one, with its people
                action = next(a for a in out.actions if a.id == action_id)
            else:
                action = with_people(ctx, out, action)
            chain_notify(ctx, out, act, action)


def _bulletins(
    ctx: Context,
    cs: ClockState,
    rung: Rung,
    reached: datetime,
    out: Outcome,
    current: Mapping[str, Any],
) -> bool:
    """The top rung's status-page requests, and its bridges with ``path:`` participants that
    are open (for the people who join them); whether a status-page request is pending."""
    clock = cs.definition
    source = f"clock:{clock.name}@{rung.text}"
    instance = f"{clock.name}#{cs.cycle}@{rung.index}"
    pending = False
    for act in rung.actions:
        origin = f"clock:{instance}:{act.kind}{act.index}"
        if act.kind == "status_page":
            pending |= request_status(
                ctx, current, out, act, origin, source, reached, rung.rationale, None
            )
        elif act.kind == "open_bridge" and f"{ctx.ticket.id}:{origin}" in ctx.done_at:
            action_id = f"{ctx.ticket.id}:{origin}"
            action = make_action(act, action_id, source, reached, ctx.now, rung.rationale)
            defer_bridge(out, action, ctx.done_at[action_id])
    return pending


def _undone(ctx: Context, cs: ClockState, rung: Rung) -> bool:
    """Whether the rung has an action of its own not recorded done (see :func:`_due`)."""
    prefix = f"{ctx.ticket.id}:clock:{cs.definition.name}#{cs.cycle}@{rung.index}:"
    return any(
        act.path is None and f"{prefix}{act.kind}{act.index}" not in ctx.done_at
        for act in rung.actions
    )


def _rung_wakeup(
    ctx: Context,
    cs: ClockState,
    emits: bool,
    future: list[tuple[int, Rung]],
    out: Outcome,
) -> None:
    """Wake at the first future rung whose reaching changes the decision.

    Reaching a rung changes the due actions when the rung it replaces as the top had actions
    due (``emits``), or when it has actions not yet recorded done; it may change a path when
    it asks one for a level (the path stage keeps that wake-up only if the request would move
    the path then). A rung whose actions were all recorded before a retroactive priority
    change moved it later changes nothing when reached again, and is passed over.
    """
    clock = cs.definition
    k = 0
    while k < len(future):
        amount = future[k][0]
        at = cs.rung_reached_at(amount)
        if at is None:
            return  # not without new events; larger amounts neither
        group: list[Rung] = []  # rungs reached at the same instant: the last one is the top
        while k < len(future) and future[k][0] == amount:
            group.append(future[k][1])
            k += 1
        if emits or _undone(ctx, cs, group[-1]):
            out.wakeups.append(at)
            return
        for rung in group:
            source = f"clock:{clock.name}@{rung.text}"
            for act in rung.actions:
                if act.path is not None and act.level is not None:
                    out.path_wakeups.setdefault(act.path, []).append(Request(at, act.level, source))


def _priority_changes(ctx: Context) -> list[tuple[datetime, str | None]]:
    """Each instant of the history at which the canonical priority changed, with the
    priority in force just before it."""
    found: list[tuple[datetime, str | None]] = []
    ticket, policy = ctx.ticket, ctx.policy
    for at, event_type, _, _ in ctx.steps:
        if event_type not in _PRIORITY_EVENTS:
            continue
        was, now = ticket.state_at(at - ONE_US), ticket.state_at(at)
        before = policy.priority_of(ticket, was.priority, was)
        after = policy.priority_of(ticket, now.priority, now)
        if before != after and (not found or found[-1][0] != at):
            found.append((at, before))
    return found


def _withdrawn(
    ctx: Context,
    cs: ClockState,
    cycles: list[Cycle],
    changes: list[tuple[datetime, str | None]],
    out: Outcome,
) -> None:
    """The breach and rungs of the current cycle that had been reached under the priority in
    force before a change, and that the current priority (followed retroactively) reaches
    only after that change, or not at all without new events."""
    assert cs.started_at is not None
    clock = cs.definition
    for at, before in changes:
        if at <= cs.started_at or (cs.stopped_at is not None and at > cs.stopped_at):
            continue
        if _not_longer(clock, cs, before):
            continue  # an upgrade (or no change) of the target withdraws nothing
        as_of = [*cycles[:-1], cycles[-1].as_of(at, keep_scope=True)]
        old = ClockState(clock, as_of, before, at, cs.scope)
        if not old.applies:
            continue
        # Reached by ``at`` means: elapsed at ``at`` is at least the amount (compared as
        # integers first; instants are computed only for what was withdrawn).
        new = old if old.calendar_name == cs.calendar_name else None
        marks: list[tuple[Rung | None, int, int]] = [(None, old.target_us, cs.target_us)]
        marks += [(r, old.amount_us(r), cs.amount_us(r)) for r in clock.ladder]
        for rung, old_amount, new_amount in marks:
            if old_amount > old.elapsed_us:
                continue  # not reached before the change
            if new is None:
                new = ClockState(clock, as_of, ctx.priority, at, cs.scope)
            if new_amount <= new.elapsed_us:
                continue  # the current priority had reached it by then too
            was = old.rung_reached_at(old_amount)
            assert was is not None
            out.withdrawn.append(
                Withdrawn(
                    clock.name,
                    cs.cycle,
                    "breach" if rung is None else rung.text,
                    None if rung is None else rung.index,
                    was,
                    at,
                    cs.rung_reached_at(new_amount),
                    f"priority changed from {before or '-'} to {ctx.priority or '-'}",
                )
            )


def _not_longer(clock: ClockDef, cs: ClockState, before: str | None) -> bool:
    """Whether the target of priority ``before`` is a fixed amount on the current target's
    calendar at least as long as the current one: then every rung and the breach come no
    later now than they did, and the (costlier) comparison is skipped."""
    targets = clock.targets if cs.scope is None else cs.scope.targets
    old = targets.get(before or "") or targets.get("default")
    if old is None or old.calendar_name != cs.calendar_name:
        return old is None
    if old.dated:  # ``bd``, ``mo``, ``by``: an amount of its own per cycle
        return False
    amount = _us(old.duration.delta)
    return amount >= cs.target_us and amount + old.on_time_at_due >= cs.breach_amount_us


def _us(delta: timedelta) -> int:
    return delta // ONE_US


def _older_cycle_requests(
    ctx: Context, clock: ClockDef, cycles: list[Cycle], count: int, out: Outcome
) -> None:
    """Rungs of the first ``count`` cycles of this clock (closed by restarts) keep the levels
    they reached."""
    if count < 1 or not any(a.path for r in clock.ladder for a in r.actions):
        return
    for k, cycle in enumerate(cycles[:count]):
        end = cycle.stopped_at
        if end is None or end < ctx.cycle_start:
            continue
        state = ctx.ticket.state_at(end - ONE_US)
        priority = ctx.policy.priority_of(ctx.ticket, state.priority, state)
        old = ClockState(clock, cycles[: k + 1], priority, end, cycle.scope)
        if not old.applies:
            continue
        for rung, reached in _reach(old)[0]:
            source = f"clock:{clock.name}@{rung.text}#{old.cycle}"
            for act in rung.actions:
                if act.path is not None and act.level is not None:
                    out.requests[act.path].append((Request(reached, act.level, source), None))
