"""The open-data pages' query parameters: the indicator year and scope (a district, or the
city). Junk falls back to this year and the city; a district that does not exist is a 404
(views_indicators)."""

from __future__ import annotations

from datetime import date

from portal.core.formfields import PortalForm, RowId, WholeNumber
from portal.opendata.services.indicators import CITY

FIRST_YEAR = 2000


class IndicatorQuery(PortalForm):
    year = WholeNumber(low=FIRST_YEAR, high=9999)
    district = RowId()
    street = RowId()  # a street/town of the district (its own 评估表); junk reads as none

    def chosen(self, today: date) -> tuple[int, int]:
        """(year, scope id): a year after this one counts as junk too."""
        year = self.year.data
        if year is None or year > today.year:
            year = today.year
        return year, self.district.data if self.district.data is not None else CITY
