"""The path stage: every escalation path replayed to now, and the page its level is due.

A path's run starts at the opening (or the last reopen, or when its ``when:`` gate began to
hold). The requests of the rung and rule stages, the escalations the caller executed and the
manual overrides are replayed with its timers and the acknowledgements
(:func:`~escalate.engine.paths.simulate`); the level it reached is paged to the people it
reaches now (:mod:`escalate.engine.targets`). A path reads the acknowledgements that name no
path and those that name it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from escalate.engine.context import Context, stamp
from escalate.engine.decision import Action
from escalate.engine.facts import Facts
from escalate.engine.outcome import Chain, Outcome
from escalate.engine.paths import LevelDef, PathDef, PathState, Request, simulate
from escalate.engine.targets import (
    handoff_notice,
    level_people,
    level_resolution,
    unacknowledged_fallback,
    watch,
)

__all__ = ["run_paths"]


def run_paths(
    ctx: Context, facts: Facts, out: Outcome, rejected: frozenset[int] = frozenset()
) -> list[tuple[PathDef, PathState]]:
    """Replay every path; add its facts, its wake-ups and the actions its level is due.
    ``rejected``: the override events (by index) not replayed (``governance.overrides:
    {unauthorised: reject}`` and an actor without authority)."""
    unnamed = [at for at in ctx.acks if at >= ctx.cycle_start]
    current = facts.current
    states: list[tuple[PathDef, PathState]] = []
    for path in ctx.policy.paths:
        acks = unnamed
        if ctx.path_acks:  # some acknowledgement names a path: this one's own, and unnamed
            acks = [at for at in ctx.acks_for(path.name) if at >= ctx.cycle_start]
        start = ctx.cycle_start
        if path.when is not None:
            if not path.when.check(current):
                st = PathState(
                    path.name, path.kind, False, None, None, 0, 0, None, "criteria", None
                )
                states.append((path, st))
                current[f"path.{path.name}.active"] = False
                continue
            start = max(start, facts.current_start(path.when, path.when_fields))
        cycle = ctx.state.reopen_count + 1
        requests = _path_requests(ctx, out, path, start, cycle, rejected)
        st = simulate(
            path,
            cycle=cycle,
            cycle_start=start,
            requests=requests,
            acks=acks,
            resolved_at=ctx.ended_at,
            now=ctx.now,
        )
        if path.name in out.path_wakeups:
            _request_wakeup(ctx, out, path, st, start, cycle, requests, acks)
        states.append((path, st))
        facts.record_path(path.name, st.history)
        if st.next_move_at is not None:
            out.wakeups.append(st.next_move_at)
        current[f"path.{path.name}.active"] = st.active
        if st.active and st.level_index is not None:
            current[f"path.{path.name}.level_index"] = st.level_index
            current[f"path.{path.name}.level"] = path.levels[st.level_index].name
        _path_action(ctx, out, path, st)
    return states


def _path_requests(
    ctx: Context,
    out: Outcome,
    path: PathDef,
    start: datetime,
    cycle: int,
    rejected: frozenset[int] = frozenset(),
) -> list[Request]:
    """Requests for a path's current run, clamped to its start, sorted by instant."""
    found: list[Request] = []
    for request, ended in out.requests[path.name]:
        if request.source.startswith("clock:") and request.at < ctx.cycle_start:
            continue  # a rung of a clock cycle before the reopen
        if ended is not None and ended <= start:
            continue  # a rule stretch that was over before this run of the path began
        found.append(Request(max(request.at, start), request.level, request.source))
    # Escalations the caller executed stand, even if a later priority change would have
    # reached them later: what was done was done.
    prefix = f"{ctx.ticket.id}:path:{path.name}:{cycle}:"
    names = [level.name for level in path.levels]
    for done, at in ctx.done_at.items():
        if done.startswith(prefix):
            level = done.rsplit(":", 1)[1]
            if level not in names:
                continue
            if not path.reenter:
                found.append(Request(max(at, start), names.index(level), "executed"))
            elif (entry := _entry_of(done[len(prefix) :])) is not None:
                # It counts in the entry it paged only (see paths._enters). An id without an
                # entry (recorded before the path had ``reenter``) only counts as done.
                found.append(Request(max(at, start), names.index(level), "executed", entry=entry))
    for event in ctx.ticket.events:
        # (context.prepare checked that every override names a known path and level)
        if (
            event.type == "override"
            and event.path == path.name
            and event.level is not None
            and event.at >= start
            and event.index not in rejected
        ):
            found.append(
                Request(event.at, names.index(event.level), f"override:{event.actor}", True)
            )
    return sorted(found, key=_order)


