"""Understanding what people type: table tests from ``cases/_understand.toml`` and properties.

Why a table: the words people really type (typos, emoji, bullets, "fish and chips") sit in one
data file that anyone can add a row to; the properties check that nothing typed can crash it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogues import Vocabulary, clean_text, load_script, normalise, split_items
from dialogues._understand import choose

TABLE = tomllib.loads((Path(__file__).parent / "cases" / "_understand.toml").read_text("utf-8"))
WORDS = Vocabulary(load_script())
WHO_STEP = load_script().step("who")
WHO = WHO_STEP.choices


def rows(name: str) -> list[Any]:
    return [pytest.param(row, id=f"{name}-{n:02d}") for n, row in enumerate(TABLE[name], 1)]


@pytest.mark.parametrize("row", rows("split_items"))
def test_split_items(row: dict[str, Any]) -> None:
    got = split_items(row["text"], WORDS)
    assert list(got.items) == row["items"]
    assert got.ended == row.get("ended", False)


@pytest.mark.parametrize("row", rows("command"))
def test_command(row: dict[str, Any]) -> None:
    expected = (row["command"], row.get("topic", "")) if "command" in row else None
    assert WORDS.command(row["text"]) == expected


@pytest.mark.parametrize("row", rows("yes_no"))
def test_yes_no(row: dict[str, Any]) -> None:
    assert (WORDS.yes_no(row["text"]) or "") == row["means"]


@pytest.mark.parametrize("row", rows("choose"))
def test_choose(row: dict[str, Any]) -> None:
    assert (WORDS.read_choice(row["text"], WHO_STEP).value or "") == row["value"]


@pytest.mark.parametrize("row", rows("clean_text"))
def test_clean_text(row: dict[str, Any]) -> None:
    assert clean_text(row["raw"]) == row["clean"]


def test_every_command_word_in_words_toml_is_understood() -> None:
    """A word listed for a command must reach that command (no other list shadows it)."""
    script = load_script()
    for name, words in script.commands.items():
        for word in words:
            got = WORDS.command(word)
            assert got is not None and got[0] == name, (word, name, got)


def test_done_and_dont_know_words_are_no_commands() -> None:
    script = load_script()
    for kind in ("done", "dont_know", "yes"):
        for word in script.answers[kind]:
            assert WORDS.command(word) is None, (kind, word)


@settings(max_examples=500, deadline=None)
@given(st.text(st.characters(exclude_categories=())))  # lone surrogates too (JSON has them)
def test_nothing_typed_crashes_understanding(text: str) -> None:
    got = split_items(text, WORDS)
    for item in got.items:
        assert item and item in text
    normalise(text)
    command = WORDS.command(text)
    assert command is None or command[0] in load_script().commands
    assert WORDS.yes_no(text) in (None, "yes", "no", "dont_know")
    picked = choose(text, WHO)
    assert picked is None or picked in WHO
    reading = WORDS.read_choice(text, WHO_STEP)
    assert reading.value is None or reading.value in {c.value for c in WHO}
    assert WORDS.restart_yes_no(text) in (None, "yes", "no", "dont_know")
    WORDS.is_done(text), WORDS.is_greeting(text), WORDS.is_confused(text), WORDS.means_more(text)
    cleaned = clean_text(text)
    assert "\x00" not in cleaned and "\u202e" not in cleaned
    assert "\ufffe" not in cleaned and "\uffff" not in cleaned
    cleaned.encode("utf-8")  # storable: no lone surrogate is kept
    assert clean_text(cleaned) == cleaned


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=1).filter(lambda t: "," not in t), min_size=1, max_size=6))
def test_things_joined_by_new_lines_come_back(things: list[str]) -> None:
    """Whatever the things, joining them by new lines and splitting keeps each one's words."""
    text = "\n".join(things)
    got = split_items(text, WORDS)
    joined = "".join(got.items)
    for item in got.items:
        assert item in text
    # Nothing but separators, bullets, spaces and a closing "done" is ever dropped.
    assert len(joined) <= len(text)
