"""A picture for each item of a profile, chosen offline: "my cat Biscuit" gets a cat.

Why: easy-read guidance asks for a picture for each idea, not only each heading. A wrong
picture is worse than none (a picture that says "noise is good" beside "I don't like noise"
tells the reader the opposite), so the chooser is careful and says nothing when unsure:

1. The person's own emoji in the item come first: they chose that picture themselves.
2. Then our own list of everyday planning words (``data/item_pictures.toml``): "swimming",
   "the bus". A word with a capital in the middle of a sentence is a name ("going to
   Reading", "Apple Music") unless the list says people write it so ("Christmas").
3. Then OpenMoji's own words for its pictures (``data/openmoji_words.tsv``, made by
   ``tools/openmoji_words.py``): first an item's words that are a picture's whole name
   ("pizza", "guitar", "ice cream"), then a tag that belongs to one picture only among
   the things (animals, food, activities, places, objects). Either is used only when exactly
   one picture wins. Names ("Biscuit", "Max", "Spain") are not looked up there.
4. Last, a person from our list (mum, nan, friends): only when nothing else in the item has a
   picture, so "Mum helps me with money" gets the money and "cricket with Dad" the cricket.

An item with a word that turns it around ("not", "don't", "never", "scared", "hate") gets no
picture at all: the plain picture of the thing would read as the opposite. Phrases whose
words mislead ("walking frame", "ear defenders") get none either.

Only whole words count: "cat" never matches "catch" and "bus" never matches "business".
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from easyread.icons import emoji_runs, openmoji_code
from planbot.errors import ScriptError

# Groups whose pictures are things: only their tags are trusted on their own ("pasta" is a tag
# of spaghetti). Faces and people carry feelings as tags ("hungry" is a tag of a weary face).
_THING_GROUPS = frozenset(
    {"animals-nature", "food-drink", "activities", "travel-places", "objects"}
)
# Whole words, with inner apostrophes ("don't", "Mum's") and hyphens ("ice-cream").
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_LONGEST_PHRASE = 4  # words in the longest phrase looked up


@dataclass(frozen=True)
class _Word:
    text: str  # lower case, curly apostrophes made straight
    name: bool  # written with a capital in the middle of a sentence: likely a name


@dataclass(frozen=True)
class _Entry:
    code: str
    weak: bool  # a person: only when nothing else has a picture
    capitals: bool  # written with a capital and still not a name ("Christmas", "Mum")


@dataclass(frozen=True)
class _Ours:
    """Our list, read once: phrase -> (picture, weak), and the words that stop a guess."""

    pictures: dict[str, _Entry]
    negative: frozenset[str]
    block: frozenset[str]
    ignore: frozenset[str]


@dataclass(frozen=True)
class _OpenMojiWords:
    """OpenMoji's words, indexed once: a whole name -> pictures, a tag -> thing pictures."""

    names: dict[str, frozenset[str]]
    tags: dict[str, frozenset[str]]
    all_tags: dict[str, int]  # how many pictures of any group have the tag


def _data(name: str) -> str:
    return resources.files("easyread").joinpath(f"data/{name}").read_text("utf-8")


@cache
def _ours() -> _Ours:
    try:
        data = tomllib.loads(_data("item_pictures.toml"))
        pictures: dict[str, _Entry] = {}
        for entry in data["picture"]:
            found = _Entry(
                str(entry["code"]),
                bool(entry.get("weak", False)),
                bool(entry.get("capitals", False)),
            )
            for phrase in entry["words"]:
                pictures[_norm(phrase)] = found
        return _Ours(
            pictures,
            frozenset(_norm(w) for w in data["negative"]),
            frozenset(_norm(w) for w in data["block"]),
            frozenset(_norm(w) for w in data["ignore"]),
        )
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise ScriptError(f"easyread/data/item_pictures.toml: {exc}") from exc


@cache
def _openmoji_words() -> _OpenMojiWords:
    names: dict[str, set[str]] = {}
    tags: dict[str, set[str]] = {}
    all_tags: dict[str, int] = {}
    for line in _data("openmoji_words.tsv").splitlines():
        if not line or line.startswith("#"):
            continue
        code, group, annotation, tag_list = [*line.split("\t"), "", "", ""][:4]
        names.setdefault(_norm(annotation), set()).add(code)
        for tag in tag_list.split(","):
            tag = _norm(tag)
            if not tag:
                continue
            all_tags[tag] = all_tags.get(tag, 0) + 1
            if group in _THING_GROUPS:
                tags.setdefault(tag, set()).add(code)
    return _OpenMojiWords(
        {k: frozenset(v) for k, v in names.items()},
        {k: frozenset(v) for k, v in tags.items()},
        all_tags,
    )


def _norm(text: str) -> str:
    return " ".join(text.replace("’", "'").casefold().split())


