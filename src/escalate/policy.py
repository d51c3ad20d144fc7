"""Compile a validated policy into an immutable :class:`Policy`, and evaluate tickets with it.

``compile_policy`` does every expensive thing once: calendars become window tables, conditions
become closures, durations become ``timedelta``. ``Policy.evaluate`` is the hot path: it folds
the ticket's history into clocks, matches rules, replays paths and returns a
:class:`~escalate.decision.Decision`. It reads no clock, does no I/O and keeps no state.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

from pydantic import ValidationError

from ._duration import Duration, parse_duration, parse_percent
from ._time import ONE_US, to_us
from .calendar import Calendar
from .clocks import (
    CLOCK_STATES,
    RUNNING,
    ClockDef,
    ClockState,
    Rung,
    Step,
    Target,
    Trigger,
    run_cycles,
)
from .conditions import (
    BOOL,
    DURATION,
    INT,
    LEVEL,
    PERCENT,
    SET,
    STR,
    Condition,
    FieldSpec,
    compile_condition,
    leaves,
    referenced_fields,
)
from .decision import DONE, MATCHED, NOT_MATCHED, SHADOWED, Action, Decision, RuleResult
from .errors import PolicyError, TicketError, suggest
from .paths import LevelDef, PathDef, PathState, Request, simulate
from .schema import (
    ACTION_KINDS,
    ActionSpec,
    ClockSpec,
    LevelSpec,
    PathSpec,
    PolicySpec,
    RuleSpec,
    TriggerSpec,
)
from .ticket import EVENT_TYPES, KINDS, STATUSES, Ticket

Path = tuple[str | int, ...]
Positions = Callable[[Path], tuple[str, int, int] | None]

TERMINOLOGY_FIELDS = (
    "priority",
    "impact",
    "urgency",
    "severity",
    "category",
    "subcategory",
    "service",
    "assignment_group",
    "region",
    "business_unit",
    "service_line",
    "risk",
    "customer.tier",
)
STRING_FIELDS = (
    "id",
    "kind",
    "priority",
    "impact",
    "urgency",
    "severity",
    "category",
    "subcategory",
    "service",
    "configuration_item",
    "assignment_group",
    "assignee",
    "status",
    "business_unit",
    "region",
    "service_line",
    "risk",
    "customer.id",
    "customer.tier",
)
TARGET_KINDS = ("person", "team", "role", "schedule")
NOTIFY_SPECIAL = ("assignee", "assignment-group", "customer", "requester")
RESOLVED_STATUSES = frozenset({"resolved", "closed", "cancelled"})


# --------------------------------------------------------------------------------------------
# Compiled pieces
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActionDef:
    """A compiled action of a rule or rung."""

    kind: str
    index: int
    targets: tuple[str, ...]
    details: Mapping[str, Any]
    path: str | None = None  # escalate / transfer
    level: int | None = None  # escalate / transfer: the level index asked for
    within: timedelta | None = None  # require_postmortem


@dataclass(frozen=True, slots=True)
class RuleDef:
    """A compiled rule."""

    id: str
    order: int
    priority: int
    when: Condition
    actions: tuple[ActionDef, ...]
    final: bool
    reads_paths: bool
    fields: tuple[str, ...]
    clock_leaves: tuple[str, ...]
    rationale: str | None
    positions: Mapping[Path, tuple[str, int, int]]


# --------------------------------------------------------------------------------------------
# The policy
# --------------------------------------------------------------------------------------------


class Policy:
    """A compiled escalation policy. Immutable; safe to share between threads."""

    __slots__ = (
        "_aliases",
        "_matrix",
        "calendars",
        "clocks",
        "content_hash",
        "description",
        "id",
        "paths",
        "pin",
        "rules",
        "source",
        "version",
    )

    def __init__(
        self,
        *,
        spec: PolicySpec,
        calendars: Mapping[str, Calendar],
        clocks: tuple[ClockDef, ...],
        paths: tuple[PathDef, ...],
        rules: tuple[RuleDef, ...],
        aliases: Mapping[str, Mapping[str, str]],
        content_hash: str,
        source: str,
    ) -> None:
        self.id = spec.policy
        self.version = str(spec.version)
        self.description = spec.description
        self.pin = spec.pin
        self.calendars = dict(calendars)
        self.clocks = clocks
        self.paths = paths
        self.rules = rules
        self._aliases = aliases
        self._matrix = {
            (impact, urgency): priority
            for impact, row in spec.priority_matrix.items()
            for urgency, priority in row.items()
        }
        self.content_hash = content_hash
        self.source = source

    def __repr__(self) -> str:
        return (
            f"<Policy {self.id} v{self.version} clocks={len(self.clocks)} "
            f"paths={len(self.paths)} rules={len(self.rules)} {self.content_hash[:12]}>"
        )

    # -- terminology ----------------------------------------------------------------------------

    def canonical(self, field: str, value: str | None) -> str | None:
        """Map a source value to the policy's canonical term (``Sev1`` -> ``P1``)."""
        if value is None:
            return None
        table = self._aliases.get(field)
        if table is None:
            return value
        found = table.get(value.strip().casefold())
        if found is None:
            known = sorted(set(table.values()))
            raise TicketError(
                f"{field} value is not known to policy {self.id!r} (known: {', '.join(known)}; "
                f"add an alias under terminology.{field})",
                path=(field,),
                value=value,
            )
        return found

    def priority_of(self, ticket: Ticket, raw: str | None) -> str | None:
        """The canonical priority: the ticket's own, else impact x urgency from the matrix."""
        if raw is not None:
            return self.canonical("priority", raw)
        impact = self.canonical("impact", ticket.impact)
        urgency = self.canonical("urgency", ticket.urgency)
        if impact is None or urgency is None:
            return None
        return self._matrix.get((impact, urgency))

    # -- evaluation -----------------------------------------------------------------------------

    def evaluate(self, ticket: Ticket | Mapping[str, Any], *, now: datetime) -> Decision:
        """Decide what is due for ``ticket`` at ``now`` (aware). Pure and deterministic."""
        return _evaluate(self, Ticket.coerce(ticket), now)


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
    utc = at.astimezone(UTC)
    text = utc.strftime("%Y%m%dT%H%M%S")
    return f"{text}.{utc.microsecond:06d}Z" if utc.microsecond else text + "Z"


