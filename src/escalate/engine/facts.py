"""Facts: the ticket as the conditions see it, now and at past instants.

A fact is a name a condition reads (``priority``, ``customer.tier``, ``clock.resolution``,
``path.service-desk.level`` ...). :class:`Facts` holds the facts at ``now`` and answers
"what were they at this earlier instant" and "over which stretches did this condition hold",
which is how rules and gated paths follow the history instead of only ``now``.

The facts of an instant include the instant itself (``time``), which ``within:`` /
``not_within:`` tests read. A condition that tests the time can change between events, at its
calendar's window boundaries; the stretch methods find those with one calendar lookup per
stretch of constant facts, never by walking the windows since the opening (see "time in
conditions" below).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from fractions import Fraction
from typing import Any, cast

from escalate.calendars._instants import ONE_US
from escalate.engine.clocks import (
    OUT_OF_SCOPE,
    ClockDef,
    ClockState,
    Cycle,
    Step,
    cycles_as_of,
    in_scope_cycles,
    out_of_force,
    run_cycles,
)
from escalate.engine.conditions import OPEN, TIME, Condition, Leaf, leaves, time_calendar
from escalate.engine.context import Context
from escalate.engine.history import read_boolean
from escalate.engine.ticket import FieldValue, TicketState
from escalate.engine.ticket_format import TERMINOLOGY_FIELDS
from escalate.errors import TicketError

__all__ = [
    "Facts",
    "Stretch",
    "clock_facts",
    "clock_leaf_instant",
    "custom_value",
    "open_table",
    "run_clocks",
]

# The ticket fields that change through events, and the event types that change them. Other
# fields (category, customer ...) change only through ``field-changed`` events (when a ticket
# has none, they hold since the ticket opened).
_FIELD_EVENTS: dict[str, frozenset[str]] = {
    "status": frozenset({"status-changed", "resolved", "closed", "reopened"}),
    "status_category": frozenset({"status-changed", "resolved", "closed", "reopened"}),
    "priority": frozenset({"priority-changed"}),
    "assignment_group": frozenset({"assigned"}),
    "assignee": frozenset({"assigned"}),
    "reassignment_count": frozenset({"assigned"}),
    "reopen_count": frozenset({"reopened"}),
    "acknowledged": frozenset({"acknowledged", "reopened"}),
    "milestones": frozenset({"milestone"}),
}
# The same, by event type: the fields an event of that type may change.
_MOVED_BY: dict[str, tuple[str, ...]] = {
    kind: tuple(name for name, kinds in _FIELD_EVENTS.items() if kind in kinds)
    for kind in sorted(frozenset().union(*_FIELD_EVENTS.values()))
}
# The facts a field-changed event on a field changes besides the field's own.
_ALSO_CHANGES: dict[str, tuple[str, ...]] = {
    "assignment_group": ("reassignment_count",),
    "assignee": (),
    "impact": ("priority",),  # through the priority matrix
    "urgency": ("priority",),
}
# Fields whose values the policy's terminology maps, when a field-changed event sets them
# (the priority and the group change through their own events).
_MAPPED = frozenset(TERMINOLOGY_FIELDS) - {"priority", "assignment_group"}
_CUSTOM_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
}

Stretch = tuple[datetime, datetime | None]  # (began, ended); None: still holding at now
# Facts that change without an event of their own: clocks, paths, the post-mortem follow-up.
_POSTMORTEM = "postmortem."
_MOVING_PREFIXES = ("clock.", "path.", _POSTMORTEM)


class Facts:
    """The facts of one evaluation: ``current`` at now, and the past on demand (cached).

    The clock and path stages add their facts to ``current`` as they run; the path stage
    records each path's level history (:meth:`record_path`) so that past facts can say which
    level a path was at.
    """

    __slots__ = (
        "_changed",
        "_ctx",
        "_folds",
        "_marks",
        "_moving",
        "_past",
        "_pm_at",
        "_pm_changes",
        "_read",
        "_scope_changes",
        "_step_at",
        "current",
        "histories",
        "static",
    )

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        # The facts field-changed events change: empty for most tickets (the fast path).
        self._changed = _changed_facts(ctx)
        # The changed fields the policy can read (custom fields it does not declare are not).
        self._read: tuple[str, ...] = ()
        if self._changed:
            custom = ctx.policy.custom_fields
            self._read = tuple(
                sorted(
                    name
                    for name in ctx.ticket.changed_fields
                    if not name.startswith("fields.") or name[7:] in custom
                )
            )
        self.static = _static_facts(ctx)
        self.current: dict[str, Any] = dict(self.static)
        _dynamic_facts(ctx, self.current, ctx.state, ctx.priority, self._read)
        # The milestones recorded, with when (in time order): the ``milestones`` fact.
        self._marks = [(e.at, e.milestone) for e in ctx.ticket.events if e.type == "milestone"]
        self.current["milestones"] = _milestones(self._marks, ctx.now)
        self.current[TIME] = ctx.now
        self.histories: dict[str, tuple[tuple[datetime, int], ...]] = {}
        self._step_at = [step[0] for step in ctx.steps]
        self._past: dict[tuple[datetime, bool, bool], dict[str, Any]] = {}
        self._scope_changes: dict[str, frozenset[datetime]] = {}
        self._moving: frozenset[str] | None = None
        # Per clock, its cycles over the whole history (never changed): the clocks at a past
        # instant are read off them instead of folding the history up to there again.
        self._folds: dict[str, list[Cycle]] = {}
        # The post-mortem facts at a past instant, and the instants they may change at (set
        # by the follow-up stage, before the rules that read them run).
        self._pm_at: Callable[[datetime], Mapping[str, Any]] | None = None
        self._pm_changes: tuple[datetime, ...] = ()

    def record_postmortem(
        self, at: Callable[[datetime], Mapping[str, Any]], changes: tuple[datetime, ...]
    ) -> None:
        """Remember the ``postmortem.*`` facts at past instants (``at``) and the instants up
        to now at which they change (:mod:`escalate.engine.followup`); past facts worked out
        before are forgotten, as they lack these."""
        self._pm_at, self._pm_changes = at, changes
        self._past.clear()

    def record_path(self, name: str, history: tuple[tuple[datetime, int], ...]) -> None:
        """Remember when path ``name`` entered which level (for past ``path.*`` facts)."""
        self.histories[name] = history

    def at(self, at: datetime, *, clocks: bool, paths: bool) -> Mapping[str, Any]:
        """The facts as they were at ``at`` (after the events at that instant)."""
        ctx = self._ctx
        if at >= ctx.now:
            return self.current
        key = (at, clocks, paths)
        found = self._past.get(key)
        if found is not None:
            return found
        past = dict(self.static)
        state = ctx.ticket.state_at(at)
        if self._priority_moves():
            priority = ctx.policy.priority_of(ctx.ticket, state.priority, state)
        else:  # no event changes it (nor the impact or urgency it may come from)
            priority = ctx.priority
        _dynamic_facts(ctx, past, state, priority, self._read)
        past["milestones"] = _milestones(self._marks, at)
        past[TIME] = at
        if self._pm_at is not None:
            past.update(self._pm_at(at))
        if clocks:
            for clock in ctx.policy.clocks:
                restarts = self._restarts(clock)
                cycles = cycles_as_of(self._fold(clock, restarts), at)
                if clock.definitions:
                    clock_facts(
                        past, self._scoped_state(clock, cycles, restarts, priority, at, past)
                    )
                    continue
                clock_facts(past, ClockState(clock, cycles, priority, at))
        if paths:
            for path in ctx.policy.paths:
                name = path.name
                index = None
                for entered, level in self.histories.get(name, ()):
                    if entered <= at:
                        index = level
                past[f"path.{name}.level_index"] = index
                past[f"path.{name}.active"] = index is not None
        self._past[key] = past
        return past

    def scoped_clock(
        self,
        clock: ClockDef,
        steps: Sequence[Step],
        priority: str | None,
        at: datetime,
        facts: Mapping[str, Any],
    ) -> tuple[ClockState, list[Cycle]]:
        """A scoped clock as of ``at`` and its cycles, measured with the definition applying in
        ``facts`` (the ticket's facts at ``at``); ``not-applicable``, with no target, when none
        applies."""
        restarts = self._restarts(clock)
        cycles = run_cycles(clock, steps, restarts)
        state = self._scoped_state(clock, cycles, restarts, priority, at, facts)
        return state, cycles

    def _restarts(self, clock: ClockDef) -> frozenset[datetime]:
        return self.scope_changes(clock) if clock.restart_on_scope_change else frozenset()

    def _fold(self, clock: ClockDef, restarts: frozenset[datetime]) -> list[Cycle]:
        """The clock's cycles over the whole history up to now (computed once; never
        changed: past instants read copies of them)."""
        found = self._folds.get(clock.name)
        if found is None:
            found = self._folds[clock.name] = run_cycles(clock, self._ctx.steps, restarts)
        return found

    def _scoped_state(
        self,
        clock: ClockDef,
        cycles: list[Cycle],
        restarts: frozenset[datetime],
        priority: str | None,
        at: datetime,
        facts: Mapping[str, Any],
    ) -> ClockState:
        """A scoped clock's state from its cycles (renumbered in place when it restarts on
        scope changes), measured with the definition applying in ``facts``."""
        if restarts:  # only the cycles that ran in scope count (cycle 1 starts on entering it)
            cycles[:] = in_scope_cycles(
                cycles, lambda t: clock.applying(self.at(t, clocks=False, paths=False)) is not None
            )
        scope = clock.applying(facts)
        if (
            scope is not None
            and at >= self._ctx.now
            and out_of_force(clock, self._ctx.steps, cycles)
        ):
            scope = None  # every cycle started while the obligation was not in force
        return ClockState(clock, cycles, priority, at, OUT_OF_SCOPE if scope is None else scope)

    def scope_changes(self, clock: ClockDef) -> frozenset[datetime]:
        """The instants up to now at which the definition applying to the ticket changed
        (an event moved it from one definition to another, or in or out of scope)."""
        found = self._scope_changes.get(clock.name)
        if found is not None:
            return found
        changes: list[datetime] = []
        if not self._has_history(clock.scope_fields):  # it holds since the opening
            found = self._scope_changes[clock.name] = frozenset()
            return found
        previous: object = None
        for i, step in enumerate(self._ctx.steps):
            at = step[0]
            if i and at == self._step_at[i - 1]:
                continue  # one look per instant, after all its events
            scope = clock.applying(self.at(at, clocks=False, paths=False))
            if i and scope is not previous:
                changes.append(at)
            previous = scope
        found = self._scope_changes[clock.name] = frozenset(changes)
        return found

    def _candidates(self, fields: Sequence[str], condition: Condition) -> list[datetime]:
        """The instants up to now at which a condition over these fields can change."""
        ctx = self._ctx
        found = {ctx.ticket.opened_at}
        reads_clocks = any(f.startswith("clock.") for f in fields)
        changing: set[str] = set()
        for name in fields:
            changing |= _FIELD_EVENTS.get(name, frozenset())
        for event in ctx.ticket.events:
            if reads_clocks or event.type in changing:
                found.add(event.at)
            elif event.type == "field-changed":
                named = event.field
                assert named is not None
                if named in fields or any(f in fields for f in _ALSO_CHANGES.get(named, ())):
                    found.add(event.at)
        if reads_clocks:
            for leaf in leaves(condition):
                if leaf.field.startswith("clock."):
                    crossed = clock_leaf_instant(leaf, self.current)
                    if crossed is not None and crossed <= ctx.now:
                        found.add(crossed)
        for name, history in self.histories.items():
            if f"path.{name}.level" in fields or f"path.{name}.active" in fields:
                found.update(entered for entered, _ in history if entered <= ctx.now)
        if self._pm_changes and any(f.startswith(_POSTMORTEM) for f in fields):
            found.update(self._pm_changes)
        return sorted(found)

    def _has_history(self, fields: Sequence[str]) -> bool:
        """Whether any of these fields can change after the opening."""
        changed = self._changed
        return any(
            f in _FIELD_EVENTS or f in changed or f == TIME or f.startswith(_MOVING_PREFIXES)
            for f in fields
        )

    def moving(self) -> frozenset[str]:
        """The fields this ticket's events change (computed once): a fact not named here,
        and not the time, a clock's, a path's or the post-mortem's, has the same value at
        every instant."""
        found = self._moving
        if found is None:
            names: set[str] = set(self._changed)
            for event in self._ctx.ticket.events:
                kind = event.type
                moved = _MOVED_BY.get(kind)
                if moved is not None:
                    names.update(moved)
                elif kind == "field-changed" and event.field is not None:
                    names.add(event.field)
                    names.update(_ALSO_CHANGES.get(event.field, ()))
            found = self._moving = frozenset(names)
        return found

    def _priority_moves(self) -> bool:
        moving = self.moving()
        return "priority" in moving or "impact" in moving or "urgency" in moving

    def never_holds(self, condition: Condition) -> bool:
        """Whether the condition is false at every instant up to now, seen without walking
        the history: one of its ``all`` parts (or the condition itself, a comparison) reads a
        field this ticket's events never change, and is false now."""
        parts: Sequence[Condition]
        if isinstance(condition, Leaf):
            parts = (condition,)
        elif condition.kind == "all":
            parts = condition.children
        else:
            return False
        moving: frozenset[str] | None = None
        for part in parts:
            if not isinstance(part, Leaf):
                continue
            name = part.field
            if name == TIME or name.startswith(_MOVING_PREFIXES):
                continue
            if moving is None:
                moving = self.moving()
            if name not in moving and not part.check(self.current):
                return True
        return False

    def stretches(self, condition: Condition, fields: Sequence[str]) -> list[Stretch]:
        """Every unbroken stretch of the condition holding, from the opening up to now."""
        ctx = self._ctx
        if not self._has_history(fields):
            holds = condition.check(self.current)
            return [(ctx.ticket.opened_at, None)] if holds else []
        if self.never_holds(condition):
            return []
        if TIME in fields:
            return self._time_stretches(condition, fields)
        clocks = any(f.startswith("clock.") for f in fields)
        paths = any(f.startswith("path.") for f in fields)
        out: list[Stretch] = []
        began: datetime | None = None
        for at in self._candidates(fields, condition):
            holds = condition.check(self.at(at, clocks=clocks, paths=paths))
            if holds and began is None:
                began = at
            elif not holds and began is not None:
                out.append((began, at))
                began = None
        if condition.check(self.current):
            out.append((began if began is not None else ctx.now, None))
        elif began is not None:
            out.append((began, ctx.now))
        return out

    def current_start(self, condition: Condition, fields: Sequence[str]) -> datetime:
        """When the stretch of a condition that holds now began (walking back from now)."""
        ctx = self._ctx
        if not self._has_history(fields):
            return ctx.ticket.opened_at
        if TIME in fields:
            return self._time_current_start(condition, fields)
        clocks = any(f.startswith("clock.") for f in fields)
        paths = any(f.startswith("path.") for f in fields)
        began = ctx.now
        for at in reversed(self._candidates(fields, condition)):
            if not condition.check(self.at(at, clocks=clocks, paths=paths)):
                break
            began = at
        return began

    # -- time in conditions (within / not_within) -------------------------------------------
    #
    # Between two candidate instants (events, clock crossings, path moves) every fact but the
    # time is constant, so a condition that tests one calendar either holds throughout, fails
    # throughout, or holds exactly while the calendar is open (or closed): open_table says
    # which. Then it changes at every window boundary, so the stretch holding now began at the
    # calendar's last change (one binary search), and only where the rest holds are the
    # boundaries of that stretch of facts walked at all.

    def _segment_facts(self, at: datetime, fields: Sequence[str]) -> Mapping[str, Any]:
        clocks = any(f.startswith("clock.") for f in fields)
        paths = any(f.startswith("path.") for f in fields)
        return self.at(at, clocks=clocks, paths=paths)

    def _time_current_start(self, condition: Condition, fields: Sequence[str]) -> datetime:
        """:meth:`current_start` for a condition that tests the time: walks back over the
        candidates with one calendar lookup each, however many windows lie between them."""
        calendar = time_calendar(condition)
        assert calendar is not None
        candidates = self._candidates(fields, condition)
        i = len(candidates) - 1
        table = open_table(condition, self._segment_facts(candidates[i], fields))
        held_at = self._ctx.now  # the condition holds from held_at up to now
        while True:
            start = candidates[i]
            if table[0] != table[1]:
                # Holds only while open (or closed): the stretch began at the last change.
                changed = calendar.last_change(held_at)
                if changed is not None and changed > start:
                    return changed
                calendar.is_open(start)  # the calendar must answer for the whole stretch
            if i == 0:
                return start
            i -= 1
            table = open_table(condition, self._segment_facts(candidates[i], fields))
            just_before = start - ONE_US
            holds = table[0] if table[0] == table[1] else table[calendar.is_open(just_before)]
            if not holds:
                return start
            held_at = just_before

    def _time_stretches(self, condition: Condition, fields: Sequence[str]) -> list[Stretch]:
        """:meth:`stretches` for a condition that tests the time: each stretch of constant
        facts is walked boundary by boundary only where the condition follows the calendar."""
        calendar = time_calendar(condition)
        assert calendar is not None
        now = self._ctx.now
        candidates = self._candidates(fields, condition)
        changes: list[tuple[datetime, bool]] = []
        for i, start in enumerate(candidates):
            end = candidates[i + 1] if i + 1 < len(candidates) else None
            table = open_table(condition, self._segment_facts(start, fields))
            if table[0] == table[1]:
                changes.append((start, table[0]))
                continue
            is_open = calendar.is_open(start)
            changes.append((start, table[is_open]))
            at = calendar.next_change(start)
            while at is not None and at <= now and (end is None or at < end):
                is_open = not is_open
                changes.append((at, table[is_open]))
                at = calendar.next_change(at)
        out: list[Stretch] = []
        began: datetime | None = None
        for at, holds in changes:
            if holds and began is None:
                began = at
            elif not holds and began is not None:
                out.append((began, at))
                began = None
        if condition.check(self.current):
            out.append((began if began is not None else now, None))
        elif began is not None:
            out.append((began, now))
        return out

    def first_stretch(
        self, condition: Condition, fields: Sequence[str], since: datetime
    ) -> Stretch | None:
        """The first stretch of a condition that tests the time still holding at or after
        ``since`` (its start clamped to ``since``); ``None`` if there is none up to now.

        The stretches before ``since`` are never looked at, and each stretch of constant facts
        costs at most two calendar lookups (the condition flips at every change), so the cost
        does not grow with the ticket's age. :func:`~escalate.engine.matching.run_rules` asks
        for this where only the first request a rule sends a path can move it.
        """
        if self.never_holds(condition):
            return None
        calendar = time_calendar(condition)
        assert calendar is not None
        now = self._ctx.now
        candidates = self._candidates(fields, condition)
        i = max(bisect.bisect_right(candidates, since) - 1, 0)
        began: datetime | None = None
        at = since
        while True:
            end = candidates[i + 1] if i + 1 < len(candidates) else None
            table = open_table(condition, self._segment_facts(candidates[i], fields))
            is_open = table[0] != table[1] and calendar.is_open(at)
            while True:
                holds = table[is_open]
                if holds and began is None:
                    began = at
                elif not holds and began is not None:
                    return began, at
                if table[0] == table[1]:
                    break
                change = calendar.next_change(at)
                if change is None or change > now or (end is not None and change >= end):
                    break
                at, is_open = change, not is_open
            if end is None:
                break
            i, at = i + 1, end
        if condition.check(self.current):
            return (began if began is not None else now), None
        return None if began is None else (began, now)


