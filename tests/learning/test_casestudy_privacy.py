"""Case studies a privacy officer can sign off: the directory's names, contact details, other
tickets' ids and written instants in free text, time shifted, mappings and the policy.

The trial ticket is the one a new user (a ServiceNow lead) exported and found names, phone
numbers, addresses, other tickets and exact timestamps left in.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate import Ticket, loads
from escalate.comms.redaction import MIN_SCRUB_CHARS, Scrubber, fold
from escalate.errors import ArgumentError, EscalateError, TicketError
from escalate.learning import WITHHELD, case_study, pseudonym
from escalate.learning.casestudy import NOT_NAMES

POLICY = loads(
    """\
policy: trial
version: "1"
classification: {fields.caller_name: personal}
directory:
  people:
    anna.schmidt:
      name: Anna Schmidt
      channels: {email: anna.schmidt@example.com, chat: "@anna"}
    max.mueller: {name: Max Mueller}
    jon.berg: {name: Jon Berg}
paths:
  desk:
    kind: vertical
    starts: on-open
    levels:
      - {name: L1, targets: [person:anna.schmidt], after: 30m}
      - {name: L2, targets: [person:max.mueller]}
rules:
  - id: p1-heads-up
    when: {priority: P1}
    then: {notify: {to: [assignee], template: heads-up}}
