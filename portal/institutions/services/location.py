"""Civil affairs sets an institution's coordinates (/gov/institutions/{id}, issue 21): typed, or
picked on the map when PORTAL_MAP_TILES is set (then in the tiles' datum, converted to the
stored WGS-84 by portal/institutions/rules/geo.py).

Civil affairs supervisors and administrators only (they keep the registry; the registry import
sets coordinates too: portal/registry/). Audited with the old and new point; the institution's
records_version rises by migration 0009's trigger, so its page document is rebuilt by the job
recorded here (the search index holds no coordinates). The caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.rules.roles import Role
from portal.core import audit
from portal.institutions.forms import LocationForm
from portal.institutions.models import Institution
from portal.institutions.rules.geo import from_datum
from portal.institutions.services.records import (
    CIVIL_AFFAIRS,
    InvalidRecord,
    NotAllowed,
    RecordNotFound,
)
from portal.institutions.tasks import enqueue_refresh

STORED_DECIMALS = 6  # ≈ 0.1 m: more than any source of these points knows


def set_location(db: Session, actor: User, institution_id: int, data: Mapping[str, Any],
                 today: date) -> Institution:
    """Set (or, both fields blank, clear) the institution's coordinates."""
    if Role(actor.role) not in CIVIL_AFFAIRS:
        raise NotAllowed("机构位置只能由民政部门设置")
    inst = db.get(Institution, institution_id)
    if inst is None:
        raise RecordNotFound("没有这家机构，可能编号有误或已注销。")
    form = LocationForm(data)
    if not form.validate():
        raise InvalidRecord(form.problems)
    point = form.point()
    before = [inst.latitude, inst.longitude]
    if point is None:
        after: list[float | None] = [None, None]
    else:
        stored = from_datum(point, form.datum.data)
        after = [round(stored.lat, STORED_DECIMALS), round(stored.lng, STORED_DECIMALS)]
    if after == before:
        return inst
    inst.latitude, inst.longitude = after
    audit.record(db, actor.id, "institution.location", "institution", inst.id,
                 institution_id=inst.id, before=before, after=after,
                 datum=form.datum.data or "wgs84")
    enqueue_refresh(db, inst.id)
    return inst
