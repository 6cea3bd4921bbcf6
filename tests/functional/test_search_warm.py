"""The first search after a start is warm (issue 21 item 13): the web process's start-up runs
one search, so jieba's dictionary and the index's facet columns are loaded before the first
visitor asks. Checked in a fresh process by what is loaded, not by how long it took."""

from __future__ import annotations

import os
import subprocess
import sys

from test_search import build_index

from factories import institution

PROBE = """
from starlette.testclient import TestClient
from portal.app import create_app
from search.rules import analysis
from search.services import storage
before = (analysis._jieba_ready, len(storage._segment_columns))
with TestClient(create_app()):
    print(before, (analysis._jieba_ready, len(storage._segment_columns) > 0))
"""


def test_web_start_warms_the_search(db, env):
    institution(db, name="幸福养老院")
    db.commit()
    build_index(env)
    out = subprocess.run([sys.executable, "-c", PROBE], env=os.environ.copy(), check=True,
                         capture_output=True, text=True).stdout
    assert out.split() == ["(False,", "0)", "(True,", "True)"], out
