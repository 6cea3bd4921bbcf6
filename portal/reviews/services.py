"""Review rules and the service: submit (with the 90-day rule), moderate, reply once, aggregates."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from complaints.rules.intake import normalise_phone, phone_problem
from portal.accounts.models import User
from portal.core import audit
from portal.core.formfields import parse_whole
from portal.institutions.models import Institution
from portal.reviews.models import (
    DIMENSIONS,
    PENDING,
    PUBLISHED,
    RATING_MAX,
    RATING_MIN,
    REJECTED,
    TEXT_MAX,
    TEXT_MIN,
    Review,
)

REPEAT_WINDOW = timedelta(days=90)
NAME_MAX = 20
REASON_MIN, REASON_MAX = 2, 200
REPLY_MIN, REPLY_MAX = 2, 1000
LABELS = dict(DIMENSIONS)


# --- exceptions ---------------------------------------------------------------------------


class ReviewError(Exception):
    """Base of the review domain's errors; `message` is shown to the user."""

    status = 400

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class InvalidReview(ReviewError):
    """The form has problems, keyed by field name."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = errors


class ReviewNotFound(ReviewError):
    status = 404


class NotYourInstitution(ReviewError):
    """Another institution's record: answered as if it did not exist (no probing)."""

    status = 404


class AlreadyDone(ReviewError):
    """Moderating a moderated review, or replying a second time."""

    status = 409


# --- pure rules ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewInput:
    institution_id: int
    ratings: dict[str, str]  # column → raw form value
    text: str
    phone: str
    reviewer_name: str = ""


