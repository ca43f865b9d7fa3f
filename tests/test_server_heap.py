"""settle_heap: what a server process does once its app is built."""

from __future__ import annotations

import gc

from emulator import create_app
from emulator.server import settle_heap


def test_settle_heap_freezes_the_built_app_out_of_the_collector() -> None:
    app = create_app()
    try:
        settle_heap()
        assert gc.get_freeze_count() > 0
        assert all(obj is not app for obj in gc.get_objects(generation=2))  # in the permanent generation
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
