"""``escalate test``: run case files against their policies, with coverage.

``escalate test PATH [-k EXPR] [--json] [--fail-under PERCENT] [--no-coverage]``. PATH is a
case file, a policy file (its ``.cases.yaml`` or ``.cases.yml`` beside it) or a folder searched
recursively for both. A case file that does not load is reported (every problem on stderr, and
in ``--json``) and the others still run. Exit 0 when every selected case passes (and every
policy's coverage reaches ``--fail-under``), 1 when a case fails or coverage is under the bar,
2 on a usage, load or input error (including a case that cannot be evaluated).
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from escalate.cli._io import error, out, print_json
from escalate.errors import EscalateError, shown
from escalate.testing.cases import CaseFile, every_problem, find_case_files, load_cases
from escalate.testing.coverage import Coverage, CoverageReport
from escalate.testing.keywords import Keywords
from escalate.testing.runner import ERROR, FAIL, PASS, CaseResult, run_case, select


def register(sub: Any) -> None:
    cmd = sub.add_parser(
        "test",
        help="run policy cases (*.cases.yaml) and report coverage",
        description="Run the cases of a case file, of a policy's case file, or of every "
        "*.cases.yaml under a folder. Exit 0: all pass; 1: a case failed or coverage is under "
        "--fail-under; 2: usage, load or input error.",
    )
    cmd.add_argument("path", help="a *.cases.yaml file, a policy .yaml file, or a folder")
    cmd.add_argument(
        "-k",
        dest="keywords",
        type=_keywords,
        metavar="EXPR",
        help="run only cases whose name matches: words (substrings, any case) with and, or, "
        "not and parentheses, e.g. 'p1 and not vip'",
    )
    cmd.add_argument("--json", action="store_true", help="print one JSON document")
    cmd.add_argument(
        "--fail-under",
        type=_percent,
        metavar="PERCENT",
        help="exit 1 when a policy's coverage is under PERCENT (0-100)",
    )
    cmd.add_argument("--no-coverage", action="store_true", help="do not compute or report coverage")
    cmd.set_defaults(run=run)


def _keywords(text: str) -> Keywords:
    try:
        return Keywords.parse(text)
    except EscalateError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _percent(text: str) -> Decimal:
    try:
        value = Decimal(text.removesuffix("%"))
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or not 0 <= value <= 100 or len(text) > 20:
        raise argparse.ArgumentTypeError(f"expected a percentage from 0 to 100, got {text!r}")
    return value


@dataclass(frozen=True, slots=True)
class _NotLoaded:
    """A case file that does not load (or whose policy does not): every problem, one line
    each."""

    path: str
    problems: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.path, "problems": list(self.problems)}


def run(args: argparse.Namespace) -> int:
    if args.no_coverage and args.fail_under is not None:
        raise EscalateError("--fail-under needs coverage; leave out --no-coverage")
    files: list[CaseFile] = []
    broken: list[_NotLoaded] = []
    for path in find_case_files(args.path):
        # A file that does not load is reported with every problem; the others still run.
        try:
            files.append(load_cases(path))
        except EscalateError as exc:
            broken.append(_NotLoaded(path, tuple(str(e) for e in every_problem(exc))))
            for problem in broken[-1].problems:  # on stderr, as every load error
                error(f"escalate: error: {problem}")
    total = sum(len(f.cases) for f in files)
    coverages: dict[str, Coverage] = {}
    results: list[CaseResult] = []
    for case_file in files:
        key = os.path.realpath(case_file.policy_path)
        if not args.no_coverage and key not in coverages:
            coverages[key] = Coverage(case_file.policy, case_file.policy_path)
        for case in select(case_file.cases, args.keywords):
            result = run_case(case_file.policy, case)
            results.append(result)
            if result.decision is not None and key in coverages:
                coverages[key].add(result.decision)
    if not results and not broken:
        expression = "" if args.keywords is None else f" -k {shown(args.keywords.text)}"
        raise EscalateError(f"no case selected{expression} (of {total} in {len(files)} file(s))")
    reports = [c.report() for c in coverages.values()]
    under = [r for r in reports if args.fail_under is not None and not r.reaches(args.fail_under)]
    counts = {s: sum(1 for r in results if r.status == s) for s in (PASS, FAIL, ERROR)}
    if args.json:
        _print_json(files, broken, results, reports, counts, args.fail_under, args.no_coverage)
    else:
        _print_text(files, broken, results, reports, counts, under, args.fail_under)
    if counts[ERROR] or broken:
        return 2
    return 1 if counts[FAIL] or under else 0


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _print_text(
    files: list[CaseFile],
    broken: list[_NotLoaded],
    results: list[CaseResult],
    reports: list[CoverageReport],
    counts: dict[str, int],
    under: list[CoverageReport],
    bar: Decimal | None,
) -> None:
    for result in results:
        out(result.line())
    for failed in broken:
        out(
            f"ERROR {failed.path} does not load ({_plural(len(failed.problems), 'problem')} "
            "on stderr); its cases did not run"
        )
    bad = [r for r in results if not r.passed]
    for result in bad:
        out()
        out(result.line())
        for line in result.report().splitlines():
            out(f"  {line}")
    out()
    not_loaded = f", {_plural(len(broken), 'case file')} not loaded" if broken else ""
    out(
        f"{counts[PASS]} passed, {counts[FAIL]} failed, {_plural(counts[ERROR], 'error')}"
        f"{not_loaded} ({_plural(len(results), 'case')} in {_plural(len(files), 'case file')})"
    )
    for report in reports:
        for line in report.lines():
            out(line)
    for report in under:
        out(f"coverage of {report.policy_id} {report.percent}% is under --fail-under {bar}%")


def _print_json(
    files: list[CaseFile],
    broken: list[_NotLoaded],
    results: list[CaseResult],
    reports: list[CoverageReport],
    counts: dict[str, int],
    bar: Decimal | None,
    no_coverage: bool,
) -> None:
    document = {
        "files": [f.path for f in files],
        "not_loaded": [b.to_dict() for b in broken],
        "results": [r.to_dict() for r in results],
        "summary": {
            "passed": counts[PASS],
            "failed": counts[FAIL],
            "errors": counts[ERROR],
            "not_loaded": len(broken),
            "total": len(results),
        },
        "coverage": None if no_coverage else [r.to_dict() for r in reports],
        "fail_under": None if bar is None else str(bar),
    }
    print_json(document)
