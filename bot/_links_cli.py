"""``planbot links``: list, turn off, make and text people's private profile links.

Why from the command line: a supporter may ask for a link to be turned off (a phone was lost)
or sent again, without the person having to text anything.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Callable
from typing import TypeVar

import typer
from sqlmodel import Session

import storage
from bot._base import drop_caches_when_erased
from bot._keys import local_settings, open_with_keys
from bot._where import not_found_hint
from bot.web.channels import web_missing
from dialogues import Reply
from planbot.errors import PersonNotFound, PlanbotError
from planbot.settings import Settings

links_app = typer.Typer(
    help="Private links to profile pages: list, revoke, new, send.", no_args_is_help=True
)
T = TypeVar("T")


def _with_person(
    name: str, work: Callable[[Settings, storage.Database, Session, storage.Person], T]
) -> T:
    try:
        settings = local_settings()
        db = open_with_keys(settings)
        # Turning links off drops what was made for their pages, as SMS STOP LINK does.
        drop_caches_when_erased(db, settings)
        with db.transaction() as session:
            return work(settings, db, session, storage.get_person(session, name))
    except PersonNotFound as exc:
        typer.echo(f"{exc}\n{not_found_hint(settings, sys.argv[1:])}", err=True)
        raise typer.Exit(code=1) from exc
    except PlanbotError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc


def _url(settings: Settings, token: str) -> str:
    if not settings.public_url:
        typer.echo("PLANBOT_PUBLIC_URL is not set: a link needs the web address.", err=True)
        raise typer.Exit(code=1)
    return f"{settings.public_url.rstrip('/')}/p/{token}"


@links_app.command("list")
def list_links(name: str = typer.Argument(..., help="The person's name.")) -> None:
    """Show a person's links: when each was made, when it ends, and if it still works."""

    def work(_s: Settings, _db: storage.Database, session: Session, person: storage.Person) -> None:
        now = storage.utcnow()
        rows = storage.links_for(session, person)
        if not rows:
            typer.echo(f"{name} has no links.")
        for row in rows:
            typer.echo(
                f"#{row.id}  {row.status(now):8}  made {row.created_at:%Y-%m-%d %H:%M}  "
                f"ends {row.expires_at:%Y-%m-%d}  by {row.channel or 'command'}"
            )

    _with_person(name, work)


@links_app.command()
def revoke(name: str = typer.Argument(..., help="The person's name.")) -> None:
    """Turn off every link to a person's profile (they can ask for a new one)."""

    def work(_s: Settings, _db: storage.Database, session: Session, person: storage.Person) -> int:
        return storage.revoke_links(session, person)

    count = _with_person(name, work)
    typer.echo(f"Turned off {count} link{'s' if count != 1 else ''} to {name}'s profile.")


@links_app.command()
def new(name: str = typer.Argument(..., help="The person's name.")) -> None:
    """Make a new link and print it (it is shown only this once)."""

    def work(
        settings: Settings, _db: storage.Database, session: Session, person: storage.Person
    ) -> str:
        _url(settings, "")
        return _url(settings, storage.new_link(session, person, days=settings.link_days))

    typer.echo(_with_person(name, work))


@links_app.command()
def send(name: str = typer.Argument(..., help="The person's name.")) -> None:
    """Make a new link and text it to the person's phone numbers (not to opted-out ones).

    The texts go through the outbox, queued with the link in one transaction, then sent at once.

    A text Twilio could not take is tried again by planbot serve or planbot outbox --once.
    """
    try:  # Twilio's library loads only for this command
        from bot._outbox_cli import send_once
        from bot.sms.twilio_client import check_sender_settings
        from bot.sms.words import text as sms_text
    except ImportError as exc:
        typer.echo(web_missing(exc), err=True)
        raise typer.Exit(code=1) from None

    def work(
        settings: Settings, db: storage.Database, session: Session, person: storage.Person
    ) -> tuple[Settings, storage.Database, list[str]]:
        _url(settings, "")
        problems = check_sender_settings(settings)
        if problems:
            raise PlanbotError("; ".join(problems))
        numbers = storage.reachable_addresses(session, person, "sms")
        if not numbers:
            return settings, db, []
        token = storage.new_link(session, person, days=settings.link_days)
        message = sms_text("link_sent", days=settings.link_days, link=_url(settings, token))
        batch = uuid.uuid4().hex
        keys = [f"links-send:{batch}:{n}" for n in range(len(numbers))]
        for key, number in zip(keys, numbers, strict=True):
            reply = Reply(message, kind="profile").to_dict()
            storage.queue_message(
                session, channel="sms", address=number, reply=reply, due=storage.utcnow(), key=key
            )
        return settings, db, keys

    settings, db, keys = _with_person(name, work)
    if not keys:
        typer.echo(f"{name} has no phone number that can get texts.", err=True)
        raise typer.Exit(code=1)
    try:
        asyncio.run(send_once(settings, db, ("sms",)))
        with db.transaction() as session:
            statuses = storage.outbox_status(session, keys)
    except PlanbotError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc
    sent = sum(1 for status in statuses.values() if status == "sent")
    waiting = sum(1 for status in statuses.values() if status == "waiting")
    numbers_said = "1 phone number" if len(keys) == 1 else f"{len(keys)} phone numbers"
    typer.echo(f"Sent a new link to {sent} of {numbers_said} for {name}.")
    if waiting:
        typer.echo(
            f"{waiting} could not go yet: planbot tries again (planbot serve, or "
            "planbot outbox --once).",
            err=True,
        )
