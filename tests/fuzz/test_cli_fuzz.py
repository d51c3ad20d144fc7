"""Hostile CLI inputs: the ``escalate`` command exits 0, 1 or 2, never prints a traceback, says
what went wrong in one line, and never writes raw escape, control or bidi characters.

A fixed table of hostile files and arguments runs in real subprocesses (with a timeout and a
1 GiB address-space limit, so a read that never ends or eats memory fails instead of hanging
the suite); generated cases run in-process through ``escalate.cli.main``.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate.cli import main
from tests.fuzz.hostile import (
    DIGIT_SETS,
    EXAMPLE_TICKETS,
    HOSTILE_FRAGMENTS,
    PACK_TEXT,
    ROOT,
    SEED_TREES,
    SMALL_CLOCKS,
    SMALL_ONCALL,
    SMALL_TICKETS,
    _digits,
    default_recursion_limit,
    dump_yaml,
    mutated_trees,
    raw_controls,
    show,
)

TIMEOUT_S = 8
MEMORY_LIMIT = 1 << 30
PARALLEL = 2
ERROR_LINE = re.compile(r"escalate(?: [a-z]+)?: error: ")

# --------------------------------------------------------------------------------------------
# The output properties, shared by subprocess and in-process runs
# --------------------------------------------------------------------------------------------


def check_output(what: str, code: int | None, out: str, err: str, expect: Sequence[int]) -> None:
    """Exit code in ``expect`` (a subset of 0/1/2), no traceback, a short error, no raw controls."""
    shown = err
    if "Traceback" in err:  # the end says what escaped, and from where
        shown = "…" + "\n".join(err.rstrip().splitlines()[-5:])
    where = (
        f"{what}\n  exit code: {code}\n  stdout: {show(out, 400)}\n  stderr: {show(shown, 1500)}"
    )
    assert code in (0, 1, 2), f"exit code outside 0/1/2\n{where}"
    assert "Traceback" not in err and "Traceback" not in out, f"a traceback was printed\n{where}"
    assert code in expect, f"expected exit code in {sorted(expect)}\n{where}"
    lines = err.splitlines()
    if err.startswith("usage:"):  # argparse: usage (wrapped) and one error line
        assert len(lines) <= 8, f"usage error longer than 8 lines\n{where}"
        assert ERROR_LINE.match(lines[-1]), f"usage error does not end in an error line\n{where}"
    elif code == 2 and len(lines) > 1:  # several independent load errors: one line each
        summary = f"escalate: {len(lines) - 1} problems; the policy does not load"
        assert lines[-1] == summary, f"several errors must end in {summary!r}\n{where}"
        assert all(ERROR_LINE.match(line) for line in lines[:-1]), f"not error lines\n{where}"
    elif code == 2:
        assert len(lines) == 1, f"an error must be one line on stderr, got {len(lines)}\n{where}"
        assert ERROR_LINE.match(lines[0]), f"stderr is not an 'escalate: error:' line\n{where}"
    for name, text in (("stdout", out), ("stderr", err)):
        bad = raw_controls(text)
        assert not bad, f"raw control/bidi characters {bad} in {name}\n{where}"


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def _ticket_json(ticket: dict[str, Any], **changes: Any) -> str:
    return json.dumps({**ticket, **changes}, ensure_ascii=True)


def _hostile_policy_text() -> str:
    """The on-call policy with escape, control and bidi characters in names, version and
    templates (anything the CLI might print)."""
    tree = copy.deepcopy(SEED_TREES["small-oncall"])
    tree["version"] = "2\x1b]0;pwned\x07"
    tree["description"] = "\x1b[2J\u202eevil"
    tree["directory"]["people"]["erin"]["name"] = "Erin \x1b[31mRED\u202e\u2066"
    tree["clocks"]["resolution"]["ladder"][0]["notify"]["template"] = "\x1b[2Jwipe"
    return dump_yaml(tree)


def make_files(tmp: Path) -> dict[str, Path]:
    """Every hostile file of the table, by name."""
    p1 = EXAMPLE_TICKETS["INC0010001"]
    files: dict[str, bytes] = {
        "pack.yaml": PACK_TEXT.encode(),
        "small.yaml": SMALL_CLOCKS.encode(),
        "oncall.yaml": SMALL_ONCALL.encode(),
        "ticket.json": _ticket_json(p1).encode(),
        "latin1.json": _ticket_json(p1, category="réseau")
        .replace("\\u00e9", "é")
        .encode("latin-1"),
        "utf16.json": _ticket_json(p1).encode("utf-16"),
        "bom.json": _ticket_json(p1).encode("utf-8-sig"),
        "nested-list.json": b"[" * 100_000 + b"]" * 100_000,
        "nested-object.json": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        "bigint.json": _ticket_json(p1, reassignment_count=0)
        .replace('"reassignment_count": 0', '"reassignment_count": ' + "9" * 5000)
        .encode(),
        "bigint-field.json": _ticket_json(p1, fields={"seats": 0})
        .replace('"seats": 0', '"seats": ' + "9" * 5000)
        .encode(),
        "bigfloat.json": _ticket_json(p1, reassignment_count=0)
        .replace('"reassignment_count": 0', '"reassignment_count": 1e400')
        .encode(),
        "nan.json": _ticket_json(p1, reopen_count=0)
        .replace('"reopen_count": 0', '"reopen_count": NaN')
        .encode(),
        "surrogate.json": _ticket_json(p1, id="INC\ud800").encode(),
        "nul-raw.json": _ticket_json(p1).replace("INC0010001", "INC\x00").encode(),
        "nul-escaped.json": _ticket_json(p1, id="INC\x00001").encode(),
        "escape.json": _ticket_json(p1, id="INC\x1b[2J\u202e1", category="\x1b]0;x\x07").encode(),
        "list.json": b"[1, 2]",
        "empty.json": b"",
        "hostile.yaml": _hostile_policy_text().encode(),
        "bidi-id.yaml": SMALL_CLOCKS.replace(
            "id: slow-response", 'id: "slow\u202eresponse"'
        ).encode(),
        "bigint.yaml": SMALL_CLOCKS.replace("version: 1", "version: " + "9" * 5000).encode(),
        "nested.yaml": b"[" * 100_000 + b"]" * 100_000,
        "latin1.yaml": SMALL_CLOCKS.replace("a small policy", "une règle").encode("latin-1"),
    }
    out = {}
    for name, data in files.items():
        path = tmp / name
        path.write_bytes(data)
        out[name] = path
    # A policy folder with a directory and a broken link that look like policy files.
    folder = tmp / "folder-odd"
    (folder / "sub.yaml").mkdir(parents=True)
    (folder / "a.yaml").write_text(SMALL_CLOCKS, encoding="utf-8")
    (folder / "broken.yaml").symlink_to(tmp / "does-not-exist.yaml")
    out["folder-odd"] = folder
    # A folder whose files give one section two shapes.
    mixed = tmp / "folder-mixed"
    mixed.mkdir()
    (mixed / "a.yaml").write_text(SMALL_CLOCKS, encoding="utf-8")
    (mixed / "b.yaml").write_text("policy: small\nversion: 1\nrules: {x: 1}\n", encoding="utf-8")
    (mixed / "c.yaml").write_text("policy: small\nversion: 1\ncalendars: [1]\n", encoding="utf-8")
    out["folder-mixed"] = mixed
    # FIFOs: a reader blocks until a writer comes, which never happens.
    os.mkfifo(tmp / "fifo.json")
    out["fifo.json"] = tmp / "fifo.json"
    fifo_folder = tmp / "folder-fifo"
    fifo_folder.mkdir()
    (fifo_folder / "a.yaml").write_text(SMALL_CLOCKS, encoding="utf-8")
    os.mkfifo(fifo_folder / "z.yaml")
    out["folder-fifo"] = fifo_folder
    os.mkfifo(tmp / "fifo.yaml")
    out["fifo.yaml"] = tmp / "fifo.yaml"
    # Tickets for demo: one good, one hostile.
    demo = tmp / "demo-tickets"
    demo.mkdir()
    (demo / "a.json").write_text(_ticket_json(p1), encoding="utf-8")
    (demo / "b.json").write_bytes(files["escape.json"])
    out["demo-tickets"] = demo
    return out


# --------------------------------------------------------------------------------------------
# The subprocess table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CliCase:
    """One command line; ``{name}`` in an argument is the path of that hostile file."""

    id: str
    argv: tuple[str, ...]
    expect: tuple[int, ...] = (0, 1, 2)
    names: str | None = None  # text the one-line error must contain (the input it names)
    process: bool = False  # run in a subprocess (hangs, memory, the real stdout's encoding)


AT = "2024-11-20T15:00:00+00:00"
EVAL = ("evaluate", "--policy", "{pack.yaml}", "--at", AT, "--ticket")

CASES = [
    # Ticket files the issue names: all must be a one-line error.
    CliCase("ticket-latin1", (*EVAL, "{latin1.json}"), (2,), "latin1.json", process=True),
    CliCase("ticket-utf16", (*EVAL, "{utf16.json}"), (2,), "utf16.json"),
    CliCase("ticket-bom", (*EVAL, "{bom.json}"), (0, 2)),
    CliCase("ticket-nested-list", (*EVAL, "{nested-list.json}"), (2,), "nested-list.json"),
    CliCase("ticket-nested-object", (*EVAL, "{nested-object.json}"), (2,), "nested-object.json"),
    CliCase("ticket-5000-digit-count", (*EVAL, "{bigint.json}"), (2,), "bigint.json"),
    CliCase(
        "ticket-5000-digit-field",
        (
            "explain",
            "--json",
            "--policy",
            "{small.yaml}",
            "--at",
            AT,
            "--ticket",
            "{bigint-field.json}",
        ),
        (2,),
        "bigint-field.json",
    ),
    CliCase("ticket-1e400", (*EVAL, "{bigfloat.json}"), (2,), "bigfloat.json"),
    CliCase("ticket-NaN", (*EVAL, "{nan.json}"), (2,), "nan.json"),
    CliCase(
        "ticket-lone-surrogate-id",
        (*EVAL, "{surrogate.json}"),
        (2,),
        "surrogate.json",
        process=True,
    ),
    CliCase("ticket-raw-nul", (*EVAL, "{nul-raw.json}"), (2,), "nul-raw.json"),
    CliCase("ticket-escaped-nul", (*EVAL, "{nul-escaped.json}")),
    CliCase("ticket-escape-and-bidi", ("explain", *EVAL[1:], "{escape.json}"), process=True),
    CliCase("ticket-escape-json", (*EVAL, "{escape.json}", "--json")),
    CliCase("ticket-not-an-object", (*EVAL, "{list.json}"), (2,), "list.json"),
    CliCase("ticket-empty", (*EVAL, "{empty.json}"), (2,), "empty.json"),
    CliCase("ticket-missing", (*EVAL, "{pack.yaml}.missing"), (2,), "missing"),
    CliCase("ticket-directory", (*EVAL, "{demo-tickets}"), (2,), "demo-tickets"),
    CliCase("ticket-fifo", (*EVAL, "{fifo.json}"), (2,), "fifo.json", process=True),
    CliCase("ticket-dev-zero", (*EVAL, "/dev/zero"), (2,), "/dev/zero", process=True),
    CliCase("ticket-overlong-path", (*EVAL, "x" * 5000), (2,)),
    # Policies.
    CliCase("policy-escape-validate", ("validate", "{hostile.yaml}", "--as-of", AT), process=True),
    CliCase(
        "policy-escape-explain",
        ("explain", "--policy", "{hostile.yaml}", "--at", AT, "--ticket", "{ticket.json}"),
    ),
    CliCase("policy-bidi-rule-id", ("validate", "{bidi-id.yaml}", "--as-of", AT)),
    CliCase("policy-5000-digit-version", ("validate", "{bigint.yaml}", "--as-of", AT), (2,)),
    CliCase("policy-nested", ("validate", "{nested.yaml}", "--as-of", AT), (2,), "nested.yaml"),
    CliCase("policy-latin1", ("validate", "{latin1.yaml}", "--as-of", AT), (2,), "latin1.yaml"),
    CliCase("policy-folder-with-dir-and-broken-link", ("validate", "{folder-odd}", "--as-of", AT)),
    CliCase("policy-folder-mixed-shapes", ("lint", "{folder-mixed}", "--as-of", AT), (2,)),
    CliCase(
        "policy-fifo", ("validate", "{fifo.yaml}", "--as-of", AT), (2,), "fifo.yaml", process=True
    ),
    CliCase(
        "policy-folder-fifo",
        ("validate", "{folder-fifo}", "--as-of", AT),
        (2,),
        "z.yaml",
        process=True,
    ),
    CliCase(
        "policy-dev-zero", ("validate", "/dev/zero", "--as-of", AT), (2,), "/dev/zero", process=True
    ),
    CliCase("policy-dev-null", ("validate", "/dev/null", "--as-of", AT), (2,)),
    # Arguments.
    CliCase("horizon-negative", ("validate", "{small.yaml}", "--horizon-days", "-1"), (2,)),
    CliCase("horizon-huge", ("validate", "{small.yaml}", "--horizon-days", "9" * 30), (2,)),
    CliCase(
        "horizon-past-timedelta", ("validate", "{small.yaml}", "--horizon-days", "999999999"), (2,)
    ),
    CliCase(
        "as-of-far-future",
        ("validate", "{pack.yaml}", "--as-of", "9999-12-31T23:59:59-14:00"),
        (2,),
    ),
    CliCase(
        "as-of-year-one", ("validate", "{pack.yaml}", "--as-of", "0001-01-01T00:00:00+14:00"), (2,)
    ),
    CliCase(
        "at-far-future",
        (*EVAL[:4], "9999-12-31T23:59:59-14:00", "--ticket", "{ticket.json}"),
        (2,),
    ),
    CliCase("at-year-9999", (*EVAL[:4], "9999-12-30T00:00:00+00:00", "--ticket", "{ticket.json}")),
    CliCase(
        "at-before-opening",
        (*EVAL[:4], "0001-01-01T00:00:00+14:00", "--ticket", "{ticket.json}"),
        (2,),
    ),
    CliCase("at-naive", (*EVAL[:4], "2024-11-20T15:00:00", "--ticket", "{ticket.json}"), (2,)),
    CliCase("at-escape", (*EVAL[:4], "\x1b[2J\u202e", "--ticket", "{ticket.json}"), (2,)),
    CliCase(
        "at-arabic-indic-digits",
        (*EVAL[:4], "٢٠٢٤-١١-٢٠T15:00:00+00:00", "--ticket", "{ticket.json}"),
        (2,),
    ),
    CliCase(
        "horizon-arabic-indic-digit", ("validate", "{small.yaml}", "--horizon-days", "١٤"), (2,)
    ),
    CliCase("schema-unknown", ("schema", "\x1b[2Jbogus"), (2,)),
    CliCase("demo-hostile-tickets", ("demo", "--tickets", "{demo-tickets}"), process=True),
    CliCase("demo-policy-directory", ("demo", "--policy", "{demo-tickets}"), (2,)),
]


@dataclass
class Result:
    code: int | None
    out: str
    err: str
    seconds: float


def _limit_memory() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _argv(case: CliCase, files: dict[str, Path]) -> list[str]:
    def fill(arg: str) -> str:
        return re.sub(r"\{([^{}]+)\}", lambda m: str(files.get(m.group(1), m.group(0))), arg)

    return [sys.executable, "-m", "escalate.cli", *(fill(a) for a in case.argv)]


def run_all(cases: Sequence[CliCase], files: dict[str, Path], tmp: Path) -> dict[str, Result]:
    """Run the cases, ``PARALLEL`` at a time, output to files (no pipe can fill up)."""
    env = {**os.environ, "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "random"}
    env.pop("PYTHONIOENCODING", None)
    pending = list(cases)
    running: dict[str, tuple[subprocess.Popen[bytes], float, Any, Any]] = {}
    results: dict[str, Result] = {}
    while pending or running:
        while pending and len(running) < PARALLEL:
            case = pending.pop(0)
            out = (tmp / f"{case.id}.out").open("w+b")
            err = (tmp / f"{case.id}.err").open("w+b")
            proc = subprocess.Popen(
                _argv(case, files),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                cwd=ROOT,
                env=env,
                # The suite starts no threads, and the limit must hold before the CLI starts.
                preexec_fn=_limit_memory,  # noqa: PLW1509
            )
            running[case.id] = (proc, time.monotonic(), out, err)
        time.sleep(0.02)
        for name, (proc, started, out, err) in list(running.items()):
            elapsed = time.monotonic() - started
            code = proc.poll()
            if code is None and elapsed < TIMEOUT_S:
                continue
            if code is None:
                proc.kill()
                proc.wait()
            out.seek(0)
            err.seek(0)
            results[name] = Result(
                code,
                out.read().decode("utf-8", "backslashreplace"),
                err.read().decode("utf-8", "backslashreplace"),
                elapsed,
            )
            out.close()
            err.close()
            del running[name]
    return results


PROCESS_CASES = [c for c in CASES if c.process]
INPROCESS_CASES = [c for c in CASES if not c.process]


@pytest.fixture(scope="module")
def cli_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_files(tmp_path_factory.mktemp("cli"))


@pytest.fixture(scope="module")
def cli_results(
    cli_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Result]:
    return run_all(PROCESS_CASES, cli_files, tmp_path_factory.mktemp("cli-out"))


def _what(case: CliCase) -> str:
    return f"escalate {' '.join(show(a, 80) for a in case.argv)}"


def _names_the_input(case: CliCase, code: int | None, err: str) -> None:
    if case.names is not None and code == 2:
        assert case.names in err, f"{_what(case)}: the error does not name {case.names!r}: {err!r}"


@pytest.mark.parametrize("case", PROCESS_CASES, ids=[c.id for c in PROCESS_CASES])
def test_the_cli_process_exits_0_1_or_2_with_a_one_line_error_and_no_raw_controls(
    case: CliCase, cli_results: dict[str, Result]
) -> None:
    result = cli_results[case.id]
    assert result.code is not None, (
        f"{_what(case)}: still running after {TIMEOUT_S} s (killed)\n"
        f"  stderr: {show(result.err, 800)}"
    )
    check_output(_what(case), result.code, result.out, result.err, case.expect)
    _names_the_input(case, result.code, result.err)


@pytest.mark.parametrize("case", INPROCESS_CASES, ids=[c.id for c in INPROCESS_CASES])
def test_the_cli_main_exits_0_1_or_2_with_a_one_line_error_and_no_raw_controls(
    case: CliCase, cli_files: dict[str, Path]
) -> None:
    argv = _argv(case, cli_files)[3:]
    code, out, err = run_main(argv)
    check_output(_what(case), code, out, err, case.expect)
    _names_the_input(case, code, err)


# --------------------------------------------------------------------------------------------
# In-process, generated
# --------------------------------------------------------------------------------------------

INPROC = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@contextlib.contextmanager
def captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield out, err


def run_main(argv: list[str]) -> tuple[int, str, str]:
    with captured() as (out, err), default_recursion_limit():
        try:
            code = main(argv)
        except BaseException as exc:
            raise AssertionError(
                f"main({show(argv, 400)}) raised {type(exc).__name__}: {show(str(exc), 300)}"
            ) from exc
    text_out, text_err = out.getvalue(), err.getvalue()
    for name, text in (("stdout", text_out), ("stderr", text_err)):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise AssertionError(
                f"main({show(argv, 400)}) wrote text a UTF-8 terminal cannot take to {name}: "
                f"{show(text, 400)}"
            ) from exc
    return code, text_out, text_err


def _json_text(value: object, *, ensure_ascii: bool = True) -> str:
    """JSON of a mutated ticket: instants as ISO text, huge ints as their digits."""
    huge: list[str] = []

    def default(obj: object) -> object:
        if isinstance(obj, datetime | date):
            return obj.isoformat()
        return str(obj)

    def prepare(obj: object) -> object:
        if isinstance(obj, bool) or obj is None:
            return obj
        if isinstance(obj, int) and obj.bit_length() > 10_000:
            huge.append(_digits(obj))
            return f"HUGE{len(huge) - 1}PLACEHOLDER"
        if isinstance(obj, dict):
            return {
                str(prepare(k)) if not isinstance(k, str) else k: prepare(v) for k, v in obj.items()
            }
        if isinstance(obj, list):
            return [prepare(v) for v in obj]
        return obj

    text = json.dumps(prepare(value), default=default, ensure_ascii=ensure_ascii)
    for i, digits in enumerate(huge):
        text = text.replace(f'"HUGE{i}PLACEHOLDER"', digits, 1)
    return text


@dataclass
class FileCase:
    """A file's bytes and how they were made (the ``repr`` shows only the latter)."""

    log: list[str]
    data: bytes

    def __repr__(self) -> str:
        return f"FileCase(log={self.log!r}, {len(self.data)} bytes: {show(self.data, 120)})"


