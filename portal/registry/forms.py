"""The back office's import forms: the upload (kind, file, dry run or import) and the choice
after a report (import it, or its valid rows only)."""

from __future__ import annotations

from typing import Any

from wtforms import FileField  # type: ignore[import-untyped]

from portal.core.formfields import Choice, PortalForm
from portal.registry.models import MODES
from portal.registry.services.files import SUFFIXES

MB = 1024 * 1024


class UploadForm(PortalForm):
    kind = Choice("导入类型", message="请选择导入类型")
    mode = Choice("方式", choices=("dry_run", "import"), message="请选择只检查还是直接导入")
    file = FileField()

    def __init__(self, formdata: Any, *, kinds: Any, max_mb: int, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.kind.choices = list(kinds)
        self.max_mb = max_mb
        self.content, self.file_name = b"", ""

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        upload = self.file.data
        if upload is None or not hasattr(upload, "file") or not upload.filename:
            self.fail("file", "请选择要上传的文件（.xlsx 或 .csv）")
            return False
        name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1]
        if not name.lower().endswith(SUFFIXES):
            upload.file.close()
            self.fail("file", f"不支持的文件类型：{name}（请用 .xlsx 或 .csv）")
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
