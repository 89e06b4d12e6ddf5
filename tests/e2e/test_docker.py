"""The Dockerfile builds an image that runs ``planbot serve``; compose.yaml runs it with
PostgreSQL.

Where ``docker`` is installed and its daemon answers (CI), the image is built and started: it
must answer /healthz and a signed text with TwiML. Elsewhere that test skips and says why. The
checks of what the files say run everywhere, and so does ``planbot serve`` started here with
the very settings the container is given (a key among them: without one it stops at once).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

import storage
from tests.auxil.servers import free_port
from tests.auxil.twilio import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, Texter

ROOT = Path(__file__).resolve().parents[2]


def docker_missing() -> str | None:
    """Why the image cannot be built here, or None when it can."""
    docker = shutil.which("docker")
    if docker is None:
        return "docker is not installed here; CI builds the image where it is"
    try:
        info = subprocess.run([docker, "info"], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return "docker is installed but its daemon does not answer in 30 seconds"
    if info.returncode != 0:
        said = (info.stderr.strip().splitlines() or ["no reason given"])[-1]
        return f"docker is installed but cannot build here: {said}"
    return None


def container_env() -> dict[str, str]:
    """The settings the run test gives the container: Twilio's, and a key made as ``planbot
    keys new`` makes one (``planbot serve`` stops at once without a key)."""
    return {
        "PLANBOT_PUBLIC_URL": PUBLIC_URL,
        "PLANBOT_SECRET_KEY": storage.new_secret(),
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    }


async def answers_health_and_a_text(
    base: str, why_not: Callable[[], str], running: Callable[[], bool] = lambda: True
) -> None:
    """``planbot serve`` at ``base`` answers /healthz (within 90 seconds of starting) and a
    signed text; ``why_not()`` says what the server printed, if it stops (``running()``
    false) or does not answer."""
    async with httpx.AsyncClient(base_url=base, timeout=10.0) as client:
        deadline = time.monotonic() + 90
        while True:
            assert running(), why_not()
            try:
                if (await client.get("/healthz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, why_not()
            await asyncio.sleep(0.5)
        hello = await Texter(client, "+447700900123").send("hello")
        assert any("Can I keep your answers safe" in body for body in hello)


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text("utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_the_image_installs_the_pinned_versions_and_runs_serve_as_a_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text("utf-8")
    assert "-c constraints.txt ." in dockerfile  # the tested versions, no dev tools
    assert '"serve", "--host", "0.0.0.0"' in dockerfile
    assert "\nUSER planbot\n" in dockerfile
    assert "/healthz" in dockerfile  # docker knows when it is up
    kept_out = (ROOT / ".dockerignore").read_text("utf-8").splitlines()
    assert kept_out[1] == "*"  # everything is left out but what is named: no .venv, no data
    assert {"!planbot/", "!bot/", "!storage/", "!constraints.txt"} <= set(kept_out)


def test_compose_runs_planbot_on_its_postgresql_behind_a_proxy() -> None:
    services = compose()["services"]
    planbot, db = services["planbot"], services["db"]
    url = planbot["environment"]["PLANBOT_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://planbot:") and url.endswith("@db:5432/planbot")
    assert planbot["depends_on"]["db"]["condition"] == "service_healthy" and db["healthcheck"]
    assert planbot["ports"] == ["127.0.0.1:8000:8000"]  # only the reverse proxy reaches it
    assert planbot["command"][:1] == ["serve"] and "--workers" in planbot["command"]
    assert planbot["environment"]["PLANBOT_SECRET_KEY"].endswith(
        ":?set PLANBOT_SECRET_KEY in .env}"
    )


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    why = docker_missing()
    if why:
        pytest.skip(why)
    tag = f"planbot-test:{uuid.uuid4().hex[:12]}"
    built = subprocess.run(
        ["docker", "build", "--tag", tag, str(ROOT)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
    try:
        yield tag
    finally:
        subprocess.run(["docker", "image", "rm", "--force", tag], capture_output=True)


@pytest.mark.slow
async def test_the_image_answers_health_checks_and_a_signed_text(image: str) -> None:
    port = free_port()
    name = f"planbot-test-{uuid.uuid4().hex[:12]}"
    run = ["docker", "run", "--detach", "--name", name, "-p", f"127.0.0.1:{port}:8000"]
    for key, value in container_env().items():
        run += ["--env", f"{key}={value}"]
    started = subprocess.run([*run, image], capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stderr
    try:
        await answers_health_and_a_text(f"http://127.0.0.1:{port}", lambda: logs(name))
        user = subprocess.run(
            ["docker", "exec", name, "id", "-un"], capture_output=True, text=True, timeout=30
        )
        assert user.stdout.strip() == "planbot"
    finally:
        subprocess.run(["docker", "rm", "--force", name], capture_output=True, timeout=60)


@pytest.mark.slow
async def test_the_containers_settings_start_planbot_serve_here(tmp_path: Path) -> None:
    """Where docker cannot run, the settings it would pass are still checked: with the image's
    own (a data folder, the offline voice), ``planbot serve`` starts and answers."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("PLANBOT_", "TWILIO_"))}
    image = {"PLANBOT_DATA_DIR": str(tmp_path / "data"), "PLANBOT_TTS": "espeak"}
    port = free_port()
    planbot = Path(sys.executable).with_name("planbot")
    with subprocess.Popen(
        [str(planbot), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=keep | image | container_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as server:

        def printed() -> str:
            server.terminate()
            return server.communicate(timeout=30)[0][-4000:]

        try:
            url = f"http://127.0.0.1:{port}"
            await answers_health_and_a_text(url, printed, lambda: server.poll() is None)
        finally:
            if server.poll() is None:
                server.terminate()
                server.communicate(timeout=30)


def logs(name: str) -> str:
    done = subprocess.run(["docker", "logs", name], capture_output=True, text=True, timeout=30)
    return done.stdout[-4000:] + done.stderr[-4000:]
