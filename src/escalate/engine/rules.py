"""The compiled rules of a policy, and what the engine reads of a policy.

The compiler (:mod:`escalate.policy.compiler`) builds these from validated YAML; the engine
only reads them. They are plain frozen values: no parsing or validation happens here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from escalate.engine.actions import ActionDef
from escalate.engine.clocks import ClockDef
from escalate.engine.conditions import Condition
from escalate.engine.paths import PathDef
from escalate.engine.ticket import Ticket
from escalate.people.directory import Directory

__all__ = ["PolicyView", "RuleDef"]

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class RuleDef:
    """A compiled rule."""

    id: str
    order: int  # position in the file
    rank: int  # position in declared precedence (priority, then file order)
    priority: int
    when: Condition
    actions: tuple[ActionDef, ...]
    moves_paths: bool
    final: bool
    reads_paths: bool
    fields: tuple[str, ...]
    clock_leaves: tuple[str, ...]
    rationale: str | None
    positions: Mapping[Path, tuple[str, int, int]]


class PolicyView(Protocol):
    """What the engine reads of a compiled policy.

    :class:`escalate.Policy` is the one implementation; the engine names this protocol instead
    so that it never imports the class that calls it.
    """

    @property
    def id(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def content_hash(self) -> str: ...
    @property
    def clocks(self) -> tuple[ClockDef, ...]: ...
    @property
    def paths(self) -> tuple[PathDef, ...]: ...
    @property
    def rules(self) -> tuple[RuleDef, ...]: ...
    @property
    def directory(self) -> Directory: ...
    @property
    def custom_fields(self) -> Mapping[str, str]: ...

    def canonical(self, field: str, value: str | None) -> str | None:
        """Map a source value to the policy's canonical term."""
        ...

    def priority_of(self, ticket: Ticket, raw: str | None) -> str | None:
        """The canonical priority of ``ticket`` given its raw priority."""
        ...
