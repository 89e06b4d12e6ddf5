"""How many plain answers planbot understands the first time: the share per question.

Run: ``.venv/bin/python bench/understand.py`` (``--misses`` lists what was not understood).

Each labelled answer in ``tests/dialogues/cases/_plain_answers.toml`` is sent through the real
engine, in a fresh conversation on a fresh SQLite file, at the question it answers (consent, who
is typing, the photo question, the read-back, restart's "are you sure?" and "anything else?").
What planbot did (the next question, the question again, an answer saved or deleted) is compared
with the label. ``tests/dialogues/test_plain_answers.py`` asserts every row; this prints figures.
A second set, ``_plain_answers_unseen.toml``, was written apart without looking at the word
lists and is never tuned on: its share is the fair figure for answers planbot has not seen.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.auxil.plain_answers import PlainAnswers


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout too
    from dialogues import Engine
    from planbot.settings import Settings
    from storage import Database
    from tests.auxil.plain_answers import CASES, UNSEEN, PlainAnswers, labelled

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--misses", action="store_true", help="list the answers not understood")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{Path(folder) / 'planbot.sqlite3'}")
        db.migrate()
        settings = Settings.from_env({"PLANBOT_DATA_DIR": folder})
        harness = PlainAnswers(Engine(db, settings))
        for title, path in (
            ("The labelled set (the tests assert every row)", CASES),
            ("The unseen set (written apart; never tuned on)", UNSEEN),
        ):
            print(f"{title}: {path.name}")
            misses = _measure(harness, labelled(path))
            if args.misses:
                for question, row, got in misses:
                    helper = f" helper={got.helper!r}" if got.helper else ""
                    print(
                        f"  {question:<15} {row['text']!r}: wanted {row['means']}, "
                        f"got {got.means}{helper}"
                    )
            print()
        db.dispose()


def _measure(harness: PlainAnswers, found: dict[str, list[dict[str, Any]]]) -> list[Any]:
    """Print the share understood per question; return what was not understood."""
    print(f"  {'question':<15} {'answers':>7} {'understood':>10} {'share':>7}")
    total: Counter[str] = Counter()
    misses = []
    for question, rows in found.items():
        right = 0
        for row in rows:
            got = harness.outcome(question, row["text"])
            if got.matches(question, row):
                right += 1
            else:
                misses.append((question, row, got))
        total["answers"] += len(rows)
        total["right"] += right
        share = right / len(rows) if rows else 0.0
        print(f"  {question:<15} {len(rows):>7} {right:>10} {share:>7.0%}")
    share = total["right"] / total["answers"] if total["answers"] else 0.0
    print(f"  {'all':<15} {total['answers']:>7} {total['right']:>10} {share:>7.0%}")
    return misses


if __name__ == "__main__":
    main()
