"""The ticket input format: strict pydantic models, the one definition of what a ticket is.

:meth:`escalate.engine.ticket.Ticket.from_mapping` validates the shape of its input through
:class:`TicketInput` (no coercion, unknown keys rejected, instants as ISO-8601 strings with an
offset or aware datetimes) and turns pydantic's errors into
:class:`~escalate.errors.TicketError` with the key path and the bad value
(:func:`ticket_error`). The checks that relate one field or event to another (time order,
fields that must agree with the history) stay in :mod:`escalate.engine.history`. The JSON Schema
of the format (``escalate schema ticket``) is generated from these models; the fields are
documented in ``docs/ticket-format.md``.

Names (``kind``, statuses, event types) are matched ignoring case and separators:
``"Awaiting User Info"`` and ``awaiting_user_info`` are ``awaiting-user-info``. Statuses are
any such name (a policy's own ``waiting-for-customer`` as well as the built-in ones); the policy
that evaluates the ticket knows which it accepts. ``customer.vip`` takes a boolean or one of its
usual string forms (``history.BOOLEAN_TEXT``). :func:`without_markers` reads the empty
markers a caller configures (``"?"``, ``"NULL"``) as ``null`` before validation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Union, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    StringConstraints,
    Tag,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from escalate._models import _TEXT_ERROR as TEXT_ERROR
from escalate._models import (
    INSTANT_PATTERN,
    MAX_INT,
    Label,
    check_prose,
    label_problem,
    read_instant,
)
from escalate.engine.history import (
    EVENT_JSON_KEYS,
    EVENT_PAYLOAD,
    EVENT_TYPES,
    POSTMORTEM_CHANGES,
    STATUSES,
    TEXT_FIELDS_BUT_PRIORITY,
    field_value_problem,
    read_boolean,
    unknown_name,
)
from escalate.errors import TicketError, suggest

__all__ = [
    "KINDS",
    "TERMINOLOGY_FIELDS",
    "TEXT_FIELDS",
    "AcknowledgedEvent",
    "ActionDoneEvent",
    "AgentUpdateEvent",
    "AssignedEvent",
    "ClosedEvent",
    "CommentEvent",
    "CreatedEvent",
    "CustomerInput",
    "CustomerReplyEvent",
    "EventInput",
    "FieldChangedEvent",
    "FieldValue",
    "FirstResponseEvent",
    "MilestoneEvent",
    "OverrideEvent",
    "PostmortemEvent",
    "PriorityChangedEvent",
    "ReopenedEvent",
    "ResolvedEvent",
    "StatusChangedEvent",
    "TicketInput",
    "event_models",
    "name_pattern",
    "normalise_name",
    "parse_instant",
    "ticket_error",
    "without_markers",
]

Path = tuple[str | int, ...]
#: The value of a custom field: no floats (they do not compare exactly), no nesting.
FieldValue = str | int | bool | None

#: The kinds of ticket.
KINDS = ("incident", "service-request", "problem", "change")
#: The optional text fields of a ticket (conditions compare them as strings).
TEXT_FIELDS = ("priority", *TEXT_FIELDS_BUT_PRIORITY)
#: The fields whose source values a policy's ``terminology`` maps to canonical terms: the text
#: fields except the free-form ones, plus the customer tier.
TERMINOLOGY_FIELDS = (
    *(f for f in TEXT_FIELDS if f not in ("configuration_item", "assignee")),
    "customer.tier",
)


def normalise_name(text: str) -> str:
    """Lower-case a name and join its words with single hyphens.

    >>> normalise_name("Awaiting User Info")
    'awaiting-user-info'
    >>> normalise_name("status_changed")
    'status-changed'
    >>> normalise_name("  In - Progress ")
    'in-progress'
    """
    return "-".join(text.replace("_", " ").replace("-", " ").lower().split())


def name_pattern(names: Sequence[str]) -> str:
    """A regular expression (ECMA 262 as well as Python) for every spelling of ``names`` that
    :func:`normalise_name` accepts: any case, words separated by spaces, ``-`` or ``_``.

    >>> bool(re.fullmatch(name_pattern(["in-progress"]), "In_Progress"))
    True
    >>> bool(re.fullmatch(name_pattern(["in-progress"]), "inprogress"))
    False
    """
    sep = r"[\s_-]"
    words = []
    for name in names:
        parts = [
            "".join(f"[{c}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)
            for word in name.split("-")
        ]
        words.append(f"{sep}+".join(parts))
    return f"^{sep}*({'|'.join(words)}){sep}*$"


def parse_instant(value: object) -> datetime:
    """An aware datetime, or an ISO-8601 string with an offset read into one (kept in its
    offset). Raises ``PydanticCustomError`` (``instant``) with a message a person can act on.

    >>> parse_instant("2024-06-03T09:00:00+02:00").isoformat()
    '2024-06-03T09:00:00+02:00'
    """
    if isinstance(value, str):
        at = read_instant(value)
        if at is not None:
            return at
    return _slow_instant(value)  # says what is wrong


def _slow_instant(value: object) -> datetime:
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise PydanticCustomError(
                "instant",
                "must be an aware datetime (escalate never guesses whether a naive time is UTC "
                "or local)",
            )
        return value
    if not isinstance(value, str):
        raise PydanticCustomError(
            "instant", "must be an ISO-8601 string with an offset or an aware datetime"
        )
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError(
            "instant", "not an ISO-8601 timestamp (write e.g. '2024-06-03T09:00:00+02:00')"
        ) from None
    if at.utcoffset() is None:
        raise PydanticCustomError(
            "instant",
            "timestamp has no UTC offset (escalate never guesses whether it is UTC or local "
            "time; add 'Z' or '+02:00')",
        )
    raise PydanticCustomError(
        "instant",
        "write timestamps as YYYY-MM-DDTHH:MM[:SS[.ffffff]] followed by 'Z' or an offset "
        "such as '+02:00'",
    )


def _utc_instant(value: object) -> datetime:
    try:
        return parse_instant(value).astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError("instant", "timestamp is out of range") from None


def _json_instant(description: str) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": INSTANT_PATTERN,
            "description": description,
            "examples": ["2024-11-20T11:20:00+00:00", "2024-06-03T09:00:00+02:00"],
        }
    )


def _namer(what: str, choices: tuple[str, ...]) -> PlainValidator:
    known = frozenset(choices)

    def read(value: object) -> str:
        if not isinstance(value, str):
            raise PydanticCustomError("name_type", "{what} must be a string", {"what": what})
        if value in known:
            return value
        name = normalise_name(value)
        if name not in known:
            hint = suggest(name, choices)
            tail = f" (did you mean {hint!r}?)" if hint else ""
            raise PydanticCustomError(
                "unknown_name",
                "unknown {what}; expected one of {choices}{tail}",
                {"what": what, "choices": ", ".join(choices), "tail": tail},
            )
        return name

    return PlainValidator(read)


def _name_schema(choices: tuple[str, ...], description: str) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "type": "string",
            "pattern": name_pattern(choices),
            "description": f"{description} One of {', '.join(choices)}; case and separators "
            "(space, '-', '_') are ignored.",
            "examples": list(choices[:2]),
        }
    )


def _field_value(value: object) -> FieldValue:
    problem = field_value_problem(value)
    if problem is not None:
        raise PydanticCustomError("field_value", problem)
    return cast(FieldValue, value)  # checked just above


def without_markers(data: Mapping[str, object], markers: frozenset[str]) -> dict[str, object]:
    """``data`` with every string value equal to one of ``markers`` read as ``None`` (absent):
    at the top level, in ``customer``, ``fields`` and every event; markers in
    ``regulatory_flags`` are dropped. Keys are kept; other values are untouched.

    >>> data = {"id": "T1", "category": "?", "fields": {"u_x": "NULL"}}
    >>> without_markers(data, frozenset({"?", "NULL"}))
    {'id': 'T1', 'category': None, 'fields': {'u_x': None}}
    """

    def clean(value: object) -> object:
        return None if type(value) is str and value in markers else value

    def clean_map(value: object) -> object:
        if isinstance(value, Mapping):
            return {key: clean(item) for key, item in value.items()}
        return value

    out: dict[str, object] = {}
    for key, value in data.items():
        if key in ("customer", "fields"):
            out[key] = clean_map(value)
        elif key == "events" and isinstance(value, list | tuple):
            out[key] = [clean_map(event) for event in value]
        elif key == "regulatory_flags" and isinstance(value, list | tuple):
            out[key] = [flag for flag in value if clean(flag) is not None]
        else:
            out[key] = clean(value)
    return out


def _dictify_events(value: object) -> object:
    """Mappings that are not dicts are read like dicts (pydantic takes only dicts)."""
    if isinstance(value, list | tuple):
        return [dict(e) if type(e) is not dict and isinstance(e, Mapping) else e for e in value]
    return value


# Ids and names: non-blank single lines with no control, bidi or invisible character.
Text = Label
# Free text (an override's reason): may span lines, hides nothing.
Reason = Annotated[str, StringConstraints(min_length=1), AfterValidator(check_prose)]
Instant = Annotated[
    datetime,
    PlainValidator(_utc_instant),
    _json_instant("An instant: ISO-8601 with 'Z' or a UTC offset; stored in UTC."),
]
Kind = Annotated[str, _namer("kind", KINDS), _name_schema(KINDS, "The kind of ticket.")]


def _status(value: object) -> str:
    if type(value) is not str:
        raise PydanticCustomError("name_type", "{what} must be a string", {"what": "status"})
    problem = label_problem(value)
    if problem is not None:
        raise PydanticCustomError("unknown_name", problem)
    return value if value in _STATUS_SET else normalise_name(value)


Status = Annotated[
    str,
    PlainValidator(_status),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "description": "A status: one of the policy's statuses or their aliases (built in: "
            f"{', '.join(STATUSES)}); case and separators (space, '-', '_') are ignored.",
            "examples": ["in-progress", "Awaiting User Info", "Waiting for customer"],
        }
    ),
]
_STATUS_SET = frozenset(STATUSES)


def _vip(value: object) -> bool:
    found = read_boolean(value)
    if found is None:
        raise PydanticCustomError(
            "boolean",
            "vip must be true or false (or the text true/false, yes/no, 1/0 in any case)",
        )
    return found


Vip = Annotated[
    bool,
    PlainValidator(_vip),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "boolean"},
                {"type": "string", "pattern": "^(?i:true|false|yes|no|1|0)$"},
            ]
        }
    ),
]
Count = Annotated[int, Field(ge=0, le=MAX_INT)]
CustomValue = Annotated[
    FieldValue,
    PlainValidator(_field_value),
    WithJsonSchema({"type": ["string", "integer", "boolean", "null"]}),
]

_CONFIG = ConfigDict(strict=True, extra="forbid", frozen=True)


class CustomerInput(BaseModel):
    """Who the ticket is for. Every key is optional; ``null`` counts as absent."""

    model_config = _CONFIG

    id: Text | None = Field(None, description="The customer's id in the ticketing system.")
    tier: Text | None = Field(None, description="The service tier, e.g. 'gold'.")
    vip: Vip | None = Field(
        None,
        description="Whether the customer is a VIP (default false); also 'true'/'false', "
        "'yes'/'no', '1'/'0' in any case.",
    )


class EventInput(BaseModel):
    """The keys every event has; each event type is a subclass naming what it takes."""

    model_config = _CONFIG
    #: The canonical event type this model reads.
    TYPE: ClassVar[str] = ""
    #: The payload keys the type takes (``at``, ``type`` and ``index`` excluded).
    PAYLOAD: ClassVar[tuple[str, ...]] = ()

    at: Instant = Field(description="When it happened.")
    type: str = Field(description="The event type (see the subclasses).")
    index: Annotated[int, Field(ge=0, le=MAX_INT)] | None = Field(
        None, description="The event's position in the history (0-based), if repeated."
    )
    actor: Text | None = Field(None, description="Who did it (a person or system id).")

    def payload(self) -> dict[str, str]:
        """The payload keys this event sets (``at``, ``type`` and ``index`` excluded)."""
        out = {}
        for key in self.PAYLOAD:
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


def _event_type(name: str) -> Any:
    def read(value: object) -> str:
        if isinstance(value, str) and (value == name or normalise_name(value) == name):
            return name
        raise PydanticCustomError("event_type", "not a {name!r} event", {"name": name})

    schema = {
        "type": "string",
        "pattern": name_pattern([name]),
        "description": f"'{name}' (case and separators are ignored).",
        "examples": [name],
    }
    return Annotated[str, PlainValidator(read), WithJsonSchema(schema)]


_OPEN = "Open statuses only: not resolved, closed or cancelled."


class CreatedEvent(EventInput):
    """The ticket was created."""

    TYPE = "created"
    type: _event_type("created")  # type: ignore[valid-type]


class StatusChangedEvent(EventInput):
    """The status changed to ``status``."""

    TYPE = "status-changed"
    type: _event_type("status-changed")  # type: ignore[valid-type]
    status: Status = Field(description="The new status.")


class AssignedEvent(EventInput):
    """The ticket was assigned to a group and/or a person (at least one of them)."""

    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": ["group"]}, {"required": ["assignee"]}]}
    )
    TYPE = "assigned"
    type: _event_type("assigned")  # type: ignore[valid-type]
    group: Text | None = Field(None, description="The new assignment group.")
    assignee: Text | None = Field(None, description="The new assignee (a person id).")


class AcknowledgedEvent(EventInput):
    """Someone acknowledged: without ``path`` the ticket (it answers the page of every path's
    current level); with ``path`` that path's page only (a vendor's, another team's)."""

    model_config = ConfigDict(json_schema_extra={"dependentRequired": {"party": ["path"]}})
    TYPE = "acknowledged"
    type: _event_type("acknowledged")  # type: ignore[valid-type]
    path: Text | None = Field(
        None,
        description="The escalation path whose page this answers; it then holds that path's "
        "levels only, and is not the ticket's acknowledgement (clocks, 'acknowledged').",
    )
    party: Text | None = Field(
        None,
        description="Who acknowledged, as an organisation ('vendor', 'acme'). On a vendor's "
        "path, 'vendor' or the vendor's id (exactly) is the vendor's response and stops its "
        "response clock; otherwise recorded, not interpreted. Needs 'path'.",
    )


