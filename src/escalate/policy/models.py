"""The policy file format, as strict pydantic models.

These models are the boundary: they validate YAML data (no coercion: ``strict=True``, unknown
keys rejected) and export the JSON Schema editors use for completion. The compiled, fast
representation lives in :mod:`escalate.engine.compiled`; nothing here runs on the evaluate path.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, WithJsonSchema, model_validator

from escalate._models import Label, Prose, StrictModel, model_problem, patterned
from escalate.calendars.models import (
    DURATION_PATTERN,
    PERCENT_PATTERN,
    CalendarConfig,
    Duration,
    Percent,
)
from escalate.comms.models import AudienceName, AudienceSpec, DataClass, RedactionSpec, TemplateSpec
from escalate.people.models import DirectoryModel, ScheduleModel
from escalate.policy.governance import GovernanceSpec, Risk
from escalate.policy.recurrence import RecurrenceSpec
from escalate.policy.vendors import Vendors

__all__ = [
    "BRIDGE_PATTERN",
    "CONDITION_SCHEMA",
    "KEBAB_PATTERN",
    "STATUS_PAGE_STATES",
    "TARGET_PATTERN",
    "ActionSpec",
    "ChannelSpec",
    "ClockSpec",
    "DefinitionSpec",
    "EffectiveSpec",
    "LevelSpec",
    "NotificationPlanSpec",
    "NotificationsSpec",
    "PathSpec",
    "PlanStepSpec",
    "PolicySpec",
    "PostmortemItemsSpec",
    "PostmortemSectionSpec",
    "PostmortemSpec",
    "RemoveSpec",
    "RuleSpec",
    "RungSpec",
    "SectionsSpec",
    "SegmentSpec",
    "StatusPageSpec",
    "StatusPagesSpec",
    "StatusSpec",
    "TargetSpec",
    "TriggerSpec",
    "policy_json_schema",
]

#: Ids of rules, clocks, paths, calendars and schedules (see ``_KEBAB`` in the compiler).
KEBAB_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
Id = Annotated[
    str,
    patterned(
        KEBAB_PATTERN,
        "lower-case words joined by '-' (ids appear in field names like "
        "clock.<name>.percent, in traces and in action ids)",
    ),
    Field(examples=["p1-major", "service-desk"]),
]
#: Names of levels, flags, actions and the policy itself: see :data:`escalate._models.Label`.
Name = Label
#: ``kind:name`` targets; checked against the directory by the compiler (with suggestions).
TARGET_PATTERN = r"^(?:person|team|role|schedule|manager):.+$"
Target = Annotated[
    Label,
    Field(
        json_schema_extra={"pattern": TARGET_PATTERN},
        examples=["team:service-desk", "person:alice", "schedule:ops", "manager:alice"],
    ),
]
#: Bridge participants: any target, or ``path:<name>`` (the people of that path's current level).
BRIDGE_PATTERN = r"^(?:person|team|role|schedule|manager|path):.+$"
BridgeTarget = Annotated[
    Label,
    Field(
        json_schema_extra={"pattern": BRIDGE_PATTERN},
        examples=["role:incident-manager", "path:service-desk", "schedule:ops"],
    ),
]
#: The component states of Atlassian Statuspage's API (``component.status``), in its spelling
#: with dashes: https://developer.statuspage.io/#operation/patchPagesPageIdComponentsComponentId
STATUS_PAGE_STATES = (
    "operational",
    "degraded-performance",
    "partial-outage",
    "major-outage",
    "under-maintenance",
)
StatusPageState = Literal[
    "operational", "degraded-performance", "partial-outage", "major-outage", "under-maintenance"
]
NOTIFY_PATTERN = (
    r"^(?:assignee|assignment-group|customer|requester"
    r"|(?:postmortem|item)-owner(?:-manager)?"
    r"|(?:person|team|role|schedule|manager):.+)$"
)
#: Who owns a post-mortem as ``require_postmortem.owner`` names them.
OWNER_PATTERN = r"^(?:assignee|assignment-group|(?:person|team|role|schedule|manager):.+)$"
PostmortemOwner = Annotated[
    Label,
    Field(
        json_schema_extra={"pattern": OWNER_PATTERN},
        examples=["role:problem-manager", "assignee"],
    ),
]
NotifyTarget = Annotated[
    Label,
    Field(
        json_schema_extra={"pattern": NOTIFY_PATTERN},
        examples=["assignee", "team:service-desk"],
    ),
]
# pydantic cannot point at a $defs entry it does not build; a marker is swapped for the $ref.
_CONDITION_MARK = "x-escalate-condition"
Condition = Annotated[dict[str, Any], WithJsonSchema({"type": "object", _CONDITION_MARK: True})]

_Strict = StrictModel


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

    to: list[NotifyTarget] = Field(min_length=1, description="targets like 'assignee', 'team:x'")
    channel: Label = Field(
        default="email",
        description="a kind (email, sms, chat, voice, push, status-page); once the policy "
        "declares channels:, also one of their names",
    )
    template: Label | None = None
    audience: Literal["internal", "customer", "executive", "vendor", "regulator"] = "internal"
    plan: Literal[True] | Id | None = Field(
        default=None,
        description="deliver through a notification plan: a notification_plans name, or true "
        "for each person's own plan (else the default); without it, one notify action",
    )


class BridgeSpec(_Strict):
    """Open a bridge / war room with these participants (resolved to people when due)."""

    participants: list[BridgeTarget] = Field(
        min_length=1,
        description="targets, or 'path:<name>': the people of that path's current level "
        "(a horizontal path: the team or vendor it has engaged; nobody while not engaged)",
    )
    room: Label | None = Field(
        default=None,
        description="which conference bridge or war room to use (passed to the caller)",
    )


class ComponentFieldSpec(_Strict):
    """A status-page component named by a ticket field (its value at the evaluated instant)."""

    field: Label = Field(description="a string ticket field: service, service_line, fields.<x>")
    default: Label | None = Field(
        default=None, description="the component when the field is empty (default: no intent)"
    )


class StatusPageSpec(_Strict):
    """Post a component's state on a status page (rate-limited by ``status_pages:``)."""

    component: Label | ComponentFieldSpec = Field(
        description="a component name, or {field: service} to read it from the ticket"
    )
    state: StatusPageState = Field(description="Statuspage's component states")
    message: Prose | None = Field(
        default=None, description="the update's text or the name of a template"
    )
    channel: Label | None = Field(
        default=None, description="the status-page channel to post on (default: the caller's)"
    )


