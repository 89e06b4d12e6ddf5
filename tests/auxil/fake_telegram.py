"""A fake Telegram Bot API server on 127.0.0.1, for driving the real python-telegram-bot.

Why a server and not a mock: planbot's Telegram channel is the real ``Application`` talking
HTTP, so the tests check what Telegram would receive (methods, chat ids, buttons, files),
and nothing of planbot is patched. It answers getMe, getUpdates (long polling, from updates
the test queues), getFile and file downloads (photos and voice notes), and records every
call: sends, answers, setMyCommands (the menu) and sendChatAction ("typing...").

Updates are made with ``make_text_update`` and friends, as real Update JSON.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.auxil.leftovers import where_found
from tests.auxil.servers import served

TOKEN = "123456:TEST-token-for-the-fake-bot-api"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "planbot", "username": "planbot_test_bot"}
_IDS = itertools.count(1000)


@dataclass
class Call:
    """One Bot API call the bot made: its method, fields (JSON-decoded) and any files."""

    method: str
    fields: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    copies: list[str] = field(default_factory=list)  # files under ``watch`` holding them


@dataclass
class FakeBotApi:
    """What the fake server holds: queued updates, stored files and the calls it received."""

    url: str = ""
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # file_id -> bytes
    folders: dict[str, str] = field(default_factory=dict)  # file_id -> "photos", "voice"
    downloads: list[str] = field(default_factory=list)  # file paths the bot downloaded
    failing: set[str] = field(default_factory=set)  # methods to refuse once each
    # A folder searched, as each file arrives, for a copy of it on disk (``Call.copies``).
    watch: Path | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- for tests -----------------------------------------------------------------------

    def queue(self, update: dict[str, Any]) -> None:
        with self.lock:
            self.updates.append(update)

    def fail_once(self, method: str) -> None:
        """The next call of ``method`` gets an error, as when Telegram has a bad moment."""
        with self.lock:
            self.failing.add(method)

    def take_failure(self, method: str) -> bool:
        with self.lock:
            if method in self.failing:
                self.failing.discard(method)
                return True
            return False

    def add_file(self, file_id: str, data: bytes, folder: str = "photos") -> None:
        """A file a person sent, for getFile and its download (``folder`` as Telegram's)."""
        self.files[file_id] = data
        self.folders[file_id] = folder

    def actions(self) -> list[str]:
        """The chat actions the bot showed ("typing", "upload_document", ...), in order."""
        return [str(c.fields.get("action")) for c in self.sent("sendChatAction")]

    def methods(self) -> list[str]:
        """Every Bot API method called, in order."""
        with self.lock:
            return [c.method for c in self.calls]

    def sent(self, method: str = "sendMessage") -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def texts(self) -> list[str]:
        return [str(c.fields.get("text", "")) for c in self.sent("sendMessage")]

    def wait_for_text(self, part: str, seconds: float = 20.0) -> str:
        """The first text the bot sent that holds ``part``, waiting for it (polling tests)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = [t for t in self.texts() if part in t]
            if found:
                return found[0]
            time.sleep(0.02)
        raise AssertionError(f"the bot sent no text with {part!r}: {self.texts()}")

    def clear(self) -> None:
        with self.lock:
            self.calls.clear()

    # --- the server's side -----------------------------------------------------------------

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)

    def take_updates(self, offset: int) -> list[dict[str, Any]]:
        with self.lock:
            return [u for u in self.updates if u["update_id"] >= offset]


def _decode(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def _message(chat_id: Any, **extra: Any) -> dict[str, Any]:
    return {
        "message_id": next(_IDS),
        "date": int(time.time()),
        "chat": {"id": int(chat_id), "type": "private"},
        "from": BOT_USER,
        **extra,
    }


def _app(fake: FakeBotApi) -> Starlette:
    async def method(request: Request) -> Response:
        if request.path_params["token"] != TOKEN:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        name = request.path_params["method"]
        fields: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        async with request.form() as form:  # closes the uploaded files' spooled copies
            for key, value in form.multi_items():
                if isinstance(value, str):
                    fields[key] = _decode(value)
                else:
                    files[key] = await value.read()
        copies = where_found(fake.watch, files.values()) if fake.watch and files else {}
        fake.record(Call(name, fields, files, sorted({f for c in copies.values() for f in c})))
        if fake.take_failure(name):
            return JSONResponse(
                {"ok": False, "error_code": 400, "description": "Bad Request: test failure"},
                status_code=400,
            )
        return JSONResponse({"ok": True, "result": await _result(fake, name, fields)})

    async def download(request: Request) -> Response:
        path = request.path_params["path"]
        if request.path_params["token"] != TOKEN:
            return Response(status_code=401)
        with fake.lock:
            fake.downloads.append(path)
        data = fake.files.get(path.rsplit("/", 1)[-1])
        return (
            Response(data, media_type="application/octet-stream")
            if data
            else Response(status_code=404)
        )

    return Starlette(
        routes=[
            Route("/bot{token}/{method}", method, methods=["POST", "GET"]),
            Route("/file/bot{token}/{path:path}", download, methods=["GET"]),
        ]
    )


async def _result(fake: FakeBotApi, name: str, fields: dict[str, Any]) -> Any:
    chat = fields.get("chat_id", 0)
    if name == "getMe":
        return BOT_USER
    if name == "getUpdates":
        offset = int(fields.get("offset") or 0)
        deadline = time.monotonic() + min(float(fields.get("timeout") or 0), 1.0)
        while True:
            found = fake.take_updates(offset)
            if found or time.monotonic() >= deadline:
                return found
            await asyncio.sleep(0.02)
    if name == "getFile":
        file_id = str(fields["file_id"])
        size = len(fake.files.get(file_id, b""))
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_size": size,
            "file_path": f"{fake.folders.get(file_id, 'photos')}/{file_id}",
        }
    if name == "sendMessage":
        return _message(chat, text=fields.get("text", ""))
    if name == "sendDocument":
        return _message(chat, document={"file_id": "d1", "file_unique_id": "d1"})
    if name == "sendPhoto":
        return _message(
            chat, photo=[{"file_id": "p1", "file_unique_id": "p1", "width": 1, "height": 1}]
        )
    if name in ("sendVoice", "sendAudio"):
        kind = "voice" if name == "sendVoice" else "audio"
        return _message(chat, **{kind: {"file_id": "v1", "file_unique_id": "v1", "duration": 1}})
    # answerCallbackQuery, editMessageReplyMarkup, deleteWebhook, setWebhook, ...
    return True


@contextmanager
def fake_bot_api() -> Iterator[FakeBotApi]:
    """Run the fake Bot API server in a thread for the duration of the block."""
    fake = FakeBotApi()
    with served(_app(fake), "the fake Bot API server") as url:
        fake.url = url
        yield fake


def start_planbot_telegram(
    fake: FakeBotApi, data_dir: Path, **extra: str
) -> subprocess.Popen[bytes]:
    """``planbot telegram`` (long polling) as a real process against the fake Bot API, on a
    SQLite file in ``data_dir`` (``extra``: more settings); the caller ends it (terminate,
    then communicate)."""
    env = {
        **os.environ,
        "PLANBOT_DATA_DIR": str(data_dir),
        "PLANBOT_TTS": "off",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "PLANBOT_TELEGRAM_API_URL": fake.url,
        **extra,
    }
    env.pop("PLANBOT_DATABASE_URL", None)
    planbot = Path(sys.executable).with_name("planbot")
    return subprocess.Popen(
        [str(planbot), "telegram"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


@dataclass
class Output:
    """What a ``planbot telegram`` process wrote (stdout and stderr), once it has ended."""

    text: str = ""


@contextmanager
def planbot_telegram(fake: FakeBotApi, data_dir: Path, **extra: str) -> Iterator[Output]:
    """``start_planbot_telegram`` for the block, ended after it (however it ends); what it
    wrote is in the yielded ``Output`` then."""
    output = Output()
    process = start_planbot_telegram(fake, data_dir, **extra)
    try:
        yield output
    finally:
        process.terminate()
        output.text = process.communicate(timeout=20)[0].decode()


# --- updates, as Telegram sends them -------------------------------------------------------

_UPDATE_IDS = itertools.count(1)
_MESSAGE_IDS = itertools.count(1)


def _user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Dev"}


def make_message_update(chat_id: int, **message: Any) -> dict[str, Any]:
    """A message update from a person in a private chat (``message`` fields as Telegram's)."""
    return {
        "update_id": next(_UPDATE_IDS),
        "message": {
            "message_id": next(_MESSAGE_IDS),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Dev"},
            "from": _user(chat_id),
            **message,
        },
    }


def make_text_update(chat_id: int, text: str) -> dict[str, Any]:
    extra: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        command = text.split()[0]
        extra["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return make_message_update(chat_id, **extra)


def make_photo_update(chat_id: int, file_id: str, size: int, caption: str = "") -> dict[str, Any]:
    sizes = [
        {
            "file_id": f"{file_id}-small",
            "file_unique_id": f"{file_id}-s",
            "width": 90,
            "height": 90,
            "file_size": 100,
        },
        {
            "file_id": file_id,
            "file_unique_id": file_id,
            "width": 800,
            "height": 800,
            "file_size": size,
        },
    ]
    extra: dict[str, Any] = {"photo": sizes}
    if caption:
        extra["caption"] = caption
    return make_message_update(chat_id, **extra)


def make_voice_update(chat_id: int, file_id: str, size: int, duration: int) -> dict[str, Any]:
    """A voice note from the microphone button (``duration`` as the app claims it)."""
    voice = {
        "file_id": file_id,
        "file_unique_id": f"u-{file_id}",
        "duration": duration,
        "mime_type": "audio/ogg",
        "file_size": size,
    }
    return make_message_update(chat_id, voice=voice)


def make_button_update(chat_id: int, data: str) -> dict[str, Any]:
    """A press on an inline button whose callback data is ``data``."""
    return {
        "update_id": next(_UPDATE_IDS),
        "callback_query": {
            "id": str(next(_IDS)),
            "from": _user(chat_id),
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": next(_MESSAGE_IDS),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": "a question",
            },
        },
    }
