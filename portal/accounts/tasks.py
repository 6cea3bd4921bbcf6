"""Background tasks of the accounts package."""

from __future__ import annotations

from portal.accounts.models import User
from portal.core.db import session_scope
from portal.core.jobs import task
from portal.core.notify import queue_notification
from portal.core.settings import get_settings


@task
def send_welcome(user_id: int) -> None:
    """Tell a new staff user by e-mail that the account exists (once per user)."""
    settings = get_settings()
    with session_scope(settings.database_url) as session:
        user = session.get(User, user_id)
        if user is None or not user.email:
            return
        queue_notification(
            session,
            "email",
            user.email,
            f"{settings.city_name}养老服务监督公开平台账号已开通",
            f"{user.display_name}：您的账号 {user.username} 已开通，请使用管理员告知的初始密码登录并及时修改。",
        )
