"""``planbot review NAME --format html|pdf|txt|mp3|ogg --out PATH``: the review sheet.

"Getting ready for Amy's review", to print or send before the meeting: what the person said
in their own profile, then what the family says, kept apart. It is the same document
machinery as ``planbot profile`` (``easyread.files.write_profile``), given the review sheet.
Without --out, txt and html go to the screen; the other formats need --out, so nothing
personal is left in the current folder by accident.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

import storage
from bot._where import not_found_hint
from easyread import build_review
from planbot.errors import PersonNotFound, PlanbotError
from planbot.settings import Settings

REVIEW_FORMATS = ("html", "pdf", "txt", "mp3", "ogg")


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=1)


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
) -> None:
    """Write a person's "Getting ready for the review" sheet as a page, PDF, text or sound."""
    from easyread.files import write_profile  # WeasyPrint loads slowly: only now
    from easyread.html import render_html
    from easyread.text import render_text

    if fmt not in REVIEW_FORMATS:
        raise _fail(f"Unknown format {fmt!r}: use one of {', '.join(REVIEW_FORMATS)}.")
    if out is None and fmt not in ("html", "txt"):
        raise _fail(
            f"A {fmt} review sheet cannot be printed as text. Say where to save it with "
            f"--out, for example: --out review.{fmt}"
        )
    try:
        settings = Settings.from_env()
        db = storage.open_database(settings.database_url)
    except PlanbotError as exc:
        raise _fail(str(exc)) from exc
    try:
        with db.transaction() as session:
            sheet = build_review(session, storage.get_person(session, name))
        if out is None:
            text = (
                render_text(sheet) + "\n"
                if fmt == "txt"
                else render_html(sheet, words_only=words_only)
            )
            typer.echo(text, nl=False)
            return
        written = write_profile(sheet, fmt, out, settings=settings, words_only=words_only)
    except PersonNotFound as exc:
        raise _fail(f"{exc}\n{not_found_hint(settings, sys.argv[1:])}") from exc
    except PlanbotError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(str(written))
