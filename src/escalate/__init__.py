"""escalate: a deterministic rules engine for escalation management.

The public surface is re-exported here; everything else is an implementation detail. Every
object escalate returns is immutable: attributes cannot be assigned, mappings are read-only
and sequences are tuples. The value types (:class:`Action`, :class:`RuleResult`, :class:`Withdrawn`,
:class:`Governance`, :class:`OverrideCheck`, :class:`Authorization`, :class:`PathState`,
:class:`Postmortem`, :class:`PostmortemItem`,
:class:`Finding`, :class:`Event`, :class:`Shift`, :class:`Resolution`, :class:`Message` and
the compiled definitions) are also hashable and compare by value;
:class:`Policy`, :class:`Decision`, :class:`ClockState` and :class:`Simulation` compare by
identity. The what-if tools (:func:`simulate` here; ``diff`` and snapshots too) live in
:mod:`escalate.whatif`; :func:`replay`, a ServiceNow log replayed through a policy, lives with
the ServiceNow adapter in :mod:`escalate.adapters.servicenow`.
"""

from escalate._version import __version__
from escalate.adapters.servicenow import replay
from escalate.calendars.calendar import Calendar
from escalate.calendars.timewindow import TimeWindow
from escalate.engine.actions import ActionDef
from escalate.engine.authority import Authorization
from escalate.engine.clocks import ClockDef, ClockState
from escalate.engine.compiled import LintIgnore, Policy
from escalate.engine.contracts import PenaltyState, VendorClock, VendorDef, VendorState
from escalate.engine.decision import Action, Decision, RuleResult, Withdrawn
from escalate.engine.governance import Governance, OverrideCheck
from escalate.engine.incremental import TicketReplay
from escalate.engine.messages import Message
from escalate.engine.paths import LevelDef, PathDef, PathState
from escalate.engine.postmortem import Postmortem, PostmortemDef, PostmortemItem
from escalate.engine.rules import RuleDef
from escalate.engine.segments import Segment
from escalate.engine.sweep import Swept
from escalate.engine.ticket import Event, Ticket, TicketState
from escalate.errors import (
    ArgumentError,
    CalendarRangeError,
    CaseError,
    DurableError,
    EscalateError,
    ExportLimitError,
    InstantRangeError,
    MessageError,
    MissingExtraError,
    NaiveDatetimeError,
    PolicyError,
    PolicyErrors,
    TicketError,
)
from escalate.governance.vendors import VendorPerformance, vendor_performance
from escalate.people.availability import Availability
from escalate.people.directory import Directory, Person, Resolution, Role, Team
from escalate.people.schedule import Schedule, Shift
from escalate.policy.lint import Finding, lint
from escalate.policy.loader import load, loads
from escalate.whatif.simulate import Simulation, simulate

__all__ = [
    "Action",
    "ActionDef",
    "ArgumentError",
    "Authorization",
    "Availability",
    "Calendar",
    "CalendarRangeError",
    "CaseError",
    "ClockDef",
    "ClockState",
    "Decision",
    "Directory",
    "DurableError",
    "EscalateError",
    "Event",
    "ExportLimitError",
    "Finding",
    "Governance",
    "InstantRangeError",
    "LevelDef",
    "LintIgnore",
    "Message",
    "MessageError",
    "MissingExtraError",
    "NaiveDatetimeError",
    "OverrideCheck",
    "PathDef",
    "PathState",
    "PenaltyState",
    "Person",
    "Policy",
    "PolicyError",
    "PolicyErrors",
    "Postmortem",
    "PostmortemDef",
    "PostmortemItem",
    "Resolution",
    "Role",
    "RuleDef",
    "RuleResult",
    "Schedule",
    "Segment",
    "Shift",
    "Simulation",
    "Swept",
    "Team",
    "Ticket",
    "TicketError",
    "TicketReplay",
    "TicketState",
    "TimeWindow",
    "VendorClock",
    "VendorDef",
    "VendorPerformance",
    "VendorState",
    "Withdrawn",
    "__version__",
    "lint",
    "load",
    "loads",
    "replay",
    "simulate",
    "vendor_performance",
]
