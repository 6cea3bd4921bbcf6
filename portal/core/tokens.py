"""Signed tokens: one itsdangerous signer per purpose, each with its own salt and lifetime."""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner


class TokenInvalid(Exception):
    """A token was tampered with, malformed or expired."""


class TokenService:
    def __init__(self, secret_key: str, purpose: str, max_age: int) -> None:
        self._signer = TimestampSigner(secret_key, salt=f"portal.{purpose}")
        self.max_age = max_age

    def dumps(self, value: str) -> str:
        return self._signer.sign(value).decode()

    def loads(self, token: str) -> str:
        try:
            return self._signer.unsign(token, max_age=self.max_age).decode()
        except (SignatureExpired, BadSignature) as exc:
            raise TokenInvalid(str(exc)) from exc
