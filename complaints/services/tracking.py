"""Tracking a complaint by number + secret, limited per complaint, and the one-time SMS code
that lets such a lookup give feedback (issue 18, item 2).

The secret is short (the last 4 digits of the complainant's phone, or a 6-digit access code),
so guesses are counted on the complaint's own row, in the database: the limit holds from any
number of addresses, in every web process, and while Redis is down. A guess is counted before
it is checked, by a conditional UPDATE that passes only while the complaint is not locked, so
parallel guesses cannot all be checked before the lock falls. `MAX_FAILURES` wrong secrets in a
row lock the lookup by number for `LOCK`; while locked, guesses are refused unchecked and not
counted, with the same message as a wrong secret (the page tells nothing). After the lock one
more wrong secret locks it again; a right one clears the count. The complainant is told once
per run of failures by SMS (if the complaint has a phone). Not from a seed: a 4-digit secret
gets at most 5 + 1 a day guesses, about 50 over a complaint's 45-day tracking life (0.5 %).

A lookup by number + secret shows the status and the answer only. Feedback (which closes or
reopens the complaint) needs the full tracking link (given on filing online and sent with the
answer by SMS) or a 6-digit code sent by SMS to the complaint's phone: valid `CODE_TTL`, tried
at most `CODE_ATTEMPTS` times, stored as an HMAC, used once. Anonymous complaints without a
phone (or with a landline only) give feedback through their link.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import case, literal, null, select, update
from sqlalchemy.orm import Session

from complaints.models import Complaint
from complaints.rules.intake import MOBILE
from complaints.rules.numbers import normalise_number
from complaints.services.events import add_event
from portal.core.db import UTCDateTime
from portal.core.notify import queue_message

MAX_FAILURES = 5
LOCK = timedelta(hours=24)
CODE_TTL = timedelta(minutes=10)
CODE_RESEND = timedelta(minutes=1)  # a new code only a minute after the last
CODE_ATTEMPTS = 5
CODE_DIGITS = 6


def expected_secret(complaint: Complaint) -> str:
    """The last 4 digits of the complainant's phone, else the anonymous access code."""
    return complaint.complainant_phone[-4:] if complaint.complainant_phone else complaint.access_code


def _same(given: str, expected: str) -> bool:
    # Compared as bytes: compare_digest refuses str with non-ASCII characters (a TypeError).
    return bool(given) and bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


class TrackingService:
    def __init__(self, session: Session, secret_key: str, hotline: str) -> None:
        self.db = session
        self._code_key = hmac.new(secret_key.encode(), b"portal.feedback-code",
                                  hashlib.sha256).digest()
        self.hotline = hotline

    # --- lookup by number + secret ---------------------------------------------------------
    def lookup(self, number: str, secret: str, now: datetime) -> Complaint | None:
        """The complaint if the secret is right and its lookup is not locked; else None
        (whatever the reason: unknown number, wrong secret, locked)."""
        number = normalise_number(number)
        complaint = (self.db.scalars(select(Complaint).where(Complaint.tracking_no == number))
                     .first() if number else None)
        if complaint is None or not secret:
            return None
        failures = self._count_guess(complaint.id, now)
        if failures is None:
            return None  # locked: refused unchecked
        if _same(secret.strip(), expected_secret(complaint)):
            self.db.execute(update(Complaint).where(Complaint.id == complaint.id).values(
                track_failures=0, track_locked_until=None)
                .execution_options(synchronize_session=False))
            return complaint
        if failures == MAX_FAILURES:
            self._tell_complainant(complaint, now)
        return None

    def _count_guess(self, complaint_id: int, now: datetime) -> int | None:
        """Count one guess unless the lookup is locked; the guess that reaches MAX_FAILURES
        (and every one after it until a right one) sets the lock. The count, or None."""
        until = literal(now + LOCK, UTCDateTime())
        counted = self.db.execute(
            update(Complaint)
            .where(Complaint.id == complaint_id,
                   (Complaint.track_locked_until.is_(None))
                   | (Complaint.track_locked_until <= literal(now, UTCDateTime())))
            .values(track_failures=Complaint.track_failures + 1,
                    track_locked_until=case(
                        (Complaint.track_failures + 1 >= MAX_FAILURES, until), else_=null()))
            .returning(Complaint.track_failures)
            .execution_options(synchronize_session=False)
        ).first()
        return None if counted is None else int(counted[0])

    def _tell_complainant(self, complaint: Complaint, now: datetime) -> None:
        add_event(self.db, complaint, "tracking_locked", None, public=False, at=now,
                  data={"failures": MAX_FAILURES, "hours": int(LOCK.total_seconds() // 3600)})
        if complaint.complainant_phone:
            queue_message(self.db, complaint.complainant_phone, "tracking_locked",
                          failures=MAX_FAILURES, tracking_no=complaint.tracking_no,
                          hours=int(LOCK.total_seconds() // 3600), hotline=self.hotline)

    # --- the one-time feedback code --------------------------------------------------------
    def _digest(self, complaint_id: int, code: str) -> str:
        return hmac.new(self._code_key, f"{complaint_id}:{code}".encode(),
                        hashlib.sha256).hexdigest()

    def may_send_code(self, complaint: Complaint) -> bool:
        """Only to a mobile number (a landline gets no SMS), only while feedback is due."""
        return complaint.status == "answered" and bool(MOBILE.match(complaint.complainant_phone))

    def send_code(self, complaint: Complaint, now: datetime) -> bool:
        """Send a new code to the complaint's phone (replacing any earlier one); False when it
        may not have one, or one was sent less than CODE_RESEND ago."""
        if not self.may_send_code(complaint):
            return False
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
        resend_after = literal(now + CODE_TTL - CODE_RESEND, UTCDateTime())
        sent = self.db.execute(
            update(Complaint)
            .where(Complaint.id == complaint.id,
                   Complaint.feedback_code_expires_at.is_(None)
                   | (Complaint.feedback_code_expires_at <= resend_after))
            .values(feedback_code_hash=self._digest(complaint.id, code),
                    feedback_code_expires_at=now + CODE_TTL, feedback_code_attempts=0)
            .execution_options(synchronize_session=False))
        if sent.rowcount != 1:
            return False
        minutes = int(CODE_TTL.total_seconds() // 60)
        queue_message(self.db, complaint.complainant_phone, "feedback_code",
                      tracking_no=complaint.tracking_no, code=code, minutes=minutes)
        return True

    def use_code(self, complaint: Complaint, code: str, now: datetime) -> bool:
        """True once for the right code while it is valid; each try is counted first, and a
        code tried CODE_ATTEMPTS times is void."""
        stored = self.db.execute(
            update(Complaint)
            .where(Complaint.id == complaint.id, Complaint.feedback_code_hash != "",
                   Complaint.feedback_code_expires_at > literal(now, UTCDateTime()),
                   Complaint.feedback_code_attempts < CODE_ATTEMPTS)
            .values(feedback_code_attempts=Complaint.feedback_code_attempts + 1)
            .returning(Complaint.feedback_code_hash)
            .execution_options(synchronize_session=False)).first()
        code = (code or "").strip()
        if stored is None or not code.isdigit() or len(code) != CODE_DIGITS:
            return False
        if not hmac.compare_digest(stored[0], self._digest(complaint.id, code)):
            return False
        self.db.execute(update(Complaint).where(Complaint.id == complaint.id).values(
            feedback_code_hash="", feedback_code_expires_at=None, feedback_code_attempts=0)
            .execution_options(synchronize_session=False))
        return True
