"""``planbot backup PATH`` and ``planbot restore PATH``: a SQLite database, copied safely.

Why commands of planbot's own: a backup must be a consistent copy even while ``planbot serve``
writes, readable by its owner only, and a restore must not wipe out a live database by
mistake. On PostgreSQL the server's own tools do this better, so the commands say which.
"""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy.engine import make_url

import storage
from bot._documents_cli import fail
from planbot.errors import PlanbotError
from planbot.settings import Settings

DOCS = "docs/deploy.md, Backups"


def _postgres_advice(url: str, what: str, path: Path) -> str:
    """The pg_dump or pg_restore line for this server (libpq's URL: no driver, no password)."""
    parsed = make_url(url).set(drivername="postgresql")
    where = parsed.render_as_string(hide_password=True)
    if what == "backup":
        command = f"pg_dump --format=custom --file={path} '{where}'"
    else:
        command = f"pg_restore --clean --if-exists --no-owner --dbname='{where}' {path}"
    return (
        f"planbot {what} copies a SQLite file; this database is PostgreSQL. Use:\n"
        f"  {command}\n"
        f"See {DOCS}."
    )


def _database(settings: Settings, what: str, path: Path) -> storage.Database:
    url = settings.database_url
    if url.startswith("postgresql"):
        raise fail(_postgres_advice(url, what, path))
    if storage.sqlite_path(url) is None:
        raise fail(f"planbot {what} copies a SQLite file, and PLANBOT_DATABASE_URL is not one.")
    try:
        return storage.Database(url)
    except PlanbotError as exc:
        raise fail(str(exc)) from exc


def _people(count: int) -> str:
    return "1 person" if count == 1 else f"{count} people"


def backup(
    path: Path = typer.Argument(..., help="The file to write the backup to."),
    force: bool = typer.Option(False, "--force", help="Replace a file already at PATH."),
) -> None:
    """Copy the SQLite database to PATH (readable by you only), even while planbot runs."""
    try:
        settings = Settings.from_env()
        db = _database(settings, "backup", path)
        if path.exists() and not force:
            raise fail(f"{path} is there already. Add --force to replace it.")
        try:
            copied = storage.backup_sqlite(db, path)
        finally:
            db.dispose()
    except PlanbotError as exc:
        raise fail(str(exc)) from exc
    typer.echo(
        f"Backed up {_people(copied.people)} to {copied.path} ({copied.size:,} bytes, "
        "readable by you only). Keep PLANBOT_SECRET_KEY apart from it: the backup needs it."
    )


def restore(
    path: Path = typer.Argument(..., help="The backup file to restore."),
    force: bool = typer.Option(
        False, "--force", help="Replace a database that holds answers already."
    ),
) -> None:
    """Put a backup back as the SQLite database. Stop planbot serve first."""
    try:
        settings = Settings.from_env()
        db = _database(settings, "restore", path)
        try:
            copied = storage.restore_sqlite(db, path, force=force)
        finally:
            db.dispose()
    except PlanbotError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"Restored {_people(copied.people)} from {path} into {copied.path}.")
