"""Voice notes on Telegram: fetching one a person sent, and speaking a question as one.

Why so careful with what comes in: the bytes come from the internet and are played on the
profile page. A voice note is fetched only at a question that keeps one, its size is capped,
and it is kept only if it opens as OGG audio (the form Telegram's microphone button sends),
whose length is measured here rather than taken from what the sender claims. Nothing said
in it, and no chat id, is logged.
"""

from __future__ import annotations

import io
import logging

import soundfile as sf
from telegram import Bot, Message
from telegram.error import TelegramError

from dialogues import ReceivedVoice
from easyread.speech import question_sound
from planbot.errors import RenderError
from planbot.settings import Settings

log = logging.getLogger("planbot.telegram")

MAX_VOICE_BYTES = 10 * 1024 * 1024  # about 40 minutes of Telegram's voice notes
MAX_VOICE_SECONDS = 15 * 60  # a longer one is a recording, not an answer
OGG_MAGIC = b"OggS"
VOICE_TYPE = "audio/ogg"


def audio_seconds(data: bytes) -> float | None:
    """How long an OGG sound is, or None if it is not one that opens."""
    if not data.startswith(OGG_MAGIC):
        return None
    try:
        info = sf.info(io.BytesIO(data))
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
        return None
    return float(info.duration) if info.frames > 0 and info.samplerate > 0 else None


def checked_voice(data: bytes) -> tuple[ReceivedVoice | None, str]:
    """The downloaded bytes as a voice note to keep, or (None, the message key saying why)."""
    if len(data) > MAX_VOICE_BYTES:
        return None, "voice_big"
    seconds = audio_seconds(data)
    if seconds is None:
        return None, "voice_type"
    if seconds > MAX_VOICE_SECONDS:
        return None, "voice_big"
    return ReceivedVoice(data, VOICE_TYPE, seconds), ""


async def fetch_voice(bot: Bot, message: Message) -> tuple[ReceivedVoice | None, str]:
    """Download the voice note in ``message`` and check it: (voice, "") or (None, problem)."""
    voice = message.voice
    if voice is None:
        return None, "voice_type"
    if (voice.file_size or 0) > MAX_VOICE_BYTES:
        return None, "voice_big"
    try:
        file = await bot.get_file(voice.file_id)
        if (file.file_size or 0) > MAX_VOICE_BYTES:
            return None, "voice_big"
        data = bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        log.warning("voice note not fetched: %s", type(exc).__name__)
        return None, "voice_failed"
    found, problem = checked_voice(data)
    if found is None:
        log.info("voice note refused: %s", problem)
    return found, problem


def question_audio(text: str, settings: Settings) -> bytes | None:
    """A question as an OGG/Opus voice note, in memory (None if speech failed: the words
    were sent anyway). Blocks: call it in a thread. The speech engine caches each wording,
    so a question asked again is not spoken afresh."""
    try:
        return question_sound(text, "ogg", settings=settings)
    except RenderError as exc:
        log.warning("question not spoken: %s", type(exc).__name__)
        return None
