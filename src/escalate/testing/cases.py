"""Reading case files: ``<policy>.cases.yaml`` to the policy and the cases to run against it.

:func:`load_cases` reads a case file with the safe YAML parser, checks it strictly against
:mod:`escalate.testing.case_format`, loads the policy it tests, resolves ticket and
availability files relative to the case file, reads every ticket, and checks every id an
expectation names (paths, levels, rules, clocks, segments) against the policy. Each case
becomes one or more :class:`Case` values: a plain case one, a matrix one per row
(``name[row]``), a timeline one per step (``name[step]``). Every problem is a
:class:`~escalate.errors.CaseError` naming ``file:line:col``, the key path and the case; a
policy that does not load raises its own :class:`~escalate.errors.PolicyError`.

This module reads files (it is the loader of case files); running them is pure
(:mod:`escalate.testing.runner`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from escalate._json import json_text, parse_json
from escalate._models import read_instant, validate_model
from escalate.calendars._durations import parse_duration
from escalate.calendars._instants import MAX_US, MIN_US, OUT_OF_RANGE, to_us
from escalate.engine.compiled import Policy
from escalate.engine.ticket import Ticket
from escalate.errors import (
    CaseError,
    CaseErrors,
    EscalateError,
    PolicyError,
    TicketError,
    every_error,
    shown,
)
from escalate.people.availability import Availability
from escalate.policy._yaml import Positions, parse_yaml
from escalate.policy.loader import CASE_SUFFIXES, POLICY_SUFFIXES, load, read_file
from escalate.testing.case_format import CaseFileInput, CaseInput, DefaultsInput, ExpectInput
from escalate.testing.expectations import Expectation, compile_expectation, in_line_order

__all__ = [
    "MAX_DATA_BYTES",
    "Case",
    "CaseFile",
    "every_problem",
    "find_case_files",
    "load_cases",
]

#: Largest case file, ticket or availability file read, in bytes.
MAX_DATA_BYTES = 16 * 1024 * 1024

Where = tuple[str, int, int]
KeyPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Case:
    """One evaluation to check: a plain case, one matrix row or one timeline step.

    ``name`` is what reports and ``-k`` show (``case``, ``case[row]``, ``case[step]``);
    ``case`` the case's own name; ``source`` where it stands in the case file (the case, row
    or step item: ``(file, line, column)``); ``ticket``, ``now`` and ``availability`` the
    inputs of ``Policy.evaluate``; ``expect`` / ``expect_not`` what the decision must (not)
    show (``None``: nothing); ``description`` the case's text; ``locate`` where a key path of
    the ticket stands in the case file (a problem the engine finds in the ticket is reported
    there: the inline key, the step's event, else the ticket's key).
    """

    name: str
    case: str
    source: Where
    ticket: Ticket
    now: datetime
    availability: Availability
    expect: Expectation | None
    expect_not: Expectation | None
    description: str | None = None
    locate: Callable[[KeyPath], Where] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class _Base:
    """A case's ticket as read: its ``data``, the key ``path`` it came from, and how errors
    name it (``ticket`` inline, ``ticket <file>`` from a file)."""

    data: dict[str, Any]
    path: KeyPath
    label: str


@dataclass(frozen=True, slots=True)
class CaseFile:
    """A case file read: its ``path``, the compiled ``policy`` it tests (``policy_path``: the
    file or folder read, with the ``.yaml`` that ``policy:`` may leave out) and its ``cases``
    in file order (matrix rows and timeline steps expanded)."""

    path: str
    policy_path: str
    policy: Policy
    cases: tuple[Case, ...]


def find_case_files(path: str) -> list[str]:
    """The case files ``path`` names: itself when it is a case file, the case file beside a
    policy file (``p.yaml`` -> ``p.cases.yaml``), or every ``*.cases.yaml`` under a folder
    (recursively, in name order; hidden folders skipped). A path naming none is a
    :class:`CaseError`."""
    if os.path.isdir(path):
        found: list[str] = []
        for root, folders, files in os.walk(path):
            folders[:] = sorted(f for f in folders if not f.startswith("."))
            found += [os.path.join(root, f) for f in sorted(files) if f.endswith(CASE_SUFFIXES)]
        if not found:
            raise CaseError(f"no *.cases.yaml files under {shown(path)}")
        return sorted(found, key=lambda f: os.path.relpath(f, path).split(os.sep))
    if path.endswith(CASE_SUFFIXES):
        if not os.path.exists(path):
            raise CaseError(f"cannot read case file {shown(path)}: {os.strerror(2)}")
        return [path]
    stem, ext = os.path.splitext(path)
    if ext in (".yaml", ".yml"):
        if not os.path.exists(path):
            raise CaseError(f"policy {shown(path)} does not exist")
        beside = [stem + suffix for suffix in CASE_SUFFIXES]
        found = [f for f in beside if os.path.exists(f)]
        if not found:
            raise CaseError(
                f"policy {shown(path)} has no case file beside it "
                f"({' or '.join(shown(f) for f in beside)})"
            )
        return found
    raise CaseError(
        f"cannot find cases at {shown(path)}: name a *.cases.yaml file, a policy .yaml file "
        "or a folder"
    )


def load_cases(path: str | os.PathLike[str]) -> CaseFile:
    """Read, check and expand the case file at ``path`` (see the module docstring)."""
    name = os.fspath(path)
    if not isinstance(name, str):
        raise CaseError(f"a case file path must be a str, got {type(name).__name__}")
    text = read_file(name, what="case file", max_bytes=MAX_DATA_BYTES, error=CaseError)
    try:
        raw, positions = parse_yaml(text, name, max_bytes=MAX_DATA_BYTES, document="a case file")
    except PolicyError as exc:
        raise CaseError(exc.message, path=exc.path, source=exc.source) from None
    reader = _Reader(name, positions)
    data = reader.plain(raw, ())
    problems: list[CaseError] = []
    spec, indices = reader.spec(data, problems)
    if spec is None:
        raise _all(problems)
    policy_path = reader.policy_path(spec.policy)
    policy = load(policy_path)
    reader.policy = policy
    cases: list[Case] = []
    seen: dict[str, int] = {}
    # Each case is read on its own: a problem of one says nothing about the others, so every
    # case's first problem (and every unknown id of its expectations) is reported at once.
    for i, case in zip(indices, spec.cases, strict=True):
        if case.name in seen:
            line = reader.where(("cases", seen[case.name]))[1]
            problems.append(
                reader.error(
                    f"duplicate case name {shown(case.name)} (first on line {line})",
                    ("cases", i, "name"),
                )
            )
            continue
        seen[case.name] = i
        try:
            cases += reader.case(case, i, spec.defaults)
        except CaseError as exc:
            problems += _case_problems(exc)
    if problems:
        raise _all(problems)
    return CaseFile(name, policy_path, policy, tuple(cases))


def every_problem(error: EscalateError) -> tuple[EscalateError, ...]:
    """The problems ``error`` stands for: those of a :class:`~escalate.errors.CaseErrors` or
    a :class:`~escalate.errors.PolicyErrors`, else itself alone."""
    if isinstance(error, CaseErrors):
        return error.errors
    if isinstance(error, PolicyError):
        return every_error(error)
    return (error,)


def _case_problems(error: CaseError) -> tuple[CaseError, ...]:
    return error.errors if isinstance(error, CaseErrors) else (error,)


def _all(problems: list[CaseError]) -> CaseError:
    """One error for ``problems`` (at least one), in line order."""
    ordered = in_line_order(problems)
    return ordered[0] if len(ordered) == 1 else CaseErrors(ordered)


class _Reader:
    """What reading one case file needs at hand: its name, positions, the policy, read files."""

    def __init__(self, name: str, positions: Positions) -> None:
        self.name = name
        self.positions = positions
        self.folder = os.path.dirname(name)
        self.policy: Policy | None = None
        self._files: dict[str, object] = {}

    # -- errors and positions ----------------------------------------------------------------

    def where(self, path: KeyPath) -> Where:
        found = self.positions.of(path)
        return found if found is not None else (self.name, 1, 1)

    def error(
        self,
        message: str,
        path: KeyPath,
        *,
        case: str | None = None,
        suggestion: str | None = None,
    ) -> CaseError:
        return CaseError(
            message, path=path, source=self.where(path), case=case, suggestion=suggestion
        )

    def plain(self, value: object, path: KeyPath) -> object:
        """YAML data with aware timestamps as ISO text; a naive one is an error."""
        if isinstance(value, datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                raise self.error(
                    f"{value.isoformat()} has no UTC offset; write e.g. "
                    f"{value.isoformat()}Z or {value.isoformat()}+01:00 (escalate never guesses)",
                    path,
                )
            return value.isoformat()
        if isinstance(value, dict):
            return {k: self.plain(v, (*path, str(k))) for k, v in value.items()}
        if isinstance(value, list):
            return [self.plain(v, (*path, i)) for i, v in enumerate(value)]
        return value

    def spec(
        self, data: object, problems: list[CaseError]
    ) -> tuple[CaseFileInput | None, list[int]]:
        """The case file checked against its format, and the index of each case it keeps.

        Every problem of the format is added to ``problems``; when they all stand inside
        cases, the file is read without those cases (their index list says which are kept),
        so that the others are still checked and reported."""
        try:
            spec = validate_model(CaseFileInput, data)
        except PolicyError as exc:
            problems += [
                self.error(
                    e.message, e.path, case=_case_named(data, e.path), suggestion=e.suggestion
                )
                for e in every_error(exc)
            ]
        else:
            return spec, list(range(len(spec.cases)))
        bad = {p.path[1] for p in problems if p.path[:1] == ("cases",) and len(p.path) > 1}
        if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
            return None, []
        if any(p.path[:1] != ("cases",) or len(p.path) < 2 for p in problems):
            return None, []
        kept = [i for i in range(len(data["cases"])) if i not in bad]
        if not kept:
            return None, []
        try:
            rest = validate_model(
                CaseFileInput, {**data, "cases": [data["cases"][i] for i in kept]}
            )
        except PolicyError:  # pragma: no cover - a case valid alone is valid among others
            return None, []
        return rest, kept

    # -- files ---------------------------------------------------------------------------------

    def policy_path(self, given: str | None) -> str:
        if given is not None:
            # The file or folder load() reads: the path as given, else with ".yaml" or ".yml",
            # so that "p" and "p.yaml" name one policy (coverage is keyed by it).
            found = os.path.join(self.folder, given)
            for ext in ("", *POLICY_SUFFIXES):
                if os.path.exists(found + ext):
                    return found + ext
            raise self.error(f"no policy at {shown(found)}", ("policy",))
        base = os.path.basename(self.name)
        for suffix in CASE_SUFFIXES:
            if base.endswith(suffix):
                stem = os.path.join(self.folder, base[: -len(suffix)])
                tried = [stem + ext for ext in POLICY_SUFFIXES]
                files = [f for f in tried if os.path.isfile(f)]
                if len(files) > 1:
                    raise CaseError(
                        f"{self.name}: two policies beside it ({' and '.join(map(shown, files))}); "
                        "name one with 'policy:'"
                    )
                if files:
                    return files[0]
                if os.path.isdir(stem):
                    return stem
                raise CaseError(
                    f"{self.name}: no policy beside it (none of "
                    f"{', '.join(shown(f) for f in (*tried, stem + os.sep))} exists); "
                    "name one with 'policy:'"
                )
        raise CaseError(
            f"{self.name}: a case file is named <policy>.cases.yaml, or names its policy "
            "with 'policy:'"
        )

    def data_file(self, given: str, path: KeyPath, case: str, what: str) -> object:
        """The data of a JSON or YAML file named relative to the case file."""
        file = os.path.join(self.folder, given)
        if file in self._files:
            return self._files[file]

        def fail(message: str) -> EscalateError:
            return self.error(message, path, case=case)

        raw = read_file(file, what=what, max_bytes=MAX_DATA_BYTES, error=fail)
        if file.endswith(".json"):
            try:
                data = parse_json(json_text(raw, file, what), file)
            except EscalateError as exc:
                raise fail(str(exc)) from None
        else:
            try:
                data = parse_yaml(raw, file, max_bytes=MAX_DATA_BYTES, document=f"a {what} file")[0]
            except PolicyError as exc:
                raise fail(f"{what} {exc}") from None
            data = self.plain(data, path)
        self._files[file] = data
        return data

    def mapping(self, value: object, path: KeyPath, case: str, what: str) -> dict[str, Any]:
        """A ticket or availability given inline or as a file, as a mapping."""
        data = self.data_file(value, path, case, what) if isinstance(value, str) else value
        if not isinstance(data, dict):
            raise self.error(f"the {what} must be a mapping, got {shown(data)}", path, case=case)
        return dict(data)

    # -- inputs ------------------------------------------------------------------------------

    def ticket(self, data: Mapping[str, Any], base: _Base, case: str) -> Ticket:
        """The ticket ``data`` holds; a problem names the key (inline) or the file."""
        assert self.policy is not None
        try:
            return Ticket.from_mapping(data, empty=self.policy.empty_values)
        except TicketError as exc:
            where = base.path
            if base.label == "ticket" and (*base.path, *exc.path) in self.positions:
                where = (*base.path, *exc.path)
            raise self.error(f"{base.label}: {exc}", where, case=case) from None

    def availability(self, value: object, path: KeyPath, case: str) -> Availability:
        if value is None:
            return Availability()
        data = self.mapping(value, path, case, "availability")
        try:
            return Availability.from_mapping(data)
        except TicketError as exc:
            raise self.error(f"availability: {exc}", path, case=case) from None

    def instant(self, text: str, path: KeyPath, case: str) -> datetime:
        at = read_instant(text)
        if at is None:
            raise self.error(f"not an instant: {shown(text)}", path, case=case)
        return at

    def expectation(
        self, spec: ExpectInput | None, path: KeyPath, case: str, negated: bool
    ) -> Expectation | None:
        if spec is None:
            return None
        assert self.policy is not None
        try:
            return compile_expectation(spec, self.policy, path, self.where, negated=negated)
        except CaseError as exc:
            named = [
                CaseError(
                    e.message, path=e.path, source=e.source, case=case, suggestion=e.suggestion
                )
                for e in _case_problems(exc)
            ]
            raise named[0] if len(named) == 1 else CaseErrors(named) from None

    def expectations(
        self, expect: ExpectInput | None, expect_not: ExpectInput | None, at: KeyPath, case: str
    ) -> tuple[Expectation | None, Expectation | None]:
        """The ``expect`` and ``expect_not`` at ``at``, with the problems of both reported."""
        problems: list[CaseError] = []
        compiled: list[Expectation | None] = []
        for spec, key in ((expect, "expect"), (expect_not, "expect_not")):
            try:
                compiled.append(self.expectation(spec, (*at, key), case, key == "expect_not"))
            except CaseError as exc:
                problems += _case_problems(exc)
                compiled.append(None)
        if problems:
            raise _all(problems)
        return compiled[0], compiled[1]

    # -- cases ---------------------------------------------------------------------------------

    def case(self, case: CaseInput, i: int, defaults: DefaultsInput | None) -> list[Case]:
        """The cases one case item expands to (itself, its rows, or its steps)."""
        at: KeyPath = ("cases", i)
        name = case.name
        now_text, now_path = case.now, (*at, "now")
        ticket_value, ticket_path = case.ticket, (*at, "ticket")
        avail_value, avail_path = case.availability, (*at, "availability")
        if defaults is not None:
            if now_text is None and defaults.now is not None:
                now_text, now_path = defaults.now, ("defaults", "now")
            if ticket_value is None and defaults.ticket is not None:
                ticket_value, ticket_path = defaults.ticket, ("defaults", "ticket")
            if avail_value is None and defaults.availability is not None:
                avail_value, avail_path = defaults.availability, ("defaults", "availability")
        now = None if now_text is None else self.instant(now_text, now_path, name)
        base = None
        if ticket_value is not None:
            base = _Base(
                self.mapping(ticket_value, ticket_path, name, "ticket"),
                ticket_path,
                f"ticket {ticket_value}" if isinstance(ticket_value, str) else "ticket",
            )
        availability = self.availability(avail_value, avail_path, name)
        expect, expect_not = self.expectations(case.expect, case.expect_not, at, name)
        if case.matrix is not None:
            return self.rows(case, at, now, now_path, base, availability, expect, expect_not)
        if case.timeline is not None:
            return self.steps(case, at, now, base, availability)
        if now is None:
            raise self.error("missing 'now' (give it here or in 'defaults')", at, case=name)
        if base is None:
            raise self.error("missing 'ticket' (give it here or in 'defaults')", at, case=name)
        ticket = self.ticket(base.data, base, name)
        self.not_after(ticket, now, now_path, name)
        return [
            Case(
                name,
                name,
                self.where(at),
                ticket,
                now,
                availability,
                expect,
                expect_not,
                case.description,
                self.locator([base]),
            )
        ]

    def rows(
        self,
        case: CaseInput,
        at: KeyPath,
        now: datetime | None,
        now_path: KeyPath,
        base: _Base | None,
        availability: Availability,
        expect: Expectation | None,
        expect_not: Expectation | None,
    ) -> list[Case]:
        """A matrix case: one case per row, named ``name[row]``."""
        assert case.matrix is not None
        out: list[Case] = []
        seen: set[str] = set()
        for j, row in enumerate(case.matrix):
            row_at: KeyPath = (*at, "matrix", j)
            label = row.name or str(j + 1)
            if label in seen:
                raise self.error(
                    f"duplicate row name {shown(label)}", (*row_at, "name"), case=case.name
                )
            seen.add(label)
            row_now, row_now_path = now, now_path
            if row.now is not None:
                row_now_path = (*row_at, "now")
                row_now = self.instant(row.now, row_now_path, case.name)
            if row_now is None:
                raise self.error(
                    "missing 'now' (give it in the row, the case or 'defaults')",
                    row_at,
                    case=case.name,
                )
            ticket_base = base
            if row.ticket is not None:
                merged = {**(base.data if base is not None else {}), **row.ticket}
                ticket_base = _Base(merged, (*row_at, "ticket"), "ticket")
            if ticket_base is None:
                raise self.error(
                    "missing 'ticket' (give it in the row, the case or 'defaults')",
                    row_at,
                    case=case.name,
                )
            ticket = self.ticket(ticket_base.data, ticket_base, case.name)
            row_availability = availability
            if row.availability is not None:
                row_availability = self.availability(
                    row.availability, (*row_at, "availability"), case.name
                )
            self.not_after(ticket, row_now, row_now_path, case.name)
            out.append(
                Case(
                    f"{case.name}[{label}]",
                    case.name,
                    self.where(row_at),
                    ticket,
                    row_now,
                    row_availability,
                    expect,
                    expect_not,
                    case.description,
                    self.locator([b for b in (ticket_base, base) if b is not None]),
                )
            )
        return out

    def steps(
        self,
        case: CaseInput,
        at: KeyPath,
        now: datetime | None,
        base: _Base | None,
        availability: Availability,
    ) -> list[Case]:
        """A timeline case: one case per step, named ``name[step]``."""
        assert case.timeline is not None
        name = case.name
        if base is None:
            raise self.error("missing 'ticket' (give it here or in 'defaults')", at, case=name)
        appended: list[dict[str, Any]] = []
        wheres: list[KeyPath] = []  # where each appended event stands in the case file
        previous = now
        out: list[Case] = []
        seen: set[str] = set()
        for j, step in enumerate(case.timeline):
            step_at: KeyPath = (*at, "timeline", j)
            label = step.name or str(j + 1)
            if label in seen:
                raise self.error(
                    f"duplicate step name {shown(label)}", (*step_at, "name"), case=name
                )
            seen.add(label)
            if step.at is not None:
                instant_path: KeyPath = (*step_at, "at")
                instant = self.instant(step.at, instant_path, name)
            else:
                assert step.after is not None
                instant_path = (*step_at, "after")
                if previous is None:
                    raise self.error(
                        "the first step's 'after' counts from the case's 'now', which is missing",
                        instant_path,
                        case=name,
                    )
                try:
                    delta = parse_duration(step.after, (), allow_business_days=False).delta
                except PolicyError as exc:
                    raise self.error(exc.message, instant_path, case=name) from None
                try:
                    instant = previous + delta
                    in_range = MIN_US <= to_us(instant) <= MAX_US
                except OverflowError:
                    in_range = False
                if not in_range:
                    raise self.error(
                        f"{step.after} after {previous.isoformat()} {OUT_OF_RANGE}",
                        instant_path,
                        case=name,
                    )
            if previous is not None and j > 0 and instant <= previous:
                raise self.error(
                    f"steps must be in time order: {instant.isoformat()} is not after the "
                    f"previous step's {previous.isoformat()}",
                    instant_path,
                    case=name,
                )
            previous = instant
            for k, event in enumerate(step.events or ()):
                appended.append({"at": instant.isoformat(), **event})
                wheres.append((*step_at, "events", k))
            ticket = self.step_ticket(base, appended, wheres, step_at, name)
            own = len(ticket.events) - len(appended)
            self.not_after(ticket, instant, instant_path, name)
            expect, expect_not = self.expectations(step.expect, step.expect_not, step_at, name)
            out.append(
                Case(
                    f"{name}[{label}]",
                    name,
                    self.where(step_at),
                    ticket,
                    instant,
                    availability,
                    expect,
                    expect_not,
                    case.description,
                    self.locator([base], own, tuple(wheres), step_at),
                )
            )
        return out

    def step_ticket(
        self,
        base: _Base,
        appended: list[dict[str, Any]],
        wheres: list[KeyPath],
        step_at: KeyPath,
        case: str,
    ) -> Ticket:
        """The ticket of a timeline step: the case's ticket with the events appended so far
        (:meth:`Ticket.with_events`); a problem is reported where the event that caused it
        stands."""
        assert self.policy is not None
        ticket = self.ticket(base.data, base, case)
        try:
            # The new events alone, read as the history of the same ticket: the format's own
            # reading, with error paths that count from the first appended event.
            probe = Ticket.from_mapping(
                {"id": ticket.id, "opened_at": ticket.opened_at, "events": appended},
                empty=self.policy.empty_values,
            )
        except TicketError as exc:
            raise self.event_error(exc, 0, base, wheres, step_at, case) from None
        try:
            return ticket.with_events(probe.events)
        except TicketError as exc:  # an event contradicts the history before it
            raise self.event_error(exc, len(ticket.events), base, wheres, step_at, case) from None

    def event_error(
        self,
        exc: TicketError,
        n: int,
        base: _Base,
        wheres: list[KeyPath],
        step_at: KeyPath,
        case: str,
    ) -> CaseError:
        """``exc`` about a history whose first ``n`` events are the ticket's own, reported
        where the event it names stands: an appended one in its step, an own one at the
        ticket, none at the step."""
        where: KeyPath = step_at
        index = exc.path[1] if exc.path[:1] == ("events",) and len(exc.path) > 1 else None
        if isinstance(index, int) and index >= n:
            where = (*wheres[index - n], *exc.path[2:])
            if where not in self.positions:
                where = wheres[index - n]
        elif isinstance(index, int):
            where = base.path
        return self.error(f"{base.label}: {exc}", where, case=case)

    def locator(
        self,
        bases: Sequence[_Base],
        own: int = 0,
        wheres: Sequence[KeyPath] = (),
        step_at: KeyPath | None = None,
    ) -> Callable[[KeyPath], Where]:
        """Where a key path of a case's ticket stands: in an appended event (``wheres``, after
        the ticket's ``own`` events) or in an inline ticket of ``bases``, at the deepest key
        that is written; else at the step, else at the ticket."""

        def locate(path: KeyPath) -> Where:
            tries: list[KeyPath] = []
            index = path[1] if path[:1] == ("events",) and len(path) > 1 else None
            if isinstance(index, int) and own <= index < own + len(wheres):
                tries.append((*wheres[index - own], *path[2:]))
            elif not isinstance(index, int) or index < own:
                tries += [(*b.path, *path) for b in bases if b.label == "ticket"]
            for full in tries:
                for end in range(len(full), 0, -1):
                    if full[:end] in self.positions:
                        return self.where(full[:end])
            fallback = step_at if isinstance(index, int) and index >= own and step_at else None
            return self.where(fallback or bases[0].path)

        return locate

    def not_after(self, ticket: Ticket, now: datetime, path: KeyPath, case: str) -> None:
        """An event after ``now`` would make the evaluation fail: say so where ``now`` is."""
        last = ticket.events[-1].at if ticket.events else ticket.opened_at
        if last > now:
            what = "an event of the ticket" if ticket.events else "the ticket's opened_at"
            raise self.error(
                f"{what} ({last.isoformat()}) is after the instant evaluated "
                f"({now.isoformat()}); a case sees only the history known at its instant",
                path,
                case=case,
            )


def _case_named(data: object, path: KeyPath) -> str | None:
    """The name of the case a key path in the raw case file stands in, when it has one."""
    if path[:1] != ("cases",) or len(path) < 2 or not isinstance(data, dict):
        return None
    cases, index = data.get("cases"), path[1]
    if not isinstance(cases, list) or not isinstance(index, int) or not 0 <= index < len(cases):
        return None
    case = cases[index]
    name = case.get("name") if isinstance(case, dict) else None
    return name if isinstance(name, str) else None
