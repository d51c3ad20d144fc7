"""The configuration formats of the directory and of on-call schedules, as strict pydantic models.

The one definition of ``directory:`` (people, teams, roles) and ``schedules:`` (layers,
rotations, restrictions, overrides): :meth:`Directory.from_config
<escalate.people.directory.Directory.from_config>` and :meth:`Schedule.from_config
<escalate.people.schedule.Schedule.from_config>` validate through them, and the policy JSON
Schema is exported from them. References between people, teams and schedules, time zones and
the order of instants are checked by the compilers.

A layer's ``restrictions`` use the calendars' weekly words (:class:`WeeklyTimes`); a layer's
``window`` takes Alertmanager ``time_intervals`` verbatim instead (see
:mod:`escalate.calendars.models` for why both exist).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from escalate._models import Label, StrictModel, model_problem, patterned
from escalate.calendars.models import (
    DateText,
    Duration,
    Instant,
    TimeOfDay,
    TimeWindowConfig,
    WeeklyTimes,
)

__all__ = [
    "DirectoryModel",
    "LayerModel",
    "OverrideModel",
    "PersonModel",
    "RoleModel",
    "RotationChangeModel",
    "RotationModel",
    "ScheduleModel",
    "SpendLimitModel",
    "TeamModel",
]

#: kebab-case: lower-case words and digits joined by '-'.
LAYER_NAME = Annotated[
    str,
    patterned(
        r"[a-z0-9]+(?:-[a-z0-9]+)*",
        "a kebab-case layer name (lowercase letters, digits and '-')",
    ),
    Field(examples=["primary", "follow-the-sun"]),
]
#: Ids of people, teams and roles, and the names and addresses of people: non-blank single
#: lines without hidden characters (:data:`escalate._models.Label`).
PersonId = Annotated[Label, Field(examples=["alice"])]
#: The name of a notification plan (``notification_plans.<name>`` in the policy).
PlanName = Annotated[
    str,
    patterned(
        r"[a-z0-9]+(?:[_-][a-z0-9]+)*",
        "lower-case words joined by '-' (a notification_plans name)",
    ),
    Field(examples=["on-call"]),
]


def _amount_as_text(value: object) -> object:
    """Refuse a number where an amount of money is expected: a YAML float is binary and
    inexact (``0.1 + 0.2``), and an integer reads like one; amounts are written as strings."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise model_problem(
            f"write amounts as strings, e.g. '250.00' (got the number {value!r}; "
            "a YAML number is not exact money)"
        )
    return value


#: An amount of money as written: digits with an optional decimal part, read as a Decimal.
Amount = Annotated[
    str,
    BeforeValidator(_amount_as_text),
    patterned(r"[0-9]{1,15}(?:\.[0-9]{1,6})?", "an amount as a string, e.g. '250.00'"),
    Field(examples=["5000.00"]),
]
#: A currency: an ISO 4217 code (three upper-case letters).
Currency = Annotated[
    str,
    patterned(r"[A-Z]{3}", "an ISO 4217 currency code such as EUR"),
    Field(examples=["EUR"]),
]


class SpendLimitModel(StrictModel):
    """The most one may commit on one decision (``spend_limit``): an amount in a currency."""

    amount: Amount = Field(description="the limit, written as a string ('5000.00')")
    currency: Currency


class PersonModel(StrictModel):
    """Someone who can be paged (``directory.people.<id>``)."""

    name: Label | None = None
    timezone: str | None = Field(default=None, description="IANA name", examples=["Europe/Berlin"])
    channels: dict[Literal["email", "sms", "chat", "voice", "push", "phone"], Label] = Field(
        default_factory=dict, description="channel -> address"
    )
    validated_at: DateText | None = Field(default=None, description="date of the last check")
    backup: PersonId | None = None
    managers: list[PersonId] = Field(default_factory=list, description="reporting lines")
    escalation_authority: PersonId | None = Field(
        default=None, description="which of managers escalation follows"
    )
    authority: list[Label] = Field(default_factory=list, description="decision authority labels")
    spend_limit: SpendLimitModel | None = Field(
        default=None, description="the most this person may spend (docs/governance.md)"
    )
    notification_plan: PlanName | None = Field(
        default=None,
        description="the notification plan that reaches this person (a notification_plans "
        "name), unless the level paging them names one",
    )
    quiet_hours: list[WeeklyTimes] | None = Field(
        default=None,
        description="weekly hours, in the person's timezone (required), in which notification "
        "attempts wait for the end of the quiet period (docs/notifications.md)",
    )


