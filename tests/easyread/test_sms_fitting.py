"""The SMS short profile's fitting: the same text as the first (slower) fitting, for the
profiles real people make, and a bounded amount of work for any profile at all.

Why a reference here: the fitting was made fast (its time once grew with the square of the
items, 18 seconds for 3,155 of them). The old way, kept below as it was, is the judge that
nothing a person sees has changed. How fast it is now: ``bench/limits.py`` prints it.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from easyread._model import Profile, ProfileItem, ProfileSection
from easyread._sections import SECTION_KEYS
from easyread._sections import section as section_info
from easyread.sms_text import gsm_friendly, sms_segments
from easyread.text import (
    _COMFORTABLE,
    _SHORTEST,
    MAX_SMS_SEGMENTS,
    MORE_WITHOUT_LINK,
    _core,
    _cut,
    clean,
    render_text,
)

LINK = "https://planbot.example/p/4f9c2a7e1b3d5f7a9c1e3g5i"
CORE = ("like_admire", "important_to", "best_support")


# --- the first fitting, as it was (the judge) ----------------------------------------------


def _old_compose(
    title: str,
    core: list[tuple[str, list[ProfileItem]]],
    link: str | None,
    per_section: int,
    limit: int,
) -> str:
    lines = [title]
    cut = False
    for heading, items in core:
        lines.append(heading)
        if len(items) > per_section:
            cut = True
        for item in items[:per_section]:
            words = gsm_friendly(clean(item.text))
            short = _cut(words, limit)
            cut = cut or short != words
            whose = clean(item.whose)
            lines.append(f"- {whose}: {short}" if whose else f"- {short}")
    if link:
        lines.append(f"See all of it: {link}")
    elif cut:
        lines.append(MORE_WITHOUT_LINK)
    return "\n".join(lines)


def _old_fits(text: str) -> bool:
    return sms_segments(text) <= MAX_SMS_SEGMENTS


def _old_best(fits: list[int], compose: Callable[[int], str]) -> int | None:
    lo, hi, best = 0, len(fits) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        if _old_fits(compose(fits[mid])):
            best, lo = fits[mid], mid + 1
        else:
            hi = mid - 1
    return best


def old_sms(profile: Profile, link: str | None) -> str:
    title = gsm_friendly(clean(profile.title))
    if profile.made_by:
        title = f"{title}\n{gsm_friendly(clean(profile.made_by))}"
    link = clean(link) if link else None
    shown = [s for s in profile.sections if any(clean(i.text) for i in s.items)]
    core_sections = [s for s in shown if s.core] or [s for s in shown if s.key in CORE]
    core = [
        (gsm_friendly(clean(s.heading)), [i for i in s.items if clean(i.text)])
        for s in core_sections[:3]
    ]
    longest = max((len(clean(i.text)) for _, items in core for i in items), default=0)
    most = max((len(items) for _, items in core), default=0)
    limits = list(range(_SHORTEST, max(longest, _SHORTEST) + 1))
    for per_section in range(most, 0, -1):

        def compose(limit: int, keep: int = per_section) -> str:
            return _old_compose(title, core, link, keep, limit)

        best = _old_best(limits, compose)
        if best is not None and (best >= min(_COMFORTABLE, longest) or per_section == 1):
            return _old_compose(title, core, link, per_section, best)
    bare = _old_compose(title, core, link, 0, _SHORTEST)
    if _old_fits(bare):
        return bare
    return f"See all of it: {link}" if link else title


# --- profiles ----------------------------------------------------------------------------


def make_section(key: str, items: list[ProfileItem]) -> ProfileSection:
    info = section_info(key)
    return ProfileSection(key, info.heading, info.icon, tuple(items), info.core)


WORDS = st.sampled_from(
    [
        "swimming",
        "my dog Tango",
        "Mum's roast dinner",
        "be patient with me",
        "“quiet” time",
        "wait…",
        "🍿",
        "€5 a week",
        "chips, beans",
        "   spaced   out   ",
        "-",
        "a",
        "going to the football with my brother on Saturday afternoons",
    ]
)
ITEM = st.builds(
    ProfileItem,
    st.lists(WORDS, min_size=1, max_size=6).map(" ".join),
    st.sampled_from(["", "Mum", "Sam"]),
    st.sampled_from(["person", "person", "family", "supporter"]),
)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(st.sampled_from(SECTION_KEYS[:6]), st.lists(ITEM, max_size=14), max_size=6),
    st.sampled_from([None, LINK, LINK + "x" * 300]),
    st.sampled_from(["", "Made by Mum with Amy."]),
)
def test_the_same_text_as_the_first_fitting(
    answers: dict[str, list[ProfileItem]], link: str | None, made_by: str
) -> None:
    profile = Profile("Amy", tuple(make_section(k, v) for k, v in answers.items()), made_by=made_by)
    assert render_text(profile, sms=True, link=link) == old_sms(profile, link)


def test_the_same_text_for_a_full_plan() -> None:
    """A real plan at the limits: 40 things a topic, each a sentence or two."""
    sentence = "I like it when people talk to me slowly and wait for my answer. "
    profile = Profile(
        "Dev",
        tuple(
            make_section(key, [ProfileItem(f"{n} {sentence * (n % 4 + 1)}") for n in range(40)])
            for key in SECTION_KEYS[:9]
        ),
    )
    for link in (None, LINK):
        text = render_text(profile, sms=True, link=link)
        assert text == old_sms(profile, link)
        assert sms_segments(text) <= 3


def test_a_huge_profile_is_fitted_without_trying_every_item() -> None:
    """Thousands of things (more than planbot keeps now, as a plan kept before the limits
    might hold): the short form still fits, and its items a heading are only as many as
    could ever fit in 3 texts, however many are stored."""
    items = [ProfileItem(f"thing {n}") for n in range(5000)]
    profile = Profile("Dev", tuple(make_section(key, items) for key in CORE))
    text = render_text(profile, sms=True, link=LINK)
    assert sms_segments(text) <= 3
    assert text.endswith(LINK)
    assert "- thing 0" in text
    lines = [line for line in text.split("\n") if line.startswith("- ")]
    assert 3 <= len(lines) <= 3 * (MAX_SMS_SEGMENTS * 153 // 4)
    assert len(_core(profile)[0][1]) == 5000  # every item was read once, none dropped unseen
