"""The kinds of registry import, by code: `portal import KIND FILE`, the back office's upload
and its templates all read this table. A kind is its columns plus how its rows are checked and
written (portal/registry/services/running.py: Kind). One line per kind: add yours here."""

from __future__ import annotations

from portal.registry.services import institutions, records
from portal.registry.services.running import Kind

KINDS: dict[str, Kind] = {kind.code: kind for kind in (
    institutions.KIND,
    records.GRADES,
    records.INSPECTIONS,
    records.PENALTIES,
    records.CREDIT,
)}
