"""The profile as plain text: for the terminal, and a short form that fits in 3 texts (SMS).

Why a short form: a whole profile can run to many SMS messages, which cost money and are hard
to read on a small phone. The SMS form keeps the 3 core headings, cuts long items with "...",
and points to the full page with a link.

Why the fitting is careful about time: it tries fewer items and shorter cuts until the text
fits, and a person can keep many things. Each item is cleaned once, a try stops as soon as its
text is longer than 3 texts can hold, and only as many items as could ever fit are tried, so
the time grows with what is stored once, not with its square.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from easyread._model import Profile, ProfileItem, ProfileSection
from easyread.sms_text import GSM7_PART, gsm_friendly, sms_segments

MAX_SMS_SEGMENTS = 3
CORE_KEYS = ("like_admire", "important_to", "best_support")
MORE_WITHOUT_LINK = "There is more on the full page."
# An item is not cut shorter than this when it can be helped: a few words still say something.
_COMFORTABLE = 40
_SHORTEST = 12
# No text longer than this fits in 3 texts (each character takes at least 1 of the 153 units
# of a part), so a short form is dropped as soon as it grows past it.
_MOST_CHARS = MAX_SMS_SEGMENTS * GSM7_PART

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


@dataclass(frozen=True)
class _Line:
    """One item of the short form, cleaned once: its "- Mum: " prefix and its words."""

    prefix: str
    words: str
    length: int  # of the cleaned words before "…" became "...": what the cut limits run to

    def shown(self, limit: int) -> tuple[str, bool]:
        """The item's line with its words cut to ``limit``, and whether they were cut."""
        short = _cut(self.words, limit)
        return f"{self.prefix}{short}", short != self.words


def _line(item: ProfileItem) -> _Line:
    whose, words = clean(item.whose), clean(item.text)
    return _Line(f"- {whose}: " if whose else "- ", gsm_friendly(words), len(words))


def _core(profile: Profile) -> list[tuple[str, list[_Line]]]:
    shown = _shown(profile)
    core = [s for s in shown if s.core] or [s for s in shown if s.key in CORE_KEYS]
    return [(gsm_friendly(clean(s.heading)), [_line(i) for i in _items(s)]) for s in core[:3]]


def _compose(
    title: str,
    core: list[tuple[str, list[_Line]]],
    link: str | None,
    per_section: int,
    limit: int,
) -> str | None:
    """The short form with ``per_section`` items a heading, each cut to ``limit`` characters;
    None as soon as it is longer than any text that fits (the rest is never looked at)."""
    lines = [title]
    size = len(title)
    cut = False
    for heading, items in core:
        lines.append(heading)
        size += len(heading) + 1
        if len(items) > per_section:
            cut = True
        for item in items[:per_section]:
            line, shortened = item.shown(limit)
            cut = cut or shortened
            lines.append(line)
            size += len(line) + 1
            if size > _MOST_CHARS:
                return None
    if link:
        lines.append(f"See all of it: {link}")
    elif cut:
        lines.append(MORE_WITHOUT_LINK)
    return "\n".join(lines)


def _fits(text: str | None) -> bool:
    return text is not None and sms_segments(text) <= MAX_SMS_SEGMENTS


def _best_limit(fits: list[int], compose: Callable[[int], str | None]) -> int | None:
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
    longest = max((i.length for _, items in core for i in items), default=0)
    most = max((len(items) for _, items in core), default=0)
    limits = list(range(_SHORTEST, max(longest, _SHORTEST) + 1))
    # More items, each long enough to make sense, beat many fragments: drop items per section
    # before cutting items below a comfortable length. Each line takes at least 4 characters
    # ("- x" and its line break), so more than _MOST_CHARS // 4 items a heading never fit:
    # the search starts below that, whatever is stored.
    for per_section in range(min(most, _MOST_CHARS // 4), 0, -1):

        def compose(limit: int, keep: int = per_section) -> str | None:
            return _compose(title, core, link, keep, limit)

        best = _best_limit(limits, compose)
        floor = min(_COMFORTABLE, longest)
        if best is not None and (best >= floor or per_section == 1):
            text = _compose(title, core, link, per_section, best)
            assert text is not None  # it fitted just now
            return text
    # Even the shortest items do not fit (a very long link or headings): headings only.
    bare = _compose(title, core, link, 0, _SHORTEST)
    if bare is not None and _fits(bare):
        return bare
    return f"See all of it: {link}" if link else title
