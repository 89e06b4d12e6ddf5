"""Fuzzing the web app: no request, however odd, gets a server error (5xx).

schemathesis reads the app's OpenAPI description (built from the app object: it is not
served) and makes requests for every route, both ones that fit the description and ones that
break it. Twilio's requests are signed with Twilio's real algorithm over the very bytes sent
and Telegram's carry the secret, so the fuzzing reaches the handlers and the dialogue, not only
the signature check. hypothesis adds signed texts of any words and Telegram updates of any shape.

Every request runs against the real app (ASGI), the real SQLite or PostgreSQL, and the real
python-telegram-bot talking to the fake Bot API. The figures (cases sent, 5xx met) are printed
at the end of the run (tests/auxil/hostile.py).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from starlette.datastructures import ImmutableMultiDict
from twilio.request_validator import RequestValidator

import storage
from bot.web.app import create_app
from tests.auxil.fake_telegram import TOKEN, FakeBotApi, fake_bot_api
from tests.auxil.hostile import HOSTILE, TALLY, examples
from tests.auxil.twilio import AUTH_TOKEN, PUBLIC_URL, make_settings, read_twiml, sms_form
from tests.bot.test_sms_conversation import counts
from tests.conftest import Clock

SECRET = "webhook-secret-for-fuzzing"
SIGNED = ("/sms", "/sms/status")


def described_operations() -> list[tuple[str, str]]:
    """Every (method, path) of the app's OpenAPI description: a new route is fuzzed too."""
    with tempfile.TemporaryDirectory(prefix="planbot-routes-") as folder:
        db = storage.Database(f"sqlite:///{folder}/routes.sqlite3")  # never opened: no tables
        try:
            settings = make_settings(Path(folder), TELEGRAM_BOT_TOKEN=TOKEN)
            raw = create_app(settings, db).openapi()
        finally:
            db.dispose()
    return sorted((method.upper(), path) for path, ops in raw["paths"].items() for method in ops)


