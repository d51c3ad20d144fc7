"""The ``vendors:`` section: vendor contracts (underpinning contracts), read and compiled.

Each entry (vendor id -> contract) names the horizontal path that engages the vendor, their
calendar, response and resolution targets per priority, the statuses in which their clocks
wait for us, their escalation contacts, joint procedures, penalty clauses and what ticket
data they may receive. :func:`compile_vendors` checks what a schema cannot say (the path and
calendar exist, the path is horizontal, one currency per contract, fields a vendor's
redaction profile withholds) and returns the engine's
:class:`~escalate.engine.vendors.VendorDef` values. See docs/vendors.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, model_validator

from escalate._frozen import FrozenMap
from escalate._models import Label, Prose, StrictModel, model_problem, patterned
from escalate.calendars._durations import parse_duration, parse_percent
from escalate.calendars.calendar import Calendar
from escalate.calendars.models import Duration, Percent
from escalate.comms.models import CLASSES, AudienceSpec, RedactionSpec
from escalate.engine.contracts import ClauseDef, ContactDef, ProcedureDef, VendorDef
from escalate.engine.history import TEXT_FIELDS_BUT_PRIORITY
from escalate.engine.paths import PathDef
from escalate.errors import PolicyError, shown, suggest

__all__ = [
    "SHAREABLE_FIELDS",
    "ClauseSpec",
    "ContactSpec",
    "DataSharingSpec",
    "PauseSpec",
    "ProcedureSpec",
    "VendorSpec",
    "Vendors",
    "compile_vendors",
]

Path = tuple[str | int, ...]

#: Money as written: a string of digits with at most 4 decimals (never a YAML float).
MONEY_PATTERN = r"^[0-9]{1,12}(?:\.[0-9]{1,4})?$"
# The JSON Schema keeps ``$`` (ECMA regex); Python's ``$`` also matches before a final
# newline, so the check itself ends with ``\Z``.
_MONEY_RE = re.compile(MONEY_PATTERN.removesuffix("$") + r"\Z")
#: A percentage of the monthly fee: ``"2.5"`` (no ``%``), 0 < p <= 100.
PERCENT_TEXT_PATTERN = r"^[0-9]{1,3}(?:\.[0-9]{1,6})?$"
_PERCENT_RE = re.compile(PERCENT_TEXT_PATTERN.removesuffix("$") + r"\Z")


def _money_text(value: object) -> object:
    """A money value must be a string like ``"250.00"``: a YAML number is refused (a float is
    inexact, an int looks like one), as is a negative or malformed amount."""
    if isinstance(value, bool) or not isinstance(value, str):
        if isinstance(value, int | float):
            raise model_problem(
                f"write amounts as strings, e.g. '250.00' (got the number {value!r})"
            )
        return value  # the str check reports other types
    if _MONEY_RE.match(value) is None:
        raise model_problem(
            f"expected an amount like '250.00' (digits, at most 4 decimals, not negative), "
            f"got {shown(value)}"
        )
    return value


Money = Annotated[
    str,
    BeforeValidator(_money_text),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["250.00"]}),
]


def _percent_text(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, str):
        if isinstance(value, int | float):
            raise model_problem(
                f"write percentages as strings, e.g. '2.5' (got the number {value!r})"
            )
        return value
    if _PERCENT_RE.match(value) is None or not 0 < Decimal(value) <= 100:
        raise model_problem(f"expected a percentage like '2.5' (0 < p <= 100), got {shown(value)}")
    return value


PercentText = Annotated[
    str,
    BeforeValidator(_percent_text),
    WithJsonSchema({"type": "string", "pattern": PERCENT_TEXT_PATTERN, "examples": ["2.5"]}),
]
#: A clause's cap: money, or a percentage of the monthly fee written with ``%`` (``"20%"``;
#: the number follows the ``percent`` rules).
CAP_PATTERN = "^(?:" + MONEY_PATTERN[1:-1] + "|" + PERCENT_TEXT_PATTERN[1:-1] + "%)$"


def _cap_text(value: object) -> object:
    """A cap is money (``"500.00"``) or a percentage of the monthly fee (``"20%"``: 0 < p <=
    100, at most 6 decimals, no space before the ``%``)."""
    if not isinstance(value, str):
        return _money_text(value)
    number = value.removesuffix("%")
    if number != value and _PERCENT_RE.match(number) is not None and 0 < Decimal(number) <= 100:
        return value
    if number == value and _MONEY_RE.match(value) is not None:
        return value
    raise model_problem(
        "expected an amount like '250.00' (digits, at most 4 decimals, not negative) or a "
        f"percentage of the monthly fee like '20%' (0 < p <= 100, at most 6 decimals), got "
        f"{shown(value)}"
    )


CapText = Annotated[
    str,
    BeforeValidator(_cap_text),
    WithJsonSchema({"type": "string", "pattern": CAP_PATTERN, "examples": ["500.00", "20%"]}),
]
Currency = Annotated[str, patterned(r"[A-Z]{3}", "an ISO 4217 currency code like 'EUR'")]
Id = Annotated[str, patterned(r"[a-z0-9]+(?:[-_][a-z0-9]+)*", "lower-case words joined by '-'")]


class ContactSpec(StrictModel):
    """A vendor-side escalation level."""

    name: Label
    address: Label | None = Field(default=None, description="where to reach them")
    channels: list[Label] = Field(default_factory=list, description="e.g. [phone, email]")
    after: Duration | Percent = Field(
        description="vendor-calendar time (pauses excluded) from engagement without the "
        "vendor having responded (until: response) or resolved (until: resolution), no bd/mo; "
        "or a share of that clock's target ('50%'); levels in ascending order"
    )
    until: Literal["response", "resolution"] = "response"

    @model_validator(mode="after")
    def _reachable(self) -> ContactSpec:
        if self.address is None and not self.channels:
            raise model_problem("a contact needs an 'address' or 'channels'")
        return self


class ProcedureSpec(StrictModel):
    """A joint step and who owns it (ownership boundaries as data)."""

    step: Label
    owner: Literal["us", "vendor", "joint"]
    description: Prose | None = None


class ClauseSpec(StrictModel):
    """A penalty / service credit: per unit of lateness, a fixed amount or a share of the fee."""

    id: Id
    clock: Literal["response", "resolution"]
    per: Duration = Field(description="the unit of lateness, e.g. 1h (no bd/mo)")
    count: Literal["started", "completed"] = Field(
        default="started", description="each started unit counts (default) or completed ones"
    )
    amount: Money | None = Field(default=None, description="money per unit, e.g. '250.00'")
    percent: PercentText | None = Field(
        default=None, description="per unit, a percentage of the contract's monthly_fee"
    )
    currency: Currency | None = Field(default=None, description="ISO 4217; one per contract")
    cap: CapText | None = Field(
        default=None,
        description="the most this clause accrues: money ('500.00') or a percentage of the "
        "contract's monthly_fee ('20%')",
    )
    grace: Duration | None = Field(default=None, description="lateness not counted")
    source: Prose | None = Field(default=None, description="contract clause citation")

    @model_validator(mode="after")
    def _one_measure(self) -> ClauseSpec:
        if (self.amount is None) == (self.percent is None):
            raise model_problem("a clause needs exactly one of 'amount' or 'percent'")
        return self


class PauseSpec(StrictModel):
    """Vendor clocks do not run while the ticket is in one of these statuses (or a status of
    one of these categories): the vendor waits for us. Same shape as a clock's ``pause``."""

    status: list[str] | str | None = None
    category: (
        list[Literal["new", "in-progress", "on-hold"]]
        | Literal["new", "in-progress", "on-hold"]
        | None
    ) = None

    @model_validator(mode="after")
    def _one_of(self) -> PauseSpec:
        if self.status is None and self.category is None:
            raise model_problem("a pause needs 'status' or 'category'")
        return self


