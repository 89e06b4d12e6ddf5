"""The Telegram channel: python-telegram-bot for transport, planbot's engine for everything else.

Why it looks like this:

- python-telegram-bot only carries messages (ECOSYSTEM.md): our engine keeps the state in
  the database, so ``ConversationHandler`` and its persistence are not used. The same
  ``Application`` serves long polling (``planbot telegram``) and the webhook (``/telegram``).
- Each message or button press becomes one ``Incoming`` keyed by chat and message id (a button
  by its callback id): a re-sent update stores nothing new.
- Replies go as plain text (no parse mode), so nothing a person typed is read as markup.
  Choices become inline buttons; a pressed keyboard is taken away so an old button cannot
  answer a later question.
- A photo is downloaded only at the photo question (``Engine.wants_photo``), size- and
  type-checked like an MMS photo.
- At the end the person gets the profile as text, a PDF to print, pictures made for a phone
  (one photo each: a long profile is several, "Picture 1 of 3" and on) and a voice note.
  Every file goes to Telegram from memory (python-telegram-bot uploads bytes as they are):
  none is written to disk to wait for its sending, so none is left if planbot stops.
- The commands are set as Telegram's menu at start (``setMyCommands``), their words from
  ``messages.toml`` (``menu_<command>``), in its order.
- "typing..." shows while planbot works on a reply, "sending a file..." while it makes the
  PDF and the picture, "recording a voice message..." while it speaks (``actions``).
- ``/voice`` turns voice on or off for the chat: then each question comes as a voice note
  too. A voice note sent at a topic question is kept as one of its things
  (``voice`` fetches and checks it; the engine keeps it).
- Telegram's flood limits are kept by python-telegram-bot's ``AIORateLimiter``; planbot's own
  limit per chat (``bot/_limits.py``) is checked first, before any download or the engine,
  for messages, button presses and edits alike, by long polling and by the webhook.

Nothing here logs what people typed or their chat ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Sequence
from datetime import timedelta

from telegram import (
    Bot,
    BotCommand,
    Document,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    PhotoSize,
    Update,
)
from telegram.constants import ChatAction, ChatType
from telegram.error import RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

import storage
from bot._base import Channel, address_tag
from bot._media import MAX_PHOTO_BYTES, checked_photo, is_photo_type
from bot._renders import Kept, keep, kept_render, render_bounded
from bot.telegram import actions as chat_actions
from bot.telegram.actions import ChatActions
from bot.telegram.voice import fetch_voice, question_audio
from dialogues import (
    MY_DATA,
    Attachment,
    Incoming,
    Media,
    ReceivedPhoto,
    ReceivedVoice,
    Reply,
)
from easyread import Profile, profile_of, review_of
from easyread.files import fingerprint, profile_bytes, profile_pictures
from easyread.text import render_text
from planbot.errors import PlanbotError, SettingsError
from planbot.settings import Settings

log = logging.getLogger("planbot.telegram")

CHANNEL = "telegram"
MAX_TEXT = 4096  # Telegram's limit for one message
MAX_CALLBACK_BYTES = 64  # Telegram's limit for a button's data
BUTTON_SEPARATOR = "|"  # between the question and the value in a button's data
MENU_PREFIX = "menu_"  # messages.toml keys that are Telegram menu commands
MENU_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")  # what Telegram allows as a command's name
VOICE_COMMAND = "voice"
PROFILE_FILES = ("pdf", "png", "ogg")  # the profile as a file to print, pictures, a voice note
# The phone pictures are kept together, as one file (``_pack``), under this name: a kept
# "png" is one picture only.
PICTURES_KEPT = "phone-pictures"

TelegramApp = Application  # the built app: its type parameters are python-telegram-bot's defaults


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """A long text in parts of at most ``limit`` characters, cut at line ends where it can."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # one line longer than a message: cut it
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        joined = f"{current}\n{line}" if current else line
        if len(joined) > limit:
            parts.append(current)
            current = line
        else:
            current = joined
    if current or not parts:
        parts.append(current)
    return [p for p in parts if p.strip()] or [text[:limit]]


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """One button per row for each choice. A button carries its question with its value, so a
    press left from an earlier question is not taken as an answer to this one."""
    rows = []
    for choice in reply.choices:
        data = (
            f"{reply.question}{BUTTON_SEPARATOR}{choice.value}" if reply.question else choice.value
        )
        if len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES:
            rows.append([InlineKeyboardButton(choice.label, callback_data=data)])
    return InlineKeyboardMarkup(rows) if rows else None


