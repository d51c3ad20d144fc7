"""The post-mortem follow-up stage: owner, due dates, action items, threshold actions.

The document's due date and owner, its action items, and the threshold actions that escalate
what is overdue.

Runs for a policy with a ``postmortem:`` section, after the rules that require post-mortems
(:func:`run_followup`), and before the rules that read ``postmortem.status`` and
``postmortem.overdue_items`` (:func:`~escalate.engine.matching.run_rules` with
``reads_postmortem``). The post-mortem is the one the earliest ``require_postmortem`` action
asked for: one due now, recorded done (its id read back: ``rule:<id>:<stamp>`` or
``clock:<name>#<cycle>@<rung>``) or missed when the ticket ended.

Each action item and the document are measured as a clock cycle is
(:class:`~escalate.engine.clocks.ClockState` over one :class:`~escalate.engine.clocks.Cycle`):
started at the item's first recording (the requirement), stopped when it is done or dropped
(published), against its allowed time. The section's thresholds are that clock's ladder:
the rungs reached by now are found by the clock's own arithmetic (exact, on the calendar), the
highest reached one's actions are due until recorded done, and the next rung and the due
instant are wake-ups. Unlike a clock's ladder, they stay due after the ticket ended: the
follow-up happens after the incident. Threshold actions stop being due once their item is
closed (the document published).

An item is overdue from its due instant (or the event that set that due, when it was already
past then) while open; one closed at exactly its due instant was on time. Rules reading
``postmortem.overdue_items`` see the count at any past instant through sorted +1/-1
transitions and a bisection: linear in the items.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from escalate.calendars._durations import Duration, format_duration
from escalate.calendars._instants import ONE_US
from escalate.engine.actions import ActionDef
from escalate.engine.clocks import (
    WALL,
    ClockDef,
    ClockState,
    Cycle,
    Rung,
    Target,
    cycles_as_of,
)
from escalate.engine.context import Context, stamp
from escalate.engine.decision import Action
from escalate.engine.facts import Facts
from escalate.engine.history import Event
from escalate.engine.outcome import Outcome, make_action
from escalate.engine.postmortem import (
    PM_OVERDUE_ITEMS,
    PM_STATUS,
    Postmortem,
    PostmortemDef,
    PostmortemItem,
)
from escalate.engine.rules import RuleDef
from escalate.engine.targets import directory_targets, watch

__all__ = ["OWNER_TARGETS", "run_followup"]

#: The notify targets that stand for an owner in the section's thresholds.
OWNER_TARGETS = (
    "postmortem-owner",
    "postmortem-owner-manager",
    "item-owner",
    "item-owner-manager",
)
_KIND = "require_postmortem"
_NONE: Mapping[str, Any] = {PM_STATUS: "none", PM_OVERDUE_ITEMS: 0}


@dataclass(frozen=True, slots=True)
class _Requirement:
    at: datetime
    id: str
    due_by: datetime
    owner: str | None  # as the action's ``owner`` writes it


@dataclass(slots=True)
class _Item:
    """An action item as its events leave it (mutable while they are read)."""

    id: str
    title: str
    owner: str
    recorded_at: datetime
    dues: list[tuple[datetime, datetime | None]]  # (from, explicit due; None: the default)
    closed_at: datetime | None = None
    dropped: bool = False
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class _Measured:
    """One item (or the document) measured at now: its clock state, its due instants over
    time (``(from, due)``, one per revision; ``None``: no due date), its start and its
    closing (``None``: open)."""

    state: ClockState
    dues: tuple[tuple[datetime, datetime | None], ...]
    start: datetime
    closed_at: datetime | None
    on_calendar: bool = False  # measured on the section's calendar (not in real time)

    @property
    def due_at(self) -> datetime | None:
        return self.dues[-1][1]

    @staticmethod
    def overdue_from(since: datetime, due: datetime | None) -> datetime | None:
        """When a revision in force from ``since`` with this ``due`` makes the item overdue:
        its due instant, or the revision itself for a due already past then."""
        return None if due is None else max(due, since)

    def overdue_since(self, now: datetime) -> datetime | None:
        since = self.overdue_from(*self.dues[-1])
        if since is None or since > now:
            return None
        closed = self.closed_at
        return since if closed is None or closed > since else None

    def overdue_spans(self) -> list[tuple[datetime, datetime | None]]:
        """The spans ``[from, to)`` over which it was open and past the due in force (``to``
        ``None``: still so), one at most per revision, in time order: the revision's
        overdue instant up to the next revision or the closing."""
        spans: list[tuple[datetime, datetime | None]] = []
        closed = self.closed_at
        for i, (since, due) in enumerate(self.dues):
            lo = self.overdue_from(since, due)
            if lo is None:
                continue
            lo = max(lo, self.start)
            hi = self.dues[i + 1][0] if i + 1 < len(self.dues) else None
            if closed is not None and (hi is None or closed < hi):
                hi = closed
            if hi is None or lo < hi:
                spans.append((lo, hi))
        return spans


class _Overdue:
    """How many items were overdue at any instant: the items' overdue spans as sorted +1/-1
    transitions with running counts, looked up by bisection (the rules that read
    ``postmortem.overdue_items`` ask at every change: linear in the items, not quadratic)."""

    __slots__ = ("counts", "instants")

    def __init__(self, measured: Sequence[_Measured]) -> None:
        deltas: dict[datetime, int] = {}
        for m in measured:
            for lo, hi in m.overdue_spans():
                deltas[lo] = deltas.get(lo, 0) + 1
                if hi is not None:
                    deltas[hi] = deltas.get(hi, 0) - 1
        self.instants = sorted(deltas)
        self.counts: list[int] = []
        running = 0
        for at in self.instants:
            running += deltas[at]
            self.counts.append(running)

    def at(self, at: datetime) -> int:
        """How many were overdue at ``at`` (after ``at``'s events)."""
        i = bisect.bisect_right(self.instants, at)
        return self.counts[i - 1] if i else 0


def run_followup(
    ctx: Context,
    spec: PostmortemDef,
    facts: Facts,
    clocks: Sequence[ClockState],
    cycles: Mapping[str, list[Cycle]],
    out: Outcome,
) -> Postmortem | None:
    """The ticket's post-mortem at now (``None``: none was required), its due threshold
    actions and wake-ups added to ``out``, and the ``postmortem.*`` facts (now and, for the
    rules' stretches, at past instants) recorded in ``facts``."""
    required = _requirement(ctx, facts, clocks, cycles, out)
    if required is None:
        facts.current.update(_NONE)
        facts.record_postmortem(lambda at: _NONE, ())
        return None
    now = ctx.now
    defaults: dict[datetime, datetime | None] = {}

    def default(start: datetime) -> datetime | None:
        if start not in defaults:
            defaults[start] = _default_due(spec, start)
        return defaults[start]

    owner, owner_from, doc_dues, published_at, items = _read(ctx.ticket.events, required, default)
    if owner is None and required.owner is not None:
        owner = _policy_owner(ctx, required.owner, required.at)
        owner_from = None if owner is None else "policy"
    # The document: from the requirement to its due date, in real time.
    doc = _measure(spec, doc_dues, required.at, published_at, now, document=True)
    doc_revision = len(doc.dues)
    status = "published" if published_at is not None else "pending"
    if published_at is None and doc.overdue_since(now) is not None:
        status = "overdue"
    owners = {"postmortem-owner": owner}
    if published_at is None:
        _thresholds(ctx, spec, out, doc, "document", doc_revision, owners)
    measured: list[tuple[_Item, _Measured]] = []
    found: list[PostmortemItem] = []
    for item in items:
        m = _measure(spec, item.dues, item.recorded_at, item.closed_at, now, document=False)
        measured.append((item, m))
        if item.closed_at is None:
            _thresholds(
                ctx, spec, out, m, item.id, len(m.dues), {**owners, "item-owner": item.owner}
            )
        item_status = "dropped" if item.dropped else "done"
        if item.closed_at is None:
            item_status = "open" if m.overdue_since(now) is None else "overdue"
        found.append(
            PostmortemItem(
                id=item.id,
                title=item.title,
                owner=item.owner,
                recorded_at=item.recorded_at,
                due_at=m.due_at,
                target=m.state.target_text,
                revision=len(m.dues),
                status=item_status,
                percent=m.state.percent,
                overdue_since=m.overdue_since(now),
                closed_at=item.closed_at,
                reason=item.reason,
            )
        )
    postmortem = Postmortem(
        required_at=required.at,
        required_by=required.id,
        due_by=doc.due_at or required.due_by,  # the document always has one
        revision=doc_revision,
        owner=owner,
        owner_from=owner_from,
        published_at=published_at,
        status=status,
        percent=doc.state.percent,
        overdue_since=doc.overdue_since(now),
        items=tuple(found),
    )
    facts.current[PM_STATUS] = status
    facts.current[PM_OVERDUE_ITEMS] = postmortem.overdue_items

    overdue = _Overdue([m for _, m in measured])
    doc_spans = doc.overdue_spans()

    def past(at: datetime) -> Mapping[str, Any]:
        if at < required.at:
            return _NONE
        if published_at is not None and published_at <= at:
            state = "published"
        else:
            late = any(lo <= at and (hi is None or at < hi) for lo, hi in doc_spans)
            state = "overdue" if late else "pending"
        return {PM_STATUS: state, PM_OVERDUE_ITEMS: overdue.at(at)}

    changes = {required.at, *overdue.instants}
    if published_at is not None:
        changes.add(published_at)
    for lo, hi in doc_spans:
        changes.add(lo)
        if hi is not None:
            changes.add(hi)
    facts.record_postmortem(past, tuple(sorted(t for t in changes if t <= now)))
    return postmortem


# -- the requirement ---------------------------------------------------------------------------


def _requirement(
    ctx: Context,
    facts: Facts,
    clocks: Sequence[ClockState],
    cycles: Mapping[str, list[Cycle]],
    out: Outcome,
) -> _Requirement | None:
    """The earliest ``require_postmortem`` action of the ticket that became due: due now,
    recorded done, missed, or due once and no longer (the ticket reopened, a higher rung
    reached, the rule stopped matching). A requirement that became due is never forgotten.

    Candidates: the start of the earliest stretch of each rule carrying the action; every
    rung carrying it that each clock cycle reached by now; and each recorded id of such an
    action that was due when it was recorded (a retroactive priority change may have moved
    its rung since: the requirement stays where it was).
    """
    found = [_from_action(a) for a in out.actions if a.kind == _KIND]
    now = ctx.now
    for rule in ctx.policy.rules:
        acts = [a for a in rule.actions if a.kind == _KIND and a.within is not None]
        if not acts:
            continue
        if rule.reads_time:
            first = facts.first_stretch(rule.when, rule.fields, ctx.ticket.opened_at)
        else:
            stretches = facts.stretches(rule.when, rule.fields)
            first = stretches[0] if stretches else None
        if first is None or first[0] > now:
            continue
        began = first[0]
        if _shadowed(ctx, facts, rule, began):
            continue
        for act in acts:
            action_id = f"{ctx.ticket.id}:rule:{rule.id}:{stamp(began)}:{act.kind}{act.index}"
            found.append(_made(act, action_id, began))
    for clock in ctx.policy.clocks:
        rungs = [
            (rung, act)
            for rung in clock.ladder
            for act in rung.actions
            if act.kind == _KIND and act.within is not None
        ]
        if not rungs:
            continue
        for cs in _cycle_states(ctx, clock, clocks, cycles):
            if not cs.applies:
                continue
            for rung, act in rungs:
                reached = cs.rung_reached_at(cs.amount_us(rung))
                if reached is not None and reached <= now:
                    action_id = (
                        f"{ctx.ticket.id}:clock:{clock.name}#{cs.cycle}@{rung.index}:"
                        f"{act.kind}{act.index}"
                    )
                    found.append(_made(act, action_id, reached))
    prefix = f"{ctx.ticket.id}:"
    for action_id, recorded in ctx.done_at.items():
        if action_id.startswith(prefix) and f":{_KIND}" in action_id:
            done = _from_done(ctx, facts, cycles, action_id, action_id[len(prefix) :], recorded)
            if done is not None:
                found.append(done)
    return min(found, key=lambda r: (r.at, r.id)) if found else None


def _shadowed(ctx: Context, facts: Facts, rule: RuleDef, at: datetime) -> bool:
    """Whether a matched ``final`` rule of higher precedence shadowed ``rule`` at ``at`` (its
    actions were not due then)."""
    for final in ctx.policy.rules:
        if final.rank >= rule.rank:
            break
        if final.final:
            then = facts.at(at, clocks=bool(final.clock_leaves), paths=final.reads_paths)
            if final.when.check(then):
                return True
    return False


def _cycle_states(
    ctx: Context, clock: ClockDef, clocks: Sequence[ClockState], cycles: Mapping[str, list[Cycle]]
) -> list[ClockState]:
    """Every cycle of ``clock`` measured at now (the stage's own state where it has one)."""
    found = cycles.get(clock.name, [])
    states: list[ClockState] = []
    for k, cycle in enumerate(found):
        cs = next((c for c in clocks if c.name == clock.name and c.cycle == cycle.number), None)
        states.append(
            cs if cs is not None else ClockState(clock, found[: k + 1], ctx.priority, ctx.now)
        )
    return states


def _made(act: ActionDef, action_id: str, at: datetime) -> _Requirement:
    assert act.within is not None
    owner = act.details.get("owner")
    return _Requirement(at, action_id, at + act.within, None if owner is None else str(owner))


def _from_action(action: Action) -> _Requirement:
    due_by = datetime.fromisoformat(str(action.details["due_by"]))
    owner = action.details.get("owner")
    return _Requirement(action.due_at, action.id, due_by, None if owner is None else str(owner))


def _from_done(
    ctx: Context,
    facts: Facts,
    cycles: Mapping[str, list[Cycle]],
    action_id: str,
    rest: str,
    recorded: datetime,
) -> _Requirement | None:
    """A recorded ``require_postmortem`` action read back from its id, if it was due when it
    was recorded (as the ticket stood then): a rule's
    (``rule:<id>:<stamp>:require_postmortem<i>``: the rule held at the stamp, not after the
    recording) or a clock rung's (``clock:<name>#<cycle>@<rung>:require_postmortem<i>``: the
    rung was reached by the recording, with the priority in force then); ``None`` for an id
    this policy did not emit (another version's) or that was never due (a mistyped id)."""
    parts = rest.split(":")
    index = _index(parts[-1])
    if index is None:
        return None
    if len(parts) == 4 and parts[0] == "rule":
        rule = next((r for r in ctx.policy.rules if r.id == parts[1]), None)
        at = _stamp(parts[2])
        if rule is None or at is None or index >= len(rule.actions) or at > recorded:
            return None
        act = rule.actions[index]
        then = facts.at(at, clocks=bool(rule.clock_leaves), paths=rule.reads_paths)
        if act.kind != _KIND or not rule.when.check(then):
            return None
    elif len(parts) == 3 and parts[0] == "clock":
        name, _, where = parts[1].partition("#")
        number, _, rung_index = where.partition("@")
        clock = next((c for c in ctx.policy.clocks if c.name == name), None)
        if clock is None or not number.isdigit() or not rung_index.isdigit():
            return None
        rungs = clock.ladder
        if int(rung_index) >= len(rungs) or index >= len(rungs[int(rung_index)].actions):
            return None
        rung = rungs[int(rung_index)]
        found = cycles.get(name, [])
        k = next((k for k, c in enumerate(found) if c.number == int(number)), None)
        if k is None:
            return None
        state = ctx.ticket.state_at(recorded)
        priority = ctx.policy.priority_of(ctx.ticket, state.priority, state)
        as_of = cycles_as_of(found[: k + 1], recorded)
        if not as_of:
            return None
        cs = ClockState(clock, as_of, priority, min(recorded, ctx.now))
        if not cs.applies:
            return None
        reached = cs.rung_reached_at(cs.amount_us(rung))
        if reached is None or reached > recorded:
            return None
        at, act = reached, rung.actions[index]
    else:
        return None
    if act.kind != _KIND or act.within is None:
        return None
    return _made(act, action_id, at)


def _index(text: str) -> int | None:
    digits = text[len(_KIND) :]
    return int(digits) if text.startswith(_KIND) and digits.isdigit() else None


def _stamp(text: str) -> datetime | None:
    """The instant of an action id's stamp (``20241120T112000Z``, µs when present)."""
    for layout in ("%Y%m%dT%H%M%SZ", "%Y%m%dT%H%M%S.%fZ"):
        try:
            return datetime.strptime(text, layout).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


# -- the events --------------------------------------------------------------------------------


_Read = tuple[
    str | None, str | None, list[tuple[datetime, datetime | None]], datetime | None, list[_Item]
]


def _read(
    events: Sequence[Event],
    required: _Requirement,
    default: Callable[[datetime], datetime | None],
) -> _Read:
    """What the ``postmortem`` events say: the owner (and that it came from an event), the
    document's due dates over time, when it was published, the items in recording order.
    ``default`` is the due of an item recorded at an instant without a due of its own: an
    item re-sent with the due already in force keeps its revision."""
    owner: str | None = None
    owner_from: str | None = None
    dues: list[tuple[datetime, datetime | None]] = [(required.at, required.due_by)]
    published_at: datetime | None = None
    items: dict[str, _Item] = {}
    for e in events:
        if e.type != "postmortem":
            continue
        change = e.change
        if change == "assigned":
            owner, owner_from = e.owner, "event"
            if e.due is not None and e.due != dues[-1][1]:
                dues.append((max(e.at, required.at), e.due))
        elif change == "published":
            if published_at is None:
                published_at = e.at
        elif change == "item":
            assert e.item is not None and e.title is not None and e.owner is not None
            found = items.get(e.item)
            if found is None:
                items[e.item] = _Item(e.item, e.title, e.owner, e.at, [(e.at, e.due)])
                continue
            found.title, found.owner = e.title, e.owner
            in_force = found.dues[-1][1]
            if in_force is None:
                in_force = default(found.recorded_at)
            if e.due is not None and e.due != in_force:
                found.dues.append((e.at, e.due))
        elif e.item is not None:  # item-done, item-dropped (the ticket checked the item)
            found = items[e.item]
            found.closed_at = e.at
            found.dropped = change == "item-dropped"
            found.reason = e.reason
    return owner, owner_from, dues, published_at, list(items.values())


def _policy_owner(ctx: Context, written: str, at: datetime) -> str | None:
    """The owner ``require_postmortem.owner`` names: ``assignee`` and ``assignment-group``
    as the ticket stood when the post-mortem was required; a target as written."""
    if written == "assignee":
        return ctx.ticket.state_at(at).assignee
    if written == "assignment-group":
        group = ctx.ticket.state_at(at).assignment_group
        return None if group is None else f"team:{group}"
    return written


# -- measuring ---------------------------------------------------------------------------------


def _measure(
    spec: PostmortemDef,
    dues: Sequence[tuple[datetime, datetime | None]],
    start: datetime,
    closed_at: datetime | None,
    now: datetime,
    *,
    document: bool,
) -> _Measured:
    """An item (the document) as a clock cycle from ``start``, stopped at ``closed_at``,
    against the last of its due dates: an explicit due instant is the real time until it
    (like a target with ``by``), the default the section's ``items.due`` on its calendar."""
    clock = spec.document if document else spec.items
    explicit = dues[-1][1]
    if explicit is not None:
        allowed = max(explicit - start, timedelta(0))
        target = Target(Duration(format_duration(allowed), allowed), "24x7", WALL)
        clock = replace(clock, targets={"default": target})
    resolved: list[tuple[datetime, datetime | None]] = []
    default_due: datetime | None = None
    if any(due is None for _, due in dues):
        default_due = _default_due(spec, start)
    for since, due in dues:
        resolved.append((since, default_due if due is None else due))
    ended = closed_at if closed_at is not None and closed_at <= now else None
    state = ClockState(clock, [Cycle(1, start, ended)], None, now)
    return _Measured(state, tuple(resolved), start, ended, on_calendar=explicit is None)


def _default_due(spec: PostmortemDef, start: datetime) -> datetime | None:
    """When an item recorded at ``start`` without a due of its own is due: when its elapsed
    time on the section's calendar reaches ``items.due`` (``None``: no default). It depends
    on the start only, never on the evaluated instant: a finished item is never measured past
    its closing (nor past the calendar's years)."""
    target = spec.items.targets.get("default")
    if target is None:
        return None
    # What ClockState.reached_at(target) gives for a cycle from ``start``, without one: the
    # working time of the target (to the wall time of a ``bd``/``mo`` due date), then the
    # earliest instant that much working time has passed.
    calendar, duration = target.measure, target.duration
    wall = duration.due_at(target.calendar, start)
    if wall is None:
        amount = duration.delta
    else:
        amount = calendar.elapsed(start, wall) if wall > start else timedelta(0)
    if amount <= timedelta(0):
        return start
    return calendar.add(start, amount)


# -- thresholds --------------------------------------------------------------------------------


def _thresholds(
    ctx: Context,
    spec: PostmortemDef,
    out: Outcome,
    m: _Measured,
    name: str,
    revision: int,
    owners: Mapping[str, str | None],
) -> None:
    """An open item's (the unpublished document's) due instant and next threshold as
    wake-ups, and the highest reached threshold's actions not recorded done."""
    now = ctx.now
    since = m.overdue_from(*m.dues[-1])
    if since is not None and since > now:
        out.wakeups.append(since)
    cs = m.state
    if not cs.applies or not cs.definition.ladder:
        return
    calendar = None if m.on_calendar else spec.items_calendar

    def amount_us(rung: Rung) -> int:
        after = rung.after
        if after is None or calendar is None:
            return cs.amount_us(rung)
        # ``after:`` counts on the section's calendar whatever the item's due: the instant
        # it names there, as this real-time measure's amount
        due = after.due_at(calendar, m.start) or calendar.add(m.start, after.delta)
        return max(0, (due - m.start) // ONE_US)

    amounts = sorted(
        ((amount_us(rung), rung) for rung in cs.definition.ladder),
        key=lambda pair: pair[0],
    )
    prefix = f"{ctx.ticket.id}:postmortem:{name}#{revision}@"
    reached = [(rung, amount) for amount, rung in amounts if amount <= cs.elapsed_us]
    future = [(amount, rung) for amount, rung in amounts if amount > cs.elapsed_us]
    emits = False
    if reached:
        rung, amount = reached[-1]
        at = cs.rung_reached_at(amount)
        assert at is not None  # an amount already elapsed was reached
        at = max(at, m.dues[-1][0])  # a due already past when it was set: due from then
        for act in rung.actions:
            action_id = f"{prefix}{rung.index}:{act.kind}{act.index}"
            if action_id in ctx.done_at:
                continue
            source = f"postmortem:{name}@{rung.text}"
            action = make_action(act, action_id, source, at, now, rung.rationale)
            found = _with_owners(ctx, out, action, owners)
            if found is not None:
                out.actions.append(found)
                emits = True
    k = 0
    while k < len(future):
        amount = future[k][0]
        at = cs.rung_reached_at(amount)
        if at is None:
            return
        group = []
        while k < len(future) and future[k][0] == amount:
            group.append(future[k][1])
            k += 1
        top = group[-1]
        ids = (f"{prefix}{top.index}:{a.kind}{a.index}" for a in top.actions)
        if emits or any(action_id not in ctx.done_at for action_id in ids):
            out.wakeups.append(at)
            return


def _with_owners(
    ctx: Context, out: Outcome, action: Action, owners: Mapping[str, str | None]
) -> Action | None:
    """The action with each owner target (``item-owner`` ...) replaced by the targets it
    stands for (:func:`_owner_targets`), and the people its targets reach now (when the
    policy has a directory); an owner the directory does not know is left for the caller to
    resolve, with a note. ``None`` for a notify left with no target at all (nobody owns the
    post-mortem yet): it is due, with the same id, once someone does."""
    directory = ctx.directory
    targets: list[str] = []
    notes: list[str] = []
    unknown: set[str] = set()
    for target in action.targets:
        if target not in OWNER_TARGETS:
            targets.append(target)
            continue
        manager = target.endswith("-manager")
        base = target[: -len("-manager")] if manager else target
        found, why = _owner_targets(ctx, owners.get(base), manager=manager, at=action.due_at)
        notes.append(f"{target}: {why}")
        for one in found:
            if one not in targets:
                targets.append(one)
            if not directory.empty and not _known(ctx, one):
                unknown.add(one)
                notes.append(f"{one} is not in the directory: left for the caller to resolve")
    if action.targets and not targets:
        return None
    action = replace(action, targets=tuple(targets), notes=tuple(notes))
    if directory.empty or not targets:
        return action
    resolvable = [t for t in directory_targets(ctx, action) if t not in unknown]
    availability = ctx.availability
    found_people = directory.resolve(resolvable, ctx.now, availability)
    watch(
        ctx,
        out,
        lambda at: directory.resolve(resolvable, at, availability),
        found_people,
        lambda _, later: later != found_people.people,
    )
    return replace(action, people=found_people.people, notes=(*notes, *found_people.notes))


def _owner_targets(
    ctx: Context, owner: str | None, *, manager: bool, at: datetime
) -> tuple[list[str], str]:
    """The targets an owner stands for, and the note that says how: a person id as
    ``person:<id>``, a target as written; with ``manager``, the manager of the person the
    owner is at ``at`` (the threshold's instant): ``manager:<id>`` of a person; of a role or
    schedule, the manager of whoever the directory resolves it to then; of a team, its lead.
    Where the directory names no such manager, the owner itself (said in the note): a
    threshold never notifies nobody because of a missing manager."""
    if owner is None:
        return [], "nobody owns it yet"
    kind, sep, name = owner.partition(":")
    if not sep:
        kind, name = "person", owner
    as_target = f"{kind}:{name}"
    if not manager:
        return [as_target], as_target
    directory = ctx.directory
    if kind == "person":
        if directory.empty or name not in directory.people:
            return [f"manager:{name}"], f"manager:{name}"
        if directory.manager_of(name) is not None:
            return [f"manager:{name}"], f"manager:{name}"
        why = f"{name} has no manager in the directory (give 'managers'): {as_target} instead"
        return [as_target], why
    if directory.empty or not _known(ctx, as_target):
        return [as_target], f"{as_target} instead (the directory cannot say who manages it)"
    if kind == "team":
        lead = directory.teams[name].lead
        if lead is not None:
            return [f"person:{lead}"], f"person:{lead} (lead of {as_target})"
        return [as_target], f"{as_target} has no lead: {as_target} instead"
    holders = directory.resolve([as_target], at, ctx.availability).people
    managers = [f"manager:{p}" for p in holders if directory.manager_of(p) is not None]
    if managers:
        held = ", ".join(holders)
        return managers, f"{', '.join(managers)} ({as_target} is {held} at {at.isoformat()})"
    nobody = ", ".join(holders) or "nobody"
    return [
        as_target
    ], f"{as_target} ({nobody} at {at.isoformat()}) has no manager: {as_target} instead"


def _known(ctx: Context, target: str) -> bool:
    """Whether the policy's directory can resolve ``target``."""
    directory = ctx.directory
    kind, _, name = target.partition(":")
    tables: dict[str, Mapping[str, object]] = {
        "person": directory.people,
        "manager": directory.people,
        "team": directory.teams,
        "role": directory.roles,
        "schedule": directory.schedules,
    }
    table = tables.get(kind)
    if table is None or name not in table:
        return False
    return kind != "manager" or directory.manager_of(name) is not None
