"""Texts planbot starts itself (a profile link, reminders, the outbox), sent by Twilio's REST API.

Why a class of our own around twilio's ``Client``: every send must first check the opt-out
stored for the number, and Twilio's error 21610 ("the number opted out") must be remembered,
so that planbot never writes again to someone who said STOP. Twilio's errors are turned into
``ChannelError`` here and nowhere else. ``PLANBOT_TWILIO_API_URL`` points the client at a
Twilio-compatible API (or a local test double); every call has a timeout, so a claim in the
outbox never outlives its send. Tests answer the REST calls at the HTTP layer (``responses``,
or a local double on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import logging

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

import storage
from bot.sms.bodies import sms_bodies, sms_clean, split_sms
from bot.sms.inbound import CHANNEL, OPTED_OUT_ERROR, link_url, number_tag
from bot.sms.words import text as sms_text
from dialogues import Reply
from planbot.errors import ChannelError, SettingsError
from planbot.settings import Settings

log = logging.getLogger("planbot.sms")

TIMEOUT = 30.0  # seconds for one REST call


def check_sender_settings(settings: Settings) -> list[str]:
    """One line for each setting that sending texts needs and lacks."""
    problems = []
    if not settings.twilio_account_sid:
        problems.append("TWILIO_ACCOUNT_SID is not set: planbot cannot send texts")
    if not settings.twilio_auth_token:
        problems.append("TWILIO_AUTH_TOKEN is not set: planbot cannot send texts")
    if not settings.twilio_from_number and not settings.twilio_messaging_service_sid:
        problems.append(
            "TWILIO_FROM_NUMBER is not set (nor TWILIO_MESSAGING_SERVICE_SID): "
            "planbot does not know which number to send texts from"
        )
    return problems


def twilio_client(settings: Settings) -> Client:
    """twilio's client for the account, pointed at ``PLANBOT_TWILIO_API_URL``, with a timeout."""
    client = Client(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        http_client=TwilioHttpClient(timeout=TIMEOUT),
    )
    client.api.base_url = settings.twilio_api_url  # where the Messages API lives
    return client


class TwilioSender:
    """Sends texts from ``TWILIO_FROM_NUMBER`` (or the Messaging Service), minding opt-outs.

    It is also the outbox's sender for SMS (``deliver``).
    """

    channel = CHANNEL

    def __init__(
        self, settings: Settings, db: storage.Database, *, client: Client | None = None
    ) -> None:
        problems = check_sender_settings(settings)
        if problems:
            raise SettingsError("; ".join(problems))
        self.settings = settings
        self.db = db
        self.client = client or twilio_client(settings)

    def send(self, to: str, text: str) -> list[str]:
        """Send ``text`` (split into texts of 2 segments at most); return Twilio's message ids.

        Nothing is sent to a number that opted out. If Twilio says it opted out (error 21610),
        that is stored and the rest is not sent. Raises ``ChannelError`` for other failures.
        """
        with self.db.transaction() as session:
            if storage.is_opted_out(session, CHANNEL, to):
                log.info("sms to %s not sent: opted out", number_tag(to, self.settings))
                return []
        sent = self._send_bodies(to, split_sms(sms_clean(text)))
        return sent or []

    async def deliver(self, address: str, reply: Reply) -> str:
        """The outbox's send: the reply as texts ("Reply 1 for Yes"), "sent" or "opted_out".

        The outbox checked the stored opt-out when it claimed the message. Raises
        ``ChannelError`` to be tried again (the texts already sent go again: at least once).
        With ``profile_of``, a fresh private link to that person's profile follows the words
        (nothing more if the person was erased).
        """
        replies = [reply]
        if reply.profile_of is not None:
            replies += await asyncio.to_thread(self._profile_link, reply.profile_of)
        bodies = sms_bodies(replies)
        sent = await asyncio.to_thread(self._send_bodies, address, bodies)
        return "opted_out" if sent is None else "sent"

    def _profile_link(self, person_id: int) -> list[Reply]:
        """A new link to the person's profile page, to follow the words; none if the person
        is gone. It is made (and committed) before the texts go, so it works when they arrive.

        No ``message_id``: the outbox does not tell a sender which row it sends, and a second
        message with the same id would give the first one's link row (maybe another
        person's, or one revoked) a new token. So a retry makes a new link; one whose text
        never went opens nothing to anyone (its token was never kept or sent).
        """
        with self.db.transaction() as session:
            person = storage.person_by_id(session, person_id)
            if person is None:
                return []
            token = storage.new_link(session, person, days=self.settings.link_days, channel=CHANNEL)
        text = sms_text(
            "profile_link", days=self.settings.link_days, link=link_url(self.settings, token)
        )
        return [Reply(text, kind="profile")]

    def _send_bodies(self, to: str, bodies: list[str]) -> list[str] | None:
        """Send each body; Twilio's message ids, or None when Twilio says the number opted
        out (stored, and the rest not sent)."""
        sent: list[str] = []
        for body in bodies:
            try:
                message = self.client.messages.create(**self._fields(to, body))
            except TwilioRestException as exc:
                if str(exc.code) == OPTED_OUT_ERROR:
                    log.info(
                        "sms to %s refused by Twilio: opted out",
                        number_tag(to, self.settings),
                    )
                    with self.db.transaction() as session:
                        storage.set_opted_out(session, CHANNEL, to, True)
                    return None
                raise ChannelError(f"Twilio did not send the text (error {exc.code})") from exc
            except (TwilioException, requests.RequestException) as exc:
                raise ChannelError(f"Twilio could not be reached ({type(exc).__name__})") from exc
            sent.append(str(message.sid))
        log.info("sms to %s: %d sent", number_tag(to, self.settings), len(sent))
        return sent

    def _fields(self, to: str, body: str) -> dict[str, str]:
        fields = {"to": to, "body": body}
        if self.settings.twilio_messaging_service_sid:
            fields["messaging_service_sid"] = self.settings.twilio_messaging_service_sid
        else:
            fields["from_"] = self.settings.twilio_from_number or ""
        if self.settings.public_url:
            fields["status_callback"] = f"{self.settings.public_url.rstrip('/')}/sms/status"
        return fields
