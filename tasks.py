"""Set up planbot in a local virtual environment and run it: `python3 tasks.py demo|test`.

Why a Python script: the README promises two commands that work on a fresh machine that has only
Python 3.11+. This file needs nothing but the standard library. It creates `.venv`, installs the
project with its extras (only again when pyproject.toml changed or an extra is missing), then runs
the demo or the checks.
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


# setuptools tells every editable install, in a box, to mind folders named like the package:
# information, not a problem, and it hides the warnings that matter. Only that one is silenced.
QUIET_BUILD = "ignore:Editable installation:UserWarning"


def _run(*args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> int:
    return subprocess.call([str(a) for a in args], cwd=cwd, env=env)


def _stamp() -> tuple[str, set[str]] | None:
    """The pyproject.toml hash and the extras of the last install (None before the first)."""
    try:
        stamped, extras = STAMP.read_text().split("\n", 1)
    except (OSError, ValueError):
        return None
    return stamped, set(extras.split())


def to_install(
    stamp: tuple[str, set[str]] | None, pyproject: str, wanted: set[str]
) -> set[str] | None:
    """The extras to install now, or None when the environment already has all of ``wanted``.

    An environment that has more is used as it is (the dev install has everything the demo
    needs), so switching between demo and test does not install again. When pyproject.toml
    changed, the extras installed before are installed again with the new ones.
    """
    if stamp is None:
        return wanted
    if stamp[0] == pyproject and wanted <= stamp[1]:
        return None
    return wanted | stamp[1]


def ensure_env(extras: str) -> None:
    """Create the virtual environment and install planbot (and ``extras``) when needed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs before anything is checked
        sys.exit("planbot needs Python 3.11 or newer.")
    if not (BIN / "python").exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pyproject = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    wanted = to_install(_stamp(), pyproject, set(extras.split(",")) - {""})
    if wanted is None:
        return
    target = f".[{','.join(sorted(wanted))}]" if wanted else "."
    print(f"Installing planbot{target[1:]} into .venv ...", flush=True)
    pip = [BIN / "python", "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    warnings = ",".join(w for w in (os.environ.get("PYTHONWARNINGS"), QUIET_BUILD) if w)
    env = {**os.environ, "PYTHONWARNINGS": warnings}
    if _run(*pip, "--upgrade", "pip") != 0 or _run(*pip, "-e", target, env=env) != 0:
        sys.exit("Installing planbot failed: see the messages above.")
    STAMP.write_text(f"{pyproject}\n{' '.join(sorted(wanted))}")


def demo() -> int:
    ensure_env("")
    # From the folder you are in, so the commands the demo prints work as shown.
    return _run(BIN / "planbot", "demo", *sys.argv[2:], cwd=Path.cwd())


def test() -> int:
    ensure_env("dev")
    py = BIN / "python"
    # The whole suite also checks the coverage floor (pyproject.toml); a run of some tests
    # only (``tasks.py test tests/storage``) measures too little to hold to it.
    chosen = sys.argv[2:]
    for step in (
        [py, "-m", "ruff", "check", "."],
        [py, "-m", "mypy"],
        [py, "-m", "pytest", "-q", *(chosen or ["--cov"])],
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
