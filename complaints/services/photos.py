"""Photos with a complaint: the files of a request re-encoded, stored beside the complaint,
read back for staff, and deleted once the complaint has been closed for the retention period."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import IO, Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, undefer

from complaints.models import Complaint, ComplaintPhoto
from complaints.rules.photos import (
    MB,
    Photo,
    PhotoLimits,
    PhotoRefused,
    Upload,
    check_uploads,
    reencode,
)
from portal.core import audit
from portal.core.settings import Settings


class SentFile(Protocol):
    """What a form's file part offers (Starlette's UploadFile)."""

    filename: str | None
    size: int | None

    @property
    def file(self) -> IO[bytes]: ...


def photo_limits(settings: Settings) -> PhotoLimits:
    return PhotoLimits(max_file_bytes=settings.photo_max_mb * MB,
                       max_total_bytes=settings.photo_total_mb * MB)


def prepare(files: Sequence[SentFile], limits: PhotoLimits, *, cut: bool = False) -> list[Photo]:
    """The files a form sent, checked and re-encoded (before any transaction: decoding takes
    a good part of a second per photo). `cut`: the body was over the upload limit and its
    files did not arrive whole (portal/core/security.py: BODY_CUT). Raises PhotoRefused."""
    if cut:
        raise PhotoRefused(f"所选照片合计太大（超过 {limits.max_body(0) // MB} MB），没有收到，"
                           f"请少选几张或先缩小照片；每张不超过 {limits.max_file_mb} MB，"
                           f"合计不超过 {limits.max_total_mb} MB")
    problem = check_uploads([Upload(f.filename or "", f.size or 0) for f in files], limits)
    if problem:
        raise PhotoRefused(problem)
    photos = []
    for sent in files:
        sent.file.seek(0)
        # One byte over the limit is enough to know (the size Starlette counted may be absent).
        photos.append(reencode(sent.file.read(limits.max_file_bytes + 1), sent.filename or "",
                               limits))
    return photos


class PhotoService:
    def __init__(self, session: Session) -> None:
        self.db = session

    def attach(self, complaint: Complaint, photos: Sequence[Photo]) -> None:
        """Store the photos of a complaint being filed (in its transaction), in their order."""
        for position, photo in enumerate(photos, start=1):
            self.db.add(ComplaintPhoto(complaint_id=complaint.id, position=position,
                                       width=photo.width, height=photo.height,
                                       size=len(photo.data), data=photo.data))

    def listed(self, complaint_id: int) -> list[ComplaintPhoto]:
        """A complaint's photos without their bytes, in order."""
        return list(self.db.scalars(select(ComplaintPhoto)
                                    .where(ComplaintPhoto.complaint_id == complaint_id)
                                    .order_by(ComplaintPhoto.position)))

    def image(self, complaint_id: int, position: int) -> bytes | None:
        photo = self.db.scalars(select(ComplaintPhoto).options(undefer(ComplaintPhoto.data)).where(
            ComplaintPhoto.complaint_id == complaint_id,
            ComplaintPhoto.position == position)).first()
        return photo.data if photo else None

    def delete_expired(self, now: datetime, retention_days: int) -> int:
        """Delete the photos of complaints closed more than `retention_days` ago (a reopened
        complaint is not closed, and its closing time is set again when it closes); audited as one
        system change naming the complaints. The number of photos deleted."""
        cutoff = now - timedelta(days=retention_days)
        expired = (select(Complaint.id)
                   .where(Complaint.status == "closed", Complaint.closed_at < cutoff)
                   .scalar_subquery())
        complaint_ids = list(self.db.scalars(
            select(ComplaintPhoto.complaint_id).where(ComplaintPhoto.complaint_id.in_(expired))
            .group_by(ComplaintPhoto.complaint_id).order_by(ComplaintPhoto.complaint_id)))
        if not complaint_ids:
            return 0
        count = self.db.scalar(select(func.count()).select_from(ComplaintPhoto).where(
            ComplaintPhoto.complaint_id.in_(complaint_ids))) or 0
        self.db.execute(delete(ComplaintPhoto).where(ComplaintPhoto.complaint_id.in_(complaint_ids)))
        audit.record(self.db, None, "delete_expired_photos", "complaint_photos",
                     retention_days=retention_days, photos=count, complaint_ids=complaint_ids)
        return count
