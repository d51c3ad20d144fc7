"""The rule stage: which rules match, their due actions, their path requests, their wake-ups.

Which rules hold now is asked of the policy's matcher (:mod:`escalate.engine.backends`; by
default each rule's compiled condition); the past and the future (stretches, wake-ups, missed
actions) are always read with the compiled conditions. Rules run in declared precedence
(``policy.rules`` is in that order). A rule that moves paths asks them for a level over every
stretch its condition held; a matched rule's own actions are due once per stretch (named by
the instant it began), unless recorded done. A matched ``final`` rule shadows the rules after
it. Rules that read path levels run after the paths.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from escalate.calendars._instants import ONE_US
from escalate.engine.actions import ActionDef
from escalate.engine.bulletins import defer_bridge, request_status
from escalate.engine.clocks import RUNNING, ClockState, Cycle
from escalate.engine.conditions import TIME, leaves, time_calendar
from escalate.engine.context import Context, stamp
from escalate.engine.decision import DONE, MATCHED, NOT_MATCHED, SHADOWED, Action, RuleResult
from escalate.engine.facts import Facts, Stretch, clock_facts, clock_leaf_instant, open_table
from escalate.engine.notifications import chain_notify
from escalate.engine.outcome import Outcome, make_action
from escalate.engine.paths import Request
from escalate.engine.rules import RuleDef
from escalate.engine.targets import with_people

__all__ = ["Matches", "missed_actions", "run_rules"]


class Matches:
    """The rule results so far, and the matched ``final`` rule that shadows later ones."""

    __slots__ = ("results", "shadow_from")

    def __init__(self) -> None:
        self.results: dict[str, RuleResult] = {}
        self.shadow_from: RuleDef | None = None


def run_rules(
    ctx: Context,
    facts: Facts,
    clocks: Sequence[ClockState],
    cycles: Mapping[str, list[Cycle]],
    out: Outcome,
    matches: Matches,
    *,
    reads_paths: bool,
    reads_postmortem: bool = False,
) -> None:
    """Match the rules that do (or do not) read path levels, and do (or do not) read the
    post-mortem's facts; record results and actions."""
    ticket, now, current = ctx.ticket, ctx.now, facts.current
    plans = ctx.policy.notifications is not None
    matcher = ctx.policy.matcher
    held: frozenset[str] | None = None  # None: each rule's own condition answers
    if matcher is not None:
        group = [
            rule
            for rule in ctx.policy.rules
            if rule.reads_paths is reads_paths and rule.reads_postmortem is reads_postmortem
        ]
        held = matcher.matching(ctx.policy, group, current)
    for rule in ctx.policy.rules:
        if rule.reads_paths is not reads_paths or rule.reads_postmortem is not reads_postmortem:
            continue
        matched = rule.when.check(current) if held is None else rule.id in held
        # Shadowing follows declared precedence, not the order of the two passes.
        shadow_from = matches.shadow_from
        shadowed = matched and shadow_from is not None and shadow_from.rank < rule.rank
        stretches: list[Stretch] | None = None
        if rule.moves_paths and not shadowed and rule.reads_time:
            source = f"rule:{rule.id}"
            for act in rule.actions:
                if act.path is not None and act.level is not None:
                    for began, ended in _time_stretches(ctx, facts, rule, act.path):
                        out.requests[act.path].append((Request(began, act.level, source), ended))
        elif rule.moves_paths and not shadowed:
            source = f"rule:{rule.id}"
            stretches = facts.stretches(rule.when, rule.fields)
            for began, ended in stretches:
                for act in rule.actions:
                    if act.path is not None and act.level is not None:
                        out.requests[act.path].append((Request(began, act.level, source), ended))
        if not matched:
            matches.results[rule.id] = RuleResult(rule, NOT_MATCHED)
            wakeups = _rule_wakeups(ctx, rule, current, clocks, cycles)
            if wakeups:
                _add_wakeups(rule, wakeups, out, matches)
            if ctx.resolved and rule.direct:
                out.missed_rules.append(rule)  # looked at only if the caller reads them
            continue
        if shadowed:
            assert shadow_from is not None
            note = f"by final rule {shadow_from.id}"
            matches.results[rule.id] = RuleResult(rule, SHADOWED, note)
            if shadow_from.reads_time:
                # The final rule stops shadowing when its window closes: wake then if this
                # rule still holds.
                ends = _time_wakeup(ctx, shadow_from, current, clocks, cycles, [], True, False)
                if ends and _holds_at(ctx, rule, current, clocks, cycles, ends[0]):
                    out.wakeups += ends
            continue
        if rule.final and (shadow_from is None or rule.rank < shadow_from.rank):
            matches.shadow_from = rule
        if rule.reads_time:
            # A rule that holds now by the time starts a new stretch (new action ids, a new
            # path request) when its window next opens again.
            wakeups = _rule_wakeups(ctx, rule, current, clocks, cycles, matched=True)
            _add_wakeups(rule, wakeups, out, matches)
        began = stretches[-1][0] if stretches else facts.current_start(rule.when, rule.fields)
        instance = stamp(began)
        emitted = 0
        for act in rule.actions:
            if act.path is not None:
                continue
            action_id = f"{ticket.id}:rule:{rule.id}:{instance}:{act.kind}{act.index}"
            if act.kind == "status_page":
                origin = action_id[len(ticket.id) + 1 :]
                source = f"rule:{rule.id}"
                if request_status(
                    ctx, current, out, act, origin, source, began, rule.rationale, rule.id
                ):
                    emitted += 1
                continue
            opened_at = _rule_action_done_at(ctx, rule, act, action_id, began)
            done = opened_at is not None
            chained = plans and "plan" in act.details
            if done and not chained and act.kind != "open_bridge":
                continue
            action = make_action(act, action_id, f"rule:{rule.id}", began, now, rule.rationale)
            if act.kind == "open_bridge" and defer_bridge(out, action, opened_at):
                emitted += opened_at is None
                continue
            if done and not chained:
                continue
            action = with_people(ctx, out, action)
            if chained:
                chain_notify(ctx, out, act, action)  # the chain runs after the notify is done
            if done:
                continue
            out.actions.append(action)
            emitted += 1
        if emitted and rule.reads_time:
            # Due actions that were not recorded stop being due when the window closes.
            out.wakeups += _time_wakeup(ctx, rule, current, clocks, cycles, [], True, False)
        matches.results[rule.id] = RuleResult(
            rule, DONE if rule.direct and not emitted else MATCHED
        )