def _evaluate(policy: Policy, ticket: Ticket, now: datetime) -> Decision:
    now_us = to_us(now, "now")
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
    state = ticket.state_at(now)
    priority = policy.priority_of(ticket, state.priority)
    facts: dict[str, Any] = {
        "id": ticket.id,
        "kind": ticket.kind,
        "priority": priority,
        "impact": policy.canonical("impact", ticket.impact),
        "urgency": policy.canonical("urgency", ticket.urgency),
        "severity": policy.canonical("severity", ticket.severity),
        "category": policy.canonical("category", ticket.category),
        "subcategory": policy.canonical("subcategory", ticket.subcategory),
        "service": policy.canonical("service", ticket.service),
        "configuration_item": ticket.configuration_item,
        "assignment_group": policy.canonical("assignment_group", state.assignment_group),
        "assignee": state.assignee,
        "status": state.status,
        "business_unit": policy.canonical("business_unit", ticket.business_unit),
        "region": policy.canonical("region", ticket.region),
        "service_line": policy.canonical("service_line", ticket.service_line),
        "risk": policy.canonical("risk", ticket.risk),
        "customer.id": ticket.customer.id,
        "customer.tier": policy.canonical("customer.tier", ticket.customer.tier),
        "customer.vip": ticket.customer.vip,
        "reassignment_count": state.reassignment_count,
        "reopen_count": state.reopen_count,
        "acknowledged": state.acknowledged_at is not None,
        "regulatory_flags": frozenset(ticket.regulatory_flags),
    }
    for name, value in ticket.fields.items():
        facts["fields." + name] = value

    # 1. Clocks.
    steps = _steps(ticket)
    clock_states: list[ClockState] = []
    cycles_of: dict[str, list[Any]] = {}
    for clock in policy.clocks:
        cycles = run_cycles(clock, steps)
        cycles_of[clock.name] = cycles
        cs = ClockState(clock, cycles, priority, now)
        clock_states.append(cs)
        facts["clock." + clock.name] = cs
        facts[f"clock.{clock.name}.state"] = cs.state
        facts[f"clock.{clock.name}.breached"] = cs.breached

    resolved = state.status in RESOLVED_STATUSES
    done = state.done_action_ids
    actions: list[Action] = []
    requests: dict[str, list[Request]] = {p.name: [] for p in policy.paths}
    wakeups: list[datetime] = []

    def emit(action: Action) -> None:
        actions.append(action)

    # 2. Clock ladders: every reached rung feeds paths; the highest reached one emits.
    for cs in clock_states:
        clock = cs.definition
        if not cs.applies:
            continue
        if cs.state == RUNNING and cs.breach_at is not None and cs.breach_at > now:
            wakeups.append(cs.breach_at)
        top: tuple[Rung, datetime] | None = None
        for rung in clock.ladder:
            reached = cs.reached_at(cs.rung_amount_us(rung.share))
            if reached is None:
                continue
            if reached > now:
                wakeups.append(reached)
                continue
            top = (rung, reached)
            for act in rung.actions:
                assert isinstance(act, ActionDef)
                if act.path is not None and act.level is not None:
                    source = f"clock:{clock.name}@{rung.text}"
                    requests[act.path].append(Request(reached, act.level, source))
        if top is None or resolved:
            continue
        rung, reached = top
        source = f"clock:{clock.name}@{rung.text}"
        instance = f"{clock.name}#{cs.cycle}@{rung.index}"
        for act in rung.actions:
            assert isinstance(act, ActionDef)
            if act.path is not None:
                continue  # its effect is the path's level, emitted by the path
            action_id = f"{ticket.id}:clock:{instance}:{act.kind}{act.index}"
            if action_id in done:
                continue
            emit(_action(act, action_id, source, reached, now, rung.rationale))

    # 3. Rules that do not read paths (they may move paths).
    results: dict[str, RuleResult] = {}
    shadow_from: RuleDef | None = None

    def run_rules(reads_paths: bool) -> None:
        nonlocal shadow_from
        for rule in policy.rules:
            if rule.reads_paths is not reads_paths:
                continue
            if not rule.when.check(facts):
                results[rule.id] = RuleResult(rule, NOT_MATCHED)
                for wake in _rule_wakeups(rule, facts, clock_states, cycles_of, priority, now):
                    wakeups.append(wake)
                continue
            if shadow_from is not None and shadow_from.order != rule.order:
                results[rule.id] = RuleResult(rule, SHADOWED, f"by final rule {shadow_from.id}")
                continue
            if rule.final:
                shadow_from = rule
            # A trigger instance is one unbroken stretch of the condition holding, named by the
            # instant it began: a rule fires once per stretch, again only after a break.
            triggered = _rule_triggered_at(policy, rule, ticket, facts, now, histories)
            instance = _stamp(triggered)
            emitted = 0
            for act in rule.actions:
                if act.path is not None and act.level is not None:
                    requests[act.path].append(Request(triggered, act.level, f"rule:{rule.id}"))
                    continue
                action_id = f"{ticket.id}:rule:{rule.id}:{instance}:{act.kind}{act.index}"
                if action_id in done:
                    continue
                emit(_action(act, action_id, f"rule:{rule.id}", triggered, now, rule.rationale))
                emitted += 1
            has_direct = any(a.path is None for a in rule.actions)
            status = DONE if has_direct and not emitted else MATCHED
            results[rule.id] = RuleResult(rule, status)

    histories: dict[str, tuple[tuple[datetime, int], ...]] = {}
    run_rules(False)

    # 4. Paths.
    cycle_start = ticket.opened_at
    for event in ticket.events:
        if event.type == "reopened":
            cycle_start = event.at
    acks = [e.at for e in ticket.events if e.type == "acknowledged" and e.at >= cycle_start]
    path_states: list[tuple[PathDef, PathState]] = []
    for path in policy.paths:
        if path.when is not None and not path.when.check(facts):
            st = PathState(path.name, path.kind, False, None, None, 0, 0, None, "criteria", None)
            path_states.append((path, st))
            continue
        reqs = sorted(
            (r for r in requests[path.name] if r.at >= cycle_start),
            key=lambda r: (r.at, -r.level, r.source),
        )
        st = simulate(
            path,
            cycle=state.reopen_count + 1,
            cycle_start=cycle_start,
            requests=reqs,
            acks=acks,
            resolved_at=state.resolved_at if resolved else None,
            now=now,
        )
        path_states.append((path, st))
        histories[path.name] = st.history
        if st.next_move_at is not None:
            wakeups.append(st.next_move_at)
        if st.active and st.level_index is not None:
            facts[f"path.{path.name}.level_index"] = st.level_index
            facts[f"path.{path.name}.level"] = path.levels[st.level_index].name
        facts[f"path.{path.name}.active"] = st.active
        if not st.active or resolved or st.level_index is None or st.entered_at is None:
            continue
        if path.starts_on_open and st.level_index == 0 and st.round == 0:
            continue  # the ticket starts there by assignment; nothing to do
        level = path.levels[st.level_index]
        kind = "escalate" if path.kind == "vertical" else "transfer"
        action_id = f"{ticket.id}:path:{path.name}:{st.cycle}:{st.round}:{level.name}"
        if action_id in done:
            continue
        emit(
            Action(
                id=action_id,
                kind=kind,
                source=f"path:{path.name}",
                due_at=st.entered_at,
                late=now > st.entered_at,
                targets=level.targets,
                details=_level_details(path, level, st),
                rationale=f"entered {level.name} by {st.reason}",
            )
        )

    # 5. Rules that read path levels (e.g. post-mortem at level >= 2).
    run_rules(True)

    future = [w for w in wakeups if w > now]
    next_at = min(future) if future else None
    input_digest = hashlib.sha256(
        f"{policy.content_hash}\x1f{ticket.digest()}\x1f{now_us}".encode()
    ).hexdigest()
    return Decision(
        policy_id=policy.id,
        policy_version=policy.version,
        policy_hash=policy.content_hash,
        ticket_id=ticket.id,
        input_digest=input_digest,
        evaluated_at=now,
        priority=priority,
        actions=tuple(actions),
        clocks=tuple(clock_states),
        paths=tuple(path_states),
        next_evaluation_at=next_at,
        rule_results=tuple(results[r.id] for r in policy.rules),
        facts=facts,
    )


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
        details["due_by"] = (due_at + act.within).isoformat()
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


