"""Learning from escalations over many tickets: KPIs, recurrence, patterns, case studies.

Pure functions; input order never matters.

See :mod:`escalate.learning.kpis` for the KPI definitions, :mod:`escalate.learning.recurrence`
for fingerprints, "recurred within N days after a fix" and the counts a policy's
``recurrence:`` fields take (``with_recurrences``), :mod:`escalate.learning.patterns`
and :mod:`escalate.learning.casestudy`. What a ticket's end, fix, cycle, acknowledgement and
escalation are is defined once, in :mod:`escalate.learning._history`, for all of them.
"""

from escalate.learning.casestudy import WITHHELD, case_study, pseudonym
from escalate.learning.kpis import (
    CycleFacts,
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
    BREACH_ALARM,
    HOT_FACTOR,
    MIN_TICKETS,
    WEEKDAYS,
    Chain,
    GroupBreaches,
    HotSpot,
    HotSpots,
    IdleTier,
    Loop,
    PingPong,
    breach_by_group,
    chains_of,
    group_sequence,
    hot_spots,
    idle_tiers,
    loops_of,
    ping_pong,
    ping_pong_chains,
    ping_pong_loops,
)
from escalate.learning.postmortems import OwnerOverdue, PostmortemKpis, postmortem_kpis
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
    "BREACH_ALARM",
    "HOT_FACTOR",
    "MIN_TICKETS",
    "WEEKDAYS",
    "WITHHELD",
    "Chain",
    "CycleFacts",
    "GroupBreaches",
    "HotSpot",
    "HotSpots",
    "IdleTier",
    "KpiGroup",
    "KpiReport",
    "Loop",
    "OwnerOverdue",
    "PingPong",
    "PostmortemKpis",
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
    "loops_of",
    "ping_pong",
    "ping_pong_chains",
    "ping_pong_loops",
    "postmortem_kpis",
    "pseudonym",
    "recurrence_counts",
    "recurrence_fields",
    "recurrence_values",
    "recurrences",
    "ticket_facts",
    "with_recurrences",
]
