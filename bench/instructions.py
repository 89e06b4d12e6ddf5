"""Instructions per message through ``Engine.handle()``: a figure that a busy machine does not
move, for comparing two trees of planbot side by side.

Run under callgrind, twice per tree, and take the difference (start-up and imports cancel):

    valgrind --tool=callgrind --callgrind-out-file=/tmp/a.100 \\
        .venv/bin/python bench/instructions.py TREE 100
    valgrind --tool=callgrind --callgrind-out-file=/tmp/a.400 \\
        .venv/bin/python bench/instructions.py TREE 400
    # (Collected of .400 - Collected of .100) / 300 = instructions per message

TREE is a checkout (a ``git worktree`` of the commit to measure); the run is
``bench/engine.py``'s interleaved one, 100 conversations on SQLite in a temporary folder.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path


def main() -> None:
    tree, messages = Path(sys.argv[1]).resolve(), int(sys.argv[2])
    sys.path[:0] = [str(tree), str(tree / "bench")]
    import engine as bench  # that tree's bench/engine.py

    with tempfile.TemporaryDirectory() as folder:
        engine = bench.make_engine(Path(folder))
        bench.warm_up(engine)
        result = bench.run_interleaved(engine, 100, messages)
        engine.db.dispose()
    print(result.row())


if __name__ == "__main__":
    main()
