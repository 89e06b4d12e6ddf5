"""The SMS channel: a Twilio webhook's form in, the replies to send back out.

Order of work for each text, and why:

0. The sender's rate limit (``bot/_limits.py``: one upsert of its count): past it, nothing
   of the text is stored and the engine never sees it; the sender gets one kind warning a
   day. STOP is never held back.
1. Most texts are answers: they go straight to the engine, keyed by Twilio's MessageSid, in
   one transaction that also drops a text from a number that opted out (nothing of it is
   stored). A retry stores nothing new and gets the same answer.
2. Carrier keywords (STOP and friends, START, HELP) and planbot's SMS words (PROFILE,
   STOP LINK) are taken here, before the engine, which would read "stop" as "pause". A
   number that opted out gets nothing, unless it texts START, UNSTOP or YES. HELP says who
   we are and how to stop, then (for a number we know) asks the engine for its own help,
   which ends with the question we were on.
3. A picture is fetched only when the engine is at the photo question (``wants_photo``),
   outside any transaction; the engine then keeps it, or says kindly why not. Keywords are
   idempotent too: STOP, PROFILE and STOP LINK are recorded with their answer like an
   engine message, so a repeat of one is answered the same and changes nothing (the link
   PROFILE sent is kept, sealed, with its answer until the replies are blanked). The private
   link "send me my data" gives is added to the engine's kept answer the same way.
4. The profile at the end of a plan goes through the outbox: the text that finished the plan
   is answered at once (TwiML), and the profile with its link is queued, keyed by that
   MessageSid, so a retried text queues nothing more and its link stays the one sent. The end
   of a review preparation queues the review sheet's link (``/r/<token>``) instead.
5. The short profile (PROFILE, and the end of a plan) is read in the text's transaction but
   fitted into 3 texts afterwards, off the event loop and bounded in time (``fit``, in a
   child process); ``deliver`` then answers with it or queues it. Too slow, and the person
   gets a kind word instead, and nobody else waits.

Nothing here logs a message's words or a phone number: numbers appear as a short keyed hash.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import TypeVar

from sqlmodel import Session

import storage
from bot._base import Channel
from bot._limits import Verdict
from bot._media import FetchedPhoto, fetch_photo, is_photo_type
from bot._renders import render_bounded
from bot.sms.inbound import (
    CHANNEL,
    OPTED_OUT_ERROR,
    Before,
    InboundSms,
    Outcome,
    ShortProfile,
    link_url,
)
from bot.sms.words import keyword
from bot.sms.words import text as sms_text
from dialogues import MY_DATA, Admit, Incoming, Media, ReceivedPhoto, Reply, after_asking
from easyread import build_profile, build_review
from easyread.sms_text import gsm_friendly
from easyread.text import clean, render_text
from planbot.errors import PlanbotError, RenderError, StorageError

log = logging.getLogger("planbot.sms")

T = TypeVar("T")
# The short form takes milliseconds; Twilio waits 15 seconds for the whole answer.
SHORT_FORM_SECONDS = 10
DATA_LINK_REPLY = "data_link"  # the kind of the reply that carries the link to everything kept


class SmsChannel(Channel):
    """Answers texts for one database; holds no conversation state (any worker can answer)."""

    name = CHANNEL
    # Called (from any thread) when a text was queued in the outbox: the sender can go now.
    on_queued: Callable[[], None] | None = None

    # --- the steps (blocking: the web app runs them in worker threads) ---------------------

    def handle(self, inbound: InboundSms) -> list[Reply]:
        """Every step at once, in this thread (tests, scripts)."""
        outcome = self.respond(inbound)
        if outcome.photo is not None:
            outcome = self.keep_photo(inbound, self.fetch(outcome.photo))
        if outcome.short is None:
            return outcome.replies
        return self.deliver(inbound, outcome, self.fit(outcome.short))

    def respond(self, inbound: InboundSms) -> Outcome:
        """Decide and store what this text means; a photo to keep is left for ``fetch``."""
        said = keyword(inbound.body) if inbound.body else None
        if said is None and not inbound.media:  # most: one transaction, the count in it
            verdicts: list[Verdict] = []

            def admit(session: Session) -> Callable[[], bool]:
                counted = self.limits.admit(session, CHANNEL, *self._ids(inbound))

                def allowed() -> bool:
                    verdicts[:] = [counted()]
                    return verdicts[0].allowed

                return allowed

            replies = self._engine(inbound, admit=admit)
            if verdicts and not verdicts[0].allowed:
                return self._refused(inbound, verdicts[0])
            return self._outcome(inbound, replies)
        if said != "opt_out":  # STOP always works; a flood of it stores nothing anyway
            verdict = self.limits.message(CHANNEL, *self._ids(inbound))
            if not verdict.allowed:
                return self._refused(inbound, verdict)
        before = self._before(inbound)
        tag = self.tag(inbound.number)
        if before.opted_out:
            if said == "opt_out":  # a retry of the STOP is answered again; others get nothing
                return Outcome(self._opt_out(inbound))
            if said in ("opt_in", "yes"):
                log.info("sms %s: opted back in", tag)
                return self._outcome(inbound, self._engine(inbound, opening=True))
            log.info("sms %s: opted out, nothing stored", tag)
            return Outcome()
        if said == "opt_out":
            log.info("sms %s: opted out", tag)
            return Outcome(self._opt_out(inbound))
        if said == "opt_in":
            return self._outcome(inbound, self._engine(inbound, opening=True))
        if said == "help":
            return Outcome(self._help(inbound, before.known))
        if said == "profile":
            return self._profile(inbound)
        if said == "stop_link":
            return Outcome(self._stop_link(inbound))
        if (
            inbound.media
            and inbound.takes_photos
            and self.engine.wants_photo(CHANNEL, inbound.number)
        ):
            return self._photo(inbound)
        return self._outcome(inbound, self._engine(inbound))

    def fetch(self, media: Media) -> FetchedPhoto:
        """Download a photo (network only, no database: it may take seconds)."""
        return fetch_photo(
            media.url,
            account_sid=self.settings.twilio_account_sid,
            auth_token=self.settings.twilio_auth_token,
        )

    def keep_photo(self, inbound: InboundSms, fetched: FetchedPhoto) -> Outcome:
        """Hand a fetched photo (or why it could not be had) to the engine, which keeps it."""
        if fetched.problem is not None:
            return self._outcome(inbound, self._engine(inbound, problem=fetched.problem))
        log.info("sms %s: photo fetched", self.tag(inbound.number))
        photo = ReceivedPhoto(fetched.data, fetched.content_type)
        return self._outcome(inbound, self._engine(inbound, photo=photo))

    def fit(self, short: ShortProfile) -> str | None:
        """The short profile fitted into 3 texts (in a child process, bounded in time); None
        when it could not be made in time. Blocks: the web app runs it in a thread."""
        work = functools.partial(render_text, sms=True, link=short.link)
        seconds = min(self.settings.render_seconds, SHORT_FORM_SECONDS)
        try:
            return render_bounded(
                work, short.profile, seconds=seconds, data_dir=self.settings.data_dir, slots="text"
            )
        except RenderError as exc:
            log.error("short profile not made: %s", exc)
            return None

    def deliver(self, inbound: InboundSms, outcome: Outcome, text: str | None) -> list[Reply]:
        """The replies once the short profile is fitted (``text``; None if it could not be):
        PROFILE's answer, or at the end of a plan the profile queued in the outbox."""
        short = outcome.short
        assert short is not None, "deliver is for an outcome with a short profile"
        if short.key is None:
            if text is None:  # nothing kept: a retry of the text tries again
                return [Reply(sms_text("profile_busy"))]
            replies = [Reply(text, kind="profile")]
            self._write(lambda session: self._keep_profile(session, inbound, replies))
            return replies
        if text is None:
            return [*outcome.replies, Reply(sms_text("link_not_ready"))]
        try:
            with self.db.transaction() as session:
                storage.queue_message(
                    session,
                    channel=CHANNEL,
                    address=inbound.number,
                    reply=Reply(text, kind="profile").to_dict(),
                    due=self.clock(),
                    key=short.key,
                    about=short.about,
                )
        except PlanbotError as exc:
            log.error("profile not queued: %s", type(exc).__name__)
            return [*outcome.replies, Reply(sms_text("link_not_ready"))]
        log.info("sms %s: profile queued", self.tag(inbound.number))
        if self.on_queued is not None:
            self.on_queued()
        return outcome.replies

    def _keep_profile(self, session: Session, inbound: InboundSms, replies: list[Reply]) -> None:
        """Keep PROFILE's fitted answer, as every keyword's is kept (for a repeat delivery)."""
        address = storage.find_address(session, CHANNEL, inbound.number)
        if address is not None:
            person = storage.current_person(session, address)
            self._keep(session, inbound, address, person, replies)

    def delivery_status(self, form: Mapping[str, str]) -> None:
        """A delivery report from Twilio; error 21610 means the number opted out."""
        to = (form.get("To") or "").strip()
        if not to.isprintable():
            to = ""  # not a number Twilio sends to (a NUL in it would stop PostgreSQL)
        status = form.get("MessageStatus") or form.get("SmsStatus") or "?"
        error = (form.get("ErrorCode") or "").strip()
        log.info("sms delivery to %s: %s %s", self.tag(to) if to else "-", status, error)
        if error == OPTED_OUT_ERROR and to:
            self._write(lambda s: storage.set_opted_out(s, CHANNEL, to, True))

    # --- profile links ---------------------------------------------------------------------

    def link_url(self, token: str, document: str = "profile") -> str:
        """The private link to a document (``inbound.link_url``)."""
        return link_url(self.settings, token, document)

    def _outcome(self, inbound: InboundSms, replies: list[Reply]) -> Outcome:
        """The engine's replies; after the text that finished a plan, with what comes next."""
        if not any(r.kind == "finished" for r in replies):
            return Outcome(replies)
        return self._end_of_plan(inbound, replies)

    def _end_of_plan(self, inbound: InboundSms, replies: list[Reply]) -> Outcome:
        """After the text that finished a plan: the profile with a fresh link, to fit and
        queue (the review sheet's link is queued at once: it needs no fitting).

        Keyed by that text's MessageSid, so a retry of it queues nothing (and makes no new
        link: the one queued stays the one that works). Adds what to answer if the profile
        cannot be made (nothing when all is well: it is on its way).
        """
        key = f"{CHANNEL}:{inbound.message_sid}:profile"
        try:
            with self.db.transaction() as session:
                if storage.is_queued(session, key):
                    return Outcome(replies)
                seen = storage.find_processed(session, CHANNEL, inbound.message_sid)
                person_id = seen.person_id if seen is not None else None
                person = storage.person_by_id(session, person_id) if person_id else None
                if person is None:
                    return Outcome([*replies, Reply(sms_text("no_profile"))])
                if self._finished_flow(session, inbound, person) != "review":
                    short = self._short_in(session, inbound, person, key)
                    return Outcome(replies, short=short)
                reply = self._review_in(session, inbound, person)
                assert person.id is not None
                storage.queue_message(
                    session,
                    channel=CHANNEL,
                    address=inbound.number,
                    reply=reply.to_dict(),
                    due=self.clock(),
                    key=key,
                    about=storage.about_plan(person.id),
                )
        except PlanbotError as exc:
            log.error("profile link not made: %s", type(exc).__name__)
            return Outcome([*replies, Reply(sms_text("link_not_ready"))])
        log.info("sms %s: review sheet queued", self.tag(inbound.number))
        if self.on_queued is not None:
            self.on_queued()
        return Outcome(replies)

    def _new_link(
        self,
        session: Session,
        inbound: InboundSms,
        person: storage.Person,
        document: str = "profile",
    ) -> str:
        """A private link for the person, made by this text (so a retry of it is known), and
        in the audit log as ``document`` shared by whoever is typing (once: a retry that
        gives the same link row a new token notes nothing more)."""
        made = storage.link_for_message(session, CHANNEL, inbound.message_sid) is None
        token = storage.new_link(
            session,
            person,
            days=self.settings.link_days,
            now=self.clock(),
            channel=CHANNEL,
            message_id=inbound.message_sid,
        )
        address = storage.find_address(session, CHANNEL, inbound.number)
        if made and address is not None:
            self.engine.note(session, address, person, "shared", document)
        return token

    def _short_in(
        self,
        session: Session,
        inbound: InboundSms,
        person: storage.Person,
        key: str | None = None,
    ) -> ShortProfile:
        """The person's profile and a fresh link, to fit into 3 texts once this is stored."""
        assert person.id is not None
        token = self._new_link(session, inbound, person)
        about = storage.about_plan(person.id)
        return ShortProfile(build_profile(session, person), self.link_url(token), key, about)

    @staticmethod
    def _finished_flow(session: Session, inbound: InboundSms, person: storage.Person) -> str:
        """The flow the text finished: its conversation's ("review" gives the review sheet)."""
        address = storage.find_address(session, CHANNEL, inbound.number)
        conv = storage.conversation_for(session, address, person) if address else None
        return conv.flow if conv is not None else "profile"

    def _review_in(self, session: Session, inbound: InboundSms, person: storage.Person) -> Reply:
        """The end of a review preparation: the review sheet's title and its private link."""
        token = self._new_link(session, inbound, person, "review")
        title = build_review(session, person).title
        body = sms_text(
            "review_link", days=self.settings.link_days, link=self.link_url(token, "review")
        )
        return Reply(f"{gsm_friendly(clean(title))}\n{body}", kind="profile")

    @staticmethod
    def _ids(inbound: InboundSms) -> tuple[str, str]:
        """Who sent a text and its id: what its rate limit counts and looks for."""
        return inbound.number, inbound.message_sid

    def _refused(self, inbound: InboundSms, verdict: Verdict) -> Outcome:
        """Past the rate limit: the day's one warning, or nothing. Logged once, with the
        warning: a flood floods no log."""
        if not verdict.warning:
            return Outcome()
        log.warning("sms %s: over the rate limit, warned", self.tag(inbound.number))
        return Outcome([Reply(self.engine.script.message(verdict.warning))])

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
        """What a keyword or a picture needs to know first (plain answers skip this)."""
        with self.db.transaction() as session:
            address = storage.find_address(session, CHANNEL, inbound.number)
        if address is None:
            return Before()
        return Before(known=True, opted_out=address.opted_out)

    def _engine(
        self,
        inbound: InboundSms,
        *,
        opening: bool = False,
        photo: ReceivedPhoto | None = None,
        problem: str = "",
        admit: Admit | None = None,
    ) -> list[Reply]:
        """The engine's answer. ``opening`` (START) opts the number back in, in the same
        transaction, and asks the question we were on; ``admit``: the rate limit, counted
        in the same transaction."""
        incoming = Incoming(
            channel=CHANNEL,
            address=inbound.number,
            message_id=inbound.message_sid,
            text="" if opening else inbound.body,
            media=inbound.media,
            opening=opening,
            photo=photo,
            photo_problem=problem,
            takes_photos=inbound.takes_photos,
            opts_in=opening,
        )
        replies = self.engine.handle(incoming, admit=admit)
        if any(r.kind == MY_DATA for r in replies):
            # "send me my data": the private link, right after "Here is everything I keep"
            replies = self._with_data_link(inbound, replies)
        return replies

    def _with_data_link(self, inbound: InboundSms, replies: list[Reply]) -> list[Reply]:
        """The engine's answer to "send me my data" with a private link to everything kept
        (``/d/<token>``, a day), right after "Here is everything I keep about you".

        The link is made once for the text that asked and kept, sealed, with its answer, as
        PROFILE's is: a repeat delivery of the text (a Twilio retry, or a captured signed
        request sent again) gets that same answer, with the same link, which still works;
        no link is made or turned off. Once the kept answers are blanked (after
        ``PLANBOT_REPLY_HOURS``, or by STOP LINK), a repeat gets what the engine gives any
        such text: nothing, and still no new link.
        """
        with self.db.transaction() as session:
            # Locked: two deliveries of one text at once make one link between them.
            seen = storage.find_processed(session, CHANNEL, inbound.message_sid, lock=True)
            person = (
                storage.person_by_id(session, seen.person_id) if seen and seen.person_id else None
            )
            if seen is None or person is None:
                return replies
            kept = [Reply.from_dict(r) for r in storage.processed_replies(seen)]
            data_id = f"{inbound.message_sid}:data"
            if any(r.kind == DATA_LINK_REPLY for r in kept):
                return kept  # a repeat: the first answer, link and all
            if storage.link_for_message(session, CHANNEL, data_id) is not None:
                return kept  # its answer was blanked: the link is not given or made again
            token = storage.new_link(
                session,
                person,
                days=storage.DATA_LINK_DAYS,
                now=self.clock(),
                channel=CHANNEL,
                message_id=data_id,
                kind=storage.DATA_LINK,
            )
            words = self.engine.script.message("my_data_link", link=self.link_url(token, "data"))
            link = [Reply(words, kind=DATA_LINK_REPLY)]
            storage.keep_replies(session, seen, [r.to_dict() for r in after_asking(kept, link)])
        return after_asking(replies, link)

    def _opt_out(self, inbound: InboundSms) -> list[Reply]:
        def work(session: Session) -> list[Reply]:
            again = self._answered_before(session, inbound)
            if again is not None:
                return again
            if storage.is_opted_out(session, CHANNEL, inbound.number):
                return []
            address = storage.set_opted_out(session, CHANNEL, inbound.number, True)
            replies = [Reply(sms_text("opted_out"))]
            self._keep(session, inbound, address, None, replies)
            return replies

        return self._write(work)

    def _help(self, inbound: InboundSms, known: bool) -> list[Reply]:
        """Who we are and how to stop (phone networks ask for both), then the engine's own help:
        what to say, who to ask, and the question again. A new number gets the first part and
        the contact, and nothing is stored."""
        about = f"{sms_text('help_what')}\n{sms_text('help_stop')}"
        if known:
            asked = InboundSms(inbound.number, inbound.message_sid, "help", (), inbound.to_country)
            return [Reply(about), *self._engine(asked)]
        message, given = self.engine.script.message, self.settings.help_contact
        contact = message("help_contact_default")
        if given:
            contact = message("help_contact", contact=given)
        return [Reply(f"{about}\n{contact}\n{sms_text('help_new')}")]

    def _profile(self, inbound: InboundSms) -> Outcome:
        """A new link to the profile, to fit into 3 texts; the answer is kept once fitted
        (``deliver``), so a repeat of the text gets the same link back and makes no other."""

        def work(session: Session) -> Outcome:
            again = self._answered_before(session, inbound)
            if again is not None:
                return Outcome(again)
            address = storage.find_address(session, CHANNEL, inbound.number)
            person = storage.current_person(session, address) if address else None
            if address is None or person is None:
                return Outcome([Reply(sms_text("no_profile"))])  # nothing stored
            return Outcome(short=self._short_in(session, inbound, person))

        return self._write(work)

    def _stop_link(self, inbound: InboundSms) -> list[Reply]:
        """Turn off the links, once: a repeat of the text turns off no link made since. Each
        plan whose links went has it in its audit log."""

        def work(session: Session) -> tuple[list[Reply], int]:
            again = self._answered_before(session, inbound)
            if again is not None:
                return again, 0
            address = storage.find_address(session, CHANNEL, inbound.number)
            turned_off = 0
            for person in storage.people_for_address(session, address) if address else []:
                count = storage.revoke_links(session, person, self.clock())
                if count and address is not None:
                    self.engine.note(session, address, person, "removed", "links", count=count)
                turned_off += count
            replies = [Reply(sms_text("links_off"))]
            if address is not None:
                self._keep(session, inbound, address, None, replies)
            return replies, turned_off

        replies, turned_off = self._write(work)
        log.info("sms %s: %d links turned off", self.tag(inbound.number), turned_off)
        return replies

    @staticmethod
    def _answered_before(session: Session, inbound: InboundSms) -> list[Reply] | None:
        """The replies this text got before (a repeat delivery), or None for a new text."""
        seen = storage.find_processed(session, CHANNEL, inbound.message_sid)
        if seen is None:
            return None
        return [Reply.from_dict(r) for r in storage.processed_replies(seen)]

    def _keep(
        self,
        session: Session,
        inbound: InboundSms,
        address: storage.Address,
        person: storage.Person | None,
        replies: list[Reply],
    ) -> None:
        """Keep a keyword's replies, as the engine keeps every answer's (sealed, and blanked
        after ``PLANBOT_REPLY_HOURS``), so a repeat delivery is answered the same."""
        storage.record_processed(
            session,
            CHANNEL,
            inbound.message_sid,
            address,
            person,
            [r.to_dict() for r in replies],
            self.clock(),
        )

    def _photo(self, inbound: InboundSms) -> Outcome:
        """A picture at the photo question: fetch it, unless it is no photo at all."""
        photos = [m for m in inbound.media if is_photo_type(m.content_type)]
        if not photos:
            return self._outcome(inbound, self._engine(inbound, problem="photo_type"))
        return Outcome(photo=photos[0])
