"""A ServiceNow webhook handler: an incident's record and history in, the PATCH to send out.

A business rule (after insert/update on ``incident``) or a Flow Designer outbound REST step posts
the incident as the Table API returns it (``GET /api/now/table/incident/{sys_id}`` with the
``sysparm_display_value`` it names) and its history rows (``sys_audit`` with
``documentkey=<sys_id>``, or ``sys_history_line`` with ``set.id=<sys_id>``):

    {"display_value": "all", "history_table": "sys_audit",
     "record": {"result": {...}}, "history": {"result": [...]}}

This handler evaluates the shipped pack and prints the request a middleware sends back
(``PATCH /api/now/table/incident/{sys_id}``: group, escalation, priority, work notes), or
``null`` when there is nothing to send. Run it against the bundled payloads:

    python examples/servicenow/handler.py examples/servicenow/INC0010042-all.json \
        --at 2024-06-03T08:20:00Z
    python examples/servicenow/handler.py examples/servicenow/INC0010042-true.json

The evaluation instant is given, never read from the clock, so the output is reproducible; a
real handler passes the instant the payload was received, and runs again at the printed
``next_evaluation_at`` (with the record and history fetched again then).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

import escalate
from escalate.adapters import servicenow as sn

HERE = Path(__file__).resolve().parent
POLICY = HERE.parent.parent / "rules" / "itil-default.yaml"

# This instance's declarations. The integration user sees dates in Berlin time, written
# dd.MM.yyyy HH:mm:ss (display values are in the user's zone and format; values are UTC).
# u_vendor_ticket is a custom column a rule may read as fields.u_vendor_ticket; escalation is
# read too, so that the PATCH leaves it out when the record already has the value to write.
MAPPING = sn.ServiceNowMapping(
    time_zone="Europe/Berlin",
    date_format="dd.MM.yyyy HH:mm:ss",
    custom_columns=("u_vendor_ticket", "escalation"),
)
# sys_audit rows hold sys_ids: the groups and people they name (from sys_user_group and
# sys_user); a record read with "all" names its own references too.
NAMES = {
    "d625dccec0a8016700a222a0f7900d06": "Service Desk",
    "287ebd7da9fe198100f92cc8d1d2154e": "Network",
    "8a5055c9c61122780043563ef53438e3": "Second Line",
    "3f1dd0f9c0a8016400a1f5e1a1a9c6b2": "Network Vendor",
    "46d44a23a9fe19810012d100cca80666": "Beth Anglin",
    "5137153cc611227c000bbd1bd8cd2005": "Fred Luddy",
}
# Write-back: every team the pack names as this instance's group sys_id (a team without one
# is refused rather than guessed, so a decision naming it could not be written back), the
# service-desk levels as the incident's escalation (0 Normal .. 3 Overdue; a breached clock is
# Overdue), and the pack's canonical priorities as ServiceNow priority values.
OPTIONS = sn.PatchOptions(
    groups={
        "service-desk": "d625dccec0a8016700a222a0f7900d06",
        "network-ops": "287ebd7da9fe198100f92cc8d1d2154e",
        "second-line": "8a5055c9c61122780043563ef53438e3",
        "network-vendor": "3f1dd0f9c0a8016400a1f5e1a1a9c6b2",
    },
    escalation_levels={"L1": "0", "L2": "1", "L3": "2", "L4": "3"},
    escalation_on_breach="3",
    priorities={"P1": "1", "P2": "2", "P3": "3", "P4": "4", "P5": "5"},
)


def handle(
    payload: dict[str, object], at: datetime, policy: escalate.Policy
) -> dict[str, object] | None:
    """The PATCH request for ``payload`` evaluated at ``at``; ``None``: nothing to send."""
    record = payload["record"]
    assert isinstance(record, dict)
    ticket = sn.read_incident(
        record,
        MAPPING,
        display_value=payload["display_value"],  # type: ignore[arg-type]
        history=payload.get("history", []),  # type: ignore[arg-type]
        history_table=payload.get("history_table", "sys_audit"),  # type: ignore[arg-type]
        names=None if payload["display_value"] == "true" else NAMES,
    )
    decision = policy.evaluate(ticket, now=at)
    body = sn.patch_body(decision, ticket, MAPPING, OPTIONS)
    if body is None:
        return None
    fields = record.get("result", record)
    assert isinstance(fields, dict)
    sys_id = fields["sys_id"]
    if isinstance(sys_id, dict):  # an "all" record
        sys_id = sys_id["value"]
    query = {"sysparm_input_display_value": "true"} if OPTIONS.input_display_value else {}
    return {
        "method": "PATCH",
        "path": f"/api/now/table/incident/{sys_id}",
        "query": query,
        "body": body,
        "next_evaluation_at": None
        if decision.next_evaluation_at is None
        else decision.next_evaluation_at.isoformat(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("payload", nargs="?", default=str(HERE / "INC0010042-all.json"))
    parser.add_argument("--at", default="2024-06-03T08:20:00+00:00", help="ISO-8601 with offset")
    parser.add_argument("--policy", default=str(POLICY))
    args = parser.parse_args(argv)
    at = datetime.fromisoformat(args.at.replace("Z", "+00:00"))
    if at.tzinfo is None:
        parser.error("--at needs an offset")
    payload = json.loads(Path(args.payload).read_text(encoding="utf-8"))
    try:
        out = handle(payload, at, escalate.load(args.policy))
    except escalate.EscalateError as exc:  # a payload that does not fit: HTTP 400
        print(f"{args.payload}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(out, sort_keys=True, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
