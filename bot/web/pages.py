"""Private profile pages behind ``/p/<token>``: the page, and its PDF, picture and sound.

``/p/<token>`` is the page with pictures, ``/p/<token>.words`` the same page without them
(some people find pictures distracting), ``.pdf`` to print, ``.png``, ``.mp3`` and ``.txt``.
A voice note kept as an answer plays from ``/p/<token>/voice/<answer id>.ogg``, behind the
same token: only the link's own person's notes, and the same 404 for anything else.
The page links to its words-only and PDF forms, so a person can reach them from the one link.
``/r/<token>`` (and ``.pdf``, ``.words``, ...) is the same person's review sheet, "Getting
ready for Amy's review", behind the same kind of link: the link sent at the end of a review
preparation opens it (the token opens the person's plan; the path says which document).

Why these rules: the link is the only key to someone's profile. A wrong, expired or turned-off
token gets the very same 404 page, so the answer tells a guesser nothing. Every answer asks not
to be indexed, cached or passed on as a referrer, and the page may load nothing from elsewhere
(its styles and pictures are inside it: the policy is ``bot/web/hardening.py``'s). Each link,
and each client over all links, may be opened ``PLANBOT_LINK_VIEWS_PER_MINUTE`` times a minute
(twice that for a client); past it the answer is 429 with ``Retry-After``.

The page is ``easyread.html``'s; the PDF, picture and sound are made by ``easyread.files``, the
one place that knows each format's recipe. Every form is made in a child process, stopped
after ``PLANBOT_RENDER_SECONDS`` (``bot._renders``), and kept by what it shows
(``storage.cached_render``): asked for again, the same file comes back at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
import tempfile
from datetime import datetime
from pathlib import Path

from fastapi.responses import Response

import storage
from bot._renders import (
    Kept,
    keep,
    kept_render,
    mark_too_slow,
    render_bounded,
    too_slow_lately,
)
from easyread import Profile, build_profile, build_review
from easyread.files import fingerprint, write_profile
from easyread.html import listen_script_version, render_html
from easyread.speech import estimate_seconds, listen_length, profile_speech, sound_seconds
from easyread.text import render_text
from planbot.errors import PlanbotError, RenderBusy, RenderError, RenderTimeout
from planbot.settings import Settings

log = logging.getLogger("planbot.web")

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
VOICE_PATTERN = re.compile(r"^([A-Za-z0-9_-]{20,100})/voice/([0-9]{1,12})\.ogg$")
FORMATS = {
    "html": "text/html; charset=utf-8",
    "words": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "png": "image/png",
    "mp3": "audio/mpeg",
    "txt": "text/plain; charset=utf-8",
}
PRIVATE_HEADERS = {  # beside the security headers every answer gets (bot/web/hardening.py)
    "X-Robots-Tag": "noindex, nofollow, noarchive",
    "Cache-Control": "no-store, max-age=0",
    "Pragma": "no-cache",
}
NOT_FOUND_PAGE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>This link does not work</title>
<style>body{font-family:Arial,Helvetica,sans-serif;font-size:18pt;line-height:1.5;
max-width:36em;margin:2em auto;padding:0 1em;color:#111;background:#fff}</style>
</head>
<body>
<h1>Sorry. This link does not work.</h1>
<p>The link may be old. Or someone turned it off.</p>
<p>To get a new link, send PROFILE to planbot by text.</p>
</body>
</html>
"""
# The big "Listen" button's script: the one script a page runs, allowed by the policy
# (``script-src 'self'``), kept long by browsers (its address changes with its content).
LISTEN_SCRIPT_PATH = "/static/listen.js"
SCRIPT_HEADERS = {"Cache-Control": "public, max-age=31536000, immutable"}
UNAVAILABLE_TEXT = "Sorry. This file cannot be made just now. Please try again later.\n"


def not_found() -> Response:
    """The one answer to a link that does not open (wrong, old, turned off): whatever kind of
    link it was, it looks the same, so the answer says nothing about which tokens exist."""
    return Response(
        NOT_FOUND_PAGE, status_code=404, media_type=FORMATS["html"], headers=PRIVATE_HEADERS
    )


@dataclasses.dataclass(frozen=True)
class PageData:
    """What a profile page needs from the database (read first, rendered afterwards)."""

    profile: Profile
    photo: storage.Photo | None
    person_id: int = 0
    sound_seconds: float | None = None  # the page's sound, when it has been made already


def split_name(name: str) -> tuple[str, str] | None:
    """ "TOKEN" -> (TOKEN, "html"); "TOKEN.pdf" -> (TOKEN, "pdf"); None if it cannot be one."""
    token, dot, fmt = name.partition(".")
    fmt = fmt.lower() if dot else "html"
    if fmt not in FORMATS or not TOKEN_PATTERN.match(token):
        return None
    return token, fmt


def split_voice(name: str) -> tuple[str, int] | None:
    """ "TOKEN/voice/12.ogg" -> (TOKEN, 12); None if it is not a voice note's address."""
    found = VOICE_PATTERN.match(name)
    return (found.group(1), int(found.group(2))) if found else None


def load_voice(
    db: storage.Database, token: str, answer_id: int, now: datetime | None = None
) -> storage.VoiceClip | None:
    """The voice note behind a token, or None (wrong token, someone else's, deleted)."""
    with db.transaction() as session:
        return storage.voice_note_for_token(session, token, answer_id, now)


