"""Compile validated policy data into an immutable :class:`~escalate.engine.compiled.Policy`.

Everything expensive happens here, once: calendars become window tables, conditions become
type-checked closures, durations become ``timedelta``, alias tables are built and rules are
put in their declared order. pydantic checks the shape; this module adds what a schema cannot
say (unknown calendars, levels and fields, type errors in conditions, self-referring paths).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from pydantic import ValidationError

from escalate._models import (
    check_data,
    label_problem,
    model_keys,
    policy_error,
    string_list_keys,
)
from escalate.calendars._durations import Duration, parse_duration, parse_percent
from escalate.calendars.calendar import Calendar
from escalate.calendars.models import CalendarModel
from escalate.comms.messages import compile_comms
from escalate.engine.actions import NO_STATUS_PAGES, ActionDef, StatusPagesDef
from escalate.engine.clocks import CLOCK_STATES, ClockDef, Definition, Rung, Target, Trigger
from escalate.engine.compiled import LintIgnore, Policy
from escalate.engine.conditions import (
    BOOL,
    DURATION,
    INT,
    LEVEL,
    PERCENT,
    SET,
    STR,
    Condition,
    FieldSpec,
    compile_condition,
    leaves,
    referenced_fields,
)
from escalate.engine.followup import OWNER_TARGETS
from escalate.engine.governance import GovernanceDef
from escalate.engine.history import milestone_problem
from escalate.engine.paths import LevelDef, PathDef
from escalate.engine.plans import Notifications
from escalate.engine.postmortem import PM_OVERDUE_ITEMS, PM_STATUS, PM_STATUSES, PostmortemDef
from escalate.engine.recurrence import RecurrenceDef
from escalate.engine.rules import RuleDef
from escalate.engine.segments import SEGMENT_FIELDS, Segment
from escalate.engine.statuses import BUILT_IN, CATEGORIES, StatusTable
from escalate.engine.ticket import EVENT_TYPES, KINDS, TEXT_FIELDS, normalise_name
from escalate.engine.ticket_format import TERMINOLOGY_FIELDS
from escalate.errors import PolicyError, joined, remapped, render_path, shown, suggest
from escalate.people.directory import Directory
from escalate.policy.governance import compile_governance
from escalate.policy.lint import CODES, parse_where, render_where
from escalate.policy.models import (
    ACTION_KINDS,
    ActionSpec,
    ClockSpec,
    EffectiveSpec,
    LevelSpec,
    PathSpec,
    PolicySpec,
    RuleSpec,
    RungSpec,
    SegmentSpec,
    StatusPageSpec,
    TargetSpec,
    TriggerSpec,
)
from escalate.policy.notifications import compile_notifications, plan_name_error
from escalate.policy.postmortem import (
    DOCUMENT_TARGETS,
    ITEM_TARGETS,
    check_rule,
    check_thresholds,
    compile_postmortem,
)
from escalate.policy.recurrence import compile_recurrence, set_flags
from escalate.policy.segments import (
    Origin,
    apply_overlay,
    dangling_hint,
    plain_origin,
    segment_base,
)
from escalate.policy.vendors import compile_vendors

__all__ = [
    "MAX_HOLIDAY_YEARS",
    "MAX_POLICY_WINDOWS",
    "MAX_SEGMENTS",
    "MAX_SEGMENT_CHARS",
    "compile_policy",
    "content_hash",
    "validate_spec",
]

#: The most working windows all calendars of one policy may hold together (each at most
#: :data:`~escalate.calendars.calendar.MAX_CALENDAR_WINDOWS`): what loading time and memory
#: grow with, whatever the number of calendars.
MAX_POLICY_WINDOWS = 1_000_000
#: The most years of country holidays (``holidays: {country, years}``) the calendars of one
#: policy may ask the holidays package for together: each year costs a few milliseconds.
MAX_HOLIDAY_YEARS = 1_000
#: The most segments one policy may declare: each compiles into a whole policy of its own.
MAX_SEGMENTS = 64
#: The most policy text (canonical JSON characters) the segments' policies may hold together:
#: each is the whole base with its changes, so this bounds loading at a few policies' worth.
MAX_SEGMENT_CHARS = 8 * 2**20

# Ids appear in field names (clock.<name>.percent), traces and action ids: keep them plain.
_KEBAB = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")

Path = tuple[str | int, ...]
Positions = Callable[[Path], tuple[str, int, int] | None]

# String fields a condition may compare: the ticket's text fields plus these.
STRING_FIELDS = ("id", "kind", "status", *TEXT_FIELDS, "customer.id", "customer.tier")
NOTIFY_SPECIAL = ("assignee", "assignment-group", "customer", "requester")
#: The channel kinds a notify names without (or besides) declared channels.
NOTIFY_CHANNEL_KINDS = ("email", "sms", "chat", "voice", "push", "status-page")


def validate_spec(data: object, locate: Positions) -> PolicySpec:
    """Validate raw YAML data against the schema; the first problem becomes a PolicyError.

    Before the schema, every key and value is checked (:func:`~escalate._models.check_data`):
    no control, bidi or lone-surrogate character in any string, no integer beyond signed 64
    bits, no NaN or infinity, so no such value reaches a decision, a trace or a terminal.
    """
    if not isinstance(data, Mapping):
        raise PolicyError(
            f"a policy is a mapping with 'policy', 'version', ...; got {type(data).__name__}",
            source=locate(()),
        )
    check_data(data, (), locate)
    try:
        return PolicySpec.model_validate(data, strict=True)
    except ValidationError as exc:
        error = policy_error(
            exc, data, known_keys=_KNOWN_KEYS, locate=locate, string_lists=_STRING_LISTS
        )
        raise remapped(error, _top_level_only) from None


_KNOWN_KEYS = frozenset(model_keys(PolicySpec))
_STRING_LISTS = string_list_keys(PolicySpec)
#: The keys of a whole policy that a segment cannot carry (``empty_values``, ``pin`` ...).
_TOP_LEVEL_ONLY = frozenset(PolicySpec.model_fields) - frozenset(SegmentSpec.model_fields)


def _top_level_only(error: PolicyError) -> PolicyError:
    """``error``, reworded when the unknown key it names is a top-level key written in a
    segment: that key is not misspelt, it is in the wrong place; and, for a misspelt key at
    the top level, suggesting a top-level key (``clockz`` is ``clocks``, not a vendor
    clause's ``clock``)."""
    path, unknown = error.path, f"unknown key {error.path[-1]!r}" if error.path else ""
    if len(path) == 1 and error.message.startswith(unknown) and error.suggestion is not None:
        better = suggest(str(path[0]), frozenset(PolicySpec.model_fields) - {path[0]})
        if better is not None and better != error.suggestion:
            message = error.message.replace(f"(did you mean {error.suggestion!r}?)", "")
            return PolicyError(message.rstrip(), path=path, source=error.source, suggestion=better)
    if (
        len(path) >= 3
        and path[-3] == "segments"
        and isinstance(path[-2], int)
        and path[-1] in _TOP_LEVEL_ONLY
        and error.message.startswith(unknown)
    ):
        more = error.message[len(unknown) :]  # " (and 2 more problems)"
        return PolicyError(
            f"{path[-1]!r} is a top-level key of the policy: a segment cannot set it{more}",
            path=path,
            source=error.source,
        )
    return error


def _canonical(value: object) -> object:
    """Plain JSON data: YAML dates (also as keys) become ISO text."""
    if isinstance(value, Mapping):
        return {str(_canonical(k)): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _canonical_json(data: object) -> str:
    return json.dumps(_canonical(data), sort_keys=True, separators=(",", ":"))


def content_hash(data: object) -> str:
    """sha256 of the policy's canonical JSON: key order does not matter, list order does."""
    return hashlib.sha256(_canonical_json(data).encode()).hexdigest()


def compile_policy(
    data: object,
    *,
    locate: Positions = lambda path: None,
    source: str = "<string>",
    origin: Origin | None = None,
) -> Policy:
    """Validate and compile policy data (as parsed from YAML) into a :class:`Policy`.

    ``locate`` gives the position of a key path; ``origin``, given by the loader for data
    merged from several documents (``extends``), also the key path in the document that wrote
    it, which errors then name. A policy that still ``extends`` another is an error: only
    :func:`escalate.load` can read the base file.
    """
    try:
        spec = validate_spec(data, locate)
    except PolicyError as exc:
        if origin is None:
            raise
        raise _named_by(exc, origin) from None
    assert isinstance(data, Mapping)
    if spec.extends is not None:
        raise PolicyError(
            f"extends names a base file ({shown(spec.extends)}); only escalate.load(path) reads "
            "it (relative to the extending file), loads() has no file to read it from",
            path=("extends",),
            source=locate(("extends",)),
        )
    for key in ("add", "remove"):
        if getattr(spec, key) is not None:
            raise PolicyError(
                f"'{key}:' changes a base policy: write it in a segment, or in a policy that "
                "'extends' another",
                path=(key,),
                source=locate((key,)),
            )
    return _compile(spec, data, origin or plain_origin(locate), source)


def _compile(
    spec: PolicySpec,
    data: Mapping[str, Any],
    origin: Origin,
    source: str,
    *,
    segment: tuple[str, str] | None = None,
    shared: _Shared | None = None,
) -> Policy:
    """Compile validated data; errors name the key path and position ``origin`` gives.

    ``segment`` is (the segment's id, the content hash of the policy declaring it) when this
    is a segment's policy.
    """

    def locate(path: Path) -> tuple[str, int, int] | None:
        return origin(path)[0]

    try:
        compiler = _Compiler(spec, data, locate, source, origin, segment, shared or _Shared())
        return compiler.compile()
    except _Named as named:  # a segment's error, already named in its own document's terms
        raise named.error from None
    except PolicyError as exc:
        raise _named_by(exc, origin) from None


T = TypeVar("T")
R = TypeVar("R")


class _Problems:
    """The independent problems found while compiling one stage of a policy."""

    def __init__(self) -> None:
        self.errors: list[PolicyError] = []

    def add(self, error: PolicyError) -> None:
        self.errors.append(error)

    def each(self, items: Iterable[T], compile_one: Callable[[T], R]) -> list[R]:
        """``compile_one`` of each item that compiles; the problems of the others are kept
        (an item that fails only because of a problem already kept is left out silently)."""
        out: list[R] = []
        for item in items:
            try:
                out.append(compile_one(item))
            except PolicyError as exc:
                self.errors.append(exc)
            except _Repeats:
                pass
        return out

    def check(self) -> None:
        """Raise the problems found so far, all together, if there are any."""
        if self.errors:
            raise joined(self.errors)


class _Repeats(Exception):
    """An item cannot compile because of a problem reported elsewhere in the same run (an
    action naming a path that has a problem); never leaves this module."""


class _Named(Exception):
    """Carries a segment's :class:`PolicyError` past the base's renaming of key paths; never
    leaves this module."""

    def __init__(self, error: PolicyError) -> None:
        super().__init__(str(error))
        self.error = error


def _named_by(error: PolicyError, origin: Origin) -> PolicyError:
    """``error`` about merged data, with the key path and position in the document that
    wrote the key (a base file, an extending file, a segment); each of several errors so."""
    return remapped(error, lambda e: _named_by_one(e, origin))


def _named_by_one(error: PolicyError, origin: Origin) -> PolicyError:
    where, path = origin(error.path)
    return PolicyError(
        error.message, path=path, source=error.source or where, suggestion=error.suggestion
    )


@dataclass
class _Shared:
    """What a policy and its segments' policies share while compiling: calendars by their
    configuration's hash, compiled message templates, and the budgets of windows, holiday
    years and segment sizes."""

    calendars: dict[str, Calendar] = dataclasses.field(default_factory=dict)
    templates: dict[str, Any] = dataclasses.field(default_factory=dict)
    windows: int = 0
    holiday_years: int = 0
    segment_chars: int = 0


class _Compiler:
    def __init__(
        self,
        spec: PolicySpec,
        raw: Mapping[str, Any],
        locate: Positions,
        source: str,
        origin: Origin,
        segment: tuple[str, str] | None,
        shared: _Shared,
    ) -> None:
        self.shared = shared
        self.spec = spec
        self.raw = raw
        self.locate = locate
        self.source = source
        self.origin = origin
        self.segment = segment
        self.calendars: dict[str, Calendar] = {}
        self.aliases: dict[str, dict[str, str]] = {}
        self.priorities: tuple[str, ...] | None = None
        self.fields: dict[str, FieldSpec] = {}
        self.path_defs: dict[str, PathDef] = {}
        self.broken_paths: frozenset[str] = frozenset()  # declared, with a problem
        self.statuses = BUILT_IN
        self.notifications: Notifications | None = None
        self.recurrence: RecurrenceDef | None = None  # recurrence:, compiled
        # postmortem.* facts: rules may read them in a policy with a postmortem: section
        self.postmortem_fields: dict[str, FieldSpec] = {}
        if spec.postmortem is not None:
            self.postmortem_fields = {
                PM_STATUS: FieldSpec(STR, PM_STATUSES),
                PM_OVERDUE_ITEMS: FieldSpec(INT),
            }
        #: each segment's policy data (the base with its changes), for lint ignores' paths
        self.segment_data: dict[str, Mapping[str, Any]] = {}

    def compile(self) -> Policy:
        """The policy; independent problems are reported together (a
        :class:`~escalate.errors.PolicyErrors`): every misnamed entry, every bad calendar,
        clock, path, ladder, rule and segment, stage by stage (a stage whose input has a
        problem is not compiled: its errors would only repeat it)."""
        spec = self.spec
        problems = _Problems()
        names: list[tuple[str, Path]] = [
            (name, (section, name))
            for section in ("calendars", "clocks", "paths", "schedules")
            for name in getattr(spec, section)
        ]
        names += [(rule.id, ("rules", i, "id")) for i, rule in enumerate(spec.rules)]
        problems.each(names, lambda item: self._name(*item))
        problems.each([self._terminology, self._statuses, self._recurrence], lambda stage: stage())
        # calendars and the directory do not read names, terminology or statuses
        self.calendars["24x7"] = Calendar.from_config("24x7")
        problems.each(sorted(spec.calendars), self._declared_calendar)
        try:
            self.directory = Directory.from_config(spec.directory, spec.schedules)
        except PolicyError as exc:
            problems.add(remapped(exc, lambda e: e.located(self.locate(e.path))))
        problems.check()
        self.notifications = compile_notifications(
            spec, self.directory, lambda value, path: self._known("priority", value, path)
        )
        self._base_fields()
        self._comms()  # before ladders and rules: their notify actions name templates
        clocks = sorted(
            problems.each(spec.clocks.items(), lambda item: self._clock(*item)),
            key=lambda c: (c.precedence, c.name),
        )
        names_and_paths = problems.each(
            sorted(spec.paths), lambda name: (name, self._path(name, spec.paths[name]))
        )
        # Ladders and rules do not depend on the clocks and paths compiling (their fields come
        # from the declared names), so their problems are reported in the same run; an action
        # naming a path that has a problem is left alone: its error would only repeat that one.
        self.path_defs.update(names_and_paths)
        self.broken_paths = frozenset(spec.paths) - frozenset(self.path_defs)
        for name in sorted(spec.paths):
            level_names = tuple(level.name for level in spec.paths[name].levels)
            self.fields[f"path.{name}.level"] = FieldSpec(LEVEL, level_names)
            self.fields[f"path.{name}.active"] = FieldSpec(BOOL)
        # Path criteria and ladders are compiled after the fields they may read exist.
        clocks = problems.each(
            clocks,
            lambda c: self._clock_scope(
                self._clock_ladder(c, spec.clocks[c.name]), spec.clocks[c.name]
            ),
        )
        paths = problems.each(
            sorted(self.path_defs), lambda n: self._path_criteria(self.path_defs[n], spec.paths[n])
        )
        rules = self._rules(problems)
        status_pages = problems.each([self._status_pages], lambda stage: stage())
        governance = problems.each([self._governance], lambda stage: stage())
        postmortem = problems.each([self._postmortem], lambda stage: stage())
        problems.check()
        segments = self._segments()
        return Policy(
            id=spec.policy,
            version=str(spec.version),
            description=spec.description,
            pin=spec.pin,
            priority_matrix=spec.priority_matrix,
            custom_fields=self._custom_fields(),
            calendars=self.calendars,
            clocks=tuple(clocks),
            paths=tuple(paths),
            rules=rules,
            aliases=self.aliases,
            statuses=self.statuses,
            empty_values=tuple(spec.empty_values),
            directory=self.directory,
            content_hash=content_hash(self.raw) if self.segment is None else self.segment[1],
            source=self.source,
            segments=segments,
            segment=None if self.segment is None else self.segment[0],
            positions=_positions(self.raw, self.origin),
            lint_ignores=self._lint_ignores(),
            notifications=self.notifications,
            audiences=self.audiences,
            renderer=self.comms,
            status_pages=status_pages[0],
            vendors=compile_vendors(
                spec.vendors,
                calendars=self.calendars,
                paths=self.path_defs,
                priorities=self.priorities,
                status_names=self._status_names,
                custom_fields=self._custom_fields(named=True),
                classification=spec.classification,
                redaction=spec.redaction,
                audiences=spec.audiences,
            ),
            governance=governance[0],
            milestone_names=_milestone_names(
                clocks, paths, rules, governance[0], tuple(spec.vendors)
            ),
            recurrence=self.recurrence,
            postmortem=postmortem[0],
        )

    def _recurrence(self) -> None:
        """``recurrence:`` compiled (docs/policy-reference.md#recurrence)."""
        self.recurrence = compile_recurrence(
            self.spec.recurrence,
            custom_fields=self.spec.custom_fields,
            flags=tuple(set_flags(self.spec.rules, self.spec.clocks)),
        )

    def _custom_fields(self, *, named: bool = False) -> dict[str, str]:
        """``custom_fields:`` and the integer fields ``recurrence:`` fills, which conditions
        read like any custom field. ``named``: for the checks that a name is one of the
        declared custom fields, which apply only once the policy declares some itself."""
        fields: dict[str, str] = dict(self.spec.custom_fields)
        if self.recurrence is not None and (fields or not named):
            fields.update(self.recurrence.custom_fields)
        return fields

    def _governance(self) -> GovernanceDef | None:
        """``governance:`` compiled (docs/governance.md); ``None`` when not declared."""
        return compile_governance(
            self.spec.governance,
            fields=self.fields,
            clocks=self.spec.clocks,
            check_impact=lambda value, path: self._known("impact", value, path),
        )

    def _postmortem(self) -> PostmortemDef | None:
        """``postmortem:`` compiled (docs/postmortems.md); ``None`` when not declared. Its
        thresholds are rungs, whose notify may name the owners."""
        spec = self.spec.postmortem
        if spec is None:
            return None
        check_thresholds(spec)
        ladders: dict[str, tuple[Rung, ...]] = {}
        for key, special in (
            ("escalation", (*NOTIFY_SPECIAL, *ITEM_TARGETS)),
            ("document_escalation", (*NOTIFY_SPECIAL, *DOCUMENT_TARGETS)),
        ):
            written: list[RungSpec] = getattr(spec, key)
            where: Path = ("postmortem", key)
            rungs = tuple(
                self._rung(i, rung, (*where, i), special) for i, rung in enumerate(written)
            )
            _check_rung_order(rungs, written, where)
            ladders[key] = rungs
        return compile_postmortem(
            spec,
            escalation=ladders["escalation"],
            document=ladders["document_escalation"],
            calendar=self._calendar,
        )

    def _lint_ignores(self) -> tuple[LintIgnore, ...]:
        """The ``lint: ignore:`` entries, each ``where`` read as a key path the policy (or
        one of its segments) has: a misspelt one would suppress nothing, silently."""
        out = []
        keys: set[Path] | None = None
        for i, spec in enumerate(self.spec.lint.ignore):
            if spec.code == "unused-ignore":
                raise PolicyError(
                    "'unused-ignore' cannot be ignored: it reports the entries that suppressed "
                    "nothing once the others have been applied; remove the unused entry instead",
                    path=("lint", "ignore", i, "code"),
                )
            if spec.code not in CODES:
                raise PolicyError(
                    f"unknown lint code {shown(spec.code)} (docs/lint.md lists them)",
                    path=("lint", "ignore", i, "code"),
                    suggestion=suggest(spec.code, CODES),
                )
            path = None
            if spec.where is not None:
                at: Path = ("lint", "ignore", i, "where")
                try:
                    path = parse_where(spec.where)
                except PolicyError as exc:
                    raise PolicyError(exc.message, path=at) from None
                # a segment's policy inherits the base's entries, checked when the base compiles
                if self.segment is None:
                    keys = self._lint_keys() if keys is None else keys
                    # a clock's start is reported where it defaults (written or not)
                    if path not in keys and not (path[-1] == "start" and path[:-1] in keys):
                        raise PolicyError(
                            f"where {shown(spec.where)} names no key of the policy or its "
                            "segments (quote a key with a dot in it, as findings print it: "
                            "directory.people.'anna.schmidt')",
                            path=at,
                            suggestion=_closest_key(spec.where, keys),
                        )
            out.append(LintIgnore(spec.code, spec.where, spec.reason, i, path))
        return tuple(out)

    def _lint_keys(self) -> set[Path]:
        """Every key path a lint finding on this policy can name: the policy's own (rules and
        segments also by id), and its segments' prefixed with ``("segments", <id>)``."""
        keys = set(_key_paths(self.raw))
        for sid, data in self.segment_data.items():
            keys.update(("segments", sid, *path) for path in _key_paths(data))
        return keys

    def _declared_calendar(self, name: str) -> None:
        if name == "24x7":
            raise PolicyError("'24x7' is built in; pick another name", path=("calendars", name))
        self.calendars[name] = self._compiled_calendar(name, self.spec.calendars[name])

    def _compiled_calendar(self, name: str, config: Any) -> Calendar:
        """The calendar ``name`` compiled, or the one compiled before under this name with the
        same configuration for the base or another segment (the limits count it once)."""
        shared = self.shared
        key = f"{name}\x1f{content_hash(self.raw['calendars'][name])}"
        found = shared.calendars.get(key)
        if found is not None:
            return found
        holidays = config.holidays if isinstance(config, CalendarModel) else None
        if holidays is not None and holidays.country is not None and holidays.years:
            shared.holiday_years += holidays.years[-1] - holidays.years[0] + 1
            if shared.holiday_years > MAX_HOLIDAY_YEARS:
                raise PolicyError(
                    f"the calendars ask for more than {MAX_HOLIDAY_YEARS:,} years of "
                    "country holidays together: cover fewer years",
                    path=("calendars", name, "holidays", "years"),
                )
        calendar = Calendar.from_config(config, path=("calendars", name), name=name)
        shared.windows += calendar.window_count
        if shared.windows > MAX_POLICY_WINDOWS:
            raise PolicyError(
                f"the calendars hold more than {MAX_POLICY_WINDOWS:,} working windows "
                "together: cover fewer years, merge intervals or share calendars",
                path=("calendars", name),
            )
        if calendar.never_open:  # every clock on it would fail later with a range error
            first, last = calendar.years
            raise PolicyError(
                f"calendar {shown(name)} is never open in {first}-{last}: give it 'hours' (or "
                "'extra_hours' dates) that closures and holidays leave open",
                path=("calendars", name),
            )
        shared.calendars[key] = calendar
        return calendar

    @staticmethod
    def _name(name: str, path: Path) -> None:
        if name != "24x7" and not _KEBAB.fullmatch(name):
            raise PolicyError(
                f"name {shown(name)} must be lower-case words joined by '-' (it appears in field "
                "names like clock.<name>.percent, in traces and in action ids)",
                path=path,
            )

    # -- terminology and fields ---------------------------------------------------------------

    def _terminology(self) -> None:
        for field, table in sorted(self.spec.terminology.items()):
            where: Path = ("terminology", field)
            if field not in TERMINOLOGY_FIELDS:
                raise PolicyError(
                    f"terminology for unknown field {shown(field)}",
                    path=where,
                    suggestion=suggest(field, TERMINOLOGY_FIELDS),
                )
            aliases: dict[str, str] = {}
            for canonical in sorted(table):
                for alias in [canonical, *table[canonical]]:
                    key = alias.strip().casefold()
                    if aliases.get(key, canonical) != canonical:
                        raise PolicyError(
                            f"alias {shown(alias)} maps to both {shown(aliases[key])} and "
                            f"{shown(canonical)}",
                            path=(*where, canonical),
                        )
                    aliases[key] = canonical
            self.aliases[field] = aliases
        if "priority" in self.aliases:
            self.priorities = tuple(sorted(set(self.aliases["priority"].values())))
        for impact, row in sorted(self.spec.priority_matrix.items()):
            for urgency, priority in sorted(row.items()):
                where = ("priority_matrix", impact, urgency)
                self._known("impact", impact, ("priority_matrix", impact))
                self._known("urgency", urgency, where)
                self._known("priority", priority, where)

    def _statuses(self) -> None:
        """The policy's status table: canonical names (kebab-case ids), a category each, and
        aliases that no two statuses share (compared as tickets are: ignoring case and
        separators)."""
        declared = self.spec.statuses
        if declared is None:
            return
        owner: dict[str, str] = {}
        for name, status in declared.items():
            for i, spelling in enumerate([name, *status.aliases]):
                key = normalise_name(spelling)
                where: Path = ("statuses", name) if i == 0 else ("statuses", name, "aliases", i - 1)
                if owner.get(key, name) != name:
                    raise PolicyError(
                        f"status name {shown(spelling)} also names status {shown(owner[key])}",
                        path=where,
                    )
                owner[key] = name
        if not any(status.category == "new" for status in declared.values()):
            raise PolicyError(
                "declare a status with category 'new': a ticket without status events is in it",
                path=("statuses",),
            )
        self.statuses = StatusTable(
            (name, status.category, status.aliases) for name, status in declared.items()
        )

    def _status_names(
        self,
        statuses: list[str] | str | None,
        categories: Sequence[str] | str | None,
        path: Path,
    ) -> frozenset[str] | None:
        """The canonical statuses named (aliases accepted) plus those of the categories."""
        if statuses is None and categories is None:
            return None
        table, out = self.statuses, set()
        items = [statuses] if isinstance(statuses, str) else statuses or []
        for i, item in enumerate(items):
            found = table.declared(item)
            if found is None:
                raise PolicyError(
                    f"unknown status {shown(item)} (known: {', '.join(table.names)})",
                    path=(*path, "status") if isinstance(statuses, str) else (*path, "status", i),
                    suggestion=suggest(normalise_name(item), table.names),
                )
            out.add(found)
        kinds = [categories] if isinstance(categories, str) else categories or []
        out |= table.in_categories(kinds)
        return frozenset(out)

    def _known(self, field: str, value: str, path: Path) -> None:
        table = self.aliases.get(field)
        if table is not None and value not in table.values():
            known = sorted(set(table.values()))
            raise PolicyError(
                f"{shown(value)} is not a canonical {field} (known: {', '.join(known)})",
                path=path,
                suggestion=suggest(value, known),
            )

    def _base_fields(self) -> None:
        fields = self.fields
        for name in STRING_FIELDS:
            values: tuple[str, ...] | None = None
            if name in self.aliases:
                values = tuple(sorted(set(self.aliases[name].values())))
            fields[name] = FieldSpec(STR, values)
        fields["kind"] = FieldSpec(STR, KINDS)
        fields["status"] = FieldSpec(STR, self.statuses.names)
        fields["status_category"] = FieldSpec(STR, CATEGORIES)
        fields["customer.vip"] = FieldSpec(BOOL)
        fields["acknowledged"] = FieldSpec(BOOL)
        fields["reassignment_count"] = FieldSpec(INT)
        fields["reopen_count"] = FieldSpec(INT)
        fields["regulatory_flags"] = FieldSpec(SET)
        fields["milestones"] = FieldSpec(SET)
        kinds = {"string": STR, "integer": INT, "boolean": BOOL}
        for name, kind in sorted(self._custom_fields().items()):
            fields["fields." + name] = FieldSpec(kinds[kind])
        for name in sorted(self.spec.clocks):
            fields[f"clock.{name}.percent"] = FieldSpec(PERCENT)
            fields[f"clock.{name}.elapsed"] = FieldSpec(DURATION)
            fields[f"clock.{name}.remaining"] = FieldSpec(DURATION)
            fields[f"clock.{name}.breached"] = FieldSpec(BOOL)
            fields[f"clock.{name}.state"] = FieldSpec(STR, CLOCK_STATES)

    # -- clocks ---------------------------------------------------------------------------------

    def _triggers(self, spec: TriggerSpec | list[TriggerSpec], path: Path) -> tuple[Trigger, ...]:
        items = spec if isinstance(spec, list) else [spec]
        out = []
        for i, item in enumerate(items):
            where = (*path, i) if isinstance(spec, list) else path
            events = _event_names(item.event, (*where, "event"))
            statuses = self._status_names(item.status, item.category, where)
            out.append(Trigger(events, statuses))
        return tuple(out)

    def _clock(self, name: str, spec: ClockSpec) -> ClockDef:
        path: Path = ("clocks", name)
        targets = self._targets(spec.targets, (*path, "targets"))
        pause = None
        if spec.pause is not None:
            pause = self._status_names(spec.pause.status, spec.pause.category, (*path, "pause"))
            _no_by_with_pause(spec, path)
        new_cycle = _event_names(spec.new_cycle_on, (*path, "new_cycle_on"))
        return ClockDef(
            name=name,
            type=spec.type,
            precedence=spec.precedence,
            start=self._triggers(spec.start, (*path, "start")),
            stop=self._triggers(spec.stop, (*path, "stop")),
            pause=pause or frozenset(),
            new_cycle_on=new_cycle or frozenset(),
            restart_on_priority_change=spec.on_priority_change == "restart",
            targets=targets,
            ladder=(),
            effective=None if spec.effective is None else _effective(spec.effective, path),
            effective_judged_at=None
            if spec.effective is None
            else _judged_at(spec.effective, path),
        )

    def _targets(self, spec: Mapping[str, TargetSpec], path: Path) -> dict[str, Target]:
        targets: dict[str, Target] = {}
        for priority in sorted(spec):
            target = spec[priority]
            where = (*path, priority)
            known = self.priorities
            if priority != "default" and known is not None and priority not in known:
                raise PolicyError(
                    f"{shown(priority)} is not a canonical priority "
                    f"(known: {', '.join(known)}, or 'default')",
                    path=where,
                    suggestion=suggest(priority, known),
                )
            duration = parse_duration(target.within, (*where, "within"), allow_months=True)
            by = None if target.by is None else _due_by(target.by, duration, where)
            calendar = self._calendar(target.calendar, (*where, "calendar"))
            if target.on_time_at_due and by is None and not calendar.round_the_clock:
                raise PolicyError(
                    "on_time_at_due needs 'by' or a calendar open round the clock (24x7, "
                    f"no holidays or closures); on {shown(target.calendar)} the first instant "
                    "after the deadline counts only from the next opening, so a stop after "
                    "the deadline would read as on time",
                    path=(*where, "on_time_at_due"),
                )
            targets[priority] = Target(
                duration, target.calendar, calendar, by, target.on_time_at_due
            )
        return targets

    def _clock_scope(self, clock: ClockDef, spec: ClockSpec) -> ClockDef:
        """The clock's ``when`` and scoped definitions; nothing for a clock without them (its
        evaluation then skips scoping entirely)."""
        if spec.when is None and not spec.definitions:
            if spec.on_scope_change != "retroactive":
                raise PolicyError(
                    "on_scope_change needs a scoped clock ('when' or 'definitions')",
                    path=("clocks", clock.name, "on_scope_change"),
                )
            return clock
        path: Path = ("clocks", clock.name)
        when = None if spec.when is None else self._scope_condition(spec.when, (*path, "when"))
        scoped: list[Definition] = []
        seen: dict[str, int] = {}
        for order, item in enumerate(spec.definitions):
            where: Path = (*path, "definitions", order)
            if item.id in seen:
                raise PolicyError(
                    f"definition id {shown(item.id)} is also used by definitions[{seen[item.id]}]",
                    path=(*where, "id"),
                )
            seen[item.id] = order
            scoped.append(
                Definition(
                    id=item.id,
                    when=self._scope_condition(item.when, (*where, "when")),
                    precedence=item.precedence,
                    order=order,
                    targets=self._targets(item.targets, (*where, "targets")),
                )
            )
        # Declared precedence (lower first), then file order: never dict or YAML key order.
        scoped.sort(key=lambda d: (d.precedence, d.order))
        if clock.targets:
            scoped.append(Definition(None, None, 0, len(scoped), clock.targets))
        # The fields that decide which definition applies: the conditions', and the priority
        # when a scoped definition has targets for some priorities only.
        fields: set[str] = set()
        if any("default" not in d.targets for d in scoped if d.when is not None):
            fields.add("priority")
        for condition in [when, *(d.when for d in scoped)]:
            if condition is not None:
                fields.update(referenced_fields(condition))
        return replace(
            clock,
            when=when,
            definitions=tuple(scoped),
            restart_on_scope_change=spec.on_scope_change == "restart",
            scope_fields=tuple(sorted(fields)),
        )

    def _scope_condition(self, spec: Mapping[str, Any], path: Path) -> Condition:
        """A clock's scope: a condition on ticket fields only. Clock and path facts are
        computed from which clocks apply, so a scope reading them would depend on itself."""
        condition = compile_condition(spec, self.fields, path)
        for leaf in leaves(condition):
            if leaf.field.startswith(("clock.", "path.")):
                raise PolicyError(
                    f"a clock's scope reads ticket fields only, not {shown(leaf.field)}: "
                    "clock and path facts depend on which clocks apply",
                    path=leaf.path,
                )
        return condition

    def _clock_ladder(self, clock: ClockDef, spec: ClockSpec) -> ClockDef:
        rungs = tuple(
            self._rung(i, rung, ("clocks", clock.name, "ladder", i))
            for i, rung in enumerate(spec.ladder)
        )
        _check_rung_order(rungs, spec.ladder, ("clocks", clock.name, "ladder"))
        return replace(clock, ladder=rungs)

    def _rung(
        self, i: int, spec: RungSpec, where: Path, special: Sequence[str] = NOTIFY_SPECIAL
    ) -> Rung:
        """One rung, measured by exactly one of ``at``, ``after``, ``before_breach``;
        ``special`` the notify targets it may name besides directory targets."""
        actions = self._actions(spec, where, special=special)
        if spec.at is not None:
            share = parse_percent(spec.at, (*where, "at"))
            return Rung(i, share, spec.at, actions, spec.rationale)
        if spec.after is not None:
            after = parse_duration(spec.after, (*where, "after"), allow_months=True)
            return Rung(i, None, after.text, actions, spec.rationale, after=after)
        assert spec.before_breach is not None  # RungSpec checked that one measure is given
        lead = parse_duration(
            spec.before_breach, (*where, "before_breach"), allow_business_days=False
        ).delta
        text = f"breach-{spec.before_breach.replace(' ', '')}"
        return Rung(i, None, text, actions, spec.rationale, before_breach=lead)

    def _calendar(self, name: str, path: Path) -> Calendar:
        found = self.calendars.get(name)
        if found is None:
            raise PolicyError(
                f"unknown calendar {shown(name)}",
                path=path,
                suggestion=suggest(name, self.calendars),
            )
        return found

    # -- paths ----------------------------------------------------------------------------------

    def _path(self, name: str, spec: PathSpec) -> PathDef:
        path: Path = ("paths", name)
        seen: set[str] = set()
        levels = []
        for i, level in enumerate(spec.levels):
            where = (*path, "levels", i)
            if level.name in seen:
                raise PolicyError(f"level {shown(level.name)} appears twice", path=(*where, "name"))
            seen.add(level.name)
            levels.append(self._level(i, level, where))
        starts = spec.starts or ("on-open" if spec.kind == "vertical" else "on-trigger")
        if spec.reenter and spec.kind == "vertical":
            raise PolicyError(
                "reenter applies to horizontal paths: a vertical path only moves up",
                path=(*path, "reenter"),
            )
        return PathDef(
            name=name,
            kind=spec.kind,
            starts_on_open=starts == "on-open",
            when=None,
            repeat=spec.repeat,
            levels=tuple(levels),
            page_first_level=spec.page_first_level,
            reenter=spec.reenter,
        )

    def _path_criteria(self, path: PathDef, spec: PathSpec) -> PathDef:
        if spec.when is None:
            return path
        when = compile_condition(
            spec.when, self._fields_without_paths(), ("paths", path.name, "when")
        )
        return replace(path, when=when, when_fields=referenced_fields(when))

    def _fields_without_paths(self) -> dict[str, FieldSpec]:
        return {k: v for k, v in self.fields.items() if not k.startswith("path.")}

    def _level(self, index: int, spec: LevelSpec, path: Path) -> LevelDef:
        for i, target in enumerate(spec.targets):
            self.directory.check_target(target, (*path, "targets", i))
        for i, target in enumerate(spec.fallback):
            self.directory.check_target(target, (*path, "fallback", i))
        if spec.on_empty == "fallback" and not spec.fallback:
            raise PolicyError(
                "on_empty: fallback needs a 'fallback' list", path=(*path, "fallback")
            )
        calendar = self._calendar(spec.calendar, (*path, "calendar")) if spec.calendar else None
        after = (
            parse_duration(spec.after, (*path, "after"), allow_months=True) if spec.after else None
        )
        at = parse_duration(spec.at, (*path, "at"), allow_months=True) if spec.at else None
        for timer in (after, at):
            if timer is not None and calendar is None and timer.is_business_days:
                raise PolicyError(
                    "business days need the level's 'calendar'", path=(*path, "calendar")
                )
            if timer is not None and calendar is None and timer.is_months:
                raise PolicyError(
                    f"calendar months ({shown(timer.text)}) need the level's 'calendar': "
                    "its time zone says which dates a month runs between",
                    path=(*path, "calendar"),
                )
        timeout = None
        if spec.ack_timeout:
            timeout = parse_duration(
                spec.ack_timeout, (*path, "ack_timeout"), allow_business_days=False
            ).delta
        ack_within = None  # counted on the wall clock when the page goes out
        if spec.ack_within is not None:
            ack_within = parse_duration(
                spec.ack_within, (*path, "ack_within"), allow_business_days=False
            ).delta
        if spec.resolve_within is not None:  # an expectation passed through to the caller
            parse_duration(spec.resolve_within, (*path, "resolve_within"), allow_months=True)
        if spec.notification_plan is not None:
            self._plan_name(spec.notification_plan, (*path, "notification_plan"))
        return LevelDef(
            name=spec.name,
            index=index,
            targets=tuple(spec.targets),
            after=after,
            at=at,
            calendar_name=spec.calendar,
            calendar=calendar,
            ack_timeout=timeout,
            until_resolved=spec.until == "resolved",
            on_empty=spec.on_empty,
            fallback=tuple(spec.fallback),
            owner=spec.owner,
            ack_within=spec.ack_within,
            ack_within_delta=ack_within,
            resolve_within=spec.resolve_within,
            authority=tuple(spec.authority),
            notification_plan=spec.notification_plan,
        )

    def _plan_name(self, name: str, path: Path) -> None:
        plans = {} if self.notifications is None else self.notifications.plans
        if name not in plans:
            raise plan_name_error(name, plans, path)

    # -- actions and rules ----------------------------------------------------------------------

    def _actions(
        self,
        spec: ActionSpec | list[ActionSpec],
        path: Path,
        risk: Sequence[str] = (),
        special: Sequence[str] = NOTIFY_SPECIAL,
    ) -> tuple[ActionDef, ...]:
        """The actions of a rule (``risk``: its risk classes) or rung, each carrying its own
        and the rule's risk classes."""
        items = spec if isinstance(spec, list) else [spec]
        out: list[ActionDef] = []
        for i, item in enumerate(items):
            where = (*path, i) if isinstance(spec, list) else path
            risks = tuple(sorted({*item.risk, *risk}))
            for kind in ACTION_KINDS:
                body = getattr(item, kind)
                if body is not None:
                    act = self._action(kind, body, len(out), (*where, kind), special)
                    out.append(replace(act, risks=risks) if risks else act)
        return tuple(out)

    def _action(
        self,
        kind: str,
        body: Any,
        index: int,
        path: Path,
        special: Sequence[str] = NOTIFY_SPECIAL,
    ) -> ActionDef:
        if kind in ("escalate", "transfer"):
            if body.path in self.broken_paths:
                raise _Repeats
            target_path = self.path_defs.get(body.path)
            if target_path is None:
                raise PolicyError(
                    f"unknown path {shown(body.path)}",
                    path=(*path, "path"),
                    suggestion=suggest(body.path, self.path_defs),
                )
            if kind == "transfer" and target_path.kind != "horizontal":
                raise PolicyError(
                    f"transfer goes to a horizontal path; {shown(body.path)} is vertical "
                    "(use escalate)",
                    path=(*path, "path"),
                )
            level_name = body.to if body.to is not None else target_path.levels[0].name
            names = [level.name for level in target_path.levels]
            if level_name not in names:
                raise PolicyError(
                    f"path {shown(body.path)} has no level {shown(level_name)} "
                    f"(levels: {', '.join(names)})",
                    path=(*path, "to"),
                    suggestion=suggest(level_name, names),
                )
            return ActionDef(
                kind=kind,
                index=index,
                targets=(),
                details={"path": body.path, "level": level_name},
                path=body.path,
                level=names.index(level_name),
            )
        details = body.model_dump(mode="json")
        targets: tuple[str, ...] = ()
        within = None
        if kind == "notify":
            for i, target in enumerate(body.to):
                if target in special:
                    continue
                if target in OWNER_TARGETS:
                    takes = (
                        "postmortem.escalation takes"
                        if target.startswith("item-")
                        else "postmortem.escalation and document_escalation take"
                    )
                    raise PolicyError(
                        f"{shown(target)} stands for an owner in post-mortem follow-up: only "
                        f"{takes} it (docs/postmortems.md)",
                        path=(*path, "to", i),
                    )
                self.directory.check_target(target, (*path, "to", i))
            self._check_template(body.template, body.audience, path)
            details.update(self._notify_channel(body.channel, (*path, "channel")))
            targets = tuple(body.to)
            details.pop("to")
            if body.plan is None:
                details.pop("plan")  # a notify without a plan reads as it always did
            elif body.plan is True:
                if self.notifications is None:
                    raise PolicyError(
                        "plan: true delivers through the people's notification plans; the "
                        "policy declares no notification_plans",
                        path=(*path, "plan"),
                    )
            else:
                self._plan_name(body.plan, (*path, "plan"))
        elif kind == "open_bridge":
            for i, target in enumerate(body.participants):
                where = (*path, "participants", i)
                if target.startswith("path:"):
                    self._bridge_path(target[5:], where)
                else:
                    self.directory.check_target(target, where)
            targets = tuple(body.participants)
            details.pop("participants")
            if body.room is None:
                details.pop("room")  # a bridge as before: the same details
        elif kind == "status_page":
            return self._status_page(body, index, path)
        elif kind == "require_postmortem":
            within = parse_duration(body.within, (*path, "within"), allow_business_days=False).delta
            if body.owner is None:
                details.pop("owner")  # a post-mortem as before: the same details
            elif body.owner not in ("assignee", "assignment-group"):
                self.directory.check_target(body.owner, (*path, "owner"))
        return ActionDef(kind=kind, index=index, targets=targets, details=details, within=within)

    def _check_template(self, name: str | None, audience: str, path: Path) -> None:
        """A notify action's template: once the policy declares ``templates:``, one of them,
        written for the action's audience (without templates, any name: the host renders)."""
        templates = self.comms.templates
        if name is None or not templates:
            return
        found = templates.get(name)
        if found is None:
            raise PolicyError(
                f"unknown template {shown(name)} (the policy declares templates:, so every "
                "notify action's template must be one of them)",
                path=(*path, "template"),
                suggestion=suggest(name, templates),
            )
        if found.audience != audience:
            raise PolicyError(
                f"template {shown(name)} is written for audience {shown(found.audience)}; "
                f"this action's audience is {shown(audience)}",
                path=(*path, "audience"),
            )

    def _comms(self) -> None:
        """The communication sections: classification, redaction, templates, audiences."""
        spec = self.spec
        self.comms, self.audiences = compile_comms(
            classification=spec.classification,
            redaction=spec.redaction,
            templates=spec.templates,
            audiences=spec.audiences,
            directory=self.directory,
            clocks=sorted(spec.clocks),
            paths=sorted(spec.paths),
            priorities=self.priorities,
            policy=(spec.policy, str(spec.version)),
            cache=self.shared.templates,
            custom_fields=sorted(self._custom_fields(named=True)),
            vendor_fields={v: list(c.data_sharing.fields) for v, c in spec.vendors.items()},
        )

    def _bridge_path(self, name: str, path: Path) -> None:
        """A ``path:<name>`` bridge participant must name a declared path."""
        if name in self.broken_paths:
            raise _Repeats
        if name not in self.spec.paths:
            raise PolicyError(
                f"unknown path {shown(name)} (a 'path:' participant is the people of a path's "
                "current level)",
                path=path,
                suggestion=suggest(name, self.spec.paths),
            )

    def _notify_channel(self, name: str, path: Path) -> dict[str, str]:
        """A notify's ``channel``: a kind, or once ``channels:`` are declared, one of their
        names (the details then carry the name and its ``channel_kind``)."""
        declared = self.spec.channels
        found = declared.get(name)
        if found is not None:
            return {"channel": name, "channel_kind": found.kind}
        if name in NOTIFY_CHANNEL_KINDS:
            return {}
        kinds = ", ".join(NOTIFY_CHANNEL_KINDS)
        names = f"; or a declared channel: {', '.join(sorted(declared))}" if declared else ""
        raise PolicyError(
            f"unknown channel {shown(name)} (expected a kind: {kinds}{names})",
            path=path,
            suggestion=suggest(name, [*NOTIFY_CHANNEL_KINDS, *sorted(declared)]),
        )

    def _status_channel(self, name: str | None, path: Path) -> None:
        """A status page's ``channel``: with ``channels:`` declared, one of kind
        ``status-page``; without, a label passed to the caller."""
        declared = self.spec.channels
        if name is None or not declared:
            return
        found = declared.get(name)
        pages = sorted(n for n, c in declared.items() if c.kind == "status-page")
        if found is None:
            known = f" (status-page channels: {', '.join(pages)})" if pages else ""
            raise PolicyError(
                f"unknown channel {shown(name)}{known}",
                path=path,
                suggestion=suggest(name, pages or declared),
            )
        if found.kind != "status-page":
            raise PolicyError(
                f"channel {shown(name)} is a {found.kind} channel; a status page is posted on "
                "a channel of kind status-page",
                path=path,
                suggestion=suggest(name, pages),
            )

    def _status_page(self, body: StatusPageSpec, index: int, path: Path) -> ActionDef:
        """A status-page intent: its component (a name, or a string ticket field)."""
        self._status_channel(body.channel, (*path, "channel"))
        details: dict[str, Any] = {
            "state": body.state,
            "message": body.message,
            "channel": body.channel,
        }
        if isinstance(body.component, str):
            return ActionDef("status_page", index, (), details, component=body.component)
        name = body.component.field
        strings = sorted(
            k for k, v in self.fields.items() if v.type == STR and not k.startswith("clock.")
        )
        if name not in strings:
            raise PolicyError(
                f"a status page's component comes from a string ticket field; {shown(name)} is "
                + ("not one" if self.fields.get(name) is not None else "not a field"),
                path=(*path, "component", "field"),
                suggestion=suggest(name, strings),
            )
        return ActionDef(
            "status_page",
            index,
            (),
            details,
            component=body.component.default,
            component_field=name,
        )

    def _status_pages(self) -> StatusPagesDef:
        """The top-level ``status_pages:`` settings (no rate limit, nothing on resolution
        when absent)."""
        spec = self.spec.status_pages
        if spec is None:
            return NO_STATUS_PAGES
        where: Path = ("status_pages",)
        resolve = None
        if spec.on_resolve is not None:
            self._status_channel(spec.on_resolve.channel, (*where, "on_resolve", "channel"))
            resolve = spec.on_resolve.model_dump(mode="json")
        if spec.min_interval is None:
            return StatusPagesDef(on_resolve=resolve)
        interval = parse_duration(
            spec.min_interval, (*where, "min_interval"), allow_business_days=False
        ).delta
        return StatusPagesDef(interval, spec.min_interval, resolve)

    def _rules(self, problems: _Problems) -> tuple[RuleDef, ...]:
        """The rules in precedence order (higher priority first, then file order); a rule
        with a problem is left out and its problem added to ``problems``."""
        seen: dict[str, int] = {}
        for order, spec in enumerate(self.spec.rules):
            if spec.id in seen:
                problems.add(
                    PolicyError(
                        f"rule id {shown(spec.id)} is also used by rules[{seen[spec.id]}]",
                        path=("rules", order, "id"),
                    )
                )
            seen.setdefault(spec.id, order)
        compiled = problems.each(enumerate(self.spec.rules), lambda item: self._rule(*item))
        ordered = sorted(compiled, key=lambda r: (-r.priority, r.order))
        return tuple(replace(rule, rank=rank) for rank, rule in enumerate(ordered))

    def _rule(self, order: int, spec: RuleSpec) -> RuleDef:
        path: Path = ("rules", order)
        # Rule conditions may test the time (within / not_within a calendar), and read the
        # post-mortem's facts in a policy with a postmortem: section.
        known = {**self.fields, **self.postmortem_fields} if self.postmortem_fields else self.fields
        try:
            when = compile_condition(spec.when, known, (*path, "when"), self.calendars)
        except PolicyError as exc:
            if self.postmortem_fields or type(exc) is not PolicyError:
                raise
            if "'postmortem." not in exc.message:
                raise
            raise PolicyError(
                f"{exc.message} (postmortem.status and postmortem.overdue_items are facts of a "
                "policy with a postmortem: section, docs/postmortems.md)",
                path=exc.path,
                source=exc.source,
                suggestion=exc.suggestion,
            ) from None
        actions = self._actions(spec.then, (*path, "then"), spec.risk)
        fields = referenced_fields(when)
        reads_paths = any(f.startswith("path.") for f in fields)
        reads_postmortem = any(f.startswith("postmortem.") for f in fields)
        if reads_postmortem:
            check_rule(spec, actions, path)
        if reads_paths and spec.final:
            raise PolicyError(
                "a rule that reads path levels cannot be final: it is matched after the "
                "paths, so it cannot shadow the rules that move them",
                path=(*path, "final"),
            )
        if reads_paths and any(a.path is not None for a in actions):
            raise PolicyError(
                "a rule that reads path levels cannot escalate or transfer (the path "
                "level would depend on itself)",
                path=(*path, "then"),
            )
        clock_leaves = tuple(sorted({f.split(".")[1] for f in fields if f.startswith("clock.")}))
        positions = {
            leaf.path: pos for leaf in leaves(when) if (pos := self.locate(leaf.path)) is not None
        }
        return RuleDef(
            id=spec.id,
            order=order,
            rank=0,
            priority=spec.priority,
            when=when,
            actions=actions,
            moves_paths=any(a.path is not None for a in actions),
            final=spec.final,
            reads_paths=reads_paths,
            fields=fields,
            clock_leaves=clock_leaves,
            rationale=spec.rationale,
            positions=positions,
            risks=tuple(sorted(set(spec.risk))),
            reads_postmortem=reads_postmortem,
        )

    # -- segments -------------------------------------------------------------------------------

    def _segments(self) -> tuple[Segment, ...]:
        """Each segment compiled into a policy of its own, with its condition on the base."""
        specs = self.spec.segments
        if not specs:
            return ()
        if len(specs) > MAX_SEGMENTS:
            raise PolicyError(
                f"{len(specs)} segments; the limit is {MAX_SEGMENTS} (each compiles into a "
                "whole policy): merge segments whose policies agree",
                path=("segments", MAX_SEGMENTS),
            )
        ids: dict[str, int] = {}
        precedences: dict[int, str] = {}
        digest = content_hash(self.raw)
        base = segment_base(self.raw)
        fields = {k: v for k, v in self.fields.items() if _segment_field(k)}
        out = []
        errors: list[PolicyError] = []  # named in their own document's terms
        for i, spec in enumerate(specs):
            try:
                out.append(self._segment(i, spec, ids, precedences, fields, base, digest))
            except _Named as named:
                errors.append(named.error)
            except PolicyError as exc:
                errors.append(_named_by(exc, self.origin))
        if errors:
            raise _Named(joined(errors))
        return tuple(sorted(out, key=lambda s: s.precedence))

    def _segment(
        self,
        i: int,
        spec: SegmentSpec,
        ids: dict[str, int],
        precedences: dict[int, str],
        fields: Mapping[str, FieldSpec],
        base: Mapping[str, Any],
        digest: str,
    ) -> Segment:
        """Segment ``i`` compiled: its condition, and its policy (the base with its changes);
        ``ids``, ``precedences`` collect those of the segments before it."""
        where: Path = ("segments", i)
        self._name(spec.id, (*where, "id"))
        if spec.id in ids:
            raise PolicyError(
                f"segment id {shown(spec.id)} is also used by segments[{ids[spec.id]}]",
                path=(*where, "id"),
            )
        ids[spec.id] = i
        if spec.precedence in precedences:
            raise PolicyError(
                f"precedence {spec.precedence} is also that of segment "
                f"{shown(precedences[spec.precedence])}: the precedence decides which "
                "segment a ticket falls in when both match, so each needs its own",
                path=(*where, "precedence"),
            )
        precedences[spec.precedence] = spec.id
        when = self._segment_when(spec, fields, where)
        policy = self._segment_policy(spec, base, where, digest)
        return Segment(
            id=spec.id,
            precedence=spec.precedence,
            when=when,
            fields=referenced_fields(when),
            policy=policy,
            description=spec.description,
        )

    def _segment_when(
        self, spec: SegmentSpec, fields: Mapping[str, FieldSpec], where: Path
    ) -> Condition:
        full = compile_condition(spec.when, self.fields, (*where, "when"))
        for leaf in leaves(full):
            if not _segment_field(leaf.field):
                raise PolicyError(
                    f"a segment is chosen by what a ticket is ({', '.join(SEGMENT_FIELDS)}, "
                    f"fields.<custom>), not by {leaf.field}: that changes during the ticket's "
                    "life, and its meaning may differ between segments",
                    path=leaf.path,
                )
        return compile_condition(spec.when, fields, (*where, "when"))

    def _segment_policy(
        self, spec: SegmentSpec, base: Mapping[str, Any], where: Path, digest: str
    ) -> Policy:
        label = f"segment {spec.id!r}"
        overlay = self.raw["segments"][where[1]]
        overlaid = apply_overlay(
            base, self.origin, overlay, self.origin, at=where, label=label, extends=False
        )
        self.segment_data[spec.id] = overlaid.data
        self.shared.segment_chars += len(_canonical_json(overlaid.data))
        if self.shared.segment_chars > MAX_SEGMENT_CHARS:
            raise PolicyError(
                f"the segments' policies hold more than {MAX_SEGMENT_CHARS:,} characters "
                "of policy together (each is the whole base with its changes): fewer "
                "segments, or a smaller base",
                path=(*where, "id"),
            )
        try:
            try:
                merged = validate_spec(overlaid.data, overlaid.locate)
            except PolicyError as exc:
                raise _named_by(exc, overlaid.origin) from None
            return _compile(
                merged,
                overlaid.data,
                overlaid.origin,
                self.source,
                segment=(spec.id, digest),
                shared=self.shared,
            )
        except PolicyError as exc:

            def named(error: PolicyError) -> PolicyError:
                hint = dangling_hint(error, overlaid, label)
                return PolicyError(
                    f"in {label}: {error.message}{hint}",
                    path=error.path,
                    source=error.source,
                    suggestion=error.suggestion,
                )

            raise _Named(remapped(exc, named)) from None


def _positions(data: Mapping[str, Any], origin: Origin) -> dict[Path, tuple[str, int, int]]:
    """Where each key path of the policy's data was written, as data (no closures, so a policy
    keeps no reference to the documents it was read from). Entries of ``rules`` and
    ``segments`` are also found by their id (``("rules", "wrong-team", "when")``): lint names
    them so, as they keep their name when rules are reordered."""
    out: dict[Path, tuple[str, int, int]] = {}
    todo: list[tuple[Path, object]] = [((), data)]
    while todo:
        path, value = todo.pop()
        where = origin(path)[0]
        if where is not None:
            out[path] = where
        if isinstance(value, Mapping):
            todo.extend(((*path, k if isinstance(k, str) else str(k)), v) for k, v in value.items())
        elif isinstance(value, list):
            todo.extend(((*path, i), v) for i, v in enumerate(value))
    ids = _entry_ids(data)
    for path, where in list(out.items()):
        name = ids.get(path[:2])
        if name is not None:
            out[(path[0], name, *path[2:])] = where
    return out


def _entry_ids(data: Mapping[str, Any]) -> dict[Path, str]:
    """The ids of the entries of ``rules`` and ``segments``, by their key path."""
    return {
        (section, i): entry["id"]
        for section in ("rules", "segments")
        for entries in [data.get(section)]
        for i, entry in enumerate(entries if isinstance(entries, list) else ())
        if isinstance(entry, Mapping) and isinstance(entry.get("id"), str)
    }


def _key_paths(data: Mapping[str, Any]) -> list[Path]:
    """Every key path of a policy's data, entries of ``rules`` and ``segments`` both by
    index and by id."""
    out: list[Path] = []
    ids = _entry_ids(data)
    todo: list[tuple[Path, object]] = [((), data)]
    while todo:
        path, value = todo.pop()
        out.append(path)
        name = ids.get(path[:2])
        if name is not None:
            out.append((path[0], name, *path[2:]))
        if isinstance(value, Mapping):
            todo.extend(((*path, k if isinstance(k, str) else str(k)), v) for k, v in value.items())
        elif isinstance(value, list):
            todo.extend(((*path, i), v) for i, v in enumerate(value))
    return out


def _closest_key(text: str, keys: Iterable[Path]) -> str | None:
    """The key path a misspelt ``where`` most likely means: one whose key with a dot in it
    was written unquoted, else the closest spelling."""
    written = sorted(((render_path(key), key) for key in keys if key), key=_rendered)
    for plain, key in written:
        if plain == text:
            return render_where(key)
    return suggest(text, [render_where(key) for _, key in written])


def _rendered(item: tuple[str, Path]) -> tuple[str, str]:
    return item[0], render_where(item[1])


def _segment_field(name: str) -> bool:
    """Whether a segment's condition may read this field."""
    return name in SEGMENT_FIELDS or name.startswith("fields.")


#: The prefix of a clock trigger naming a ``milestone`` event: ``milestone:gdpr-aware``.
MILESTONE_PREFIX = "milestone:"


def _event_names(value: list[str] | str | None, path: Path) -> frozenset[str] | None:
    """A trigger's event types: names of :data:`EVENT_TYPES`, or ``milestone:<name>`` for a
    ``milestone`` event of that name (a bare ``milestone`` names none: it is refused)."""
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    for i, item in enumerate(items):
        where = path if isinstance(value, str) else (*path, i)
        if item.startswith(MILESTONE_PREFIX):
            name = item[len(MILESTONE_PREFIX) :]
            problem = label_problem(name) or milestone_problem(name)
            if problem is not None:
                raise PolicyError(f"milestone name in {shown(item)}: {problem}", path=where)
            continue
        if item == "milestone":
            raise PolicyError(
                "name the milestone: 'milestone:<name>', e.g. 'milestone:gdpr-aware' (clocks "
                "count from one named moment, not from any milestone)",
                path=where,
            )
        if item not in EVENT_TYPES:
            raise PolicyError(
                f"unknown event type {shown(item)} (known: {', '.join(EVENT_TYPES)}, or "
                "'milestone:<name>')",
                path=where,
                suggestion=suggest(item, EVENT_TYPES),
            )
    return frozenset(items)


def _no_by_with_pause(spec: ClockSpec, path: Path) -> None:
    """Refuse a target with ``by`` on a clock that pauses: ``by`` makes the deadline one
    wall-clock instant, and a pause would have to move it by an amount nothing defines."""
    found = [((*path, "targets", p), t) for p, t in sorted(spec.targets.items())]
    for i, item in enumerate(spec.definitions):
        found += [
            ((*path, "definitions", i, "targets", p), t) for p, t in sorted(item.targets.items())
        ]
    for where, target in found:
        if target.by is not None:
            raise PolicyError(
                f"'by' ({shown(target.by)}) cannot be used on a clock with 'pause': 'by' makes "
                "the deadline one wall-clock instant (a legal deadline's date and time), and a "
                "pause would have to move that instant by an amount nothing defines; drop "
                "'pause', or drop 'by' and count working time",
                path=(*where, "by"),
            )


_BY = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])|24:00")


