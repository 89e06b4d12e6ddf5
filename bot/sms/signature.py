"""Twilio's ``X-Twilio-Signature`` check, with one HMAC for a request Twilio signed.

Why our own: twilio's ``RequestValidator.validate`` always computes the HMAC twice (the URL
with and without a port) and parses the URL each time; this runs on every ``/sms`` request.
The algorithm is Twilio's documented one, the same the library implements: the full URL
Twilio called, then each form field's name and value, sorted by name (and, for a name sent
more than once, its distinct values sorted), appended; HMAC-SHA1 keyed with the auth token;
base64. The URL signed first is the configured one (``PLANBOT_PUBLIC_URL`` + path + query).

Still accepting what Twilio signs: Twilio signs the URL as it was given in the console, and
depending on its own set-up may sign it with or without the default port (``:443``/``:80``).
The library accepts both; so do we, but only when the configured URL's signature does not
match, so a normal request costs one HMAC. A signature is compared in constant time.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Iterable
from itertools import chain
from urllib.parse import urlsplit

__all__ = ["is_signed", "signature"]

_DEFAULT_PORTS = {"https": 443}  # every other scheme gets 80, as in Twilio's library


def _payload(pairs: Iterable[tuple[str, str]]) -> str:
    """The form as Twilio signs it: names sorted, a repeated name's distinct values sorted.

    Sorting the distinct (name, value) pairs gives exactly that order in one step; they
    are joined as they come, name then value, without a loop in Python.
    """
    return "".join(chain.from_iterable(sorted(set(pairs))))


def _digest(key: bytes, url: str, payload: str) -> bytes:
    return base64.b64encode(hmac.digest(key, (url + payload).encode("utf-8"), "sha1"))


def signature(token: str, url: str, pairs: Iterable[tuple[str, str]]) -> str:
    """The signature Twilio sends for a POST of ``pairs`` to ``url`` (for tools and tests)."""
    return _digest(token.encode("utf-8"), url, _payload(pairs)).decode("ascii")


def _other_forms(url: str) -> list[str]:
    """``url`` with the default port added, or without the port it names: the other way
    Twilio may have signed it (its library accepts both forms)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # not a port at all: no other form to try
        return []
    if port:
        netloc = parts.netloc.rsplit(":", 1)[0]
    else:
        netloc = f"{parts.netloc}:{_DEFAULT_PORTS.get(parts.scheme, 80)}"
    other = parts._replace(netloc=netloc).geturl()
    return [other] if other != url else []


def is_signed(token: str, url: str, pairs: Iterable[tuple[str, str]], given: str) -> bool:
    """True if ``given`` is Twilio's signature of this form POSTed to ``url``.

    ``url`` first (one HMAC), then the same URL with or without its port; never an empty
    token or signature. The comparison is ``hmac.compare_digest`` (constant time).
    """
    if not token or not given or not given.isascii():
        return False  # a base64 signature is ASCII (and compare_digest wants it so)
    key, payload, wanted = token.encode("utf-8"), _payload(pairs), given.encode("ascii")
    if hmac.compare_digest(_digest(key, url, payload), wanted):
        return True
    return any(
        hmac.compare_digest(_digest(key, other, payload), wanted) for other in _other_forms(url)
    )
