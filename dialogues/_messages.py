"""Channel-neutral messages: what a channel hands the engine and what the engine hands back.

Why: the engine must never know whether a message came by SMS, Telegram or a terminal. Each
channel adapter in ``bot/`` turns its own form into an ``Incoming`` and each ``Reply`` back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class Media:
    """A file the person sent (a photo, a voice note): where to get it and what type it is."""

    url: str
    content_type: str = ""


@dataclass(frozen=True)
class ReceivedPhoto:
    """A photo the channel has already fetched and checked (JPEG or PNG, not too big).

    Why the channel fetches: downloading can take seconds and must not hold the database
    lock. It asks ``Engine.wants_photo`` first, so it only fetches at the photo question.
    """

    data: bytes
    content_type: str


@dataclass(frozen=True)
class ReceivedVoice:
    """A voice note the channel has already fetched and checked (OGG/Opus, not too big).

    Fetched for the same reason as a photo: only at a question that keeps one
    (``Engine.wants_voice``), and outside the database transaction.
    """

    data: bytes
    content_type: str
    seconds: float


@dataclass(frozen=True)
class Incoming:
    """One message from a person, in any channel.

    ``message_id`` is the channel's own id (Twilio MessageSid, Telegram chat and message id, a
    line number in the terminal); with ``channel`` it makes a delivered-twice message stored once.
    ``person`` is set only when the channel already knows whom the talk is about
    (``planbot chat --person NAME``). ``opening`` asks the engine to speak first (a welcome, or
    "welcome back" and the current question) and is never taken as an answer.
    ``photo`` is a photo the channel fetched for the photo question; ``photo_problem`` says
    why one was not (a message key: photo_type, photo_big, photo_failed).
    ``takes_photos`` says the channel can carry photos: without it the photo question is
    never asked. ``opts_in`` turns off an opt-out in the same transaction (SMS START).
    ``voice_note`` says the message is a voice note, from a channel that keeps them
    (Telegram); ``voice`` is its sound when the channel fetched it, ``voice_problem`` why
    not. ``switch_voice`` turns voice notes of each question on or off (``/voice``).
    """

    channel: str
    address: str
    message_id: str
    text: str = ""
    media: tuple[Media, ...] = ()
    person: str | None = None
    received_at: datetime | None = None
    opening: bool = False  # the channel opened the talk (a terminal chat starting, /start)
    photo: ReceivedPhoto | None = None
    photo_problem: str = ""
    takes_photos: bool = False
    opts_in: bool = False
    for_question: str = ""  # a pressed button's question: from an earlier one, it is no answer
    voice_note: bool = False
    voice: ReceivedVoice | None = None
    voice_problem: str = ""
    switch_voice: bool = False


@dataclass(frozen=True)
class Choice:
    """One answer a person can pick: shown as a button, "Reply 1 for Yes", or a numbered line."""

    label: str
    value: str


@dataclass(frozen=True)
class Attachment:
    """A file to send with a reply (the profile PDF, picture or audio), held in memory.

    Why in memory: it holds a person's words, and a file written to disk to wait for its
    sending stays there when the process stops first. Only its name, kind and caption are
    ever stored (``Reply.to_dict``), never its bytes: a reply read back has none to send.
    """

    name: str  # the file's name where it arrives: "profile.pdf"
    kind: str  # "html" | "pdf" | "png" | "mp3" | "ogg" | "txt" | "json"
    caption: str = ""
    data: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class Recipient:
    """Someone a reply is for who is not the sender: an address on a channel."""

    channel: str
    address: str


@dataclass(frozen=True)
class Reply:
    """One message back to the person, or (with ``to`` or ``due``) to someone else or later.

    ``handle()`` returns the replies for the sender, to send now. A reply with ``to`` (a person
    asked to agree to a supporter, a group moved on) or ``due`` (a reminder) is written to the
    outbox in the same transaction as the change that caused it, and a channel sender delivers
    it when it is due.

    ``profile_of`` (for the outbox) is the id of a person whose profile goes with the words, in
    the recipient's channel's form. Only the id is stored: the sender makes the profile when it
    delivers, so it shows the answers as they are then (and nothing if the person was erased).
    """

    text: str
    choices: tuple[Choice, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    # "say" | "ask" | "finished" (the plan is done) | "profile": lets channels treat them apart
    kind: str = "say"
    speak: str = field(default="", compare=False)  # the words to speak, if different from text
    question: str = ""  # for choices: the question they answer (buttons carry it back)
    voice: bool = False  # a question to send as a voice note too (the chat turned voice on)
    to: Recipient | None = None  # None: the sender of the message being answered
    due: datetime | None = None  # None: now
    # For the outbox: what it asks about ("item:12"), so it can be withdrawn once answered;
    # or whose plan a message for a supporter is about ("plan:3": ``storage.about_plan``).
    about: str | None = None
    profile_of: int | None = None  # a person whose profile the outbox sender adds, when sent

    @property
    def for_outbox(self) -> bool:
        return self.to is not None or self.due is not None

    def to_dict(self) -> dict[str, object]:
        """A JSON-friendly form, for storing the answer to a message that may come again."""
        # Most replies have no choices and no attachments: an empty list without a loop
        # (every reply of every message is kept in this form).
        choices, files = self.choices, self.attachments
        data: dict[str, object] = {
            "text": self.text,
            "kind": self.kind,
            "choices": [[c.label, c.value] for c in choices] if choices else [],
            "attachments": [[a.name, a.kind, a.caption] for a in files] if files else [],
            "question": self.question,
            "voice": self.voice,
        }
        if self.profile_of is not None:  # left out otherwise: stored forms stay as they were
            data["profile_of"] = self.profile_of
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Reply:
        choices = data.get("choices") or []
        attachments = data.get("attachments") or []
        assert isinstance(choices, list) and isinstance(attachments, list)
        profile_of = data.get("profile_of")  # absent from forms stored before it existed
        assert profile_of is None or isinstance(profile_of, int)
        return cls(
            text=str(data["text"]),
            kind=str(data.get("kind", "say")),
            choices=tuple(Choice(str(c[0]), str(c[1])) for c in choices),
            attachments=tuple(
                Attachment(Path(str(a[0])).name, str(a[1]), str(a[2])) for a in attachments
            ),
            question=str(data.get("question", "")),
            voice=bool(data.get("voice", False)),
            profile_of=profile_of,
        )
