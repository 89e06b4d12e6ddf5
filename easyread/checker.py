"""The easy-read checker: finds the places where a message breaks the rules in EASYREAD.md.

Why: every script message and profile heading goes through ``check_message`` in the tests, so a
new question that is too long, too hard or full of jargon fails CI before anyone reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import pyphen

__all__ = [
    "MAX_SENTENCE_WORDS",
    "MIN_READING_EASE",
    "MIN_WORDS_FOR_EASE",
    "RULES",
    "Issue",
    "check_message",
    "reading_ease",
]

RULES = (
    "sentence_too_long",
    "too_many_questions",
    "jargon",
    "acronym",
    "hard_to_read",
    "number_in_words",
)
"""Every rule name ``check_message`` can return. Each has ``tests/easyread/cases/<rule>.toml``."""

MAX_SENTENCE_WORDS = 15
"""EASYREAD.md: at most 15 words in a sentence."""

MIN_READING_EASE = 60.0
"""Flesch "plain English" starts at 60; easy-read messages should never score below it."""

MIN_WORDS_FOR_EASE = 8
"""Below this many words the Flesch score swings wildly, so ``hard_to_read`` is not checked."""

NUMBER_WORDS = (
    *("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"),
    *("twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen"),
    *("nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty"),
    *("ninety", "hundred", "thousand", "million"),
)
"""Numbers people should read as digits. "one" is left out: "one at a time" is not a count."""

# A placeholder such as {name} is filled in at run time; it stands for one short word.
_PLACEHOLDER = re.compile(r"\{[^{}\n]*\}")
# A bullet at the start of a line: "• x", "- x", "* x", "1. x", "2) x".
_BULLET = re.compile(r"^\s*(?:[•\-*–]|\d{1,3}[.)])\s+")
# A sentence ends at . ! ? or … (with any closing quotes) before a space or the end of the line.
# Requiring the space keeps "£3.50" and "planbot.org" whole.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)")
# A word: letters or digits, with apostrophes or hyphens inside ("don't", "multi-agency") and
# number marks between digits ("£3.50", "10:30", "1,000").
_WORD = re.compile(r"[^\W_]+(?:(?:['’\-]|(?<=\d)[.,:](?=\d))[^\W_]+)*")
_LETTERS = re.compile(r"[^\W\d_]+")
_VOWEL_GROUP = re.compile(r"[aeiouy]+")


@dataclass(frozen=True)
class Issue:
    """One broken rule: ``rule`` is a stable name from ``RULES``; ``detail`` is for people."""

    rule: str
    detail: str


def _data_lines(name: str) -> tuple[str, ...]:
    """The non-blank lines of a data file, without ``#`` comments."""
    raw = resources.files("easyread").joinpath(f"data/{name}").read_text("utf-8")
    lines = (line.split("#", 1)[0].strip() for line in raw.splitlines())
    return tuple(line for line in lines if line)


@cache
def _jargon_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each jargon entry with a whole-word, case-insensitive pattern (plural "s" allowed)."""
    patterns = []
    for entry in _data_lines("jargon.txt"):
        body = r"\s+".join(re.escape(part) for part in entry.split())
        pattern = re.compile(rf"(?<![\w\-]){body}s?(?![\w\-])", re.IGNORECASE)
        patterns.append((entry, pattern))
    return tuple(patterns)


@cache
def _caps_allowed() -> frozenset[str]:
    """Capital-letter words that are fine: everyday ones (OK, TV) and keywords people type."""
    return frozenset(line.upper() for line in _data_lines("caps_allowed.txt"))


@cache
def _number_pattern() -> re.Pattern[str]:
    """Number words as whole words; "twenty-one" is caught by its "twenty"."""
    return re.compile(r"\b(" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)


@cache
def _hyphenator() -> pyphen.Pyphen:
    """The en_GB hyphenation dictionary; built once because loading it is slow."""
    return pyphen.Pyphen(lang="en_GB")


@lru_cache(maxsize=4096)
def _syllables(word: str) -> int:
    """Syllables in one word: pyphen's break points + 1, or vowel groups if pyphen finds none."""
    word = word.lower().replace("’", "").replace("'", "")
    positions = _hyphenator().positions(word)
    if positions:
        return len(positions) + 1
    groups = len(_VOWEL_GROUP.findall(word))
    # A final silent "e" ("make", "time") is not a syllable; "-le" ("table") and "-ee" are.
    if groups > 1 and word.endswith("e") and not word.endswith(("le", "ee", "ye")):
        groups -= 1
    return max(1, groups)


