"""``planbot telegram``: the Telegram bot by long polling, for a machine with no public address.

Why apart: python-telegram-bot (the ``telegram`` extra) loads only for this command.
"""

from __future__ import annotations

import typer

import storage
from bot._logging import setup_logging
from bot._tidy import forget_old_replies
from planbot.errors import PlanbotError
from planbot.settings import Settings


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
        from telegram.error import TelegramError

        db = storage.open_database(settings.database_url)
        forget_old_replies(db, settings, storage.utcnow())
        application = TelegramChannel(db, settings).application(polling=True)
    except PlanbotError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc
    setup_logging()
    typer.echo("planbot is listening on Telegram. Press Ctrl-C to stop.", err=True)
    try:
        # Polling turns off any webhook set for the bot (Telegram allows one or the other).
        application.run_polling(allowed_updates=["message", "callback_query", "edited_message"])
    except TelegramError as exc:  # its text can hold the token: name the kind only
        typer.echo(
            f"Telegram refused ({type(exc).__name__}): check TELEGRAM_BOT_TOKEN and "
            "PLANBOT_TELEGRAM_API_URL.",
            err=True,
        )
        raise typer.Exit(code=1) from None
