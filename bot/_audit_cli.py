"""``planbot audit NAME``: the person's audit log, oldest first, for whoever answers for the
data (an information-governance lead, a manager, the person with a worker beside them).

Each line: when, who (a name, "someone with a link", or "admin" for this command line), their
role, what they did, to which part of the plan, how many things, on which channel. Never the
words. Reading the log is not itself logged: it holds no words of the plan.
"""

from __future__ import annotations

import typer

import storage
from bot._access_cli import fail_for, open_db
from planbot.errors import PlanbotError


def _line(event: storage.AuditView) -> str:
    who = event.actor or event.actor_role
    count = f" x{event.count}" if event.count != 1 else ""
    return (
        f"{event.at:%Y-%m-%d %H:%M}  {who}  {event.actor_role}  {event.action}  "
        f"{event.what}{count}  {event.channel}"
    )


def audit(name: str = typer.Argument(..., help="The person's name.")) -> None:
    """Show who saw, added, changed, shared or deleted what in a person's plan (no words)."""
    settings, db = open_db()
    try:
        with db.transaction() as session:
            events = storage.audit_of(session, storage.get_person(session, name))
    except PlanbotError as exc:
        raise fail_for(exc, settings) from exc
    finally:
        db.dispose()
    lines = [_line(e) for e in reversed(events)]
    typer.echo("\n".join(lines) if lines else f"Nothing is logged for {name} yet.")
