"""The question scripts: they load, every message is easy read, every step kind is exercised by a
transcript case, every message the code names exists, and a broken script fails loudly.

Why: wording is data (``dialogues/scripts/*.toml``). A reworded question must still pass the
easy-read rules of EASYREAD.md, and a typo in a script must stop the build, not a person.
"""

from __future__ import annotations

import ast
import tomllib
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from dialogues import load_script
from dialogues._script import SPEC_VERSION, STEP_KINDS, parse_step
from easyread import check_message
from planbot.errors import ScriptError

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "dialogues" / "cases"
SCRIPTS = resources.files("dialogues").joinpath("scripts")


def test_every_message_is_easy_read() -> None:
    broken = []
    for where, text in load_script().all_texts():
        issues = check_message(text)
        if issues:
            details = "; ".join(f"{i.rule}: {i.detail}" for i in issues)
            broken.append(f"{where}: {text!r}\n    {details}")
    assert not broken, "These messages break the easy-read rules:\n" + "\n".join(broken)


def test_all_texts_holds_every_message_and_question() -> None:
    script = load_script()
    texts = [text for _, text in script.all_texts()]
    assert set(script.messages.values()) <= set(texts)
    for step in script.steps:
        assert step.ask in texts and step.example in texts and step.reword in texts


@pytest.mark.parametrize(
    "name", sorted(p.name for p in SCRIPTS.iterdir() if p.name.endswith(".toml"))
)
def test_every_script_file_loads(name: str) -> None:
    data = tomllib.loads(SCRIPTS.joinpath(name).read_text("utf-8"))
    assert data["spec_version"] == SPEC_VERSION


def test_the_script_loads_with_every_topic_in_order() -> None:
    script = load_script()
    ids = [s.id for s in script.steps]
    assert ids[:4] == ["consent", "who", "helper_name", "name"]
    assert [s.id for s in script.list_steps] == [
        "like_admire",
        "important_to",
        "best_support",
        "good_day",
        "bad_day",
        "working",
        "not_working",
        "want_to_change",
        "healthy_safe",
    ]
    assert ids[-1] == "readback"


def test_the_demo_lines_load() -> None:
    data = tomllib.loads(SCRIPTS.joinpath("demo.toml").read_text("utf-8"))
    assert data["lines"] and all(isinstance(line, str) for line in data["lines"])


# --- every step kind has a transcript case --------------------------------------------------


def _cases() -> list[tuple[str, list[dict[str, Any]]]]:
    out = []
    for path in sorted(CASES.glob("*.toml")):
        if not path.name.startswith("_"):
            out.append((path.name, tomllib.loads(path.read_text("utf-8"))["turn"]))
    return out


def _questions(kind: str) -> list[str]:
    """The fixed words of every question of this kind (up to any {name} placeholder)."""
    out = []
    for step in load_script().steps:
        if step.kind == kind:
            out += [q.split("{", 1)[0] for q in (step.ask, step.ask_other) if q]
    return [q for q in out if q.strip()]


@pytest.mark.parametrize("kind", STEP_KINDS)
def test_every_step_kind_is_exercised_by_a_transcript(kind: str) -> None:
    """Some case expects a question of this kind in a reply, and then answers it."""
    questions = _questions(kind)
    assert questions, f"no step of kind {kind!r} in the script"
    for _name, turns in _cases():
        for turn, following in pairwise(turns):
            if following["say"] and any(q in e for e in turn["expect"] for q in questions):
                return
    pytest.fail(f"no transcript case in {CASES} asks and answers a {kind!r} question")


# --- every message the code names exists ------------------------------------------------------


