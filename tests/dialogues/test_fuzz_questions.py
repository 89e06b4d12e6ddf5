"""Any text at every kind of question: a reply in words, never a crash, and the talk goes on.

``test_engine.py``'s property test wanders through a conversation at random and may never
reach some questions (the photo, a family member's "how did they agree", the review, a
supporter joining, the person approving them, the menus). Here each kind of question is reached
on purpose, by a fixed route checked by the words of its question, and then gets text made by
hypothesis: random text, the hostile strings (tests/auxil/hostile.py) and lone surrogates
(which JSON from Telegram can carry and no database can store).
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import storage
from dialogues import Engine, Incoming, Media, Reply
from planbot.settings import Settings
from tests.auxil.hostile import HOSTILE, TALLY, examples
from tests.conftest import Clock
from tests.dialogues.test_engine import Chat

ANSWERS = ["yes", "1", "Dev"]  # agree, "it is me", a name: the first topic
FAMILY = ["yes", "3", "Mum", "Amy"]  # family typing for Amy: how did Amy agree?
TOPICS_DONE = [*ANSWERS, *["done"] * 9]  # "Do you want to change anything?"


class PhotoChat(Chat):
    """A chat on a channel that carries photos (as SMS in the US, or Telegram)."""

    def incoming(
        self, text: str, *, opening: bool = False, media: tuple[Media, ...] = ()
    ) -> Incoming:
        message = super().incoming(text, opening=opening, media=media)
        return dataclasses.replace(message, takes_photos=True)


def said(chat: Chat, messages: list[str]) -> str:
    out = chat.send("", opening=True)
    for text in messages:
        out = chat.send(text)
    return out


def joined_by_a_supporter(engine: Engine, key: str, upto: list[str]) -> tuple[Chat, str]:
    """Dev invites; a second phone joins with the code and answers ``upto``."""
    owner = Chat(engine, f"owner-{key}")
    said(owner, ANSWERS)
    code = re.search(r"JOIN (\d+)", owner.send("invite"))
    assert code is not None
    helper = Chat(engine, f"helper-{key}")
    out = helper.send(f"join {code.group(1)}")
    for text in upto:
        out = helper.send(text)
    return helper, out


def asked_to_approve(engine: Engine, key: str) -> tuple[Chat, str]:
    """Sam has joined; Dev is asked "Sam wants to help with your plan. Is that OK?"."""
    joined_by_a_supporter(engine, key, ["yes", "Sam", "1"])
    owner = Chat(engine, f"owner-{key}")
    return owner, owner.send("kind")


def simple(messages: list[str], photos: bool = False) -> Callable[[Engine, str], tuple[Chat, str]]:
    def route(engine: Engine, key: str) -> tuple[Chat, str]:
        chat = (PhotoChat if photos else Chat)(engine, f"fuzz-{key}")
        return chat, said(chat, messages)

    return route


# Each kind of question: how to reach it, and words its question holds (so the route is true).
QUESTIONS: dict[str, tuple[Callable[[Engine, str], tuple[Chat, str]], str]] = {
    "consent (yes or no)": (simple([]), "Can I keep your answers safe"),
    "who is typing (a choice)": (simple(["yes"]), "Who is typing?"),
    "a name (text)": (simple(["yes", "1"]), "What should I call you?"),
    "the helper's own name (text)": (simple(["yes", "3"]), "What is your name?"),
    "the person's name, asked of family": (
        simple(["yes", "3", "Mum"]),
        "What is the name of the person you are helping?",
    ),
    "how the person agreed (a choice)": (simple(FAMILY), "How did Amy agree"),
    "why it is best for them (text)": (simple([*FAMILY, "2"]), "Why is this plan best for Amy?"),
    "the photo question": (simple(ANSWERS, photos=True), "photo"),
    "a topic (a list)": (simple(ANSWERS), "Topic 1 of 9"),
    "anything else (a list, after an item)": (
        simple([*ANSWERS, "kind"]),
        "Is there anything else?",
    ),
    "which topic to change (a menu)": (
        simple([*ANSWERS, "change"]),
        "Which topic do you want to change?",
    ),
    "are you sure (restart)": (simple([*ANSWERS, "restart"]), "delete all your answers"),
    "whom to talk about (a menu)": (
        simple([*ANSWERS, "switch"]),
        "Who do you want to talk about today?",
    ),
    "paused": (simple([*ANSWERS, "pause"]), "Send any message when you want to carry on"),
    "the review: who is typing": (simple([*ANSWERS, "review"]), "Let us get ready for the review"),
    "the review: a topic": (
        simple([*ANSWERS, "review", "1", "Mum"]),
        "What do you like about Dev?",
    ),
    "change anything at the end": (simple(TOPICS_DONE), "Do you want to change anything?"),
    "the plan is finished": (simple([*TOPICS_DONE, "no"]), "Your profile is ready"),
    "consent declined": (simple(["no"]), "I have not kept anything"),
    "joining: keep my number": (
        lambda e, k: joined_by_a_supporter(e, k, []),
        "Can I keep your name and number",
    ),
    "joining: the supporter's name": (
        lambda e, k: joined_by_a_supporter(e, k, ["yes"]),
        "What is your name?",
    ),
    "joining: how they know the person": (
        lambda e, k: joined_by_a_supporter(e, k, ["yes", "Sam"]),
        "How do you know Dev?",
    ),
    "joining: waiting for a yes": (
        lambda e, k: joined_by_a_supporter(e, k, ["yes", "Sam", "1"]),
        "I will tell you when Dev says yes",
    ),
    "approving a supporter": (asked_to_approve, "Sam wants to help with your plan"),
}

surrogates = st.text(st.characters(exclude_categories=()), min_size=1, max_size=8)
anything = st.one_of(
    st.text(max_size=200),
    st.sampled_from(list(HOSTILE.values())),
    surrogates,
    st.sampled_from(["1", "2", "9", "0", "yes", "no", "done", "back", "help", "stop"]),
)


@pytest.fixture(scope="module")
def fuzz_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One SQLite engine for every example (each example talks from new addresses)."""
    folder: Path = tmp_path_factory.mktemp("questions")
    db = storage.open_database(f"sqlite:///{folder / 'planbot.sqlite3'}")
    try:
        yield Engine(db, Settings.from_env({"PLANBOT_DATA_DIR": str(folder)}), clock=Clock())
    finally:
        db.dispose()


def check(replies: list[Reply], text: str) -> None:
    assert replies, text
    assert all(r.text.strip() for r in replies), (text, replies)
    shown = " ".join(r.text for r in replies)
    assert "Something went wrong" not in shown, (text, shown)


@pytest.mark.parametrize("kind", list(QUESTIONS))
@settings(
    max_examples=examples(6),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(texts=st.lists(anything, min_size=1, max_size=3))
def test_any_text_at_every_kind_of_question(
    fuzz_engine: Engine, kind: str, texts: list[str]
) -> None:
    route, question = QUESTIONS[kind]
    chat, asked = route(fuzz_engine, uuid.uuid4().hex)
    assert question in asked, (kind, asked)
    for text in texts:
        check(chat.send_raw(text), text)
        TALLY.add(f"dialogue: {kind}")
    # and the talk goes on: "repeat" still gets a question back
    check(chat.send_raw("repeat"), "repeat")
