"""Government entry pages (mounted at /gov): find an institution, then record its grades,
inspections (and rectification), penalties (and their status), red/black-list entries and the
履约评价 of the credit commitment (with the credit blockers that keep it off the red list).

Every change shows on the public page at once; the services in `records` check who may do what
(the office's reach and duties: portal/institutions/rules/jurisdiction.py), and a refused attempt is
audited. Inspections and penalties can be corrected or withdrawn with a history
(portal/institutions/services/corrections.py); supervisors review every office's recent records at
/gov/records (views_review.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from portal.accounts.rules.roles import Role
from portal.core.endpoints import Ctx, view
from portal.core.security import csp_with_images_from
from portal.institutions import vocab
from portal.institutions.forms import SearchQuery
from portal.institutions.models import (
    CreditEntry,
    FulfilmentAssessment,
    Grade,
    Inspection,
    Institution,
    Penalty,
    RecordRevision,
)
from portal.institutions.rules.credit import FULFILMENT_RESULTS
from portal.institutions.rules.geo import in_datum, point_or_none
from portal.institutions.services import corrections, location, reach, records, records_credit
from portal.institutions.services.credit_status import credit_status
from portal.institutions.services.queries import InstitutionQueries
from portal.institutions.services.records import (
    CIVIL_AFFAIRS,
    RECORDERS,
    InvalidRecord,
    NotAllowed,
)
from portal.institutions.views.review import review_page
from portal.orgs.models import Department

SAVED = {
    "grade": "已录入等级评定，已在机构公开页面显示。",
    "inspection": "已录入检查结果，已在机构公开页面显示。",
    "rectification": "已更新整改情况。",
    "penalty": "已录入行政处罚，已在机构公开页面显示。",
    "penalty_status": "已更新处罚执行状态。",
    "credit": "已录入名单信息，已在机构公开页面显示。",
    "credit_update": "已更新名单的移出和信用修复情况。",
    "assessment": "已录入信用承诺履约评价，已在机构公开页面显示。",
    "inspection_correct": "已更正检查记录，原记录保留在更正历史中。",
    "penalty_correct": "已更正处罚记录，原记录保留在更正历史中。",
    "inspection_withdraw": "已撤销检查记录，公开页面不再显示，并注明撤销情况。",
    "penalty_withdraw": "已撤销处罚记录，公开页面不再显示，并注明撤销情况。",
    "location": "已保存机构位置，公众按距离查找机构时使用。",
}
ANCHORS = {"grade": "grade", "inspection": "inspection", "rectification": "inspection",
           "penalty": "penalty", "penalty_status": "penalty", "credit": "credit",
           "credit_update": "credit", "assessment": "assessment",
           "inspection_correct": "inspection", "penalty_correct": "penalty",
           "inspection_withdraw": "revision", "penalty_withdraw": "revision",
           "location": "location"}


def _today(ctx: Ctx) -> date:
    return datetime.now(ctx.settings.timezone).date()


def age_label(awarded_on: date, today: date) -> str:
    """How old a grade is: '3 年 2 个月前' / '5 个月前' / '本月'."""
    months = (today.year - awarded_on.year) * 12 + (today.month - awarded_on.month)
    if today.day < awarded_on.day:
        months -= 1
    if months <= 0:
        return "不足 1 个月"
    years, rest = divmod(months, 12)
    if years and rest:
        return f"{years} 年 {rest} 个月前"
    return f"{years} 年前" if years else f"{rest} 个月前"


@view(roles=RECORDERS)
def search_page(ctx: Ctx) -> Response:
    q = SearchQuery(ctx.request.query_params).q.data
    matches = (InstitutionQueries(ctx.db).picker_choices(q, index_dir=ctx.settings.index_dir)
               if q else [])
    dept = ctx.user.department if ctx.user.role_enum == Role.DEPARTMENT else None
    # A district office records only for its own district (jurisdiction.py); others are marked.
    own_district = dept.district.name if dept is not None and dept.district is not None else ""
    return ctx.render("gov/index.html", q=q, matches=matches, own_district=own_district)


def _page(ctx: Ctx, institution_id: int, status: int = 200,
          errors: dict[str, dict[str, str]] | None = None,
          values: dict[str, dict[str, str]] | None = None, notice: str = "") -> Response:
    inst = InstitutionQueries(ctx.db).get(institution_id)
    if inst is None:
        raise HTTPException(404, "没有这家机构，可能编号有误或已注销。")
    assert ctx.user is not None
    today = _today(ctx)

    def rows(model: Any, *order: Any) -> list[Any]:
        return list(ctx.db.scalars(
            select(model).where(model.institution_id == inst.id).order_by(*order)))

    grades = rows(Grade, Grade.awarded_on.desc(), Grade.id.desc())
    inspections = rows(Inspection, Inspection.inspected_on.desc(), Inspection.id.desc())
    penalties = rows(Penalty, Penalty.decided_on.desc(), Penalty.id.desc())
    values = dict(values or {})
    for kind, found in (("inspection", inspections), ("penalty", penalties)):
        for row in found:  # the correction forms start from the current version
            values.setdefault(f"{kind}_correct-{row.id}", {
                k: "" if v is None else str(v) for k, v in corrections.snapshot(row).items()})
    civil = ctx.user.role_enum in CIVIL_AFFAIRS
    settings = ctx.settings
    stored = point_or_none(inst.latitude, inst.longitude)
    values.setdefault("location", {"lat": "" if stored is None else str(stored.lat),
                                   "lng": "" if stored is None else str(stored.lng)})
    if civil:
        departments = list(ctx.db.scalars(select(Department).order_by(Department.id)))
    else:
        departments = [d for d in [ctx.user.department] if d is not None]
    response = ctx.render(
        "gov/institution.html", status_code=status, inst=inst, today=today, vocab=vocab,
        picker=bool(civil and settings.map_tiles), map_datum=settings.map_datum,
        # Where the picker's map opens: the stored point, in the tiles' datum.
        picker_at=in_datum(stored, settings.map_datum) if stored is not None else None,
        grades=[(g, age_label(g.awarded_on, today)) for g in grades],
        inspections=inspections, penalties=penalties,
        credit=rows(CreditEntry, CreditEntry.listed_on.desc(), CreditEntry.id.desc()),
        assessments=rows(FulfilmentAssessment, FulfilmentAssessment.assessed_on.desc(),
                         FulfilmentAssessment.id.desc()),
        results=FULFILMENT_RESULTS,
        credit_status=credit_status(ctx.db, inst.id, today, ctx.settings.credit_lookback_days,
                                    ctx.settings.timezone),
        departments=departments, civil=civil, own_department_id=ctx.user.department_id,
        may=reach.decisions(ctx.db, ctx.user, inst, today),
        field_labels=corrections.FIELD_LABELS,
        revisions=list(ctx.db.scalars(
            select(RecordRevision).where(RecordRevision.institution_id == inst.id)
            .order_by(RecordRevision.at.desc(), RecordRevision.id.desc()))),
        errors=errors or {}, values=values,
        saved=SAVED.get(ctx.request.query_params.get("saved", ""), ""), notice=notice,
    )
    if civil and settings.map_tiles:
        response.headers["content-security-policy"] = csp_with_images_from(settings.map_origin)
    return response


@view(roles=RECORDERS)
def institution_page(ctx: Ctx) -> Response:
    return _page(ctx, ctx.request.path_params["institution_id"])


def _form_values(ctx: Ctx) -> dict[str, str]:
    return {k: v.strip() for k, v in ctx.form.items() if isinstance(v, str) and k != "csrf_token"}


def _action(
    key: str,
    service: Callable[..., Any],
    param: str,
    institution_of: Callable[[Ctx, int], int | None],
) -> Callable[[Any], Any]:
    """A POST endpoint: run `service`, commit, and go back to the institution's entry page."""

    def handler(ctx: Ctx) -> Response:
        assert ctx.user is not None
        object_id = ctx.request.path_params[param]
        institution_id = institution_of(ctx, object_id)
        if institution_id is None:
            raise HTTPException(404, "没有这条记录")
        values = _form_values(ctx)
        form_key = key if param == "institution_id" else f"{key}-{object_id}"
        try:
            row = service(ctx.db, ctx.user, object_id, values, _today(ctx))
        except InvalidRecord as exc:
            ctx.db.rollback()
            return _page(ctx, institution_id, 400, errors={form_key: exc.errors},
                         values={form_key: values})
        except NotAllowed as exc:
            ctx.db.rollback()
            reach.note_refusal(ctx.db, ctx.user, key, institution_id, exc.message)
            ctx.db.commit()
            raise HTTPException(exc.status, exc.message) from None
        ctx.db.commit()
        url = ctx.url("gov:institution", institution_id=institution_id)
        return ctx.redirect(f"{url}?saved={key}#{ANCHORS[key]}-{row.id}")

    handler.__name__ = f"post_{key}"
    handler.__qualname__ = handler.__name__
    return view(roles=RECORDERS)(handler)