class DataSharingSpec(StrictModel):
    """The ticket fields the vendor may receive."""

    fields: list[Label] = Field(default_factory=list)


class VendorSpec(StrictModel):
    """A vendor contract (an underpinning contract)."""

    name: Label
    path: Id = Field(description="the horizontal path that engages the vendor")
    calendar: Id = Field(default="24x7", description="the vendor's hours and zone")
    response: dict[Label, Duration] = Field(
        default_factory=dict, description="priority (or default) -> response target"
    )
    resolution: dict[Label, Duration] = Field(
        default_factory=dict, description="priority (or default) -> resolution target"
    )
    pause: PauseSpec | None = Field(
        default=None,
        description="statuses / categories in which vendor clocks wait for us (e.g. "
        "awaiting-user-info)",
    )
    monthly_fee: Money | None = Field(
        default=None, description="for percent clauses and percentage caps"
    )
    currency: Currency | None = Field(default=None, description="ISO 4217")
    contacts: list[ContactSpec] = Field(default_factory=list)
    procedures: list[ProcedureSpec] = Field(default_factory=list)
    clauses: list[ClauseSpec] = Field(default_factory=list)
    data_sharing: DataSharingSpec = Field(default_factory=DataSharingSpec)
    description: Prose | None = None
    source: Prose | None = None


