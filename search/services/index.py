"""The search index: whoosh-reloaded documents built from published data, safe rebuilds, queries.

Layout on disk: `index_dir` (settings.index_dir) is a symlink to a sibling `<name>-<timestamp>`
generation directory. A rebuild writes a new generation and swaps the symlink with
`os.replace`, so readers always see a whole index. Incremental updates run only on the "index"
RQ queue and also take whoosh's own writer lock, waiting for it rather than failing.
Searchers are cached per thread and reopened when the index changes.
"""

# The package's public face; the parts live in analysis, documents, storage, query, suggest.
from search.rules.analysis import (  # noqa: F401
    DOCUMENT_FIELDS,
    FACET_FIELDS,
    FIELD_BOOSTS,
    GRADE_VALUES,
    GRAM_FIELDS,
    INITIALS_BOOST,
    MAX_READINGS,
    PRICE_BUCKETS,
    SCHEMA,
    SHOWN_FIELDS,
    STOP_WORDS,
    JiebaTokenizer,
    ensure_jieba,
    make_schema,
    price_bucket,
)
from search.rules.query import (  # noqa: F401
    MAX_QUERY_CHARS,
    MAX_QUERY_WORDS,
    SNIPPET_FIELDS,
    FacetCount,
    Hit,
    ParsedQuery,
    SearchQuery,
    SearchResults,
    Snippet,
    build_query,
    excerpt,
    parse_query,
    search,
)
from search.services.documents import (  # noqa: F401
    FeeRow,
    document_for,
    iter_documents,
    monthly_price_range,
)
from search.services.storage import (  # noqa: F401
    CATCH_UP_MARGIN,
    INDEX_TASK,
    RANKING_CACHE_SIZE,
    WRITER_TIMEOUT,
    SearchUnavailable,
    check_or_rebuild,
    document_count,
    index_problem,
    open_or_create,
    rebuild,
    searcher_for,
    update_institution,
)
from search.services.suggest import (  # noqa: F401
    RARE_LIMIT,
    SUGGEST_MAX_CHARS,
    Suggestion,
    suggest,
)
