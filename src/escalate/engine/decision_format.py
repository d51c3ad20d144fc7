"""The decision output format: pydantic models of exactly what ``Decision.to_dict()`` returns.

These models are documentation and a contract, not the hot path: ``evaluate`` builds
:class:`~escalate.engine.decision.Decision` values and ``to_dict`` writes them; the models
describe that JSON (``escalate schema decision``, ``docs/decision-format.md``) and validate it
in the test suite. Every instant is ISO-8601 in UTC (``+00:00``), durations are compact text
(``1d2h5m``, ``0s``), percentages text with two decimals (``"75.00"``).

The ``format`` key is the layout's version: adding keys keeps it; renaming or removing a key, or
changing what one means, bumps it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from escalate.engine.clocks import CLOCK_STATES
from escalate.engine.decision import DECISION_FORMAT, DONE, MATCHED, NOT_MATCHED, SHADOWED
from escalate.engine.postmortem import DOCUMENT_STATUSES, ITEM_STATUSES

__all__ = [
    "ACTION_ID_PATTERN",
    "DURATION_PATTERN",
    "UTC_INSTANT_PATTERN",
    "ActionOutput",
    "ClockOutput",
    "CommunicationOutput",
    "ConditionTrace",
    "DecisionOutput",
    "GovernanceOutput",
    "OverrideCheckOutput",
    "PathOutput",
    "PolicyRef",
    "PostmortemItemOutput",
    "PostmortemOutput",
    "RuleTrace",
    "WithdrawnOutput",
]

#: An instant as decisions write it: ISO-8601 in UTC, microseconds only when present.
UTC_INSTANT_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?\+00:00$"
#: A duration as decisions write it: days, hours, minutes, seconds, microseconds; ``0s``.
DURATION_PATTERN = r"^-?(0s|([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+us)?)$"
_STAMP = r"[0-9]{8}T[0-9]{6}(\.[0-9]{6})?Z"
_RUNG_ACTION = r"clock:[^:#@]+#[0-9]+@[0-9]+:[a-z][a-z0-9_-]*[0-9]+"
_RULE_ACTION = rf"rule:[^:]+:{_STAMP}:[a-z][a-z0-9_-]*[0-9]+"
_POSTMORTEM_ACTION = r"postmortem:[a-z0-9_-]+#[0-9]+@[0-9]+:[a-z][a-z0-9_-]*[0-9]+"
#: The shapes of action ids (see docs/decision-format.md): clock rungs, rules, path levels,
#: their hand-off notices and unacknowledged fallbacks, bridge joins and status-page updates;
#: after any of them, the channel attempts and the communication failure of a notification
#: plan; audience updates; vendor-side contact levels; post-mortem thresholds. ``{ticket}`` is
#: the ticket's id.
ACTION_ID_PATTERN = (
    rf"^.+:((({_RUNG_ACTION}|{_RULE_ACTION})(:join:[^:]+:{_STAMP})?"
    rf"|status-page:[^:]+:({_RUNG_ACTION}|{_RULE_ACTION}|resolved:{_STAMP})"
    rf"|path:[^:]+:[0-9]+:({_STAMP}:)?[0-9]+:[^:]+(:unacknowledged"
    rf"|:handoff:[^:]+:{_STAMP})?)"
    r"(/notify/[^/]+/[0-9]+|/comms-failure)?"
    r"|audience:[a-z]+@[0-9]+"
    rf"|{_POSTMORTEM_ACTION}"
    rf"|vendor:[^:]+:[0-9]+:({_STAMP}:)?contact:[0-9]+)$"
)
_HEX64 = r"^[0-9a-f]{64}$"

Instant = Annotated[str, StringConstraints(pattern=UTC_INSTANT_PATTERN)]
Risk = Literal["financial", "reputational", "operational", "regulatory"]
Duration = Annotated[str, StringConstraints(pattern=DURATION_PATTERN)]
_CONFIG = ConfigDict(strict=True, extra="forbid", frozen=True)


class PolicyRef(BaseModel):
    """The policy that decided: its declared id and version and its content hash."""

    model_config = _CONFIG

    id: str = Field(description="The policy's id, as declared in its YAML.")
    version: str = Field(description="The policy's version, as declared in its YAML.")
    hash: Annotated[str, StringConstraints(pattern=_HEX64)] = Field(
        description="SHA-256 (hex) of the compiled policy's canonical content."
    )


class ActionOutput(BaseModel):
    """An action that is due: execute it, then record ``action-done`` with its ``id``."""

    model_config = _CONFIG

    id: Annotated[str, StringConstraints(pattern=ACTION_ID_PATTERN)] = Field(
        description="Stable id: the same action has the same id in every later decision."
    )
    kind: str = Field(
        description="What to do: notify, page, escalate, transfer, handoff, notify_attempt, "
        "open_incident, …"
    )
    source: str = Field(
        description="What made it due: 'rule:{id}', 'clock:{name}@{rung}', 'path:{name}' or "
        "'audience:{name}' (an update the audience's cadence asks for), 'vendor:{id}' (a "
        "vendor-side contact level) or 'postmortem:{item}@{rung}' (a post-mortem threshold; "
        "item 'document' for the document)."
    )
    due_at: Instant = Field(description="When it became due.")
    late: bool = Field(description="True when due_at is before evaluated_at.")
    targets: list[str] = Field(description="Targets as the policy names them ('team:x').")
    people: list[str] = Field(description="The person ids the targets reach (with a directory).")
    notes: list[str] = Field(description="Every substitution made on the way, and why.")
    details: dict[str, Any] = Field(description="Kind-specific data from the policy.")
    rationale: str | None = Field(description="Why, from the policy's rationale.")
    risks: list[Risk] = Field(
        default_factory=list,
        description="The risk classes of the action and of its rule, sorted. Present only when "
        "there are some.",
    )


class ClockOutput(BaseModel):
    """The state of one SLA clock at ``evaluated_at``."""

    model_config = _CONFIG

    name: str = Field(description="The clock's name in the policy.")
    type: str = Field(description="The clock's type in the policy.")
    definition: str | None = Field(
        description="The id of the scoped definition that applies; null: the clock's own targets."
    )
    state: Literal[CLOCK_STATES] = Field(  # type: ignore[valid-type]
        description="not-started, running, paused, stopped or not-applicable."
    )
    cycle: int = Field(description="The cycle (1 after opening; +1 per restart).")
    target: str | None = Field(description="The target as written ('4h'); null if none.")
    calendar: str | None = Field(description="The calendar the target is counted on.")
    started_at: Instant | None = Field(description="When this cycle started.")
    stopped_at: Instant | None = Field(description="When it stopped, if it did.")
    paused_since: Instant | None = Field(description="When the current pause began.")
    elapsed: Duration = Field(description="Business time elapsed on the calendar.")
    elapsed_wall: Duration = Field(description="Wall-clock time elapsed.")
    remaining: Duration | None = Field(description="Business time left (negative if late).")
    percent: Annotated[str, StringConstraints(pattern=r"^-?[0-9]+\.[0-9]{2}$")] | None = Field(
        description="elapsed / target in percent, two decimals."
    )
    breached: bool = Field(description="Whether elapsed has reached the target.")
    breach_at: Instant | None = Field(description="When elapsed reaches (reached) the target.")


class PathOutput(BaseModel):
    """Where one escalation path stands at ``evaluated_at``."""

    model_config = _CONFIG

    name: str = Field(description="The path's name in the policy.")
    kind: Literal["vertical", "horizontal"] = Field(
        description="vertical (escalate) or horizontal (transfer)."
    )
    active: bool = Field(description="Whether the path has started.")
    level: str | None = Field(description="The current level's name.")
    entered_at: Instant | None = Field(description="When the current level was entered.")
    reason: str = Field(description="Why it is there: 'start', 'timer', 'rule:{id}', …")
    round: int = Field(description="The round (repeat) of the path.")
    cycle: int = Field(description="The ticket's cycle (+1 per reopen).")
    acknowledged_at: Instant | None = Field(description="The acknowledgement that counts.")
    next_move_at: Instant | None = Field(description="When the path moves next by itself.")


class WithdrawnOutput(BaseModel):
    """A breach or reached rung that a retroactive priority change undid (an audit trace)."""

    model_config = _CONFIG

    clock: str = Field(description="The clock's name in the policy.")
    cycle: int = Field(description="The clock cycle it belonged to.")
    what: str = Field(description="'breach', or the rung as sources name it ('75%', '2bd').")
    rung: int | None = Field(description="The rung's position in the ladder; null: the breach.")
    reached_at: Instant = Field(description="When it had been reached before the change.")
    withdrawn_at: Instant = Field(description="When the change that undid it happened.")
    reached_now_at: Instant | None = Field(
        description="When the current priority reaches it (after withdrawn_at); null: not "
        "without new events."
    )
    because: str = Field(description="What changed ('priority changed from P1 to P3').")


class CommunicationOutput(BaseModel):
    """Where one audience with an update cadence stands (docs/notifications.md)."""

    model_config = _CONFIG

    audience: str = Field(description="internal, customer, executive, regulator or vendor.")
    every: Duration = Field(description="The cadence for the ticket's priority.")
    updates: int = Field(ge=0, description="How many updates are recorded done.")
    last_update_at: Instant = Field(
        description="When the last update was recorded done, or the current cycle's start."
    )
    due_at: Instant | None = Field(
        description="When the next update is due; null: the ticket has ended."
    )
    overdue: bool = Field(description="True when due_at is at or before evaluated_at.")
    action_id: str = Field(description="The id of the next update action.")


_MONEY = r"^[0-9]+(\.[0-9]+)?$"
Money = Annotated[str, StringConstraints(pattern=_MONEY)]


class VendorClockOutput(BaseModel):
    """A vendor's response or resolution clock (docs/vendors.md)."""

    model_config = _CONFIG

    clock: Literal["response", "resolution"] = Field(description="Which clock.")
    state: Literal["running", "paused", "stopped"] = Field(description="Where it stands.")
    target: str | None = Field(description="The target as written; null: none for the priority.")
    elapsed: Duration = Field(description="Vendor-calendar time, pauses excluded.")
    remaining: Duration | None = Field(description="Until the target (negative when late).")
    breach_at: Instant | None = Field(description="When elapsed reaches the target.")
    breached: bool = Field(description="breach_at is at or before evaluated_at.")
    stopped_at: Instant | None = Field(
        description="The vendor's acknowledgement, or the end of the engagement."
    )


