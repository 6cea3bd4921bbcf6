"""Open-day sign-ups as the public makes them: the form, then the code from the SMS."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.core.db import utcnow
from portal.core.notify import Notification
from portal.opendays.models import OpenDay, Signup
from portal.opendays.services.events import OpenDayService, SignupInput

CODE_SUBJECT = "开放日报名验证码"
CODE_RE = re.compile(r"验证码 (\d{6})")


def sms_code(db: Session, phone: str) -> str:
    """The code in the latest code SMS queued for `phone` (what the phone's owner reads)."""
    body = db.scalars(select(Notification.body).where(
        Notification.recipient == phone, Notification.subject == CODE_SUBJECT,
    ).order_by(Notification.id.desc()).limit(1)).one()
    return CODE_RE.search(body).group(1)


def confirmed_signup(service: OpenDayService, open_day_id: int, inp: SignupInput,
                     now: datetime | None = None) -> Signup:
    """Sign up and confirm with the SMS code, through the service (flushed, not committed)."""
    now = now or utcnow()
    signup = service.sign_up(open_day_id, inp, now=now)
    token = service.cancel_tokens.dumps(str(signup.id))
    return service.confirm(token, sms_code(service.db, signup.phone), now=now)


def scheduled_open_day(db: Session) -> OpenDay:
    """An open day five days ahead with places left, at a new institution (committed)."""
    from factories import institution

    now = utcnow()
    row = OpenDay(institution_id=institution(db).id, title="走进颐养院",
                  starts_at=now + timedelta(days=5), ends_at=now + timedelta(days=5, hours=3),
                  signup_deadline=now + timedelta(days=4), place="一楼大厅", capacity=10,
                  seats_taken=0, status="scheduled")
    db.add(row)
    db.commit()
    return row
