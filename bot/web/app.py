"""The web app ``planbot serve`` runs: the SMS webhook, delivery reports, profile pages, health.

Why it looks like this:

- The engine and the database calls block. On SQLite (one writer at a time, a few milliseconds
  a message) they run in line on the event loop, one after another: no thread hand-off, no
  fight for the GIL, and writers never meet SQLite's busy handler, which sleeps in growing
  steps. On PostgreSQL they run in worker threads, several at once, and the address row lock
  keeps one message per conversation. Rendering (PDF, picture, sound) and photo downloads
  always run in threads, so they never hold up a text.
- Nothing about a conversation is kept in the process: any worker on any host can answer.
- Every ``/sms`` request is checked with Twilio's ``RequestValidator`` against
  ``PLANBOT_PUBLIC_URL`` + path (+ query) and every form field, before anything is read.
- uvicorn's access log is off (``planbot serve``): it would write profile tokens to the log.
- The outbox's sender runs beside the app (an asyncio task; its database work in threads)
  for the channels this server runs: messages for other people and for later, and the
  profile at the end of an SMS plan, which wakes it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import ImmutableMultiDict
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

import storage
from bot._logging import setup_logging
from bot._outbox import ChannelSender, OutboxSender
from bot._tidy import EVERY, forget_old_replies
from bot.sms.bodies import sms_bodies
from bot.sms.channel import SmsChannel
from bot.sms.inbound import InboundSms
from bot.sms.twilio_client import TwilioSender, check_sender_settings
from bot.web import openapi
from bot.web import pages as links
from bot.web.body import read_body
from bot.web.channels import check_settings, sms_on
from planbot.errors import PlanbotError, SettingsError
from planbot.settings import Settings

if TYPE_CHECKING:  # python-telegram-bot is an optional extra: loaded only when it is used
    from bot.telegram.webhook import TelegramWebhook

log = logging.getLogger("planbot.web")

MAX_FORM_BYTES = 1024 * 1024  # Twilio's forms are a few kilobytes; 20,000 characters fit
POSTGRES_THREADS = 8
T = TypeVar("T")
__all__ = ["app_from_env", "check_settings", "create_app", "twiml"]


def twiml(bodies: list[str]) -> str:
    """TwiML with one ``<Message>`` per body (ElementTree escapes the text)."""
    response = MessagingResponse()
    for body in bodies:
        response.message(body)
    return str(response.to_xml())


class _Runner:
    """Runs blocking work: database work on SQLite in line, on PostgreSQL in threads.

    SQLite takes one writer at a time, and a message's work is a few milliseconds: run in the
    event loop's own thread, it skips a thread hand-off and the fight for the GIL with the
    loop, which cost more than the work under load (bench/sms_load.py). PostgreSQL runs
    several at once in threads, and the address row lock keeps one message per conversation.
    """

    def __init__(self, db: storage.Database) -> None:
        self.in_line = db.is_sqlite
        self.limiter = anyio.CapacityLimiter(POSTGRES_THREADS)

    async def db(self, work: Callable[..., T], *args: Any) -> T:
        if self.in_line:
            return work(*args)
        return await anyio.to_thread.run_sync(work, *args, limiter=self.limiter)

    async def other(self, work: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(work, *args)


async def _form(request: Request) -> ImmutableMultiDict[str, str] | None:
    """The URL-encoded form, read with a size cap; None if it is too big or not a form."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return None
    body = await read_body(request, MAX_FORM_BYTES)
    if body is None:
        return None
    raw = body.decode("utf-8", errors="replace")
    pairs = parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="replace")
    return ImmutableMultiDict(pairs)


def _signed(request: Request, form: ImmutableMultiDict[str, str], settings: Settings) -> bool:
    token, base = settings.twilio_auth_token, settings.public_url
    signature = request.headers.get("x-twilio-signature", "")
    if not token or not base or not signature:
        return False
    url = base.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    return bool(RequestValidator(token).validate(url, form, signature))