# The ticket fields that change through events, and the event types that change them.
_FIELD_EVENTS: dict[str, frozenset[str]] = {
    "status": frozenset({"status-changed", "resolved", "closed", "reopened"}),
    "priority": frozenset({"priority-changed"}),
    "assignment_group": frozenset({"assigned"}),
    "assignee": frozenset({"assigned"}),
    "reassignment_count": frozenset({"assigned"}),
    "reopen_count": frozenset({"reopened"}),
    "acknowledged": frozenset({"acknowledged", "reopened"}),
}


def _historic_facts(
    policy: Policy,
    ticket: Ticket,
    facts: Mapping[str, Any],
    at: datetime,
    paths: Mapping[str, tuple[tuple[datetime, int], ...]],
) -> dict[str, Any]:
    """The facts as they were at ``at``, for the fields that have a history."""
    past = dict(facts)
    state = ticket.state_at(at)
    past["status"] = state.status
    past["priority"] = policy.priority_of(ticket, state.priority)
    past["assignment_group"] = policy.canonical("assignment_group", state.assignment_group)
    past["assignee"] = state.assignee
    past["reassignment_count"] = state.reassignment_count
    past["reopen_count"] = state.reopen_count
    past["acknowledged"] = state.acknowledged_at is not None
    for name, history in paths.items():
        index = None
        for entered, level in history:
            if entered <= at:
                index = level
        past[f"path.{name}.level_index"] = index
    return past


