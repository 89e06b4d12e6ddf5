"""Keys: where the commands get theirs, and ``planbot keys`` (new, status, rotate).

Why a key file for the local commands: ``planbot demo`` and ``planbot chat`` must work with no
setup, and still keep answers sealed. Without ``PLANBOT_SECRET_KEY`` they make a key once, keep
it in the data folder (``secret.key``, readable by its owner only) and use it from then on, as
do the other commands run on this machine. ``planbot serve`` never does this: a server needs
``PLANBOT_SECRET_KEY`` (a key beside the data it locks protects little), or says plainly that
it stores data unencrypted (``--insecure-no-encryption``).

``planbot keys rotate`` re-seals the database, then drops the cached sound and the kept
rendered files: they were sealed under the old keys, which are about to be removed, and would
stay on disk unopenable but not gone (each is made again, under the new key, when next asked
for).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import typer

import storage
from planbot.errors import PlanbotError, SettingsError
from planbot.settings import MIN_KEY_CHARS, Settings

KEY_FILE = "secret.key"
NO_KEY = (
    "PLANBOT_SECRET_KEY is not set: planbot serve keeps personal data encrypted with it "
    "(make one with: planbot keys new), or start with --insecure-no-encryption to store it plainly."
)

keys_app = typer.Typer(
    help="Encryption keys: make a new one, see what each sealed, re-seal under the current one.",
    no_args_is_help=True,
)


def key_file(settings: Settings) -> Path:
    return settings.data_dir / KEY_FILE


def local_key(settings: Settings) -> str:
    """The key kept in the data folder, made (0600) the first time it is asked for."""
    path = key_file(settings)
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another command made it just now: use theirs
        return _read_key(path)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(storage.new_secret() + "\n")
    return _read_key(path)


def _read_key(path: Path) -> str:
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_KEY_CHARS:
        raise SettingsError(f"{path} does not hold a key (delete it only if nothing uses it)")
    return key


def local_settings(settings: Settings | None = None) -> Settings:
    """The settings for a command run on this machine: PLANBOT_SECRET_KEY, else the local key."""
    settings = settings or Settings.from_env()
    if settings.secret_key:
        return settings
    return dataclasses.replace(settings, secret_key=local_key(settings))


def open_with_keys(settings: Settings, url: str | None = None) -> storage.Database:
    """The database, its tables up to date, sealing with the keys these settings give."""
    return storage.open_database(url or settings.database_url, storage.keys_of(settings))


def _local() -> tuple[Settings, storage.Database]:
    try:
        settings = local_settings()
        return settings, open_with_keys(settings)
    except PlanbotError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc


@keys_app.command("new")
def new() -> None:
    """Print a new random key, for PLANBOT_SECRET_KEY (keep it safe: without it, nothing opens)."""
    typer.echo(storage.new_secret())


@keys_app.command("status")
def status() -> None:
    """Say which key seals new data, and how many rows still hold values under other keys."""
    settings, db = _local()
    keys = storage.keys_of(settings)
    assert keys is not None
    try:
        left = storage.not_current(db)
    finally:
        db.dispose()
    typer.echo(f"Current key: {keys.key_id}; old keys: {', '.join(keys.old_ids) or 'none'}.")
    waiting = {table: n for table, n in left.items() if n}
    if not waiting:
        typer.echo("Everything is sealed with the current key.")
        return
    parts = ", ".join(f"{table} {n}" for table, n in waiting.items())
    typer.echo(f"Rows to re-seal (run planbot keys rotate): {parts}.")


@keys_app.command("rotate")
def rotate(
    batch: int = typer.Option(storage.BATCH_ROWS, min=1, help="Rows re-sealed per commit."),
) -> None:
    """Re-seal everything under PLANBOT_SECRET_KEY (old keys in PLANBOT_OLD_SECRET_KEYS).

    Safe to stop and run again: each batch is committed, and a value says which key sealed it.

    planbot can keep serving meanwhile.
    """
    settings, db = _local()

    def progress(table: str, rows: int) -> None:
        typer.echo(f"{table}: {rows} rows re-sealed")

    try:
        done = storage.rotate(db, batch=batch, progress=progress)
    except PlanbotError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc
    finally:
        db.dispose()
    dropped = drop_caches(settings)
    keys = storage.keys_of(settings)
    assert keys is not None
    typer.echo(f"Cached files dropped (made again when next asked for): {dropped}.")
    typer.echo(
        f"Done: {sum(done.values())} rows re-sealed with key {keys.key_id}. "
        "The old keys can now be removed from PLANBOT_OLD_SECRET_KEYS."
    )


def drop_caches(settings: Settings) -> int:
    """Remove the cached sound and the kept rendered files; how many went."""
    from easyread.speech import clear_cache  # numpy and the sound libraries: only now

    return clear_cache(settings) + storage.drop_every_render(settings.data_dir)