class FirstResponseEvent(EventInput):
    """The first response reached the customer."""

    TYPE = "first-response"
    type: _event_type("first-response")  # type: ignore[valid-type]


class CustomerReplyEvent(EventInput):
    """The customer replied."""

    TYPE = "customer-reply"
    type: _event_type("customer-reply")  # type: ignore[valid-type]


class AgentUpdateEvent(EventInput):
    """An agent updated the ticket."""

    TYPE = "agent-update"
    type: _event_type("agent-update")  # type: ignore[valid-type]


class PriorityChangedEvent(EventInput):
    """The priority changed to ``priority``."""

    TYPE = "priority-changed"
    type: _event_type("priority-changed")  # type: ignore[valid-type]
    priority: Text = Field(description="The new raw priority (mapped by the terminology).")
    from_priority: Text | None = Field(
        None, description="The priority before the change, when known."
    )


class ResolvedEvent(EventInput):
    """The ticket was resolved; sets the status ``resolved``."""

    TYPE = "resolved"
    type: _event_type("resolved")  # type: ignore[valid-type]
    status: Status | None = Field(None, description="'resolved' if given.")


class ReopenedEvent(EventInput):
    """The ticket was reopened; sets ``in-progress`` unless ``status`` names another one."""

    TYPE = "reopened"
    type: _event_type("reopened")  # type: ignore[valid-type]
    status: Status | None = Field(None, description=f"The status after reopening. {_OPEN}")