def button_value(data: str) -> tuple[str, str]:
    """(question, value) from a button's data; question is "" for a plain value."""
    question, separator, value = data.partition(BUTTON_SEPARATOR)
    return (question, value) if separator else ("", data)


def command_text(text: str) -> tuple[str, bool]:
    """A Telegram command as the words the engine knows: "/my_answers" is "my answers".

    Returns the text and whether it was ``/start`` (the talk opening, never an answer).
    """
    if not text.startswith("/"):
        return text, False
    name, _, rest = text[1:].partition(" ")
    name = name.split("@", 1)[0].casefold()
    if name == "start":
        return "", True
    return f"{name.replace('_', ' ')} {rest}".strip(), False


def command_name(text: str) -> str:
    """The command a message is ("/voice@planbot_bot" is "voice"), or "" for other words."""
    if not text.startswith("/"):
        return ""
    return text[1:].split(maxsplit=1)[0].split("@", 1)[0].casefold() if text[1:] else ""


def menu_commands(messages: dict[str, str]) -> list[BotCommand]:
    """Telegram's menu from ``messages.toml``: each ``menu_<command>`` in the file's order."""
    commands = []
    for key, words in messages.items():
        name = key.removeprefix(MENU_PREFIX)
        if key.startswith(MENU_PREFIX) and MENU_COMMAND.match(name):
            commands.append(BotCommand(name, words[:256]))
    return commands


def media_of(message: Message) -> tuple[Media, ...]:
    """What the message carries besides words: (file id, type), for the engine to notice."""
    if message.photo:
        return (Media(message.photo[-1].file_id, "image/jpeg"),)
    if message.document:
        return (Media(message.document.file_id, message.document.mime_type or ""),)
    if message.sticker:  # a picture, as far as the person is concerned
        return (Media(message.sticker.file_id, "image/webp"),)
    for kind in (
        "voice",
        "audio",
        "video",
        "video_note",
        "animation",
        "contact",
        "location",
    ):
        item = getattr(message, kind, None)
        if item is not None:
            return (Media(str(getattr(item, "file_id", kind)), kind),)
    return ()


async def fetch_photo(bot: Bot, message: Message) -> tuple[ReceivedPhoto | None, str]:
    """Download the photo in ``message`` and check it: (photo, "") or (None, problem key)."""
    item: PhotoSize | Document
    if message.photo:
        item = message.photo[-1]
    elif message.document and is_photo_type(message.document.mime_type or ""):
        item = message.document
    else:
        return None, "photo_type"
    if (item.file_size or 0) > MAX_PHOTO_BYTES:
        return None, "photo_big"
    try:
        file = await bot.get_file(item.file_id)
        if (file.file_size or 0) > MAX_PHOTO_BYTES:
            return None, "photo_big"
        data = bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        log.warning("photo not fetched: %s", type(exc).__name__)
        return None, "photo_failed"
    checked = checked_photo(data)
    if checked.problem is not None:
        log.info("photo refused: %s", checked.problem)  # not the type it claims: the sender's words
        return None, checked.problem
    return ReceivedPhoto(checked.data, checked.content_type), ""


