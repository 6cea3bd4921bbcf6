"""Chinese names of the background jobs and queues on the operations page (issue 21 item 13:
no English in the UI). Jobs are named by their function; the operations page shows the name,
and a job not listed here as "其他任务" with its function name, so a new job is still visible."""

from __future__ import annotations

TASK_LABELS = {
    "sweep_outbox": "外发任务清扫（补发未送出的任务）",
    "run_outbox_job": "执行外发任务",
    "run_batch": "批量执行外发任务",
    "sweep_clocks": "办理时限扫描（即将到期与超期提醒）",
    "fold_signed_counts": "待办数与机构数汇总",
    "close_signups_due": "开放日报名截止",
    "mark_held": "开放日标记为已举办",
    "refresh_page": "更新机构公开页面",
    "refresh_stale_pages": "更新过期的机构公开页面",
    "flag_institutions_without_open_day": "标记长期未办开放日的机构",
    "nightly_backup": "每日备份",
    "snapshot_previous_month": "上月统计快照",
    "send_reminder": "发送开放日提醒短信",
    "send_welcome": "发送账号开通通知",
    "send_notification": "发送短信通知",
    "index_institution": "更新一家机构的搜索索引",
    "rebuild_index": "重建搜索索引",
    "run_import": "执行数据导入",
    "delete_expired_photos": "删除保存期满的投诉照片",
}

QUEUE_LABELS = {"default": "常规任务", "index": "搜索索引"}


def task_label(path: str) -> str:
    """A job's name from its path ("portal.core.jobs:sweep_outbox", "portal.cron.sweep_outbox"
    or "sweep_outbox")."""
    name = path.replace(":", ".").rsplit(".", 1)[-1]
    return TASK_LABELS.get(name, f"其他任务（{name}）" if name else "未知任务")


def queue_label(name: str) -> str:
    return QUEUE_LABELS.get(name, f"其他队列（{name}）")
