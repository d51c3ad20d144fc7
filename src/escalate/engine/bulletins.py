"""The bulletin stage: status-page intents paced per component, and bridges that read paths.

It runs last, after the rules and the paths.

**Status pages.** Rules and rungs ask for status-page updates (:class:`StatusRequest`, one
per ``status_page:`` action, with an id that names the component and the trigger instance);
once the ticket has ended, ``status_pages.on_resolve`` asks for a last update of every
component the ticket posted. Per component, only the latest request is posted (ties: the
update on resolution, then the first in decision order: rungs, then rules by precedence);
older ones are superseded, and so is a request made before the component's last posted
update (an ``action-done`` of one of its intents). The latest request is due no sooner than
``status_pages.min_interval`` after that update: until then it is held, and the instant it
becomes due is a wake-up. All of it reads the ids recorded done, in one pass.

**Bridges.** An ``open_bridge`` with ``path:<name>`` participants is resolved here, once the
paths are known: a path participant is the people of the path's current level (nobody while
the path is not engaged), every participant's people are noted with where they came from.
After the bridge is recorded open, each path that enters a level brings a ``bridge_join``
action inviting the people of that level the bridge did not reach when it opened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from escalate.engine.actions import ActionDef, StatusRequest
from escalate.engine.context import Context, stamp
from escalate.engine.decision import Action, RuleResult, iso
from escalate.engine.outcome import Outcome
from escalate.engine.paths import PathDef, PathState
from escalate.engine.targets import level_resolution, watch
from escalate.people.directory import Resolution

__all__ = [
    "defer_bridge",
    "encode_component",
    "request_status",
    "run_bulletins",
    "status_intent_id",
]

_KIND = "status_page"
_JOIN = "bridge_join"


def encode_component(component: str) -> str:
    """A component name as action ids write it: ``%`` and ``:`` escaped (``%25``, ``%3A``),
    so that an id is split at its colons unambiguously.

    >>> encode_component("EU: payments 100%")
    'EU%3A payments 100%25'
    """
    return component.replace("%", "%25").replace(":", "%3A")


def _decode_component(text: str) -> str:
    return text.replace("%3A", ":").replace("%25", "%")


def status_intent_id(ticket_id: str, component: str, origin: str) -> str:
    """``{ticket}:status-page:{component}:{origin}``; ``origin`` is the rule action
    (``rule:{rule}:{stamp}:status_page{n}``), the rung action
    (``clock:{clock}#{cycle}@{rung}:status_page{n}``) or ``resolved:{stamp}``."""
    return f"{ticket_id}:status-page:{encode_component(component)}:{origin}"


def request_status(
    ctx: Context,
    current: Mapping[str, Any],
    out: Outcome,
    act: ActionDef,
    origin: str,
    source: str,
    requested_at: datetime,
    rationale: str | None,
    rule: str | None,
) -> bool:
    """Record the status-page request of a due rule or rung action; whether it is pending
    (not recorded done). A component read from an empty ticket field, without a default,
    asks for nothing (the rule's result says so; it is matched, not done)."""
    component = act.component
    if act.component_field is not None:
        value = current.get(act.component_field)
        if isinstance(value, str) and value:
            component = value
    if component is None:
        if rule is not None:
            out.status_notes.append(
                (rule, f"{_KIND}{act.index}: the ticket has no {act.component_field}")
            )
        return True
    action_id = status_intent_id(ctx.ticket.id, component, origin)
    done = action_id in ctx.done_at
    details = {"component": component, **act.details}
    out.status_requests.append(
        StatusRequest(action_id, component, requested_at, details, source, rationale, rule, done)
    )
    return not done


def defer_bridge(out: Outcome, action: Action, opened_at: datetime | None) -> bool:
    """Keep a bridge with ``path:`` participants for :func:`run_bulletins` (its people depend
    on the paths), with when it was recorded open (``None``: still to open); whether it was
    kept."""
    if not any(t.startswith("path:") for t in action.targets):
        return False
    out.bridges.append((action, opened_at))
    return True


def run_bulletins(
    ctx: Context,
    out: Outcome,
    results: dict[str, RuleResult],
    paths: Sequence[tuple[PathDef, PathState]],
) -> None:
    """Settle the status-page requests and the bridges that read paths (see the module)."""
    if out.status_requests or (ctx.resolved and ctx.policy.status_pages.on_resolve is not None):
        _status_pages(ctx, out)
    if out.bridges:
        states = {path.name: (path, st) for path, st in paths}
        for action, opened_at in out.bridges:
            _bridge(ctx, out, action, opened_at, states)
    if out.status_notes:
        _note_rules(out, results)


# -- status pages ---------------------------------------------------------------------------------


def _status_pages(ctx: Context, out: Outcome) -> None:
    settings = ctx.policy.status_pages
    prefix = f"{ctx.ticket.id}:status-page:"
    start = len(prefix)
    # The last update posted of each component (by its encoded name): (when it was recorded
    # done, the rest of its id), from one pass over the recorded ids.
    last: dict[str, tuple[datetime, str]] = {}
    for done, at in ctx.done_at.items():
        if not done.startswith(prefix):
            continue
        end = done.find(":", start)
        if end < 0:
            continue
        encoded, origin = done[start:end], done[end + 1 :]
        seen = last.get(encoded)
        if seen is None or (at, origin) > seen:
            last[encoded] = (at, origin)
    requests: dict[str, list[StatusRequest]] = {}
    for request in out.status_requests:
        requests.setdefault(request.component, []).append(request)
    on_resolve = settings.on_resolve
    if ctx.resolved and on_resolve is not None:
        assert ctx.ended_at is not None
        for encoded in sorted(last):
            if last[encoded][1].startswith("resolved:"):
                continue  # restored already
            component = _decode_component(encoded)
            origin = f"resolved:{stamp(ctx.ended_at)}"
            action_id = status_intent_id(ctx.ticket.id, component, origin)
            requests.setdefault(component, []).append(
                StatusRequest(
                    action_id,
                    component,
                    ctx.ended_at,
                    {"component": component, **on_resolve},
                    "status-pages:on_resolve",
                    "the ticket ended: the component is restored",
                    None,
                    action_id in ctx.done_at,
                    resolve=True,
                )
            )
    for component, found in requests.items():
        posted = last.get(encode_component(component))
        _settle(ctx, out, component, found, None if posted is None else posted[0])


def _settle(
    ctx: Context,
    out: Outcome,
    component: str,
    found: list[StatusRequest],
    last_posted: datetime | None,
) -> None:
    """The one update of a component that is due now, if any (see the module);
    ``last_posted`` is when its last update was recorded done."""
    settings = ctx.policy.status_pages
    # The latest request; ties: the update on resolution, then the first in decision order.
    latest = max(
        enumerate(found), key=lambda item: (item[1].requested_at, item[1].resolve, -item[0])
    )[1]
    if latest.done:
        return
    if last_posted is not None and last_posted >= latest.requested_at:
        return  # the page was updated since this was asked for
    notes = [
        f"supersedes {r.id} ({r.details['state']}, requested at {iso(r.requested_at)})"
        for r in found
        if r is not latest and not r.done
    ]
    due_at = latest.requested_at
    if last_posted is not None and settings.min_interval:
        allowed = last_posted + settings.min_interval
        if allowed > due_at:
            due_at = allowed
            notes.insert(
                0,
                f"held back by the status-page rate limit until {iso(allowed)}: {component} "
                f"was last updated at {iso(last_posted)} (min_interval "
                f"{settings.min_interval_text})",
            )
    if due_at > ctx.now:
        out.wakeups.append(due_at)
        out.held.append(
            (f"status page update of {component} ({latest.details['state']}, rate limit)", due_at)
        )
        if latest.rule is not None:
            out.status_notes.append(
                (
                    latest.rule,
                    f"status page update of {component} held by the rate limit until {iso(due_at)}",
                )
            )
        return
    details = {**latest.details, "requested_at": iso(latest.requested_at)}
    out.actions.append(
        Action(
            id=latest.id,
            kind=_KIND,
            source=latest.source,
            due_at=due_at,
            late=ctx.now > due_at,
            details=details,
            rationale=latest.rationale,
            notes=tuple(notes),
        )
    )


def _note_rules(out: Outcome, results: dict[str, RuleResult]) -> None:
    """Put the notes gathered so far on the results of their rules."""
    for rule, note in out.status_notes:
        result = results.get(rule)
        if result is not None:
            joined = f"{result.note}; {note}" if result.note else note
            results[rule] = RuleResult(result.rule, result.status, joined)


# -- bridges ---------------------------------------------------------------------------------------


def _bridge(
    ctx: Context,
    out: Outcome,
    action: Action,
    opened_at: datetime | None,
    states: Mapping[str, tuple[PathDef, PathState]],
) -> None:
    """A bridge with ``path:`` participants: its people now (while it is still to open), or
    the ``bridge_join`` of each path that entered a level since it opened (``opened_at``, the
    bridge's ``action-done``; joins are named after the bridge's id as of now)."""
    if opened_at is None:
        found = _participants(ctx, action.targets, states, ctx.now)
        watch(
            ctx,
            out,
            lambda at: _participants(ctx, action.targets, states, at),
            found,
            lambda _, later: later != found.people,
        )
        out.actions.append(
            Action(
                id=action.id,
                kind=action.kind,
                source=action.source,
                due_at=action.due_at,
                late=action.late,
                targets=action.targets,
                details=action.details,
                rationale=action.rationale,
                people=found.people,
                notes=found.notes,
            )
        )
        return
    on_bridge: set[str] | None = None
    for target in action.targets:
        if not target.startswith("path:"):
            continue
        path, st = states[target[5:]]
        if not st.active or st.level_index is None or st.entered_at is None:
            continue
        if st.entered_at <= opened_at:
            continue  # the bridge opened with this level's people
        level = path.levels[st.level_index]
        join_id = f"{action.id}:join:{path.name}:{stamp(st.entered_at)}"
        if join_id in ctx.done_at:
            continue
        people: tuple[str, ...] = ()
        notes: tuple[str, ...] = ()
        if not ctx.directory.empty:
            if on_bridge is None:
                on_bridge = set(_participants(ctx, action.targets, states, opened_at).people)
            now = level_resolution(ctx, path, level, ctx.now)
            people = tuple(p for p in now.people if p not in on_bridge)
            notes = now.notes
            if not people:
                continue  # everyone of the new level is on the bridge already
        out.actions.append(
            Action(
                id=join_id,
                kind=_JOIN,
                source=action.source,
                due_at=st.entered_at,
                late=ctx.now > st.entered_at,
                targets=level.targets,
                details={
                    "bridge": action.id,
                    "path": path.name,
                    "level": level.name,
                    "room": action.details.get("room"),
                },
                rationale=f"{path.name} moved to {level.name} while the bridge is open",
                people=people,
                notes=notes,
            )
        )


def _participants(
    ctx: Context,
    targets: Sequence[str],
    states: Mapping[str, tuple[PathDef, PathState]],
    at: datetime,
) -> Resolution:
    """Who a bridge's participants reach at ``at`` (now or later: the path levels as now; or
    when the bridge opened: the levels the paths were at then), each noted with where they
    came from."""
    directory = ctx.directory
    people: list[str] = []
    notes: list[str] = []
    schedules: list[str] = []
    considered: list[str] = []
    for target in targets:
        if target.startswith("path:"):
            path, st = states[target[5:]]
            index = _level_at(st, at, ctx.now)
            if index is None:
                notes.append(f"{target}: not engaged, nobody from it")
                continue
            level = path.levels[index]
            where = f"{target} at {level.name} ({', '.join(level.targets)})"
            if directory.empty:
                notes.append(where)
                continue
            found = level_resolution(ctx, path, level, at)
        else:
            where = target
            if directory.empty:
                continue
            found = directory.resolve([target], at, ctx.availability)
        notes.append(f"{where}: {', '.join(found.people) or 'nobody'}")
        notes += found.notes
        people += [p for p in found.people if p not in people]
        schedules += found.schedules
        considered += found.considered
    return Resolution(
        tuple(people),
        tuple(notes),
        tuple(dict.fromkeys(schedules)),
        tuple(dict.fromkeys(considered)),
    )


def _level_at(st: PathState, at: datetime, now: datetime) -> int | None:
    """The level index a path was at at ``at`` (its current one from now on)."""
    if not st.active or st.level_index is None:
        return None
    if at >= now:
        return st.level_index
    index = None
    for entered, level in st.history:
        if entered > at:
            break
        index = level
    return index
