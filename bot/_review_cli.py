"""``planbot review NAME --format html|pdf|txt|mp3|ogg --out PATH``: the review sheet.

"Getting ready for Amy's review", to print or send before the meeting: what the person said
in their own profile, then what the family says, kept apart. It is the same document
machinery as ``planbot profile`` (``bot._documents_cli.write_document``), given the review sheet.
Without --out, txt and html go to the screen; the other formats need --out, so nothing
personal is left in the current folder by accident.
"""

from __future__ import annotations

from pathlib import Path

import typer

from bot._documents_cli import write_document
from easyread import build_review

REVIEW_FORMATS = ("html", "pdf", "txt", "mp3", "ogg")


def review(
    name: str = typer.Argument(..., help="The person's name."),
    fmt: str = typer.Option(
        "txt", "--format", help="txt (the default, for this screen), html, pdf, mp3 or ogg."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Where to write it. Without it, html and txt go to the screen (standard output); "
        "pdf, mp3 and ogg need --out.",
    ),
    words_only: bool = typer.Option(False, "--words-only", help="No pictures (HTML and PDF)."),
    large: bool = typer.Option(
        False, "--large", help="Large print: 24pt writing, fewer things a page (HTML and PDF)."
    ),
) -> None:
    """Write a person's "Getting ready for the review" sheet as a page, PDF, text or sound."""
    write_document(
        build_review,
        what="review sheet",
        formats=REVIEW_FORMATS,
        name=name,
        fmt=fmt,
        out=out,
        words_only=words_only,
        large=large,
    )
