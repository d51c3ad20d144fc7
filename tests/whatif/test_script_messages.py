"""How a bad scripted event is named: instants, dates and durations as the text a script
writes (never Python reprs), key paths under ``events``, and the file called an events file.

YAML reads an unquoted ``2024-11-20T15:00:00`` as a datetime and ``2024-11-20`` as a date, so
these values reach the messages from an ordinary events file, not only from Python callers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from escalate import loads, simulate
from escalate.cli import main
from escalate.whatif import ScriptedEventError

POLICY = loads("policy: p\nversion: 1\n", filename="p.yaml")
TICKET = {"id": "T1", "opened_at": "2024-11-20T14:00:00Z", "priority": "P1"}
UNTIL = datetime(2024, 11, 21, tzinfo=UTC)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (
            {"at": datetime(2024, 11, 20, 15), "type": "comment"},
            r"^events\[0\]\.at: has no time zone .* \(got 2024-11-20T15:00:00\)$",
        ),
        (
            {"at": date(2024, 11, 20), "type": "comment"},
            r"^events\[0\]\.at: must be an ISO-8601 instant .* \(got 2024-11-20\)$",
        ),
        (
            {"after": timedelta(hours=-1, minutes=-30), "type": "comment"},
            r"^events\[0\]\.after: .*positive duration \(got -1h30m\)$",
        ),
        (
            {
                "after": "10m",
                "type": "comment",
                "actor": datetime(2024, 11, 20, tzinfo=UTC),
            },
            r"^events\[0\]\.actor: .* \(got 2024-11-20T00:00:00\+00:00\)$",
        ),
        (
            {"at": "2024-11-20T15:00:00Z", "after": date(2024, 11, 20), "type": "comment"},
            r"^events\[0\]: .*exactly one of .* \(got \{'after': 2024-11-20, 'at': '2024-11-20T15",
        ),
    ],
)
def test_times_and_durations_in_a_message_are_written_as_a_script_writes_them(
    event: dict[str, object], message: str
) -> None:
    with pytest.raises(ScriptedEventError, match=message) as caught:
        simulate(POLICY, TICKET, until=UNTIL, events=[event])
    assert "datetime." not in str(caught.value)


def test_the_errors_value_is_still_what_was_given() -> None:
    naive = datetime(2024, 11, 20, 15)
    with pytest.raises(ScriptedEventError) as caught:
        simulate(POLICY, TICKET, until=UNTIL, events=[{"at": naive, "type": "comment"}])
    assert naive == caught.value.value


def events_error(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> str:
    (tmp_path / "p.yaml").write_text("policy: p\nversion: 1\n", encoding="utf-8")
    (tmp_path / "t.json").write_text('{"id": "T1", "opened_at": "2024-11-20T14:00:00Z"}')
    (tmp_path / "ev.yaml").write_text(text, encoding="utf-8")
    code = main(
        [
            "simulate",
            "--policy",
            str(tmp_path / "p.yaml"),
            "--ticket",
            str(tmp_path / "t.json"),
            "--events",
            str(tmp_path / "ev.yaml"),
            "--until",
            "2024-11-21T00:00:00Z",
        ]
    )
    out, err = capsys.readouterr()
    assert (2, "") == (code, out)
    return err.strip().replace(str(tmp_path), "DIR")


def test_an_unquoted_yaml_timestamp_without_an_offset_is_shown_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        "escalate: error: DIR/ev.yaml:1:4: events[0].at: has no time zone (escalate never "
        "guesses whether a naive time is UTC or local) (got 2024-11-20T15:00:00)"
    ) == events_error(tmp_path, "- {at: 2024-11-20T15:00:00, type: comment}\n", capsys)


def test_a_yaml_error_in_an_events_file_names_the_event_and_the_events_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        "escalate: error: DIR/ev.yaml:1:43: events[0].actor: unsupported tag !!binary; an "
        "events file holds only strings, numbers, booleans, null, dates, lists and mappings"
    ) == events_error(
        tmp_path, "- {after: 10m, type: acknowledged, actor: !!binary aGVsbG8=}\n", capsys
    )


def test_a_second_document_in_an_events_file_says_events_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        "escalate: error: DIR/ev.yaml:2:1: a second YAML document starts on line 2; an events "
        "file holds exactly one document (the first starts on line 1)"
    ) == events_error(tmp_path, "- {after: 10m, type: comment}\n---\n- 1\n", capsys)
