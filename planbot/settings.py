"""Settings: every environment variable planbot reads, read in this one place.

Why one place: a deployment should fail at start with one clear line per missing setting,
not halfway through a conversation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from planbot.errors import SettingsError

TTS_CHOICES = ("auto", "gtts", "espeak", "off")
MIN_KEY_CHARS = 32  # `planbot keys new` makes 43; a short word would be a weak key


def _default_data_dir() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "planbot"


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from exc
    if value <= 0:
        raise SettingsError(f"{name} must be more than 0")
    return value


def _secret_keys(env: dict[str, str]) -> tuple[str | None, tuple[str, ...]]:
    """PLANBOT_SECRET_KEY (one key) and PLANBOT_OLD_SECRET_KEYS (keys split by commas)."""
    current = env.get("PLANBOT_SECRET_KEY", "").strip() or None
    old = tuple(k.strip() for k in env.get("PLANBOT_OLD_SECRET_KEYS", "").split(",") if k.strip())
    for name, key in [
        ("PLANBOT_SECRET_KEY", current),
        *(("PLANBOT_OLD_SECRET_KEYS", k) for k in old),
    ]:
        if key is not None and len(key) < MIN_KEY_CHARS:
            raise SettingsError(
                f"{name}: a key must be at least {MIN_KEY_CHARS} characters "
                "(make one with: planbot keys new)"
            )
    if old and current is None:
        raise SettingsError("PLANBOT_OLD_SECRET_KEYS is set but PLANBOT_SECRET_KEY is not")
    return current, old


@dataclass(frozen=True)
class Settings:
    """What planbot was told by its environment."""

    data_dir: Path
    database_url: str
    public_url: str | None = None
    secret_key: str | None = None  # seals personal data at rest; keys look-ups and codes
    old_secret_keys: tuple[str, ...] = ()  # only open what they sealed (during a key change)
    tts: str = "auto"
    idle_days: int = 30
    link_days: int = 30
    reply_hours: int = 24  # how long the replies to handled messages are kept (for repeats)
    # A render (text, page, PDF, picture, sound) is stopped after this long: a PDF of a full
    # plan takes seconds on a busy machine, and nobody waits a minute for a page.
    render_seconds: int = 60
    render_cache_mb: int = 200  # rendered files kept for reuse, in all (the oldest go first)
    sound_cache_mb: int = 100  # spoken sound kept for reuse, in all (the oldest go first)
    retention_days: int = 730  # a plan unused this long: ask whether to keep it, then erase
    help_contact: str | None = None  # None: the script's own line (ask who told you about it)
    # Rate limits (bot/_limits.py): texts or Telegram messages from one sender, and views of
    # one private link (a client gets twice that, over all its links).
    messages_per_minute: int = 20
    messages_per_day: int = 500
    link_views_per_minute: int = 30
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    telegram_bot_token: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    twilio_api_url: str = "https://api.twilio.com"  # or a Twilio-compatible API, a test double
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read the settings from ``env`` (``os.environ`` by default)."""
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("PLANBOT_DATA_DIR") or _default_data_dir()).expanduser()
        database_url = env.get("PLANBOT_DATABASE_URL", "").strip()
        if not database_url:
            database_url = f"sqlite:///{data_dir / 'planbot.sqlite3'}"
        tts = env.get("PLANBOT_TTS", "auto").strip().lower() or "auto"
        if tts not in TTS_CHOICES:
            raise SettingsError(f"PLANBOT_TTS must be one of {', '.join(TTS_CHOICES)}, not {tts!r}")
        public_url = env.get("PLANBOT_PUBLIC_URL", "").strip().rstrip("/") or None
        secret_key, old_secret_keys = _secret_keys(env)
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            public_url=public_url,
            secret_key=secret_key,
            old_secret_keys=old_secret_keys,
            tts=tts,
            idle_days=_int(env, "PLANBOT_IDLE_DAYS", 30),
            link_days=_int(env, "PLANBOT_LINK_DAYS", 30),
            reply_hours=_int(env, "PLANBOT_REPLY_HOURS", 24),
            render_seconds=_int(env, "PLANBOT_RENDER_SECONDS", 60),
            render_cache_mb=_int(env, "PLANBOT_RENDER_CACHE_MB", 200),
            sound_cache_mb=_int(env, "PLANBOT_SOUND_CACHE_MB", 100),
            retention_days=_int(env, "PLANBOT_RETENTION_DAYS", 730),
            help_contact=env.get("PLANBOT_HELP_CONTACT", "").strip() or None,
            messages_per_minute=_int(env, "PLANBOT_MESSAGES_PER_MINUTE", 20),
            messages_per_day=_int(env, "PLANBOT_MESSAGES_PER_DAY", 500),
            link_views_per_minute=_int(env, "PLANBOT_LINK_VIEWS_PER_MINUTE", 30),
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or None,
            twilio_from_number=env.get("TWILIO_FROM_NUMBER") or None,
            twilio_messaging_service_sid=env.get("TWILIO_MESSAGING_SERVICE_SID") or None,
            telegram_bot_token=env.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET") or None,
            telegram_api_url=(env.get("PLANBOT_TELEGRAM_API_URL") or cls.telegram_api_url).rstrip(
                "/"
            ),
            twilio_api_url=(env.get("PLANBOT_TWILIO_API_URL") or cls.twilio_api_url).rstrip("/"),
        )
