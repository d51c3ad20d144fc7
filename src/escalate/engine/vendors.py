"""Vendor contracts: the clocks of an engaged vendor, the penalties they accrue, whom to chase.

A policy's ``vendors:`` section (docs/vendors.md) gives each vendor a contract; the compiler
turns it into a :class:`VendorDef`. :func:`run_vendors` is the engine stage, run only for a
policy that declares vendors, after the path stage:

* **Engagement** is the instant the vendor's (horizontal) path started its current run
  (:attr:`~escalate.engine.paths.PathState.started_at`). A path that is not active at ``now``
  (never requested, or its ``when`` no longer holds) means the vendor is not engaged. The
  engagement ends when the ticket ends (resolved, closed or cancelled): both clocks stop
  there, whatever their state.
* **Response** runs from the engagement to the first ``acknowledged`` event naming the
  vendor's path with ``party: vendor`` or ``party: <vendor id>`` (exactly) at or after it.
  An acknowledgement with another party or none (ours, on their path or not) does not stop
  it.
* **Resolution** runs from the engagement to the first ``milestone`` event named
  ``<vendor id>-resolved`` at or after it (the vendor's part is done while the ticket stays
  open) or the ticket's end, whichever comes first (:func:`_resolved_at`).
* Both count working time on the vendor's calendar (their hours, their zone), minus the time
  the ticket spent in a ``pause`` status (the vendor waits for us), to the microsecond, with
  the project's calendar arithmetic (:meth:`~escalate.calendars.calendar.Calendar.elapsed`
  and :meth:`~escalate.calendars.calendar.Calendar.add`). The target is the priority's
  (``default`` otherwise) for the ticket's current priority while the clock runs
  (retroactive, like clocks); a stopped clock keeps the priority in force when it stopped.
* **Penalties** (clauses): per started (or completed) unit ``per`` of lateness after the
  target plus ``grace``, a fixed amount or a percentage of the contract's ``monthly_fee``,
  at most ``cap``. Exact: the contract's amounts are :class:`~fractions.Fraction` values,
  added up here as whole numbers of 10**-12 currency units (the same values, at integer
  speed), and given out as :class:`~decimal.Decimal`, rounded to the currency's minor unit
  (half to even) only on output.
* **Contacts**: vendor-side escalation levels reached ``after`` that much of the measured
  clock (``until: response`` or ``resolution``) without the vendor having responded /
  resolved; like a ladder, only the highest reached level is due, until recorded done.
  The next level's instant is a wake-up, and so is a running clock's breach instant (its
  ``breached`` flag flips, as an SLA clock's does); later penalty steps are not (the amount
  grows with ``now``, like elapsed time).

Nothing here reads a clock or does I/O.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from escalate.calendars._durations import Duration, format_duration
from escalate.calendars._instants import ONE_US
from escalate.calendars.calendar import Calendar
from escalate.engine.context import Context, stamp
from escalate.engine.contracts import (
    PAUSED,
    RUNNING,
    STOPPED,
    ClauseDef,
    ContactDef,
    EarlierEngagement,
    PenaltyState,
    VendorClock,
    VendorDef,
    VendorState,
    money_scaled,
)
from escalate.engine.decision import Action
from escalate.engine.paths import PathDef, PathState

if TYPE_CHECKING:
    from escalate.engine.outcome import Outcome

__all__ = ["run_vendors", "shared_ticket", "vendor_view"]

# -- the stage ----------------------------------------------------------------------------------


#: Evaluates the ticket as it stood before event ``index`` at instant ``at`` (without looking
#: for earlier engagements itself) and gives its vendor states.
Replay = Callable[[int, datetime], Sequence[VendorState]]


def run_vendors(
    ctx: Context,
    vendors: Sequence[VendorDef],
    path_states: Sequence[tuple[PathDef, PathState]],
    out: Outcome,
    replay: Replay | None = None,
) -> tuple[VendorState, ...]:
    """Every vendor's state (in the policy's order: by id); contact actions and their
    wake-ups added to ``out``. With ``replay``, each state also lists the engagements of the
    ticket's earlier cycles: each ``reopened`` event closes a cycle, whose engagement is the
    one the ticket shows just before it (its clocks stopped at the cycle's end): one replay
    per reopen."""
    states = {path.name: (path, st) for path, st in path_states}
    found = tuple(_vendor(ctx, vendor, *states[vendor.path], out) for vendor in vendors)
    if replay is None:
        return found
    earlier: dict[str, list[EarlierEngagement]] = {}
    for event in ctx.ticket.events:
        if event.type != "reopened" or event.at > ctx.now:
            continue
        for state in replay(event.index, event.at):
            if state.engaged and state.engaged_at is not None:
                earlier.setdefault(state.vendor, []).append(_ended(state))
    if not earlier:
        return found
    return tuple(replace(state, earlier=tuple(earlier.get(state.vendor, ()))) for state in found)


def _ended(state: VendorState) -> EarlierEngagement:
    """An engagement as it ended (its state just before the reopen that closed its cycle)."""
    response, resolution = state.response, state.resolution
    assert state.engaged_at is not None and response is not None and resolution is not None
    return EarlierEngagement(
        engaged_at=state.engaged_at,
        ended_at=resolution.stopped_at,
        response_breached=response.breached,
        resolution_breached=resolution.breached,
        response_elapsed=response.elapsed if response.state == STOPPED else None,
        resolution_elapsed=resolution.elapsed if resolution.state == STOPPED else None,
        penalty_total=state.penalty_total,
    )


class _Span:
    """The running time of one vendor clock: closed running segments up to its end (or
    ``now``), and the instant it runs on from (``None``: paused or stopped at ``now``). The
    working time of each segment is computed once (``cum``: running totals), so every
    instant looked up afterwards costs one binary search and one calendar step."""

    __slots__ = ("calendar", "cum", "elapsed_us", "now", "open_from", "segments")

    def __init__(
        self,
        calendar: Calendar,
        segments: list[tuple[datetime, datetime]],
        open_from: datetime | None,
        now: datetime,
        memo: dict[tuple[datetime, datetime], int],
    ) -> None:
        self.calendar = calendar
        self.segments = segments
        self.open_from = open_from
        self.now = now
        cum, total = [], 0
        for segment in segments:
            worked = memo.get(segment)
            if worked is None:  # the two clocks share their segments up to the earlier end
                worked = memo[segment] = calendar.elapsed(*segment) // ONE_US
            total += worked
            cum.append(total)
        self.cum = cum  # working µs to the end of each closed segment
        if open_from is not None:
            total += calendar.elapsed(open_from, now) // ONE_US
        self.elapsed_us = total  # to now

    def reached_at(self, amount_us: int) -> datetime | None:
        """The first instant at which the elapsed time reaches ``amount_us`` (> 0); a future
        instant assumes the clock keeps running; ``None``: not without new events."""
        cum = self.cum
        i = bisect.bisect_left(cum, amount_us)
        if i < len(cum):
            before = cum[i - 1] if i else 0
            return self.calendar.add(self.segments[i][0], ONE_US * (amount_us - before))
        if self.open_from is None:
            return None
        done = cum[-1] if cum else 0
        return self.calendar.add(self.open_from, ONE_US * (amount_us - done))


def _pauses(ctx: Context, pause: frozenset[str]) -> list[tuple[datetime, datetime | None]]:
    """The stretches of the history the ticket spent in a ``pause`` status, in time order."""
    if not pause:
        return []
    out: list[tuple[datetime, datetime | None]] = []
    since: datetime | None = None
    for at, _kind, _before, after in ctx.steps:
        if after in pause and since is None:
            since = at
        elif after not in pause and since is not None:
            if at > since:
                out.append((since, at))
            since = None
    if since is not None:
        out.append((since, None))
    return out


def _span(
    calendar: Calendar,
    start: datetime,
    stop: datetime | None,
    now: datetime,
    pauses: list[tuple[datetime, datetime | None]],
    memo: dict[tuple[datetime, datetime], int],
) -> _Span:
    """The running segments of a clock from ``start`` to ``stop`` (or ``now``)."""
    end = now if stop is None or stop > now else stop
    segments: list[tuple[datetime, datetime]] = []
    cursor = start
    paused_at_end = False
    # Pauses are half-open [from, to), like the SLA clocks': the clock is paused at the
    # instant the pause starts and runs again at the instant it ends.
    for p_from, p_to in pauses:
        if p_to is not None and p_to <= cursor:
            continue
        if p_from > end:
            break
        if p_from > cursor:
            segments.append((cursor, p_from))
        if p_to is None or p_to > end:
            paused_at_end = True
            cursor = end
            break
        cursor = p_to
    if cursor < end:
        segments.append((cursor, end))
    running = (stop is None or stop > now) and not paused_at_end
    open_from = None
    if running:  # the segment running at now is left open: it runs on from its start
        open_from = segments.pop()[0] if segments and segments[-1][1] == now else now
    return _Span(calendar, segments, open_from, now, memo)


def _target_us(span: _Span, start: datetime, duration: Duration) -> int:
    """The working time (µs) of a target: a fixed duration's own; a ``bd`` / ``mo`` one the
    vendor calendar's working time from ``start`` to its wall-clock due instant."""
    due_at = duration.due_at(span.calendar, start)
    if due_at is None:
        return duration.delta // ONE_US
    return span.calendar.elapsed(start, due_at) // ONE_US


def _resolved_at(ctx: Context, vendor: VendorDef, engaged_at: datetime) -> datetime | None:
    """When the vendor's resolution clock stops: the first ``milestone`` event named
    ``<vendor id>-resolved`` at or after the engagement (the vendor has done its part while
    the ticket stays open for us), or the ticket's end (resolved, closed or cancelled),
    whichever comes first; ``None`` while neither has happened by now."""
    name = f"{vendor.id}-resolved"
    now = ctx.now
    marked = next(
        (
            e.at
            for e in ctx.ticket.events
            if e.type == "milestone" and e.milestone == name and engaged_at <= e.at <= now
        ),
        None,
    )
    ended = ctx.ended_at if ctx.resolved else None
    if marked is None or (ended is not None and ended < marked):
        return ended
    return marked


def _priority(ctx: Context, engaged_at: datetime, stopped_at: datetime | None) -> str | None:
    """The priority whose target a vendor clock measures: a running (or paused) clock follows
    the current priority, retroactively like SLA clocks; a stopped one keeps the priority in
    force while it ran (just before it stopped): a later change does not re-price a clock
    that has already stopped."""
    if stopped_at is None:
        return ctx.priority
    state = ctx.ticket.state_at(max(stopped_at - ONE_US, engaged_at))
    return ctx.policy.priority_of(ctx.ticket, state.priority, state)


def _responded_at(ctx: Context, vendor: VendorDef, engaged_at: datetime) -> datetime | None:
    """The vendor's response: the first ``acknowledged`` event naming its path, with
    ``party`` ``vendor`` or the vendor's id (exactly), at or after the engagement. Our own
    acknowledgement of the path (no ``party``, or another) answers our page, not the
    vendor's clock."""
    now = ctx.now
    parties = ("vendor", vendor.id)
    return next(
        (
            e.at
            for e in ctx.ticket.events
            if e.type == "acknowledged"
            and e.path == vendor.path
            and e.party in parties
            and engaged_at <= e.at <= now
        ),
        None,
    )


def _vendor(
    ctx: Context, vendor: VendorDef, path: PathDef, path_state: PathState, out: Outcome
) -> VendorState:
    engaged_at = path_state.started_at if path_state.active else None
    if engaged_at is None:
        return VendorState(
            vendor.id,
            vendor.name,
            vendor.path,
            False,
            None,
            vendor.calendar_name,
            None,
            None,
            (),
            None,
            vendor.currency,
            None,
            None,
            False,
            None,
            None,
            None,
        )
    now = ctx.now
    ended = _resolved_at(ctx, vendor, engaged_at)
    if ended is not None and ended < engaged_at:
        ended = engaged_at
    responded = _responded_at(ctx, vendor, engaged_at)
    if ended is not None and (responded is None or ended < responded):
        responded = ended  # the engagement ended before they answered: the clock stops there
    pauses = _pauses(ctx, vendor.pause)
    memo: dict[tuple[datetime, datetime], int] = {}
    spans = {
        "response": _span(vendor.calendar, engaged_at, responded, now, pauses, memo),
        "resolution": _span(vendor.calendar, engaged_at, ended, now, pauses, memo),
    }
    stops = {"response": responded, "resolution": ended}
    clocks: dict[str, VendorClock] = {}
    targets: dict[str, int | None] = {}
    elapsed: dict[str, int] = {}
    for name, span in spans.items():
        stop = stops[name]
        stopped = stop is not None and stop <= now
        duration = vendor.target(name, _priority(ctx, engaged_at, stop if stopped else None))
        elapsed_us = elapsed[name] = span.elapsed_us
        target_us = targets[name] = (
            None if duration is None else _target_us(span, engaged_at, duration)
        )
        state = STOPPED if stopped else (RUNNING if span.open_from is not None else PAUSED)
        breach_at = None if target_us is None else span.reached_at(target_us)
        if breach_at is not None and breach_at > now and span.open_from is not None:
            out.wakeups.append(breach_at)  # a clock breaching is a wake-up (semantics.md)
        clocks[name] = VendorClock(
            clock=name,
            state=state,
            target=None if duration is None else duration.text,
            elapsed=ONE_US * elapsed_us,
            remaining=None if target_us is None else ONE_US * (target_us - elapsed_us),
            breach_at=breach_at,
            breached=breach_at is not None and breach_at <= now,
            stopped_at=stop if stopped else None,
        )
    penalties, total, next_at, next_amount, cap_reached = _penalties(
        vendor, spans, targets, elapsed
    )
    stopped_now = {name: stop is not None and stop <= now for name, stop in stops.items()}
    level, contact, next_contact = _contacts(
        ctx, vendor, spans, targets, stopped_now, engaged_at, path_state, out, path.reenter
    )
    currency = vendor.currency
    return VendorState(
        vendor=vendor.id,
        name=vendor.name,
        path=vendor.path,
        engaged=True,
        engaged_at=engaged_at,
        calendar=vendor.calendar_name,
        response=clocks["response"],
        resolution=clocks["resolution"],
        penalties=penalties,
        penalty_total=(
            None if currency is None or not vendor.clauses else money_scaled(total, currency)
        ),
        currency=currency,
        next_penalty_at=next_at,
        next_penalty_amount=(
            None if next_amount is None or currency is None else money_scaled(next_amount, currency)
        ),
        cap_reached=cap_reached,
        contact_level=level,
        contact=contact,
        next_contact_at=next_contact,
    )


def _units(clause: ClauseDef, late_us: int) -> int:
    """Units counted ``late_us`` past target + grace. A started unit counts once any of it
    has passed (``ceil(late / per)``: at the boundary instant itself the lower count holds);
    a completed one once all of it has (``floor(late / per)``)."""
    if late_us <= 0:
        return 0
    per = clause.per // ONE_US
    return -(-late_us // per) if clause.count == "started" else late_us // per


def _step_amount_us(clause: ClauseDef, threshold_us: int, unit: int) -> int:
    """The elapsed time at which unit ``unit`` (1-based) begins (started units: counted from
    just after it) or completes (completed units: counted from it)."""
    per = clause.per // ONE_US
    return (
        threshold_us + (unit - 1) * per if clause.count == "started" else threshold_us + unit * per
    )


def _penalties(
    vendor: VendorDef,
    spans: Mapping[str, _Span],
    targets: Mapping[str, int | None],
    elapsed: Mapping[str, int],
) -> tuple[tuple[PenaltyState, ...], int, datetime | None, int | None, bool]:
    """Per clause: units and amount; the total; the next step's instant and amount (amounts
    exact, in units of ``MONEY_SCALE``); whether every capped clause reached its cap."""
    currency = vendor.currency
    if currency is None:  # the compiler requires a currency once there are clauses
        return (), 0, None, None, False
    out: list[PenaltyState] = []
    total = 0
    steps: list[tuple[datetime, int]] = []
    all_capped = any(c.cap is not None for c in vendor.clauses)
    for clause in vendor.clauses:
        target_us = targets[clause.clock]
        cap = clause.cap_scaled
        if target_us is None:
            out.append(PenaltyState(clause.id, clause.clock, 0, money_scaled(0, currency), False))
            if cap is not None:
                all_capped = False
            continue
        threshold = target_us + clause.grace // ONE_US
        units = _units(clause, elapsed[clause.clock] - threshold)
        amount = units * clause.unit_scaled
        capped = cap is not None and amount >= cap
        if capped and cap is not None:
            amount = cap
        elif cap is not None:
            all_capped = False
        total += amount
        out.append(
            PenaltyState(clause.id, clause.clock, units, money_scaled(amount, currency), capped)
        )
        if capped:
            continue
        span = spans[clause.clock]
        if span.open_from is None:
            continue  # stopped or paused: no step without new events
        at = span.reached_at(_step_amount_us(clause, threshold, units + 1))
        if at is None:
            continue
        if clause.count == "started":
            # The unit begins where lateness reaches its start; it counts from the next
            # working instant on (not at a window's end, nor in the past while closed).
            at = span.calendar.next_open(max(at, span.now))
        step = clause.unit_scaled if cap is None else min(clause.unit_scaled, cap - amount)
        steps.append((at, step))
    if not steps:
        return tuple(out), total, None, None, all_capped
    first = min(at for at, _ in steps)
    return tuple(out), total, first, sum(s for at, s in steps if at == first), all_capped


def _contacts(
    ctx: Context,
    vendor: VendorDef,
    spans: Mapping[str, _Span],
    targets: Mapping[str, int | None],
    stopped: Mapping[str, bool],
    engaged_at: datetime,
    path_state: PathState,
    out: Outcome,
    reenter: bool,
) -> tuple[int | None, str | None, datetime | None]:
    """The contact level (1-based) and its name; the next level's instant (a wake-up).

    The contact level is the highest-numbered level reached whose ``until`` clock still
    runs (levels may measure different clocks, so the highest-numbered is not always the
    latest reached, and a level whose clock stopped hands back to a lower one still
    running); when no reached level's clock runs, the highest-numbered level reached stays
    on record. Its action is due until recorded done, while its clock runs; lower ones are
    superseded (docs/semantics.md, "Ladders collapse"). A level written as a share of the
    clock's target is reached at the first whole microsecond at or past that share (none
    while the ticket's priority has no target)."""
    if not vendor.contacts:
        return None, None, None
    now = ctx.now
    reached: list[tuple[int, datetime]] = []
    next_at: datetime | None = None
    for n, contact in enumerate(vendor.contacts, 1):
        span = spans[contact.until]
        if contact.share is None:
            amount = contact.after // ONE_US
        else:
            target_us = targets[contact.until]
            if target_us is None:
                continue
            share = contact.share
            amount = -(-target_us * share.numerator // share.denominator)  # exact, rounded up
        at = engaged_at if amount <= 0 else span.reached_at(amount)
        if at is None:
            continue
        if at <= now:
            reached.append((n, at))
        elif next_at is None or at < next_at:
            next_at = at
    if next_at is not None and not ctx.resolved:
        out.wakeups.append(next_at)
    if not reached:
        return None, None, None if ctx.resolved else next_at
    running = [(n, at) for n, at in reached if not stopped[vendor.contacts[n - 1].until]]
    n, at = (running or reached)[-1]  # in level order: the highest-numbered
    contact = vendor.contacts[n - 1]
    run = f"{path_state.cycle}"
    if reenter:  # each entry of a path entered again is a new engagement, with its own ids
        run += ":" + stamp(engaged_at)
    action_id = f"{ctx.ticket.id}:vendor:{vendor.id}:{run}:contact:{n}"
    if not ctx.resolved and not stopped[contact.until] and action_id not in ctx.done_at:
        out.actions.append(
            Action(
                id=action_id,
                kind="vendor_escalation",
                source=f"vendor:{vendor.id}",
                due_at=at,
                late=now > at,
                targets=() if contact.address is None else (contact.address,),
                details={
                    "vendor": vendor.id,
                    "level": n,
                    "contact": contact.name,
                    "address": contact.address,
                    "channels": contact.channels,
                    "until": contact.until,
                    "after": _after_text(contact),
                },
                rationale=f"vendor {vendor.id} has not {_done_word(contact.until)} "
                f"{_after_text(contact)} after engagement"
                + ("" if contact.share is None else f" (of its {contact.until} target)"),
            )
        )
    return n, contact.name, None if ctx.resolved else next_at


def _after_text(contact: ContactDef) -> str:
    """A level's ``after`` as the action shows it: ``15m``, ``1h30m``, ``50%``."""
    return contact.after_text if contact.share is not None else format_duration(contact.after)


def _done_word(until: str) -> str:
    return "responded" if until == "response" else "resolved"


# -- data sharing -------------------------------------------------------------------------------


def shared_ticket(view: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The ticket view ``view`` (already redacted for the vendor audience) narrowed to its
    ``id`` and ``fields`` (``data_sharing.fields`` entries: ``service``, ``customer.id``,
    ``fields.<name>``): what a vendor may receive, in its view and in its messages."""
    ticket: dict[str, Any] = {"id": view["id"]}
    for field in fields:
        head, _, rest = field.partition(".")
        if rest:
            holder = ticket.setdefault(head, {})
            holder[rest] = view.get(head, {}).get(rest)
        else:
            ticket[head] = view.get(head)
    return ticket


def vendor_view(exported: Mapping[str, Any], vendor: VendorDef) -> dict[str, Any]:
    """What ``vendor`` may receive of a decision exported for the ``vendor`` audience
    (masked and scrubbed by its redaction profile): the ticket's id and only the fields its
    ``data_sharing.fields`` lists, and its own state. Nothing else of the decision."""
    ticket = shared_ticket(exported["ticket_view"], vendor.fields)
    state = next(
        (v for v in exported.get("vendors", ()) if v["vendor"] == vendor.id),
        None,
    )
    return {
        "audience": "vendor",
        "vendor": vendor.id,
        "evaluated_at": exported["evaluated_at"],
        "ticket": ticket,
        "state": state,
        "procedures": [
            {"step": p.step, "owner": p.owner, "description": p.description}
            for p in vendor.procedures
        ],
    }
