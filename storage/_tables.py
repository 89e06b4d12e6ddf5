"""SQLModel tables. Personal columns end in ``_sealed`` and go through ``_personal`` only."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, DateTime, Float, Index, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes: they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _when() -> Column[datetime]:
    """A timezone-aware timestamp column (each table needs its own Column object)."""
    return Column(DateTime(timezone=True), nullable=False)


class Person(SQLModel, table=True):
    """Someone whose plan this is. ``name_sealed`` is empty until they say what to call them."""

    __tablename__ = "person"
    id: int | None = Field(default=None, primary_key=True)
    name_sealed: str | None = Field(default=None, sa_type=Text)
    # A supporter may be waiting for this person's yes: set when one starts waiting, cleared
    # when a look finds none. Read with every message, so most messages ask nothing more.
    may_have_requests: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # Asked whether to keep a plan nobody used for a long time (``storage/_retention.py``).
    retention_asked_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # When the outbox sent that question: the 30 days to answer count from here, not from
    # the asking (a question never sent erases nothing).
    retention_sent_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # Every form of the person's documents in large print (24pt body): "bigger writing".
    large_print: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class Address(SQLModel, table=True):
    """A channel address (a phone number, a Telegram chat, a terminal) that talks to planbot."""

    __tablename__ = "address"
    __table_args__ = (UniqueConstraint("lookup", name="uq_address_lookup"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    lookup: str = Field(sa_type=Text)
    address_sealed: str = Field(sa_type=Text)
    active_person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    opted_out: bool = Field(default=False)
    # Questions also come as voice notes (Telegram's /voice): how this chat likes to get them.
    voice: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # This address may have been removed from a plan and not told yet (as for requests above).
    may_have_news: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class PersonAddress(SQLModel, table=True):
    """Which addresses may talk for which people (many to many)."""

    __tablename__ = "person_address"
    person_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    address_id: int = Field(foreign_key="address.id", primary_key=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class Conversation(SQLModel, table=True):
    """Where one address is in one person's plan. ``person_id`` is empty before consent."""

    __tablename__ = "conversation"
    __table_args__ = (Index("ix_conversation_address_person", "address_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    address_id: int = Field(foreign_key="address.id", ondelete="CASCADE")
    person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="CASCADE")
    # The flow (a script folder: "profile", later "review"...) and its version when last saved.
    flow: str = Field(
        default="profile", max_length=40, sa_column_kwargs={"server_default": "profile"}
    )
    flow_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    state: str = Field(max_length=40)
    return_to: str | None = Field(default=None, max_length=40)
    retries: int = Field(default=0)
    typist: str | None = Field(default=None, max_length=20)
    said_by_sealed: str | None = Field(default=None, sa_type=Text)
    name_hint_sealed: str | None = Field(default=None, sa_type=Text)
    paused: bool = Field(default=False)
    # A visit to another flow (the holder answering "is that OK?" in "approve"): where the
    # conversation was, to go back to after it.
    resume_flow: str | None = Field(default=None, max_length=40)
    resume_state: str | None = Field(default=None, max_length=40)
    # The thing picked in a topic by saying its words (then "just for me" or "share").
    picked_answer_id: int | None = Field(default=None)
    # Where an unfinished profile was when REVIEW began (None: no profile to go back to):
    # after the review sheet, the conversation goes back there.
    profile_state: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class Answer(SQLModel, table=True):
    """One thing said for one section, kept verbatim. ``status`` is answer/skipped/dont_know."""

    __tablename__ = "answer"
    # Status and deleted too: a topic's things are counted at every answer, from the index
    # alone (migration 0017).
    __table_args__ = (
        Index("ix_answer_person_section_status", "person_id", "section", "status", "deleted"),
    )
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    conversation_id: int | None = Field(
        default=None, foreign_key="conversation.id", ondelete="SET NULL"
    )
    section: str = Field(max_length=40)
    text_sealed: str = Field(sa_type=Text)
    said_by_sealed: str = Field(sa_type=Text)
    perspective: str = Field(max_length=20)
    status: str = Field(default="answer", max_length=20)
    # "text", or "voice" for a voice note (its sound is in ``voice_note``, its text is empty).
    kind: str = Field(default="text", max_length=20, sa_column_kwargs={"server_default": "text"})
    # Planning together: "person" (the holder's own), or, for what a supporter added, "waiting"
    # (for the holder's OK), "agreed" or "declined". Only "person" and "agreed" are shown.
    consent: str = Field(
        default="person", max_length=20, sa_column_kwargs={"server_default": "person"}
    )
    # "Just for me": hidden from supporters and from the shared profile.
    private: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    deleted: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class ProcessedMessage(SQLModel, table=True):
    """A message already handled, with the replies it got: a second delivery stores nothing."""

    __tablename__ = "processed_message"
    __table_args__ = (UniqueConstraint("channel", "message_id", name="uq_processed_message"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    message_id: str = Field(max_length=200)
    address_id: int | None = Field(default=None, foreign_key="address.id", ondelete="SET NULL")
    person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    replies_sealed: str = Field(default="[]", sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class ProfileLink(SQLModel, table=True):
    """A private link to a person's profile page (``/p/<token>``).

    Only the SHA-256 of the token is stored: someone who reads the database cannot open the
    page. ``channel`` and ``message_id`` name the message that asked for it, so a message
    delivered twice makes one link, not two.
    """

    __tablename__ = "profile_link"
    __table_args__ = (
        UniqueConstraint("token_hash", name="uq_profile_link_token"),
        UniqueConstraint("channel", "message_id", name="uq_profile_link_message"),
        Index("ix_profile_link_person", "person_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    token_hash: str = Field(max_length=64)
    # "profile" (/p/ and /r/), or "data" (/d/: everything kept, for "send me my data").
    kind: str = Field(
        default="profile", max_length=20, sa_column_kwargs={"server_default": "profile"}
    )
    channel: str | None = Field(default=None, max_length=20)
    message_id: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    expires_at: datetime = Field(sa_column=_when())
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class PersonPhoto(SQLModel, table=True):
    """The person's own photo for the top of their profile (one per person, the newest kept).

    The picture is personal: its bytes are sealed through ``_personal.seal_bytes``.
    ``message_id`` is the message that brought it, so a repeat delivery fetches nothing again.
    """

    __tablename__ = "person_photo"
    person_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    content_type: str = Field(max_length=40)
    photo_sealed: str = Field(sa_type=Text)
    message_id: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class VoiceNote(SQLModel, table=True):
    """The sound of an answer sent as a voice note (Telegram), one per answer of kind "voice".

    Kept in the database like the photo: every worker and host sees it, and it goes with its
    answer (``delete last``, ``restart``) and its person (``planbot forget``) by cascade. The
    bytes are personal: sealed through ``_personal.seal_bytes``.
    """

    __tablename__ = "voice_note"
    __table_args__ = (Index("ix_voice_note_person", "person_id"),)
    answer_id: int = Field(foreign_key="answer.id", primary_key=True, ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    content_type: str = Field(max_length=40)
    seconds: float = Field(sa_type=Float)
    audio_sealed: str = Field(sa_type=Text)
    message_id: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class OutboxMessage(SQLModel, table=True):
    """A message for someone other than the sender, or for later: the outbox and the scheduler.

    Written in the same transaction as the change that caused it. ``key`` is the caller's
    idempotency key (a message handled twice queues once). ``available_at`` is when the row
    may next be claimed: its due time at first, then the end of a sender's claim (so a sender
    that died lets go), then the end of a back-off after a failure. The address and the reply
    are personal: sealed, and blanked once the row is done with.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("key", name="uq_outbox_message_key"),
        Index("ix_outbox_message_waiting", "status", "channel", "available_at"),
        Index("ix_outbox_message_about", "about"),
    )
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)
    # What it asks about ("item:12": a thing waiting for the holder's OK), so that a question
    # answered another way is withdrawn before it is sent; or whose plan a message for a
    # supporter is about ("plan:3"), withdrawn if they are removed first; None for most.
    about: str | None = Field(default=None, max_length=40)
    channel: str = Field(max_length=20)
    lookup: str = Field(sa_type=Text)
    address_id: int | None = Field(default=None, foreign_key="address.id", ondelete="CASCADE")
    address_sealed: str = Field(sa_type=Text)
    reply_sealed: str = Field(sa_type=Text)
    # "waiting", "sent", "failed" (given up after its tries), "opted_out" (never sent)
    status: str = Field(default="waiting", max_length=20)
    attempts: int = Field(default=0)
    claim: str | None = Field(default=None, max_length=40)
    last_error: str | None = Field(default=None, max_length=200)
    due_at: datetime = Field(sa_column=_when())
    available_at: datetime = Field(sa_column=_when())
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    done_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class Access(SQLModel, table=True):
    """Who can see a person's plan: its holder, and supporters the holder said yes to.

    ``role`` is "holder" (the person, or whoever started the plan for someone without a phone),
    or how a supporter knows the person: "family", "friend", "supporter", "staff", "other".
    ``status``: "joining" (answering the join questions), "waiting" (for the holder's yes),
    "active", "removed". A "no" deletes the row: nothing of the supporter is kept. ``told``
    is set once a removed supporter has been told, at their next message.
    """

    __tablename__ = "access"
    __table_args__ = (
        Index("ix_access_person", "person_id"),
        Index("ix_access_address", "address_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    address_id: int | None = Field(default=None, foreign_key="address.id", ondelete="SET NULL")
    name_sealed: str | None = Field(default=None, sa_type=Text)
    role: str = Field(max_length=20)
    status: str = Field(max_length=20)
    told: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    since: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    ended_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class InviteCode(SQLModel, table=True):
    """A code a holder gives a supporter (``INVITE``): 6 digits, once, for 7 days.

    Only a keyed hash (HMAC-SHA256 with ``PLANBOT_SECRET_KEY``) is stored. ``channel`` and
    ``message_id`` name the INVITE message: one row a message, whatever happens.
    """

    __tablename__ = "invite_code"
    __table_args__ = (
        UniqueConstraint("channel", "message_id", name="uq_invite_code_message"),
        Index("ix_invite_code_hash", "code_hash"),
    )
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    code_hash: str = Field(max_length=64)
    channel: str = Field(max_length=20)
    message_id: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    expires_at: datetime = Field(sa_column=_when())
    used_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class CodeAttempt(SQLModel, table=True):
    """Wrong codes from one sender (a keyed hash of its address) since ``window_start``."""

    __tablename__ = "code_attempt"
    sender_hash: str = Field(max_length=64, primary_key=True)
    wrong: int = Field(default=0)
    window_start: datetime = Field(sa_column=_when())


class ConsentRecord(SQLModel, table=True):
    """One yes or no: to keeping answers, to a supporter, to an item, or how the person
    agreed to a plan someone else started ("made_for": "said_yes" or "best_interests").

    ``by_sealed`` is who decided (a name, when known); ``wording`` names the words they saw
    (flow, version and message); ``subject_id`` is the access row or answer it was about.
    """

    __tablename__ = "consent_record"
    __table_args__ = (Index("ix_consent_record_person", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    subject: str = Field(max_length=20)
    subject_id: int | None = Field(default=None)
    decision: str = Field(max_length=20)
    by_sealed: str | None = Field(default=None, sa_type=Text)
    by_role: str = Field(max_length=20)
    channel: str = Field(max_length=20)
    wording: str = Field(max_length=100)
    reason_sealed: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class AuditEvent(SQLModel, table=True):
    """One thing someone did with a person's plan: who (sealed), their role, what they did,
    to which part, how many things, when and on which channel. Never the words."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_person", "person_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    at: datetime = Field(sa_column=_when())
    action: str = Field(max_length=20)
    what: str = Field(max_length=40)
    count: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    actor_sealed: str | None = Field(default=None, sa_type=Text)
    actor_role: str = Field(max_length=20)
    channel: str = Field(max_length=20)


class RateCount(SQLModel, table=True):
    """How often one sender, link or client came in this minute and this day (rate limits).

    ``key`` is a keyed hash of what is counted (never a number, chat id, token or address).
    ``minute`` and ``day`` are the starts of the current fixed windows (seconds since 1970);
    ``warned_day`` is the day a warning was last sent, so a flood gets one. Rows go once their
    day is over (the hourly tidy).
    """

    __tablename__ = "rate_count"
    key: str = Field(max_length=64, primary_key=True)
    minute: int = Field(sa_type=BigInteger)
    minute_hits: int = Field(default=0)
    day: int = Field(sa_type=BigInteger)
    day_hits: int = Field(default=0)
    warned_day: int = Field(default=0, sa_type=BigInteger)


class LiveGroup(SQLModel, table=True):
    """A Planning Live group: a peer supporter (the facilitator's address) runs it, people
    join with its code (only a keyed hash is kept), and ``topic`` says where the agenda is
    (0: not begun; ``practice`` while everyone practises on "Helen"). ``board_token_hash``
    opens the board page until ``board_expires_at``; ``follow_up_at`` is the next session."""

    __tablename__ = "live_group"
    id: int | None = Field(default=None, primary_key=True)
    facilitator_address_id: int = Field(foreign_key="address.id", ondelete="CASCADE")
    name_sealed: str | None = Field(default=None, sa_type=Text)
    code_hash: str | None = Field(default=None, max_length=64, index=True)
    status: str = Field(max_length=20)  # naming | open | ended
    topic: int = Field(default=0)
    practice: bool = Field(default=False)
    topic_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    board_token_hash: str | None = Field(default=None, max_length=64, index=True)
    board_expires_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    follow_up_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    ended_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class LiveMember(SQLModel, table=True):
    """Someone in a group: a participant (``person_id`` is their own plan, empty until they
    say yes to keeping their answers) or an ally (``person_id`` is the participant they came
    with). ``help`` is set when they asked for help during the session."""

    __tablename__ = "live_member"
    __table_args__ = (UniqueConstraint("group_id", "address_id", name="uq_live_member"),)
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="live_group.id", ondelete="CASCADE")
    address_id: int = Field(foreign_key="address.id", ondelete="CASCADE")
    person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="CASCADE")
    role: str = Field(max_length=20)  # participant | ally
    help: bool = Field(default=False)
    joined_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class LivePractice(SQLModel, table=True):
    """A thing said about the made-up "Helen" while practising: kept apart from every plan
    (sealed all the same), and gone when the session ends."""

    __tablename__ = "live_practice"
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="live_member.id", ondelete="CASCADE")
    section: str = Field(max_length=40)
    text_sealed: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
