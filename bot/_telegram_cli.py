"""``planbot telegram``: the Telegram bot by long polling, for a machine with no public address.

Why apart: python-telegram-bot (the ``telegram`` extra) loads only for this command.
"""

from __future__ import annotations

import logging

import typer

import storage
from planbot.errors import PlanbotError
from planbot.settings import Settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def telegram() -> None:
    """Run the Telegram bot by long polling (no public address needed)."""
    try:
        settings = Settings.from_env()
        if not settings.telegram_bot_token:
            raise PlanbotError(
                "TELEGRAM_BOT_TOKEN is not set: ask @BotFather on Telegram for a bot token"
            )
        try:
            from bot.telegram import TelegramChannel
        except ImportError as exc:
            raise PlanbotError(
                "python-telegram-bot is not installed: pip install 'planbot[telegram]'"
            ) from exc
        db = storage.open_database(settings.database_url)
        application = TelegramChannel(db, settings).application(polling=True)
    except PlanbotError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    # python-telegram-bot's HTTP client logs each request URL, which holds the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    typer.echo("planbot is listening on Telegram. Press Ctrl-C to stop.", err=True)
    application.run_polling(allowed_updates=["message", "callback_query"])
