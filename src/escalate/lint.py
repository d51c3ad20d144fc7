"""Lint: things a policy may legally say but probably does not mean.

Findings are values (``Finding``), sorted, so tools can diff them. ``escalate validate``
prints them and exits 1 when there are any.
"""

from __future__ import annotations

from dataclasses import dataclass

from .paths import PathDef
from .policy import Policy

__all__ = ["Finding", "lint"]


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    """One lint finding: where (a key path as text), what, and a short code."""

    where: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message} [{self.code}]"


def lint(policy: Policy) -> list[Finding]:
    """Every finding for a compiled policy, sorted."""
    found: list[Finding] = []
    used_calendars = {"24x7"}
    for clock in policy.clocks:
        for target in clock.targets.values():
            used_calendars.add(target.calendar_name)
        events = {e for t in clock.start if t.events for e in t.events}
        stops = {e for t in clock.stop if t.events and t.statuses is None for e in t.events}
        if events and events <= stops:
            found.append(
                Finding(
                    f"clocks.{clock.name}.start",
                    "start-within-stop",
                    "every start event also stops the clock, so it never runs",
                )
            )
        for status in sorted(clock.pause):
            if any(t.statuses and status in t.statuses for t in clock.stop):
                found.append(
                    Finding(
                        f"clocks.{clock.name}.pause",
                        "pause-is-stop",
                        f"status {status!r} both pauses and stops the clock",
                    )
                )
    requested: set[str] = set()
    for clock in policy.clocks:
        for rung in clock.ladder:
            for act in rung.actions:
                path = getattr(act, "path", None)
                if path is not None:
                    requested.add(path)
    for rule in policy.rules:
        if not rule.rationale:
            found.append(Finding(f"rules.{rule.id}", "no-rationale", "rule has no 'rationale:'"))
        for act in rule.actions:
            if act.path is not None:
                requested.add(act.path)
    for path in policy.paths:
        for level in path.levels:
            if level.calendar_name:
                used_calendars.add(level.calendar_name)
        found += _path_findings(path)
        if not path.starts_on_open and path.name not in requested:
            found.append(
                Finding(
                    f"paths.{path.name}",
                    "unreachable-path",
                    "path starts on trigger but no rule or ladder sends tickets to it",
                )
            )
    for name in sorted(set(policy.calendars) - used_calendars):
        found.append(Finding(f"calendars.{name}", "unused-calendar", "calendar is never used"))
    return sorted(found)


def _path_findings(path: PathDef) -> list[Finding]:
    """Settings a path accepts that can have no effect."""
    out = []
    levels = path.levels
    where = f"paths.{path.name}.levels"
    if levels[0].at is not None:
        out.append(
            Finding(
                f"{where}[0].at", "at-on-first-level", "the first level is entered at the start"
            )
        )
    for i, level in enumerate(levels):
        has_timer = level.after is not None or (
            i + 1 < len(levels) and levels[i + 1].at is not None
        )
        if level.ack_timeout is not None and not has_timer:
            out.append(
                Finding(
                    f"{where}[{i}].ack_timeout",
                    "ack-timeout-without-timer",
                    "the level never moves on by itself, so an acknowledgement cannot lapse",
                )
            )
    if path.repeat and levels[-1].after is None:
        out.append(
            Finding(
                f"paths.{path.name}.repeat",
                "repeat-without-timer",
                "the last level has no 'after', so the path never starts another round",
            )
        )
    return out