def _due_by(text: str, duration: Duration, where: Path) -> int:
    """A target's ``by`` ("HH:MM" or "24:00") as minutes of the day, for a duration that
    counts dates: whole days or weeks, business days or months."""
    match = _BY.fullmatch(text)
    if match is None:
        raise PolicyError(
            f"'by' is a wall time 'HH:MM' (00:00 to 23:59) or '24:00' (the end of the day), "
            f"got {shown(text)}",
            path=(*where, "by"),
        )
    if duration.delta % timedelta(days=1):
        raise PolicyError(
            f"'by' sets the wall time on the due date, so 'within' must count dates (d, w, bd, "
            f"mo); {shown(duration.text)} counts hours, minutes or seconds, which end at an "
            "instant of their own, not on a date",
            path=(*where, "within"),
        )
    if text == "24:00":
        return 1440
    return int(match.group(1)) * 60 + int(match.group(2))


def _effective(spec: EffectiveSpec, path: Path) -> tuple[datetime | None, datetime | None]:
    """A clock's ``effective`` bounds as aware instants; naive times and dates are refused."""
    bounds: list[datetime | None] = []
    for key, value in (("from", spec.from_), ("until", spec.until)):
        where: Path = (*path, "effective", key)
        at: datetime | None = None
        if isinstance(value, str):
            try:
                at = datetime.fromisoformat(value)
            except ValueError:
                at = None
        elif isinstance(value, datetime):
            at = value
        if value is not None and (at is None or at.utcoffset() is None):
            given = shown(value if isinstance(value, str) else str(value))
            raise PolicyError(
                f"effective.{key} must be an instant with its UTC offset, e.g. "
                f"'2025-01-17T00:00:00+01:00' (a law takes effect at an instant somewhere; "
                f"escalate never guesses the zone of a date or a naive time), got {given}",
                path=where,
            )
        bounds.append(None if at is None else at.astimezone(UTC))
    lo, hi = bounds
    if lo is not None and hi is not None and hi <= lo:
        raise PolicyError(
            "effective.until must be after effective.from", path=(*path, "effective", "until")
        )
    return lo, hi


