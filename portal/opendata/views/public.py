"""The public open-data page (mounted at /opendata): every dataset with its data dictionary,
downloadable as CSV, JSON or XLSX; large tables are streamed from their own database session."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from portal.core.db import read_only, session_factory
from portal.core.endpoints import Ctx, view
from portal.core.exports import Sheet, csv_response, csv_stream, json_stream, xlsx_stream
from portal.core.settings import Settings
from portal.opendata.services.datasets import (
    DATASETS,
    DICTIONARY_HEADER,
    TYPES,
    Dataset,
    Query,
    dictionary_rows,
)

FORMATS = ("csv", "json", "xlsx")


def _dataset(ctx: Ctx) -> Dataset:
    dataset = DATASETS.get(ctx.request.path_params["code"])
    if dataset is None:
        raise HTTPException(404, "没有这个数据集，请从开放数据页面选择。")
    if ctx.request.path_params["fmt"] not in FORMATS:
        raise HTTPException(404, "不支持这种格式，可选 CSV、JSON 或 XLSX。")
    return dataset


def _rows(dataset: Dataset, settings: Settings) -> Iterator[tuple]:
    """The rows, read when the response is sent, in a session of their own (the request's
    session is closed by then), read-only like the request's."""
    with session_factory(settings.database_url)() as db:
        read_only(db, streaming=True)
        today = datetime.now(settings.timezone).date()
        yield from dataset.rows(Query(db, today, settings.timezone))


@view()
def index(ctx: Ctx) -> Response:
    return ctx.render("opendata/index.html", datasets=list(DATASETS.values()), types=TYPES,
                      formats=FORMATS)


@view()
def download(ctx: Ctx) -> Response:
    dataset = _dataset(ctx)
    fmt = ctx.request.path_params["fmt"]
    rows = _rows(dataset, ctx.settings)
    name = f"{dataset.code}.{fmt}"
    if fmt == "json":
        return json_stream(name, dataset.names, rows)
    if fmt == "xlsx":
        return xlsx_stream(name, [
            Sheet(dataset.title[:31], dataset.names, rows),
            Sheet("数据字典", DICTIONARY_HEADER, dictionary_rows(dataset)),
        ])
    return csv_stream(name, dataset.names, rows)


@view()
def dictionary(ctx: Ctx) -> Response:
    dataset = _dataset(ctx)
    fmt = ctx.request.path_params["fmt"]
    rows = dictionary_rows(dataset)
    if fmt == "json":
        return ctx.json({"dataset": dataset.code, "title": dataset.title,
                         "description": dataset.description,
                         "fields": [{"name": n, "type": t, "type_label": label, "meaning": m}
                                    for n, t, label, m in rows]})
    if fmt == "xlsx":
        return xlsx_stream(f"{dataset.code}-dictionary.xlsx",
                           [Sheet("数据字典", DICTIONARY_HEADER, rows)])
    return csv_response(f"{dataset.code}-dictionary.csv", DICTIONARY_HEADER, rows)


routes = [
    Route("/", index, methods=["GET"], name="index"),
    Route("/{code:str}/dictionary.{fmt:str}", dictionary, methods=["GET"], name="dictionary"),
    Route("/{code:str}.{fmt:str}", download, methods=["GET"], name="download"),
]
