"""Institutions and what is disclosed about them (SPEC §2)."""