""",
    filename="trial.yaml",
)
FIRST = (
    "Anna Schmidt called Erika Mustermann (erika.m@example.org, +49 170 1234567) at customer "
    "C-1042. Same as INC0049999 last week; Max Mueller approved the restart. anna.schmidt"
)
SECOND = (
    "Jon: customer C-1042 confirms; see also ticket INC0050001 and CHG0031337. Ping @anna or Anna."
)


def trial(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "INC0050000",
        "opened_at": "2024-06-03T10:00:00Z",
        "priority": "P1",
        "customer": {"id": "C-1042"},
        "fields": {"caller_name": "Erika Mustermann"},
        "events": [
            {
                "at": "2024-06-03T10:00:00Z",
                "type": "assigned",
                "group": "net",
                "assignee": "anna.schmidt",
            },
            {
                "at": "2024-06-03T10:05:00Z",
                "type": "comment",
                "actor": "anna.schmidt",
                "text": FIRST,
            },
            {
                "at": "2024-06-03T10:06:00Z",
                "type": "action-done",
                "action_id": "INC0050000:rule:p1-heads-up:20240603T100000Z:notify0",
            },
            {"at": "2024-06-03T10:07:00Z", "type": "comment", "actor": "jon.berg", "text": SECOND},
        ],
    }
    data.update(extra)
    return data


def p(kind: str, value: str, salt: str = "s") -> str:
    return pseudonym(kind, value, salt)


def test_the_trial_ticket_keeps_no_name_contact_or_other_ticket() -> None:
    out = case_study(trial(), salt="s", policy=POLICY)
    anna = p("person", "anna.schmidt")
    assert out["events"][1]["text"] == (
        f"{anna} called {p('personal', 'Erika Mustermann')} ({p('email', 'erika.m@example.org')}"
        f", {p('phone', '+491701234567')}) at customer {p('customer', 'C-1042')}. Same as "
        f"{p('ticket', 'INC0049999')} last week; {p('person', 'max.mueller')} approved the "
        f"restart. {anna}"
    )
    assert out["events"][3]["text"] == (
        f"{p('person', 'jon.berg')}: customer {p('customer', 'C-1042')} confirms; see also "
        f"ticket {p('ticket', 'INC0050001')} and {p('ticket', 'CHG0031337')}. Ping @{anna} or "
        f"{anna}."
    )
    text = json.dumps(out).casefold()
    for secret in (
        "anna",
        "schmidt",
        "max mueller",
        "mueller",
        "jon",
        "erika",
        "example.org",
        "+49 170 1234567",
        "1234567",
        "inc0049999",
        "chg0031337",
        "inc0050001",
        "c-1042",
        "@anna",
    ):
        assert secret not in text, secret


def test_another_tickets_pseudonym_is_the_id_its_own_case_study_gives_it() -> None:
    # two case studies that reference each other still line up under one salt
    referenced = case_study(trial(id="INC0049999", events=[]), salt="s", policy=POLICY)
    study = case_study(trial(), salt="s", policy=POLICY)
    assert referenced["id"] in study["events"][1]["text"]
    lower = case_study(trial(id="inc0049999", events=[]), salt="s")
    assert lower["id"] == referenced["id"]


def test_the_export_reads_back_and_the_policy_decides_it_alike() -> None:
    now = datetime(2024, 6, 3, 12, tzinfo=UTC)
    original = POLICY.evaluate(Ticket.from_mapping(trial()), now=now)
    copy = POLICY.evaluate(
        Ticket.from_mapping(case_study(trial(), salt="s", policy=POLICY)), now=now
    )
    assert dict(copy.paths) == dict(original.paths)
    assert [(a.kind, a.due_at, a.targets) for a in copy.actions] == [
        (a.kind, a.due_at, a.targets) for a in original.actions
    ]
    assert [a.kind for a in original.actions] == ["escalate"]  # the notify was recorded done
    assert copy.next_evaluation_at == original.next_evaluation_at


def test_a_whole_week_shift_moves_every_instant_and_the_decision_with_it() -> None:
    shift = timedelta(weeks=-1000)  # 2024-06-03, a Monday, to 2005-04-04, a Monday
    now = datetime(2024, 6, 3, 12, tzinfo=UTC)
    out = case_study(trial(), salt="s", policy=POLICY, shift=shift)
    assert out["opened_at"] == "2005-04-04T10:00:00+00:00"
    assert [e["at"][:16] for e in out["events"]] == [
        "2005-04-04T10:00",
        "2005-04-04T10:05",
        "2005-04-04T10:06",
        "2005-04-04T10:07",
    ]
    # the rule's action id carries the instant its stretch began: moved with it, so the
    # replay still knows the notify was done
    assert out["events"][2]["action_id"] == (
        f"{out['id']}:rule:p1-heads-up:20050404T100000Z:notify0"
    )
    original = POLICY.evaluate(Ticket.from_mapping(trial()), now=now)
    copy = POLICY.evaluate(Ticket.from_mapping(out), now=now + shift)
    state, moved = original.paths["desk"], copy.paths["desk"]
    assert moved == replace(
        state,
        entered_at=state.entered_at + shift if state.entered_at else None,
        started_at=state.started_at + shift if state.started_at else None,
        history=tuple((at + shift, level) for at, level in state.history),
    )
    assert [(a.kind, a.due_at) for a in copy.actions] == [
        (a.kind, a.due_at + shift) for a in original.actions
    ]
    assert (copy.evaluated_at.weekday(), copy.evaluated_at.time()) == (now.weekday(), now.time())


def test_start_moves_the_opening_there_and_the_rest_alike() -> None:
    out = case_study(trial(), salt="s", start=datetime(2000, 1, 3, 9, tzinfo=UTC))
    assert out["opened_at"] == "2000-01-03T09:00:00+00:00"
    assert out["events"][3]["at"] == "2000-01-03T09:07:00+00:00"
    same = case_study(
        trial(),
        salt="s",
        shift=datetime(2000, 1, 3, 9, tzinfo=UTC) - datetime(2024, 6, 3, 10, tzinfo=UTC),
    )
    assert same == out


@pytest.mark.parametrize(
    ("written", "moved"),
    [
        ("restarted 2024-06-03T10:05:00Z", "restarted 2024-05-27T10:05:00Z"),
        ("at 2024-06-03 12:05:30.25+02:00!", "at 2024-05-27 12:05:30.25+02:00!"),
        ("from 2024-06-03 10:05 local", "from 2024-05-27 10:05 local"),  # a wall time
        ("on 2024-06-03.", "on 2024-05-27."),
        ("on 03.06.2024 and 3.6.2024", "on 27.05.2024 and 27.5.2024"),
        ("on 06/03/2024 or 03.06.24", f"on {WITHHELD} or {WITHHELD}"),  # which is the day?
        ("id 20240603T100000Z", "id 20240527T100000Z"),
        ("build 2024-06-031 v1.2.3", "build 2024-06-031 v1.2.3"),  # not dates
    ],
)
def test_written_instants_move_with_the_shift(written: str, moved: str) -> None:
    data = trial()
    data["events"][3]["text"] = written
    out = case_study(data, salt="s", shift=timedelta(weeks=-1))
    assert out["events"][3]["text"] == moved
    # and stay as they are without one (documented as identifying)
    assert case_study(data, salt="s")["events"][3]["text"] == written


def test_a_postmortem_due_instant_moves_too() -> None:
    data = trial()
    data["events"].append(
        {
            "at": "2024-06-03T11:00:00Z",
            "type": "postmortem",
            "change": "assigned",
            "owner": "max.mueller",
            "due": "2024-06-10T17:00:00Z",
        }
    )
    out = case_study(data, salt="s", shift=timedelta(days=-7))
    assert out["events"][-1]["due"] == "2024-06-03T17:00:00+00:00"
    assert out["events"][-1]["owner"] == p("person", "max.mueller")


@pytest.mark.parametrize(
    ("text", "template", "found"),
    [
        ("call +49 (0)170 1234567.", "call {}.", [("phone", "+491701234567")]),
        (
            "or 0170 1234567, 030/1234567",
            "or {}, {}",
            [("phone", "01701234567"), ("phone", "0301234567")],
        ),
        ("US (555) 123-4567 / 555.123.4567", "US {} / {}", [("phone", "5551234567")] * 2),
        ("+1-555-123-4567 2024-06-03", "{} 2024-06-03", [("phone", "+15551234567")]),
        ("mail A.B+x@Ex-ample.co.uk.", "mail {}.", [("email", "a.b+x@ex-ample.co.uk")]),
        ("see (https://wiki.example/x_(y)).", "see ({}).", [("url", "https://wiki.example/x_(y)")]),
        ("www.example.com/p, ok", "{}, ok", [("url", "www.example.com/p")]),
        (
            "ritm0012345/SCTASK0012345",
            "{}/{}",
            [("ticket", "RITM0012345"), ("ticket", "SCTASK0012345")],
        ),
        (
            "OPS-42 and PTASK0001234",
            "{} and {}",
            [("ticket", "OPS-42"), ("ticket", "PTASK0001234")],
        ),
        ("host 192.168.0.1", "host {}", [("ip", "192.168.0.1")]),
        ("ask @lena.f.", "ask @{}.", [("person", "lena.f")]),
    ],
)
def test_patterns_in_free_text_become_pseudonyms_of_their_kind(
    text: str, template: str, found: list[tuple[str, str]]
) -> None:
    data = trial(fields={"notes": text})
    data["events"][3]["text"] = text
    out = case_study(data, salt="s")
    expected = template.format(*(p(kind, value) for kind, value in found))
    assert out["events"][3]["text"] == expected
    assert out["fields"]["notes"] == expected  # custom fields are free text too


@pytest.mark.parametrize(
    "text",
    [
        "at 2024-06-03 10:05:00 (20240603T100000Z), 10:05",
        "ISO-8601, UTF-8, SHA-256, UTC-5, CVE-2024-12345",
        "order 12345678, epoch 1717408800, 3.14159, port 8080, v1.2.3, 1,234,567",
        "0.5 and 00:12:33, C-1042x, x@y, INC12",
    ],
)
def test_timestamps_ids_and_numbers_are_not_taken_for_patterns(text: str) -> None:
    data = trial(customer={"id": "CUST-9"})
    data["events"][3]["text"] = text
    assert case_study(data, salt="s")["events"][3]["text"] == text


def test_directory_names_their_words_and_addresses_are_the_persons_pseudonym() -> None:
    data = trial()
    data["events"][3]["text"] = (
        "SCHMIDT, ANNA wrote from anna.schmidt@example.com; Annas laptop. Anna-Lena and "
        "Lena von Roe: the request von Kunde. Jonathan and Jon."
    )
    names = loads(
        """\
