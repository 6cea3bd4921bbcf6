"""Start-up: what the app builds once is kept out of the cyclic collector's full collections."""

from __future__ import annotations

import gc


def test_startup_objects_are_frozen_out_of_the_collector(client):
    assert client.get("/healthz").status_code == 200
    # Modules, templates and routes: hundreds of thousands of objects a full collection would
    # otherwise walk with the GIL held.
    assert gc.get_freeze_count() > 10_000
