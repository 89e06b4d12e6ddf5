"""The engine's registries: every step kind and command the scripts can name is handled, and
each is exercised by a transcript case.

Why: a flow names its steps' kinds and roles in data, and words.toml names the commands; the
registries in ``dialogues/steps`` and ``dialogues/commands`` are what runs them. A kind or a
command that the data can name but no module handles, or that no case ever exercises, is a
person's dead end waiting to happen.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import storage
from dialogues import load_script
from dialogues._machine import MODAL_STATES
from dialogues._script import COMMANDS as COMMAND_WORDS
from dialogues._script import ROLES
from dialogues._script import STEP_KINDS as KINDS_THE_LOADER_TAKES
from dialogues._understand import normalise
from dialogues.commands import COMMANDS, SIDE_QUESTIONS
from dialogues.steps import STEP_KINDS

CASES = Path(__file__).parent / "cases"


def test_every_kind_the_loader_takes_has_a_module() -> None:
    assert set(STEP_KINDS) == set(KINDS_THE_LOADER_TAKES)


def test_every_role_can_be_played_by_a_registered_kind() -> None:
    for role, kinds in ROLES.items():
        assert set(kinds) <= set(STEP_KINDS), role


def test_every_command_with_words_has_a_module_and_every_module_has_words() -> None:
    assert set(COMMANDS) == set(COMMAND_WORDS) == set(load_script().commands)


def test_every_side_question_is_answered() -> None:
    assert set(SIDE_QUESTIONS) == set(MODAL_STATES)


def _said_in_cases() -> set[str]:
    said: set[str] = set()
    for path in CASES.glob("*.toml"):
        if path.name.startswith("_"):
            continue
        said |= {normalise(t["say"]) for t in tomllib.loads(path.read_text("utf-8"))["turn"]}
    return said


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_exercised_by_a_transcript_case(name: str) -> None:
    words = {normalise(w) for w in load_script().commands[name]}
    said = _said_in_cases()
    starts = load_script().command_args.get(name, ())
    used = words & said or {s for s in said for start in starts if s.startswith(f"{start} ")}
    assert used, f"no case in {CASES} says {name!r} (any of {sorted(words)[:4]} ...)"


def test_every_kind_of_audit_event_has_its_line() -> None:
    from dialogues.commands.who_looked import _LINES, _OWN_LINES, _PARTS

    assert set(_LINES) == set(storage.ACTIONS)
    assert {action for action, _part in _OWN_LINES} <= set(storage.ACTIONS)
    assert {part for _action, part in _OWN_LINES} <= set(_PARTS)
    messages = load_script().messages
    assert {*_LINES.values(), *_OWN_LINES.values(), *_PARTS.values()} <= set(messages)