def _message_keys_in_code() -> set[str]:
    """String keys passed to ``msg(...)`` / ``message(...)`` in dialogues/ (also via a variable
    or an ``x if c else y``)."""
    keys: set[str] = set()
    for path in (ROOT / "dialogues").glob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef):
                continue
            assigned: dict[str, ast.expr] = {}
            for node in ast.walk(func):
                if isinstance(node, ast.Assign) and len(node.targets) == 1:
                    target = node.targets[0]
                    if isinstance(target, ast.Name):
                        assigned[target.id] = node.value
            for node in ast.walk(func):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("msg", "message")
                    and node.args
                ):
                    arg = node.args[0]
                    if isinstance(arg, ast.Name) and arg.id in assigned:
                        arg = assigned[arg.id]
                    keys |= {
                        n.value
                        for n in ast.walk(arg)
                        if isinstance(n, ast.Constant) and isinstance(n.value, str)
                    }
    return keys


def test_every_message_the_code_names_exists() -> None:
    keys = _message_keys_in_code()
    assert len(keys) > 30  # the scan found the calls
    missing = sorted(keys - set(load_script().messages))
    assert not missing, f"messages.toml has no {missing}"


def test_an_unknown_message_is_a_script_error() -> None:
    with pytest.raises(ScriptError, match="no message 'no_such_message'"):
        load_script().message("no_such_message")


# --- a broken script fails loudly, naming the file and the step -------------------------------

GOOD_STEP = """
[[step]]
id = "good_day"
kind = "list"
ask = "What makes a good day for you?"
example = "For example: I go swimming."
reword = "Think of a day you really enjoyed."
"""


def _broken_steps(tmp_path: Path, text: str) -> tuple[str, dict[str, Any]]:
    """Write a script copy with a broken step and read it back as the loader would."""
    path = tmp_path / "profile.toml"
    path.write_text("spec_version = 1\n" + text, "utf-8")
    steps = tomllib.loads(path.read_text("utf-8"))["step"]
    return f"{path.name} step 0", steps[0]


def test_a_good_step_parses(tmp_path: Path) -> None:
    where, raw = _broken_steps(tmp_path, GOOD_STEP)
    step = parse_step(where, raw)
    assert (step.id, step.kind, step.question(other=True)) == (
        "good_day",
        "list",
        "What makes a good day for you?",
    )


BROKEN = [
    pytest.param(
        GOOD_STEP.replace('ask = "What makes a good day for you?"\n', ""), "'ask'", id="missing-ask"
    ),
    pytest.param(
        GOOD_STEP.replace('kind = "list"', 'kind = "dance"'),
        "kind must be one of",
        id="unknown-kind",
    ),
    pytest.param(
        GOOD_STEP.replace('example = "For example: I go swimming."', "example = 3"),
        "'example'",
        id="example-not-text",
    ),
    pytest.param(
        GOOD_STEP.replace('kind = "list"', 'kind = "yes_no"'),
        "at least 2 choices",
        id="yes-no-without-choices",
    ),
    pytest.param(
        GOOD_STEP.replace('kind = "list"', 'kind = "yes_no"')
        + '[[step.choices]]\nlabel = "Yes"\nvalue = "yes"\n'
        + '[[step.choices]]\nlabel = "Maybe"\nvalue = "maybe"\n',
        "values yes and no",
        id="yes-no-without-no",
    ),
    pytest.param(
        GOOD_STEP.replace('kind = "list"', 'kind = "choice"')
        + '[[step.choices]]\nlabel = "Me"\nvalue = "me"\nwords = "me"\n'
        + '[[step.choices]]\nlabel = "Family"\nvalue = "family"\n',
        "'words' must be a list",
        id="choice-words-not-a-list",
    ),
]


@pytest.mark.parametrize(("text", "complaint"), BROKEN)
def test_a_broken_step_is_a_script_error_naming_file_and_step(
    tmp_path: Path, text: str, complaint: str
) -> None:
    where, raw = _broken_steps(tmp_path, text)
    with pytest.raises(ScriptError) as caught:
        parse_step(where, raw)
    message = str(caught.value)
    assert "profile.toml step 0 (good_day)" in message
    assert complaint in message


def test_a_step_without_an_id_is_a_script_error(tmp_path: Path) -> None:
    where, raw = _broken_steps(tmp_path, GOOD_STEP.replace('id = "good_day"\n', ""))
    with pytest.raises(ScriptError, match=r"profile.toml step 0: 'id'"):
        parse_step(where, raw)
