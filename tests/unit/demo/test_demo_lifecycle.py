"""The demo city's suspended and closed institutions (demo/lifecycle.py): each status has its
change row, a stop with elders in care has a 安置 plan, finished plans are whole and dated,
and the default directory leaves the closed ones out."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from portal.core.db import get_engine
from portal.institutions.models import DirectoryCount, Institution, ServiceResources
from portal.registry.models import StatusChange


def test_demo_has_suspended_and_closed_institutions_with_resettlement(demo_city, tmp_path):
    url = demo_city.copy(tmp_path)
    with get_engine(url).connect() as conn:
        statuses = Counter(conn.scalars(select(Institution.operating_status)))
        changes = conn.execute(select(StatusChange)).mappings().all()
        elders = {r.institution_id: r.elders_self_care + r.elders_mild + r.elders_severe
                  for r in conn.execute(select(ServiceResources)).all()}
        current = dict(conn.execute(select(Institution.id, Institution.operating_status)).all())
        counted = Counter()
        for status, n in conn.execute(select(DirectoryCount.operating_status,
                                             DirectoryCount.n)).all():
            counted[status] += n
    assert statuses["suspended"] == 3 and statuses["closed"] == 3
    assert statuses["operating"] == 194
    assert demo_city.summary.institution_status_changes == len(changes) == 6
    assert counted == statuses  # the trigger-kept counts follow the inserted statuses
    plans = 0
    for c in changes:
        assert current[c.institution_id] == c.status and c.previous_status == "operating"
        assert c.effective_on < demo_city.today and c.reason
        assert c.elders_to_resettle == elders.get(c.institution_id, 0)
        if c.elders_to_resettle:
            plans += 1
            assert c.resettle_to and c.resettle_by
            assert 0 <= c.resettled_count <= c.elders_to_resettle
            done = c.resettled_count == c.elders_to_resettle
            assert (c.resettled_on is not None) == done
            assert done == (c.resettle_by <= demo_city.today)
    assert plans >= 4
