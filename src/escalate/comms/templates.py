"""Audience message templates: Jinja2 text, compiled once at load, rendered in a sandbox.

A template is compiled when the policy loads: a syntax error, a construct the sandbox does
not allow (``include``, ``import``, ``extends``: templates have no files; a name starting
with ``_``), or a variable the template reads without declaring it in ``variables:`` is a
:class:`~escalate.errors.PolicyError` naming ``templates.<name>.<subject|body>`` and the
template line. Rendering happens only on request (:meth:`escalate.Policy.messages`).

Rendering runs in Jinja2's :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` with
``StrictUndefined`` (a misspelt name fails instead of rendering empty), no loader (no file
is ever read), no globals (no ``range``, ``dict``, ``lipsum``, ``cycler``, ``namespace``), a
short list of filters that cannot blow a value up, and autoescape off: the texts are plain
text (mail bodies, chat and SMS messages), not HTML, and HTML escaping would corrupt them (a
host that puts a message into HTML escapes it there). Templates are written by the policy's
authors, but a policy is input too, so every render is bounded:

* every loop iteration and every call (macros, ``loop()``) counts against
  :data:`MAX_STEPS` per text;
* every string an operator (``~``, ``+``, ``*``) or a filter makes, and the rendered text
  itself, is at most :data:`MAX_CHARS` characters; ``**`` is bounded to small numbers;
* only macros and loops may be called: no methods of values (``'x'.ljust(10**9)``), and
  ``%`` formatting of strings is refused.

Breaking a bound or a sandbox rule at render time raises :class:`~escalate.errors.MessageError`
(never a hang, never a Python exception of another kind).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment

from escalate.errors import MessageError, PolicyError, shown, suggest

__all__ = [
    "CONTEXT_ROOTS",
    "MAX_CHARS",
    "MAX_NESTING",
    "MAX_STEPS",
    "MAX_TEMPLATE_CHARS",
    "CompiledTemplate",
    "Schema",
    "compile_template",
]

#: The most characters a rendered subject or body, or any string made while rendering, holds.
MAX_CHARS = 100_000
#: The most characters of template text one subject or body may hold (compiling costs time
#: that grows with it).
MAX_TEMPLATE_CHARS = 20_000
#: The most loop iterations plus calls one rendered text may take.
MAX_STEPS = 100_000
#: The largest exponent result ``**`` may make, in bits.
_MAX_POWER_BITS = 256
#: What a template can read (see docs/notifications.md, "Audience messages").
CONTEXT_ROOTS = ("action", "audience", "decision", "owner", "policy", "ticket")
_BUDGET = "_escalate_budget"

#: A template's variables, as a tree: a key maps to its children (``None``: a leaf, nothing
#: below it can be named); the key ``"*"`` maps to ``(names, children, what)``: any name of
#: ``names`` (``None``: any name at all), ``what`` saying what they are ("clock").
Schema = Mapping[str, Any]


class _Budget:
    """The steps one render may still take; the injected loop wrapper and the environment's
    ``call`` take from it."""

    __slots__ = ("left",)

    def __init__(self) -> None:
        self.left = MAX_STEPS

    def take(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise _Limit(f"the template took more than {MAX_STEPS:,} loop iterations and calls")

    def iterate(self, iterable: Iterable[Any], **_: Any) -> Iterator[Any]:
        for item in iterable:
            self.take()
            yield item


class _Limit(Exception):
    """A bound was broken while rendering (becomes a MessageError)."""


def _sized(value: Any) -> Any:
    if isinstance(value, str | list | tuple) and len(value) > MAX_CHARS:
        raise _Limit(f"the template made a value of more than {MAX_CHARS:,} characters or items")
    return value


def _join(value: Iterable[Any], d: str = "", attribute: str | int | None = None) -> str:
    items = [str(v) for v in value] if attribute is None else None
    if items is None:
        raise _Limit("join(attribute=...) is not available; map(attribute=...) first")
    total = sum(len(i) for i in items) + len(d) * max(len(items) - 1, 0)
    if total > MAX_CHARS:
        raise _Limit(f"join would make {total:,} characters (the limit is {MAX_CHARS:,})")
    return d.join(items)


def _truncate(
    value: Any,
    length: int = 255,
    killwords: bool = False,
    end: str = "...",
    leeway: int | None = None,
) -> str:
    """Jinja's ``truncate``, with its arguments checked by us (Jinja checks them with
    ``assert``, which ``python -O`` skips and which would escape as AssertionError)."""
    text = str(value)
    if not isinstance(length, int) or isinstance(length, bool):
        raise _Limit(f"truncate: the length must be a whole number, got {length!r}")
    if not isinstance(end, str):
        raise _Limit(f"truncate: the end must be text, got {end!r}")
    if leeway is None:
        leeway = 5
    if not isinstance(leeway, int) or isinstance(leeway, bool) or leeway < 0:
        raise _Limit(f"truncate: the leeway must be a whole number of 0 or more, got {leeway!r}")
    if length < len(end):
        raise _Limit(
            f"truncate: the length ({length}) must be at least the length of the end text "
            f"({len(end)})"
        )
    if len(text) <= length + leeway:
        return text
    if killwords:
        return text[: length - len(end)] + end
    return text[: length - len(end)].rsplit(" ", 1)[0] + end


def _finalize(value: Any) -> Any:
    """What ``{{ ... }}`` prints: a missing value (``None``) prints as nothing, never as the
    word "None" (see docs/notifications.md, "Audience messages")."""
    return "" if value is None else value


#: Filters that never make a value much larger than their input (their results are checked).
_FILTERS = (
    "abs",
    "capitalize",
    "count",
    "d",
    "default",
    "dictsort",
    "first",
    "int",
    "items",
    "last",
    "length",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "reject",
    "rejectattr",
    "reverse",
    "round",
    "select",
    "selectattr",
    "sort",
    "string",
    "sum",
    "title",
    "trim",
    "truncate",
    "unique",
    "upper",
    "wordcount",
)


def _checked_filter(function: Callable[..., Any]) -> Callable[..., Any]:
    def checked(*args: Any, **kwargs: Any) -> Any:
        return _sized(function(*args, **kwargs))

    # keep Jinja's pass_context / pass_environment markers
    checked.jinja_pass_arg = getattr(function, "jinja_pass_arg", None)  # type: ignore[attr-defined]
    if checked.jinja_pass_arg is None:  # type: ignore[attr-defined]
        del checked.jinja_pass_arg  # type: ignore[attr-defined]
    return checked


class _Environment(ImmutableSandboxedEnvironment):
    """The sandbox, narrowed: no globals, few filters, bounded operators and calls."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self) -> None:
        super().__init__(
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            loader=None,
            finalize=_finalize,
        )
        self.globals.clear()
        builtin = dict(self.filters)
        self.filters = {name: _checked_filter(builtin[name]) for name in _FILTERS}
        self.filters["join"] = _join
        self.filters["truncate"] = _truncate
        self.tests = dict(self.tests)

    def getattr(self, obj: Any, attribute: str) -> Any:
        # The context is plain data: ``ticket.fields.items`` is the field named "items", never
        # the dict method, and no method of a mapping is reachable.
        if isinstance(obj, dict):
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "%":
            if isinstance(left, str):
                raise _Limit("'%' formatting of strings is not available in templates")
            return left % right
        if operator == "**":
            if (
                isinstance(left, int)
                and isinstance(right, int)
                and right > 0
                and max(left.bit_length(), 1) * right > _MAX_POWER_BITS
            ):
                raise _Limit(f"{left} ** {right} is too large for a template")
            return left**right
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if (
                    isinstance(seq, str | list | tuple)
                    and isinstance(times, int)
                    and len(seq) * times > MAX_CHARS
                ):
                    raise _Limit(
                        f"the template made a value of more than {MAX_CHARS:,} characters or items"
                    )
            return _sized(left * right)
        if (
            isinstance(left, str | list | tuple)
            and isinstance(right, str | list | tuple)
            and len(left) + len(right) > MAX_CHARS
        ):
            raise _Limit(
                f"the template made a value of more than {MAX_CHARS:,} characters or items"
            )
        return left + right

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(__obj, Macro | LoopContext) or __obj is _concat:
            budget = __context.get(_BUDGET)
            if isinstance(budget, _Budget):
                budget.take()
            return super().call(__context, __obj, *args, **kwargs)
        if getattr(__obj, "__name__", None) == "iterate" and isinstance(
            getattr(__obj, "__self__", None), _Budget
        ):
            return __obj(*args, **kwargs)
        raise _Limit("templates may call macros only (use filters for everything else)")


def _concat(*parts: Any) -> str:
    total = 0
    texts = []
    for part in parts:
        text = str(part)
        total += len(text)
        if total > MAX_CHARS:
            raise _Limit(f"the template made a string of more than {MAX_CHARS:,} characters")
        texts.append(text)
    return "".join(texts)


_ENVIRONMENT = _Environment()
_ENVIRONMENT.globals["_escalate_concat"] = _concat


@dataclass(frozen=True, slots=True)
class _Text:
    """One compiled text (a subject or a body)."""

    template: jinja2.Template

    def render(self, variables: Mapping[str, Any]) -> str:
        budget = _Budget()
        out: list[str] = []
        size = 0
        for chunk in self.template.generate({**variables, _BUDGET: budget}):
            size += len(chunk)
            if size > MAX_CHARS:
                raise _Limit(f"the rendered text is longer than {MAX_CHARS:,} characters")
            out.append(chunk)
        return "".join(out)


@dataclass(frozen=True, slots=True)
class CompiledTemplate:
    """A template compiled at load: its ``name``, ``audience``, the compiled ``subject`` and
    ``body`` and its declared ``variables`` (dotted paths, as written)."""

    name: str
    audience: str
    subject: _Text
    body: _Text
    variables: tuple[str, ...]
    reads_owner: bool
    #: The custom fields (``ticket.fields.<name>``) it declares or reads by name.
    fields: frozenset[str] = frozenset()

    def render(self, variables: Mapping[str, Any]) -> tuple[str, str]:
        """The subject (one line: line breaks become spaces) and the body.

        A broken bound or sandbox rule raises :class:`~escalate.errors.MessageError`.
        """
        try:
            subject = self.subject.render(variables)
            body = self.body.render(variables)
        except _Limit as exc:
            raise MessageError(f"template {self.name!r}: {exc}") from None
        except jinja2.exceptions.SecurityError as exc:
            raise MessageError(f"template {self.name!r}: the sandbox refused: {exc}") from None
        except jinja2.exceptions.UndefinedError as exc:
            raise MessageError(f"template {self.name!r}: {exc}") from None
        except RecursionError:
            raise MessageError(f"template {self.name!r}: recursion too deep") from None
        except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
            raise MessageError(f"template {self.name!r}: {type(exc).__name__}: {exc}") from None
        except jinja2.exceptions.TemplateError as exc:
            raise MessageError(f"template {self.name!r}: {exc}") from None
        return " ".join(subject.split()), body


