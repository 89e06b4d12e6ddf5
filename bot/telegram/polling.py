"""``planbot telegram``: the Telegram bot by long polling, for a machine with no public address.

Why apart: python-telegram-bot (the ``telegram`` extra) loads only for this command. Why its
own start-up instead of ``run_polling``: planbot says it is listening only once Telegram has
answered and polling has begun, and a Telegram that cannot be reached is one line, not the
library's logged traceback. The hooks ``run_polling`` would call (``post_init`` and the rest)
are called here in the same order.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import TYPE_CHECKING

import typer

import storage
from bot._keys import local_settings, open_with_keys
from bot._logging import setup_logging
from bot._tidy import forget_old_replies
from bot.web.channels import TELEGRAM_MISSING
from planbot.errors import PlanbotError

if TYPE_CHECKING:
    from bot.telegram.channel import TelegramApp

UPDATES = ["message", "callback_query", "edited_message"]
LISTENING = "planbot is listening on Telegram. Press Ctrl-C to stop."


def telegram() -> None:
    """Run the Telegram bot by long polling (no public address needed)."""
    try:
        settings = local_settings()
        if not settings.telegram_bot_token:
            raise PlanbotError(
                "TELEGRAM_BOT_TOKEN is not set: ask @BotFather on Telegram for a bot token"
            )
        try:
            from bot.telegram.channel import TelegramChannel
        except ImportError as exc:
            raise PlanbotError(TELEGRAM_MISSING) from exc
        db = open_with_keys(settings)
        forget_old_replies(db, settings, storage.utcnow())
        application = TelegramChannel(db, settings).application(polling=True)
    except PlanbotError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc
    setup_logging()
    problem = asyncio.run(_poll(application))
    if problem:
        typer.echo(problem, err=True)
        raise typer.Exit(code=1)


def _why(exc: Exception) -> str:
    """One line for a Telegram that cannot be reached or says no (its text can hold the token:
    only the kind is named)."""
    from telegram.error import InvalidToken, NetworkError

    if isinstance(exc, InvalidToken):
        return "Telegram refused the bot token: check TELEGRAM_BOT_TOKEN (from @BotFather)."
    if isinstance(exc, NetworkError | OSError):
        return (
            f"planbot cannot reach Telegram ({type(exc).__name__}): check the internet "
            "connection and PLANBOT_TELEGRAM_API_URL."
        )
    return (
        f"Telegram refused ({type(exc).__name__}): check TELEGRAM_BOT_TOKEN and "
        "PLANBOT_TELEGRAM_API_URL."
    )


async def _poll(app: TelegramApp) -> str:
    """Start, poll until Ctrl-C (or SIGTERM), stop. Returns what went wrong, or ""."""
    from telegram.error import TelegramError

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
            loop.add_signal_handler(sig, stop.set)
    try:
        await app.initialize()  # asks Telegram who the bot is: the first network call
    except (TelegramError, OSError) as exc:
        return _why(exc)
    try:
        if app.post_init:
            await app.post_init(app)
        assert app.updater is not None  # built with polling=True
        # Polling turns off any webhook set for the bot (Telegram allows one or the other).
        await app.updater.start_polling(allowed_updates=UPDATES)
        await app.start()
        typer.echo(LISTENING, err=True)
        await stop.wait()
    except (TelegramError, OSError) as exc:
        return _why(exc)
    finally:
        await _stop(app)
    return ""


async def _stop(app: TelegramApp) -> None:
    """Stop what was started, in ``run_polling``'s order."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
        if app.post_stop:
            await app.post_stop(app)
    await app.shutdown()
    if app.post_shutdown:
        await app.post_shutdown(app)
