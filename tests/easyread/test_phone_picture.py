"""The pictures made for a phone: real renders (WeasyPrint, pypdfium2), measured in pixels.

What is measured: the width (1080), the height of a capital letter in the body text (a
profile whose items are capital H words: the dark rows beside the topic picture are the
letters), that a long profile comes as several numbered pictures none taller than Telegram
keeps, with every item in exactly one of them, and the photo at the top.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from easyread._model import Profile, ProfileItem
from easyread._sections import SECTION_KEYS
from easyread._sections import section as section_info
from easyread.files import profile_bytes, write_pictures, write_profile
from easyread.phone import CREDIT, MAX_HEIGHT, WIDTH, phone_pictures, picture_pages
from planbot.settings import Settings
from tests.auxil.profiles import make_section

P = ProfileItem
HOSTILE = '<script>alert(1)</script> & "><img src=x onerror=alert(1)>'


def typical() -> Profile:
    """Gemma's 5 topics and 12 things, as in bench/render.py."""
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
                P("Music, especially drum and bass"),
                P("Seeing my nan on Sundays"),
            ),
            make_section(
                "best_support",
                P("The best way to support me is to listen to me"),
                P(HOSTILE),
                P("Let me choose my own clothes", "Sam", "supporter"),
            ),
            make_section(
                "good_day", P("wake up in MY house not mums"), P("popcorn + dvd w/ a mate 🍿")
            ),
            make_section("bad_day", P("Going to bed early")),
        ),
    )


def long_profile() -> Profile:
    """60 things: 10 topics of 6, each long enough to wrap."""
    return Profile(
        "Dev",
        tuple(
            make_section(
                key,
                *[P(f"Answer {n} about {key}, long enough to wrap onto a line") for n in range(6)],
            )
            for key in SECTION_KEYS[:10]
        ),
    )


def image(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(data)).convert("RGB")


def dark_bands(picture: Image.Image, left: int, right: int) -> list[tuple[int, int]]:
    """Runs of rows (top, height) with a dark grey pixel (the body text's colour, #111)
    between ``left`` and ``right``: each run is a line of text (or a card's border)."""
    pixels = picture.load()
    assert pixels is not None
    bands: list[tuple[int, int]] = []
    start = None
    for y in range(picture.height):
        dark = False
        for x in range(left, right):
            r, g, b = pixels[x, y]
            if max(r, g, b) < 90 and max(r, g, b) - min(r, g, b) < 20:
                dark = True
                break
        if dark and start is None:
            start = y
        elif not dark and start is not None:
            bands.append((start, y - start))
            start = None
    return bands


def test_the_phone_picture_is_1080_wide_with_capital_letters_over_30_px_high() -> None:
    words = "HHHH HHHH HHHH"
    profile = Profile("Dev", (make_section("important_to", *[P(words) for _ in range(5)]),))
    [data] = phone_pictures(profile)
    picture = image(data)
    assert picture.width == WIDTH == 1080
    assert picture.height < MAX_HEIGHT  # as tall as it needs: one topic, not a whole page
    # Right of the topic picture and the bullets (the words start about 153 px in, the
    # picture beside the heading ends about 244 px in), left of the card's right border.
    # The headings are dark blue, not grey: the grey lines are the 5 items, then the credit.
    # Thin runs are the card's top and bottom borders (4 px).
    lines = [(top, height) for top, height in dark_bands(picture, 260, 1000) if height > 8]
    *items, credit = lines
    assert len(items) == 5
    heights = [height for _, height in items]
    assert min(heights) >= 30, heights  # a capital H, measured: about 35 px at 48 px type
    assert max(heights) - min(heights) <= 1
    assert credit[1] > min(heights)  # the credit has letters that go below the line ("y")


def test_a_typical_profile_is_pictures_made_for_a_phone() -> None:
    pictures = [image(p) for p in phone_pictures(typical())]
    assert 1 <= len(pictures) <= 2
    assert all(p.width == 1080 and p.height <= MAX_HEIGHT for p in pictures)
    assert all(p.height > p.width for p in pictures)  # portrait
    pages = picture_pages(typical())
    assert len(pages) == len(pictures)
    assert "All about Gemma" in pages[0]
    for page in pages:
        assert CREDIT in page and "<a " not in page  # nothing to click: no link, no underline
        assert "text-decoration: none" in page
    everything = "".join(pages)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in everything
    assert "<script>" not in everything
    assert 'class="emoji"' in everything and 'alt="🍿"' in everything
    assert "<strong><bdi>Mum</bdi> says:</strong>" in everything


