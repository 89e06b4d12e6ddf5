"""``planbot access``: who can see a person's plan, and ending a supporter's access.

Why from the command line: the person may ask a worker to take someone off their plan, or to
show who can see it, without texting anything. The same rules as ``remove Sam`` apply: access
ends at once and the supporter is told kindly at their next message.
"""

from __future__ import annotations

import sys

import typer

import storage
from bot._keys import local_settings, open_with_keys
from bot._where import not_found_hint
from planbot.errors import PersonNotFound, PlanbotError
from planbot.settings import Settings

access_app = typer.Typer(help="Who can see a person's plan: list, remove.", no_args_is_help=True)


def open_db() -> tuple[Settings, storage.Database]:
    settings = local_settings()
    return settings, open_with_keys(settings)


def fail_for(exc: PlanbotError, settings: Settings) -> typer.Exit:
    hint = f"\n{not_found_hint(settings, sys.argv[1:])}" if isinstance(exc, PersonNotFound) else ""
    typer.echo(f"{exc}{hint}", err=True)
    return typer.Exit(code=1)


def describe(row: storage.AccessView, name: str | None) -> str:
    """One line for a row: name, role, status and since when (no numbers, no addresses)."""
    name = name or "(no name)"
    since = f"since {row.since:%Y-%m-%d}" if row.since else f"asked {row.created_at:%Y-%m-%d}"
    ended = f", ended {row.ended_at:%Y-%m-%d}" if row.ended_at else ""
    return f"{name}  {row.role}  {row.status}  {since}{ended}"


@access_app.command("list")
def list_access(name: str = typer.Argument(..., help="The person's name.")) -> None:
    """Show who can see a person's plan, who has asked, and who could before."""
    settings, db = open_db()
    try:
        with db.transaction() as session:
            person = storage.get_person(session, name)
            rows = storage.access_list(session, person)
            lines = [describe(r, storage.holder_row_name(session, person, r)) for r in rows]
    except PlanbotError as exc:
        raise fail_for(exc, settings) from exc
    finally:
        db.dispose()
    typer.echo("\n".join(lines) if lines else f"Only {name} can see {name}'s plan.")


@access_app.command()
def remove(
    name: str = typer.Argument(..., help="The person's name."),
    supporter: str = typer.Argument(..., help="The supporter's name, as they gave it."),
) -> None:
    """End a supporter's access to a person's plan at once.

    They are told at their next message. What they added stays on the plan.
    """
    settings, db = open_db()
    try:
        with db.transaction() as session:
            person = storage.get_person(session, name)
            found = storage.find_access(session, person, supporter)
            if len(found) != 1:
                problem = "No supporter" if not found else f"{len(found)} supporters"
                typer.echo(f"{problem} called {supporter!r} can see {name}'s plan.", err=True)
                raise typer.Exit(code=1)
            storage.remove_access(session, found[0].id, storage.utcnow())
    except PlanbotError as exc:
        raise fail_for(exc, settings) from exc
    finally:
        db.dispose()
    typer.echo(f"{supporter} cannot see {name}'s plan now.")