def _rule_triggered_at(
    policy: Policy,
    rule: RuleDef,
    ticket: Ticket,
    facts: Mapping[str, Any],
    now: datetime,
    paths: Mapping[str, tuple[tuple[datetime, int], ...]],
) -> datetime:
    """When the current trigger instance of a matching rule began.

    Walks back over the instants at which a field the rule reads changed (status, priority
    and assignment events, path level entries) to the earliest one from which the condition
    has held without a break, then takes the later of that and the instants at which its clock
    conditions were crossed. Fields without a history (category, customer ...) are taken to
    have held since the ticket opened.
    """
    reads = rule.fields
    changing: set[str] = set()
    for name in reads:
        changing |= _FIELD_EVENTS.get(name, frozenset())
    candidates = [ticket.opened_at]
    if changing:
        candidates += [e.at for e in ticket.events if e.type in changing]
    read_paths = {name: h for name, h in paths.items() if f"path.{name}.level" in reads}
    for history in read_paths.values():
        candidates += [entered for entered, _ in history if entered <= now]
    candidates = sorted(set(candidates))
    at = candidates[0]
    for i in range(len(candidates) - 1, 0, -1):
        before = candidates[i] - timedelta(microseconds=1)
        if not rule.when.check(_historic_facts(policy, ticket, facts, before, read_paths)):
            at = candidates[i]
            break
    for leaf in leaves(rule.when):
        if not leaf.field.startswith("clock."):
            continue
        crossed = _clock_leaf_instant(leaf.field, leaf.op, leaf.expected, facts)
        if crossed is not None and crossed <= now:
            at = max(at, crossed)
    return at


def _clock_leaf_instant(
    name: str, op: str, expected: object, facts: Mapping[str, Any]
) -> datetime | None:
    """The instant a clock comparison crosses its threshold in this cycle (past or future)."""
    _, clock, attr = name.split(".", 2)
    cs: ClockState = facts["clock." + clock]
    amount: int | None = None
    if attr == "percent" and isinstance(expected, int | float) and not isinstance(expected, bool):
        amount = cs.rung_amount_us(Fraction(str(expected)) / 100)
    elif attr in ("elapsed", "remaining") and isinstance(expected, str):
        delta = parse_duration(expected, (), allow_business_days=False).delta // ONE_US
        amount = delta if attr == "elapsed" else cs.target_us - delta
    elif attr == "breached":
        amount = cs.target_us
    elif attr == "state":
        return cs.started_at
    if amount is None:
        return None
    if op in ("gt", "lt"):
        amount += 1
    return cs.reached_at(amount)


def _rule_wakeups(
    rule: RuleDef,
    facts: Mapping[str, Any],
    clocks: Sequence[ClockState],
    cycles_of: Mapping[str, list[Any]],
    priority: str | None,
    now: datetime,
) -> list[datetime]:
    """The first future instant at which a rule that does not match now would match.

    Only clock conditions change without new events; each crossing instant is checked by
    re-evaluating the rule with the clocks as they will be then.
    """
    if not rule.clock_leaves:
        return []
    candidates = set()
    for leaf in leaves(rule.when):
        if (
            leaf.field.startswith("clock.")
            and facts["clock." + leaf.field.split(".")[1]].state == RUNNING
        ):
            crossed = _clock_leaf_instant(leaf.field, leaf.op, leaf.expected, facts)
            if crossed is not None and crossed > now:
                candidates.add(crossed)
    for when in sorted(candidates):
        future = dict(facts)
        for cs in clocks:
            later = ClockState(cs.definition, cycles_of[cs.name], priority, when)
            future["clock." + cs.name] = later
            future[f"clock.{cs.name}.state"] = later.state
            future[f"clock.{cs.name}.breached"] = later.breached
        if rule.when.check(future):
            return [when]
    return []


