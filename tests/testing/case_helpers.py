"""What the case-file tests share: the shipped pack, and case files written into a folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "rules" / "itil-default.yaml"
TICKETS = ROOT / "examples" / "tickets"
AVAILABILITY = ROOT / "examples" / "availability.json"
STARTER = ROOT / "tests" / "testing" / "starter.cases.yaml"
SHIPPED = ROOT / "rules" / "itil-default.cases.yaml"

#: A case file header that tests the shipped pack from any folder.
HEADER = f"""\
policy: {PACK}
defaults:
  now: "2024-11-20T15:00:00Z"
  availability: {AVAILABILITY}
"""

#: A P1 at 15:00 on 20 November 2024: INC0010001 (at L2 of service-desk, 91.67 % resolution).
P1 = TICKETS / "INC0010001.json"


def write_cases(
    folder: Path, body: str, *, name: str = "pack.cases.yaml", header: str = HEADER
) -> Path:
    """A case file in ``folder``: ``header`` then ``body`` (dedented)."""
    path = folder / name
    path.write_text(header + textwrap.dedent(body), encoding="utf-8")
    return path
