"""Incremental replay: a ticket decided again at each update and wake-up, folding only what is new.

:meth:`Policy.replay <escalate.Policy.replay>` returns a :class:`TicketReplay`, which holds one
ticket as it grows: :meth:`TicketReplay.update` appends the events (and top-level field
values) an update brings and decides at ``now``; :meth:`TicketReplay.decide` decides again
with no new input (a wake-up at ``next_evaluation_at``). Every decision is the one
``policy.evaluate(replay.ticket, now=now)`` returns, byte for byte (``Decision.to_json``); the
replay only avoids redoing, at each update, the work the history before it already paid for.

Nothing here reads a clock or keeps state outside the replay object the caller holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

from escalate.calendars._instants import checked_utc
from escalate.engine.context import HistoryPass
from escalate.engine.decision import Decision
from escalate.engine.evaluate import evaluate_continued
from escalate.engine.rules import PolicyView
from escalate.engine.ticket import Event, Ticket
from escalate.errors import ArgumentError, TicketError
from escalate.people.availability import Availability

__all__ = ["Chooser", "TicketReplay"]


class Chooser(Protocol):
    """What a replay needs of a policy: the compiled policy that decides a ticket (a policy
    with segments picks one by the ticket's current fields, as ``Policy.evaluate`` does)."""

    def for_ticket(self, ticket: Ticket) -> PolicyView:
        """The compiled policy that decides ``ticket``."""
        ...


class TicketReplay:
    """One ticket replayed through a policy, update by update. Built by
    :meth:`Policy.replay <escalate.Policy.replay>`; not thread-safe (one caller drives it).

    * :meth:`update` appends an update's events (in time order, none before the ticket's
      last event) and, optionally, top-level field values, then decides at ``now``;
    * :meth:`decide` decides at ``now`` with no new input: a wake-up at the last decision's
      ``next_evaluation_at``;
    * :attr:`ticket` is the ticket as it stands (equal to rebuilding it:
      ``ticket.with_events(events).with_fields(fields)`` update after update);
      :attr:`decision` the last decision (``None`` before the first).

    Every decision is byte-identical (``Decision.to_json``) to ``policy.evaluate(ticket,
    now=now, availability=availability)`` on :attr:`ticket` as it stands. ``now`` never goes
    back: an instant before the last decision's is a :class:`~escalate.errors.TicketError`
    (the same instant again is fine: an update that arrives at a wake-up's instant). Any
    error leaves the replay as it was -- the ticket, the last decision and the last ``now``
    -- so a caller may log the refused update and carry on with the next one.
    """

    __slots__ = ("_availability", "_chooser", "_decision", "_now", "_pass", "_ticket")

    def __init__(self, policy: Chooser, ticket: Ticket, availability: Availability) -> None:
        if not isinstance(ticket, Ticket):
            raise ArgumentError(f"a replay starts from an escalate Ticket, not {ticket!r}")
        self._chooser = policy
        self._ticket = ticket
        self._availability = availability
        self._decision: Decision | None = None
        self._now: datetime | None = None
        # The last evaluation's pass over the history: the next one continues it.
        self._pass: HistoryPass | None = None

    @property
    def ticket(self) -> Ticket:
        """The ticket as it stands: every update's events and fields applied."""
        return self._ticket

    @property
    def decision(self) -> Decision | None:
        """The last decision (``None`` before the first :meth:`update` or :meth:`decide`)."""
        return self._decision

    def update(
        self,
        *,
        events: Iterable[Event] = (),
        fields: Mapping[str, object] | None = None,
        now: datetime,
    ) -> Decision:
        """Apply an update and decide at ``now`` (aware; not before the last decision's).

        ``events`` are appended to the history as :meth:`Ticket.with_events
        <escalate.Ticket.with_events>` appends them: in time order, none before the ticket's
        last event, none after ``now``; their ``index`` is replaced by their place in the whole
        history, and a priority or field change that does not say what the value was before is
        given the ticket's value. ``fields`` then sets top-level fields as
        :meth:`Ticket.with_fields <escalate.Ticket.with_fields>` does (``category``,
        ``fields.u_site``, ``reassignment_count`` ...; ``None`` clears a field): the values
        the ticketing system shows after the update, so they must agree with what the events
        leave. A contradiction is a :class:`~escalate.errors.TicketError` naming the event by
        its place in the whole history (``events[1041]``); nothing of the update is kept.
        """
        now = self._checked_now(now)
        ticket = self._ticket
        added = _events(events, len(ticket.events))
        if added:
            ticket = ticket.with_events(added)
        if fields is not None:
            ticket = ticket.with_fields(fields)
        return self._decide(ticket, now)

    def decide(self, now: datetime) -> Decision:
        """Decide at ``now`` (aware; not before the last decision's) with no new input: a
        wake-up at the last decision's ``next_evaluation_at``, or any later instant."""
        return self._decide(self._ticket, self._checked_now(now))

    # ----------------------------------------------------------------------------------------

    def _checked_now(self, now: datetime) -> datetime:
        """``now`` in UTC; a TicketError when it is before the last decision's."""
        at = checked_utc(now, "now")
        last = self._now
        if last is not None and at < last:
            raise TicketError(
                f"now is before the last decision's ({last.isoformat()}); a replay moves "
                "forward in time (evaluate the ticket with Policy.evaluate to look back)",
                path=("now",),
                value=now.isoformat(),
            )
        return at

    def _decide(self, ticket: Ticket, now: datetime) -> Decision:
        """Evaluate ``ticket`` at ``now``; keep both only when it succeeds."""
        policy = self._chooser.for_ticket(ticket)
        decision, history = evaluate_continued(policy, ticket, now, self._availability, self._pass)
        self._ticket, self._decision, self._now = ticket, decision, now
        self._pass = history
        return decision


def _events(events: Iterable[Event], n: int) -> tuple[Event, ...]:
    """An update's events as a tuple; a TicketError when they are not a sequence of events,
    naming the first bad one by its place in the whole history (``n`` events before it)."""
    if isinstance(events, str | bytes | Mapping) or not isinstance(events, Iterable):
        raise TicketError("an update's events are a sequence of Event values", value=events)
    added = tuple(events)
    for i, event in enumerate(added):
        if not isinstance(event, Event):
            raise TicketError(
                "an update's events are escalate Event values (read mappings with "
                "Ticket.from_mapping)",
                path=("events", n + i),
                value=event,
            )
    return added
