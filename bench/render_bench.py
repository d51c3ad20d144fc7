"""Audience messages: what rendering and redaction cost, per message and per decision.

Run from the project root: ``.venv/bin/python bench/render_bench.py``. The shipped pack decides
a P1 ticket whose classified fields (customer id, patient name, root-cause guess, security
detail) hold values, in comments and field history too; ``Policy.messages`` then renders its
customer notice, executive briefing and internal notice, and ``Policy.export`` the decision
for the customer. The cases run interleaved (one batch of each per pass, so drift on a shared
machine hits all alike), gc off, and each figure is the median over the passes. Also: how the
cost grows with the number of comments (each one a classified value to scrub), and what the
communication sections add to loading the pack (templates compiled once, at load).
"""

from __future__ import annotations

import copy
import gc
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import yaml  # noqa: E402

import escalate  # noqa: E402
from escalate.comms import templates as comms_templates  # noqa: E402
from escalate.comms.redaction import Scrubber, classified_values  # noqa: E402
from escalate.policy.compiler import compile_policy  # noqa: E402

NOW = datetime(2024, 11, 20, 10, 5, tzinfo=UTC)
COMMS_SECTIONS = ("classification", "redaction", "templates", "audiences")


def ticket(comments: int) -> dict[str, Any]:
    events: list[dict[str, Any]] = [{"at": "2024-11-20T10:00:00Z", "type": "created"}]
    events += [
        {
            "at": "2024-11-20T10:01:00Z",
            "type": "field-changed",
            "field": "fields.patient_name",
            "from": "Jane Doe",
            "to": "Jane Roe",
        }
    ]
    events += [
        {"at": "2024-11-20T10:02:00Z", "type": "comment", "text": f"note {i}: Jane Roe called"}
        for i in range(comments)
    ]
    return {
        "id": "INC9",
        "opened_at": "2024-11-20T10:00:00Z",
        "priority": "P1",
        "service": "email",
        "category": "network",
        "assignment_group": "service-desk",
        "customer": {"id": "ACME-4711", "tier": "gold"},
        "fields": {
            "patient_name": "Jane Roe",
            "caller_name": "John Doe",
            "root_cause_guess": "bad BGP config",
            "security_detail": "CVE-2024-1234",
        },
        "events": events,
    }


Cases = dict[str, tuple[Callable[[], object], int]]


