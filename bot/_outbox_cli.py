"""``planbot outbox --once | --list``: send what is due (for cron), or show what waits.

Why a command as well as ``planbot serve``'s sender: a deployment without a long-running
server (the terminal, a small host) can send what is due from cron, and anyone can see what
waits without a database client. The list shows no names, no words and no numbers: only
channels, times and how many.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
from collections.abc import AsyncIterator

import typer

import storage
from bot._keys import local_settings, open_with_keys
from bot._outbox import ChannelSender, OutboxSender, SendCounts
from bot.terminal import TerminalSender
from planbot.errors import PlanbotError
from planbot.settings import Settings


def _counted(count: int, what: str) -> str:
    return f"{count} {what}" if count == 1 else f"{count} {what}s"


def _show(summary: storage.OutboxSummary) -> None:
    if not summary.waiting:
        typer.echo("Nothing is waiting to be sent.")
    else:
        total = sum(g.messages for g in summary.waiting)
        typer.echo(
            f"Waiting: {_counted(total, 'message')} for {_counted(summary.people, 'person')}."
        )
        for group in summary.waiting:
            again = f" ({group.retrying} to try again)" if group.retrying else ""
            typer.echo(
                f"  {group.due:%Y-%m-%d %H:%M} UTC  {group.channel:9} "
                f"{_counted(group.messages, 'message')} for "
                f"{_counted(group.people, 'person')}{again}"
            )
    if summary.failed:
        typer.echo(
            f"Given up after {storage.MAX_ATTEMPTS} tries: {_counted(summary.failed, 'message')}."
        )
    if summary.opted_out:
        typer.echo(f"Not sent, opted out: {_counted(summary.opted_out, 'message')}.")


@contextlib.asynccontextmanager
async def _senders(
    settings: Settings, db: storage.Database
) -> AsyncIterator[tuple[list[ChannelSender], list[str]]]:
    """A sender for each channel set up here, and the channels nobody here can send on."""
    from bot.sms.twilio_client import TwilioSender, check_sender_settings  # Twilio: only now

    senders: list[ChannelSender] = [TerminalSender(db=db)]
    missing: list[str] = []
    if check_sender_settings(settings):
        missing.append("sms")
    else:
        senders.append(TwilioSender(settings, db))
    async with contextlib.AsyncExitStack() as stack:
        if settings.telegram_bot_token and importlib.util.find_spec("telegram") is not None:
            from bot.telegram.sender import TelegramSender, telegram_bot

            bot = await stack.enter_async_context(telegram_bot(settings))
            senders.append(TelegramSender(bot, settings, db))
        else:
            missing.append("telegram")
        yield senders, missing


async def send_once(
    settings: Settings, db: storage.Database, channels: tuple[str, ...] = ()
) -> tuple[SendCounts, list[str]]:
    """Send what is due on every channel set up here (or only on ``channels``)."""
    async with _senders(settings, db) as (senders, missing):
        chosen = [s for s in senders if not channels or s.channel in channels]
        counts = await OutboxSender(db, chosen).send_due()
    return counts, missing


def outbox(
    once: bool = typer.Option(False, "--once", help="Send what is due now, then stop (cron)."),
    list_: bool = typer.Option(
        False, "--list", help="Show what is waiting, when, and for how many people."
    ),
) -> None:
    """The outbox: messages for other people or for later. --once sends, --list shows."""
    if not once and not list_:
        typer.echo("Say --once to send what is due, or --list to see what waits.", err=True)
        raise typer.Exit(code=2)
    try:
        settings = local_settings()
        db = open_with_keys(settings)
        if once:
            counts, missing = asyncio.run(send_once(settings, db))
            typer.echo(
                f"Sent {_counted(counts.sent, 'message')}; "
                f"{counts.retrying} to try again later; {counts.failed} given up; "
                f"{counts.opted_out} not sent (opted out)."
            )
        if list_ or once:
            with db.transaction() as session:
                summary = storage.outbox_summary(session)
            if list_:
                _show(summary)
            else:
                _say_stuck(summary, missing)
    except PlanbotError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc


def _say_stuck(summary: storage.OutboxSummary, missing: list[str]) -> None:
    """Messages no sender here can send: say which setting would let them go."""
    for channel in missing:
        count = sum(g.messages for g in summary.waiting if g.channel == channel)
        if count:
            need = "TWILIO_*" if channel == "sms" else "TELEGRAM_BOT_TOKEN"
            typer.echo(
                f"{_counted(count, 'message')} for {channel} wait: {channel} is not set up "
                f"here ({need})."
            )