OPERATIONS = described_operations()
FUZZ = settings(
    max_examples=examples(20),
    deadline=None,
    # No shrinking: each example runs the whole app, and a failure prints its request anyway.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with fake_bot_api() as server:
        yield server


@pytest.fixture
async def web(
    tmp_path: Path, fake: FakeBotApi, db: storage.Database, clock: Clock
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with both channels on: SMS (Twilio) and Telegram (the fake Bot API)."""
    settings = make_settings(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        PLANBOT_TELEGRAM_API_URL=fake.url,
    )
    app = create_app(settings, db, clock=clock)
    async with app.router.lifespan_context(app):
        # A crash comes back as the 500 a client would get, so it is counted and shown.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
            yield client


@pytest.fixture
def schema(tmp_path: Path, db: storage.Database) -> schemathesis.BaseSchema:
    """The app's OpenAPI description, read by schemathesis (the same routes as ``web``'s)."""
    app = create_app(make_settings(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN), db)
    return schemathesis.openapi.from_dict(app.openapi())


def twilio_signature(url: str, body: bytes) -> str:
    """Twilio's signature for this URL and form body, read as the app reads it."""
    pairs = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return str(RequestValidator(AUTH_TOKEN).compute_signature(url, ImmutableMultiDict(pairs)))


def prepared(case: schemathesis.Case) -> requests.PreparedRequest:
    """The request schemathesis means, as bytes; signed or with the secret where it needs it."""
    kwargs = case.as_transport_kwargs(base_url=PUBLIC_URL)
    wanted = ("method", "url", "headers", "params", "cookies", "data", "json", "files")
    fields = {k: kwargs[k] for k in wanted if k in kwargs}
    try:
        request = requests.Request(**fields).prepare()
    except (ValueError, TypeError, requests.RequestException):
        reject()  # not a request any client could send
    path = urlsplit(request.url or "").path
    if path in SIGNED:
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
        request.headers["X-Twilio-Signature"] = twilio_signature(request.url or "", body)
    if path == "/telegram":
        request.headers["X-Telegram-Bot-Api-Secret-Token"] = SECRET
    return request


async def send(web: httpx.AsyncClient, request: requests.PreparedRequest) -> httpx.Response:
    body = request.body
    content = body.encode() if isinstance(body, str) else body
    try:
        return await web.request(
            request.method or "GET",
            request.url or "/",
            headers=dict(request.headers),
            content=content,
        )
    except (UnicodeEncodeError, httpx.InvalidURL, httpx.LocalProtocolError):
        reject()  # a header or address httpx cannot put on the wire


def test_the_description_covers_the_webhooks_and_pages() -> None:
    assert {
        ("POST", "/sms"),
        ("POST", "/sms/status"),
        ("POST", "/telegram"),
        ("GET", "/p/{name}"),
        ("GET", "/r/{name}"),
        ("GET", "/healthz"),
    } <= set(OPERATIONS)


def test_the_webhooks_bodies_and_signatures_are_described(
    schema: schemathesis.BaseSchema,
) -> None:
    sms = schema.raw_schema["paths"]["/sms"]["post"]
    assert sms["requestBody"]["content"]["application/x-www-form-urlencoded"]
    assert {p["name"] for p in sms["parameters"]} == {"X-Twilio-Signature"}
    telegram = schema.raw_schema["paths"]["/telegram"]["post"]
    assert telegram["requestBody"]["content"]["application/json"]["schema"]["required"] == [
        "update_id"
    ]


async def test_the_description_is_not_served(web: httpx.AsyncClient) -> None:
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert (await web.get(path)).status_code == 404


# Requests that break the description, too, where there is something to break: a body or
# a header (a text in a path always fits "a text", so there is nothing negative to make).
CASES = [(m, p, GenerationMode.POSITIVE) for m, p in OPERATIONS] + [
    (m, p, GenerationMode.NEGATIVE) for m, p in OPERATIONS if m == "POST"
]


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
@FUZZ
@given(data=st.data())
async def test_schemathesis_finds_no_server_error(
    web: httpx.AsyncClient,
    schema: schemathesis.BaseSchema,
    method: str,
    path: str,
    mode: GenerationMode,
    data: st.DataObject,
) -> None:
    case = data.draw(schema[path][method].as_strategy(generation_mode=mode))
    response = await send(web, prepared(case))
    TALLY.add(f"schemathesis {method} {path} ({mode.value})", response.status_code)
    assert response.status_code < 500, (case.as_curl_command(), response.text)


# --- hypothesis: signed texts of any words, Telegram updates of any shape -----------------

FORM_KEYS = ["From", "Body", "MessageSid", "NumMedia", "MediaUrl0", "MediaContentType0", "To"]
texts = st.text(max_size=300) | st.sampled_from(list(HOSTILE.values()))
# JSON can carry lone surrogates ("\\ud800"), which no form and no database can.
json_texts = texts | st.text(st.characters(exclude_categories=()), max_size=20)


@FUZZ
@given(data=st.data())
async def test_signed_texts_of_any_words_get_twiml(
    web: httpx.AsyncClient, data: st.DataObject
) -> None:
    """A person (three phones) sends anything, sometimes with odd form fields; the answer is
    always well-formed TwiML of plain <Message>s, or a clear 400."""
    number = data.draw(st.sampled_from(["+447700900001", "+447700900002", "+15550100"]))
    form = sms_form(number, data.draw(texts))
    extra = data.draw(st.dictionaries(st.sampled_from(FORM_KEYS), st.text(max_size=40)))
    form.update(extra)
    body = urlencode(form).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilio_signature(PUBLIC_URL + "/sms", body),
    }
    response = await web.post("/sms", content=body, headers=headers)
    TALLY.add("hypothesis /sms signed forms", response.status_code)
    number, sid = form["From"].strip(), form["MessageSid"].strip()
    if response.status_code == 400:  # only for a From or MessageSid blank, too long or odd
        assert not (number and sid and len(number) <= 100 and len(sid) <= 200) or not (
            number.isprintable() and sid.isprintable()
        ), form
        return
    assert response.status_code == 200, response.text
    assert read_twiml(response.text)  # parses, only <Message>s, at least one


