"""The ``postmortem:`` section compiled: action items' default due date and the thresholds.

The section's format is :class:`~escalate.policy.models.PostmortemSectionSpec`;
:func:`check_thresholds` refuses what only this section forbids, the compiler builds its
thresholds as clock rungs (the ladder compiler, with the owner targets allowed) and
:func:`compile_postmortem` builds the
:class:`~escalate.engine.postmortem.PostmortemDef` the engine reads: two clocks, one that
measures every action item (its target ``items.due`` on ``items.calendar``) and one for the
document, whose ladders are the thresholds. A policy without the section compiles to
``None``: the follow-up stage does not run and its decisions are what they were before the
section existed. See docs/postmortems.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from escalate.calendars._durations import parse_duration
from escalate.calendars.calendar import Calendar
from escalate.engine.actions import ActionDef
from escalate.engine.clocks import ClockDef, Rung, Target
from escalate.engine.followup import OWNER_TARGETS
from escalate.engine.postmortem import PostmortemDef
from escalate.errors import PolicyError, shown, suggest
from escalate.policy.models import PostmortemSectionSpec, RuleSpec, RungSpec

__all__ = [
    "DOCUMENT_TARGETS",
    "ITEM_TARGETS",
    "check_rule",
    "check_thresholds",
    "compile_postmortem",
]

Path = tuple[str | int, ...]

#: The owner targets the document's thresholds may notify, and those an item's may.
DOCUMENT_TARGETS = ("postmortem-owner", "postmortem-owner-manager")
ITEM_TARGETS = OWNER_TARGETS
# The targets without a kind any notify takes (the compiler's NOTIFY_SPECIAL).
_SPECIAL = ("assignee", "assignment-group", "customer", "requester")

# What the follow-up cannot do, and why: it goes on after the incident ended.
_REFUSED = {
    "escalate": "escalation paths do not move once the ticket ended, and the follow-up goes "
    "on after that: notify a manager or a role instead (notify: {to: [item-owner-manager, "
    "role:problem-manager]})",
    "transfer": "escalation paths do not move once the ticket ended, and the follow-up goes "
    "on after that: notify the team instead",
    "status_page": "a status page tells customers about a live incident, not about its post-mortem",
    "open_bridge": "a bridge is for a live incident, not for its post-mortem",
    "require_postmortem": "the follow-up of a post-mortem cannot require another one",
}


def check_rule(spec: RuleSpec, actions: Sequence[ActionDef], path: Path) -> None:
    """A rule reading ``postmortem.*`` is matched after the follow-up stage, which runs after
    the paths and the rules that require post-mortems: it can neither shadow those, nor move
    a path, nor require the post-mortem its facts describe."""
    if spec.final:
        raise PolicyError(
            "a rule that reads postmortem.* cannot be final: it is matched after the "
            "post-mortem follow-up, so it cannot shadow the rules before it",
            path=(*path, "final"),
        )
    for act in actions:
        if act.path is not None:
            raise PolicyError(
                "a rule that reads postmortem.* cannot escalate or transfer: it is matched "
                "after the paths moved (notify a manager or a role instead)",
                path=(*path, "then"),
            )
        if act.kind == "require_postmortem":
            raise PolicyError(
                "a rule that reads postmortem.* cannot require_postmortem: the post-mortem "
                "its facts describe would depend on it",
                path=(*path, "then"),
            )


def check_thresholds(spec: PostmortemSectionSpec) -> None:
    """Refuse, before they are compiled, the threshold actions the follow-up cannot take
    (it goes on after the incident ended): paths, status pages, bridges, another post-mortem,
    notification plans."""
    for key in ("escalation", "document_escalation"):
        rungs: list[RungSpec] = getattr(spec, key)
        for i, rung in enumerate(rungs):
            for kind, why in _REFUSED.items():
                if getattr(rung, kind) is not None:
                    message = f"post-mortem thresholds cannot {kind}: {why}"
                    raise PolicyError(message, path=("postmortem", key, i, kind))
            allowed = (*_SPECIAL, *(ITEM_TARGETS if key == "escalation" else DOCUMENT_TARGETS))
            for j, target in enumerate(rung.notify.to if rung.notify is not None else ()):
                if ":" in target or target in allowed or target in OWNER_TARGETS:
                    continue
                near = suggest(target, allowed)
                if near is not None:
                    raise PolicyError(
                        f"unknown target {shown(target)} (did you mean {shown(near)}?)",
                        path=("postmortem", key, i, "notify", "to", j),
                    )
            if rung.notify is not None and rung.notify.plan is not None:
                raise PolicyError(
                    "notification plans deliver a live incident's pages and stop when it "
                    "ends; post-mortem follow-up goes out as one notify (leave out plan:)",
                    path=("postmortem", key, i, "notify", "plan"),
                )


def compile_postmortem(
    spec: PostmortemSectionSpec,
    *,
    escalation: tuple[Rung, ...],
    document: tuple[Rung, ...],
    calendar: Callable[[str, Path], Calendar],
) -> PostmortemDef:
    """The section compiled from its thresholds (``escalation`` and ``document``, compiled as
    clock rungs after :func:`check_thresholds`); ``calendar`` looks a calendar name up (a
    PolicyError naming the key path for an unknown one)."""
    items = spec.items
    found = calendar(items.calendar, ("postmortem", "items", "calendar"))
    targets: Mapping[str, Target] = {}
    if items.due is not None:
        due = parse_duration(items.due, ("postmortem", "items", "due"), allow_months=True)
        targets = {"default": Target(due, items.calendar, found)}
    return PostmortemDef(
        items=_clock("postmortem-items", targets, escalation),
        document=_clock("postmortem-document", {}, document),
        items_due=items.due,
        calendar=items.calendar,
        items_calendar=found,
    )


def _clock(name: str, targets: Mapping[str, Target], ladder: tuple[Rung, ...]) -> ClockDef:
    """A clock that only measures: no triggers (the follow-up stage makes its cycles)."""
    return ClockDef(
        name=name,
        type="custom",
        precedence=0,
        start=(),
        stop=(),
        pause=frozenset(),
        new_cycle_on=frozenset(),
        restart_on_priority_change=False,
        targets=targets,
        ladder=ladder,
    )
