"""The ``escalate`` command line: one module per command, dispatched from here.

Conventions every command follows (docs/cli.md lists each command, its options, its JSON
output and its exit codes):

* exit codes: 0 ok; 1 the command ran and found something (a lint finding, a failed case, a
  decision that differs); 2 a usage, load or input error, printed as one line on stderr that
  names the file, line and key, or the option. Nothing else: an unexpected exception is
  reported as an internal error in one line and also exits 2;
* ``--json`` prints one JSON document on stdout (sorted keys, ASCII);
* an input file given as ``-`` is read from standard input (one per command);
* an instant option (``--at``, ``--as-of``) takes ISO 8601 with an offset, or ``now``;
* ``escalate --version`` prints ``escalate <version>``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from escalate._json import MAX_JSON_DEPTH, MAX_JSON_INT_DIGITS
from escalate._version import __version__
from escalate.cli import (
    audit,
    calibrate,
    demo,
    diff,
    evaluate,
    replay,
    report,
    schema,
    simulate,
    snapshot,
    test,
    validate,
    vendors,
)
from escalate.cli._io import (
    MAX_HORIZON_DAYS,
    MAX_JSON_BYTES,
    MAX_MESSAGE_CHARS,
    STDIN,
    Parser,
    UsageError,
    error,
    reset_stdin,
)
from escalate.errors import EscalateError, PolicyError, every_error

__all__ = [
    "MAX_HORIZON_DAYS",
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_JSON_INT_DIGITS",
    "MAX_MESSAGE_CHARS",
    "main",
]

#: The commands, in the order ``escalate --help`` lists them. Each module has
#: ``register(subparsers)``, which adds its parser(s) with ``run`` set to the function to call.
COMMANDS = (
    validate,
    evaluate,
    schema,
    demo,
    test,
    simulate,
    diff,
    snapshot,
    replay,
    calibrate,
    vendors,
    report,
    audit,
)


#: The arguments that name an input file, and how the command line writes them: ``-`` in
#: more than one of them is a usage error.
_INPUTS = (
    ("path", "PATH"),
    ("old", "OLD"),
    ("new", "NEW"),
    ("policy", "--policy"),
    ("ticket", "--ticket"),
    ("tickets", "--tickets"),
    ("availability", "--availability"),
    ("events", "--events"),
)


def parser() -> argparse.ArgumentParser:
    """The whole command line."""
    top = Parser(
        prog="escalate", description="Deterministic escalation decisions from YAML policies."
    )
    top.add_argument("--version", action="version", version=f"escalate {__version__}")
    sub = top.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0, 1 or 2)."""
    try:
        return _run(argv)
    except BrokenPipeError:
        # The reader went away (``escalate demo | head``): nothing to report to it.
        _quiet_stdout()
        return 2
    except KeyboardInterrupt:
        error("escalate: interrupted")
        return 2
    except Exception as exc:  # the last resort: a bug in escalate, still one line and exit 2
        error(
            f"escalate: internal error: {type(exc).__name__}: {exc} "
            "(a bug in escalate; please report it with the command and its input)"
        )
        return 2


def _run(argv: Sequence[str] | None) -> int:
    reset_stdin()
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # --help
        return 0 if exc.code == 0 else 2
    except UsageError as exc:
        error(str(exc))
        return 2
    piped = [option for name, option in _INPUTS if getattr(args, name, None) == STDIN]
    if len(piped) > 1:  # said before anything is read, so no input is half consumed
        error(
            f"escalate: error: {' and '.join(piped)} both say '-': only one input can come from "
            "standard input (give the others as files)"
        )
        return 2
    try:
        code: int = args.run(args)
    except PolicyError as exc:  # every independent problem of a policy, one per line
        problems = every_error(exc)
        for problem in problems:
            error(f"escalate: error: {problem}")
        if len(problems) > 1:
            error(f"escalate: {len(problems)} problems; the policy does not load")
        return 2
    except EscalateError as exc:
        error(f"escalate: error: {exc}")
        return 2
    return code


def _quiet_stdout() -> None:
    """Point stdout at the null device, so the interpreter's final flush cannot fail again."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):  # no real file behind stdout
        pass
