"""The profile as pictures made for a phone screen: the ``png`` form, and what Telegram sends.

Why not page 1 of the PDF shrunk (as before): an A4 page drawn 1080 px wide has words 8 or
9 px high, too small to read on a phone without zooming. These pictures are laid out for the
phone: 1080 px wide, body text 48 px (a capital letter about 35 px), headings bigger, the
topic pictures beside the headings, the person's photo at the top, one column, high contrast.
The A4 look stays in the PDF.

How: WeasyPrint (which already makes the PDF) lays out a phone page written here, 1080 CSS px
wide; pypdfium2 draws it at 1 picture pixel per CSS px; the white below the last content is
cut off, so a picture is as tall as its profile. Why not Pillow drawing it directly: wrapping
lines, right-to-left scripts (``<bdi>``), font fallback and OpenMoji's SVG pictures would all
have to be written again; WeasyPrint's Pango does them, as it does for the PDF.

Why several pictures, each at most ``MAX_HEIGHT`` (2560 px) tall: Telegram shrinks a photo
whose longer side is over 2560 px (a 5000 px picture would come out with 25 px words again),
and a very tall picture is hard to find one's way in. A longer profile becomes one picture per
group of topics, each saying "Picture 1 of 3" at its top and whose profile it is. The groups
come from WeasyPrint itself: it lays the whole profile out on pages of that height, topics
kept whole where they fit (``break-inside: avoid``), and each item's anchor says which page it
landed on; each page's items then become a picture of their own. A profile that fits one
picture is laid out once.

Renders run in ``bot._renders.render_bounded`` child processes (stopped when too slow), and
nothing here logs: the pictures hold people's words.
"""

from __future__ import annotations

import dataclasses
import io
import math
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import jinja2
import pypdfium2 as pdfium
from markupsafe import Markup, escape
from PIL import Image, ImageChops

from easyread._model import WHOSE, Profile, ProfileItem, ProfileSection
from easyread.html import photo_data_uri, visible_sections
from easyread.icons import OPENMOJI_CREDIT, emoji_runs, icon_data_uri
from easyread.item_pictures import item_picture, starts_with_emoji
from planbot.errors import RenderError

WIDTH = 1080  # px: the width phones and chat apps show a picture at without scaling it up
MAX_HEIGHT = 2560  # px: the longest side Telegram keeps (it shrinks a taller photo)
BODY_PX = 48  # body text; a phone at reading distance needs 44 px or more
CREDIT = OPENMOJI_CREDIT
NUMBER = "Picture {number} of {count}"
MORE = "More in picture {number}"  # under a topic that goes on in the next picture
# A picture is laid out on a page this much taller than the most it should hold, so that it is
# always one page (an estimate below may be short by a line); the white is cut off after.
_ROOM = 2 * MAX_HEIGHT
# White kept below the last content, so the picture does not end at the footer's last pixel.
_BOTTOM_PX = 48
# Room kept at the top of pictures 2 and later for what they repeat ("Picture 2 of 3", the
# title), and at the bottom of each for the credit: the heights the CSS below gives them.
_NUMBER_PX = 48 + 44 + 2 * 8 + 2 * 4 + 28  # padding, one line, its padding, border, gap
_TITLE_LINE_PX = 77  # the later pictures' 64 px title, 1.2 lines high
_TITLE_CHARS = 22  # about this many 64 px bold letters fit on a line of 960 px
# A topic that goes on from the picture before starts again with its heading: the card's top
# border and padding, the picture beside the heading and the gap under it.
_HEADING_PX = 4 + 32 + 144 + 16
_CREDIT_PX = 40 + 3 * 44 + 48  # gap, up to 2 lines of the credit, the picture's last margin
# PNG compression: level 6 (Pillow's default) is much slower for little gain on flat colour.
_COMPRESS_LEVEL = 3
# A CSS px is 0.75 pt in the PDF: drawn at this scale, 1 CSS px is 1 picture pixel.
_SCALE = 4 / 3

