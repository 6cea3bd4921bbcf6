"""The registry's back-office forms (WTForms on portal/core/formfields.py): an operating-status
change with its 安置 plan, and 安置 progress. Each field's own rule and message is here; the
rules between fields and against the institution's history are portal/registry/rules/lifecycle.py,
applied by portal/registry/lifecycle.py to the fields that have no problem of their own.

Pure: no database, no request.
"""

from __future__ import annotations

from portal.core.formfields import Choice, Day, Integer, PortalForm, Text
from portal.institutions.vocab import OPERATING_STATUSES

REASON_MAX = 500
PLACE_MAX = 200
ELDERS_MAX = 100_000


class StatusForm(PortalForm):
    status = Choice("新的运营状态", choices=OPERATING_STATUSES, message="请选择新的运营状态")
    effective_on = Day("生效日期", required=True, not_future=True)
    reason = Text("原因", max_length=REASON_MAX)
    elders_in_care = Integer("在住老人（需安置）人数", high=ELDERS_MAX)
    resettle_to = Text("安置去向", max_length=PLACE_MAX)
    resettle_by = Day("安置完成期限")


class ProgressForm(PortalForm):
    resettled_count = Integer("已安置人数", required=True, high=ELDERS_MAX)
    resettled_on = Day("安置完成日期", not_future=True)