def interleaved(cases: Cases, passes: int) -> dict[str, float]:
    """Median µs per call of each case, the cases run one batch each per pass."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    gc.disable()
    try:
        for _ in range(passes):
            for name, (fn, calls) in cases.items():
                start = time.perf_counter()
                for _ in range(calls):
                    fn()
                samples[name].append((time.perf_counter() - start) / calls * 1e6)
    finally:
        gc.enable()
    return {name: statistics.median(found) for name, found in samples.items()}


def main() -> None:
    policy = escalate.load(ROOT / "rules" / "itil-default.yaml")
    t = escalate.Ticket.from_mapping(ticket(3))
    decision = policy.evaluate(t, now=NOW)
    messages = policy.messages(decision)
    rendered = len(messages)
    classification = {"fields.patient_name": "health", "customer.id": "personal", "comments": "x"}
    classes = frozenset({"personal", "health", "x"})

    def scrub_only() -> None:
        scrubber = Scrubber(classified_values(t, classification, classes), "[redacted]")
        for m in messages:
            scrubber.text(m.body)

    cases = {
        "evaluate (for scale)": (lambda: policy.evaluate(t, now=NOW), 200),
        "messages(decision)": (lambda: policy.messages(decision), 200),
        "export(decision, customer)": (lambda: policy.export(decision, audience="customer"), 200),
        "redaction alone (values + scrub)": (scrub_only, 2000),
    }
    found = interleaved(cases, passes=15)
    print(f"P1 ticket of the shipped pack, {rendered} messages rendered per decision")
    print()
    print("| case | median µs | per message µs |")
    print("|---|---|---|")
    for name, cost in found.items():
        per = f"{cost / rendered:.1f}" if name.startswith(("messages", "redaction")) else ""
        print(f"| {name} | {cost:.1f} | {per} |")

    print()
    print("| comments (classified values) | messages(decision) µs | export(customer) µs |")
    print("|---|---|---|")
    sizes = (10, 100, 1000)
    decisions = {n: policy.evaluate(ticket(n), now=NOW) for n in sizes}
    growth_cases: Cases = {}
    for n in sizes:
        d = decisions[n]
        calls = max(2, 2000 // n)
        growth_cases[f"m{n}"] = (lambda d=d: policy.messages(d), calls)
        growth_cases[f"e{n}"] = (lambda d=d: policy.export(d, audience="customer"), calls)
    growth = interleaved(growth_cases, passes=9)
    for n in sizes:
        print(f"| {n} | {growth[f'm{n}']:.0f} | {growth[f'e{n}']:.0f} |")

    text = (ROOT / "rules" / "itil-default.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    peers(policy, decision, data)
    plain = copy.deepcopy(data)
    for key in COMMS_SECTIONS:
        plain.pop(key)
    loads = interleaved(
        {
            "with": (lambda: compile_policy(copy.deepcopy(data)), 3),
            "without": (lambda: compile_policy(copy.deepcopy(plain)), 3),
        },
        passes=7,
    )
    print()
    print(
        f"compiling the pack: {loads['with'] / 1000:.1f} ms with its communication sections, "
        f"{loads['without'] / 1000:.1f} ms without ({len(data['templates'])} templates)"
    )


def captured(policy: escalate.Policy, decision: Any) -> list[tuple[str, dict[str, Any]]]:
    """The template names and render variables of ``policy.messages(decision)``, recorded by
    wrapping the compiled template's render once."""
    seen: list[tuple[str, dict[str, Any]]] = []
    original = comms_templates.CompiledTemplate.render

    def recording(self: Any, variables: Any) -> tuple[str, str]:
        seen.append((self.name, copy.deepcopy(dict(variables))))
        return original(self, variables)

    comms_templates.CompiledTemplate.render = recording  # type: ignore[method-assign]
    try:
        policy.messages(decision)
    finally:
        comms_templates.CompiledTemplate.render = original  # type: ignore[method-assign]
    return seen


def peers(policy: escalate.Policy, decision: Any, data: dict[str, Any]) -> None:
    """The same templates and variables rendered by escalate's template (Jinja2's immutable
    sandbox, strict undefined, escalate's bounds), by stock Jinja2 with its immutable sandbox,
    and by plain Jinja2 without a sandbox, each with strict undefined: what safety costs."""
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    seen = captured(policy, decision)
    ours = {t.name: t for t in policy_templates(policy, [name for name, _ in seen])}
    envs = {
        "stock sandbox": ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined),
        "plain Jinja2": jinja2.Environment(undefined=jinja2.StrictUndefined),
    }
    stock = {
        label: {
            name: (
                env.from_string(data["templates"][name]["subject"]),
                env.from_string(data["templates"][name]["body"]),
            )
            for name, _ in seen
        }
        for label, env in envs.items()
    }
    for label, found in stock.items():  # the same text, or the comparison means nothing
        for name, variables in seen:
            _, body = found[name]
            assert body.render(variables) == ours[name].render(variables)[1], (label, name)

    def render_ours() -> None:
        for name, variables in seen:
            ours[name].render(variables)

    def render_with(label: str) -> Callable[[], None]:
        def render() -> None:
            for name, variables in seen:
                subject, body = stock[label][name]
                subject.render(variables)
                body.render(variables)

        return render

    cases: Cases = {"escalate": (render_ours, 500)}
    cases.update({label: (render_with(label), 500) for label in envs})
    found_cost = interleaved(cases, passes=15)
    names = ", ".join(name for name, _ in seen)
    print()
    print(f"rendering the same {len(seen)} templates ({names}) from the same variables:")
    print()
    print("| renderer | median µs per decision | ratio to plain Jinja2 |")
    print("|---|---|---|")
    for label, cost in found_cost.items():
        print(f"| {label} | {cost:.1f} | {cost / found_cost['plain Jinja2']:.2f} |")


def policy_templates(policy: escalate.Policy, names: list[str]) -> list[Any]:
    """The compiled templates of ``names`` (the renderer's table, read for the comparison)."""
    renderer: Any = policy._renderer  # the bench compares an internal table on purpose
    return [renderer.templates[name] for name in dict.fromkeys(names)]


if __name__ == "__main__":
    main()
