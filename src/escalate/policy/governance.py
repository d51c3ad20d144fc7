"""The ``governance:`` section and ``risk:`` classes: their format, and their compilation.

The models validate the YAML (and export the schema); :func:`compile_governance` checks names
against the rest of the policy (tiers, impacts, clocks, condition fields), with suggestions,
and builds the :class:`~escalate.engine.governance.GovernanceDef` the engine reads. A policy
without ``governance:`` compiles to ``None``: the stage does not run and its decisions are
exactly what they were before the section existed. See docs/governance.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema

from escalate._models import Label, StrictModel, patterned
from escalate.calendars._durations import parse_duration
from escalate.calendars.models import Duration
from escalate.engine.conditions import FieldSpec, compile_condition
from escalate.engine.governance import (
    RISK_CLASSES,
    AuditSampleDef,
    BoardDef,
    GovernanceDef,
    OversightDef,
    TierStep,
    condition_clock_leaves,
)
from escalate.errors import PolicyError, shown, suggest

__all__ = [
    "AuditSampleSpec",
    "BoardReportableSpec",
    "GovernanceSpec",
    "OverridesSpec",
    "OversightSpec",
    "OversightStepSpec",
    "Risk",
    "compile_governance",
]

Path = tuple[str | int, ...]

#: A risk class (``risk:`` on rules and actions, ``board_reportable.risks``).
Risk = Literal["financial", "reputational", "operational", "regulatory"]
assert RISK_CLASSES == Risk.__args__  # type: ignore[attr-defined]
# The ``when:`` language, as policy/models.py marks it for the schema's $defs/Condition.
_Condition = Annotated[
    dict[str, Any], WithJsonSchema({"type": "object", "x-escalate-condition": True})
]
_RATE = re.compile(r"([0-9]{1,9})/([0-9]{1,9})")
_ZERO = re.compile(r"0+[smhdw]?")


class OversightStepSpec(StrictModel):
    """From this much duration on, this tier (an entry of an oversight row)."""

    after: Duration = Field(description="wall time open, or the clock's elapsed business time")
    tier: Label = Field(description="one of oversight.tiers")


class OversightSpec(StrictModel):
    """Who must know: a tier from the ticket's impact and how long it has lasted."""

    tiers: list[Label] = Field(
        min_length=1,
        description="oversight tiers, lowest first",
        examples=[["team", "management", "executive", "board"]],
    )
    duration: Annotated[
        str,
        patterned(
            r"open|clock:[a-z0-9]+(?:[-_][a-z0-9]+)*",
            "'open' or 'clock:<name>'",
        ),
    ] = Field(
        default="open",
        description="open: time since opened, not counting time resolved; clock:<name>: "
        "that clock's elapsed time",
    )
    matrix: dict[Label, list[OversightStepSpec]] = Field(
        min_length=1,
        description="canonical impact (or default) -> [{after, tier}], ascending",
    )


class BoardReportableSpec(StrictModel):
    """A ticket is board-reportable when any of these holds."""

    tiers: list[Label] = Field(default_factory=list, description="oversight tiers")
    risks: list[Risk] = Field(default_factory=list, description="risk classes")
    when: _Condition | None = Field(default=None, description="a condition on the ticket")


class AuditSampleSpec(StrictModel):
    """Which tickets are sampled for audit: those ``when`` holds for, and a share of the rest."""

    when: _Condition | None = Field(default=None, description="always sampled when it holds")
    rate: Annotated[str, patterned(r"[0-9]{1,9}/[0-9]{1,9}", "a share like '1/20'")] = Field(
        default="0/1", description="the share of the other tickets, by SHA-256 of their id"
    )


class OverridesSpec(StrictModel):
    """What an override by someone without ``override-escalation`` authority gets."""

    unauthorised: Literal["reject", "flag"] = Field(
        default="flag", description="reject: the path ignores it; flag: applied, and listed"
    )


class GovernanceSpec(StrictModel):
    """Risk oversight, board and audit flags, override checks (docs/governance.md)."""

    oversight: OversightSpec | None = None
    board_reportable: BoardReportableSpec | None = None
    audit_sample: AuditSampleSpec | None = None
    overrides: OverridesSpec = Field(default_factory=OverridesSpec)


