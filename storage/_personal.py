"""The one seam for personal fields: names, answer text, who said it, channel addresses.

Why a seam: this is special-category data. No module outside ``storage/`` reads or writes these
columns; the repository calls ``seal`` before writing and ``unseal`` after reading, and
``lookup_key`` for the value an address is found by. The keys are the database's own
(``Database(keys=...)``): its ``transaction`` makes them the ones used here while it is open,
so one function signature serves every table, and a value is never sealed with no key chosen.
"""

from __future__ import annotations

import base64
from contextvars import ContextVar

from planbot.errors import SealError, StorageError
from storage._block import Setting
from storage._crypto import Keyring, is_sealed


class _Plain:
    """No keys: values are stored as they are (``--insecure-no-encryption``)."""


PLAIN = _Plain()
_keys: ContextVar[Keyring | _Plain | None] = ContextVar("planbot_keys", default=None)


def using(keys: Keyring | None) -> Setting[Keyring | _Plain]:
    """Seal and unseal with ``keys`` (None: store plainly) inside this block."""
    return Setting(_keys, keys if keys is not None else PLAIN)


def _current() -> Keyring | None:
    keys = _keys.get()
    if keys is None:
        raise StorageError("personal values are read and written inside Database.transaction()")
    return keys if isinstance(keys, Keyring) else None


def seal(text: str) -> str:
    """The stored form of a personal value."""
    keys = _current()
    return keys.seal(text) if keys is not None else text


def unseal(stored: str) -> str:
    """The plain value from its stored form (a value from before encryption reads as it is)."""
    if not is_sealed(stored):
        return stored
    keys = _current()
    if keys is None:
        raise SealError("This database is encrypted: set PLANBOT_SECRET_KEY")
    return keys.unseal(stored)


def seal_bytes(data: bytes) -> str:
    """The stored form of personal bytes (a photo, a voice note)."""
    keys = _current()
    return keys.seal_bytes(data) if keys is not None else base64.b64encode(data).decode("ascii")


def unseal_bytes(stored: str) -> bytes:
    """The bytes from their stored form (base64 when stored before encryption)."""
    if not is_sealed(stored):
        return base64.b64decode(stored)
    keys = _current()
    if keys is None:
        raise SealError("This database is encrypted: set PLANBOT_SECRET_KEY")
    return keys.unseal_bytes(stored)


def seal_optional(text: str | None) -> str | None:
    return None if text is None else seal(text)


def unseal_optional(stored: str | None) -> str | None:
    return None if stored is None else unseal(stored)


def plain_lookup(channel: str, address: str) -> str:
    return f"{channel}:{address}"


def lookup_key(channel: str, address: str) -> str:
    """The value an address is stored under: a keyed hash (the plain form without keys)."""
    keys = _current()
    plain = plain_lookup(channel, address)
    return keys.lookup(plain) if keys is not None else plain


def lookup_keys(channel: str, address: str) -> list[str]:
    """Every value an address may be stored under: the current key's hash first, then old
    keys' hashes, then the plain form of rows from before encryption."""
    keys = _current()
    plain = plain_lookup(channel, address)
    return keys.lookups(plain) if keys is not None else [plain]


def current_keys() -> Keyring | None:
    """The keys in use in this transaction (None: stored plainly)."""
    return _current()
