"""The rule stage: which rules match, their due actions, their path requests, their wake-ups.

Rules run in declared precedence (``policy.rules`` is in that order). A rule that moves paths
asks them for a level over every stretch its condition held; a matched rule's own actions are
due once per stretch (named by the instant it began), unless recorded done. A matched
``final`` rule shadows the rules after it. Rules that read path levels run after the paths.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from escalate.calendars._instants import ONE_US
from escalate.engine.actions import ActionDef
from escalate.engine.clocks import RUNNING, ClockState, Cycle
from escalate.engine.conditions import leaves
from escalate.engine.context import Context, stamp
from escalate.engine.decision import DONE, MATCHED, NOT_MATCHED, SHADOWED, Action, RuleResult
from escalate.engine.facts import Facts, Stretch, clock_facts, clock_leaf_instant
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
) -> None:
    """Match the rules that do (or do not) read path levels; record results and actions."""
    ticket, now, current = ctx.ticket, ctx.now, facts.current
    for rule in ctx.policy.rules:
        if rule.reads_paths is not reads_paths:
            continue
        matched = rule.when.check(current)
        # Shadowing follows declared precedence, not the order of the two passes.
        shadow_from = matches.shadow_from
        shadowed = matched and shadow_from is not None and shadow_from.rank < rule.rank
        stretches: list[Stretch] | None = None
        if rule.moves_paths and not shadowed:
            source = f"rule:{rule.id}"
            stretches = facts.stretches(rule.when, rule.fields)
            for began, ended in stretches:
                for act in rule.actions:
                    if act.path is not None and act.level is not None:
                        out.requests[act.path].append((Request(began, act.level, source), ended))
        if not matched:
            matches.results[rule.id] = RuleResult(rule, NOT_MATCHED)
            out.wakeups += _rule_wakeups(ctx, rule, current, clocks, cycles)
            if ctx.resolved and any(act.path is None for act in rule.actions):
                out.missed_rules.append(rule)  # looked at only if the caller reads them
            continue
        if shadowed:
            assert shadow_from is not None
            note = f"by final rule {shadow_from.id}"
            matches.results[rule.id] = RuleResult(rule, SHADOWED, note)
            continue
        if rule.final and (shadow_from is None or rule.rank < shadow_from.rank):
            matches.shadow_from = rule
        began = stretches[-1][0] if stretches else facts.current_start(rule.when, rule.fields)
        instance = stamp(began)
        emitted = 0
        for act in rule.actions:
            if act.path is not None:
                continue
            action_id = f"{ticket.id}:rule:{rule.id}:{instance}:{act.kind}{act.index}"
            if _rule_action_done(ctx, rule, act, action_id, began):
                continue
            action = make_action(act, action_id, f"rule:{rule.id}", began, now, rule.rationale)
            out.actions.append(with_people(ctx, out, action))
            emitted += 1
        direct = any(a.path is None for a in rule.actions)
        matches.results[rule.id] = RuleResult(rule, DONE if direct and not emitted else MATCHED)


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
    if action_id in ctx.done_at:
        return True
    prefix = f"{ctx.ticket.id}:rule:{rule.id}:"
    suffix = f":{act.kind}{act.index}"
    return any(
        done.startswith(prefix) and done.endswith(suffix) and at >= began
        for done, at in ctx.done_at.items()
    )


def _rule_wakeups(
    ctx: Context,
    rule: RuleDef,
    facts: Mapping[str, Any],
    clocks: Sequence[ClockState],
    cycles: Mapping[str, list[Cycle]],
) -> list[datetime]:
    """The first future instant at which a rule that does not match now would match.

    Only clock conditions change without new events; each crossing instant is checked by
    re-evaluating the rule with the clocks as they will be then.
    """
    if not rule.clock_leaves:
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
    for when in sorted(candidates):
        future = dict(facts)
        for cs in clocks:
            future_cs = ClockState(cs.definition, cycles[cs.name], ctx.priority, when, cs.scope)
            clock_facts(future, future_cs)
        if rule.when.check(future):
            return [when]
    return []
