"""Accounts: users and roles, passwords, sessions, API keys."""