class ClosedEvent(EventInput):
    """The ticket was closed; sets the status ``closed``."""

    TYPE = "closed"
    type: _event_type("closed")  # type: ignore[valid-type]
    status: Status | None = Field(None, description="'closed' if given.")


class ActionDoneEvent(EventInput):
    """The caller executed the action ``action_id`` of a decision."""

    TYPE = "action-done"
    type: _event_type("action-done")  # type: ignore[valid-type]
    action_id: Text = Field(description="The action's id, exactly as the decision gave it.")


class OverrideEvent(EventInput):
    """A person moved the escalation path ``path`` to ``level``."""

    TYPE = "override"
    type: _event_type("override")  # type: ignore[valid-type]
    actor: Text = Field(description="Who moved the path (required here).")
    reason: Reason = Field(description="Why (free text; may span lines).")
    path: Text = Field(description="The escalation path's name.")
    level: Text = Field(description="The level's name in that path.")


class CommentEvent(EventInput):
    """A comment; no effect on clocks or paths."""

    TYPE = "comment"
    type: _event_type("comment")  # type: ignore[valid-type]
    text: Reason | None = Field(
        None,
        description="The comment (free text; may span lines). A policy's classification may "
        "name 'comments' so that no audience it is withheld from reads it.",
    )


class FieldChangedEvent(EventInput):
    """The ticket field ``field`` changed from ``from`` to ``to`` (``null`` clears it)."""

    TYPE = "field-changed"
    type: _event_type("field-changed")  # type: ignore[valid-type]
    field: Text = Field(
        description="The field: category, subcategory, impact, urgency, severity, service, "
        "configuration_item, assignment_group, assignee, business_unit, region, service_line, "
        "risk, customer.id, customer.tier, customer.vip, or a custom field 'fields.<name>'. "
        "Status and priority change through their own events."
    )
    from_value: CustomValue = Field(
        None, alias="from", description="The value before the change, when known."
    )
    to_value: CustomValue = Field(
        alias="to", description="The new value (required); null clears the field."
    )


