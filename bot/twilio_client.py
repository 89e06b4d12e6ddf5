"""Texts planbot starts itself (a profile link, later reminders), sent through Twilio's REST API.

Why a class of our own around twilio's ``Client``: every send must first check the opt-out
stored for the number, and Twilio's error 21610 ("the number opted out") must be remembered,
so that planbot never writes again to someone who said STOP. Twilio's errors are turned into
``ChannelError`` here and nowhere else. Tests answer the REST calls at the HTTP layer
(``responses``), as twilio sends them with ``requests``.
"""

from __future__ import annotations

import logging

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

import storage
from bot._sms_format import sms_clean, split_sms
from bot._sms_inbound import CHANNEL, OPTED_OUT_ERROR, number_tag
from planbot.errors import ChannelError, SettingsError
from planbot.settings import Settings

log = logging.getLogger("planbot.sms")


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


class TwilioSender:
    """Sends texts from ``TWILIO_FROM_NUMBER`` (or the Messaging Service), minding opt-outs."""

    def __init__(
        self, settings: Settings, db: storage.Database, *, client: Client | None = None
    ) -> None:
        problems = check_sender_settings(settings)
        if problems:
            raise SettingsError("; ".join(problems))
        self.settings = settings
        self.db = db
        self.client = client or Client(settings.twilio_account_sid, settings.twilio_auth_token)

    def send(self, to: str, text: str) -> list[str]:
        """Send ``text`` (split into texts of 2 segments at most); return Twilio's message ids.

        Nothing is sent to a number that opted out. If Twilio says it opted out (error 21610),
        that is stored and the rest is not sent. Raises ``ChannelError`` for other failures.
        """
        with self.db.transaction() as session:
            if storage.is_opted_out(session, CHANNEL, to):
                log.info("sms to %s not sent: opted out", number_tag(to, self.settings))
                return []
        sent: list[str] = []
        for body in split_sms(sms_clean(text)):
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
                    return sent
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