def open_table(condition: Condition, facts: Mapping[str, Any]) -> tuple[bool, bool]:
    """Whether ``condition`` holds with these facts while its calendar is closed, and open.

    Equal answers mean the condition does not depend on the time under these facts.
    """
    closed = condition.check({**facts, OPEN: False})
    return closed, condition.check({**facts, OPEN: True})


def _static_facts(ctx: Context) -> dict[str, Any]:
    """The facts that have no history: they hold from the opening on."""
    policy, ticket = ctx.policy, ctx.ticket
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
        facts["fields." + name] = custom_value(policy.id, kind, value, ("fields", name))
    return facts


def custom_value(
    policy: str, kind: str, value: FieldValue, path: tuple[str | int, ...]
) -> FieldValue:
    """A custom field's value as the policy declares its type; a TicketError when it is not.
    A boolean field also takes the usual string forms (``"true"``, ``"No"``, ``"1"`` ...)."""
    if value is None:
        return None
    if kind == "boolean" and type(value) is str:
        found = read_boolean(value)
        if found is None:
            raise TicketError(
                f"policy {policy!r} declares this custom field as boolean: true or false, or the "
                "text true/false, yes/no, 1/0 in any case",
                path=path,
                value=value,
            )
        return found
    wanted = _CUSTOM_TYPES[kind]
    if not isinstance(value, wanted) or (kind == "integer" and isinstance(value, bool)):
        raise TicketError(
            f"policy {policy!r} declares this custom field as {kind}", path=path, value=value
        )
    return value