_CSS = """
@page { size: {{ width }}px {{ page_px }}px; margin: 0 0 {{ bottom_px }}px; }
@page :first { margin-bottom: {{ first_bottom_px }}px; }
{% if later_top_px %}@page :nth(n+2) { margin-top: {{ later_top_px }}px; }{% endif %}
html { background: #ffffff; color: #111111; }
body {
  margin: 0;
  padding: 48px 60px 0;
  font-family: "DejaVu Sans", Verdana, "Liberation Sans", Arial, Helvetica, sans-serif;
  font-size: {{ body_px }}px;
  line-height: 1.35;
}
* { font-style: normal; hyphens: none; text-decoration: none; }
.number {
  display: inline-block;
  margin: 0 0 28px;
  padding: 8px 28px;
  border: 4px solid #111111;
  border-radius: 20px;
  font-size: 44px;
  font-weight: bold;
  line-height: 1;
}
header { display: flex; flex-wrap: wrap; align-items: center; gap: 16px 36px; margin: 0 0 40px; }
.photo {
  flex: none;
  width: 300px;
  height: 300px;
  object-fit: cover;
  border: 4px solid #111111;
  border-radius: 48px;
}
header h1 { flex: 1 1 0; min-width: 0; }
h1, h2, h3 { color: #0b2e59; font-weight: bold; margin: 0; line-height: 1.2; }
h1 { font-size: {{ 80 if first else 64 }}px; }
.made-by { flex: 0 0 100%; margin: 0; }
.part { font-size: 60px; margin: 0 0 28px; }
.topic {
  margin: 0 0 40px;
  padding: 32px 36px 20px;
  background: #fffbe6;
  border: 4px solid #111111;
  border-radius: 32px;
  break-inside: avoid;
}
.head {
  display: flex; align-items: center; gap: 28px; margin: 0 0 16px; break-after: avoid;
}
.icon { flex: none; width: 144px; height: 144px; }
h2, h3 { font-size: 60px; }
ul { margin: 0; padding: 0 0 0 1.1em; }
li { margin: 0 0 20px; break-inside: avoid; overflow-wrap: anywhere; }
.emoji { height: 1.15em; width: auto; vertical-align: -0.25em; }
.item-picture { height: 1.3em; width: 1.3em; vertical-align: -0.3em; margin-right: 0.2em; }
.more { margin: 0 0 20px; font-weight: bold; }
footer { margin: 40px 0 0; font-size: 44px; }
footer p { margin: 0; }
"""

_PAGE = (
    """<!DOCTYPE html>
<html lang="{{ lang }}">
<head><meta charset="utf-8"><title>{{ title }}</title>
<style>"""
    + _CSS
    + """</style></head>
<body>
{% if count > 1 %}<p class="number">{{ number_text }}</p>{% endif %}
<header>
{% if photo_url %}<img class="photo" src="{{ photo_url }}" alt="">{% endif %}
<h1>{{ title }}</h1>
{% if made_by %}<p class="made-by">{{ made_by }}</p>{% endif %}
</header>
{% for s in sections %}
{% if s.part %}<h2 class="part">{{ s.part }}</h2>{% endif %}
<section class="topic" id="s{{ s.index }}">
  <div class="head">
{% if s.icon %}    <img class="icon" src="{{ s.icon }}" alt="">
{% endif %}
    <h{{ s.level }}>{{ s.heading }}</h{{ s.level }}>
  </div>
  <ul>
{% for item in s.items %}
    <li id="i{{ s.index }}-{{ item.index }}">
{%- if item.picture %}<img class="item-picture" src="{{ item.picture }}" alt=""> {% endif -%}
{%- if item.whose %}<strong>{{ item.whose }}:</strong> {% endif -%}
<bdi>{{ item.text }}</bdi></li>
{% endfor %}
  </ul>
{% if s.more %}  <p class="more">{{ s.more }}</p>
{% endif %}</section>
{% endfor %}
{% if credit %}<footer><p>{{ credit }}</p></footer>{% endif %}
<div id="end"></div>
</body>
</html>
"""
)


@dataclasses.dataclass(frozen=True)
class _Item:
    index: int
    text: str  # Markup when the person's emoji are drawn as pictures
    whose: str  # Markup: "Mum says", or ""
    picture: str = ""  # the item's own picture (``easyread.item_pictures``) as a data URI


@dataclasses.dataclass(frozen=True)
class _Topic:
    index: int
    heading: str
    icon: str
    items: tuple[_Item, ...]
    level: int
    part: str
    more: str = ""  # "More in picture 3" when the topic goes on there


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    return env.from_string(_PAGE)


def _with_emoji(text: str) -> tuple[str, bool]:
    """The text escaped, each emoji in it drawn as its OpenMoji picture (the PDF engine has no
    colour emoji font, so an emoji would be an empty box); and whether there was one."""
    runs = emoji_runs(text)
    if all(code is None for _, code in runs):
        return text, False
    out = Markup("")
    for run, code in runs:
        if code is None:
            out += escape(run)
        else:
            out += Markup('<img class="emoji" src="{}" alt="{}">').format(icon_data_uri(code), run)
    return out, True