policy: names
version: "1"
directory:
  people:
    anna.schmidt:
      name: Anna Schmidt
      channels: {email: anna.schmidt@example.com, chat: "@anna"}
    jon.berg: {name: Jon Berg}
    anna.roe: {name: Anna-Lena von Roe}
""",
        filename="names.yaml",
    )
    out = case_study(data, salt="s", policy=names)
    anna, roe, jon = p("person", "anna.schmidt"), p("person", "anna.roe"), p("person", "jon.berg")
    shared = p("name", "Anna")  # Anna Schmidt and Anna-Lena von Roe: neither alone
    assert out["events"][3]["text"] == (
        f"{anna}, {shared} wrote from {anna}; {shared}s laptop. {roe} and {roe} von {roe}: "
        f"the request von Kunde. Jonathan and {jon}."
    )


def test_without_a_directory_names_stay_and_comments_can_be_withheld() -> None:
    # documented: free-form names the directory does not hold cannot be found
    out = case_study(trial(), salt="s")
    assert out["events"][1]["text"].startswith("Anna Schmidt called ")
    withheld = case_study(trial(), salt="s", classification={"comments": "personal"})
    assert {e.get("text") for e in withheld["events"]} == {None, WITHHELD}


def test_the_policys_classification_counts_and_one_given_adds_to_it() -> None:
    out = case_study(trial(), salt="s", policy=POLICY)
    assert out["fields"]["caller_name"] == p("personal", "Erika Mustermann")
    both = case_study(
        trial(fields={"caller_name": "Erika Mustermann", "ward": "Cardiology 3"}),
        salt="s",
        policy=POLICY,
        classification={"fields.ward": "health", "fields.caller_name": "health"},
    )
    assert both["fields"] == {
        "caller_name": p("health", "Erika Mustermann"),
        "ward": p("health", "Cardiology 3"),
    }
    # a class None leaves a path the policy classifies unclassified: comments the pack
    # withholds entirely are scrubbed instead
    pack = loads(
        'policy: c\nversion: "1"\nclassification: {comments: internal-only}\n', filename="c.yaml"
    )
    assert case_study(trial(), salt="s", policy=pack)["events"][1]["text"] == WITHHELD
    released = case_study(trial(), salt="s", policy=pack, classification={"comments": None})
    assert released["events"][1]["text"].endswith(f"restart. {p('person', 'anna.schmidt')}")
    with pytest.raises(ArgumentError, match="mapping of field paths"):
        case_study(trial(), salt="s", classification=["comments"])  # type: ignore[arg-type]


def test_a_mapping_is_read_and_its_errors_name_the_ticket() -> None:
    assert case_study(trial(), salt="s") == case_study(Ticket.from_mapping(trial()), salt="s")
    with pytest.raises(TicketError, match=r"opened_at: ticket 'INC7': not an ISO-8601"):
        case_study({"id": "INC7", "opened_at": "yesterday"}, salt="s")
    with pytest.raises(ArgumentError, match="Ticket or a mapping, got list"):
        case_study([trial()], salt="s")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match=r"escalate\.Policy"):
        case_study(trial(), salt="s", policy={"directory": {}})  # type: ignore[arg-type]
    empty = loads('policy: e\nversion: "1"\nempty_values: ["?"]\n', filename="e.yaml")
    assert case_study(trial(category="?"), salt="s", policy=empty)["category"] is None


def test_bad_shifts_are_refused() -> None:
    with pytest.raises(ArgumentError, match="shift= or start=, not both"):
        case_study(trial(), salt="s", shift=timedelta(0), start=datetime(2000, 1, 3, tzinfo=UTC))
    with pytest.raises(ArgumentError, match="timedelta"):
        case_study(trial(), salt="s", shift=7)  # type: ignore[arg-type]
    with pytest.raises(EscalateError, match="start"):
        case_study(trial(), salt="s", start=datetime(2000, 1, 3))  # naive
    with pytest.raises(ArgumentError, match=r"moves opened_at .* out of range"):
        case_study(trial(), salt="s", shift=timedelta(days=-740_000))


def test_stable_under_one_salt_and_different_under_another() -> None:
    one = case_study(trial(), salt="s", policy=POLICY)
    assert case_study(trial(), salt="s", policy=POLICY) == one
    other = case_study(trial(), salt="t", policy=POLICY)
    assert other["events"][1]["text"].startswith(p("person", "anna.schmidt", "t"))
    for kind, value in (("phone", "+491701234567"), ("ticket", "INC0049999")):
        assert p(kind, value) in one["events"][1]["text"]
        assert p(kind, value) not in other["events"][1]["text"]
        assert p(kind, value, "t") in other["events"][1]["text"]


NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=9).filter(
    lambda s: s not in NOT_NAMES
)
FILLER = st.sampled_from([" ", ", ", "; ", " (", ") ", ": ", " and ", "\n", "s "])
PSEUDONYM = re.compile(r"[a-z-]+-[0-9a-f]{12}")


@settings(max_examples=80, deadline=None)
@given(
    first=NAME,
    last=NAME.filter(lambda s: len(s) >= MIN_SCRUB_CHARS),
    digits=st.text(alphabet="0123456789", min_size=7, max_size=9),
    number=st.integers(1000, 9_999_999),
    pieces=st.lists(
        st.tuples(st.sampled_from(["first", "last", "full", "phone", "ticket"]), FILLER),
        min_size=1,
        max_size=8,
    ),
)
def test_no_directory_name_phone_or_ticket_survives(
    first: str, last: str, digits: str, number: int, pieces: list[tuple[str, str]]
) -> None:
    policy = loads(
        f'policy: h\nversion: "1"\n'
        f'directory: {{people: {{p1: {{name: "{first.title()} {last.title()}"}}}}}}\n',
        filename="h.yaml",
    )
    spelt = {
        "first": first.upper(),
        "last": last.title(),
        "full": f"{first}  {last}",
        "phone": f"+49 {digits[:3]} {digits[3:]}",
        "ticket": f"INC{number:07d}",
    }
    text = "".join(spelt[piece] + filler for piece, filler in pieces)
    data = trial(events=[{"at": "2024-06-03T10:05:00Z", "type": "comment", "text": text}])
    out = case_study(data, salt="s", policy=policy)["events"][0]["text"]
    # a space where each pseudonym stood: what is left must hold none of them
    left = PSEUDONYM.sub(" ", out.casefold())
    assert last not in left
    if len(first) >= MIN_SCRUB_CHARS:
        assert first not in left
    else:  # a short first name goes where it stands as a word of its own
        assert re.search(rf"\b{first}\b", left) is None
    assert digits[3:] not in left
    assert f"inc{number:07d}" not in left


VALUES = st.sets(st.text(alphabet="ab ", min_size=1, max_size=6), max_size=6)


@settings(max_examples=150, deadline=None)
@given(values=VALUES, words=VALUES, text=st.text(alphabet="ab .", max_size=30))
def test_the_scrubbers_tree_of_prefixes_finds_what_one_alternation_finds(
    values: set[str], words: set[str], text: str
) -> None:
    # the comms Scrubber builds its pattern as a tree of shared prefixes (a directory of
    # thousands of names stays fast); it must find, at each place, the longest value as
    # the plain alternation of all values, longest first, does
    def plain(value: str, word: bool) -> str:
        body = r"\s+".join(map(re.escape, value.split(" ")))
        return rf"(?<!\w){body}(?!\w)" if word else body

    scrubber = Scrubber(values, "#", words=words)
    long = {fold(v) for v in values if len(v.strip()) >= MIN_SCRUB_CHARS and fold(v)}
    short = {fold(w) for w in words if fold(w)} - long
    ordered = sorted(
        [(v, False) for v in long] + [(w, True) for w in short], key=lambda e: (-len(e[0]), e[0])
    )
    if not ordered:
        assert scrubber.find(text) == []
        return
    pattern = re.compile("|".join(plain(v, w) for v, w in ordered))
    expected = [(*m.span(), " ".join(m.group().split())) for m in pattern.finditer(text)]
    assert scrubber.find(text) == expected


def test_a_scrubber_of_values_nested_past_its_limit_is_one_alternation_and_agrees() -> None:
    values = ["a" * n for n in range(4, 80)] + ["b" * 5]  # each value begins the next
    scrubber = Scrubber(values, "#", words=["ab"])
    assert scrubber.find("x" + "a" * 100 + " ab bbbbb") == [
        (1, 80, "a" * 79),
        (80, 101, "a" * 21),
        (102, 104, "ab"),
        (105, 110, "bbbbb"),
    ]


# -- the last review: written dates a shift left exact -------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024/06/03", "[withheld]"),  # year first with slashes
        ("2024.06.03 done", "[withheld] done"),
        ("order 20240603", "order [withheld]"),  # eight digits that read as a date
        ("id 12345678", "id 12345678"),  # eight digits that do not
        ("id 18991231", "id 18991231"),  # nor before 1990
        ("v2024-06-03", "v2022-07-04"),  # glued to a letter: moved (100 weeks back)
        ("2024-06-03T24:00", "[withheld]"),  # ISO-shaped, no instant
        ("2024-02-30", "[withheld]"),
        ("03-06-2024", "[withheld]"),  # day first with hyphens
        ("release 10.11.2024.1", "release 10.11.2024.1"),  # a version, not a date
        ("build 1.10.11.2024", "build 1.10.11.2024"),
        ("on 03.06.2024.", "on 04.07.2022."),  # a full stop after a date is not a digit
        ("12024-06-03", "12024-06-03"),  # a digit glued to it
        ("20240603T100000Z", "20220704T100000Z"),  # a stamp is moved, not withheld
    ],
)
def test_a_shift_leaves_no_written_date_exact(text: str, expected: str) -> None:
    data = {
        "id": "T1",
        "opened_at": "2024-06-03T10:00:00Z",
        "events": [{"at": "2024-06-03T10:05:00Z", "type": "comment", "text": text}],
    }
    out = case_study(data, salt="s", shift=timedelta(weeks=-100))
    assert expected == out["events"][0]["text"]


# -- the last review: the words of a classified person-like value ---------------------------------

CALLER = loads(
    """
