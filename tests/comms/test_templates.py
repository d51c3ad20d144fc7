"""Templates compile at load (syntax, declared variables, forbidden constructs) and render in a
narrowed sandbox whose work and output are bounded: hostile templates fail clearly, never hang."""

from __future__ import annotations

import textwrap

import pytest

from escalate import MessageError, PolicyError, loads
from escalate.comms.templates import MAX_CHARS, MAX_TEMPLATE_CHARS, compile_template
from escalate.errors import every_error

SCHEMA = {
    "ticket": {"id": None, "names": None, "comments": None, "fields": {"*": (None, None, "field")}},
    "decision": {"clocks": {"*": (("resolution",), {"breach_at": None}, "clock")}},
    "owner": {"name": None},
}
VIEW = {"ticket": {"id": "INC1", "names": ["a", "b", "c"], "comments": [], "fields": {}}}


def render(body: str, variables: tuple[str, ...] = ("ticket",)) -> str:
    template = compile_template("t", "internal", "s", body, list(variables), SCHEMA)
    return template.render(VIEW)[1]


def load_error(body: str, variables: tuple[str, ...] = ("ticket",)) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        compile_template("t", "internal", "s", body, list(variables), SCHEMA)
    return caught.value


def test_a_template_renders_plain_text_without_escaping() -> None:
    assert "INC1 <b>&</b>" == render("{{ ticket.id }} <b>&</b>")


def test_a_syntax_error_names_the_key_and_the_template_line() -> None:
    error = load_error("line one\n{{ ticket.id ")
    assert ("templates", "t", "body") == error.path
    assert "template syntax error at line 2 of the body" in error.message


def test_a_name_the_template_reads_must_be_declared() -> None:
    error = load_error("{{ ticket.secret }}", ("ticket.id",))
    assert "reads 'ticket.secret', which 'variables' does not declare" in error.message
    assert "ticket.id" == error.suggestion


def test_a_declared_variable_covers_everything_below_it() -> None:
    assert "a,b,c" == render("{{ ticket.names|join(',') }}", ("ticket.names",))


def test_a_declared_variable_must_exist_in_the_render_context() -> None:
    error = load_error("x", ("ticket.nope",))
    assert ("templates", "t", "variables", 0) == error.path
    assert "ticket has no 'nope'" in error.message


def test_a_declared_clock_must_be_one_of_the_policy() -> None:
    error = load_error("x", ("decision.clocks.resolutoin",))
    assert "the policy has no clock 'resolutoin'" in error.message
    assert "decision.clocks.resolution" == error.suggestion


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("{% include 'other' %}", "uses 'include'"),
        ("{% extends 'base' %}", "uses 'extends'"),
        ("{% import 'm' as m %}", "uses 'import'"),
        ("{{ ticket.__class__ }}", "names starting with '_' are not readable"),
        ("{{ ''.__class__.__mro__ }}", "names starting with '_' are not readable"),
        ("{% for i in range(10**9) %}x{% endfor %}", "reads 'range'"),
        ("{{ lipsum() }}", "reads 'lipsum'"),
    ],
)
def test_constructs_the_sandbox_does_not_offer_fail_at_load(body: str, words: str) -> None:
    assert words in load_error(body).message


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            "{% for a in ticket.names %}{% for b in ticket.names %}{% for c in ticket.names %}"
            "{% for d in ticket.names %}{% for e in ticket.names %}{% for f in ticket.names %}"
            "{% for g in ticket.names %}{% for h in ticket.names %}{% for i in ticket.names %}"
            "{% for j in ticket.names %}{% for k in ticket.names %}{% endfor %}{% endfor %}"
            "{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}"
            "{% endfor %}{% endfor %}",
            "loop iterations and calls",
        ),
        (
            "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
            "{{ f(60) }}",
            "loop iterations and calls",
        ),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "recursion too deep"),
        ("{{ ticket.id * 1000000000 }}", "more than 100,000 characters"),
        ("{{ ticket.names * 1000000000 }}", "more than 100,000 characters"),
        ("{{ 10 ** 10 ** 10 }}", "too large for a template"),
        ("{{ '%999999999s' % ticket.id }}", "'%' formatting of strings is not available"),
        ("{{ ticket.id.ljust(10**9) }}", "templates may call macros only"),
        ("{{ ''.join(ticket.names) }}", "templates may call macros only"),
        (
            "{% set a = ticket.id ~ ticket.id ~ ticket.id ~ ticket.id %}{% set b = a ~ a ~ a ~ a %}"
            "{% set c = b ~ b ~ b ~ b %}{% set d = c ~ c ~ c ~ c %}{% set e = d ~ d ~ d ~ d %}"
            "{% set f = e ~ e ~ e ~ e %}{% set g = f ~ f ~ f ~ f %}{% set h = g ~ g ~ g ~ g %}"
            "{% set i = h ~ h ~ h ~ h %}{% set j = i ~ i ~ i ~ i %}{{ j }}",
            "more than 100,000 characters",
        ),
        (
            "{% set a = [ticket.id, ticket.id, ticket.id, ticket.id]|join %}"
            "{% set b = [a, a, a, a, a, a, a, a]|join %}{% set c = [b, b, b, b, b, b, b, b]|join %}"
            "{% set d = [c, c, c, c, c, c, c, c]|join %}{% set e = [d, d, d, d, d, d, d, d]|join %}"
            "{% set f = [e, e, e, e, e, e, e, e]|join %}{{ f }}",
            "the limit is 100,000",
        ),
        ("{{ ticket.missing }}", "has no attribute 'missing'"),
    ],
)
def test_hostile_templates_fail_clearly_at_render_time(body: str, words: str) -> None:
    with pytest.raises(MessageError) as caught:
        render(body)
    assert words in str(caught.value)
    assert "template 't'" in str(caught.value)


def test_a_rendered_text_is_at_most_max_chars_long() -> None:
    body = "{% for i in ticket.names %}{% for j in ticket.names %}" + "x" * 15_000
    body += "{% endfor %}{% endfor %}"
    with pytest.raises(MessageError, match="rendered text is longer than"):
        render(body)
    assert 3 * 3 * 15_000 > MAX_CHARS


def test_keys_of_the_context_win_over_methods_of_mappings() -> None:
    view = {"ticket": {"fields": {"items": "field named items"}}}
    template = compile_template(
        "t", "internal", "s", "{{ ticket.fields.items }}", ["ticket"], SCHEMA
    )
    assert "field named items" == template.render(view)[1]


def test_a_template_text_longer_than_the_limit_does_not_load() -> None:
    error = load_error("{{ ticket.id }}" * (MAX_TEMPLATE_CHARS // 10))
    assert f"a template text holds at most {MAX_TEMPLATE_CHARS:,}" in error.message


def test_a_subject_is_one_line() -> None:
    template = compile_template("t", "internal", "a\n{{ ticket.id }}\n", "b", ["ticket.id"], SCHEMA)
    assert ("a INC1", "b") == template.render(VIEW)


def test_every_template_problem_of_a_policy_names_its_key_path() -> None:
    text = textwrap.dedent(
        """
        policy: p
        version: 1
        templates:
          broken:
            audience: internal
            subject: ok
            body: "{% if %}"
        """
    )
    with pytest.raises(PolicyError) as caught:
        loads(text, filename="p.yaml")
    errors = every_error(caught.value)
    assert [("templates", "broken", "body")] == [e.path for e in errors]
    assert "p.yaml:8" in str(caught.value)
