"""The case-file format (``<policy>.cases.yaml``): strict pydantic models, its one definition.

These models check the shape of a case file and give its JSON Schema (``escalate schema
cases``); :mod:`escalate.testing.cases` reads a file with them and then checks what a shape
cannot (ids the policy does not have, steps out of time order, tickets). The keys are
documented in ``docs/testing-policies.md``.

Instants are ISO-8601 strings with ``Z`` or an offset (YAML's unquoted timestamps with an
offset are read as the same text; one without an offset is refused). Durations (a step's
``after``) are wall time: ``30m``, ``1h30m``, ``2d``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from escalate._models import (
    INSTANT_PATTERN,
    Label,
    Prose,
    StrictModel,
    model_problem,
    patterned,
    read_instant,
)
from escalate.calendars._instants import MAX_US, MIN_US, OUT_OF_RANGE, to_us
from escalate.engine.clocks import CLOCK_STATES
from escalate.policy.models import ACTION_KINDS

__all__ = [
    "ACTION_DETAILS",
    "CASE_NAME_PATTERN",
    "CLOCK_FIELDS",
    "ActionPattern",
    "CaseFileInput",
    "CaseInput",
    "ClockPattern",
    "DefaultsInput",
    "ExpectInput",
    "RowInput",
    "StepInput",
    "printed_duration",
]

#: Every kind of action a decision can hold (the policy's action kinds, the ``page`` and
#: ``handoff`` a path emits, the ``bridge_join`` of an open bridge, the ``notify_attempt``
#: and ``open_incident`` of notification plans, and the ``vendor_escalation`` of a vendor
#: contract's contacts), and the keys of ``details`` each kind carries.
_LEVEL_DETAILS = (
    "path",
    "level",
    "round",
    "authority",
    "owner",
    "ack_within",
    "resolve_within",
    "on_empty",
    "fallback",
)
ACTION_DETAILS: dict[str, tuple[str, ...]] = {
    "escalate": _LEVEL_DETAILS,
    "transfer": _LEVEL_DETAILS,
    "notify": ("channel", "channel_kind", "template", "audience", "plan"),
    "status_page": ("component", "state", "message", "channel", "requested_at"),
    "open_bridge": ("room",),
    "bridge_join": ("bridge", "path", "level", "room"),
    "require_postmortem": ("within", "due_by", "owner"),
    "set_flag": ("flag", "value"),
    "custom": ("type", "payload"),
    "page": ("path", "level", "ack_within"),
    "handoff": ("path", "level", "schedule"),
    "notify_attempt": ("channel", "channel_kind", "address", "step", "person", "parent", "plan"),
    "open_incident": (
        "linked_to",
        "parent",
        "plan",
        "reason",
        "priority",
        "summary",
        "people",
        "channels",
        "attempts",
    ),
    # A vendor-side contact level (docs/vendors.md, "Vendor-side contacts").
    "vendor_escalation": ("vendor", "level", "contact", "address", "channels", "until", "after"),
}
assert set(ACTION_KINDS) <= set(ACTION_DETAILS)
ActionKind = Literal[tuple(ACTION_DETAILS)]  # type: ignore[valid-type]

#: A case name, a matrix row name or a step name: what ``-k`` and pytest ids show.
CASE_NAME_PATTERN = r"^[A-Za-z0-9_.-]+$"

_DURATION_UNITS = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
    "s": timedelta(seconds=1),
    "us": timedelta(microseconds=1),
}


def printed_duration(text: str) -> timedelta:
    """A duration as decisions print it (``1d2h5m``, ``0s``, ``-1m30s``, ``250us``), already
    matched by :data:`PrintedDuration`'s pattern, as a timedelta; ``OverflowError`` when it
    is longer than a timedelta can be (999999999 days).

    >>> printed_duration("1d2h5m"), printed_duration("-1m30s")
    (datetime.timedelta(days=1, seconds=7500), datetime.timedelta(days=-1, seconds=86310))
    """
    sign = -1 if text.startswith("-") else 1
    body = text.removeprefix("-")
    total = timedelta(0)
    number = ""
    i = 0
    while i < len(body):
        char = body[i]
        if char.isdigit():
            number += char
            i += 1
            continue
        unit = "us" if body.startswith("us", i) else char
        total += int(number) * _DURATION_UNITS[unit]
        number = ""
        i += len(unit)
    return sign * total


def _check_instant(text: str) -> str:
    """Validator of :data:`Instant`: the text is a real date and time (no month 13) in the
    range escalate computes with."""
    at = read_instant(text)
    if at is None:
        raise model_problem(f"not a real date and time: {text!r}")
    if not MIN_US <= to_us(at) <= MAX_US:
        raise model_problem(f"{text!r} {OUT_OF_RANGE}")
    return text


def _check_printed_duration(text: str) -> str:
    """Validator of :data:`PrintedDuration`: no decision prints a longer duration than a
    timedelta holds, so a longer one is a mistake (and could not be compared)."""
    try:
        printed_duration(text)
    except OverflowError:
        raise model_problem(
            f"duration {text!r} is longer than any a decision prints (at most 999999999 days)"
        ) from None
    return text


def _statements_schema(*keys: str) -> Callable[[dict[str, Any]], None]:
    """A ``json_schema_extra`` saying what the validators say: the model needs a key, and
    ``keys`` are neither null nor empty (each would state nothing)."""

    def adjust(schema: dict[str, Any]) -> None:
        schema["minProperties"] = 1
        for key in keys:
            prop = schema["properties"][key]
            given = [s for s in prop.pop("anyOf") if s != {"type": "null"}]
            assert len(given) == 1
            prop.pop("default")
            prop.update(given[0])
            if prop.get("type") == "array":
                prop["minItems"] = 1
            elif prop.get("type") == "object":
                prop["minProperties"] = 1

    return adjust


Name = Annotated[str, patterned(CASE_NAME_PATTERN, "a name of letters, digits, '_', '.', '-'")]
Instant = Annotated[
    str,
    patterned(INSTANT_PATTERN, "an ISO-8601 instant with an offset, e.g. 2024-11-20T15:00Z"),
    AfterValidator(_check_instant),
]
WallDuration = Annotated[
    str, patterned(r"^([0-9]{1,9}(w|d|h|m|s))+$", "a wall-time duration like '10m' or '1h30m'")
]
#: A duration as decisions print it (``3h40m``, ``0s``, ``-5m``; ``us`` for microseconds).
PrintedDuration = Annotated[
    str,
    patterned(r"^-?([0-9]{1,12}(w|d|h|m|s|us))+$", "a duration like '3h40m' or '0s'"),
    AfterValidator(_check_printed_duration),
]
Percent = Annotated[
    str, patterned(r"^[0-9]{1,6}(\.[0-9]{1,2})?%?$", "a percentage like '91.67' or '75%'")
]
#: A ticket file (JSON or YAML, relative to the case file) or a ticket mapping.
TicketSource = Label | dict[str, Any]
#: An availability file (JSON or YAML, relative to the case file) or an availability mapping.
AvailabilitySource = Label | dict[str, Any]


class ActionPattern(StrictModel):
    """What one due action must look like: every key given must hold for the same action."""

    model_config = ConfigDict(
        json_schema_extra=_statements_schema(
            "kind",
            "id",
            "source",
            "path",
            "level",
            "due_at",
            "late",
            "targets",
            "people",
            "details",
        )
    )

    kind: ActionKind | None = Field(  # type: ignore[valid-type]
        None, description="The action's kind: " + ", ".join(ACTION_DETAILS) + "."
    )
    id: Label | None = Field(None, description="The action's id, exactly.")
    source: Label | None = Field(
        None,
        description="What emitted it: rule:<id>, clock:<name>@<rung>, path:<name>, "
        "postmortem:<item>@<rung>.",
    )
    path: Label | None = Field(None, description="The path in the action's details.")
    level: Label | None = Field(None, description="The level in the action's details.")
    due_at: Instant | None = Field(
        None, description="When it became due (compared as an instant, in any offset)."
    )
    late: bool | None = Field(None, description="Whether it became due before now.")
    targets: list[Label] | None = Field(
        None, description="Targets the action must name (a subset of its targets)."
    )
    people: list[Label] | None = Field(
        None, description="People the action must reach (a subset of its people)."
    )
    details: dict[str, Any] | None = Field(
        None, description="Keys of the action's details and their values (a subset)."
    )

    @field_validator("*")
    @classmethod
    def _says_something(cls, value: object, info: ValidationInfo) -> object:
        # A key that is null, or an empty subset, would match every action: refused, so that
        # each key of a pattern narrows it.
        if value is None:
            raise model_problem(
                f"'{info.field_name}' null matches every action: give a value or leave it out"
            )
        if isinstance(value, list | dict) and not value:
            raise model_problem(
                f"'{info.field_name}' needs at least one item: an empty subset matches every "
                "action (leave the key out)"
            )
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> ActionPattern:
        if not self.model_fields_set:
            raise model_problem("an action pattern needs at least one key (else it matches any)")
        return self


class ClockPattern(StrictModel):
    """Fields of a clock's decision JSON (``Decision.to_dict()["clocks"]``) that must hold."""

    model_config = ConfigDict(json_schema_extra=_statements_schema())

    name: Label | None = Field(None, description="The clock's name (as the key says).")
    type: Label | None = Field(None, description="The clock's type.")
    definition: Label | None = Field(None, description="The scoped definition measuring it.")
    state: Literal[CLOCK_STATES] | None = Field(  # type: ignore[valid-type]
        None, description="not-started, running, paused, stopped or not-applicable."
    )
    cycle: int | None = Field(None, description="The current cycle, 1 + reopens.")
    target: Label | None = Field(None, description="The target as written, e.g. 4h or 3bd.")
    calendar: Label | None = Field(None, description="The target's calendar.")
    started_at: Instant | None = Field(None, description="When the cycle started.")
    stopped_at: Instant | None = Field(None, description="When the cycle stopped.")
    paused_since: Instant | None = Field(None, description="Since when it is paused.")
    elapsed: PrintedDuration | None = Field(None, description="Business time elapsed, e.g. 3h40m.")
    elapsed_wall: PrintedDuration | None = Field(None, description="Wall time elapsed.")
    remaining: PrintedDuration | None = Field(None, description="Business time left to the target.")
    percent: Percent | int | None = Field(
        None, description="Elapsed share of the target, e.g. '91.67' (two decimals, as printed)."
    )
    breached: bool | None = Field(None, description="Whether the target is breached.")
    breach_at: Instant | None = Field(None, description="When the target is (or was) breached.")

    @field_validator("percent", mode="before")
    @classmethod
    def _no_float(cls, value: object) -> object:
        if isinstance(value, float):
            raise model_problem(
                f"write a percentage as text, e.g. '{value}' (quoted): a YAML number with a "
                f"fraction is a float, and escalate compares percentages exactly, got {value!r}"
            )
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> ClockPattern:
        if not self.model_fields_set:
            raise model_problem(
                "a clock pattern needs at least one field (else it states nothing; "
                "null states that the clock does not apply)"
            )
        return self


