"""The supervisors' review of government records (mounted at /gov/records): every office's recent
inspections and penalties, with corrections and withdrawals, filtered by office and date.

Records are reviewable and correctable with a history (issue 18 item 5): civil affairs leads the
comprehensive supervision (苏府办〔2021〕248号 五(一) 民政部门牵头) and can correct or withdraw
any record from the institution's entry page.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from starlette.responses import Response

from portal.endpoints import Ctx, view
from portal.institutions import vocab
from portal.institutions.forms import Filters, ReviewQuery
from portal.institutions.models import Inspection, Institution, Penalty, RecordRevision
from portal.institutions.records import CIVIL_AFFAIRS
from portal.orgs.models import Department

LIMIT = 200


def parse_filters(params: Any, today: date) -> Filters:
    return ReviewQuery(params).filters(today)


@view(roles=CIVIL_AFFAIRS)
def review_page(ctx: Ctx) -> Response:
    tz = ctx.settings.timezone
    today = datetime.now(tz).date()
    filters = parse_filters(ctx.request.query_params, today)
    start = datetime.combine(filters.since, time(), tz)
    end = datetime.combine(filters.until + timedelta(days=1), time(), tz)

    def recent(model: Any) -> list[tuple[Any, Institution]]:
        stmt = (select(model, Institution)
                .join(Institution, Institution.id == model.institution_id)
                .options(joinedload(model.department), joinedload(Institution.district))
                .where(model.recorded_at >= start, model.recorded_at < end)
                .order_by(model.recorded_at.desc(), model.id.desc()).limit(LIMIT))
        if filters.office_id:
            stmt = stmt.where(model.department_id == filters.office_id)
        return [(row, inst) for row, inst in ctx.db.execute(stmt).unique()]

    revisions = select(RecordRevision, Institution).join(
        Institution, Institution.id == RecordRevision.institution_id).options(
        joinedload(RecordRevision.department)).where(
        RecordRevision.at >= start, RecordRevision.at < end).order_by(
        RecordRevision.at.desc(), RecordRevision.id.desc()).limit(LIMIT)
    if filters.office_id:
        revisions = revisions.where(RecordRevision.department_id == filters.office_id)
    return ctx.render(
        "gov/review.html", filters=filters, limit=LIMIT, vocab=vocab,
        offices=list(ctx.db.scalars(select(Department).order_by(Department.name))),
        inspections=recent(Inspection), penalties=recent(Penalty),
        revisions=[(r, i) for r, i in ctx.db.execute(revisions).unique()])
