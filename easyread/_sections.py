"""The profile's section keys, headings and pictures, loaded from ``data/sections.toml``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from planbot.errors import ScriptError


@dataclass(frozen=True)
class SectionInfo:
    """One section of the profile: its stable key, its easy-read heading and its picture."""

    key: str
    heading: str
    icon: str
    core: bool = False


@cache
def sections() -> tuple[SectionInfo, ...]:
    """All sections in profile order."""
    raw = resources.files("easyread").joinpath("data/sections.toml").read_text("utf-8")
    try:
        data = tomllib.loads(raw)
        return tuple(
            SectionInfo(s["key"], s["heading"], s["icon"], bool(s.get("core", False)))
            for s in data["section"]
        )
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise ScriptError(f"easyread/data/sections.toml: {exc}") from exc


def section(key: str) -> SectionInfo:
    """The section with this key (raises ``ScriptError`` for an unknown key)."""
    for info in sections():
        if info.key == key:
            return info
    raise ScriptError(f"unknown section key {key!r}")


SECTION_KEYS: tuple[str, ...] = tuple(info.key for info in sections())
"""The stable section keys (DESIGN.md), in profile order, as ``data/sections.toml`` lists them."""
