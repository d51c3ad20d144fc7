"""The compiled actions of rules and clock rungs, as the engine emits them.

The compiler (:mod:`escalate.policy.compiler`) builds these from validated YAML; the engine
only reads them (:class:`escalate.Action` is what a decision carries out of them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

__all__ = ["ActionDef"]


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
