"""The ``planbot`` command line: demo, chat, export, forget (and the commands of later parts).

Why Typer: one entry point with help text for every command, and plain functions to test.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import sys
import tomllib
from importlib import metadata, resources
from pathlib import Path

import typer

import storage
from bot._access_cli import access_app
from bot._audit_cli import audit
from bot._backup_cli import backup, restore
from bot._documents_cli import fail, not_found, write_document
from bot._keys import keys_app, local_settings, open_with_keys
from bot._links_cli import links_app
from bot._outbox_cli import outbox
from bot._review_cli import review
from bot._scratch import clear_leftovers
from bot._tidy import forget_old_replies
from bot._where import demo_database, planbot_command, sqlite_url
from bot.telegram.polling import telegram
from bot.terminal import CHANNEL as TERMINAL
from bot.terminal import TerminalChat
from bot.web.serve import serve
from dialogues import Reply
from easyread import build_profile
from easyread.text import render_text
from planbot import __version__
from planbot.errors import PlanbotError
from planbot.private import private_folder
from planbot.settings import Settings

app = typer.Typer(
    help="planbot: an easy-read assistant for person-centred planning.",
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        try:
            version = metadata.version("planbot")
        except metadata.PackageNotFoundError:  # run from the source tree, not installed
            version = __version__
        typer.echo(f"planbot {version}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show planbot's version."
    ),
) -> None:
    """planbot: an easy-read assistant for person-centred planning."""


def _counted(count: int, what: str) -> str:
    """``1 conversation``, ``2 conversations``, ``1 address`` (``what`` is the plural)."""
    if count == 1:
        what = what[:-2] if what.endswith("sses") else what.removesuffix("s")
    return f"{count} {what}"


def _settings() -> Settings:
    """The settings, with the local key when PLANBOT_SECRET_KEY is not set (see bot/_keys)."""
    try:
        return local_settings()
    except PlanbotError as exc:
        raise fail(str(exc)) from exc


def _open(settings: Settings, url: str | None = None) -> storage.Database:
    try:
        return open_with_keys(settings, url)
    except PlanbotError as exc:
        raise fail(str(exc)) from exc


@app.command()
def chat(
    person: str | None = typer.Option(
        None,
        "--person",
        help="Whose plan: a name for a new plan, or a plan this address already talks for. "
        "Leave it out to begin as a new phone would.",
    ),
    address: str = typer.Option(
        "terminal",
        help="Who is at this terminal, like a phone number: each keeps its own place. A "
        "supporter uses their own (--address sam), then types JOIN and the holder's code.",
    ),
) -> None:
    """Talk to planbot in this terminal. One line is one message; piped input works too."""
    settings = _settings()
    db = _open(settings)
    forget_old_replies(db, settings, storage.utcnow())
    prompt = "> " if sys.stdin.isatty() else ""
    TerminalChat(db, settings, address=address, person=person, prompt=prompt).run(sys.stdin)


def _sample_lines() -> list[str]:
    raw = resources.files("dialogues").joinpath("scripts/demo.toml").read_text("utf-8")
    return [str(line) for line in tomllib.loads(raw)["lines"]]


@app.command()
def demo(
    sample: bool = typer.Option(
        False, help="Play a sample conversation instead of typing (automatic without a keyboard)."
    ),
) -> None:
    """Try planbot here: a conversation on a fresh demo database, then the profile."""
    settings = _settings()
    if "PLANBOT_TTS" not in os.environ:
        # The demo promises no network: speak with the offline voice unless told otherwise.
        settings = dataclasses.replace(settings, tts="espeak")
    private_folder(settings.data_dir)
    path = demo_database(settings)
    for old in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        old.unlink(missing_ok=True)
    db = _open(settings, sqlite_url(path))
    playing = sample or not sys.stdin.isatty()
    if playing:
        typer.echo("planbot demo: playing a sample conversation (Gemma, with her helper).\n")
    else:
        typer.echo(
            "planbot demo: type your answers. The demo ends when your profile is ready. "
            "To stop before then, press Ctrl-D.\n"
        )
    chat_ = TerminalChat(db, settings, address="demo", prompt="" if playing else "> ")
    if playing:
        replies = chat_.open()
        for line in _sample_lines():
            typer.echo("> " + line.replace("\n", "\n> "))
            replies = chat_.say(line)
    else:
        replies = chat_.run(sys.stdin, until=_has_profile)
    finished = _has_profile(replies)
    if finished and not playing:
        typer.echo("Your profile is ready, so the demo has finished.\n")
    _print_where(db, settings, path, finished)


def _has_profile(replies: list[Reply]) -> bool:
    """The conversation is over: planbot gave back the profile."""
    return any(r.kind == "profile" for r in replies)


def _print_where(db: storage.Database, settings: Settings, path: Path, finished: bool) -> None:
    """Write the profile files, and say where they and the answers are."""
    with db.transaction() as session:
        address = storage.find_address(session, TERMINAL, "demo")
        people = storage.people_for_address(session, address) if address else []
        profiles = [build_profile(session, p) for p in people]
    for profile in profiles:
        if not finished:
            typer.echo(render_text(profile) + "\n")
        if not profile.sections:
            continue
        typer.echo("Making the profile files (page, PDF, picture and sound) ...")
        from easyread.files import write_profile_files  # WeasyPrint loads slowly: only now

        try:
            files = write_profile_files(
                profile, settings.data_dir / "demo-profile", settings=settings
            )
        except PlanbotError as exc:
            typer.echo(f"Some profile files could not be made: {exc}")
            continue
        for fmt, file in files.items():
            typer.echo(f"  {fmt.replace('_', ' ')}: {file}")
    typer.echo(f"Your answers are stored in: {path}")
    planbot, url = planbot_command(), shlex.quote(sqlite_url(path))
    for profile in profiles:
        name = shlex.quote(profile.name)
        typer.echo(f"See them with: PLANBOT_DATABASE_URL={url} {planbot} export {name}")


@app.command()
def export(name: str = typer.Argument(..., help="The person's name.")) -> None:
    """Print everything stored about a person, as JSON."""
    settings = _settings()
    db = _open(settings)
    try:
        with db.transaction() as session:
            person = storage.get_person(session, name)
            data = storage.export_json(session, person)
            storage.note_unnamed(
                session, person, "exported", "data", by_role=storage.ADMIN, channel="cli"
            )
    except PlanbotError as exc:
        raise not_found(exc, settings) from exc
    finally:
        db.dispose()
    typer.echo(data)


@app.command()
def forget(
    name: str = typer.Argument(..., help="The person's name."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask before erasing."),
) -> None:
    """Erase a person and everything about them (answers, addresses, conversations)."""
    settings = _settings()
    db = _open(settings)
    if not yes and sys.stdin.isatty():
        typer.confirm(f"Erase everything about {name}? This cannot be undone.", abort=True)
    elif not yes:
        raise fail("Add --yes to erase without being asked.")
    try:
        with db.transaction() as session:
            person = storage.get_person(session, name)
            person_id = person.id
            removed = storage.erase_person(session, person)
    except PlanbotError as exc:
        raise not_found(exc, settings) from exc
    if person_id is not None:
        removed["kept profile files"] = storage.drop_renders(settings.data_dir, person_id)
    # Cached audio holds people's words and cannot be told apart by person: clear it all.
    from easyread.speech import clear_cache

    removed["cached sound files"] = clear_cache(settings)
    removed["leftover work folders"] = clear_leftovers(settings.data_dir)
    parts = ", ".join(_counted(count, what) for what, count in removed.items())
    typer.echo(f"Erased {name}: {parts}.")


@app.command()
def profile(
    name: str = typer.Argument(..., help="The person's name."),
    fmt: str = typer.Option(
        "txt", "--format", help="txt (the default, for this screen), html, pdf, png, mp3 or ogg."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Where to write it. Without it, html and txt go to the screen (standard output); "
        "pdf, png, mp3 and ogg need --out.",
    ),
    words_only: bool = typer.Option(False, "--words-only", help="No pictures (HTML and PDF)."),
    large: bool = typer.Option(
        False, "--large", help="Large print: 24pt writing, fewer things a page (HTML, PDF, PNG)."
    ),
) -> None:
    """Write a person's easy-read one-page profile as a page, PDF, picture, text or sound.

    Without --out nothing is left in the current folder: the profile is personal.

    So text formats are printed, and binary formats ask where to go.
    """
    from easyread.files import FORMATS

    write_document(
        build_profile,
        what="profile",
        formats=tuple(FORMATS),
        name=name,
        fmt=fmt,
        out=out,
        words_only=words_only,
        large=large,
    )


app.command()(serve)
app.command()(telegram)
app.command()(outbox)
app.command()(review)
app.command()(backup)
app.command()(restore)
app.add_typer(links_app, name="links")
app.add_typer(access_app, name="access")
app.command()(audit)
app.add_typer(keys_app, name="keys")

if __name__ == "__main__":
    app()