Vendors = Annotated[
    dict[Id, VendorSpec],
    Field(default_factory=dict, description="vendor contracts (see docs/vendors.md)"),
]

#: The ticket fields a vendor may be given (``data_sharing.fields``), besides ``fields.<name>``.
SHAREABLE_FIELDS = (
    "kind",
    "status",
    "priority",
    "opened_at",
    *TEXT_FIELDS_BUT_PRIORITY,
    "customer.id",
    "customer.tier",
    "customer.vip",
    "regulatory_flags",
    "reassignment_count",
    "reopen_count",
    "comments",
)

StatusNames = Callable[
    [list[str] | str | None, Sequence[str] | str | None, Path], frozenset[str] | None
]


def _contacts(specs: Sequence[ContactSpec], where: Path) -> tuple[ContactDef, ...]:
    """The contact levels; each ``after`` later than the previous level's of the same clock
    and the same kind (a duration or a share of the target): a ladder climbs."""
    out: list[ContactDef] = []
    for i, c in enumerate(specs):
        at: Path = (*where, i, "after")
        text = c.after.strip()
        if text.endswith("%"):
            contact = ContactDef(
                c.name, c.address, tuple(c.channels), timedelta(0), c.until,
                share=parse_percent(text, at), after_text=text,
            )  # fmt: skip
        else:
            delta = parse_duration(text, at, allow_business_days=False).delta
            contact = ContactDef(
                c.name, c.address, tuple(c.channels), delta, c.until, after_text=text
            )
        for j in range(i - 1, -1, -1):
            before = out[j]
            if before.until != contact.until or (before.share is None) != (contact.share is None):
                continue
            earlier = before.after if before.share is None else before.share
            later = contact.after if contact.share is None else contact.share
            if later <= earlier:  # type: ignore[operator]
                raise PolicyError(
                    f"contact levels climb: {shown(text)} is not after level {j + 1}'s "
                    f"{shown(before.after_text)} ({specs[j].name}, until {contact.until}); list "
                    "the contacts in ascending 'after' order",
                    path=at,
                )
            break
        out.append(contact)
    return tuple(out)


def compile_vendors(
    specs: Mapping[str, VendorSpec],
    *,
    calendars: Mapping[str, Calendar],
    paths: Mapping[str, PathDef],
    priorities: Sequence[str] | None,
    status_names: StatusNames,
    custom_fields: Mapping[str, str],
    classification: Mapping[str, str],
    redaction: Mapping[str, RedactionSpec],
    audiences: Mapping[Any, AudienceSpec],
) -> tuple[VendorDef, ...]:
    """The compiled contracts, by id; a :class:`PolicyError` naming the key path otherwise."""
    withheld = _vendor_withheld(redaction, audiences)
    return tuple(
        _vendor(
            vid,
            specs[vid],
            calendars,
            paths,
            priorities,
            status_names,
            custom_fields,
            classification,
            withheld,
        )
        for vid in sorted(specs)
    )