def test_the_png_form_is_picture_1(tmp_path: Path) -> None:
    settings = Settings.from_env({"PLANBOT_DATA_DIR": str(tmp_path / "data")})
    first = phone_pictures(typical(), first_only=True)
    assert len(first) == 1
    assert profile_bytes(typical(), "png", settings) == first[0]
    out = write_profile(typical(), "png", tmp_path / "gemma.png", settings=settings)
    assert out.stat().st_mode & 0o777 == 0o600
    every = write_pictures(typical(), tmp_path / "all" / "gemma.png")
    assert every[0].read_bytes() == out.read_bytes() == first[0]
    assert [p.name for p in every] == ["gemma.png", "gemma-2.png"][: len(every)]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in every)


def test_a_60_item_profile_is_several_numbered_pictures_with_every_item_once() -> None:
    profile = long_profile()
    assert sum(len(s.items) for s in profile.sections) == 60
    pictures = [image(p) for p in phone_pictures(profile)]
    count = len(pictures)
    assert count >= 3
    assert all(p.width == 1080 and p.height <= MAX_HEIGHT for p in pictures)
    pages = picture_pages(profile)
    assert len(pages) == count
    for number, page in enumerate(pages, start=1):
        assert re.findall(r"Picture \d+ of \d+", page) == [f"Picture {number} of {count}"]
        assert "All about Dev" in page and CREDIT in page
    shown = [re.findall(r"Answer \d+ about \w+", page) for page in pages]
    expected = [f"Answer {n} about {key}" for key in SECTION_KEYS[:10] for n in range(6)]
    assert [item for page in shown for item in page] == expected  # each once, in order


def test_a_topic_too_long_for_one_picture_goes_on_under_its_heading() -> None:
    things = [P(f"Thing {n} that is good about my day") for n in range(40)]
    profile = Profile("Dev", (make_section("good_day", *things),))
    pages = picture_pages(profile)
    assert len(pages) >= 2
    heading = section_info("good_day").heading
    assert all(heading in page for page in pages)
    for number, page in enumerate(pages[:-1], start=1):  # where it goes on, in words
        assert f"More in picture {number + 1}" in page
    assert "More in picture" not in pages[-1]
    assert all(image(p).height <= MAX_HEIGHT for p in phone_pictures(profile))


def test_the_photo_is_at_the_top_of_picture_1(tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    Image.new("RGB", (200, 200), (220, 0, 0)).save(photo)
    profile = Profile("Dev", long_profile().sections[:4], photo=photo)
    pictures = [image(p) for p in phone_pictures(profile)]

    def red_rows(picture: Image.Image) -> list[int]:
        pixels = picture.load()
        assert pixels is not None
        return [
            y
            for y in range(0, picture.height, 4)
            if any(pixels[x, y] == (220, 0, 0) for x in range(0, 500, 4))
        ]

    rows = red_rows(pictures[0])
    assert rows and max(rows) < 500  # the photo, near the top
    assert all(not red_rows(p) for p in pictures[1:])  # once: on picture 1


def test_words_only_has_no_pictures_and_no_credit_unless_an_emoji_is_drawn() -> None:
    plain = Profile("Dev", (make_section("good_day", P("Swimming")),))
    [page] = picture_pages(plain, words_only=True)
    assert "<img" not in page and CREDIT not in page
    with_emoji = Profile("Dev", (make_section("good_day", P("Swimming 🏊")),))
    [page] = picture_pages(with_emoji, words_only=True)
    assert 'class="emoji"' in page and CREDIT in page
    assert image(phone_pictures(plain, words_only=True)[0]).width == 1080


def test_each_idea_has_its_picture_on_the_phone_too() -> None:
    """The same picture for an idea as the page and PDF give it (none where none fits)."""
    profile = Profile("Dev", (make_section("good_day", P("my cat Biscuit"), P("quiet time")),))
    [page] = picture_pages(profile)
    assert page.count('class="item-picture"') == 1
    [plain] = picture_pages(profile, words_only=True)
    assert "item-picture" not in plain.replace(".item-picture", "")


@pytest.mark.parametrize("name", ["Dev", "محمد"])
def test_an_empty_profile_is_still_a_picture(name: str) -> None:
    [data] = phone_pictures(Profile(name, ()))
    picture = image(data)
    assert picture.width == 1080 and 100 < picture.height < 600
