"""The compiled rules of a policy, and what the engine reads of a policy.

The compiler (:mod:`escalate.policy.compiler`) builds these from validated YAML; the engine
only reads them. They are plain frozen values: no parsing or validation happens here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from escalate._frozen import FrozenMap
from escalate.engine.actions import ActionDef, StatusPagesDef
from escalate.engine.audiences import AudienceDef
from escalate.engine.clocks import ClockDef
from escalate.engine.conditions import TIME, Condition
from escalate.engine.contracts import VendorDef
from escalate.engine.governance import GovernanceDef
from escalate.engine.paths import PathDef
from escalate.engine.plans import Notifications
from escalate.engine.postmortem import PostmortemDef
from escalate.engine.statuses import StatusTable
from escalate.engine.ticket import Ticket, TicketState
from escalate.people.directory import Directory

__all__ = ["Matcher", "PolicyView", "RuleDef"]

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class RuleDef:
    """A compiled rule, as :attr:`escalate.Policy.rules` lists it. Read-only.

    ``id`` is the rule's stable YAML id; ``order`` its position in the file; ``rank`` its
    position in the declared precedence (``priority``, then file order); ``when`` the compiled
    condition; ``actions`` what it emits; ``moves_paths`` whether any action asks a path to
    move; ``final`` whether a match shadows the rules ranked after it; ``reads_paths`` whether
    the condition reads path levels (such rules run after the paths); ``fields`` and
    ``clock_leaves`` the ticket fields and clock comparisons the condition reads;
    ``rationale`` the YAML ``rationale:``; ``positions`` maps each key path of the rule to its
    ``(file, line, column)``; ``risks`` the rule's sorted risk classes (``risk:``);
    ``reads_postmortem`` whether the condition reads ``postmortem.*`` facts (such rules run
    after the post-mortem follow-up, docs/postmortems.md).

    Equality compares every field; the hash uses the rule's identity in its policy (id, file
    position and rank), which equal rules share.
    """

    id: str
    order: int
    rank: int
    priority: int
    when: Condition
    actions: tuple[ActionDef, ...]
    moves_paths: bool
    final: bool
    reads_paths: bool
    fields: tuple[str, ...]
    clock_leaves: tuple[str, ...]
    rationale: str | None
    positions: Mapping[Path, tuple[str, int, int]]
    risks: tuple[str, ...] = ()
    reads_postmortem: bool = False
    # Derived once, read on every evaluation: whether the condition tests the time
    # (``within:``) and whether the rule has actions of its own (not only path moves).
    reads_time: bool = field(init=False, repr=False)
    direct: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Built once per policy: freezing here costs nothing at evaluation.
        if not isinstance(self.positions, FrozenMap):
            object.__setattr__(self, "positions", FrozenMap(self.positions, what="key path"))
        object.__setattr__(self, "reads_time", TIME in self.fields)
        object.__setattr__(self, "direct", any(a.path is None for a in self.actions))

    def __hash__(self) -> int:
        # Not the fields: a condition may hold a list (an ``in:`` operand) or a closure.
        return hash((self.id, self.order, self.rank, self.priority))


class PolicyView(Protocol):
    """What the engine reads of a compiled policy.

    :class:`escalate.Policy` is the one implementation; the engine names this protocol instead
    so that it never imports the class that calls it.
    """

    @property
    def id(self) -> str:
        """The policy's id."""
        ...

    @property
    def version(self) -> str:
        """The policy's version."""
        ...

    @property
    def content_hash(self) -> str:
        """The policy's content hash."""
        ...

    @property
    def segment(self) -> str | None:
        """The segment this policy was compiled for (``None``: the policy as written)."""
        ...

    @property
    def clocks(self) -> tuple[ClockDef, ...]:
        """The compiled clocks, in declaration order."""
        ...

    @property
    def paths(self) -> tuple[PathDef, ...]:
        """The compiled paths, in declaration order."""
        ...

    @property
    def rules(self) -> tuple[RuleDef, ...]:
        """The compiled rules, in declared precedence."""
        ...

    @property
    def audiences(self) -> tuple[AudienceDef, ...]:
        """The audiences with an update cadence, in name order."""
        ...

    @property
    def vendors(self) -> tuple[VendorDef, ...]:
        """The vendor contracts, by id (empty: the policy declares none)."""
        ...

    @property
    def directory(self) -> Directory:
        """The people, teams, roles and schedules the policy names."""
        ...

    @property
    def notifications(self) -> Notifications | None:
        """The channels and notification plans (``None``: the policy declares no plan)."""
        ...

    @property
    def statuses(self) -> StatusTable:
        """The statuses tickets may be in: canonical names, categories, aliases."""
        ...

    @property
    def status_pages(self) -> StatusPagesDef:
        """The pacing of status-page intents and the update on resolution."""
        ...

    @property
    def governance(self) -> GovernanceDef | None:
        """The ``governance:`` section compiled (``None``: not declared; the stage is off)."""
        ...

    @property
    def postmortem(self) -> PostmortemDef | None:
        """The ``postmortem:`` section compiled (``None``: not declared; the stage is off)."""
        ...

    @property
    def matcher(self) -> Matcher | None:
        """What decides which rules hold now (``None``: their compiled conditions)."""
        ...

    @property
    def custom_fields(self) -> Mapping[str, str]:
        """The declared custom ticket fields and their types."""
        ...

    @property
    def milestone_names(self) -> frozenset[str]:
        """The milestone names the policy reads (triggers, ``judged_at``, conditions,
        ``<vendor>-resolved``): a ticket's near miss of one is a warning."""
        ...

    def canonical(self, field: str, value: str | None) -> str | None:
        """Map a source value to the policy's canonical term."""
        ...

    def priority_of(
        self, ticket: Ticket, raw: str | None, state: TicketState | None = None
    ) -> str | None:
        """The canonical priority of ``ticket`` given its raw priority (and, when given, the
        state whose impact and urgency apply)."""
        ...


class Matcher(Protocol):
    """Decides which of a policy's rules hold on one instant's facts (docs/backends.md).

    ``matching`` gets the policy, the rules of one pass of the rule stage (in declared
    precedence) and the facts of now (the mapping the compiled conditions read), and returns
    the ids of the rules whose conditions hold. It must answer exactly what
    ``rule.when.check(facts)`` answers for each rule, and be safe to call from several
    threads at once. ``prepare`` compiles what a policy needs when the policy is bound to the
    matcher, raising :class:`~escalate.errors.PolicyError` for a condition it cannot match.
    ``name`` names the backend.
    """

    @property
    def name(self) -> str:
        """The backend's name (``durable``)."""
        ...

    def prepare(self, policy: PolicyView) -> None:
        """Compile what ``policy``'s rules need; refuse what this matcher cannot match."""
        ...

    def matching(
        self, policy: PolicyView, rules: Sequence[RuleDef], facts: Mapping[str, Any]
    ) -> frozenset[str]:
        """The ids of the ``rules`` whose conditions hold on ``facts``."""
        ...
