"""Pure business rules: no database, no request; tested as functions."""
