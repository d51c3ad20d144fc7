"""The clock-ladder stage: reached rungs move paths; the highest reached rung emits.

A ladder is the rungs of one clock cycle (50/75/100 %). Every reached rung asks its paths for
a level (the path stage decides what that means); of the rungs' own actions only the highest
reached rung's are due, and only while no ``action-done`` records them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from escalate.calendars._instants import ONE_US
from escalate.engine.clocks import RUNNING, ClockDef, ClockState, Cycle
from escalate.engine.context import Context
from escalate.engine.outcome import Outcome, make_action
from escalate.engine.paths import Request
from escalate.engine.targets import with_people

__all__ = ["run_ladders"]


def run_ladders(
    ctx: Context,
    clocks: Sequence[ClockState],
    cycles: Mapping[str, list[Cycle]],
    out: Outcome,
) -> None:
    """Add each clock's breach wake-up, its rungs' path requests and its top rung's actions.

    ``clocks`` are the clocks that apply to the ticket. A scoped clock with ``on_scope_change:
    restart`` that does not apply any more keeps the path levels its closed cycles reached:
    from the change on, the past stands.
    """
    now, ticket = ctx.now, ctx.ticket
    if len(clocks) < len(ctx.policy.clocks):
        present = {cs.name for cs in clocks}
        for clock in ctx.policy.clocks:
            if clock.restart_on_scope_change and clock.name not in present:
                _older_cycle_requests(ctx, clock, cycles[clock.name], len(cycles[clock.name]), out)
    for cs in clocks:
        clock = cs.definition
        if not cs.applies:
            continue
        if cs.state == RUNNING and cs.breach_at is not None and cs.breach_at > now:
            out.wakeups.append(cs.breach_at)
        if not clock.ladder:
            continue
        found = cycles[clock.name]
        _older_cycle_requests(ctx, clock, found, len(found) - 1, out)
        top = None
        for rung in clock.ladder:
            reached = cs.reached_at(cs.rung_amount_us(rung.share))
            if reached is None:
                continue
            if reached > now:
                out.wakeups.append(reached)
                break
            top = (rung, reached)
            source = f"clock:{clock.name}@{rung.text}"
            for act in rung.actions:
                if act.path is not None and act.level is not None:
                    out.requests[act.path].append((Request(reached, act.level, source), None))
        if top is None or ctx.resolved:
            continue
        rung, reached = top
        source = f"clock:{clock.name}@{rung.text}"
        instance = f"{clock.name}#{cs.cycle}@{rung.index}"
        for act in rung.actions:
            if act.path is not None:
                continue  # its effect is the path's level, emitted by the path
            action_id = f"{ticket.id}:clock:{instance}:{act.kind}{act.index}"
            if action_id not in ctx.done_at:
                action = make_action(act, action_id, source, reached, now, rung.rationale)
                out.actions.append(with_people(ctx, out, action))


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
        priority = ctx.policy.priority_of(ctx.ticket, state.priority)
        old = ClockState(clock, cycles[: k + 1], priority, end, cycle.scope)
        if not old.applies:
            continue
        for rung in clock.ladder:
            reached = old.reached_at(old.rung_amount_us(rung.share))
            if reached is None:
                break
            source = f"clock:{clock.name}@{rung.text}#{old.cycle}"
            for act in rung.actions:
                if act.path is not None and act.level is not None:
                    out.requests[act.path].append((Request(reached, act.level, source), None))
