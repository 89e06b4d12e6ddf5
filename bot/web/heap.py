"""A serving worker's heap, once it has started: what start-up made is set aside from Python's
cycle collector, and the collector looks at new objects less often.

Why: a worker holds a large heap that never changes after start-up (FastAPI, SQLAlchemy, the
renderers' libraries), and each text leaves a few objects in cycles (a database session, its
transaction) that only the collector frees. With Python's defaults the collector ran about
every 14 texts and, now and then, walked the whole start-up heap: about 40 µs of every text
on average, and a pause of 30 to 160 ms each time it walked everything (``planbot serve``
under ``bench/sms_load.py``, timed with ``gc.callbacks``). Frozen, start-up's objects are
never walked again; a young generation of 20,000 objects is collected about 30 times less
often, and holds a few megabytes more at most.

Only ``planbot serve`` does this (``app_from_env``): a test process or a script keeps the
defaults, so ``gc.collect()`` there still frees what it always did.
"""

from __future__ import annotations

import gc

YOUNG = 20_000  # new container objects between collections (Python's default: 700)
OLDER = 20  # collections of one generation before the next older one is collected (10)


def settle() -> None:
    """Call once the worker has started and warmed up: collect, freeze, collect less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG, OLDER, OLDER)
