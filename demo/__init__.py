"""Deterministic demo data: a whole city of institutions, offices and staff accounts."""