def _vendor_withheld(
    redaction: Mapping[str, RedactionSpec], audiences: Mapping[Any, AudienceSpec]
) -> frozenset[str]:
    """The classes the ``vendor`` audience's profile withholds (every class without one)."""
    audience = audiences.get("vendor")
    if audience is None or audience.redaction is None:
        return frozenset(CLASSES)
    profile = redaction.get(audience.redaction)
    return frozenset(CLASSES) if profile is None else frozenset(profile.redact)


def _vendor(
    vid: str,
    spec: VendorSpec,
    calendars: Mapping[str, Calendar],
    paths: Mapping[str, PathDef],
    priorities: Sequence[str] | None,
    status_names: StatusNames,
    custom_fields: Mapping[str, str],
    classification: Mapping[str, str],
    withheld: frozenset[str],
) -> VendorDef:
    where: Path = ("vendors", vid)
    path = paths.get(spec.path)
    if path is None:
        raise PolicyError(
            f"vendor {shown(vid)} names path {shown(spec.path)}, which the policy does not "
            f"declare (paths: {', '.join(sorted(paths)) or 'none'})",
            path=(*where, "path"),
            suggestion=suggest(spec.path, sorted(paths)),
        )
    if path.kind != "horizontal":
        raise PolicyError(
            f"vendor {shown(vid)} names path {shown(spec.path)}, a {path.kind} path: a vendor "
            "is engaged by a horizontal (transfer) path",
            path=(*where, "path"),
        )
    calendar = calendars.get(spec.calendar)
    if calendar is None:
        raise PolicyError(
            f"unknown calendar {shown(spec.calendar)} (calendars: {', '.join(sorted(calendars))})",
            path=(*where, "calendar"),
            suggestion=suggest(spec.calendar, sorted(calendars)),
        )
    response = _targets(spec.response, priorities, (*where, "response"))
    resolution = _targets(spec.resolution, priorities, (*where, "resolution"))
    pause: frozenset[str] = frozenset()
    if spec.pause is not None:
        pause = (
            status_names(spec.pause.status, spec.pause.category, (*where, "pause")) or frozenset()
        )
    contacts = _contacts(spec.contacts, (*where, "contacts"))
    procedures = tuple(ProcedureDef(p.step, p.owner, p.description) for p in spec.procedures)
    currency = spec.currency
    fee = None if spec.monthly_fee is None else Fraction(Decimal(spec.monthly_fee))
    clauses = []
    seen: dict[str, int] = {}
    for i, c in enumerate(spec.clauses):
        at: Path = (*where, "clauses", i)
        if c.id in seen:
            raise PolicyError(
                f"clause id {shown(c.id)} is also used by clauses[{seen[c.id]}]",
                path=(*at, "id"),
            )
        seen[c.id] = i
        if c.currency is not None:
            if currency is not None and c.currency != currency:
                raise PolicyError(
                    f"currency {shown(c.currency)} differs from the contract's {shown(currency)}:"
                    " one currency per contract",
                    path=(*at, "currency"),
                )
            currency = c.currency
        if c.percent is not None and fee is None:
            raise PolicyError(
                "a 'percent' clause needs the contract's 'monthly_fee'", path=(*at, "percent")
            )
        cap = _cap(c.cap, fee, (*at, "cap"))
        unit = (
            Fraction(Decimal(c.amount))
            if c.amount is not None
            else (fee or Fraction(0)) * Fraction(Decimal(c.percent or "0")) / 100
        )
        per = parse_duration(c.per, (*at, "per"), allow_business_days=False).delta
        grace = (
            parse_duration(c.grace, (*at, "grace"), allow_business_days=False).delta
            if c.grace is not None
            else per * 0
        )
        clauses.append(
            ClauseDef(
                id=c.id,
                clock=c.clock,
                per=per,
                count=c.count,
                unit=unit,
                cap=cap,
                grace=grace,
                amount_text=c.amount,
                percent_text=c.percent,
                source=c.source,
            )
        )
    if clauses and currency is None:
        raise PolicyError(
            f"vendor {shown(vid)} has penalty clauses but no 'currency' (ISO 4217, e.g. 'EUR')",
            path=(*where, "currency"),
        )
    for clause in clauses:
        table = response if clause.clock == "response" else resolution
        if not table:
            raise PolicyError(
                f"clause {shown(clause.id)} measures the {clause.clock} clock, which has no "
                "targets in this contract",
                path=(*where, "clauses", clauses.index(clause), "clock"),
            )
    fields = _fields(spec.data_sharing.fields, custom_fields, classification, withheld, where)
    return VendorDef(
        id=vid,
        name=spec.name,
        path=spec.path,
        calendar_name=spec.calendar,
        calendar=calendar,
        response=FrozenMap(response, what="priority"),
        resolution=FrozenMap(resolution, what="priority"),
        pause=pause,
        contacts=contacts,
        procedures=procedures,
        clauses=tuple(clauses),
        currency=currency,
        monthly_fee=fee,
        fields=fields,
    )


