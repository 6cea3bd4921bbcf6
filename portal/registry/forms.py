"""The registry's back-office forms (WTForms on portal/core/formfields.py): an operating-status
change with its 安置 plan, and 安置 progress; an institution's record, a merge, an unregistered
place and its follow-up; the import upload (kind, file, dry run or import) and the choice after
a report (import it, or its valid rows only). Each field's own rule and message is here; the
rules between fields and against the institution's history are portal/registry/rules/lifecycle.py,
applied by portal/registry/lifecycle.py to the fields that have no problem of their own.

No database: the upload form reads the uploaded file only.
"""

from __future__ import annotations

from typing import Any

from wtforms import FileField  # type: ignore[import-untyped]

from portal.core.formfields import Choice, Day, Integer, PortalForm, RowId, Text
from portal.institutions.vocab import DISCOVERY_CHANNELS, OPERATING_STATUSES
from portal.registry.models import MODES
from portal.registry.services.files import ACCEPTED, SUFFIXES

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


class InstitutionForm(PortalForm):
    """An institution's registry record as civil affairs types it (create and edit). Each
    field is read as text; its rules and messages are the registry import's
    (portal/registry/rules/imports.py `check_fields`: the credit code's GB 32100 check digit,
    dates, the city's districts and streets, vacant beds within beds), so a form and a file
    are checked alike. Field names are the import's `Column.field`."""

    name = Text("机构名称")
    credit_code = Text("统一社会信用代码")
    legal_representative = Text("法定代表人")
    registration_no = Text("登记证号")
    registration_date = Text("登记日期")
    filing_no = Text("备案号")
    filing_date = Text("备案日期")
    filing_status = Text("备案状态")
    kind = Text("机构类型")
    nature = Text("机构性质")
    beds_total = Text("床位数")
    beds_vacant = Text("空余床位数")
    district = Text("所在区县")
    street = Text("乡镇（街道）")
    address = Text("地址")
    phone = Text("联系电话")
    opened_year = Text("开业年份")
    # A new institution only: registered while being set up (筹建) or already operating.
    operating_status = Choice("运营状态", choices=("preparing", "operating"), optional=True,
                              message="新登记的机构只能是筹建或运营")


class MergeForm(PortalForm):
    """Merging a duplicate record into this one (portal/registry/merge.py)."""

    duplicate_id = RowId("重复记录的机构编号", message="机构编号应为正整数")
    reason = Text("合并原因", max_length=REASON_MAX)


class DiscoveryForm(PortalForm):
    """How an unregistered place was found (portal/registry/places.py); its name, address and
    the rest are `InstitutionForm`'s, the credit code optional."""

    discovered_via = Choice("发现途径", choices=DISCOVERY_CHANNELS, message="请选择发现途径")
    discovered_on = Day("发现日期", required=True, not_future=True)
    discovered_by = Text("发现单位或人员", required="请填写发现单位或人员（如：某某街道民政办）",
                         max_length=100)


class FollowUpForm(PortalForm):
    """A place's 已取缔 or 已转介 (已登记 is the conversion's, `ConversionForm`)."""

    outcome = Choice("跟进结果", choices=("banned", "referred"), message="请选择已取缔或已转介")
    decided_on = Day("日期", required=True, not_future=True)
    note = Text("说明", max_length=REASON_MAX)


class ConversionForm(PortalForm):
    """The day and note of a place's conversion into a registered institution (its
    registration fields are `InstitutionForm`'s)."""

    decided_on = Day("登记（备案）日期", required=True, not_future=True)
    note = Text("说明", max_length=REASON_MAX)


MB = 1024 * 1024


class UploadForm(PortalForm):
    kind = Choice("导入类型", message="请选择导入类型")
    mode = Choice("方式", choices=("dry_run", "import"), message="请选择只检查还是直接导入")
    file = FileField()

    def __init__(self, formdata: Any, *, kinds: Any, max_mb: int, cut: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.kind.choices = list(kinds)
        self.max_mb, self.cut = max_mb, cut  # cut: the body was over every upload's limit
        self.content, self.file_name = b"", ""

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        if self.cut:  # the file did not arrive (portal/core/security.py: BODY_CUT)
            self.fail("file", f"文件超过 {self.max_mb} MB，请拆分成几个文件分批导入")
            return False
        upload = self.file.data
        if upload is None or not hasattr(upload, "file") or not upload.filename:
            self.fail("file", f"请选择要上传的文件（{ACCEPTED}）")
            return False
        name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1]
        if not name.lower().endswith(SUFFIXES):
            upload.file.close()
            self.fail("file", f"不支持的文件类型：{name}（{ACCEPTED}）")
            return False
        try:
            content = upload.file.read(self.max_mb * MB + 1)
        finally:
            upload.file.close()
        if len(content) > self.max_mb * MB:
            self.fail("file", f"文件超过 {self.max_mb} MB，请拆分成几个文件分批导入")
        elif not content:
            self.fail("file", "文件是空的")
        self.content, self.file_name = content, name
        return not self.problems


class AgainForm(PortalForm):
    """After a report: import the same file (when it was all valid) or its valid rows only."""

    mode = Choice("方式", choices=[m for m in MODES if m != "dry_run"], message="请选择导入方式")
