"""The compiled actions of rules and clock rungs, as the engine emits them.

The compiler (:mod:`escalate.policy.compiler`) builds these from validated YAML; the engine
only reads them (:class:`escalate.Action` is what a decision carries out of them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from escalate._frozen import freeze_map

__all__ = ["ActionDef"]


@dataclass(frozen=True, slots=True)
class ActionDef:
    """A compiled action of a rule or rung: what to emit when it is due.

    ``kind`` is the YAML action name (``notify``, ``escalate`` ...), ``index`` its position in
    its rule or rung (part of the emitted action's id), ``targets`` the target strings as
    written, ``details`` the remaining options as a read-only mapping (lists frozen to tuples).
    ``path`` and ``level`` (a level index) are set for ``escalate`` / ``transfer``; ``within``
    for ``require_postmortem``.
    """

    kind: str
    index: int
    targets: tuple[str, ...]
    details: Mapping[str, Any]
    path: str | None = None
    level: int | None = None
    within: timedelta | None = None

    def __post_init__(self) -> None:
        # Built once per policy, so freezing here costs nothing at evaluation.
        object.__setattr__(self, "details", freeze_map(self.details))
        object.__setattr__(self, "targets", tuple(self.targets))