class PenaltyOutput(BaseModel):
    """What one penalty clause has accrued."""

    model_config = _CONFIG

    clause: str = Field(description="The clause's id.")
    clock: Literal["response", "resolution"] = Field(description="The clock it measures.")
    units: int = Field(ge=0, description="Units of lateness counted.")
    amount: Money = Field(description="Accrued, rounded half to even to the minor unit.")
    capped: bool = Field(description="The cap holds it.")


class EarlierEngagementOutput(BaseModel):
    """An engagement of an earlier cycle (docs/vendors.md, "Reopens")."""

    model_config = _CONFIG

    engaged_at: Instant = Field(description="When it started.")
    ended_at: Instant | None = Field(description="When its resolution clock stopped.")
    response_breached: bool = Field(description="Whether the response clock breached.")
    resolution_breached: bool = Field(description="Whether the resolution clock breached.")
    response_elapsed: str | None = Field(description="The response time, once stopped.")
    resolution_elapsed: str | None = Field(description="The resolution time, once stopped.")
    penalty_total: Money | None = Field(description="What it accrued, rounded once.")


class VendorOutput(BaseModel):
    """Where one vendor contract stands (docs/vendors.md)."""

    model_config = _CONFIG

    vendor: str = Field(description="The vendor's id.")
    name: str = Field(description="The vendor's name.")
    path: str = Field(description="The horizontal path that engages them.")
    engaged: bool = Field(description="Whether the path runs.")
    engaged_at: Instant | None = Field(description="When its current run started.")
    calendar: str = Field(description="The vendor calendar.")
    response: VendorClockOutput | None = Field(description="Null when not engaged.")
    resolution: VendorClockOutput | None = Field(description="Null when not engaged.")
    penalties: list[PenaltyOutput] = Field(description="Per clause.")
    penalty_total: Money | None = Field(description="The exact sum, rounded once.")
    currency: str | None = Field(description="ISO 4217.")
    next_penalty_at: Instant | None = Field(description="When the next unit begins counting.")
    next_penalty_amount: Money | None = Field(description="What that step adds.")
    cap_reached: bool = Field(description="Every capped clause reached its cap.")
    contact_level: int | None = Field(
        description="The contact level in force (from 1): the highest-numbered level "
        "reached whose clock still runs, else the highest reached (docs/vendors.md)."
    )
    contact: str | None = Field(description="Its name.")
    next_contact_at: Instant | None = Field(description="When the next level is reached.")
    earlier: list[EarlierEngagementOutput] | None = Field(
        default=None,
        description="Engagements of earlier cycles of the ticket (before each reopen), oldest "
        "first, with their final figures; absent when there are none.",
    )


