"""Audit trails: hash-chained records of policies, decisions and overrides; verified, replayed.

* :mod:`escalate.audit.canonical`: canonical JSON, the bytes a record's hash is taken over;
* :mod:`escalate.audit.records`: records and :class:`AuditTrail`, the in-memory builder;
* :mod:`escalate.audit.chain`: :func:`verify_chain`, the first broken record named;
* :mod:`escalate.audit.replay`: :func:`replay_audit`, deviations from what the policy said;
* :mod:`escalate.audit.files`: reading a trail file and appending to it (the only I/O).

docs/audit.md describes the format and what an audit proves.
"""

from escalate.audit.canonical import canonical_bytes, canonical_text
from escalate.audit.chain import (
    Broken,
    ChainReport,
    TrailNotFoundError,
    continue_trail,
    verify_chain,
)
from escalate.audit.files import append_records, read_trail
from escalate.audit.records import (
    GENESIS,
    KINDS,
    AuditTrail,
    Record,
    decision_body,
    event_bodies,
    event_key,
    policy_body,
    record_hash,
)
from escalate.audit.replay import DEVIATION_KINDS, AuditReport, Deviation, replay_audit

__all__ = [
    "DEVIATION_KINDS",
    "GENESIS",
    "KINDS",
    "AuditReport",
    "AuditTrail",
    "Broken",
    "ChainReport",
    "Deviation",
    "Record",
    "TrailNotFoundError",
    "append_records",
    "canonical_bytes",
    "canonical_text",
    "continue_trail",
    "decision_body",
    "event_bodies",
    "event_key",
    "policy_body",
    "read_trail",
    "record_hash",
    "replay_audit",
    "verify_chain",
]
