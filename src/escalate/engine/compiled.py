"""A compiled escalation policy: the value ``load`` returns and ``evaluate`` runs on.

:class:`Policy` is immutable and safe to share between threads. It holds the compiled
calendars, clocks, paths and rules (see :mod:`escalate.policy.compiler` for how they are built) and
the policy's terminology; :meth:`Policy.evaluate` hands the work to :mod:`escalate.engine.evaluate`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from threading import Lock
from typing import Any, TypeAlias, cast

from escalate._frozen import FrozenMap
from escalate.calendars._instants import checked_utc
from escalate.calendars.calendar import Calendar
from escalate.engine.actions import NO_STATUS_PAGES, StatusPagesDef
from escalate.engine.audiences import AudienceDef
from escalate.engine.authority import (
    ACTIONS,
    Authorization,
    Standing,
    action_near_miss,
    authority_before,
    check_action,
)
from escalate.engine.backends import NATIVE, backend_name, resolve_backend
from escalate.engine.clocks import ClockDef
from escalate.engine.contracts import VendorDef
from escalate.engine.decision import Decision
from escalate.engine.evaluate import evaluate_ticket
from escalate.engine.governance import GovernanceDef
from escalate.engine.incremental import TicketReplay
from escalate.engine.messages import Message, Renderer
from escalate.engine.paths import PathDef
from escalate.engine.plans import Notifications
from escalate.engine.postmortem import PostmortemDef
from escalate.engine.recurrence import RecurrenceDef
from escalate.engine.rules import Matcher, RuleDef
from escalate.engine.segments import Segment, select
from escalate.engine.statuses import BUILT_IN, StatusTable
from escalate.engine.sweep import Sweep, Swept, event_count
from escalate.engine.ticket import Ticket, TicketState
from escalate.engine.vendors import vendor_view
from escalate.errors import (
    ArgumentError,
    EscalateError,
    KeyPath,
    PolicyError,
    TicketError,
)
from escalate.people.availability import Availability
from escalate.people.directory import Directory

__all__ = ["LintIgnore", "Policy", "Recipe"]

Recipe: TypeAlias = "tuple[Callable[..., Policy], tuple[Any, ...]]"
"""How to build a policy again from its source text: a module-level function and its
arguments (what ``__reduce__`` returns for ``pickle``)."""


# --------------------------------------------------------------------------------------------
# The policy
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LintIgnore:
    """One entry of a policy's ``lint: ignore:`` list: findings with this ``code`` whose key
    path starts with the key path ``path`` (whole keys: ``("directory", "people", "anna")``
    does not cover ``anna.schmidt``; ``None``: anywhere) are not reported, for ``reason``;
    ``where`` is ``path`` as the policy wrote it, ``index`` the entry's place in the list."""

    code: str
    where: str | None
    reason: str
    index: int
    path: KeyPath | None = None


