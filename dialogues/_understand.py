"""Understanding what a person typed: commands, yes/no, choices, "done", lists of things.

Why apart from the engine: this is where messy input meets rules (typos, emoji, several things in
one message), so it is pure functions that property tests can hammer without a database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from dialogues._phrases import PhraseBook, tokens
from dialogues._script import AskApart, Script, ScriptChoice, Step

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


# Printable ASCII, new lines and tabs: text in which ``clean_text`` would remove nothing.
_PLAIN = re.compile("[\t\n\x20-\x7e]*")


def _shown(ch: str) -> bool:
    """Not a control, a lone surrogate (JSON can carry one; no database can store it) or a
    noncharacter (U+FFFE, U+FFFF, U+FDD0..U+FDEF: never text, and XML cannot hold U+FFFF)."""
    code = ord(ch)
    noncharacter = 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE
    return not noncharacter and unicodedata.category(ch) not in ("Cc", "Cs")


def clean_text(raw: str) -> str:
    """The message as stored: controls, bidi overrides and non-text removed, ends trimmed.

    Everything else (emoji, accents, HTML-looking text) is kept exactly: answers are verbatim and
    escaping happens wherever they are shown.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    if _PLAIN.fullmatch(text):  # most texts: nothing to remove, checked at C speed
        return text.strip()
    text = text.translate(_BIDI)
    kept = "".join(ch for ch in text if ch in "\n\t" or _shown(ch)).strip()
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


@dataclass(frozen=True)
class Sense:
    """What a known phrase means at a question: yes, no, a choice's value (with the helper it
    names), words to tell two choices apart, "don't know", "what?", or nothing at all."""

    kind: str  # yes | no | dont_know | confused | filler | choice | apart | done | more | ...
    value: str = ""
    helper: str = ""


@dataclass(frozen=True)
class Reading:
    """What a message answers to a question with choices."""

    value: str | None = None  # "yes", "no" or a choice's value; None when not clear
    helper: str = ""  # who is helping, where "me and my PA" said so
    apart: AskApart | None = None  # the short question that tells two choices apart
    dont_know: bool = False


_CHOICE_KINDS = ("choice", "apart")


