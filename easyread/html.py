"""The profile as one self-contained, accessible HTML page (the web page, and the PDF's source).

Why one file: the page is sent as a link, a download or turned into a PDF, so its styles and
pictures are inside it (CSS inline, OpenMoji pictures as ``data:`` URIs). Jinja's autoescape
is on: everything a person typed is shown, never run.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from easyread._model import WHOSE, Profile, ProfileItem, ProfileSection
from easyread.icons import (
    OPENMOJI_CREDIT,
    OPENMOJI_LICENCE_NAME,
    OPENMOJI_LICENCE_URL,
    OPENMOJI_URL,
    emoji_runs,
    icon_data_uri,
)
from easyread.item_pictures import item_picture, starts_with_emoji
from planbot.errors import RenderError

MIN_BODY_PT = 16.0
# Large print ("bigger writing", ``Profile.large``): body text and every smaller text at 24pt.
LARGE_PT = 24.0
_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_PHOTO_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif",
}
_PHOTO_MAX_BYTES = 8 * 1024 * 1024
# The one script a page may run (the big "Listen" button), served by planbot as a file: the
# page's policy allows scripts from planbot itself and nothing inline.
LISTEN_SCRIPT = Path(__file__).with_name("static") / "listen.js"


@cache
def listen_script() -> bytes:
    """The "Listen" button's script, as served."""
    return LISTEN_SCRIPT.read_bytes()


def listen_script_version() -> str:
    """A short hash of the script: its address changes when it does, so it can be cached long."""
    return hashlib.sha256(listen_script()).hexdigest()[:12]


@dataclass(frozen=True)
class Style:
    """Sizes for one layout step: body text in points, a spacing factor (1 = roomy) and the
    smallest text allowed (``floor_pt``: the credit line and the page numbers use it).

    Why steps: the PDF shrinks spacing and type a step at a time to fit one page, but body
    text never goes below 16pt (the easy-read minimum), nor below 24pt in large print.
    """

    body_pt: float = 18.0
    space: float = 1.0
    floor_pt: float = MIN_BODY_PT

    def __post_init__(self) -> None:
        if self.floor_pt < MIN_BODY_PT:
            raise ValueError(f"no text may be smaller than {MIN_BODY_PT}pt")
        if self.body_pt < self.floor_pt:
            raise ValueError(f"body text must be at least {self.floor_pt}pt")

    @property
    def line_height(self) -> float:
        return round(1.25 + 0.15 * self.space, 3)

    @property
    def h1_pt(self) -> float:
        return round(self.body_pt * 1.6, 1)

    @property
    def h2_pt(self) -> float:
        return round(self.body_pt * 1.25, 1)

    @property
    def icon_mm(self) -> float:
        """The topic picture: a third bigger than it was (16 + 8 x space), so it reads at a
        glance on paper and on a phone."""
        return round((16 + 8 * self.space) * 1.35, 1)

    @property
    def words_mm(self) -> float:
        """Where the words start: right of the picture, with a gap."""
        return round(self.icon_mm + 3 + 4 * self.space, 1)

    @property
    def photo_mm(self) -> float:
        return round(22 + 12 * self.space, 1)

    @property
    def margin_mm(self) -> float:
        return round(10 + 6 * self.space, 1)

    def gap_em(self, roomy: float) -> float:
        """A gap that shrinks with the spacing factor, from ``roomy`` em at factor 1."""
        return round(roomy * self.space, 3)


SCREEN = Style(18.0, 1.0)
# The web page in large print: a bigger base font (the page's sizes all follow it).
LARGE_SCREEN = Style(LARGE_PT, 1.0, LARGE_PT)


@dataclass(frozen=True)
class ItemView:
    """One item as the template shows it (``Markup`` only when emoji became pictures)."""

    text: str | Markup
    whose: Markup  # "Mum says", the name isolated (see ``_whose``), or empty
    audio_url: str = ""  # a voice note's sound, played in the item
    picture: str = ""  # the item's picture as a ``data:`` URI (easyread/item_pictures.py), or ""
    label: str = ""  # the item as plain text, for an attribute (``text`` may hold pictures)


