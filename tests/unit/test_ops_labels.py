"""Every background job and queue has a Chinese name on the operations page (issue 21 item 13)."""

from __future__ import annotations

import importlib
import pkgutil

import complaints
import portal
import search
from portal.core.outbox import task_path
from portal.ops.labels import TASK_LABELS, queue_label, task_label


def _tasks() -> list[str]:
    found = []
    for package in (portal, complaints, search):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not info.name.endswith("tasks") and "signups" not in info.name \
                    and not info.name.startswith("portal.core."):
                continue
            module = importlib.import_module(info.name)
            found += [task_path(f) for f in vars(module).values()
                      if callable(f) and getattr(f, "is_portal_task", False)
                      and f.__module__ == module.__name__]
    return found


def test_every_task_and_recurring_job_has_a_chinese_name():
    from portal.cron import RECURRING

    paths = _tasks() + [f"{fn.__module__}.{fn.__name__}" for fn, _, _ in RECURRING]
    assert len(paths) >= 12
    for path in paths:
        assert not task_label(path).startswith("其他任务"), path
    assert set(TASK_LABELS) >= {p.replace(":", ".").rsplit(".", 1)[-1] for p in paths}


def test_unknown_names_are_still_shown():
    assert task_label("evil.module:thing") == "其他任务（thing）"
    assert task_label("portal.core.jobs:sweep_outbox").startswith("外发任务清扫")
    assert queue_label("default") == "常规任务" and queue_label("x") == "其他队列（x）"
