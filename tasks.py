"""Set up planbot in a local virtual environment and run it: `python3 tasks.py demo|test`.

Why a Python script: the README promises two commands that work on a fresh machine that has only
Python 3.11+. This file needs nothing but the standard library. It creates `.venv`, installs the
project with its extras (only again when pyproject.toml changed), then runs the demo or the checks.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".planbot-installed"


def _run(*args: str | Path) -> int:
    return subprocess.call([str(a) for a in args], cwd=ROOT)


def ensure_env(extras: str) -> None:
    """Create the virtual environment and install planbot (and ``extras``) when anything changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs before anything is checked
        sys.exit("planbot needs Python 3.11 or newer.")
    if not (BIN / "python").exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    target = f".[{extras}]" if extras else "."
    print(f"Installing planbot{target[1:]} into .venv ...", flush=True)
    pip = [BIN / "python", "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    if _run(*pip, "--upgrade", "pip") != 0 or _run(*pip, "-e", target) != 0:
        sys.exit("Installing planbot failed: see the messages above.")
    STAMP.write_text(wanted)


def demo() -> int:
    ensure_env("")
    return _run(BIN / "planbot", "demo", *sys.argv[2:])


def test() -> int:
    ensure_env("dev")
    py = BIN / "python"
    for step in (
        [py, "-m", "ruff", "check", "."],
        [py, "-m", "mypy"],
        [py, "-m", "pytest", "-q", *sys.argv[2:]],
    ):
        print("$", " ".join(str(s) for s in step[2:]), flush=True)
        code = _run(*step)
        if code != 0:
            return code
    return 0


if __name__ == "__main__":
    commands = {"demo": demo, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit("usage: python3 tasks.py demo | test")
    sys.exit(commands[sys.argv[1]]())
