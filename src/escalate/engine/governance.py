"""Governance definitions and values: risk classes, oversight tiers, board and audit flags.

The compiled ``governance:`` section (:class:`GovernanceDef`, built by
:mod:`escalate.policy.governance`) and what a decision carries (:class:`Governance`,
:class:`OverrideCheck`); the stage that computes them is :mod:`escalate.engine.oversight`.
A decision of a policy that declares the section says:

* ``risks``: the sorted union of the risk classes of the due actions and of the matched
  rules;
* the oversight ``tier``: the ``governance.oversight.matrix`` row of the ticket's canonical
  impact (else ``default``), read at the ticket's oversight duration (the time it has been
  open, not counting time resolved, or a clock's elapsed time); ``tier_since`` when the
  duration reached the entry in force, ``next_tier_at`` when it reaches the next entry (a
  wake-up: the tier changes the decision);
* ``board_reportable`` and ``audit_sample``: the declared criteria, each with the reasons
  that hold;
* ``overrides``: each ``override`` event checked with the authority of its actor at its
  instant (see :mod:`escalate.engine.authority`) and whether the path honoured it.

Nothing here reads a clock or does I/O; the audit sample is SHA-256 of the ticket id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from escalate._frozen import FrozenMap
from escalate.engine.conditions import Condition, leaves

__all__ = [
    "RISK_CLASSES",
    "AuditSampleDef",
    "BoardDef",
    "Governance",
    "GovernanceDef",
    "OverrideCheck",
    "OversightDef",
    "TierStep",
    "audit_share",
    "condition_clock_leaves",
]

#: The fixed vocabulary of ``risk:`` on rules and actions.
RISK_CLASSES = ("financial", "reputational", "operational", "regulatory")


def iso(at: datetime | None) -> str | None:
    """An instant as ISO-8601 in UTC (``None`` stays ``None``), as decisions write them."""
    return None if at is None else at.astimezone(UTC).isoformat()


# --------------------------------------------------------------------------------------------
# Compiled definitions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TierStep:
    """One entry of an oversight row: from ``after`` (``after_text`` as written) on, ``tier``
    (``rank`` its place in the tiers, lowest 0)."""

    after: timedelta
    after_text: str
    tier: str
    rank: int


@dataclass(frozen=True, slots=True)
class OversightDef:
    """``governance.oversight`` compiled: ``tiers`` lowest first; ``clock`` the clock whose
    elapsed time counts (``None``: the time open); ``rows`` impact -> steps, ascending
    (``default`` for any other impact, when declared)."""

    tiers: tuple[str, ...]
    clock: str | None
    rows: Mapping[str, tuple[TierStep, ...]]

    def __post_init__(self) -> None:
        if not isinstance(self.rows, FrozenMap):
            object.__setattr__(self, "rows", FrozenMap(self.rows, what="impact"))

    def __hash__(self) -> int:
        return hash((self.tiers, self.clock, tuple(self.rows.items())))


@dataclass(frozen=True, slots=True)
class BoardDef:
    """``governance.board_reportable`` compiled: reportable when the tier is one of
    ``tiers``, a risk is one of ``risks`` or ``when`` holds."""

    tiers: tuple[str, ...]
    risks: tuple[str, ...]
    when: Condition | None

    def __hash__(self) -> int:
        return hash((self.tiers, self.risks))


@dataclass(frozen=True, slots=True)
class AuditSampleDef:
    """``governance.audit_sample`` compiled: every ticket ``when`` holds for, and of the
    others those whose :func:`audit_share` is below ``numerator`` / ``denominator``."""

    when: Condition | None
    numerator: int
    denominator: int
    rate_text: str

    def __hash__(self) -> int:
        return hash((self.numerator, self.denominator, self.rate_text))


@dataclass(frozen=True, slots=True)
class GovernanceDef:
    """The ``governance:`` section compiled (``None`` parts are not declared);
    ``unauthorised`` is what an override without authority gets: ``flag`` or ``reject``."""

    oversight: OversightDef | None
    board: BoardDef | None
    audit_sample: AuditSampleDef | None
    unauthorised: str = "flag"
    #: Every ``clock.*`` leaf of the board and audit conditions (their crossings are wake-ups).
    clock_leaves: tuple[Any, ...] = ()


# --------------------------------------------------------------------------------------------
# What a decision carries
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OverrideCheck:
    """One ``override`` event checked. A value.

    ``index`` its place in the ticket's events; ``at``, ``actor``, ``path``, ``level`` as the
    event says; ``authorised`` whether the actor held ``override-escalation`` authority then,
    ``grounds`` on what, ``reason`` one sentence; ``honoured`` whether the path applied it
    (``false`` only under ``overrides: {unauthorised: reject}``).
    """

    index: int
    at: datetime
    actor: str
    path: str
    level: str
    authorised: bool
    grounds: tuple[str, ...]
    reason: str
    honoured: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "index": self.index,
            "at": iso(self.at),
            "actor": self.actor,
            "path": self.path,
            "level": self.level,
            "authorised": self.authorised,
            "grounds": list(self.grounds),
            "reason": self.reason,
            "honoured": self.honoured,
        }


@dataclass(frozen=True, slots=True)
class Governance:
    """Where a ticket stands for governance (``Decision.governance``). A value.

    ``risks`` the sorted risk classes of the due actions and matched rules; ``tier`` the
    oversight tier (``None`` without ``oversight``), ``tier_since`` since when,
    ``next_tier`` and ``next_tier_at`` the next change without new events (``None``: none);
    ``board_reportable`` and ``board_reasons`` (which criteria hold); ``audit_sample`` and
    ``audit_reason``; ``overrides`` every override event checked, in history order.
    """

    risks: tuple[str, ...]
    tier: str | None
    tier_since: datetime | None
    next_tier: str | None
    next_tier_at: datetime | None
    board_reportable: bool
    board_reasons: tuple[str, ...]
    audit_sample: bool
    audit_reason: str | None
    overrides: tuple[OverrideCheck, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (``Decision.to_dict()["governance"]``)."""
        return {
            "risks": list(self.risks),
            "tier": self.tier,
            "tier_since": iso(self.tier_since),
            "next_tier": self.next_tier,
            "next_tier_at": iso(self.next_tier_at),
            "board_reportable": self.board_reportable,
            "board_reasons": list(self.board_reasons),
            "audit_sample": self.audit_sample,
            "audit_reason": self.audit_reason,
            "overrides": [check.to_dict() for check in self.overrides],
        }

    def explain(self) -> list[str]:
        """The lines ``Decision.explain()`` shows under "Governance"."""
        lines = [f"  risks: {', '.join(self.risks) if self.risks else 'none'}"]
        if self.tier is not None:
            since = f" since {iso(self.tier_since)}" if self.tier_since is not None else ""
            line = f"  oversight tier: {self.tier}{since}"
            if self.next_tier is not None:
                line += f"; {self.next_tier} from {iso(self.next_tier_at)}"
            lines.append(line)
        if self.board_reportable:
            lines.append(f"  board-reportable: {'; '.join(self.board_reasons)}")
        if self.audit_reason is not None:
            lines.append(f"  audit sample: {self.audit_reason}")
        for check in self.overrides:
            state = "authorised" if check.authorised else "NOT authorised"
            applied = "honoured" if check.honoured else "rejected"
            lines.append(
                f"  override events[{check.index}] by {check.actor} at {iso(check.at)} "
                f"({check.path} -> {check.level}): {state}, {applied}. {check.reason}"
            )
        return lines


def audit_share(ticket_id: str, denominator: int) -> int:
    """The ticket's place in ``[0, denominator)`` for audit sampling: the first 8 bytes of
    SHA-256 of the id's UTF-8 bytes, read as a big-endian unsigned integer, modulo
    ``denominator``. The same id gives the same place on every run and machine.

    >>> audit_share("INC0001", 20), audit_share("INC0021", 20)
    (3, 0)
    """
    digest = hashlib.sha256(ticket_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % denominator


def condition_clock_leaves(*conditions: Condition | None) -> tuple[Any, ...]:
    """The ``clock.*`` comparisons of ``conditions`` (whose crossings may change them)."""
    return tuple(
        leaf
        for condition in conditions
        if condition is not None
        for leaf in leaves(condition)
        if leaf.field.startswith("clock.")
    )
