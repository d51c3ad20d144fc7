"""Time: business-hours calendars, time windows, instants, holidays and durations.

The lowest stage: it knows nothing of tickets, people or policies.
"""

from escalate.calendars.calendar import Calendar
from escalate.calendars.timewindow import TimeWindow

__all__ = ["Calendar", "TimeWindow"]
