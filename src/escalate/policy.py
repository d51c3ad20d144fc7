"""A compiled escalation policy: the value ``load`` returns and ``evaluate`` runs on.

:class:`Policy` is immutable and safe to share between threads. It holds the compiled
calendars, clocks, paths and rules (see :mod:`escalate.compiler` for how they are built) and
the policy's terminology; :meth:`Policy.evaluate` hands the work to :mod:`escalate.evaluate`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .calendar import Calendar
from .clocks import ClockDef
from .conditions import Condition
from .decision import Decision
from .directory import Availability, Directory
from .errors import TicketError
from .evaluate import evaluate_ticket
from .paths import PathDef
from .schema import PolicySpec
from .ticket import Ticket

__all__ = ["ActionDef", "Policy", "RuleDef"]

Path = tuple[str | int, ...]


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
        "custom_fields",
        "description",
        "directory",
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
        directory: Directory,
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
        self.custom_fields = dict(sorted(spec.custom_fields.items()))
        self.directory = directory
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

    def evaluate(
        self,
        ticket: Ticket | Mapping[str, Any],
        *,
        now: datetime,
        availability: Availability | Mapping[str, Any] | None = None,
    ) -> Decision:
        """Decide what is due for ``ticket`` at ``now`` (aware). Pure and deterministic.

        ``availability`` says who cannot be reached (out of office, unreachable, temporary
        schedule cover); it is input, never looked up.
        """
        return evaluate_ticket(
            self, Ticket.coerce(ticket), now, Availability.from_mapping(availability)
        )