def _time_stretches(ctx: Context, facts: Facts, rule: RuleDef, path_name: str) -> list[Stretch]:
    """The stretches of a time rule whose requests can move this path.

    A vertical path without ``repeat`` and without manual overrides never comes back down
    within its run: once the first stretch after the run began has asked for a level, the
    path stays at or above it, and every later stretch asks in vain. So only that one stretch
    is needed, and it is found without walking the windows since the opening. Otherwise (a
    horizontal path, rounds, overrides) every stretch is needed.
    """
    path = next(p for p in ctx.policy.paths if p.name == path_name)
    overridden = any(e.type == "override" and e.path == path_name for e in ctx.ticket.events)
    if path.kind != "vertical" or path.repeat or overridden:
        return facts.stretches(rule.when, rule.fields)
    start = ctx.cycle_start
    if path.when is not None:
        if not path.when.check(facts.current):
            return []  # an inactive path takes no requests
        start = max(start, facts.current_start(path.when, path.when_fields))
    first = facts.first_stretch(rule.when, rule.fields, start)
    return [] if first is None else [first]


def missed_actions(
    ctx: Context, facts: Facts, found: Sequence[Action], rules: Sequence[RuleDef]
) -> tuple[Action, ...]:
    """``found`` and the actions the ``rules`` (not matching at the end of an ended ticket)
    had due when it ended and never recorded done. Run on demand, when a caller reads
    ``Decision.missed``: it may walk the history."""
    return (*found, *(action for rule in rules for action in _missed(ctx, facts, rule)))


def _missed(ctx: Context, facts: Facts, rule: RuleDef) -> list[Action]:
    """A rule that held until the ticket ended (and so stopped matching with it): its own
    actions of that stretch that were never recorded done."""
    assert ctx.ended_at is not None
    before_end = ctx.ended_at - ONE_US
    if before_end < ctx.ticket.opened_at:
        return []
    # One look at the facts just before the end (shared by the rules) before any walk.
    past = facts.at(before_end, clocks=bool(rule.clock_leaves), paths=rule.reads_paths)
    if not rule.when.check(past):
        return []
    began = max(
        (b for b, _ in facts.stretches(rule.when, rule.fields) if b <= before_end),
        default=ctx.ticket.opened_at,
    )
    found: list[Action] = []
    for act in rule.actions:
        action_id = f"{ctx.ticket.id}:rule:{rule.id}:{stamp(began)}:{act.kind}{act.index}"
        # A status-page update is not posted after the end (``status_pages.on_resolve``
        # says what a resolved ticket posts): never missed.
        if act.kind == "status_page":
            continue
        if act.path is None and not _rule_action_done(ctx, rule, act, action_id, began):
            found.append(
                make_action(act, action_id, f"rule:{rule.id}", began, ctx.now, rule.rationale)
            )
    return found


def _rule_action_done(
    ctx: Context, rule: RuleDef, act: ActionDef, action_id: str, began: datetime
) -> bool:
    """Done if this id is recorded, or this action of this rule was recorded during the
    current stretch (a retroactive priority change may move the stretch's start)."""
    return _rule_action_done_at(ctx, rule, act, action_id, began) is not None


