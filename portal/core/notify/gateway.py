"""SMS gateways: what a provider is sent (`SmsMessage`), how it fails (`DeliveryError`), and
the gateways are `portal.core.notify.tencent` and `.signed_http`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

_NOT_DIGIT = re.compile(r"\D")


class DeliveryError(Exception):
    """A message not delivered. `permanent`: trying again cannot help (a bad number, a template
    the provider does not know, a refused signature); otherwise it is retried with backoff."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class SmsMessage:
    reference: str  # the same on every retry of one message ("n" + notification id)
    phone: str
    kind: str
    template_code: str
    params: dict[str, str]
    text: str  # the rendered body (portal/core/notify/messages.py)

    @property
    def e164(self) -> str:
        """+86 and the 11 digits of a mainland mobile; anything else cannot take an SMS."""
        digits = _NOT_DIGIT.sub("", self.phone)
        if len(digits) == 13 and digits.startswith("86"):
            digits = digits[2:]
        if not (len(digits) == 11 and digits.startswith("1")):
            raise DeliveryError("not a mainland mobile number", permanent=True)
        return "+86" + digits


class SmsGateway(Protocol):
    name: str
    needs_template: bool  # True: a message without an approved template code cannot go

    def send_sms(self, message: SmsMessage) -> str:
        """Send; return the provider's message id, or raise DeliveryError."""
        ...