class Vocabulary:
    """The words of ``words.toml`` and the scripts, as phrase books, with what they answer."""

    def __init__(self, script: Script) -> None:
        self._script = script
        self._commands = {
            name: {normalise(w) for w in words} for name, words in script.commands.items()
        }
        # A whole message that is a command's words, looked up at once (the first command to
        # list a phrase has it); and the long command names a slip of one letter still finds.
        self._command_of: dict[str, str] = {}
        for name, words in self._commands.items():
            for word in words:
                self._command_of.setdefault(word, name)
        self._mendable = [
            (name, name.replace("_", " "))
            for name, words in self._commands.items()
            if name.replace("_", " ") in words and len(name) >= _FUZZY_MIN_LEN
        ]
        # A slip of one letter is at most one longer: longer messages (most answers) are
        # not compared with each name.
        self._mendable_longest = max((len(c) for _name, c in self._mendable), default=0) + 1
        # ... nor one shorter, or longer, than a name by more than a letter: for each length
        # of message, the names (in their order) within one letter of it. A short answer
        # ("thing 5") was compared with all 14 names, about 12,000 instructions a text
        # (callgrind on bench/list_answer.py); a name a letter further off is never found.
        self._mendable_near = {
            length: [(name, c) for name, c in self._mendable if abs(len(c) - length) <= 1]
            for length in range(self._mendable_longest + 1)
        }
        self._answers = {name: {normalise(w) for w in ws} for name, ws in script.answers.items()}
        self.list_continues = {normalise(w) for w in script.list_continues}
        self.list_opens = {normalise(w) for w in script.list_opens}
        self._common = [
            *self._senses("filler"),
            *self._senses("negation", "no"),
            *self._senses("yes"),
            *self._senses("no"),
            *self._senses("dont_know"),
            *self._senses("confused"),
        ]
        self._yes_no = self._book(self._common)
        self._restart = self._book(
            [*self._common, *self._senses("restart_yes", "yes"), *self._senses("restart_no", "no")]
        )
        self._done = self._book([*self._senses("filler"), *self._senses("done")])
        self._more = self._book(
            [*self._senses("filler"), *self._senses("yes"), *self._senses("more", "yes")]
        )
        # Not mended: a slip in a short word makes another word ("Hugh" is no "huh").
        self._confused = self._book(
            [*self._senses("filler"), *self._senses("confused")], mend=False
        )
        self._greeting = self._book(
            [(w, Sense("filler")) for w in script.greeting_words]
            + [(w, Sense("greeting")) for w in script.greeting_core]
        )
        self._keep = self._book(
            [
                *self._senses("filler"),
                *self._senses("just_for_me"),
                *self._senses("share_again"),
            ]
        )
        self._steps: dict[str, PhraseBook[Sense]] = {}

    def _senses(self, key: str, kind: str = "") -> list[tuple[str, Sense]]:
        return [(w, Sense(kind or key)) for w in self._script.answers.get(key, ())]

    def _book(self, phrases: Iterable[tuple[str, Sense]], mend: bool = True) -> PhraseBook[Sense]:
        """A phrase book whose slips are mended only towards words that mean something here:
        "thing" is a thing, not the filler "think"; "finsihed" is still "finished"."""
        phrases = list(phrases)
        meaningful = {w for p, sense in phrases if sense.kind != "filler" for w in tokens(p)}
        filler = {w for p, sense in phrases if sense.kind == "filler" for w in tokens(p)}
        return PhraseBook(
            phrases, self._script.spelled_out, mend=mend, never_mended_to=filler - meaningful
        )

    def _step_book(self, step: Step) -> PhraseBook[Sense]:
        """The common yes/no words, then the step's own words (which win where they meet)."""
        book = self._steps.get(step.id)
        if book is None:
            own: list[tuple[str, Sense]] = []
            yes_no = step.kind in ("yes_no", "photo")
            for c in step.choices:
                for phrase in (c.label, c.value, *c.words):
                    for said, helper in self._expand(phrase):
                        sense = Sense(c.value) if yes_no else Sense("choice", c.value, helper)
                        own.append((said, sense))
            for i, apart in enumerate(step.ask_apart):
                own += [(w, Sense("apart", str(i))) for w in apart.words]
            book = self._steps[step.id] = self._book([*self._common, *own])
        return book

    def _expand(self, phrase: str) -> list[tuple[str, str]]:
        """A phrase with a {slot} as one phrase per word of the slot, with that word."""
        for slot, words in self._script.slots.items():
            if f"{{{slot}}}" in phrase:
                return [(phrase.replace(f"{{{slot}}}", w), w) for w in words]
        return [(phrase, "")]

    def command(self, text: str) -> tuple[str, str] | None:
        """The command this whole message is, with any words after "change" (the topic)."""
        said = normalise(text)
        if not said:
            return None
        found = self._command_of.get(said)
        if found is not None:
            return found, ""
        for name, starts in self._script.command_args.items():
            for start in starts:
                rest = said.removeprefix(f"{start} ")
                if rest != said and rest.strip():
                    return name, rest.strip()
        reasoned = _WITH_REASON.match(text.casefold())
        if reasoned and normalise(reasoned.group(1)) in _REASON_COMMANDS:
            return _REASON_COMMANDS[normalise(reasoned.group(1))], ""
        if len(said) > self._mendable_longest:
            return None
        for name, canonical in self._mendable_near[len(said)]:
            # One letter added, dropped, changed, or two side by side swapped.
            if OSA.distance(said, canonical, score_cutoff=1) <= 1:
                return name, ""
        return None

    def is_answer(self, kind: str, text: str) -> bool:
        """True when the whole message is one of the ``kind`` words (yes, no, done, ...)."""
        return normalise(text) in self._answers.get(kind, set())

    def yes_no(self, text: str, step: Step | None = None) -> str | None:
        """ "yes", "no", "dont_know" or None (not clear: ask again).

        A "no" word anywhere stops a yes ("yes no" is asked again), unless it is part of a
        longer phrase that means yes ("no problem"); a step's own words count too.
        """
        book = self._step_book(step) if step is not None and step.choices else self._yes_no
        return _one_of(book, text, ("yes", "no", "dont_know"))

    def restart_yes_no(self, text: str) -> str | None:
        """The answer to "delete all your answers?": deleting needs a clear yes."""
        return _one_of(self._restart, text, ("yes", "no", "dont_know"))

    def read_choice(self, text: str, step: Step) -> Reading:
        """The choice a message picks at a choice step, by its number or its words.

        The longest phrase found decides ("me and my PA" is a helped person, not a PA); two
        choices found as strongly is no answer, unless the step has a short question that
        tells them apart ("carer": family, or paid to help?).
        """
        picked = choose_by_number(text, step.choices)
        if picked is not None:
            return Reading(picked.value)
        hits, _unknown = self._step_book(step).find(text)
        chosen = [h for h in hits if h.meaning.kind in _CHOICE_KINDS]
        if not chosen:
            kinds = {h.meaning.kind for h in hits} - {"filler"}
            return Reading(dont_know=kinds == {"dont_know"} and not _unknown)
        longest = max(h.length for h in chosen)
        best = [h.meaning for h in chosen if h.length == longest]
        values = {m.value for m in best if m.kind == "choice"}
        aparts = [step.ask_apart[int(m.value)] for m in best if m.kind == "apart"]
        if len(values) == 1:
            (value,) = values
            if all(value in a.values for a in aparts):
                # "me and my PA": the helper a longer phrase named ("PA").
                helper = next((m.helper for m in best if m.helper), "")
                return Reading(value, helper)
            return Reading()
        if not values and aparts:
            # "I'm her mum and her carer": the choice that is named settles it.
            named = {h.meaning.value for h in chosen if h.meaning.kind == "choice"}
            inside = named & set(aparts[0].values)
            if len(inside) == 1:
                return Reading(inside.pop())
            return Reading(apart=aparts[0])
        return Reading()

    def is_greeting(self, text: str) -> bool:
        """Only greeting words, with at least one real hello ("hi its me again where was i")."""
        hits = self._greeting.whole(text)
        return hits is not None and any(h.meaning.kind == "greeting" for h in hits)

    def keep_or_share(self, text: str) -> str | None:
        """ "just_for_me" ("just for me", "keep it private") or "share_again" ("share it"),
        said about a thing picked in a topic; None for anything else."""
        return _one_of(self._keep, text, ("just_for_me", "share_again"))

    def is_done(self, text: str) -> bool:
        """ "done", or done words and filler only: "no, not really", "nah thats all"."""
        return self.is_answer("done", text) or _wholly(self._done, text, "done")

    def is_confused(self, text: str) -> bool:
        """ "wat", "?", "what do u mean": the question needs explaining again."""
        return self.is_answer("confused", text) or _wholly(self._confused, text, "confused")

    def means_more(self, text: str) -> bool:
        """A yes to "anything else?" with nothing to save yet: "yes", "yep one more"."""
        return _wholly(self._more, text, "yes")

    def is_dont_know(self, text: str) -> bool:
        """ "dunno", "not sure tbh", "i dunno": the whole message says "I do not know"."""
        if self.is_answer("dont_know", text):
            return True
        hits = self._yes_no.whole(text)
        return hits is not None and {h.meaning.kind for h in hits} - {"filler"} == {"dont_know"}


