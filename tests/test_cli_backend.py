"""``--backend``: the CLI decides with durable_rules on request, and says so plainly when it
cannot (docs/backends.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from escalate.cli import main

ROOT = Path(__file__).parent.parent
PACK = str(ROOT / "rules" / "itil-default.yaml")
TICKETS = str(ROOT / "examples" / "tickets")
AT = "2024-11-20T15:00:00+00:00"

try:
    import durable_rules_engine  # type: ignore[import-not-found]  # noqa: F401
except ImportError:  # make test installs the extra; a user without it skips these
    HAVE_DURABLE = False
else:
    HAVE_DURABLE = True

needs_durable = pytest.mark.skipif(
    not HAVE_DURABLE, reason="durable_rules is not installed (pip install 'escalate[durable]')"
)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@needs_durable
@pytest.mark.parametrize("command", ["evaluate", "explain"])
def test_a_corpus_decided_with_durable_prints_what_the_native_backend_prints(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [command, "--policy", PACK, "--tickets", TICKETS, "--at", AT, "--json"]
    native = run(argv, capsys)
    durable = run([*argv, "--backend", "durable"], capsys)
    assert native[0] == 0
    assert native == durable


@needs_durable
def test_one_ticket_explained_with_durable_is_the_native_explanation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ticket = str(ROOT / "examples" / "tickets" / "INC0010001.json")
    argv = ["explain", "--policy", PACK, "--ticket", ticket, "--at", AT]
    native = run(argv, capsys)
    assert native[0] == 0 and "rule" in native[1]
    assert native == run([*argv, "--backend", "durable"], capsys)


def test_an_unknown_backend_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    ticket = str(ROOT / "examples" / "tickets" / "INC0010001.json")
    code, out, err = run(
        ["evaluate", "--policy", PACK, "--ticket", ticket, "--at", AT, "--backend", "rete"],
        capsys,
    )
    assert code == 2 and out == ""
    assert "--backend" in err and "'rete'" in err and "durable" in err


def test_durable_without_the_extra_says_what_to_install(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "durable_rules_engine", None)  # import fails
    ticket = str(ROOT / "examples" / "tickets" / "INC0010001.json")
    code, out, err = run(
        ["evaluate", "--policy", PACK, "--ticket", ticket, "--at", AT, "--backend", "durable"],
        capsys,
    )
    assert code != 0 and out == ""
    assert "pip install 'escalate[durable]'" in err
    assert "Traceback" not in err


LOGS = ROOT / "tests" / "adapters" / "fixtures" / "servicenow" / "logs"


@needs_durable
@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_log_replayed_with_durable_gives_the_native_summary(
    workers: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """In worker processes too: a policy bound to durable pickles as its source and the
    backend's name, and is bound again in each worker."""
    argv = [
        "replay",
        "--policy",
        PACK,
        "--servicenow",
        str(LOGS / "three-incidents.csv"),
        "--time-zone",
        "UTC",
        "--json",
        "--quiet",
        "--workers",
        workers,
    ]
    native = run(argv, capsys)
    durable = run([*argv, "--backend", "durable"], capsys)
    assert native[0] == durable[0] == 0
    summary, other = json.loads(native[1]), json.loads(durable[1])
    summary.pop("throughput"), other.pop("throughput")
    assert summary["actions"] > 0
    assert summary == other
