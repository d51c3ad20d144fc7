"""A compiled escalation policy: the value ``load`` returns and ``evaluate`` runs on.

:class:`Policy` is immutable and safe to share between threads. It holds the compiled
calendars, clocks, paths and rules (see :mod:`escalate.policy.compiler` for how they are built) and
the policy's terminology; :meth:`Policy.evaluate` hands the work to :mod:`escalate.engine.evaluate`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from escalate.calendars.calendar import Calendar
from escalate.engine.clocks import ClockDef
from escalate.engine.decision import Decision
from escalate.engine.evaluate import evaluate_ticket
from escalate.engine.paths import PathDef
from escalate.engine.rules import RuleDef
from escalate.engine.ticket import Ticket
from escalate.errors import TicketError
from escalate.people.availability import Availability
from escalate.people.directory import Directory

__all__ = ["Policy"]


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
        id: str,
        version: str,
        description: str | None,
        pin: str,
        priority_matrix: Mapping[str, Mapping[str, str]],
        custom_fields: Mapping[str, str],
        calendars: Mapping[str, Calendar],
        clocks: tuple[ClockDef, ...],
        paths: tuple[PathDef, ...],
        rules: tuple[RuleDef, ...],
        aliases: Mapping[str, Mapping[str, str]],
        directory: Directory,
        content_hash: str,
        source: str,
    ) -> None:
        self.id = id
        self.version = version
        self.description = description
        self.pin = pin
        self.calendars = dict(calendars)
        self.clocks = clocks
        self.paths = paths
        self.rules = rules
        self._aliases = aliases
        self._matrix = {
            (impact, urgency): priority
            for impact, row in priority_matrix.items()
            for urgency, priority in row.items()
        }
        self.custom_fields = dict(sorted(custom_fields.items()))
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
