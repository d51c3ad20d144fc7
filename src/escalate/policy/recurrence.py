"""The ``recurrence:`` section: its format, and its compilation into a ``RecurrenceDef``.

``recurrence:`` declares what makes two tickets "the same problem" (the fingerprint's fields),
the window counted before a ticket opened, and the two integer ticket fields a caller fills
with the counts (:mod:`escalate.learning.recurrence`); conditions then read those fields like
any custom field. :func:`compile_recurrence` checks the names (with suggestions) and that the
filled fields collide with nothing else the policy declares or writes. A policy without the
section compiles to ``None`` and decides exactly as before. See docs/policy-reference.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Annotated

from pydantic import Field

from escalate._models import Label, StrictModel, patterned
from escalate.calendars._durations import parse_duration
from escalate.calendars.models import Duration
from escalate.engine.history import HISTORY_FIELDS
from escalate.engine.recurrence import RecurrenceDef
from escalate.errors import PolicyError, render_path, shown, suggest

__all__ = [
    "FILLED_PATTERN",
    "RecurrenceFieldsSpec",
    "RecurrenceSpec",
    "compile_recurrence",
    "set_flags",
]

Path = tuple[str | int, ...]

#: A field the section fills: one key of the ticket's ``fields`` mapping.
FILLED_PATTERN = r"^fields\.[A-Za-z_][A-Za-z0-9_-]*$"
_Filled = Annotated[
    str,
    patterned(FILLED_PATTERN, "a custom field written 'fields.<name>', like 'fields.recurrences'"),
]
_ROOT: Path = ("recurrence",)


class RecurrenceFieldsSpec(StrictModel):
    """The ticket fields the counts go to (integers; conditions read them)."""

    recurrences: _Filled = Field(
        default="fields.recurrences",
        description="other tickets with the fingerprint fixed (resolved or closed) in the "
        "window before this one opened",
    )
    occurrences: _Filled = Field(
        default="fields.occurrences",
        description="tickets with the fingerprint opened in the window, this one included",
    )


class RecurrenceSpec(StrictModel):
    """What makes two tickets the same problem, and the window their counts cover."""

    fingerprint: list[Label] = Field(
        min_length=1,
        description="ticket fields whose values together are the fingerprint: service, "
        "category, subcategory, configuration_item, ..., customer.id, fields.<name>",
        examples=[["service", "category", "fields.u_symptom"]],
    )
    within: Duration = Field(
        description="the window before a ticket opened, wall time ('30d', '12h'; no 'bd' or "
        "'mo'); both ends included"
    )
    fields: RecurrenceFieldsSpec = Field(
        default_factory=RecurrenceFieldsSpec,
        description="where the counts go (default fields.recurrences, fields.occurrences)",
    )


def compile_recurrence(
    spec: RecurrenceSpec | None,
    *,
    custom_fields: Mapping[str, str],
    flags: Sequence[tuple[str, Path]] = (),
) -> RecurrenceDef | None:
    """The section compiled (``None`` when the policy has none).

    ``custom_fields`` are the policy's ``custom_fields:``: once it declares any, a fingerprint
    ``fields.<name>`` must be one of them, and a filled field it declares must be an integer.
    ``flags`` are the ``set_flag`` flags the policy's actions write, with their key paths: none
    may be a filled field.
    """
    if spec is None:
        return None
    filled = (spec.fields.recurrences, spec.fields.occurrences)
    if filled[0] == filled[1]:
        raise PolicyError(
            f"recurrences and occurrences both fill {shown(filled[0])}: give them a field each",
            path=(*_ROOT, "fields", "occurrences"),
        )
    for key, name in zip(("recurrences", "occurrences"), filled, strict=True):
        _check_filled(name, (*_ROOT, "fields", key), custom_fields, flags)
    seen: dict[str, int] = {}
    for i, name in enumerate(spec.fingerprint):
        where = (*_ROOT, "fingerprint", i)
        _check_fingerprint_field(name, where, custom_fields)
        if name in filled:
            raise PolicyError(
                f"{shown(name)} is a field recurrence: fills, so it cannot be part of the "
                "fingerprint it is counted by",
                path=where,
            )
        if name in seen:
            raise PolicyError(
                f"{shown(name)} is listed twice (also fingerprint[{seen[name]}])", path=where
            )
        seen[name] = i
    # a wall-time span: no business days or months; parse_duration refuses zero too
    within = parse_duration(spec.within, (*_ROOT, "within"), allow_business_days=False).delta
    return RecurrenceDef(
        fingerprint=tuple(spec.fingerprint),
        within=within,
        within_text=spec.within,
        recurrences=filled[0],
        occurrences=filled[1],
    )


def _check_fingerprint_field(name: str, where: Path, custom_fields: Mapping[str, str]) -> None:
    """A fingerprint field is one a ``field-changed`` event may name (the ticket's text fields,
    ``customer.*``) or a custom field ``fields.<name>``, declared when ``custom_fields`` is."""
    if name.startswith("fields.") and len(name) > len("fields."):
        key = name.removeprefix("fields.")
        if custom_fields and key not in custom_fields:
            raise PolicyError(
                f"the policy declares custom_fields, and {shown(key)} is not one of them "
                f"(custom fields: {', '.join(sorted(custom_fields))})",
                path=where,
                suggestion=_prefixed(suggest(key, sorted(custom_fields))),
            )
        return
    if name not in HISTORY_FIELDS:
        known = sorted(HISTORY_FIELDS)
        raise PolicyError(
            f"unknown fingerprint field {shown(name)} (fields: {', '.join(known)}, fields.<name>)",
            path=where,
            suggestion=suggest(name, [*known, *_custom_names(custom_fields)]),
        )


def _check_filled(
    name: str, where: Path, custom_fields: Mapping[str, str], flags: Sequence[tuple[str, Path]]
) -> None:
    key = name.removeprefix("fields.")
    declared = custom_fields.get(key)
    if declared is not None and declared != "integer":
        raise PolicyError(
            f"custom_fields declares {shown(key)} as {declared}, and recurrence: fills "
            f"{shown(name)} with an integer count: pick another field, or declare it integer",
            path=where,
        )
    for flag, at in flags:
        if flag in (key, name):
            raise PolicyError(
                f"the flag {shown(flag)} is the field {render_path(where)} fills with its "
                "recurrence count: rename the flag, or name another field there",
                path=at,
            )


def set_flags(rules: Sequence[object], clocks: Mapping[str, object]) -> Iterator[tuple[str, Path]]:
    """Every ``set_flag`` flag the rules' and the clock ladders' actions write, with the key
    path of its ``flag`` (the models' objects, read by attribute)."""
    for i, rule in enumerate(rules):
        then = getattr(rule, "then", None)
        listed = then if isinstance(then, list) else [then]
        for j, action in enumerate(listed):
            at: Path = ("rules", i, "then", j) if isinstance(then, list) else ("rules", i, "then")
            yield from _flag_of(action, at)
    for name, clock in clocks.items():
        for j, rung in enumerate(getattr(clock, "ladder", ())):
            yield from _flag_of(rung, ("clocks", name, "ladder", j))


def _flag_of(action: object, at: Path) -> Iterator[tuple[str, Path]]:
    flag = getattr(action, "set_flag", None)
    if flag is not None:
        yield flag.flag, (*at, "set_flag", "flag")


def _custom_names(custom_fields: Mapping[str, str]) -> list[str]:
    return [f"fields.{key}" for key in sorted(custom_fields)]


def _prefixed(found: str | None) -> str | None:
    return None if found is None else f"fields.{found}"
