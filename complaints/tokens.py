"""Signed tracking links for complainants (their own salt and lifetime)."""

from __future__ import annotations

from portal.settings import Settings
from portal.tokens import TokenService


def tracking_tokens(settings: Settings) -> TokenService:
    """A tracking link opens the complaint for whoever holds it, so it lives only as long as the
    complaint needs it (PORTAL_TRACKING_LINK_DAYS: by default the feedback window plus 30 days
    for the answer clock and an extension). After that the complainant looks the complaint up
    by number and phone digits (or access code) again, which issues a fresh link."""
    return TokenService(settings.secret_key, "tracking", settings.tracking_link_days * 24 * 3600)
