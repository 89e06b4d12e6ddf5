"""Channels: the only code that knows Telegram, Twilio, HTTP or a terminal.

The public surface is channel-neutral and light to import (the ``planbot`` command loads it
first): the channel base, the outbox's sender and the terminal. The SMS and Telegram
channels and the web app load their libraries only when they are used.
"""

from bot._base import Channel, address_tag
from bot._outbox import ChannelSender, OutboxSender, SendCounts, Undeliverable
from bot.terminal import TerminalChat, TerminalSender, format_reply

__all__ = [
    "Channel",
    "ChannelSender",
    "OutboxSender",
    "SendCounts",
    "TerminalChat",
    "TerminalSender",
    "Undeliverable",
    "address_tag",
    "format_reply",
]
