"""Each package's public surface: ``__all__`` is complete, sorted and names real things.

Why (after httpx's ``tests/test_exported_members.py``): other packages and people import from
``dialogues``, ``storage`` and ``easyread`` only; a name missing from ``__all__``, or listed but
gone, is an API change that should be seen in review.
"""

from __future__ import annotations

import importlib
import re
import types
from pathlib import Path

import pytest

PACKAGES = ["bot", "dialogues", "easyread", "planbot", "storage"]
MUST_HAVE_ALL = ["bot", "dialogues", "easyread", "storage"]
WITH_ALL = [p for p in PACKAGES if hasattr(importlib.import_module(p), "__all__")]


def isort_order(name: str) -> tuple[int, str]:
    """CONSTANTS, then Classes, then functions (ruff's RUF022 order), each alphabetical."""
    if name.isupper():
        return 0, name
    return (1 if name[0].isupper() else 2), name


@pytest.mark.parametrize("name", MUST_HAVE_ALL)
def test_the_main_packages_have_all(name: str) -> None:
    assert hasattr(importlib.import_module(name), "__all__")


@pytest.mark.parametrize("name", WITH_ALL)
def test_all_is_sorted_complete_and_real(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert len(set(exported)) == len(exported), "a name is listed twice"
    assert list(exported) == sorted(exported, key=isort_order), "__all__ is not sorted"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"listed in __all__ but not defined: {missing}"
    public = {
        n
        for n, value in vars(module).items()
        if not n.startswith("_") and not isinstance(value, types.ModuleType) and n != "annotations"
    }
    assert public <= set(exported), f"public but not in __all__: {sorted(public - set(exported))}"


def test_bot_uses_only_the_public_api_of_the_other_packages() -> None:
    """``bot`` imports ``easyread``, ``dialogues`` and ``storage``, never their private modules."""
    root = Path(__file__).resolve().parents[1] / "bot"
    private = re.compile(r"^\s*(from|import)\s+(easyread|dialogues|storage)\._", re.MULTILINE)
    offenders = [
        str(path.relative_to(root.parent))
        for path in sorted(root.rglob("*.py"))
        if private.search(path.read_text("utf-8"))
    ]
    assert offenders == []