#: The keys a clock pattern may give (those of a clock's decision JSON).
CLOCK_FIELDS = tuple(ClockPattern.model_fields)


class ExpectInput(StrictModel):
    """What a decision must show (``expect``), or must not (``expect_not``): each key given is
    one statement; in ``expect`` all must hold, in ``expect_not`` none may."""

    model_config = ConfigDict(
        json_schema_extra=_statements_schema(
            "levels", "rules", "actions", "missed", "clocks", "no_actions"
        )
    )

    segment: Label | None = Field(
        None, description="The segment that decided (null: the policy as written)."
    )
    levels: dict[str, Label | None] | None = Field(
        None, description="Path -> its current level (null: the path is not active)."
    )
    rules: list[Label] | None = Field(
        None, description="Rules that match now (status matched or done); a subset."
    )
    actions: list[ActionPattern] | None = Field(
        None, description="Each pattern must match at least one due action (a subset)."
    )
    missed: list[ActionPattern] | None = Field(
        None,
        description="Each pattern must match at least one missed action: due when the ticket "
        "ended (resolved, closed, cancelled) and never recorded done (a subset).",
    )
    clocks: dict[str, ClockPattern | None] | None = Field(
        None, description="Clock -> fields of its decision JSON (null: the clock does not apply)."
    )
    next_evaluation_at: Instant | None = Field(
        None, description="The next evaluation instant (null: never)."
    )
    no_actions: Literal[True] | None = Field(None, description="No due action at all.")

    @field_validator("no_actions", mode="before")
    @classmethod
    def _only_true(cls, value: object) -> object:
        if value is False:
            raise model_problem(
                "no_actions takes only true; use expect_not: {no_actions: true} to say that "
                "some action is due"
            )
        return value

    @field_validator("levels", "rules", "actions", "missed", "clocks", "no_actions")
    @classmethod
    def _states_something(cls, value: object, info: ValidationInfo) -> object:
        # Each item of these keys is a statement: empty (or null) they state nothing, and a
        # case of them alone could never fail.
        if value is None and info.field_name == "no_actions":
            raise model_problem("'no_actions' is true or left out (null states nothing)")
        if not value:
            raise model_problem(
                f"'{info.field_name}' needs at least one statement, got {json.dumps(value)} "
                "(leave the key out)"
            )
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> ExpectInput:
        if not self.model_fields_set:
            raise model_problem("an expectation needs at least one statement")
        return self


