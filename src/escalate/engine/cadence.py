"""Stage of an evaluation: the audiences due an update (see :mod:`escalate.engine.audiences`).

For each audience with a cadence for the ticket's priority, where it stands
(:class:`~escalate.engine.audiences.Communication`); the update action when it is due, a
wake-up when it will be. A policy without audiences pays one attribute read.
"""

from __future__ import annotations

from datetime import datetime

from escalate.engine.audiences import Communication, update_id
from escalate.engine.context import Context
from escalate.engine.decision import Action
from escalate.engine.outcome import Outcome
from escalate.engine.targets import with_people

__all__ = ["run_audiences"]


def run_audiences(ctx: Context, out: Outcome) -> tuple[Communication, ...]:
    """Each audience with a cadence for the ticket's priority: where it stands, its update
    action appended to ``out`` when due, its due instant added to the wake-ups when later."""
    audiences = ctx.policy.audiences
    if not audiences:
        return ()
    priority = ctx.priority
    now = ctx.now
    ticket_id = ctx.ticket.id
    found: list[Communication] = []
    for audience in audiences:
        every = None if priority is None else audience.cadence.get(priority)
        if every is None:
            continue
        done = ctx.done_at
        updates = 0  # bounded by the history: each counted update is an action-done event
        while update_id(ticket_id, audience.name, updates) in done:
            updates += 1
        last = ctx.cycle_start
        if updates:
            last = max(last, done[update_id(ticket_id, audience.name, updates - 1)])
        action_id = update_id(ticket_id, audience.name, updates)
        next_at = last + every
        action = Action(
            id=action_id,
            kind="notify",
            source=f"audience:{audience.name}",
            due_at=next_at,
            late=now > next_at,
            targets=audience.targets,
            details=audience.details,
        )
        due: datetime | None = next_at
        if ctx.resolved:
            due = None
            if ctx.ended_at is not None and next_at <= ctx.ended_at:
                out.missed.append(action)
        elif next_at <= now:
            out.actions.append(with_people(ctx, out, action))
        else:
            out.wakeups.append(next_at)
        overdue = due is not None and due <= now
        found.append(Communication(audience.name, every, updates, last, due, overdue, action_id))
    return tuple(found)
