"""Signed tracking links for complainants (their own salt and lifetime)."""

from __future__ import annotations

from portal.core.settings import Settings
from portal.core.tokens import TokenService

STATUS_LINK_SECONDS = 24 * 3600  # a status link (lookup by number + secret) lasts a day


def tracking_tokens(settings: Settings) -> TokenService:
    """A tracking link opens the complaint for whoever holds it, so it lives only as long as the
    complaint needs it (PORTAL_TRACKING_LINK_DAYS: by default the feedback window plus 30 days
    for the answer clock and an extension). It is shown after filing online and sent by SMS
    with the answer. After that the complainant looks the complaint up by number and phone
    digits (or access code), which gives a status link (`status_tokens`)."""
    return TokenService(settings.secret_key, "tracking", settings.tracking_link_days * 24 * 3600)


def status_tokens(settings: Settings) -> TokenService:
    """The link a lookup by number + secret gives: it shows the complaint's status and answer
    but cannot give feedback without a one-time SMS code (complaints/services/tracking.py), since the
    secret is only 4 digits of a phone number. A day is enough to read it and use a code."""
    return TokenService(settings.secret_key, "tracking.status", STATUS_LINK_SECONDS)


def tracking_link(settings: Settings, complaint_id: int) -> str:
    """The complainant's full tracking link (view and feedback) as sent by SMS."""
    token = tracking_tokens(settings).dumps(str(complaint_id))
    return f"{settings.base_url}/complaints/t/{token}"