class StatusResolveSpec(_Strict):
    """The final status-page update when a ticket ends (resolved, closed, cancelled)."""

    state: StatusPageState = "operational"
    message: Prose | None = None
    channel: Label | None = None


class StatusPagesSpec(_Strict):
    """How status-page intents are paced, and whether a resolved ticket restores components."""

    min_interval: Duration | None = Field(
        default=None,
        description="per component: no update sooner than this after the last one posted "
        "(recorded done); a held update becomes due then, and only the latest one is posted "
        "(default: no limit)",
    )
    on_resolve: StatusResolveSpec | None = Field(
        default=None,
        description="when the ticket ends, post this state for every component it posted "
        "(default: nothing)",
    )


class PostmortemSpec(_Strict):
    """Require a post-mortem, due this long (wall time) after the trigger."""

    within: Duration = "5d"
    owner: PostmortemOwner | None = Field(
        default=None,
        description="who owns it until a postmortem 'assigned' event names someone: "
        "'assignee' (the ticket's assignee when it was required), 'assignment-group', or a "
        "target such as 'role:problem-manager' (docs/postmortems.md)",
    )


class FlagSpec(_Strict):
    """Ask the caller to set a flag on the ticket."""

    flag: Name
    value: Label | int | bool = True


class CustomSpec(_Strict):
    """An action escalate does not know, passed through with its payload."""

    type: Name
    payload: dict[str, Any] = Field(default_factory=dict)


