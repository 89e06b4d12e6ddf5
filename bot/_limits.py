"""Rate limits: per sender on SMS and Telegram, per link and per client on the private pages.

Why: one number or chat sending a flood must not slow everyone else, and must not fill the
database. Each message costs one upsert of its sender's count (``storage.count_hit``; a
plain text's goes in the text's own transaction, ``admit``); past the limit nothing of it is
stored and the engine never sees it. The sender gets ONE kind
warning a day, however long the flood (an auto-reply that answers our warning would
otherwise loop with us), and a number that opted out gets none. A repeat delivery of a
message that was already answered still gets its answer: it stores nothing new anyway.

The counts live in the database (``rate_count``), so the limits hold across workers and
hosts. Fixed windows: a minute and a day, counted from the clock of the channel (tests move
it). The page limits answer 429 with ``Retry-After``; a client is one IP address, or one /64
for IPv6 (one home or phone), as seen by uvicorn, which reads ``X-Forwarded-For`` only from
the proxies ``FORWARDED_ALLOW_IPS`` names (127.0.0.1 by default).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

import storage
from planbot.settings import Settings

TOO_FAST = "too_fast"  # messages.toml: the warning when the minute's limit is passed
TOO_MANY_TODAY = "too_many_today"  # and the day's
CLIENT_FACTOR = 2  # a client may open this many times a link's limit, over all its links


@dataclass(frozen=True)
class Verdict:
    """Whether a message may go on; when not, the key of the one warning to send (or "")."""

    allowed: bool
    warning: str = ""


ALLOWED = Verdict(True)
QUIET = Verdict(False)


def client_of(host: str | None) -> str:
    """Who a page request counts against: its IP address (the /64 for IPv6)."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return host or "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class RateLimits:
    """The limits of one deployment, counted in its database."""

    def __init__(
        self,
        db: storage.Database,
        settings: Settings,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock or storage.utcnow
        # Phone numbers are few enough to try them all: the counts are keyed with a secret.
        self.secret = settings.secret_key or settings.twilio_auth_token or "planbot-rate-limits"

    def message(self, channel: str, address: str, message_id: str) -> Verdict:
        """Count a message from ``address``; may it go on, and is this the one warning?"""
        now = self.clock()
        key = storage.rate_key(channel, address, self.secret)
        hits = storage.count_hit(self.db, key, now)
        if self._within(hits):
            return ALLOWED
        with self.db.transaction() as session:  # past the limit: rare, and may cost more
            return self._past(session, hits, key, channel, address, message_id, now)

    def admit(
        self, session: Session, channel: str, address: str, message_id: str
    ) -> Callable[[], Verdict]:
        """``message``, counted in the message's own transaction (``session``): the plain
        text's way, one commit for the count and the text (``Engine.handle``'s ``admit``).
        The verdict is asked for once the transaction's next statement has gone (on
        PostgreSQL the count goes with it, in one round trip)."""
        now = self.clock()
        key = storage.rate_key(channel, address, self.secret)
        counted = storage.count_hit_soon(session, key, now)

        def verdict() -> Verdict:
            hits = counted()
            if self._within(hits):
                return ALLOWED
            return self._past(session, hits, key, channel, address, message_id, now)

        return verdict

    def _within(self, hits: storage.Hits) -> bool:
        return (
            hits.minute <= self.settings.messages_per_minute
            and hits.day <= self.settings.messages_per_day
        )

    def _past(
        self,
        session: Session,
        hits: storage.Hits,
        key: str,
        channel: str,
        address: str,
        message_id: str,
        now: datetime,
    ) -> Verdict:
        """Past a limit: a repeat of a message answered before goes on (it is answered the
        same again); else the day's one warning, or nothing."""
        if storage.find_processed(session, channel, message_id) is not None:
            return ALLOWED
        if hits.warned_today or storage.is_opted_out(session, channel, address):
            return QUIET
        if not storage.note_warned(session, key, now):
            return QUIET  # another worker sent it just now
        over_today = hits.day > self.settings.messages_per_day
        return Verdict(False, TOO_MANY_TODAY if over_today else TOO_FAST)

    def page(self, kind: str, who: str, per_minute: int) -> int:
        """Count a page request; 0 when it may go on, else the seconds to wait."""
        now = self.clock()
        hits = storage.count_hit(self.db, storage.rate_key(kind, who, self.secret), now)
        return 0 if hits.minute <= per_minute else storage.seconds_left(now)

    def client(self, host: str | None) -> int:
        """A client's page request, over all links (0, or the seconds to wait)."""
        per_minute = self.settings.link_views_per_minute * CLIENT_FACTOR
        return self.page("client", client_of(host), per_minute)

    def link(self, token: str) -> int:
        """A request for one link's page or files (0, or the seconds to wait)."""
        return self.page("link", token, self.settings.link_views_per_minute)
