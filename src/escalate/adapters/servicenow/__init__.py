"""ServiceNow: incident records and logs in as tickets, a decision out as a PATCH body.

Pure functions, no HTTP and no clock. The pieces:

* :class:`ServiceNowMapping` declares how one instance writes its records: the zone and format
  of displayed date-times (required: never guessed), empty markers, state values and labels,
  which columns are which fields, and the rules for a log's anomalies.
* :func:`parse_time` reads a date-time in a declared format and zone.
* :func:`read_incident` reads a Table API incident record (``sysparm_display_value``
  ``false``, ``true`` or ``all``, declared by the caller) and its ``sys_audit`` or
  ``sys_history_line`` rows as a :class:`~escalate.Ticket` with its event history.
* :func:`patch_body` writes a decision back as the body of ``PATCH
  /api/now/table/incident/{sys_id}`` (group, ``escalation``, priority, ``work_notes``), as
  :class:`PatchOptions` declare; :func:`work_notes` is the explanation as safe plain text.
* Reading a snapshot log (every row a full copy of the record after one update, as the CSV
  export of an audited table gives) yields :class:`LogIncident` values: each incident's rows
  diffed into events (:class:`Update`), both sets of counters (:class:`Counters`) and every
  anomaly with the rule that handled it (:class:`Anomaly`): :func:`read_log` gives a
  :class:`LogReading`.
* :func:`replay` runs a policy over a log's incidents as they happened (evaluated at every
  update and wake-up, due actions recorded done) and summarises what it did (:class:`Replay`).
* :func:`calibrate` sweeps declared variants of a clock (:func:`read_variants`,
  :func:`default_variants`) against a log's own verdict (``made_sla``) and ranks them.

Every problem is a :class:`~escalate.errors.TicketError` naming the field (or the log's line
and column) and the value; nothing partial is returned. See ``docs/integrations.md``.
"""

from __future__ import annotations

from escalate.adapters.servicenow._audit import HISTORY_TABLES
from escalate.adapters.servicenow._calibrate import (
    Calibration,
    CalibrationInput,
    Cause,
    Confusion,
    VariantResult,
    Variants,
    calibrate,
    default_variants,
    read_variants,
)
from escalate.adapters.servicenow._log import UCI_LOG_MAPPING, LogError, LogReading, read_log
from escalate.adapters.servicenow._mapping import (
    DEFAULT_COLUMNS,
    DEFAULT_STATES,
    INTERNAL_FORMAT,
    ServiceNowMapping,
    parse_time,
)
from escalate.adapters.servicenow._patch import (
    ESCALATIONS,
    WORK_NOTES_MAX_LENGTH,
    PatchOptions,
    patch_body,
    work_notes,
)
from escalate.adapters.servicenow._records import Anomaly, Counters, LogIncident, Update
from escalate.adapters.servicenow._replay import (
    Duplicate,
    IncidentReplay,
    LateAction,
    LevelEntry,
    Replay,
    ReplayFinding,
    replay,
)
from escalate.adapters.servicenow._table import DISPLAY_MODES, REFERENCE_COLUMNS, read_incident

__all__ = [
    "DEFAULT_COLUMNS",
    "DEFAULT_STATES",
    "DISPLAY_MODES",
    "ESCALATIONS",
    "HISTORY_TABLES",
    "INTERNAL_FORMAT",
    "REFERENCE_COLUMNS",
    "UCI_LOG_MAPPING",
    "WORK_NOTES_MAX_LENGTH",
    "Anomaly",
    "Calibration",
    "CalibrationInput",
    "Cause",
    "Confusion",
    "Counters",
    "Duplicate",
    "IncidentReplay",
    "LateAction",
    "LevelEntry",
    "LogError",
    "LogIncident",
    "LogReading",
    "PatchOptions",
    "Replay",
    "ReplayFinding",
    "ServiceNowMapping",
    "Update",
    "VariantResult",
    "Variants",
    "calibrate",
    "default_variants",
    "parse_time",
    "patch_body",
    "read_incident",
    "read_log",
    "read_variants",
    "replay",
    "work_notes",
]
