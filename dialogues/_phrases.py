"""Finding known phrases in what someone typed, the way people type: typos, text-speak, extra
words around the answer, any language's letters.

Why a module of its own: every closed question (yes or no, who is typing, "anything else?")
asks the same thing of a message: which of the phrases we know does it hold? A ``PhraseBook``
answers that once for all of them. Words are cut on Unicode word boundaries (so "mère" and
"café" are words), text-speak is spelled out from data ("wiv" is "with"), and a word planbot
does not know is taken as the nearest word it does know when it is one slip away (rapidfuzz's
optimal string alignment distance: one letter added, dropped, changed, or two swapped). Where
phrases overlap, the longest wins: "me and my PA" is one phrase, not "me" and "PA".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, TypeVar

from rapidfuzz import process
from rapidfuzz.distance import OSA

Meaning = TypeVar("Meaning")

_WORD = re.compile(r"\w+", re.UNICODE)
# Joiners and modifiers inside emoji: "🤷‍♀️" and "🤷" are the same shrug here.
_EMOJI_PARTS = dict.fromkeys(map(ord, "\u200d\ufe0e\ufe0f"), None) | {
    cp: None for cp in range(0x1F3FB, 0x1F400)
}
_APOSTROPHES = dict.fromkeys(map(ord, "'’‘`´"), None)
_MENDED_KEPT = 10_000  # words looked up once are remembered, up to this many per book


@lru_cache(maxsize=4096)
def tokens(text: str) -> tuple[str, ...]:
    """The words and symbols of a message, folded for matching: "It's ME 👍" -> its, me, 👍.

    Apostrophes go ("don't" is "dont"), punctuation goes, each symbol (an emoji) is a word.
    """
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    folded = folded.translate(_EMOJI_PARTS)
    out: list[str] = []
    for piece in folded.split():
        if _WORD.fullmatch(piece):  # a plain word (most): itself, no symbols to look for
            out.append(piece)
            continue
        position = 0
        for match in _WORD.finditer(piece):
            out += _symbols(piece[position : match.start()])
            out.append(match.group())
            position = match.end()
        out += _symbols(piece[position:])
    return tuple(out)


def _symbols(between: str) -> list[str]:
    """Symbols between words, one word each; punctuation is dropped."""
    return [ch for ch in between if unicodedata.category(ch).startswith("S")]


def allowed_slips(word: str) -> int:
    """How many slips a word may have and still be taken for a known one: none in short words,
    where a slip makes another word ("dune" is not "done", "Hugh" is not "huh")."""
    if len(word) < 5:
        return 0
    return 1 if len(word) < 8 else 2


def _single_letters(word: str) -> str:
    """The word with each run of one letter kept once: "meee" and "helo" are "me" and "hello"."""
    return re.sub(r"(.)\1+", r"\1", word)


@dataclass(frozen=True)
class Hit(Generic[Meaning]):
    """One known phrase found in a message, and where."""

    meaning: Meaning
    start: int
    length: int


class PhraseBook(Generic[Meaning]):
    """Known phrases with what each means; finds them in a message, longest first."""

    def __init__(
        self,
        phrases: Iterable[tuple[str, Meaning]],
        spelled_out: Mapping[str, str] | None = None,
        *,
        mend: bool = True,
        never_mended_to: Iterable[str] = (),
    ) -> None:
        self._spelled_out = {k: tokens(v) for k, v in (spelled_out or {}).items()}
        self._phrases: dict[tuple[str, ...], Meaning] = {}
        for phrase, meaning in phrases:
            key = self._spell(tokens(phrase))
            if key:  # a later phrase overrides an earlier one: step words over common words
                self._phrases[key] = meaning
        self._longest = max((len(k) for k in self._phrases), default=0)
        self._known = {word for key in self._phrases for word in key}
        # Words that change nothing ("think", "for") are never a slip's target: "thing" is a
        # thing, not "think".
        avoid = {w for phrase in never_mended_to for w in tokens(phrase)}
        self._targets = (
            sorted(w for w in self._known - avoid if len(w) >= 3 and w.isalpha()) if mend else []
        )
        self._stretched: dict[str, str] = {}
        for word in sorted(self._known - avoid) if mend else ():
            self._stretched.setdefault(_single_letters(word), word)
        self._mended: dict[str, str] = {}

    def _spell(self, words: Iterable[str]) -> tuple[str, ...]:
        out: list[str] = []
        for word in words:
            out += self._spelled_out.get(word, (word,))
        return tuple(out)

    def words(self, text: str) -> tuple[str, ...]:
        """The message's words, text-speak spelled out and slips mended to known words."""
        return tuple(self._mend(w) for w in self._spell(tokens(text)))

    def _mend(self, word: str) -> str:
        if word in self._known or not word.isalpha():
            return word
        mended = self._mended.get(word)
        if mended is None:
            mended = self._stretched.get(_single_letters(word)) or word
            slips = allowed_slips(word)
            if mended == word and slips and self._targets:
                mended = self._nearest(word, slips)
            if len(self._mended) < _MENDED_KEPT:
                self._mended[word] = mended
        return mended

    def _nearest(self, word: str, slips: int) -> str:
        found = process.extractOne(word, self._targets, scorer=OSA.distance, score_cutoff=slips)
        if found is None:
            return word
        nearest = str(found[0])
        # Slips rarely hit the first letter: "kate" is a name, not "mate".
        if len(word) <= 5 and nearest[0] != word[0]:
            return word
        return nearest

    def find(self, text: str) -> tuple[list[Hit[Meaning]], int]:
        """The phrases in ``text`` and how many of its words are in none of them.

        The longest phrases are taken first, wherever they are, then shorter ones in the words
        left: in "its me and my mum", "me and my mum" wins over "its me".
        """
        return self._find(self.words(text))

    def _find(self, words: tuple[str, ...]) -> tuple[list[Hit[Meaning]], int]:
        found = [
            Hit(meaning, start, length)
            for start in range(len(words))
            for length in range(1, min(self._longest, len(words) - start) + 1)
            if (meaning := self._phrases.get(words[start : start + length])) is not None
        ]
        found.sort(key=lambda hit: (-hit.length, hit.start))
        used = [False] * len(words)
        hits: list[Hit[Meaning]] = []
        for hit in found:
            span = range(hit.start, hit.start + hit.length)
            if not any(used[i] for i in span):
                hits.append(hit)
                for i in span:
                    used[i] = True
        hits.sort(key=lambda hit: hit.start)
        return hits, used.count(False)

    def meanings(self, text: str) -> set[Meaning]:
        return {hit.meaning for hit in self.find(text)[0]}

    def whole(self, text: str, most_words: int = 10) -> list[Hit[Meaning]] | None:
        """The phrases when the message is made of nothing else (at most ``most_words``
        words): "nah thats all" is all "done" words; "no sugar in my tea" is not."""
        said = tokens(text)
        if len(said) > most_words:
            return None
        words = []
        spelled_out = self._spelled_out
        for said_word in said:  # as ``_spell``, word by word: most stop at the first word
            for word in spelled_out.get(said_word, (said_word,)):
                mended = self._mend(word)
                if mended not in self._known:
                    return None  # a word of no phrase here: the message says something else
                words.append(mended)
        hits, unknown = self._find(tuple(words))
        return hits if hits and not unknown else None