class MilestoneEvent(EventInput):
    """A milestone was reached: a named moment a regulation or contract counts from or to
    (``gdpr-aware``, ``dora-classified-major``, ``sec-materiality-determined``). Clock triggers
    name it as ``event: milestone:<name>``; conditions read the ``milestones`` fact."""

    TYPE = "milestone"
    type: _event_type("milestone")  # type: ignore[valid-type]
    milestone: Text = Field(
        description="The milestone's name, e.g. 'gdpr-aware' (matched exactly by policies)."
    )
    reason: Reason | None = Field(
        None,
        description="Free text (may span lines), e.g. the reasons for a late notification.",
    )


PostmortemChange = Annotated[
    str,
    _namer("post-mortem change", POSTMORTEM_CHANGES),
    _name_schema(POSTMORTEM_CHANGES, "What happened to the post-mortem."),
]


class PostmortemEvent(EventInput):
    """The post-mortem's follow-up after the incident (docs/postmortems.md): ``change`` says
    what happened -- ``assigned`` (an ``owner``; a ``due`` instant replaces the due date the
    policy's ``require_postmortem`` set), ``item`` (an action item recorded or updated: its
    ``item`` id, ``title``, ``owner`` and optionally its own ``due``), ``item-done``,
    ``item-dropped`` (with a ``reason``) or ``published`` (the document is done)."""

    TYPE = "postmortem"
    type: _event_type("postmortem")  # type: ignore[valid-type]
    change: PostmortemChange = Field(description="What happened to the post-mortem.")
    owner: Text | None = Field(
        None,
        description="assigned, item (required there): who owns the post-mortem or the item, "
        "a person id ('anna.schmidt') or a target ('role:problem-manager').",
    )
    item: Text | None = Field(
        None,
        description="item, item-done, item-dropped (required there): the action item's id, a "
        "lower-case id such as 'fix-dns-ttl'.",
    )
    title: Text | None = Field(None, description="item (required there): what is to be done.")
    due: Instant | None = Field(
        None,
        description="assigned, item: the due instant (an item without one is due as the "
        "policy's postmortem.items.due says).",
    )
    reason: Reason | None = Field(
        None, description="item-dropped (required there): why the item was dropped."
    )


