"""A Jira automation handler: an issue's REST JSON in, the transition, comment and edit bodies out.

Jira Automation (or a webhook receiver) fetches ``GET /rest/api/3/issue/{key}?expand=changelog``
and pipes it here; the printed JSON holds the bodies to send back and where Jira Service
Management's SLA clock disagrees with escalate's. Run it against the bundled issue:

    python examples/jira/handler.py examples/jira/SUP-42.json --at 2024-06-03T08:20:00Z

The evaluation instant is given, never read from the clock, so the output is reproducible; a
real handler passes the instant the issue was fetched (JSM's SLA values are as of then).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

import escalate
from escalate.adapters import jira

HERE = Path(__file__).resolve().parent
POLICY = HERE.parent.parent / "rules" / "itil-default.yaml"

# This site's declarations: the select list holding the group, the JSM status that means
# "new", the custom field a rule may read, the SLA fields and the clocks they shadow, and the
# workflow's transition ids for escalate's actions.
MAPPING = jira.JiraMapping(
    api_version=3,
    group_field="customfield_10050",
    group_format="option",
    statuses={"Waiting for support": "new", "Waiting for customer": "awaiting-user-info"},
    custom_fields={"customfield_10060": "contact_channel"},
    sla_fields={"customfield_10030": "resolution", "customfield_10031": "response"},
    transitions={"escalate": "31", "transfer": "41"},
    priority_names={"P1": "Highest", "P2": "High", "P3": "Medium", "P4": "Low", "P5": "Lowest"},
)


def handle(issue: dict[str, object], at: datetime, policy: escalate.Policy) -> dict[str, object]:
    """The bodies to send for ``issue`` evaluated at ``at``, and the SLA disagreements."""
    ticket = jira.read_issue(issue, MAPPING)
    decision = policy.evaluate(ticket, now=at)
    return {
        **jira.payloads(decision, MAPPING),
        "next_evaluation_at": None
        if decision.next_evaluation_at is None
        else decision.next_evaluation_at.isoformat(),
        "sla_disagreements": [d.to_dict() for d in jira.compare_sla(issue, decision, MAPPING)],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("issue", nargs="?", default=str(HERE / "SUP-42.json"))
    parser.add_argument("--at", default="2024-06-03T08:20:00+00:00", help="ISO-8601 with offset")
    parser.add_argument("--policy", default=str(POLICY))
    args = parser.parse_args(argv)
    at = datetime.fromisoformat(args.at.replace("Z", "+00:00"))
    if at.tzinfo is None:
        parser.error("--at needs an offset")
    issue = json.loads(Path(args.issue).read_text(encoding="utf-8"))
    try:
        out = handle(issue, at, escalate.load(args.policy))
    except escalate.TicketError as exc:
        print(f"{args.issue}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(out, sort_keys=True, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
