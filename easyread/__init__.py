"""Easy read: the documents (the profile, the review sheet), their renderers, speech, pictures
and the easy-read checks."""

from easyread._build import (
    REVIEW_KEYS,
    build_profile,
    build_review,
    document_of,
    made_by,
    profile_of,
    review_of,
)
from easyread._model import (
    PERSPECTIVES,
    VOICE_NOTE_LABEL,
    Profile,
    ProfileItem,
    ProfileSection,
    voice_note_label,
)
from easyread._sections import (
    SECTION_KEYS,
    DocumentInfo,
    SectionInfo,
    document,
    documents,
    section,
    sections,
)
from easyread.checker import Issue, check_message, reading_ease


def section_heading(key: str) -> str:
    """The easy-read heading of a section key ("good_day" -> "A good day for me")."""
    return section(key).heading


__all__ = [
    "PERSPECTIVES",
    "REVIEW_KEYS",
    "SECTION_KEYS",
    "VOICE_NOTE_LABEL",
    "DocumentInfo",
    "Issue",
    "Profile",
    "ProfileItem",
    "ProfileSection",
    "SectionInfo",
    "build_profile",
    "build_review",
    "check_message",
    "document",
    "document_of",
    "documents",
    "made_by",
    "profile_of",
    "reading_ease",
    "review_of",
    "section",
    "section_heading",
    "sections",
    "voice_note_label",
]
