"""The trigger-kept queue counts (migration 0010) against the complaints themselves, on SQLite
and PostgreSQL: through the handling services, bulk SQL, deletes and folds."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import delete, func, select, update

from complaints.models import CoHandling, Complaint, ComplaintEvent, QueueCount
from complaints.rules.intake import ComplaintInput
from complaints.services.filing import build_services
from complaints.services.queue_counts import office_counts
from complaints.services.queues import tab_counts
from portal.accounts.rules.roles import Role
from portal.core.settings import get_settings
from portal.core.signed_counts import fold as fold_counts

from consistency import counted_queues
from factories import department, district, institution, user


def kept(db, offices) -> Counter:
    counts: Counter = Counter()
    for office in offices:
        for bucket, n in office_counts(db, office.id).items():
            if n:
                counts[(office.id, bucket)] = n
    return counts


def city(db):
    d = district(db, name="南湖区")
    offices = {
        "ca": department(db, "civil_affairs", d),
        "mr": department(db, "market_regulation", d),
        "ps": department(db, "public_security"),
        "ca_city": department(db, "civil_affairs"),
    }
    inst = institution(db, district_=d, name="南湖康乐老年公寓")
    staff = {key: user(db, Role.DEPARTMENT, department_id=office.id)
             for key, office in offices.items() if key != "ca_city"}
    staff["sup"] = user(db, Role.SUPERVISOR, department_id=offices["ca_city"].id)
    db.commit()
    return offices, inst, staff


def file(db, inst, category="elder_abuse") -> Complaint:
    intake, _ = build_services(db, get_settings())
    complaint, _ = intake.submit(ComplaintInput(
        channel="web", category_code=category, description="护工推搡老人，老人身上有淤青",
        institution_id=inst.id, complainant_name="李四", complainant_phone="13712345678"))
    db.commit()
    return complaint


def test_counts_follow_every_change_of_a_complaint_and_survive_folds(db):
    offices, inst, staff = city(db)
    everyone = list(offices.values())

    def check() -> None:
        db.commit()
        assert kept(db, everyone) == counted_queues(db)

    complaints = [file(db, inst) for _ in range(4)] + [file(db, inst, "service_quality")]
    check()
    _, handling = build_services(db, get_settings())
    a, b, c, d, e = complaints
    assert tab_counts(db, offices["ps"].id)["co"] == 4  # elder abuse: public security co-handles
    handling.sign(staff["ca"], a)
    handling.request_co_handling(staff["ca"], a, offices["mr"].id)
    check()
    handling.co_reply(staff["mr"], a, "已核查该机构食品安全情况")
    check()
    handling.answer(staff["ca"], a, "经核查，已责令机构辞退涉事护工，并对全体护理员开展培训。",
                    "substantiated")
    check()  # answered: the unreplied request to public security is settled
    assert tab_counts(db, offices["ps"].id)["co"] == 3
    assert fold_counts(db, "queue_counts") <= len(counted_queues(db))
    check()
    handling.complainant_feedback(a, "unsatisfied", "仍有打骂")
    check()  # reopened: pending again, and back in the assigned tab
    assert tab_counts(db, offices["ps"].id)["co"] == 4
    handling.return_misrouted(staff["ca"], b, "不属于本部门职责")
    handling.reassign(staff["sup"], c, offices["mr"].id, "属于市场监管")
    check()
    handling.sign(staff["ca"], d)
    handling.answer(staff["ca"], d, "经核查，已责令机构辞退涉事护工，并对全体护理员开展培训。",
                    "substantiated")
    handling.complainant_feedback(d, "satisfied")
    check()
    assert tab_counts(db, offices["ca"].id)["answered"] == 1  # closed counts as answered

    # Writes that no service makes: a bulk update, a moved request, deletes.
    db.execute(update(Complaint).where(Complaint.id.in_([b.id, e.id])).values(status="closed"))
    db.execute(update(CoHandling).where(CoHandling.department_id == offices["ps"].id)
               .values(department_id=offices["ca_city"].id))
    check()
    db.execute(update(Complaint).where(Complaint.id == e.id).values(status="closed"))  # no move
    db.execute(delete(CoHandling).where(CoHandling.complaint_id == a.id))
    db.execute(delete(ComplaintEvent).where(ComplaintEvent.complaint_id == a.id))
    db.execute(delete(Complaint).where(Complaint.id == a.id))
    check()
    before = db.scalar(select(func.count()).select_from(QueueCount))
    left = fold_counts(db, "queue_counts")
    check()
    assert left == len(counted_queues(db)) < before  # one row per office and bucket, no noughts
    assert fold_counts(db, "queue_counts") == left  # nothing to fold
    check()


def test_a_fold_keeps_rows_written_after_it_and_repeats_harmlessly(db):
    offices, inst, staff = city(db)
    for _ in range(3):
        file(db, inst)
    fold_counts(db, "queue_counts")
    db.commit()
    file(db, inst)  # one more row for the folded group
    assert db.scalar(select(func.count()).select_from(QueueCount)
                     .where(QueueCount.office_id == offices["ca"].id)) == 2
    assert tab_counts(db, offices["ca"].id)["assigned"] == 4
    fold_counts(db, "queue_counts")
    fold_counts(db, "queue_counts")
    db.commit()
    assert sorted(tuple(r) for r in db.execute(
        select(QueueCount.office_id, QueueCount.bucket, QueueCount.n))) == [
        (offices["ca"].id, "assigned", 4), (offices["ps"].id, "co", 4)]


def test_the_fold_job_is_scheduled_and_folds(db):
    from portal.core.signed_counts import fold_signed_counts
    from portal.cron import RECURRING

    assert any(func is fold_signed_counts for func, _, _ in RECURRING)
    offices, inst, staff = city(db)
    for _ in range(3):
        file(db, inst)
    assert fold_signed_counts()["queue_counts"] == 2  # the assigned and co rows, one each
    db.expire_all()
    assert kept(db, offices.values()) == counted_queues(db)


def test_the_migration_counts_the_complaints_already_there_and_downgrades(db, env):
    from alembic import command

    from portal.core.migrate import alembic_config, upgrade

    offices, inst, staff = city(db)
    complaints = [file(db, inst) for _ in range(3)]
    _, handling = build_services(db, get_settings())
    handling.sign(staff["ca"], complaints[0])
    handling.answer(staff["ca"], complaints[0],
                    "经核查，已责令机构辞退涉事护工，并对全体护理员开展培训。",
                    "substantiated")
    db.commit()
    expected = counted_queues(db)
    db.close()
    command.downgrade(alembic_config(env), "0009")
    with db.get_bind().connect() as conn:
        conn.exec_driver_sql("UPDATE complaints SET status = 'signed' WHERE status = 'assigned'")
        conn.commit()
    expected = Counter({(office, "signed" if bucket == "assigned" else bucket): n
                        for (office, bucket), n in expected.items()})
    upgrade(env)
    assert kept(db, offices.values()) == expected == counted_queues(db)


def test_a_fold_beside_an_uncommitted_filing_loses_nothing(db, env):
    """PostgreSQL runs filings and the fold at once (on SQLite the fold waits for the writer's
    turn): a filing's row not yet committed when the fold deletes is neither summed nor lost."""
    from portal.core.db import session_factory

    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: the fold would wait for the filing")
    offices, inst, staff = city(db)
    for _ in range(2):
        file(db, inst)
    filing = session_factory(env)()
    try:
        intake, _ = build_services(filing, get_settings())
        intake.submit(ComplaintInput(
            channel="web", category_code="elder_abuse", description="护工推搡老人，老人身上有淤青",
            institution_id=inst.id, complainant_name="李四", complainant_phone="13712345678"))
        filing.flush()  # its queue rows are written, not committed
        fold_counts(db, "queue_counts")
        db.commit()
        filing.commit()
    finally:
        filing.close()
    assert tab_counts(db, offices["ca"].id)["assigned"] == 3
    assert kept(db, offices.values()) == counted_queues(db)
