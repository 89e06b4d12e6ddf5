"""The easy-read profile page: escaping, structure, accessibility rules and pictures."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from easyread._model import Profile, ProfileItem
from easyread._sections import sections as all_sections
from easyread.html import listen_script, render_html
from easyread.icons import icon_data_uri, icon_svg, openmoji_code
from tests.auxil.hostile import HOSTILE
from tests.auxil.profiles import make_section


def gemma() -> Profile:
    mum = ProfileItem("Bubbly. My laugh is infectious", "Mum", "family")
    return Profile(
        "Gemma",
        (
            make_section("like_admire", mum, ProfileItem("Kind to everyone I meet")),
            make_section("important_to", ProfileItem("my lurcher Tango 'he is my sunshine!'")),
            make_section("best_support", ProfileItem("Listen to me & respect my privacy")),
            make_section(
                "good_day",
                ProfileItem("wake up in MY house not mums"),
                ProfileItem("popcorn + dvd w/ a mate 🍿"),
            ),
            make_section("bad_day", ProfileItem("Someone choosing clothes for me")),
        ),
    )


class Page(HTMLParser):
    """Collects what the tests look at: tags in order, headings, pictures, footer text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[tuple[str, str]] = []
        self.footer_text = ""
        self._heading: str | None = None
        self._in_footer = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = tag
            self.headings.append((tag, ""))
        self._in_footer = self._in_footer or tag == "footer"

    def handle_endtag(self, tag: str) -> None:
        if tag == self._heading:
            self._heading = None
        if tag == "footer":
            self._in_footer = False

    def handle_data(self, data: str) -> None:
        if self._heading:
            level, text = self.headings[-1]
            self.headings[-1] = (level, text + data)
        if self._in_footer:
            self.footer_text += data

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


EMOJI_IMG = re.compile(r'<img class="emoji" src="data:image/svg\+xml;base64,[^"]*" alt="([^"]*)">')


def emoji_as_alt_text(html: str) -> str:
    """The page with each emoji picture put back as its alt text (the emoji itself)."""
    return EMOJI_IMG.sub(r"\1", html)


def css_of(html: str) -> str:
    """The page's inline CSS without its comments."""
    css = html.split("<style>", 1)[1].split("</style>", 1)[0]
    return re.sub(r"/\*.*?\*/", "", css, flags=re.S)


def test_title_lang_landmarks_and_meta() -> None:
    html = render_html(gemma())
    page = Page(html)
    assert page.all("html")[0]["lang"] == "en-GB"
    assert "<title>All about Gemma</title>" in html
    for landmark in ("header", "main", "footer"):
        assert len(page.all(landmark)) == 1
    metas = {m.get("name"): m.get("content") for m in page.all("meta")}
    assert metas["robots"] == "noindex"
    assert metas["referrer"] == "no-referrer"


def test_headings_h1_then_h2_in_profile_order() -> None:
    page = Page(render_html(gemma()))
    levels = [level for level, _ in page.headings]
    assert levels == ["h1"] + ["h2"] * 5
    assert page.headings[0][1] == "All about Gemma"
    assert [t for _, t in page.headings[1:]] == [s.heading for s in gemma().sections]


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_text_is_escaped_everywhere(name: str) -> None:
    hostile = HOSTILE[name]
    item = ProfileItem(hostile, said_by=hostile, perspective="family")
    profile = Profile(hostile, (make_section("important_to", item, ProfileItem(hostile)),))
    html = render_html(profile, audio_url=hostile, photo_url=hostile)
    assert "<script" not in html
    page = Page(html)
    assert not [attrs for _, attrs in page.tags if any(a.startswith("on") for a in attrs)]
    assert [a.get("src") for a in page.all("img") if a.get("src") == "x"] == []
    # Each in its own <bdi>: not even a right-to-left override reaches "says" or the next line.
    assert f"<bdi>{escape(hostile)}</bdi> says:</strong> <bdi>{escape(hostile)}</bdi>" in html
    # The item's own picture (if its words have one) may come first: it carries no text.
    item_li = r'<li>(<img class="item-picture" src="data:[^"]*" alt=""[^>]*> )?<bdi>'
    assert re.search(item_li + re.escape(str(escape(hostile))) + "</bdi>", html)