policy: t
version: "1"
classification: {fields.caller_name: personal, fields.callback: personal, fields.condition: health}
directory:
  people:
    max.mueller: {name: Max Mueller}
""",
    filename="t.yaml",
)


def caller_study(text: str, **fields: Any) -> dict[str, Any]:
    data = {
        "id": "INC1",
        "opened_at": "2024-06-03T10:00:00Z",
        "customer": {"id": "CUST-778899"},
        "fields": {"caller_name": "Erika Mustermann", **fields},
        "events": [
            {"at": "2024-06-03T10:05:00Z", "type": "comment", "text": text},
            {
                "at": "2024-06-03T10:07:00Z",
                "type": "field-changed",
                "field": "fields.notes",
                "from": "Erika called",
                "to": "called back",
            },
            {
                "at": "2024-06-03T11:11:00Z",
                "type": "postmortem",
                "change": "item",
                "item": "fix",
                "title": "Patch srv for Erika",
                "owner": "max.mueller",
                "due": "2024-06-07T00:00:00Z",
            },
        ],
    }
    return case_study(data, salt="s", policy=CALLER, classification={"comments": None})


def test_the_words_of_a_personal_value_take_its_pseudonym_in_free_text() -> None:
    out = caller_study("Erika rang back; Mustermann confirms.")
    caller = out["fields"]["caller_name"]
    assert caller.startswith("personal-")
    assert f"{caller} rang back; {caller} confirms." == out["events"][0]["text"]
    assert f"{caller} called" == out["events"][1]["from"]  # a field-changed value
    assert f"Patch srv for {caller}" == out["events"][2]["title"]  # a post-mortem title


def test_a_customer_ids_number_and_a_health_values_words_are_found_too() -> None:
    out = caller_study("ref 778899 CUST. Asthma, 30 minutes", condition="severe asthma")
    customer = out["customer"]["id"]
    health = out["fields"]["condition"]
    # the id's number, not its prefix; a health value's words; "30" of nothing classified
    assert f"ref {customer} CUST. {health}, 30 minutes" == out["events"][0]["text"]


def test_the_words_of_a_phone_or_a_date_are_not_searched_for_alone() -> None:
    out = caller_study("call in 30 min, room 1234", callback="+49 30 1234")
    assert "call in 30 min, room 1234" == out["events"][0]["text"]


def test_a_word_two_personal_values_share_tells_neither_apart() -> None:
    out = caller_study("Mustermann rang", callback="Hans Mustermann")
    word = out["events"][0]["text"].split()[0]
    assert word.startswith("name-")
    assert word not in (out["fields"]["caller_name"], out["fields"]["callback"])


@pytest.mark.parametrize(
    ("written", "said"),
    [("Max Mueller", "Müller"), ("Max Mueller", "MUELLER"), ("Jörg Schäfer", "Schaefer")],
)
def test_a_name_is_found_in_its_other_german_spelling(written: str, said: str) -> None:
    # a directory name (Max Mueller) and a personal value (Jörg Schäfer) alike
    out = caller_study(f"Called {said} today", callback=written)
    person = out["fields"]["callback"] if written != "Max Mueller" else None
    text = out["events"][0]["text"]
    assert said not in text and text.startswith("Called person-" if person is None else "Called ")
    if person is not None:
        assert f"Called {person} today" == text
