"""A serving process hides what it built at start from the collector's full walks."""

from __future__ import annotations

import gc

from engine.gc_policy import YOUNG_GENERATION_THRESHOLD, settle_after_start


def test_settling_freezes_the_start_up_objects_and_spaces_young_collections() -> None:
    threshold = gc.get_threshold()
    built_at_start = [[n] for n in range(1_000)]  # tracked containers, like the engine's
    try:
        settle_after_start()
        assert gc.get_freeze_count() >= len(built_at_start)
        assert gc.get_threshold()[0] == YOUNG_GENERATION_THRESHOLD
        assert gc.get_threshold()[1:] == threshold[1:]
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