def _rule_action_done_at(
    ctx: Context, rule: RuleDef, act: ActionDef, action_id: str, began: datetime
) -> datetime | None:
    """When :func:`_rule_action_done` found the action recorded (``None``: not done)."""
    found = ctx.done_at.get(action_id)
    if found is not None:
        return found
    prefix = f"{ctx.ticket.id}:rule:{rule.id}:"
    suffix = f":{act.kind}{act.index}"
    return next(
        (
            at
            for done, at in ctx.done_at.items()
            if done.startswith(prefix) and done.endswith(suffix) and at >= began
        ),
        None,
    )


def _rule_wakeups(
    ctx: Context,
    rule: RuleDef,
    facts: Mapping[str, Any],
    clocks: Sequence[ClockState],
    cycles: Mapping[str, list[Cycle]],
    *,
    matched: bool = False,
) -> list[datetime]:
    """The first future instant at which a rule that does not match now would match.

    Only clock conditions and the time change without new events; each clock crossing instant
    is checked by re-evaluating the rule with the clocks as they will be then. For a rule that
    tests the time, ``matched`` says whether it holds now: then the instant asked for is when
    it next begins to hold again (a new stretch); when it stops matters only for due actions
    not yet recorded, and :func:`run_rules` asks for that itself.
    """
    if not rule.clock_leaves and not rule.reads_time:
        return []
    candidates = set()
    for leaf in leaves(rule.when):
        if not leaf.field.startswith("clock."):
            continue
        if facts["clock." + leaf.field.split(".")[1]].state != RUNNING:
            continue
        crossed = clock_leaf_instant(leaf, facts)
        if crossed is not None and crossed > ctx.now:
            candidates.add(crossed)
    if rule.reads_time:
        return _time_wakeup(ctx, rule, facts, clocks, cycles, sorted(candidates), matched, True)
    for when in sorted(candidates):
        if _holds_at(ctx, rule, facts, clocks, cycles, when):
            return [when]
    return []


def _add_wakeups(rule: RuleDef, wakeups: list[datetime], out: Outcome, matches: Matches) -> None:
    """A rule's wake-ups; those of a time rule that only moves paths go to the path stage,
    which wakes for one only if the request would move its path then (like a rung's)."""
    if not wakeups or not rule.reads_time or rule.direct:
        out.wakeups += wakeups
        return
    source = f"rule:{rule.id}"
    for act in rule.actions:
        if act.path is not None and act.level is not None:
            pending = out.path_wakeups.setdefault(act.path, [])
            pending += [Request(at, act.level, source) for at in wakeups]


def _future_facts(
    ctx: Context,
    facts: Mapping[str, Any],
    clocks: Sequence[ClockState],
    cycles: Mapping[str, list[Cycle]],
    at: datetime,
) -> dict[str, Any]:
    """The facts at a future instant without new events: the clocks run on, the time moves."""
    future = dict(facts)
    future[TIME] = at
    for cs in clocks:
        clock_facts(future, ClockState(cs.definition, cycles[cs.name], ctx.priority, at, cs.scope))
    return future


def _holds_at(
    ctx: Context,
    rule: RuleDef,
    facts: Mapping[str, Any],
    clocks: Sequence[ClockState],
    cycles: Mapping[str, list[Cycle]],
    at: datetime,
) -> bool:
    """Whether a rule will hold at a future instant if no events arrive."""
    return rule.when.check(_future_facts(ctx, facts, clocks, cycles, at))


def _time_wakeup(
    ctx: Context,
    rule: RuleDef,
    facts: Mapping[str, Any],
    clocks: Sequence[ClockState],
    cycles: Mapping[str, list[Cycle]],
    crossings: Sequence[datetime],
    holding: bool,
    want: bool,
) -> list[datetime]:
    """The first instant after now at which a rule that tests the time begins to hold (``want``
    true) or stops holding (false); ``holding`` says whether it holds now.

    Between clock crossings the facts are constant, so the rule holds throughout, never, or
    exactly while its calendar is open (closed): then it changes at every change of the
    calendar. One or two calendar lookups per crossing, however far ahead the instant lies.
    """
    calendar = time_calendar(rule.when)
    assert calendar is not None
    starts = [ctx.now, *crossings]
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else None
        at_start = facts if i == 0 else _future_facts(ctx, facts, clocks, cycles, start)
        table = open_table(rule.when, at_start)
        if i > 0:
            holds = table[0] if table[0] == table[1] else table[calendar.is_open(start)]
            if holds is want and holding is not want:
                return [start]
            holding = holds
        if table[0] == table[1]:
            continue
        change = calendar.next_change(start)
        if change is not None and holding is want and (end is None or change < end):
            holding = not want  # it changes away at this change and back at the next
            change = calendar.next_change(change)
        if change is not None and holding is not want and (end is None or change < end):
            return [change]
    return []