_EVENT_MODELS: dict[str, type[EventInput]] = {
    model.TYPE: model
    for model in (
        CreatedEvent,
        StatusChangedEvent,
        AssignedEvent,
        AcknowledgedEvent,
        FirstResponseEvent,
        CustomerReplyEvent,
        AgentUpdateEvent,
        PriorityChangedEvent,
        ResolvedEvent,
        ReopenedEvent,
        ClosedEvent,
        ActionDoneEvent,
        OverrideEvent,
        CommentEvent,
        FieldChangedEvent,
        MilestoneEvent,
        PostmortemEvent,
    )
}
assert tuple(_EVENT_MODELS) == EVENT_TYPES
for _type, _model in _EVENT_MODELS.items():
    _model.PAYLOAD = EVENT_PAYLOAD[_type]
assert all(
    set(m.model_fields) == {"at", "type", "index", *EVENT_PAYLOAD[t]}
    for t, m in _EVENT_MODELS.items()
)
_EVENT_TYPE_SET = frozenset(EVENT_TYPES)


def event_models() -> Mapping[str, type[EventInput]]:
    """The model of each event type, by canonical type name."""
    return dict(_EVENT_MODELS)


def _event_tag(value: object) -> str | None:
    if isinstance(value, dict):
        kind = value.get("type")
        if isinstance(kind, str):
            return kind if kind in _EVENT_TYPE_SET else normalise_name(kind)
        return None if kind is None else "\x00"  # not a string: no tag matches
    return None


