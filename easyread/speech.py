"""Spoken audio: a whole profile or one question, as MP3, OGG/Opus or WAV.

Engines: "gtts" (Google Translate's voice through gTTS: British English, slow; online only),
"espeak" (eSpeak NG from the ``espeakng-loader`` wheel; offline, always there) and "off".
"auto" (the default) tries gTTS with a short timeout and falls back to eSpeak on any gTTS
error, so audio never silently disappears; ``SpeechResult.engine`` says which voice spoke.
An engine asked for by name ("gtts") does not fall back: it raises ``RenderError``.

Parts are spoken with a pause between them. Audio is cached under ``data_dir/cache/audio`` (a
0700 folder of 0600 files) by a hash of engine, voice, format and words, at most
``PLANBOT_SOUND_CACHE_MB`` in all (the sounds used longest ago go first); ``clear_cache``
empties it: the channels run it whenever words are erased (``delete last``, ``restart``,
``STOP LINK``, ``planbot forget``), as the cache holds people's words. With a key
(``PLANBOT_SECRET_KEY``) each cached file is sealed, and named by a keyed hash, so the folder
gives away neither the sound nor a guess of the words. On "auto" a cached copy from either
voice is used, gTTS's first. Calls block: from async code use ``asyncio.to_thread``. No
words are logged.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
import soundfile as sf

from easyread._espeak import EspeakEngine
from easyread._model import Profile
from planbot.errors import RenderError, SealError
from planbot.private import private_folder
from planbot.settings import Settings
from storage import Keyring, keys_of, open_file, seal_file, trim_cache

__all__ = [
    "ENGINES",
    "FORMATS",
    "SpeechResult",
    "clear_cache",
    "estimate_seconds",
    "listen_length",
    "profile_speech",
    "question_sound",
    "sound_seconds",
    "speak_question",
    "synthesize",
]

log = logging.getLogger("planbot.speech")
# gTTS logs the text it sends at DEBUG level; keep a person's words out of the logs.
if logging.getLogger("gtts").level == logging.NOTSET:
    logging.getLogger("gtts").setLevel(logging.INFO)

ENGINES = ("auto", "gtts", "espeak", "off")
FORMATS = ("mp3", "ogg", "wav")
PAUSE_SECONDS = 0.8
AUTO_GTTS_TIMEOUT = 3.0  # on "auto" a slow Google should not hold up a reply
GTTS_TIMEOUT = 10.0  # asked for by name: wait longer before giving up
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
_CACHE_VERSION = 1
_SOUNDFILE = {"mp3": ("MP3", "MPEG_LAYER_III"), "ogg": ("OGG", "OPUS"), "wav": ("WAV", "PCM_16")}

Samples = npt.NDArray[np.float32]  # mono, -1..1


@dataclass(frozen=True)
class SpeechResult:
    """The audio file written, which engine spoke it, how long it is, and if it came from cache."""

    path: Path
    engine: str
    duration_seconds: float
    cached: bool


class Engine(Protocol):
    """A voice: turns one piece of text into mono float samples at some sample rate."""

    name: str
    voice: str

    def speak(self, text: str) -> tuple[Samples, int]: ...


class GttsEngine:
    """Google Translate's voice through gTTS: natural, but online only (British, slow)."""

    name = "gtts"
    voice = "en/co.uk/slow"

    def __init__(self, timeout: float = GTTS_TIMEOUT) -> None:
        self.timeout = timeout

    def speak(self, text: str) -> tuple[Samples, int]:
        try:
            from gtts import gTTS, gTTSError
        except ImportError as exc:
            raise RenderError("gTTS is not installed: pip install gtts") from exc
        try:
            tts = gTTS(
                text, tld="co.uk", lang="en", slow=True, lang_check=False, timeout=self.timeout
            )
            # gTTS sends text over 100 characters as several requests, one MP3 each;
            # decode them one by one, as each may carry its own length header.
            clips = [_decode_mp3(chunk) for chunk in tts.stream()]
        except (gTTSError, AssertionError, OSError, sf.LibsndfileError) as exc:  # OSError: requests
            raise RenderError(f"gTTS gave no audio ({type(exc).__name__})") from exc
        if not clips:
            raise RenderError("gTTS gave no audio")
        return _join(clips, pause=0.0)


def _decode_mp3(data: bytes) -> tuple[Samples, int]:
    samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return samples.mean(axis=1).astype(np.float32), int(rate)  # mono


def _resample(samples: Samples, src: int, dst: int) -> Samples:
    """Linear interpolation: plenty for speech, and no extra dependency."""
    if src == dst or samples.size == 0:
        return samples
    n = round(samples.size * dst / src)
    where = np.arange(n, dtype=np.float64) * (src / dst)
    return np.interp(where, np.arange(samples.size), samples).astype(np.float32)


