"""A request handed to an ASGI app as uvicorn hands it: for calling the app in process, with
what the client sends and when it goes (a body cut off half way, say), and no sockets."""

from __future__ import annotations

from typing import Any


def post_scope(
    path: str,
    headers: list[tuple[bytes, bytes]],
    *,
    host: str = "planbot.example.org",
    scheme: str = "https",
) -> dict[str, Any]:
    """The ASGI scope of a POST to ``path`` on ``host``, with ``headers`` after Host."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", host.encode()), *headers],
        "client": ("127.0.0.1", 50000),
        "server": (host, 443 if scheme == "https" else 80),
        "state": {},
    }


async def asgi_call(app: Any, scope: dict[str, Any], messages: list[dict[str, Any]]) -> list[Any]:
    """Call the app with ``scope``, the client sending ``messages``; what the app sent."""
    sent: list[Any] = []
    waiting = list(messages)

    async def receive() -> dict[str, Any]:
        return waiting.pop(0) if waiting else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent
