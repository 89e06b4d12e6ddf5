"""The tagged A4 PDF and its phone-sized PNG: pages, words, tags, type size and pictures."""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import math
import re
import struct
import zlib
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image

from easyread._model import Profile, ProfileItem
from easyread._sections import SECTION_KEYS
from easyread.icons import emoji_runs
from easyread.pdf import render_pdf
from easyread.png import render_png
from planbot.errors import RenderError
from tests.auxil.profiles import make_section

P = ProfileItem
HOSTILE = "<script>alert(1)</script> & \"><img src=x onerror=alert(1)>"


def typical() -> Profile:
    """3 core sections and a good and bad day, 2 to 4 items each (Gemma's words)."""
    return Profile(
        "Gemma",
        (
            make_section(
                "like_admire",
                P("Bubbly. My laugh is infectious", "Mum", "family"),
                P("Kind to everyone I meet"),
            ),
            make_section(
                "important_to",
                P("my lurcher Tango 'he is my sunshine!'"),
                P("I need to be noticed and will never be a 'wallflower'"),
                P("Music, especially drum and bass"),
            ),
            make_section(
                "best_support",
                P("The best way to support me is to listen to me"),
                P("Respect my privacy and dignity"),
                P(HOSTILE),
                P("Let me choose my own clothes", "Sam", "supporter"),
            ),
            make_section(
                "good_day",
                P("wake up in MY house not mums"),
                P("popcorn + dvd w/ a mate 🍿"),
                P("Getting ready for bed at a time of my choice"),
            ),
            make_section(
                "bad_day",
                P("Care staff from agency arriving to get me up before I am ready"),
                P("Someone choosing clothes for me to wear"),
            ),
        ),
    )


def large() -> Profile:
    """60 long answers over 10 sections: too many for one page even at 16pt."""
    sections = []
    for key in SECTION_KEYS[:10]:
        items = [
            P(f"Answer {n} about {key}, said at length so that it wraps onto a second line")
            if n != 0
            else P(f"Mum's view {n} about {key}, which is long enough to wrap as well", "Mum",
                   "family")
            for n in range(6)
        ]
        sections.append(make_section(key, *items))
    return Profile("Dev", tuple(sections))


def words(text: str) -> str:
    """Text without emoji, with every run of white space as one space (as the PDF gives it)."""
    plain = "".join(run for run, code in emoji_runs(text) if code is None)
    return " ".join(plain.split())


def page_texts(pdf: Path) -> list[str]:
    document = pdfium.PdfDocument(str(pdf))
    try:
        return [" ".join(page.get_textpage().get_text_range().split()) for page in document]
    finally:
        document.close()


def font_sizes_pt(pdf: Path) -> set[float]:
    """The size in points of every printed character, scaled by its text matrix."""
    sizes: set[float] = set()
    document = pdfium.PdfDocument(str(pdf))
    matrix = pdfium_c.FS_MATRIX()
    for page in document:
        textpage = page.get_textpage()
        for i in range(textpage.count_chars()):
            if chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i)).isspace():
                continue
            pdfium_c.FPDFText_GetMatrix(textpage.raw, i, ctypes.byref(matrix))
            scale = math.sqrt(abs(matrix.a * matrix.d - matrix.b * matrix.c))
            sizes.add(round(pdfium_c.FPDFText_GetFontSize(textpage.raw, i) * scale, 2))
    document.close()
    return sizes


def raw_objects(pdf: Path) -> bytes:
    """The PDF's bytes with every Flate stream inflated (object streams hide the catalogue)."""
    data = pdf.read_bytes()
    parts = [data]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        with contextlib.suppress(zlib.error):
            parts.append(zlib.decompress(match.group(1)))
    return b"\n".join(parts)


@pytest.fixture(scope="module")
def typical_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pdf") / "gemma.pdf"
    assert render_pdf(typical(), out) == out
    return out


@pytest.fixture(scope="module")
def large_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_pdf(large(), tmp_path_factory.mktemp("pdf") / "dev.pdf")


def test_typical_profile_is_one_page_with_every_item(typical_pdf: Path) -> None:
    texts = page_texts(typical_pdf)
    assert len(texts) == 1
    text = texts[0]
    assert text.startswith("All about Gemma")
    for section in typical().sections:
        assert section.heading in text
        for item in section.items:
            assert words(item.text) in text, item.text
    assert "Mum says: Bubbly." in text and "Sam says: Let me" in text
    assert "Pictures by OpenMoji. Free to share." in text
    assert "CC BY-SA" not in text and "openmoji.org" not in text  # plain words, nothing to click


def test_hostile_text_is_printed_as_text(typical_pdf: Path) -> None:
    assert words(HOSTILE) in page_texts(typical_pdf)[0]


def test_pdf_is_tagged_with_language_and_title(typical_pdf: Path) -> None:
    data = raw_objects(typical_pdf)
    assert typical_pdf.read_bytes().startswith(b"%PDF-1.7")
    assert b"/StructTreeRoot" in data
    assert re.search(rb"/MarkInfo\s*<<\s*/Marked\s+true", data)
    assert re.search(rb"/Lang\s*\(en-GB\)", data)
    assert b"All about Gemma" in data or "All about Gemma".encode("utf-16-be") in data


def test_pdf_is_a4_and_uses_a_sans_serif_font(typical_pdf: Path) -> None:
    document = pdfium.PdfDocument(str(typical_pdf))
    width, height = document[0].get_size()
    document.close()
    assert (round(width), round(height)) == (595, 842)
    fonts = re.findall(rb"/BaseFont\s*/[A-Z]{6}\+([-\w]+)", raw_objects(typical_pdf))
    assert fonts
    assert all(re.match(rb"(DejaVu-?Sans|Liberation-?Sans|Arial|Verdana)", f) for f in fonts)


def test_no_text_smaller_than_16pt(typical_pdf: Path, large_pdf: Path) -> None:
    for pdf in (typical_pdf, large_pdf):
        sizes = font_sizes_pt(pdf)
        assert sizes and min(sizes) >= 15.99, sorted(sizes)


def test_large_profile_goes_on_to_more_about_me(large_pdf: Path) -> None:
    texts = page_texts(large_pdf)
    assert len(texts) >= 2
    assert "More about me" not in texts[0]
    assert texts[1].startswith("More about me")
    everything = " ".join(texts)
    for section in large().sections:
        for item in section.items:
            assert words(item.text) in everything, item.text
    # The person's own first answer of the first section stays on page 1.
    assert words(large().sections[0].items[1].text) in texts[0]
    assert texts[0].startswith("All about Dev")


def test_words_only_pdf_has_no_section_pictures(tmp_path: Path, typical_pdf: Path) -> None:
    out = render_pdf(typical(), tmp_path / "words.pdf", words_only=True)
    texts = page_texts(out)
    assert len(texts) == 1
    # Its popcorn emoji is still drawn as an OpenMoji picture, so the credit stays.
    assert "Pictures by OpenMoji. Free to share." in texts[0]
    assert words("Care staff from agency arriving to get me up before I am ready") in texts[0]

    def paths(pdf: Path) -> int:
        document = pdfium.PdfDocument(str(pdf))
        count = sum(1 for o in document[0].get_objects(max_depth=5)
                    if o.type == pdfium_c.FPDF_PAGEOBJ_PATH)
        document.close()
        return count

    assert paths(typical_pdf) - paths(out) >= len(typical().sections)


def test_words_only_pdf_without_emoji_has_no_credit_and_keeps_the_photo(tmp_path: Path) -> None:
    photo = tmp_path / "me.png"
    Image.new("RGB", (40, 40), (200, 30, 30)).save(photo)
    plain = dataclasses.replace(
        typical(),
        sections=tuple(
            dataclasses.replace(
                s, items=tuple(i for i in s.items if not any(c for _, c in emoji_runs(i.text)))
            )
            for s in typical().sections
        ),
        photo=photo,
    )
    out = render_pdf(plain, tmp_path / "words.pdf", words_only=True)
    assert "OpenMoji" not in " ".join(page_texts(out))
    document = pdfium.PdfDocument(str(out))
    images = [o for o in document[0].get_objects(max_depth=5)
              if o.type == pdfium_c.FPDF_PAGEOBJ_IMAGE]
    document.close()
    assert len(images) == 1  # the person's photo, at the top of this form too


def test_unwritable_pdf_path_raises_render_error(tmp_path: Path) -> None:
    with pytest.raises(RenderError) as info:
        render_pdf(typical(), tmp_path / "missing" / "x.pdf")
    assert info.value.__cause__ is not None


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_png_is_page_one_at_phone_width(typical_pdf: Path, tmp_path: Path) -> None:
    out = render_png(typical_pdf, tmp_path / "gemma.png")
    width, height = png_size(out)
    assert width == 1080
    assert abs(height - round(1080 * 842 / 595)) <= 1
    from PIL import Image

    with Image.open(out) as image:
        image.load()
        assert image.size == (width, height)
        assert image.getpixel((2, 2))[:3] == (255, 255, 255)  # white page, not transparent
    assert png_size(render_png(typical_pdf, tmp_path / "small.png", width=540))[0] == 540


def test_png_of_a_broken_pdf_raises_render_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf")
    with pytest.raises(RenderError):
        render_png(bad, tmp_path / "bad.png")


# No hyphens or spaces: nowhere a line may normally break (like a link with a long token).
LONG_URL = ("https://www.example.org/mydaycentre/timetable?club=" + "SwimmingAndBowling" * 4)[:120]


def printed_chars(pdf: Path, page_index: int = 0) -> tuple[float, list[tuple[str, float]]]:
    """The page's width and each printed character with the right edge of its box."""
    document = pdfium.PdfDocument(str(pdf))
    try:
        page = document[page_index]
        textpage = page.get_textpage()
        chars = []
        for i in range(textpage.count_chars()):
            char = chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i))
            if char.isspace() or char == "\x00":
                continue
            char = "-" if char == "\x02" else char  # pdfium's mark for a hyphen at a line end
            _left, _bottom, right, _top = textpage.get_charbox(i)
            chars.append((char, right))
        return page.get_width(), chars
    finally:
        document.close()


@pytest.mark.parametrize("words_only", [False, True])
def test_a_long_web_address_wraps_inside_the_page(tmp_path: Path, words_only: bool) -> None:
    assert len(LONG_URL) == 120
    profile = Profile(
        "Dev",
        (
            make_section(
                "important_to", P(LONG_URL), P("Going swimming with my friends on Saturdays")
            ),
        ),
    )
    pdf = render_pdf(profile, tmp_path / "dev.pdf", words_only=words_only)
    width, chars = printed_chars(pdf)
    printed = "".join(c for c, _ in chars)
    assert LONG_URL in printed  # every character of it is there, in order
    assert all(right <= width for _, right in chars), "text runs off the page"
    # normal words stay whole: no word is split across 2 lines
    assert "Going swimming with my friends on Saturdays" in page_texts(pdf)[0]


def test_every_page_of_a_long_profile_says_whose_it_is_and_which_page(tmp_path: Path) -> None:
    """A page that comes loose from a long profile can be put back: each page names the
    person and its number, and pages past "More about me" say they are more."""
    profile = large()
    longer = dataclasses.replace(
        profile,
        sections=tuple(dataclasses.replace(s, items=s.items * 3) for s in profile.sections),
    )
    texts = page_texts(render_pdf(longer, tmp_path / "longer.pdf"))
    total = len(texts)
    assert total >= 3
    for number, text in enumerate(texts, start=1):
        assert f"All about Dev. Page {number} of {total}." in text
    assert all("More about me" in text for text in texts[2:])
    sizes = font_sizes_pt(tmp_path / "longer.pdf")
    assert min(sizes) >= 15.99
