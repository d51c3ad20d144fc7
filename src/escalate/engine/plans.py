"""Notification plans as the policy declares them, compiled: channels, plans, their options.

The compiler (:mod:`escalate.policy.compiler`) builds these from ``channels:``,
``notification_plans:`` and ``notifications:``; :mod:`escalate.engine.notifications` expands
pages into channel attempts with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from escalate.people.directory import Person

__all__ = ["Channel", "NotificationPlan", "Notifications", "PlanStep", "address_of"]


@dataclass(frozen=True, slots=True)
class Channel:
    """A compiled ``channels.<name>``: its ``kind``, the person's ``channels`` keys its
    address is read from (first present wins), or one fixed ``address`` for everyone."""

    name: str
    kind: str
    address_from: tuple[str, ...]
    address: str | None = None


@dataclass(frozen=True, slots=True)
class PlanStep:
    """Step ``index`` of a plan: ``channel``, ``after`` the chain started (wall time)."""

    index: int
    channel: Channel
    after: timedelta


@dataclass(frozen=True, slots=True)
class NotificationPlan:
    """A compiled ``notification_plans.<name>``: steps ordered by ``after``; the
    communication failure ``escalate_after`` the last step (``None``: never reported)."""

    name: str
    steps: tuple[PlanStep, ...]
    escalate_after: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Notifications:
    """What a policy with notification plans declares: channels and plans by name, the
    default plan, the urgent priorities and whether urgency overrides quiet hours."""

    channels: Mapping[str, Channel] = field(hash=False)
    plans: Mapping[str, NotificationPlan] = field(hash=False)
    default_plan: str | None = None
    urgent_priorities: frozenset[str] = frozenset()
    urgent_overrides_quiet_hours: bool = False


def address_of(channel: Channel, person: Person) -> str | None:
    """The address ``channel`` reaches ``person`` at; ``None`` when they have none for it."""
    if channel.address is not None:
        return channel.address
    for key in channel.address_from:
        found = person.channels.get(key)
        if found:
            return found
    return None
