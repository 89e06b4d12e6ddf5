"""SMS counting's quick paths against the plain rules: segments and GSM-friendly text.

Why a reference here: ``sms_segments`` and ``gsm_friendly`` run on every reply the SMS
webhook sends, so they skip work for plain ASCII text. The rules, written out character by
character below, judge that no count and no text has changed.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from easyread.sms_text import (
    _GSM_FRIENDLY,
    GSM7_ALL,
    GSM7_EXTENDED,
    GSM7_PART,
    GSM7_SINGLE,
    UCS2_PART,
    UCS2_SINGLE,
    gsm_friendly,
    sms_segments,
)
from tests.auxil.hostile import examples

# Plain letters, every extension character, what is not GSM-7 (a backtick, a control, an
# accent, an emoji) and long runs, so that texts of one, two and more segments all come up.
CHARACTERS = [*"aZ 1\n\r.?", *sorted(GSM7_EXTENDED), "`", "\x00", "\x7f", "\t", "é", "ç", "’", "…"]
RUNS = ["😀", "x" * 60, "y" * 153, "z" * 70]
PIECES = st.sampled_from([*CHARACTERS, *RUNS])


def plain_segments(text: str) -> int:
    """The rule, one character at a time, with no quick path."""
    if not text:
        return 0
    gsm = all(c in GSM7_ALL for c in text)
    single, part = (GSM7_SINGLE, GSM7_PART) if gsm else (UCS2_SINGLE, UCS2_PART)
    costs = [2 if (c in GSM7_EXTENDED if gsm else ord(c) > 0xFFFF) else 1 for c in text]
    if sum(costs) <= single:
        return 1
    segments, used = 1, 0
    for cost in costs:
        if used + cost > part:
            segments, used = segments + 1, 0
        used += cost
    return segments


@settings(max_examples=examples(1000), deadline=None)
@given(st.lists(PIECES, max_size=12).map("".join))
def test_segments_as_the_plain_rule_counts_them(text: str) -> None:
    assert sms_segments(text) == plain_segments(text)


@settings(max_examples=examples(500), deadline=None)
@given(st.lists(PIECES, max_size=12).map("".join))
def test_gsm_friendly_as_the_whole_table_swaps(text: str) -> None:
    assert gsm_friendly(text) == text.translate(_GSM_FRIENDLY)


def test_lengths_at_the_edges() -> None:
    for length in (1, 80, 159, 160, 161, 306, 307):
        for text in ("a" * length, "a" * (length - 1) + "[", "é" * length, "😀" * length):
            assert sms_segments(text) == plain_segments(text), (length, text[-1])
