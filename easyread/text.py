"""The profile as plain text: for the terminal, and a short form that fits in 3 texts (SMS).

Why a short form: a whole profile can run to many SMS messages, which cost money and are hard
to read on a small phone. The SMS form keeps the 3 core headings, cuts long items with "...",
and points to the full page with a link.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from easyread._model import Profile, ProfileItem, ProfileSection
from easyread.sms_text import gsm_friendly, sms_segments

MAX_SMS_SEGMENTS = 3
CORE_KEYS = ("like_admire", "important_to", "best_support")
MORE_WITHOUT_LINK = "There is more on the full page."
# An item is not cut shorter than this when it can be helped: a few words still say something.
_COMFORTABLE = 40
_SHORTEST = 12

# Control characters (and bidirectional overrides) could move the cursor or hide text in a
# terminal: a person's words are shown, never obeyed.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """The text on one line, without control characters, with runs of spaces made single."""
    return _SPACES.sub(" ", _UNSAFE.sub(" ", text)).strip()


def _item_line(item: ProfileItem, text: str | None = None) -> str:
    words = clean(item.text) if text is None else text
    whose = clean(item.whose)
    return f"- {whose}: {words}" if whose else f"- {words}"


def _shown(profile: Profile) -> list[ProfileSection]:
    """Sections that have at least one item with words in it."""
    return [s for s in profile.sections if any(clean(i.text) for i in s.items)]


def _items(section: ProfileSection) -> list[ProfileItem]:
    return [i for i in section.items if clean(i.text)]


def render_text(profile: Profile, *, sms: bool = False, link: str | None = None) -> str:
    """The profile as text for the terminal, or (``sms=True``) in at most 3 SMS segments.

    Terminal: the title, then each heading with its items as "- item" lines ("- Mum says: ..."
    for what others said). SMS: only the 3 core headings, cut to fit; it ends with
    "See all of it: <link>" when a link is given.
    """
    if sms:
        return _render_sms(profile, link)
    lines = [clean(profile.title)]
    if profile.made_by:
        lines.append(clean(profile.made_by))
    part = ""
    for section in _shown(profile):
        if section.part and section.part != part:  # a document in parts: each part's heading
            part = section.part
            lines += ["", clean(part), "=" * len(clean(part))]
        lines += ["", clean(section.heading)]
        lines += [_item_line(item) for item in _items(section)]
    if link:
        lines += ["", f"See all of it: {clean(link)}"]
    return "\n".join(lines)


def _cut(text: str, limit: int) -> str:
    """The text cut to at most ``limit`` characters, at a space if one is near, with "..."."""
    if len(text) <= limit:
        return text
    keep = text[: max(limit - 3, 1)]
    space = keep.rfind(" ")
    if space >= len(keep) - 15 and space > 0:
        keep = keep[:space]
    return keep.rstrip(" ,;:-") + "..."


def _core(profile: Profile) -> list[tuple[str, list[ProfileItem]]]:
    shown = _shown(profile)
    core = [s for s in shown if s.core] or [s for s in shown if s.key in CORE_KEYS]
    return [(gsm_friendly(clean(s.heading)), _items(s)) for s in core[:3]]


def _compose(
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
            lines.append(_item_line(item, short))
    if link:
        lines.append(f"See all of it: {link}")
    elif cut:
        lines.append(MORE_WITHOUT_LINK)
    return "\n".join(lines)


def _fits(text: str) -> bool:
    return sms_segments(text) <= MAX_SMS_SEGMENTS


def _best_limit(fits: list[int], compose: Callable[[int], str]) -> int | None:
    """Largest item length in ``fits`` (sorted) whose text fits; binary search."""
    lo, hi, best = 0, len(fits) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        if _fits(compose(fits[mid])):
            best, lo = fits[mid], mid + 1
        else:
            hi = mid - 1
    return best


def _render_sms(profile: Profile, link: str | None) -> str:
    title = gsm_friendly(clean(profile.title))
    if profile.made_by:
        title = f"{title}\n{gsm_friendly(clean(profile.made_by))}"
    link = clean(link) if link else None
    core = _core(profile)
    longest = max((len(clean(i.text)) for _, items in core for i in items), default=0)
    most = max((len(items) for _, items in core), default=0)
    limits = list(range(_SHORTEST, max(longest, _SHORTEST) + 1))
    # More items, each long enough to make sense, beat many fragments: drop items per section
    # before cutting items below a comfortable length.
    for per_section in range(most, 0, -1):

        def compose(limit: int, keep: int = per_section) -> str:
            return _compose(title, core, link, keep, limit)

        best = _best_limit(limits, compose)
        floor = min(_COMFORTABLE, longest)
        if best is not None and (best >= floor or per_section == 1):
            return _compose(title, core, link, per_section, best)
    # Even the shortest items do not fit (a very long link or headings): headings only.
    bare = _compose(title, core, link, 0, _SHORTEST)
    if _fits(bare):
        return bare
    return f"See all of it: {link}" if link else title
