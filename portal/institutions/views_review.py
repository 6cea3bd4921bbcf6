"""The supervisors' review of government records (mounted at /gov/records): every office's recent
inspections and penalties, with corrections and withdrawals, filtered by office and date.

Records are reviewable and correctable with a history (issue 18 item 5): civil affairs leads the
comprehensive supervision (苏府办〔2021〕248号 五(一) 民政部门牵头) and can correct or withdraw
any record from the institution's entry page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from starlette.responses import Response

from portal.endpoints import Ctx, view
from portal.formfields import parse_id
from portal.institutions import vocab
from portal.institutions.models import Inspection, Institution, Penalty, RecordRevision
from portal.institutions.records import CIVIL_AFFAIRS
from portal.orgs.models import Department

DEFAULT_DAYS = 30
LIMIT = 200


@dataclass(frozen=True)
class Filters:
    office_id: int | None
    since: date
    until: date
    problems: tuple[str, ...]


def _day(raw: str, fallback: date, problems: list[str], label: str) -> date:
    if not raw:
        return fallback
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.append(f"{label}格式应为年-月-日，已按默认处理")
        return fallback


def parse_filters(params: Any, today: date) -> Filters:
    problems: list[str] = []
    office_raw = params.get("office", "").strip()
    office_id = parse_id(office_raw) if office_raw else None
    if office_raw and office_id is None:
        problems.append("部门选择有误，已显示全部部门")
    since = _day(params.get("since", "").strip(), today - timedelta(days=DEFAULT_DAYS),
                 problems, "起始日期")
    until = _day(params.get("until", "").strip(), today, problems, "截止日期")
    if until < since:
        problems.append("截止日期早于起始日期，已对调")
        since, until = until, since
    return Filters(office_id, since, until, tuple(problems))


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
