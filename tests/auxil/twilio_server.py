"""A local Twilio double on 127.0.0.1: the Messages API as a real HTTP server.

Why a server as well as ``responses``: a sender in another process (``planbot outbox
--once``), or several senders in threads, must reach the same Twilio, through
``PLANBOT_TWILIO_API_URL``. It checks the account's basic auth, records every text it
takes, can refuse a number as opted out (21610), fail the next calls (500), or hold a call
after taking it (for a sender killed between sending and recording the send).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.auxil.servers import served
from tests.auxil.twilio import ACCOUNT_SID, AUTH_TOKEN

_SIDS = itertools.count(1)


@dataclass
class TwilioDouble:
    """What the double holds: the texts taken, and how it should misbehave."""

    url: str = ""
    sent: list[dict[str, str]] = field(default_factory=list)
    opted_out: set[str] = field(default_factory=set)
    failures: int = 0  # the next calls answer 500
    hold: threading.Event | None = None  # when set up, a taken text is answered only once set
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bodies(self, to: str | None = None) -> list[str]:
        with self.lock:
            return [m["Body"] for m in self.sent if to is None or m["To"] == to]

    def wait_for(self, count: int, seconds: float = 20.0) -> None:
        deadline = time.monotonic() + seconds
        while len(self.sent) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"the double took {len(self.sent)} texts, not {count}")
            time.sleep(0.02)


def _authorised(request: Request) -> bool:
    expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    return request.headers.get("authorization", "") == f"Basic {expected}"


def _app(double: TwilioDouble) -> Starlette:
    async def create(request: Request) -> Response:
        if request.path_params["account"] != ACCOUNT_SID or not _authorised(request):
            return JSONResponse({"code": 20003, "message": "Authenticate"}, status_code=401)
        async with request.form() as form:
            fields = {k: str(v) for k, v in form.items()}
        with double.lock:
            if double.failures:
                double.failures -= 1
                return JSONResponse({"code": 20500, "message": "Internal"}, status_code=500)
            if fields.get("To") in double.opted_out:
                error = {"code": 21610, "message": "Attempt to send to unsubscribed recipient"}
                return JSONResponse({**error, "status": 400}, status_code=400)
            double.sent.append(fields)
            hold = double.hold
        if hold is not None:
            while not hold.is_set():  # the sender may be killed while it waits for this
                await asyncio.sleep(0.02)
        sid = f"SM{next(_SIDS):032x}"
        reply = {"sid": sid, "account_sid": ACCOUNT_SID, "to": fields.get("To"), "status": "queued"}
        return JSONResponse(reply, status_code=201)

    return Starlette(
        routes=[Route("/2010-04-01/Accounts/{account}/Messages.json", create, methods=["POST"])]
    )


@contextmanager
def twilio_double() -> Iterator[TwilioDouble]:
    """Run the double in a thread for the duration of the block."""
    double = TwilioDouble()
    with served(_app(double), "the Twilio double") as url:
        double.url = url
        try:
            yield double
        finally:
            if double.hold is not None:
                double.hold.set()  # a held call goes on, so the server can stop
