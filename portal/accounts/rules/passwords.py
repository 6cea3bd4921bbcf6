"""Password hashing (argon2id) and the password rules."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

MIN_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problems(password: str, username: str = "") -> list[str]:
    """Chinese messages for each rule the password breaks; empty when acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"密码至少需要 {MIN_LENGTH} 个字符")
    kinds = sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    if kinds < 3:
        problems.append("密码需包含大写字母、小写字母、数字、符号中的至少三类")
    if username and username.lower() in password.lower():
        problems.append("密码不能包含用户名")
    return problems


# Letters and digits that cannot be mistaken for each other when read out (no 0/O, 1/l/I).
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"


def initial_password(username: str) -> str:
    """A random password that passes the rules, easy to read out: xxxx-xxxx-xxxx. Given to a
    new account (`portal import staff`) or on a reset; its owner must change it at sign-in."""
    while True:
        password = "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4))
                            for _ in range(3))
        if not password_problems(password, username):
            return password


def change_problems(username: str, new: str, again: str, *, current_ok: bool,
                    same_as_current: bool) -> list[str]:
    """Why a password change is refused (Chinese, one message per rule), or []."""
    if not current_ok:
        return ["当前密码不正确"]
    problems = password_problems(new, username)
    if new != again:
        problems.append("两次输入的新密码不一致")
    if same_as_current:
        problems.append("新密码不能与当前密码相同")
    return problems
