"""The policy file format, as strict pydantic models.

These models are the boundary: they validate YAML data (no coercion: ``strict=True``, unknown
keys rejected) and export the JSON Schema editors use for completion. The compiled, fast
representation lives in :mod:`escalate.engine.compiled`; nothing here runs on the evaluate path.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "ActionSpec",
    "ClockSpec",
    "LevelSpec",
    "PathSpec",
    "PolicySpec",
    "RuleSpec",
    "RungSpec",
    "TargetSpec",
    "TriggerSpec",
]

Name = str
Duration = str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class EscalateSpec(_Strict):
    """Move a path up to a level (never down)."""

    path: Name
    to: Name


class TransferSpec(_Strict):
    """Hand the ticket across to a horizontal path (another team, a vendor)."""

    path: Name
    to: Name | None = Field(default=None, description="level to start at; default: the first")


class NotifySpec(_Strict):
    """Tell people something; escalate emits it, the caller delivers it."""

    to: list[str] = Field(min_length=1, description="targets like 'assignee', 'team:x'")
    channel: Literal["email", "sms", "chat", "voice", "push", "status-page"] = "email"
    template: str | None = None
    audience: Literal["internal", "customer", "executive", "vendor", "regulator"] = "internal"


class BridgeSpec(_Strict):
    """Open a bridge / war room with these participants."""

    participants: list[str] = Field(min_length=1)


class PostmortemSpec(_Strict):
    """Require a post-mortem, due this long (wall time) after the trigger."""

    within: Duration = "5d"


class FlagSpec(_Strict):
    """Ask the caller to set a flag on the ticket."""

    flag: Name
    value: str | int | bool = True


class CustomSpec(_Strict):
    """An action escalate does not know, passed through with its payload."""

    type: Name
    payload: dict[str, Any] = Field(default_factory=dict)


ACTION_KINDS = (
    "escalate",
    "transfer",
    "notify",
    "open_bridge",
    "require_postmortem",
    "set_flag",
    "custom",
)


class ActionSpec(_Strict):
    """One or more actions; each present key is one action (emitted in the order above)."""

    escalate: EscalateSpec | None = None
    transfer: TransferSpec | None = None
    notify: NotifySpec | None = None
    open_bridge: BridgeSpec | None = None
    require_postmortem: PostmortemSpec | None = None
    set_flag: FlagSpec | None = None
    custom: CustomSpec | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> ActionSpec:
        if not any(getattr(self, kind) is not None for kind in ACTION_KINDS):
            raise ValueError(f"an action needs one of: {', '.join(ACTION_KINDS)}")
        return self


class RungSpec(ActionSpec):
    """A rung of a clock's ladder: actions due when elapsed reaches ``at`` of the target."""

    at: str = Field(description="share of the target, like '75%'")
    rationale: str | None = None


class TargetSpec(_Strict):
    """The target of a clock for one priority."""

    within: Duration = Field(description="'4h' (calendar time), '2d' (24 h blocks), '3bd'")
    calendar: Name = Field(default="24x7", description="a calendar name, or '24x7'")


class TriggerSpec(_Strict):
    """Fires on an event of these types and/or on entering one of these statuses."""

    event: list[str] | str | None = None
    status: list[str] | str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> TriggerSpec:
        if self.event is None and self.status is None:
            raise ValueError("a trigger needs 'event' or 'status'")
        return self


class PauseSpec(_Strict):
    """The clock does not run while the ticket is in one of these statuses."""

    status: list[str] | str


class ClockSpec(_Strict):
    """An SLA clock: start/pause/stop over the history, targets per priority, a ladder."""

    type: Literal[
        "response", "resolution", "update", "ola", "underpinning-contract", "regulatory", "custom"
    ] = "custom"
    precedence: int = Field(default=100, description="lower comes first among clocks")
    start: TriggerSpec | list[TriggerSpec] = Field(
        default_factory=lambda: TriggerSpec(event="created")
    )
    pause: PauseSpec | None = None
    stop: TriggerSpec | list[TriggerSpec]
    new_cycle_on: list[str] | str = Field(default_factory=list, description="event types")
    on_priority_change: Literal["retroactive", "restart"] = "retroactive"
    targets: dict[str, TargetSpec] = Field(min_length=1, description="priority -> target")
    ladder: list[RungSpec] = Field(default_factory=list)
    rationale: str | None = None
    source: str | None = None