@dataclass(frozen=True)
class SectionView:
    """One section as the template shows it, its picture as a ``data:`` URI."""

    key: str
    heading: str
    icon: str
    items: tuple[ItemView, ...]
    anchor: str = ""  # unique in the page (a key can come in 2 parts)
    part: str = ""  # the heading of the part it starts, or "" (see ``_view``)
    continues: int = 0  # in print, the page its later items are on ("More on page 2"), or 0


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("easyread", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def visible_sections(profile: Profile) -> tuple[ProfileSection, ...]:
    """The sections that have an item with words in it, with blank items left out."""
    shown = []
    for section in profile.sections:
        items = tuple(i for i in section.items if i.text.strip())
        if items:
            shown.append(dataclasses.replace(section, items=items))
    return tuple(shown)


def _with_emoji_pictures(text: str) -> Markup:
    """Escaped text with each emoji drawn as its OpenMoji picture (alt text: the emoji)."""
    out = Markup("")
    for run, code in emoji_runs(text):
        if code is None:
            out += escape(run)
        else:
            uri = icon_data_uri(code)
            out += Markup('<img class="emoji" src="{}" alt="{}">').format(uri, run)
    return out


def _has_emoji(text: str) -> bool:
    return any(code is not None for _, code in emoji_runs(text))


def _whose(item: ProfileItem, emoji_pictures: bool = False) -> Markup:
    """ "Mum says" with the name in its own ``<bdi>``: a name in a right-to-left script keeps
    "says" after it, and cannot reorder the words around it."""
    if not item.whose:
        return Markup("")
    name = _with_emoji_pictures(item.said_by) if emoji_pictures else item.said_by
    return Markup(escape(WHOSE)).format(name=Markup("<bdi>{}</bdi>").format(name))


def _view(
    sections: Iterable[ProfileSection],
    emoji_pictures: bool,
    voice_url: str | None = None,
    continues: Mapping[str, int] | None = None,
) -> list[SectionView]:
    def item(i: ProfileItem) -> ItemView:
        text = _with_emoji_pictures(i.text) if emoji_pictures else i.text
        # Only an id of digits goes in an address: nothing else could sneak into the URL.
        playable = voice_url is not None and i.audio.isdecimal() and i.audio.isascii()
        # A voice note's words are only a label ("A voice note from ..."): no picture. An item
        # that starts with the person's own emoji already shows that picture first.
        code = None if i.audio or starts_with_emoji(i.text) else item_picture(i.text)
        audio = f"{voice_url}/{i.audio}.ogg" if playable else ""
        picture = icon_data_uri(code) if code else ""
        return ItemView(text, _whose(i, emoji_pictures), audio, picture, i.text)

    views = []
    part = ""
    for s in sections:
        # A part's heading goes before its first section only.
        starts = s.part if s.part and s.part != part else ""
        part = s.part or part
        views.append(
            SectionView(
                s.key,
                s.heading,
                icon_data_uri(s.icon, s.heading),
                tuple(item(i) for i in s.items),
                s.anchor,
                starts,
                (continues or {}).get(s.anchor, 0),
            )
        )
    return views


def photo_data_uri(path: Path | None) -> str | None:
    """The person's photo as a ``data:`` URI, or None if there is no readable photo file."""
    if path is None:
        return None
    mime = _PHOTO_TYPES.get(path.suffix.lower())
    try:
        if mime is None or not path.is_file() or path.stat().st_size > _PHOTO_MAX_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None  # a missing photo must not stop the profile
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def page_html(
    profile: Profile,
    first: Sequence[ProfileSection],
    more: Sequence[ProfileSection] = (),
    *,
    words_only: bool = False,
    audio_url: str | None = None,
    photo_url: str | None = None,
    pdf_url: str | None = None,
    words_only_url: str | None = None,
    pictures_url: str | None = None,
    voice_url: str | None = None,
    for_print: bool = False,
    style: Style = SCREEN,
    emoji_pictures: bool = False,
    icons_as_backgrounds: bool = False,
    script_url: str | None = None,
    listen_length: str | None = None,
    continues: Mapping[str, int] | None = None,
    numbered: bool = False,
) -> str:
    """The page with ``first`` on page 1 and ``more`` under "More about me" (used by the PDF).

    ``continues`` maps the anchor of a section in ``first`` whose later items are in
    ``more`` to the page they are on: it says "More on page 2" under its items, so nobody
    thinks the topic ends there. ``numbered`` puts "Page 1 of 3" at the foot of every printed
    page (a profile of more than one page), so a page that comes loose can be put back.

    A document in parts (the review sheet) shows each part's heading before its first
    section, with the sections' headings a level below.

    ``emoji_pictures`` draws emoji as OpenMoji pictures (the PDF engine has no colour emoji
    font; a phone may have none either); ``icons_as_backgrounds`` makes section pictures CSS
    backgrounds, which a tagged PDF marks as decoration (an ``<img>`` would need alt text that
    repeats the heading). ``script_url`` adds the big "Listen" button (its script, the one a
    page may run, served by planbot) and ``listen_length`` says how long the sound is; neither
    is in print. Every form that shows an OpenMoji picture (a section's, or an emoji drawn as
    one, words-only too) carries the credit.
    """
    lang = profile.language if _LANG.match(profile.language or "") else "en-GB"
    shown = (*first, *more)
    emoji_drawn = emoji_pictures and (
        _has_emoji(profile.title)
        or any(
            _has_emoji(i.text) or (bool(i.whose) and _has_emoji(i.said_by))
            for s in shown
            for i in s.items
        )
    )
    title = _with_emoji_pictures(profile.title) if emoji_pictures else profile.title
    listen = audio_url is not None and not for_print
    context = {
        "lang": lang,
        "title": profile.title,
        "shown_title": title,
        "made_by": profile.made_by,
        "more_heading": profile.more_heading,
        "in_parts": any(s.part for s in (*first, *more)),
        "name": profile.name,
        "pictures": not words_only,
        # The person's own photo is on every form, words-only too: it says whose page it is.
        "photo_url": photo_url,
        "audio_url": audio_url if listen else None,
        "script_url": script_url if listen else None,
        "listen_length": listen_length if listen else None,
        "pdf_url": None if for_print else pdf_url,
        "words_only_url": None if for_print or words_only else words_only_url,
        "pictures_url": None if for_print or not words_only else pictures_url,
        "for_print": for_print,
        "first": _view(first, emoji_pictures, None if for_print else voice_url, continues),
        "numbered": numbered,
        "more": _view(more, emoji_pictures, None if for_print else voice_url),
        "st": style,
        "icons_as_backgrounds": icons_as_backgrounds,
        "openmoji_shown": not words_only or emoji_drawn,
        "credit": OPENMOJI_CREDIT,
        "openmoji_url": OPENMOJI_URL,
        "licence_name": OPENMOJI_LICENCE_NAME,
        "licence_url": OPENMOJI_LICENCE_URL,
    }
    try:
        return _env().get_template("profile.html.j2").render(context)
    except jinja2.TemplateError as exc:
        raise RenderError(f"the {profile.document} page template failed: {exc}") from exc


def render_html(
    profile: Profile,
    *,
    words_only: bool = False,
    audio_url: str | None = None,
    photo_url: str | None = None,
    pdf_url: str | None = None,
    words_only_url: str | None = None,
    pictures_url: str | None = None,
    voice_url: str | None = None,
    for_print: bool = False,
    script_url: str | None = None,
    listen_length: str | None = None,
) -> str:
    """The whole profile as one HTML page: "All about <name>", then a row per section. A
    profile in large print (``profile.large``) has a bigger base font (24pt body text).

    Args:
        profile: the profile to show; sections without items are left out.
        words_only: leave out all pictures (some people find them distracting).
        audio_url: add a "Listen to this page" player for this sound file.
        photo_url: the person's photo; if None, ``profile.photo`` is put inside the page.
        pdf_url: add a "Print this page" link to this file.
        words_only_url: add a "Words only" link to this page (not on the words-only page).
        pictures_url: on the words-only page, add a "Page with pictures" link back.
        voice_url: where voice notes are: an item that is one plays ``{voice_url}/{id}.ogg``.
        for_print: the page as printed (no sound player, no links to the other forms).
        script_url: the "Listen" button's script (``listen_script``, served by planbot): with
            ``audio_url``, a big "Listen" button plays and stops the sound. Without it, the
            browser's own player is there alone (it is there for people without scripts too).
        listen_length: how long the sound is, in words ("About 2 minutes": ``listen_length``
            in ``easyread.speech``).

    The person's emoji are drawn as OpenMoji pictures (with the emoji as alt text), so the
    page needs no emoji font on the phone.
    """
    photo = photo_url if photo_url is not None else photo_data_uri(profile.photo)
    return page_html(
        profile,
        visible_sections(profile),
        words_only=words_only,
        audio_url=audio_url,
        photo_url=photo,
        pdf_url=pdf_url,
        words_only_url=words_only_url,
        pictures_url=pictures_url,
        voice_url=voice_url,
        for_print=for_print,
        emoji_pictures=True,
        script_url=script_url,
        listen_length=listen_length,
        style=LARGE_SCREEN if profile.large else SCREEN,
    )
