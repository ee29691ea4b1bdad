"""Pipelines: validate each record, keep it in the state store, publish the run when it ends."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import orjson
from itemadapter import ItemAdapter
from pydantic import BaseModel, ValidationError
from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured

from crawler.environment import ENVIRONMENT_ERRORS, REASON, STAT, stop_for_environment
from crawler.errors import environment_message
from crawler.extract import EXTRACTOR_VERSION
from crawler.extract.inherit import Inheritance
from crawler.frontier import queue_dir
from crawler.items import PageItem
from models import Index, OtherPage, Reject, Work, utc_now
from output.publish import publish

FILE_OF = {Work: "works.jsonl", Index: "indexes.jsonl", Reject: "rejects.jsonl", OtherPage: "other.jsonl"}
# Duplicates need no pipeline of their own: the state store and the frontier are keyed by page id,
# so a page reached under two URLs ("/" and "/index.htm") is fetched and kept once.


def _inheritable(toc: dict[str, Any]) -> dict[str, Any]:
    """What a chapter can inherit from its contents page (crawler.extract.inherit), and no more:
    the contents pages of a whole archive are held at once."""
    return {key: toc.get(key) for key in ("id", "title", "citation", "date", "licence", "credits")}


class Inherited:
    """What each published record inherits (crawler.extract.inherit), from the pages in the store;
    a record's basis names the contents page (and its version) and the part before it."""

    def __init__(self, state: Any) -> None:
        self.toc_hash: dict[str, str] = {}

        def tocs() -> Iterator[tuple[dict[str, Any], list[str]]]:
            for toc_id, _, record, links, digest in state.tocs():
                self.toc_hash[toc_id] = digest
                yield _inheritable(orjson.loads(record)), orjson.loads(links or b"[]")

        self.inheritance = Inheritance.build(tocs(), state.series_links())

    def basis(self, page_id: str) -> str:
        toc = self.inheritance.chapter_of.get(page_id)
        toc_id = toc["id"] if toc is not None else ""
        return f"{toc_id}:{self.toc_hash.get(toc_id, '')}|{self.inheritance.previous_of.get(page_id, '')}"

    def __call__(self, page_id: str, line: bytes) -> bytes:
        inheritance = self.inheritance
        inherited = inheritance.apply(orjson.loads(line)) if (
            page_id in inheritance.chapter_of or page_id in inheritance.previous_of) else None
        return line if inherited is None else orjson.dumps(inherited) + b"\n"


class ValidatePipeline:
    """Every record leaves as a model instance; anything else becomes a reject with a code."""

    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> ValidatePipeline:
        return cls(crawler.stats)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, PageItem):
            raise DropItem(f"unexpected item {type(item).__name__}")
        record = item.record
        if isinstance(record, BaseModel):
            return item
        data = ItemAdapter(record).asdict() if ItemAdapter.is_item(record) else {}
        model = {"work": Work, "toc": Work, "author_index": Index, "section_index": Index,
                 "other": OtherPage}.get(str(data.get("kind")), Reject)
        try:
            item.record = model.model_validate(data)
        except ValidationError as error:
            first = error.errors()[0]
            self.stats.inc_value("colophon/invalid")
            item.record = Reject(url=str(data.get("url", "")), stage="validate", code=first["type"],
                                 message=str(first["msg"]), fetched_at=utc_now())
        return item


