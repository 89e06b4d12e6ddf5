"""Every ``planbot ...`` command in the README's shell blocks runs as written.

Why: a newcomer copies them after the Quick start. Each runs in order, as typed into a shell
with the virtual environment turned on (as the README says), on a fresh data folder. The
commands that need a server's settings (serve, telegram, links) must end in one clear
message, never a traceback; the others must work.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NEEDS_SETUP = re.compile(r"planbot (serve|telegram|links)\b")

pytestmark = pytest.mark.slow


def readme_commands() -> list[str]:
    """The lines of the README's ``sh`` blocks that run ``planbot``, in order."""
    text = (ROOT / "README.md").read_text("utf-8")
    blocks = re.findall(r"^ *```sh\n(.*?)^ *```", text, flags=re.S | re.M)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    # tasks.py (the Quick start itself) sets up and runs the checks: not a planbot command.
    return [
        line
        for line in lines
        if re.search(r"(^|[\s|])planbot\s", line) and not line.startswith("python3 ")
    ]


def test_the_readme_has_the_commands_a_newcomer_copies() -> None:
    commands = readme_commands()
    assert any(c.startswith("planbot --version") for c in commands)
    assert any("planbot chat --person Dev" in c for c in commands)
    assert any(c.startswith("planbot profile Dev") for c in commands)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_every_readme_command_runs_as_written(tmp_path: Path) -> None:
    venv_bin = Path(sys.executable).parent
    env = {
        # What `. .venv/bin/activate` gives: the environment's programs first on the PATH.
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        "VIRTUAL_ENV": str(venv_bin.parent),
        "HOME": str(tmp_path),
        "PLANBOT_DATA_DIR": str(tmp_path / "data"),
        "PLANBOT_TTS": "espeak",  # the offline voice: nothing leaves the machine in tests
        "PLANBOT_TELEGRAM_API_URL": f"http://127.0.0.1:{_closed_port()}",
        "PYTHONIOENCODING": "utf-8",
    }
    work = tmp_path / "work"
    work.mkdir()
    for command in readme_commands():
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=300,
        )
        said = done.stdout + done.stderr
        assert "Traceback" not in said, f"{command}\n{said[-3000:]}"
        assert "command not found" not in said, command
        if NEEDS_SETUP.search(command):
            assert done.returncode == 1, f"{command}\n{said[-3000:]}"
            assert done.stderr.strip(), command
        else:
            assert done.returncode == 0, f"{command}\n{said[-3000:]}"
    assert (work / "dev.pdf").is_file() and (work / "dev.mp3").is_file()
