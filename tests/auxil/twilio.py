"""Twilio for tests: signed webhooks, TwiML reading, and a fake REST API at the HTTP layer.

Why this way: inbound requests are signed with twilio's own ``RequestValidator`` algorithm, so
the app's check is the real one; outbound calls and media downloads go through ``requests``,
which ``responses`` answers like Twilio would (any call nobody registered fails loudly).
"""

from __future__ import annotations

import itertools
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import responses
from twilio.request_validator import RequestValidator

from planbot.settings import Settings

PUBLIC_URL = "https://planbot.example.org"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "0" * 32
FROM_NUMBER = "+447700900000"
API = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}"
_SIDS = itertools.count(1)


def make_settings(folder: Path, **extra: str) -> Settings:
    """Settings for the web app: Twilio configured, speech off, data in ``folder``.

    The tests' clock stands still, so a whole conversation falls in one minute: the limits on
    messages from one sender are raised out of the way here. The tests of the limits
    (tests/bot/test_rate_limits.py) give them as a deployment has them.
    """
    return Settings.from_env(sms_env(folder, **extra))


def sms_env(folder: Path, **extra: str) -> dict[str, str]:
    """``make_settings``' settings as environment variables (for a process of its own)."""
    return {
        "PLANBOT_MESSAGES_PER_MINUTE": "100000",
        "PLANBOT_MESSAGES_PER_DAY": "100000",
        "PLANBOT_DATA_DIR": str(folder / "data"),
        "PLANBOT_PUBLIC_URL": PUBLIC_URL,
        "PLANBOT_HELP_CONTACT": "Call Sam on 0123",
        "PLANBOT_TTS": "off",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        **extra,
    }


def new_sid(prefix: str = "SM") -> str:
    return f"{prefix}{next(_SIDS):032x}"


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """The X-Twilio-Signature Twilio would send for this URL and form."""
    return str(RequestValidator(token).compute_signature(url, params))


def sms_form(
    number: str,
    body: str,
    sid: str | None = None,
    media: Sequence[tuple[str, str]] = (),
    to_country: str = "GB",
) -> dict[str, str]:
    """The form Twilio posts for an inbound text (``media``: (url, content type) pairs).

    ``to_country`` is the country of our Twilio number: Twilio carries MMS only in US and CA.
    """
    form = {
        "ToCountry": to_country,
        "SmsMessageSid": sid or "",
        "NumMedia": str(len(media)),
        "From": number,
        "To": FROM_NUMBER,
        "Body": body,
        "MessageSid": sid or new_sid(),
        "AccountSid": ACCOUNT_SID,
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }
    form["SmsMessageSid"] = form["MessageSid"]
    for i, (url, kind) in enumerate(media):
        form[f"MediaUrl{i}"] = url
        form[f"MediaContentType{i}"] = kind
    return form


def read_twiml(text: str) -> list[str]:
    """The bodies of a TwiML answer; fails unless it is well-formed <Response> of <Message>s."""
    root = ET.fromstring(text)
    assert root.tag == "Response", text
    assert all(child.tag == "Message" and len(child) == 0 for child in root), text
    return [child.text or "" for child in root]


async def post_signed(
    client: httpx.AsyncClient,
    path: str,
    form: dict[str, str],
    *,
    token: str = AUTH_TOKEN,
    signature: str | None = None,
) -> httpx.Response:
    """POST ``form`` to ``path`` as Twilio does, signed for PLANBOT_PUBLIC_URL + path."""
    headers = {"X-Twilio-Signature": signature or sign(PUBLIC_URL + path, form, token)}
    return await client.post(path, data=form, headers=headers)


@dataclass
class Texter:
    """One phone texting planbot through the app (``client`` may be an ASGI or real server)."""

    client: httpx.AsyncClient
    number: str = "+447700900123"
    last: httpx.Response | None = None
    country: str = "GB"  # of the Twilio number texted: "US" or "CA" for photos by MMS

    async def send(
        self, body: str, sid: str | None = None, media: Sequence[tuple[str, str]] = ()
    ) -> list[str]:
        """Text ``body``; return planbot's answers (one string per SMS)."""
        form = sms_form(self.number, body, sid, media, self.country)
        self.last = await post_signed(self.client, "/sms", form)
        assert self.last.status_code == 200, self.last.text
        assert self.last.headers["content-type"].startswith("application/xml")
        return read_twiml(self.last.text)


@dataclass
class FakeTwilio:
    """Twilio's REST API and media store, answered at the HTTP layer with ``responses``."""

    mock: responses.RequestsMock
    sent: list[dict[str, str]] = field(default_factory=list)
    opted_out: set[str] = field(default_factory=set)
    media_requests: list[Any] = field(default_factory=list)

    def _create_message(self, request: Any) -> tuple[int, dict[str, str], str]:
        fields = dict(parse_qsl(request.body or ""))
        if fields.get("To") in self.opted_out:
            error = {
                "code": 21610,
                "message": "Attempt to send to unsubscribed recipient",
                "more_info": "https://www.twilio.com/docs/errors/21610",
                "status": 400,
            }
            return 400, {"Content-Type": "application/json"}, json.dumps(error)
        self.sent.append(fields)
        sid = new_sid()
        reply = {
            "sid": sid,
            "account_sid": ACCOUNT_SID,
            "to": fields.get("To"),
            "from": fields.get("From"),
            "body": fields.get("Body"),
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
        }
        return 201, {"Content-Type": "application/json"}, json.dumps(reply)

    def add_media(self, url: str, data: bytes, content_type: str, status: int = 200) -> None:
        """Serve ``data`` at ``url`` (needs the account's basic auth, as Twilio can)."""

        def answer(request: Any) -> tuple[int, dict[str, str], bytes]:
            self.media_requests.append(request)
            if not request.headers.get("Authorization", "").startswith("Basic "):
                return 401, {}, b"unauthorised"
            return status, {"Content-Type": content_type}, data

        self.mock.add_callback(responses.GET, url, callback=answer)


@contextmanager
def fake_twilio() -> Iterator[FakeTwilio]:
    """Intercept every ``requests`` call; answer Twilio's Messages API like Twilio does."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakeTwilio(mock)
        mock.add_callback(
            responses.POST,
            re.compile(re.escape(API) + r"/Messages\.json"),
            callback=fake._create_message,
        )
        yield fake


def media_url(n: int = 0) -> str:
    return f"{API}/Messages/MM{n:032x}/Media/ME{n:032x}"


PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
