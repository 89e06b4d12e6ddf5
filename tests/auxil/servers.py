"""Test servers on 127.0.0.1: a free port, and an ASGI app served in a thread.

Why one place: the fake Bot API, the Twilio double and the tests that start ``planbot serve``
all need a port nobody holds and a server that is up before the test talks to it and gone
after; each had its own copy.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(app: Any, what: str) -> Iterator[str]:
    """Serve ``app`` in a thread for the block; yields its base URL. ``what`` names it in the
    error when it does not start within 10 seconds."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