def _changed_facts(ctx: Context) -> frozenset[str]:
    """The facts the ticket's ``field-changed`` events change (beyond group and assignee),
    after checking every value they set against the policy (terminology, custom types)."""
    ticket = ctx.ticket
    changed = ticket.changed_fields
    if not changed:
        return frozenset()
    for event in ticket.events:
        name = event.field
        if event.type != "field-changed" or name not in changed:
            continue
        for key, value in (("from", event.from_value), ("to", event.to_value)):
            path = ("events", event.index, key)
            try:
                _fact(ctx, name, value, path)
            except TicketError as exc:
                raise TicketError(exc.message, path=path, value=value) from None
    out = set(changed)
    for name in changed:
        out.update(_ALSO_CHANGES.get(name, ()))
    return frozenset(out)


def _fact(ctx: Context, name: str, value: FieldValue, path: tuple[str | int, ...]) -> FieldValue:
    """The fact for a field's value (mapped by the terminology, typed as the policy says)."""
    if name in _MAPPED:
        return ctx.policy.canonical(name, cast("str | None", value))
    if name.startswith("fields."):
        kind = ctx.policy.custom_fields.get(name[7:])
        return value if kind is None else custom_value(ctx.policy.id, kind, value, path)
    return value


def _dynamic_facts(
    ctx: Context,
    facts: dict[str, Any],
    state: TicketState,
    priority: str | None,
    changed: tuple[str, ...],
) -> None:
    """The facts that change through events, as of ``state``; ``changed`` names the fields
    ``field-changed`` events set that the policy reads (one binary search each)."""
    for name in changed:
        facts[name] = _fact(ctx, name, state.field_value(name), (name,))
    facts["priority"] = priority
    facts["status"], facts["status_category"] = ctx.status_of[state.status]
    facts["assignment_group"] = ctx.policy.canonical("assignment_group", state.assignment_group)
    facts["assignee"] = state.assignee
    facts["reassignment_count"] = state.reassignment_count
    facts["reopen_count"] = state.reopen_count
    facts["acknowledged"] = state.acknowledged_at is not None


