"""``planbot serve``: check the settings, bring the tables up to date, then run uvicorn.

Why uvicorn's factory mode: each worker process builds its own app (and database pool) from
the environment, so ``--workers 4`` works. The tables are migrated once here, before any
worker starts, so workers never race to migrate. The access log stays off: it would write
profile link tokens into the log. A public address that is not https gets a one-line
warning at start (people's profiles would travel unencrypted).

Each worker gets a minute to start before uvicorn's supervisor gives up on it (uvicorn's own
default is 5 seconds): a worker imports the whole web stack first, and on a busy or small host
that takes longer than 5 seconds, so the supervisor killed it and started another, over and
over, and ``--workers 2`` took 10 to 40 seconds to answer at all.
"""

from __future__ import annotations

from typing import Any

import typer

import storage
from bot._keys import NO_KEY
from bot._logging import setup_logging
from bot.web.channels import check_settings, web_missing
from planbot.errors import PlanbotError
from planbot.settings import Settings

WORKER_START_SECONDS = 60
NOT_HTTPS = (
    "Warning: PLANBOT_PUBLIC_URL is not an https:// address, so links and webhooks can be read "
    "on the way and browsers are not told to use https (HSTS): put planbot behind TLS."
)


def uvicorn_options(host: str, port: int, workers: int) -> dict[str, Any]:
    """How uvicorn runs planbot (and the bench's bare app beside it, for a fair ceiling): a
    factory, no access log (it would log numbers' requests), time for slow workers, the C
    parser of HTTP (httptools: less CPU a text) and asyncio's own loop (uvloop, were it ever
    installed, held a few texts for seconds under load: bench/sms_load.py)."""
    return {
        "factory": True,
        "http": "httptools",
        "loop": "asyncio",
        "host": host,
        "port": port,
        "workers": workers,
        "access_log": False,
        "log_level": "info",
        "timeout_worker_healthcheck": WORKER_START_SECONDS,
    }


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0 for all)."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(
        1, min=1, help="Worker processes (use PostgreSQL for more than 1)."
    ),
    insecure_no_encryption: bool = typer.Option(
        False,
        "--insecure-no-encryption",
        help="Start without PLANBOT_SECRET_KEY: personal data is stored unencrypted.",
    ),
) -> None:
    """Run the web app: the SMS and Telegram webhooks, profile pages (/p/...) and /healthz."""
    try:
        settings = Settings.from_env()
    except PlanbotError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc
    if not settings.secret_key and not insecure_no_encryption:
        typer.echo(NO_KEY, err=True)
        raise typer.Exit(code=1)
    problems = check_settings(settings)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(code=1)
    try:
        storage.open_database(settings.database_url, storage.keys_of(settings)).dispose()
    except PlanbotError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc
    if not settings.secret_key:
        typer.echo("Warning: no PLANBOT_SECRET_KEY: personal data is stored unencrypted.", err=True)
    if not (settings.public_url or "").startswith("https://"):
        typer.echo(NOT_HTTPS, err=True)
    if workers > 1 and settings.database_url.startswith("sqlite"):
        typer.echo(
            "Note: several workers share one SQLite file; they take turns to write. "
            "PostgreSQL (PLANBOT_DATABASE_URL) suits several workers better.",
            err=True,
        )
    try:  # the web stack loads only for this command, not for `planbot chat`
        import uvicorn

        import bot.web.app  # noqa: F401 - uvicorn's workers load it: fail here, in one line
    except ImportError as exc:
        typer.echo(web_missing(exc), err=True)
        raise typer.Exit(code=1) from None
    setup_logging()
    uvicorn.run("bot.web.app:app_from_env", **uvicorn_options(host, port, workers))