def _topics(
    sections: Sequence[ProfileSection], words_only: bool, more: Mapping[str, int] | None = None
) -> tuple[list[_Topic], bool]:
    """The sections as the page shows them (numbered, for their anchors), and whether an
    OpenMoji picture is in them (then the credit is due). ``more``: the picture where each
    topic that goes on is continued, by section key."""
    topics: list[_Topic] = []
    emoji = False
    part = ""
    in_parts = any(s.part for s in sections)
    for n, section in enumerate(sections):
        items = []
        for m, item in enumerate(section.items):
            text, has = _with_emoji(item.text)
            emoji = emoji or has
            # A picture for the idea, as on the page: none for a voice note, nor where the
            # person's own emoji starts the item (it is drawn already).
            code = None
            if not words_only and not item.audio and not starts_with_emoji(item.text):
                code = item_picture(item.text)
            picture = icon_data_uri(code) if code else ""
            items.append(_Item(m, text, _whose(item), picture))
        starts = section.part if section.part and section.part != part else ""
        part = section.part or part
        icon = "" if words_only else icon_data_uri(section.icon, section.heading)
        goes_on = (more or {}).get(section.key)
        note = MORE.format(number=goes_on) if goes_on else ""
        level = 3 if in_parts else 2
        topics.append(_Topic(n, section.heading, icon, tuple(items), level, starts, note))
    return topics, emoji or (not words_only and bool(sections))


def _whose(item: ProfileItem) -> str:
    """ "Mum says", the name in its own ``<bdi>`` (a right-to-left name keeps "says" after it)."""
    if not item.whose:
        return ""
    return Markup(escape(WHOSE)).format(name=Markup("<bdi>{}</bdi>").format(item.said_by))


def phone_html(
    profile: Profile,
    sections: Sequence[ProfileSection],
    *,
    number: int = 1,
    count: int = 1,
    words_only: bool = False,
    photo_url: str | None = None,
    page_px: int = _ROOM,
    later_top_px: int = 0,
    first_extra_px: int = 0,
    more: Mapping[str, int] | None = None,
) -> str:
    """One phone picture's page: "Picture 2 of 3" when there are several, the photo (picture 1
    only), the title, ``sections`` as cards with their pictures, and the credit.

    ``page_px``, ``later_top_px`` and ``first_extra_px`` are for finding the groups: the page
    height, the room kept at the top of pages 2 and later for what a later picture repeats,
    and the room kept on page 1 for the number "Picture 1 of 3" it would have.
    """
    topics, credit = _topics(sections, words_only, more)
    context = {
        "lang": profile.language or "en-GB",
        "title": profile.title,
        "made_by": profile.made_by if number == 1 else "",
        "photo_url": photo_url if number == 1 and not words_only else None,
        "first": number == 1,
        "number_text": NUMBER.format(number=number, count=count),
        "count": count,
        "sections": topics,
        "credit": CREDIT if credit else "",
        "width": WIDTH,
        "page_px": page_px,
        "bottom_px": _CREDIT_PX,
        "first_bottom_px": _CREDIT_PX + first_extra_px,
        "later_top_px": later_top_px,
        "body_px": BODY_PX,
    }
    try:
        return _template().render(context)
    except jinja2.TemplateError as exc:
        raise RenderError(f"the phone picture's page failed: {exc}") from exc


def _layout(html: str) -> Any:
    """The page laid out by WeasyPrint (a ``Document``), loading nothing but ``data:`` URIs."""
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except (ImportError, OSError) as exc:  # OSError: Pango is missing
        raise RenderError(f"WeasyPrint cannot start: {exc}") from exc
    try:
        fetcher = URLFetcher(allowed_protocols={"data"})
        return HTML(string=html, url_fetcher=fetcher).render()
    except Exception as exc:  # its message could hold the person's words: keep them out
        what = type(exc).__name__
        raise RenderError(f"WeasyPrint could not lay out the picture: {what}") from exc


def _later_top_px(title: str) -> int:
    """The room what pictures 2 and later repeat at their top takes: the number, the title
    and the heading of a topic that goes on (an estimate on the generous side: it keeps a
    picture within ``MAX_HEIGHT`` but for a single item longer than that)."""
    lines = max(1, math.ceil(len(title) / _TITLE_CHARS))
    return 48 + _NUMBER_PX + lines * _TITLE_LINE_PX + 40 + _HEADING_PX