# --------------------------------------------------------------------------------------------
# Compilation
# --------------------------------------------------------------------------------------------


def validate_spec(data: object, locate: Positions) -> PolicySpec:
    """Validate raw YAML data against the schema; the first problem becomes a PolicyError."""
    if not isinstance(data, Mapping):
        raise PolicyError(
            f"a policy is a mapping with 'policy', 'version', ...; got {type(data).__name__}",
            source=locate(()),
        )
    try:
        return PolicySpec.model_validate(data, strict=True)
    except ValidationError as exc:
        errors = sorted(exc.errors(), key=lambda e: [str(p) for p in e["loc"]])
        first = errors[0]
        loc: Path = tuple(p for p in first["loc"] if isinstance(p, str | int))
        # pydantic adds union-member names to the location; keep the keys that exist in YAML.
        clean = _clean_loc(data, loc)
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        if first["type"] == "extra_forbidden":
            key = str(clean[-1]) if clean else "?"
            raise PolicyError(
                f"unknown key {key!r}{more}",
                path=clean,
                source=locate(clean),
                suggestion=suggest(key, _known_keys()),
            ) from None
        value = first.get("input")
        raise PolicyError(
            f"{first['msg']} (got {value!r}){more}", path=clean, source=locate(clean)
        ) from None


def _clean_loc(data: object, loc: Path) -> Path:
    out: list[str | int] = []
    node: Any = data
    for part in loc:
        in_mapping = isinstance(node, Mapping) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if in_mapping or in_list:
            node = node[part]
            out.append(part)
        elif isinstance(node, Mapping) and isinstance(part, str) and part not in node:
            # a missing required key, or a union tag: name it if it is a real key
            if part in _known_keys():
                out.append(part)
            break
    return tuple(out)


def _known_keys() -> set[str]:
    from pydantic import BaseModel

    from . import schema

    keys: set[str] = set()
    for obj in vars(schema).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            keys.update(obj.model_fields)
    return keys


def content_hash(data: object) -> str:
    """sha256 of the policy's canonical JSON: key order does not matter, list order does."""

    def default(value: object) -> str:
        if isinstance(value, date | datetime):
            return value.isoformat()
        raise TypeError(f"cannot hash {type(value).__name__}")

    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=default)
    return hashlib.sha256(text.encode()).hexdigest()


def compile_policy(
    data: object,
    *,
    locate: Positions = lambda path: None,
    source: str = "<string>",
) -> Policy:
    """Validate and compile policy data (as parsed from YAML) into a :class:`Policy`."""
    spec = validate_spec(data, locate)
    assert isinstance(data, Mapping)
    try:
        return _Compiler(spec, data, locate, source).compile()
    except PolicyError as exc:
        if exc.source is None:
            raise exc.located(locate(exc.path)) from None
        raise


