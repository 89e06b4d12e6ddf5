"""Twilio's inbound webhook form, read into the few fields planbot uses, and what is decided.

Why apart: the web app, the outbound sender and the tests all need these names, and none of
them should have to know the form's field names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot._base import address_tag
from dialogues import Media, Reply
from easyread import Profile
from planbot.settings import Settings

CHANNEL = "sms"
MAX_MEDIA = 10  # Twilio sends at most 10 media items with one message
OPTED_OUT_ERROR = "21610"  # Twilio: "Attempt to send to unsubscribed recipient"
MMS_COUNTRIES = frozenset({"US", "CA"})  # where Twilio carries MMS to and from its numbers


def number_tag(number: str, settings: Settings) -> str:
    """A short stand-in for a phone number in logs, never the number itself (a keyed hash)."""
    return address_tag(number, settings)


def link_url(settings: Settings, token: str, document: str = "profile") -> str:
    """A private link: ``/p/<token>`` opens the profile, ``/r/<token>`` the review sheet,
    ``/d/<token>`` (a data link) everything kept about the person. Here, not on the channel:
    the outbox's sender sends profile links too."""
    where = {"review": "r", "data": "d"}.get(document, "p")
    return f"{(settings.public_url or '').rstrip('/')}/{where}/{token}"


@dataclass(frozen=True)
class InboundSms:
    """The fields of Twilio's inbound message webhook that planbot uses."""

    number: str
    message_sid: str
    body: str = ""
    media: tuple[Media, ...] = ()
    to_country: str = ""  # the country of our Twilio number: MMS works only in some

    @property
    def takes_photos(self) -> bool:
        """Whether a photo can come this way (Twilio carries MMS in the US and Canada only)."""
        return self.to_country.upper() in MMS_COUNTRIES

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> InboundSms | None:
        """Read Twilio's form; None when From or MessageSid is missing (not a message)."""
        number = (form.get("From") or "").strip()
        sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
        if not number or not sid or len(sid) > 200 or len(number) > 100:
            return None
        if not (number.isprintable() and sid.isprintable()):
            return None  # Twilio's are plain: a NUL here is no message (PostgreSQL refuses it)
        raw = (form.get("NumMedia") or "0").strip()
        # Plain digits only: "²" is a digit to str.isdigit but not to int().
        plain = raw.isascii() and raw.isdigit() and len(raw) <= 9
        count = min(int(raw), MAX_MEDIA) if plain else 0
        media = tuple(
            Media(url, form.get(f"MediaContentType{i}") or "")
            for i in range(count)
            if (url := form.get(f"MediaUrl{i}") or "")
        )
        country = (form.get("ToCountry") or "").strip()
        return cls(number, sid, form.get("Body") or "", media, country)


@dataclass(frozen=True)
class ShortProfile:
    """A profile to fit into 3 texts, read from the database and fitted off the event loop.

    ``key``: at the end of a plan, the outbox key it is queued under (None: PROFILE, the
    answer to this text); ``about``: whose plan it is, as the outbox tags it (so it is not
    sent to a supporter removed before it goes).
    """

    profile: Profile
    link: str
    key: str | None = None
    about: str | None = None


@dataclass
class Outcome:
    """What ``SmsChannel.respond`` decided: replies now, a photo to fetch first, or a short
    profile to fit (then ``SmsChannel.deliver``)."""

    replies: list[Reply] = field(default_factory=list)
    photo: Media | None = None
    short: ShortProfile | None = None


@dataclass(frozen=True)
class Before:
    """What is known about the number before deciding what a keyword or a picture means."""

    known: bool = False
    opted_out: bool = False
