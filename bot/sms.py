"""The SMS channel: a Twilio webhook's form in, the replies to send back out.

Order of work for each text, and why:

1. A number that opted out gets nothing and nothing of its text is stored, unless the text is
   START, UNSTOP or YES (the words that opt back in).
2. Carrier keywords (STOP and friends, START, HELP) and planbot's SMS words (PROFILE,
   STOP LINK) are taken here, before the engine, which would read "stop" as "pause". HELP
   says who we are and how to stop, then (for a number we know) asks the engine for its own
   help, which ends with the question we were on.
3. A photo from someone who agreed to keep answers becomes their profile photo.
4. Everything else goes to the engine, keyed by Twilio's MessageSid: a retry stores nothing
   new and gets the same answer. Keywords are idempotent too: STOP is recorded with its
   answer like an engine message, and links are keyed by the MessageSid that asked for them.

Nothing here logs a message's words or a phone number: numbers appear as a short keyed hash.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import datetime
from typing import TypeVar

from sqlmodel import Session

import storage
from bot._media import FetchedPhoto, fetch_photo, is_photo_type
from bot._sms_inbound import (
    CHANNEL,
    OPTED_OUT_ERROR,
    Before,
    InboundSms,
    Outcome,
    number_tag,
    person_on,
)
from bot._sms_words import keyword
from bot._sms_words import text as sms_text
from dialogues import Engine, Incoming, Media, Reply
from easyread._build import build_profile
from easyread.text import render_text
from planbot.errors import PlanbotError, StorageError
from planbot.settings import Settings

log = logging.getLogger("planbot.sms")

_MESSAGE_SID: ContextVar[str | None] = ContextVar("planbot_sms_message_sid", default=None)
T = TypeVar("T")


class SmsChannel:
    """Answers texts for one database; holds no conversation state (any worker can answer)."""

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

    def tag(self, number: str) -> str:
        """How a phone number appears in the logs (a keyed hash)."""
        return number_tag(number, self.settings)

    # --- the steps (blocking: the web app runs them in worker threads) ---------------------

    def handle(self, inbound: InboundSms) -> list[Reply]:
        """Every step at once, in this thread (tests, scripts)."""
        outcome = self.respond(inbound)
        if outcome.photo is None or outcome.person_id is None:
            return outcome.replies
        return self.keep_photo(inbound, outcome.person_id, self.fetch(outcome.photo))

    def respond(self, inbound: InboundSms) -> Outcome:
        """Decide and store what this text means; a photo is left for ``fetch``."""
        said = keyword(inbound.body) if inbound.body else None
        before = self._before(inbound)
        tag = self.tag(inbound.number)
        if before.opted_out:
            if said == "opt_out":  # a retry of the STOP is answered again; others get nothing
                return Outcome(self._opt_out(inbound))
            if said in ("opt_in", "yes"):
                log.info("sms %s: opted back in", tag)
                return Outcome(self._resume(inbound, opted_out=True))
            log.info("sms %s: opted out, nothing stored", tag)
            return Outcome()
        if said == "opt_out":
            log.info("sms %s: opted out", tag)
            return Outcome(self._opt_out(inbound))
        if said == "opt_in":
            return Outcome(self._resume(inbound, opted_out=False))
        if said == "help":
            return Outcome(self._help(inbound, before.known))
        if said == "profile":
            return Outcome(self._profile(inbound))
        if said == "stop_link":
            return Outcome(self._stop_link(inbound))
        if inbound.media and before.person_id is not None:
            return self._photo(inbound, before)
        return Outcome(self._engine(inbound, before.link_person_id))

    def fetch(self, media: Media) -> FetchedPhoto:
        """Download a photo (network only, no database: it may take seconds)."""
        return fetch_photo(
            media.url,
            account_sid=self.settings.twilio_account_sid,
            auth_token=self.settings.twilio_auth_token,
        )

    def keep_photo(self, inbound: InboundSms, person_id: int, fetched: FetchedPhoto) -> list[Reply]:
        """Store a fetched photo as the person's, or say kindly why it was not kept."""
        if fetched.problem is not None:
            return self._after_photo(inbound, fetched.problem)
        with self.db.transaction() as session:
            person = storage.person_by_id(session, person_id)
            if person is None:
                return self._after_photo(inbound, "photo_failed")
            storage.set_person_photo(
                session, person, fetched.data, fetched.content_type, inbound.message_sid
            )
        log.info("sms %s: photo kept", self.tag(inbound.number))
        return self._after_photo(inbound, "photo_saved")

    def delivery_status(self, form: Mapping[str, str]) -> None:
        """A delivery report from Twilio; error 21610 means the number opted out."""
        to = (form.get("To") or "").strip()
        status = form.get("MessageStatus") or form.get("SmsStatus") or "?"
        error = (form.get("ErrorCode") or "").strip()
        log.info("sms delivery to %s: %s %s", self.tag(to) if to else "-", status, error)
        if error == OPTED_OUT_ERROR and to:
            self._write(lambda s: storage.set_opted_out(s, CHANNEL, to, True))

    # --- profile links ---------------------------------------------------------------------

    def link_url(self, token: str) -> str:
        return f"{(self.settings.public_url or '').rstrip('/')}/p/{token}"

    def profile_hook(self, person_id: int) -> list[Reply]:
        """The engine's hook after a plan is finished: the short profile and its link."""
        sid = _MESSAGE_SID.get()
        if sid is None:  # not an SMS message (another channel shares the engine)
            return []
        return self.profile_replies(person_id, sid)

    def profile_replies(self, person_id: int, message_sid: str) -> list[Reply]:
        """The SMS profile (3 texts at most) ending with a fresh private link."""
        try:
            with self.db.transaction() as session:
                person = storage.person_by_id(session, person_id)
                if person is None:
                    return [Reply(sms_text("no_profile"))]
                return self._profile_in(session, person, message_sid)
        except PlanbotError as exc:
            log.error("profile link not made: %s", type(exc).__name__)
            return [Reply(sms_text("link_not_ready"))]

    def _profile_in(self, session: Session, person: storage.Person, sid: str) -> list[Reply]:
        token = storage.new_link(
            session,
            person,
            days=self.settings.link_days,
            now=self.clock(),
            channel=CHANNEL,
            message_id=sid,
        )
        profile = build_profile(session, person)
        return [Reply(render_text(profile, sms=True, link=self.link_url(token)), kind="profile")]

    # --- one step each -------------------------------------------------------------------

    def _write(self, work: Callable[[Session], T]) -> T:
        """One transaction, tried again when two first texts from a new number collide."""
        for attempt in range(3):
            try:
                with self.db.transaction() as session:
                    return work(session)
            except StorageError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _before(self, inbound: InboundSms) -> Before:
        with self.db.transaction() as session:
            state = storage.inbound_state(session, CHANNEL, inbound.number, inbound.message_sid)
            if not (state.known and inbound.media):
                return Before(state.known, state.opted_out, state.link_person_id)
            address = storage.find_address(session, CHANNEL, inbound.number)
            person = person_on(session, address) if address else None
            return Before(
                known=True,
                opted_out=state.opted_out,
                link_person_id=state.link_person_id,
                person_id=person.id if person else None,
                photo_message_id=storage.photo_message_id(session, person) if person else None,
            )

    def _engine(
        self, inbound: InboundSms, link_person_id: int | None = None, opening: bool = False
    ) -> list[Reply]:
        incoming = Incoming(
            channel=CHANNEL,
            address=inbound.number,
            message_id=inbound.message_sid,
            text="" if opening else inbound.body,
            media=inbound.media,
            opening=opening,
        )
        mark = _MESSAGE_SID.set(inbound.message_sid)
        try:
            replies = self.engine.handle(incoming)
        finally:
            _MESSAGE_SID.reset(mark)
        if link_person_id is not None and not any(r.kind == "profile" for r in replies):
            # A repeat of the text that finished the plan: the engine answers it from what it
            # stored, which has no link in it (the token is never stored), so make it again.
            replies = replies + self.profile_replies(link_person_id, inbound.message_sid)
        return replies

    def _opt_out(self, inbound: InboundSms) -> list[Reply]:
        def work(session: Session) -> list[Reply]:
            seen = storage.find_processed(session, CHANNEL, inbound.message_sid)
            if seen is not None:
                return [Reply.from_dict(r) for r in storage.processed_replies(seen)]
            if storage.is_opted_out(session, CHANNEL, inbound.number):
                return []
            address = storage.set_opted_out(session, CHANNEL, inbound.number, True)
            replies = [Reply(sms_text("opted_out"))]
            storage.record_processed(
                session, CHANNEL, inbound.message_sid, address, None, [r.to_dict() for r in replies]
            )
            return replies

        return self._write(work)

    def _resume(self, inbound: InboundSms, *, opted_out: bool) -> list[Reply]:
        # The engine first, the flag after: if we stop in between, Twilio's retry finds the
        # number still opted out, opts in again, and the engine answers from what it stored.
        replies = self._engine(inbound, opening=True)
        if opted_out:
            self._write(lambda s: storage.set_opted_out(s, CHANNEL, inbound.number, False))
        return replies

    def _help(self, inbound: InboundSms, known: bool) -> list[Reply]:
        """Who we are and how to stop (phone networks ask for both), then the engine's own help:
        what to say, who to ask, and the question again. A new number gets the first part and
        the contact, and nothing is stored."""
        about = f"{sms_text('help_what')}\n{sms_text('help_stop')}"
        if known:
            return [
                Reply(about),
                *self._engine(InboundSms(inbound.number, inbound.message_sid, "help")),
            ]
        contact = self.engine.script.message("help_contact", contact=self.settings.help_contact)
        return [Reply(f"{about}\n{contact}\n{sms_text('help_new')}")]

    def _profile(self, inbound: InboundSms) -> list[Reply]:
        with self.db.transaction() as session:
            address = storage.find_address(session, CHANNEL, inbound.number)
            person = person_on(session, address) if address else None
            if person is None:
                return [Reply(sms_text("no_profile"))]
            return self._profile_in(session, person, inbound.message_sid)

    def _stop_link(self, inbound: InboundSms) -> list[Reply]:
        with self.db.transaction() as session:
            address = storage.find_address(session, CHANNEL, inbound.number)
            people = storage.people_for_address(session, address) if address else []
            turned_off = sum(storage.revoke_links(session, p, self.clock()) for p in people)
        log.info("sms %s: %d links turned off", self.tag(inbound.number), turned_off)
        return [Reply(sms_text("links_off"))]

    def _photo(self, inbound: InboundSms, before: Before) -> Outcome:
        media = inbound.media[0]
        if before.photo_message_id == inbound.message_sid:
            return Outcome(self._after_photo(inbound, "photo_saved"))  # a repeat delivery
        if not is_photo_type(media.content_type):
            return Outcome(self._after_photo(inbound, "photo_type"))
        return Outcome(photo=media, person_id=before.person_id)

    def _after_photo(self, inbound: InboundSms, key: str) -> list[Reply]:
        """The answer about the photo, then the engine's: the words sent with it, if any,
        or (after a kept photo) the question we were on, asked again."""
        replies = [Reply(sms_text(key))]
        words = InboundSms(inbound.number, inbound.message_sid, inbound.body)
        if inbound.body.strip():
            return replies + self._engine(words)
        if key == "photo_saved":
            return replies + self._engine(words, opening=True)
        return replies