def _milestone_names(
    clocks: Sequence[ClockDef],
    paths: Sequence[PathDef],
    rules: Sequence[RuleDef],
    governance: GovernanceDef | None,
    vendors: Sequence[str],
) -> frozenset[str]:
    """The milestone names the policy reads: clock triggers and ``effective.judged_at``
    (``milestone:<name>``), conditions on the ``milestones`` fact (rules, paths, scoped
    clocks, governance criteria) and each vendor's ``<vendor>-resolved``. Collected once, so
    that telling a ticket's misspelt milestone (a warning in its decision) costs nothing per
    evaluation but a look-up per milestone event."""
    names: set[str] = {f"{vendor}-resolved" for vendor in vendors}
    events: set[str] = set()
    conditions: list[Condition | None] = []
    for clock in clocks:
        for trigger in (*clock.start, *clock.stop):
            events.update(trigger.events or ())
        events.update(clock.new_cycle_on)
        if clock.effective_judged_at is not None:
            events.add(clock.effective_judged_at)
        conditions.append(clock.when)
        conditions += [definition.when for definition in clock.definitions]
    conditions += [path.when for path in paths]
    conditions += [rule.when for rule in rules]
    if governance is not None:
        conditions.append(None if governance.board is None else governance.board.when)
        sample = governance.audit_sample
        conditions.append(None if sample is None else sample.when)
    names.update(e.removeprefix(MILESTONE_PREFIX) for e in events if e.startswith(MILESTONE_PREFIX))
    for condition in conditions:
        for leaf in [] if condition is None else leaves(condition):
            expected = leaf.expected  # a name (contains), names (any_of, none_of), a bool
            if leaf.field == "milestones" and not isinstance(expected, bool):
                names.update((expected,) if isinstance(expected, str) else expected)
    return frozenset(names)


