"""An Alertmanager receiver: webhook payloads in, one escalation decision per alert out.

What a webhook receiver would do with each POST body, without the HTTP: read the payload with
``escalate.adapters.alertmanager.apply_webhook`` into the tickets it keeps (one per alert
fingerprint; a resolve resolves the ticket its firing opened), then evaluate every ticket with a
policy and act on the due actions. Run it from the repository root::

    python examples/alertmanager/receiver.py --now 2024-06-03T09:00:00Z
    python examples/alertmanager/receiver.py --now 2024-06-03T09:00:00Z --json
    python examples/alertmanager/receiver.py examples/alertmanager/webhook-1-firing.json \
        --now 2024-06-03T08:30:00Z

With no payload files it reads the two bundled ones, in order: a group of two firing alerts,
then the next notification of that group, one alert resolved. ``--now`` is the instant to
evaluate at (the receiver's clock in production; given here so the output is reproducible).
A payload that cannot be read is refused (its message on stderr, as an HTTP 400) and the
tickets the others built are kept and evaluated; the exit code is then 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

import escalate
from escalate.adapters.alertmanager import apply_webhook

HERE = Path(__file__).parent
BUNDLED = [HERE / "webhook-1-firing.json", HERE / "webhook-2-resolved.json"]
PACK = HERE.parents[1] / "rules" / "itil-default.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("payloads", nargs="*", type=Path, default=BUNDLED)
    parser.add_argument("--policy", type=Path, default=PACK)
    parser.add_argument("--now", required=True, type=datetime.fromisoformat)
    parser.add_argument("--json", action="store_true", help="one decision per line, as JSON")
    args = parser.parse_args(argv)
    if args.now.tzinfo is None:
        parser.error("--now needs an offset, such as 2024-06-03T09:00:00Z")

    policy = escalate.load(args.policy)
    tickets: dict[str, escalate.Ticket] = {}
    refused = 0
    for path in args.payloads:
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            tickets = apply_webhook(tickets, payload)
        except (OSError, ValueError) as exc:
            # Refuse this POST (HTTP 400: a TicketError is a ValueError, as is bad JSON) and
            # keep the tickets the earlier payloads built; the next payload is read as usual.
            print(f"{path.name}: {exc}", file=sys.stderr)
            refused += 1

    for ticket in tickets.values():
        decision = policy.evaluate(ticket, now=args.now)
        if args.json:
            print(json.dumps(decision.to_dict(trace=False), sort_keys=True))
        else:
            print(f"{ticket.id}: {ticket.status}, {ticket.fields.get('annotation.summary')}")
            print(decision.explain())
    return 1 if refused else 0


if __name__ == "__main__":
    raise SystemExit(main())