json_leaves = st.none() | st.booleans() | st.integers() | st.floats() | json_texts
json_values = st.recursive(
    json_leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
chats = st.fixed_dictionaries(
    {"id": st.integers(-(2**40), 2**40), "type": st.sampled_from(["private", "group", "x"])}
)
messages = st.fixed_dictionaries(
    {"message_id": st.integers(), "date": st.integers(0, 2**31), "chat": chats},
    optional={
        "text": json_texts,
        "caption": json_texts,
        "from": st.fixed_dictionaries(
            {"id": st.integers(1, 2**40), "is_bot": st.booleans(), "first_name": texts}
        ),
        "photo": st.lists(
            st.fixed_dictionaries(
                {
                    "file_id": st.text(max_size=20),
                    "file_unique_id": st.text(max_size=20),
                    "width": st.integers(0, 9999),
                    "height": st.integers(0, 9999),
                }
            ),
            max_size=2,
        ),
        "voice": st.fixed_dictionaries(
            {
                "file_id": st.text(max_size=20),
                "file_unique_id": st.text(max_size=20),
                "duration": st.integers(-5, 10**6),
            }
        ),
        "entities": st.lists(
            st.fixed_dictionaries(
                {
                    "type": st.sampled_from(["bot_command", "bold", "x"]),
                    "offset": st.integers(-3, 50),
                    "length": st.integers(-3, 50),
                }
            ),
            max_size=2,
        ),
    },
)
updates = st.fixed_dictionaries(
    {"update_id": st.integers()},
    optional={
        "message": messages,
        "edited_message": messages,
        "channel_post": messages,
        "callback_query": st.fixed_dictionaries(
            {
                "id": st.text(max_size=10),
                "from": st.fixed_dictionaries(
                    {"id": st.integers(1, 2**40), "is_bot": st.booleans(), "first_name": texts}
                ),
                "chat_instance": st.text(max_size=10),
            },
            optional={"data": json_texts, "message": messages},
        ),
        "my_chat_member": json_values,
        "unknown_field": json_values,
    },
)


@FUZZ
@given(update=updates | json_values)
async def test_telegram_updates_of_any_shape_get_no_server_error(
    web: httpx.AsyncClient, fake: FakeBotApi, update: Any
) -> None:
    """Updates that fit Telegram's shape and ones that do not: 200 or 400, never 5xx, and
    every text the bot sends is plain (no parse mode: nothing typed is read as markup)."""
    before = len(fake.sent())
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    response = await web.post("/telegram", content=json.dumps(update), headers=headers)
    TALLY.add("hypothesis /telegram updates", response.status_code)
    assert response.status_code in (200, 400), response.text
    assert all("parse_mode" not in call.fields for call in fake.sent()[before:])


@pytest.mark.parametrize("date", [10**20, -(10**20), 2**63])
async def test_an_update_dated_beyond_any_clock_is_refused_not_a_crash(
    web: httpx.AsyncClient, fake: FakeBotApi, date: int
) -> None:
    """Found by fuzzing: python-telegram-bot reads "date" with fromtimestamp, which cannot hold
    such a date; it was a 500 with a traceback, it is now a 400 that sends nothing."""
    chat = {"id": 7, "type": "private"}
    update = {"update_id": 1, "message": {"message_id": 1, "date": date, "chat": chat}}
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    response = await web.post("/telegram", json=update, headers=headers)
    assert response.status_code == 400
    assert fake.sent() == []


@pytest.mark.parametrize(
    "chat",
    [{"id": [], "type": "private"}, {"id": "7", "type": "private"}, {"id": 1.5, "type": "x"}],
)
async def test_an_update_whose_ids_are_not_numbers_is_refused(
    web: httpx.AsyncClient, fake: FakeBotApi, chat: dict[str, Any]
) -> None:
    """Found by fuzzing: a list for a chat id stopped python-telegram-bot with a TypeError (a
    500); ids that are not whole numbers are now a 400, and nothing is sent or stored."""
    update = {"update_id": 2, "message": {"message_id": 1, "date": 0, "chat": chat, "text": "hi"}}
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    response = await web.post("/telegram", json=update, headers=headers)
    assert response.status_code == 400
    assert fake.sent() == []


async def test_a_signed_form_with_nul_characters_gets_no_server_error(
    web: httpx.AsyncClient, db: storage.Database
) -> None:
    """Found by fuzzing on PostgreSQL, which refuses NUL in text: a delivery report with a NUL
    in its number was a 500; it is now taken with the number left out. A text whose number or
    id holds a NUL is no message from Twilio: 400, and nothing is stored."""
    status = {"MessageSid": "SM1", "MessageStatus": "failed", "To": "+44\x00", "ErrorCode": "21610"}
    text = sms_form("+4477009\x0000", "hi", sid="SM\x001")
    answers = []
    for path, form in (("/sms/status", status), ("/sms", text)):
        body = urlencode(form).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": twilio_signature(PUBLIC_URL + path, body),
        }
        answers.append((await web.post(path, content=body, headers=headers)).status_code)
    assert answers == [204, 400]
    assert counts(db)["addresses"] == 0
