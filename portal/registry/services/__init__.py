"""Registry imports: reading files (files), running an import of a kind (running), the kinds'
own checks and writes (institutions, records), and the imports table: upload, background run,
progress and rollback (history)."""

from portal.registry.services.files import ImportFileError, decode, read_table, write_report
from portal.registry.services.institutions import import_institutions

__all__ = ["ImportFileError", "decode", "import_institutions", "read_table", "write_report"]
