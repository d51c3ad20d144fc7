"""Templates compile at load (syntax, declared variables, forbidden constructs) and render in a
narrowed sandbox whose work and output are bounded: hostile templates fail clearly, never hang."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable

import pytest

from escalate import MessageError, PolicyError, loads
from escalate.comms.templates import (
    MAX_CHARS,
    MAX_NESTING,
    MAX_TEMPLATE_CHARS,
    compile_template,
)
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
    error = load_error("{{ ticket.names }}", ("ticket.id",))
    assert "reads 'ticket.names', which 'variables' does not declare" in error.message
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
        ("{% for i in range(10**9) %}x{% endfor %}", "calls 'range'"),
        ("{{ lipsum() }}", "calls 'lipsum'"),
        ("{{ ticket.id.ljust(10**9) }}", "calls the method 'ljust'"),
        ("{{ ''.join(ticket.names) }}", "calls the method 'join'"),
        ("{{ ticket.missing }}", "ticket has no 'missing'"),
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
        ("{{ ticket.id|truncate(1, True, 'y' * 99999) }}", "truncate: the length (1)"),
        ("{{ ticket.id|truncate(-1, leeway=-3) }}", "truncate: the leeway"),
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


@pytest.mark.parametrize(
    ("body", "used"),
    [
        ("{{ ticket.id|tojson }}", "filter 'tojson'"),
        ("{{ ticket|attr('id') }}", "filter 'attr'"),
        ("{{ '%s'|format(ticket.id) }}", "filter 'format'"),
        ("{{ ticket.names|groupby('x') }}", "filter 'groupby'"),
        ("{{ ticket.id|center(80) }}", "filter 'center'"),
        ("{{ ticket.id|wordwrap(5) }}", "filter 'wordwrap'"),
        ("{{ ticket.names|batch(2) }}", "filter 'batch'"),
        ("{% filter center(9) %}x{% endfilter %}", "filter 'center'"),
        ("{{ ticket.id is foo }}", "test 'foo'"),
    ],
)
def test_an_unknown_filter_or_test_is_a_policy_error_listing_the_known_ones(
    body: str, used: str
) -> None:
    error = load_error(body)
    assert ("templates", "t", "body") == error.path
    assert used in error.message
    assert "upper" in error.message or "defined" in error.message


def test_an_unknown_filter_suggests_a_close_one() -> None:
    error = load_error("{{ ticket.id|uper }}")
    assert "upper" == error.suggestion
    assert "the filters: abs, capitalize" in error.message


DEEP = [
    "{{ " + "-" * 9000 + "1 }}",
    "{{ 1" + "+1" * 5000 + " }}",
    "{% if 1 %}" * 500 + "x" + "{% endif %}" * 500,
    "{{ " + "[" * 2000 + "]" * 2000 + " }}",
    "{{ ticket.id" + "|upper" * 2800 + " }}",
    "{{ " + "not " * 4900 + "1 }}",
    "{% for a in ticket.comments %}" * 300 + "x" + "{% endfor %}" * 300,
    "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}",
    "{% set x %}" * 400 + "{% endset %}" * 400,
    "{{ 1 if 1 else " * 1200 + "1" + " }}",
]


@pytest.mark.parametrize("body", DEEP, ids=range(len(DEEP)))
def test_a_template_that_nests_too_deeply_is_a_policy_error(body: str) -> None:
    assert len(body) <= MAX_TEMPLATE_CHARS
    error = load_error(body)
    assert ("templates", "t", "body") == error.path
    assert "nests too deeply" in error.message


def _at_depth(frames: int, call: Callable[[], object]) -> object:
    return call() if frames == 0 else _at_depth(frames - 1, call)


@pytest.mark.parametrize(
    "body",
    [
        "{{ " + "(" * (MAX_NESTING - 1) + "1" + ")" * (MAX_NESTING - 1) + " }}",
        "{% if 1 %}" * 10 + "{{ " + "(-" * 10 + "1" + ")" * 10 + " }}" + "{% endif %}" * 10,
        "{{ " + "not " * (MAX_NESTING - 1) + "1 }}",
        "{% if 1 %}" * (MAX_NESTING - 1) + "x" + "{% endif %}" * (MAX_NESTING - 1),
    ],
    ids=["brackets", "mixed", "not", "blocks"],
)
def test_the_deepest_template_allowed_compiles_with_room_on_the_stack(body: str) -> None:
    # 400 frames deeper than the test itself: a host calling loads deep in its own stack
    _at_depth(400, lambda: compile_template("t", "internal", "s", body, ["ticket"], SCHEMA))


@pytest.mark.parametrize(
    ("body", "callee"),
    [
        ("{{ ticket.id.split() }}", "the method 'split'"),
        ("{% for k, v in ticket.fields.items() %}{{ k }}{% endfor %}", "the method 'items'"),
        ("{{ '{}'.format(ticket.id) }}", "the method 'format'"),
        ("{{ ticket.names[0]() }}", "a value"),
        ("{{ ticket() }}", "'ticket'"),
    ],
)
def test_a_method_call_is_refused_at_load(body: str, callee: str) -> None:
    error = load_error(body)
    assert ("templates", "t", "body") == error.path
    assert f"calls {callee}" in error.message


def test_macros_and_recursive_loops_may_still_be_called() -> None:
    body = (
        "{% macro m(a) %}<{{ a }}>{% endmacro %}{{ m(ticket.id) }}"
        "{% for x in ticket.names recursive %}{{ x }}{% endfor %}"
    )
    assert "<INC1>abc" == render(body)


def test_a_read_of_a_name_the_context_lacks_is_reported_before_the_declaration() -> None:
    error = load_error("{{ owner.email }}", ("owner.name",))
    assert "reads 'owner.email', but owner has no 'email' (it has: name)" in error.message
    error = load_error("{{ decision.clocks.resolution.breach_in }}", ("decision",))
    assert "decision.clocks.resolution has no 'breach_in'" in error.message
    assert "decision.clocks.resolution.breach_at" == error.suggestion
    error = load_error("{{ decision.clocks.resolutoin }}", ("decision",))
    assert "the policy has no clock 'resolutoin'" in error.message


def test_none_renders_as_nothing_never_as_the_word_none() -> None:
    template = compile_template(
        "t", "internal", "s", "[{{ ticket.id }}] [{{ ticket.id or 'n/a' }}]", ["ticket"], SCHEMA
    )
    assert "[] [n/a]" == template.render({"ticket": {"id": None}})[1]


def test_truncate_still_truncates() -> None:
    assert "abc..." == render("{{ 'abc defgh ijklmnop'|truncate(9, leeway=0) }}")
    assert "abcde..." == render("{{ 'abcdefghijklmnop'|truncate(8, True, leeway=0) }}")
    assert "abc" == render("{{ 'abc'|truncate(3) }}")


def _policy_with_body(body: str) -> str:
    return textwrap.dedent(
        """\
        policy: t
        version: 1
        templates:
          t:
            audience: internal
            subject: s
            body: BODY
            variables: [ticket]
        """
    ).replace("BODY", json.dumps(body))


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("{{ ticket.id|tojson }}", "uses the filter 'tojson'"),
        ("{{ ticket.id is foo }}", "uses the test 'foo'"),
        ("{{ " + "-" * 9000 + "1 }}", "nests too deeply"),
        ("{% if 1 %}" * 500 + "x" + "{% endif %}" * 500, "nests too deeply"),
        ("{{ ticket.id.split() }}", "calls the method 'split'"),
    ],
    ids=["filter", "test", "unary", "blocks", "method"],
)
def test_escalate_loads_raises_a_policy_error_at_the_template_key(body: str, words: str) -> None:
    with pytest.raises(PolicyError) as caught:
        loads(_policy_with_body(body), filename="t.yaml")
    assert ("templates", "t", "body") == caught.value.path
    assert words in caught.value.message
