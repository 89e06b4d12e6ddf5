"""Easy read: the profile model and its renderers, speech, pictures and the easy-read checks."""

from easyread._build import build_profile, profile_of
from easyread._model import (
    PERSPECTIVES,
    VOICE_NOTE_LABEL,
    Profile,
    ProfileItem,
    ProfileSection,
    voice_note_label,
)
from easyread._sections import SECTION_KEYS, SectionInfo, section, sections
from easyread.checker import Issue, check_message, reading_ease


def section_heading(key: str) -> str:
    """The easy-read heading of a section key ("good_day" -> "A good day for me")."""
    return section(key).heading


__all__ = [
    "PERSPECTIVES",
    "SECTION_KEYS",
    "VOICE_NOTE_LABEL",
    "Issue",
    "Profile",
    "ProfileItem",
    "ProfileSection",
    "SectionInfo",
    "build_profile",
    "check_message",
    "profile_of",
    "reading_ease",
    "section",
    "section_heading",
    "sections",
    "voice_note_label",
]
