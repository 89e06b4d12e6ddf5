"""Logging for the long-running commands (``planbot serve``, ``planbot telegram``).

Why one place: both must keep the same promise. Logs hold no message text, and the HTTP
client's request lines are kept out, because a Telegram request URL holds the bot token.
Libraries' chatter at INFO (``transitions``: two lines a change of state) is kept out too;
their warnings, and all of planbot's own lines, stay.
"""

from __future__ import annotations

import logging

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging() -> None:
    """INFO for planbot's own loggers; the HTTP client only for its warnings."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)  # no-op if already set up
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # twilio's client logs each request's address and headers at INFO: warnings only.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    # transitions logs two lines at INFO for every change of state of every conversation.
    logging.getLogger("transitions").setLevel(logging.WARNING)
