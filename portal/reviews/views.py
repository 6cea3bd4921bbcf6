"""Review pages: the public form and list, the moderation queue, the institution's reply."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.responses import Response
from starlette.routing import Route

from portal.accounts.rules.roles import Role
from portal.core.db import utcnow
from portal.core.endpoints import Ctx, view
from portal.core.ratelimit import allow, client_ip
from portal.institutions.models import Institution
from portal.reviews.forms import ModerationForm, ReplyForm, ReviewForm
from portal.reviews.models import DIMENSIONS
from portal.reviews.services import (
    AlreadyDone,
    InvalidReview,
    ReviewService,
    aggregates,
)

REVIEWS_PER_HOUR = 10
MODERATORS = [Role.SUPERVISOR, Role.ADMIN]


def _service(ctx: Ctx) -> ReviewService:
    return ReviewService(ctx.db, ctx.settings.secret_key)


def _institution(ctx: Ctx) -> Institution:
    return _service(ctx).institution(ctx.request.path_params["institution_id"])


def list_context(db: Session, institution: Institution, page: int, secret_key: str = "") -> dict:
    """What `reviews/_list.html` needs; the institution page may call this to include it."""
    return {
        "institution": institution,
        "summary": aggregates(db, institution.id),
        "reviews": ReviewService(db, secret_key).published(institution.id, page),
        "dimensions": DIMENSIONS,
        "reply_errors": {},
    }


# --- the public ---------------------------------------------------------------------------


def _form(ctx: Ctx, inst: Institution, status: int = 200, **extra: Any) -> Response:
    return ctx.render(
        "reviews/new.html", status_code=status, institution=inst, dimensions=DIMENSIONS,
        values=extra.pop("values", {}), errors=extra.pop("errors", {}), **extra,
    )


@view()
def new_form(ctx: Ctx) -> Response:
    return _form(ctx, _institution(ctx))


def _form_again(ctx: Ctx) -> Response:
    """The review as posted (after a failed CSRF check): nothing checked, nothing stored."""
    return _form(ctx, _institution(ctx), values=ReviewForm(ctx.form).shown_again())


# private: the form shown again holds the phone as typed (no cache may keep it).
@view(private=True, form_again=_form_again)
def submit(ctx: Ctx) -> Response:
    inst = _institution(ctx)
    form = ReviewForm(ctx.form)
    if not allow("review", client_ip(ctx.request), REVIEWS_PER_HOUR, 3600):
        return _form(ctx, inst, 429, values=form.shown_again(), errors={
            "form": "提交过于频繁，请一小时后再试。"})
    try:
        _service(ctx).submit(form.to_input(inst.id), ip=client_ip(ctx.request), now=utcnow())
    except InvalidReview as exc:
        ctx.db.rollback()
        return _form(ctx, inst, 400, values=form.shown_again(), errors=exc.errors)
    ctx.db.commit()
    return ctx.redirect(ctx.url("reviews:institution", institution_id=inst.id) + "?submitted=1")


def _list_page(ctx: Ctx, inst: Institution, status: int = 200, **extra: Any) -> Response:
    context = list_context(ctx.db, inst, ctx.page_param(), ctx.settings.secret_key)
    context.update(extra)
    template = "reviews/_list.html" if ctx.is_htmx else "reviews/institution.html"
    return ctx.render(template, status_code=status,
                      submitted=ctx.request.query_params.get("submitted") == "1", **context)


@view()
def institution_reviews(ctx: Ctx) -> Response:
    return _list_page(ctx, _institution(ctx))


# --- civil affairs ------------------------------------------------------------------------


def _queue(ctx: Ctx, status: int = 200, **extra: Any) -> Response:
    page = _service(ctx).pending(ctx.page_param())
    return ctx.render("reviews/moderation.html", status_code=status, reviews=page,
                      dimensions=DIMENSIONS, errors=extra.pop("errors", {}),
                      done=ctx.request.query_params.get("done", ""), **extra)


@view(roles=MODERATORS)
def moderation(ctx: Ctx) -> Response:
    return _queue(ctx)


@view(roles=MODERATORS)
def moderate(ctx: Ctx) -> Response:
    review_id = ctx.request.path_params["review_id"]
    form = ModerationForm(ctx.form)
    approve = form.decision.data == "approve"
    assert ctx.user is not None
    try:
        _service(ctx).moderate(review_id, ctx.user, approve=approve,
                               reason=form.reason.data, now=utcnow())
    except InvalidReview as exc:
        ctx.db.rollback()
        return _queue(ctx, 400, errors={review_id: exc.message})
    except AlreadyDone as exc:
        ctx.db.rollback()
        return _queue(ctx, 409, notice=exc.message)
    ctx.db.commit()
    return ctx.redirect(ctx.url("reviews:moderation") + ("?done=approved" if approve
                                                         else "?done=rejected"))


# --- the institution ----------------------------------------------------------------------


@view(roles=[Role.INSTITUTION])
def reply(ctx: Ctx) -> Response:
    review_id = ctx.request.path_params["review_id"]
    service = _service(ctx)
    assert ctx.user is not None
    try:
        review = service.reply(review_id, ctx.user, ReplyForm(ctx.form).reply.data, now=utcnow())
    except InvalidReview as exc:
        ctx.db.rollback()
        inst = service.get(review_id).institution
        return _list_page(ctx, inst, 400, reply_errors={review_id: exc.message})
    except AlreadyDone as exc:
        ctx.db.rollback()
        inst = service.get(review_id).institution
        return _list_page(ctx, inst, 409, notice=exc.message)
    ctx.db.commit()
    url = ctx.url("reviews:institution", institution_id=review.institution_id)
    return ctx.redirect(f"{url}#review-{review_id}")


routes = [
    Route("/new/{institution_id:int}", new_form, methods=["GET"], name="new"),
    Route("/new/{institution_id:int}", submit, methods=["POST"], name="submit"),
    Route("/moderation", moderation, methods=["GET"], name="moderation"),
    Route("/{review_id:int}/moderate", moderate, methods=["POST"], name="moderate"),
    Route("/{review_id:int}/reply", reply, methods=["POST"], name="reply"),
    Route("/institution/{institution_id:int}", institution_reviews, methods=["GET"],
          name="institution"),
]
