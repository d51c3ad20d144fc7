"""Learning from escalations: patterns over many tickets and anonymised case studies.

See :mod:`escalate.learning.patterns` and :mod:`escalate.learning.casestudy`.
"""

from escalate.learning.casestudy import WITHHELD, case_study, pseudonym
from escalate.learning.patterns import (
    WEEKDAYS,
    GroupBreaches,
    HotSpot,
    HotSpots,
    IdleTier,
    PingPong,
    breach_by_group,
    group_sequence,
    hot_spots,
    idle_tiers,
    ping_pong,
)

__all__ = [
    "WEEKDAYS",
    "WITHHELD",
    "GroupBreaches",
    "HotSpot",
    "HotSpots",
    "IdleTier",
    "PingPong",
    "breach_by_group",
    "case_study",
    "group_sequence",
    "hot_spots",
    "idle_tiers",
    "ping_pong",
    "pseudonym",
]
