"""The profile model: what every renderer (HTML, PDF, PNG, text, audio) draws from.

Why a model apart from storage: renderers must not touch the database, and tests can build a
profile by hand. ``build_profile`` in ``easyread/_build.py`` fills it from storage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from easyread._sections import document

PERSPECTIVES = ("person", "family", "supporter", "staff", "other")
# How a voice note shows where words would be: on the page, the PDF, the text, the read-back
# and the spoken profile (which says it, rather than playing the sound in the middle).
VOICE_NOTE_LABEL = "A voice note from {day}"


def voice_note_label(when: date) -> str:
    """ "A voice note from 24 November 2026": a voice note item, in words."""
    return VOICE_NOTE_LABEL.format(day=f"{when.day} {when:%B %Y}")


WHOSE = "{name} says"  # beside an item someone else said: "Mum says: ..."


@dataclass(frozen=True)
class ProfileItem:
    """One thing the person (or someone who knows them) said, exactly as typed."""

    text: str
    said_by: str = ""
    perspective: str = "person"
    # A voice note: the id its sound is kept under (the page plays it); "" for words.
    audio: str = ""

    @property
    def whose(self) -> str:
        """Who said it, for showing beside the item ("Mum says"), or "" for the person."""
        if self.perspective == "person" or not self.said_by:
            return ""
        return WHOSE.format(name=self.said_by)


@dataclass(frozen=True)
class ProfileSection:
    """One heading of the profile with its items, in the order they were given."""

    key: str
    heading: str
    icon: str
    items: tuple[ProfileItem, ...]
    core: bool = False
    # The part of the document this section is in ("What the family says"), or "" when the
    # document has no parts (the profile). A part's heading is shown once, before its first
    # section; the same key can come in two parts.
    part: str = ""

    @property
    def anchor(self) -> str:
        """A name for the section that is unique in its document (its key, in its part)."""
        return f"{_slug(self.part)}-{self.key}" if self.part else self.key


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.casefold()).split())


@dataclass(frozen=True)
class Profile:
    """A person's easy-read document: their name, photo and the sections that have answers.

    ``document`` says which one it is, from ``data/documents.toml``: "profile" (the one-page
    profile, "All about Dev") or "review" (the review sheet, "Getting ready for Amy's
    review"). Every renderer draws each from the same model and the same template.
    """

    name: str
    sections: tuple[ProfileSection, ...]
    photo: Path | None = None
    language: str = "en-GB"
    extra: dict[str, str] = field(default_factory=dict)
    document: str = "profile"
    # Who made it, when someone else typed it for the person: "Made by Mum with Amy." (Amy
    # said yes) or "Made by Mum for Amy." (a best-interests decision); "" when the person
    # made it themselves (alone or helped), or nobody was asked.
    made_by: str = ""
    # Large print ("bigger writing"): 24pt body text on the page and the PDF, more pages
    # rather than smaller type. Part of the model (not a renderer option), so every form of
    # the document follows the person's choice, and a kept file's fingerprint tells them apart.
    large: bool = False

    @property
    def title(self) -> str:
        return document(self.document).title.format(name=self.name)

    @property
    def more_heading(self) -> str:
        """The heading over what did not fit page 1 ("More about me")."""
        return document(self.document).more

    def section(self, key: str) -> ProfileSection | None:
        for s in self.sections:
            if s.key == key:
                return s
        return None
