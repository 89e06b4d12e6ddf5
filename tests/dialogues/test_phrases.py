"""The phrase book under every closed question: words of any language, slips, longest first."""

from __future__ import annotations

from dialogues._phrases import PhraseBook, tokens
from dialogues._understand import has_phrase


def test_words_of_every_language_are_words() -> None:
    assert tokens("C'est ma MÈRE, café!") == ("cest", "ma", "mère", "café")
    assert tokens("Дякую") == ("дякую",)
    assert has_phrase("cest ma mère", ["mère"])
    assert has_phrase("un café au lait", ["café"])
    assert not has_phrase("mummy", ["mum"])


def test_emoji_are_words_and_skin_tones_do_not_matter() -> None:
    assert tokens("ok👍🏽") == ("ok", "👍")
    assert tokens("🤷‍♀️") == tokens("🤷 ♀")


def test_the_longest_phrase_wins_wherever_it_starts() -> None:
    book = PhraseBook([("its me", "person"), ("me and my mum", "helped"), ("mum", "family")])
    hits, unknown = book.find("its me and my mum")
    assert [h.meaning for h in hits] == ["helped"]
    assert unknown == 1  # "its": its phrase lost its "me"


def test_one_slip_in_a_longer_word_is_mended_but_not_in_a_short_one() -> None:
    book = PhraseBook([("keyworker", "staff"), ("support worker", "supporter"), ("huh", "what")])
    assert book.meanings("my keywroker") == {"staff"}
    assert book.meanings("suport worker") == {"supporter"}
    assert book.meanings("Hugh") == set()  # a name, not "huh"


def test_stretched_letters_are_the_word() -> None:
    book = PhraseBook([("hello", "hi"), ("me", "person")])
    assert book.meanings("helo") == {"hi"}
    assert book.meanings("meeee") == {"person"}


def test_the_first_letter_of_a_short_word_is_never_mended() -> None:
    book = PhraseBook([("mate", "friend")])
    assert book.meanings("kate") == set()


def test_text_speak_is_spelled_out() -> None:
    book = PhraseBook([("me with my nan", "helped")], {"wiv": "with", "ma": "my"})
    assert book.meanings("me wiv ma nan") == {"helped"}


def test_whole_means_nothing_else_was_said() -> None:
    book = PhraseBook([("no", "done"), ("thanks", "filler")])
    assert book.whole("no thanks") is not None
    assert book.whole("no sugar in my tea") is None
    assert book.whole(" ".join(["no"] * 20)) is None  # too long to be only "no"


def test_slips_are_never_mended_into_words_that_change_nothing() -> None:
    """ "thing" is a thing, not the filler "think": "thing 4, done" saves "thing 4"."""
    book = PhraseBook([("done", "done"), ("think", "filler")], never_mended_to=["think"])
    assert book.words("thing") == ("thing",)
    assert book.whole("thing done") is None
