"""Fetch a photo someone sent by MMS from Twilio, checked before anything is kept.

Why so careful: the bytes come from the internet and end up on a web page. Only HTTPS URLs on
Twilio's own hosts are fetched (with the account's credentials, which ``requests`` drops if
Twilio redirects to its file store on another host); the size is capped while reading, and the
type is taken from the file's first bytes, not from what the sender claims. Every photo kept
(by MMS or Telegram: both go through ``checked_photo``) is opened and saved afresh by Pillow,
so only its pixels are kept: its EXIF (the GPS location where it was taken, the camera, the
time), comments and any other hidden data are not.
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from PIL import Image, ImageOps

log = logging.getLogger("planbot.media")

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000  # a 5 MB file can claim far more: it would take GBs to open
JPEG_QUALITY = 90
PHOTO_TYPES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}
FETCH_TIMEOUT = 10.0  # seconds: Twilio waits 15 for the whole webhook answer
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FetchedPhoto:
    """A photo that passed the checks (``problem`` None), or why it did not."""

    data: bytes = b""
    content_type: str = ""
    problem: str | None = None  # a message key in messages.toml: photo_type, photo_big, ...


def is_photo_type(content_type: str) -> bool:
    """True for the picture types planbot keeps (JPEG and PNG)."""
    return content_type.split(";")[0].strip().lower() in PHOTO_TYPES


def is_twilio_url(url: str) -> bool:
    """Only Twilio's own HTTPS hosts are asked for media."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and (host == "twilio.com" or host.endswith(".twilio.com"))


def sniff(data: bytes) -> str | None:
    """The picture type from the file's first bytes."""
    for content_type, magic in PHOTO_TYPES.items():
        if data.startswith(magic):
            return content_type
    return None


def fetch_photo(
    url: str,
    *,
    account_sid: str | None,
    auth_token: str | None,
    timeout: float = FETCH_TIMEOUT,
) -> FetchedPhoto:
    """Download the photo at ``url`` (a Twilio media URL) and check its size and type."""
    if not is_twilio_url(url) or not account_sid or not auth_token:
        log.warning("photo not fetched: not a Twilio media URL, or no Twilio credentials")
        return FetchedPhoto(problem="photo_failed")
    try:
        with requests.get(
            url, auth=(account_sid, auth_token), stream=True, timeout=timeout
        ) as response:
            if response.status_code != 200:
                log.warning("photo not fetched: Twilio answered %s", response.status_code)
                return FetchedPhoto(problem="photo_failed")
            claimed = response.headers.get("Content-Type", "")
            if claimed and not is_photo_type(claimed):
                return FetchedPhoto(problem="photo_type")
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > MAX_PHOTO_BYTES:
                return FetchedPhoto(problem="photo_big")
            data = bytearray()
            for chunk in response.iter_content(_CHUNK):
                data += chunk
                if len(data) > MAX_PHOTO_BYTES:
                    return FetchedPhoto(problem="photo_big")
    except requests.RequestException as exc:
        log.warning("photo not fetched: %s", type(exc).__name__)
        return FetchedPhoto(problem="photo_failed")
    return checked_photo(bytes(data))


def checked_photo(data: bytes) -> FetchedPhoto:
    """The downloaded bytes as a photo to keep (its pixels only, saved afresh), or why not (too
    big, not a JPEG or PNG, or not a picture that opens)."""
    if len(data) > MAX_PHOTO_BYTES:
        return FetchedPhoto(problem="photo_big")
    kind = sniff(data[:16])
    if kind is None:
        return FetchedPhoto(problem="photo_type")
    return reencoded(data, kind)


def reencoded(data: bytes, kind: str) -> FetchedPhoto:
    """The photo saved afresh by Pillow, as the same type: the pixels, turned the way the
    camera said (its EXIF orientation), and nothing else of the file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                if opened.width * opened.height > MAX_PHOTO_PIXELS:
                    return FetchedPhoto(problem="photo_big")
                image = ImageOps.exif_transpose(opened)  # a copy, upright
        image.info = {}  # EXIF, comments, XMP, text chunks: none of it is saved
        out = io.BytesIO()
        if kind == "image/jpeg":
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            image.save(out, "JPEG", quality=JPEG_QUALITY)
        else:
            image.save(out, "PNG")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return FetchedPhoto(problem="photo_big")
    except Exception as exc:  # a broken file makes Pillow raise many kinds of error
        log.info("photo refused: it does not open (%s)", type(exc).__name__)
        return FetchedPhoto(problem="photo_type")
    return FetchedPhoto(out.getvalue(), kind)
