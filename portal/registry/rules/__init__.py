"""Pure rules of the registry imports: each cell's value (cells), each row and the report (imports)."""
