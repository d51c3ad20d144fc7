"""The governance stage: risk classes, oversight tier, board and audit flags, override checks.

Runs only for a policy that declares ``governance:`` (docs/governance.md), after the rules
and paths, on what they decided (see :mod:`escalate.engine.governance` for the values):

* ``risks``: the sorted union of the risk classes of the due actions and of the matched
  rules;
* the oversight ``tier``: the ``governance.oversight.matrix`` row of the ticket's canonical
  impact now (else ``default``), read at the ticket's oversight duration (the time it has
  been open, not counting time in an ended status, or a clock's elapsed time); the instant
  of the next tier change is a wake-up;
* ``board_reportable`` and ``audit_sample``: the declared criteria, with the reasons that
  hold; the crossings of their clock comparisons are wake-ups;
* override checks: each ``override`` event, the actor's ``override-escalation`` authority
  at its instant (:func:`escalate.engine.authority.authority_before`, as
  ``Policy.authorize`` answers) from the ticket evaluated as it stood just before that
  instant; under ``unauthorised: reject`` the path does not apply it.

Nothing here reads a clock or does I/O; the audit sample is SHA-256 of the ticket id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from escalate.engine.authority import Standing, authority_before
from escalate.engine.clocks import RUNNING, ClockState
from escalate.engine.context import Context
from escalate.engine.decision import Action
from escalate.engine.facts import clock_leaf_instant
from escalate.engine.governance import (
    Governance,
    GovernanceDef,
    OverrideCheck,
    OversightDef,
    TierStep,
    audit_share,
)
from escalate.engine.paths import PathDef, PathState
from escalate.engine.ticket import Ticket

__all__ = ["Replay", "check_overrides", "run_governance"]

_US = timedelta(microseconds=1)


# --------------------------------------------------------------------------------------------
# Override checks
# --------------------------------------------------------------------------------------------

#: Evaluates a ticket at an instant with some override events (by index) rejected, giving
#: its paths' states then: what the check of an override reads.
Replay = Callable[[Ticket, datetime, frozenset[int]], Sequence[tuple[PathDef, PathState]]]


def check_overrides(ctx: Context, gov: GovernanceDef, replay: Replay) -> tuple[OverrideCheck, ...]:
    """Each ``override`` event of the ticket checked by
    :func:`~escalate.engine.authority.authority_before` (as ``Policy.authorize`` checks it):
    the ticket as it stood just before the override's instant, evaluated then with the
    overrides rejected so far, gives the level each path was at and who it paged. Under
    ``reject`` an unauthorised override is not applied (nor by the later checks)."""
    ticket = ctx.ticket
    checks: list[OverrideCheck] = []
    rejected: set[int] = set()
    for event in ticket.events:
        if event.type != "override":
            continue

        def standing(
            before: Ticket, at: datetime, done: frozenset[int] = frozenset(rejected)
        ) -> Standing:
            return replay(before, at, done), [c for c in checks if c.at < at]

        answer = authority_before(
            ctx.directory,
            ticket,
            standing,
            ctx.policy.paths,
            event.actor or "",
            "override-escalation",
            at=event.at,
            availability=ctx.availability,
        )
        honoured = answer.allowed or gov.unauthorised != "reject"
        if not honoured:
            rejected.add(event.index)
        checks.append(
            OverrideCheck(
                index=event.index,
                at=event.at,
                actor=event.actor or "",
                path=event.path or "",
                level=event.level or "",
                authorised=answer.allowed,
                grounds=answer.grounds,
                reason=answer.reason,
                honoured=honoured,
            )
        )
    return tuple(checks)


# --------------------------------------------------------------------------------------------
# The stage
# --------------------------------------------------------------------------------------------


def run_governance(
    ctx: Context,
    gov: GovernanceDef,
    facts: Mapping[str, Any],
    clocks: Sequence[ClockState],
    actions: Sequence[Action],
    matched_risks: Sequence[str],
    overrides: tuple[OverrideCheck, ...],
    wakeups: list[datetime],
) -> Governance:
    """The decision's :class:`Governance`; adds the instants it changes at to ``wakeups``."""
    risks = tuple(sorted({*matched_risks, *(r for a in actions for r in a.risks)}))
    tier = since = next_tier = next_at = None
    if gov.oversight is not None:
        tier, since, next_tier, next_at = _tier(ctx, gov.oversight, facts, clocks)
        if next_at is not None:
            wakeups.append(next_at)
    for leaf in gov.clock_leaves:
        cs = facts.get("clock." + leaf.field.split(".")[1])
        if isinstance(cs, ClockState) and cs.state == RUNNING:
            crossed = clock_leaf_instant(leaf, facts)
            if crossed is not None and crossed > ctx.now:
                wakeups.append(crossed)
    board: list[str] = []
    if gov.board is not None:
        if tier is not None and tier in gov.board.tiers:
            board.append(f"oversight tier {tier}")
        board += [f"risk {risk}" for risk in risks if risk in gov.board.risks]
        if gov.board.when is not None and gov.board.when.check(facts):
            board.append("its condition (board_reportable.when) holds")
    sampled, why = False, None
    sample = gov.audit_sample
    if sample is not None:
        if sample.when is not None and sample.when.check(facts):
            sampled, why = True, "its condition (audit_sample.when) holds"
        else:
            share = audit_share(ctx.ticket.id, sample.denominator)
            sampled = share < sample.numerator
            verdict = "in" if sampled else "not in"
            why = (
                f"{verdict} the {sample.rate_text} share: sha256(id) mod {sample.denominator} "
                f"= {share}"
            )
    return Governance(
        risks=risks,
        tier=tier,
        tier_since=since,
        next_tier=next_tier,
        next_tier_at=next_at,
        board_reportable=bool(board),
        board_reasons=tuple(board),
        audit_sample=sampled,
        audit_reason=why,
        overrides=overrides,
    )


