"""Signed tracking links for complainants (their own salt and lifetime)."""

from __future__ import annotations

from portal.settings import Settings
from portal.tokens import TokenService

TRACKING_MAX_AGE = 3 * 365 * 24 * 3600


def tracking_tokens(settings: Settings) -> TokenService:
    return TokenService(settings.secret_key, "tracking", TRACKING_MAX_AGE)