def test_ampersand_and_quotes_are_escaped() -> None:
    html = render_html(gemma())
    assert "Listen to me &amp; respect my privacy" in html
    assert "my lurcher Tango &#39;he is my sunshine!&#39;" in html


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=200).filter(lambda t: t.strip()))
def test_any_text_is_shown_escaped(text: str) -> None:
    html = render_html(Profile("Sam", (make_section("good_day", ProfileItem(text)),)))
    assert str(escape(text)) in emoji_as_alt_text(html)
    assert len(Page(html).all("script")) == 0


def test_emoji_are_kept_as_openmoji_pictures_with_the_emoji_as_alt_text() -> None:
    """No emoji font is needed on the phone: the emoji is an OpenMoji picture, on the words-only
    page too, and a screen reader reads the emoji itself."""
    for words_only in (False, True):
        html = render_html(gemma(), words_only=words_only)
        assert "popcorn + dvd w/ a mate 🍿" not in html  # not left to the phone's fonts
        assert "popcorn + dvd w/ a mate 🍿" in emoji_as_alt_text(html)
        emoji = [a for a in Page(html).all("img") if a.get("class") == "emoji"]
        assert [a["alt"] for a in emoji] == ["🍿"]
        assert emoji[0]["src"] == icon_data_uri("1F37F")


def test_emoji_in_names_and_the_title_are_pictures_too() -> None:
    item = ProfileItem("Brave 💪", "Nan 👵", "family")
    profile = Profile("Jo 🌸", (make_section("like_admire", item),))
    html = render_html(profile)
    alts = [a["alt"] for a in Page(html).all("img") if a.get("class") == "emoji"]
    assert sorted(alts) == sorted(["🌸", "💪", "👵"])
    assert "<title>All about Jo 🌸</title>" in html  # the tab's title stays text


def test_a_voice_note_is_named_in_plain_words_even_with_emoji() -> None:
    item = ProfileItem("My song 🎵", audio="12")
    html = render_html(Profile("Jo", (make_section("good_day", item),)), voice_url="t/voice")
    audio = Page(html).all("audio")
    assert audio[0]["aria-label"] == "My song 🎵" and audio[0]["src"] == "t/voice/12.ogg"


def test_others_words_are_marked_in_bold_not_italics() -> None:
    html = render_html(gemma())
    assert '<strong class="whose"><bdi>Mum</bdi> says:</strong> <bdi>Bubbly.' in html
    assert "<em" not in html and "<i>" not in html
    assert "Kind to everyone I meet</bdi></li>" in html
    assert "says:</strong> <bdi>Kind" not in html


def test_each_section_has_a_picture_and_the_footer_credits_openmoji() -> None:
    page = Page(render_html(gemma()))
    icons = [a for a in page.all("img") if a.get("class") == "icon"]
    assert len(icons) == 5
    assert all(str(a["src"]).startswith("data:image/svg+xml;base64,") for a in icons)
    assert all(a["alt"] == "" for a in icons)  # decorative: the heading says it in words
    assert " ".join(page.footer_text.split()) == (
        "Pictures by OpenMoji. Free to share. openmoji.org "
        "The licence: Creative Commons Attribution-ShareAlike 4.0 International"
    )
    assert "CC BY-SA" not in page.footer_text  # no acronym
    hrefs = [a.get("href") for a in page.all("a")]
    assert "https://openmoji.org/" in hrefs
    assert "https://creativecommons.org/licenses/by-sa/4.0/" in hrefs


