"""The garbage collector's policy for a long-running venue process.

CPython's full collection walks every object it tracks. A serving process holds a few
million of them (the schema, the engine's orders and recent history, the simulations), and
a full collection then stopped the event loop for about 175 ms, several times a minute
under load: the tail of every request latency. Once the process has started, what it
built is frozen out of the collector's sight (it lives as long as the process, and is
freed by reference counting when it is not), and young collections run less often.
Processes started by tests that build many apps in one interpreter do not call this.
"""

from __future__ import annotations

import gc

# Allocations between young collections (CPython's default is 700): a request allocates
# thousands of short-lived objects, freed by reference counting, not by the collector.
YOUNG_GENERATION_THRESHOLD = 50_000


def settle_after_start() -> None:
    gc.collect()  # start-up garbage is freed, not frozen
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, oldest)