class RowInput(StrictModel):
    """One row of a matrix: inputs that replace the case's, under the case's expectations."""

    name: Name | None = Field(None, description="The row's name (default: its number, from 1).")
    now: Instant | None = Field(None, description="The instant evaluated for this row.")
    ticket: dict[str, Any] | None = Field(
        None, description="Top-level ticket keys that replace the case ticket's."
    )
    availability: AvailabilitySource | None = Field(None, description="This row's availability.")


class StepInput(StrictModel):
    """One step of a timeline: an instant, the events that happened by then, what to expect."""

    name: Name | None = Field(None, description="The step's name (default: its number, from 1).")
    at: Instant | None = Field(None, description="The step's instant.")
    after: WallDuration | None = Field(
        None, description="The step's instant as a wall-time offset from the previous step."
    )
    events: list[dict[str, Any]] | None = Field(
        None, description="Events appended to the ticket's history (at defaults to the step's)."
    )
    expect: ExpectInput | None = Field(None, description="What the decision must show.")
    expect_not: ExpectInput | None = Field(None, description="What it must not show.")

    @model_validator(mode="after")
    def _shape(self) -> StepInput:
        if (self.at is None) == (self.after is None):
            raise model_problem("a step needs exactly one of 'at' and 'after'")
        if self.expect is None and self.expect_not is None:
            raise model_problem("a step needs 'expect' or 'expect_not' (else it cannot fail)")
        return self