def _any_event() -> Any:
    members = tuple(Annotated[model, Tag(name)] for name, model in _EVENT_MODELS.items())
    return Annotated[Union[members], Discriminator(_event_tag)]  # noqa: UP007


if TYPE_CHECKING:
    EventList = list[EventInput]
else:  # one model per event type, chosen by the (normalised) ``type`` key
    EventList = Annotated[list[_any_event()], BeforeValidator(_dictify_events)]


class TicketInput(BaseModel):
    """A ticket as JSON: its fields and its history. Only ``id`` and ``opened_at`` are
    required; ``null`` counts as absent. Fields left out are derived from the history."""

    model_config = _CONFIG

    id: Text = Field(description="The ticket's id in the ticketing system (non-empty).")
    opened_at: Instant = Field(description="When the ticket was opened.")
    kind: Kind | None = Field(None, description="The kind of ticket (default 'incident').")
    status: Status | None = Field(
        None, description="The current status; derived from the history when left out."
    )
    priority: Text | None = Field(
        None, description="The raw priority (mapped by the policy's terminology)."
    )
    impact: Text | None = Field(None, description="The raw impact (for a priority matrix).")
    urgency: Text | None = Field(None, description="The raw urgency (for a priority matrix).")
    severity: Text | None = Field(None, description="The severity, as the source system says.")
    category: Text | None = Field(None, description="The category.")
    subcategory: Text | None = Field(None, description="The subcategory.")
    service: Text | None = Field(None, description="The affected service.")
    configuration_item: Text | None = Field(None, description="The affected CI.")
    assignment_group: Text | None = Field(
        None, description="The current group; derived from the history when left out."
    )
    assignee: Text | None = Field(
        None, description="The current assignee; derived from the history when left out."
    )
    business_unit: Text | None = Field(None, description="The business unit.")
    region: Text | None = Field(None, description="The region.")
    service_line: Text | None = Field(None, description="The service line.")
    risk: Text | None = Field(None, description="The risk (changes).")
    customer: CustomerInput | None = Field(None, description="Who the ticket is for.")
    regulatory_flags: list[Text] | None = Field(
        None, description="Regulatory regimes that apply, e.g. 'nis2' (sorted, deduplicated)."
    )
    fields: dict[Text, CustomValue] | None = Field(
        None, description="Custom fields: strings, integers, booleans or null; no floats."
    )
    events: EventList | None = Field(None, description="The history, in time order.")
    reassignment_count: Count | None = Field(
        None, description="Reassignments, when the source knows more history than it sends."
    )
    reopen_count: Count | None = Field(
        None, description="Reopens, when the source knows more history than it sends."
    )


# --------------------------------------------------------------------------------------------
# pydantic errors as TicketErrors
# --------------------------------------------------------------------------------------------

_TICKET_KEYS = tuple(TicketInput.model_fields)
_CUSTOMER_KEYS = tuple(CustomerInput.model_fields)
_EVENT_KEYS = (
    "at",
    "type",
    "index",
    *dict.fromkeys(EVENT_JSON_KEYS[k] for v in EVENT_PAYLOAD.values() for k in v),
)
_COUNTERS = frozenset({"reassignment_count", "reopen_count"})


