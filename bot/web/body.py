"""Reading a request body with a size cap, for every webhook the web app takes.

Why: a webhook body comes from the internet. Twilio's forms and Telegram's updates are a few
kilobytes; anything much larger is refused before it is all read into memory.
"""

from __future__ import annotations

from fastapi import Request


async def read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when it says or turns out to be over ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)