# -- compiling --------------------------------------------------------------------------------

_FORBIDDEN = {
    nodes.Extends: "extends",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from ... import",
}
_VARIABLE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_][A-Za-z0-9_.-]*)?")


def compile_template(
    name: str,
    audience: str,
    subject: str,
    body: str,
    variables: Sequence[str],
    schema: Schema,
) -> CompiledTemplate:
    """Compile template ``name`` (its YAML entry ``templates.<name>``); every problem is a
    :class:`~escalate.errors.PolicyError` naming the key path.

    ``schema`` is the tree of what the render context holds (:data:`Schema`): each declared
    variable must name something in it, and each name the template reads must be covered by
    a declared variable (``ticket.customer`` covers ``ticket.customer.tier``)."""
    declared = _declared(name, variables, schema)
    compiled: dict[str, _Text] = {}
    used_roots: set[str] = set()
    fields = {d[2] for d in declared if d[:2] == ("ticket", "fields") and len(d) > 2}
    for key, source in (("subject", subject), ("body", body)):
        where = ("templates", name, key)
        if len(source) > MAX_TEMPLATE_CHARS:
            raise PolicyError(
                f"the {key} holds {len(source):,} characters; a template text holds at most "
                f"{MAX_TEMPLATE_CHARS:,}",
                path=where,
            )
        try:
            _check_nesting(source, where)
            tree = _ENVIRONMENT.parse(source)
            _check_constructs(tree, where)
            for path, line in _reads(tree):
                used_roots.add(path[0])
                _check_read(path, line, schema, where)
                if path[:2] == ("ticket", "fields") and len(path) > 2:
                    fields.add(path[2])
                if not any(path[: len(d)] == d for d in declared):
                    dotted = ".".join(path)
                    known = [".".join(d) for d in declared]
                    raise PolicyError(
                        f"line {line} of the {key} reads {shown(dotted)}, which 'variables' "
                        f"does not declare (declared: {', '.join(known) or 'none'}); add it "
                        f"to templates.{name}.variables",
                        path=where,
                        suggestion=suggest(dotted, known),
                    )
            _instrument(tree)
            code = _ENVIRONMENT.compile(tree, name=f"templates.{name}.{key}")
        except jinja2.TemplateSyntaxError as exc:
            raise PolicyError(
                f"template syntax error at line {exc.lineno} of the {key}: {exc.message}",
                path=where,
            ) from None
        except RecursionError:  # the last resort: _check_nesting should refuse these first
            raise PolicyError(_TOO_DEEP.format(key=key), path=where) from None
        template = _ENVIRONMENT.template_class.from_code(
            _ENVIRONMENT, code, _ENVIRONMENT.make_globals(None), None
        )
        compiled[key] = _Text(template)
    return CompiledTemplate(
        name=name,
        audience=audience,
        subject=compiled["subject"],
        body=compiled["body"],
        variables=tuple(variables),
        reads_owner="owner" in used_roots,
        fields=frozenset(fields),
    )