class TelegramChannel(Channel):
    """Answers Telegram updates for one database; holds no conversation state."""

    name = CHANNEL

    def application(self, *, polling: bool) -> TelegramApp:
        """The python-telegram-bot ``Application``: with an updater for long polling, or
        without one for the webhook (the web app feeds it updates)."""
        token = self.settings.telegram_bot_token
        if not token:
            raise SettingsError("TELEGRAM_BOT_TOKEN is not set: planbot cannot talk to Telegram")
        api = self.settings.telegram_api_url
        builder = (
            Application.builder()
            .token(token)
            .base_url(f"{api}/bot")
            .base_file_url(f"{api}/file/bot")
            # Flood limits: about 30 messages a second in all. One retry after Telegram's
            # "retry after", then ``answer`` gives it a last go.
            .rate_limiter(AIORateLimiter(max_retries=1))
        )
        # The webhook has no updater: it starts the app itself, and sets the menu then.
        builder = builder.post_init(self.on_start) if polling else builder.updater(None)
        app = builder.build()
        app.add_handler(CallbackQueryHandler(self.on_button))
        # One person's plan per chat: groups and channels are not talked to, and service
        # messages (someone joined, a timer was set) are not messages from the person.
        private = filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL
        app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE, self.on_message))
        app.add_handler(MessageHandler(private & filters.UpdateType.EDITED, self.on_edited))
        app.add_error_handler(self.on_error)
        return app

    async def on_start(self, app: TelegramApp) -> None:
        """Long polling has started the app: set the menu."""
        await self.set_menu(app.bot)

    async def set_menu(self, bot: Bot) -> bool:
        """Set the commands Telegram shows in its menu; a failure is logged, never fatal."""
        try:
            return await bot.set_my_commands(menu_commands(self.engine.script.messages))
        except TelegramError as exc:
            log.warning("telegram menu not set: %s", type(exc).__name__)
            return False

    # --- handlers ------------------------------------------------------------------------

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None:
            return
        address = str(chat.id)
        # Telegram numbers messages per chat, so the id names the chat: by a keyed hash, as
        # everywhere else the chat id is kept (a key change starts new ids). The limit asks
        # for this same id, so a repeat of a message handled before is answered past it.
        message_id = f"{address_tag(address, self.settings, 32)}:{message.message_id}"
        if not await self.within_limit(context.bot, chat.id, message_id):
            return
        words = message.text or message.caption or ""
        switch_voice = command_name(words) == VOICE_COMMAND
        text, opening = ("", False) if switch_voice else command_text(words)
        media = media_of(message)
        photo, problem = None, ""
        voice: ReceivedVoice | None = None
        voice_problem = ""
        if message.voice is not None and not opening:
            if await asyncio.to_thread(self.engine.wants_voice, CHANNEL, address):
                voice, voice_problem = await fetch_voice(context.bot, message)
        elif media and not opening:
            wanted = await asyncio.to_thread(self.engine.wants_photo, CHANNEL, address)
            if wanted:
                photo, problem = await fetch_photo(context.bot, message)
        incoming = Incoming(
            channel=CHANNEL,
            address=address,
            message_id=message_id,
            text=text,
            media=media,
            opening=opening,
            photo=photo,
            photo_problem=problem,
            takes_photos=True,
            opts_in=True,  # a message means they talk to the bot again
            voice_note=message.voice is not None,
            voice=voice,
            voice_problem=voice_problem,
            switch_voice=switch_voice,
        )
        await self.answer(context.bot, chat.id, incoming)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query, chat = update.callback_query, update.effective_chat
        if query is None:
            return
        with contextlib.suppress(TelegramError):  # stops the button's spinner; may be too old
            await query.answer()
        if chat is None or chat.type != ChatType.PRIVATE:
            return
        if not await self.within_limit(context.bot, chat.id, f"button:{query.id}"):
            return
        # Take the buttons away: an old button must not answer a later question.
        with contextlib.suppress(TelegramError):
            await query.edit_message_reply_markup(reply_markup=None)
        question, value = button_value(query.data or "")
        incoming = Incoming(
            channel=CHANNEL,
            address=str(chat.id),
            message_id=f"button:{query.id}",
            text=value,
            takes_photos=True,
            opts_in=True,
            for_question=question,
        )
        await self.answer(context.bot, chat.id, incoming)

    async def on_edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An edited message: the first words stay saved, so say how to change them."""
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None:
            return
        edit = f"edited:{chat.id}:{message.message_id}"
        if await self.within_limit(context.bot, chat.id, edit):
            await context.bot.send_message(chat.id, self.engine.script.message("edited"))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the kind of error (never the words) and tell the person kindly."""
        log.error("telegram update failed: %s", type(context.error).__name__)
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is not None:
            with contextlib.suppress(TelegramError):
                await context.bot.send_message(chat.id, self.engine.script.message("sorry"))

    # --- answering -----------------------------------------------------------------------

    async def within_limit(self, bot: Bot, chat_id: int, message_id: str) -> bool:
        """Count the message against the chat's rate limit (in a thread: it is a database
        write); past the limit, send the day's one warning, if this is it, and say no.
        ``message_id`` is the id the engine keeps the message under: past the limit, a
        repeat of one it handled before is still answered (the same, storing nothing)."""
        verdict = await asyncio.to_thread(self.limits.message, CHANNEL, str(chat_id), message_id)
        if verdict.warning:
            log.warning("telegram %s: over the rate limit, warned", self.tag(str(chat_id)))
            with contextlib.suppress(TelegramError):
                await bot.send_message(chat_id, self.engine.script.message(verdict.warning))
        return verdict.allowed

    async def answer(self, bot: Bot, chat_id: int, incoming: Incoming) -> None:
        """Store and decide (in a thread: the engine blocks), then send every reply.

        Once the engine has stored the message, a failure to send is not the person's to fix:
        it is logged and tried once more, never answered with "please try again" (which
        would store the same answer twice).
        """
        async with ChatActions(bot, chat_id, ChatAction.TYPING):
            replies = await asyncio.to_thread(self.engine.handle, incoming)
        try:
            await send_replies(bot, chat_id, replies, self.settings)
        except RetryAfter as exc:  # Telegram's flood control: wait as asked, then once more
            await asyncio.sleep(min(_seconds(exc.retry_after), 30.0))
            with contextlib.suppress(TelegramError):
                await send_replies(bot, chat_id, replies, self.settings)
        except TelegramError as exc:
            log.error("telegram replies not sent: %s", type(exc).__name__)

    def profile_hook(self, person_id: int, flow: str) -> list[Reply]:
        """The engine's hook after a plan is finished: the profile as text, PDF, picture and
        voice note. After a review preparation: the review sheet as text and PDF, to take to
        the meeting (the issue asks for the PDF there). After "send me my data": everything
        kept, as a file."""
        if flow == MY_DATA:
            return self._data_file(person_id)
        if flow == "review":
            review = review_of(self.db, person_id)
            return [self._with_files(review, person_id, "review", ("pdf",))] if review else []
        profile = profile_of(self.db, person_id)
        return [self._with_files(profile, person_id, "profile", PROFILE_FILES)] if profile else []

    def _data_file(self, person_id: int) -> list[Reply]:
        """Everything kept about the person as a JSON file (sent from memory)."""
        with self.db.transaction() as session:
            person = storage.person_by_id(session, person_id)
            data = storage.export_json(session, person) if person is not None else None
        if data is None:
            return []
        caption = self.engine.script.message("my_data_file")
        sent = Attachment("my-planbot-data.json", "json", caption, data.encode("utf-8"))
        return [Reply("", kind="profile", attachments=(sent,))]

    def _with_files(
        self, document: Profile, person_id: int, name: str, kinds: tuple[str, ...]
    ) -> Reply:
        """The document with its files (``document_files``), captions from its flow."""
        caption = self.engine.flows[name].script.message  # "profile_pdf", "review_pdf", ...
        return document_files(self.db, self.settings, document, person_id, name, kinds, caption)