class TeamModel(StrictModel):
    """A group of people (``directory.teams.<id>``): members and/or an on-call schedule."""

    members: list[PersonId] = Field(default_factory=list)
    lead: PersonId | None = None
    backup: PersonId | None = None
    schedule: Label | None = Field(default=None, description="a schedule id")


class RoleModel(StrictModel):
    """A responsibility (``directory.roles.<id>``) filled by exactly one of person, team or
    schedule."""

    person: PersonId | None = None
    team: Label | None = None
    schedule: Label | None = None
    backup: PersonId | None = None
    authority: list[Label] = Field(default_factory=list)
    spend_limit: SpendLimitModel | None = Field(
        default=None, description="the most whoever fills the role may spend"
    )


class DirectoryModel(StrictModel):
    """People, teams and roles (docs/on-call.md)."""

    contact_max_age: Duration | None = Field(
        default=None, description="contact details older than this are reported"
    )
    people: dict[PersonId, PersonModel | None] = Field(default_factory=dict)
    teams: dict[Label, TeamModel] = Field(default_factory=dict)
    roles: dict[Label, RoleModel] = Field(default_factory=dict)


#: A rotation member: a person id, a group of person ids on call together, or ``null`` (YAML
#: ``null`` or ``~``): a turn nobody covers, a gap in the layer. A person id is a non-blank
#: string, so ``null`` can never be mistaken for someone.
Member = PersonId | list[PersonId] | None


class RotationChangeModel(StrictModel):
    """An edit of a rotation's members that takes effect at ``effective_from``; instants
    before it resolve exactly as before the edit."""

    effective_from: Instant = Field(description="aware instant the new members apply from")
    members: list[Member] = Field(
        min_length=1, description="the new members; null is a turn nobody covers"
    )
    position: Literal["keep", "restart"] = Field(
        default="keep",
        description="keep: whoever is on call at effective_from stays on and the turns go on "
        "from them in the new order; restart: the first new member takes over at effective_from",
    )


class RotationModel(StrictModel):
    """Who takes turns, how long a turn is, and where turn 0 starts."""

    members: list[Member] = Field(
        min_length=1,
        description="people; a nested list is a group on call together; null is a turn "
        "nobody covers",
    )
    turn: Duration = Field(
        description="whole hours, days or weeks, or calendar months",
        examples=["12h", "1w", "1mo"],
    )
    handoff: TimeOfDay | None = Field(default=None, description="wall time of hand-offs")
    anchor: Instant | DateText = Field(
        description="date (with handoff) or aware instant where turn 0 starts",
        examples=["2024-01-01"],
    )
    advance: Literal["always", "per-shift"] = Field(
        default="always",
        description="always: turns advance through restricted hours (PagerDuty); per-shift: "
        "only turns that meet the layer's restrictions take a member (Grafana OnCall)",
    )
    changes: list[RotationChangeModel] | None = Field(
        default=None, description="member edits effective from an instant, in time order"
    )


class LayerModel(StrictModel):
    """One layer of a schedule: a rotation, when it applies, and its weekly hours."""

    name: LAYER_NAME
    level: int = Field(ge=1, description="higher beats lower where it has someone")
    rotation: RotationModel
    timezone: str | None = Field(
        default=None,
        description="IANA name of the layer's wall clock (default: the schedule's)",
        examples=["Asia/Tokyo"],
    )
    effective_from: Instant | None = None
    effective_until: Instant | None = None
    until_mode: Literal["cut", "finish-turn"] = Field(
        default="cut",
        description="cut: nobody from effective_until on; finish-turn: no turn starts at or "
        "after effective_until, the turn in progress runs to its hand-off (Grafana OnCall)",
    )
    restrictions: list[WeeklyTimes] | None = Field(
        default=None, description="weekly hours the layer is on call (calendar words)"
    )
    window: TimeWindowConfig | None = Field(
        default=None, description="Alertmanager time_intervals entries"
    )


class OverrideModel(StrictModel):
    """These people are on call in ``[start, end)``, whatever the layers say."""

    start: Instant
    end: Instant
    people: list[PersonId] = Field(min_length=1)
    priority: int = Field(
        default=0,
        description="where overrides overlap, the highest priority wins; equal ones together",
    )


class ScheduleModel(StrictModel):
    """An on-call schedule (docs/on-call.md)."""

    timezone: str = Field(description="IANA name", examples=["Europe/Berlin"])
    layers: list[LayerModel] = Field(min_length=1)
    overrides: list[OverrideModel] | None = Field(default=None)
