"""SMS forms of the replies: every script message fits 2 segments, in GSM-7, easy read."""

from __future__ import annotations

import string
import xml.etree.ElementTree as ET
from collections import defaultdict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sms.bodies import (
    MAX_BODIES_PER_REPLY,
    MAX_SEGMENTS,
    choice_lines,
    reply_text,
    sms_bodies,
    split_sms,
    xml_safe,
)
from bot.sms.words import TEXTS
from bot.sms.words import text as sms_text
from bot.web.app import twiml
from dialogues import Choice, Reply, load_script
from easyread import check_message, sections
from easyread.sms_text import is_gsm7, sms_segments

LONGEST_HEADING = max((s.heading for s in sections()), key=len)
TYPICAL = {
    "name": "Dev",
    "number": "3",
    "total": "9",
    "heading": LONGEST_HEADING,
    "contact": "Call Sam at Speak Up on 0123 456 7890",
    "text": "going swimming on Saturdays",
    "said_by": "Sam",
    "days": "30",
    "link": "https://planbot.example.org/p/" + "A" * 43,
}


def filled(text: str) -> str:
    return string.Formatter().vformat(text, (), defaultdict(lambda: "Dev", TYPICAL))


def script_replies() -> list[tuple[str, Reply]]:
    """Every script text alone, and each question as the engine sends it (with choices)."""
    script = load_script()
    out = [(where, Reply(filled(text))) for where, text in script.all_texts()]
    for step in script.steps:
        choices = tuple(Choice(c.label, c.value) for c in step.choices)
        if step.say:
            out.append((f"{step.id}.say", Reply("\n".join(step.say))))
        for ask in (step.ask, step.ask_other, step.reword, step.reword_other):
            if ask:
                intro = filled(script.messages["topic_intro"]) if step.kind == "list" else ""
                words = "\n".join(p for p in (intro, filled(ask), filled(step.example)) if p)
                out.append((f"{step.id}: {ask}", Reply(words, choices, "ask")))
    retry = tuple(Choice(c.label, c.value) for c in script.retry_choices)
    out.append(("retry", Reply(script.messages["pick_number"], retry, "ask")))
    return out


@pytest.mark.parametrize(("where", "reply"), script_replies(), ids=lambda v: str(v)[:60])
def test_every_script_message_fits_two_gsm_segments(where: str, reply: Reply) -> None:
    bodies = sms_bodies([reply])
    assert len(bodies) == 1, (where, bodies)
    assert is_gsm7(bodies[0]), where  # our own words: no emoji, no curly quotes
    assert sms_segments(bodies[0]) <= MAX_SEGMENTS, (where, bodies[0])


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_the_sms_channels_own_words_are_easy_read_and_fit(key: str) -> None:
    text = sms_text(key, **{k: v for k, v in TYPICAL.items() if k in ("days", "link")})
    assert is_gsm7(text)
    assert sms_segments(text) <= MAX_SEGMENTS
    prose = text.replace(TYPICAL["link"], "")
    assert check_message(prose) == [], (key, check_message(prose))


def test_choices_become_reply_lines() -> None:
    yes_no = (Choice("Yes", "yes"), Choice("No", "no"))
    assert choice_lines(yes_no) == "Reply 1 for Yes, 2 for No."
    long = (Choice("Yes, change something", "yes"), Choice("No, it is done", "no"))
    assert choice_lines(long) == "Reply with a number:\n1. Yes, change something\n2. No, it is done"
    reply = Reply("Can I keep your answers safe?", yes_no, "ask")
    assert reply_text(reply) == "Can I keep your answers safe?\nReply 1 for Yes, 2 for No."


def test_typographic_characters_become_gsm_and_emoji_stay() -> None:
    text = reply_text(Reply("It’s “fine” – really… 🐶"))
    assert text == 'It\'s "fine" - really... 🐶'


def test_a_long_reply_is_split_at_line_ends_and_cut_with_a_pointer() -> None:
    lines = [f"- thing number {n} that I said" for n in range(60)]
    bodies = sms_bodies([Reply("\n".join(lines)), Reply("Do you want to change anything?")])
    assert len(bodies) == MAX_BODIES_PER_REPLY
    assert bodies[0].startswith("- thing number 0 ")
    assert all(line.startswith("- thing") for body in bodies[:2] for line in body.split("\n"))
    # the pointer and the question are short: they travel together, in one text
    assert bodies[-1] == sms_text("more") + "\nDo you want to change anything?"
    assert all(sms_segments(b) <= MAX_SEGMENTS for b in bodies)


def test_short_replies_travel_in_one_text_so_they_cannot_arrive_out_of_order() -> None:
    saved = Reply("Thank you. I have saved:\n- swimming")
    more = Reply("Is there anything else? Say done when you have finished.")
    assert sms_bodies([saved, more]) == [
        "Thank you. I have saved:\n- swimming\nIs there anything else? Say done when you "
        "have finished."
    ]


def test_replies_are_joined_only_while_the_text_fits_two_segments() -> None:
    long = Reply("word " * 60)  # about 300 characters: nearly 2 segments on its own
    question = Reply("Is there anything else? " * 2)
    bodies = sms_bodies([long, question])
    assert len(bodies) == 2
    assert bodies[1] == "Is there anything else? Is there anything else?"
    assert all(sms_segments(b) <= MAX_SEGMENTS for b in bodies)


@given(st.lists(st.text(max_size=400), max_size=5))
def test_joined_bodies_fit_and_keep_every_word_in_order(texts: list[str]) -> None:
    replies = [Reply(t, kind="profile") for t in texts]
    bodies = sms_bodies(replies)
    assert all(sms_segments(b) <= MAX_SEGMENTS for b in bodies)
    expected = "".join("".join(reply_text(r).split()) for r in replies)
    assert "".join("".join(b.split()) for b in bodies) == expected


def test_the_profile_reply_is_never_cut() -> None:
    text = "\n".join(f"- item {n}" for n in range(100))
    bodies = sms_bodies([Reply(text, kind="profile")])
    assert len(bodies) > MAX_BODIES_PER_REPLY
    assert "\n".join(bodies) == text


def test_xml_safe_drops_only_what_xml_cannot_hold() -> None:
    assert xml_safe("a\x00b\x1bc\ufffed\uffffe\tf\ng") == "abcde\tf\ng"
    assert xml_safe("é 🐶 &<>") == "é 🐶 &<>"


@given(st.text(max_size=3000))
def test_any_text_splits_into_bodies_that_fit_and_keep_every_word(text: str) -> None:
    cleaned = reply_text(Reply(text))
    bodies = split_sms(cleaned)
    assert all(sms_segments(b) <= MAX_SEGMENTS for b in bodies)
    assert "".join("".join(b.split()) for b in bodies) == "".join(cleaned.split())
    ET.fromstring(twiml(bodies))  # always well-formed
