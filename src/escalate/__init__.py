"""escalate: a deterministic rules engine for escalation management.

The public surface is re-exported here; everything else is an implementation detail.
"""

from .calendar import Calendar
from .decision import Action, Decision
from .directory import Availability
from .errors import (
    CalendarRangeError,
    EscalateError,
    NaiveDatetimeError,
    PolicyError,
    TicketError,
)
from .loader import load, loads
from .policy import Policy
from .schedule import Schedule, Shift
from .ticket import Event, Ticket
from .timewindow import TimeWindow

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
