"""The profile model: what every renderer (HTML, PDF, PNG, text, audio) draws from.

Why a model apart from storage: renderers must not touch the database, and tests can build a
profile by hand. ``build_profile`` in ``easyread/_build.py`` fills it from storage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

PERSPECTIVES = ("person", "family", "supporter", "staff", "other")
# How a voice note shows where words would be: on the page, the PDF, the text, the read-back
# and the spoken profile (which says it, rather than playing the sound in the middle).
VOICE_NOTE_LABEL = "A voice note from {day}"


def voice_note_label(when: date) -> str:
    """ "A voice note from 24 November 2026": a voice note item, in words."""
    return VOICE_NOTE_LABEL.format(day=f"{when.day} {when:%B %Y}")


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
        return f"{self.said_by} says"


@dataclass(frozen=True)
class ProfileSection:
    """One heading of the profile with its items, in the order they were given."""

    key: str
    heading: str
    icon: str
    items: tuple[ProfileItem, ...]
    core: bool = False


@dataclass(frozen=True)
class Profile:
    """A person's one-page profile: their name, photo and the sections that have answers."""

    name: str
    sections: tuple[ProfileSection, ...]
    photo: Path | None = None
    language: str = "en-GB"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"All about {self.name}"

    def section(self, key: str) -> ProfileSection | None:
        for s in self.sections:
            if s.key == key:
                return s
        return None