ACTION_KINDS = (
    "escalate",
    "transfer",
    "notify",
    "status_page",
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
    status_page: StatusPageSpec | None = None
    open_bridge: BridgeSpec | None = None
    require_postmortem: PostmortemSpec | None = None
    set_flag: FlagSpec | None = None
    custom: CustomSpec | None = None
    risk: list[Risk] = Field(
        default_factory=list, description="risk classes of these actions (docs/governance.md)"
    )

    @model_validator(mode="after")
    def _at_least_one(self) -> ActionSpec:
        if not any(getattr(self, kind) is not None for kind in ACTION_KINDS):
            raise ValueError(f"an action needs one of: {', '.join(ACTION_KINDS)}")
        return self


RUNG_KEYS = ("at", "after", "before_breach")


class RungSpec(ActionSpec):
    """A rung of a clock's ladder: actions due when the clock's elapsed time reaches a share
    of the target (``at``), a duration (``after``) or the target less a lead
    (``before_breach``); exactly one of the three."""

    at: Percent | None = Field(default=None, description="share of the target, like '75%'")
    after: Duration | None = Field(
        default=None,
        description="elapsed time on the clock, like '4h' or '2bd' (business days from the "
        "cycle start on the target's calendar)",
    )
    before_breach: Duration | None = Field(
        default=None,
        description="elapsed time on the clock this long before the target, like '30m' (no 'bd')",
    )
    rationale: Prose | None = None

    @model_validator(mode="after")
    def _one_measure(self) -> RungSpec:
        given = [key for key in RUNG_KEYS if getattr(self, key) is not None]
        if len(given) != 1:
            found = f"got {', '.join(given)}" if given else "got none"
            raise model_problem(f"a rung needs exactly one of: {', '.join(RUNG_KEYS)} ({found})")
        return self


class PostmortemItemsSpec(_Strict):
    """When a post-mortem's action items are due when their events give no ``due``."""

    due: Duration | None = Field(
        default=None,
        description="counted from the item's first recording on 'calendar': '10bd', '2w', "
        "'1mo' (default: an item without its own due is never overdue)",
    )
    calendar: Id = Field(default="24x7", description="a calendar name, or '24x7'")


class PostmortemSectionSpec(_Strict):
    """Post-mortem follow-up (docs/postmortems.md): the due date of action items, and the
    thresholds that escalate overdue items and an unpublished post-mortem, each list written
    like a clock's ``ladder`` (``at: 100%``, ``after: 2bd``, ``before_breach: 1d``)."""

    items: PostmortemItemsSpec = Field(default_factory=PostmortemItemsSpec)
    escalation: list[RungSpec] = Field(
        default_factory=list,
        description="per action item, like a clock's ladder over the item's allowed time; "
        "notify may name 'item-owner', 'item-owner-manager', 'postmortem-owner', "
        "'postmortem-owner-manager'",
    )
    document_escalation: list[RungSpec] = Field(
        default_factory=list,
        description="for the post-mortem document, over the time from its requirement to "
        "its due date; notify may name 'postmortem-owner', 'postmortem-owner-manager'",
    )


class TargetSpec(_Strict):
    """The target of a clock for one priority."""

    within: Duration = Field(
        description="'4h' (calendar time), '2d' (24 h blocks), '3bd', '1mo' (calendar months)"
    )
    calendar: Id = Field(default="24x7", description="a calendar name, or '24x7'")
    by: str | None = Field(
        default=None,
        description="'HH:MM' or '24:00' (end of the day): due at that wall time on the due "
        "date in the calendar's zone; 'within' then counts dates (d, w, bd, mo)",
        examples=["17:30", "24:00"],
    )
    on_time_at_due: bool = Field(
        default=False,
        description="true: a stop at exactly the due instant is on time and the breach is the "
        "first instant after it (legal deadlines: 'not later than', 'on or before'); false: "
        "reaching the due instant is a breach (elapsed >= target)",
    )


StatusCategory = Literal["new", "in-progress", "on-hold", "resolved", "closed", "cancelled"]


class TriggerSpec(_Strict):
    """Fires on an event of these types and/or on entering one of these statuses (or a status
    of one of these categories)."""

    event: list[str] | str | None = None
    status: list[str] | str | None = None
    category: list[StatusCategory] | StatusCategory | None = Field(
        default=None, description="status categories: entering any status of them fires"
    )

    @model_validator(mode="after")
    def _one_of(self) -> TriggerSpec:
        if self.event is None and self.status is None and self.category is None:
            raise ValueError("a trigger needs 'event', 'status' or 'category'")
        return self


class PauseSpec(_Strict):
    """The clock does not run while the ticket is in one of these statuses (or a status of one
    of these categories)."""

    status: list[str] | str | None = None
    category: list[StatusCategory] | StatusCategory | None = Field(
        default=None, description="status categories, e.g. on-hold: every status in them pauses"
    )

    @model_validator(mode="after")
    def _one_of(self) -> PauseSpec:
        if self.status is None and self.category is None:
            raise ValueError("a pause needs 'status' or 'category'")
        return self


class StatusSpec(_Strict):
    """A canonical status: its category and the other names ticketing systems give it."""

    category: StatusCategory
    aliases: list[Label] = Field(
        default_factory=list,
        description="other spellings, e.g. 'Awaiting User Info', 'Waiting for customer' (case "
        "and separators are ignored)",
    )


class DefinitionSpec(_Strict):
    """A scoped target definition of a clock: its targets apply to the tickets ``when`` holds
    for (ServiceNow's SLA definition conditions, Jira SM's goals)."""

    id: Id
    when: Condition = Field(description="ticket fields only (not clock.* or path.*)")
    precedence: int = Field(
        default=100, description="lower wins when several definitions apply; ties: file order"
    )
    targets: dict[str, TargetSpec] = Field(min_length=1, description="priority -> target")
    rationale: Prose | None = None
    source: Prose | None = None


_AWARE = WithJsonSchema(
    {
        "type": "string",
        "format": "date-time",
        "description": "an instant with its UTC offset, e.g. '2025-01-17T00:00:00+01:00'",
    }
)


class EffectiveSpec(_Strict):
    """When the obligation a clock encodes is in force: a cycle counts only if it started in
    ``[from, until)`` (the law in force when it was triggered), or, with ``judged_at``, if the
    first milestone it names was recorded then. Either bound may be left out."""

    from_: Annotated[Any, _AWARE] = Field(default=None, alias="from")
    until: Annotated[Any, _AWARE] = None
    judged_at: str | None = Field(
        default=None,
        description="'milestone:<name>': the first such milestone recorded decides for every "
        "cycle of the clock whether it is in force (a report chained after the one that "
        "started the obligation); default: each cycle's own start",
        examples=["milestone:nis2-aware"],
    )


class ClockSpec(_Strict):
    """An SLA clock: start/pause/stop over the history, targets per priority, a ladder."""

    # What _some_targets checks, said in the JSON Schema too (for editors).
    model_config = ConfigDict(
        **_Strict.model_config,
        json_schema_extra={"anyOf": [{"required": ["targets"]}, {"required": ["definitions"]}]},
    )

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
    when: Condition | None = Field(
        default=None,
        description="the clock applies only to tickets this holds for (ticket fields only)",
    )
    targets: dict[str, TargetSpec] = Field(
        default_factory=dict,
        description="priority -> target, for tickets no scoped definition applies to",
    )
    definitions: list[DefinitionSpec] = Field(
        default_factory=list, description="scoped target definitions, chosen by precedence"
    )
    on_scope_change: Literal["retroactive", "restart"] = Field(
        default="retroactive",
        description="when the applying definition changes: it governs the whole cycle "
        "(retroactive) or a new cycle starts at the change (restart)",
    )
    ladder: list[RungSpec] = Field(default_factory=list)
    rationale: Prose | None = None
    source: Prose | None = None
    effective: EffectiveSpec | None = Field(
        default=None,
        description="the cycles that count: those started in [from, until); a clock with "
        "none in force does not apply",
    )

    @model_validator(mode="after")
    def _some_targets(self) -> ClockSpec:
        if not self.targets and not self.definitions:
            raise ValueError("a clock needs 'targets' or 'definitions'")
        return self


class LevelSpec(_Strict):
    """A level of an escalation path."""

    name: Name
    targets: list[Target] = Field(
        min_length=1, description="'person:x', 'team:x', 'role:x', 'schedule:x', 'manager:x'"
    )
    after: Duration | None = Field(default=None, description="move on this long after entry")
    at: Duration | None = Field(default=None, description="enter at this offset from path start")
    calendar: Id | None = Field(default=None, description="count after/at on this calendar")
    ack_timeout: Duration | None = None
    until: Literal["acknowledged", "resolved"] = "acknowledged"
    on_empty: Literal["skip", "wait", "defer_until_covered", "fallback"] = "skip"
    fallback: list[Target] = Field(default_factory=list)
    owner: Label | None = None
    ack_within: Duration | None = Field(default=None, description="expected acknowledgement")
    resolve_within: Duration | None = Field(default=None, description="expected resolution")
    authority: list[Label] = Field(default_factory=list, description="decision authority labels")
    notification_plan: Id | None = Field(
        default=None,
        description="the notification plan that delivers this level's page to everyone it "
        "reaches (before the person's own plan and the default)",
    )


class PathSpec(_Strict):
    """A vertical (tiers, management) or horizontal (teams, vendors) escalation path."""

    kind: Literal["vertical", "horizontal"]
    description: Prose | None = None
    starts: Literal["on-open", "on-trigger"] | None = Field(
        default=None, description="default: on-open for vertical, on-trigger for horizontal"
    )
    when: Condition | None = Field(
        default=None, description="criteria: the path runs only while this condition holds"
    )
    repeat: int = Field(default=0, ge=0, le=10, description="rounds after the last level")
    page_first_level: bool = Field(
        default=False,
        description="on-open paths: page the first level when the path starts, like any "
        "other level (default: the ticket starts there by assignment, nobody is paged)",
    )
    reenter: bool = Field(
        default=False,
        description="horizontal paths: each new request (a rule's new stretch, a reached "
        "rung) enters the path again at the level it asks for, with its own action ids",
    )
    levels: list[LevelSpec] = Field(min_length=1)


class RuleSpec(_Strict):
    """When the condition holds, the actions are due."""

    id: Id
    priority: int = Field(default=0, description="higher goes first; ties keep file order")
    when: Condition
    # A rule without actions would match, be traced as matched and do nothing: refused.
    then: ActionSpec | Annotated[list[ActionSpec], Field(min_length=1)] = Field(
        description="one action mapping, or a non-empty list of them"
    )
    final: bool = Field(default=False, description="shadow matching rules that come after")
    rationale: Prose | None = None
    source: Prose | None = None
    risk: list[Risk] = Field(
        default_factory=list, description="risk classes of the rule (docs/governance.md)"
    )


#: The communication sections, declared once for a policy and for its segments and ``add:``.
Classification = Annotated[
    dict[Label, DataClass],
    Field(
        default_factory=dict,
        description="ticket field -> the kind of sensitive data it holds (personal, health, "
        "security, internal-only); see docs/notifications.md",
    ),
]
Redaction = Annotated[
    dict[Id, RedactionSpec],
    Field(
        default_factory=dict, description="redaction profiles: the classes an audience may not read"
    ),
]
Templates = Annotated[
    dict[Id, TemplateSpec],
    Field(default_factory=dict, description="message templates (sandboxed Jinja2) per audience"),
]
Audiences = Annotated[
    dict[AudienceName, AudienceSpec],
    Field(
        default_factory=dict,
        description="per audience: redaction profile, point of contact, update cadence",
    ),
]


class SectionsSpec(_Strict):
    """The named entries a segment (or a policy that ``extends`` another) overrides or adds.

    Each entry is written in full, as in a policy; an override replaces the base's entry of
    the same id whole (rules by their ``id``), except ``terminology``, whose aliases are added
    to the base's.
    """

    terminology: dict[Label, dict[Label, list[Label]]] = Field(default_factory=dict)
    statuses: dict[Id, StatusSpec] = Field(
        default_factory=dict, description="statuses of a base that declares statuses:"
    )
    priority_matrix: dict[Label, dict[Label, Label]] = Field(default_factory=dict)
    custom_fields: dict[Label, Literal["string", "integer", "boolean"]] = Field(
        default_factory=dict
    )
    calendars: dict[Id, CalendarConfig] = Field(default_factory=dict)
    directory: DirectoryModel = Field(default_factory=DirectoryModel)
    schedules: dict[Id, ScheduleModel] = Field(default_factory=dict)
    clocks: dict[Id, ClockSpec] = Field(default_factory=dict)
    paths: dict[Id, PathSpec] = Field(default_factory=dict)
    rules: list[RuleSpec] = Field(default_factory=list)
    classification: Classification
    redaction: Redaction
    templates: Templates
    audiences: Audiences
    vendors: Vendors


class DirectoryRemoveSpec(_Strict):
    """Directory entries a segment removes, by id."""

    people: list[Label] = Field(default_factory=list)
    teams: list[Label] = Field(default_factory=list)
    roles: list[Label] = Field(default_factory=list)


class RemoveSpec(_Strict):
    """Entries of the base a segment (or an extending policy) removes, by id. Removing an id
    the base does not define is an error; so is removing what something else still names."""

    statuses: list[Id] = Field(default_factory=list)
    priority_matrix: list[Label] = Field(default_factory=list, description="impact rows")
    custom_fields: list[Label] = Field(default_factory=list)
    calendars: list[Id] = Field(default_factory=list)
    directory: DirectoryRemoveSpec = Field(default_factory=DirectoryRemoveSpec)
    schedules: list[Id] = Field(default_factory=list)
    clocks: list[Id] = Field(default_factory=list)
    paths: list[Id] = Field(default_factory=list)
    rules: list[Id] = Field(default_factory=list)
    classification: list[Label] = Field(default_factory=list, description="field paths")
    redaction: list[Id] = Field(default_factory=list)
    templates: list[Id] = Field(default_factory=list)
    audiences: list[AudienceName] = Field(default_factory=list)
    vendors: list[Id] = Field(default_factory=list, description="vendor contracts, by id")


class SegmentSpec(SectionsSpec):
    """A part of the organisation (a region, business unit, customer) with its own variant of
    the policy: the base (the file itself) with these overrides, additions and removals,
    chosen for a ticket when ``when`` holds and no segment of lower ``precedence`` matched."""

    id: Id
    description: Prose | None = None
    when: Condition = Field(description="on what the ticket is: region, business_unit, ...")
    precedence: int = Field(description="lower is tried first; each segment has its own")
    add: SectionsSpec | None = Field(default=None, description="entries the base lacks")
    remove: RemoveSpec | None = Field(default=None, description="base entries to drop, by id")


class PolicySectionsSpec(SectionsSpec):
    """What a policy that ``extends`` another adds: any section, segments included."""

    segments: list[SegmentSpec] = Field(default_factory=list)
    channels: dict[Id, ChannelSpec] = Field(default_factory=dict)
    notification_plans: dict[Id, NotificationPlanSpec] = Field(default_factory=dict)


class PolicyRemoveSpec(RemoveSpec):
    """What a policy that ``extends`` another removes: any entry, segments included."""

    segments: list[Id] = Field(default_factory=list)
    channels: list[Id] = Field(default_factory=list)
    notification_plans: list[Id] = Field(default_factory=list)


class LintIgnoreSpec(_Strict):
    """One lint finding the policy's authors have looked at and accept (docs/lint.md)."""

    code: Id = Field(
        description="the finding's code, e.g. stale-contact", examples=["no-rationale"]
    )
    where: Label | None = Field(
        default=None,
        description="a key path prefix as findings print it (directory.people.anna, "
        "rules.wrong-team, directory.people.'anna.schmidt'); default: everywhere",
    )
    reason: Prose = Field(min_length=1, description="why the finding is accepted")


class LintSpec(_Strict):
    """How ``escalate validate`` treats this policy's findings."""

    ignore: list[LintIgnoreSpec] = Field(
        default_factory=list, description="findings not to report, each with its reason"
    )


#: The kinds of channel a policy may declare (a fixed vocabulary; the names are the policy's).
CHANNEL_KINDS = ("chat", "sms", "voice", "email", "webhook", "status-page", "push")
#: The keys of a person's ``channels:`` (their addresses) a channel may read.
PERSON_CHANNELS = ("email", "sms", "chat", "voice", "push", "phone")


class ChannelSpec(_Strict):
    """A way to reach people (``channels.<name>``): its kind and where its address comes from.

    Without ``address`` or ``address_from``, the address is the person's ``channels`` entry
    named like the kind (for ``voice``: ``voice``, else ``phone``).
    """

    kind: Literal["chat", "sms", "voice", "email", "webhook", "status-page", "push"]
    address_from: list[Literal["email", "sms", "chat", "voice", "push", "phone"]] | None = Field(
        default=None,
        min_length=1,
        description="the person's channels entries to read, first present wins "
        "(default: the kind; voice: voice, then phone)",
    )
    address: Label | None = Field(
        default=None,
        description="one fixed address for everyone (a webhook URL, a shared room): no "
        "person address is read",
    )
    description: Prose | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ChannelSpec:
        if self.address is not None and self.address_from is not None:
            raise model_problem("give address or address_from, not both")
        return self


class PlanStepSpec(_Strict):
    """One attempt of a notification plan: a channel, this long after the chain started."""

    channel: Id = Field(description="a channels name")
    after: Duration | None = Field(
        default=None,
        description="from the start of the chain (cumulative, like Opsgenie), wall time, no "
        "business days; omitted: at the start",
    )


class NotificationPlanSpec(_Strict):
    """An ordered chain of channel attempts, stopped by an acknowledgement
    (``notification_plans.<name>``)."""

    description: Prose | None = None
    steps: list[PlanStepSpec] = Field(min_length=1, description="in the order of their 'after'")
    escalate_after: Duration | None = Field(
        default=None,
        description="this long after the last step with no acknowledgement, an open_incident "
        "action reports the communication failure (default: none)",
    )


class NotificationsSpec(_Strict):
    """Which plan applies when nothing names one, and what urgency does to quiet hours."""

    default_plan: Id | None = Field(
        default=None,
        description="the plan for pages to people without a plan of their own (default: none: "
        "such pages are one action, as without plans)",
    )
    urgent_priorities: list[Label] = Field(
        default_factory=list, description="canonical priorities that are urgent, e.g. [P1]"
    )
    urgent_overrides_quiet_hours: bool = Field(
        default=False,
        description="attempts for urgent tickets are made in quiet hours too (default: they "
        "wait like any other)",
    )


class PolicySpec(_Strict):
    """A whole escalation policy."""

    extends: Label | None = Field(
        default=None,
        description="a base policy file, relative to this one; the sections here override it",
    )
    policy: Name
    version: int | Label
    description: Prose = ""
    pin: Literal["at-open", "latest"] = "latest"
    terminology: dict[Label, dict[Label, list[Label]]] = Field(default_factory=dict)
    priority_matrix: dict[Label, dict[Label, Label]] = Field(default_factory=dict)
    custom_fields: dict[Label, Literal["string", "integer", "boolean"]] = Field(
        default_factory=dict
    )
    statuses: dict[Id, StatusSpec] | None = Field(
        default=None,
        description="the statuses tickets may be in, each with a category and aliases (default: "
        "the built-in statuses, see docs/policy-reference.md)",
    )
    empty_values: list[str] = Field(
        default_factory=list,
        description="strings that mean 'no value' in tickets this policy reads from mappings, "
        "e.g. ['?', 'NULL'] (default: none)",
    )
    calendars: dict[Id, CalendarConfig] = Field(
        default_factory=dict, description="business-hours calendars (see docs/calendars.md)"
    )
    directory: DirectoryModel = Field(
        default_factory=DirectoryModel, description="people, teams, roles (see docs/on-call.md)"
    )
    channels: dict[Id, ChannelSpec] = Field(
        default_factory=dict,
        description="channels notification plans use, by name (see docs/notifications.md)",
    )
    notification_plans: dict[Id, NotificationPlanSpec] = Field(
        default_factory=dict,
        description="chains of channel attempts with delays (see docs/notifications.md)",
    )
    notifications: NotificationsSpec | None = Field(
        default=None, description="the default plan and urgency over quiet hours"
    )
    schedules: dict[Id, ScheduleModel] = Field(
        default_factory=dict, description="on-call schedules (see docs/on-call.md)"
    )
    clocks: dict[Id, ClockSpec] = Field(default_factory=dict)
    paths: dict[Id, PathSpec] = Field(default_factory=dict)
    rules: list[RuleSpec] = Field(default_factory=list)
    classification: Classification
    redaction: Redaction
    templates: Templates
    audiences: Audiences
    status_pages: StatusPagesSpec | None = Field(
        default=None,
        description="rate limit of status-page updates and the update on resolution "
        "(see docs/notifications.md)",
    )
    segments: list[SegmentSpec] = Field(
        default_factory=list, description="variants of this policy chosen per ticket"
    )
    vendors: Vendors
    add: PolicySectionsSpec | None = Field(
        default=None, description="with extends: entries the base lacks"
    )
    remove: PolicyRemoveSpec | None = Field(
        default=None, description="with extends: base entries to drop, by id"
    )
    lint: LintSpec = Field(
        default_factory=LintSpec,
        description="lint findings to suppress, each with a reason (see docs/lint.md)",
    )
    governance: GovernanceSpec | None = Field(
        default=None,
        description="risk oversight, board and audit flags, override checks (docs/governance.md)",
    )
    recurrence: RecurrenceSpec | None = Field(
        default=None,
        description="a fingerprint and window whose recurrence counts a caller fills into two "
        "integer fields conditions read (docs/policy-reference.md#recurrence)",
    )
    postmortem: PostmortemSectionSpec | None = Field(
        default=None,
        description="post-mortem follow-up: owner, due dates and action items, escalated when "
        "overdue (docs/postmortems.md)",
    )


# --------------------------------------------------------------------------------------------
# JSON Schema
# --------------------------------------------------------------------------------------------

_SCALAR: dict[str, Any] = {"type": ["string", "integer", "boolean"]}
_LIST: dict[str, Any] = {"type": "array", "items": _SCALAR, "minItems": 1}
_ORDERED: dict[str, Any] = {
    "anyOf": [
        {"type": "integer"},
        {"type": "string", "pattern": PERCENT_PATTERN},
        {"type": "string", "pattern": DURATION_PATTERN},
        {"type": "string", "minLength": 1},
    ],
    "description": "a number, a percentage ('75%'), a duration ('30m') or a level name",
}
OPERATOR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "operators on one field, ANDed",
    "minProperties": 1,
    "additionalProperties": False,
    "properties": {
        "eq": _SCALAR,
        "ne": _SCALAR,
        "in": _LIST,
        "not_in": _LIST,
        "gt": _ORDERED,
        "gte": _ORDERED,
        "lt": _ORDERED,
        "lte": _ORDERED,
        "matches": {"type": "string", "description": "a regular expression (search)"},
        "contains": {"type": "string"},
        "any_of": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "none_of": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "exists": {"type": "boolean"},
    },
}
#: The ``when:`` language (engine/conditions.py) as JSON Schema: a non-empty mapping of fields
#: to a value (equality), a list (membership) or operators; ``all``/``any`` take lists of
#: conditions, ``not`` one condition; ``within``/``not_within`` name a calendar (rules only);
#: several keys are ANDed.
CONDITION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "field -> value, list or {operator: value}; all/any/not combine conditions; "
        "within/not_within test the instant against a calendar (rules only)"
    ),
    "minProperties": 1,
    "properties": {
        "all": {"type": "array", "items": {"$ref": "#/$defs/Condition"}, "minItems": 1},
        "any": {"type": "array", "items": {"$ref": "#/$defs/Condition"}, "minItems": 1},
        "not": {"$ref": "#/$defs/Condition"},
        "within": {
            "type": "string",
            "minLength": 1,
            "description": "a calendar (or 24x7): holds while it is open",
        },
        "not_within": {
            "type": "string",
            "minLength": 1,
            "description": "a calendar (or 24x7): holds while it is closed",
        },
    },
    "propertyNames": {"pattern": r"^[A-Za-z_][A-Za-z0-9_.-]*$"},
    "additionalProperties": {"anyOf": [_SCALAR, _LIST, {"$ref": "#/$defs/Operators"}]},
    "examples": [
        {"priority": "P1", "customer.vip": True},
        {"clock.resolution.percent": {"gte": "75%"}},
        {"any": [{"category": ["network", "security"]}, {"not": {"status": "pending"}}]},
        {"priority": ["P1", "P2"], "not_within": "business-hours"},
    ],
}


def _close_pattern_properties(node: Any) -> None:
    """pydantic leaves keys that match no ``patternProperties`` allowed; the format does not.
    Also points condition fields at ``$defs/Condition``."""
    if isinstance(node, dict):
        if "patternProperties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        if node.pop(_CONDITION_MARK, False):
            node.clear()
            node["$ref"] = "#/$defs/Condition"
        for value in node.values():
            _close_pattern_properties(value)
    elif isinstance(node, list):
        for value in node:
            _close_pattern_properties(value)


def policy_json_schema() -> dict[str, Any]:
    """The JSON Schema of the policy format, for editors (``escalate schema``).

    Exported from the same models that validate policies, calendars, the directory and
    schedules, with patterns for durations, percentages, ids, targets, intervals and dates, and
    the ``when:`` language typed (``$defs/Condition``).
    """
    schema = PolicySpec.model_json_schema(ref_template="#/$defs/{model}")
    defs = schema.setdefault("$defs", {})
    defs["Condition"] = CONDITION_SCHEMA
    defs["Operators"] = OPERATOR_SCHEMA
    _close_pattern_properties(schema)
    return schema
