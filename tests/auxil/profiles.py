"""Profiles made by hand for the renderers' tests: a section as the profile builds it."""

from __future__ import annotations

from easyread._model import ProfileItem, ProfileSection
from easyread._sections import section as section_info


def make_section(key: str, *items: ProfileItem) -> ProfileSection:
    """The section ``key`` with its heading, picture and place, holding ``items``."""
    info = section_info(key)
    return ProfileSection(key, info.heading, info.icon, tuple(items), info.core)
