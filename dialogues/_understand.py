"""Understanding what a person typed: commands, yes/no, choices, "done", lists of things.

Why apart from the engine: this is where messy input meets rules (typos, emoji, several things in
one message), so it is pure functions that property tests can hammer without a database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dialogues._script import Script, ScriptChoice

MAX_MESSAGE_CHARS = 2000
# Bidirectional overrides and isolates can make shown text lie about its order: never keep them.
_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), None)
_FUZZY_MIN_LEN = 6
_LINE_SPLIT = re.compile(r"\n|;|•|·")
_COMMA = re.compile(r"(?<!\d),|,(?!\d)")
_LEADING_AND = re.compile(r"^(?:and|or)\s+", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*–—+>]+|\(?\d{1,2}[.)]|[a-z][)])\s+", re.IGNORECASE)
_EDGE_PUNCT = " \t\n.,!?;:-_'\"()[]{}*~`"
# A command, then a dash or colon and a reason: "skip – not ready to talk money". Only commands
# that change nothing stored may be said this way.
_WITH_REASON = re.compile(r"^\s*([^-–—:…]{1,20}?)\s*(?:[-–—:]|\.\.\.|…)\s*\S")
# Only "skip" and "back" (neither stores words): "Help - with my money" is an answer.
_REASON_COMMANDS = {"skip": "skip", "back": "back", "go back": "back"}
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def clean_text(raw: str) -> str:
    """The message as stored: control and bidi-override characters removed, ends trimmed.

    Everything else (emoji, accents, HTML-looking text) is kept exactly: answers are verbatim and
    escaping happens wherever they are shown.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n").translate(_BIDI)
    kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc").strip()
    # Only invisible characters (a byte-order mark, zero-width spaces) is no message at all.
    if all(unicodedata.category(ch) in ("Cf", "Zs", "Zl", "Zp") or ch.isspace() for ch in kept):
        return ""
    return kept


def normalise(text: str) -> str:
    """A form for matching words: lower case, straight apostrophes removed, spaces squeezed."""
    text = text.casefold().replace("’", "'").replace("‘", "'")
    text = " ".join(text.split())
    stripped = text.strip(_EDGE_PUNCT)
    text = stripped if stripped else text.strip()
    return text.replace("'", "")


