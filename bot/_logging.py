"""Logging for the long-running commands (``planbot serve``, ``planbot telegram``).

Why one place: every command must keep the same promise: no message text, phone number, chat
id or token in any log, at any level. planbot's own loggers log only kinds, counts and keyed
hashes. Other libraries log what passes through them: ``transitions`` each state change,
``httpx`` each request's URL (a Telegram URL holds the bot token), python-telegram-bot each
update, SQLAlchemy each statement's values, ``python-multipart`` the form fields (a text's
words and number). So their loggers are set to warnings only, and a filter on every handler
keeps out anything below a warning that is not planbot's own, so a library not named here, or
an operator's DEBUG, lets nothing through either.
Libraries' chatter at INFO (``transitions``: two lines a change of state) is kept out too.

The web app quiets them too (``quiet_libraries`` in ``create_app``), however it is run
(``planbot serve``, another ASGI server, the tests): their records are then never made, which
saves their cost on every message. There it leaves alone a level someone set on purpose (an
operator's DEBUG), handlers and the root logger: those stay the host's to set up (uvicorn's
access log stays as ``planbot serve`` sets it: off).
"""

from __future__ import annotations

import logging

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Loggers whose every level is ours to trust: planbot's own, and Alembic's migration lines.
OURS = ("planbot", "alembic")

# Libraries that log people's words, numbers or tokens below WARNING (or might): their
# records are not even made.
QUIET = (
    "transitions",  # each state change, at INFO
    "httpx",  # each request's URL, at INFO: the Telegram bot token is in it
    "httpcore",
    "telegram",  # each update, at DEBUG
    "apscheduler",
    "sqlalchemy",  # each statement and its values (the sealed words) once at INFO
    "multipart",  # the form Twilio posts (Body, From), at DEBUG
    "python_multipart",
    "urllib3",  # request URLs, at DEBUG
    "twilio",  # each request's address and headers, at INFO
    "gtts",  # the text it sends to be spoken, at DEBUG
    "weasyprint",  # CSS and layout notes, which can quote the page
    "fontTools",
    "PIL",
    "asyncio",
)


class OnlyOurs(logging.Filter):
    """Lets through planbot's own records at any level, and others' only from WARNING up."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        return any(record.name == name or record.name.startswith(name + ".") for name in OURS)


def quiet_libraries(*, keep_set: bool = False) -> None:
    """The libraries in ``QUIET`` log only their warnings: their INFO and DEBUG records are
    not even made. Only these loggers' levels are touched; with ``keep_set``, only those
    nobody has set (an operator hunting a problem may have set one to DEBUG)."""
    for name in QUIET:
        logger = logging.getLogger(name)
        if not (keep_set and logger.level != logging.NOTSET):
            logger.setLevel(logging.WARNING)


def setup_logging() -> None:
    """INFO for planbot's own loggers; other libraries only for their warnings (see above)."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)  # no-op if already set up
    quiet_libraries()
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, OnlyOurs) for f in handler.filters):
            handler.addFilter(OnlyOurs())
