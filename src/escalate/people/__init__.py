"""People: the directory of people, teams and roles, on-call schedules and availability.

Built on :mod:`escalate.calendars`; knows nothing of tickets or policies.
"""

from escalate.people.availability import Availability
from escalate.people.directory import Directory, Person, Resolution, Role, Team
from escalate.people.schedule import Schedule, Shift

__all__ = [
    "Availability",
    "Directory",
    "Person",
    "Resolution",
    "Role",
    "Schedule",
    "Shift",
    "Team",
]