def ticket_error(exc: ValidationError, data: Mapping[str, object]) -> TicketError:
    """The first of pydantic's errors as a :class:`TicketError` with the key path (event type
    tags removed) and the value that was given."""
    errors = exc.errors(include_url=False)
    # A misspelt key also makes the key it should have been look missing: report the former.
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    return _convert(first, data)


def _convert(error: ErrorDetails, data: Mapping[str, object]) -> TicketError:
    kind = error["type"]
    loc: Path = tuple(error["loc"])
    value = error.get("input")
    event_type = None
    if len(loc) >= 3 and loc[0] == "events" and loc[2] in _EVENT_TYPE_SET:
        event_type = str(loc[2])
        loc = (*loc[:2], *loc[3:])
    if kind == "invalid_key":  # a key that is not a string: pydantic names it by its str()
        return TicketError("keys must be strings", path=loc[:-1], value=error.get("input"))
    if kind == "missing":
        value = None
    key = loc[-1] if loc else None
    is_event = len(loc) >= 2 and loc[0] == "events"
    if kind in ("instant", "unknown_name", "name_type", "field_value", "boolean", TEXT_ERROR):
        return TicketError(error["msg"], path=loc, value=value)
    if kind in {"model_type", "dict_type"}:
        what = "an event" if is_event else "customer" if loc == ("customer",) else "a ticket"
        return TicketError(f"{what} must be a mapping", path=loc, value=value)
    if kind == "extra_forbidden":
        return _unknown_key(loc, value, event_type)
    if kind in ("union_tag_not_found", "union_tag_invalid"):
        raw = value.get("type") if isinstance(value, Mapping) else None
        if not isinstance(value, Mapping):
            return TicketError("an event must be a mapping", path=loc, value=value)
        if raw is None:
            return TicketError("missing required key 'type'", path=(*loc, "type"), value=None)
        if not isinstance(raw, str):
            return TicketError("event type must be a string", path=(*loc, "type"), value=raw)
        return unknown_name("event type", raw, normalise_name(raw), EVENT_TYPES, (*loc, "type"))
    if key in _COUNTERS:
        return TicketError(f"{key} must be an integer from 0 to 2**63-1", path=loc, value=value)
    if is_event and key == "index":
        return TicketError(
            f"event index must be its position in the history ({loc[1]})", path=loc, value=value
        )
    if value is None and event_type is not None and len(loc) == 3:
        return TicketError(f"{event_type!r} events need {key!r}", path=loc, value=None)
    if value is None and len(loc) == 1:
        return TicketError(f"missing required key {key!r}", path=loc, value=None)
    if loc[-1:] == ("[key]",):
        return TicketError("field names must be non-empty strings", path=loc[:-2], value=value)
    if kind in ("list_type", "sequence_str"):
        return TicketError("must be a list", path=loc, value=value)
    if kind == "bool_type":
        return TicketError(f"{key} must be true or false", path=loc, value=value)
    if kind in ("string_type", "string_too_short"):
        return TicketError("must be a non-empty string", path=loc, value=value)
    return TicketError(error["msg"], path=loc, value=value)  # pragma: no cover - a fallback


def _unknown_key(loc: Path, value: object, event_type: str | None) -> TicketError:
    key = str(loc[-1])
    if event_type is not None and key in _EVENT_KEYS:
        allowed = [EVENT_JSON_KEYS[k] for k in EVENT_PAYLOAD[event_type]]
        return TicketError(
            f"{event_type!r} events take no {key!r} (payload keys allowed: "
            f"{', '.join(allowed) or 'none'})",
            path=loc,
            value=value,
        )
    if len(loc) == 1:
        what, known = "ticket key", _TICKET_KEYS
    elif loc[0] == "customer":
        what, known = "customer key", _CUSTOMER_KEYS
    else:
        what, known = "event key", _EVENT_KEYS
    hint = suggest(key, known)
    tail = f" (did you mean {hint!r}?)" if hint else ""
    return TicketError(f"unknown {what}{tail}", path=loc, value=value)
