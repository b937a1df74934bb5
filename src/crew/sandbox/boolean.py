"""Leonar's boolean search syntax: parse a query, then test it against text.

AND, OR and NOT are uppercase; "exact phrases" are quoted; parentheses balance;
two operators never follow each other and a query never starts with AND or OR.
Words side by side mean AND.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["BooleanQueryError", "compile_query"]

Test = Callable[[str], bool]
_TOKEN = re.compile(r'\s*(?:(\()|(\))|"([^"]*)"|([^\s()"]+))')


class BooleanQueryError(ValueError):
    """The query breaks Leonar's boolean syntax; the message says how."""


def compile_query(query: str) -> Test:
    """Parse query into a test over lower-cased text; BooleanQueryError if invalid.

    An empty query matches everything.
    """
    tokens = _tokens(query)
    if not tokens:
        return lambda text: True
    parser = _Parser(tokens)
    test = parser.expression()
    if parser.position != len(tokens):
        raise BooleanQueryError("has an unbalanced ')'")
    return test


def _tokens(query: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    query = query.rstrip()
    while position < len(query):
        found = _TOKEN.match(query, position)
        if found is None:
            raise BooleanQueryError("has an unclosed quote")
        opening, closing, phrase, word = found.groups()
        if phrase is not None:
            tokens.append('"' + phrase.lower())
        else:
            tokens.append(opening or closing or word)
        position = found.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def expression(self) -> Test:
        terms = [self.conjunction()]
        while self.peek() == "OR":
            self.take()
            terms.append(self.conjunction())
        return lambda text: any(term(text) for term in terms)

    def conjunction(self) -> Test:
        factors = [self.factor()]
        while self.peek() not in (None, ")", "OR"):
            if self.peek() == "AND":
                self.take()
            factors.append(self.factor())
        return lambda text: all(factor(text) for factor in factors)

    def factor(self) -> Test:
        token = self.peek()
        if token is None:
            raise BooleanQueryError("ends with an operator")
        if token in ("AND", "OR"):
            raise BooleanQueryError(f"has {token} where a term is expected")
        if token == ")":
            raise BooleanQueryError("has an unbalanced ')' or empty parentheses")
        self.take()
        if token == "NOT":
            inner = self.factor()
            return lambda text: not inner(text)
        if token == "(":
            inner = self.expression()
            if self.peek() != ")":
                raise BooleanQueryError("has an unclosed '('")
            self.take()
            return inner
        needle = token[1:] if token.startswith('"') else token.lower()
        return lambda text: needle in text
