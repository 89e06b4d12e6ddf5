"""How tests read replies: exactly as the terminal channel shows them to a person."""

from __future__ import annotations

from bot.terminal import format_reply
from dialogues import Reply


def shown(replies: list[Reply]) -> str:
    """The replies as a person sees them in a terminal: words, then numbered choices."""
    return "\n".join(format_reply(reply) for reply in replies)