def _prepare(text: str) -> str:
    """The text with each placeholder replaced by an ordinary short word."""
    return _PLACEHOLDER.sub("Sam", text)


def _sentences(text: str) -> list[list[str]]:
    """The words of each sentence; every line (and so every bullet) starts a new sentence."""
    sentences = []
    for line in text.splitlines():
        line = _BULLET.sub("", line)
        for part in _SENTENCE_END.split(line):
            words = _WORD.findall(part)
            if words:
                sentences.append(words)
    return sentences


def _ease(sentences: list[list[str]]) -> float:
    """The Flesch reading ease of sentences already split into words."""
    words = [word for sentence in sentences for word in sentence]
    if not words:
        return 206.835  # Nothing to read is as easy as it gets.
    syllables = sum(_syllables(word) for word in words)
    return 206.835 - 1.015 * (len(words) / len(sentences)) - 84.6 * (syllables / len(words))


def reading_ease(text: str) -> float:
    """The Flesch reading ease of ``text``: higher is easier, 60 and above is plain English.

    Syllables come from pyphen rather than textstat because textstat downloads a dictionary on
    first use and fails offline. Placeholders such as ``{name}`` count as one short word.
    """
    return _ease(_sentences(_prepare(text)))


def _check_sentences(sentences: list[list[str]]) -> list[Issue]:
    """Sentences with more than ``MAX_SENTENCE_WORDS`` words."""
    return [
        Issue(
            "sentence_too_long",
            f'"{" ".join(words[:5])} …" has {len(words)} words. Use {MAX_SENTENCE_WORDS} or fewer.',
        )
        for words in sentences
        if len(words) > MAX_SENTENCE_WORDS
    ]


def _check_questions(text: str) -> list[Issue]:
    """More than one question mark: the person should only have to answer one thing."""
    count = text.count("?")
    if count <= 1:
        return []
    return [Issue("too_many_questions", f"{count} question marks. Ask 1 question in a message.")]


def _check_jargon(text: str) -> list[Issue]:
    """Each jargon entry the text uses, once."""
    return [
        Issue("jargon", f'"{entry}" is jargon. Use an everyday word.')
        for entry, pattern in _jargon_patterns()
        if pattern.search(text)
    ]


def _check_acronyms(text: str) -> list[Issue]:
    """Each acronym (2 or more capital letters, plural "s" allowed) not on the allow-list, once."""
    found: dict[str, None] = {}
    for letters in _LETTERS.findall(text):
        if letters.endswith("s") and letters[:-1].isupper():
            letters = letters[:-1]  # "PDFs"
        if len(letters) >= 2 and letters.isupper() and letters not in _caps_allowed():
            found.setdefault(letters)
    return [Issue("acronym", f'"{word}" is an acronym. Write the words out.') for word in found]


def _check_ease(sentences: list[list[str]]) -> list[Issue]:
    """A low Flesch score; skipped for short messages, where the score means little."""
    if sum(len(words) for words in sentences) < MIN_WORDS_FOR_EASE:
        return []
    score = _ease(sentences)
    if score >= MIN_READING_EASE:
        return []
    return [
        Issue(
            "hard_to_read",
            f"Reading ease is {score:.0f}; it should be {MIN_READING_EASE:.0f} or more. "
            "Use shorter words and sentences.",
        )
    ]


def _check_numbers(text: str) -> list[Issue]:
    """Each number written as a word, once: easy read uses digits ("3 things")."""
    found = {match.lower(): None for match in _number_pattern().findall(text)}
    return [
        Issue("number_in_words", f'Write "{word}" in digits, like "3 things", not "three things".')
        for word in found
    ]


def check_message(text: str) -> list[Issue]:
    """Every easy-read rule ``text`` breaks, in ``RULES`` order; an empty list means it is fine.

    Args:
        text: a message or heading as written in a script; it may hold placeholders such as
            ``{name}``, emoji and several lines.

    Returns:
        One ``Issue`` per long sentence, per distinct jargon word, acronym or number word, and at
        most one each for too many questions and a low reading-ease score.
    """
    text = _prepare(text)
    sentences = _sentences(text)
    return [
        *_check_sentences(sentences),
        *_check_questions(text),
        *_check_jargon(text),
        *_check_acronyms(text),
        *_check_ease(sentences),
        *_check_numbers(text),
    ]
