"""Encryption at rest: AES-GCM for personal values and kept files, HMAC for look-ups.

Why this shape:

- One secret (``PLANBOT_SECRET_KEY``) gives three keys by HKDF: one that seals (AES-256-GCM),
  one that hashes look-ups (HMAC-SHA256 of a phone number or chat id), and a short key id.
- Every sealed value carries its key id, so several keys can be known at once: the current
  one seals, old ones (``PLANBOT_OLD_SECRET_KEYS``) only open, until ``planbot keys rotate``
  has re-sealed everything under the current one.
- A value without the marker is a plain value from before encryption: it is read as it is,
  and ``planbot keys rotate`` seals it.
- A look-up tries the current key's hash, the old keys' hashes and the plain form, so rows
  written before a key change are still found.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from planbot.errors import SealError
from planbot.settings import MIN_KEY_CHARS

if TYPE_CHECKING:
    from planbot.settings import Settings

MARK = "$pb1$"  # a sealed text value: MARK + key id + "$" + base64url(nonce + ciphertext)
FILE_MARK = b"PBE1"  # a sealed file: FILE_MARK + key id (4 bytes) + nonce + ciphertext
NONCE = 12
KEY_ID_BYTES = 4


def new_secret() -> str:
    """A fresh secret for ``PLANBOT_SECRET_KEY`` (32 random bytes, base64url: 43 characters)."""
    return secrets.token_urlsafe(32)


def _derive(secret: str, what: bytes, length: int = 32) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=b"planbot", info=what)
    return hkdf.derive(secret.encode("utf-8"))


class KeyedHash:
    """HMAC-SHA256 under one key, keyed once: each hash copies it. Keying it afresh for each
    (``hmac.digest``) cost OpenSSL about 25,000 instructions, a copy about 18,000, and every
    message hashes its address and its rate count's key (callgrind)."""

    __slots__ = ("_keyed",)

    def __init__(self, key: bytes) -> None:
        self._keyed = hmac.new(key, digestmod="sha256")

    def hexdigest(self, data: bytes) -> str:
        mac = self._keyed.copy()
        mac.update(data)
        return mac.hexdigest()


@dataclass(frozen=True)
class _Key:
    id: str  # 8 hex digits, said in every value it seals
    aead: AESGCM
    mac: bytes
    keyed: KeyedHash = field(init=False, repr=False, compare=False)  # ``mac``'s, for look-ups

    def __post_init__(self) -> None:
        object.__setattr__(self, "keyed", KeyedHash(self.mac))

    @classmethod
    def of(cls, secret: str) -> _Key:
        if len(secret) < MIN_KEY_CHARS:
            raise SealError(
                f"A secret key must be at least {MIN_KEY_CHARS} characters "
                "(make one with: planbot keys new)"
            )
        kid = _derive(secret, b"planbot key id", KEY_ID_BYTES).hex()
        return cls(
            kid, AESGCM(_derive(secret, b"planbot seal")), _derive(secret, b"planbot lookup")
        )

    def hash(self, plain: str) -> str:
        return self.keyed.hexdigest(plain.encode("utf-8"))


class Keyring:
    """The current key (seals) and any old ones (only open)."""

    def __init__(self, current: str, old: Sequence[str] = ()) -> None:
        self.current = _Key.of(current)
        self._keys = {self.current.id: self.current}
        for secret in old:
            key = _Key.of(secret)
            self._keys.setdefault(key.id, key)
        self.mark = f"{MARK}{self.current.id}$"

    @property
    def key_id(self) -> str:
        return self.current.id

    @property
    def old_ids(self) -> list[str]:
        return [kid for kid in self._keys if kid != self.current.id]

    def _key(self, kid: str) -> _Key:
        try:
            return self._keys[kid]
        except KeyError:
            raise SealError(
                f"This was sealed with key {kid}, which planbot was not given "
                "(set PLANBOT_SECRET_KEY, or list the old key in PLANBOT_OLD_SECRET_KEYS)"
            ) from None

    # --- values in the database --------------------------------------------------------

    def seal_bytes(self, data: bytes) -> str:
        nonce = os.urandom(NONCE)
        sealed = self.current.aead.encrypt(nonce, data, None)
        return self.mark + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def unseal_bytes(self, stored: str) -> bytes:
        """The bytes of a sealed value (a value without the marker is not sealed: an error)."""
        kid, _, body = stored[len(MARK) :].partition("$")
        key = self._key(kid)
        try:
            raw = base64.urlsafe_b64decode(body)
            return key.aead.decrypt(raw[:NONCE], raw[NONCE:], None)
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise SealError(f"A value sealed with key {kid} does not open (changed?)") from exc

    def seal(self, text: str) -> str:
        return self.seal_bytes(text.encode("utf-8"))

    def unseal(self, stored: str) -> str:
        return self.unseal_bytes(stored).decode("utf-8")

    def is_current(self, stored: str) -> bool:
        """True when ``stored`` is sealed with the current key (nothing for rotate to do)."""
        return stored.startswith(self.mark)

    # --- look-ups ----------------------------------------------------------------------

    def lookup(self, plain: str) -> str:
        """The keyed hash a value is found by, under the current key."""
        return self.current.hash(plain)

    def lookups(self, plain: str) -> list[str]:
        """Every form a row may have been stored under: current key, old keys, plain."""
        old = [key.hash(plain) for key in self._keys.values() if key is not self.current]
        return [self.current.hash(plain), *old, plain]

    # --- files -------------------------------------------------------------------------

    def seal_file(self, data: bytes) -> bytes:
        nonce = os.urandom(NONCE)
        kid = bytes.fromhex(self.current.id)
        return FILE_MARK + kid + nonce + self.current.aead.encrypt(nonce, data, FILE_MARK)

    def open_file(self, blob: bytes) -> bytes:
        if not blob.startswith(FILE_MARK):
            raise SealError("This file is not sealed by planbot")
        start = len(FILE_MARK)
        kid = blob[start : start + KEY_ID_BYTES].hex()
        nonce = blob[start + KEY_ID_BYTES : start + KEY_ID_BYTES + NONCE]
        try:
            return self._key(kid).aead.decrypt(
                nonce, blob[start + KEY_ID_BYTES + NONCE :], FILE_MARK
            )
        except InvalidTag as exc:
            raise SealError(f"A file sealed with key {kid} does not open (changed?)") from exc

    def file_name(self, plain: str) -> str:
        """A name for a kept file that gives nothing of what it holds (a keyed hash)."""
        return self.lookup("file:" + plain)


def is_sealed(stored: str) -> bool:
    return stored.startswith(MARK)


@lru_cache(maxsize=8)
def keyring(current: str | None, old: tuple[str, ...] = ()) -> Keyring | None:
    """The keyring for these secrets (made once: deriving keys costs more than sealing)."""
    return Keyring(current, old) if current else None


def keys_of(settings: Settings) -> Keyring | None:
    """The keys these settings give (None: no encryption, ``--insecure-no-encryption``)."""
    return keyring(settings.secret_key, settings.old_secret_keys)


def seal_file(data: bytes, keys: Keyring | None) -> bytes:
    """A kept file's bytes as written to disk: sealed, or as they are without a key."""
    return keys.seal_file(data) if keys is not None else data


def open_file(blob: bytes, keys: Keyring | None) -> bytes:
    """A kept file's bytes as read from disk. Raises ``SealError`` for a file that does not
    open with these keys (treat it as not kept: a cache makes it again)."""
    if keys is None:
        if blob.startswith(FILE_MARK):
            raise SealError("This file is sealed, and planbot has no key")
        return blob
    return keys.open_file(blob)
