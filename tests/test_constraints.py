"""constraints.txt pins every package planbot installs, and the installed versions match it.

Why: an install made next year must get the libraries these tests passed with, not whatever
is newest that day. ``tasks.py`` installs with ``pip install -c constraints.txt``; these tests
fail when a dependency was added to pyproject.toml without being pinned, or when the
environment drifted from the pins (``python3 tasks.py lock`` renews them all).
"""

from __future__ import annotations

import importlib.util
import re
from importlib import metadata
from pathlib import Path
from types import ModuleType

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "constraints.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)$")
RENEW = "run `python3 tasks.py lock` to pin again"


def load_tasks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tasks", ROOT / "tasks.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pinned() -> dict[str, str]:
    """Package (canonical name) -> the version constraints.txt pins."""
    pins: dict[str, str] = {}
    for line in CONSTRAINTS.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = PIN.match(line.strip())
        assert match, f"not an exact pin: {line!r}"
        name = canonicalize_name(match[1])
        assert name not in pins, f"{name} is pinned twice"
        pins[name] = match[2]
    return pins


PYTHONS = ("3.11", "3.12", "3.13", "3.14")  # requires-python >= 3.11


def needed(*, any_python: bool = False) -> set[str]:
    """Every package the installed planbot[dev] needs, followed through its requirements:
    on this Python, or (``any_python``) on any Python planbot supports (the pins are made on
    one Python, and a backport needed only on another is not a stale pin)."""
    here = {"python_version": "", "python_full_version": ""}
    pythons = [{"python_version": v, "python_full_version": f"{v}.0"} for v in PYTHONS]
    environments = pythons if any_python else [here]
    found: set[str] = set()
    seen: set[tuple[str, frozenset[str]]] = set()
    todo: list[tuple[str, frozenset[str]]] = [("planbot", frozenset({"dev"}))]
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        try:
            requirements = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # needed on another Python only: not installed here
        for line in requirements:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker is not None and not any(
                marker.evaluate({k: v for k, v in {**env, "extra": extra}.items() if v})
                for env in environments
                for extra in (*extras, "")
            ):
                continue
            dependency = canonicalize_name(requirement.name)
            if dependency != "planbot":  # planbot[dev] asks for planbot[web,telegram]
                found.add(dependency)
            todo.append((dependency, frozenset(requirement.extras)))
    return found


def test_every_line_is_an_exact_pin_and_planbot_itself_is_not_pinned() -> None:
    pins = pinned()
    assert len(pins) > 50
    assert "planbot" not in pins and "pip" not in pins


def test_the_installed_versions_are_the_pinned_ones() -> None:
    wrong = []
    for name in sorted(needed()):
        version = metadata.version(name)
        if pinned().get(name) != version:
            wrong.append(f"{name}: installed {version}, pinned {pinned().get(name, 'nothing')}")
    assert not wrong, f"{RENEW}:\n" + "\n".join(wrong)


def test_every_pin_is_a_package_planbot_needs() -> None:
    """A pin nobody needs any more is a sign the file was not made again after a change."""
    unused = set(pinned()) - needed(any_python=True)
    assert not unused, f"pinned but not needed ({RENEW}): {sorted(unused)}"


def test_tasks_installs_with_the_constraints() -> None:
    tasks = load_tasks()
    command = [str(part) for part in tasks.install_command({"dev"})]
    assert command[command.index("-c") + 1] == str(CONSTRAINTS)
    assert "-e" in command and ".[dev]" in command


def test_a_changed_pin_installs_again(tmp_path: Path) -> None:
    tasks = load_tasks()
    before = tasks._sources()
    copy = tmp_path / "constraints.txt"
    copy.write_text(CONSTRAINTS.read_text("utf-8") + "extra-package==1.0\n")
    tasks.CONSTRAINTS = copy
    assert tasks._sources() != before  # so the stamp no longer matches: pip runs again
    assert tasks.to_install((before, {"dev"}), tasks._sources(), {"dev"}) == {"dev"}


def test_lock_keeps_exact_pins_and_leaves_out_pip_and_planbot() -> None:
    frozen = "pip==26.3\nplanbot==0.1.0\nZope==1.0\nattrs==26.1.0\n-e /src\nsetuptools==84.2.1\n"
    assert load_tasks().pins(frozen) == ["attrs==26.1.0", "setuptools==84.2.1", "Zope==1.0"]