def _words(text: str) -> list[_Word]:
    """The item's words; one written with a capital after the first word is taken as a name."""
    words = []
    for n, match in enumerate(_WORD.finditer(text)):
        raw = match.group()
        # "TV", "GP": all capitals is a word, not a name; "Biscuit", "Max" are names.
        name = n > 0 and raw[:1].isupper() and not raw.isupper()
        words.append(_Word(_norm(raw), name))
    return words


def forms(word: str) -> list[str]:
    """A word and its plain forms, most likely first: "swimming" -> swimming, swimm, swim, swime.

    Why not a stemmer: only the forms people write in plan items are needed (plurals, "-ing"),
    and each form is looked up as a whole word in a short list, so an odd form finds nothing.
    """
    out = [word]
    if word.endswith("'s"):
        out.append(word[:-2])
    if word.endswith("ies") and len(word) > 4:
        out.append(word[:-3] + "y")
    if word.endswith("es") and len(word) > 3:
        out.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        out.append(word[:-1])
    if word.endswith("ing") and len(word) > 5:
        stem = word[:-3]
        out.append(stem)
        if len(stem) > 2 and stem[-1] == stem[-2]:
            out.append(stem[:-1])  # swimming -> swim
        out.append(stem + "e")  # dancing -> dance
    return list(dict.fromkeys(out))


def _phrases(words: list[_Word]) -> list[tuple[int, int, str, bool]]:
    """Every run of up to 4 words as (start, length, text, has a name), longest first at each
    start, its last word in each of its forms ("the ducks" -> "the ducks", "the duck")."""
    runs = []
    for start in range(len(words)):
        for length in range(min(_LONGEST_PHRASE, len(words) - start), 0, -1):
            chunk = words[start : start + length]
            named = any(w.name for w in chunk)
            head = " ".join(w.text for w in chunk[:-1])
            for form in forms(chunk[-1].text):
                runs.append((start, length, f"{head} {form}" if head else form, named))
    return runs


def _own_emoji(text: str) -> str | None:
    for _run, code in emoji_runs(text):
        if code is not None:
            return code
    return None


def _from_our_list(words: list[_Word], weak_too: bool) -> str | None:
    """The picture of the first thing our list knows in the item; a person (a weak entry)
    only if ``weak_too`` and no thing matched."""
    ours = _ours()
    strong: list[tuple[int, str]] = []
    weak: list[tuple[int, str]] = []
    covered: set[int] = set()
    for start, length, phrase, named in _phrases(words):
        entry = ours.pictures.get(phrase)
        if entry is None or start in covered or (named and not entry.capitals):
            continue
        (weak if entry.weak else strong).append((start, entry.code))
        covered.update(range(start, start + length))
    found = strong or (weak if weak_too else [])
    return min(found)[1] if found else None


def _one(codes: set[str]) -> str | None:
    return next(iter(codes)) if len(codes) == 1 else None


def _from_openmoji_words(words: list[_Word]) -> str | None:
    ours = _ours()
    index = _openmoji_words()
    by_name: set[str] = set()
    by_tag: set[str] = set()
    for _start, length, phrase, named in _phrases(words):
        if named or (length == 1 and (phrase in ours.ignore or len(phrase) < 3)):
            continue
        by_name |= index.names.get(phrase, frozenset())
        # A tag counts only if no picture outside the things has it too ("hungry").
        things = index.tags.get(phrase, frozenset())
        if len(things) == 1 and index.all_tags.get(phrase, 0) == 1:
            by_tag |= things
    return _one(by_name) or (_one(by_tag) if not by_name else None)


def _turned_around(words: list[_Word]) -> bool:
    ours = _ours()
    if any(w.text in ours.negative for w in words):
        return True
    plain = " ".join(w.text for w in words)
    return any(re.search(rf"\b{re.escape(p)}\b", plain) for p in ours.block)


def starts_with_emoji(text: str) -> bool:
    """Whether the item begins with the person's own emoji, which the page already shows
    where an item picture would go (so the picture is not drawn twice)."""
    runs = emoji_runs(text.lstrip())
    return bool(runs) and runs[0][1] is not None


@lru_cache(maxsize=4096)
def item_picture(text: str) -> str | None:
    """The OpenMoji code of the picture for one item's words, or None when none clearly fits.

    Args:
        text: the item exactly as the person typed it ("going swimming on Tuesdays").

    Returns:
        An OpenMoji file name that is installed ("1F3CA"), or None.
    """
    own = _own_emoji(text)
    if own is not None:
        return own
    words = _words(text)
    if not words or _turned_around(words):
        return None
    code = (
        _from_our_list(words, weak_too=False)
        or _from_openmoji_words(words)
        or _from_our_list(words, weak_too=True)
    )
    return openmoji_code(code) if code else None