def _cap(text: str | None, fee: Fraction | None, at: Path) -> Fraction | None:
    """The cap, exact: an amount, or a percentage of the monthly fee (which it then needs)."""
    if text is None:
        return None
    if not text.endswith("%"):
        return Fraction(Decimal(text))
    if fee is None:
        raise PolicyError(
            f"a cap written as a percentage ({shown(text)}) is a share of the contract's "
            "'monthly_fee', which it does not declare",
            path=at,
        )
    return fee * Fraction(Decimal(text.removesuffix("%"))) / 100


def _targets(
    spec: Mapping[str, str], priorities: Sequence[str] | None, path: Path
) -> dict[str, Any]:
    out = {}
    for priority in sorted(spec):
        where = (*path, priority)
        if priority != "default" and priorities is not None and priority not in priorities:
            raise PolicyError(
                f"{shown(priority)} is not a canonical priority "
                f"(known: {', '.join(priorities)}, or 'default')",
                path=where,
                suggestion=suggest(priority, priorities),
            )
        out[priority] = parse_duration(spec[priority], where, allow_months=True)
    return out


def _fields(
    fields: Sequence[str],
    custom_fields: Mapping[str, str],
    classification: Mapping[str, str],
    withheld: frozenset[str],
    where: Path,
) -> tuple[str, ...]:
    """The shared fields, checked: known fields only, and none the vendor's redaction
    profile withholds (a contradiction between the agreement and the profile)."""
    out: list[str] = []
    for i, field in enumerate(fields):
        at: Path = (*where, "data_sharing", "fields", i)
        custom = field.startswith("fields.")
        if custom:
            name = field.removeprefix("fields.")
            if custom_fields and name not in custom_fields:
                raise PolicyError(
                    f"unknown custom field {shown(field)} (custom_fields declares: "
                    f"{', '.join(sorted(custom_fields))})",
                    path=at,
                    suggestion=suggest(name, sorted(custom_fields)),
                )
        elif field not in SHAREABLE_FIELDS:
            raise PolicyError(
                f"unknown ticket field {shown(field)} (fields: {', '.join(SHAREABLE_FIELDS)}, "
                "fields.<name>)",
                path=at,
                suggestion=suggest(field, SHAREABLE_FIELDS),
            )
        kind = classification.get(field)
        if kind is not None and kind in withheld:
            raise PolicyError(
                f"data_sharing lists {shown(field)}, classified {kind!r}, which the vendor "
                "audience's redaction profile withholds: the field would stay withheld; "
                "remove it here or release the class in the profile",
                path=at,
            )
        if field not in out:
            out.append(field)
    return tuple(out)