def _declared(name: str, variables: Sequence[str], schema: Schema) -> list[tuple[str, ...]]:
    """The declared variables as key tuples, each checked against ``schema``."""
    out: list[tuple[str, ...]] = []
    for i, text in enumerate(variables):
        where = ("templates", name, "variables", i)
        if not _VARIABLE.fullmatch(text) or ".." in text or text.endswith("."):
            raise PolicyError(
                f"{shown(text)} is not a variable path (names joined by '.', like ticket.id)",
                path=where,
            )
        parts = tuple(text.split("."))
        for part in parts:
            if part.startswith("_"):
                raise PolicyError(
                    f"{shown(text)}: names starting with '_' are not readable in templates",
                    path=where,
                )
        _walk(parts, schema, where, f"{shown(text)}: ")
        out.append(parts)
    return out


def _suggested(parts: tuple[str, ...], found: str | None) -> str | None:
    return None if found is None else ".".join((*parts, found))


#: The deepest a template may nest: blocks inside blocks, plus brackets, operators and filters
#: inside one expression (see :func:`_check_nesting`). Parsing and compiling a template
#: recurses a dozen Python frames per level, so a template far deeper than any real message
#: would otherwise exhaust Python's stack.
MAX_NESTING = 32
_TOO_DEEP = (
    "the {key} nests too deeply: blocks inside blocks, brackets, operators and filters inside "
    "one expression may nest at most " + str(MAX_NESTING) + " levels; split it up (a macro, "
    "or a simpler expression)"
)
#: Block tags that open a block closed by ``end<tag>`` (``set`` only without ``=``).
_BLOCKS = frozenset(
    {"autoescape", "block", "call", "filter", "for", "if", "macro", "set", "trans", "with"}
)
#: Tokens of an expression that do not nest what follows them.
_FLAT_TOKENS = frozenset({"name", "string", "integer", "float", "comma", "colon"})
#: Words that are operators (they nest).
_OPERATOR_WORDS = frozenset({"and", "or", "not", "is", "in", "if", "else"})


