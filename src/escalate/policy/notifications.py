"""Compile ``channels:``, ``notification_plans:`` and ``notifications:`` (docs/notifications.md).

Every name is checked here, with suggestions: a step's channel, the default plan, each
person's ``notification_plan``. Delays are wall time (no business days, no months) and steps
must be written in the order of their ``after``. A policy without plans compiles to ``None``:
its decisions are exactly what they were before plans existed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta

from escalate._frozen import FrozenMap
from escalate.calendars._durations import parse_duration
from escalate.engine.plans import Channel, NotificationPlan, Notifications, PlanStep
from escalate.errors import PolicyError, shown, suggest
from escalate.people.directory import Directory
from escalate.policy.models import ChannelSpec, NotificationPlanSpec, PolicySpec

__all__ = ["DEFAULT_ADDRESS_FROM", "compile_notifications", "plan_name_error"]

Path = tuple[str | int, ...]

#: Where a channel without ``address`` / ``address_from`` reads a person's address: the
#: ``channels`` entry named like its kind (voice also accepts ``phone``). People have no
#: webhook address: a webhook channel needs ``address``.
DEFAULT_ADDRESS_FROM: Mapping[str, tuple[str, ...]] = FrozenMap(
    {
        "chat": ("chat",),
        "sms": ("sms",),
        "voice": ("voice", "phone"),
        "email": ("email",),
        "push": ("push",),
        "webhook": (),
        "status-page": (),
    },
    what="channel kind",
)


def compile_notifications(
    spec: PolicySpec, directory: Directory, check_priority: Callable[[str, Path], None]
) -> Notifications | None:
    """The policy's plans compiled (``None`` when it declares none). ``check_priority``
    raises for a priority the policy does not know."""
    options = spec.notifications
    channels = {
        name: _channel(name, channel, ("channels", name)) for name, channel in spec.channels.items()
    }
    if not spec.notification_plans:
        if options is not None and options.default_plan is not None:
            raise plan_name_error(options.default_plan, {}, ("notifications", "default_plan"))
        for pid, person in directory.people.items():
            if person.notification_plan is not None:
                raise plan_name_error(
                    person.notification_plan,
                    {},
                    ("directory", "people", pid, "notification_plan"),
                )
        return None
    plans = {
        name: _plan(name, plan, channels, ("notification_plans", name))
        for name, plan in spec.notification_plans.items()
    }
    default = None
    urgent: frozenset[str] = frozenset()
    overrides = False
    if options is not None:
        default = options.default_plan
        if default is not None and default not in plans:
            raise plan_name_error(default, plans, ("notifications", "default_plan"))
        for i, priority in enumerate(options.urgent_priorities):
            check_priority(priority, ("notifications", "urgent_priorities", i))
        urgent = frozenset(options.urgent_priorities)
        overrides = options.urgent_overrides_quiet_hours
        if overrides and not urgent:
            raise PolicyError(
                "urgent_overrides_quiet_hours needs urgent_priorities (the priorities that "
                "are urgent, e.g. [P1])",
                path=("notifications", "urgent_priorities"),
            )
    for pid, person in directory.people.items():
        if person.notification_plan is not None and person.notification_plan not in plans:
            raise plan_name_error(
                person.notification_plan, plans, ("directory", "people", pid, "notification_plan")
            )
    return Notifications(
        channels=FrozenMap(channels, what="channel"),
        plans=FrozenMap(plans, what="notification plan"),
        default_plan=default,
        urgent_priorities=urgent,
        urgent_overrides_quiet_hours=overrides,
    )


def plan_name_error(name: str, plans: Mapping[str, object], path: Path) -> PolicyError:
    """The error for a plan name the policy does not declare."""
    if not plans:
        return PolicyError(
            f"unknown notification plan {shown(name)}: the policy declares no notification_plans",
            path=path,
        )
    return PolicyError(
        f"unknown notification plan {shown(name)} (plans: {', '.join(sorted(plans))})",
        path=path,
        suggestion=suggest(name, plans),
    )


def _channel(name: str, spec: ChannelSpec, path: Path) -> Channel:
    address_from = (
        tuple(spec.address_from)
        if spec.address_from is not None
        else DEFAULT_ADDRESS_FROM[spec.kind]
    )
    # A status-page channel is addressed by its own options (its page, its component).
    if spec.address is None and not address_from and spec.kind != "status-page":
        raise PolicyError(
            f"people have no {spec.kind} address: give the channel one 'address' (a URL, a "
            "page id), or 'address_from' (the people's channels entries to read)",
            path=(*path, "address"),
        )
    return Channel(name, spec.kind, address_from, spec.address)


def _plan(
    name: str, spec: NotificationPlanSpec, channels: Mapping[str, Channel], path: Path
) -> NotificationPlan:
    steps: list[PlanStep] = []
    previous = timedelta(0)
    for i, step in enumerate(spec.steps):
        where = (*path, "steps", i)
        channel = channels.get(step.channel)
        if channel is None:
            known = f" (channels: {', '.join(sorted(channels))})" if channels else ""
            raise PolicyError(
                f"unknown channel {shown(step.channel)}{known}",
                path=(*where, "channel"),
                suggestion=suggest(step.channel, channels),
            )
        after = timedelta(0)
        if step.after is not None:
            after = parse_duration(step.after, (*where, "after"), allow_business_days=False).delta
        if after < previous:
            raise PolicyError(
                f"steps are written in the order of their 'after' (counted from the start "
                f"of the chain, not from the step before): {shown(step.after)} comes before "
                f"step {i - 1}'s",
                path=(*where, "after"),
            )
        previous = after
        steps.append(PlanStep(i, channel, after))
    escalate_after = None
    if spec.escalate_after is not None:
        escalate_after = parse_duration(
            spec.escalate_after, (*path, "escalate_after"), allow_business_days=False
        ).delta
    return NotificationPlan(name, tuple(steps), escalate_after)
