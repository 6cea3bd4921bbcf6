"""Background jobs of the registry: running an uploaded import (recorded with the upload, in
the outbox, so it runs once after the commit and again if its worker died)."""

from __future__ import annotations

from portal.core.jobs import task


@task
def run_import(import_id: int) -> str:
    from portal.registry.services.history import run

    return run(import_id)
