"""The import kinds, one line each: `portal import KIND FILE` and `portal import template KIND`
read this table (portal/registry/commands.py). A kind gives its help, its template's sheet
title, its columns (portal/registry/rules/), the columns it reads but does not keep, and the
function that runs it, named as module:function so that building the command line imports only
the (light) rules, not the services."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portal.registry.rules import districts, imports, offices, place_import, staff

if TYPE_CHECKING:
    from portal.registry.services import Outcome


@dataclass(frozen=True)
class Kind:
    help: str
    sheet: str
    columns: tuple[imports.Column, ...]
    not_kept: tuple[str, ...]
    runner: str  # module:function taking (db, path, *, dry_run, valid_only, username)

    def run(self, db: Any, path: Path, **options: Any) -> Outcome:
        module, name = self.runner.split(":")
        run = getattr(importlib.import_module(module), name)
        outcome: Outcome = run(db, path, **options)
        return outcome


KINDS: dict[str, Kind] = {
    "institutions": Kind("institutions, upserted by credit code", "养老机构", imports.COLUMNS,
                         imports.NOT_KEPT, "portal.registry.services:import_institutions"),
    "districts": Kind("districts and their streets/towns, upserted by name", districts.SHEET,
                      districts.COLUMNS, (), "portal.registry.sheets:import_districts"),
    "offices": Kind("department offices, upserted by (type, district)", offices.SHEET,
                    offices.COLUMNS, (), "portal.registry.sheets:import_offices"),
    "places": Kind("unregistered places (未登记/未备案场所), upserted by credit code or by "
                   "district, name and address", place_import.SHEET, place_import.COLUMNS, (),
                   "portal.registry.place_import:import_places"),
    "staff": Kind("staff accounts, upserted by login; a new one gets an initial password",
                  staff.SHEET, staff.COLUMNS, staff.NOT_KEPT, "portal.registry.sheets:import_staff"),
}