def _join(clips: Sequence[tuple[Samples, int]], pause: float) -> tuple[Samples, int]:
    """Put the clips one after another (at the first clip's rate) with ``pause`` s between."""
    rate = clips[0][1]
    gap = np.zeros(round(pause * rate), dtype=np.float32)
    pieces: list[Samples] = []
    for i, (samples, src) in enumerate(clips):
        if i:
            pieces.append(gap)
        pieces.append(_resample(samples, src, rate))
    return np.concatenate(pieces), rate


def _encode(samples: Samples, rate: int, fmt: str) -> bytes:
    """Encode in memory; Opus and MP3 only take some sample rates, so resample if needed."""
    allowed = OPUS_RATES if fmt == "ogg" else MP3_RATES if fmt == "mp3" else (rate,)
    target = rate if rate in allowed else min((r for r in allowed if r >= rate), default=48000)
    samples = np.clip(_resample(samples, rate, target), -1.0, 1.0)
    container, subtype = _SOUNDFILE[fmt]
    # Opus at 0.8 is about 55 kbit/s: 3x faster to encode than libsndfile's ~30 kbit/s default.
    level = 0.8 if fmt == "ogg" else None
    buf = io.BytesIO()
    try:
        sf.write(buf, samples, target, format=container, subtype=subtype, compression_level=level)
    except (sf.LibsndfileError, TypeError, ValueError) as exc:
        raise RenderError(f"Could not write {fmt} audio ({exc})") from exc
    return buf.getvalue()


def _is_picture(ch: str) -> bool:
    """Emoji and pictographs (not ©, ° or £, which voices read well)."""
    code = ord(ch)
    return (
        (unicodedata.category(ch) == "So" and code >= 0x2190)
        or ch in "\u200d\u20e3\ufe0e\ufe0f"  # joiner, keycap, text/emoji style
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # flag tags
    )


def _tidy(text: str) -> str:
    """Control characters become spaces (a NUL would cut eSpeak's text); spaces collapse."""
    chars = (" " if unicodedata.category(c) in ("Cc", "Cs", "Co") else c for c in text)
    return " ".join("".join(chars).split())


def _speakable(text: str) -> str:
    """Drop emoji from text that has words; keep an emoji-only answer so its name is said."""
    text = _tidy(text)
    words = _tidy("".join(" " if _is_picture(c) else c for c in text))
    return words if any(c.isalnum() for c in words) else text


def _sentence(text: str) -> str:
    return text if not text or text[-1] in ".!?" else f"{text}."


def profile_speech(profile: Profile) -> list[str]:
    """The words to speak for a whole profile: one part for the title, one per section.

    "All about {name}." (the document's title), then each part's heading, if it has parts, and
    each section's heading and its items, each item a sentence,
    an item from someone else led by "{said_by} says". The person's words stay as typed, but
    emoji are dropped from an item that has words: eSpeak reads emoji by their long names
    ("grinning face with smiling eyes"), which breaks up the sentence. An item of emoji only
    is kept, so its names are said rather than nothing. Sections with nothing to say are left out.
    """
    parts = [_sentence(_speakable(profile.title))]
    if profile.made_by:
        parts.append(_sentence(_speakable(profile.made_by)))
    part = ""
    for section in profile.sections:
        items = [(_speakable(item.whose), _speakable(item.text)) for item in section.items]
        sentences = [_sentence(f"{whose} {said}".strip()) for whose, said in items if said]
        if sentences:
            if section.part and section.part != part:  # a document in parts: say each part
                part = section.part
                parts.append(_sentence(_speakable(part)))
            parts.append(" ".join([_sentence(_speakable(section.heading)), *sentences]))
    return parts


def speak_question(
    text: str,
    out: Path,
    fmt: str = "ogg",
    engine: str | None = None,
    settings: Settings | None = None,
) -> SpeechResult:
    """Speak one question (a Telegram voice note by default); each line is a part."""
    lines = [_speakable(line) for line in text.splitlines()]
    return synthesize([line for line in lines if line], out, fmt, engine, settings)


def _cache_file(
    folder: Path, engine: Engine, fmt: str, parts: Sequence[str], keys: Keyring | None
) -> Path:
    key = json.dumps([_CACHE_VERSION, engine.name, engine.voice, fmt, list(parts)])
    name = keys.file_name(key) if keys else hashlib.sha256(key.encode("utf-8")).hexdigest()
    return folder / f"{name}.{fmt}"