def _request_wakeup(
    ctx: Context,
    out: Outcome,
    path: PathDef,
    st: PathState,
    start: datetime,
    cycle: int,
    requests: list[Request],
    acks: list[datetime],
) -> None:
    """Wake for the first future request (of a rung that changes nothing else, or of a time
    rule that only moves paths) that would move this path when it comes: the path replayed
    to that instant with and without the request differs. A path that neither wraps round
    nor is entered again never comes down, so a request for its level or a lower one is
    passed over without replaying."""
    climbs_only = not path.repeat and not path.reenter and st.level_index is not None
    for request in sorted(out.path_wakeups[path.name], key=lambda r: r.at):
        if climbs_only and st.level_index is not None and request.level <= st.level_index:
            continue
        at = max(request.at, start)

        def replay(found: list[Request], at: datetime = at) -> PathState:
            return simulate(
                path,
                cycle=cycle,
                cycle_start=start,
                requests=found,
                acks=acks,
                resolved_at=ctx.ended_at,
                now=at,
            )

        moved = sorted([*requests, Request(at, request.level, request.source)], key=_order)
        if replay(moved) != replay(requests):
            out.wakeups.append(at)
            return


def _order(request: Request) -> tuple[datetime, int, str]:
    return request.at, -request.level, request.source


def _path_action(ctx: Context, out: Outcome, path: PathDef, st: PathState) -> None:
    """The page (escalate / transfer) of the level the path is at, with its people; once the
    ticket has ended, that page if it was never sent, as missed."""
    if not st.active or st.level_index is None or st.entered_at is None:
        return
    level = path.levels[st.level_index]
    # The level an on-open path starts in is the ticket's by assignment: paged only on request.
    paged = st.reason != "start" or path.page_first_level
    base_id = f"{ctx.ticket.id}:path:{path.name}:{st.cycle}:{st.round}:{level.name}"
    if path.reenter and st.started_at is not None:
        entry = stamp(st.started_at)
        base_id = f"{ctx.ticket.id}:path:{path.name}:{st.cycle}:{entry}:{st.round}:{level.name}"
    if paged and st.reason.startswith("override:"):
        paged = False  # a person put the ticket there; there is nothing to tell them
    if ctx.resolved:
        if paged and not _level_done(ctx, path, st, base_id):
            out.missed.append(_page(ctx, path, st, level, base_id, st.entered_at))
        return
    people: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    due_at = st.entered_at
    if not ctx.directory.empty and paged:
        resolution, due_at = level_people(ctx, path, st, level)
        people, notes = resolution.people, resolution.notes
        done = _level_done(ctx, path, st, base_id)
        watch(
            ctx,
            out,
            lambda at: level_resolution(ctx, path, level, at),
            resolution,
            # the page changes (if still to be sent) or someone new comes on call
            lambda before, later: (
                (not done and later != people) or any(p not in before for p in later)
            ),
        )
        if not people and level.on_empty in ("wait", "defer_until_covered"):
            return  # nobody to page now; the wake-ups above say when that changes
        handoff_notice(ctx, out, path, st, level, base_id, resolution)
        unacknowledged_fallback(ctx, out, path, st, level, base_id, resolution)
    if not paged:
        return
    done = _level_done(ctx, path, st, base_id)
    if people and ctx.policy.notifications is not None:
        # Delivered through notification plans: the chain runs whether or not the page
        # itself was recorded done.
        page = _page(ctx, path, st, level, base_id, due_at, people, notes)
        out.chains.append(
            Chain(
                page,
                level.notification_plan,
                ctx.acks_for(path.name),
                lambda at: level_resolution(ctx, path, level, at),
                _moves_at(path, st, level),
            )
        )
        if not done:
            out.actions.append(page)
        return
    if done:
        return
    out.actions.append(_page(ctx, path, st, level, base_id, due_at, people, notes))