def _same(ctx: Ctx, institution_id: int) -> int | None:
    return institution_id if ctx.db.get(Institution, institution_id) is not None else None


def _owner(model: Any) -> Callable[[Ctx, int], int | None]:
    def find(ctx: Ctx, object_id: int) -> int | None:
        return ctx.db.scalar(select(model.institution_id).where(model.id == object_id))

    return find


post_grade = _action("grade", records.record_grade, "institution_id", _same)
post_inspection = _action("inspection", records.record_inspection, "institution_id", _same)
post_rectification = _action("rectification", records.update_rectification, "inspection_id",
                             _owner(Inspection))
post_penalty = _action("penalty", records.record_penalty, "institution_id", _same)
post_penalty_status = _action("penalty_status", records.update_penalty_status, "penalty_id",
                              _owner(Penalty))
post_credit = _action("credit", records_credit.record_credit_entry, "institution_id", _same)
post_assessment = _action("assessment", records_credit.record_assessment, "institution_id", _same)
post_inspection_correct = _action("inspection_correct", corrections.correct_inspection,
                                  "inspection_id", _owner(Inspection))
post_inspection_withdraw = _action("inspection_withdraw", corrections.withdraw_inspection,
                                   "inspection_id", _owner(Inspection))
post_penalty_correct = _action("penalty_correct", corrections.correct_penalty, "penalty_id",
                               _owner(Penalty))
