"""The institution domain's forms: the query parameters of the compare page, the directory API's
paging, the government entry search and the supervisors' record review filters.

The directory's own filters (district, street, kind, beds, sort …) are read by
directory.parse, which the page and the API share. The government record forms are read by
records.py (FieldReader) and checked there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from portal.formfields import PortalForm, RowId, Text, WholeNumber
from portal.institutions import vocab
from portal.institutions.directory_query import MAX_PER_PAGE, PER_PAGE

MAX_COMPARE = 3
SEARCH_MAX = 50
REVIEW_DEFAULT_DAYS = 30
API_PAGE_MAX = 100_000


class CompareQuery(PortalForm):
    """/institutions/compare?ids=1,2&ids=3&level=…: up to MAX_COMPARE institutions."""

    level = Text()

    def __init__(self, formdata, **kwargs) -> None:
        super().__init__(formdata, **kwargs)
        self._ids_sent = formdata.getlist("ids")

    @property
    def care_level(self) -> str:
        return self.level.data if self.level.data in vocab.CARE_LEVELS else "self_care"

    def ids(self) -> tuple[list[int], bool]:
        """The ids asked for, in order and once each (those that are no id left out), and
        whether more than MAX_COMPARE were asked for."""
        ids: list[int] = []
        for raw in self._ids_sent:
            for part in raw.split(",") if isinstance(raw, str) else ():
                number = RowId.parse(part)
                if number is not None and number not in ids:
                    ids.append(number)
        return ids[:MAX_COMPARE], len(ids) > MAX_COMPARE


class ApiPageQuery(PortalForm):
    """The directory API's paging (API: the problem names its field)."""

    page = WholeNumber(low=1, high=API_PAGE_MAX, default=1, message="页码应为 1 以上的整数")
    per_page = WholeNumber(low=1, high=MAX_PER_PAGE, default=PER_PAGE,
                           message=f"每页条数应为 1 到 {MAX_PER_PAGE}")


class SearchQuery(PortalForm):
    """The government entry search box (/gov/?q=)."""

    q = Text(filters=[lambda value: value[:SEARCH_MAX]])


@dataclass(frozen=True)
class Filters:
    office_id: int | None
    since: date
    until: date
    problems: tuple[str, ...]


class ReviewQuery(PortalForm):
    """The supervisors' record review (/gov/records?office=&since=&until=): a filter typed wrong
    falls back to its default and says so, the page still shows."""

    office = RowId()
    since = Text()
    until = Text()

    def filters(self, today: date) -> Filters:
        problems: list[str] = []
        if self.office.text and self.office.data is None:
            problems.append("部门选择有误，已显示全部部门")
        since = _day(self.since.data, today - timedelta(days=REVIEW_DEFAULT_DAYS), problems,
                     "起始日期")
        until = _day(self.until.data, today, problems, "截止日期")
        if until < since:
            problems.append("截止日期早于起始日期，已对调")
            since, until = until, since
        return Filters(self.office.data, since, until, tuple(problems))


def _day(raw: str, fallback: date, problems: list[str], label: str) -> date:
    if not raw:
        return fallback
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.append(f"{label}格式应为年-月-日，已按默认处理")
        return fallback