def _moves_at(path: PathDef, st: PathState, level: LevelDef) -> datetime | None:
    """When the path leaves ``level`` by its timer (``after``, or the next level's ``at``),
    unless an acknowledgement holds it."""
    assert st.entered_at is not None
    if level.index == len(path.levels) - 1 and st.round >= path.repeat:
        return None  # the last level of the last round stays
    deadline = None if level.after is None else level.offset(st.entered_at, level.after)
    if level.index + 1 < len(path.levels) and st.started_at is not None:
        following = path.levels[level.index + 1]
        if following.at is not None:
            at = following.offset(st.started_at, following.at)
            deadline = at if deadline is None or at < deadline else deadline
    return deadline


def _page(
    ctx: Context,
    path: PathDef,
    st: PathState,
    level: LevelDef,
    base_id: str,
    due_at: datetime,
    people: tuple[str, ...] = (),
    notes: tuple[str, ...] = (),
) -> Action:
    return Action(
        id=base_id,
        kind="escalate" if path.kind == "vertical" else "transfer",
        source=f"path:{path.name}",
        due_at=due_at,
        late=ctx.now > due_at,
        targets=level.targets,
        details=_level_details(path, level, st),
        rationale=f"entered {level.name} by {st.reason}",
        people=people,
        notes=notes,
    )


def _level_done(ctx: Context, path: PathDef, st: PathState, base_id: str) -> bool:
    """Whether the page of this level was recorded done. On a path entered again, also when
    a page of the same level and round of this cycle was recorded since the entry began (a
    retroactive change may move the entry instant, and with it the id)."""
    if base_id in ctx.done_at:
        return True
    if not path.reenter or st.started_at is None or st.level_index is None:
        return False
    prefix = f"{ctx.ticket.id}:path:{path.name}:{st.cycle}:"
    suffix = f"{st.round}:{path.levels[st.level_index].name}"
    started = st.started_at
    for done, at in ctx.done_at.items():
        if at >= started and done.startswith(prefix):
            rest = done[len(prefix) :]
            if rest == suffix or (_entry_of(rest) is not None and rest.endswith(":" + suffix)):
                return True
    return False


def _entry_of(rest: str) -> datetime | None:
    """The entry instant of a level id of a path entered again, from what follows its cycle
    (``20241120T100500Z:0:network-ops``); ``None`` for another shape.

    >>> _entry_of("20241120T100500Z:0:network-ops")
    datetime.datetime(2024, 11, 20, 10, 5, tzinfo=datetime.timezone.utc)
    >>> _entry_of("0:network-ops") is None
    True
    """
    parts = rest.split(":")
    if len(parts) != 3:
        return None
    text = parts[0]
    for shape in ("%Y%m%dT%H%M%SZ", "%Y%m%dT%H%M%S.%fZ"):
        try:
            return datetime.strptime(text, shape).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _level_details(path: PathDef, level: LevelDef, st: PathState) -> dict[str, Any]:
    return {
        "path": path.name,
        "level": level.name,
        "round": st.round,
        "authority": level.authority,
        "owner": level.owner,
        "ack_within": level.ack_within,
        "resolve_within": level.resolve_within,
        "on_empty": level.on_empty,
        "fallback": level.fallback,
    }