post_penalty_withdraw = _action("penalty_withdraw", corrections.withdraw_penalty, "penalty_id",
                                _owner(Penalty))
post_location = _action("location", location.set_location, "institution_id", _same)
post_credit_update = _action("credit_update", records_credit.update_credit_entry, "entry_id",
                             _owner(CreditEntry))

routes = [
    Route("/", search_page, methods=["GET"], name="index"),
    Route("/records", review_page, methods=["GET"], name="review"),
    Route("/institutions/{institution_id:int}", institution_page, methods=["GET"],
          name="institution"),
    Route("/institutions/{institution_id:int}/grades", post_grade, methods=["POST"],
          name="grade"),
    Route("/institutions/{institution_id:int}/inspections", post_inspection, methods=["POST"],
          name="inspection"),
    Route("/inspections/{inspection_id:int}/rectification", post_rectification,
          methods=["POST"], name="rectification"),
    Route("/institutions/{institution_id:int}/penalties", post_penalty, methods=["POST"],
          name="penalty"),
    Route("/penalties/{penalty_id:int}/status", post_penalty_status, methods=["POST"],
          name="penalty_status"),
    Route("/inspections/{inspection_id:int}/correct", post_inspection_correct,
          methods=["POST"], name="inspection_correct"),
    Route("/inspections/{inspection_id:int}/withdraw", post_inspection_withdraw,
          methods=["POST"], name="inspection_withdraw"),
    Route("/penalties/{penalty_id:int}/correct", post_penalty_correct, methods=["POST"],
          name="penalty_correct"),
    Route("/penalties/{penalty_id:int}/withdraw", post_penalty_withdraw, methods=["POST"],
          name="penalty_withdraw"),
    Route("/institutions/{institution_id:int}/credit", post_credit, methods=["POST"],
          name="credit"),
    Route("/credit/{entry_id:int}", post_credit_update, methods=["POST"],
          name="credit_update"),
    Route("/institutions/{institution_id:int}/fulfilment", post_assessment, methods=["POST"],
          name="assessment"),
    Route("/institutions/{institution_id:int}/location", post_location, methods=["POST"],
          name="location"),
]
