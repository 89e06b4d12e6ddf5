"""The profile as text: the terminal form, the short SMS form and SMS segment counting."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from easyread._model import Profile, ProfileItem
from easyread._sections import SECTION_KEYS
from easyread._sections import section as section_info
from easyread.sms_text import gsm_friendly, is_gsm7, sms_segments
from easyread.text import MORE_WITHOUT_LINK, render_text
from tests.auxil.profiles import make_section

P = ProfileItem
LINK = "https://planbot.example/p/4f9c2a7e1b"


def gemma() -> Profile:
    return Profile(
        "Gemma",
        (
            make_section("like_admire", P("Bubbly. My laugh is infectious", "Mum", "family")),
            make_section("important_to", P("my lurcher Tango 'he is my sunshine!'")),
            make_section("best_support", P("Listen to me")),
            make_section(
                "good_day", P("wake up in MY house not mums"), P("popcorn + dvd w/ a mate 🍿")
            ),
            make_section("bad_day"),
        ),
    )


def large(emoji: str = "") -> Profile:
    return Profile(
        "Dev",
        tuple(
            make_section(
                key,
                *[P(f"Answer {n} about {key} that goes on for a good while{emoji}")
                  for n in range(6)],
            )
            for key in SECTION_KEYS
        ),
    )


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("", 0),
        ("a", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # extension characters take 2 septets each
        ("€" * 81, 2),
        ("a" * 152 + "{" + "a" * 9, 2),  # "{" does not split across segments
        ("中" * 70, 1),
        ("中" * 71, 2),
        ("中" * 134, 2),
        ("中" * 135, 3),
        ("a" * 69 + "🍿", 2),  # an emoji is 2 UTF-16 units and makes the text UCS-2
        ("🍿" * 35, 1),
        ("a" * 150 + "é", 1),  # é is in GSM-7
    ],
)
def test_sms_segments(text: str, segments: int) -> None:
    assert sms_segments(text) == segments


def test_gsm7_charset() -> None:
    assert is_gsm7("Hello @ £5 {x} [y] ~ ^ | \\ €")
    assert not is_gsm7("popcorn 🍿")
    assert not is_gsm7("it’s")
    assert gsm_friendly("it’s “fine” – really…") == "it's \"fine\" - really..."


def test_terminal_text_has_every_heading_and_item() -> None:
    text = render_text(gemma())
    lines = text.splitlines()
    assert lines[0] == "All about Gemma"
    assert "- Mum says: Bubbly. My laugh is infectious" in lines
    assert "- my lurcher Tango 'he is my sunshine!'" in lines
    assert "- popcorn + dvd w/ a mate 🍿" in lines
    for heading in ("What people like about me", "A good day for me"):
        assert heading in lines
    assert "A bad day for me" not in text  # a section with no items is not shown
    assert "See all of it" not in text
    assert render_text(gemma(), link=LINK).rstrip().endswith(f"See all of it: {LINK}")


def test_terminal_text_shows_control_characters_harmlessly() -> None:
    profile = Profile("Sam\x1b[2J", (make_section("good_day", P("red\x1b[31m\nline\r\x07")),))
    text = render_text(profile)
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    assert "- red [31m line" in text


def test_sms_short_profile_is_whole_and_core_only() -> None:
    text = render_text(gemma(), sms=True)
    assert sms_segments(text) == 2
    assert text.splitlines()[-1] == "- Listen to me"
    assert "Bubbly. My laugh is infectious" in text
    assert "A good day for me" not in text
    assert MORE_WITHOUT_LINK not in text and "..." not in text


@pytest.mark.parametrize("emoji", ["", " 🍿"])
def test_sms_large_profile_fits_3_segments_and_ends_with_the_link(emoji: str) -> None:
    text = render_text(large(emoji), sms=True, link=LINK)
    assert sms_segments(text) <= 3
    assert text.endswith(f"See all of it: {LINK}")
    assert text.startswith("All about Dev\n")
    for key in ("like_admire", "important_to", "best_support"):
        assert section_info(key).heading in text
        assert f"Answer 0 about {key}" in text
    assert "A good day for me" not in text
    assert "..." in text


def test_sms_cut_without_a_link_says_there_is_more() -> None:
    text = render_text(large(), sms=True)
    assert sms_segments(text) <= 3
    assert text.endswith(MORE_WITHOUT_LINK)


def test_sms_with_a_very_long_link_still_fits() -> None:
    link = "https://planbot.example/p/" + "x" * 300
    text = render_text(large(), sms=True, link=link)
    assert sms_segments(text) <= 3
    assert text.endswith(link)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(SECTION_KEYS), st.text(min_size=1, max_size=300)),
        min_size=0,
        max_size=25,
    ),
    st.sampled_from([None, LINK]),
)
def test_sms_always_fits_3_segments(answers: list[tuple[str, str]], link: str | None) -> None:
    by_key: dict[str, list[ProfileItem]] = {}
    for key, text in answers:
        by_key.setdefault(key, []).append(P(text))
    profile = Profile("Robin", tuple(make_section(k, *v) for k, v in by_key.items()))
    text = render_text(profile, sms=True, link=link)
    assert sms_segments(text) <= 3
    if link:
        assert text.endswith(link)
