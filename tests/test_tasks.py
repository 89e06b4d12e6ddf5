"""``tasks.py`` installs only when something is missing: switching demo and test is instant.

Why: a newcomer runs ``python3 tasks.py demo`` and ``python3 tasks.py test`` in turn; a
reinstall each time costs minutes and looks like something went wrong.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def load_tasks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tasks", ROOT / "tasks.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_first_run_installs_what_it_needs() -> None:
    tasks = load_tasks()
    assert tasks.to_install(None, "a", set()) == set()
    assert tasks.to_install(None, "a", {"dev"}) == {"dev"}


def test_demo_after_test_uses_the_dev_install_as_it_is() -> None:
    tasks = load_tasks()
    assert tasks.to_install(("a", {"dev"}), "a", set()) is None
    assert tasks.to_install(("a", {"dev"}), "a", {"dev"}) is None


def test_test_after_demo_installs_the_dev_extras() -> None:
    tasks = load_tasks()
    assert tasks.to_install(("a", set()), "a", {"dev"}) == {"dev"}


def test_a_changed_pyproject_installs_again_with_the_extras_from_before() -> None:
    tasks = load_tasks()
    assert tasks.to_install(("old", {"dev"}), "new", set()) == {"dev"}
    assert tasks.to_install(("old", set()), "new", set()) == set()
