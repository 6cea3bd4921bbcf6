"""Background jobs of the registry: running an uploaded import (recorded with the upload, in
the outbox, so it runs once after the commit and again if its worker died)."""

from __future__ import annotations

from portal.core.jobs import task
from portal.registry.services.jobs import run


@task
def run_import(import_id: int) -> str:
    return run(import_id)
