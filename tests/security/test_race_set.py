"""The race set: public forms posted five times at the same moment, over HTTP, by real threads
against a real database (SQLite and PostgreSQL), as a double-clicking browser or a script does.
Each must do its work once. The counts are printed, so the suite's output shows them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from portal.core.db import utcnow
from portal.core.notify import Notification
from portal.opendays.models import OpenDay, Signup

from factories import institution
from support import at_once, csrf_token

POSTS = 5


def race_posts(client, path: str, data: dict[str, str]) -> list:
    """POSTS threads send the same form through one browser (its cookies) at once; each
    answer's status code, or the exception raised."""
    return at_once(POSTS, lambda go: (go(), client.post(path, data=data,
                                                        follow_redirects=False).status_code)[1])


def test_the_open_day_sign_up_posted_five_times_at_once_signs_up_once(client, db, capsys):
    now = utcnow()
    event = OpenDay(institution_id=institution(db).id, title="竞速开放日",
                    starts_at=now + timedelta(days=5), ends_at=now + timedelta(days=5, hours=2),
                    signup_deadline=now + timedelta(days=4), place="大厅", capacity=10,
                    seats_taken=0, status="scheduled")
    db.add(event)
    db.commit()
    path = f"/opendays/{event.id}/signup"
    data = {"csrf_token": csrf_token(client, f"/opendays/{event.id}"), "name": "竞速者",
            "phone": "13712340000", "identity": "公众", "party_size": "2"}
    answers = race_posts(client, path, data)
    db.expire_all()
    signups = db.scalar(select(func.count()).select_from(Signup).where(
        Signup.open_day_id == event.id))
    seats = db.get(OpenDay, event.id).seats_taken
    codes = db.scalar(select(func.count()).select_from(Notification).where(
        Notification.recipient == "13712340000"))
    with capsys.disabled():
        print(f"\n[race set] open-day sign-up posted {POSTS}x at once: answers {sorted(map(str, answers))}, "
              f"sign-ups {signups}, seats taken {seats} of {event.capacity}, code SMS {codes}")
    assert all(a == 303 for a in answers), answers  # each post is sent to the one sign-up
    assert (signups, seats, codes) == (1, 2, 1)
