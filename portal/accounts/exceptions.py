"""Domain exceptions of the accounts package."""


class AccountError(Exception):
    """Base class; `message` is safe to show to the user (Chinese)."""

    message = "账号操作失败"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        if message:
            self.message = message


class LoginFailed(AccountError):
    """Any failed login: unknown user, wrong password, inactive or waiting account. One message
    for all, so the page never tells whether an account exists."""

    message = "用户名或密码错误，或尝试过于频繁，请稍后再试。"


class InvalidUser(AccountError):
    message = "用户信息不完整"
