"""escalate: a deterministic rules engine for escalation management.

The public surface is re-exported here; everything else is an implementation detail.
"""

from .calendar import Calendar
from .errors import (
    CalendarRangeError,
    EscalateError,
    NaiveDatetimeError,
    PolicyError,
    TicketError,
)
from .timewindow import TimeWindow

__all__ = [
    "Calendar",
    "CalendarRangeError",
    "EscalateError",
    "NaiveDatetimeError",
    "PolicyError",
    "TicketError",
    "TimeWindow",
]