@st.composite
def ticket_files(draw: st.DrawFn) -> FileCase:
    """A mutated ticket as file bytes (sometimes damaged bytes), and how it was made."""
    name = draw(st.sampled_from(("INC0010001", "INC0010005", "big-customer")))
    seed = EXAMPLE_TICKETS.get(name) or SMALL_TICKETS[name]
    mutated = draw(mutated_trees(seed, max_mutations=2))
    text = _json_text(mutated.tree)
    log = [name, *mutated.log]
    encoding = draw(
        st.sampled_from(("utf-8", "utf-8", "utf-8", "surrogatepass", "latin-1", "utf-16"))
    )
    if encoding == "surrogatepass":
        data = _json_text(mutated.tree, ensure_ascii=False).encode("utf-8", "surrogatepass")
    elif encoding == "latin-1":
        data = text.encode("latin-1", "replace")
    else:
        data = text.encode(encoding)
    if draw(st.integers(0, 3)) == 0:
        i = draw(st.integers(0, len(data)))
        junk = draw(
            st.sampled_from((b"\x00", b"\xff", b"\xef\xbb\xbf", b"\xe9", b"\x1b[2J", b"[" * 5000))
        )
        data = data[:i] + junk + data[i:]
        log.append(f"bytes {junk[:10]!r} at {i}")
    if encoding != "utf-8":
        log.append(f"encoded {encoding}")
    return FileCase(log, data)


