"""Writing one of a person's documents from the command line: the profile or the review sheet.

Why one function: ``planbot profile`` and ``planbot review`` take the same options and must
keep the same promises (without --out, txt and html go to the screen and the other formats ask
where to go, so nothing personal is left in the current folder; a name not found says where
planbot looked).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path

import typer
from sqlmodel import Session

import storage
from bot._keys import local_settings, open_with_keys
from bot._where import not_found_hint
from easyread import Profile
from easyread.text import render_text
from planbot.errors import PersonNotFound, PlanbotError
from planbot.settings import Settings

BuildDocument = Callable[[Session, storage.Person], Profile]


def fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=1)


def not_found(exc: PlanbotError, settings: Settings) -> typer.Exit:
    """The error, and for a name not found, where it was looked for."""
    if isinstance(exc, PersonNotFound):
        return fail(f"{exc}\n{not_found_hint(settings, sys.argv[1:])}")
    return fail(str(exc))


def write_document(
    build: BuildDocument,
    *,
    what: str,
    formats: tuple[str, ...],
    name: str,
    fmt: str,
    out: Path | None,
    words_only: bool,
    large: bool = False,
) -> None:
    """Build a person's document (``what``: "profile", "review sheet") and write or print it.

    ``large`` makes it in large print (24pt body text) this time, whatever the person chose
    in chat; without it, the document is large print only if they asked for bigger writing.
    """
    from easyread.files import write_pictures, write_profile  # WeasyPrint loads slowly
    from easyread.html import render_html

    if fmt not in formats:
        raise fail(f"Unknown format {fmt!r}: use one of {', '.join(formats)}.")
    if out is None and fmt not in ("html", "txt"):
        example = name.lower().replace(" ", "-") or "profile"
        raise fail(
            f"A {fmt} {what} cannot be printed as text. Say where to save it with --out, "
            f"for example: --out {example}.{fmt}"
        )
    try:
        settings = local_settings()
        db = open_with_keys(settings)
    except PlanbotError as exc:
        raise fail(str(exc)) from exc
    try:
        with db.transaction() as session:
            person = storage.get_person(session, name)
            document = build(session, person)
            if large:
                document = dataclasses.replace(document, large=True)
            seen = storage.document_seen(document.document, fmt)
            storage.note_unnamed(
                session, person, "saw", seen, by_role=storage.ADMIN, channel="cli"
            )
        if out is None:
            if fmt == "txt":
                typer.echo(render_text(document) + "\n", nl=False)
            else:
                typer.echo(render_html(document, words_only=words_only), nl=False)
            return
        if fmt == "png":  # every phone picture: a long profile is several
            written = write_pictures(document, out, words_only=words_only)
        else:
            written = [write_profile(document, fmt, out, settings=settings, words_only=words_only)]
    except PlanbotError as exc:
        raise not_found(exc, settings) from exc
    finally:
        db.dispose()
    for path in written:
        typer.echo(str(path))
