"""Warm the search at web start (issue 21 item 13: the first search after a start took 2.5 s).

The first search of a process loads jieba's dictionary, pypinyin's tables, the index's segment
readers and its facet columns (cached per segment for the process, storage._facet_columns).
`warm_search` runs one ordinary search so the first visitor does not pay for that.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from search.rules.analysis import ensure_jieba
from search.rules.query import SearchQuery, search
from search.services.storage import SearchUnavailable

log = logging.getLogger(__name__)

WARM_QUERY = SearchQuery(q="养老院 护理")  # words, initials-free: the usual first search


def warm_search(index_dir: Path) -> float | None:
    """One search on the index, if there is one; its seconds, or None without an index. Never
    raises: a broken index shows on the search page and the operations page, not at start."""
    started = time.perf_counter()
    try:
        ensure_jieba()
        if not Path(index_dir).exists():
            return None
        search(index_dir, WARM_QUERY)
    except SearchUnavailable:
        return None
    except Exception:  # noqa: BLE001 (start-up must go on; the page reports the index)
        log.exception("search warm-up failed")
        return None
    seconds = time.perf_counter() - started
    log.info("search warmed in %.2f s", seconds)
    return seconds