class Policy:
    """A compiled escalation policy. Immutable; safe to share between threads.

    Built by :func:`escalate.load` / :func:`escalate.loads`, never by hand. Attributes:

    * ``id``, ``version``, ``description``: as the YAML declares them;
    * ``pin``: which policy version a ticket's decisions should follow, ``latest`` or
      ``at-open`` (recorded for the caller that keeps versions; escalate does not act on it);
    * ``content_hash``: sha256 of the policy's canonical content (decisions carry it);
    * ``source``: where it was loaded from (a file, a folder or ``<string>``);
    * ``calendars``: read-only mapping from name to :class:`escalate.Calendar` (``24x7``
      included);
    * ``custom_fields``: read-only mapping from custom ticket field to its type
      (``string``, ``integer``, ``boolean``), sorted by name;
    * ``clocks``, ``paths``, ``rules``: the compiled definitions (tuples of
      :class:`ClockDef`, :class:`PathDef`, :class:`RuleDef`), clocks and paths in declaration
      order, rules in declared precedence;
    * ``directory``: the people, teams, roles and schedules (an :class:`escalate.Directory`);
    * ``statuses``: the statuses tickets may be in (a
      :class:`~escalate.engine.statuses.StatusTable`: canonical names, categories, aliases;
      the built-in statuses unless the policy declares ``statuses:``);
    * ``empty_values``: the strings that mean "no value" when this policy reads a ticket from a
      mapping (``empty_values:``; none by default).
    * ``segments``: the policy's segments in precedence order (a tuple of
      :class:`~escalate.engine.segments.Segment`, each with its own compiled ``policy``);
      empty when it has none;
    * ``segment``: ``None`` for a policy as written; the segment's id for the policy a
      segment compiles to;
    * ``positions``: read-only mapping from a key path of the policy (a tuple of keys and list
      indexes; ``rules`` and ``segments`` entries also by their id) to ``(file, line, column)``
      of the key in the document that wrote it, for tools that report on the policy (lint);
    * ``lint_ignores``: the lint findings the policy suppresses (its ``lint: ignore:`` list,
      a tuple of :class:`LintIgnore`);
    * ``notifications``: its ``channels``, ``notification_plans`` and ``notifications``
      options compiled (:class:`~escalate.engine.plans.Notifications`), ``None`` when it
      declares no plan;
    * ``status_pages``: the pacing of status-page intents and the update on resolution
      (``status_pages:``; a :class:`~escalate.engine.bulletins.StatusPagesDef`);
    * ``audiences``: the audiences with an update cadence (``audiences:`` entries with a
      ``cadence:``), a tuple of :class:`~escalate.engine.audiences.AudienceDef` in name order;
    * ``vendors``: the vendor contracts (``vendors:``), a tuple of
      :class:`~escalate.engine.vendors.VendorDef` by id; empty when it declares none.
    * ``governance``: the ``governance:`` section compiled (a
      :class:`~escalate.engine.governance.GovernanceDef`), ``None`` when not declared.
    * ``recurrence``: the ``recurrence:`` section compiled (a
      :class:`~escalate.engine.recurrence.RecurrenceDef`: the fingerprint's fields, the
      window, the two integer fields a caller fills with the counts, which are also in
      ``custom_fields``), ``None`` when not declared; the engine never counts across tickets.
    * ``milestone_names``: the milestone names the policy reads (clock triggers and
      ``effective.judged_at`` written ``milestone:<name>``, conditions on ``milestones``,
      ``<vendor>-resolved``), a frozenset; a ticket's milestone one edit or two away from
      one of them gets a warning in its decision (docs/regulatory.md).
    * ``postmortem``: the ``postmortem:`` section compiled (a
      :class:`~escalate.engine.postmortem.PostmortemDef`), ``None`` when not declared
      (docs/postmortems.md).
    * ``backend``: what decides which rules hold now, ``native`` (each rule's compiled
      condition) unless the policy was bound with :meth:`with_backend` (``durable``; the
      decisions are the same, docs/backends.md); ``matcher`` the bound matcher (``None``:
      native).

    :meth:`messages` renders a decision's audience messages and :meth:`export` gives a
    decision as one audience may read it (docs/notifications.md).

    Assigning any attribute raises ``AttributeError``. Not a value type: policies compare by
    identity (compare ``content_hash`` to tell whether two policies say the same thing).
    """

    __slots__ = (
        "_aliases",
        "_binding",
        "_bound",
        "_matcher",
        "_matrix",
        "_recipe",
        "_renderer",
        "_segment_fields",
        "audiences",
        "calendars",
        "clocks",
        "content_hash",
        "custom_fields",
        "description",
        "directory",
        "empty_values",
        "governance",
        "id",
        "lint_ignores",
        "milestone_names",
        "notifications",
        "paths",
        "pin",
        "positions",
        "postmortem",
        "recurrence",
        "rules",
        "segment",
        "segments",
        "source",
        "status_pages",
        "statuses",
        "vendors",
        "version",
    )

    _aliases: Mapping[str, Mapping[str, str]]
    _binding: Lock
    _bound: dict[str, Policy]
    _matcher: Matcher | None
    _matrix: dict[tuple[str, str], str]
    _recipe: Recipe | None
    _renderer: Renderer | None
    audiences: tuple[AudienceDef, ...]
    calendars: Mapping[str, Calendar]
    clocks: tuple[ClockDef, ...]
    content_hash: str
    custom_fields: Mapping[str, str]
    description: str | None
    directory: Directory
    empty_values: tuple[str, ...]
    governance: GovernanceDef | None
    id: str
    lint_ignores: tuple[LintIgnore, ...]
    milestone_names: frozenset[str]
    notifications: Notifications | None
    paths: tuple[PathDef, ...]
    pin: str
    positions: Mapping[KeyPath, tuple[str, int, int]]
    recurrence: RecurrenceDef | None
    postmortem: PostmortemDef | None
    rules: tuple[RuleDef, ...]
    segment: str | None
    segments: tuple[Segment, ...]
    _segment_fields: tuple[str, ...]
    source: str
    status_pages: StatusPagesDef
    statuses: StatusTable
    vendors: tuple[VendorDef, ...]
    version: str

    def __init__(
        self,
        *,
        id: str,
        version: str,
        description: str | None,
        pin: str,
        priority_matrix: Mapping[str, Mapping[str, str]],
        custom_fields: Mapping[str, str],
        calendars: Mapping[str, Calendar],
        clocks: tuple[ClockDef, ...],
        paths: tuple[PathDef, ...],
        rules: tuple[RuleDef, ...],
        aliases: Mapping[str, Mapping[str, str]],
        directory: Directory,
        content_hash: str,
        source: str,
        statuses: StatusTable = BUILT_IN,
        empty_values: tuple[str, ...] = (),
        segments: tuple[Segment, ...] = (),
        segment: str | None = None,
        positions: Mapping[KeyPath, tuple[str, int, int]] | None = None,
        lint_ignores: tuple[LintIgnore, ...] = (),
        notifications: Notifications | None = None,
        audiences: tuple[AudienceDef, ...] = (),
        renderer: Renderer | None = None,
        status_pages: StatusPagesDef = NO_STATUS_PAGES,
        vendors: tuple[VendorDef, ...] = (),
        governance: GovernanceDef | None = None,
        milestone_names: frozenset[str] = frozenset(),
        recurrence: RecurrenceDef | None = None,
        postmortem: PostmortemDef | None = None,
    ) -> None:
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "version", version)
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "pin", pin)
        object.__setattr__(self, "calendars", FrozenMap(calendars, what="calendar"))
        object.__setattr__(self, "clocks", tuple(clocks))
        object.__setattr__(self, "paths", tuple(paths))
        object.__setattr__(self, "rules", tuple(rules))
        object.__setattr__(self, "_aliases", aliases)
        object.__setattr__(
            self,
            "_matrix",
            {
                (impact, urgency): priority
                for impact, row in priority_matrix.items()
                for urgency, priority in row.items()
            },
        )
        object.__setattr__(
            self,
            "custom_fields",
            FrozenMap(sorted(custom_fields.items()), what="custom field"),
        )
        object.__setattr__(self, "directory", directory)
        object.__setattr__(self, "content_hash", content_hash)
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "statuses", statuses)
        object.__setattr__(self, "empty_values", tuple(empty_values))
        object.__setattr__(self, "segments", tuple(sorted(segments, key=lambda s: s.precedence)))
        object.__setattr__(self, "segment", segment)
        object.__setattr__(self, "positions", FrozenMap(positions or {}, what="key path"))
        object.__setattr__(self, "lint_ignores", tuple(lint_ignores))
        object.__setattr__(self, "notifications", notifications)
        object.__setattr__(self, "status_pages", status_pages)
        object.__setattr__(
            self, "_segment_fields", tuple(sorted({f for s in segments for f in s.fields}))
        )
        object.__setattr__(self, "_recipe", None)
        object.__setattr__(self, "audiences", tuple(audiences))
        object.__setattr__(self, "_renderer", renderer)
        object.__setattr__(self, "vendors", tuple(vendors))
        object.__setattr__(self, "governance", governance)
        object.__setattr__(self, "milestone_names", frozenset(milestone_names))
        object.__setattr__(self, "recurrence", recurrence)
        object.__setattr__(self, "postmortem", postmortem)
        object.__setattr__(self, "_matcher", None)
        object.__setattr__(self, "_bound", {NATIVE: self})
        object.__setattr__(self, "_binding", Lock())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Policy is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Policy is immutable; cannot delete {name!r}")

    def __reduce__(self) -> Recipe:
        """Pickle as the source text the policy was compiled from (see :meth:`_keep_recipe`):
        unpickling compiles it again, into a policy with the same ``content_hash``, ``source``
        and decisions. Compiled conditions are closures, which ``pickle`` cannot hold."""
        if self._recipe is None:
            raise ArgumentError(
                f"policy {self.id!r} cannot be pickled: it was not built by escalate.load or "
                "escalate.loads, so it has no source text to compile again"
            )
        return self._recipe

    def __copy__(self) -> Policy:
        return self  # immutable: a copy would be indistinguishable

    def __deepcopy__(self, memo: object) -> Policy:
        return self

    def _keep_recipe(self, recipe: Recipe) -> None:
        """Record how to build this policy again from its source: ``(function, arguments)``,
        as ``__reduce__`` returns it. Called once, by the loader, as the policy is built
        (and for each segment's policy: the whole policy and the segment's id)."""
        if self._recipe is not None:
            raise AttributeError(f"Policy {self.id!r} already has its recipe")
        object.__setattr__(self, "_recipe", recipe)

    def __repr__(self) -> str:
        segment = "" if self.segment is None else f" segment={self.segment}"
        segments = f" segments={len(self.segments)}" if self.segments else ""
        backend = "" if self._matcher is None else f" backend={self.backend}"
        return (
            f"<Policy {self.id} v{self.version}{segment} clocks={len(self.clocks)} "
            f"paths={len(self.paths)} rules={len(self.rules)}{segments} "
            f"{self.content_hash[:12]}{backend}>"
        )

    # -- terminology ----------------------------------------------------------------------------

    def canonical(self, field: str, value: str | None) -> str | None:
        """Map a source value to the policy's canonical term (``Sev1`` -> ``P1``)."""
        if value is None:
            return None
        table = self._aliases.get(field)
        if table is None:
            return value
        found = table.get(value.strip().casefold())
        if found is None:
            known = sorted(set(table.values()))
            raise TicketError(
                f"{field} value is not known to policy {self.id!r} (known: {', '.join(known)}; "
                f"add an alias under terminology.{field})",
                path=(field,),
                value=value,
            )
        return found

    def priority_of(
        self, ticket: Ticket, raw: str | None, state: TicketState | None = None
    ) -> str | None:
        """The canonical priority: the ticket's own, else impact x urgency from the matrix
        (as of ``state`` when given and ``field-changed`` events change them)."""
        if raw is not None:
            return self.canonical("priority", raw)
        impact, urgency = ticket.impact, ticket.urgency
        changed = ticket.changed_fields
        if state is not None and changed:
            if "impact" in changed:
                impact = cast("str | None", state.field_value("impact"))
            if "urgency" in changed:
                urgency = cast("str | None", state.field_value("urgency"))
        impact = self.canonical("impact", impact)
        urgency = self.canonical("urgency", urgency)
        if impact is None or urgency is None:
            return None
        return self._matrix.get((impact, urgency))

    # -- backends -------------------------------------------------------------------------------

    @property
    def matcher(self) -> Matcher | None:
        """What decides which rules hold now: ``None`` for each rule's compiled condition
        (the native backend), else the matcher :meth:`with_backend` bound."""
        return self._matcher

    @property
    def backend(self) -> str:
        """The name of the backend deciding which rules hold: ``native`` or ``durable``."""
        return backend_name(self._matcher)

    def with_backend(self, backend: str | Matcher | None) -> Policy:
        """This policy, its segments' policies too, with ``backend`` deciding which rules hold
        now: ``"native"`` (each rule's compiled condition, the default), ``"durable"``
        (durable_rules, the ``escalate[durable]`` extra; docs/backends.md) or a
        :class:`~escalate.engine.rules.Matcher`. Every decision is the same whichever backend
        decides; only what it costs differs.

        Compiles the rules for the backend at once: a condition it cannot match exactly is a
        :class:`~escalate.errors.PolicyError` here, and a missing extra a
        :class:`~escalate.errors.MissingExtraError`. The policy bound to a backend name is
        kept, so asking again (or ``evaluate(..., backend="durable")``) costs a lookup and
        shares one compiled matcher.
        """
        root = self._bound[NATIVE]  # the policy as loaded: bindings are made from it
        if backend is None:
            return root
        if not isinstance(backend, str):  # a Matcher object: bound anew, kept by the caller
            return root._bind(resolve_backend(backend), None)
        found = root._bound.get(backend)
        if found is None:
            with root._binding:  # threads binding at once compile one matcher
                found = root._bound.get(backend)
                if found is None:
                    found = root._bind(resolve_backend(backend), backend)
                    root._bound[backend] = found
        return found

    def _bind(self, matcher: Matcher | None, name: str | None) -> Policy:
        """A copy of this (unbound) policy and of its segments' policies whose rules are
        matched by ``matcher``."""
        bound: Policy = object.__new__(Policy)
        for slot in _SLOTS:
            object.__setattr__(bound, slot, getattr(self, slot))
        object.__setattr__(bound, "_matcher", matcher)
        object.__setattr__(bound, "_bound", {NATIVE: self})  # its root: this policy
        segments = tuple(
            replace(s, policy=cast("Policy", s.policy)._bind(matcher, name)) for s in self.segments
        )
        object.__setattr__(bound, "segments", segments)
        # Pickled as the policy it was bound from and the backend: bound again on loading.
        recipe = None
        if self._recipe is not None:
            recipe = (_with_backend, (self, name if name is not None else matcher))
        object.__setattr__(bound, "_recipe", recipe)
        if matcher is not None:
            try:
                matcher.prepare(bound)
            except PolicyError as exc:
                if exc.source is not None or exc.path not in self.positions:
                    raise
                raise exc.located(self.positions[exc.path]) from None
        return bound

    # -- evaluation -----------------------------------------------------------------------------

    def _with(self, backend: str | Matcher | None) -> Policy:
        return self if backend is None else self.with_backend(backend)

    def evaluate(
        self,
        ticket: Ticket | Mapping[str, Any],
        *,
        now: datetime,
        availability: Availability | Mapping[str, Any] | None = None,
        backend: str | Matcher | None = None,
    ) -> Decision:
        """Decide what is due for ``ticket`` at ``now`` (aware). Pure and deterministic.

        ``availability`` says who cannot be reached (out of office, unreachable, temporary
        schedule cover); it is input, never looked up. A ticket given as a mapping is read
        with :meth:`Ticket.from_mapping`, the policy's ``empty_values`` as its empty markers.

        A policy with segments first picks the one that decides the ticket (see
        :meth:`for_ticket`); the decision names it (``Decision.segment``).

        ``backend`` decides which rules hold for this call (see :meth:`with_backend`; the
        decision is the same); ``None``: the policy's own (:attr:`backend`).
        """
        if backend is not None:
            return self.with_backend(backend).evaluate(ticket, now=now, availability=availability)
        ticket = self._ticket(ticket)
        policy: Policy = self
        if self.segments:  # computed at load: a policy without segments pays nothing more
            policy = self.for_ticket(ticket)
        return evaluate_ticket(policy, ticket, now, Availability.from_mapping(availability))

    def replay(
        self,
        ticket: Ticket | Mapping[str, Any],
        *,
        availability: Availability | Mapping[str, Any] | None = None,
        backend: str | Matcher | None = None,
    ) -> TicketReplay:
        """A :class:`~escalate.engine.incremental.TicketReplay` of ``ticket``: decided again at
        each update (:meth:`TicketReplay.update`) and wake-up (:meth:`TicketReplay.decide`),
        each decision the one :meth:`evaluate` gives on the ticket as it stands, at a cost
        that grows with what the update adds, not with the whole history.

        ``ticket`` and ``availability`` are read as :meth:`evaluate` reads them (a mapping
        with this policy's ``empty_values``); ``availability`` holds for every decision;
        ``backend`` decides which rules hold in every decision, as in :meth:`evaluate`.
        """
        policy = self._with(backend)
        return TicketReplay(policy, policy._ticket(ticket), Availability.from_mapping(availability))

    def evaluate_many(
        self,
        tickets: Iterable[Ticket | Mapping[str, Any]],
        *,
        now: datetime,
        availability: Availability | Mapping[str, Any] | None = None,
        backend: str | Matcher | None = None,
    ) -> Iterator[Decision]:
        """Decide every ticket of ``tickets`` at ``now``: an iterator of decisions in input
        order, each the one :meth:`evaluate` gives for that ticket (byte for byte).

        ``tickets`` may be any iterable, a generator of millions included: one ticket is read
        at a time and nothing is kept from one to the next but the sweep's shared work --
        ``availability`` read once, and who each list of targets reaches at an instant (on-call,
        fallbacks, the next hand-offs) remembered, within a bound, for every ticket
        (:mod:`escalate.engine.sweep`). A ticket that does not fit raises the error
        :meth:`evaluate` raises when the iterator reaches it, its message prefixed with the
        ticket's place and id (``sweep item 7 (ticket 'INC7'): ...``); the decisions before it
        were already given and the iterator is finished (a generator that raised yields no
        more): check tickets on the way in when one bad ticket must not stop the rest. ``now``
        and ``availability`` are checked at the call; ``backend`` is as in :meth:`evaluate`.
        """
        policy = self._with(backend)
        shared = policy._sweep(now, availability)
        return (
            policy._evaluate_at(shared, ticket, number) for number, ticket in enumerate(tickets)
        )

    def sweep(
        self,
        tickets: Iterable[tuple[Ticket | Mapping[str, Any], Decision | None]],
        *,
        now: datetime,
        availability: Availability | Mapping[str, Any] | None = None,
        backend: str | Matcher | None = None,
    ) -> Iterator[Swept]:
        """:meth:`evaluate_many` that skips the tickets not due: ``tickets`` are pairs of a
        ticket and its previous decision (``None``: none yet); yields one :class:`Swept` per
        pair, in input order: ``Swept(decision, evaluated)``.

        A pair is checked in O(1) (:meth:`Decision.is_due` with the ticket's event count, the
        length of its ``events``, read without reading the ticket): when the previous decision
        is by this policy (its ``policy_hash`` is this policy's or one of its segments'), has
        seen every event and ``now`` is before its ``next_evaluation_at``, it is yielded again
        with ``evaluated=False`` and the ticket is not read. Otherwise the ticket is evaluated
        (``evaluated=True``), exactly as :meth:`evaluate_many` would. The caller vouches for
        what "no new events" needs (see :meth:`Decision.is_due`): an append-only history and
        the availability the previous decisions were made with.

        A previous decision of another ticket (its ``ticket_id`` is not the ticket's ``id``)
        is an :class:`~escalate.errors.ArgumentError`: the pairs are misaligned. ``backend``
        is as in :meth:`evaluate` (a decision's ``policy_hash`` does not depend on it).
        """
        policy = self._with(backend)
        shared = policy._sweep(now, availability)
        hashes = frozenset({self.content_hash, *(s.policy.content_hash for s in self.segments)})
        return policy._swept(shared, tickets, hashes)

    def _swept(
        self,
        shared: Sweep,
        tickets: Iterable[tuple[Ticket | Mapping[str, Any], Decision | None]],
        hashes: frozenset[str],
    ) -> Iterator[Swept]:
        now = shared.now
        for number, item in enumerate(tickets):
            if not isinstance(item, tuple | list) or len(item) != 2:
                raise ArgumentError(
                    f"sweep item {number}: expected a pair (ticket, previous Decision or None), "
                    f"got {type(item).__name__}"
                )
            ticket, previous = item
            if previous is not None and not isinstance(previous, Decision):
                raise ArgumentError(
                    f"sweep item {number}: the previous decision must be a Decision or None, got "
                    f"{type(previous).__name__} (a stored to_dict() is not one: keep the "
                    "Decision, or keep its next_evaluation_at and event count and call "
                    "Policy.evaluate_many on the tickets due)"
                )
            if previous is not None and previous.policy_hash in hashes:
                given = ticket.id if isinstance(ticket, Ticket) else _mapping_id(ticket)
                if given != previous.ticket_id:
                    raise ArgumentError(
                        f"sweep item {number}: the previous decision is for ticket "
                        f"{previous.ticket_id!r}, the ticket is {given!r} (misaligned pairs?)"
                    )
                count = event_count(ticket)
                if count is not None and not previous._due(now, count):
                    yield Swept(previous, False)
                    continue
            yield Swept(self._evaluate_at(shared, ticket, number), True)

    def _sweep(self, now: datetime, availability: Availability | Mapping[str, Any] | None) -> Sweep:
        """The shared work of one sweep, its arguments checked."""
        return Sweep(checked_utc(now, "now"), Availability.from_mapping(availability))

    def _evaluate_at(
        self, shared: Sweep, ticket: Ticket | Mapping[str, Any], number: int
    ) -> Decision:
        """:meth:`_evaluate_in` for item ``number`` of a sweep: an error names the item."""
        try:
            return self._evaluate_in(shared, ticket)
        except TicketError as exc:
            where = _item(number, ticket)
            raise TicketError(f"{where}: {exc.message}", path=exc.path, value=exc.value) from None
        except EscalateError as exc:
            exc.add_note(_item(number, ticket))
            raise

    def _evaluate_in(self, shared: Sweep, ticket: Ticket | Mapping[str, Any]) -> Decision:
        """:meth:`evaluate` within a sweep: the same decision, the people work shared."""
        ticket = self._ticket(ticket)
        policy: Policy = self
        if self.segments:
            found = select(self, self.segments, self._segment_fields, ticket)
            if found is not None:
                policy = cast(Policy, found.policy)
        return evaluate_ticket(
            policy,
            ticket,
            shared.now,
            shared.availability,
            shared.directory(policy.directory),
        )

    def _ticket(self, ticket: Ticket | Mapping[str, Any]) -> Ticket:
        """``ticket`` as a :class:`Ticket`, a mapping read with this policy's empty markers."""
        if not isinstance(ticket, Ticket) and isinstance(ticket, Mapping):
            return Ticket.from_mapping(ticket, empty=self.empty_values)
        return Ticket.coerce(ticket)

    # -- authority ------------------------------------------------------------------------------

    def authorize(
        self,
        actor: str,
        action: str,
        ticket: Ticket | Mapping[str, Any],
        *,
        at: datetime,
        amount: Decimal | str | None = None,
        availability: Availability | Mapping[str, Any] | None = None,
    ) -> Authorization:
        """Whether ``actor`` may take ``action`` on ``ticket`` at ``at`` (aware), and on what
        grounds (:class:`~escalate.engine.authority.Authorization`; docs/governance.md).

        Authority is the person's own ``authority`` labels, those of the roles they fill at
        ``at``, and those of the level each path is at at ``at`` for the people it pages: what
        the actor held just before acting, so the ticket is evaluated at ``at`` with its
        events strictly before ``at`` (an override never authorises itself), as the engine's
        override checks do (one function answers both).
        ``action`` is ``override-escalation``, ``pause-clock``, ``approve-emergency-change``,
        ``engage-vendor``, ``spend`` (with ``amount``: a ``Decimal`` or a string such as
        ``'250.00'`` or ``'250.00 EUR'``, checked against ``spend_limit``) or any custom label.
        An actor the directory does not know is refused, not an error.
        """
        at = checked_utc(at, "at")
        check_action(action, amount)
        labels = self._authority_labels()
        if action not in ACTIONS and action not in labels:
            guess = action_near_miss(action) or next(
                iter(difflib.get_close_matches(action, sorted(labels), n=1)), None
            )
            hint = f" (did you mean {guess!r}?)" if guess else ""
            raise ArgumentError(
                f"action {action!r} is neither one escalate names ({', '.join(ACTIONS)}) nor "
                f"a label the policy declares{hint}"
            )
        ticket = self._ticket(ticket)
        policy: Policy = self.for_ticket(ticket) if self.segments else self
        free = Availability.from_mapping(availability)

        def standing(before: Ticket, when: datetime) -> Standing:
            decision = evaluate_ticket(policy, before, when, free)
            checks = () if decision.governance is None else decision.governance.overrides
            return decision._path_pairs, checks

        return authority_before(
            policy.directory,
            ticket,
            standing,
            policy.paths,
            actor,
            action,
            at=at,
            amount=amount,
            availability=free,
        )

    def _authority_labels(self) -> frozenset[str]:
        """Every ``authority`` label the policy (and its segments) declares: of people, roles
        and path levels."""
        found: set[str] = set()
        for policy in (self, *(cast(Policy, s.policy) for s in self.segments)):
            directory = policy.directory
            for person in directory.people.values():
                found.update(person.authority)
            for role in directory.roles.values():
                found.update(role.authority)
            for path in policy.paths:
                for level in path.levels:
                    found.update(level.authority)
        return frozenset(found)

    # -- audience messages ----------------------------------------------------------------------

    def messages(
        self,
        decision: Decision,
        *,
        availability: Availability | Mapping[str, Any] | None = None,
    ) -> tuple[Message, ...]:
        """The messages of ``decision``'s due ``notify`` actions that name a template the
        policy declares, in the order of the actions, each rendered for its audience with the
        audience's redaction (see docs/notifications.md). Deterministic: the same decision
        gives the same bytes. Not on the evaluate path: rendering happens only here.

        ``decision`` must come from this policy (or one of its segments); ``availability``
        is what resolving a point of contact sees (as for :meth:`evaluate`). A message whose
        point of contact names nobody or more than one person, or whose template fails at
        render time (a sandbox violation, a size or work limit), raises
        :class:`~escalate.errors.MessageError` naming the action and the template.
        """
        chosen = self._deciding(decision)
        return chosen._render().messages(decision, Availability.from_mapping(availability))

    def export(
        self, decision: Decision, *, audience: str, vendor: str | None = None
    ) -> dict[str, Any]:
        """``decision.to_dict()`` as ``audience`` may read it: the ticket's classified values
        that audience may not read removed everywhere (actions, notes, trace), actions for
        other audiences left out, and for an audience other than ``internal`` the rule trace,
        the vendor states, the governance flags and the post-mortem follow-up left out (see
        docs/notifications.md, "Redaction").

        For the ``vendor`` audience of a policy that declares vendors, ``vendor`` names the
        vendor it is for (required) and the result is that vendor's view: the fields its
        ``data_sharing`` lists and its own state only (:meth:`vendor_view`, docs/vendors.md,
        "Data sharing"). A vendor not engaged on the ticket, and not in an earlier cycle of
        it, receives nothing: :class:`~escalate.errors.ArgumentError` naming the ticket and
        the vendor."""
        chosen = self._deciding(decision)
        if vendor is not None and audience != "vendor":
            raise ArgumentError(
                f"vendor={vendor!r} is for audience 'vendor' only, not {audience!r}"
            )
        if audience == "vendor" and (chosen.vendors or vendor is not None):
            found = next((v for v in chosen.vendors if v.id == vendor), None)
            if found is None:
                known = ", ".join(v.id for v in chosen.vendors) or "none"
                raise ArgumentError(
                    f"policy {self.id!r} declares vendors: the vendor audience's export is "
                    "for one vendor: name it (vendor=, --vendor on the command line; vendors: "
                    f"{known})"
                    if vendor is None
                    else f"policy {self.id!r} has no vendor {vendor!r} (vendors: {known})"
                )
            state = next((v for v in decision.vendors or () if v.vendor == found.id), None)
            if state is None or not (state.engaged or state.earlier):
                raise ArgumentError(
                    f"ticket {decision.ticket_id!r}: vendor {found.id!r} is not engaged on it "
                    "and was not in an earlier cycle: a vendor receives nothing about such a "
                    "ticket (docs/vendors.md, 'Data sharing')"
                )
            exported = chosen._render().export(decision, audience, own_vendor=found.id)
            return vendor_view(exported, found)
        return chosen._render().export(decision, audience)

    def vendor_view(self, decision: Decision, vendor: str) -> dict[str, Any]:
        """What vendor ``vendor`` may receive of ``decision``: the ticket's id and only the
        fields its contract's ``data_sharing.fields`` lists (masked and scrubbed by the
        ``vendor`` audience's redaction profile, as :meth:`export` does), its own state and
        the joint procedures; nothing else (docs/vendors.md, "Data sharing"). The same as
        ``export(decision, audience="vendor", vendor=vendor)``: refused
        (:class:`~escalate.errors.ArgumentError`) for a vendor not engaged on the ticket now
        nor in an earlier cycle of it."""
        return self.export(decision, audience="vendor", vendor=vendor)

    @property
    def points_of_contact(self) -> Mapping[str, tuple[str, ...]]:
        """Each audience that names a point of contact (``audiences.<a>.point_of_contact``),
        and its contacts in the order they are tried (read-only)."""
        renderer = self._renderer
        found = {} if renderer is None else renderer.contacts
        return FrozenMap(found, what="audience")

    @property
    def classification(self) -> Mapping[str, str]:
        """The policy's ``classification:`` (field path -> class, e.g.
        ``{"fields.patient_name": "health"}``), sorted by path (read-only): what
        :func:`escalate.learning.case_study` pseudonymises, and redaction hides."""
        renderer = self._renderer
        found = {} if renderer is None else renderer.classification
        return FrozenMap(found, what="classified field")

    def _render(self) -> Renderer:
        renderer = self._renderer
        if renderer is None:
            raise ArgumentError(
                f"policy {self.id!r} was not compiled by escalate.load or escalate.loads: it "
                "cannot render messages"
            )
        return renderer

    def _deciding(self, decision: object) -> Policy:
        """The policy (this one or a segment's) that made ``decision``."""
        if not isinstance(decision, Decision):
            raise ArgumentError(f"expected a Decision, got {type(decision).__name__}")
        if decision.policy_hash != self.content_hash:
            raise ArgumentError(
                f"the decision was made by another policy ({decision.policy_id!r} "
                f"v{decision.policy_version}, hash {decision.policy_hash[:12]}), not by "
                f"{self.id!r} v{self.version} ({self.content_hash[:12]})"
            )
        if decision.segment == self.segment:
            return self
        for found in self.segments:
            if found.id == decision.segment:
                return cast(Policy, found.policy)
        raise ArgumentError(
            f"the decision names segment {decision.segment!r}, which policy {self.id!r} "
            "does not have"
        )

    def for_ticket(self, ticket: Ticket | Mapping[str, Any]) -> Policy:
        """The compiled policy that decides ``ticket``: that of the first segment (in
        precedence order) whose ``when`` holds for it, else this policy itself.

        Segments are chosen by the ticket's fields as they are now (its top-level fields),
        and the chosen policy decides the whole ticket, from its opening: a ticket moved to
        another business unit is decided as if it had always been there.
        """
        ticket = self._ticket(ticket)
        found = select(self, self.segments, self._segment_fields, ticket)
        if found is None:
            return self
        chosen = found.policy
        assert isinstance(chosen, Policy)
        return chosen


#: Every attribute of a Policy, which a bound copy takes over (then replaces a few).
_SLOTS: tuple[str, ...] = Policy.__slots__


def _with_backend(policy: Policy, backend: str | Matcher) -> Policy:
    """Unpickle a policy bound to a backend: the policy as loaded, bound again."""
    return policy.with_backend(backend)


def _mapping_id(ticket: Mapping[str, Any] | object) -> object:
    """A ticket mapping's ``id`` as given (unread: compared with a previous decision's)."""
    return ticket.get("id") if isinstance(ticket, Mapping) else None


def _item(number: int, ticket: object) -> str:
    """Where a sweep's bad ticket is: its place in the input, and its id when it has one."""
    given = ticket.id if isinstance(ticket, Ticket) else _mapping_id(ticket)
    return f"sweep item {number}" + (f" (ticket {given!r})" if given is not None else "")