class StatePipeline:
    """Keeps each record in the dataset's state store as it arrives (one transaction per page, with
    its frontier mark), and publishes the run when the spider closes: snapshot, change set, run
    report and datapackage.json, atomically. A run stopped by a signal is left to resume."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.shard_bytes = crawler.settings.getint("COLOPHON_SHARD_BYTES")
        self.started = utc_now()
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> StatePipeline:
        if not crawler.settings.get("COLOPHON_OUT"):
            raise NotConfigured("COLOPHON_OUT is not set")
        return cls(crawler)

    def process_item(self, item: PageItem, spider: Any = None) -> PageItem:
        spider = spider or self.crawler.spider
        record = item.record
        name = FILE_OF[type(record)]
        data = record.model_dump(mode="json")
        line = orjson.dumps(data) + b"\n"
        page_id = getattr(record, "id", None) or item.page_id or record.url
        try:
            changed = spider.state.store(
                spider.run_id, page_id, record.url, line, data, name, item.links,
                item.fetch or {"fetched_at": utc_now()}, spider.policy, spider.state.now(), item.frontier_id or page_id)
        except ENVIRONMENT_ERRORS as error:
            # The machine refused (disk full, read-only, permissions): nothing more can be kept, so
            # the run stops now, unpublished, to resume once the machine is mended.
            stop_for_environment(self.crawler, error)
            raise DropItem(f"not stored: {environment_message(error)}") from None
        self.stats.inc_value(f"colophon/records/{name.removesuffix('.jsonl')}")
        self.stats.inc_value("colophon/changed" if changed else "colophon/unchanged")
        return item

    def spider_closed(self, spider: Any, reason: str) -> None:
        state = spider.state
        try:
            if reason == REASON or self.stats.get_value(STAT):
                return  # nothing published: the run resumes when the machine is mended
            if reason == "shutdown":
                # Interrupted (a signal): nothing is published and nothing removed; the next run
                # on this folder resumes this one.
                self.stats.set_value("colophon/run", {"id": spider.run_id, "interrupted": True})
                return
            pending = len(state.pending(spider.run_id))
            stats = self.stats.get_stats()
            unknown_links = stats.get("colophon/links_unknown", 0)
            start_missing = stats.get("colophon/start_missing", 0)
            complete = reason == "finished" and pending == 0 and not unknown_links and not start_missing
            report = {
                "started": spider.started,
                "finish_reason": reason,
                "resumed": spider.resumed,
                "colophon_version": EXTRACTOR_VERSION,
                "options": self.crawler.settings.getdict("COLOPHON_RUN_OPTIONS"),
                "counts": {
                    "pages": stats.get("response_received_count", 0),
                    "bytes_received": stats.get("downloader/response_bytes", 0),
                    "not_modified": stats.get("colophon/not_modified", 0),
                    "not_due": stats.get("colophon/not_due", 0),
                    "works": stats.get("colophon/records/works", 0),
                    "indexes": stats.get("colophon/records/indexes", 0),
                    "other": stats.get("colophon/records/other", 0),
                    "rejects": stats.get("colophon/records/rejects", 0),
                    "missing": stats.get("colophon/missing", 0),
                    "duplicates": stats.get("colophon/duplicates", 0),
                    "kept_after_failure": stats.get("colophon/kept_after_failure", 0),
                    "links_unknown": unknown_links,
                    "start_missing": start_missing,
                    "skipped_non_html": stats.get("colophon/skipped_non_html", 0),
                    "robots_forbidden": stats.get("colophon/robots_forbidden", 0),
                    "offsite_refused": stats.get("colophon/scope/refused", 0)
                    + stats.get("colophon/scope/offsite_redirect", 0),
                    "characters_removed": stats.get("colophon/text/characters_removed", 0),
                    "pending": pending,
                },
            }
            fetched = report["counts"]["pages"] or report["counts"]["not_due"]
            if not fetched:
                # Not even a start page could be fetched (the origin is down, or refused everything):
                # publishing would only shrink what readers have. The run is recorded as failed.
                state.fail_run(spider.run_id, utc_now(), {**report, "run": spider.run_id, "complete": False})
                self.stats.set_value("colophon/run", {**report, "run": spider.run_id, "complete": False,
                                                      "unpublished": True, "changes": {}})
                return
            spider.release()  # the crawl's bookkeeping in memory: publication reuses the room
            try:
                self.stats.set_value("colophon/run", publish(state, spider.run_id, complete=complete, report=report,
                                                             finish=Inherited(state),
                                                             shard_bytes=self.shard_bytes))
            except ENVIRONMENT_ERRORS as error:
                # Nothing half-published is ever visible (output.publish); the run resumes next time.
                self.stats.set_value(STAT, environment_message(error))
        finally:
            shutil.rmtree(queue_dir(state.folder), ignore_errors=True)
            try:
                state.close()  # commits the open batch of pages (output.state.StateStore.unit)
            except ENVIRONMENT_ERRORS as error:
                # The machine refused the last batch: its pages are visited again by the next run.
                if not self.stats.get_value(STAT):
                    self.stats.set_value(STAT, environment_message(error))
