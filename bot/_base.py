"""The one channel base: what SMS, Telegram and the terminal each hold, built in one place.

Why: every channel answers for one database with one engine, the same settings and the same
clock (tests move it), and logs an address only as a keyed hash. A channel that gives the
profile at the end of a plan overrides ``profile_hook``; the engine calls it once the plan
is saved.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime

import storage
from bot._limits import RateLimits
from bot._scratch import clear_leftovers
from dialogues import Engine, Reply
from easyread.speech import clear_cache
from planbot.private import private_folder
from planbot.settings import Settings


def address_tag(address: str, settings: Settings, length: int = 10) -> str:
    """A short stand-in for an address (a phone number, a chat id) in logs, never the address.

    Keyed with a secret of the deployment (PLANBOT_SECRET_KEY, else the Twilio auth token):
    phone numbers are few enough that a plain hash of one could be reversed by trying them all.
    ``length`` 32 (128 bits) where two addresses must never share a tag (message ids).
    """
    key = (settings.secret_key or settings.twilio_auth_token or "").encode("utf-8")
    return hmac.new(key, address.encode("utf-8"), hashlib.sha256).hexdigest()[:length]


def drop_caches_when_erased(db: storage.Database, settings: Settings) -> None:
    """Cached sound and kept rendered files hold people's words, and an erase cannot say which
    of them speak the words that went: whenever words are erased (delete last, restart, STOP
    LINK, links revoked...), all of them go (each is made again when next asked for). So do
    files left by a render or a send that was stopped (``bot/_scratch.py``)."""
    db.when_erased("sound cache", functools.partial(clear_cache, settings))
    drop_renders = functools.partial(storage.drop_every_render, settings.data_dir)
    db.when_erased("rendered files", drop_renders)
    db.when_erased("leftover files", functools.partial(clear_leftovers, settings.data_dir))


class Channel:
    """One channel for one database; holds no conversation state (any worker can answer)."""

    name = ""  # "sms", "telegram", "terminal": the channel every address belongs to

    def __init__(
        self,
        db: storage.Database,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock or storage.utcnow
        self.engine = Engine(db, settings, clock=self.clock, profile_hook=self.profile_hook)
        private_folder(settings.data_dir)
        drop_caches_when_erased(db, settings)
        self.limits = RateLimits(db, settings, self.clock)  # per sender, kept in the database

    def tag(self, address: str) -> str:
        """How an address appears in the logs (a keyed hash)."""
        return address_tag(address, self.settings)

    def profile_hook(self, person_id: int, flow: str) -> list[Reply]:
        """The replies that carry what a finished flow gives: the profile, or after "review"
        the review sheet (none unless a channel says)."""
        return []
