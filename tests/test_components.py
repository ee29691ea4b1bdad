"""The crawl's components in process, each built by Scrapy's own `get_crawler` from the project's
settings: the run's owner (crawler.run), conditional requests (crawler.incremental), the scope
check, the pipelines and the progress line; the end-to-end crawls are in test_crawl.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler import settings as project
from crawler.extensions import Progress
from crawler.extract import Fetch, harvest
from crawler.failures import OutOfScope
from crawler.incremental import ASKED, REMEMBERED, IncrementalMiddleware
from crawler.items import PageItem
from crawler.middlewares import ScopeMiddleware
from crawler.pipelines import StatePipeline, ValidatePipeline
from crawler.run import RunOwner, open_run
from crawler.spiders.archive import ArchiveSpider
from models import Reject, Work
from output.snapshot import SNAPSHOT_LINK
from output.state import RunLocked, StateStore

ROOT = "https://www.marxists.org/"
START = ROOT + "archive/baker/"
PAGE = "archive/baker/1943/xx/war.htm"


def _crawler(out: Path, **settings: Any) -> Any:
    """A crawler with the project's COLOPHON_* settings (components are added by each test), and its
    spider built as `scrapy crawl archive -a start=START` builds it."""
    values = {name: getattr(project, name) for name in dir(project) if name.startswith("COLOPHON_")}
    crawler = get_crawler(ArchiveSpider, {**values, "COLOPHON_OUT": str(out), **settings})
    crawler.spider = crawler._create_spider(start=START)
    return crawler


def _work(title: str = "Labour and the War") -> Work:
    page = (f"<html><head><title>Tom Baker: {title} (1943)</title></head><body>\n<h1>{title}</h1>\n"
            "<h3>(Spring 1943)</h3>\n<p class=\"info\">From <strong>Workers Quarterly</strong>, Spring 1943.</p>\n"
            "<p>The coalition has now lasted three years, and its record speaks for itself.</p></body></html>")
    record = harvest(page.encode(), ROOT + PAGE, PAGE, fetch=Fetch(fetched_at="2026-01-01T00:00:00+00:00"))
    assert isinstance(record, Work), record
    return record


@pytest.fixture
def owned(tmp_path: Path) -> Any:
    """A crawler whose run is open (the folder locked), closed again after the test."""
    crawler = _crawler(tmp_path)
    owner = RunOwner.from_crawler(crawler)
    yield crawler, owner
    if not owner.run.state.closed:
        owner.run.state.close()


def test_the_owner_opens_the_run_and_hands_it_to_the_spider(owned: Any, tmp_path: Path) -> None:
    crawler, owner = owned
    assert crawler.spider.run is owner.run and crawler.spider.state is owner.run.state
    assert not owner.run.resumed
    with pytest.raises(RunLocked):
        StateStore.open(tmp_path)  # the folder is held for the run's whole life
    owner.opened(crawler.spider)
    assert crawler.stats.get_value("colophon/run_id") == owner.run.run_id


def test_an_interrupted_run_is_left_to_resume(owned: Any, tmp_path: Path) -> None:
    crawler, owner = owned
    owner.closed(crawler.spider, "shutdown")
    assert owner.run.state.closed  # the lock is released
    assert crawler.stats.get_value("colophon/run") == {"id": owner.run.run_id, "interrupted": True}
    again = open_run(_crawler(tmp_path).settings)
    try:
        assert again.resumed and again.run_id == owner.run.run_id
    finally:
        again.state.close()


def test_a_run_that_fetched_nothing_publishes_nothing(owned: Any, tmp_path: Path) -> None:
    crawler, owner = owned
    owner.closed(crawler.spider, "finished")
    assert not (tmp_path / SNAPSHOT_LINK).exists()
    assert crawler.stats.get_value("colophon/run")["unpublished"] is True
    state = StateStore.open(tmp_path)
    try:
        assert [run["status"] for run in state.runs()] == ["failed"]
    finally:
        state.close()


def test_a_run_publishes_what_the_pipeline_kept(owned: Any, tmp_path: Path) -> None:
    crawler, owner = owned
    pipeline = StatePipeline.from_crawler(crawler)
    item = PageItem(record=_work(), page_id=PAGE, links=["archive/baker/index.htm"], frontier_id=PAGE,
                    fetch={"fetched_at": "2026-01-01T00:00:00+00:00", "etag": '"v1"'})
    pipeline.process_item(item, crawler.spider)
    pipeline.process_item(item, crawler.spider)  # the same record again: kept once, unchanged
    assert crawler.stats.get_value("colophon/records/works") == 2
    assert crawler.stats.get_value("colophon/changed") == 1 and crawler.stats.get_value("colophon/unchanged") == 1
    crawler.stats.set_value("response_received_count", 1)
    owner.closed(crawler.spider, "finished")
    report = crawler.stats.get_value("colophon/run")
    assert report["complete"] is True and report["changes"]["added"] == 1
    assert (tmp_path / "works").is_dir() and not (tmp_path / ".queue").exists()


def test_the_owner_is_off_without_a_dataset_folder(tmp_path: Path) -> None:
    from scrapy.exceptions import NotConfigured

    with pytest.raises(NotConfigured):
        RunOwner.from_crawler(_crawler(tmp_path, COLOPHON_OUT=""))


def test_conditional_requests(owned: Any) -> None:
    crawler, owner = owned
    state = owner.run.state
    state.store(owner.run.run_id, PAGE, ROOT + PAGE, b"{}\n", {"kind": "work"}, "works.jsonl", [],
                {"fetched_at": "2026-01-01T00:00:00+00:00", "etag": '"v1"',
                 "last_modified": "Mon, 05 Jan 2026 10:00:00 GMT"}, owner.run.policy, 0.0, PAGE)
    state.remember("admin/js/data/authors.json", b"{}", '"cat"', None)
    middleware = IncrementalMiddleware.from_crawler(crawler)

    known = Request(ROOT + PAGE, meta={"frontier_id": PAGE})
    middleware.process_request(known)
    assert known.headers[b"If-None-Match"] == b'"v1"'
    assert known.headers[b"If-Modified-Since"] == b"Mon, 05 Jan 2026 10:00:00 GMT"
    assert 304 in known.meta["handle_httpstatus_list"]

    new = Request(ROOT + "archive/baker/new.htm", meta={"frontier_id": "archive/baker/new.htm"})
    middleware.process_request(new)
    assert b"If-None-Match" not in new.headers and "handle_httpstatus_list" not in new.meta
    assert new.meta[ASKED] is True

    catalogue = Request(ROOT + "admin/js/data/authors.json", meta={REMEMBERED: "admin/js/data/authors.json"})
    middleware.process_request(catalogue)
    assert catalogue.headers[b"If-None-Match"] == b'"cat"' and b"If-Modified-Since" not in catalogue.headers

    # A retry (a copy of the request) is not looked up again; a removed page is asked unconditionally.
    state.db.execute("UPDATE pages SET status = 'removed' WHERE id = ?", (PAGE,))
    retry = known.copy()
    middleware.process_request(retry)
    assert retry.headers[b"If-None-Match"] == b'"v1"'
    again = Request(ROOT + PAGE, meta={"frontier_id": PAGE})
    middleware.process_request(again)
    assert b"If-None-Match" not in again.headers

    not_modified = HtmlResponse(known.url, status=304, request=known)
    assert middleware.process_response(known, not_modified) is not_modified
    assert crawler.stats.get_value("colophon/not_modified") == 1


def test_scope_refuses_requests_outside_the_archive(tmp_path: Path) -> None:
    crawler = _crawler(tmp_path)
    crawler.spider.site = type(crawler.spider).from_crawler(crawler, start=START).site
    middleware = ScopeMiddleware.from_crawler(crawler)
    assert middleware.process_request(Request(START + "1943/xx/war.htm")) is None
    for url in ("http://127.0.0.1:9/archive/baker/", "https://www.marxists.org.evil/archive/baker/",
                "https://user@www.marxists.org:8080/archive/baker/"):
        with pytest.raises(OutOfScope):
            middleware.process_request(Request(url))
    assert crawler.stats.get_value("colophon/scope/refused") == 3


def test_the_validate_pipeline_turns_a_broken_record_into_a_reject(tmp_path: Path) -> None:
    crawler = _crawler(tmp_path)
    pipeline = ValidatePipeline.from_crawler(crawler)
    broken = {**_work().model_dump(mode="json"), "title": ""}  # a record a stage handed on as a plain dict
    item = pipeline.process_item(PageItem(record=broken, page_id=PAGE), crawler.spider)  # type: ignore[arg-type]
    assert isinstance(item.record, Reject) and item.record.stage == "validate"
    assert crawler.stats.get_value("colophon/invalid") == 1
    good = pipeline.process_item(PageItem(record=_work(), page_id=PAGE), crawler.spider)
    assert isinstance(good.record, Work)


def test_progress_counts(tmp_path: Path) -> None:
    crawler = _crawler(tmp_path, COLOPHON_PROGRESS_INTERVAL=1.0)
    progress = Progress.from_crawler(crawler)
    for name, value in (("response_received_count", 12), ("colophon/records/works", 9),
                        ("colophon/records/indexes", 2), ("colophon/records/rejects", 1)):
        crawler.stats.set_value(name, value)
    snapshot = progress.snapshot()
    assert (snapshot["pages"], snapshot["works"], snapshot["indexes"], snapshot["rejects"]) == (12, 9, 2, 1)
    assert snapshot["rate"] > 0