class LevelSpec(_Strict):
    """A level of an escalation path."""

    name: Name
    targets: list[str] = Field(
        min_length=1, description="'person:x', 'team:x', 'role:x', 'schedule:x', 'manager:x'"
    )
    after: Duration | None = Field(default=None, description="move on this long after entry")
    at: Duration | None = Field(default=None, description="enter at this offset from path start")
    calendar: Name | None = Field(default=None, description="count after/at on this calendar")
    ack_timeout: Duration | None = None
    until: Literal["acknowledged", "resolved"] = "acknowledged"
    on_empty: Literal["skip", "wait", "defer_until_covered", "fallback"] = "skip"
    fallback: list[str] = Field(default_factory=list)
    owner: str | None = None
    ack_within: Duration | None = Field(default=None, description="expected acknowledgement")
    resolve_within: Duration | None = Field(default=None, description="expected resolution")
    authority: list[str] = Field(default_factory=list, description="decision authority labels")


class PathSpec(_Strict):
    """A vertical (tiers, management) or horizontal (teams, vendors) escalation path."""

    kind: Literal["vertical", "horizontal"]
    description: str | None = None
    starts: Literal["on-open", "on-trigger"] | None = Field(
        default=None, description="default: on-open for vertical, on-trigger for horizontal"
    )
    when: dict[str, Any] | None = Field(
        default=None, description="criteria: the path runs only while this condition holds"
    )
    repeat: int = Field(default=0, ge=0, le=10, description="rounds after the last level")
    levels: list[LevelSpec] = Field(min_length=1)


class RuleSpec(_Strict):
    """When the condition holds, the actions are due."""

    id: Name
    priority: int = Field(default=0, description="higher goes first; ties keep file order")
    when: dict[str, Any]
    then: ActionSpec | list[ActionSpec]
    final: bool = Field(default=False, description="shadow matching rules that come after")
    rationale: str | None = None
    source: str | None = None


class PolicySpec(_Strict):
    """A whole escalation policy."""

    policy: Name
    version: int | str
    description: str = ""
    pin: Literal["at-open", "latest"] = "latest"
    terminology: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    priority_matrix: dict[str, dict[str, str]] = Field(default_factory=dict)
    custom_fields: dict[str, Literal["string", "integer", "boolean"]] = Field(default_factory=dict)
    calendars: dict[str, Any] = Field(default_factory=dict)
    directory: dict[str, Any] = Field(
        default_factory=dict, description="people, teams, roles (see docs/on-call.md)"
    )
    schedules: dict[str, Any] = Field(
        default_factory=dict, description="on-call schedules (see docs/on-call.md)"
    )
    clocks: dict[str, ClockSpec] = Field(default_factory=dict)
    paths: dict[str, PathSpec] = Field(default_factory=dict)
    rules: list[RuleSpec] = Field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Editor schema for the sections their own compilers validate
# --------------------------------------------------------------------------------------------
#
# Calendars, the directory and schedules are validated by Calendar.from_config,
# Directory.from_config and Schedule.from_config, which give the precise errors (overlapping
# intervals, unknown people ...). The models below describe the same shapes for the JSON
# Schema that editors use for completion; tests/test_schema.py checks that the shipped pack
# and the documented examples conform to them.

Interval = str  # "HH:MM-HH:MM"; 24:00 as an end; an end before the start runs overnight


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HolidaysDoc(_Doc):
    """Holidays: a country's for explicit years, explicit dates, yearly dates."""

    country: str | None = Field(default=None, description="ISO code, e.g. 'DE'")
    subdiv: str | None = Field(default=None, description="subdivision, e.g. 'BE'")
    categories: list[str] | None = None
    years: tuple[int, int] | None = Field(default=None, description="[first, last], inclusive")
    dates: list[str] = Field(default_factory=list, description="YYYY-MM-DD")
    recurring: list[str] = Field(default_factory=list, description="MM-DD, every year")


