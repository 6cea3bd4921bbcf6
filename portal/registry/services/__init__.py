"""Registry imports: reading files (files), running an import of a kind (running), the kinds'
own checks and writes (institutions, records; the whole-file kinds' are portal/registry/sheets.py
and place_import.py), and the imports table: upload, background run, progress and rollback
(history, jobs). What the rest of the registry uses is re-exported here."""

from portal.registry.services.files import ImportFileError, decode, read_table, write_report
from portal.registry.services.institutions import import_institutions, places
from portal.registry.services.running import Outcome
from portal.registry.services.running import actor_of as importer

__all__ = ["ImportFileError", "Outcome", "decode", "import_institutions", "importer", "places",
           "read_table", "write_report"]