def test_printed_credit_is_plain_words_with_no_link() -> None:
    html = render_html(gemma(), for_print=True)
    footer = html.split("<footer>", 1)[1]
    assert " ".join(Page(html).footer_text.split()) == "Pictures by OpenMoji. Free to share."
    assert "<a " not in footer
    assert re.search(r"\.print footer a \{[^}]*text-decoration: none", css_of(html))


def test_words_only_has_no_section_pictures_but_keeps_the_photo() -> None:
    profile = Profile("Gemma", gemma().sections, photo=None)
    plain = (make_section("good_day", ProfileItem("Swimming")),)
    html = render_html(Profile("Gemma", plain), words_only=True, photo_url="me.jpg")
    assert "<svg" not in html and 'class="icon"' not in html and 'class="emoji"' not in html
    assert "OpenMoji" not in html  # no OpenMoji picture shown, so no credit
    assert [a["src"] for a in Page(html).all("img")] == ["me.jpg"]
    # An emoji the person typed is drawn by OpenMoji even here, so the credit is back.
    with_emoji = render_html(profile, words_only=True, photo_url="me.jpg")
    assert 'class="icon"' not in with_emoji
    assert "Pictures by OpenMoji. Free to share." in Page(with_emoji).footer_text


def test_empty_sections_and_blank_items_are_not_shown() -> None:
    profile = Profile(
        "Gemma",
        (
            make_section("like_admire"),
            make_section("bad_day", ProfileItem("   ")),
            make_section("good_day", ProfileItem("Swimming"), ProfileItem("")),
        ),
    )
    html = render_html(profile)
    assert "What people like about me" not in html
    assert "A bad day for me" not in html
    assert [t for _, t in Page(html).headings] == ["All about Gemma", "A good day for me"]
    assert html.count("<li>") == 1


def test_the_listen_button_its_script_and_the_length() -> None:
    html = render_html(
        gemma(),
        audio_url="abc.mp3",
        script_url="../static/listen.js?v=1",
        listen_length="About 2 minutes",
    )
    page = Page(html)
    assert [s.get("src") for s in page.all("script")] == ["../static/listen.js?v=1"]
    assert "<script>" not in html and "onclick" not in html  # a file, nothing inline
    [button] = page.all("button")
    assert button["type"] == "button" and "hidden" in button  # shown by its script only
    assert button["aria-controls"] == "listen-audio" == page.all("audio")[0]["id"]
    assert button["aria-describedby"] == "listen-length"
    assert '<p id="listen-length" class="listen-length">About 2 minutes</p>' in html
    assert ">Listen</button>" in html
    # The browser's own player stays, for people without scripts.
    assert "controls" in page.all("audio")[0]
    # Not in print, and no button without the script or without a sound.
    for other in (
        render_html(gemma(), audio_url="abc.mp3", script_url="s.js", for_print=True),
        render_html(gemma(), audio_url="abc.mp3"),
        render_html(gemma(), script_url="s.js", listen_length="About 1 minute"),
    ):
        assert "<script" not in other and "<button" not in other
    assert "About" not in render_html(gemma(), script_url="s.js", listen_length="About 1 minute")


def test_the_listen_script_is_small_and_runs_nothing_it_is_given() -> None:
    script = listen_script().decode("utf-8")
    assert len(script) < 3000
    for never in ("eval(", "Function(", "innerHTML", "document.write", 'setTimeout("', "http"):
        assert never not in script, never
    assert 'getElementById("listen-audio")' in script
    assert "textContent" in script and "hidden = false" in script


def test_audio_player_has_a_text_label() -> None:
    html = render_html(gemma(), audio_url="/p/abc.mp3")
    page = Page(html)
    audio = page.all("audio")
    assert len(audio) == 1 and "controls" in audio[0] and audio[0]["src"] == "/p/abc.mp3"
    assert "Listen to this page" in html
    assert "<audio" not in render_html(gemma())
    assert "<audio" not in render_html(gemma(), audio_url="/p/abc.mp3", for_print=True)


