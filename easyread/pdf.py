"""The profile as a tagged A4 PDF (PDF/UA-1) made by WeasyPrint from the same HTML page.

Why the fitting: a one-page profile should be one page. When the answers do not fit, spacing
and type shrink a step at a time, never below 16pt body text. Only then do the later items of
each section (the person's own first choices stay on page 1) move to a page 2 titled
"More about me". A topic that goes on there says "More on page 2" under its items on page 1,
and every page says "Page 1 of 3", so nobody thinks a topic (or the profile) ends early.

Large print (``Profile.large``, "bigger writing"): the body text stays at 24pt at every step;
only the white space shrinks, and then the profile takes more pages. Fewer items fit a page.

Font: DejaVu Sans (Debian's fonts-dejavu-core, always there with WeasyPrint's Pango). It is
wide and clear, like Verdana, with distinct I, l and 1. The stack falls back to Verdana,
Liberation Sans and Arial elsewhere; pages are measured, not assumed, so any font fits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from easyread._model import Profile, ProfileItem, ProfileSection
from easyread.html import LARGE_PT, Style, page_html, photo_data_uri, visible_sections
from planbot.errors import RenderError

# A roomier step, only for short profiles that leave much of the page empty.
ROOMY = Style(20.0, 1.0)
# From the usual step to the tightest. The last steps keep 16pt type and lose white space only.
PRINT_STEPS: tuple[Style, ...] = (
    Style(18.0, 0.6),
    Style(17.0, 0.45),
    Style(16.0, 0.35),
    Style(16.0, 0.2),
)
# Large print: 24pt body text at every step (the fitting never shrinks it: more pages instead).
LARGE_ROOMY = Style(LARGE_PT, 1.0, LARGE_PT)
LARGE_STEPS: tuple[Style, ...] = (
    Style(LARGE_PT, 0.6, LARGE_PT),
    Style(LARGE_PT, 0.35, LARGE_PT),
    Style(LARGE_PT, 0.2, LARGE_PT),
)
# Shrinking type from 18pt to 16pt and the gaps saves well under 40% of the height: above
# this many pages' worth at the usual step, the steps between are not worth a try.
_HOPELESS = 1.5
# A profile that fills less than this of the page at the usual step gets the roomy step.
_SHORT = 0.7
# Lines of 16pt text an A4 page holds at the tightest step (about 42; kept high on purpose),
# and the characters in a line of it; bigger type holds fewer of each.
_LINES_PER_PAGE = 45
_CHARS_PER_LINE = 60
# The id prefix of a section's heading under "More about me" (profile.html.j2's row macro):
# where it lands says on which page the topic goes on.
_MORE_ID = "more-"
# pdf_variant sets the PDF version and turns on tags; pdf_tags is given too so that the
# document is tagged even if a WeasyPrint version only applies variant defaults to None values.
PDF_OPTIONS: dict[str, Any] = {"pdf_variant": "pdf/ua-1", "pdf_tags": True}


def _fetcher() -> Any:
    """A URL fetcher for ``data:`` URIs only: the page never loads anything from outside."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"})


def _document(html: str) -> Any:
    """Lay the page out (WeasyPrint ``Document``), so its pages can be counted."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango is missing
        raise RenderError(f"WeasyPrint cannot start: {exc}") from exc
    try:
        return HTML(string=html, url_fetcher=_fetcher()).render(**PDF_OPTIONS)
    except Exception as exc:
        raise RenderError(f"WeasyPrint could not lay out the profile: {exc}") from exc


def _pick(items: Sequence[ProfileItem], keep: int) -> tuple[set[int], set[int]]:
    """Which items stay on page 1: the person's own first, then others', in the order given."""
    ranked = sorted(range(len(items)), key=lambda i: (items[i].perspective != "person", i))
    first = set(ranked[:keep])
    return first, set(range(len(items))) - first


def split(
    sections: Sequence[ProfileSection], per_section: int, count: int
) -> tuple[list[ProfileSection], list[ProfileSection]]:
    """Page 1 (the first ``count`` sections, ``per_section`` items each) and the rest."""
    first: list[ProfileSection] = []
    more: list[ProfileSection] = []
    for n, s in enumerate(sections):
        keep, rest = _pick(s.items, per_section if n < count else 0)
        if keep:
            first.append(_with(s, [s.items[i] for i in sorted(keep)]))
        if rest:
            more.append(_with(s, [s.items[i] for i in sorted(rest)]))
    return first, more


def _with(section: ProfileSection, items: list[ProfileItem]) -> ProfileSection:
    return dataclasses.replace(section, items=tuple(items))


def _largest(low: int, high: int, fits: Callable[[int], bool]) -> int | None:
    """The largest n in [low, high] with fits(n), assuming fewer always fit; binary search."""
    best = None
    while low <= high:
        mid = (low + high) // 2
        if fits(mid):
            best, low = mid, mid + 1
        else:
            high = mid - 1
    return best


def fill(document: Any) -> float:
    """How many pages' worth of content the document holds (1.5 = one and a half pages)."""
    pages = document.pages
    if not pages:
        return 0.0
    last = pages[-1]._page_box
    try:
        body = last.children[0].children[0]
        used = body.margin_height() / last.height
    except (AttributeError, IndexError, ZeroDivisionError):
        used = 1.0  # WeasyPrint's boxes changed: count whole pages
    return len(pages) - 1 + min(used, 1.0)


