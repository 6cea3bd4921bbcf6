"""The scheduler's staleness from its last tick (pure)."""

from datetime import UTC, datetime, timedelta

from portal.core.health import SchedulerBeat, scheduler_state

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def beat(seconds_ago: float, redis: str = "ok") -> SchedulerBeat:
    return SchedulerBeat(name="cron", beat_at=NOW - timedelta(seconds=seconds_ago), redis=redis)


def test_never_ticked():
    assert scheduler_state(None, NOW, 180).status == "never"


def test_stale_only_past_the_threshold():
    assert scheduler_state(beat(180), NOW, 180).status == "ok"
    state = scheduler_state(beat(181), NOW, 180)
    assert (state.status, state.age_seconds) == ("stale", 181)


def test_what_the_scheduler_saw_of_redis_is_passed_on():
    state = scheduler_state(beat(3, "unavailable"), NOW, 180)
    assert (state.status, state.redis) == ("ok", "unavailable")
    assert state.as_json()["last_tick"] == (NOW - timedelta(seconds=3)).isoformat()
