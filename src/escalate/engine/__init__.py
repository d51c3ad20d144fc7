"""The engine: tickets and their history, conditions, clocks, paths, evaluation, decisions.

Pure and deterministic: no I/O, no clock reads. It runs a compiled :class:`Policy`; building
one from YAML is :mod:`escalate.policy`'s job. Exported here: the policy and its compiled
definitions (clocks with their triggers, targets, scoped ``Definition`` values and rungs;
paths and levels; rules with their conditions, ``Leaf`` and ``Node``; actions; the status
table; channels and notification plans; the status-page settings), the ticket, and the
decision with the states it carries (audience cadences and the post-mortem too), and the
rendered ``Message`` value.
"""

from escalate.engine.actions import ActionDef, StatusPagesDef
from escalate.engine.audiences import AudienceDef, Communication
from escalate.engine.clocks import ClockDef, ClockState, Definition, Rung, Target, Trigger
from escalate.engine.compiled import Policy
from escalate.engine.conditions import Leaf, Node
from escalate.engine.contracts import (
    ClauseDef,
    ContactDef,
    PenaltyState,
    ProcedureDef,
    VendorClock,
    VendorDef,
    VendorState,
)
from escalate.engine.decision import Action, Decision, RuleResult, Withdrawn
from escalate.engine.messages import Message
from escalate.engine.paths import LevelDef, PathDef, PathState
from escalate.engine.plans import Channel, NotificationPlan, Notifications, PlanStep
from escalate.engine.postmortem import Postmortem, PostmortemDef, PostmortemItem
from escalate.engine.recurrence import RecurrenceDef
from escalate.engine.rules import RuleDef
from escalate.engine.statuses import StatusTable
from escalate.engine.ticket import Customer, Event, Ticket, TicketState

__all__ = [
    "Action",
    "ActionDef",
    "AudienceDef",
    "Channel",
    "ClauseDef",
    "ClockDef",
    "ClockState",
    "Communication",
    "ContactDef",
    "Customer",
    "Decision",
    "Definition",
    "Event",
    "Leaf",
    "LevelDef",
    "Message",
    "Node",
    "NotificationPlan",
    "Notifications",
    "PathDef",
    "PathState",
    "PenaltyState",
    "PlanStep",
    "Policy",
    "Postmortem",
    "PostmortemDef",
    "PostmortemItem",
    "ProcedureDef",
    "RecurrenceDef",
    "RuleDef",
    "RuleResult",
    "Rung",
    "StatusPagesDef",
    "StatusTable",
    "Target",
    "Ticket",
    "TicketState",
    "Trigger",
    "VendorClock",
    "VendorDef",
    "VendorState",
    "Withdrawn",
]