def _check_nesting(source: str, where: tuple[str, ...]) -> None:
    """Refuse a template that nests deeper than :data:`MAX_NESTING`, from its tokens alone
    (linear in its length, no recursion): the depth counts open blocks, open brackets, and
    within each bracket the operators, filters and tests chained since its last comma (an
    upper bound of the syntax tree's depth). A template the lexer refuses is left to the
    parser, which reports it with its line."""
    try:
        tokens = list(_ENVIRONMENT.lexer.tokenize(source))
    except jinja2.TemplateSyntaxError:
        return
    blocks = 0
    frames: list[int] = [0]  # operators chained in each open bracket (the first: none)
    chained = 0  # sum(frames)
    tag: str | None = None  # the first word of the block tag being read
    assigns = False
    first = False
    for token in tokens:
        kind = token.type
        if kind in ("block_begin", "variable_begin"):
            frames, chained, first, assigns = [0], 0, kind == "block_begin", False
            tag = None
            continue
        if kind in ("block_end", "variable_end"):
            if tag is not None and tag.startswith("end"):
                blocks = max(blocks - 1, 0)
            elif tag in _BLOCKS and not (tag == "set" and assigns):
                blocks += 1
            tag = None
            continue
        if first:
            first = False
            if kind == "name":
                tag = str(token.value)
                continue
        if kind == "assign":
            assigns = True
        if kind in ("lparen", "lbracket", "lbrace"):
            frames.append(0)
        elif kind in ("rparen", "rbracket", "rbrace"):
            if len(frames) > 1:
                chained -= frames.pop()
        elif kind == "comma":
            chained -= frames[-1]
            frames[-1] = 0
        elif (kind not in _FLAT_TOKENS and kind not in ("data", "assign")) or (
            kind == "name" and token.value in _OPERATOR_WORDS
        ):
            frames[-1] += 1
            chained += 1
        if blocks + len(frames) + chained > MAX_NESTING:
            raise PolicyError(
                f"line {token.lineno}: " + _TOO_DEEP.format(key=where[-1]), path=where
            )


def _check_read(path: tuple[str, ...], line: int, schema: Schema, where: tuple[str, ...]) -> None:
    """A path the template reads must name something the render context holds (checked
    before whether 'variables' declares it, so the first error is the one to fix)."""
    _walk(
        path, schema, where, f"line {line} of the {where[-1]} reads {shown('.'.join(path))}, but "
    )


def _walk(path: tuple[str, ...], schema: Schema, where: tuple[str | int, ...], lead: str) -> None:
    """Follow ``path`` down the render context's ``schema``; a step it does not hold is a
    PolicyError at ``where``, its message starting with ``lead``, with a suggestion."""
    node: Any = schema
    for depth, part in enumerate(path):
        above = ".".join(path[:depth]) or "the context"
        if not isinstance(node, Mapping):
            raise PolicyError(f"{lead}{above} has nothing below it", path=where)
        if part in node:
            node = node[part]
            continue
        wildcard = node.get("*")
        if wildcard is not None:
            names, below, what = wildcard
            if names is not None and part not in names:
                raise PolicyError(
                    f"{lead}the policy has no {what} {shown(part)} (it has: "
                    f"{', '.join(names) or 'none'})",
                    path=where,
                    suggestion=_suggested(path[:depth], suggest(part, names)),
                )
            node = below
            continue
        known = sorted(k for k in node if k != "*")
        raise PolicyError(
            f"{lead}{above} has no {shown(part)} (it has: {', '.join(known)})",
            path=where,
            suggestion=_suggested(path[:depth], suggest(part, known)),
        )


