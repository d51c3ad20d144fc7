"""Policy.authorize: each source of authority, at the instant asked, with its grounds."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from escalate import ArgumentError, Authorization, NaiveDatetimeError, Policy, PolicyError, loads
from tests.governance.policies import BASE, at, override, policy, ticket

POLICY = policy()
TICKET = ticket()


@pytest.mark.parametrize(
    ("actor", "action", "when", "grounds"),
    [
        # the person's own labels, at any instant
        ("alice", "override-escalation", at(3, 10, 5), ("person:alice authority",)),
        ("alice", "declare-major-incident", at(3, 10, 5), ("person:alice authority",)),
        # a role filled by a schedule: bob until Tuesday 09:00, carol from then on
        (
            "bob",
            "pause-clock",
            at(4, 8, 59),
            ("role:incident-manager (filled via schedule:im at 2024-06-04T08:59:00+00:00)",),
        ),
        (
            "carol",
            "pause-clock",
            at(4, 9, 0),
            ("role:incident-manager (filled via schedule:im at 2024-06-04T09:00:00+00:00)",),
        ),
        # a role filled by a person, and by a team's members
        (
            "erin",
            "approve-emergency-change",
            at(3, 10, 5),
            ("role:service-owner (filled via person:erin at 2024-06-03T10:05:00+00:00)",),
        ),
        (
            "frank",
            "engage-vendor",
            at(3, 10, 5),
            ("role:vendor-desk (filled via team:vendors at 2024-06-03T10:05:00+00:00)",),
        ),
        # the level a path is at, for the people it pages: dave while the desk is at L2
        (
            "dave",
            "approve-emergency-change",
            at(3, 10, 30),
            ("path:desk level L2 (entered 2024-06-03T10:30:00+00:00)",),
        ),
        (
            "dave",
            "override-escalation",
            at(3, 11, 29),
            ("path:desk level L2 (entered 2024-06-03T10:30:00+00:00)",),
        ),
        # two sources at once: own labels first, then roles
        (
            "bob",
            "override-escalation",
            at(3, 12, 0),
            ("role:incident-manager (filled via schedule:im at 2024-06-03T12:00:00+00:00)",),
        ),
    ],
)
def test_each_source_of_authority_is_named_in_the_grounds(
    actor: str, action: str, when: datetime, grounds: tuple[str, ...]
) -> None:
    answer = POLICY.authorize(actor, action, TICKET, at=when)
    assert (True, grounds) == (answer.allowed, answer.grounds)


@pytest.mark.parametrize(
    ("actor", "action", "when"),
    [
        ("carol", "pause-clock", at(4, 8, 59)),  # bob's turn still
        ("bob", "pause-clock", at(4, 9, 0)),  # carol's turn has begun
        ("dave", "approve-emergency-change", at(3, 10, 29)),  # the desk is still at L1
        ("dave", "approve-emergency-change", at(3, 11, 30)),  # the desk moved on to L3
        ("carol", "approve-emergency-change", at(3, 11, 45)),  # L3 carries no authority
        ("erin", "engage-vendor", at(3, 10, 5)),  # her role grants another label
        ("alice", "pause-clock", at(3, 10, 5)),
    ],
)
def test_authority_is_refused_where_no_source_grants_it_at_that_instant(
    actor: str, action: str, when: datetime
) -> None:
    answer = POLICY.authorize(actor, action, TICKET, at=when)
    assert (False, ()) == (answer.allowed, answer.grounds)
    assert f"holds no {action!r} authority" in answer.reason


def test_a_level_grants_authority_while_the_path_is_there_after_an_override_too() -> None:
    # alice puts the desk back to L1 at 12:00: L2 again from 12:30 to 13:30.
    moved = ticket(override("2024-06-03T12:00:00Z", "alice", "L1"))
    answers = [
        POLICY.authorize("dave", "approve-emergency-change", moved, at=when).allowed
        for when in (at(3, 12, 10), at(3, 12, 30), at(3, 13, 29), at(3, 13, 30))
    ]
    assert [False, True, True, False] == answers


def test_events_after_the_instant_asked_are_not_read() -> None:
    # The override at 12:00 is in the ticket, but authority at 10:40 is as of 10:40.
    moved = ticket(override("2024-06-03T12:00:00Z", "alice", "L1"))
    answer = POLICY.authorize("dave", "approve-emergency-change", moved, at=at(3, 10, 40))
    assert ("path:desk level L2 (entered 2024-06-03T10:30:00+00:00)",) == answer.grounds


def test_a_backup_covering_an_unavailable_role_holder_fills_the_role() -> None:
    away = {"out_of_office": [{"person": "bob", "from": OOO[0], "until": OOO[1]}]}
    answer = POLICY.authorize("frank", "pause-clock", TICKET, at=at(3, 12, 0), availability=away)
    assert answer.allowed
    assert answer.grounds[0].startswith("role:incident-manager (filled via schedule:im")
    assert "covering: bob (role:incident-manager) unavailable" in answer.grounds[0]


OOO = ("2024-06-03T00:00:00Z", "2024-06-04T00:00:00Z")


@pytest.mark.parametrize(
    ("actor", "amount", "allowed", "currency", "reason"),
    [
        (
            "alice",
            "4999.99",
            True,
            "EUR",
            "alice may spend 4999.99 EUR at 2024-06-03T12:00:00+00:00: person:alice "
            "spend_limit 5000.00 EUR.",
        ),
        (
            "alice",
            Decimal("5000.00"),  # the limit itself is within it
            True,
            "EUR",
            "alice may spend 5000.00 EUR at 2024-06-03T12:00:00+00:00: person:alice "
            "spend_limit 5000.00 EUR.",
        ),
        (
            "alice",
            "5000.01",
            False,
            None,
            "alice may not spend 5000.01 at 2024-06-03T12:00:00+00:00: person:alice "
            "spend_limit 5000.00 EUR is below it.",
        ),
        (
            "alice",
            "100 USD",
            False,
            "USD",
            "alice may not spend 100 USD at 2024-06-03T12:00:00+00:00: person:alice "
            "spend_limit 5000.00 EUR is in another currency.",
        ),
        ("mona", "100 USD", True, "USD", None),
        (
            "dave",
            "1",
            False,
            None,
            "dave may not spend 1 at 2024-06-03T12:00:00+00:00: they have no spend_limit, "
            "of their own or of a role they fill.",
        ),
        # bob fills incident-manager on Monday: its 20000.00 EUR limit
        ("bob", "19999.99 EUR", True, "EUR", None),
        ("bob", "20000.01", False, None, None),
    ],
)
def test_spend_is_granted_by_a_limit_of_at_least_the_amount_in_its_currency(
    actor: str, amount: object, allowed: bool, currency: str | None, reason: str | None
) -> None:
    answer = POLICY.authorize(actor, "spend", TICKET, at=at(3, 12, 0), amount=amount)  # type: ignore[arg-type]
    assert (allowed, currency) == (answer.allowed, answer.currency)
    if reason is not None:
        assert reason == answer.reason


def test_a_role_limit_follows_whoever_fills_the_role_at_the_instant() -> None:
    answers = [
        POLICY.authorize(who, "spend", TICKET, at=at(4, 9, 0), amount="15000").allowed
        for who in ("bob", "carol")
    ]
    assert [False, True] == answers


def test_an_actor_the_directory_does_not_know_is_refused_not_an_error() -> None:
    answer = POLICY.authorize("zed", "override-escalation", TICKET, at=at(3, 10, 5))
    assert (False, (), "'zed' is not in the policy's directory, so holds no authority") == (
        answer.allowed,
        answer.grounds,
        answer.reason,
    )


@pytest.mark.parametrize(
    ("action", "amount", "message"),
    [
        ("override-escalation", "10", "amount is only for action 'spend'"),
        ("spend", None, "action 'spend' needs an amount"),
        ("spend", 10.5, "write amounts as strings or Decimals"),
        ("spend", "ten", "amount must look like '250.00' or '250.00 EUR'"),
        ("spend", Decimal("-1"), "finite, positive Decimal, got -1"),
        ("spend", Decimal("-0"), "finite, positive Decimal, got -0"),
        ("spend", Decimal("0"), "finite, positive Decimal, got 0"),
        ("spend", "0.00 EUR", "amount must be positive, got '0.00 EUR'"),
        ("spend", Decimal("NaN"), "finite, positive"),
        ("spend", Decimal("1.0000001"), "at most 15 digits before the point and 6 after"),
        ("spend", Decimal("1E+15"), "at most 15 digits .* got 1000000000000000$"),
        ("", None, "action: expected a non-blank string"),
    ],
)
def test_bad_arguments_are_argument_errors(action: str, amount: object, message: str) -> None:
    with pytest.raises(ArgumentError, match=message):
        POLICY.authorize("alice", action, TICKET, at=at(3, 10), amount=amount)  # type: ignore[arg-type]


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        POLICY.authorize("alice", "override-escalation", TICKET, at=datetime(2024, 6, 3, 10))


def test_before_the_ticket_opened_only_people_and_roles_count() -> None:
    answer = POLICY.authorize("bob", "pause-clock", TICKET, at=at(3, 9, 0))
    assert answer.allowed


def test_an_authorization_is_a_value_with_a_json_form() -> None:
    answer = POLICY.authorize("alice", "spend", TICKET, at=at(3, 12), amount="10.50")
    assert isinstance(answer, Authorization)
    assert {
        "actor": "alice",
        "action": "spend",
        "allowed": True,
        "grounds": ["person:alice spend_limit 5000.00 EUR"],
        "reason": "alice may spend 10.50 EUR at 2024-06-03T12:00:00+00:00: person:alice "
        "spend_limit 5000.00 EUR.",
        "at": "2024-06-03T12:00:00+00:00",
        "amount": "10.50",
        "currency": "EUR",
    } == answer.to_dict()
    assert answer == POLICY.authorize("alice", "spend", TICKET, at=at(3, 12), amount="10.50")


@pytest.mark.parametrize("written", ["5000.5", "5000"])
def test_a_spend_limit_written_as_a_number_names_the_key(written: str) -> None:
    text = BASE.replace(
        '{amount: "5000.00", currency: EUR}', f"{{amount: {written}, currency: EUR}}"
    )
    with pytest.raises(PolicyError) as caught:
        policy_from(text)
    assert str(caught.value).startswith(
        "gov.yaml:12:21: directory.people.alice.spend_limit.amount: write amounts as strings, "
        "e.g. '250.00'"
    )


def test_a_spend_limit_currency_is_an_iso_code() -> None:
    text = BASE.replace("currency: EUR}", "currency: euro}", 1)
    with pytest.raises(PolicyError, match=r"spend_limit\.currency: expected an ISO 4217"):
        policy_from(text)


def policy_from(text: str) -> object:
    from escalate import loads

    return loads(text, filename="gov.yaml")


def test_an_amount_without_currency_is_refused_when_the_limits_differ_in_currency() -> None:
    # alice: her own 5000.00 EUR, and 900 in another currency as finance
    mixed = policy_with_limits("USD")
    with pytest.raises(
        ArgumentError, match=r"no currency and alice's spend limits are in EUR, USD"
    ):
        mixed.authorize("alice", "spend", TICKET, at=at(3, 10), amount="100")
    assert mixed.authorize("alice", "spend", TICKET, at=at(3, 10), amount="100 USD").allowed
    # one currency: the amount is read in it
    same = policy_with_limits("EUR")
    assert same.authorize("alice", "spend", TICKET, at=at(3, 10), amount="100").currency == "EUR"


def policy_with_limits(currency: str) -> Policy:
    extra = (
        f'    finance: {{person: alice, spend_limit: {{amount: "900", currency: {currency}}}}}\n'
    )
    anchor = "  roles:\n"
    return loads(BASE.replace(anchor, anchor + extra), filename="gov.yaml")


def test_amounts_are_printed_in_plain_notation() -> None:
    answer = POLICY.authorize("alice", "spend", TICKET, at=at(3, 10), amount=Decimal("1E+3"))
    assert "may spend 1000 EUR" in answer.reason
    assert "1000" == answer.to_dict()["amount"]
    refused = POLICY.authorize("alice", "spend", TICKET, at=at(3, 10), amount=Decimal("1E+5"))
    assert "may not spend 100000 at" in refused.reason


def test_an_action_neither_built_in_nor_declared_is_an_error_with_a_suggestion() -> None:
    for typo, meant in (
        ("overide-escalation", "override-escalation"),
        ("Pause-Clock", "pause-clock"),
        ("declare-major-incidnt", "declare-major-incident"),
    ):
        with pytest.raises(ArgumentError, match=f"did you mean '{meant}'"):
            POLICY.authorize("alice", typo, TICKET, at=at(3, 10))
    # a declared custom label is asked as written
    assert POLICY.authorize("alice", "declare-major-incident", TICKET, at=at(3, 10)).allowed
