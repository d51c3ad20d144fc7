"""``escalate schema [KIND]``: print the JSON Schema of a format."""

from __future__ import annotations

import argparse
from typing import Any

from escalate.cli._io import print_json
from escalate.schemas import KINDS, json_schema


def register(sub: Any) -> None:
    cmd = sub.add_parser("schema", help="print the JSON Schema of a format (default: policy)")
    cmd.add_argument("kind", nargs="?", default="policy", choices=KINDS)
    # The output is a JSON document either way; the flag is accepted so that every command
    # takes it.
    cmd.add_argument("--json", action="store_true", help="print JSON (it always does)")
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    print_json(json_schema(args.kind))
    return 0