def document_files(
    db: storage.Database,
    settings: Settings,
    document: Profile,
    person_id: int,
    name: str,
    kinds: tuple[str, ...],
    caption: Callable[[str], str],
) -> Reply:
    """The document's text, with its files (in memory); the words alone if the files cannot
    be made. ``name`` ("profile", "review") names the files and their captions
    (``caption("<name>_pdf")`` and so on).

    A module function, not the channel's: the outbox's sender makes a profile this way too
    (``Reply.profile_of``). Blocks (renders in child processes): call it from a thread.
    """
    text = render_text(document)
    if settings.tts == "off":
        kinds = tuple(k for k in kinds if k != "ogg")
    kept = Kept(person_id, name, fingerprint(document, settings=settings))
    actions = chat_actions.current()  # "sending a file..." while each is made
    show = actions.show if actions is not None else (lambda _action: None)
    captions = {"pdf": f"{name}_pdf", "png": f"{name}_picture", "ogg": f"{name}_voice"}
    shows = {"pdf": ChatAction.UPLOAD_DOCUMENT, "png": ChatAction.UPLOAD_PHOTO}
    try:
        files = []
        for kind in kinds:
            show(shows.get(kind, ChatAction.RECORD_VOICE))
            if kind == "png":  # the phone pictures, each a photo; the caption on the first
                for number, picture in enumerate(_pictures(db, settings, document, kept), 1):
                    file = f"{name}.png" if number == 1 else f"{name}-{number}.png"
                    words = caption(captions[kind]) if number == 1 else ""
                    files.append(Attachment(file, kind, words, picture))
                continue
            made = _made(db, settings, document, kept, kind)
            files.append(Attachment(f"{name}.{kind}", kind, caption(captions[kind]), made))
    except PlanbotError as exc:
        log.error("%s files not made: %s", name, type(exc).__name__)
        return Reply(text, kind="profile")
    return Reply(text, kind="profile", attachments=tuple(files))


