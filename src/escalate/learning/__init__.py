"""Learning from escalations over many tickets: KPIs, recurrence, patterns, case studies.

Pure functions; input order never matters.

See :mod:`escalate.learning.kpis` for the KPI definitions, :mod:`escalate.learning.recurrence`
for fingerprints, "recurred within N days after a fix" and the counts a policy's
``recurrence:`` fields take (``with_recurrences``), :mod:`escalate.learning.patterns`
and :mod:`escalate.learning.casestudy`.
"""

from escalate.learning.casestudy import WITHHELD, case_study, pseudonym
from escalate.learning.kpis import (
    KpiGroup,
    KpiReport,
    Stats,
    TicketFacts,
    decision_facts,
    facts_of,
    kpis,
    ticket_facts,
)
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
from escalate.learning.recurrence import (
    Recurrence,
    fingerprint,
    recurrence_counts,
    recurrence_fields,
    recurrence_values,
    recurrences,
    with_recurrences,
)

__all__ = [
    "WEEKDAYS",
    "WITHHELD",
    "Chain",
    "GroupBreaches",
    "HotSpot",
    "HotSpots",
    "IdleTier",
    "KpiGroup",
    "KpiReport",
    "PingPong",
    "Recurrence",
    "Stats",
    "TicketFacts",
    "breach_by_group",
    "case_study",
    "chains_of",
    "decision_facts",
    "facts_of",
    "fingerprint",
    "group_sequence",
    "hot_spots",
    "idle_tiers",
    "kpis",
    "ping_pong",
    "ping_pong_chains",
    "pseudonym",
    "recurrence_counts",
    "recurrence_fields",
    "recurrence_values",
    "recurrences",
    "ticket_facts",
    "with_recurrences",
]
