"""Fixtures for the SMS channel and the web app: the real app, driven through ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

import storage
from bot.web.app import create_app
from planbot.settings import Settings
from tests.auxil.twilio import PUBLIC_URL, Texter, make_settings
from tests.auxil.twilio_server import TwilioDouble, twilio_double
from tests.conftest import Clock


@pytest.fixture
def sms_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def app(db: storage.Database, sms_settings: Settings, clock: Clock) -> FastAPI:
    return create_app(sms_settings, db, clock=clock)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
        yield http


@pytest.fixture
def texter(client: httpx.AsyncClient) -> Texter:
    return Texter(client)


@pytest.fixture
def double() -> Iterator[TwilioDouble]:
    """A Twilio double on 127.0.0.1 that the outbox's SMS sender talks to."""
    with twilio_double() as server:
        yield server


@pytest.fixture
def sms(tmp_path: Path, double: TwilioDouble) -> Settings:
    """Settings that send texts to ``double``."""
    return make_settings(tmp_path, PLANBOT_TWILIO_API_URL=double.url)
