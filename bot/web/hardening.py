"""The web app's outer layer: security headers on every answer, size limits on every request,
and bad requests answered with a status, never a traceback.

Why one ASGI middleware around everything: the headers must be on errors and 404s too, so they
are added where every answer passes, as it starts. A body is counted as it arrives, so an
oversized one stops at the limit however it is sent (with or without a length). What bad
input raises deep inside a handler (a client gone mid-upload, JSON nested too deep for the
parser) is caught here and answered 400 in one log line at most; anything else is logged by
its kind alone (an exception's text can hold what someone sent) and answered 500.

The page's policy allows nothing by default (``default-src 'none'``) and one kind of script:
a file from the app itself (``script-src 'self'``), which is the profile page's "Listen"
button (``/static/listen.js``). No inline script, no ``eval``: what a person typed can never
run. Its pictures are inside it (``data:``), its sound and voice notes come from the app
itself, and no other site may frame it. HSTS is sent when ``PLANBOT_PUBLIC_URL`` is https.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("planbot.web")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; img-src data:; style-src 'unsafe-inline'; "
        "media-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
HSTS = ("Strict-Transport-Security", "max-age=31536000")
DEFAULT_BODY_LIMIT = 8 * 1024  # what no GET needs: only the webhooks take bodies
MAX_TARGET = 2048  # characters of path and query: a link is about 60


class BodyTooLarge(Exception):
    """A request body went past its route's limit as it arrived."""


class Hardening:
    """Pure ASGI middleware; ``body_limits`` maps a path to its largest body in bytes."""

    def __init__(self, app: ASGIApp, *, https: bool, body_limits: Mapping[str, int]) -> None:
        self.app = app
        self.body_limits = dict(body_limits)
        headers = dict(SECURITY_HEADERS)
        if https:
            headers[HSTS[0]] = HSTS[1]
        self.headers = _raw(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = _add_missing(message.get("headers", ()), self.headers)
            await send(message)

        async def answer(status: int, text: str) -> None:
            if started:  # the answer began: nothing more can be said
                return
            body = text.encode("utf-8")
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send_with_headers({"type": "http.response.body", "body": body})

        target = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        if target > MAX_TARGET:
            await answer(414, "Too long.\n")
            return
        limit = self.body_limits.get(scope["path"], DEFAULT_BODY_LIMIT)
        if _declared_length(scope) > limit:
            await answer(413, "Too big.\n")
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, counted_receive, send_with_headers)
        except BodyTooLarge:
            await answer(413, "Too big.\n")
        except ClientDisconnect:  # the client went away mid-upload: nobody to tell
            await answer(400, "Incomplete request.\n")
        except RecursionError:  # nested deeper than any parser should follow
            log.warning("%s %s refused: nested too deep", scope["method"], _route(scope))
            await answer(400, "Bad request.\n")
        except Exception as exc:  # a bug: its kind only, the text may hold what was sent
            log.error("%s %s failed: %s", scope["method"], _route(scope), type(exc).__name__)
            await answer(500, "Sorry. Something went wrong.\n")


def _raw(headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    """Headers as ASGI sends them (lower-case names, latin-1 bytes), encoded once."""
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]


def _add_missing(
    headers: Iterable[tuple[bytes, bytes]], extra: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """``headers`` and, after them, each of ``extra`` whose name they lack, on every answer.

    What Starlette's ``MutableHeaders`` did name by name, in about 1 µs instead of 8: the
    headers are encoded once, at start, and the names looked up in one set."""
    out = list(headers)
    present = {name for name, _value in out}
    out += [header for header in extra if header[0] not in present]
    return out


def _declared_length(scope: Scope) -> int:
    """The Content-Length the client declared (0 when none or not a number)."""
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0


def _route(scope: Scope) -> str:
    """The first part of the path, for a log line: "/p" and never the token after it."""
    path = str(scope.get("path") or "/")
    return "/" + path.lstrip("/").split("/", 1)[0][:20]
