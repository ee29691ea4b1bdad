"""The WARC middleware with extraction processes building its records: two responses for one URL in
flight together are kept as one process keeps them (a response, then a revisit), and a state store
that cannot be read stops the run as a refusal of the machine, not as a failed page."""

from __future__ import annotations

import asyncio
import sqlite3
import types
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector
from warcio.archiveiterator import ArchiveIterator

import crawler.capture as capture
from crawler.capture import WARC_META, WarcMiddleware
from crawler.extract import Catalogue
from crawler.harvesters import Harvester
from output.state import StateStore
from output.warc import WarcWriter

URL = "http://127.0.0.1:9/archive/x.htm"
BODY = b"<html><head><title>A page</title></head><body><p>The same text.</p></body></html>"


def _middleware(folder: Path, workers: int) -> tuple[WarcMiddleware, Any]:
    """The middleware of a run in ``folder``, its pages read by ``workers`` (from a running loop)."""
    state = StateStore.open(folder)
    run = types.SimpleNamespace(state=state, warc=WarcWriter(folder, "RUN"), run_id="RUN")
    harvester = Harvester(workers)
    harvester.start(Catalogue())
    spider = types.SimpleNamespace(run=run, harvester=harvester)
    stats = MemoryStatsCollector(types.SimpleNamespace(settings=Settings()))
    return WarcMiddleware(types.SimpleNamespace(spider=spider, stats=stats)), spider


async def _respond(middleware: WarcMiddleware, request: Request) -> Any:
    response = HtmlResponse(URL, body=BODY, headers={"Content-Type": "text/html"}, request=request)
    await middleware.process_response(request, response)
    return request.meta.get(WARC_META)


def _kept(folder: Path, workers: int) -> tuple[list[str], dict[str, Any], list[Any]]:
    async def both() -> tuple[WarcMiddleware, Any, list[Any]]:
        middleware, spider = _middleware(folder, workers)
        try:
            return middleware, spider, list(await asyncio.gather(
                *(_respond(middleware, Request(URL, dont_filter=True)) for _ in range(2))))
        finally:
            await spider.harvester.close()

    middleware, spider, locations = asyncio.run(both())
    spider.run.warc.close()
    spider.run.state.close()
    kinds = []
    for path in sorted((folder / "warc").glob("*.warc.gz")):
        with open(path, "rb") as stream:
            kinds += [record.rec_type for record in ArchiveIterator(stream)]
    counted = {key: value for key, value in middleware.stats.get_stats().items() if "warc" in key}
    return kinds, counted, locations


def test_two_responses_for_one_url_in_flight_are_a_response_and_a_revisit(tmp_path: Path) -> None:
    alone = _kept(tmp_path / "one", 1)
    pooled = _kept(tmp_path / "pool", 2)
    assert alone[0] == ["warcinfo", "request", "response", "request", "revisit"]
    assert pooled[0] == alone[0]
    assert pooled[1] == alone[1] == {"colophon/warc/records": 1, "colophon/warc/revisits": 1}
    assert pooled[2][0] == pooled[2][1] is not None  # both point at the one response kept


@pytest.mark.parametrize("workers", [1, 2])
def test_a_state_store_that_cannot_be_read_stops_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         workers: int) -> None:
    refused: list[BaseException] = []
    monkeypatch.setattr(capture, "stop_for_environment", lambda crawler, error: refused.append(error))

    def unreadable(url: str) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    async def respond() -> tuple[Any, Any, Any]:
        middleware, spider = _middleware(tmp_path, workers)
        spider.run.state.capture = unreadable
        try:
            request = Request(URL)
            response = HtmlResponse(URL, body=BODY, request=request)
            return spider, response, await middleware.process_response(request, response)
        finally:
            await spider.harvester.close()

    spider, response, result = asyncio.run(respond())
    assert result is response
    assert [str(error) for error in refused] == ["disk I/O error"]
    spider.run.warc.close()
    spider.run.state.close()
