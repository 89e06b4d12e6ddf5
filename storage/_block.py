"""A context variable set for the length of a block.

Why a class and not a ``contextmanager`` generator: every transaction enters one (the keys
it seals with) and the web app another for every text (the flush it owes), and a
generator's set-up and two resumptions cost several times the variable's set and reset.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Generic, TypeVar

T = TypeVar("T")


class Setting(Generic[T]):
    """``with Setting(variable, value) as value:`` the variable (None when nothing set it)
    is ``value`` inside, and what it was before after."""

    __slots__ = ("_token", "_value", "_variable")

    def __init__(self, variable: ContextVar[T | None], value: T) -> None:
        self._variable, self._value = variable, value

    def __enter__(self) -> T:
        self._token: Token[T | None] = self._variable.set(self._value)
        return self._value

    def __exit__(self, *_exc: object) -> None:
        self._variable.reset(self._token)
