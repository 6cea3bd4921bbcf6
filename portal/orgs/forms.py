"""Civil affairs adding a street/town office (乡镇、街道): the street, the office type, its name
and phone. The rules between the form and the database are portal/orgs/services.py's."""

from __future__ import annotations

from portal.core.formfields import Choice, PortalForm, RowId, Text
from portal.orgs.vocab import DEPARTMENT_TYPES


class StreetOfficeForm(PortalForm):
    street_id = RowId("乡镇（街道）", message="请选择乡镇（街道）")
    type_code = Choice("部门类型", choices=list(DEPARTMENT_TYPES), message="请选择部门类型")
    name = Text("单位名称", max_length=80)  # blank: the usual name (vocab.street_office_name)
    phone = Text("联系电话", max_length=30)
