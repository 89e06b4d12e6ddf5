"""Plain answers understood the first time, as labelled in ``cases/_plain_answers.toml``.

Each row is sent through the real engine, in a fresh conversation at its question, and what
planbot did (the next question, the question asked again, an answer saved or deleted, the
helper noted) must be what the label says. ``bench/understand.py`` prints the shares.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dialogues import Engine
from planbot.settings import Settings
from storage import Database
from tests.auxil.plain_answers import QUESTIONS, PlainAnswers, labelled, rows

ROWS = list(rows())


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlainAnswers]:
    """One SQLite file for all rows: each row gets its own address and conversation."""
    folder: Path = tmp_path_factory.mktemp("plain")
    db = Database(f"sqlite:///{folder / 'planbot.sqlite3'}")
    db.migrate()
    settings = Settings.from_env({"PLANBOT_DATA_DIR": str(folder)})
    yield PlainAnswers(Engine(db, settings))
    db.dispose()


def test_the_set_is_large_and_covers_every_closed_question() -> None:
    found = labelled()
    assert len(ROWS) >= 300
    for question in QUESTIONS:
        assert len(found[question]) >= 40, question
        texts = [row["text"] for row in found[question]]
        assert len(texts) == len(set(texts)), f"{question}: a text is there twice"
    # Every question has answers that must be asked again, never guessed.
    for question in ("consent", "who", "photo", "readback", "restart"):
        assert Counter(r["means"] for r in found[question])["unclear"] >= 5, question


@pytest.mark.parametrize(
    ("question", "row"),
    [pytest.param(q, r, id=f"{q}-{n:03d}") for n, (q, r) in enumerate(ROWS, 1)],
)
def test_understood_as_labelled(harness: PlainAnswers, question: str, row: dict[str, Any]) -> None:
    got = harness.outcome(question, row["text"])
    assert got.matches(question, row), (
        f"{question}: {row['text']!r} means {row['means']}"
        f"{' with ' + row['helper'] if row.get('helper') else ''}; planbot took it as "
        f"{got.means}{' with ' + got.helper if got.helper else ''}"
    )
