"""The dashboards' query parameters."""

from __future__ import annotations

from portal.formfields import PortalForm, RowId


class OfficeQuery(PortalForm):
    """/dashboard/office?office=<department id> (supervisors pick any office)."""

    office = RowId()