def create_app(
    settings: Settings,
    db: storage.Database | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """The ASGI app. ``db`` defaults to ``settings.database_url``, migrated to the newest tables."""
    database = db or storage.open_database(settings.database_url)
    sms = SmsChannel(database, settings, clock=clock)
    run = _Runner(database)
    now = clock or storage.utcnow

    async def tidy() -> None:
        try:
            await run.other(forget_old_replies, database, settings, now())
        except PlanbotError as exc:  # the database is away: try again next time
            log.error("tidying failed: %s", type(exc).__name__)

    async def tidy_every_hour() -> None:
        while True:
            await asyncio.sleep(EVERY.total_seconds())
            await tidy()

    telegram = _telegram_webhook(database, settings, clock)
    outbox = OutboxSender(database, _senders(database, settings, telegram), clock=clock)
    sms.on_queued = outbox.wake  # the profile at the end of a plan goes at once

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await tidy()  # at start, then every hour
        tidying = asyncio.create_task(tidy_every_hour())
        if telegram is not None:
            await telegram.start()
        sending = asyncio.create_task(outbox.run())
        try:
            yield
        finally:
            tidying.cancel()
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sending
            if telegram is not None:
                await telegram.stop()

    app = FastAPI(
        title="planbot", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.state.settings, app.state.db, app.state.sms = settings, database, sms
    app.state.outbox = outbox

    async def signed_form(request: Request) -> ImmutableMultiDict[str, str] | Response:
        form = await _form(request)
        if form is None:
            return Response("Send a form from Twilio.\n", status_code=400)
        if not _signed(request, form, settings):
            log.warning("%s refused: missing or wrong Twilio signature", request.url.path)
            return Response("Forbidden\n", status_code=403, media_type="text/plain")
        return form

    @app.post("/sms", openapi_extra=openapi.SMS)
    async def sms_webhook(request: Request) -> Response:
        form = await signed_form(request)
        if isinstance(form, Response):
            return form
        inbound = InboundSms.from_form(form)
        if inbound is None:
            return Response("From and MessageSid are needed.\n", status_code=400)
        try:
            outcome = await run.db(sms.respond, inbound)
            replies = outcome.replies
            if outcome.photo is not None:
                fetched = await run.other(sms.fetch, outcome.photo)
                replies = await run.db(sms.keep_photo, inbound, fetched)
            bodies = sms_bodies(replies)
        except Exception as exc:  # never leave a person without an answer
            log.error("sms %s failed: %s", sms.tag(inbound.number), type(exc).__name__)
            bodies = [sms.engine.script.message("sorry")]
        return Response(twiml(bodies), media_type="application/xml")

    @app.post("/telegram", openapi_extra=openapi.TELEGRAM)
    async def telegram_webhook(request: Request) -> Response:
        if telegram is None:
            return Response("Telegram is not set up here.\n", status_code=404)
        return await telegram.handle(request)

    @app.post("/sms/status", openapi_extra=openapi.SMS_STATUS)
    async def sms_status(request: Request) -> Response:
        form = await signed_form(request)
        if isinstance(form, Response):
            return form
        await run.db(sms.delivery_status, form)
        return Response(status_code=204)

    @app.get("/p/{name:path}")
    async def profile_page(name: str) -> Response:
        return await private_page(name, "profile")

    @app.get("/r/{name:path}")
    async def review_page(name: str) -> Response:
        return await private_page(name, "review")

    async def private_page(name: str, document: str) -> Response:
        """One document behind a link: the profile (/p/) or the review sheet (/r/)."""
        voice = links.split_voice(name)
        if voice is not None:  # a voice note on the page: /p/<token>/voice/<id>.ogg
            clip = await run.db(links.load_voice, database, *voice, now())
            if clip is not None:
                return Response(clip.data, media_type="audio/ogg", headers=links.PRIVATE_HEADERS)
        parts = links.split_name(name)
        data = (
            await run.db(links.load_page, database, parts[0], now(), document) if parts else None
        )
        if parts is None or data is None:
            return Response(
                links.NOT_FOUND_PAGE,
                status_code=404,
                media_type=links.FORMATS["html"],
                headers=links.PRIVATE_HEADERS,
            )
        try:
            body, media_type = await run.other(
                links.render_page, data, parts[1], parts[0], settings
            )
        except PlanbotError as exc:
            log.error("%s %s not made: %s", document, parts[1], exc)
            return Response(
                links.UNAVAILABLE_TEXT,
                status_code=503,
                media_type=links.FORMATS["txt"],
                headers=links.PRIVATE_HEADERS,
            )
        return Response(body, media_type=media_type, headers=links.PRIVATE_HEADERS)

    @app.get("/healthz")
    async def healthz() -> Response:
        if await run.other(database.ping):
            return JSONResponse({"status": "ok", "database": "ok"})
        return JSONResponse({"status": "failing", "database": "unreachable"}, status_code=503)

    return app


def _senders(
    db: storage.Database, settings: Settings, telegram: TelegramWebhook | None
) -> list[ChannelSender]:
    """The outbox's senders for the channels this server runs (the terminal is not one)."""
    senders: list[ChannelSender] = []
    if sms_on(settings) and not check_sender_settings(settings):
        senders.append(TwilioSender(settings, db))
    if telegram is not None:
        from bot.telegram.sender import TelegramSender

        senders.append(TelegramSender(telegram.app.bot, settings, db))
    return senders


def _telegram_webhook(
    db: storage.Database, settings: Settings, clock: Callable[[], datetime] | None
) -> TelegramWebhook | None:
    """The Telegram webhook when TELEGRAM_BOT_TOKEN is set (python-telegram-bot is loaded
    only then: it is the optional ``telegram`` extra)."""
    if not settings.telegram_bot_token:
        return None
    from bot.telegram.webhook import TelegramWebhook

    return TelegramWebhook(db, settings, clock=clock)


def app_from_env() -> FastAPI:
    """The app from environment variables: the factory ``planbot serve`` gives uvicorn.

    Each uvicorn worker process calls it, so settings are read (and checked) in each.
    """
    setup_logging()
    settings = Settings.from_env()
    problems = check_settings(settings)
    if problems:
        raise SettingsError("; ".join(problems))
    return create_app(settings)
