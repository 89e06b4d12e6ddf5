"""The question scripts: they load, every message is easy read, every step kind is exercised by a
transcript case, every message the code names exists, and a broken script fails loudly.

Why: wording is data (``dialogues/scripts/``: a folder a flow, with shared messages and words).
A reworded question must still pass the easy-read rules of EASYREAD.md, and a typo in a script
must stop the build, not a person.
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
from dialogues._script import SPEC_VERSION, flow_names, load_flow, read_flow
from dialogues.steps import STEP_KINDS
from easyread import check_message
from planbot.errors import ScriptError

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "dialogues" / "cases"
SCRIPTS = resources.files("dialogues").joinpath("scripts")


def test_every_message_is_easy_read() -> None:
    broken = []
    texts = {pair for name in flow_names() for pair in load_flow(name).all_texts()}
    for where, text in sorted(texts):
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
    "name",
    sorted(
        str(p.relative_to(ROOT / "dialogues" / "scripts"))
        for p in (ROOT / "dialogues" / "scripts").rglob("*.toml")
    ),
)
def test_every_script_file_loads(name: str) -> None:
    data = tomllib.loads(SCRIPTS.joinpath(name).read_text("utf-8"))
    assert data["spec_version"] == SPEC_VERSION


@pytest.mark.parametrize("name", flow_names())
def test_every_flow_loads_with_its_name_and_version(name: str) -> None:
    flow = load_flow(name)
    assert (flow.name, flow.version >= 1) == (name, True)


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
    for path in (ROOT / "dialogues").rglob("*.py"):
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


def _broken_flow(tmp_path: Path, change: tuple[str, str]) -> Path:
    """A copy of the real profile flow folder with one change written into its flow.toml."""
    folder = tmp_path / "profile"
    folder.mkdir()
    text = SCRIPTS.joinpath("profile", "flow.toml").read_text("utf-8")
    old, new = change
    assert old in text, f"the profile flow no longer has {old!r}"
    (folder / "flow.toml").write_text(text.replace(old, new, 1), "utf-8")
    return folder


def test_an_unchanged_copy_of_the_flow_loads(tmp_path: Path) -> None:
    flow = read_flow(_broken_flow(tmp_path, ("", "")), shared=SCRIPTS)
    assert [s.id for s in flow.steps] == [s.id for s in load_script().steps]


GOOD_DAY = 'id = "good_day"\nkind = "list"\nrole = "topic"\n'
BROKEN = [
    pytest.param(
        ('ask = "What makes a good day for you?"\n', ""),
        "step 10 (good_day): 'ask'",
        id="missing-ask",
    ),
    pytest.param(
        (GOOD_DAY, GOOD_DAY.replace('"list"', '"dance"')),
        "step 10 (good_day): kind must be one of",
        id="unknown-kind",
    ),
    pytest.param(
        (GOOD_DAY, GOOD_DAY.replace('"topic"', '"juggling"')),
        "step 10 (good_day): role must be one of",
        id="unknown-role",
    ),
    pytest.param(
        (GOOD_DAY, GOOD_DAY.replace('"topic"', '"consent"')),
        "a consent step must be of kind yes_no",
        id="role-of-another-kind",
    ),
    pytest.param(
        ('role = "readback"', 'role = "consent"'),
        "only one step can have the role consent",
        id="two-consent-steps",
    ),
    pytest.param(
        ('example = "For example: I wake up when I want. I go swimming."', "example = 3"),
        "step 10 (good_day): 'example'",
        id="example-not-text",
    ),
    pytest.param(
        ('id = "like_admire"', 'id = "good_day"'),
        "two steps have the same id",
        id="same-id-twice",
    ),
    pytest.param(
        ('value = "no"', 'value = "maybe"'),
        "step 0 (consent): a yes_no step needs choices with the values yes and no",
        id="yes-no-without-no",
    ),
    pytest.param(
        ('words = ["me", "myself"', 'words = "me"\nx = ["myself"'),
        "step 1 (who).choices[0]: 'words' must be a list",
        id="choice-words-not-a-list",
    ),
    pytest.param(
        ('name = "profile"', 'name = "profiles"'),
        "[flow] name must be 'profile'",
        id="flow-named-apart-from-its-folder",
    ),
    pytest.param(
        ("\nversion = 2", '\nversion = "one"'),
        "[flow] version must be a whole number",
        id="version-not-a-number",
    ),
    pytest.param(
        ("\n[renamed]\n", '\n[renamed]\ngood_morning = "good_night"\n'),
        "[renamed] points at steps that are not there",
        id="renamed-to-nothing",
    ),
    pytest.param(
        ("spec_version = 1", "spec_version = 1\n[[[broken"),
        "not valid TOML",
        id="not-toml",
    ),
]


@pytest.mark.parametrize(("change", "complaint"), BROKEN)
def test_a_broken_flow_is_a_script_error_naming_file_and_step(
    tmp_path: Path, change: tuple[str, str], complaint: str
) -> None:
    folder = _broken_flow(tmp_path, change)
    with pytest.raises(ScriptError) as caught:
        read_flow(folder, shared=SCRIPTS)
    message = str(caught.value)
    assert message.startswith("profile/flow.toml")
    assert complaint in message


def test_a_flow_that_is_not_there_is_a_script_error() -> None:
    with pytest.raises(ScriptError, match="no flow 'dance'"):
        load_flow("dance")
