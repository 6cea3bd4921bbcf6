"""The kinds of registry import, by code: `portal import KIND FILE`, `portal import template
KIND`, the back office's upload and its templates all read this table. One line per kind: add
yours here.

- Streamed kinds (portal/registry/services/running.py: Kind): the institutions and the
  government records (grades, inspections, penalties, credit), checked and written a chunk at a
  time, each row written kept with its before-values, so the import can be rolled back.
- Whole-file kinds (running.py: WholeKind): districts and streets, offices, unregistered places
  and staff accounts, hundreds of rows read whole by their runner (portal/registry/sheets.py,
  place_import.py). Their imports are recorded and listed too, but cannot be rolled back: they
  keep no before-values (rules/rollback.py says so on the page).
"""

from __future__ import annotations

from portal.registry.rules import districts, offices, place_import, staff
from portal.registry.services import institutions, records
from portal.registry.services.running import AnyKind, WholeKind

KINDS: dict[str, AnyKind] = {kind.code: kind for kind in (
    institutions.KIND,
    records.GRADES,
    records.INSPECTIONS,
    records.PENALTIES,
    records.CREDIT,
    WholeKind("districts", "区县和乡镇（街道）", districts.SHEET, districts.COLUMNS, (),
              "portal.registry.sheets:import_districts"),
    WholeKind("offices", "部门", offices.SHEET, offices.COLUMNS, (),
              "portal.registry.sheets:import_offices"),
    WholeKind("places", "未登记场所", place_import.SHEET, place_import.COLUMNS, (),
              "portal.registry.place_import:import_places"),
    WholeKind("staff", "工作人员账号", staff.SHEET, staff.COLUMNS, staff.NOT_KEPT,
              "portal.registry.sheets:import_staff"),
)}

# Imported on the command line only: a new account's initial password is shown once, on the
# terminal (portal/registry/sheets.py), never kept in an import's report.
CLI_ONLY = frozenset({"staff"})
UPLOADABLE: dict[str, AnyKind] = {code: kind for code, kind in KINDS.items()
                                  if code not in CLI_ONLY}


def undoable(code: str) -> bool:
    """Whether imports of this kind keep their before-values (and may be rolled back)."""
    return not isinstance(KINDS.get(code), WholeKind)
