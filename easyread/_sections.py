"""The section keys, headings and pictures (``data/sections.toml``) and the kinds of document
(``data/documents.toml``: the profile, the review sheet)."""

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
    # False for a section that belongs on the review sheet only (the questions for the
    # meeting, who to invite): the one-page profile leaves it out.
    on_profile: bool = True


@cache
def sections() -> tuple[SectionInfo, ...]:
    """All sections in profile order."""
    raw = resources.files("easyread").joinpath("data/sections.toml").read_text("utf-8")
    try:
        data = tomllib.loads(raw)
        return tuple(
            SectionInfo(
                s["key"],
                s["heading"],
                s["icon"],
                bool(s.get("core", False)),
                bool(s.get("on_profile", True)),
            )
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


@dataclass(frozen=True)
class DocumentInfo:
    """One kind of easy-read document: its title ("All about {name}"), the heading over its
    page 2, and, for a document in parts, each part's heading and its sections' headings."""

    key: str
    title: str
    more: str
    parts: dict[str, str]
    headings: dict[str, str]


@cache
def documents() -> dict[str, DocumentInfo]:
    """Every kind of document, by key, from ``data/documents.toml``."""
    raw = resources.files("easyread").joinpath("data/documents.toml").read_text("utf-8")
    try:
        data = tomllib.loads(raw)
        return {
            d["key"]: DocumentInfo(
                d["key"],
                d["title"],
                d["more"],
                {str(k): str(v) for k, v in d.get("parts", {}).items()},
                {str(k): str(v) for k, v in d.get("headings", {}).items()},
            )
            for d in data["document"]
        }
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise ScriptError(f"easyread/data/documents.toml: {exc}") from exc


def document(key: str) -> DocumentInfo:
    """The kind of document with this key (raises ``ScriptError`` for an unknown key)."""
    try:
        return documents()[key]
    except KeyError:
        raise ScriptError(f"unknown document {key!r}") from None


SECTION_KEYS: tuple[str, ...] = tuple(info.key for info in sections())
"""The stable section keys (DESIGN.md), in profile order, as ``data/sections.toml`` lists them."""