def _judged_at(spec: EffectiveSpec, path: Path) -> str | None:
    """``effective.judged_at``: ``milestone:<name>`` (checked as a trigger's milestone)."""
    value = spec.judged_at
    if value is None:
        return None
    where: Path = (*path, "effective", "judged_at")
    if not value.startswith(MILESTONE_PREFIX):
        raise PolicyError(
            f"effective.judged_at names a milestone, 'milestone:<name>' (e.g. "
            f"'milestone:nis2-aware'), got {shown(value)}",
            path=where,
        )
    _event_names(value, where)
    return value


def _rung_key(rung: Rung) -> tuple[str, Any]:
    """The kind of a rung's measure and its value, rising with the elapsed time it needs:
    rungs of one kind are in the same order for every target."""
    if rung.share is not None:
        return "at", rung.share
    if rung.before_breach is not None:
        return "before_breach", -rung.before_breach
    assert rung.after is not None
    if rung.after.is_business_days:
        return "after-bd", rung.after.business_days
    if rung.after.is_months:
        return "after-mo", rung.after.months
    return "after", rung.after.delta


def _check_rung_order(rungs: tuple[Rung, ...], ladder: Sequence[RungSpec], path: Path) -> None:
    """Rungs of one kind must rise in the order written: they are out of order for every
    target otherwise. (Rungs of different kinds compare per target: ``lint`` checks them.)"""
    last: dict[str, tuple[int, Any]] = {}
    for rung in rungs:
        kind, value = _rung_key(rung)
        key = "after" if kind.startswith("after") else kind
        written = getattr(ladder[rung.index], key)
        seen = last.get(kind)
        if seen is not None and value <= seen[1]:
            j = seen[0]
            before = (
                "the rung before it"
                if j == rung.index - 1
                else f"rung {j} ({key}: {getattr(ladder[j], key)})"
            )
            raise PolicyError(
                f"ladder rungs must rise: {written} is not above {before}",
                path=(*path, rung.index, key),
            )
        last[kind] = (rung.index, value)
