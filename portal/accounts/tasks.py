"""Background tasks of the accounts package."""

from __future__ import annotations

from portal.accounts.models import User
from portal.core.db import session_scope
from portal.core.jobs import task
from portal.core.notify import queue_message
from portal.core.settings import get_settings


@task
def send_welcome(user_id: int) -> None:
    """Tell a new staff user by e-mail that the account exists (once per user)."""
    settings = get_settings()
    with session_scope(settings.database_url) as session:
        user = session.get(User, user_id)
        if user is None or not user.email:
            return
        queue_message(session, user.email, "account_welcome", city=settings.city_name,
                      display_name=user.display_name, username=user.username)
