"""A vendor receives nothing about a ticket it is not engaged on, and was not in an earlier
cycle: its view (``Policy.export(..., audience="vendor", vendor=ID)``, ``Policy.vendor_view``,
``escalate evaluate --json --audience vendor --vendor ID``) is refused, not a view with
``"engaged": false`` and the ticket's shared fields (docs/vendors.md, "Data sharing")."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from escalate import ArgumentError, EscalateError
from escalate.cli import main
from tests.vendors.helpers import CONTRACT, contract, engaged_ticket, ev

NOW = datetime.fromisoformat("2024-11-20T20:00:00+00:00")
# a second vendor on a path of its own, which nothing in these tickets starts
GAMMA_PATH = (
    "paths:\n=>paths:\n  gamma:\n    kind: horizontal\n"
    '    levels: [{name: gamma-l2, targets: ["team:acme-desk"]}]\n'
)
GAMMA = (
    "vendors:\n=>vendors:\n  gamma:\n    name: Gamma Hosting\n    path: gamma\n"
    "    response: {default: 1h}\n    data_sharing: {fields: [category, service]}\n"
)


def test_a_vendor_never_engaged_receives_nothing() -> None:
    policy = contract(path=GAMMA_PATH, gamma=GAMMA)
    decision = policy.evaluate(engaged_ticket(), now=NOW)
    assert [(v.vendor, v.engaged) for v in decision.vendors or ()] == [
        ("acme", True),
        ("gamma", False),
    ]
    for call in (
        lambda: policy.export(decision, audience="vendor", vendor="gamma"),
        lambda: policy.vendor_view(decision, "gamma"),
    ):
        with pytest.raises(ArgumentError) as raised:
            call()
        assert isinstance(raised.value, EscalateError)
        text = str(raised.value)
        assert "ticket 'INC1'" in text and "vendor 'gamma'" in text
        assert "not engaged" in text
        assert "storage" not in text and "san" not in text  # no shared field leaks
    # the engaged vendor still gets its view
    assert policy.vendor_view(decision, "acme")["ticket"]["category"] == "storage"


def test_a_ticket_that_never_engaged_any_vendor_is_refused() -> None:
    policy = contract()
    decision = policy.evaluate(engaged_ticket(category="network"), now=NOW)
    assert decision.vendors is not None and not decision.vendors[0].engaged
    with pytest.raises(ArgumentError, match=r"ticket 'INC1'.*vendor 'acme'.*not engaged"):
        policy.export(decision, audience="vendor", vendor="acme")


def test_a_vendor_engaged_in_an_earlier_cycle_still_gets_its_view() -> None:
    """Engaged in cycle 1; the ticket was re-categorised and reopened, so the vendor's path
    does not run in cycle 2. The vendor keeps receiving its earlier engagement's view."""
    policy = contract()
    done = ev("2024-11-20T14:00:00+00:00", "action-done", action_id="INC1:path:acme:1:0:acme-l2")
    resolved = ev("2024-11-20T20:00:00+00:00", "resolved")
    moved = ev("2024-11-21T13:00:00+00:00", "field-changed", field="category", to="network")
    reopened = ev("2024-11-21T14:00:00+00:00", "reopened")
    decision = policy.evaluate(
        engaged_ticket(done, resolved, moved, reopened, category="network"),
        now=datetime.fromisoformat("2024-11-21T15:00:00+00:00"),
    )
    (state,) = decision.vendors or ()
    assert not state.engaged and len(state.earlier) == 1
    view = policy.vendor_view(decision, "acme")
    assert view["state"]["engaged"] is False
    assert view["state"]["earlier"][0]["engaged_at"] == "2024-11-20T14:00:00+00:00"


def test_cli_refuses_the_view_of_a_vendor_not_engaged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p.yaml").write_text("policy: p\nversion: 1\n" + CONTRACT)
    (tmp_path / "t.json").write_text(json.dumps(engaged_ticket(category="network")))
    argv = ["evaluate", "--policy", str(tmp_path / "p.yaml"), "--ticket", str(tmp_path / "t.json")]
    argv += ["--at", NOW.isoformat(), "--json", "--audience", "vendor", "--vendor", "acme"]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert "ticket 'INC1'" in line and "vendor 'acme'" in line and "not engaged" in line
