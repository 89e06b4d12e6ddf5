"""A plain ``pip install .`` works: the wheel holds the scripts, data, templates and migrations,
and the installed copy (not this source tree) loads the script and migrates a database.

Why: an editable install reads data files from the source tree, so a missing package-data line
only shows up for people who install the wheel. Slow (it builds a wheel): ``-m "not slow"``
skips it.
"""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("planbot", "bot", "dialogues", "easyread", "storage")
REQUIRED = (
    "dialogues/scripts/*.toml",
    "easyread/data/*.toml",
    "easyread/data/*.txt",
    "storage/migrations/env.py",
    "storage/migrations/script.py.mako",
    "storage/migrations/versions/0001_*.py",
)

pytestmark = pytest.mark.slow


def _copy_source(to: Path) -> Path:
    """The files a build reads, copied away so the build leaves the shared tree alone."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("pyproject.toml", "README.md", "MANIFEST.in", "LICENSE", "setup.cfg"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, to / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, to / package, ignore=ignore)
    return to


def _build_requirements_here() -> bool:
    """True when pyproject's [build-system] requirements are installed in this environment."""
    try:
        import setuptools
        import wheel  # noqa: F401
    except ImportError:
        return False
    return int(setuptools.__version__.split(".")[0]) >= 77


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = _copy_source(tmp_path_factory.mktemp("source"))
    out = tmp_path_factory.mktemp("dist")
    if _build_requirements_here():
        command = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)]
    else:
        # This environment lacks pyproject's build requirements (an old setuptools from
        # ensurepip, no wheel): let pip build in its own isolated environment instead.
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), "."]
    done = subprocess.run(
        command,
        cwd=source,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # A deprecation box (such as a license written as a table) is the first thing a newcomer
    # sees on the first install, and a build that will stop working one day.
    assert "deprecat" not in (done.stdout + done.stderr).lower(), done.stderr[-3000:]
    (found,) = out.glob("planbot-*.whl")
    return found


def _data_files() -> list[str]:
    """Every file of the packages in the source tree (data and code), as wheel paths."""
    out = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                out.append(path.relative_to(ROOT).as_posix())
    return sorted(out)


def test_the_wheel_holds_every_data_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for pattern in REQUIRED:
        assert fnmatch.filter(names, pattern), f"nothing in the wheel matches {pattern}"
    if (ROOT / "easyread" / "templates").is_dir():
        assert fnmatch.filter(names, "easyread/templates/*"), "no easyread templates"
    missing = [name for name in _data_files() if name not in names]
    assert not missing, f"files the wheel lacks: {missing}"
    assert any(n.endswith("entry_points.txt") for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "planbot = bot.cli:app" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_installed_wheel_loads_its_script_and_migrates(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )  # fmt: skip
    work = tmp_path / "elsewhere"
    work.mkdir()
    check = textwrap.dedent(
        f"""
        from importlib import resources
        from pathlib import Path

        import dialogues, easyread, storage
        from dialogues import Engine, Incoming
        from planbot.settings import Settings

        site = Path({str(site)!r})
        for module in (dialogues, easyread, storage):
            assert site in Path(module.__file__).parents, module.__file__
        script = dialogues.load_script()
        assert len(script.list_steps) == 9
        assert not easyread.check_message("What makes a good day for you?")
        templates = resources.files("easyread").joinpath("templates")
        print("templates", templates.is_dir())
        db = storage.open_database("sqlite:///" + str(Path.cwd() / "planbot.sqlite3"))
        engine = Engine(db, Settings.from_env({{"PLANBOT_DATA_DIR": str(Path.cwd())}}))
        replies = engine.handle(Incoming("terminal", "me", "1", "", opening=True))
        print(replies[-1].text)
        """
    )
    # -S: no site-packages start-up, so the editable install cannot put the source tree back on
    # the path; the venv's packages come after the installed wheel, for its dependencies only.
    deps = sysconfig.get_paths()["purelib"]
    env = {"PYTHONPATH": f"{site}:{deps}", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-S", "-c", check],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Can I keep your answers safe" in done.stdout
    assert (work / "planbot.sqlite3").is_file()
    if (ROOT / "easyread" / "templates").is_dir():
        assert "templates True" in done.stdout