def _write_atomic(path: Path, data: bytes) -> None:
    """Write beside ``path`` and rename, so no reader ever sees half a file (0600, as
    ``mkstemp`` makes it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".speech-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _deliver(out: Path, data: bytes, engine: str, cached: bool) -> SpeechResult:
    """Write the audio to ``out`` and measure what was written."""
    try:
        _write_atomic(out, data)
        duration = float(sf.info(str(out)).duration)
    except OSError as exc:
        raise RenderError(f"Could not write {out.name} ({exc.strerror})") from exc
    except sf.LibsndfileError as exc:
        raise RenderError(f"The audio written to {out.name} does not open") from exc
    return SpeechResult(out, engine, duration, cached)


def synthesize(
    parts: Sequence[str],
    out: Path,
    fmt: str = "mp3",
    engine: str | None = None,
    settings: Settings | None = None,
) -> SpeechResult:
    """Speak ``parts`` (with a pause between them) into ``out`` as mp3, ogg (Opus) or wav.

    ``engine`` None means ``settings.tts``. Raises ``RenderError`` when speech is "off", when
    there is nothing to say, or when the chosen engine (the last one, on "auto") fails.
    """
    data, voice, cached = _spoken(parts, fmt, engine, settings)
    return _deliver(Path(out), data, voice, cached)


def question_sound(
    text: str, fmt: str = "ogg", engine: str | None = None, settings: Settings | None = None
) -> bytes:
    """One question's sound (a Telegram voice note by default), as bytes: sent from memory,
    so no file of it is left to remove (only the sealed cache keeps it)."""
    lines = [_speakable(line) for line in text.splitlines()]
    return _spoken([line for line in lines if line], fmt, engine, settings)[0]


def _spoken(
    parts: Sequence[str], fmt: str, engine: str | None, settings: Settings | None
) -> tuple[bytes, str, bool]:
    """The sound of ``parts``: (its bytes, the voice that spoke, whether it was cached)."""
    settings = settings or Settings.from_env()
    choice = (engine or settings.tts).lower()
    if choice not in ENGINES:
        raise RenderError(f"Unknown speech engine {choice!r}: use one of {', '.join(ENGINES)}")
    if fmt not in FORMATS:
        raise RenderError(f"Unknown audio format {fmt!r}: use one of {', '.join(FORMATS)}")
    if choice == "off":
        raise RenderError("Speech is off (PLANBOT_TTS=off): check settings.tts before asking")
    said = [t for t in (_tidy(p) for p in parts) if t]
    if not said:
        raise RenderError("There is nothing to say")
    folder = settings.data_dir / "cache" / "audio"
    gtts: list[Engine] = [GttsEngine(AUTO_GTTS_TIMEOUT if choice == "auto" else GTTS_TIMEOUT)]
    espeak: list[Engine] = [EspeakEngine()]
    voices = {"auto": gtts + espeak, "gtts": gtts, "espeak": espeak}[choice]
    keys = keys_of(settings)
    for voice in voices:
        cached = _cache_file(folder, voice, fmt, said, keys)
        try:
            hit = open_file(cached.read_bytes(), keys)
        except (OSError, SealError):  # not cached (or unreadable, or an old key's)
            continue
        with contextlib.suppress(OSError):
            os.utime(cached)  # used now: the last to go when the cache is trimmed
        return hit, voice.name, True

    for voice in voices:
        try:
            samples, rate = _join([voice.speak(p) for p in said], PAUSE_SECONDS)
            break
        except RenderError as exc:
            if voice is voices[-1]:
                raise
            log.warning("speech: %s failed (%s); using %s", voice.name, exc, voices[-1].name)
    data = _encode(samples, rate, fmt)
    try:
        for private in (settings.data_dir, folder.parent, folder):  # data, cache, audio
            private_folder(private)
        _write_atomic(_cache_file(folder, voice, fmt, said, keys), seal_file(data, keys))
        trim_cache(folder, settings.sound_cache_mb * 1024 * 1024)
    except OSError as exc:  # a cache that cannot be written must not stop the audio
        log.warning("speech: audio cache not written (%s)", exc.strerror)
    return data, voice.name, False


# Words a minute the slowest voice says (gTTS "slow"; eSpeak is set to 140): an estimate errs
# on the long side, so "About 2 minutes" is not a 3-minute wait.
_ESTIMATE_WPM = 110


def sound_seconds(data: bytes) -> float | None:
    """How long a sound file (mp3, ogg, wav) plays, read from its header; None if it does not
    open."""
    try:
        return float(sf.info(io.BytesIO(data)).duration)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
        return None


def estimate_seconds(parts: Sequence[str]) -> float:
    """About how long ``parts`` take to say, from their words and the pauses between them.

    Why: the page shows the sound's length before the sound has been made (it is made when
    someone first asks for it); once it is made, its real length is used instead.
    """
    said = [t for t in (_tidy(p) for p in parts) if t]
    words = sum(len(t.split()) for t in said)
    return words * 60 / _ESTIMATE_WPM + PAUSE_SECONDS * max(len(said) - 1, 0)


def listen_length(seconds: float) -> str:
    """The length in easy-read words: "About 1 minute", "About 3 minutes" (digits, whole
    minutes), or "Less than 1 minute"."""
    if seconds < 45:
        return "Less than 1 minute"
    minutes = max(1, round(seconds / 60))
    return f"About {minutes} minute{'' if minutes == 1 else 's'}"


def clear_cache(settings: Settings | None = None) -> int:
    """Delete every cached audio file (they hold people's words); return how many went."""
    folder = (settings or Settings.from_env()).data_dir / "cache" / "audio"
    files = [p for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []
    for path in files:
        path.unlink(missing_ok=True)
    return len(files)
