"""Learning from escalations: KPIs and recurrence over many tickets (pure functions).

See :mod:`escalate.learning.kpis` for the definitions and :mod:`escalate.learning.recurrence`
for fingerprints and "recurred within N days after a fix".
"""

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
from escalate.learning.recurrence import Recurrence, fingerprint, recurrence_counts, recurrences

__all__ = [
    "KpiGroup",
    "KpiReport",
    "Recurrence",
    "Stats",
    "TicketFacts",
    "decision_facts",
    "facts_of",
    "fingerprint",
    "kpis",
    "recurrence_counts",
    "recurrences",
    "ticket_facts",
]