class ConditionTrace(BaseModel):
    """One comparison of a rule's ``when:``: what was expected, what the ticket had."""

    model_config = _CONFIG

    field: str = Field(description="The fact compared ('priority', 'clock.resolution.percent').")
    op: str = Field(description="The operator ('eq', 'in', 'gte', …).")
    expected: Any = Field(description="The value in the policy.")
    actual: Any = Field(description="The ticket's value.")
    result: bool = Field(description="Whether the comparison held.")
    at: str = Field(description="The key path of the comparison in the policy.")
    source: str | None = Field(description="file:line:col of the comparison in the YAML.")


class RuleTrace(BaseModel):
    """What happened to one rule."""

    model_config = _CONFIG

    rule: str = Field(description="The rule's id.")
    status: Literal[MATCHED, NOT_MATCHED, SHADOWED, DONE] = Field(  # type: ignore[valid-type]
        description="matched, not-matched, shadowed (by a final rule) or done."
    )
    note: str = Field(description="Why it was shadowed, or ''.")
    conditions: list[ConditionTrace] = Field(description="Every comparison, in order.")


class OverrideCheckOutput(BaseModel):
    """One ``override`` event checked against its actor's authority (docs/governance.md)."""

    model_config = _CONFIG

    index: int = Field(ge=0, description="The event's place in the ticket's events.")
    at: Instant = Field(description="When the override was made.")
    actor: str = Field(description="Who made it.")
    path: str = Field(description="The path it moved.")
    level: str = Field(description="The level it put the path at.")
    authorised: bool = Field(description="Whether the actor held override-escalation then.")
    grounds: list[str] = Field(description="On what authority ('person:alice authority', …).")
    reason: str = Field(description="One sentence saying why (not) authorised.")
    honoured: bool = Field(
        description="Whether the path applied it (false only when rejected for want of authority)."
    )