def compile_governance(
    spec: GovernanceSpec | None,
    *,
    fields: Mapping[str, FieldSpec],
    clocks: Mapping[str, object],
    check_impact: Callable[[str, Path], None],
) -> GovernanceDef | None:
    """The section compiled (``None`` when the policy has none). ``fields`` are what
    conditions may read; ``clocks`` the declared clocks; ``check_impact`` raises for an
    impact the policy does not know."""
    if spec is None:
        return None
    base: Path = ("governance",)
    oversight = None
    if spec.oversight is not None:
        oversight = _oversight(spec.oversight, clocks, check_impact, (*base, "oversight"))
    board = None
    if spec.board_reportable is not None:
        board = _board(spec.board_reportable, oversight, fields, (*base, "board_reportable"))
    sample = None
    if spec.audit_sample is not None:
        where = (*base, "audit_sample")
        when = None
        if spec.audit_sample.when is not None:
            when = compile_condition(spec.audit_sample.when, fields, (*where, "when"))
        found = _RATE.fullmatch(spec.audit_sample.rate)
        assert found is not None  # the model's pattern
        numerator, denominator = int(found.group(1)), int(found.group(2))
        if denominator == 0 or numerator > denominator:
            raise PolicyError(
                "rate is a share from '0/1' to '1/1', like '1/20', got "
                f"{shown(spec.audit_sample.rate)}",
                path=(*where, "rate"),
            )
        sample = AuditSampleDef(when, numerator, denominator, spec.audit_sample.rate)
    return GovernanceDef(
        oversight=oversight,
        board=board,
        audit_sample=sample,
        unauthorised=spec.overrides.unauthorised,
        clock_leaves=condition_clock_leaves(
            None if board is None else board.when, None if sample is None else sample.when
        ),
    )


def _oversight(
    spec: OversightSpec,
    clocks: Mapping[str, object],
    check_impact: Callable[[str, Path], None],
    path: Path,
) -> OversightDef:
    tiers = tuple(spec.tiers)
    for i, tier in enumerate(tiers):
        if tier in tiers[:i]:
            raise PolicyError(f"tier {shown(tier)} is listed twice", path=(*path, "tiers", i))
    clock = None
    if spec.duration != "open":
        clock = spec.duration.removeprefix("clock:")
        if clock not in clocks:
            raise PolicyError(
                f"unknown clock {shown(clock)}",
                path=(*path, "duration"),
                suggestion=suggest(clock, clocks),
            )
    rows: dict[str, tuple[TierStep, ...]] = {}
    for impact, entries in spec.matrix.items():
        where = (*path, "matrix", impact)
        if impact != "default":
            check_impact(impact, where)
        if not entries:
            raise PolicyError("a row needs at least one {after, tier} entry", path=where)
        steps: list[TierStep] = []
        for i, entry in enumerate(entries):
            if entry.tier not in tiers:
                raise PolicyError(
                    f"unknown tier {shown(entry.tier)} (tiers: {', '.join(tiers)})",
                    path=(*where, i, "tier"),
                    suggestion=suggest(entry.tier, tiers),
                )
            if _ZERO.fullmatch(entry.after):
                after = timedelta(0)  # from the start
            else:
                at = (*where, i, "after")
                after = parse_duration(entry.after, at, allow_business_days=False).delta
            step = TierStep(after, entry.after, entry.tier, tiers.index(entry.tier))
            if steps and step.after <= steps[-1].after:
                raise PolicyError(
                    f"entries are in ascending 'after' order; {entry.after} is not after "
                    f"{steps[-1].after_text}",
                    path=(*where, i, "after"),
                )
            if steps and step.rank < steps[-1].rank:
                raise PolicyError(
                    f"oversight only rises: tier {shown(entry.tier)} is below "
                    f"{shown(steps[-1].tier)} (tiers are listed lowest first)",
                    path=(*where, i, "tier"),
                )
            steps.append(step)
        rows[impact] = tuple(steps)
    return OversightDef(tiers, clock, rows)


def _board(
    spec: BoardReportableSpec,
    oversight: OversightDef | None,
    fields: Mapping[str, FieldSpec],
    path: Path,
) -> BoardDef:
    if not spec.tiers and not spec.risks and spec.when is None:
        raise PolicyError("board_reportable needs tiers, risks or when (any of them)", path=path)
    if spec.tiers and oversight is None:
        raise PolicyError(
            "board_reportable.tiers reads the oversight tier: declare governance.oversight",
            path=(*path, "tiers"),
        )
    for i, tier in enumerate(spec.tiers):
        assert oversight is not None
        if tier not in oversight.tiers:
            raise PolicyError(
                f"unknown tier {shown(tier)} (tiers: {', '.join(oversight.tiers)})",
                path=(*path, "tiers", i),
                suggestion=suggest(tier, oversight.tiers),
            )
    when = None
    if spec.when is not None:
        when = compile_condition(spec.when, fields, (*path, "when"))
    return BoardDef(tuple(spec.tiers), tuple(sorted(set(spec.risks))), when)
