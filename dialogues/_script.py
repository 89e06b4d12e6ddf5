"""Load and check the flows in ``dialogues/scripts/``: one folder a flow, with its steps.

Why data: a new topic, a reworded question or a new flow (the profile now; joining, approving,
the review preparation and Planning Live next) is a change to TOML files, not to code. What a
step does (asks consent, asks the name, reads back) is its ``role`` in the data, never its id
in Python. A flow folder holds ``flow.toml`` (its name, version and steps) and may hold a
``messages.toml`` of its own; ``messages.toml`` and ``words.toml`` beside the folders are shared
by every flow. Loading fails fast with a ``ScriptError`` naming the file and the key, so a
broken script never reaches a person.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from planbot.errors import ScriptError

SPEC_VERSION = 1
STEP_KINDS = ("yes_no", "choice", "text", "list", "photo")
# What a step does, and the kinds of step that can do it. Every role but "topic" is at most
# once in a flow; a flow without "consent" is for people who agreed already (joining, review).
ROLES: dict[str, tuple[str, ...]] = {
    "consent": ("yes_no",),
    "who": ("choice",),
    "helper_name": ("text",),
    "name": ("text",),
    "photo": ("photo",),
    "topic": ("list",),
    "readback": ("yes_no",),
    # How the person agreed to a plan someone else types for them ("they said yes", or a
    # best-interests decision), and for a best-interests decision, why (in the typist's words).
    "made_for": ("choice",),
    "made_for_reason": ("text",),
    # Planning together: the supporter's OK to keep their name and number, how they know the
    # person (the join flow), and the holder's "Is that OK?" (the approve flow).
    "join_consent": ("yes_no",),
    "relation": ("choice",),
    "approve": ("yes_no",),
    # Planning Live: the facilitator names the group, runs it, and it ends (the lead flow);
    # someone joining says whether the plan is theirs and, helping, whom they came with (the
    # live_join flow); a participant waits between topics and practises on "Helen".
    "group_name": ("text",),
    "lead_running": ("text",),
    "lead_ended": ("text",),
    "live_role": ("choice",),
    "came_with": ("text",),
    "live_wait": ("text",),
    "practice": ("list",),
}
REPEATED_ROLES = ("topic", "practice")
DEFAULT_FLOW = "profile"
COMMANDS = (
    "back",
    "skip",
    "repeat",
    "help",
    "pause",
    "restart",
    "change",
    "my_answers",
    "delete_last",
    "switch_person",
    "invite",
    "join",
    "who_can_see",
    "remove_supporter",
    "review",
    "erase_all",
    "my_data",
    "keep_plan",
    "who_looked",
    "live",
    "large_print",
    "normal_print",
)
ANSWER_WORDS = ("yes", "no", "done", "dont_know", "confused")


@dataclass(frozen=True)
class ScriptChoice:
    """One choice of a yes/no or choice step, with the other words that mean it."""

    label: str
    value: str
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class AskApart:
    """Words that could mean two choices ("carer": family, or paid?) and the one short
    question that tells them apart, asked instead of the whole list."""

    words: tuple[str, ...]
    ask: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Step:
    """One question of the conversation."""

    id: str
    kind: str
    role: str
    ask: str
    example: str
    reword: str
    ask_other: str = ""
    reword_other: str = ""
    example_other: str = ""
    say: tuple[str, ...] = ()
    choices: tuple[ScriptChoice, ...] = ()
    aliases: tuple[str, ...] = ()
    ask_apart: tuple[AskApart, ...] = ()
    # A list step whose things hold commas ("what, who will help, by when"): only new
    # lines and semicolons separate them.
    keep_commas: bool = False

    def question(self, other: bool) -> str:
        return self.ask_other if other and self.ask_other else self.ask

    def example_for(self, other: bool) -> str:
        return self.example_other if other and self.example_other else self.example

    def rewording(self, other: bool) -> str:
        return self.reword_other if other and self.reword_other else self.reword


@dataclass(frozen=True)
class Script:
    """One flow: its steps, with the messages and understood words, as loaded from TOML."""

    steps: tuple[Step, ...]
    messages: dict[str, str]
    retry_choices: tuple[ScriptChoice, ...]
    commands: dict[str, tuple[str, ...]]
    answers: dict[str, tuple[str, ...]]
    greeting_words: frozenset[str]
    greeting_core: frozenset[str] = frozenset()
    list_continues: frozenset[str] = frozenset()
    list_opens: frozenset[str] = frozenset()
    # Words that stand for several ("{helper}" in "me and my {helper}"), and text-speak
    # spelled out ("wiv" is "with"): see words.toml.
    slots: dict[str, tuple[str, ...]] = field(default_factory=dict)
    spelled_out: dict[str, str] = field(default_factory=dict)
    by_id: dict[str, Step] = field(default_factory=dict)
    name: str = DEFAULT_FLOW
    version: int = 1
    yes_no_choices: tuple[ScriptChoice, ...] = ()
    # Step ids of earlier versions, and the id each one is now (a reworded script never
    # strands a conversation halfway).
    renamed: dict[str, str] = field(default_factory=dict)
    # Commands that take words after them ("change good day", "JOIN 482913", "remove Sam"):
    # the command's name and the words it starts with ([command_args] in words.toml).
    command_args: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Filled in by someone about another person (the review): the who and helper_name steps
    # are skipped when the conversation knows both, and "this is my profile" at the who step
    # starts the typist's own plan in the profile flow.
    about_someone_else: bool = False
    # Topics say "Topic 3 of 9" when first asked; Planning Live numbers its agenda instead.
    numbered_topics: bool = True

    def step(self, step_id: str) -> Step:
        return self.by_id[step_id]

    def role(self, role: str) -> Step | None:
        """The step that does ``role`` (the first, for "topic"), if the flow has one."""
        return next((s for s in self.steps if s.role == role), None)

    def has_role(self, step_id: str, role: str) -> bool:
        step = self.by_id.get(step_id)
        return step is not None and step.role == role

    def message(self, key: str, **values: object) -> str:
        try:
            return self.messages[key].format(**values)
        except KeyError as exc:
            raise ScriptError(f"messages.toml: no message {key!r} or no value {exc}") from exc

    @property
    def list_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.kind == "list")

    def all_texts(self) -> list[tuple[str, str]]:
        """Every message a person can be sent, as (where, text): for the easy-read checks."""
        out: list[tuple[str, str]] = []
        where = f"{self.name}/flow.toml"
        for s in self.steps:
            for name in ("ask", "ask_other", "example", "example_other", "reword", "reword_other"):
                text = getattr(s, name)
                if text:
                    out.append((f"{where}:{s.id}.{name}", text))
            out += [(f"{where}:{s.id}.say[{i}]", t) for i, t in enumerate(s.say)]
            out += [(f"{where}:{s.id}.choice", c.label) for c in s.choices]
            out += [(f"{where}:{s.id}.ask_apart", a.ask) for a in s.ask_apart]
        out += [(f"messages.toml:{k}", v) for k, v in self.messages.items()]
        out += [("messages.toml:retry", c.label) for c in self.retry_choices]
        out += [("messages.toml:choices.yes_no", c.label) for c in self.yes_no_choices]
        return out


def scripts_folder() -> Traversable:
    """Where the flows ship: package data, so a plain ``pip install`` has them."""
    return resources.files("dialogues").joinpath("scripts")


def read_data(file: Traversable, name: str) -> dict[str, Any]:
    try:
        raw = file.read_text("utf-8")
    except FileNotFoundError as exc:
        raise ScriptError(f"{name}: no such file") from exc
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise ScriptError(f"{name}: not valid TOML: {exc}") from exc
    if data.get("spec_version") != SPEC_VERSION:
        raise ScriptError(f"{name}: spec_version must be {SPEC_VERSION}")
    return data


def _text(where: str, raw: dict[str, Any], key: str, required: bool = True) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ScriptError(f"{where}: {key!r} must be a non-empty string")
    return value


def _choices(where: str, raw: list[Any]) -> tuple[ScriptChoice, ...]:
    out = []
    for i, c in enumerate(raw):
        place = f"{where}.choices[{i}]"
        words = c.get("words", [])
        if not isinstance(words, list):
            raise ScriptError(f"{place}: 'words' must be a list")
        out.append(ScriptChoice(_text(place, c, "label"), _text(place, c, "value"), tuple(words)))
    return tuple(out)


def _ask_apart(
    where: str, raw: list[Any], choices: tuple[ScriptChoice, ...]
) -> tuple[AskApart, ...]:
    out = []
    known = {c.value for c in choices}
    for i, a in enumerate(raw):
        place = f"{where}.ask_apart[{i}]"
        words, values = a.get("words", []), a.get("values", [])
        if not words or not isinstance(words, list):
            raise ScriptError(f"{place}: 'words' must be a list of words")
        if len(values) < 2 or not set(values) <= known:
            raise ScriptError(f"{place}: 'values' must name 2 or more of the step's choices")
        out.append(AskApart(tuple(words), _text(place, a, "ask"), tuple(values)))
    return tuple(out)


def parse_step(where: str, raw: dict[str, Any]) -> Step:
    """Check one [[step]] table and build its ``Step``."""
    step_id = _text(where, raw, "id")
    where = f"{where} ({step_id})"
    kind = _text(where, raw, "kind")
    if kind not in STEP_KINDS:
        raise ScriptError(f"{where}: kind must be one of {', '.join(STEP_KINDS)}, not {kind!r}")
    role = _text(where, raw, "role")
    if role not in ROLES:
        raise ScriptError(f"{where}: role must be one of {', '.join(ROLES)}, not {role!r}")
    if kind not in ROLES[role]:
        raise ScriptError(f"{where}: a {role} step must be of kind {' or '.join(ROLES[role])}")
    choices = _choices(where, raw.get("choices", []))
    if kind in ("yes_no", "choice") and len(choices) < 2:
        raise ScriptError(f"{where}: a {kind} step needs at least 2 choices")
    if kind in ("yes_no", "photo") and {c.value for c in choices} != {"yes", "no"}:
        raise ScriptError(f"{where}: a {kind} step needs choices with the values yes and no")
    return Step(
        id=step_id,
        kind=kind,
        role=role,
        ask=_text(where, raw, "ask"),
        example=_text(where, raw, "example"),
        reword=_text(where, raw, "reword"),
        ask_other=_text(where, raw, "ask_other", required=False),
        reword_other=_text(where, raw, "reword_other", required=False),
        example_other=_text(where, raw, "example_other", required=False),
        say=tuple(raw.get("say", [])),
        choices=choices,
        aliases=tuple(raw.get("aliases", [])),
        ask_apart=_ask_apart(where, raw.get("ask_apart", []), choices),
        keep_commas=raw.get("keep_commas", False) is True,
    )


def flow_names() -> tuple[str, ...]:
    """The flows that ship: every folder of ``scripts/`` with a ``flow.toml``."""
    folder = scripts_folder()
    return tuple(
        sorted(f.name for f in folder.iterdir() if f.is_dir() and f.joinpath("flow.toml").is_file())
    )


@cache
def load_flow(name: str = DEFAULT_FLOW) -> Script:
    """Load one flow that ships with planbot, once."""
    if name not in flow_names():
        raise ScriptError(f"no flow {name!r}: there is no scripts/{name}/flow.toml")
    return read_flow(scripts_folder().joinpath(name))


def load_script() -> Script:
    """The profile flow: the conversation every new person starts with."""
    return load_flow(DEFAULT_FLOW)


def read_flow(folder: Traversable, shared: Traversable | None = None) -> Script:
    """Read and check a flow folder, with the shared messages and words beside it.

    ``shared`` is the folder of the shared ``messages.toml`` and ``words.toml`` (the package's
    own by default): tests point a broken flow at them to load it as planbot would.
    """
    shared = shared or scripts_folder()
    where = f"{folder.name}/flow.toml"
    raw = read_data(folder.joinpath("flow.toml"), where)
    about = raw.get("flow", {})
    name, version = about.get("name"), about.get("version")
    if name != folder.name:
        raise ScriptError(f"{where}: [flow] name must be {folder.name!r}, the folder's name")
    if not isinstance(version, int) or version < 1:
        raise ScriptError(f"{where}: [flow] version must be a whole number from 1")
    if not isinstance(raw.get("step"), list) or not raw["step"]:
        raise ScriptError(f"{where}: a flow needs at least one [[step]]")
    steps = tuple(parse_step(f"{where} step {i}", s) for i, s in enumerate(raw["step"]))
    _check_steps(where, steps)
    renamed = {str(k): str(v) for k, v in raw.get("renamed", {}).items()}
    unknown = sorted(v for v in renamed.values() if v not in {s.id for s in steps})
    if unknown:
        raise ScriptError(f"{where}: [renamed] points at steps that are not there: {unknown}")
    messages_file = read_data(shared.joinpath("messages.toml"), "messages.toml")
    messages = {str(k): str(v) for k, v in messages_file["messages"].items()}
    own = folder.joinpath("messages.toml")
    if own.is_file():
        messages |= {
            str(k): str(v)
            for k, v in read_data(own, f"{folder.name}/messages.toml").get("messages", {}).items()
        }
    retry = _choices("messages.toml retry", messages_file.get("retry", {}).get("list_choices", []))
    yes_no = _choices("messages.toml choices", messages_file.get("choices", {}).get("yes_no", []))
    if {c.value for c in yes_no} != {"yes", "no"}:
        raise ScriptError("messages.toml: [choices] yes_no needs the values yes and no")
    words = read_data(shared.joinpath("words.toml"), "words.toml")
    commands = {k: tuple(v) for k, v in words.get("commands", {}).items()}
    answers = {k: tuple(v) for k, v in words.get("answers", {}).items()}
    missing = [c for c in COMMANDS if c not in commands] + [
        a for a in ANSWER_WORDS if a not in answers
    ]
    if missing:
        raise ScriptError(f"words.toml: missing {', '.join(missing)}")
    return Script(
        steps=steps,
        messages=messages,
        retry_choices=retry,
        commands=commands,
        answers=answers,
        greeting_words=frozenset(words.get("greeting", {}).get("words", [])),
        greeting_core=frozenset(words.get("greeting", {}).get("core", [])),
        list_continues=frozenset(words.get("lists", {}).get("continues", [])),
        list_opens=frozenset(words.get("lists", {}).get("opens", [])),
        slots={k: tuple(v) for k, v in words.get("slots", {}).items()},
        spelled_out={str(k): str(v) for k, v in words.get("spelled_out", {}).items()},
        by_id={s.id: s for s in steps},
        name=name,
        version=version,
        renamed=renamed,
        yes_no_choices=yes_no,
        command_args={k: tuple(v) for k, v in words.get("command_args", {}).items()},
        about_someone_else=about.get("about_someone_else", False) is True,
        numbered_topics=about.get("numbered_topics", True) is not False,
    )


def _check_steps(where: str, steps: tuple[Step, ...]) -> None:
    ids = [s.id for s in steps]
    if len(set(ids)) != len(ids):
        raise ScriptError(f"{where}: two steps have the same id")
    roles = [s.role for s in steps if s.role not in REPEATED_ROLES]
    twice = sorted({r for r in roles if roles.count(r) > 1})
    if twice:
        raise ScriptError(f"{where}: only one step can have the role {', '.join(twice)}")
    consent = next((i for i, s in enumerate(steps) if s.role == "consent"), None)
    if consent not in (None, 0):
        raise ScriptError(f"{where}: the consent step must come first")
