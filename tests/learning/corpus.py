"""A five-ticket corpus with every instant worked by hand, shared by the learning tests.

Policy: ``response`` stops at an acknowledgement (P1 30m, P3 4h), ``resolution`` at
resolution (P1 4h, P3 24h); the vertical on-open path ``desk`` goes L1 -(1h)-> L2 -(2h)-> L3,
an acknowledgement holding the level it finds. All instants UTC, evaluated at NOW.

* T1 P1 mail/outage/smtp, desk: opened Mon 03-04 08:00, ack 08:10, resolved 09:00.
  Never escalated; 1h at L1; no breach.
* T2 P1 mail/outage/smtp: opened 03-04 10:00 to desk, reassigned to network 10:30, L2 at
  11:00 (1h without ack), ack 12:30 (holds L2: no L3), resolved 15:00. MTTA 2h30m (response
  breached), MTTR 5h (resolution breached); 1h at L1, 4h at L2 (11:00-15:00).
* T3 P3 db/slow/query, desk: opened Tue 03-05 09:00, ack 09:30, resolved 11:00, reopened
  12:00, ack 12:15, resolved 14:00. MTTA 30m, MTTR 2h (the first resolution); one reopen;
  two cycles, each 2h at L1 (09:00-11:00, 12:00-14:00): 4h at L1; no breach.
* T4 P3 db/slow/query, network: opened Wed 03-06 23:30, never acknowledged nor resolved:
  L2 Thu 00:30 (1h), L3 02:30 (3h), still there at NOW (Sun 03-10 00:00): 1h at L1, 2h at
  L2, 69h30m at L3; both clocks breached; open, 3d0h30m old at NOW.
* T5 P1 mail (no category), desk: opened Fri 03-08 12:00, ack 12:05, resolved 12:45.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from escalate import loads

NOW = datetime(2024, 3, 10, tzinfo=UTC)

POLICY_TEXT = """
policy: kpis
version: 1
clocks:
  response:
    stop: {event: acknowledged}
    targets:
      P1: {within: 30m}
      P3: {within: 4h}
  resolution:
    stop: {status: [resolved, closed, cancelled]}
    targets:
      P1: {within: 4h}
      P3: {within: 24h}
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:desk"], after: 1h}
      - {name: L2, targets: ["team:second-line"], after: 2h}
      - {name: L3, targets: ["team:owners"]}
"""
POLICY = loads(POLICY_TEXT)


def ev(at: str, kind: str, **data: Any) -> dict[str, Any]:
    return {"at": f"2024-03-{at}:00Z", "type": kind, **data}


def ticket(
    id_: str, opened: str, priority: str, *events: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    return {
        "id": id_,
        "opened_at": f"2024-03-{opened}:00Z",
        "priority": priority,
        **fields,
        "events": list(events),
    }


MAIL = {"service": "mail", "category": "outage", "subcategory": "smtp"}
DB = {"service": "db", "category": "slow", "subcategory": "query"}

TICKETS = [
    ticket(
        "T1",
        "04T08:00",
        "P1",
        ev("04T08:00", "assigned", group="desk"),
        ev("04T08:10", "acknowledged", actor="ann"),
        ev("04T09:00", "resolved"),
        **MAIL,
    ),
    ticket(
        "T2",
        "04T10:00",
        "P1",
        ev("04T10:00", "assigned", group="desk"),
        ev("04T10:30", "assigned", group="network"),
        ev("04T12:30", "acknowledged", actor="bob"),
        ev("04T15:00", "resolved"),
        **MAIL,
    ),
    ticket(
        "T3",
        "05T09:00",
        "P3",
        ev("05T09:00", "assigned", group="desk"),
        ev("05T09:30", "acknowledged", actor="ann"),
        ev("05T11:00", "resolved"),
        ev("05T12:00", "reopened"),
        ev("05T12:15", "acknowledged", actor="ann"),
        ev("05T14:00", "resolved"),
        **DB,
    ),
    ticket(
        "T4",
        "06T23:30",
        "P3",
        ev("06T23:30", "assigned", group="network"),
        **DB,
    ),
    ticket(
        "T5",
        "08T12:00",
        "P1",
        ev("08T12:00", "assigned", group="desk"),
        ev("08T12:05", "acknowledged", actor="cy"),
        ev("08T12:45", "resolved"),
        service="mail",
    ),
]

#: The corpus policy with clocks that start a new cycle on a reopen (as the shipped pack's do).
REOPENING = loads(
    """
policy: kpis-reopening
version: 1
clocks:
  response:
    stop: {event: acknowledged}
    new_cycle_on: [reopened]
    targets:
      P1: {within: 30m}
      P3: {within: 4h}
  resolution:
    stop: {status: [resolved, closed, cancelled]}
    new_cycle_on: [reopened]
    targets:
      P1: {within: 4h}
      P3: {within: 24h}
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:desk"], after: 1h}
      - {name: L2, targets: ["team:second-line"], after: 2h}
      - {name: L3, targets: ["team:owners"]}
"""
)

#: A Jira-style policy: its own statuses, ``done`` of the resolved category.
JIRA = loads(
    """
policy: jira
version: 1
statuses:
  open: {category: new}
  doing: {category: in-progress}
  waiting: {category: on-hold}
  done: {category: resolved, aliases: [Fixed]}
  dropped: {category: cancelled}
clocks:
  resolution:
    stop: {category: [resolved, cancelled]}
    targets:
      P1: {within: 4h}
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:desk"], after: 1h}
      - {name: L2, targets: ["team:second-line"]}
"""
)
