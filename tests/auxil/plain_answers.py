"""Plain answers, run through the real engine: what planbot understood each one to mean.

Why through the engine and not the matching functions: what counts is what a person notices
(the next question, a question asked again, an answer saved or deleted), so each labelled answer
is sent in a fresh conversation that has reached its question, and the outcome is read back from
what was stored and said. The same harness serves the test (every row as labelled) and
``bench/understand.py`` (the share understood per question), so the figures and the test agree.

The labelled rows live in ``tests/dialogues/cases/_plain_answers.toml``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

import storage
from dialogues import Engine, Incoming, Reply, load_script
from tests.auxil.replies import shown

CASES = Path(__file__).resolve().parents[1] / "dialogues" / "cases" / "_plain_answers.toml"
# Written apart, without looking at planbot's word lists, and never tuned on: its share is the
# honest figure for answers planbot has not seen. Printed by the bench, not asserted.
UNSEEN = CASES.with_name("_plain_answers_unseen.toml")
CHANNEL = "plain"
QUESTIONS = ("consent", "who", "photo", "readback", "restart", "anything_else")
# What a labelled meaning is expected to come out as, where it is not its own name: a "don't
# know" after an item ends the topic, like "done", and saves nothing.
EXPECTED_OUTCOME = {("anything_else", "dont_know"): "done"}

# The messages that reach each question, after planbot opens the talk.
_ON_THE_WAY: dict[str, tuple[str, ...]] = {
    "consent": (),
    "who": ("yes",),
    "photo": ("yes", "1", "Dev"),
    "anything_else": ("yes", "1", "Dev", "my cat"),
    "readback": ("yes", "1", "Dev", "my cat", "done", *("skip",) * 8),
    "restart": ("yes", "1", "Dev", "my cat", "restart"),
}


def labelled(path: Path = CASES) -> dict[str, list[dict[str, Any]]]:
    """The labelled rows, by question."""
    data = tomllib.loads(path.read_text("utf-8"))
    return {q: data.get(q, []) for q in QUESTIONS}


@dataclass(frozen=True)
class Outcome:
    """What planbot did with one answer, in the labels' words."""

    means: str
    helper: str = ""  # who the helper is, where "person_helped" noted one

    def matches(self, question: str, row: dict[str, Any]) -> bool:
        wanted = EXPECTED_OUTCOME.get((question, row["means"]), row["means"])
        if self.means != wanted:
            return False
        helper = row.get("helper", "")
        return not helper or helper.casefold() in self.helper.casefold()


class PlainAnswers:
    """Brings fresh conversations to a question and reads what an answer there did."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.script = load_script()
        self._numbers = count(1)

    def outcome(self, question: str, text: str) -> Outcome:
        address = f"plain-{next(self._numbers)}"
        for said in ("", *_ON_THE_WAY[question]):
            self._send(address, said, question)
        before = self._read(address)
        replies = self._send(address, text, question)
        return self._classify(question, before, self._read(address), shown(replies))

    def _send(self, address: str, text: str, question: str) -> list[Reply]:
        return self.engine.handle(
            Incoming(
                channel=CHANNEL,
                address=address,
                message_id=f"{address}-{next(self._numbers)}",
                text=text,
                opening=not text,
                takes_photos=question == "photo",
            )
        )

    def _read(self, address: str) -> _Stored:
        with self.engine.db.transaction() as session:
            found = storage.read_address(session, CHANNEL, address)
            if found is None:
                return _Stored(None, "", (), "")
            row, person, conv = found
            if conv is None:
                conv = storage.conversation_for(session, row, None)
            answers = storage.answers_for(session, person) if person else []
            said_by = (storage.conversation_said_by(conv) or "") if conv else ""
            return _Stored(
                conv.state if conv else None,
                (conv.typist or "") if conv else "",
                tuple((a.section, a.status) for a in answers),
                said_by,
            )

    def _classify(self, question: str, before: _Stored, after: _Stored, said: str) -> Outcome:
        msg = self.script.message
        if question == "consent":
            if after.state is None:
                return Outcome("no")
            return Outcome("yes" if after.state == "who" else "unclear")
        if question == "who":
            if after.state in (None, "who"):
                step = self.script.step("who")
                if any(apart.ask in said for apart in getattr(step, "ask_apart", ())):
                    return Outcome("ask_apart")
                return Outcome("unclear")
            return Outcome(after.typist or "unclear", after.said_by)
        if question == "photo":
            if after.state == "photo":
                return Outcome("yes" if msg("photo_send_now") in said else "unclear")
            if msg("photo_later") in said:
                return Outcome("dont_know")
            return Outcome("no" if msg("photo_none") in said else "unclear")
        if question == "readback":
            return Outcome(
                {"pick_topic": "yes", "finished": "no"}.get(after.state or "", "unclear")
            )
        if question == "restart":
            if len(after.answers) < len(before.answers):
                return Outcome("yes")
            return Outcome("no" if msg("restart_kept") in said else "unclear")
        return self._after_an_item(before, after, said)

    def _after_an_item(self, before: _Stored, after: _Stored, said: str) -> Outcome:
        """At "Is there anything else?": ended, more coming, a thing saved, or asked again."""
        added = after.answers[len(before.answers) :]
        if added:
            return Outcome("item" if all(s == storage.ANSWER for _, s in added) else "stored")
        if after.state != before.state:
            return Outcome("done")
        if self.script.message("tell_me_what") in said:
            return Outcome("more")
        step = self.script.step(before.state or "")
        # Asked in other words: explained again. Otherwise the question again, as after hello.
        return Outcome("confused" if step.rewording(False) in said else "greeting")


@dataclass(frozen=True)
class _Stored:
    state: str | None
    typist: str
    answers: tuple[tuple[str, str], ...]
    said_by: str


def rows() -> Iterator[tuple[str, dict[str, Any]]]:
    for question, found in labelled().items():
        for row in found:
            yield question, row