def load_data(db: storage.Database, token: str, now: datetime | None = None) -> bytes | None:
    """Everything kept about the person a data link opens (``/d/<token>``, from "send me my
    data"), as JSON; None for a wrong, expired or revoked token, or a profile link's."""
    with db.transaction() as session:
        person = storage.person_for_token(session, token, now, kind=storage.DATA_LINK)
        if person is None:
            return None
        storage.note_unnamed(
            session, person, "exported", "data", by_role=storage.LINK, channel="web", now=now
        )
        return storage.export_json(session, person).encode("utf-8")


def load_page(
    db: storage.Database,
    token: str,
    now: datetime | None = None,
    document: str = "profile",
    fmt: str = "html",
) -> PageData | None:
    """The profile a token opens (or, with ``document="review"``, the review sheet: the
    ``/r/<token>`` pages), or None for a wrong, expired or revoked token. Each opening is in
    the person's audit log ("someone with a link saw the profile's PDF")."""
    build = build_review if document == "review" else build_profile
    with db.transaction() as session:
        person = storage.person_for_token(session, token, now)
        if person is None:
            return None
        seen = storage.document_seen(document, fmt)
        storage.note_unnamed(
            session, person, "saw", seen, by_role=storage.LINK, channel="web", now=now
        )
        photo = storage.person_photo(session, person)
        return PageData(build(session, person), photo, person.id or 0)


def render_page(
    db: storage.Database, data: PageData, fmt: str, token: str, settings: Settings
) -> tuple[bytes, str]:
    """The file for ``fmt`` as (bytes, media type): the kept one, or made (bounded) and kept
    (if the person and what it shows are still there when it is made: ``keep``).

    Blocks: call it from a worker thread. Raises ``RenderError`` when a renderer fails and
    ``RenderTimeout`` when it takes too long (the caller answers 503).
    """
    content = fingerprint(data.profile, data.photo.data if data.photo else b"", settings)
    # A page holds its own links (with the token); the other forms are the same for any link.
    variant = fmt
    if fmt in ("html", "words"):
        variant = f"{fmt}-{hashlib.sha256(token.encode()).hexdigest()[:16]}"
    where = Kept(data.person_id, data.profile.document, content, with_photo=True)
    found = kept_render(settings, where, variant)
    if found is not None:
        return found, FORMATS[fmt]
    if fmt in ("html", "words") and settings.tts != "off":  # the page says how long its sound is
        sound = kept_render(settings, where, "mp3")
        data = dataclasses.replace(data, sound_seconds=sound_seconds(sound) if sound else None)
    if too_slow_lately(settings, where, variant):
        raise RenderTimeout(f"the {fmt} took too long to make a short while ago")
    try:
        made = render_bounded(
            make_page,
            data,
            fmt,
            token,
            settings,
            seconds=settings.render_seconds,
            data_dir=settings.data_dir,
        )
    except RenderBusy:
        raise
    except RenderTimeout:
        mark_too_slow(settings, where, variant)
        raise
    keep(db, settings, where, variant, made)
    return made, FORMATS[fmt]


def make_page(data: PageData, fmt: str, token: str, settings: Settings) -> bytes:
    """The file for ``fmt``, made now (in the render's child process)."""
    with tempfile.TemporaryDirectory(prefix="planbot-page-") as folder:
        work = Path(folder)
        profile = data.profile
        if data.photo is not None:
            suffix = ".png" if data.photo.content_type == "image/png" else ".jpg"
            photo = work / f"photo{suffix}"
            photo.write_bytes(data.photo.data)
            profile = dataclasses.replace(profile, photo=photo)
        try:
            made = _render(profile, fmt, token, settings, work, data.sound_seconds)
        except PlanbotError:
            raise
        except Exception as exc:  # a renderer's own library failed: keep the person's words out
            raise RenderError(f"the {fmt} renderer failed: {type(exc).__name__}") from exc
    return made


def listen_words(profile: Profile, seconds: float | None) -> str:
    """How long the page's sound is ("About 2 minutes"): its real length once it has been
    made, before that an estimate from its words (the sound is made when first asked for)."""
    return listen_length(seconds if seconds else estimate_seconds(profile_speech(profile)))


def _render(
    profile: Profile,
    fmt: str,
    token: str,
    settings: Settings,
    work: Path,
    seconds: float | None = None,
) -> bytes:
    if fmt == "txt":
        return render_text(profile).encode("utf-8")
    if fmt in ("html", "words"):
        # Addresses relative to /p/<token> (or /r/), so they work behind any host name.
        sound = settings.tts != "off"
        page = render_html(
            profile,
            words_only=fmt == "words",
            audio_url=f"{token}.mp3" if sound else None,
            pdf_url=f"{token}.pdf",
            words_only_url=f"{token}.words",
            pictures_url=token,
            voice_url=f"{token}/voice",
            script_url=f"..{LISTEN_SCRIPT_PATH}?v={listen_script_version()}" if sound else None,
            listen_length=listen_words(profile, seconds) if sound else None,
        )
        return page.encode("utf-8")
    return write_profile(profile, fmt, work / f"profile.{fmt}", settings=settings).read_bytes()
