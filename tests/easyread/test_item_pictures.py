"""A picture beside each item: the labelled set of real plan items, the person's own emoji,
the speed of choosing, and the pictures on the page and in the PDF.

Why a labelled set: "no guess is better than a wrong picture". Each row of
``item_pictures.toml`` is an item as people write them with the one right picture, or none;
a change to the chooser or its word lists that gets one wrong fails here.
"""

from __future__ import annotations

import re
import time
import tomllib
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from easyread._model import Profile, ProfileItem, ProfileSection
from easyread._sections import section as section_info
from easyread.html import SCREEN, Style, render_html
from easyread.icons import available, icon_data_uri
from easyread.item_pictures import item_picture
from easyread.pdf import PRINT_STEPS, render_pdf

CASES = tomllib.loads((Path(__file__).parent / "item_pictures.toml").read_text("utf-8"))["case"]


def _case_id(row: dict[str, Any]) -> str:
    return re.sub(r"\W+", "-", row["text"].encode("ascii", "ignore").decode()).strip("-")[:40]


def test_the_labelled_set_is_big_and_mixed() -> None:
    with_picture = [c for c in CASES if c["picture"]]
    assert len(CASES) >= 100
    assert len(with_picture) >= 40 and len(CASES) - len(with_picture) >= 40
    assert all(c["picture"] in available() for c in with_picture)  # real OpenMoji files


@pytest.mark.parametrize("row", CASES, ids=[_case_id(c) for c in CASES])
def test_the_chooser_gets_each_labelled_item_right(row: dict[str, Any]) -> None:
    assert (item_picture(row["text"]) or "") == row["picture"], row.get("why", "")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("🐶 my dog Max", "1F436"),  # their dog face, not our dog
        ("I don't like 🌧️", "1F327"),  # their own picture, even with a "don't"
        ("the bus 👩🏿\u200d🦽", "1F469-1F3FF-200D-1F9BD"),  # a skin tone in a joined emoji
    ],
)
def test_the_persons_own_emoji_is_the_items_picture(text: str, code: str) -> None:
    assert item_picture(text) == code


def test_choosing_for_a_long_profile_takes_milliseconds() -> None:
    item_picture("warm the index up")
    items = [f"going swimming with friend number {n} then the bus home" for n in range(60)]
    start = time.perf_counter()
    assert all(item_picture(text) == "1F3CA" for text in items)
    assert time.perf_counter() - start < 0.25


def make_section(key: str, *texts: str) -> ProfileSection:
    info = section_info(key)
    return ProfileSection(key, info.heading, info.icon, tuple(ProfileItem(t) for t in texts))


WITH = ("going swimming on Tuesdays", "the bus to college", "my cat Biscuit")
# The same number of items and about as long, none of which has a picture.
WITHOUT = ("going out on Tuesdays", "being with my sister", "my pal Biscuit")


def test_the_page_shows_a_small_decorative_picture_beside_each_matched_item() -> None:
    profile = Profile(
        "Amy",
        (
            make_section("important_to", *WITH, "talk to me slowly"),
            make_section("bad_day", "I don't like loud noise"),
        ),
    )
    html = render_html(profile)
    pictures = re.findall(r'<img class="item-picture" src="([^"]+)" alt=""', html)
    assert pictures == [icon_data_uri(item_picture(t) or "") for t in WITH]
    # Next to the item's own words, in the same list item.
    assert re.search(r'<li><img class="item-picture"[^>]*> <bdi>my cat Biscuit</bdi>', html)
    assert "<li><bdi>talk to me slowly</bdi>" in html
    css = html[html.index("<style>") : html.index("</style>")]
    assert re.search(r"\.item-picture \{[^}]*width: 1\.3em;[^}]*height: 1\.3em;", css)
    assert 'class="item-picture"' not in render_html(profile, words_only=True)


def test_an_item_that_starts_with_its_own_emoji_shows_it_once() -> None:
    html = render_html(Profile("Amy", (make_section("good_day", "🐶 my dog Max"),)))
    assert 'class="item-picture"' not in html
    assert "🐶" in html


def test_a_voice_note_gets_no_item_picture() -> None:
    note = ProfileItem("A voice note about my cat", audio="12")
    html = render_html(
        Profile("Amy", (ProfileSection("good_day", "A good day", "1F31E", (note,)),))
    )
    assert 'class="item-picture"' not in html


def _paths(pdf: Path) -> int:
    document = pdfium.PdfDocument(str(pdf))
    try:
        return sum(
            1 for o in document[0].get_objects(max_depth=5) if o.type == pdfium_c.FPDF_PAGEOBJ_PATH
        )
    finally:
        document.close()


def test_the_pdf_draws_the_item_pictures(tmp_path: Path) -> None:
    assert all(item_picture(t) for t in WITH)
    assert not any(item_picture(t) for t in WITHOUT)
    with_pdf = render_pdf(
        Profile("Amy", (make_section("important_to", *WITH),)), tmp_path / "a.pdf"
    )
    plain = render_pdf(
        Profile("Amy", (make_section("important_to", *WITHOUT),)), tmp_path / "b.pdf"
    )
    # Each OpenMoji picture is drawn with several paths (an outline and its colours).
    assert _paths(with_pdf) - _paths(plain) >= 3 * len(WITH)


@pytest.mark.parametrize("style", [SCREEN, *PRINT_STEPS], ids=lambda s: f"{s.body_pt}-{s.space}")
def test_topic_pictures_are_a_third_bigger_than_before(style: Style) -> None:
    before = 16 + 8 * style.space  # the size in millimetres until the item pictures came
    assert style.icon_mm >= before * 4 / 3
    assert style.words_mm > style.icon_mm  # the words still start right of the picture


def test_topic_pictures_on_the_page_and_a_phone_are_bigger() -> None:
    html = render_html(Profile("Amy", (make_section("important_to", *WITH),)))
    css = html[html.index("<style>") : html.index("</style>")]
    assert re.search(rf"\.icon \{{[^}}]*width: {SCREEN.icon_mm}mm;", css)
    phone = css[css.index("@media (max-width: 34rem)") :]
    width = float(re.search(r"\.icon \{\s*width: ([\d.]+)rem;", phone).group(1))  # type: ignore[union-attr]
    assert width >= 3 * 4 / 3  # it was 3rem


def test_clearer_pictures_for_change_and_healthy_and_safe() -> None:
    # The circular arrows read as "recycle"; the thin stethoscope was hard to see.
    assert section_info("want_to_change").icon not in ("1F504", "1F501", "1F503")
    assert section_info("healthy_safe").icon != "1FA7A"
    for key in ("want_to_change", "healthy_safe"):
        assert section_info(key).icon in available()
