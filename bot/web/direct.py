"""The Twilio webhooks' routes, taken before FastAPI's router: the routes every text hits.

Why: between ``Hardening`` and an endpoint that takes the bare ``Request`` and gives a
``Response``, FastAPI's inner layers (its exception middleware and exit stacks, the router's
match, the dependency solving, the endpoint's wrapper) did nothing for these routes and took
about a tenth of the server's Python time for each text (py-spy on ``planbot serve`` under
``bench/sms_load.py``). Here a dictionary look-up finds the endpoint, which answers as
before.

What stays the same: ``Hardening`` is outside this, so every answer keeps its headers, its
body limit and its 400/500 without a traceback; the routes stay declared with FastAPI too
(their OpenAPI description, and the one endpoint for both ways in). Any other method or path
goes on to FastAPI (a GET of ``/sms`` is still its 405), and so does everything under a
``root_path``, which FastAPI's router strips before it matches.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]


class DirectRoutes:
    """Pure ASGI middleware; ``routes`` maps (method, path) to the endpoint that answers it."""

    def __init__(self, app: ASGIApp, *, routes: Mapping[tuple[str, str], Endpoint]) -> None:
        self.app = app
        self.routes = dict(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = None
        if scope["type"] == "http" and not scope.get("root_path"):
            endpoint = self.routes.get((scope["method"], scope["path"]))
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        response = await endpoint(Request(scope, receive, send))
        await response(scope, receive, send)