def _near(a: str, b: str) -> bool:
    """One letter added, dropped, changed or two swapped (for long command words only)."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return a == b
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


class Vocabulary:
    """The words of ``words.toml``, normalised once, with the questions they answer."""

    def __init__(self, script: Script) -> None:
        self._commands = {
            name: {normalise(w) for w in words} for name, words in script.commands.items()
        }
        self._answers = {name: {normalise(w) for w in ws} for name, ws in script.answers.items()}
        self._greeting = {normalise(w) for w in script.greeting_words}
        self._greeting_core = {normalise(w) for w in script.greeting_core}
        self._filler = {normalise(w) for w in script.answers.get("filler", ())}
        self.list_continues = {normalise(w) for w in script.list_continues}
        self.list_opens = {normalise(w) for w in script.list_opens}

    def command(self, text: str) -> tuple[str, str] | None:
        """The command this whole message is, with any words after "change" (the topic)."""
        said = normalise(text)
        if not said:
            return None
        for name, words in self._commands.items():
            if said in words:
                return name, ""
        if said.startswith("change ") and len(said) > 7:
            return "change", said[7:].strip()
        reasoned = _WITH_REASON.match(text.casefold())
        if reasoned and normalise(reasoned.group(1)) in _REASON_COMMANDS:
            return _REASON_COMMANDS[normalise(reasoned.group(1))], ""
        for name, words in self._commands.items():
            canonical = name.replace("_", " ")
            if canonical in words and len(canonical) >= _FUZZY_MIN_LEN and _near(said, canonical):
                return name, ""
        return None

    def is_answer(self, kind: str, text: str) -> bool:
        """True when the whole message is one of the ``kind`` words (yes, no, done, ...)."""
        return normalise(text) in self._answers.get(kind, set())

    def has_negation(self, text: str) -> bool:
        """A "no" word anywhere in the message: "I don't want a photo", "ok no thanks"."""
        return has_phrase(normalise(text), self._answers.get("negation", ()))

    def yes_no(self, text: str) -> str | None:
        """ "yes", "no" or None: the whole message, or its first word when the rest agrees."""
        said = normalise(text)
        for kind in ("yes", "no"):
            if said in self._answers[kind]:
                return kind
        first = said.split(" ", 1)[0].strip(_EDGE_PUNCT) if said else ""
        hits = [k for k in ("yes", "no") if first and first in self._answers[k]]
        return hits[0] if len(hits) == 1 else None

    def is_greeting(self, text: str) -> bool:
        """Only greeting words, with at least one real hello ("hi its me again where was i")."""
        words = [w.strip(_EDGE_PUNCT) for w in normalise(text).split()]
        words = [w for w in words if w]
        return (
            bool(words)
            and all(w in self._greeting for w in words)
            and any(w in self._greeting_core for w in words)
        )

    def is_done(self, text: str) -> bool:
        """ "done", or "no"/"done" and only filler words: "no, not really", "done thanks"."""
        if self.is_answer("done", text):
            return True
        words = [w.strip(_EDGE_PUNCT) for w in normalise(text).replace(",", " ").split()]
        words = [w for w in words if w]
        return (
            len(words) > 1
            and words[0] in self._answers["done"]
            and all(w in self._filler or w in self._answers["done"] for w in words[1:])
        )


def choose(text: str, choices: Sequence[ScriptChoice]) -> ScriptChoice | None:
    """The choice a message picks: its number, its label or value, or one of its words.

    Words inside a longer message count only when they point at exactly one choice
    ("I'm his mum" picks Family).
    """
    said = normalise(text)
    if not said:
        return None
    number = said.removeprefix("number ").strip()
    # isdecimal, not isdigit: "²" is a digit that int() refuses; long runs are no choice number.
    if number.isdecimal():
        index: int | None = int(number) if len(number) <= 6 else 0
    else:
        index = _NUMBER_WORDS.get(number)
    if index is not None:
        return choices[index - 1] if 1 <= index <= len(choices) else None
    for c in choices:
        if said in {normalise(c.label), normalise(c.value), *map(normalise, c.words)}:
            return c
    hits = [c for c in choices if has_phrase(said, (normalise(w) for w in (*c.words, c.label)))]
    return hits[0] if len(hits) == 1 else None


def has_phrase(said: str, phrases: Iterable[str]) -> bool:
    """True when one of ``phrases`` (normalised) stands as whole words in ``said`` (normalised):
    "mum" in "im his mum", but not in "mummy"."""
    padded = f" {re.sub(r'[^0-9a-z ]+', ' ', said)} "
    return any(f" {phrase} " in padded for phrase in phrases if phrase)


@dataclass(frozen=True)
class ListAnswer:
    """What a list message held: the things, in order, and whether it ended with "done"."""

    items: tuple[str, ...]
    ended: bool


def split_items(text: str, vocabulary: Vocabulary) -> ListAnswer:
    """Split one message into things: new lines, commas, semicolons and bullets separate them.

    "and" never splits ("fish and chips" is one thing), nor a comma inside a number ("£1,000").
    Each thing keeps the person's exact words, without a leading bullet or number.
    """
    parts = []
    for line in _LINE_SPLIT.split(text):
        pieces = _COMMA.split(line)
        if len(pieces) > 1 and _reads_as_sentence(pieces, vocabulary):
            pieces = [line]
        parts += [_BULLET.sub("", p, count=1).strip() for p in pieces]
    parts = [_LEADING_AND.sub("", p) if i else p for i, p in enumerate(parts)]
    items = [p for p in parts if p and normalise(p) not in ("", "and")]
    ended = False
    while items and vocabulary.is_answer("done", items[-1]) and len(items) > 1:
        items.pop()
        ended = True
    return ListAnswer(tuple(items), ended)


def _first_word(text: str) -> str:
    words = normalise(text).split()
    return words[0].strip(_EDGE_PUNCT) if words else ""


def _reads_as_sentence(pieces: Sequence[str], vocabulary: Vocabulary) -> bool:
    """True when commas join the parts of one sentence, not a list of things."""
    if _first_word(pieces[0]) in vocabulary.list_opens:
        return True
    return any(_first_word(p) in vocabulary.list_continues for p in pieces[1:])


def bullet_lines(items: Iterable[str]) -> str:
    return "\n".join(f"- {item}" for item in items)