def keyed_hash(secret_key: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 of a personal value: comparable for the limits, useless to a reader."""
    message = f"{purpose}:{value}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def parse_rating(raw: str) -> int | None:
    return parse_whole(raw, RATING_MIN, RATING_MAX)


def validate(inp: ReviewInput) -> dict[str, str]:
    """Every problem with the input keyed by field name; empty when it may be submitted."""
    errors: dict[str, str] = {}
    for column, label in DIMENSIONS:
        if not (inp.ratings.get(column) or "").strip():
            errors[column] = f"请为“{label}”打分（1–5 星）"
        elif parse_rating(inp.ratings[column]) is None:
            errors[column] = f"“{label}”的评分须为 1–5 星"
    text = inp.text.strip()
    if len(text) < TEXT_MIN:
        errors["text"] = f"评价内容至少 {TEXT_MIN} 个字，请具体说说您的感受"
    elif len(text) > TEXT_MAX:
        errors["text"] = f"评价内容不能超过 {TEXT_MAX} 个字，请精简"
    if len(inp.reviewer_name.strip()) > NAME_MAX:
        errors["reviewer_name"] = f"称呼不能超过 {NAME_MAX} 个字"
    phone = normalise_phone(inp.phone)
    if not phone:
        errors["phone"] = "请填写手机号码（只用于限制重复评价，不会保存或公开）"
    else:
        problem = phone_problem(phone)
        if problem:
            errors["phone"] = problem
    return errors


# --- aggregates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """Published reviews of one institution: how many, and the average of each dimension."""

    count: int
    averages: dict[str, float | None] = field(default_factory=dict)

    def rows(self) -> list[tuple[str, str, float | None]]:
        return [(column, label, self.averages.get(column)) for column, label in DIMENSIONS]


def aggregates(session: Session, institution_id: int) -> Summary:
    columns = [getattr(Review, column) for column, _ in DIMENSIONS]
    row = session.execute(
        select(func.count(Review.id), *(func.avg(c) for c in columns)).where(
            Review.institution_id == institution_id, Review.status == PUBLISHED
        )
    ).one()
    count, *avgs = row
    averages = {
        column: (round(float(avg), 1) if avg is not None else None)
        for (column, _), avg in zip(DIMENSIONS, avgs, strict=True)
    }
    return Summary(count=int(count or 0), averages=averages)


@dataclass(frozen=True)
class ReviewPage:
    items: list[Review]
    total: int
    page: int
    pages: int


# --- the service --------------------------------------------------------------------------


class ReviewService:
    def __init__(self, session: Session, secret_key: str) -> None:
        self.db = session
        self.secret_key = secret_key

    def institution(self, institution_id: int) -> Institution:
        inst = self.db.get(Institution, institution_id)
        if inst is None:
            raise ReviewNotFound("机构不存在")
        return inst

    def submit(self, inp: ReviewInput, *, ip: str, now: datetime) -> Review:
        errors = validate(inp)
        if errors:
            raise InvalidReview(errors)
        # Lock the institution row so two submissions from one phone cannot both pass the
        # window check (PostgreSQL; SQLite serialises writers anyway).
        inst = self.db.scalars(
            select(Institution).where(Institution.id == inp.institution_id).with_for_update()
        ).first()
        if inst is None:
            raise ReviewNotFound("机构不存在")
        phone_hash = keyed_hash(self.secret_key, "phone", normalise_phone(inp.phone))
        # A rejected review does not count: the reviewer may fix it and submit again.
        recent = self.db.scalar(
            select(func.count(Review.id)).where(
                Review.institution_id == inp.institution_id,
                Review.phone_hash == phone_hash,
                Review.status != REJECTED,
                Review.created_at > now - REPEAT_WINDOW,
            )
        )
        if recent:
            raise InvalidReview(
                {"phone": "该手机号 90 天内已评价过这家机构，请 90 天后再来评价"}
            )
        review = Review(
            institution_id=inp.institution_id,
            text=inp.text.strip(),
            reviewer_name=inp.reviewer_name.strip(),
            phone_hash=phone_hash,
            ip_hash=keyed_hash(self.secret_key, "ip", ip),
            status=PENDING,
            created_at=now,
            **{column: parse_rating(inp.ratings[column]) for column, _ in DIMENSIONS},
        )
        self.db.add(review)
        self.db.flush()
        return review

    def get(self, review_id: int) -> Review:
        review = self.db.get(Review, review_id)
        if review is None:
            raise ReviewNotFound("评价不存在")
        return review

    def pending(self, page: int, per_page: int = 20) -> ReviewPage:
        return self._page(select(Review).where(Review.status == PENDING), page, per_page,
                          newest_first=False)

    def published(self, institution_id: int, page: int, per_page: int = 10) -> ReviewPage:
        stmt = select(Review).where(
            Review.institution_id == institution_id, Review.status == PUBLISHED
        )
        return self._page(stmt, page, per_page, newest_first=True)

    def _page(self, stmt, page: int, per_page: int, *, newest_first: bool) -> ReviewPage:
        total = self.db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
        order = (Review.created_at.desc(), Review.id.desc()) if newest_first else (
            Review.created_at, Review.id)
        items = self.db.scalars(
            stmt.options(joinedload(Review.institution))
            .order_by(*order).offset((page - 1) * per_page).limit(per_page)
        ).all()
        return ReviewPage(items=list(items), total=total, page=page, pages=pages)

    def moderate(
        self, review_id: int, actor: User, *, approve: bool, reason: str, now: datetime
    ) -> Review:
        review = self.get(review_id)
        reason = reason.strip()
        if not approve:
            if len(reason) < REASON_MIN:
                raise InvalidReview({"reason": "不予公开时请填写理由（至少 2 个字）"})
            if len(reason) > REASON_MAX:
                raise InvalidReview({"reason": f"理由不能超过 {REASON_MAX} 个字"})
        status = PUBLISHED if approve else REJECTED
        # Conditional update: two moderators deciding at once cannot both win.
        done = self.db.execute(
            update(Review)
            .where(Review.id == review_id, Review.status == PENDING)
            .values(
                status=status,
                reject_reason="" if approve else reason,
                moderated_by_id=actor.id,
                moderated_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if not done:
            raise AlreadyDone("该评价已审核过，无需重复操作")
        audit.record(
            self.db, actor.id, "review.approve" if approve else "review.reject", "review",
            review_id, institution_id=review.institution_id, reason=reason,
        )
        self.db.refresh(review)
        return review

    def reply(self, review_id: int, actor: User, text: str, *, now: datetime) -> Review:
        review = self.get(review_id)
        if review.status != PUBLISHED:
            raise ReviewNotFound("评价不存在或尚未公开")
        if actor.institution_id != review.institution_id:
            raise NotYourInstitution("只能回复本机构收到的评价")
        text = text.strip()
        if len(text) < REPLY_MIN:
            raise InvalidReview({"reply": "请填写回复内容（至少 2 个字）"})
        if len(text) > REPLY_MAX:
            raise InvalidReview({"reply": f"回复不能超过 {REPLY_MAX} 个字"})
        done = self.db.execute(
            update(Review)
            .where(Review.id == review_id, Review.reply_text.is_(None))
            .values(reply_text=text, reply_at=now, reply_by_id=actor.id)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not done:
            raise AlreadyDone("每条评价机构只能回复一次，本条已回复")
        audit.record(self.db, actor.id, "review.reply", "review", review_id,
                     institution_id=review.institution_id)
        self.db.refresh(review)
        return review
