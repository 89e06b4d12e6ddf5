"""Long profiles and large print, in the PDF and the page it is made from.

Long: page 1 says "More on page 2" (or the page where it goes on) under each topic that goes
on; every page says "Page 1 of 3"; later pages hold only the topics that go on, under a
"More about me" as big as the title. Large print ("bigger writing", ``planbot profile
--large``): 24pt writing everywhere, never smaller, so the same profile takes more pages.
"""

from __future__ import annotations

import collections
import ctypes
import dataclasses
import math
import re
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from easyread._model import Profile, ProfileItem
from easyread._sections import SECTION_KEYS
from easyread.files import fingerprint
from easyread.html import LARGE_PT, MIN_BODY_PT, Style, render_html
from easyread.pdf import layout, render_pdf
from tests.easyread.test_render_pdf import large as sixty_items
from tests.easyread.test_render_pdf import make_section, page_texts, typical

P = ProfileItem


def sized_chars(pdf: Path) -> list[list[tuple[str, float]]]:
    """Each page's printed characters with their size in points (scaled by the text matrix)."""
    document = pdfium.PdfDocument(str(pdf))
    matrix = pdfium_c.FS_MATRIX()
    pages = []
    try:
        for page in document:
            textpage = page.get_textpage()
            chars = []
            for i in range(textpage.count_chars()):
                char = chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i))
                if char.isspace() or char == "\x00":
                    continue
                pdfium_c.FPDFText_GetMatrix(textpage.raw, i, ctypes.byref(matrix))
                scale = math.sqrt(abs(matrix.a * matrix.d - matrix.b * matrix.c))
                size = pdfium_c.FPDFText_GetFontSize(textpage.raw, i) * scale
                chars.append((char, round(size, 1)))
            pages.append(chars)
    finally:
        document.close()
    return pages


def body_pt(pdf: Path) -> float:
    """The size most of the characters are printed at: the body text's."""
    sizes = collections.Counter(size for page in sized_chars(pdf) for _, size in page)
    return sizes.most_common(1)[0][0]


def size_of(pdf: Path, words: str) -> float:
    """The size the first printed ``words`` are in (an item's words: the body text's size)."""
    wanted = words.replace(" ", "")
    for page in sized_chars(pdf):
        printed = "".join(char for char, _ in page)
        at = printed.find(wanted)
        if at >= 0:
            return page[at][1]
    raise AssertionError(f"{words!r} is not printed")


def mixed() -> Profile:
    """5 topics with one short thing each (they fit page 1 whole) and 5 with 8 long things."""
    sections = []
    for n, key in enumerate(SECTION_KEYS[:10]):
        if n % 2 == 0:
            sections.append(make_section(key, P(f"One short thing about {key}")))
        else:
            long = [P(f"Thing {i} about {key}, said at length so that it wraps onto a second line")
                    for i in range(8)]
            sections.append(make_section(key, *long))
    return Profile("Dev", tuple(sections))


@pytest.fixture(scope="module")
def sixty_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_pdf(sixty_items(), tmp_path_factory.mktemp("long") / "dev.pdf")


def test_a_60_item_profile_says_more_on_page_2_and_numbers_every_page(sixty_pdf: Path) -> None:
    texts = page_texts(sixty_pdf)
    total = len(texts)
    assert total >= 2
    assert "More on page 2" in texts[0]
    assert f"Page 1 of {total}" in texts[0] and f"Page 2 of {total}" in texts[1]
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {total}" in text


def test_each_note_names_the_page_the_topic_goes_on_at(sixty_pdf: Path) -> None:
    document = layout(sixty_items())
    texts = page_texts(sixty_pdf)
    where = {
        anchor.removeprefix("more-"): number
        for number, page in reversed(list(enumerate(document.pages, start=1)))
        for anchor in page.anchors
        if anchor.startswith("more-") and anchor != "more-about-me"
    }
    noted = 0
    for section in sixty_items().sections:
        at = texts[0].find(section.heading)
        if at < 0 or section.key not in where:
            continue  # not on page 1, or all of it is there
        note = re.search(r"More on page (\d+)", texts[0][at:])
        assert note is not None, section.heading
        assert int(note.group(1)) == where[section.key], section.heading
        noted += 1
    assert noted >= 3


