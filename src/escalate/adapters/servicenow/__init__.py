"""ServiceNow: incident records and logs in as tickets, a decision out as a PATCH body.

Pure functions, no HTTP and no clock. The pieces:

* :class:`ServiceNowMapping` declares how one instance writes its records: the zone and format
  of displayed date-times (required: never guessed), empty markers, state values and labels,
  which columns are which fields, and the rules for a log's anomalies.
* :func:`parse_time` reads a date-time in a declared format and zone.
* Reading a snapshot log (every row a full copy of the record after one update, as the CSV
  export of an audited table gives) yields :class:`LogIncident` values: each incident's rows
  diffed into events (:class:`Update`), both sets of counters (:class:`Counters`) and every
  anomaly with the rule that handled it (:class:`Anomaly`).

Every problem is a :class:`~escalate.errors.TicketError` naming the field (or the log's line
and column) and the value; nothing partial is returned. See ``docs/integrations.md``.
"""

from __future__ import annotations

from escalate.adapters.servicenow._log import UCI_LOG_MAPPING, LogError, LogReading, read_log
from escalate.adapters.servicenow._mapping import (
    DEFAULT_COLUMNS,
    DEFAULT_STATES,
    INTERNAL_FORMAT,
    ServiceNowMapping,
    parse_time,
)
from escalate.adapters.servicenow._records import Anomaly, Counters, LogIncident, Update

__all__ = [
    "DEFAULT_COLUMNS",
    "DEFAULT_STATES",
    "INTERNAL_FORMAT",
    "UCI_LOG_MAPPING",
    "Anomaly",
    "Counters",
    "LogError",
    "LogIncident",
    "LogReading",
    "ServiceNowMapping",
    "Update",
    "parse_time",
    "read_log",
]
