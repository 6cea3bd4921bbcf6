"""Domain exceptions of the accounts package."""


class AccountError(Exception):
    """Base class; `message` is safe to show to the user (Chinese)."""

    message = "账号操作失败"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        if message:
            self.message = message


class InvalidCredentials(AccountError):
    message = "用户名或密码不正确"


class AccountLocked(AccountError):
    message = "连续登录失败次数过多，账号已临时锁定，请 15 分钟后再试"


class InvalidUser(AccountError):
    message = "用户信息不完整"
