"""Evaluate one ticket at one instant: the hot path behind ``Policy.evaluate``.

The stages run in a fixed order, each a function of what came before:

1. :func:`~escalate.engine.context.prepare`: the inputs checked, the ticket as of ``now``,
   one pass over the history for what later stages look up;
2. :class:`~escalate.engine.facts.Facts` and :func:`~escalate.engine.facts.run_clocks`: the
   facts in the policy's canonical terms; the history folded into SLA clock cycles;
3. :func:`~escalate.engine.ladders.run_ladders`: reached rungs → path requests, top-rung actions;
4. :func:`~escalate.engine.matching.run_rules` for rules that do not read paths: matched now
   → actions; their stretches → path requests;
5. :func:`~escalate.engine.escalation.run_paths`: timers, acknowledgements, requests and
   overrides replayed → levels, pages (people from :mod:`~escalate.engine.targets`);
6. ``run_rules`` for rules that read path levels; then, only for a policy with a
   ``postmortem:`` section, :func:`~escalate.engine.followup.run_followup` (the post-mortem
   a ``require_postmortem`` action asked for: owner, due dates, action items, threshold
   actions, which go on after the ticket ended) and ``run_rules`` for the rules that read
   ``postmortem.*`` facts;
7. :func:`~escalate.engine.bulletins.run_bulletins`: status-page updates paced per component,
   bridges whose participants are paths;
8. :func:`~escalate.engine.notifications.run_notifications`, only for a policy with
   notification plans: pages and opted-in notifications → channel attempts, communication
   failures;
9. :func:`~escalate.engine.cadence.run_audiences`: audiences due an update (policies with
   ``audiences:`` cadences only);
10. :func:`~escalate.engine.vendors.run_vendors`: vendor clocks, penalties and vendor-side
    contacts (policies with ``vendors:`` only);
11. :func:`~escalate.engine.oversight.run_governance`, only for a policy with
    ``governance:``: risks, oversight tier, board and audit flags; its override checks
    (:func:`~escalate.engine.oversight.check_overrides`, before the paths: an override
    rejected for want of authority is not replayed) evaluate the ticket as it stood before
    each override;
12. ``next_evaluation_at``: the earliest future instant any stage said would change something;
    the decision's ``warnings``: the ticket's milestones one or two edits from a name the
    policy reads (:func:`~escalate.engine.clocks.milestone_warnings`; only for a policy that
    reads milestones).

Stages write what they emit into one :class:`~escalate.engine.outcome.Outcome`. Nothing here
reads a clock, does I/O or keeps state between calls.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from escalate.calendars._instants import MAX_US, from_us
from escalate.engine.authority import ticket_before
from escalate.engine.bulletins import run_bulletins
from escalate.engine.cadence import run_audiences
from escalate.engine.clocks import milestone_warnings
from escalate.engine.context import HistoryPass, prepare
from escalate.engine.contracts import VendorState
from escalate.engine.decision import DONE, MATCHED, Decision
from escalate.engine.escalation import run_paths
from escalate.engine.facts import Facts, run_clocks
from escalate.engine.followup import run_followup
from escalate.engine.governance import OverrideCheck
from escalate.engine.ladders import run_ladders
from escalate.engine.matching import Matches, missed_actions, run_rules
from escalate.engine.notifications import run_notifications
from escalate.engine.outcome import Outcome
from escalate.engine.oversight import check_overrides, run_governance
from escalate.engine.paths import PathDef, PathState
from escalate.engine.rules import PolicyView
from escalate.engine.ticket import Ticket
from escalate.engine.vendors import run_vendors
from escalate.errors import InstantRangeError
from escalate.people.availability import Availability
from escalate.people.directory import Directory

__all__ = ["evaluate_continued", "evaluate_ticket"]

_NONE_REJECTED: frozenset[int] = frozenset()


def evaluate_ticket(
    policy: PolicyView,
    ticket: Ticket,
    now: datetime,
    availability: Availability,
    directory: Directory | None = None,
) -> Decision:
    """Decide what is due for ``ticket`` at ``now``. See the module docstring for the stages.

    ``directory`` stands in for ``policy.directory`` (a sweep passes one that remembers what
    it resolved at the sweep's instant and availability; the answers are the same).

    Near the ends of time (year 9999) a deadline may fall past the last instant a ``datetime``
    holds: that raises :class:`~escalate.errors.InstantRangeError`, never half a decision.
    """
    return evaluate_continued(policy, ticket, now, availability, None, directory)[0]


def evaluate_continued(
    policy: PolicyView,
    ticket: Ticket,
    now: datetime,
    availability: Availability,
    base: HistoryPass | None,
    directory: Directory | None = None,
) -> tuple[Decision, HistoryPass]:
    """:func:`evaluate_ticket`, continuing ``base``, the pass over the history of an earlier
    evaluation of a ticket this one grew from (see :func:`~escalate.engine.context.prepare`);
    the decision and this evaluation's pass, for the next one to continue."""
    try:
        return _evaluate(policy, ticket, now, availability, base, directory)
    except OverflowError:
        raise InstantRangeError(
            f"evaluating ticket {ticket.id!r} at {now.isoformat()} needs instants after "
            f"{from_us(MAX_US).isoformat()}, the last one escalate computes with"
        ) from None


def _evaluate(
    policy: PolicyView,
    ticket: Ticket,
    now: datetime,
    availability: Availability,
    base: HistoryPass | None,
    directory: Directory | None,
    rejected: frozenset[int] | None = None,
    earlier: bool = True,
) -> tuple[Decision, HistoryPass]:
    """One evaluation. ``rejected``: the override events (by index) the paths do not replay,
    given by an override check (which evaluates the ticket as it stood before an override,
    without a governance stage of its own); ``None``: worked out here, when the policy
    declares ``governance:``."""
    ctx = prepare(policy, ticket, now, availability, base, directory)
    gov = policy.governance if rejected is None else None
    overrides: tuple[OverrideCheck, ...] = ()
    if gov is not None:
        overrides = check_overrides(
            ctx, gov, partial(_paths_at, policy, availability=availability, directory=directory)
        )
        rejected = frozenset(c.index for c in overrides if not c.honoured)
    facts = Facts(ctx)
    clocks, cycles = run_clocks(ctx, facts)
    out = Outcome([p.name for p in policy.paths])
    matches = Matches()
    run_ladders(ctx, clocks, cycles, out, facts.current)
    run_rules(ctx, facts, clocks, cycles, out, matches, reads_paths=False)
    path_states = run_paths(ctx, facts, out, rejected or _NONE_REJECTED)
    run_rules(ctx, facts, clocks, cycles, out, matches, reads_paths=True)
    postmortem = None
    if policy.postmortem is not None:
        postmortem = run_followup(ctx, policy.postmortem, facts, clocks, cycles, out)
        for reads_paths in (False, True):
            run_rules(
                ctx,
                facts,
                clocks,
                cycles,
                out,
                matches,
                reads_paths=reads_paths,
                reads_postmortem=True,
            )
    run_bulletins(ctx, out, matches.results, path_states)
    if policy.notifications is not None:
        run_notifications(ctx, policy.notifications, out)
    communications = run_audiences(ctx, out) if policy.audiences else None
    vendors = None
    if policy.vendors:
        replay = (
            None
            if not earlier
            else partial(
                _vendors_before,
                policy,
                ticket,
                rejected=rejected or _NONE_REJECTED,
                availability=availability,
                directory=directory,
            )
        )
        vendors = run_vendors(ctx, policy.vendors, path_states, out, replay)
    governance = None
    if gov is not None:
        held = [
            risk
            for r in policy.rules
            if matches.results[r.id].status in (MATCHED, DONE)
            for risk in r.risks
        ]
        governance = run_governance(
            ctx, gov, facts.current, clocks, out.actions, held, overrides, out.wakeups
        )
    names = policy.milestone_names
    warnings = (
        milestone_warnings(
            [
                (i, e.milestone)
                for i, e in enumerate(ticket.events)
                if e.type == "milestone" and e.milestone is not None
            ],
            names,
        )
        if names
        else ()
    )
    now = ctx.now  # in UTC
    future = [w for w in out.wakeups if w > now]
    decision = Decision(
        policy_id=policy.id,
        policy_version=policy.version,
        policy_hash=policy.content_hash,
        segment=policy.segment,
        ticket_id=ticket.id,
        ticket=ticket,
        evaluated_at=now,
        priority=ctx.priority,
        actions=tuple(out.actions),
        clocks=tuple(clocks),
        paths=tuple(path_states),
        next_evaluation_at=min(future) if future else None,
        rule_results=tuple(matches.results[r.id] for r in policy.rules),
        facts=facts.current,
        missed=(
            partial(missed_actions, ctx, facts, out.missed, out.missed_rules)
            if out.missed_rules
            else tuple(out.missed)
        ),
        withdrawn=tuple(out.withdrawn),
        communications=communications,
        held=tuple(out.held),
        vendors=vendors,
        governance=governance,
        warnings=warnings,
        postmortem=postmortem,
    )
    return decision, ctx.history


def _vendors_before(
    policy: PolicyView,
    ticket: Ticket,
    index: int,
    at: datetime,
    *,
    rejected: frozenset[int],
    availability: Availability,
    directory: Directory | None,
) -> tuple[VendorState, ...]:
    """The vendor states of ``ticket`` as it stood before event ``index`` (a reopen), at its
    instant ``at``: the engagement of the cycle that reopen closes (docs/vendors.md).

    ``rejected``: the overrides the outer evaluation rejected. An override check reads only
    the ticket before its override, so the earlier ticket's checks are the outer ones: passing
    them (rather than running the governance stage again per reopen) keeps the cost linear."""
    del index  # the reopen's place; everything at its instant belongs to the new cycle
    before = ticket_before(ticket, at)
    decision, _ = _evaluate(policy, before, at, availability, None, directory, rejected, False)
    return decision.vendors or ()


def _paths_at(
    policy: PolicyView,
    ticket: Ticket,
    at: datetime,
    rejected: frozenset[int],
    *,
    availability: Availability,
    directory: Directory | None,
) -> tuple[tuple[PathDef, PathState], ...]:
    """Each path and its state when ``ticket`` (as it stood then) is evaluated at ``at`` with
    the override events ``rejected`` not replayed: what an override check reads. The
    vendors' earlier engagements are not replayed (``earlier=False``): paths never read them,
    and replaying them here made the cost grow with each override × reopen."""
    decision, _ = _evaluate(policy, ticket, at, availability, None, directory, rejected, False)
    return decision._path_pairs
