"""What the stages of an evaluation emit: actions, path requests and wake-ups.

Each stage appends to one :class:`Outcome`; the orchestrator (:mod:`escalate.engine.evaluate`)
turns it into the :class:`~escalate.engine.decision.Decision`.
"""

from __future__ import annotations

from datetime import datetime

from escalate.engine.actions import ActionDef
from escalate.engine.decision import Action, iso
from escalate.engine.paths import Request

__all__ = ["Outcome", "make_action"]


class Outcome:
    """The actions due, the requests each path received, and the future instants to wake at."""

    __slots__ = ("actions", "requests", "wakeups")

    def __init__(self, path_names: list[str]) -> None:
        self.actions: list[Action] = []
        # per path: (request, when the stretch that asked ended; None: still asking)
        self.requests: dict[str, list[tuple[Request, datetime | None]]] = {
            name: [] for name in path_names
        }
        self.wakeups: list[datetime] = []


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
    )
