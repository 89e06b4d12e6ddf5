"""The one seam for personal fields: names, answer text, who said it, channel addresses.

Why a seam: this is special-category data. No module outside ``storage/`` reads or writes these
columns; the repository calls ``seal`` before writing and ``unseal`` after reading, so that
encryption at rest (a later change, keyed by ``PLANBOT_SECRET_KEY``) is added here alone.
``lookup_key`` gives the value stored for exact-match look-ups (a channel address).
"""

from __future__ import annotations


def seal(text: str) -> str:
    """The stored form of a personal value."""
    return text


def unseal(stored: str) -> str:
    """The plain value from its stored form."""
    return stored


def seal_optional(text: str | None) -> str | None:
    return None if text is None else seal(text)


def unseal_optional(stored: str | None) -> str | None:
    return None if stored is None else unseal(stored)


def lookup_key(channel: str, address: str) -> str:
    """The value an address is found by (the same input always gives the same key)."""
    return f"{channel}:{address}"
