"""Write a profile's files: the one place that knows which renderer makes which format.

Why: ``planbot profile``, ``planbot demo`` and the web pages all ask for "this profile as a
PDF" (or a page, a picture, text or sound); each format's recipe lives here once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from pathlib import Path

import planbot
from easyread._model import Profile
from easyread.html import render_html
from easyread.pdf import render_pdf
from easyread.phone import phone_pictures
from easyread.speech import profile_speech, synthesize
from easyread.text import render_text
from planbot.errors import RenderError
from planbot.private import private_file, private_folder, touch_private
from planbot.settings import Settings

FORMATS = ("html", "pdf", "png", "txt", "mp3", "ogg")
AUDIO_FORMATS = ("mp3", "ogg")


def write_profile(
    profile: Profile,
    fmt: str,
    out: Path,
    *,
    settings: Settings,
    words_only: bool = False,
    audio_url: str | None = None,
) -> Path:
    """Write ``profile`` as ``fmt`` to ``out`` (0600: it is personal) and return its path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        html = render_html(profile, words_only=words_only, audio_url=audio_url)
        out.write_text(html, encoding="utf-8")
    elif fmt == "txt":
        out.write_text(render_text(profile) + "\n", encoding="utf-8")
    elif fmt == "pdf":
        render_pdf(profile, out, words_only=words_only)
    elif fmt == "png":  # picture 1 of the phone pictures ("Picture 1 of 3" if there are more)
        out.write_bytes(phone_pictures(profile, words_only=words_only, first_only=True)[0])
    elif fmt in AUDIO_FORMATS:
        if settings.tts == "off":
            raise RenderError("Speech is off (PLANBOT_TTS=off), so there is no audio.")
        synthesize(profile_speech(profile), out, fmt, settings=settings)
    else:
        raise RenderError(f"Unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    return private_file(out)


def profile_bytes(
    profile: Profile, fmt: str, settings: Settings, *, words_only: bool = False
) -> bytes:
    """``profile`` as ``fmt``, as bytes (made in a folder of its own, removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="planbot-render-") as folder:
        out = write_profile(
            profile, fmt, Path(folder) / f"profile.{fmt}", settings=settings, words_only=words_only
        )
        return out.read_bytes()


def profile_pictures(profile: Profile, words_only: bool = False) -> list[bytes]:
    """All the phone pictures of ``profile`` (PNG), in order: one for most profiles, one per
    group of topics for a long one. ``png`` (the file, the link) is the first of them; a chat
    (Telegram) sends them all."""
    return phone_pictures(profile, words_only=words_only)


def write_pictures(profile: Profile, out: Path, *, words_only: bool = False) -> list[Path]:
    """Write every phone picture of ``profile`` (0600): picture 1 at ``out``, the others beside
    it as ``<name>-2.png`` and on (a long profile is several). Returns their paths in order.

    Why: ``planbot profile NAME --format png --out dev.png`` must not give "Picture 1 of 3"
    alone, with no way to the other 2.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for number, picture in enumerate(phone_pictures(profile, words_only=words_only), start=1):
        path = out if number == 1 else out.with_name(f"{out.stem}-{number}{out.suffix}")
        touch_private(path).write_bytes(picture)  # 0600 before any word is in it
        written.append(path)
    return written


def fingerprint(profile: Profile, photo: bytes = b"", settings: Settings | None = None) -> str:
    """A hash of everything a rendered file of ``profile`` shows: its words, headings, the
    photo's bytes, planbot's version (renderers change) and the voice setting (sound).

    Why: rendered files are kept by this key, so a changed answer never gets an old file.
    """
    digest = hashlib.sha256()
    shown = dataclasses.replace(profile, photo=None)
    for part in (planbot.__version__, settings.tts if settings else "", repr(shown)):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(hashlib.sha256(photo).digest())
    if profile.photo is not None:
        digest.update(hashlib.sha256(Path(profile.photo).read_bytes()).digest())
    return digest.hexdigest()[:40]


def write_profile_files(
    profile: Profile, folder: Path, *, settings: Settings, stem: str = "profile"
) -> dict[str, Path]:
    """Write the page, PDF, pictures, text and (unless speech is off) the MP3 into ``folder``.

    The page's sound player points at the MP3 beside it. The folder is 0700, the files 0600.
    The phone pictures are ``png`` (``profile.png``), then ``png_2`` (``profile-2.png``) and
    so on when a long profile needs more than one.
    """
    private_folder(folder)
    formats = [f for f in ("mp3", "pdf", "png", "txt") if f != "mp3" or settings.tts != "off"]
    written: dict[str, Path] = {}
    for fmt in formats:
        if fmt == "png":
            for number, picture in enumerate(profile_pictures(profile), start=1):
                key = "png" if number == 1 else f"png_{number}"
                path = folder / (f"{stem}.png" if number == 1 else f"{stem}-{number}.png")
                touch_private(path).write_bytes(picture)  # 0600 before any word is in it
                written[key] = path
        else:
            written[fmt] = write_profile(profile, fmt, folder / f"{stem}.{fmt}", settings=settings)
    audio = written["mp3"].name if "mp3" in written else None
    written["html"] = write_profile(
        profile, "html", folder / f"{stem}.html", settings=settings, audio_url=audio
    )
    written["words_only_html"] = write_profile(
        profile, "html", folder / f"{stem}-words-only.html", settings=settings, words_only=True
    )
    return written
