"""``escalate calibrate``: which variant of a clock agrees best with a log's own verdict.

Exit codes: 0 the sweep ran (and, with ``--fail-under``, the best variant agrees at least that
much); 1 the best variant agrees less than ``--fail-under``; 2 an error (a bad option, a log,
policy or calibration file that does not read).
"""

from __future__ import annotations

import argparse
from decimal import Decimal, InvalidOperation
from typing import Any

from escalate.adapters.servicenow import (
    Variants,
    calibrate,
    default_variants,
    read_variants,
)
from escalate.cli._io import load_policy, out, print_json
from escalate.cli._servicenow_log import (
    Progress,
    add_mapping_options,
    mapping_of,
    read_log_file,
)
from escalate.engine.compiled import Policy
from escalate.errors import EscalateError
from escalate.policy._yaml import parse_yaml
from escalate.policy.loader import read_file

#: The largest calibration file read.
MAX_CALIBRATION_BYTES = 1024 * 1024


def register(sub: Any) -> None:
    cmd = sub.add_parser(
        "calibrate",
        help="sweep variants of a clock against a ServiceNow log's own verdict (made_sla)",
        description=(
            "Measure variants of one clock of the policy -- stop, new cycles, pauses, "
            "calendar, targets per priority (declared, and the best-fitting ones) -- on every "
            "incident of a ServiceNow snapshot log, compare each with the log's made_sla, and "
            "rank them by agreement, best first, with the best one's disagreements by cause "
            "and its clock as policy YAML. Exit 0: ran; 1: the best agrees less than "
            "--fail-under; 2: an error."
        ),
    )
    cmd.add_argument("--policy", required=True, help="the policy (file or folder)")
    cmd.add_argument(
        "--clock",
        help="the policy's clock to calibrate (required unless the --variants file names it)",
    )
    cmd.add_argument(
        "--servicenow",
        required=True,
        metavar="LOG",
        help="the snapshot log: a CSV export, or a zip holding one CSV",
    )
    add_mapping_options(cmd)
    cmd.add_argument(
        "--variants",
        metavar="FILE",
        help="a calibration file (YAML) declaring the variants; default: a built-in sweep",
    )
    cmd.add_argument(
        "--top", type=_count, default=10, help="variants listed in the text output (10)"
    )
    cmd.add_argument(
        "--fail-under",
        type=_percent,
        metavar="PCT",
        help="exit 1 when the best variant agrees on less than PCT percent of the incidents",
    )
    cmd.add_argument("--quiet", action="store_true", help="no progress on stderr")
    cmd.add_argument("--json", action="store_true", help="print every variant as JSON")
    cmd.set_defaults(run=run)


def _count(text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    return int(text)


def _percent(text: str) -> Decimal:
    try:
        value = Decimal(text) if text.isascii() and len(text) <= 12 else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"expected a percentage from 0 to 100, got {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    policy = load_policy(args.policy)
    mapping = mapping_of(args)
    variants = _variants(args, policy)
    reading = read_log_file(args.servicenow, mapping)
    progress = Progress(
        variants.combinations, args, command="calibrate", verb="measured", unit="combination"
    )
    progress.say(
        f"escalate: read {reading.rows} rows, {len(reading.incidents)} incidents; measuring "
        f"{variants.count} variants in {variants.combinations} combinations of stop, new "
        "cycle, pause and calendar"
    )
    with progress as report:
        result = calibrate(policy, variants, reading.incidents, progress=report)
    if args.json:
        print_json(result.to_dict())
    else:
        out(result.text(top=args.top), keep_newlines=True)
    if args.fail_under is not None and Decimal(result.best.agreement()) < args.fail_under:
        return 1
    return 0


def _variants(args: argparse.Namespace, policy: Policy) -> Variants:
    if args.variants is None:
        if args.clock is None:
            raise EscalateError(
                "--clock: name the clock to calibrate (or give a --variants file that names "
                "it with 'clock:')"
            )
        return default_variants(policy, args.clock, args.time_zone)
    name = args.variants
    try:
        text = read_file(
            name, what="calibration file", max_bytes=MAX_CALIBRATION_BYTES, error=EscalateError
        )
    except EscalateError as exc:
        raise EscalateError(f"--variants: {exc}") from None
    data, positions = parse_yaml(
        text, name, max_bytes=MAX_CALIBRATION_BYTES, document="a calibration file"
    )
    return read_variants(data, policy, args.clock, locate=positions.of)