class CalendarDoc(_Doc):
    """A business-hours calendar (see docs/calendars.md)."""

    timezone: str = Field(description="IANA name, e.g. 'Europe/Berlin'")
    hours: Literal["24x7"] | dict[str, Interval | list[Interval]] = Field(
        description="'24x7', or weekday keys ('mon', 'mon-fri', 'sat,sun') -> intervals"
    )
    holidays: HolidaysDoc | None = None
    closures: dict[str, list[Interval]] = Field(
        default_factory=dict, description="date -> intervals closed on that date only"
    )
    extra_hours: dict[str, list[Interval]] = Field(
        default_factory=dict, description="date -> intervals open on that date only"
    )
    years: tuple[int, int] | None = Field(
        default=None, description="range to compile when there are no holiday years"
    )


class PersonDoc(_Doc):
    name: str | None = None
    timezone: str | None = None
    channels: dict[Literal["email", "sms", "chat", "voice", "push", "phone"], str] = Field(
        default_factory=dict
    )
    validated_at: str | None = Field(default=None, description="YYYY-MM-DD of the last check")
    backup: str | None = None
    managers: list[str] = Field(default_factory=list, description="one or two reporting lines")
    escalation_authority: str | None = Field(
        default=None, description="which manager escalation follows"
    )
    authority: list[str] = Field(default_factory=list)


class TeamDoc(_Doc):
    members: list[str] = Field(default_factory=list)
    lead: str | None = None
    backup: str | None = None
    schedule: str | None = None


class RoleDoc(_Doc):
    person: str | None = None
    team: str | None = None
    schedule: str | None = None
    backup: str | None = None
    authority: list[str] = Field(default_factory=list)


class DirectoryDoc(_Doc):
    """People, teams and roles (see docs/on-call.md)."""

    contact_max_age: str | None = None
    people: dict[str, PersonDoc | None] = Field(default_factory=dict)
    teams: dict[str, TeamDoc] = Field(default_factory=dict)
    roles: dict[str, RoleDoc] = Field(default_factory=dict)


class RotationDoc(_Doc):
    members: list[str | list[str]] = Field(description="people; a nested list is a group")
    turn: str = Field(description="'12h', '1d', '1w' ...")
    handoff: str | None = Field(default=None, description="HH:MM wall time of hand-offs")
    anchor: str = Field(description="date or aware instant where turn 0 starts")


class RestrictionDoc(_Doc):
    days: str | None = Field(default=None, description="'mon-fri', 'sat,sun' ...")
    time: Interval


class LayerDoc(_Doc):
    name: str
    level: int = Field(ge=1, description="higher beats lower where it has someone")
    rotation: RotationDoc
    effective_from: str | None = None
    effective_until: str | None = None
    restrictions: list[RestrictionDoc] | None = None
    window: Any = Field(default=None, description="Alertmanager time_intervals entries")


class OverrideDoc(_Doc):
    start: str
    end: str
    people: list[str]


class ScheduleDoc(_Doc):
    """An on-call schedule (see docs/on-call.md)."""

    timezone: str
    layers: list[LayerDoc] = Field(min_length=1)
    overrides: list[OverrideDoc] = Field(default_factory=list)


def policy_json_schema() -> dict[str, Any]:
    """The JSON Schema of the policy format, for editors (``escalate schema``)."""
    schema = PolicySpec.model_json_schema()
    defs = schema.setdefault("$defs", {})
    for section, model in (
        ("calendars", CalendarDoc),
        ("schedules", ScheduleDoc),
    ):
        sub = model.model_json_schema(ref_template="#/$defs/{model}")
        defs.update(sub.pop("$defs", {}))
        defs[model.__name__] = sub
        schema["properties"][section]["additionalProperties"] = {
            "anyOf": [{"$ref": f"#/$defs/{model.__name__}"}]
            + ([{"const": "24x7"}] if section == "calendars" else [])
        }
    sub = DirectoryDoc.model_json_schema(ref_template="#/$defs/{model}")
    defs.update(sub.pop("$defs", {}))
    defs["DirectoryDoc"] = sub
    schema["properties"]["directory"] = {"$ref": "#/$defs/DirectoryDoc"}
    return schema