def _check_constructs(tree: nodes.Template, where: tuple[str, ...]) -> None:
    for node in tree.find_all(tuple(_FORBIDDEN)):
        raise PolicyError(
            f"line {node.lineno} of the {where[-1]} uses '{_FORBIDDEN[type(node)]}': "
            "templates have no files to read",
            path=where,
        )
    for used in tree.find_all((nodes.Filter, nodes.Test)):
        table, what = (
            (_ENVIRONMENT.filters, "filter")
            if isinstance(used, nodes.Filter)
            else (_ENVIRONMENT.tests, "test")
        )
        if used.name not in table:
            raise PolicyError(
                f"line {used.lineno} of the {where[-1]} uses the {what} {shown(used.name)}, "
                f"which templates do not have (the {what}s: {', '.join(sorted(table))})",
                path=where,
                suggestion=suggest(used.name, sorted(table)),
            )
    macros = {m.name for m in tree.find_all(nodes.Macro)} | {"caller", "loop"}
    for call in tree.find_all(nodes.Call):
        callee = call.node
        if isinstance(callee, nodes.Name) and callee.name in macros:
            continue
        shown_callee = (
            f"the method {shown(callee.attr)}"
            if isinstance(callee, nodes.Getattr)
            else f"{shown(callee.name)}"
            if isinstance(callee, nodes.Name)
            else "a value"
        )
        raise PolicyError(
            f"line {call.lineno} of the {where[-1]} calls {shown_callee}: templates may call "
            "their own macros only, never methods of values (use a filter: "
            "'x|upper', 'x|list', 'x|items', 'x|join(\", \")')",
            path=where,
        )
    for read in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)):
        name = _key(read)
        if isinstance(name, str) and name.startswith("_"):
            raise PolicyError(
                f"line {read.lineno} of the {where[-1]} reads {shown(name)}: names starting "
                "with '_' are not readable in templates",
                path=where,
            )


def _key(node: nodes.Node) -> object:
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return node.arg.value
    if isinstance(node, nodes.Name):
        return node.name
    return None


def _chain(node: nodes.Node) -> tuple[str, ...] | None:
    """``ticket.customer.tier`` (or ``ticket['customer']``...) as a key tuple, ``None`` when the
    node is not a chain of constant keys on a name."""
    if isinstance(node, nodes.Name):
        return (node.name,)
    if isinstance(node, nodes.Getattr | nodes.Getitem):
        key = _key(node)
        inner = _chain(node.node)
        if inner is None:
            return None
        if not isinstance(key, str):
            return inner  # a computed key: the template reads what the chain holds, whole
        return (*inner, key)
    return None


def _reads(tree: nodes.Template) -> list[tuple[tuple[str, ...], int]]:
    """Every context path the template reads (its longest chains of constant keys), with the
    line, for the names the template does not define itself."""
    roots = meta.find_undeclared_variables(tree)
    inner: set[int] = set()
    chains = list(tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)))
    for node in chains:
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            inner.add(id(node.node))
    out = []
    for node in chains:
        if id(node) in inner:
            continue
        path = _chain(node)
        if path is not None and path[0] in roots:
            out.append((path, node.lineno))
    for root in sorted(roots):  # a name read without a chain (e.g. a filter argument)
        if not any(p[0] == root for p, _ in out):
            out.append(((root,), 1))
    return out


def _instrument(tree: nodes.Template) -> None:
    """Make every loop count its iterations and every ``~`` check the string it makes."""
    for loop in tree.find_all(nodes.For):
        loop.iter = nodes.Call(
            nodes.Getattr(nodes.Name(_BUDGET, "load"), "iterate", "load"),
            [loop.iter],
            [],
            None,
            None,
            lineno=loop.lineno,
        )
    for concat in list(tree.find_all(nodes.Concat)):
        call = nodes.Call(
            nodes.Name("_escalate_concat", "load"), list(concat.nodes), [], None, None
        )
        concat.nodes = [call]
    tree.set_environment(_ENVIRONMENT)
