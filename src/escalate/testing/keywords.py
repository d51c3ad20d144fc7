"""``-k`` expressions: which cases to run, chosen by words in their names, as pytest does.

An expression is words joined by ``and``, ``or``, ``not`` and parentheses; a word selects
the cases whose name contains it, ignoring case. ``not`` binds tighter than ``and``, which
binds tighter than ``or``. A word is any run of characters other than spaces and
parentheses (``p1``, ``lifecycle[2]``, ``after-hours``); ``and``, ``or`` and ``not`` are
always operators.

>>> k = Keywords.parse("p1 and not (vip or matrix)")
>>> [k.matches(n) for n in ("p1-page", "p1-vip", "P1-matrix[2]", "p2-page")]
[True, False, False, False]
"""

from __future__ import annotations

import re
from collections.abc import Callable

from escalate.errors import EscalateError, shown

__all__ = ["ExpressionError", "Keywords"]

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")
_OPERATORS = frozenset({"and", "or", "not"})
Test = Callable[[str], bool]


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
        left = self._and()
        while self._peek() == "or":
            self.index += 1
            right = self._and()
            left = _either(left, right)
        return left

    def _and(self) -> Test:
        left = self._not()
        while self._peek() == "and":
            self.index += 1
            right = self._not()
            left = _both(left, right)
        return left

    def _not(self) -> Test:
        token = self._peek()
        if token == "not":
            self.index += 1
            inner = self._not()
            return lambda name: not inner(name)
        if token == "(":
            self.index += 1
            inner = self.expression()
            if self._peek() != ")":
                raise self._fail("')'")
            self.index += 1
            return inner
        if token is None or token == ")" or token in _OPERATORS:
            raise self._fail("a word, 'not' or '('")
        self.index += 1
        word = token.lower()
        return lambda name: word in name


def _either(left: Test, right: Test) -> Test:
    return lambda name: left(name) or right(name)


def _both(left: Test, right: Test) -> Test:
    return lambda name: left(name) and right(name)