def test_links_to_the_other_forms_are_plain_words_and_not_printed() -> None:
    html = render_html(gemma(), pdf_url="abc.pdf", words_only_url="abc.words", pictures_url="abc")
    assert '<a href="abc.pdf">Print this page</a>' in html
    assert '<a href="abc.words">Words only</a>' in html
    assert "Words and pictures" not in html  # this is the page with pictures
    words = render_html(
        gemma(), words_only=True, pdf_url="abc.pdf", words_only_url="abc.words", pictures_url="abc"
    )
    assert '<a href="abc">Words and pictures</a>' in words
    assert "Words only</a>" not in words
    assert "Print this page" not in render_html(gemma(), pdf_url="abc.pdf", for_print=True)
    assert "<nav" not in render_html(gemma())
    hostile = render_html(gemma(), pdf_url='"><script>x</script>')
    assert "<script>x" not in hostile


def test_photo_near_the_top_with_alt_text(tmp_path: Path) -> None:
    page = Page(render_html(gemma(), photo_url="/p/abc/photo.jpg"))
    first_img = page.all("img")[0]
    assert first_img == {"class": "photo", "src": "/p/abc/photo.jpg", "alt": "Photo of Gemma"}
    photo = tmp_path / "me.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    inside = Page(render_html(Profile("Gemma", gemma().sections, photo=photo)))
    assert str(inside.all("img")[0]["src"]).startswith("data:image/png;base64,")
    missing = Profile("Gemma", gemma().sections, photo=tmp_path / "gone.jpg")
    assert 'class="photo"' not in render_html(missing)


def test_styles_follow_the_easy_read_layout_rules() -> None:
    css = css_of(render_html(gemma()))
    sizes = [float(s) for s in re.findall(r"font-size:\s*([\d.]+)pt", css)]
    assert sizes and min(sizes) >= 16
    assert not re.search(r"font-size:\s*[\d.]+(px|em|rem|%)", css)
    assert "sans-serif" in css and "comic" not in css.lower()
    assert "italic" not in css
    assert "hyphens: none" in css and "overflow-wrap: normal" in css
    assert "@media print" in css and "size: A4" in css
    assert "text-decoration: underline" in css  # links only
    assert re.search(r"strong, b \{\s*font-weight: bold", css)


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_text_colours_meet_wcag_aa_on_every_background() -> None:
    css = css_of(render_html(gemma()))
    colours = set(re.findall(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", css))
    backgrounds = set(re.findall(r"background:\s*(#[0-9a-fA-F]{6})", css))
    assert colours and backgrounds
    for fg in colours:
        for bg in backgrounds:
            assert contrast(fg, bg) >= 4.5, (fg, bg)


def test_every_section_icon_is_an_openmoji_picture() -> None:
    for info in all_sections():
        assert openmoji_code(info.icon) is not None, info.key
        svg = icon_svg(info.icon)
        assert svg.lstrip().startswith("<svg") and "<text" not in svg  # not the fallback


def test_missing_or_unsafe_codes_get_the_drawn_fallback() -> None:
    for code in ("FFFFF", "../../etc/passwd", ""):
        svg = icon_svg(code, "Questions <for> me")
        assert "<circle" in svg and ">Q</text>" in svg
    assert icon_svg("1f60a") == icon_svg("U+1F60A")
    assert icon_data_uri("1F60A").startswith("data:image/svg+xml;base64,")


def test_language_is_checked() -> None:
    odd = Profile("Gemma", gemma().sections, language='en"><script>')
    assert Page(render_html(odd)).all("html")[0]["lang"] == "en-GB"
    welsh = Profile("Gemma", gemma().sections, language="cy-GB")
    assert Page(render_html(welsh)).all("html")[0]["lang"] == "cy-GB"
