"""The policy sections of audience communication, as strict pydantic models.

``classification:`` (which ticket fields hold what kind of sensitive data), ``redaction:``
(profiles: which classes an audience may not read), ``templates:`` (message texts per
audience) and ``audiences:`` (each audience's redaction, point of contact and update cadence).
The compiler (:mod:`escalate.policy.compiler`) turns them into :mod:`escalate.comms` objects;
nothing here runs on the evaluate path.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from escalate._models import Label, Prose, StrictModel
from escalate.calendars.models import Duration

__all__ = [
    "AUDIENCES",
    "CLASSES",
    "EXTERNAL_AUDIENCES",
    "AudienceName",
    "AudienceSpec",
    "DataClass",
    "RedactionSpec",
    "TemplateSpec",
]

#: The kinds of sensitive data a field may hold (``classification:`` values).
CLASSES = ("personal", "health", "security", "internal-only")
DataClass = Literal["personal", "health", "security", "internal-only"]
#: The audiences a message may be written for (a notify action's ``audience:``).
AUDIENCES = ("internal", "customer", "executive", "regulator", "vendor")
AudienceName = Literal["internal", "customer", "executive", "regulator", "vendor"]
#: Audiences outside the organisation: external unless their entry says otherwise.
EXTERNAL_AUDIENCES = ("customer", "regulator", "vendor")

#: A point of contact: the ticket's assignee, or one person, role, team, schedule or manager.
POINT_OF_CONTACT_PATTERN = r"^(?:assignee|(?:person|role|team|schedule|manager):.+)$"
PointOfContact = Annotated[
    Label,
    Field(
        json_schema_extra={"pattern": POINT_OF_CONTACT_PATTERN},
        examples=["assignee", "role:account-manager", "person:julia.wagner"],
    ),
]


class RedactionSpec(StrictModel):
    """A redaction profile: the classes of data an audience using it may not read."""

    redact: list[DataClass] = Field(
        default_factory=list,
        description="classes withheld: personal, health, security, internal-only",
    )
    placeholder: Label = Field(
        default="[redacted]", description="what a withheld value is replaced with"
    )
    rationale: Prose | None = None


class TemplateSpec(StrictModel):
    """A message template: Jinja2 text rendered in a sandbox, for one audience."""

    audience: AudienceName = Field(description="who reads it; decides the redaction")
    subject: Prose = Field(description="one line of template text")
    body: Prose = Field(description="template text; may span lines")
    variables: list[Label] = Field(
        default_factory=list,
        description="what the template reads, e.g. ticket.id, decision.clocks.resolution; "
        "every name it uses must be covered by one of these",
    )
    rationale: Prose | None = None


class AudienceSpec(StrictModel):
    """How one audience is kept informed: its redaction, point of contact and cadence."""

    external: bool | None = Field(
        default=None,
        description="outside the organisation (default: true for customer, regulator, vendor)",
    )
    redaction: Label | None = Field(
        default=None,
        description="a redaction: profile (default: nothing withheld for internal, every "
        "class withheld for the others)",
    )
    point_of_contact: PointOfContact | list[PointOfContact] | None = Field(
        default=None,
        description="who speaks for us: 'assignee', 'role:x', 'person:x' (a list: the first "
        "that names someone); an external audience needs one",
    )
    cadence: dict[Label, Duration] = Field(
        default_factory=dict,
        description="priority -> how often this audience hears from us while the ticket is open",
    )
    template: Label | None = Field(default=None, description="the template of an update")
    channel: Label = Field(default="email", description="the channel of an update")
    to: list[Label] = Field(
        default_factory=list,
        description="who an update goes to ('customer', 'role:x', ...)",
    )
    rationale: Prose | None = None
    source: Prose | None = None
