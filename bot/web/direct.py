"""The Twilio webhooks' routes, taken before FastAPI's own layers: the routes every text hits.

Why: between the server and an endpoint that takes the bare ``Request`` and gives a
``Response``, FastAPI's layers (its error, telemetry and body-limit middleware, then inside
``Hardening`` its exception middleware and exit stacks, the router's match, the dependency
solving, the endpoint's wrapper) did nothing for these routes: each wraps every message of
the answer in a function of its own. Together they took about a tenth of the server's Python
time for each text (py-spy on ``planbot serve`` under ``bench/sms_load.py``), and the layers
outside ``Hardening`` about 4% of the whole app's CPU a text (the app called in process,
side by side). Here a dictionary look-up finds the endpoint, which answers as before.

What stays the same: the answer passes through a ``Hardening`` of its own (made by the app,
as the one inside FastAPI's stack is), so it keeps its headers, its body limit and its
400/500 without a traceback; the routes stay declared with FastAPI too (their OpenAPI
description, and the one endpoint for both ways in). Any other method or path goes on to
FastAPI (a GET of ``/sms`` is still its 405), and so does everything under a ``root_path``,
which FastAPI's router strips before it matches.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]
Wrap = Callable[[ASGIApp], ASGIApp]


class DirectApp(FastAPI):
    """FastAPI, with some routes answered before any of its layers (``answer_first``)."""

    _direct: dict[tuple[str, str], Endpoint]
    _answer_direct: ASGIApp

    def answer_first(self, routes: Mapping[tuple[str, str], Endpoint], wrap: Wrap) -> None:
        """``routes`` maps (method, path) to the endpoint that answers it, inside ``wrap``
        (the layer every answer of the app must pass through)."""
        self._direct = dict(routes)
        self._answer_direct = wrap(self._answer)

    @property
    def direct_routes(self) -> frozenset[tuple[str, str]]:
        return frozenset(getattr(self, "_direct", {}))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        direct = getattr(self, "_direct", None)
        if (
            direct
            and scope["type"] == "http"
            and not scope.get("root_path")
            and (scope["method"], scope["path"]) in direct
        ):
            scope["app"] = self  # as Starlette sets it: ``request.app``
            await self._answer_direct(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self._direct[(scope["method"], scope["path"])]
        response = await endpoint(Request(scope, receive, send))
        await response(scope, receive, send)