def layout(profile: Profile, *, words_only: bool = False) -> Any:
    """The laid-out document: one page if it fits at any step, else page 1 plus "More about me".

    Returns the WeasyPrint ``Document`` (``.pages`` can be counted, ``.write_pdf`` writes it).
    """
    sections = visible_sections(profile)
    photo = photo_data_uri(profile.photo)  # the person's photo is on every form
    roomy_step, steps = (LARGE_ROOMY, LARGE_STEPS) if profile.large else (ROOMY, PRINT_STEPS)

    def render(
        first: Sequence[ProfileSection],
        more: Sequence[ProfileSection],
        style: Style,
        continues: Mapping[str, int] | None = None,
    ) -> Any:
        html = page_html(
            profile,
            first,
            more,
            words_only=words_only,
            photo_url=photo,
            for_print=True,
            style=style,
            emoji_pictures=True,
            icons_as_backgrounds=True,
            continues=continues,
            numbered=bool(more),
        )
        return _document(html)

    tight = steps[-1]

    def split_render(
        first: Sequence[ProfileSection],
        more: Sequence[ProfileSection],
        continues: Mapping[str, int],
    ) -> Any:
        return render(first, more, tight, continues)

    if _clearly_too_long(sections, tight.body_pt):
        return _split_layout(sections, split_render)
    usual = render(sections, (), steps[0])
    if len(usual.pages) <= 1:
        if fill(usual) < _SHORT:
            roomy = render(sections, (), roomy_step)
            if len(roomy.pages) <= 1:
                return roomy
        return usual
    # Step by step towards the tightest; a profile far too long for one page skips to it.
    tries = steps[1:] if fill(usual) <= _HOPELESS else steps[-1:]
    for style in tries:
        document = render(sections, (), style)
        if len(document.pages) <= 1:
            return document
    return _split_layout(sections, split_render)


def _clearly_too_long(sections: Sequence[ProfileSection], body_pt: float = 16.0) -> bool:
    """True when a quick count of lines says it is twice too long for one page at ``body_pt``.

    Why: each layout of a long profile takes a good part of a second; this skips the tries
    that cannot succeed. The count is generous (60 characters a line and twice a page's lines
    at 16pt, fewer of both in bigger type), so it does not skip a profile that could fit.
    """
    scale = body_pt / 16.0
    per_line = max(int(_CHARS_PER_LINE / scale), 1)
    lines = sum(2 + sum(1 + len(i.text) // per_line for i in s.items) for s in sections)
    return lines > 2 * _LINES_PER_PAGE / scale


def _continuing(
    first: Sequence[ProfileSection], more: Sequence[ProfileSection]
) -> dict[str, int]:
    """The sections on page 1 that go on under "More about me", each said to go on on page 2
    (``_continued_on`` corrects that when one lands on a later page)."""
    later = {s.anchor for s in more}
    return {s.anchor: 2 for s in first if s.anchor in later}


def _continued_on(document: Any, continues: Mapping[str, int]) -> dict[str, int]:
    """The page each continuing section's later items start on, read from the laid-out
    document (the page its heading under "More about me" is on)."""
    found = dict(continues)
    for number, page in reversed(list(enumerate(document.pages, start=1))):
        for anchor in continues:
            if f"{_MORE_ID}{anchor}" in page.anchors:
                found[anchor] = number
    return found


SplitRender = Callable[
    [Sequence[ProfileSection], Sequence[ProfileSection], Mapping[str, int]], Any
]


def _split_layout(sections: Sequence[ProfileSection], render: SplitRender) -> Any:
    """Page 1 with as many first items of each section as fit; the rest under "More about me".

    Page 1 is measured with its "More on page 2" notes, which take room too; the page numbers
    in the notes are checked against where the topics landed, and put right if one is later.
    """
    most = max((len(s.items) for s in sections), default=1)

    def page1_fits(per_section: int, count: int) -> bool:
        first, more = split(sections, per_section, count)
        return len(render(first, (), _continuing(first, more)).pages) <= 1

    count = len(sections)
    if page1_fits(1, count):
        per_section = _largest(2, most - 1, lambda k: page1_fits(k, count)) or 1
    else:
        # Even 1 item of each does not fit: later sections go to page 2 whole.
        per_section = 1
        count = _largest(1, count - 1, lambda c: page1_fits(1, c)) or 1
    first, more = split(sections, per_section, count)
    continues = _continuing(first, more)
    document = render(first, more, continues)
    landed = _continued_on(document, continues)
    return document if landed == continues else render(first, more, landed)


def render_pdf(profile: Profile, out: Path, *, words_only: bool = False) -> Path:
    """Write the profile as a tagged (PDF/UA-1) A4 PDF to ``out`` and return ``out``.

    Raises:
        RenderError: WeasyPrint is missing or fails, or the file cannot be written.
    """
    document = layout(profile, words_only=words_only)
    try:
        document.write_pdf(str(out), **PDF_OPTIONS)
    except OSError as exc:
        raise RenderError(f"cannot write the PDF to {out}: {exc}") from exc
    except Exception as exc:
        raise RenderError(f"WeasyPrint could not write the PDF: {exc}") from exc
    return out
