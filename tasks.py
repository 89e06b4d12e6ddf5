"""Set up planbot in a local virtual environment and run it: `python3 tasks.py demo|test|lock`.

Why a Python script: the README promises two commands that work on a fresh machine that has only
Python 3.11+. This file needs nothing but the standard library. It creates `.venv`, installs the
project with its extras at the versions pinned in constraints.txt (only again when
pyproject.toml or constraints.txt changed, or an extra is missing), then runs the demo or the
checks. `lock` upgrades every dependency and pins the versions it got in constraints.txt.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".planbot-installed"
# Every package planbot installs, pinned to the version it was tested with: an install made
# today and one made next year get the same libraries (`python3 tasks.py lock` renews them).
CONSTRAINTS = ROOT / "constraints.txt"
EXTRAS = "dev"  # what `lock` installs and pins: everything (the dev extra holds the others)
# The installer itself is upgraded apart and not pinned: it is not part of planbot.
NOT_PINNED = frozenset({"pip"})


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


def _sources() -> str:
    """A hash of what decides the install: pyproject.toml and the pinned versions."""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    if CONSTRAINTS.exists():
        digest.update(CONSTRAINTS.read_bytes())
    return digest.hexdigest()


def _pip(*args: str | Path, python: Path = BIN / "python") -> list[str | Path]:
    return [python, "-m", "pip", "--disable-pip-version-check", *args]


def install_command(wanted: set[str]) -> list[str | Path]:
    """The pip command that installs planbot with ``wanted`` extras, editable, in .venv, at
    the versions of constraints.txt (``-c`` pins what gets installed and adds nothing)."""
    target = f".[{','.join(sorted(wanted))}]" if wanted else "."
    command = _pip("install", "-q", "-e", target)
    if CONSTRAINTS.exists():
        command += ["-c", CONSTRAINTS]
    return command


def _quiet_build() -> dict[str, str]:
    warnings = ",".join(w for w in (os.environ.get("PYTHONWARNINGS"), QUIET_BUILD) if w)
    return {**os.environ, "PYTHONWARNINGS": warnings}


def _make_venv(where: Path) -> Path:
    """A virtual environment at ``where`` (made when missing); its python."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs before anything is checked
        sys.exit("planbot needs Python 3.11 or newer.")
    python = where / BIN.relative_to(VENV) / "python"
    if not python.exists():
        print(f"Creating {where.name} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(where)
    return python


def ensure_env(extras: str) -> None:
    """Create the virtual environment and install planbot (and ``extras``) when needed."""
    _make_venv(VENV)
    wanted = to_install(_stamp(), _sources(), set(extras.split(",")) - {""})
    if wanted is None:
        return
    shown = f"[{','.join(sorted(wanted))}]" if wanted else ""
    print(f"Installing planbot{shown} into .venv ...", flush=True)
    if _run(*_pip("install", "-q", "--upgrade", "pip")) != 0 or (
        _run(*install_command(wanted), env=_quiet_build()) != 0
    ):
        sys.exit("Installing planbot failed: see the messages above.")
    STAMP.write_text(f"{_sources()}\n{' '.join(sorted(wanted))}")


def pins(frozen: str) -> list[str]:
    """The lines of constraints.txt from ``pip freeze --all`` output: ``name==version``,
    sorted, without planbot itself and without pip."""
    kept = []
    for line in frozen.splitlines():
        if line.lstrip().startswith("#"):  # pip's notes, such as on an editable install
            continue
        name, sep, version = line.strip().partition("==")
        if sep and name and name.lower() not in NOT_PINNED | {"planbot"}:
            kept.append(f"{name}=={version}")
    return sorted(kept, key=lambda pin: pin.partition("==")[0].lower())


def lock() -> int:
    """Install planbot with every extra in a fresh environment, at the newest versions
    pyproject.toml allows, and pin what was installed in constraints.txt.

    A fresh environment, so a package planbot no longer needs is not pinned; .venv then
    installs the new pins at the next `tasks.py demo` or `test`.
    """
    with tempfile.TemporaryDirectory(prefix="planbot-lock-") as folder:
        python = _make_venv(Path(folder) / "venv")
        print("Installing the newest versions pyproject.toml allows ...", flush=True)
        if _run(*_pip("install", "-q", "--upgrade", "pip", python=python)) != 0 or (
            _run(*_pip("install", "-q", f".[{EXTRAS}]", python=python), env=_quiet_build()) != 0
        ):
            sys.exit("Installing planbot failed: see the messages above.")
        frozen = subprocess.run(
            [str(a) for a in _pip("freeze", "--all", python=python)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    lines = pins(frozen)
    header = (
        "# The versions planbot is installed and tested with: `python3 tasks.py` installs them\n"
        "# with `pip install -c constraints.txt`. Made by `python3 tasks.py lock`: do not edit.\n"
    )
    CONSTRAINTS.write_text(header + "\n".join(lines) + "\n")
    print(f"Pinned {len(lines)} packages in {CONSTRAINTS.name}.")
    return 0


def demo() -> int:
    ensure_env("")
    # From the folder you are in, so the commands the demo prints work as shown.
    return _run(BIN / "planbot", "demo", *sys.argv[2:], cwd=Path.cwd())


def test() -> int:
    ensure_env("dev")
    py = BIN / "python"
    # The whole suite also checks the coverage floor (pyproject.toml); a run of some tests
    # only (``tasks.py test tests/storage``) measures too little to hold to it. It runs in 2
    # processes (pytest-xdist), one a core of the machines CI uses: 6 minutes, not 10.
    chosen = sys.argv[2:]
    for step in (
        [py, "-m", "ruff", "check", "."],
        [py, "-m", "mypy"],
        [py, "-m", "pytest", "-q", *(chosen or ["-n", "2", "--cov"])],
    ):
        print("$", " ".join(str(s) for s in step[2:]), flush=True)
        code = _run(*step)
        if code != 0:
            return code
    return 0


if __name__ == "__main__":
    commands = {"demo": demo, "test": test, "lock": lock}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit("usage: python3 tasks.py demo | test | lock")
    sys.exit(commands[sys.argv[1]]())