def _groups(
    profile: Profile, words_only: bool, photo: str | None
) -> tuple[list[list[ProfileSection]], str, Any]:
    """The profile's topics in groups, one a picture; when there is one group, the page that
    is that picture, laid out already (its HTML and WeasyPrint document), else "" and None.

    Each group is the topics whose items start on one page of ``MAX_HEIGHT`` px; a topic too
    long for one picture goes on in the next, its heading repeated there.
    """
    sections = visible_sections(profile)
    # Laid out as the one picture it may be, with room on page 1 for the number it would
    # have if not ("Picture 1 of 3") and room on the later pages for what they repeat.
    html = phone_html(
        profile,
        sections,
        words_only=words_only,
        photo_url=photo,
        page_px=MAX_HEIGHT,
        later_top_px=_later_top_px(profile.title),
        first_extra_px=_NUMBER_PX,
    )
    document = _layout(html)
    if len(document.pages) <= 1:
        return [list(sections)], html, document
    page_of: dict[str, int] = {}
    for number, page in enumerate(document.pages):
        for anchor in page.anchors:
            page_of.setdefault(anchor, number)
    grouped: dict[int, list[ProfileSection]] = {}
    for n, section in enumerate(sections):
        pages = [page_of.get(f"i{n}-{m}", 0) for m in range(len(section.items))]
        for page in sorted(set(pages)):
            items = tuple(i for i, p in zip(section.items, pages, strict=True) if p == page)
            grouped.setdefault(page, []).append(dataclasses.replace(section, items=items))
    return [grouped[page] for page in sorted(grouped)], "", None


def _plan(profile: Profile, words_only: bool, first_only: bool) -> tuple[list[str], Any]:
    """The page (HTML) of each picture, in order, and the first one laid out when it is the
    only one (a profile that fits one picture is laid out once), else None."""
    photo = None if words_only else photo_data_uri(profile.photo)
    grouped, html, whole = _groups(profile, words_only, photo)
    if whole is not None:
        return [html], whole
    count = len(grouped)
    pages = [
        phone_html(
            profile,
            sections,
            number=number,
            count=count,
            words_only=words_only,
            photo_url=photo,
            more=_goes_on(grouped, number),
        )
        for number, sections in enumerate(grouped[:1] if first_only else grouped, start=1)
    ]
    return pages, None


def _goes_on(grouped: Sequence[Sequence[ProfileSection]], number: int) -> dict[str, int]:
    """The topics of picture ``number`` that go on in the next picture, and its number."""
    if number >= len(grouped):
        return {}
    following = {s.key for s in grouped[number]}
    return {s.key: number + 1 for s in grouped[number - 1] if s.key in following}


def picture_pages(profile: Profile, *, words_only: bool = False) -> list[str]:
    """The page (HTML) each phone picture is drawn from, in order: what each picture says."""
    return _plan(profile, words_only, first_only=False)[0]


def _draw(document: Any) -> bytes:
    """Page 1 of a laid-out page as a PNG, 1 pixel per CSS px, cut below its last content.

    Only the page down to the end of its content (the ``end`` anchor) is drawn: the page is
    laid out far taller than it needs, and drawing its white would take most of the time.
    The picture is then cut below its last row that is not all white.
    """
    end = document.pages[0].anchors.get("end")  # (x, y) in CSS px
    try:
        pdf = document.write_pdf()
    except Exception as exc:
        raise RenderError(f"WeasyPrint could not draw the picture: {type(exc).__name__}") from exc
    try:
        source = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        raise RenderError(f"cannot open the picture's page: {exc}") from exc
    try:
        page = source[0]
        height_pt = page.get_height()
        drawn_pt = height_pt if end is None else min(height_pt, (end[1] + 2 * _BOTTOM_PX) * 0.75)
        crop = (0, height_pt - drawn_pt, 0, 0)  # from the left, bottom, right and top
        image = page.render(scale=_SCALE, crop=crop, fill_color=(255, 255, 255, 255)).to_pil()
        page.close()
    except pdfium.PdfiumError as exc:
        raise RenderError(f"cannot draw the picture's page: {exc}") from exc
    finally:
        source.close()
    image = image.convert("RGB")
    if image.width != WIDTH:  # scale rounding can leave it a pixel off: phones expect 1080
        image = image.resize((WIDTH, round(image.height * WIDTH / image.width)))
    bottom = min(image.height, _content_bottom(image) + _BOTTOM_PX)
    image = image.crop((0, 0, WIDTH, bottom))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=_COMPRESS_LEVEL)
    return out.getvalue()


def _content_bottom(image: Image.Image) -> int:
    """The row below the last one that is not all white (0 for an empty picture)."""
    white = Image.new("RGB", image.size, (255, 255, 255))
    box = ImageChops.difference(image, white).getbbox()
    return box[3] if box else 0


def phone_pictures(
    profile: Profile, *, words_only: bool = False, first_only: bool = False
) -> list[bytes]:
    """The profile as PNG pictures for a phone, in order: one for most profiles, one per group
    of topics for a long one ("Picture 1 of 3" at the top of each).

    ``first_only`` makes picture 1 only (the ``png`` form, ``/p/<token>.png``): the groups are
    still found, so it says "Picture 1 of 3" when there are more.

    Raises:
        RenderError: WeasyPrint or pypdfium2 failed.
    """
    pages, laid_out = _plan(profile, words_only, first_only)
    if laid_out is not None:
        return [_draw(laid_out)]
    return [_draw(_layout(html)) for html in pages]
