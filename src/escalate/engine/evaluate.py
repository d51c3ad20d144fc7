"""Evaluate one ticket at one instant: the hot path behind ``Policy.evaluate``.

The stages run in a fixed order, each a pure function of what came before:

1. facts: the ticket as of ``now`` (its history folded), in the policy's canonical terms;
2. clocks: the history folded into SLA clock cycles, with elapsed time and breach instants;
3. rules that do not read paths: matched now → actions; their stretches → path requests;
4. paths: timers, acknowledgements, requests and overrides replayed → levels, escalations;
5. rules that read path levels;
6. ``next_evaluation_at``: the earliest future instant at which any of that changes.

Nothing here reads a clock, does I/O or keeps state between calls.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from escalate.calendars._instants import ONE_US, to_us
from escalate.engine.clocks import RUNNING, ClockState, Cycle, Step, run_cycles
from escalate.engine.conditions import Condition, Leaf, leaves
from escalate.engine.decision import (
    DONE,
    MATCHED,
    NOT_MATCHED,
    SHADOWED,
    Action,
    Decision,
    RuleResult,
    iso,
)
from escalate.engine.paths import LevelDef, PathDef, PathState, Request, simulate
from escalate.engine.ticket import Ticket
from escalate.errors import TicketError
from escalate.people.availability import Availability
from escalate.people.directory import Resolution

if TYPE_CHECKING:
    from escalate.engine.actions import ActionDef
    from escalate.engine.rules import PolicyView, RuleDef

__all__ = ["evaluate_ticket"]

RESOLVED_STATUSES = frozenset({"resolved", "closed", "cancelled"})
WATCH_STEPS = 64  # hand-offs / availability changes looked through for one wake-up

# The ticket fields that change through events, and the event types that change them. Other
# fields (category, customer ...) have no history: they hold since the ticket opened.
_FIELD_EVENTS: dict[str, frozenset[str]] = {
    "status": frozenset({"status-changed", "resolved", "closed", "reopened"}),
    "priority": frozenset({"priority-changed"}),
    "assignment_group": frozenset({"assigned"}),
    "assignee": frozenset({"assigned"}),
    "reassignment_count": frozenset({"assigned"}),
    "reopen_count": frozenset({"reopened"}),
    "acknowledged": frozenset({"acknowledged", "reopened"}),
}
_CUSTOM_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
}

Stretch = tuple[datetime, datetime | None]  # (began, ended); None: still holding at now


def evaluate_ticket(
    policy: PolicyView, ticket: Ticket, now: datetime, availability: Availability
) -> Decision:
    """Decide what is due for ``ticket`` at ``now``. See the module docstring for the stages."""
    return _Run(policy, ticket, now, availability).decide()


def _steps(ticket: Ticket) -> list[Step]:
    """The creation and every event, with the status before and after each."""
    has_status_events = any(e.status is not None for e in ticket.events)
    status = "new" if has_status_events else ticket.status
    steps: list[Step] = [(ticket.opened_at, "created", status, status)]
    for event in ticket.events:
        if event.type == "created":
            continue  # the creation step above stands for it
        after = event.status if event.status is not None else status
        steps.append((event.at, event.type, status, after))
        status = after
    return steps


def _stamp(at: datetime) -> str:
    """A compact UTC stamp for action ids: ``20241120T112000Z`` (µs only when present)."""
    u = at.astimezone(UTC)
    text = f"{u.year:04d}{u.month:02d}{u.day:02d}T{u.hour:02d}{u.minute:02d}{u.second:02d}"
    return f"{text}.{u.microsecond:06d}Z" if u.microsecond else text + "Z"


class _Run:
    """One evaluation: the inputs, and what has been worked out so far."""

    def __init__(
        self, policy: PolicyView, ticket: Ticket, now: datetime, availability: Availability
    ) -> None:
        to_us(now, "now")
        if ticket.events and ticket.events[-1].at > now:
            raise TicketError(
                f"event after now ({now.isoformat()}); evaluate with the history known at now",
                path=("events", len(ticket.events) - 1, "at"),
                value=ticket.events[-1].at.isoformat(),
            )
        if ticket.opened_at > now:
            raise TicketError(
                f"ticket opened after now ({now.isoformat()})",
                path=("opened_at",),
                value=ticket.opened_at.isoformat(),
            )
        self.policy = policy
        self.ticket = ticket
        self.now = now
        self.availability = availability
        self.directory = policy.directory
        self.state = ticket.state_at(now)
        self.priority = policy.priority_of(ticket, self.state.priority)
        self.static = self._static_facts()
        self.steps = _steps(ticket)
        self.step_at = [step[0] for step in self.steps]
        self.cycles: dict[str, list[Cycle]] = {}
        self.clocks: list[ClockState] = []
        self.facts: dict[str, Any] = dict(self.static)
        self._dynamic_facts(self.facts, self.state, self.priority)
        for clock in policy.clocks:
            cycles = run_cycles(clock, self.steps)
            self.cycles[clock.name] = cycles
            cs = ClockState(clock, cycles, self.priority, now)
            self.clocks.append(cs)
            _clock_facts(self.facts, cs)
        self.resolved = self.state.status in RESOLVED_STATUSES
        # When the ticket last ended (resolved, closed or cancelled) and stayed so: this stops
        # every path timer. A ticket that arrives ended, without status events, ended at once.
        self.ended_at: datetime | None = None
        if self.resolved:
            self.ended_at = self.steps[0][0]
            for at, _, before, after in self.steps:
                if after in RESOLVED_STATUSES and before not in RESOLVED_STATUSES:
                    self.ended_at = at
        # One pass over the history for what the stages below look up.
        self.done_at: dict[str, datetime] = {}
        self.acks: list[datetime] = []
        self.cycle_start = ticket.opened_at
        for event in ticket.events:
            if event.type == "action-done" and event.action_id is not None:
                self.done_at.setdefault(event.action_id, event.at)
            elif event.type == "acknowledged":
                self.acks.append(event.at)
            elif event.type == "reopened":
                self.cycle_start = event.at
        self.actions: list[Action] = []
        self.requests: dict[str, list[tuple[Request, datetime | None]]] = {
            p.name: [] for p in policy.paths
        }
        self.wakeups: list[datetime] = []
        self.histories: dict[str, tuple[tuple[datetime, int], ...]] = {}
        self.results: dict[str, RuleResult] = {}
        self.shadow_from: RuleDef | None = None
        self._past: dict[tuple[datetime, bool, bool], dict[str, Any]] = {}

    # -- facts ----------------------------------------------------------------------------------

    def _static_facts(self) -> dict[str, Any]:
        """The facts that have no history: they hold from the opening on."""
        policy, ticket = self.policy, self.ticket
        canonical = policy.canonical
        facts: dict[str, Any] = {
            "id": ticket.id,
            "kind": ticket.kind,
            "impact": canonical("impact", ticket.impact),
            "urgency": canonical("urgency", ticket.urgency),
            "severity": canonical("severity", ticket.severity),
            "category": canonical("category", ticket.category),
            "subcategory": canonical("subcategory", ticket.subcategory),
            "service": canonical("service", ticket.service),
            "configuration_item": ticket.configuration_item,
            "business_unit": canonical("business_unit", ticket.business_unit),
            "region": canonical("region", ticket.region),
            "service_line": canonical("service_line", ticket.service_line),
            "risk": canonical("risk", ticket.risk),
            "customer.id": ticket.customer.id,
            "customer.tier": canonical("customer.tier", ticket.customer.tier),
            "customer.vip": ticket.customer.vip,
            "regulatory_flags": frozenset(ticket.regulatory_flags),
        }
        for name, kind in policy.custom_fields.items():
            value = ticket.fields.get(name)
            if value is not None:
                wanted = _CUSTOM_TYPES[kind]
                if not isinstance(value, wanted) or (kind == "integer" and isinstance(value, bool)):
                    raise TicketError(
                        f"policy {policy.id!r} declares this custom field as {kind}",
                        path=("fields", name),
                        value=value,
                    )
            facts["fields." + name] = value
        return facts

    def _dynamic_facts(self, facts: dict[str, Any], state: Any, priority: str | None) -> None:
        facts["priority"] = priority
        facts["status"] = state.status
        facts["assignment_group"] = self.policy.canonical(
            "assignment_group", state.assignment_group
        )
        facts["assignee"] = state.assignee
        facts["reassignment_count"] = state.reassignment_count
        facts["reopen_count"] = state.reopen_count
        facts["acknowledged"] = state.acknowledged_at is not None

    def facts_at(self, at: datetime, *, clocks: bool, paths: bool) -> Mapping[str, Any]:
        """The facts as they were at ``at`` (after the events at that instant)."""
        if at >= self.now:
            return self.facts
        key = (at, clocks, paths)
        found = self._past.get(key)
        if found is not None:
            return found
        past = dict(self.static)
        state = self.ticket.state_at(at)
        priority = self.policy.priority_of(self.ticket, state.priority)
        self._dynamic_facts(past, state, priority)
        if clocks:
            steps = self.steps[: bisect.bisect_right(self.step_at, at)]
            for clock in self.policy.clocks:
                _clock_facts(past, ClockState(clock, run_cycles(clock, steps), priority, at))
        if paths:
            for path in self.policy.paths:
                name = path.name
                history = self.histories.get(name, ())
                index = None
                for entered, level in history:
                    if entered <= at:
                        index = level
                past[f"path.{name}.level_index"] = index
                past[f"path.{name}.active"] = index is not None
        self._past[key] = past
        return past

    def _candidates(self, fields: Sequence[str], condition: Condition) -> list[datetime]:
        """The instants up to now at which a condition over these fields can change."""
        found = {self.ticket.opened_at}
        reads_clocks = any(f.startswith("clock.") for f in fields)
        changing: set[str] = set()
        for name in fields:
            changing |= _FIELD_EVENTS.get(name, frozenset())
        for event in self.ticket.events:
            if reads_clocks or event.type in changing:
                found.add(event.at)
        if reads_clocks:
            for leaf in leaves(condition):
                if leaf.field.startswith("clock."):
                    crossed = _clock_leaf_instant(leaf, self.facts)
                    if crossed is not None and crossed <= self.now:
                        found.add(crossed)
        for name, history in self.histories.items():
            if f"path.{name}.level" in fields or f"path.{name}.active" in fields:
                found.update(entered for entered, _ in history if entered <= self.now)
        return sorted(found)

    def _has_history(self, fields: Sequence[str]) -> bool:
        """Whether any of these fields can change after the opening."""
        return any(f in _FIELD_EVENTS or f.startswith(("clock.", "path.")) for f in fields)

    def stretches(self, condition: Condition, fields: Sequence[str]) -> list[Stretch]:
        """Every unbroken stretch of the condition holding, from the opening up to now."""
        if not self._has_history(fields):
            holds = condition.check(self.facts)
            return [(self.ticket.opened_at, None)] if holds else []
        clocks = any(f.startswith("clock.") for f in fields)
        paths = any(f.startswith("path.") for f in fields)
        out: list[Stretch] = []
        began: datetime | None = None
        for at in self._candidates(fields, condition):
            holds = condition.check(self.facts_at(at, clocks=clocks, paths=paths))
            if holds and began is None:
                began = at
            elif not holds and began is not None:
                out.append((began, at))
                began = None
        if condition.check(self.facts):
            out.append((began if began is not None else self.now, None))
        elif began is not None:
            out.append((began, self.now))
        return out

    def current_start(self, condition: Condition, fields: Sequence[str]) -> datetime:
        """When the stretch of a condition that holds now began (walking back from now)."""
        if not self._has_history(fields):
            return self.ticket.opened_at
        clocks = any(f.startswith("clock.") for f in fields)
        paths = any(f.startswith("path.") for f in fields)
        candidates = self._candidates(fields, condition)
        began = self.now
        for at in reversed(candidates):
            if not condition.check(self.facts_at(at, clocks=clocks, paths=paths)):
                break
            began = at
        return began

    # -- the stages -----------------------------------------------------------------------------

    def decide(self) -> Decision:
        self._ladders()
        self._rules(reads_paths=False)
        self._paths()
        self._rules(reads_paths=True)
        policy, ticket, now = self.policy, self.ticket, self.now
        future = [w for w in self.wakeups if w > now]
        return Decision(
            policy_id=policy.id,
            policy_version=policy.version,
            policy_hash=policy.content_hash,
            ticket_id=ticket.id,
            ticket=ticket,
            evaluated_at=now,
            priority=self.priority,
            actions=tuple(self.actions),
            clocks=tuple(self.clocks),
            paths=tuple(self.path_states),
            next_evaluation_at=min(future) if future else None,
            rule_results=tuple(self.results[r.id] for r in policy.rules),
            facts=self.facts,
        )

    def _ladders(self) -> None:
        """Every reached rung moves paths; the highest reached rung of a cycle emits."""
        now, ticket = self.now, self.ticket
        for cs in self.clocks:
            clock = cs.definition
            if not cs.applies:
                continue
            if cs.state == RUNNING and cs.breach_at is not None and cs.breach_at > now:
                self.wakeups.append(cs.breach_at)
            if not clock.ladder:
                continue
            self._older_cycle_requests(cs)
            top = None
            for rung in clock.ladder:
                reached = cs.reached_at(cs.rung_amount_us(rung.share))
                if reached is None:
                    continue
                if reached > now:
                    self.wakeups.append(reached)
                    break
                top = (rung, reached)
                source = f"clock:{clock.name}@{rung.text}"
                for act in rung.actions:
                    if act.path is not None and act.level is not None:
                        self.requests[act.path].append((Request(reached, act.level, source), None))
            if top is None or self.resolved:
                continue
            rung, reached = top
            source = f"clock:{clock.name}@{rung.text}"
            instance = f"{clock.name}#{cs.cycle}@{rung.index}"
            for act in rung.actions:
                if act.path is not None:
                    continue  # its effect is the path's level, emitted by the path
                action_id = f"{ticket.id}:clock:{instance}:{act.kind}{act.index}"
                if action_id not in self.done_at:
                    action = _action(act, action_id, source, reached, now, rung.rationale)
                    self.actions.append(self._with_people(action))

    def _older_cycle_requests(self, cs: ClockState) -> None:
        """Rungs of earlier cycles of this clock (restarts) keep the levels they reached."""
        clock = cs.definition
        cycles = self.cycles[clock.name]
        if len(cycles) < 2 or not any(a.path for r in clock.ladder for a in r.actions):
            return
        for k, cycle in enumerate(cycles[:-1]):
            end = cycle.stopped_at
            if end is None or end < self.cycle_start:
                continue
            state = self.ticket.state_at(end - ONE_US)
            priority = self.policy.priority_of(self.ticket, state.priority)
            old = ClockState(clock, cycles[: k + 1], priority, end)
            if not old.applies:
                continue
            for rung in clock.ladder:
                reached = old.reached_at(old.rung_amount_us(rung.share))
                if reached is None:
                    break
                source = f"clock:{clock.name}@{rung.text}#{old.cycle}"
                for act in rung.actions:
                    if act.path is not None and act.level is not None:
                        self.requests[act.path].append((Request(reached, act.level, source), None))

    def _rules(self, *, reads_paths: bool) -> None:
        ticket, now, facts = self.ticket, self.now, self.facts
        for rule in self.policy.rules:
            if rule.reads_paths is not reads_paths:
                continue
            matched = rule.when.check(facts)
            # Shadowing follows declared precedence (policy.rules is in that order), not the
            # order of the two passes.
            shadowed = (
                matched and self.shadow_from is not None and self.shadow_from.rank < rule.rank
            )
            stretches: list[Stretch] | None = None
            if rule.moves_paths and not shadowed:
                source = f"rule:{rule.id}"
                stretches = self.stretches(rule.when, rule.fields)
                for began, ended in stretches:
                    for act in rule.actions:
                        if act.path is not None and act.level is not None:
                            self.requests[act.path].append(
                                (Request(began, act.level, source), ended)
                            )
            if not matched:
                self.results[rule.id] = RuleResult(rule, NOT_MATCHED)
                self.wakeups += _rule_wakeups(rule, facts, self)
                continue
            if shadowed:
                assert self.shadow_from is not None
                note = f"by final rule {self.shadow_from.id}"
                self.results[rule.id] = RuleResult(rule, SHADOWED, note)
                continue
            if rule.final and (self.shadow_from is None or rule.rank < self.shadow_from.rank):
                self.shadow_from = rule
            began = stretches[-1][0] if stretches else self.current_start(rule.when, rule.fields)
            instance = _stamp(began)
            emitted = 0
            for act in rule.actions:
                if act.path is not None:
                    continue
                action_id = f"{ticket.id}:rule:{rule.id}:{instance}:{act.kind}{act.index}"
                if self._rule_action_done(rule, act, action_id, began):
                    continue
                source = f"rule:{rule.id}"
                action = _action(act, action_id, source, began, now, rule.rationale)
                self.actions.append(self._with_people(action))
                emitted += 1
            direct = any(a.path is None for a in rule.actions)
            self.results[rule.id] = RuleResult(rule, DONE if direct and not emitted else MATCHED)

    def _rule_action_done(
        self, rule: RuleDef, act: ActionDef, action_id: str, began: datetime
    ) -> bool:
        """Done if this id is recorded, or this action of this rule was recorded during the
        current stretch (a retroactive priority change may move the stretch's start)."""
        if action_id in self.done_at:
            return True
        prefix = f"{self.ticket.id}:rule:{rule.id}:"
        suffix = f":{act.kind}{act.index}"
        return any(
            done.startswith(prefix) and done.endswith(suffix) and at >= began
            for done, at in self.done_at.items()
        )

    def _paths(self) -> None:
        policy, now = self.policy, self.now
        acks = [at for at in self.acks if at >= self.cycle_start]
        self.path_states: list[tuple[PathDef, PathState]] = []
        for path in policy.paths:
            start = self.cycle_start
            if path.when is not None:
                if not path.when.check(self.facts):
                    st = PathState(
                        path.name, path.kind, False, None, None, 0, 0, None, "criteria", None
                    )
                    self.path_states.append((path, st))
                    self.facts[f"path.{path.name}.active"] = False
                    continue
                start = max(start, self.current_start(path.when, path.when_fields))
            cycle = self.state.reopen_count + 1
            requests = self._path_requests(path, start, cycle)
            st = simulate(
                path,
                cycle=cycle,
                cycle_start=start,
                requests=requests,
                acks=acks,
                resolved_at=self.ended_at,
                now=now,
            )
            self.path_states.append((path, st))
            self.histories[path.name] = st.history
            if st.next_move_at is not None:
                self.wakeups.append(st.next_move_at)
            self.facts[f"path.{path.name}.active"] = st.active
            if st.active and st.level_index is not None:
                self.facts[f"path.{path.name}.level_index"] = st.level_index
                self.facts[f"path.{path.name}.level"] = path.levels[st.level_index].name
            self._path_action(path, st)

    def _path_requests(self, path: PathDef, start: datetime, cycle: int) -> list[Request]:
        """Requests for a path's current run, clamped to its start, sorted by instant."""
        out: list[Request] = []
        for request, ended in self.requests[path.name]:
            if request.source.startswith("clock:") and request.at < self.cycle_start:
                continue  # a rung of a clock cycle before the reopen
            if ended is not None and ended <= start:
                continue  # a rule stretch that was over before this run of the path began
            out.append(Request(max(request.at, start), request.level, request.source))
        # Escalations the caller executed stand, even if a later priority change would have
        # reached them later: what was done was done.
        prefix = f"{self.ticket.id}:path:{path.name}:{cycle}:"
        names = [level.name for level in path.levels]
        for done, at in self.done_at.items():
            if done.startswith(prefix):
                level = done.rsplit(":", 1)[1]
                if level in names:
                    out.append(Request(max(at, start), names.index(level), "executed"))
        for event in self.ticket.events:
            if event.type == "override" and event.path == path.name and event.at >= start:
                if event.level not in names:
                    raise TicketError(
                        f"override names level {event.level!r}, which path {path.name!r} does "
                        f"not have (levels: {', '.join(names)})",
                        path=("events", event.index, "level"),
                        value=event.level,
                    )
                out.append(
                    Request(event.at, names.index(event.level), f"override:{event.actor}", True)
                )
        return sorted(out, key=lambda r: (r.at, -r.level, r.source))

    def _with_people(self, action: Action) -> Action:
        """The action with the people its targets reach now (when there is a directory).

        ``assignee`` is the ticket's assignee and ``assignment-group`` its group, when the
        directory knows them; other special targets stay for the caller to resolve.
        """
        directory = self.directory
        if directory.empty or not action.targets:
            return action
        targets = []
        for target in action.targets:
            if target == "assignee":
                if self.state.assignee in directory.people:
                    targets.append(f"person:{self.state.assignee}")
            elif target == "assignment-group":
                if self.state.assignment_group in directory.teams:
                    targets.append(f"team:{self.state.assignment_group}")
            elif ":" in target:
                targets.append(target)
        found = directory.resolve(targets, self.now, self.availability)
        self._watch(
            lambda at: directory.resolve(targets, at, self.availability),
            found,
            lambda _, later: later != found.people,
        )
        return replace(action, people=found.people, notes=found.notes)

    def _watch(
        self,
        resolve_at: Callable[[datetime], Resolution],
        current: Resolution,
        changes: Callable[[tuple[str, ...], tuple[str, ...]], bool],
    ) -> None:
        """Wake up at the first hand-off or availability change after now that changes the
        decision (as ``changes`` judges the people reached then). Hand-offs that change nobody
        relevant are passed over; after ``WATCH_STEPS`` of them the last one is a checkpoint
        wake-up, so a search never runs unbounded and never misses a change."""
        at, found = self.now, current
        for _ in range(WATCH_STEPS):
            later = [
                t
                for t in self.directory.handoffs(found.schedules, at)
                + self.availability.changes(found.considered, found.schedules)
                if t > at
            ]
            if not later:
                return
            at = min(later)
            before, found = found, resolve_at(at)
            if changes(before.people, found.people):
                self.wakeups.append(at)
                return
        if at > self.now:
            self.wakeups.append(at)  # checkpoint: look again from here

    def _path_action(self, path: PathDef, st: PathState) -> None:
        if not st.active or self.resolved or st.level_index is None or st.entered_at is None:
            return
        level = path.levels[st.level_index]
        paged = not (path.starts_on_open and st.level_index == 0 and st.round == 0)
        base_id = f"{self.ticket.id}:path:{path.name}:{st.cycle}:{st.round}:{level.name}"
        if paged and st.reason.startswith("override:"):
            paged = False  # a person put the ticket there; there is nothing to tell them
        people: tuple[str, ...] = ()
        notes: tuple[str, ...] = ()
        due_at = st.entered_at
        if not self.directory.empty and paged:
            resolution, due_at = self._level_people(path, st, level)
            people, notes = resolution.people, resolution.notes
            done = base_id in self.done_at
            self._watch(
                lambda at: self._level_resolution(path, level, at),
                resolution,
                # the page changes (if still to be sent) or someone new comes on call
                lambda before, later: (
                    (not done and later != people) or any(p not in before for p in later)
                ),
            )
            if not people and level.on_empty in ("wait", "defer_until_covered"):
                return  # nobody to page now; the wake-ups above say when that changes
            self._handoff_notice(path, st, level, base_id, resolution)
            self._unacknowledged_fallback(path, st, level, base_id, resolution)
        if not paged or base_id in self.done_at:
            return
        self.actions.append(
            Action(
                id=base_id,
                kind="escalate" if path.kind == "vertical" else "transfer",
                source=f"path:{path.name}",
                due_at=due_at,
                late=self.now > due_at,
                targets=level.targets,
                details=_level_details(path, level, st),
                rationale=f"entered {level.name} by {st.reason}",
                people=people,
                notes=notes,
            )
        )

    def _level_people(
        self, path: PathDef, st: PathState, level: LevelDef
    ) -> tuple[Resolution, datetime]:
        """Who the current level reaches now, after fallbacks and ``on_empty``; and since when
        the page is due (later than the level's entry when it waited for cover)."""
        assert st.entered_at is not None
        resolution = self._level_resolution(path, level, self.now)
        due_at = st.entered_at
        if (
            resolution.people
            and level.on_empty == "defer_until_covered"
            and st.entered_at < self.now
        ):
            due_at = self._covered_since(level, st.entered_at)
        return resolution, due_at

    def _level_resolution(self, path: PathDef, level: LevelDef, at: datetime) -> Resolution:
        """Who a level reaches at ``at``, after fallbacks and ``on_empty`` (skip, fallback)."""
        directory, availability = self.directory, self.availability
        resolution = directory.resolve(level.targets, at, availability)
        if resolution.people:
            return resolution
        notes = list(resolution.notes)
        schedules, considered = list(resolution.schedules), list(resolution.considered)
        people: tuple[str, ...] = ()
        if level.on_empty == "fallback":
            fallback = directory.resolve(level.fallback, at, availability)
            notes.append(
                f"nobody available at {level.name}; on_empty: fallback -> "
                f"{', '.join(fallback.people) or 'nobody'}"
            )
            notes += fallback.notes
            people = fallback.people
            schedules += fallback.schedules
            considered += fallback.considered
        elif level.on_empty == "skip":
            skipped = level.name
            for later in path.levels[level.index + 1 :]:
                notes.append(f"nobody available at {skipped}; on_empty: skip -> {later.name}")
                found = directory.resolve(later.targets, at, availability)
                schedules += found.schedules
                considered += found.considered
                if found.people:
                    notes += found.notes
                    people = found.people
                    break
                skipped = later.name
        else:
            notes.append(f"nobody available at {level.name}; on_empty: {level.on_empty}")
        return Resolution(
            people,
            tuple(notes),
            tuple(dict.fromkeys(schedules)),
            tuple(dict.fromkeys(considered)),
        )

    def _covered_since(self, level: LevelDef, entered_at: datetime) -> datetime:
        """When a deferred level first had someone available (its page was due then)."""
        directory, availability = self.directory, self.availability
        at = entered_at
        while at < self.now:
            found = directory.resolve(level.targets, at, availability)
            if found.people:
                return at
            later = [
                t
                for t in directory.handoffs(found.schedules, at)
                + availability.changes(found.considered, found.schedules)
                if t > at
            ]
            if not later:
                break
            at = min(later)
        return self.now

    def _handoff_notice(
        self, path: PathDef, st: PathState, level: LevelDef, base_id: str, now_paged: Resolution
    ) -> None:
        """Tell whoever comes on call while this level is active, so the page is not dropped
        between shifts."""
        assert st.entered_at is not None
        directory = self.directory
        for name in now_paged.schedules:
            handoff = directory.last_handoff(name, st.entered_at, self.now)
            if handoff is None:
                continue
            earlier = handoff - ONE_US
            before = set(self._level_resolution(path, level, earlier).people)
            incoming = tuple(p for p in now_paged.people if p not in before)
            if not incoming:
                continue
            action_id = f"{base_id}:handoff:{name}:{_stamp(handoff)}"
            if action_id in self.done_at:
                continue
            self.actions.append(
                Action(
                    id=action_id,
                    kind="handoff",
                    source=f"path:{path.name}",
                    due_at=handoff,
                    late=self.now > handoff,
                    targets=(f"schedule:{name}",),
                    details={"path": path.name, "level": level.name, "schedule": name},
                    rationale=f"on-call changed while {level.name} is active",
                    people=incoming,
                )
            )

    def _unacknowledged_fallback(
        self, path: PathDef, st: PathState, level: LevelDef, base_id: str, paged: Resolution
    ) -> None:
        """A page nobody acknowledged within ``ack_within`` goes to the paged people's
        fallbacks (their backups, then the level's ``fallback`` targets)."""
        if level.ack_within_delta is None or st.entered_at is None:
            return
        deadline = st.entered_at + level.ack_within_delta
        # Any acknowledgement since the level was entered answers the page, even a late one.
        if any(st.entered_at <= at for at in self.acks):
            return
        if deadline > self.now:
            self.wakeups.append(deadline)
            return
        backups = [
            person.backup
            for pid in paged.people
            if (person := self.directory.people.get(pid)) is not None and person.backup
        ]
        targets = [f"person:{b}" for b in backups] + list(level.fallback)
        fallback = self.directory.resolve(targets, self.now, self.availability)
        people = tuple(p for p in fallback.people if p not in paged.people)
        action_id = f"{base_id}:unacknowledged"
        if action_id in self.done_at:
            return
        self._watch(
            lambda at: self.directory.resolve(targets, at, self.availability),
            fallback,
            lambda _, later: tuple(p for p in later if p not in paged.people) != people,
        )
        if not people:
            return
        self.actions.append(
            Action(
                id=action_id,
                kind="page",
                source=f"path:{path.name}",
                due_at=deadline,
                late=self.now > deadline,
                targets=tuple(targets),
                details={"path": path.name, "level": level.name, "ack_within": level.ack_within},
                rationale=f"nobody acknowledged {level.name} within {level.ack_within}",
                people=people,
                notes=fallback.notes,
            )
        )


def _clock_facts(facts: dict[str, Any], cs: ClockState) -> None:
    name = cs.definition.name
    facts["clock." + name] = cs
    facts[f"clock.{name}.state"] = cs.state
    facts[f"clock.{name}.breached"] = cs.breached


def _level_details(path: PathDef, level: LevelDef, st: PathState) -> dict[str, Any]:
    return {
        "path": path.name,
        "level": level.name,
        "round": st.round,
        "authority": list(level.authority),
        "owner": level.owner,
        "ack_within": level.ack_within,
        "resolve_within": level.resolve_within,
        "on_empty": level.on_empty,
        "fallback": list(level.fallback),
    }


def _action(
    act: ActionDef,
    action_id: str,
    source: str,
    due_at: datetime,
    now: datetime,
    rationale: str | None,
) -> Action:
    details = dict(act.details)
    if act.within is not None:
        details["due_by"] = iso(due_at + act.within)
    return Action(
        id=action_id,
        kind=act.kind,
        source=source,
        due_at=due_at,
        late=now > due_at,
        targets=act.targets,
        details=details,
        rationale=rationale,
    )


def _clock_leaf_instant(leaf: Leaf, facts: Mapping[str, Any]) -> datetime | None:
    """The instant a clock comparison crosses its threshold in this cycle (past or future)."""
    _, clock, attr = leaf.field.split(".", 2)
    cs: ClockState = facts["clock." + clock]
    amount: int | None = None
    threshold, op = leaf.threshold, leaf.op
    if attr == "percent" and isinstance(threshold, Fraction):
        amount = cs.rung_amount_us(threshold)
    elif attr in ("elapsed", "remaining") and isinstance(threshold, int):
        amount = threshold if attr == "elapsed" else cs.target_us - threshold
    elif attr == "breached":
        amount = cs.target_us
    elif attr == "state":
        return cs.started_at
    if amount is None:
        return None
    if op in ("gt", "lt"):
        amount += 1
    return cs.reached_at(amount)


def _rule_wakeups(rule: RuleDef, facts: Mapping[str, Any], run: _Run) -> list[datetime]:
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
        crossed = _clock_leaf_instant(leaf, facts)
        if crossed is not None and crossed > run.now:
            candidates.add(crossed)
    for when in sorted(candidates):
        future = dict(facts)
        for cs in run.clocks:
            _clock_facts(future, ClockState(cs.definition, run.cycles[cs.name], run.priority, when))
        if rule.when.check(future):
            return [when]
    return []
