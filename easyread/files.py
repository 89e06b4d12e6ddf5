"""Write a profile's files: the one place that knows which renderer makes which format.

Why: ``planbot profile``, ``planbot demo`` and the web pages all ask for "this profile as a
PDF" (or a page, a picture, text or sound); each format's recipe lives here once.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from easyread._model import Profile
from easyread.html import render_html
from easyread.pdf import render_pdf
from easyread.png import render_png
from easyread.speech import profile_speech, synthesize
from easyread.text import render_text
from planbot.errors import RenderError
from planbot.private import private_file, private_folder
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
    elif fmt == "png":
        with tempfile.TemporaryDirectory() as tmp:
            pdf = render_pdf(profile, Path(tmp) / "profile.pdf", words_only=words_only)
            render_png(pdf, out)
    elif fmt in AUDIO_FORMATS:
        if settings.tts == "off":
            raise RenderError("Speech is off (PLANBOT_TTS=off), so there is no audio.")
        synthesize(profile_speech(profile), out, fmt, settings=settings)
    else:
        raise RenderError(f"Unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    return private_file(out)


def write_profile_files(
    profile: Profile, folder: Path, *, settings: Settings, stem: str = "profile"
) -> dict[str, Path]:
    """Write the page, PDF, picture, text and (unless speech is off) the MP3 into ``folder``.

    The page's sound player points at the MP3 beside it. The folder is 0700, the files 0600.
    """
    private_folder(folder)
    formats = [f for f in ("mp3", "pdf", "png", "txt") if f != "mp3" or settings.tts != "off"]
    written: dict[str, Path] = {}
    for fmt in formats:
        out = folder / f"{stem}.{fmt}"
        if fmt == "png":  # the picture of the PDF just written: lay the page out only once
            written[fmt] = private_file(render_png(written["pdf"], out))
        else:
            written[fmt] = write_profile(profile, fmt, out, settings=settings)
    audio = written["mp3"].name if "mp3" in written else None
    written["html"] = write_profile(
        profile, "html", folder / f"{stem}.html", settings=settings, audio_url=audio
    )
    written["words_only_html"] = write_profile(
        profile, "html", folder / f"{stem}-words-only.html", settings=settings, words_only=True
    )
    return written