class GovernanceOutput(BaseModel):
    """Where the ticket stands for governance (docs/governance.md)."""

    model_config = _CONFIG

    risks: list[Risk] = Field(description="Risk classes of the due actions and matched rules.")
    tier: str | None = Field(description="The oversight tier; null without oversight.")
    tier_since: Instant | None = Field(description="Since when the tier holds.")
    next_tier: str | None = Field(description="The next tier without new events; null: none.")
    next_tier_at: Instant | None = Field(description="When the next tier begins.")
    board_reportable: bool = Field(description="Whether a board_reportable criterion holds.")
    board_reasons: list[str] = Field(description="Which criteria hold.")
    audit_sample: bool = Field(description="Whether the ticket is in the audit sample.")
    audit_reason: str | None = Field(description="Why (not); null without audit_sample.")
    overrides: list[OverrideCheckOutput] = Field(description="Every override event, checked.")


_Percent = Annotated[str, StringConstraints(pattern=r"^-?[0-9]+\.[0-9]{2}$")]


class PostmortemItemOutput(BaseModel):
    """One action item of a post-mortem (docs/postmortems.md)."""

    model_config = _CONFIG

    id: str = Field(description="The item's id, as its events name it.")
    title: str = Field(description="What is to be done (the last item event's).")
    owner: str = Field(description="Who owns it (the last item event's).")
    recorded_at: Instant = Field(description="When it was first recorded.")
    due: Instant | None = Field(description="When it is due; null: no due date.")
    target: str | None = Field(
        description="The time allowed: postmortem.items.due as written, or the real time to "
        "an explicit due; null: no due date."
    )
    revision: int = Field(ge=1, description="How many due dates it has had (in action ids).")
    status: Literal[ITEM_STATUSES] = Field(  # type: ignore[valid-type]
        description="open, done, dropped or overdue (open past its due)."
    )
    percent: _Percent | None = Field(description="Time elapsed of the time allowed.")
    overdue_since: Instant | None = Field(
        description="When it became overdue; kept once done or dropped late."
    )
    closed_at: Instant | None = Field(description="When it was done or dropped.")
    reason: str | None = Field(description="Why it was dropped.")


