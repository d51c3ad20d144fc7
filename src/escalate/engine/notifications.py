"""Notification plans: a page delivered as a chain of channel attempts, and its silence reported.

A page (a path level's ``escalate`` / ``transfer``, the ``page`` to the backups of an
unanswered level) or a ``notify`` action that names ``plan:`` is the *parent* of one chain per
person it reaches. The plan is the level's ``notification_plan``, else the person's own, else
the policy's ``notifications.default_plan`` (a notify's ``plan: <name>`` names it for everyone;
``plan: true`` reads the person's own, else the default). Each step of the plan is an attempt
action (kind ``notify_attempt``) with a stable id, ``<parent id>/notify/<person>/<step>``.

* **Delays are cumulative** from the start of the chain, like Opsgenie's: chat at ``0m``,
  SMS at ``5m``, voice at ``10m``. A person's chain starts at the parent's ``due_at``, or
  when they became one of the people it reaches, if later (a hand-off, an availability
  change: looked up backwards from now through at most ``WATCH_STEPS`` changes, never by
  walking time). Such a chain has ids of its own,
  ``<parent id>/notify/<person>@<start, 20241122T160000Z>/<step>``, so a person on call
  again a week later is not taken for the chain recorded done then.
* **Quiet hours pause a person's chain**: a step falling in the person's ``quiet_hours`` waits
  until the quiet period ends, and the steps after it keep their delays from it (chat 07:00,
  SMS 07:05 ...), unless the ticket's priority is urgent and the policy says
  ``urgent_overrides_quiet_hours``. One time-window lookup per step: the cost does not depend
  on how long the quiet period is.
* **A step without an address** for the person (the channel's kind, or ``address_from``, in
  their ``channels``) is skipped; the parent action carries a note saying so (lint reports it
  beforehand).
* **Attempts collapse like a ladder**: per person, only the latest attempt that is due is
  emitted, while it is not recorded done; earlier ones are superseded. The next one is a
  wake-up (``next_evaluation_at``).
* **An acknowledgement stops the chain**: one at or after the parent's ``due_at`` (for a path
  page, one that answers that path: unnamed, or naming it), even a late one. So does the
  ticket ending, and the path moving on (the next level's page starts its own chain).
* **Communication failure** (one per parent): when a plan has ``escalate_after`` and nobody
  acknowledged within that long after the last attempt of the chains that started with the
  parent (the people reached at its ``due_at``), one ``open_incident`` action (id
  ``<parent id>/comms-failure``) asks the host to open an operational incident linked to the
  ticket. Its people, attempts and channels are those due by then, read forwards from the
  parent's ``due_at`` (someone handed off mid-chain counts the attempts due while on call;
  someone who came on call, theirs from then), so once due its content never changes.
* **Quiet hours deferring a first attempt** are said on the parent: "<person>: quiet hours
  until <instant>; first attempt then", and, when the path leaves the level by its timer
  first, that it moves on before any attempt. The level's ``after`` and ``ack_within`` are
  the escalation's promise and are not moved by anyone's quiet hours.

The parent action stays in the decision (when not recorded done): a host delivers either the
parent its own way or the attempts; recording the parent done does not stop the chain.
Nothing here runs for a policy without plans (``policy.notifications`` is ``None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from escalate.calendars._durations import format_duration
from escalate.calendars._instants import ONE_US
from escalate.engine.actions import ActionDef
from escalate.engine.context import Context, stamp
from escalate.engine.decision import Action, iso
from escalate.engine.outcome import Chain, Outcome
from escalate.engine.plans import NotificationPlan, Notifications, PlanStep, address_of
from escalate.engine.targets import WATCH_STEPS, directory_targets
from escalate.people.directory import Person, Resolution

__all__ = ["ATTEMPT_KIND", "FAILURE_KIND", "chain_notify", "planned", "run_notifications"]

#: The kind of a channel attempt action.
ATTEMPT_KIND = "notify_attempt"
#: The kind of the communication-failure action (an operational incident to open).
FAILURE_KIND = "open_incident"


def planned(ctx: Context, act: ActionDef) -> bool:
    """Whether a rule's or rung's action is delivered through a plan (a notify with
    ``plan:``, in a policy with plans)."""
    return ctx.policy.notifications is not None and "plan" in act.details


def chain_notify(ctx: Context, out: Outcome, act: ActionDef, action: Action) -> None:
    """Record the chain of a planned notify ``action`` (with its people): answered by the
    acknowledgements that name no path."""
    if action.people:
        plan = act.details["plan"]
        targets = directory_targets(ctx, action)
        directory, availability = ctx.directory, ctx.availability
        out.chains.append(
            Chain(
                action,
                None if plan is True else str(plan),
                ctx.acks,
                lambda at: directory.resolve(targets, at, availability),
            )
        )


def run_notifications(ctx: Context, notifications: Notifications, out: Outcome) -> None:
    """Expand every chain the other stages recorded into its due attempts, wake-ups and
    communication-failure action (see the module docstring)."""
    if ctx.resolved or not out.chains:
        return
    urgent = (
        notifications.urgent_overrides_quiet_hours
        and ctx.priority is not None
        and ctx.priority in notifications.urgent_priorities
    )
    for chain in out.chains:
        _expand(ctx, notifications, chain, urgent, out)


Timeline = list[tuple[PlanStep, datetime, str, tuple[str, ...]]]


def _plan_of(
    chain: Chain, notifications: Notifications, person: Person | None
) -> NotificationPlan | None:
    if person is None:
        return None
    name = chain.plan or person.notification_plan or notifications.default_plan
    return None if name is None else notifications.plans[name]


def _expand(
    ctx: Context, notifications: Notifications, chain: Chain, urgent: bool, out: Outcome
) -> None:
    parent = chain.parent
    start = parent.due_at
    answered = next((at for at in chain.acks if at >= start), None)
    if answered is not None and answered <= ctx.now:
        return  # acknowledged: the chain stopped
    now, done = ctx.now, ctx.done_at
    people = ctx.directory.people
    skipped: list[str] = []
    deferred: list[str] = []
    joined = _joined(ctx, chain, start)
    for pid in parent.people:
        person = people.get(pid)
        plan = _plan_of(chain, notifications, person)
        if person is None or plan is None:
            continue
        begin = joined.get(pid, start)
        timeline = _timeline(plan, person, begin, urgent, skipped)
        if not timeline:
            continue
        if timeline[0][3] and timeline[0][3][0].startswith("deferred"):
            deferred.append(_deferral(person, timeline[0][1], chain.moves_at))
        # A chain started by a hand-off has ids of its own: a person on call again a week
        # later starts a new chain, never one recorded done already.
        chain_id = f"{parent.id}/notify/{pid}" + (f"@{stamp(begin)}" if begin > start else "")
        due = [item for item in timeline if item[1] <= now]
        attempt_id = f"{chain_id}/{due[-1][0].index}" if due else ""
        emits = bool(due) and attempt_id not in done
        for item in timeline:
            # The next step changes the decision when it supersedes the attempt due now or
            # is not recorded done itself (a host may record ahead).
            if item[1] > now and (emits or f"{chain_id}/{item[0].index}" not in done):
                out.wakeups.append(item[1])
                break
        if not emits:
            continue
        step, due_at, address, notes = due[-1]
        if begin > start:
            notes = (f"{pid} on call since {iso(begin)}: chain started then", *notes)
        out.actions.append(
            Action(
                id=attempt_id,
                kind=ATTEMPT_KIND,
                source=parent.source,
                due_at=due_at,
                late=now > due_at,
                targets=(f"person:{pid}",),
                details={
                    "channel": step.channel.name,
                    "channel_kind": step.channel.kind,
                    "address": address,
                    "step": step.index,
                    "person": pid,
                    "parent": parent.id,
                    "plan": plan.name,
                },
                rationale=(
                    f"step {step.index + 1} of {len(plan.steps)} of plan {plan.name} "
                    f"({step.channel.name}, +{format_duration(step.after)}) "
                    f"for {parent.kind} {parent.id}"
                ),
                people=(pid,),
                notes=notes,
            )
        )
    if skipped or deferred:
        _note_parent(out, parent, [*deferred, *skipped])
    _failure(ctx, notifications, chain, urgent, out)


def _deferral(person: Person, first: datetime, moves_at: datetime | None) -> str:
    """The note saying that quiet hours defer a person's first attempt (and, for a path
    page, that the path moves on before it)."""
    text = f"{person.id}: quiet hours until {iso(first)}; first attempt then"
    if moves_at is not None and moves_at <= first:
        text += f"; the path moves on at {iso(moves_at)}, before any attempt"
    return text


def _joined(ctx: Context, chain: Chain, start: datetime) -> dict[str, datetime]:
    """When each person the parent reaches now became one of the people it reaches, for
    those who did after ``start`` (a hand-off, or an availability change).

    Looked up backwards from now, one change at a time (:meth:`Directory.last_handoff` of the
    schedules consulted, availability changes), at most ``WATCH_STEPS`` changes: the cost
    does not depend on how long ago the page was due. When that many changes leave someone
    undecided, they are taken to have joined at the earliest change seen (they were on call
    since then at least)."""
    parent = chain.parent
    remaining = set(parent.people)
    found: dict[str, datetime] = {}
    hi = ctx.now
    current = chain.reached(hi)
    directory, availability = ctx.directory, ctx.availability
    earliest: datetime | None = None
    for _ in range(WATCH_STEPS):
        changes = [
            at
            for name in current.schedules
            if (at := directory.last_handoff(name, start, hi)) is not None
        ]
        changes += [
            at
            for at in availability.changes(current.considered, current.schedules)
            if start < at <= hi
        ]
        if not changes:
            return found
        at = earliest = max(changes)
        before = chain.reached(at - ONE_US)
        for pid in sorted(remaining):
            if pid not in before.people:
                found[pid] = at
                remaining.discard(pid)
        if not remaining:
            return found
        hi, current = at - ONE_US, before
    if earliest is not None:
        for pid in remaining:
            found[pid] = earliest
    return found


def _timeline(
    plan: NotificationPlan, person: Person, start: datetime, urgent: bool, skipped: list[str]
) -> Timeline:
    """The steps of ``plan`` that reach ``person``: each with its due instant (quiet hours
    applied), the address and the notes that explain the instant. Steps without an address
    are left out and said in ``skipped``."""
    quiet = person.quiet_hours
    out: Timeline = []
    previous: tuple[timedelta, datetime] | None = None
    for step in plan.steps:
        address = address_of(step.channel, person)
        if address is None:
            skipped.append(
                f"{person.id} has no {step.channel.kind} address: step {step.index + 1} "
                f"({step.channel.name}) of plan {plan.name} skipped"
            )
            continue
        # Cumulative from the start; after a deferral, the gap to the step before is kept.
        at = start + step.after if previous is None else previous[1] + (step.after - previous[0])
        notes: tuple[str, ...] = ()
        if quiet is not None and quiet.contains(at):
            if urgent:
                notes = (f"in {person.id}'s quiet hours at {iso(at)}; urgent priority overrides",)
            else:
                until = quiet.next_change(at)
                assert until is not None  # quiet hours covering every instant are refused
                notes = (f"deferred from {iso(at)}: {person.id}'s quiet hours until {iso(until)}",)
                at = until
        previous = (step.after, at)
        out.append((step, at, address, notes))
    return out


def _note_parent(out: Outcome, parent: Action, skipped: Sequence[str]) -> None:
    """The notes of skipped steps, on the parent action when it is emitted."""
    for i, action in enumerate(out.actions):
        if action is parent:
            out.actions[i] = replace(action, notes=(*action.notes, *skipped))
            return


def _failure(
    ctx: Context, notifications: Notifications, chain: Chain, urgent: bool, out: Outcome
) -> None:
    """The open_incident action of a chain nobody acknowledged ``escalate_after`` its last
    attempt; before that instant, a wake-up.

    One per parent. Its instant is fixed by the people the parent reached when it fell due
    (their plans' last attempts, plus ``escalate_after``; when nobody it reached then had an
    attempt, the first people reached after it, found forwards through at most
    ``WATCH_STEPS`` changes), so a later hand-off never moves
    it; its details describe the attempts that were due by then, to whoever was reached in
    between (someone handed off mid-chain counts only the attempts due while on call; someone
    who came on call counts from then). Both are read from the parent's due instant forwards,
    never from now: once due, the action has the same id and the same content at every
    evaluation."""
    parent = chain.parent
    action_id = f"{parent.id}/comms-failure"
    if action_id in ctx.done_at:
        return
    start = parent.due_at
    people = ctx.directory.people
    first = found = chain.reached(start)
    plan: NotificationPlan | None = None
    last: datetime | None = None
    begin = start
    directory, availability = ctx.directory, ctx.availability
    for _ in range(WATCH_STEPS):
        for pid in found.people:
            person = people.get(pid)
            own = _plan_of(chain, notifications, person)
            if person is None or own is None:
                continue
            timeline = _timeline(own, person, begin, urgent, [])
            if not timeline:
                continue
            if plan is None and own.escalate_after is not None:
                plan = own
            end = timeline[-1][1]
            last = end if last is None or end > last else last
        if last is not None:
            break
        # Nobody with an attempt when the page fell due (a level waiting for cover): the
        # chains that count start with the first people reached after it.
        later = [
            t
            for t in directory.handoffs(found.schedules, begin)
            + availability.changes(found.considered, found.schedules)
            if t > begin
        ]
        if not later or min(later) > ctx.now:
            return
        begin = min(later)
        found = chain.reached(begin)
    if plan is None or last is None or plan.escalate_after is None:
        return
    due_at = last + plan.escalate_after
    if due_at > ctx.now:
        out.wakeups.append(due_at)
        return
    reached: dict[str, None] = {}
    channels: dict[str, None] = {}
    sent = 0
    for pid, begin, until in _stretches(ctx, chain, first, due_at):
        person = people.get(pid)
        own = _plan_of(chain, notifications, person)
        if person is None or own is None:
            continue
        for step, at, _, _ in _timeline(own, person, begin, urgent, []):
            if at <= due_at and (until is None or at < until):
                sent += 1
                reached.setdefault(pid)
                channels.setdefault(step.channel.name)
    who = ", ".join(reached)
    reason = (
        f"nobody acknowledged {sent} attempt{'s' if sent != 1 else ''} to {who} over "
        f"{', '.join(channels)}"
    )
    out.actions.append(
        Action(
            id=action_id,
            kind=FAILURE_KIND,
            source=parent.source,
            due_at=due_at,
            late=ctx.now > due_at,
            targets=(),
            details={
                "linked_to": ctx.ticket.id,
                "parent": parent.id,
                "plan": plan.name,
                "reason": reason,
                "priority": ctx.priority,
                "summary": f"communication failure on {ctx.ticket.id}: {reason}",
                "people": tuple(reached),
                "channels": tuple(channels),
                "attempts": sent,
            },
            rationale=(
                f"{reason}, {format_duration(plan.escalate_after)} after the last attempt "
                f"(plan {plan.name})"
            ),
        )
    )


def _stretches(
    ctx: Context, chain: Chain, first: Resolution, until: datetime
) -> list[tuple[str, datetime, datetime | None]]:
    """(person, from, to) for each stretch in which the parent reached a person, from its due
    instant up to ``until`` (``to`` is ``None`` while still reached then), read forwards
    from hand-off to hand-off (at most ``WATCH_STEPS`` of them: the span is the plan's
    length, not the ticket's age)."""
    at, found = chain.parent.due_at, first
    open_: dict[str, datetime] = dict.fromkeys(found.people, at)
    out: list[tuple[str, datetime, datetime | None]] = []
    directory, availability = ctx.directory, ctx.availability
    for _ in range(WATCH_STEPS):
        later = [
            t
            for t in directory.handoffs(found.schedules, at)
            + availability.changes(found.considered, found.schedules)
            if t > at
        ]
        if not later or min(later) > until:
            break
        at = min(later)
        found = chain.reached(at)
        for pid in list(open_):
            if pid not in found.people:
                out.append((pid, open_.pop(pid), at))
        for pid in found.people:
            open_.setdefault(pid, at)
    out += [(pid, since, None) for pid, since in open_.items()]
    return out
