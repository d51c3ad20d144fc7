"""docs/audit.md: its verifiers without escalate (Python, and JavaScript when Node is here) find
the same first broken record as ``verify_chain``."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from escalate.audit import AuditTrail, canonical_text, record_hash, verify_chain
from tests.audit.test_chain import AT, LINES
from tests.audit.trails import PACK, TICKETS

PAGE = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def python_verifier() -> Callable[[list[str]], tuple[int, str] | None]:
    block = re.search(r">>> (import hashlib.*?)\n>>> first_broken", PAGE.read_text(), re.S)
    assert block is not None
    source = "\n".join(
        line.removeprefix(">>> ").removeprefix("... ") for line in block.group(1).splitlines()
    )
    names: dict[str, Any] = {}
    exec(source, names)  # the page's code, as a reader copies it
    verifier: Callable[[list[str]], tuple[int, str] | None] = names["first_broken"]
    return verifier


def rehashed(record: dict[str, Any]) -> str:
    return canonical_text({**record, "hash": record_hash(record)})


def tampered() -> dict[str, list[str]]:
    edited = json.loads(LINES[1])
    edited["body"]["ticket_id"] = "X"
    forged = {**json.loads(LINES[2]), "prev": "1" * 64}
    swapped = list(LINES)
    swapped[1], swapped[2] = swapped[2], swapped[1]
    return {
        "intact": list(LINES),
        "edited body": [LINES[0], canonical_text(edited), *LINES[2:]],
        "deleted middle": [*LINES[:2], *LINES[3:]],
        "swapped": swapped,
        "forged prev": [*LINES[:2], rehashed(forged), *LINES[3:]],
        "integer-like keys": numeric_keys(),
        "integer-like keys edited": numeric_keys(edit=True),
    }


def numeric_keys(*, edit: bool = False) -> list[str]:
    """A trail whose ticket has custom fields "10" and "9" (JavaScript objects put such keys
    first, in numeric order, whatever order they were added in)."""
    data = json.loads((TICKETS / "INC0010001.json").read_text(encoding="utf-8"))
    data["fields"] = {"10": "ten", "9": "nine", "a": "letter"}
    trail = AuditTrail()
    trail.add_policy(PACK, AT)
    trail.add_decision(PACK.evaluate(data, now=AT), PACK)
    trail.add_note("end", AT)
    lines = trail.lines()
    if edit:
        lines[1] = lines[1].replace('"9":"nine"', '"9":"NINE"')
    return lines


@pytest.mark.parametrize("case", sorted(tampered()))
def test_the_documented_python_verifier_agrees_with_verify_chain(case: str) -> None:
    lines = tampered()[case]
    found = python_verifier()(lines)
    report = verify_chain(lines)
    assert (None if found is None else found[0]) == (
        None if report.broken is None else report.broken.line
    )


def javascript() -> str:
    block = re.search(r"```js\n(.*?)```", PAGE.read_text(), re.S)
    assert block is not None
    return block.group(1)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_documented_javascript_verifier_agrees_with_verify_chain() -> None:
    cases = tampered()
    program = (
        javascript()
        + "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
        + "const out = {};\nfor (const [k, v] of Object.entries(cases)) out[k] = firstBroken(v);\n"
        + "console.log(JSON.stringify(out));\n"
    )
    found = subprocess.run(
        ["node", "-e", program],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    expected = {}
    for name, lines in cases.items():
        broken = verify_chain(lines).broken
        expected[name] = None if broken is None else broken.line
    assert expected == json.loads(found.stdout)