def _made(
    db: storage.Database, settings: Settings, document: Profile, kept: Kept, kind: str
) -> bytes:
    """One of the document's files: the kept one, or made in a child process, bounded in
    time (``RenderTimeout`` when too slow), then kept (if it still shows what is stored)."""
    found = kept_render(settings, kept, kind)
    if found is not None:
        return found
    made = render_bounded(
        profile_bytes,
        document,
        kind,
        settings,
        seconds=settings.render_seconds,
        data_dir=settings.data_dir,
    )
    keep(db, settings, kept, kind, made)
    return made


def _pictures(
    db: storage.Database, settings: Settings, document: Profile, kept: Kept
) -> list[bytes]:
    """The document's phone pictures (one for most, one per group of topics for a long one):
    the kept ones, or made in a child process, bounded in time, then kept together."""
    found = kept_render(settings, kept, PICTURES_KEPT)
    pictures = _unpack(found) if found is not None else []
    if pictures:
        return pictures
    pictures = render_bounded(
        profile_pictures, document, seconds=settings.render_seconds, data_dir=settings.data_dir
    )
    keep(db, settings, kept, PICTURES_KEPT, _pack(pictures))
    return pictures


def _pack(pictures: Sequence[bytes]) -> bytes:
    """Pictures as one file to keep: each one's length (8 bytes), then its bytes."""
    return b"".join(len(p).to_bytes(8, "big") + p for p in pictures)


def _unpack(data: bytes) -> list[bytes]:
    """The pictures ``_pack`` put together; none at all if the file is not whole."""
    pictures, at = [], 0
    while at < len(data):
        size = int.from_bytes(data[at : at + 8], "big")
        picture = data[at + 8 : at + 8 + size]
        if at + 8 > len(data) or len(picture) != size or not picture.startswith(b"\x89PNG"):
            return []
        pictures.append(picture)
        at += 8 + size
    return pictures


async def send_replies(
    bot: Bot, chat_id: int, replies: Sequence[Reply], settings: Settings | None = None
) -> None:
    """Each reply as Telegram messages: text with its buttons, then its files, then (for a
    question, with voice on) the question as a voice note."""
    for reply in replies:
        parts = split_text(reply.text) if reply.text else []  # a file alone has no words
        for number, part in enumerate(parts, start=1):
            markup = keyboard(reply) if number == len(parts) and reply.choices else None
            await bot.send_message(chat_id, part, reply_markup=markup)
        for attachment in reply.attachments:
            await send_file(bot, chat_id, attachment)
        if reply.voice and settings is not None and settings.tts != "off":
            await send_question_voice(bot, chat_id, reply.text, settings)


async def send_question_voice(bot: Bot, chat_id: int, text: str, settings: Settings) -> None:
    """One question as a voice note ("recording a voice message..." while it is spoken)."""
    with contextlib.suppress(TelegramError):
        await bot.send_chat_action(chat_id, ChatAction.RECORD_VOICE)
    sound = await asyncio.to_thread(question_audio, text, settings)
    if sound is not None:
        await bot.send_voice(chat_id, InputFile(sound, filename="question.ogg"))


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def send_file(bot: Bot, chat_id: int, attachment: Attachment) -> None:
    """One profile file, from memory, as the kind of message that suits it (a reply read
    back from the database holds no bytes: nothing to send)."""
    if not attachment.data:
        return
    caption = attachment.caption or None
    data = InputFile(attachment.data, filename=attachment.name)
    if attachment.kind == "png":
        await bot.send_photo(chat_id, data, caption=caption)
    elif attachment.kind == "ogg":
        await bot.send_voice(chat_id, data, caption=caption)
    elif attachment.kind == "mp3":
        await bot.send_audio(chat_id, data, caption=caption)
    else:
        await bot.send_document(chat_id, data, caption=caption)