class CaseInput(StrictModel):
    """One named case: inputs, and what the decision must (not) show."""

    name: Name = Field(description="Unique in the file.")
    description: Prose | None = Field(None, description="What the case shows.")
    now: Instant | None = Field(None, description="The instant evaluated (zone-aware).")
    ticket: TicketSource | None = Field(None, description="A ticket file or mapping.")
    availability: AvailabilitySource | None = Field(
        None, description="An availability file or mapping."
    )
    expect: ExpectInput | None = Field(None, description="What the decision must show.")
    expect_not: ExpectInput | None = Field(None, description="What it must not show.")
    matrix: list[RowInput] | None = Field(
        None, min_length=1, description="Rows of inputs sharing this case's expectations."
    )
    timeline: list[StepInput] | None = Field(
        None, min_length=1, description="Steps in time order, each with its expectations."
    )

    @model_validator(mode="after")
    def _shape(self) -> CaseInput:
        if self.matrix is not None and self.timeline is not None:
            raise model_problem("a case has a 'matrix' or a 'timeline', not both")
        if self.timeline is not None:
            if self.expect is not None or self.expect_not is not None:
                raise model_problem("a timeline case puts 'expect' and 'expect_not' in its steps")
        elif self.expect is None and self.expect_not is None:
            raise model_problem("a case needs 'expect' or 'expect_not' (else it cannot fail)")
        return self


class DefaultsInput(StrictModel):
    """Defaults for every case of the file; a case's own key replaces the default."""

    now: Instant | None = Field(None, description="The default instant evaluated.")
    ticket: TicketSource | None = Field(None, description="The default ticket.")
    availability: AvailabilitySource | None = Field(None, description="The default availability.")


class CaseFileInput(StrictModel):
    """A case file: the policy it tests, defaults, and named cases."""

    policy: Label | None = Field(
        None,
        description="The policy file or folder, relative to this file (default: the file of "
        "the same stem, e.g. itil-default.yaml for itil-default.cases.yaml).",
    )
    defaults: DefaultsInput | None = Field(None, description="Defaults for every case.")
    cases: list[CaseInput] = Field(min_length=1, description="The cases, in order.")
