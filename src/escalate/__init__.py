"""escalate: a deterministic rules engine for escalation management.

The public surface is re-exported here; everything else is an implementation detail.
"""

from escalate.calendars.calendar import Calendar
from escalate.calendars.timewindow import TimeWindow
from escalate.engine.compiled import Policy
from escalate.engine.decision import Action, Decision
from escalate.engine.ticket import Event, Ticket
from escalate.errors import (
    CalendarRangeError,
    EscalateError,
    NaiveDatetimeError,
    PolicyError,
    TicketError,
)
from escalate.people.availability import Availability
from escalate.people.schedule import Schedule, Shift
from escalate.policy.loader import load, loads

__all__ = [
    "Action",
    "Availability",
    "Calendar",
    "CalendarRangeError",
    "Decision",
    "EscalateError",
    "Event",
    "NaiveDatetimeError",
    "Policy",
    "PolicyError",
    "Schedule",
    "Shift",
    "Ticket",
    "TicketError",
    "TimeWindow",
    "load",
    "loads",
]