def _wholly(book: PhraseBook[Sense], text: str, kind: str) -> bool:
    """The message is only ``kind`` phrases and filler, with at least one ``kind`` phrase."""
    hits = book.whole(text)
    return hits is not None and any(h.meaning.kind == kind for h in hits)


def _one_of(book: PhraseBook[Sense], text: str, kinds: tuple[str, ...]) -> str | None:
    """The one kind of answer the message's phrases say, or None when they say none, or
    several (yes and no), or ask "what?"."""
    hits, _unknown = book.find(text)
    said = {h.meaning.kind for h in hits} - {"filler"}
    if said & {"confused"} or len(said) != 1:
        return None
    (kind,) = said
    return kind if kind in kinds else None


def choose_by_number(text: str, choices: Sequence[ScriptChoice]) -> ScriptChoice | None:
    """The choice a number picks ("2", "number 2", "two"), or one named exactly."""
    said = normalise(text)
    if not said:
        return None
    number = said.removeprefix("number ").removeprefix("option ").strip()
    # isdecimal, not isdigit: "²" is a digit that int() refuses; long runs are no choice number.
    if number.isdecimal():
        index: int | None = int(number) if len(number) <= 6 else 0
    else:
        index = _NUMBER_WORDS.get(number)
    if index is not None:
        return choices[index - 1] if 1 <= index <= len(choices) else None
    for c in choices:
        if said in {normalise(c.label), normalise(c.value)}:
            return c
    return None


def choose(text: str, choices: Sequence[ScriptChoice]) -> ScriptChoice | None:
    """The choice a message picks: its number, its label or value, or one of its words.

    Words inside a longer message count only when they point at exactly one choice
    ("I'm his mum" picks Family). For menus (topics, people, retry choices); the questions of
    the script are read with ``Vocabulary``.
    """
    picked = choose_by_number(text, choices)
    said = normalise(text)
    if picked is not None or not said or said.isdecimal():
        return picked
    for c in choices:
        if said in map(normalise, c.words):
            return c
    hits = [c for c in choices if has_phrase(said, (normalise(w) for w in (*c.words, c.label)))]
    return hits[0] if len(hits) == 1 else None


def has_phrase(said: str, phrases: Iterable[str]) -> bool:
    """True when one of ``phrases`` stands as whole words in ``said``: "mum" in "im his mum",
    not in "mummy". Letters of every language count ("mère", "café")."""
    words = f" {' '.join(tokens(said))} "
    return any(f" {' '.join(tokens(p))} " in words for p in phrases if tokens(p))


@dataclass(frozen=True)
class ListAnswer:
    """What a list message held: the things, in order, and whether it ended with "done"."""

    items: tuple[str, ...]
    ended: bool


def split_items(text: str, vocabulary: Vocabulary, *, commas: bool = True) -> ListAnswer:
    """Split one message into things: new lines, commas, semicolons and bullets separate them.

    "and" never splits ("fish and chips" is one thing), nor a comma inside a number ("£1,000").
    Each thing keeps the person's exact words, without a leading bullet or number.
    ``commas=False``: commas belong to the thing ("find a class, Mum helps, by March").
    """
    parts = []
    for line in _LINE_SPLIT.split(text):
        pieces = _COMMA.split(line) if commas else [line]
        if len(pieces) > 1 and _reads_as_sentence(pieces, vocabulary):
            pieces = [line]
        parts += [_BULLET.sub("", p, count=1).strip() for p in pieces]
    parts = [_LEADING_AND.sub("", p) if i else p for i, p in enumerate(parts)]
    items = [p for p in parts if p and normalise(p) not in ("", "and")]
    ended = False
    # The count first: a message of one thing (most) is not read for "done" again here.
    while len(items) > 1 and vocabulary.is_answer("done", items[-1]):
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
