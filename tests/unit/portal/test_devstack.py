"""`portal dev`'s supervisor starts a dead child again after a growing pause (the clock is
passed in: no waiting on wall-clock time)."""

import sys

from portal.core.devstack import BACKOFF_MAX, STEADY, Supervisor

QUICK = [sys.executable, "-c", "pass"]  # a child that exits at once


def died(child) -> None:
    child.proc.wait(timeout=60)


def test_a_dead_child_is_started_again_after_a_growing_pause():
    stack = Supervisor()
    child = stack.start("quick", QUICK)
    died(child)
    first, t0 = child.proc, child.started
    stack._check(child, t0 + 0.1)  # seen dead: again in 1 s
    stack._check(child, t0 + 0.5)
    assert child.proc is first and child.restarts == 0
    stack._check(child, t0 + 1.2)
    assert child.proc is not first and child.restarts == 1
    died(child)
    stack._check(child, t0 + 1.3)  # dead again at once: again in 2 s
    stack._check(child, t0 + 3.2)
    assert child.restarts == 1
    stack._check(child, t0 + 3.4)
    assert child.restarts == 2
    died(child)
    for n in range(3, 12):  # the pause stops growing at BACKOFF_MAX
        stack._check(child, child.started + 0.1)
        assert round(child.restart_at - child.started - 0.1, 6) <= BACKOFF_MAX
        stack._check(child, child.restart_at)
        assert child.restarts == n
        died(child)


def test_a_child_that_ran_a_while_is_started_again_soon():
    stack = Supervisor()
    child = stack.start("quick", QUICK)
    child.backoff = BACKOFF_MAX  # it had died often before
    died(child)
    stack._check(child, child.started + STEADY + 1)
    assert child.restart_at == child.started + STEADY + 2  # 1 s: it had been up a minute


def test_stop_stops_the_children_and_restarts_none():
    stack = Supervisor(check_every=0.01)
    child = stack.start("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"])
    stack.watch()
    stack.stop()
    assert child.proc.poll() is not None and child.restarts == 0
