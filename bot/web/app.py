"""The web app ``planbot serve`` runs: the SMS webhook, delivery reports, profile pages, the
Planning Live board, health.

Why it looks like this:

- The engine and the database calls block. They run in line on the event loop, one after
  another (about a millisecond of CPU a message): no thread hand-off, no fight for the GIL,
  and on SQLite writers never meet its busy handler, which sleeps in growing steps. On
  PostgreSQL more workers answer at once, and the address row lock keeps one message per
  conversation (``_Runner`` says what this costs and saves). Photo downloads run in
  threads. Every render (the SMS short profile, pages, PDF, picture, sound) runs in a child
  process (``bot._renders``), waited for in a thread of its own, stopped after
  ``PLANBOT_RENDER_SECONDS``: a kind text or a 503 then, and no other texter waits for it.
- Nothing about a conversation is kept in the process: any worker on any host can answer.
- Every ``/sms`` request's Twilio signature is checked against ``PLANBOT_PUBLIC_URL`` + path
  (+ query) and every form field, before anything is read (``bot.sms.signature``: one HMAC
  for what Twilio signed, where twilio's ``RequestValidator`` computes two; about 4.5 µs
  instead of 54, ``bench/webhook_parts.py``).
- Replies are TwiML built as escaped strings (``twiml``): the same XML as twilio's
  ``MessagingResponse`` gives, in about 2 µs instead of 19.
- uvicorn's access log is off (``planbot serve``): it would write profile tokens to the log.
- ``Hardening`` wraps it all: security headers on every answer (errors and 404s too), a size
  limit on every request's body, and what bad input raises answered 400 without a
  traceback. Slashes are never redirected (the address would come from the Host header).
  Twilio's webhooks go straight to their endpoints (``bot.web.direct``), inside a
  ``Hardening`` of their own, past every layer of FastAPI's, which did nothing for them.
- Rate limits, counted in the database so they hold across workers and hosts: per sender
  on SMS and Telegram (in the channels), per link and per client on the pages (here).
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
from xml.sax.saxutils import escape

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import Scope

import storage
from bot._logging import quiet_libraries, setup_logging
from bot._outbox import ChannelSender, OutboxSender
from bot._renders import warm_up
from bot._tidy import EVERY, forget_old_replies
from bot.sms.bodies import sms_bodies, xml_safe
from bot.sms.channel import SmsChannel
from bot.sms.inbound import InboundSms
from bot.sms.signature import is_signed
from bot.sms.twilio_client import TwilioSender, check_sender_settings
from bot.web import board, heap, openapi
from bot.web import pages as links
from bot.web.body import form_pairs, read_body
from bot.web.channels import check_settings, sms_on
from bot.web.direct import DirectApp
from bot.web.group_sync import GroupSync
from bot.web.hardening import Hardening
from easyread.html import listen_script as listen_script_bytes
from planbot.errors import PlanbotError, RenderTimeout, SettingsError
from planbot.settings import Settings

if TYPE_CHECKING:  # python-telegram-bot is an optional extra: loaded only when it is used
    from bot.telegram.webhook import TelegramWebhook

log = logging.getLogger("planbot.web")

MAX_FORM_BYTES = 1024 * 1024  # Twilio's forms are a few kilobytes; 20,000 characters fit
MAX_FORM_FIELDS = 200  # Twilio sends about 40 (10 pictures add 20): a flood of fields is not one
# The routes that take a body, and how much (Telegram's updates are a few kilobytes too).
BODY_LIMITS = {"/sms": MAX_FORM_BYTES, "/sms/status": MAX_FORM_BYTES, "/telegram": MAX_FORM_BYTES}
RENDER_THREADS = 8  # threads that wait for renders (which run RENDERS_AT_ONCE at a time)
RENDER_GRACE = 5.0  # seconds past the render's own limit before its waiter gives up on it
T = TypeVar("T")
__all__ = ["app_from_env", "check_settings", "create_app", "twiml"]


_TWIML_START = '<?xml version="1.0" encoding="UTF-8"?><Response>'


def twiml(bodies: list[str]) -> str:
    """TwiML with one ``<Message>`` per body, built as a string.

    Why not twilio's ``MessagingResponse``: it builds an ElementTree and serialises it, about
    19 µs for a two-text reply; this is the same XML (``&``, ``<`` and ``>`` escaped as
    ElementTree does) in about 2 (``bench/webhook_parts.py``). The characters XML 1.0
    cannot hold (NUL, other controls, U+FFFE/U+FFFF, lone surrogates) are dropped: the
    bodies come without them (``sms_clean``), and if one slipped through,
    ``MessagingResponse`` would have written TwiML Twilio cannot read.
    """
    messages = "".join(f"<Message>{escape(xml_safe(body))}</Message>" for body in bodies)
    return f"{_TWIML_START}{messages}</Response>"


class _Runner:
    """Runs blocking work: database work in line, on the event loop's own thread; the rest
    (fetching a photo, waiting for a render) in threads.

    Why in line: a message's database work takes about a millisecond of CPU and, on
    PostgreSQL, two round trips. In a thread, the hand-off and the fight for the GIL with the
    loop (psycopg lets the GIL go at every wait on the network) cost more than the work: on
    PostgreSQL about 0.8 ms of CPU more per text, for no more texts a second
    (bench/sms_load.py, run both ways). SQLite takes one writer at a time anyway. What
    it costs: while a message waits for the database (another worker's lock on the same
    address, a slow server), this worker answers nothing else; more workers on PostgreSQL
    answer meanwhile.

    On SQLite the commit's flush to the disk is the exception: it runs in a thread, shared
    by the texts that came meanwhile, and the work's answer waits for it
    (``bot/web/group_sync.py``).
    """

    def __init__(self, render_seconds: float, database: storage.Database) -> None:
        self.renders = anyio.CapacityLimiter(RENDER_THREADS)
        self.render_seconds = render_seconds
        self.flushes = GroupSync(database)

    async def db(self, work: Callable[..., T], *args: Any) -> T:
        """``work``'s answer (or its error), once what it committed is on the disk."""
        owed = storage.Owed()
        try:
            with storage.sync_later(owed):
                return work(*args)
        finally:
            if owed.ticket:
                await self.flushes.wait(owed.ticket)

    async def other(self, work: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(work, *args)

    async def render(self, work: Callable[..., T], *args: Any) -> T:
        """Work that waits for a render, in a thread of its own. The render stops itself in
        time; this limit, a little longer, also counts the wait for a free thread (a flood of
        requests waits, then gets a 503)."""
        try:
            with anyio.fail_after(self.render_seconds + RENDER_GRACE):
                return await anyio.to_thread.run_sync(
                    work, *args, limiter=self.renders, abandon_on_cancel=True
                )
        except TimeoutError as exc:
            raise RenderTimeout("no time left to wait for the render") from exc


async def _form(request: Request) -> list[tuple[str, str]] | None:
    """The URL-encoded form's fields, read with a size cap; None if it is too big or not a form."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return None
    body = await read_body(request, MAX_FORM_BYTES)
    if body is None:
        return None
    return form_pairs(body.decode("utf-8", errors="replace"), MAX_FORM_FIELDS)


def _signed_url(base: str, scope: Scope) -> str:
    """The address Twilio signed: the public URL (no trailing slash) + path (+ query).

    From the ASGI path and query as they came, not ``request.url``: Starlette builds that
    from the Host header and parses it again: about 5 µs of every text, for the same path.
    """
    query: bytes = scope.get("query_string", b"")
    url = base + scope["path"]
    return f"{url}?{query.decode()}" if query else url


def create_app(
    settings: Settings,
    db: storage.Database | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
    settle_heap: bool = False,
) -> FastAPI:
    """The ASGI app. ``db`` defaults to ``settings.database_url``, migrated to the newest tables.
    ``settle_heap``: once started and warmed up, tune the cycle collector for a long-running
    worker (``bot.web.heap``; ``planbot serve`` does)."""
    quiet_libraries(keep_set=True)  # however the app is run: no library's INFO for each text
    database = db or storage.open_database(settings.database_url, storage.keys_of(settings))
    sms = SmsChannel(database, settings, clock=clock)
    run = _Runner(settings.render_seconds, database)
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
        # The first render starts quickly (an abandoned warm-up finishes on its own).
        warming = asyncio.create_task(
            anyio.to_thread.run_sync(warm_up, settings.data_dir, abandon_on_cancel=True)
        )
        if settle_heap:
            warming.add_done_callback(lambda _done: heap.settle())
        if telegram is not None:
            await telegram.start()
        sending = asyncio.create_task(outbox.run())
        try:
            yield
        finally:
            tidying.cancel()
            warming.cancel()
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sending
            with contextlib.suppress(asyncio.CancelledError):
                await warming
            if telegram is not None:
                await telegram.stop()

    # No slash redirects: Starlette builds their address from the Host header, which anyone
    # can set (a redirect to their own site). Every answer passes through ``Hardening``.
    app = DirectApp(
        title="planbot",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
        redirect_slashes=False,
    )
    app.state.settings, app.state.db, app.state.sms = settings, database, sms
    app.state.outbox = outbox

    token, base = settings.twilio_auth_token, (settings.public_url or "").rstrip("/")

    def signed(request: Request, pairs: list[tuple[str, str]]) -> bool:
        signature = request.headers.get("x-twilio-signature", "")
        if not token or not settings.public_url or not signature:
            return False
        return is_signed(token, _signed_url(base, request.scope), pairs, signature)

    async def signed_form(request: Request) -> dict[str, str] | Response:
        """The form, once its Twilio signature is checked; else the answer to give.

        A dict: a field sent twice reads as its last value, as the ``ImmutableMultiDict``
        it replaces did, and ``get`` is a plain dict's."""
        pairs = await _form(request)
        if pairs is None:
            return Response("Send a form from Twilio.\n", status_code=400)
        if not signed(request, pairs):
            log.warning("%s refused: missing or wrong Twilio signature", request.scope["path"])
            return Response("Forbidden\n", status_code=403, media_type="text/plain")
        return dict(pairs)

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
            if outcome.photo is not None:
                fetched = await run.other(sms.fetch, outcome.photo)
                outcome = await run.db(sms.keep_photo, inbound, fetched)
            replies = outcome.replies
            if outcome.short is not None:  # PROFILE, or the end of a plan: fitted off the loop
                try:
                    fitted = await run.render(sms.fit, outcome.short)
                except RenderTimeout:
                    fitted = None
                replies = await run.db(sms.deliver, inbound, outcome, fitted)
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
    async def profile_page(name: str, request: Request) -> Response:
        return await private_page(name, "profile", request)

    @app.get("/r/{name:path}")
    async def review_page(name: str, request: Request) -> Response:
        return await private_page(name, "review", request)

    def too_many(wait: int) -> Response:
        return Response(
            sms.engine.script.message("link_busy") + "\n",
            status_code=429,
            media_type=links.FORMATS["txt"],
            headers={**links.PRIVATE_HEADERS, "Retry-After": str(wait)},
        )

    @app.get("/d/{token}")
    async def my_data(token: str, request: Request) -> Response:
        """Everything kept about the person, as a file, behind a data link (a day)."""
        wait = await run.db(sms.limits.client, request.client.host if request.client else None)
        if wait:
            return too_many(wait)
        data = await run.db(links.load_data, database, token, now())
        if data is None:
            return links.not_found()
        download = {"Content-Disposition": 'attachment; filename="my-planbot-data.json"'}
        return Response(
            data, media_type="application/json", headers={**links.PRIVATE_HEADERS, **download}
        )

    # The Planning Live board: /live/<token> (bot/web/board.py).
    board.add_route(
        app,
        db=database,
        run=run,
        limits=sms.limits,
        clock=now,
        unnamed=sms.engine.script.message("live_no_name"),
        too_many=too_many,
    )

    async def private_page(name: str, document: str, request: Request) -> Response:
        """One document behind a link: the profile (/p/) or the review sheet (/r/).

        The client is counted first (a guesser is stopped before any look-up), the link
        only once it is found (a wrong token leaves no count behind)."""
        wait = await run.db(sms.limits.client, request.client.host if request.client else None)
        if wait:
            return too_many(wait)
        voice = links.split_voice(name)
        if voice is not None:  # a voice note on the page: /p/<token>/voice/<id>.ogg
            clip = await run.db(links.load_voice, database, *voice, now())
            if clip is not None:
                wait = await run.db(sms.limits.link, voice[0])
                if wait:
                    return too_many(wait)
                return Response(clip.data, media_type="audio/ogg", headers=links.PRIVATE_HEADERS)
        parts = links.split_name(name)
        data = (
            await run.db(links.load_page, database, parts[0], now(), document, parts[1])
            if parts
            else None
        )
        if parts is None or data is None:
            return links.not_found()
        wait = await run.db(sms.limits.link, parts[0])
        if wait:
            return too_many(wait)
        try:
            body, media_type = await run.render(
                links.render_page, database, data, parts[1], parts[0], settings
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

    @app.get(links.LISTEN_SCRIPT_PATH, include_in_schema=False)
    async def listen_script() -> Response:
        """The big "Listen" button's script: the one script a page may run (same for all)."""
        return Response(
            listen_script_bytes(),
            media_type="text/javascript; charset=utf-8",
            headers=links.SCRIPT_HEADERS,
        )

    @app.get("/healthz")
    async def healthz() -> Response:
        if await run.other(database.ping):
            return JSONResponse({"status": "ok", "database": "ok"})
        return JSONResponse({"status": "failing", "database": "unreachable"}, status_code=503)

    https = (settings.public_url or "").startswith("https://")
    app.add_middleware(Hardening, https=https, body_limits=BODY_LIMITS)
    # Twilio's webhooks go straight to their endpoints, before FastAPI's layers, inside a
    # ``Hardening`` of their own (``bot.web.direct``).
    app.answer_first(
        {("POST", "/sms"): sms_webhook, ("POST", "/sms/status"): sms_status},
        lambda inner: Hardening(inner, https=https, body_limits=BODY_LIMITS),
    )
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
    return create_app(settings, settle_heap=True)