class _Compiler:
    def __init__(
        self, spec: PolicySpec, raw: Mapping[str, Any], locate: Positions, source: str
    ) -> None:
        self.spec = spec
        self.raw = raw
        self.locate = locate
        self.source = source
        self.calendars: dict[str, Calendar] = {}
        self.aliases: dict[str, dict[str, str]] = {}
        self.priorities: tuple[str, ...] | None = None
        self.fields: dict[str, FieldSpec] = {}
        self.path_defs: dict[str, PathDef] = {}

    def compile(self) -> Policy:
        spec = self.spec
        self._terminology()
        self.calendars["24x7"] = Calendar.from_config("24x7")
        for name in sorted(spec.calendars):
            if name == "24x7":
                raise PolicyError("'24x7' is built in; pick another name", path=("calendars", name))
            self.calendars[name] = Calendar.from_config(
                spec.calendars[name], path=("calendars", name)
            )
        self._base_fields()
        clocks = tuple(
            sorted(
                (self._clock(name, c) for name, c in spec.clocks.items()),
                key=lambda c: (c.precedence, c.name),
            )
        )
        for name in sorted(spec.paths):
            self.path_defs[name] = self._path(name, spec.paths[name])
        for name in sorted(spec.paths):
            level_names = tuple(level.name for level in spec.paths[name].levels)
            self.fields[f"path.{name}.level"] = FieldSpec(LEVEL, level_names)
            self.fields[f"path.{name}.active"] = FieldSpec(BOOL)
        # Path criteria and ladders are compiled after the fields they may read exist.
        clocks = tuple(self._clock_ladder(c, spec.clocks[c.name]) for c in clocks)
        paths = tuple(
            self._path_criteria(self.path_defs[n], spec.paths[n]) for n in sorted(spec.paths)
        )
        rules = self._rules()
        return Policy(
            spec=spec,
            calendars=self.calendars,
            clocks=clocks,
            paths=paths,
            rules=rules,
            aliases=self.aliases,
            content_hash=content_hash(self.raw),
            source=self.source,
        )

    # -- terminology and fields ---------------------------------------------------------------

    def _terminology(self) -> None:
        for field, table in sorted(self.spec.terminology.items()):
            where: Path = ("terminology", field)
            if field not in TERMINOLOGY_FIELDS:
                raise PolicyError(
                    f"terminology for unknown field {field!r}",
                    path=where,
                    suggestion=suggest(field, TERMINOLOGY_FIELDS),
                )
            aliases: dict[str, str] = {}
            for canonical in sorted(table):
                for alias in [canonical, *table[canonical]]:
                    key = alias.strip().casefold()
                    if aliases.get(key, canonical) != canonical:
                        raise PolicyError(
                            f"alias {alias!r} maps to both {aliases[key]!r} and {canonical!r}",
                            path=(*where, canonical),
                        )
                    aliases[key] = canonical
            self.aliases[field] = aliases
        if "priority" in self.aliases:
            self.priorities = tuple(sorted(set(self.aliases["priority"].values())))
        for impact, row in sorted(self.spec.priority_matrix.items()):
            for urgency, priority in sorted(row.items()):
                where = ("priority_matrix", impact, urgency)
                self._known("impact", impact, ("priority_matrix", impact))
                self._known("urgency", urgency, where)
                self._known("priority", priority, where)

    def _known(self, field: str, value: str, path: Path) -> None:
        table = self.aliases.get(field)
        if table is not None and value not in table.values():
            known = sorted(set(table.values()))
            raise PolicyError(
                f"{value!r} is not a canonical {field} (known: {', '.join(known)})",
                path=path,
                suggestion=suggest(value, known),
            )

    def _base_fields(self) -> None:
        fields = self.fields
        for name in STRING_FIELDS:
            values: tuple[str, ...] | None = None
            if name in self.aliases:
                values = tuple(sorted(set(self.aliases[name].values())))
            fields[name] = FieldSpec(STR, values)
        fields["kind"] = FieldSpec(STR, KINDS)
        fields["status"] = FieldSpec(STR, STATUSES)
        fields["customer.vip"] = FieldSpec(BOOL)
        fields["acknowledged"] = FieldSpec(BOOL)
        fields["reassignment_count"] = FieldSpec(INT)
        fields["reopen_count"] = FieldSpec(INT)
        fields["regulatory_flags"] = FieldSpec(SET)
        kinds = {"string": STR, "integer": INT, "boolean": BOOL}
        for name, kind in sorted(self.spec.custom_fields.items()):
            fields["fields." + name] = FieldSpec(kinds[kind])
        for name in sorted(self.spec.clocks):
            fields[f"clock.{name}.percent"] = FieldSpec(PERCENT)
            fields[f"clock.{name}.elapsed"] = FieldSpec(DURATION)
            fields[f"clock.{name}.remaining"] = FieldSpec(DURATION)
            fields[f"clock.{name}.breached"] = FieldSpec(BOOL)
            fields[f"clock.{name}.state"] = FieldSpec(STR, CLOCK_STATES)

    # -- clocks ---------------------------------------------------------------------------------

    def _triggers(self, spec: TriggerSpec | list[TriggerSpec], path: Path) -> tuple[Trigger, ...]:
        items = spec if isinstance(spec, list) else [spec]
        out = []
        for i, item in enumerate(items):
            where = (*path, i) if isinstance(spec, list) else path
            events = self._names(item.event, EVENT_TYPES, "event type", (*where, "event"))
            statuses = self._names(item.status, STATUSES, "status", (*where, "status"))
            out.append(Trigger(events, statuses))
        return tuple(out)

    @staticmethod
    def _names(
        value: list[str] | str | None, allowed: Sequence[str], what: str, path: Path
    ) -> frozenset[str] | None:
        if value is None:
            return None
        items = [value] if isinstance(value, str) else value
        for i, item in enumerate(items):
            if item not in allowed:
                raise PolicyError(
                    f"unknown {what} {item!r} (known: {', '.join(allowed)})",
                    path=path if isinstance(value, str) else (*path, i),
                    suggestion=suggest(item, allowed),
                )
        return frozenset(items)

    def _clock(self, name: str, spec: ClockSpec) -> ClockDef:
        path: Path = ("clocks", name)
        targets: dict[str, Target] = {}
        for priority in sorted(spec.targets):
            target = spec.targets[priority]
            where = (*path, "targets", priority)
            known = self.priorities
            if priority != "default" and known is not None and priority not in known:
                raise PolicyError(
                    f"{priority!r} is not a canonical priority "
                    f"(known: {', '.join(known)}, or 'default')",
                    path=where,
                    suggestion=suggest(priority, known),
                )
            duration = parse_duration(target.within, (*where, "within"))
            targets[priority] = Target(
                duration, target.calendar, self._calendar(target.calendar, (*where, "calendar"))
            )
        pause = self._names(
            spec.pause.status if spec.pause else None,
            STATUSES,
            "status",
            (*path, "pause", "status"),
        )
        new_cycle = self._names(
            spec.new_cycle_on, EVENT_TYPES, "event type", (*path, "new_cycle_on")
        )
        return ClockDef(
            name=name,
            type=spec.type,
            precedence=spec.precedence,
            start=self._triggers(spec.start, (*path, "start")),
            stop=self._triggers(spec.stop, (*path, "stop")),
            pause=pause or frozenset(),
            new_cycle_on=new_cycle or frozenset(),
            restart_on_priority_change=spec.on_priority_change == "restart",
            targets=targets,
            ladder=(),
        )

    def _clock_ladder(self, clock: ClockDef, spec: ClockSpec) -> ClockDef:
        rungs: list[Rung] = []
        previous = None
        for i, rung in enumerate(spec.ladder):
            where: Path = ("clocks", clock.name, "ladder", i)
            share = parse_percent(rung.at, (*where, "at"))
            if previous is not None and share <= previous:
                raise PolicyError(
                    f"ladder rungs must rise: {rung.at} is not above the rung before it",
                    path=(*where, "at"),
                )
            previous = share
            rungs.append(Rung(i, share, rung.at, self._actions(rung, where), rung.rationale))
        return ClockDef(
            name=clock.name,
            type=clock.type,
            precedence=clock.precedence,
            start=clock.start,
            stop=clock.stop,
            pause=clock.pause,
            new_cycle_on=clock.new_cycle_on,
            restart_on_priority_change=clock.restart_on_priority_change,
            targets=clock.targets,
            ladder=tuple(rungs),
        )

    def _calendar(self, name: str, path: Path) -> Calendar:
        found = self.calendars.get(name)
        if found is None:
            raise PolicyError(
                f"unknown calendar {name!r}",
                path=path,
                suggestion=suggest(name, self.calendars),
            )
        return found

    # -- paths ----------------------------------------------------------------------------------

    def _path(self, name: str, spec: PathSpec) -> PathDef:
        path: Path = ("paths", name)
        seen: set[str] = set()
        levels = []
        for i, level in enumerate(spec.levels):
            where = (*path, "levels", i)
            if level.name in seen:
                raise PolicyError(f"level {level.name!r} appears twice", path=(*where, "name"))
            seen.add(level.name)
            levels.append(self._level(i, level, where))
        starts = spec.starts or ("on-open" if spec.kind == "vertical" else "on-trigger")
        return PathDef(
            name=name,
            kind=spec.kind,
            starts_on_open=starts == "on-open",
            when=None,
            repeat=spec.repeat,
            levels=tuple(levels),
        )

    def _path_criteria(self, path: PathDef, spec: PathSpec) -> PathDef:
        if spec.when is None:
            return path
        when = compile_condition(
            spec.when, self._fields_without_paths(), ("paths", path.name, "when")
        )
        return PathDef(path.name, path.kind, path.starts_on_open, when, path.repeat, path.levels)

    def _fields_without_paths(self) -> dict[str, FieldSpec]:
        return {k: v for k, v in self.fields.items() if not k.startswith("path.")}

    def _level(self, index: int, spec: LevelSpec, path: Path) -> LevelDef:
        for i, target in enumerate(spec.targets):
            self._target(target, (*path, "targets", i), TARGET_KINDS)
        for i, target in enumerate(spec.fallback):
            self._target(target, (*path, "fallback", i), TARGET_KINDS)
        if spec.on_empty == "fallback" and not spec.fallback:
            raise PolicyError(
                "on_empty: fallback needs a 'fallback' list", path=(*path, "fallback")
            )
        calendar = self._calendar(spec.calendar, (*path, "calendar")) if spec.calendar else None
        after = parse_duration(spec.after, (*path, "after")) if spec.after else None
        at = parse_duration(spec.at, (*path, "at")) if spec.at else None
        in_days = (after and after.is_business_days) or (at and at.is_business_days)
        if in_days and calendar is None:
            raise PolicyError("business days need the level's 'calendar'", path=(*path, "calendar"))
        timeout = None
        if spec.ack_timeout:
            timeout = parse_duration(
                spec.ack_timeout, (*path, "ack_timeout"), allow_business_days=False
            ).delta
        for key in ("ack_within", "resolve_within"):
            value = getattr(spec, key)
            if value is not None:
                parse_duration(value, (*path, key))
        return LevelDef(
            name=spec.name,
            index=index,
            targets=tuple(spec.targets),
            after=after,
            at=at,
            calendar_name=spec.calendar,
            calendar=calendar,
            ack_timeout=timeout,
            until_resolved=spec.until == "resolved",
            on_empty=spec.on_empty,
            fallback=tuple(spec.fallback),
            owner=spec.owner,
            ack_within=spec.ack_within,
            resolve_within=spec.resolve_within,
            authority=tuple(spec.authority),
        )

    @staticmethod
    def _target(target: str, path: Path, kinds: Sequence[str]) -> None:
        kind, sep, name = target.partition(":")
        if not sep or kind not in kinds or not name:
            raise PolicyError(
                f"target {target!r} must look like '<kind>:<name>' with kind one of "
                f"{', '.join(kinds)}",
                path=path,
                suggestion=suggest(kind, kinds) if sep else None,
            )

    # -- actions and rules ----------------------------------------------------------------------

    def _actions(self, spec: ActionSpec | list[ActionSpec], path: Path) -> tuple[ActionDef, ...]:
        items = spec if isinstance(spec, list) else [spec]
        out: list[ActionDef] = []
        for i, item in enumerate(items):
            where = (*path, i) if isinstance(spec, list) else path
            for kind in ACTION_KINDS:
                body = getattr(item, kind)
                if body is not None:
                    out.append(self._action(kind, body, len(out), (*where, kind)))
        return tuple(out)

    def _action(self, kind: str, body: Any, index: int, path: Path) -> ActionDef:
        if kind in ("escalate", "transfer"):
            target_path = self.path_defs.get(body.path)
            if target_path is None:
                raise PolicyError(
                    f"unknown path {body.path!r}",
                    path=(*path, "path"),
                    suggestion=suggest(body.path, self.path_defs),
                )
            if kind == "transfer" and target_path.kind != "horizontal":
                raise PolicyError(
                    f"transfer goes to a horizontal path; {body.path!r} is vertical (use escalate)",
                    path=(*path, "path"),
                )
            level_name = body.to if body.to is not None else target_path.levels[0].name
            names = [level.name for level in target_path.levels]
            if level_name not in names:
                raise PolicyError(
                    f"path {body.path!r} has no level {level_name!r} (levels: {', '.join(names)})",
                    path=(*path, "to"),
                    suggestion=suggest(level_name, names),
                )
            return ActionDef(
                kind=kind,
                index=index,
                targets=(),
                details={"path": body.path, "level": level_name},
                path=body.path,
                level=names.index(level_name),
            )
        details = body.model_dump(mode="json")
        targets: tuple[str, ...] = ()
        within = None
        if kind == "notify":
            for i, target in enumerate(body.to):
                if target not in NOTIFY_SPECIAL:
                    self._target(target, (*path, "to", i), TARGET_KINDS)
            targets = tuple(body.to)
            details.pop("to")
        elif kind == "open_bridge":
            for i, target in enumerate(body.participants):
                self._target(target, (*path, "participants", i), TARGET_KINDS)
            targets = tuple(body.participants)
            details.pop("participants")
        elif kind == "require_postmortem":
            within = parse_duration(body.within, (*path, "within"), allow_business_days=False).delta
        return ActionDef(kind=kind, index=index, targets=targets, details=details, within=within)

    def _rules(self) -> tuple[RuleDef, ...]:
        seen: dict[str, int] = {}
        compiled: list[RuleDef] = []
        for order, spec in enumerate(self.spec.rules):
            path: Path = ("rules", order)
            if spec.id in seen:
                raise PolicyError(
                    f"rule id {spec.id!r} is also used by rules[{seen[spec.id]}]",
                    path=(*path, "id"),
                )
            seen[spec.id] = order
            when = compile_condition(spec.when, self.fields, (*path, "when"))
            actions = self._actions(spec.then, (*path, "then"))
            fields = referenced_fields(when)
            reads_paths = any(f.startswith("path.") for f in fields)
            if reads_paths and any(a.path is not None for a in actions):
                raise PolicyError(
                    "a rule that reads path levels cannot escalate or transfer (the path "
                    "level would depend on itself)",
                    path=(*path, "then"),
                )
            clock_leaves = tuple(
                sorted({f.split(".")[1] for f in fields if f.startswith("clock.")})
            )
            positions = {
                leaf.path: pos
                for leaf in leaves(when)
                if (pos := self.locate(leaf.path)) is not None
            }
            compiled.append(
                RuleDef(
                    id=spec.id,
                    order=order,
                    priority=spec.priority,
                    when=when,
                    actions=actions,
                    final=spec.final,
                    reads_paths=reads_paths,
                    fields=fields,
                    clock_leaves=clock_leaves,
                    rationale=spec.rationale,
                    positions=positions,
                )
            )
        # Precedence is declared: higher priority first, then file order.
        return tuple(sorted(compiled, key=lambda r: (-r.priority, r.order)))


RuleSpecs = list[RuleSpec]
DurationSpec = Duration