def test_later_pages_hold_only_the_topics_that_go_on(tmp_path: Path) -> None:
    profile = mixed()
    document = layout(profile)
    assert len(document.pages) >= 2
    first = set(document.pages[0].anchors)
    later = {a for page in document.pages[1:] for a in page.anchors}
    short = {s.key for n, s in enumerate(profile.sections) if n % 2 == 0}
    long = {s.key for s in profile.sections} - short
    # A short topic is never split: whole on page 1, or (when page 1 is full) whole later.
    on_page_1 = {key for key in short if f"s-{key}" in first}
    assert on_page_1, "no short topic stayed on page 1"
    assert not {f"more-{key}" for key in on_page_1} & later
    assert {f"more-{key}" for key in long} <= later
    texts = page_texts(render_pdf(profile, tmp_path / "mixed.pdf"))
    assert texts[1].startswith("More about me")
    for key in on_page_1:  # what page 1 holds whole is not shown again
        assert all(f"One short thing about {key}" not in text for text in texts[1:])


def test_more_about_me_is_as_big_as_the_title(sixty_pdf: Path) -> None:
    pages = sized_chars(sixty_pdf)
    title = pages[0][0]  # "All about Dev"
    more = pages[1][0]  # "More about me"
    assert (title[0], more[0]) == ("A", "M")
    assert more[1] == title[1] and more[1] > body_pt(sixty_pdf) * 1.4


def test_a_one_page_profile_has_no_page_numbers_or_notes(tmp_path: Path) -> None:
    (text,) = page_texts(render_pdf(typical(), tmp_path / "gemma.pdf"))
    assert "Page 1 of" not in text and "More on page" not in text


@pytest.fixture(scope="module")
def large_typical_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    profile = dataclasses.replace(typical(), large=True)
    return render_pdf(profile, tmp_path_factory.mktemp("large") / "gemma.pdf")


def test_large_print_pdf_has_24pt_body_text_and_nothing_smaller(large_typical_pdf: Path) -> None:
    assert body_pt(large_typical_pdf) == LARGE_PT
    sizes = {size for page in sized_chars(large_typical_pdf) for _, size in page}
    assert min(sizes) >= LARGE_PT - 0.01, sorted(sizes)
    everything = " ".join(page_texts(large_typical_pdf))
    for section in typical().sections:
        assert section.heading in everything


def test_large_print_takes_more_pages_rather_than_smaller_type(
    tmp_path: Path, sixty_pdf: Path
) -> None:
    normal_pages = len(page_texts(sixty_pdf))
    big = render_pdf(dataclasses.replace(sixty_items(), large=True), tmp_path / "big.pdf")
    texts = page_texts(big)
    assert len(texts) > normal_pages
    assert body_pt(big) == LARGE_PT
    assert "More on page 2" in texts[0] and f"Page 2 of {len(texts)}" in texts[1]
    # Fewer things on page 1 than at the normal size.
    assert texts[0].count("said at length") < page_texts(sixty_pdf)[0].count("said at length")


def test_the_large_print_page_has_a_bigger_base_font() -> None:
    def body_size(page: str) -> float:
        found = re.search(r"\bbody \{[^}]*?font-size: ([\d.]+)pt", page)
        assert found is not None
        return float(found.group(1))

    normal = render_html(typical())
    big = render_html(dataclasses.replace(typical(), large=True))
    assert body_size(normal) < LARGE_PT
    assert body_size(big) == LARGE_PT
    assert body_size(render_html(dataclasses.replace(typical(), large=True), words_only=True)) == (
        LARGE_PT
    )


def test_a_kept_normal_file_is_never_given_for_large_print() -> None:
    normal = typical()
    assert fingerprint(normal) != fingerprint(dataclasses.replace(normal, large=True))


def test_a_style_never_goes_below_its_smallest_size() -> None:
    with pytest.raises(ValueError):
        Style(20.0, 0.5, LARGE_PT)
    with pytest.raises(ValueError):
        Style(15.0, 0.5)
    with pytest.raises(ValueError):
        Style(18.0, 0.5, MIN_BODY_PT - 1)
