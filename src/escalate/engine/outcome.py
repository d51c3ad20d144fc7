"""What the stages of an evaluation emit: actions, path requests, wake-ups and audit traces.

Each stage appends to one :class:`Outcome`; the orchestrator (:mod:`escalate.engine.evaluate`)
turns it into the :class:`~escalate.engine.decision.Decision`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from escalate.engine.actions import ActionDef, StatusRequest
from escalate.engine.decision import Action, Withdrawn, iso
from escalate.engine.paths import Request
from escalate.engine.rules import RuleDef
from escalate.people.directory import Resolution

__all__ = ["Chain", "Outcome", "make_action"]


@dataclass(frozen=True, slots=True)
class Chain:
    """A parent action (with its people) delivered through notification plans
    (:mod:`escalate.engine.notifications`): ``plan`` names the plan for everyone (``None``:
    each person's own, else the policy's default); ``acks`` are the acknowledgements that
    answer it, in time order; ``reached`` says whom it reaches at an instant. Recorded
    whether or not the parent is recorded done."""

    parent: Action
    plan: str | None
    acks: tuple[datetime, ...]
    #: Who the parent reaches at an instant (its people now are ``parent.people``): a
    #: person's chain starts when they became one of them (a hand-off), not before.
    reached: Callable[[datetime], Resolution]
    #: For a path page, when the path leaves the level by its timer (``None``: never, or not
    #: a path page): quiet hours deferring a first attempt past it are said on the parent.
    moves_at: datetime | None = None


class Outcome:
    """The actions due, the requests each path received, the future instants to wake at, and
    for audit the actions missed when the ticket ended and what a retroactive change withdrew;
    and the status-page requests and path-reading bridges the bulletin stage settles last.

    ``path_wakeups`` holds, per path, the future requests of rungs (that change nothing else)
    and of time rules that only move paths: the path stage wakes for one only if it would move
    the path then.
    """

    __slots__ = (
        "actions",
        "bridges",
        "chains",
        "held",
        "missed",
        "missed_rules",
        "path_wakeups",
        "requests",
        "status_notes",
        "status_requests",
        "wakeups",
        "withdrawn",
    )

    def __init__(self, path_names: list[str]) -> None:
        self.actions: list[Action] = []
        # per path: (request, when the stretch that asked ended; None: still asking)
        self.requests: dict[str, list[tuple[Request, datetime | None]]] = {
            name: [] for name in path_names
        }
        self.wakeups: list[datetime] = []
        self.path_wakeups: dict[str, list[Request]] = {}
        self.missed: list[Action] = []
        self.missed_rules: list[RuleDef] = []  # ended ticket: rules whose actions may be missed
        self.withdrawn: list[Withdrawn] = []
        self.chains: list[Chain] = []  # only with notification plans
        # Settled after the rules by engine/bulletins.py: status-page requests (pending or
        # done), notes on the rules whose requests found no component or were held, and
        # bridges with ``path:`` participants (resolved once the paths are known).
        self.status_requests: list[StatusRequest] = []
        self.status_notes: list[tuple[str, str]] = []
        self.bridges: list[tuple[Action, datetime | None]] = []  # (bridge, opened at)
        # What waits for a future instant with no action to show for it, for explain():
        # (what, until), e.g. a status-page update held by the rate limit.
        self.held: list[tuple[str, datetime]] = []


def make_action(
    act: ActionDef,
    action_id: str,
    source: str,
    due_at: datetime,
    now: datetime,
    rationale: str | None,
) -> Action:
    """The action a compiled rule or rung action emits, due at ``due_at``."""
    # The compiled details are frozen already; only a post-mortem's due_by is added per action.
    details = act.details
    if act.within is not None:
        details = {**act.details, "due_by": iso(due_at + act.within)}
    return Action(
        id=action_id,
        kind=act.kind,
        source=source,
        due_at=due_at,
        late=now > due_at,
        targets=act.targets,
        details=details,
        rationale=rationale,
        risks=act.risks,
    )
