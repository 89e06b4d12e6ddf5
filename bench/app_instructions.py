"""Instructions per SMS list answer through the whole web app, against the bare signed webhook:
a figure a busy machine does not move, where ``bench/sms_load.py``'s milliseconds swing by a
third from one run to the next on this shared machine.

The ASGI app is called in process (no uvicorn, no sockets: what both apps share is left
out), with signed Twilio webhooks of list answers, as ``bench/sms_load.py`` sends them:
planbot's app as ``planbot serve`` makes it (SQLite, with a key), or the bare FastAPI app
that only reads the form, checks the signature and answers (``--bare``). Building and
signing each request is counted too, the same in both: ``--client`` counts it alone (an app
that answers at once), to take off both figures. Run it under
callgrind twice for each and take the difference (start-up, imports and the first texts
cancel out):

    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python bench/app_instructions.py TREE 100 [--bare]
    ... the same with 400
    # (Collected with 400 - Collected with 100) / 300 = instructions per text

TREE is a checkout of planbot (``.`` for this one, or a ``git worktree`` of another commit):
its ``bot.web.app`` is the app measured, so two commits compare side by side.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's tests/auxil

from tests.auxil.asgi import asgi_call, post_scope

NUMBERS = 50


async def call(app: Any, form: dict[str, str], signature: str) -> int:
    """One POST /sms through the ASGI app; its status."""
    body = urlencode(form).encode()
    headers = [
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"content-length", str(len(body)).encode()),
        (b"x-twilio-signature", signature.encode()),
    ]
    scope = post_scope("/sms", headers, host="127.0.0.1", scheme="http")
    sent = await asgi_call(app, scope, [{"type": "http.request", "body": body}])
    return int(sent[0]["status"])


async def client_only(scope: Any, receive: Any, send: Any) -> None:
    """An app that answers 200 at once: what the bench itself costs a text (building the
    form, signing it, the ASGI messages), which is in both apps' figures."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def run(app: Any, texts: int, *, bare: bool) -> None:
    import sms_load
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(sms_load.TOKEN)
    url = sms_load.PUBLIC_URL + "/sms"

    async def text(n: int, body: str, sid: str) -> None:
        form = sms_load.form_of(sms_load.number_of(n), body, sid)
        status = await call(app, form, validator.compute_signature(url, form))
        if status != 200:
            raise SystemExit(f"the app answered {status}")

    if not bare:  # each number to its first list question: hello, yes, who, a name
        for n in range(NUMBERS):
            for k, said in enumerate(sms_load.script(n, 4)):
                await text(n, said, f"SMintro{n:05d}{k}")
    for k in range(texts):
        await text(k % NUMBERS, f"thing {k // NUMBERS + 1}", f"SM{k:032x}")


def main() -> None:
    tree, texts = Path(sys.argv[1]).resolve(), int(sys.argv[2])
    bare, client = "--bare" in sys.argv, "--client" in sys.argv
    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(tree), str(here)]  # the app measured is the tree's
    import sms_load

    with tempfile.TemporaryDirectory(prefix="planbot-bench-") as folder:
        os.environ.update(
            {
                **sms_load.planbot_env(Path(folder)),
                "PLANBOT_DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
            }
        )
        if client:
            app, bare = client_only, True
        elif bare:
            app = sms_load.bare_app()
        else:
            from bot.web.app import create_app
            from planbot.settings import Settings

            app = create_app(Settings.from_env())
        asyncio.run(run(app, texts, bare=bare))
    name = "the bench alone" if client else "bare" if bare else "planbot"
    print(f"{name}: {texts} texts answered")


if __name__ == "__main__":
    main()
