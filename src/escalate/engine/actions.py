"""The compiled actions of rules and clock rungs, as the engine emits them.

The compiler (:mod:`escalate.policy.compiler`) builds these from validated YAML; the engine
only reads them (:class:`escalate.Action` is what a decision carries out of them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from escalate._frozen import freeze_map

__all__ = ["NO_STATUS_PAGES", "ActionDef", "StatusPagesDef", "StatusRequest"]


@dataclass(frozen=True, slots=True)
class ActionDef:
    """A compiled action of a rule or rung: what to emit when it is due.

    ``kind`` is the YAML action name (``notify``, ``escalate`` ...), ``index`` its position in
    its rule or rung (part of the emitted action's id), ``targets`` the target strings as
    written, ``details`` the remaining options as a read-only mapping (lists frozen to tuples).
    ``path`` and ``level`` (a level index) are set for ``escalate`` / ``transfer``; ``within``
    for ``require_postmortem``; for ``status_page``, ``component`` is the component's name
    (or, with ``component_field``, the name used when that ticket field is empty); ``risks``
    the sorted risk classes of the action and of its rule (``risk:``; empty without).
    """

    kind: str
    index: int
    targets: tuple[str, ...]
    details: Mapping[str, Any]
    path: str | None = None
    level: int | None = None
    within: timedelta | None = None
    component: str | None = None
    component_field: str | None = None
    risks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Built once per policy, so freezing here costs nothing at evaluation.
        object.__setattr__(self, "details", freeze_map(self.details))
        object.__setattr__(self, "targets", tuple(self.targets))


@dataclass(frozen=True, slots=True)
class StatusPagesDef:
    """The compiled ``status_pages:`` section.

    ``min_interval`` is the least time between two status-page updates of one component
    (``min_interval_text`` as written; zero and ``None`` without a limit); ``on_resolve``
    the details of the update posted for every component a ticket posted once it ends
    (``state``, ``message``, ``channel``), or ``None`` for no such update.
    """

    min_interval: timedelta = timedelta(0)
    min_interval_text: str | None = None
    on_resolve: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.on_resolve is not None:
            object.__setattr__(self, "on_resolve", freeze_map(self.on_resolve))


#: A policy without ``status_pages:``: no rate limit, no update on resolution.
NO_STATUS_PAGES = StatusPagesDef()


@dataclass(frozen=True, slots=True)
class StatusRequest:
    """A status-page update some rule, rung or the resolution asks for in one evaluation.

    ``id`` is the intent's stable id, ``component`` the component it updates,
    ``requested_at`` when it was asked for (the rule's stretch began, the rung was reached,
    the ticket ended), ``details`` what to post (state, message, channel), ``source`` and
    ``rationale`` as for other actions, ``rule`` the id of the rule that asked (``None``
    otherwise), ``done`` whether its id is recorded done, ``resolve`` whether it is the
    update on resolution.
    """

    id: str
    component: str
    requested_at: datetime
    details: Mapping[str, Any]
    source: str
    rationale: str | None
    rule: str | None
    done: bool
    resolve: bool = False
