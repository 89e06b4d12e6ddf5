"""Which channels ``planbot serve`` runs, and what each one still lacks.

Why apart from ``bot/web/app.py``: the settings are checked before the web stack is loaded, and a
channel's settings are checked only when that channel is turned on. SMS is on when any Twilio
setting is given; Telegram's webhook is on when its token or its secret is given. A server
with Telegram alone needs no Twilio settings, and one with SMS alone needs no Telegram ones.
"""

from __future__ import annotations

import importlib.util

from planbot.settings import Settings

TELEGRAM_MISSING = (
    "python-telegram-bot is not installed: run .venv/bin/pip install -e '.[telegram]' "
    "in the planbot folder"
)
NO_CHANNEL = (
    "No channel is set up. For SMS, set TWILIO_AUTH_TOKEN, TWILIO_ACCOUNT_SID and "
    "PLANBOT_PUBLIC_URL. For Telegram, set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET"
)


def web_missing(exc: ImportError) -> str:
    """One line for a web stack that is not installed (it is in the core: a broken install)."""
    return (
        f"Part of planbot's web stack is not installed ({exc.name or exc}): "
        "run .venv/bin/pip install -e . in the planbot folder"
    )


def sms_on(settings: Settings) -> bool:
    """SMS is turned on by any of the Twilio settings."""
    return any(
        (
            settings.twilio_auth_token,
            settings.twilio_account_sid,
            settings.twilio_from_number,
            settings.twilio_messaging_service_sid,
        )
    )


def telegram_on(settings: Settings) -> bool:
    """Telegram's webhook is turned on by its token or its secret."""
    return bool(settings.telegram_bot_token or settings.telegram_webhook_secret)


def _public_url_problem(settings: Settings, needed: bool) -> list[str]:
    url = settings.public_url or ""
    if not url:
        if not needed:
            return []
        return [
            "PLANBOT_PUBLIC_URL is not set: SMS needs it to check Twilio's signature and to "
            "make profile links (for example https://planbot.example.org)"
        ]
    if not url.startswith(("https://", "http://")) or "?" in url or "#" in url:
        return [
            f"PLANBOT_PUBLIC_URL must be the address Twilio calls, like "
            f"https://planbot.example.org, not {url!r}"
        ]
    return []


def _sms_problems(settings: Settings) -> list[str]:
    problems = []
    if not settings.twilio_auth_token:
        problems.append(
            "TWILIO_AUTH_TOKEN is not set: SMS needs it to check that messages come from Twilio"
        )
    if not settings.twilio_account_sid:
        problems.append("TWILIO_ACCOUNT_SID is not set: SMS needs it to fetch photos sent by MMS")
    return problems


def _telegram_problems(settings: Settings) -> list[str]:
    problems = []
    if importlib.util.find_spec("telegram") is None:
        problems.append(TELEGRAM_MISSING)
    if not settings.telegram_bot_token:
        problems.append(
            "TELEGRAM_BOT_TOKEN is not set: the Telegram webhook needs the bot's token from "
            "@BotFather (or leave TELEGRAM_WEBHOOK_SECRET unset to turn Telegram off)"
        )
    if not settings.telegram_webhook_secret:
        problems.append(
            "TELEGRAM_WEBHOOK_SECRET is not set: the Telegram webhook cannot check that updates "
            "come from Telegram (or leave TELEGRAM_BOT_TOKEN unset to turn Telegram off)"
        )
    return problems


def check_settings(settings: Settings) -> list[str]:
    """One line for each problem that stops the web app (empty when all is well)."""
    sms, telegram = sms_on(settings), telegram_on(settings)
    problems = _public_url_problem(settings, needed=sms)
    if sms:
        problems += _sms_problems(settings)
    if telegram:
        problems += _telegram_problems(settings)
    if not sms and not telegram:
        problems.append(NO_CHANNEL)
    return problems