def _tier(
    ctx: Context, oversight: OversightDef, facts: Mapping[str, Any], clocks: Sequence[ClockState]
) -> tuple[str, datetime | None, str | None, datetime | None]:
    """(tier, since, next tier, next instant) for the row of the ticket's impact now."""
    impact = facts.get("impact")
    row = oversight.rows.get(impact) if isinstance(impact, str) else None
    if row is None:
        row = oversight.rows.get("default", ())
    lowest = oversight.tiers[0]
    if oversight.clock is None:
        elapsed, reached = _open_time(ctx)
    else:
        cs = next((c for c in clocks if c.name == oversight.clock), None)
        if cs is None or not cs.applies or cs.started_at is None:
            return lowest, None, None, None

        def reached(amount: timedelta, cs: ClockState = cs) -> datetime | None:
            return cs.rung_reached_at(amount // _US)

        elapsed = cs.elapsed
    current: TierStep | None = None
    for step in row:
        if step.after <= elapsed:
            current = step
    tier = lowest if current is None else current.tier

    def tier_since(steps: tuple[TierStep, ...], held: TierStep | None) -> datetime | None:
        """When ``steps`` (a row) reached ``held``'s tier, without a change since."""
        if held is None:
            return ctx.ticket.opened_at if oversight.clock is None else None
        # the first entry of this row with the same tier, reached without a change since
        first = next(s for s in steps if s.after <= held.after and s.tier == held.tier)
        return reached(first.after)

    def held_at(steps: tuple[TierStep, ...], at: datetime) -> TierStep | None:
        found = None
        for step in steps:
            when = reached(step.after)
            if when is not None and when <= at:
                found = step
        return found

    since = tier_since(row, current)
    # An impact change moves the ticket to another row: the tier holds since then at the
    # earliest, unless the row it left had the same tier then (and so on back).
    for start, before in reversed(_row_changes(ctx, oversight)):
        if since is None or since > start:
            break
        held = None if before is None else held_at(before, start - _US)
        if before is None or (lowest if held is None else held.tier) != tier:
            since = start
            break
        since = tier_since(before, held)
    upcoming = next((s for s in row if s.after > elapsed and s.tier != tier), None)
    upcoming_at = None if upcoming is None else _future(reached(upcoming.after), ctx.now)
    if upcoming is None or upcoming_at is None:
        return tier, since, None, None  # no change without new events
    return tier, since, upcoming.tier, upcoming_at


def _row_changes(
    ctx: Context, oversight: OversightDef
) -> list[tuple[datetime, tuple[TierStep, ...] | None]]:
    """The impact changes up to now that moved the ticket into another row of the matrix,
    in time order, each with the row it left (``None`` when the event does not say what
    the impact was before: then the tier counts from the change)."""

    def row_of(value: object) -> tuple[TierStep, ...]:
        impact = ctx.policy.canonical("impact", value) if isinstance(value, str) else None
        found = oversight.rows.get(impact) if isinstance(impact, str) else None
        return oversight.rows.get("default", ()) if found is None else found

    out: list[tuple[datetime, tuple[TierStep, ...] | None]] = []
    previous: tuple[TierStep, ...] | None = None
    known = False
    for event in ctx.ticket.events:
        if event.at > ctx.now:
            break
        if event.type != "field-changed" or event.field != "impact":
            continue
        if event.from_value is not None:
            previous, known = row_of(event.from_value), True
        after = row_of(event.to_value)
        if not known or previous != after:
            out.append((event.at, previous if known else None))
        previous, known = after, True
    return out


def _future(at: datetime | None, now: datetime) -> datetime | None:
    return at if at is not None and at > now else None


def _open_time(
    ctx: Context,
) -> tuple[timedelta, Callable[[timedelta], datetime | None]]:
    """How long the ticket has been open at ``now`` (time in an ended status not counted),
    and when that reached an amount (a future instant assumes it stays open)."""
    spans: list[tuple[datetime, datetime | None]] = []
    start: datetime | None = None
    ended_statuses = ctx.policy.statuses.ended
    for at, _type, _before, after in ctx.steps:
        if at > ctx.now:
            break
        ended = after in ended_statuses
        if ended and start is not None:
            spans.append((start, at))
            start = None
        elif not ended and start is None:
            start = at
    if start is not None:
        spans.append((start, None))
    total = sum(((end or ctx.now) - begin for begin, end in spans), timedelta(0))

    def reached(amount: timedelta) -> datetime | None:
        if not spans:
            return None
        done = timedelta(0)
        for begin, end in spans:
            if end is None or done + (end - begin) >= amount:
                return begin + (amount - done)
            done += end - begin
        return None

    return total, reached
