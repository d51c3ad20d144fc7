"""``-k`` expressions: which cases to run, chosen by words in their names, as pytest does.

An expression is words joined by ``and``, ``or``, ``not`` and parentheses; a word selects
the cases whose name contains it, ignoring case. ``not`` binds tighter than ``and``, which
binds tighter than ``or``. A word is any run of characters other than spaces and
parentheses (``p1``, ``lifecycle[2]``, ``after-hours``); ``and``, ``or`` and ``not`` are
always operators. ``not`` and parentheses nest at most :data:`MAX_DEPTH` deep.

>>> k = Keywords.parse("p1 and not (vip or matrix)")
>>> [k.matches(n) for n in ("p1-page", "p1-vip", "P1-matrix[2]", "p2-page")]
[True, False, False, False]
"""

from __future__ import annotations

import re
from collections.abc import Callable

from escalate.errors import EscalateError, shown

__all__ = ["MAX_DEPTH", "ExpressionError", "Keywords"]

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")
_OPERATORS = frozenset({"and", "or", "not"})
Test = Callable[[str], bool]
#: How deeply ``not`` and ``(`` may nest in an expression; deeper is an :class:`ExpressionError`
#: (parsing and matching recurse once per level, and no selection needs more).
MAX_DEPTH = 100


class ExpressionError(EscalateError, ValueError):
    """A ``-k`` expression that does not parse; the message names the position."""


class Keywords:
    """A parsed ``-k`` expression; :meth:`matches` tells whether it selects a case name."""

    __slots__ = ("_test", "text")

    def __init__(self, text: str, test: Test) -> None:
        self.text = text
        self._test = test

    @classmethod
    def parse(cls, text: str) -> Keywords:
        """Parse ``text``; an :class:`ExpressionError` when it is not an expression."""
        tokens: list[tuple[str, int]] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None:  # only spaces left
                break
            tokens.append((match.group(1), match.start(1)))
            pos = match.end()
        parser = _Parser(text, tokens)
        test = parser.expression()
        if parser.index < len(tokens):
            word, at = tokens[parser.index]
            raise ExpressionError(f"-k {shown(text)}: unexpected {shown(word)} at column {at + 1}")
        return cls(text, test)

    def matches(self, name: str) -> bool:
        """Whether the expression selects the case called ``name``."""
        return self._test(name.lower())

    def __repr__(self) -> str:
        return f"Keywords({self.text!r})"


class _Parser:
    """Recursive descent over the tokens: or > and > not > word | ( expression )."""

    def __init__(self, text: str, tokens: list[tuple[str, int]]) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    def _peek(self) -> str | None:
        return self.tokens[self.index][0] if self.index < len(self.tokens) else None

    def _fail(self, what: str) -> ExpressionError:
        if self.index < len(self.tokens):
            word, at = self.tokens[self.index]
            return ExpressionError(
                f"-k {shown(self.text)}: expected {what}, got {shown(word)} at column {at + 1}"
            )
        return ExpressionError(f"-k {shown(self.text)}: expected {what} at the end")

    def expression(self) -> Test:
        terms = [self._and()]
        while self._peek() == "or":
            self.index += 1
            terms.append(self._and())
        return terms[0] if len(terms) == 1 else _any(tuple(terms))

    def _and(self) -> Test:
        terms = [self._not()]
        while self._peek() == "and":
            self.index += 1
            terms.append(self._not())
        return terms[0] if len(terms) == 1 else _all(tuple(terms))

    def _not(self) -> Test:
        token = self._peek()
        if token == "not":
            self._deeper()
            inner = self._not()
            self.depth -= 1
            return lambda name: not inner(name)
        if token == "(":
            self._deeper()
            inner = self.expression()
            if self._peek() != ")":
                raise self._fail("')'")
            self.index += 1
            self.depth -= 1
            return inner
        if token is None or token == ")" or token in _OPERATORS:
            raise self._fail("a word, 'not' or '('")
        self.index += 1
        word = token.lower()
        return lambda name: word in name

    def _deeper(self) -> None:
        """Step into a ``not`` or ``(``, refusing to nest deeper than :data:`MAX_DEPTH`."""
        if self.depth == MAX_DEPTH:
            at = self.tokens[self.index][1]
            raise ExpressionError(
                f"-k {shown(self.text)}: 'not' and '(' nest deeper than {MAX_DEPTH} at column "
                f"{at + 1}"
            )
        self.depth += 1
        self.index += 1


def _any(terms: tuple[Test, ...]) -> Test:
    return lambda name: any(term(name) for term in terms)


def _all(terms: tuple[Test, ...]) -> Test:
    return lambda name: all(term(name) for term in terms)
