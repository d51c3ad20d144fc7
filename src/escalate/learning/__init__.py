"""Learning from escalations: patterns over many tickets and anonymised case studies.

See :mod:`escalate.learning.patterns` and :mod:`escalate.learning.casestudy`.
"""

from escalate.learning.casestudy import WITHHELD, case_study, pseudonym
from escalate.learning.patterns import (
    WEEKDAYS,
    Chain,
    GroupBreaches,
    HotSpot,
    HotSpots,
    IdleTier,
    PingPong,
    breach_by_group,
    chains_of,
    group_sequence,
    hot_spots,
    idle_tiers,
    ping_pong,
    ping_pong_chains,
)

__all__ = [
    "WEEKDAYS",
    "WITHHELD",
    "Chain",
    "GroupBreaches",
    "HotSpot",
    "HotSpots",
    "IdleTier",
    "PingPong",
    "breach_by_group",
    "case_study",
    "chains_of",
    "group_sequence",
    "hot_spots",
    "idle_tiers",
    "ping_pong",
    "ping_pong_chains",
    "pseudonym",
]
