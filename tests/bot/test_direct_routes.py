"""Twilio's webhooks, taken before FastAPI's router (``bot/web/direct.py``), answer exactly as
the router's way did: the same status, headers and body, for a text and for what is refused.

The router's way is still there to compare with: under a ``root_path`` a request goes on to
FastAPI, which strips it before it matches, to the same endpoint.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tests.auxil.twilio import PUBLIC_URL, sign, sms_form

ROOT = "/under"


@pytest.fixture
async def routed(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The same app, every request under a root path: FastAPI's router answers."""
    transport = httpx.ASGITransport(app=app, root_path=ROOT)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL + ROOT) as http:
        yield http


Seen = tuple[int, list[tuple[str, str]], bytes]


def seen(response: httpx.Response) -> Seen:
    return response.status_code, list(response.headers.multi_items()), response.content


async def test_a_text_goes_through_none_of_fastapis_layers(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    assert app.direct_routes == {("POST", "/sms"), ("POST", "/sms/status")}  # type: ignore[attr-defined]
    status, headers, body = await text(client, PUBLIC_URL + "/sms", "+447700900123")
    assert status == 200 and b"<Message>" in body
    assert ("x-frame-options", "DENY") in headers  # the webhooks' own Hardening
    assert app.middleware_stack is None  # Starlette builds its layers at their first use
    await client.get("/healthz")
    assert app.middleware_stack is not None


@pytest.mark.parametrize("path", ["/sms", "/sms/status"])
async def test_refusals_are_the_routers(
    client: httpx.AsyncClient, routed: httpx.AsyncClient, path: str
) -> None:
    form = sms_form("+447700900123", "hi")
    for request in (
        {"data": form},  # no signature
        {"data": form, "headers": {"X-Twilio-Signature": "bm90IGl0"}},
        {"json": form},  # not a form
        {"content": b"x" * 2_000_000, "headers": {"Content-Type": "text/plain"}},  # too big
    ):
        assert seen(await client.post(path, **request)) == seen(await routed.post(path, **request))


async def text(http: httpx.AsyncClient, url: str, number: str) -> Seen:
    """Text "hi" from ``number``, signed for ``url``; what comes back."""
    form = sms_form(number, "hi")
    signed = {"X-Twilio-Signature": sign(url, form)}
    return seen(await http.post("/sms", data=form, headers=signed))


async def test_a_text_is_answered_as_the_router_answered_it(
    client: httpx.AsyncClient, routed: httpx.AsyncClient
) -> None:
    direct = await text(client, PUBLIC_URL + "/sms", "+447700900123")
    assert direct == await text(routed, PUBLIC_URL + ROOT + "/sms", "+447700900124")
    assert direct[0] == 200 and b"<Message>" in direct[2]