_AT_TEXTS = st.one_of(
    st.sampled_from(
        (
            AT,
            "2024-11-20T15:00:00Z",
            "2024-11-20T15:00:00z",
            "2024-11-20T15:00:00+24:00",
            "2024-11-20T15:00:00.1234567+00:00",
            "9999-12-31T23:59:59.999999-23:59",
            "0001-01-01T00:00:00+23:59",
            "2024-10-27T02:30:00+01:00",
            "",
            "now",
            "2024-11-20T15:00:00+00:00\x1b[2J",
        )
    ),
    st.sampled_from(DIGIT_SETS).map(
        lambda d: "".join(d[int(c)] if c.isdigit() else c for c in "2024-11-20T15:00:00+00:00")
    ),
    st.text(max_size=8),
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("inproc")
    (tmp / "small.yaml").write_text(SMALL_CLOCKS, encoding="utf-8")
    (tmp / "oncall.yaml").write_text(SMALL_ONCALL, encoding="utf-8")
    return tmp


_AVAILABILITY = {
    "out_of_office": [
        {"person": "alice", "from": "2024-11-20T09:00:00+01:00", "until": "2024-11-21T00:00:00Z"}
    ],
    "unreachable": ["carol"],
    "schedule_overrides": [
        {
            "schedule": "rota",
            "start": "2024-11-20T00:00:00Z",
            "end": "2024-11-21T00:00:00Z",
            "people": ["erin", "dave"],
        }
    ],
}


@st.composite
def availability_files(draw: st.DrawFn) -> FileCase:
    """The availability of the on-call seed, mutated, as JSON bytes."""
    mutated = draw(mutated_trees(_AVAILABILITY, max_mutations=2))
    return FileCase(mutated.log, _json_text(mutated.tree).encode("utf-8"))


@INPROC
@given(
    ticket=ticket_files(),
    at=_AT_TEXTS,
    command=st.sampled_from(("evaluate", "explain")),
    policy=st.sampled_from(("small.yaml", "oncall.yaml")),
    as_json=st.booleans(),
    availability=st.none() | availability_files(),
)
def test_a_hostile_ticket_file_or_instant_is_handled_by_the_cli(
    workdir: Path,
    ticket: FileCase,
    at: str,
    command: str,
    policy: str,
    as_json: bool,
    availability: FileCase | None,
) -> None:
    path = workdir / "ticket.json"
    path.write_bytes(ticket.data)
    argv = [command, "--policy", str(workdir / policy), "--ticket", str(path), "--at", at]
    argv += ["--json"] if as_json else []
    if availability is not None:
        (workdir / "availability.json").write_bytes(availability.data)
        argv += ["--availability", str(workdir / "availability.json")]
    code, out, err = run_main(argv)
    what = f"main({argv!r}) on ticket {ticket.log!r}, availability {availability!r}"
    check_output(what, code, out, err, (0, 2))


@st.composite
def policy_files(draw: st.DrawFn) -> FileCase:
    """A small seed with hostile characters put into its text values."""
    seed = draw(st.sampled_from(("small-clocks", "small-oncall")))
    mutated = draw(mutated_trees(SEED_TREES[seed], max_mutations=3, raw_yaml=True))
    return FileCase([seed, *mutated.log], dump_yaml(mutated.tree).encode("utf-8", "surrogatepass"))


@INPROC
@given(
    policy=policy_files(),
    command=st.sampled_from(("validate", "explain", "evaluate")),
    horizon=st.sampled_from(("14", "-1", "0", "999999999", "9" * 30, "1e3", "٤")),
)
def test_a_hostile_policy_file_or_horizon_is_handled_by_the_cli(
    workdir: Path, policy: FileCase, command: str, horizon: str
) -> None:
    log = policy.log
    path = workdir / "policy.yaml"
    path.write_bytes(policy.data)
    if command == "validate":
        argv = ["validate", str(path), "--as-of", AT, "--horizon-days", horizon]
    else:
        ticket = workdir / "good.json"
        ticket.write_text(json.dumps(SMALL_TICKETS["big-customer"]), encoding="utf-8")
        argv = [command, "--policy", str(path), "--ticket", str(ticket), "--at", AT]
    code, out, err = run_main(argv)
    check_output(f"main({argv!r}) on policy {log!r}", code, out, err, (0, 1, 2))


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "policy\x00.yaml"],
        ["evaluate", "--policy", "p\x00", "--ticket", "t", "--at", AT],
        ["evaluate", "--policy", "{small}", "--ticket", "t\x00.json", "--at", AT],
        ["evaluate", "--policy", "{small}", "--ticket", "\ud800.json", "--at", AT],
        ["validate", "\x1b[2J\u202e.yaml"],
        ["validate", "x" * 100_000],
        ["demo", "--tickets", "\x1b[31m"],
        ["demo", "--availability", "{small}"],
    ],
    ids=[
        "nul-in-policy-path",
        "nul-in-evaluate-policy-path",
        "nul-in-ticket-path",
        "surrogate-in-ticket-path",
        "escape-in-path",
        "overlong-path",
        "escape-in-demo-folder",
        "policy-as-availability",
    ],
)
def test_a_hostile_path_is_a_one_line_error(workdir: Path, argv: list[str]) -> None:
    argv = [a.replace("{small}", str(workdir / "small.yaml")) for a in argv]
    code, out, err = run_main(argv)
    check_output(f"main({argv!r})", code, out, err, (2,))


def test_every_hostile_fragment_is_seen_as_a_control_or_odd_character() -> None:
    """Guard of the checker itself: the fragments the suite injects are the ones it detects
    (but the harmless ones: no-break space, combining accent, emoji)."""
    harmless = {"\u00a0", "\u0301", "\U0001f600"}
    missed = [f for f in HOSTILE_FRAGMENTS if f not in harmless and not raw_controls(f)]
    assert [] == missed