def _milestones(marks: Sequence[tuple[datetime, str | None]], at: datetime) -> frozenset[str]:
    """The names of the milestones recorded at or before ``at``."""
    return frozenset(name for when, name in marks if when <= at and name is not None)


def clock_facts(facts: dict[str, Any], cs: ClockState) -> None:
    """Add a clock's facts (``clock.<name>``, its ``.state`` and ``.breached``)."""
    name = cs.definition.name
    facts["clock." + name] = cs
    facts[f"clock.{name}.state"] = cs.state
    facts[f"clock.{name}.breached"] = cs.breached


def clock_leaf_instant(leaf: Leaf, facts: Mapping[str, Any]) -> datetime | None:
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
        amount = cs.breach_amount_us
    elif attr == "state":
        return cs.started_at
    if amount is None:
        return None
    if op in ("gt", "lt"):
        amount += 1
    return cs.reached_at(amount)


def run_clocks(ctx: Context, facts: Facts) -> tuple[list[ClockState], dict[str, list[Cycle]]]:
    """Fold the history into every clock's cycles and state at now; add their facts.

    The returned states are those of the clocks that apply to the ticket: a scoped clock that
    does not apply is left out (its facts say ``not-applicable``), so its ladder does nothing
    and it schedules no wake-up.
    """
    clocks: list[ClockState] = []
    cycles: dict[str, list[Cycle]] = {}
    for clock in ctx.policy.clocks:
        if clock.definitions:  # scoped: decided at compile time, unscoped clocks skip this
            cs = _scoped_clock_now(ctx, facts, clock, cycles)
            clock_facts(facts.current, cs)
            if cs.scope is not OUT_OF_SCOPE:
                clocks.append(cs)
            continue
        found = run_cycles(clock, ctx.steps)
        cycles[clock.name] = found
        if clock.effective is not None and out_of_force(clock, ctx.steps, found):
            # Every cycle started while the obligation was not in force: reported like a
            # scoped clock that does not apply (not-applicable facts, no state, no ladder).
            clock_facts(
                facts.current, ClockState(clock, found, ctx.priority, ctx.now, OUT_OF_SCOPE)
            )
            continue
        cs = ClockState(clock, found, ctx.priority, ctx.now)
        clocks.append(cs)
        clock_facts(facts.current, cs)
    return clocks, cycles


def _scoped_clock_now(
    ctx: Context, facts: Facts, clock: ClockDef, cycles: dict[str, list[Cycle]]
) -> ClockState:
    """A scoped clock at now; its closed cycles that can still hold a path up (those the
    ladder stage measures again: ended in the current ticket cycle, with rungs that move
    paths) learn the definition they ended under."""
    cs, found = facts.scoped_clock(clock, ctx.steps, ctx.priority, ctx.now, facts.current)
    cycles[clock.name] = found
    if any(act.path is not None for rung in clock.ladder for act in rung.actions):
        for cycle in found:
            if cycle.stopped_at is not None and cycle.stopped_at >= ctx.cycle_start:
                past = facts.at(cycle.stopped_at - ONE_US, clocks=False, paths=False)
                scope = clock.applying(past)
                cycle.scope = OUT_OF_SCOPE if scope is None else scope
    return cs