class PostmortemOutput(BaseModel):
    """Where the post-mortem a require_postmortem action asked for stands."""

    model_config = _CONFIG

    required_at: Instant = Field(description="When the require_postmortem action became due.")
    required_by: Annotated[str, StringConstraints(pattern=ACTION_ID_PATTERN)] = Field(
        description="That action's id."
    )
    due_by: Instant = Field(description="When the document is due.")
    revision: int = Field(ge=1, description="How many due dates it has had (in action ids).")
    owner: str | None = Field(description="Who owns it; null: nobody yet.")
    owner_from: Literal["event", "policy"] | None = Field(
        description="event (a postmortem assigned event) or policy (require_postmortem.owner)."
    )
    published_at: Instant | None = Field(description="When the document was published.")
    status: Literal[DOCUMENT_STATUSES] = Field(  # type: ignore[valid-type]
        description="pending, overdue (past due_by, unpublished) or published."
    )
    percent: _Percent | None = Field(description="Time elapsed of the time allowed.")
    overdue_since: Instant | None = Field(
        description="When it became overdue; kept once published late."
    )
    overdue_items: int = Field(ge=0, description="How many action items are overdue.")
    items: list[PostmortemItemOutput] = Field(description="The action items, as recorded.")


class DecisionOutput(BaseModel):
    """A decision as ``Decision.to_dict()`` writes it (``rules`` only with the trace)."""

    model_config = _CONFIG

    format: Literal[DECISION_FORMAT] = Field(  # type: ignore[valid-type]
        description="The layout's version."
    )
    policy: PolicyRef = Field(description="The policy that decided.")
    ticket: str = Field(description="The ticket's id.")
    input_digest: Annotated[str, StringConstraints(pattern=_HEX64)] = Field(
        description="SHA-256 (hex) over the policy hash, the ticket digest and evaluated_at."
    )
    segment: str | None = Field(
        description="The segment of the policy that decided; null: the policy as written."
    )
    evaluated_at: Instant = Field(description="The instant the decision is for ('now').")
    priority: str | None = Field(description="The canonical priority the policy derived.")
    actions: list[ActionOutput] = Field(description="The actions due now.")
    clocks: list[ClockOutput] = Field(description="Every clock of the policy.")
    paths: list[PathOutput] = Field(description="Every escalation path of the policy.")
    next_evaluation_at: Instant | None = Field(
        description="When something changes without new events; null: never."
    )
    rules: list[RuleTrace] = Field(
        default_factory=list, description="The rule trace (left out by to_dict(trace=False))."
    )
    missed: list[ActionOutput] = Field(
        default_factory=list,
        description="Actions that were due when the ticket ended and never recorded done; "
        "not due. Present only when there are some.",
    )
    withdrawn: list[WithdrawnOutput] = Field(
        default_factory=list,
        description="Breaches and reached rungs a retroactive priority change undid. Present "
        "only when there are some.",
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="What the ticket likely got wrong for this policy: a milestone one or two "
        "edits from a name the policy reads (docs/regulatory.md). Present only when there are "
        "some.",
    )
    communications: list[CommunicationOutput] = Field(
        default_factory=list,
        description="Each audience with an update cadence for the ticket's priority. Present "
        "whenever the policy declares a cadence (then also when empty).",
    )
    vendors: list[VendorOutput] = Field(
        default_factory=list,
        description="Each vendor contract's state: engagement, response and resolution clocks, "
        "accrued penalties, next penalty step, vendor-side contact level (docs/vendors.md). "
        "Present whenever the policy declares vendors (then also when none is engaged).",
    )
    governance: GovernanceOutput | None = Field(
        default=None,
        description="Risks, oversight tier, board and audit flags, override checks. Present "
        "whenever the policy declares governance:.",
    )
    postmortem: PostmortemOutput | None = Field(
        default=None,
        description="Owner, due date and action items of the post-mortem (docs/postmortems.md). "
        "Present when the policy declares postmortem: and the ticket required one.",
    )
