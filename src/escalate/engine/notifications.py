"""Notification plans: a page delivered as a chain of channel attempts, and its silence reported.

A page (a path level's ``escalate`` / ``transfer``, the ``page`` to the backups of an
unanswered level) or a ``notify`` action that names ``plan:`` is the *parent* of one chain per
person it reaches. The plan is the level's ``notification_plan``, else the person's own, else
the policy's ``notifications.default_plan`` (a notify's ``plan: <name>`` names it for everyone;
``plan: true`` reads the person's own, else the default). Each step of the plan is an attempt
action (kind ``notify_attempt``) with a stable id, ``<parent id>/notify/<person>/<step>``.

* **Delays are cumulative** from the start of the chain (the parent's ``due_at``), like
  Opsgenie's: chat at ``0m``, SMS at ``5m``, voice at ``10m``.
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
* **Communication failure**: when a plan has ``escalate_after`` and nobody acknowledged within
  that long after the last attempt of the chain became due, one ``open_incident`` action (id
  ``<parent id>/comms-failure``) asks the host to open an operational incident linked to the
  ticket.

The parent action stays in the decision (when not recorded done): a host delivers either the
parent its own way or the attempts; recording the parent done does not stop the chain.
Nothing here runs for a policy without plans (``policy.notifications`` is ``None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from escalate.calendars._durations import format_duration
from escalate.engine.actions import ActionDef
from escalate.engine.context import Context
from escalate.engine.decision import Action, iso
from escalate.engine.outcome import Chain, Outcome
from escalate.engine.plans import NotificationPlan, Notifications, PlanStep, address_of
from escalate.people.directory import Person

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
        out.chains.append(Chain(action, None if plan is True else str(plan), ctx.acks))


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
    sent = 0  # attempts made by the time the failure would be reported
    channels: dict[str, None] = {}
    reached: list[str] = []
    last: datetime | None = None
    failure_plan = None
    for pid in parent.people:
        person = people.get(pid)
        if person is None:
            continue
        name = chain.plan or person.notification_plan or notifications.default_plan
        if name is None:
            continue
        plan = notifications.plans[name]
        timeline = _timeline(plan, person, start, urgent, skipped)
        if not timeline:
            continue
        failure_plan = failure_plan or (plan if plan.escalate_after is not None else None)
        reached.append(pid)
        sent += len(timeline)
        for step, _, _, _ in timeline:
            channels.setdefault(step.channel.name)
        end = timeline[-1][1]
        last = end if last is None or end > last else last
        due = [item for item in timeline if item[1] <= now]
        attempt_id = f"{parent.id}/notify/{pid}/{due[-1][0].index}" if due else ""
        emits = bool(due) and attempt_id not in done
        for item in timeline:
            # The next step changes the decision when it supersedes the attempt due now or
            # is not recorded done itself (a host may record ahead).
            if item[1] > now and (emits or f"{parent.id}/notify/{pid}/{item[0].index}" not in done):
                out.wakeups.append(item[1])
                break
        if not emits:
            continue
        step, due_at, address, notes = due[-1]
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
                    "plan": name,
                },
                rationale=(
                    f"step {step.index + 1} of {len(plan.steps)} of plan {name} "
                    f"({step.channel.name}, +{format_duration(step.after)}) "
                    f"for {parent.kind} {parent.id}"
                ),
                people=(pid,),
                notes=notes,
            )
        )
    if skipped:
        _note_parent(out, parent, skipped)
    if failure_plan is not None and last is not None and failure_plan.escalate_after is not None:
        _failure(ctx, chain, failure_plan, last, sent, reached, tuple(channels), out)


def _timeline(
    plan: NotificationPlan, person: Person, start: datetime, urgent: bool, skipped: list[str]
) -> list[tuple[PlanStep, datetime, str, tuple[str, ...]]]:
    """The steps of ``plan`` that reach ``person``: each with its due instant (quiet hours
    applied), the address and the notes that explain the instant. Steps without an address
    are left out and said in ``skipped``."""
    quiet = person.quiet_hours
    out: list[tuple[PlanStep, datetime, str, tuple[str, ...]]] = []
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
    ctx: Context,
    chain: Chain,
    plan: NotificationPlan,
    last: datetime,
    sent: int,
    reached: Sequence[str],
    channels: Sequence[str],
    out: Outcome,
) -> None:
    """The open_incident action of a chain nobody acknowledged ``escalate_after`` its last
    attempt; before that instant, a wake-up."""
    assert plan.escalate_after is not None
    parent = chain.parent
    action_id = f"{parent.id}/comms-failure"
    if action_id in ctx.done_at:
        return
    due_at = last + plan.escalate_after
    if due_at > ctx.now:
        out.wakeups.append(due_at)
        return
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
